"""The shipments part of the demo: offices, the shipped sanctions subset, earlier seizures
with their parties, generated advance data for US-CBP and MX-ANAM, inspections of the best
targets of past days (their outcomes come from the generator's ground truth) and a first
version of the learnt model. Loading it again changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchfloor.cooperation import demo as sharing_demo
from watchfloor.cooperation.seizures import Seizure, SeizureIn, create_seizure
from watchfloor.db import analyze
from watchfloor.errors import WatchfloorError
from watchfloor.reference import SanctionsLoad, load_sdn
from watchfloor.security import Agency, Office, system_principal
from watchfloor.sharing import SharingIn
from watchfloor.shipments import intake, scoring
from watchfloor.shipments.generator import ShipmentGenerator, Truth
from watchfloor.shipments.models import Outcome, RiskModel, Shipment
from watchfloor.shipments.schemas import OutcomeIn
from watchfloor.shipments.service import record_outcome, train_model

# agency, code, name, country, daily capacity, alert threshold
OFFICES = [
    ("US-CBP", "JFK-IMF", "JFK International Mail Facility", "US", 12, 45),
    ("US-CBP", "ORD-IMF", "Chicago International Mail Facility", "US", 8, 45),
    ("US-CBP", "CVG-EXP", "Cincinnati express consignment hub", "US", 8, 50),
    ("MX-ANAM", "AICM", "Aduana del Aeropuerto Internacional de la Ciudad de México", "MX", 8, 45),
    ("MX-ANAM", "MZO", "Aduana de Manzanillo", "MX", 6, 45),
    ("CA-CBSA", "YVR-MPC", "Vancouver Mail Processing Centre", "CA", 6, 45),
]
# agency, destination, how many, seed
SCENARIOS = [("US-CBP", "US", 2400, 2026), ("MX-ANAM", "MX", 800, 52)]
RISKY_SHARE = 0.02  # richer than real traffic, so that a demo day shows finds
SEIZURES = 30  # earlier seizures of each scenario, whose parties its shipments name


@dataclass
class ShipmentsDemo:
    offices: int = 0
    shipments: int = 0
    outcomes: int = 0
    models: list[str] = field(default_factory=list)
    watchlist: int = 0


TABLES = ("shipments", "shipment_items", "risk_assessments", "inspection_outcomes", "seizures")


def ensure_sanctions(session: Session) -> None:
    if session.scalar(select(func.count()).select_from(SanctionsLoad)):
        return
    folder = Path(str(resources.files("watchfloor.reference").joinpath("data", "sanctions")))
    load_sdn(session, folder, actor="cli:demo")


def load(session: Session, agencies: dict[str, Agency]) -> ShipmentsDemo:
    report = ShipmentsDemo()
    ensure_sanctions(session)
    for code, office_code, name, country, capacity, threshold in OFFICES:
        agency = agencies[code]
        exists = session.scalar(
            select(Office.id).where(Office.agency_id == agency.id, Office.code == office_code)
        )
        if not exists:
            session.add(
                Office(
                    agency_id=agency.id,
                    code=office_code,
                    name=name,
                    country=country,
                    daily_capacity=capacity,
                    alert_threshold=threshold,
                )
            )
            report.offices += 1
    session.flush()
    analyze(session, *TABLES)  # an earlier load may have left them unanalysed
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for code, destination, n, seed in SCENARIOS:
        agency = agencies[code]
        prefix = f"{code.split('-')[1]}-{seed}"
        if _loaded(session, agency, prefix, n):
            continue  # an earlier load stored, inspected and learnt from this scenario
        principal = system_principal(agency)
        offices = tuple(session.scalars(select(Office.code).where(Office.agency_id == agency.id)))
        gen = ShipmentGenerator(
            seed,
            destination=destination,
            agency=code,
            offices=offices,
            risky_share=RISKY_SHARE,
            lookalike_share=RISKY_SHARE,
            start=today - dt.timedelta(days=14),
            days=16,
            prefix=prefix,
            consignees=n // 2,
            senders=60,
        )
        for data in gen.seizures(SEIZURES):
            exists = session.scalar(
                select(Seizure.id).where(
                    Seizure.owner_agency_id == agency.id, Seizure.reference == data["reference"]
                )
            )
            if not exists:
                create_seizure(
                    session, principal, SeizureIn(**data, sharing=SharingIn(tlp="amber"))
                )
        session.flush()
        scoring.invalidate()
        pairs = gen.take(n)
        if code == "US-CBP":  # another agency watches parties that these shipments name
            senders = {r["sender"].get("email") for r, _ in pairs}
            parties = sorted(gen.seizure_parties, key=lambda p: p.email not in senders)
            report.watchlist = sharing_demo.load_watchlist(session, agencies, parties)
        result = intake.submit(session, principal, [r for r, _ in pairs], source="demo")
        analyze(session, *TABLES)
        report.shipments += sum(1 for r in result.results if r.status == "created")
        truth = {t.reference: t for _, t in pairs}
        report.outcomes += _inspect_past_days(session, principal, truth, today)
        if not _has_model(session, agency.id):
            with contextlib.suppress(WatchfloorError):  # too few outcomes for this scenario
                report.models.append(train_model(session, principal).version)
    return report


def _loaded(session: Session, agency: Agency, prefix: str, n: int) -> bool:
    """Whether a scenario's shipments, its seizures, inspections and model are all stored
    (the generator's references are ``{prefix}-{i:09d}``, its seizures' ``{prefix}-SZ-…``)."""
    shipments = session.scalar(
        select(func.count()).where(
            Shipment.owner_agency_id == agency.id, Shipment.reference.like(f"{prefix}-0%")
        )
    )
    seizures = session.scalar(
        select(func.count()).where(
            Seizure.owner_agency_id == agency.id, Seizure.reference.like(f"{prefix}-SZ-%")
        )
    )
    return (
        (shipments or 0) >= n
        and (seizures or 0) >= SEIZURES
        and _inspected(session, agency.id)
        and _has_model(session, agency.id)
    )


def _inspected(session: Session, agency_id: int) -> bool:
    """Whether any of the agency's shipments has a recorded inspection."""
    return bool(
        session.scalar(
            select(func.count())
            .select_from(Outcome)
            .join(Shipment, Shipment.id == Outcome.shipment_id)
            .where(Shipment.owner_agency_id == agency_id)
        )
    )


