"""Seizures and the sharing of any shareable record. No FastAPI here."""

from __future__ import annotations

import datetime as dt
import json
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.db import fetch_page
from watchfloor.errors import Conflict, FieldProblem, Forbidden, Invalid, NotFound
from watchfloor.reference.countries import validate_country
from watchfloor.reference.service import search_substances
from watchfloor.security.models import Agency
from watchfloor.security.service import Principal, require_role
from watchfloor.sharing import communities
from watchfloor.sharing.models import Seizure, Shareable, ShareRecipient
from watchfloor.sharing.policy import can_read, can_share, visible
from watchfloor.sharing.schemas import SeizureIn, SeizureOut, SeizurePartyIn, SharingIn, SharingOut

S = TypeVar("S", bound=Shareable)


def _agencies_by_code(session: Session, codes: list[str], field: str) -> list[Agency]:
    wanted = sorted({c.strip().upper() for c in codes})
    found = {a.code: a for a in session.scalars(select(Agency).where(Agency.code.in_(wanted)))}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise Invalid(
            f"unknown recipient agencies: {', '.join(missing)}",
            [FieldProblem(field, f"unknown agency {c!r}") for c in missing],
        )
    return [found[c] for c in wanted]


def _communities(codes: list[str], field: str) -> list[str]:
    wanted = sorted({c.strip().upper() for c in codes})
    known = communities.known()
    missing = [c for c in wanted if c not in known]
    if missing:
        raise Invalid(
            f"unknown communities: {', '.join(missing)}",
            [FieldProblem(field, f"unknown community {c!r}") for c in missing],
        )
    return wanted


def apply_sharing(
    session: Session,
    principal: Principal,
    record: Shareable,
    sharing: SharingIn,
    *,
    field: str = "sharing",
) -> None:
    """Set the policy of ``record``; the caller must be allowed to share it."""
    allowed, reason = can_share(principal, record)
    if not allowed:
        raise Forbidden(f"you may not share this record: {reason}")
    if record.owner_agency_id != principal.agency_id and (
        sharing.tlp != record.tlp or sharing.originator_control != record.originator_control
    ):
        raise Forbidden("only the owner agency may change TLP or originator control")
    if sharing.expires_at is not None and sharing.expires_at.tzinfo is None:
        raise Invalid(
            "expires_at needs a time zone",
            [FieldProblem(f"{field}.expires_at", "timestamp without time zone")],
        )
    agencies = _agencies_by_code(session, sharing.recipients, f"{field}.recipients")
    groups = _communities(sharing.communities, f"{field}.communities")
    record.tlp = sharing.tlp
    record.originator_control = sharing.originator_control
    record.legal_basis = sharing.legal_basis
    record.share_expires_at = sharing.expires_at
    rtype, rid = type(record).share_type, record.id  # type: ignore[attr-defined]
    rows = {
        (r.agency_id, r.community): r
        for r in session.scalars(
            select(ShareRecipient).where(
                ShareRecipient.record_type == rtype, ShareRecipient.record_id == rid
            )
        )
    }
    wanted = {(a.id, None) for a in agencies if a.id != record.owner_agency_id}
    wanted |= {(None, c) for c in groups}
    if record.owner_agency_id == principal.agency_id:  # recipients may only widen
        for key in set(rows) - wanted:
            session.delete(rows[key])
    for agency_id, community in sorted(set(wanted) - set(rows), key=str):
        session.add(
            ShareRecipient(
                record_type=rtype,
                record_id=rid,
                agency_id=agency_id,
                community=community,
                granted_by=principal.actor,
            )
        )
    session.flush()
    session.expire(record, ["recipients"])
    audit.record_by(
        session,
        principal,
        action=f"{rtype}.share",
        object_type=rtype,
        object_id=rid,
        detail={
            "tlp": sharing.tlp,
            "recipients": sorted(a.code for a in agencies),
            "communities": groups,
            "originator_control": sharing.originator_control,
            "expires_at": sharing.expires_at,
        },
    )


def sharing_out(record: Shareable) -> SharingOut:
    return SharingOut(
        owner=record.owner.code,
        tlp=record.tlp,  # type: ignore[arg-type]
        recipients=sorted(r.agency.code for r in record.recipients if r.agency is not None),
        communities=sorted(r.community for r in record.recipients if r.community),
        originator_control=record.originator_control,
        legal_basis=record.legal_basis,
        expires_at=record.share_expires_at,
    )


