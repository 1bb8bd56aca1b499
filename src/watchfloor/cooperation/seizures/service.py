"""Seizures and incidents: recording, reading and listing them under the sharing policy.
No FastAPI here; the sharing decisions themselves are in :mod:`watchfloor.sharing.grants`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchfloor.cooperation import intake
from watchfloor.cooperation.seizures.models import Incident, Seizure
from watchfloor.cooperation.seizures.schemas import (
    ChemicalOut,
    IncidentIn,
    IncidentOut,
    SeizureIn,
    SeizureOut,
    SeizurePartyIn,
)
from watchfloor.db import fetch_page
from watchfloor.errors import Conflict
from watchfloor.security import Principal
from watchfloor.sharing import audit_list_reads, sharing_out, visible


def _parties(raw: str | None) -> list[SeizurePartyIn]:
    return [SeizurePartyIn(**p) for p in json.loads(raw or "[]")]


def seizure_out(s: Seizure) -> SeizureOut:
    return SeizureOut(
        id=s.id,
        reference=s.reference,
        seized_on=s.seized_on,
        country=s.country,
        place=s.place,
        substance=s.substance_text,
        substance_key=s.substance_key,
        quantity=s.quantity,
        unit=s.unit,
        mode=s.mode,
        origin_country=s.origin_country,
        route=s.route.split(),
        parties=_parties(s.parties),
        normalised_quantity=s.normalised_quantity,
        normalised_unit=s.normalised_unit,
        concealment=s.concealment,
        period=s.period,
        events=s.events,
        source=s.source,
        shipment_id=s.shipment_id,
        notes=s.notes,
        created_at=s.created_at,
        sharing=sharing_out(s),
    )


def incident_out(x: Incident) -> IncidentOut:
    return IncidentOut(
        id=x.id,
        reference=x.reference,
        kind=x.kind,
        occurred_on=x.occurred_on,
        country=x.country,
        place=x.place,
        description=x.description,
        chemicals=[ChemicalOut(**c) for c in json.loads(x.chemicals or "[]")],
        mode=x.mode,
        origin_country=x.origin_country,
        destination_country=x.destination_country,
        route=x.route.split(),
        parties=_parties(x.parties),
        shipment_id=x.shipment_id,
        source=x.source,
        created_at=x.created_at,
        sharing=sharing_out(x),
    )


def _create(
    session: Session, principal: Principal, data: Any, kind: intake.Kind
) -> Seizure | Incident:
    model: Any = kind.model
    exists = session.scalar(
        select(model.id).where(
            model.owner_agency_id == principal.agency_id, model.reference == data.reference
        )
    )
    if exists:
        raise Conflict(f"{kind.noun} {data.reference!r} already exists for {principal.agency_code}")
    record_id = intake.submit_one(session, principal, data.model_dump(mode="json"), kind)
    record = session.get(model, record_id)
    assert record is not None
    return record


def create_seizure(
    session: Session, principal: Principal, data: SeizureIn, *, shipment_id: int | None = None
) -> Seizure:
    """Record a seizure owned by the principal's agency. Same reference twice is a 409.

    ``shipment_id`` links the shipment it was found in (an inspection outcome's seizure)."""
    seizure = _create(session, principal, data, intake.SEIZURES)
    if shipment_id is not None:
        seizure.shipment_id = shipment_id
        session.flush()
    return seizure  # type: ignore[return-value]


def create_incident(session: Session, principal: Principal, data: IncidentIn) -> Incident:
    """Record an incident owned by the principal's agency. Same reference twice is a 409."""
    return _create(session, principal, data, intake.INCIDENTS)  # type: ignore[return-value]


def list_seizures(
    session: Session,
    principal: Principal,
    *,
    country: str | None = None,
    cursor: int | None = None,
    limit: int = 50,
    since: dt.date | None = None,
    substance: str | None = None,
) -> tuple[list[Seizure], int | None]:
    """Seizures the principal may read, newest id first, paginated by id cursor."""
    stmt = select(Seizure).where(visible(principal, Seizure)).order_by(Seizure.id.desc())
    if country:
        stmt = stmt.where(Seizure.country == country.upper())
    if since:
        stmt = stmt.where(Seizure.seized_on >= since)
    if substance:
        stmt = stmt.where(Seizure.substance_key == substance)
    if cursor:
        stmt = stmt.where(Seizure.id < cursor)
    rows, next_cursor = fetch_page(session, stmt, limit)
    audit_list_reads(session, principal, "seizure", rows)
    return rows, next_cursor


def list_incidents(
    session: Session,
    principal: Principal,
    *,
    country: str | None = None,
    kind: str | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> tuple[list[Incident], int | None]:
    """Incidents the principal may read, newest id first, paginated by id cursor."""
    stmt = select(Incident).where(visible(principal, Incident)).order_by(Incident.id.desc())
    if country:
        stmt = stmt.where(Incident.country == country.upper())
    if kind:
        stmt = stmt.where(Incident.kind == kind)
    if cursor:
        stmt = stmt.where(Incident.id < cursor)
    rows, next_cursor = fetch_page(session, stmt, limit)
    audit_list_reads(session, principal, "incident", rows)
    return rows, next_cursor
