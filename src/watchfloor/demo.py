"""The demo scenario: agencies of several countries and kinds, their users, shared seizures.

Loading it twice changes nothing: every object is looked up by its natural key first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchfloor.cooperation import demo as sharing_demo
from watchfloor.cooperation.seizures.models import Seizure
from watchfloor.cooperation.seizures.schemas import SeizureIn
from watchfloor.cooperation.seizures.service import create_seizure
from watchfloor.errors import Conflict
from watchfloor.listings import demo as listings_demo
from watchfloor.security.models import Agency, User
from watchfloor.security.service import (
    create_agency,
    create_user,
    principal_for_user,
)
from watchfloor.sharing.schemas import SharingIn
from watchfloor.shipments import demo as shipments_demo

DEMO_PASSWORD = "watchfloor-demo"

AGENCIES = [
    ("MX-ANAM", "Agencia Nacional de Aduanas de México", "MX", "customs"),
    ("US-CBP", "U.S. Customs and Border Protection", "US", "customs"),
    ("US-USPIS", "U.S. Postal Inspection Service", "US", "postal"),
    ("CN-GACC", "General Administration of Customs of China", "CN", "customs"),
    ("CA-CBSA", "Canada Border Services Agency", "CA", "customs"),
    ("CA-HC", "Health Canada, Office of Controlled Substances", "CA", "health"),
    ("NL-FIOD", "Fiscal Information and Investigation Service", "NL", "police"),
    ("CO-DIAN", "Dirección de Impuestos y Aduanas Nacionales", "CO", "customs"),
    ("CO-FNE", "Fondo Nacional de Estupefacientes", "CO", "regulator"),
    ("US-DEA", "U.S. Drug Enforcement Administration", "US", "police"),
    ("INT-INCB", "International Narcotics Control Board", None, "international"),
    ("PLATFORM-EXAMPLE", "Example Marketplace, Trust and Safety", None, "platform"),
    ("PLATFORM-BAZAAR", "Bazaar Forum, Trust and Safety", None, "platform"),
    ("PLATFORM-PICTURE", "Picture Social, Law Enforcement Response", None, "platform"),
]

# (agency, username suffix, role)
USERS = [
    ("MX-ANAM", "officer", "officer"),
    ("MX-ANAM", "analyst", "analyst"),
    ("MX-ANAM", "admin", "admin"),
    ("US-CBP", "officer", "officer"),
    ("US-CBP", "analyst", "analyst"),
    ("US-CBP", "viewer", "viewer"),
    ("US-CBP", "admin", "admin"),
    ("US-USPIS", "officer", "officer"),
    ("US-DEA", "analyst", "analyst"),
    ("CN-GACC", "officer", "officer"),
    ("CA-CBSA", "officer", "officer"),
    ("CA-HC", "analyst", "analyst"),
    ("NL-FIOD", "officer", "officer"),
    ("CO-DIAN", "officer", "officer"),
    ("CO-FNE", "analyst", "analyst"),
    ("INT-INCB", "analyst", "analyst"),
    ("PLATFORM-EXAMPLE", "analyst", "analyst"),
    ("PLATFORM-BAZAAR", "analyst", "analyst"),
    ("PLATFORM-PICTURE", "analyst", "analyst"),
]

# owner, reference, date, country, place, substance, qty, unit, mode, tlp, recipients, orcon
SEIZURES = [
    (
        "MX-ANAM",
        "ANAM-2026-0412",
        "2026-09-14",
        "MX",
        "Manzanillo",
        "N-phenethyl-4-piperidone",
        250.0,
        "kg",
        "cargo",
        "amber",
        ["US-CBP", "CN-GACC"],
        True,
    ),
    (
        "MX-ANAM",
        "ANAM-2026-0388",
        "2026-08-30",
        "MX",
        "Tijuana",
        "fentanyl",
        12.4,
        "kg",
        "vehicle",
        "green",
        [],
        False,
    ),
    (
        "US-CBP",
        "CBP-SDO-2026-1171",
        "2026-10-03",
        "US",
        "San Diego Field Office",
        "fentanyl",
        18.2,
        "kg",
        "vehicle",
        "amber",
        ["MX-ANAM", "CA-CBSA"],
        False,
    ),
    (
        "US-CBP",
        "CBP-JFK-2026-0093",
        "2026-10-11",
        "US",
        "JFK International Mail Facility",
        "4-ANPP",
        1.2,
        "kg",
        "post",
        "red",
        ["US-USPIS"],
        True,
    ),
    (
        "CA-CBSA",
        "CBSA-YVR-2026-022",
        "2026-07-21",
        "CA",
        "Vancouver",
        "methamphetamine",
        35.0,
        "kg",
        "cargo",
        "clear",
        [],
        False,
    ),
    (
        "NL-FIOD",
        "FIOD-2026-17",
        "2026-06-05",
        "NL",
        "Rotterdam",
        "BMK glycidate",
        900.0,
        "kg",
        "cargo",
        "amber+strict",
        ["INT-INCB"],
        True,
    ),
    (
        "CO-DIAN",
        "DIAN-2026-301",
        "2026-05-19",
        "CO",
        "Cartagena",
        "cocaine",
        1400.0,
        "kg",
        "vessel",
        "green",
        [],
        False,
    ),
    (
        "CN-GACC",
        "GACC-2026-0077",
        "2026-04-02",
        "CN",
        "Shanghai",
        "4-AP",
        60.0,
        "kg",
        "express",
        "amber",
        ["US-CBP", "MX-ANAM", "INT-INCB"],
        False,
    ),
]


@dataclass(frozen=True)
class DemoReport:
    agencies_created: int
    users_created: int
    seizures_created: int
    logins: list[tuple[str, str, str]]  # username, agency, role
    shipments_created: int = 0
    outcomes_recorded: int = 0
    models_trained: list[str] = field(default_factory=list)
    listings_created: int = 0
    notices_created: int = 0
    statistics_created: int = 0
    incidents_created: int = 0
    statistics_countries: int = 0
    parties_taken: int = 0
    clusters_found: int = 0
    observations_imported: int = 0
    interventions_recorded: int = 0
    warnings_raised: int = 0


def _resolve_once(session: Session, actor: str) -> int:
    """The first entity resolution over the demo's parties, so that its clusters and
    networks are there to explore (and the worker places later parties in them); a second
    load leaves the clusters as they are. Returns the clusters found, 0 when none was run."""
    from watchfloor.entities import clusters
    from watchfloor.entities.models import ResolutionRun

    if session.scalar(select(ResolutionRun.id).limit(1)) is not None:
        return 0
    try:
        return clusters.resolve(session, actor=actor).clusters
    except Conflict:  # fewer than two parties (a demo loaded without its records)
        return 0


def username(agency: str, suffix: str) -> str:
    return f"{agency.lower().replace('platform-', 'platform.').replace('-', '.')}.{suffix}"


STEPS = (
    "agencies and users",
    "seizures",
    "seizure statistics",
    "shipments and risk models",
    "listings and notices",
    "parties",
    "entity resolution",
    "early warnings",
)  # what load_demo tells ``progress`` as it starts each part, in this order


def load_demo(
    session: Session,
    *,
    actor: str = "cli:demo",
    with_shipments: bool = True,
    with_listings: bool = True,
    with_statistics: bool = True,
    progress: Callable[[str], None] | None = None,
) -> DemoReport:
    """Load what is missing of the demo (a second load adds nothing); ``progress`` is told
    each of :data:`STEPS` as it starts (a part left out is still told, and skipped)."""
    step = progress or (lambda _: None)
    step(STEPS[0])
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    created_agencies = created_users = created_seizures = 0
    for code, name, country, kind in AGENCIES:
        if code not in agencies:
            agencies[code] = create_agency(
                session, code=code, name=name, country=country, kind=kind, actor=actor
            )
            created_agencies += 1
    users = {u.username: u for u in session.scalars(select(User))}
    logins = []
    for code, suffix, role in USERS:
        name = username(code, suffix)
        if name not in users:
            users[name] = create_user(
                session,
                agency=agencies[code],
                username=name,
                password=DEMO_PASSWORD,
                role=role,
                actor=actor,
                demo=True,
                display_name=f"{code} {suffix}",
            )
            created_users += 1
        logins.append((name, code, role))
    officers = {u.agency.code: u for u in users.values() if u.role in ("officer", "admin")}
    step(STEPS[1])
    for (
        owner,
        ref,
        day,
        country,
        place,
        substance,
        qty,
        unit,
        mode,
        tlp,
        recipients,
        orcon,
    ) in SEIZURES:
        exists = session.scalar(
            select(Seizure.id).where(
                Seizure.owner_agency_id == agencies[owner].id, Seizure.reference == ref
            )
        )
        if exists:
            continue
        principal = principal_for_user(officers[owner])
        create_seizure(
            session,
            principal,
            SeizureIn(
                reference=ref,
                seized_on=dt.date.fromisoformat(day),
                country=country,
                place=place,
                substance=substance,
                quantity=qty,
                unit=unit,
                mode=mode,
                sharing=SharingIn(tlp=tlp, recipients=recipients, originator_control=orcon),
            ),
        )
        created_seizures += 1
    step(STEPS[2])
    statistics = sharing_demo.load(session, agencies, actor=actor) if with_statistics else None
    step(STEPS[3])
    shipments = shipments_demo.load(session, agencies) if with_shipments else None
    step(STEPS[4])
    listings = listings_demo.load(session, agencies) if with_listings else 0
    notices = listings_demo.load_notices(session, agencies) if with_listings else 0
    if statistics:
        created_agencies += statistics.agencies_created
    from watchfloor.entities import extract
    from watchfloor.warning import demo as warning_demo

    step(STEPS[5])
    parties = sum(extract.sync(session).values())  # the parties of everything loaded above
    step(STEPS[6])
    found = _resolve_once(session, actor)
    step(STEPS[7])
    warned = warning_demo.load(session, agencies) if with_statistics else None
    return DemoReport(
        created_agencies,
        created_users,
        created_seizures,
        logins,
        shipments.shipments if shipments else 0,
        shipments.outcomes if shipments else 0,
        shipments.models if shipments else [],
        listings,
        notices,
        statistics.seizures if statistics else 0,
        statistics.incidents if statistics else 0,
        statistics.countries if statistics else 0,
        parties,
        found,
        warned.observations if warned else 0,
        warned.interventions if warned else 0,
        warned.warnings if warned else 0,
    )
