"""Seizures, incidents and the sharing of them, under /api/v1/sharing."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from watchfloor.batches import BatchResult
from watchfloor.cooperation import intake
from watchfloor.cooperation.seizures import statistics
from watchfloor.cooperation.seizures.models import Incident, Seizure
from watchfloor.cooperation.seizures.schemas import (
    IncidentKind,
    IncidentOut,
    IncidentPage,
    SeizureIn,
    SeizureOut,
    SeizurePage,
)
from watchfloor.cooperation.seizures.service import (
    create_seizure,
    incident_out,
    list_incidents,
    list_seizures,
    seizure_out,
)
from watchfloor.cooperation.seizures.statistics import CountrySummary
from watchfloor.http import intake_body, read_rows, run_intake
from watchfloor.security import Principal
from watchfloor.security.deps import CurrentPrincipal, Cursor, Db, RecordId, requires
from watchfloor.sharing import Shareable, SharingIn, communities, read_record, reshare

router = APIRouter(prefix="/api/v1/sharing", tags=["sharing"])
S = TypeVar("S", bound=Shareable)
Officer = Annotated[Principal, Depends(requires("officer"))]
MAX_BODY = 50 * 1024 * 1024
BATCH_RESPONSES: dict[int | str, dict[str, object]] = {
    207: {"model": BatchResult, "description": "Some rows accepted, some rejected."},
    422: {"description": "No row accepted; the body lists every row's reasons."},
    413: {"description": "More than 10,000 records, or a body over 50 MB."},
}


async def batch_intake(
    request: Request, db: Db, principal: Principal, kind: intake.Kind, key: str
) -> JSONResponse:
    """The body of every records batch endpoint: one record or ``{key: [...]}``, stored
    through :func:`intake.submit` with a result per row, announced on the bus."""
    rows, single = await read_rows(request, key=key, natural_key="reference")
    return await run_intake(
        request,
        db,
        principal,
        rows,
        single=single,
        submit=lambda s, p, r, source: intake.submit(s, p, r, kind, source=source),
        noun=kind.noun.replace("_", " "),
        subject=f"sharing.{key}",
    )


@router.post("/seizures", response_model=SeizureOut, status_code=status.HTTP_201_CREATED)
def post_seizure(db: Db, body: SeizureIn, principal: Officer) -> SeizureOut:
    """Record one seizure owned by your agency, with its sharing policy (409 if its
    reference exists; use `/seizures/batch` to resubmit idempotently)."""
    seizure = create_seizure(db, principal, body)
    db.commit()
    return seizure_out(seizure)


@router.post(
    "/seizures/batch",
    response_model=BatchResult,
    openapi_extra=intake_body("SeizureIn", "seizures"),
    responses=BATCH_RESPONSES,
    max_body_size=MAX_BODY,
)
async def post_seizure_batch(request: Request, db: Db, principal: Officer) -> JSONResponse:
    """Submit one seizure or a batch of up to 10,000 (`{"seizures": [...]}`), with a result
    per row: good rows are stored even when others are rejected (200 all, 207 some, 422
    none). The same reference again with the same content is `unchanged`; with other
    content it is `updated`. Quantities are normalised to kg, doses or litres."""
    return await batch_intake(request, db, principal, intake.SEIZURES, "seizures")


@router.get("/seizures", response_model=SeizurePage)
def get_seizures(
    db: Db,
    principal: CurrentPrincipal,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    since: Annotated[dt.date | None, Query(description="Seized on or after.")] = None,
    substance: Annotated[
        str | None, Query(max_length=80, description="A catalogue substance key.")
    ] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> SeizurePage:
    """Seizures you may read: your agency's and those shared with it."""
    rows, nxt = list_seizures(
        db,
        principal,
        country=country,
        since=since,
        substance=substance,
        cursor=cursor,
        limit=limit,
    )
    return SeizurePage(items=[seizure_out(s) for s in rows], next_cursor=nxt)


@router.get("/seizures/summary", response_model=list[CountrySummary])
def get_seizure_summary(
    db: Db,
    principal: CurrentPrincipal,
    since: Annotated[dt.date | None, Query(description="Seized on or after.")] = None,
    until: Annotated[dt.date | None, Query(description="Seized before.")] = None,
) -> list[CountrySummary]:
    """Per country, what you may read: records, seizure events, kilograms, doses and litres,
    and the kilograms of the five largest substances."""
    return statistics.by_country(db, principal, since=since, until=until)


@router.get("/seizures/{seizure_id}", response_model=SeizureOut)
def get_seizure(db: Db, principal: CurrentPrincipal, seizure_id: RecordId) -> SeizureOut:
    """One seizure; 404 when it does not exist or is not shared with you."""
    return seizure_out(read_record(db, principal, Seizure, seizure_id))


@router.put("/seizures/{seizure_id}/sharing", response_model=SeizureOut)
def put_seizure_sharing(
    db: Db, seizure_id: RecordId, body: SharingIn, principal: Officer
) -> SeizureOut:
    """Widen, narrow or revoke the audience of a seizure (owner, or recipient where allowed)."""
    seizure = reshare(db, principal, Seizure, seizure_id, body)
    db.commit()
    return seizure_out(seizure)


@router.post(
    "/incidents",
    response_model=BatchResult,
    openapi_extra=intake_body("IncidentIn", "incidents"),
    responses=BATCH_RESPONSES,
    max_body_size=MAX_BODY,
)
async def post_incidents(request: Request, db: Db, principal: Officer) -> JSONResponse:
    """Report one precursor incident or a batch (`{"incidents": [...]}`), after INCB PICS:
    stopped or suspicious shipments and orders, diversion attempts, illicit laboratories,
    equipment; each with the chemicals involved. Per-row results as for seizures."""
    return await batch_intake(request, db, principal, intake.INCIDENTS, "incidents")


@router.get("/incidents", response_model=IncidentPage)
def get_incidents(
    db: Db,
    principal: CurrentPrincipal,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    kind: IncidentKind | None = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> IncidentPage:
    """Incidents you may read: your agency's and those shared with it."""
    rows, nxt = list_incidents(
        db, principal, country=country, kind=kind, cursor=cursor, limit=limit
    )
    return IncidentPage(items=[incident_out(x) for x in rows], next_cursor=nxt)


@router.get("/incidents/{incident_id}", response_model=IncidentOut)
def get_incident(db: Db, principal: CurrentPrincipal, incident_id: RecordId) -> IncidentOut:
    """One incident; 404 when it does not exist or is not shared with you."""
    return incident_out(read_record(db, principal, Incident, incident_id))


@router.put("/incidents/{incident_id}/sharing", response_model=IncidentOut)
def put_incident_sharing(
    db: Db, incident_id: RecordId, body: SharingIn, principal: Officer
) -> IncidentOut:
    """Widen, narrow or revoke the audience of an incident."""
    incident = reshare(db, principal, Incident, incident_id, body)
    db.commit()
    return incident_out(incident)


class CommunityOut(BaseModel):
    code: str = Field(examples=["NA-PRECURSORS"])
    name: str
    members: list[str]


@router.get("/communities", response_model=list[CommunityOut])
def get_communities(principal: CurrentPrincipal) -> list[CommunityOut]:
    """The communities a record can be shared with (groups of agencies), and their members."""
    return [
        CommunityOut(code=code, name=c.name, members=sorted(c.members))
        for code, c in sorted(communities.known().items())
    ]
