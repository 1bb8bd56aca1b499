"""Reading shipments, targeting within an office's capacity, holds and inspection outcomes.

Shipments are the owner agency's own records: another agency gets 404, as if they did not
exist. What an inspection finds becomes a Seizure (shareable under the cooperation rules)
and a label for the learnt model.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.alerts import service as alerts
from watchfloor.cooperation.seizures import Seizure, SeizureIn, SeizurePartyIn, create_seizure
from watchfloor.cooperation.watchlists import WatchlistEntry
from watchfloor.db import fetch_page, utcnow
from watchfloor.errors import Conflict, FieldProblem, Invalid, NotFound
from watchfloor.security import Agency, Office, Principal, require_role
from watchfloor.sharing import Shareable, SharingIn, read_record
from watchfloor.shipments import model as risk_model
from watchfloor.shipments import scoring
from watchfloor.shipments.models import Outcome, RiskAssessment, RiskModel, Shipment
from watchfloor.shipments.schemas import (
    ItemOut,
    OfficeIn,
    OfficeOut,
    OutcomeIn,
    OutcomeOut,
    PartyOut,
    ReasonOut,
    ShipmentOut,
    ShipmentPage,
    ShipmentSummary,
    Target,
    TargetList,
)


def get_shipment(session: Session, principal: Principal, shipment_id: int) -> Shipment:
    shipment = session.get(Shipment, shipment_id)
    if shipment is None or shipment.owner_agency_id != principal.agency_id:
        raise NotFound(f"shipment {shipment_id} not found")
    return shipment


# a reason's evidence names the shared record it rests on by one of these keys
QUOTED: dict[str, type[Shareable]] = {"seizure_id": Seizure, "watchlist_entry_id": WatchlistEntry}


def shown_reasons(session: Session, reader: Principal, raw: str | None) -> list[dict[str, Any]]:
    """A shipment's stored reasons as ``reader`` may see them now: a reason resting on
    another agency's seizure or watchlist entry is shown only while ``reader`` may read that
    record (the read is audited like a read by id); once it was revoked, narrowed or
    expired, the reason keeps its points and says only that a record no longer shared
    matched, naming nothing of it."""
    out = []
    for reason in json.loads(raw or "[]"):
        evidence = reason.get("evidence") or {}
        quoted = [(QUOTED[k], v) for k, v in evidence.items() if k in QUOTED]
        for model, record_id in quoted:
            try:
                read_record(session, reader, model, record_id, via="score reason")
            except NotFound:
                role = evidence.get("role", "a party")
                reason = {
                    **reason,
                    "text": f"{role} matches a record that is no longer shared with your agency",
                    "evidence": {"role": role, "source": evidence.get("source"), "withdrawn": True},
                }
                break
        out.append(reason)
    return out


def shipment_out(shipment: Shipment, session: Session, reader: Principal) -> ShipmentOut:
    def party(prefix: str) -> PartyOut:
        return PartyOut(
            name=getattr(shipment, f"{prefix}_name"),
            address=getattr(shipment, f"{prefix}_address"),
            country=getattr(shipment, f"{prefix}_country"),
            phone=getattr(shipment, f"{prefix}_phone"),
            email=getattr(shipment, f"{prefix}_email"),
        )

    return ShipmentOut(
        id=shipment.id,
        agency=shipment.owner.code,
        reference=shipment.reference,
        mode=shipment.mode,
        declared_at=shipment.declared_at,
        arrival_at=shipment.arrival_at,
        origin_country=shipment.origin_country,
        transit_countries=shipment.transit_countries.split(),
        destination_country=shipment.destination_country,
        office=shipment.office.code if shipment.office else None,
        carrier=shipment.carrier,
        sender=party("sender"),
        consignee=party("consignee"),
        declared_value=shipment.declared_value,
        currency=shipment.currency,
        gross_weight_kg=shipment.gross_weight_kg,
        items=[ItemOut.model_validate(i) for i in shipment.items],
        status=shipment.status,
        score=shipment.score,
        probability=shipment.probability,
        reasons=[ReasonOut(**r) for r in shown_reasons(session, reader, shipment.reasons)],
        received_at=shipment.received_at,
    )


def summary(s: Shipment) -> ShipmentSummary:
    return ShipmentSummary(
        id=s.id,
        reference=s.reference,
        mode=s.mode,
        origin_country=s.origin_country,
        destination_country=s.destination_country,
        office=s.office.code if s.office else None,
        sender_name=s.sender_name,
        consignee_name=s.consignee_name,
        item_count=s.item_count,
        score=s.score,
        band=scoring.band_of(s.score),
        probability=s.probability,
        status=s.status,
        received_at=s.received_at,
        arrival_on=s.arrival_on,
    )


def list_shipments(
    session: Session,
    principal: Principal,
    *,
    cursor: int | None = None,
    after: int | None = None,
    min_score: int | None = None,
    status: str | None = None,
    limit: int = 50,
) -> ShipmentPage:
    """Newest first; ``after`` gives only shipments newer than that id (the live queue)."""
    stmt = select(Shipment).where(Shipment.owner_agency_id == principal.agency_id)
    if cursor is not None:
        stmt = stmt.where(Shipment.id < cursor)
    if after is not None:
        stmt = stmt.where(Shipment.id > after)
    if min_score is not None:
        stmt = stmt.where(Shipment.score >= min_score)
    if status is not None:
        stmt = stmt.where(Shipment.status == status)
    rows, next_cursor = fetch_page(session, stmt.order_by(Shipment.id.desc()), limit)
    return ShipmentPage(items=[summary(s) for s in rows], next_cursor=next_cursor)


# --- offices --------------------------------------------------------------------------------


def list_offices(session: Session, principal: Principal) -> list[OfficeOut]:
    rows = session.scalars(
        select(Office).where(Office.agency_id == principal.agency_id).order_by(Office.code)
    )
    return [OfficeOut.model_validate(o) for o in rows]


def get_office(session: Session, principal: Principal, code: str) -> Office:
    office = session.scalar(
        select(Office).where(Office.agency_id == principal.agency_id, Office.code == code)
    )
    if office is None:
        raise NotFound(f"office {code!r} of {principal.agency_code} not found")
    return office


def save_office(session: Session, principal: Principal, data: OfficeIn) -> Office:
    """Create an office or change its name, capacity or alert threshold (admins only)."""
    require_role(principal, "admin")
    office = session.scalar(
        select(Office).where(Office.agency_id == principal.agency_id, Office.code == data.code)
    )
    if office is None:
        office = Office(agency_id=principal.agency_id, code=data.code)
        session.add(office)
    office.name = data.name
    office.country = data.country
    office.daily_capacity = data.daily_capacity
    office.alert_threshold = data.alert_threshold
    session.flush()
    audit.record_by(
        session,
        principal,
        action="office.save",
        object_type="office",
        object_id=str(office.id),
        detail=data.model_dump(),
    )
    return office


# --- targeting ------------------------------------------------------------------------------


def targets(session: Session, principal: Principal, office_code: str, day: dt.date) -> TargetList:
    """The office's shipments arriving on ``day`` to inspect, highest score first (a model
    that scores the agency's shipments adds its points to the score), as many as its daily
    capacity. A shipment that no rule or model gave a point is no target: what capacity is
    left is the office's to use for random checks. Only a model's calibrated probability is
    shown as a chance of a find, and expected finds only while every target above has one."""
    office = get_office(session, principal, office_code)
    base = select(Shipment).where(
        Shipment.owner_agency_id == principal.agency_id,
        Shipment.office_id == office.id,
        Shipment.arrival_on == day,
        Shipment.status != "inspected",
        (Shipment.score > 0) | (func.coalesce(Shipment.probability, 0.0) > 0),
    )
    rows = session.scalars(
        base.order_by(
            Shipment.score.desc(), func.coalesce(Shipment.probability, 0.0).desc(), Shipment.id
        ).limit(office.daily_capacity)
    ).all()
    arriving = session.scalar(
        select(func.count())
        .select_from(Shipment)
        .where(
            Shipment.owner_agency_id == principal.agency_id,
            Shipment.office_id == office.id,
            Shipment.arrival_on == day,
        )
    )
    items: list[Target] = []
    total: float | None = 0.0
    for rank, s in enumerate(rows, start=1):
        total = None if total is None or s.probability is None else total + s.probability
        reasons = shown_reasons(session, principal, s.reasons)
        items.append(
            Target(
                rank=rank,
                score=s.score,
                band=scoring.band_of(s.score),
                probability=None if s.probability is None else round(s.probability, 4),
                expected_finds=None if total is None else round(total, 3),
                shipment=summary(s),
                top_reason=reasons[0]["text"] if reasons else None,
            )
        )
    return TargetList(
        office=office.code,
        date=day,
        capacity=office.daily_capacity,
        arriving=arriving or 0,
        targets=items,
    )


# --- holds and outcomes ---------------------------------------------------------------------


def hold(session: Session, principal: Principal, shipment_id: int, reason: str) -> Shipment:
    require_role(principal, "officer")
    shipment = get_shipment(session, principal, shipment_id)
    if shipment.status == "inspected":
        raise Conflict(f"shipment {shipment.reference} has already been inspected")
    shipment.status = "held"
    shipment.updated_at = utcnow()
    audit.record_by(
        session,
        principal,
        action="shipment.hold",
        object_type="shipment",
        object_id=str(shipment.id),
        detail={"reference": shipment.reference, "reason": reason, "score": shipment.score},
    )
    return shipment


def record_outcome(
    session: Session, principal: Principal, shipment_id: int, data: OutcomeIn
) -> Outcome:
    """Record what an inspection found; a seizure also becomes a shareable Seizure record."""
    require_role(principal, "officer")
    shipment = get_shipment(session, principal, shipment_id)
    if data.result == "seized" and not (data.substance and data.quantity is not None):
        problems = [
            FieldProblem(f, "required when result is 'seized'", shipment.reference)
            for f, v in (("substance", data.substance), ("quantity", data.quantity))
            if not v and v != 0
        ]
        raise Invalid("a seizure needs the substance and quantity found", problems)
    seizure_id = None
    if data.result == "seized":
        agency = session.get(Agency, principal.agency_id)
        country = (shipment.office.country if shipment.office else None) or (
            agency.country if agency and agency.country else shipment.destination_country
        )
        parties = [
            SeizurePartyIn(
                role=role,
                name=getattr(shipment, f"{role}_name"),
                country=getattr(shipment, f"{role}_country"),
                address=getattr(shipment, f"{role}_address"),
                phone=getattr(shipment, f"{role}_phone"),
                email=getattr(shipment, f"{role}_email"),
            )
            for role in ("sender", "consignee")
        ]
        seizure = create_seizure(
            session,
            principal,
            SeizureIn(
                reference=f"{shipment.reference}-SZ{_outcome_count(session, shipment.id) + 1}",
                seized_on=dt.datetime.now(dt.UTC).date(),
                country=country,
                place=shipment.office.name if shipment.office else None,
                substance=data.substance or "",
                quantity=data.quantity or 0.0,
                unit=data.unit or "kg",
                mode=shipment.mode,
                origin_country=shipment.origin_country,
                route=shipment.transit_countries.split(),
                parties=parties,
                notes=data.notes,
                sharing=data.sharing or SharingIn(),
            ),
            shipment_id=shipment.id,
        )
        seizure_id = seizure.id
    outcome = Outcome(
        shipment_id=shipment.id,
        result=data.result,
        substance_text=data.substance,
        quantity=data.quantity,
        unit=data.unit,
        notes=data.notes,
        seizure_id=seizure_id,
        recorded_by=principal.actor,
        score_at_inspection=shipment.score,
    )
    session.add(outcome)
    shipment.status = "inspected"
    shipment.updated_at = utcnow()
    alerts.close_alerts(
        session,
        object_type="shipment",
        object_ids=[shipment.id],
        reason=f"inspected: {data.result}",
        actor=principal.actor,
        agency=principal.agency_code,
    )
    session.flush()
    audit.record_by(
        session,
        principal,
        action="shipment.outcome",
        object_type="shipment",
        object_id=str(shipment.id),
        detail={
            "reference": shipment.reference,
            "result": data.result,
            "seizure_id": seizure_id,
            "score": shipment.score,
        },
    )
    scoring.invalidate()
    return outcome


def _outcome_count(session: Session, shipment_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Outcome).where(Outcome.shipment_id == shipment_id)
        )
        or 0
    )


def outcome_out(o: Outcome) -> OutcomeOut:
    return OutcomeOut.model_validate(o)


# --- the learnt model -----------------------------------------------------------------------


def train_model(session: Session, principal: Principal, *, seed: int = 0) -> RiskModel:
    require_role(principal, "admin")
    config = scoring.shipped_config()["model"]
    row = risk_model.train(
        session,
        principal.agency_id,
        actor=principal.actor,
        min_outcomes=config["min_outcomes"],
        min_positive=config["min_positive"],
        seed=seed,
    )
    audit.record_by(
        session,
        principal,
        action="model.train",
        object_type="risk_model",
        object_id=row.version,
        detail={"outcomes": row.n_outcomes, "metrics": json.loads(row.metrics)},
    )
    scoring.invalidate()
    return row


def outcomes_since_last_model(session: Session, agency_id: int) -> int:
    last = session.scalar(
        select(func.max(RiskModel.trained_at)).where(RiskModel.agency_id == agency_id)
    )
    stmt = (
        select(func.count())
        .select_from(Outcome)
        .join(Shipment, Shipment.id == Outcome.shipment_id)
        .where(Shipment.owner_agency_id == agency_id)
    )
    if last is not None:
        stmt = stmt.where(Outcome.recorded_at > last)
    return session.scalar(stmt) or 0


def retrain_due(session: Session, agency_id: int) -> bool:
    config = scoring.shipped_config()["model"]
    has_model = session.scalar(select(func.count()).where(RiskModel.agency_id == agency_id))
    need = config["retrain_every"] if has_model else config["min_outcomes"]
    return outcomes_since_last_model(session, agency_id) >= need


def use_model(
    session: Session, principal: Principal, version: str | None, reason: str
) -> RiskModel | None:
    """An admin's choice of what scores the agency's shipments: one version of its model
    (whatever its held-out comparison with the rules said), or, with ``version`` None, the
    rules alone. Every other version stops scoring; the choice and its reason are audited."""
    require_role(principal, "admin")
    if not reason.strip():
        raise Invalid(
            "choosing what scores shipments needs a reason",
            [FieldProblem("reason", "required")],
        )
    rows = models(session, principal)
    chosen = next((m for m in rows if m.version == version), None)
    if version is not None and chosen is None:
        raise NotFound(f"your agency has no model version {version!r}")
    before = scoring_version(rows)
    for m in rows:
        m.active = m is chosen
    audit.record_by(
        session,
        principal,
        action="model.use",
        object_type="risk_model",
        object_id=version or "rules",
        detail={"before": before or "rules", "reason": reason.strip()},
    )
    session.flush()
    scoring.invalidate()
    return chosen


def scoring_version(rows: list[RiskModel]) -> str | None:
    """Of an agency's versions, newest first (as :func:`models` gives them), the one that
    scores its shipments: the newest active one, as the scorer loads it."""
    return next((m.version for m in rows if m.active), None)


def models(session: Session, principal: Principal) -> list[RiskModel]:
    return list(
        session.scalars(
            select(RiskModel)
            .where(RiskModel.agency_id == principal.agency_id)
            .order_by(RiskModel.id.desc())
        )
    )


def assessments(session: Session, principal: Principal, shipment_id: int) -> list[RiskAssessment]:
    """Every scoring of the shipment, newest first."""
    get_shipment(session, principal, shipment_id)
    return list(
        session.scalars(
            select(RiskAssessment)
            .where(RiskAssessment.shipment_id == shipment_id)
            .order_by(RiskAssessment.id.desc())
        )
    )


def outcomes(session: Session, principal: Principal, shipment_id: int) -> list[Outcome]:
    get_shipment(session, principal, shipment_id)
    return list(
        session.scalars(
            select(Outcome).where(Outcome.shipment_id == shipment_id).order_by(Outcome.id)
        )
    )


def precision_at_capacity(
    session: Session, principal: Principal, *, days: int = 60
) -> list[dict[str, Any]]:
    """Per arrival day: of the shipments that ranked within their office's capacity and were
    inspected, the share that led to a seizure; and the day's finds."""
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days)
    capacity: dict[int | None, int] = {
        o.id: o.daily_capacity
        for o in session.scalars(select(Office).where(Office.agency_id == principal.agency_id))
    }
    rows = session.execute(
        select(Shipment.id, Shipment.office_id, Shipment.arrival_on, Shipment.score)
        .where(Shipment.owner_agency_id == principal.agency_id, Shipment.arrival_on >= since)
        .order_by(Shipment.arrival_on, Shipment.office_id, Shipment.score.desc(), Shipment.id)
    ).all()
    results = dict(
        session.execute(
            select(Outcome.shipment_id, Outcome.result)
            .join(Shipment, Shipment.id == Outcome.shipment_id)
            .where(Shipment.owner_agency_id == principal.agency_id, Shipment.arrival_on >= since)
        ).all()
    )
    per_day: dict[dt.date, dict[str, int]] = {}
    rank: dict[tuple[int | None, dt.date], int] = {}
    for sid, office_id, day, _score in rows:
        key = (office_id, day)
        rank[key] = rank.get(key, 0) + 1
        stats = per_day.setdefault(day, {"inspected": 0, "seized": 0, "finds": 0})
        result = results.get(sid)
        if result == "seized":
            stats["finds"] += 1
        if result is not None and rank[key] <= capacity.get(office_id, 0):
            stats["inspected"] += 1
            stats["seized"] += result == "seized"
    return [
        {
            "day": day.isoformat(),
            "inspected": s["inspected"],
            "seized": s["seized"],
            "finds": s["finds"],
            "precision": round(s["seized"] / s["inspected"], 4) if s["inspected"] else None,
        }
        for day, s in sorted(per_day.items())
        if s["inspected"] or s["finds"]
    ]
