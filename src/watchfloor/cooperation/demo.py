"""The demo's seizure statistics and precursor incidents.

Public statistics, loaded through the same intake as any import: the UNODC seizures
2018-2022 of 27 countries, each owned by an agency of that country with a mix of TLP levels,
and CBP's monthly nationwide seizures owned by US-CBP (``data/seizure_demo.toml`` names the
sources; ``scripts/build_seizure_demo.py`` built the files). The incidents are invented for
the demo, in the shape of INCB PICS reports, about real precursors.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy.orm import Session

from watchfloor.bulk import open_data
from watchfloor.cooperation import intake
from watchfloor.cooperation.seizures.files import read_seizures_csv
from watchfloor.security import Agency, create_agency, system_principal

BATCH = 4000


@dataclass
class StatisticsDemo:
    countries: int = 0
    agencies_created: int = 0
    seizures: int = 0
    incidents: int = 0
    notifications: int = 0


def _data(name: str) -> Any:
    return resources.files("watchfloor.cooperation").joinpath("data", name)


def load(
    session: Session, agencies: dict[str, Agency], *, actor: str = "cli:demo"
) -> StatisticsDemo:
    """Load (or, run again, leave as they are) the statistics and incidents."""
    import pycountry

    report = StatisticsDemo()
    config = tomllib.loads(_data("seizure_demo.toml").read_text(encoding="utf-8"))
    for c in config["countries"]:
        if c["code"] not in agencies:
            found = pycountry.countries.get(alpha_3=c["iso3"])
            if found is None:
                raise ValueError(f"seizure_demo.toml: {c['iso3']!r} is no ISO 3166 alpha-3 code")
            country = found.alpha_2
            agencies[c["code"]] = create_agency(
                session,
                code=c["code"],
                name=c["name"],
                country=country,
                kind=c["kind"],
                actor=actor,
            )
            report.agencies_created += 1
    report.countries = len(config["countries"]) + 1  # and the US, by CBP's figures
    for name in ("seizures_unodc.csv.gz", "seizures_cbp.csv.gz"):
        by_agency: dict[str, list[dict[str, Any]]] = defaultdict(list)
        with resources.as_file(_data(name)) as path, open_data(path) as (fh, _):
            for record in read_seizures_csv(fh):
                row = record.data
                by_agency[row.pop("agency")].append(row)
        for code, rows in sorted(by_agency.items()):
            principal = system_principal(agencies[code])
            for start in range(0, len(rows), BATCH):
                result = intake.submit(
                    session, principal, rows[start : start + BATCH], source="demo"
                )
                report.seizures += sum(1 for r in result.results if r.status == "created")
                bad = [r for r in result.results if r.status == "rejected"]
                if bad:  # the shipped files are built to pass: a rejection is a bug
                    raise RuntimeError(f"{name}: {bad[0].reference}: {bad[0].errors}")
    report.notifications = load_notifications(session, agencies)
    for code, rows in _incidents().items():
        result = intake.submit(
            session, system_principal(agencies[code]), rows, intake.INCIDENTS, source="demo"
        )
        report.incidents += sum(1 for r in result.results if r.status == "created")
    return report


def _incidents() -> dict[str, list[dict[str, Any]]]:
    """Invented incidents, dated from today so that the demo stays current."""
    today = dt.datetime.now(dt.UTC).date()

    def day(n: int) -> str:
        return (today - dt.timedelta(days=n)).isoformat()

    na = {"tlp": "amber", "communities": ["NA-PRECURSORS"]}
    return {
        "MX-ANAM": [
            {
                "reference": "ANAM-PICS-0001",
                "kind": "stopped_shipment",
                "occurred_on": day(12),
                "country": "MX",
                "place": "Manzanillo",
                "description": "Container declared as 'industrial solvent'; the consignee's "
                "address is a vacant lot. Stopped at import.",
                "chemicals": [
                    {"substance": "4-piperidone", "quantity": 500, "unit": "kg"},
                    {"substance": "1-boc-4-piperidone", "quantity": 120, "unit": "kg"},
                ],
                "mode": "cargo",
                "origin_country": "CN",
                "destination_country": "MX",
                "sharing": na,
            },
            {
                "reference": "ANAM-PICS-0002",
                "kind": "illicit_laboratory",
                "occurred_on": day(30),
                "country": "MX",
                "place": "Culiacán, Sinaloa",
                "description": "Synthesis laboratory dismantled with the army; reactors, "
                "a pill press and precursor drums found.",
                "chemicals": [
                    {"substance": "N-phenethyl-4-piperidone", "quantity": 80, "unit": "kg"},
                    {"substance": "aniline", "quantity": 200, "unit": "l"},
                ],
                "sharing": {"tlp": "amber", "recipients": ["US-CBP", "INT-INCB"]},
            },
        ],
        "CA-CBSA": [
            {
                "reference": "CBSA-PICS-0001",
                "kind": "suspicious_shipment",
                "occurred_on": day(5),
                "country": "CA",
                "place": "Vancouver",
                "description": "Express parcel of 'hair dye' with a fresh CAS label; "
                "importer unknown to Health Canada.",
                "chemicals": [{"substance": "4-anilinopiperidine", "quantity": 2, "unit": "kg"}],
                "mode": "express",
                "origin_country": "HK",
                "destination_country": "CA",
                "sharing": na,
            }
        ],
        "NL-FIOD": [
            {
                "reference": "FIOD-PICS-0001",
                "kind": "illicit_laboratory",
                "occurred_on": day(20),
                "country": "NL",
                "place": "Noord-Brabant",
                "description": "MDMA laboratory in a barn; BMK and PMK glycidate drums.",
                "chemicals": [
                    {"substance": "PMK glycidate", "quantity": 300, "unit": "kg"},
                    {"substance": "BMK glycidate", "quantity": 150, "unit": "kg"},
                ],
                "sharing": {"tlp": "green"},
            }
        ],
        "CO-DIAN": [
            {
                "reference": "DIAN-PICS-0001",
                "kind": "diversion_attempt",
                "occurred_on": day(9),
                "country": "CO",
                "place": "Buenaventura",
                "description": "Order of potassium permanganate by a paint company that "
                "had never imported it; licence papers forged.",
                "chemicals": [{"substance": "potassium permanganate", "quantity": 2, "unit": "t"}],
                "mode": "cargo",
                "sharing": {"tlp": "amber", "communities": ["ANDEAN-COCAINE"]},
            }
        ],
        "US-CBP": [
            {
                "reference": "CBP-PICS-0001",
                "kind": "equipment",
                "occurred_on": day(3),
                "country": "US",
                "place": "Louisville, KY (express hub)",
                "description": "Tablet press parts declared as 'machine parts'; die "
                "stamped with an 'M 30' imprint.",
                "chemicals": [{"substance": "fentanyl"}],
                "mode": "express",
                "origin_country": "CN",
                "destination_country": "US",
                "sharing": {"tlp": "red"},
            }
        ],
    }


def load_watchlist(session: Session, agencies: dict[str, Agency], parties: list[Any]) -> int:
    """CA-CBSA watches the e-mails and a name of parties that the US scenario's seizures and
    seizure-linked senders use (``parties``: the generator's identities), so that US-CBP's
    intake hits them: two entries shared with the North America group, one TLP:RED (CBSA
    alone reads it; US-CBP learns nothing, CBSA learns of the hit)."""
    na = {"tlp": "amber", "communities": ["NA-PRECURSORS"]}
    reason = "consignor of precursor parcels stopped at Vancouver in 2026"
    rows = [
        {
            "reference": f"CBSA-WL-{i + 1:04d}",
            "kind": kind,
            "value": getattr(p, kind if kind != "name" else "name"),
            "label": p.name,
            "reason": reason,
            "sharing": sharing,
        }
        for i, (p, kind, sharing) in enumerate(
            [
                (parties[0], "email", na),
                (parties[1], "email", na),
                (parties[2], "email", {"tlp": "red"}),
                (parties[3], "name", na),
            ]
        )
    ]
    result = intake.submit(
        session, system_principal(agencies["CA-CBSA"]), rows, intake.WATCHLIST, source="demo"
    )
    bad = [r for r in result.results if r.status == "rejected"]
    if bad:
        raise RuntimeError(f"demo watchlist: {bad[0].reference}: {bad[0].errors}")
    return sum(1 for r in result.results if r.status == "created")


# exporter, reference, importing country, substance, kg, importer, days ago, answer, reason
NOTIFICATIONS = [
    ("CN-GACC", "GACC-PEN-0001", "MX", "4-piperidone", 500, "Quimica Bajio Importaciones SA",
     18, "object", "The importer holds no precursor licence."),
    ("CN-GACC", "GACC-PEN-0002", "MX", "acetic anhydride", 2000, "Farmaceutica del Norte SA de CV",
     12, "confirm", None),
    ("CN-GACC", "GACC-PEN-0003", "MX", "1-boc-4-piperidone", 50, "Laboratorios Pacifico SA",
     2, None, None),
    ("CN-GACC", "GACC-PEN-0004", "US", "N-phenethyl-4-piperidone", 25, "Midwest Fine Chemicals LLC",
     30, None, None),
    ("CN-GACC", "GACC-PEN-0005", "US", "ephedrine", 100, "Atlantic Pharma Supply Inc",
     9, "confirm", None),
    ("NL-FIOD", "FIOD-PEN-0001", "CO", "potassium permanganate", 5000, "Pinturas Andinas SAS",
     4, "request_info", "End use of 5 t of permanganate by a paint maker?"),
    ("CN-GACC", "GACC-PEN-0006", "CA", "phenylacetic acid", 300, "Maple Lab Reagents Ltd",
     20, "confirm", None),
]  # fmt: skip


def load_notifications(session: Session, agencies: dict[str, Agency]) -> int:
    """Notifications filed ``days ago`` (their times moved back, so that the deadlines fall
    as they would have), answered as listed, then the deadline check as of now."""
    from watchfloor.cooperation.pen import service as pen
    from watchfloor.cooperation.pen.schemas import AnswerIn, NotificationIn

    made = 0
    for exporter, ref, country, substance, kg, importer, days, decision, reason in NOTIFICATIONS:
        principal = system_principal(agencies[exporter])
        data = NotificationIn(
            reference=ref,
            importing_country=country,
            substance=substance,
            quantity=kg,
            unit="kg",
            exporter={"name": f"{agencies[exporter].country} Fine Chemicals Export Co"},
            importer={"name": importer, "country": country},
            ship_on=(dt.datetime.now(dt.UTC) + dt.timedelta(days=20 - days)).date(),
            mode="cargo",
        )
        row, new = pen.file(session, principal, data)
        if not new:
            continue
        made += 1
        back = dt.timedelta(days=days)
        row.filed_at -= back
        row.due_at -= back
        session.flush()
        if decision:
            importer_authority = system_principal(row.importing_agency)
            pen.answer(
                session, importer_authority, row.id, AnswerIn(decision=decision, reason=reason)
            )
            if row.answered_at is not None:  # answered a day or two after filing
                row.answered_at = row.filed_at + dt.timedelta(hours=20 + 7 * len(ref))
    pen.check_deadlines(session)
    return made
