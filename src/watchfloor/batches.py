"""Batch submissions, shared by every intake (shipments, listings): the per-row results,
pydantic errors as field paths, the request body read as one record or a batch, and the
response whose status says how much was accepted (200 all, 207 some, 422 none)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import orjson
from pydantic import BaseModel, ValidationError

from watchfloor.audit import Acting
from watchfloor.db import utcnow
from watchfloor.errors import BadRequest, FieldProblem, Invalid, TooLarge
from watchfloor.inputs import nul_field

if TYPE_CHECKING:  # the web parts load FastAPI when first used: import workers never do
    from fastapi import Request
    from fastapi.responses import JSONResponse

MAX_BATCH = 10_000


class FieldError(BaseModel):
    field: str
    reason: str


class RowResult(BaseModel):
    """What happened to one submitted record (``reference``: its natural key)."""

    index: int
    reference: str | None = None
    status: Literal["created", "updated", "unchanged", "superseded", "rejected"]
    id: int | None = None
    score: int | None = None
    errors: list[FieldError] = []  # a plain default: model_construct is slow with a factory


def record_json(raw: Any) -> bytes:
    """A submitted record's JSON form with sorted keys (key order does not matter)."""
    return orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)


def json_form(raw: Any) -> bytes | None:
    """:func:`record_json`, made once per submitted record for its digest and its NUL
    check; None when the record holds what JSON cannot (validation then says what)."""
    try:
        return record_json(raw)
    except TypeError:
        return None


def nul_errors(raw: Any, dumped: bytes | None) -> list[FieldError]:
    """The rejection of a record some text of which holds U+0000, naming the field
    (``dumped``: its :func:`json_form`); empty when none does."""
    where = nul_field(raw, dumped)
    if where is None:
        return []
    return [FieldError(field=where, reason="contains a NUL character (U+0000)")]


def content_digest(raw: Any, dumped: bytes | None = None) -> str:
    """Digest of a submitted record (``dumped``: its :func:`record_json`, if already made):
    the same record sent again is recognised without comparing columns."""
    return hashlib.sha256(record_json(raw) if dumped is None else dumped).hexdigest()


_ACCEPTED_FIELDS = frozenset({"index", "reference", "status", "id", "score"})
_set = object.__setattr__


def accepted_row(
    index: int, reference: str | None, status: str, id: int | None = None, score: int | None = None
) -> RowResult:
    """The result of a row that passed validation, built as pydantic's ``model_construct``
    would but without its per-field default handling: an intake makes one per row, and
    this takes a fifth of the time (values are trusted: they come from stored rows)."""
    row = RowResult.__new__(RowResult)
    _set(
        row,
        "__dict__",
        {
            "index": index,
            "reference": reference,
            "status": status,
            "id": id,
            "score": score,
            "errors": [],
        },
    )
    _set(row, "__pydantic_fields_set__", set(_ACCEPTED_FIELDS))
    _set(row, "__pydantic_extra__", None)
    _set(row, "__pydantic_private__", None)
    return row


class BatchResult(BaseModel):
    accepted: int
    rejected: int
    results: list[RowResult]


def error_list(exc: ValidationError, record: str = "shipment") -> list[FieldError]:
    """Pydantic's errors as field paths like ``items[1].hs_code`` with a plain reason."""
    out = []
    for err in exc.errors(include_url=False):
        path = ""
        for part in err["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        reason = err["msg"]
        if reason.startswith("Value error, "):
            reason = reason[len("Value error, ") :]
        out.append(FieldError(field=path or record, reason=reason))
    return out


async def read_rows(
    request: Request, *, key: str, natural_key: str, max_body: int
) -> tuple[list[Any], bool]:
    """The submitted rows and whether the body was a single record: a record, a list, or
    ``{key: [...]}`` (a record is told from the wrapper by its ``natural_key`` field)."""
    limit = f"the body is over {max_body // (1024 * 1024)} MB; send smaller batches"
    size = request.headers.get("content-length")
    if size and size.isdigit() and int(size) > max_body:
        raise TooLarge(limit)
    raw = await request.body()
    if len(raw) > max_body:
        raise TooLarge(limit)
    try:
        body = orjson.loads(raw)
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
    from fastapi.concurrency import run_in_threadpool

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
    from fastapi.responses import JSONResponse

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


def batch_event(principal: Acting, result: BatchResult, noun: str) -> dict[str, Any]:
    """What subscribers (live queues, alert pushers) learn of a committed batch: the rows
    created or updated, under ``noun`` (shipments, listings)."""
    return {
        "agency": principal.agency_code,
        "at": utcnow().isoformat(),
        "accepted": result.accepted,
        "rejected": result.rejected,
        noun: [
            {"id": r.id, "reference": r.reference, "status": r.status, "score": r.score}
            for r in result.results
            if r.status in ("created", "updated")
        ],
    }


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
