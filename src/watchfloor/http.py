"""The HTTP side of every batch intake: the request body read as one record or a batch
(``{"shipments": [...]}``), the rows submitted off the event loop and announced on the bus,
and the answer whose status says how much was accepted (200 all, 207 some, 422 none, with
problem details naming each rejected record's field and reason).

The domains' ``api`` modules use it; the services they call never see a request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from watchfloor.audit import Acting
from watchfloor.batches import MAX_BATCH, BatchResult, batch_event
from watchfloor.errors import BadRequest, FieldProblem, Invalid, TooLarge
from watchfloor.inputs import json_loads

MB = 1024 * 1024
# The largest body of any request but the batch intakes, which name theirs on their routes
# (``max_body_size``): FastAPI counts a body as it arrives and refuses it with 413 as soon
# as it passes the limit, or at once when Content-Length says it would.
BODY_LIMIT = 1 * MB


async def read_rows(request: Request, *, key: str, natural_key: str) -> tuple[list[Any], bool]:
    """The submitted rows and whether the body was a single record: a record, a list, or
    ``{key: [...]}`` (a record is told from the wrapper by its ``natural_key`` field). The
    body's size is the route's ``max_body_size``, enforced by FastAPI as it arrives."""
    raw = await request.body()
    try:
        body = json_loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(
            f"the body is not JSON: {exc}", [FieldProblem("body", "not valid JSON")]
        ) from None
    if isinstance(body, dict) and key in body and natural_key not in body:
        rows = body[key]
        if not isinstance(rows, list):
            raise Invalid(f"'{key}' must be a list", [FieldProblem(key, "not a list")])
        single = False
    elif isinstance(body, list):
        rows, single = body, False
    elif isinstance(body, dict):
        rows, single = [body], True
    else:
        raise Invalid(
            f'send one record or {{"{key}": [...]}}',
            [FieldProblem("body", "must be an object or a list")],
        )
    if len(rows) > MAX_BATCH:
        raise TooLarge(f"{len(rows)} records in one batch; the limit is {MAX_BATCH}")
    if not rows:
        raise Invalid("the batch is empty", [FieldProblem(key, "no rows")])
    return rows, single


async def run_intake(
    request: Request,
    db: Any,
    principal: Acting,
    rows: list[Any],
    *,
    single: bool,
    submit: Callable[..., BatchResult],
    noun: str,
    subject: str,
) -> JSONResponse:
    """Submit API rows in the request's transaction (off the event loop), announce what
    was accepted on the bus as ``<root>.<subject>``, and answer with :func:`batch_response`."""

    def work() -> BatchResult:
        result = submit(db, principal, rows, source="api")
        db.commit()
        return result

    result = await run_in_threadpool(work)
    bus = getattr(request.app.state, "bus", None)
    if bus is not None and result.accepted:
        root = request.app.state.subject_root
        await bus.publish(f"{root}.{subject}", batch_event(principal, result, f"{noun}s"))
    return batch_response(result, single=single, noun=noun)


def batch_response(result: BatchResult, *, single: bool, noun: str) -> JSONResponse:
    """200 when every row was accepted, 207 when some were, and 422 (problem details
    listing every row's reasons) when none were."""
    if result.rejected == 0:
        code = 200
    elif result.accepted:
        code = 207
    else:
        code = 422
    body: dict[str, Any] = json.loads(result.model_dump_json())
    if code != 422:
        return JSONResponse(body, status_code=code)
    first = result.results[0]
    body.update(
        type="about:blank",
        title="Invalid input",
        status=422,
        detail=(
            f"{noun} {first.reference or '#' + str(first.index)} was rejected"
            if single
            else f"all {result.rejected} {noun}s were rejected"
        ),
        errors=[
            {"record": r.reference or f"#{r.index}", "field": e.field, "reason": e.reason}
            for r in result.results
            for e in r.errors
        ][:1000],
    )
    return JSONResponse(body, status_code=code, media_type="application/problem+json")


def intake_body(schema: str, key: str) -> dict[str, Any]:
    """The OpenAPI request body of an intake endpoint: one ``schema`` object, or
    ``{key: [...]}`` with up to :data:`MAX_BATCH` of them (read by :func:`read_rows`)."""
    item = {"$ref": f"#/components/schemas/{schema}"}
    batch = {
        "type": "object",
        "required": [key],
        "properties": {key: {"type": "array", "items": item, "maxItems": MAX_BATCH}},
    }
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"oneOf": [item, batch]}}},
        }
    }
