"""Entity pages: screening a name (each candidate's score and the part every feature
played), and a party with its resolved identity (confirm, split) and its network, drawn
with Plotly. Services only."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from watchfloor.entities import clusters, networks, reading, service
from watchfloor.entities.api import candidate_out, query_of
from watchfloor.entities.matching import config
from watchfloor.entities.schemas import MatchIn
from watchfloor.errors import NotFound, WatchfloorError
from watchfloor.security.deps import Db, RecordId
from watchfloor.security.service import require_role
from watchfloor.web.charts import network_chart
from watchfloor.web.pages import Me, check_csrf, refused, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Query(max_length=400)]


@router.get("/entities/screen", response_class=HTMLResponse)
def screen_page(
    request: Request,
    db: Db,
    me: Me,
    name: Text = "",
    country: Text = "",
    date_of_birth: Text = "",
    identifier: Text = "",
    schema: Text = "",
) -> Response:
    form = {"name": name, "country": country, "date_of_birth": date_of_birth,
            "identifier": identifier, "schema": schema}  # fmt: skip
    results: list[Any] = []
    errors: list[Any] = []
    status, version = 200, None
    if name.strip():
        body = {
            "name": name,
            "countries": country.replace(",", " ").split(),
            "date_of_birth": date_of_birth or None,
            "identifiers": [{"number": identifier}] if identifier.strip() else [],
            "schema": schema or None,
        }
        try:
            query = query_of(MatchIn.model_validate(body))
        except ValidationError as exc:
            errors, status = refused(exc, "query")
        else:
            found, cfg = service.screen(db, me, query, limit=15)
            results, version = [candidate_out(s) for s in found], cfg.version
    return render(
        request, "entities/screen.html", me, status=status, active="entities", form=form,
        results=results, errors=errors, version=version, floor=config().floor,
    )  # fmt: skip


@router.post("/entities/screen/decide")
def screen_decide(
    request: Request,
    db: Db,
    me: Me,
    party_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    decision: Annotated[str, Form(max_length=10)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    score: Annotated[float | None, Form(ge=0, le=1)] = None,
    csrf_token: Annotated[str, Form()] = "",
    q_name: Annotated[str, Form(max_length=400)] = "",
    q_country: Annotated[str, Form(max_length=200)] = "",
    q_date_of_birth: Annotated[str, Form(max_length=10)] = "",
    q_identifier: Annotated[str, Form(max_length=100)] = "",
    q_schema: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """An analyst's decision on a hit of the screen page; back to the same screening."""
    check_csrf(request, csrf_token)
    back = {"name": q_name, "country": q_country, "date_of_birth": q_date_of_birth,
            "identifier": q_identifier, "schema": q_schema}  # fmt: skip
    try:
        service.decide(db, me, query=q_name, party_id=party_id, decision=decision,
                       reason=reason, score=score)  # fmt: skip
    except WatchfloorError as exc:
        db.rollback()
        errors, status = refused(exc, "decision")
        return render(request, "entities/screen.html", me, status=status, active="entities",
                      form=back, results=[], errors=errors, version=None,
                      floor=config().floor)  # fmt: skip
    db.commit()
    return RedirectResponse(f"/entities/screen?{urlencode(back)}", status_code=303)


def _party_page(
    request: Request, db: Db, me: Me, party_id: int, depth: int = 1,
    errors: list[dict[str, Any]] | None = None, status: int = 200,
) -> HTMLResponse:  # fmt: skip
    party = reading.read_party(db, me, party_id)
    cluster = None
    if party.cluster_id is not None:
        with contextlib.suppress(NotFound):
            cluster = reading.read_cluster(db, me, party.cluster_id)
    net = networks.network(db, me, party_id, depth=depth)
    return render(
        request, "entities/party.html", me, status=status, active="entities", party=party,
        cluster=cluster, network=net, chart=network_chart(net) if net.edges else "",
        depth=depth, run=clusters.last_run(db), errors=errors or [],
    )  # fmt: skip


@router.get("/entities/parties/{party_id}", response_class=HTMLResponse)
def party_page(
    request: Request,
    db: Db,
    me: Me,
    party_id: RecordId,
    depth: Annotated[int, Query(ge=1, le=3)] = 1,
) -> Response:
    return _party_page(request, db, me, party_id, depth)


@router.post("/entities/clusters/{cluster_id}/split", response_class=HTMLResponse)
def split_form(
    request: Request,
    db: Db,
    me: Me,
    cluster_id: RecordId,
    party: Annotated[int, Form(ge=1)],
    apart: Annotated[list[int], Form()] = [],  # noqa: B006 (FastAPI reads the default)
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    require_role(me, "admin")
    if not apart:
        errors = [{"field": "apart", "reason": "tick the parties that are someone else"}]
        return _party_page(request, db, me, party, errors=errors, status=422)
    reading.split(db, me, cluster_id, apart)
    db.commit()
    return RedirectResponse(f"/entities/parties/{party}", status_code=303)


@router.post("/entities/clusters/{cluster_id}/confirm", response_class=HTMLResponse)
def confirm_form(
    request: Request,
    db: Db,
    me: Me,
    cluster_id: RecordId,
    party: Annotated[int, Form(ge=1)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    require_role(me, "admin")
    reading.confirm(db, me, cluster_id)
    db.commit()
    return RedirectResponse(f"/entities/parties/{party}", status_code=303)