def read_record(session: Session, principal: Principal, model: type[S], record_id: int) -> S:
    """Fetch a record the principal may read; 404 (not 403) otherwise, so existence never leaks.

    A read of another agency's record is written to the audit log.
    """
    record = session.get(model, record_id)
    if record is None or not can_read(principal, record):
        raise NotFound(f"{model.share_type} {record_id} not found")  # type: ignore[attr-defined]
    if record.owner_agency_id != principal.agency_id:
        audit.record_by(
            session,
            principal,
            action=f"{model.share_type}.read",
            object_type=model.share_type,  # type: ignore[attr-defined]
            object_id=record_id,
            detail={"owner": record.owner.code},
        )
        session.commit()
    return record


def audit_list_reads(
    session: Session, principal: Principal, share_type: str, records: list[S]
) -> None:
    """Audit the other agencies' records a list showed the principal (and commit)."""
    foreign_ids = [r.id for r in records if r.owner_agency_id != principal.agency_id]  # type: ignore[attr-defined]
    if foreign_ids:
        audit.record_by(
            session,
            principal,
            action=f"{share_type}.list",
            object_type=share_type,
            detail={"foreign_ids": foreign_ids},
        )
        session.commit()


# --- seizures ------------------------------------------------------------------------------


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
        parties=[SeizurePartyIn(**p) for p in json.loads(s.parties or "[]")],
        shipment_id=s.shipment_id,
        notes=s.notes,
        created_at=s.created_at,
        sharing=sharing_out(s),
    )


def _country(code: str | None, field: str, record: str) -> str | None:
    if code is None:
        return None
    try:
        return validate_country(code)
    except ValueError as exc:
        raise Invalid(str(exc), [FieldProblem(field, str(exc), record)]) from None


def create_seizure(
    session: Session, principal: Principal, data: SeizureIn, *, shipment_id: int | None = None
) -> Seizure:
    """Record a seizure owned by the principal's agency. Same reference twice is a 409."""
    require_role(principal, "officer")
    country = _country(data.country, "country", data.reference)
    origin = _country(data.origin_country, "origin_country", data.reference)
    route = [_country(c, f"route[{i}]", data.reference) for i, c in enumerate(data.route)]
    parties = [
        {**p.model_dump(), "country": _country(p.country, f"parties[{i}].country", data.reference)}
        for i, p in enumerate(data.parties)
    ]
    if session.scalar(
        select(Seizure.id).where(
            Seizure.owner_agency_id == principal.agency_id, Seizure.reference == data.reference
        )
    ):
        raise Conflict(f"seizure {data.reference!r} already exists for {principal.agency_code}")
    hits = search_substances(session, data.substance, limit=1)
    key = hits[0].substance.key if hits and hits[0].how in ("cas", "exact") else None
    seizure = Seizure(
        owner_agency_id=principal.agency_id,
        reference=data.reference,
        seized_on=data.seized_on,
        country=country,
        place=data.place,
        substance_key=key,
        substance_text=data.substance,
        quantity=data.quantity,
        unit=data.unit,
        mode=data.mode,
        origin_country=origin,
        route=" ".join(route),
        parties=json.dumps(parties, ensure_ascii=False),
        shipment_id=shipment_id,
        notes=data.notes,
        created_by=principal.actor,
        tlp=data.sharing.tlp,
    )
    session.add(seizure)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"seizure {data.reference!r} already exists") from None
    audit.record_by(
        session,
        principal,
        action="seizure.create",
        object_type="seizure",
        object_id=seizure.id,
        detail={"reference": data.reference},
    )
    apply_sharing(session, principal, seizure, data.sharing)
    return seizure


def list_seizures(
    session: Session,
    principal: Principal,
    *,
    country: str | None = None,
    cursor: int | None = None,
    limit: int = 50,
    since: dt.date | None = None,
) -> tuple[list[Seizure], int | None]:
    """Seizures the principal may read, newest id first, paginated by id cursor."""
    stmt = select(Seizure).where(visible(principal, Seizure)).order_by(Seizure.id.desc())
    if country:
        stmt = stmt.where(Seizure.country == country.upper())
    if since:
        stmt = stmt.where(Seizure.seized_on >= since)
    if cursor:
        stmt = stmt.where(Seizure.id < cursor)
    rows, next_cursor = fetch_page(session, stmt, limit)
    audit_list_reads(session, principal, "seizure", rows)
    return rows, next_cursor


def count_seizures(session: Session, principal: Principal) -> int:
    return (
        session.scalar(select(func.count()).select_from(Seizure).where(visible(principal, Seizure)))
        or 0
    )
