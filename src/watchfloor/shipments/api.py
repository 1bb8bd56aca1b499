"""Shipments API under /api/v1/shipments: intake, reading, targeting, holds, outcomes, offices
and the learnt model."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse

from watchfloor.batches import BatchResult
from watchfloor.http import intake_body, read_rows, run_intake
from watchfloor.security import Principal
from watchfloor.security.deps import CurrentPrincipal, Cursor, Db, RecordId, requires
from watchfloor.shipments import intake, service
from watchfloor.shipments.schemas import (
    HoldIn,
    ModelChoice,
    ModelOut,
    OfficeIn,
    OfficeOut,
    OutcomeIn,
    OutcomeOut,
    ShipmentOut,
    ShipmentPage,
    TargetList,
)

router = APIRouter(prefix="/api/v1/shipments", tags=["shipments"])
MAX_BODY = 64 * 1024 * 1024  # the route's max_body_size
Officer = Annotated[Principal, Depends(requires("officer"))]
Admin = Annotated[Principal, Depends(requires("admin"))]

_INTAKE_BODY = intake_body("ShipmentIn", "shipments")


@router.post(
    "",
    response_model=BatchResult,
    max_body_size=MAX_BODY,
    openapi_extra=_INTAKE_BODY,
    responses={
        207: {"model": BatchResult, "description": "Some rows accepted, some rejected."},
        422: {"description": "No row accepted; the body lists every row's reasons."},
        413: {"description": "More than 10,000 shipments or 64 MB."},
        409: {
            "description": "Another submission stored one of the batch's new references at "
            "the same moment; nothing of the batch was stored: send it again."
        },
    },
)
async def post_shipments(request: Request, db: Db, principal: Officer) -> JSONResponse:
    """Submit one shipment or a batch of up to 10,000 (`{"shipments": [...]}`).

    Every valid row is stored and scored; every invalid row comes back with its index, field
    and reason. The reference is unique per agency: sending a shipment again changes nothing
    when it is the same, and updates and rescores it when it differs. The status is 200 when
    all rows were accepted, 207 when some were, 422 when none were, and 409 when another
    submission stored one of the batch's new references at that very moment (send again).
    """
    rows, single = await read_rows(request, key="shipments", natural_key="reference")

    return await run_intake(
        request,
        db,
        principal,
        rows,
        single=single,
        submit=intake.submit,
        noun="shipment",
        subject="shipments.scored",
    )


@router.get("", response_model=ShipmentPage)
def get_shipments(
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    after: Annotated[
        int | None, Query(ge=0, le=2_147_483_647, description="Only shipments newer than this id.")
    ] = None,
    min_score: Annotated[int | None, Query(ge=0, le=100)] = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(open|held|inspected)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ShipmentPage:
    """Your agency's shipments, newest first, with their scores."""
    return service.list_shipments(
        db, principal, cursor=cursor, after=after, min_score=min_score, status=status_, limit=limit
    )


@router.get("/targets", response_model=TargetList)
def get_targets(
    db: Db,
    principal: CurrentPrincipal,
    office: Annotated[str, Query(min_length=1, max_length=40)],
    date: Annotated[
        dt.date | None, Query(description="Arrival date; today (UTC) if empty.")
    ] = None,
) -> TargetList:
    """What the office should open on that day: best expected yield first, within capacity."""
    return service.targets(db, principal, office, date or dt.datetime.now(dt.UTC).date())


@router.get("/offices", response_model=list[OfficeOut])
def get_offices(db: Db, principal: CurrentPrincipal) -> list[OfficeOut]:
    """Your agency's offices with their daily capacity and alert threshold."""
    return service.list_offices(db, principal)


@router.put("/offices", response_model=OfficeOut)
def put_office(db: Db, body: OfficeIn, principal: Admin) -> OfficeOut:
    """Create an office or change its capacity and alert threshold (admins)."""
    office = service.save_office(db, principal, body)
    db.commit()
    return OfficeOut.model_validate(office)


@router.get("/models", response_model=list[ModelOut])
def get_models(db: Db, principal: CurrentPrincipal) -> list[ModelOut]:
    """Versions of your agency's learnt model with their held-out metrics."""
    return [
        ModelOut(
            version=m.version,
            trained_at=m.trained_at,
            trained_by=m.trained_by,
            n_outcomes=m.n_outcomes,
            n_positive=m.n_positive,
            active=m.active,
            metrics=json.loads(m.metrics),
        )
        for m in service.models(db, principal)
    ]


@router.put("/models/active", response_model=list[ModelOut])
def put_active_model(db: Db, body: ModelChoice, principal: Admin) -> list[ModelOut]:
    """Choose what scores your shipments (admins): one version of your model, whatever its
    held-out comparison with the rules, or the rules alone (``version`` null). Audited with
    the reason; a version trained later that picks at least as well as the rules takes over."""
    service.use_model(db, principal, body.version, body.reason)
    db.commit()
    return get_models(db, principal)


@router.get("/{shipment_id}", response_model=ShipmentOut)
def get_shipment(db: Db, principal: CurrentPrincipal, shipment_id: RecordId) -> ShipmentOut:
    """One shipment with its items and every reason of its score."""
    return service.shipment_out(service.get_shipment(db, principal, shipment_id), db, principal)


@router.post("/{shipment_id}/hold", response_model=ShipmentOut)
def post_hold(db: Db, shipment_id: RecordId, body: HoldIn, principal: Officer) -> ShipmentOut:
    """Hold a shipment for inspection."""
    shipment = service.hold(db, principal, shipment_id, body.reason)
    db.commit()
    return service.shipment_out(shipment, db, principal)


@router.post(
    "/{shipment_id}/outcome", response_model=OutcomeOut, status_code=status.HTTP_201_CREATED
)
def post_outcome(db: Db, shipment_id: RecordId, body: OutcomeIn, principal: Officer) -> OutcomeOut:
    """Record what the inspection found; a find also creates a shareable seizure record."""
    outcome = service.record_outcome(db, principal, shipment_id, body)
    db.commit()
    return service.outcome_out(outcome)