def _has_model(session: Session, agency_id: int) -> bool:
    return bool(session.scalar(select(func.count()).where(RiskModel.agency_id == agency_id)))


def _inspect_past_days(session: Session, principal, truth: dict[str, Truth], today) -> int:
    """Each past day, every office opens its best targets plus a few at random; what they
    find is what the generator planted."""
    import random

    rng = random.Random(7)
    done = 0
    if _inspected(session, principal.agency_id):
        return 0  # the demo's inspections were recorded by an earlier load
    rows = session.execute(
        select(
            Shipment.id, Shipment.reference, Shipment.office_id, Shipment.arrival_on, Shipment.score
        )
        .where(Shipment.owner_agency_id == principal.agency_id, Shipment.arrival_on < today.date())
        .order_by(Shipment.arrival_on, Shipment.score.desc(), Shipment.id)
    ).all()
    capacity: dict[int | None, int] = {
        o.id: o.daily_capacity for o in session.scalars(select(Office))
    }
    taken: dict[tuple[int | None, dt.date], int] = {}
    for sid, ref, office_id, day, _score in rows:
        key = (office_id, day)
        lucky = rng.random() < 0.06
        if ref not in truth or not (taken.get(key, 0) < capacity.get(office_id, 0) or lucky):
            continue
        taken[key] = taken.get(key, 0) + 1
        t = truth[ref]
        if t.risky:
            outcome = OutcomeIn(
                result="seized",
                substance=_found(t),
                quantity=round(rng.uniform(0.05, 3.0), 2),
                unit="kg",
                notes=f"demo: planted case ({t.kind})",
                sharing=SharingIn(tlp="amber"),
            )
        else:
            outcome = OutcomeIn(result="clean" if rng.random() < 0.9 else "discrepancy")
        record_outcome(session, principal, sid, outcome)
        done += 1
    return done


def _found(t: Truth) -> str:
    """What the inspection of a planted case finds."""
    if t.kind.startswith(("precursor", "drug")):
        return t.detail
    if t.kind == "chemical_hs_benign_description":
        return t.detail.split(" declared")[0]
    return "fentanyl"
