"""Seizure and incident batches (API and files): per-row results, normalised quantities,
idempotent resubmission, and visibility of what was imported."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from tests.helpers import api_headers
from watchfloor.audit import AuditEvent
from watchfloor.cooperation import intake
from watchfloor.cooperation.quantities import UNITS, normalise
from watchfloor.cooperation.seizures.files import import_records
from watchfloor.cooperation.seizures.models import Incident, Seizure
from watchfloor.cooperation.seizures.schemas import Unit
from watchfloor.db import session_scope
from watchfloor.security.service import get_agency, system_principal
from watchfloor.shipments.models import Shipment


def seizure(ref: str, **over: Any) -> dict[str, Any]:
    return {
        "reference": ref,
        "seized_on": "2026-11-03",
        "country": "US",
        "substance": "fentanyl",
        "quantity": 2.5,
        "unit": "lb",
        **over,
    }


def count(engine: Engine, model: type, agency: str) -> int:
    with session_scope(engine) as s:
        owner = get_agency(s, agency).id
        return s.scalar(select(func.count()).where(model.owner_agency_id == owner)) or 0


def test_units_are_the_schema_units() -> None:
    assert set(UNITS) == set(Unit.__args__)  # type: ignore[attr-defined]
    assert normalise(1, "t") == (1000.0, "kg")
    assert normalise(250, "ml") == (0.25, "l")
    assert normalise(16, "oz") == (0.453592, "kg")
    with pytest.raises(ValueError, match="unknown unit"):
        normalise(1, "bushel")


def test_batch_stores_good_rows_reports_bad_and_is_idempotent(client, engine) -> None:  # type: ignore[no-untyped-def]
    cbp = api_headers(engine, "US-CBP", "officer")
    with session_scope(engine) as s:
        owner = get_agency(s, "US-CBP").id
        shipment = s.scalar(select(Shipment).where(Shipment.owner_agency_id == owner).limit(1))
        shipment_ref, shipment_id = shipment.reference, shipment.id
    before = count(engine, Seizure, "US-CBP")
    rows = [
        seizure("B-1", concealment="inside a speaker", shipment_reference=shipment_ref),
        seizure("B-2", unit="tablets", quantity=400, substance="oxycodone", country="XX"),
        seizure("B-3", unit="bushel"),
        seizure("B-4", shipment_reference="NO-SUCH-SHIPMENT"),
        seizure("B-5", sharing={"tlp": "amber", "recipients": ["NOPE-AGENCY"]}),
        seizure("B-1"),
        seizure("B-6", unit="ml", quantity=250, substance="GHB", period="month", events=7),
    ]
    r = client.post("/api/v1/sharing/seizures/batch", json={"seizures": rows}, headers=cbp)
    assert r.status_code == 207, r.text
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (2, 5)
    by_ref = {(x["index"], x["reference"]): x for x in body["results"]}
    assert by_ref[(0, "B-1")]["status"] == "created"
    assert by_ref[(1, "B-2")]["errors"] == [
        {"field": "country", "reason": "'XX' is not an ISO 3166-1 alpha-2 country code"}
    ]
    assert by_ref[(2, "B-3")]["errors"][0]["field"] == "unit"
    assert by_ref[(3, "B-4")]["errors"] == [
        {
            "field": "shipment_reference",
            "reason": "your agency has no shipment 'NO-SUCH-SHIPMENT'",
        }
    ]
    assert by_ref[(4, "B-5")]["errors"] == [
        {"field": "sharing.recipients", "reason": "unknown agency 'NOPE-AGENCY'"}
    ]
    assert by_ref[(5, "B-1")]["errors"] == [
        {"field": "reference", "reason": "reference repeats row #0 of this batch"}
    ]
    assert count(engine, Seizure, "US-CBP") == before + 2  # the rejected rows left nothing
    first = client.get(f"/api/v1/sharing/seizures/{by_ref[(0, 'B-1')]['id']}", headers=cbp).json()
    assert (first["normalised_quantity"], first["normalised_unit"]) == (1.133981, "kg")
    assert (first["concealment"], first["shipment_id"]) == ("inside a speaker", shipment_id)
    gbl = client.get(f"/api/v1/sharing/seizures/{by_ref[(6, 'B-6')]['id']}", headers=cbp).json()
    assert (gbl["normalised_quantity"], gbl["normalised_unit"]) == (0.25, "l")
    assert (gbl["period"], gbl["events"], gbl["substance_key"]) == ("month", 7, "ghb")

    again = client.post(
        "/api/v1/sharing/seizures/batch",
        json={"seizures": [rows[0], rows[6], {**rows[6], "quantity": 300}]},
        headers=cbp,
    )
    assert again.status_code == 207  # the third row repeats the second's reference
    statuses = [x["status"] for x in again.json()["results"]]
    assert statuses == ["unchanged", "unchanged", "rejected"]
    changed = client.post(
        "/api/v1/sharing/seizures/batch", json={**rows[6], "quantity": 300}, headers=cbp
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["results"][0]["status"] == "updated"
    assert count(engine, Seizure, "US-CBP") == before + 2

    none = client.post("/api/v1/sharing/seizures/batch", json=rows[2], headers=cbp)
    assert none.status_code == 422
    assert none.json()["errors"][0]["record"] == "B-3"
    viewer = api_headers(engine, "US-CBP", "viewer")
    assert (
        client.post("/api/v1/sharing/seizures/batch", json=rows[0], headers=viewer).status_code
        == 403
    )


def test_imported_records_are_seen_only_as_their_policy_allows(client, engine) -> None:  # type: ignore[no-untyped-def]
    mx = api_headers(engine, "MX-ANAM", "officer")

    def mexico_kg(code: str) -> float:
        summary = client.get(
            "/api/v1/sharing/seizures/summary?since=2026-11-03&until=2026-11-04",
            headers=api_headers(engine, code, "analyst"),
        )
        assert summary.status_code == 200, summary.text
        return sum(c["kg"] for c in summary.json() if c["country"] == "MX")

    before = {code: mexico_kg(code) for code in ("CO-DIAN", "INT-INCB", "MX-ANAM")}
    rows = [
        seizure("V-RED", country="MX", quantity=10, unit="kg", sharing={"tlp": "red"}),
        seizure(
            "V-INCB",
            country="MX",
            quantity=20,
            unit="kg",
            sharing={"tlp": "amber", "recipients": ["INT-INCB"]},
        ),
        seizure("V-CLEAR", country="MX", quantity=40, unit="kg", sharing={"tlp": "clear"}),
    ]
    r = client.post("/api/v1/sharing/seizures/batch", json={"seizures": rows}, headers=mx)
    assert r.status_code == 200, r.text
    ids = {x["reference"]: x["id"] for x in r.json()["results"]}
    seen = {
        code: {
            ref
            for ref, i in ids.items()
            if client.get(
                f"/api/v1/sharing/seizures/{i}", headers=api_headers(engine, code, "analyst")
            ).status_code
            == 200
        }
        for code in ("MX-ANAM", "INT-INCB", "CO-DIAN")
    }
    assert seen == {
        "MX-ANAM": {"V-RED", "V-INCB", "V-CLEAR"},
        "INT-INCB": {"V-INCB", "V-CLEAR"},
        "CO-DIAN": {"V-CLEAR"},
    }
    added = {code: round(mexico_kg(code) - kg, 3) for code, kg in before.items()}
    assert added == {"CO-DIAN": 40.0, "INT-INCB": 60.0, "MX-ANAM": 70.0}
    # the batch's one audit event names each policy and the records given it
    with session_scope(engine) as s:
        event = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "seizure.intake", AuditEvent.agency == "MX-ANAM")
            .order_by(AuditEvent.seq.desc())
        ).first()
        shares = json.loads(event.detail)["shares"]
    assert {(x["policy"]["tlp"], tuple(x["policy"]["recipients"])) for x in shares} == {
        ("red", ()),
        ("amber", ("INT-INCB",)),
        ("clear", ()),
    }


def test_incidents_api(client, engine) -> None:  # type: ignore[no-untyped-def]
    ca = api_headers(engine, "CA-CBSA", "officer")
    good = {
        "reference": "INC-T-1",
        "kind": "suspicious_shipment",
        "occurred_on": "2026-11-20",
        "country": "CA",
        "description": "Parcel of 'hair dye' with a precursor inside",
        "chemicals": [
            {"substance": "4-anilinopiperidine", "quantity": 1500, "unit": "g"},
            {"substance": "CAS 108-24-7"},
        ],
        "origin_country": "HK",
        "sharing": {"tlp": "amber", "communities": ["NA-PRECURSORS"]},
    }
    bad = {**good, "reference": "INC-T-2", "chemicals": [{"substance": "acetone", "unit": "kg"}]}
    r = client.post("/api/v1/sharing/incidents", json={"incidents": [good, bad]}, headers=ca)
    assert r.status_code == 207, r.text
    ok, refused = r.json()["results"]
    assert refused["errors"] == [
        {"field": "chemicals[0].unit", "reason": "give a quantity and its unit, or neither"}
    ]
    url = f"/api/v1/sharing/incidents/{ok['id']}"
    got = client.get(url, headers=ca).json()
    chem = got["chemicals"][0]
    # 4-AP by a synonym, acetic anhydride by its CAS number
    assert (chem["substance_key"], chem["normalised_quantity"], chem["normalised_unit"]) == (
        "n-phenylpiperidin-4-amine",
        1.5,
        "kg",
    )
    assert got["chemicals"][1]["substance_key"] == "acetic-anhydride"
    assert client.get(url, headers=api_headers(engine, "US-CBP", "analyst")).status_code == 200
    assert client.get(url, headers=api_headers(engine, "NL-FIOD", "analyst")).status_code == 404
    listed = client.get(
        "/api/v1/sharing/incidents?kind=suspicious_shipment",
        headers=api_headers(engine, "NL-FIOD", "analyst"),
    )
    assert "INC-T-1" not in {x["reference"] for x in listed.json()["items"]}
    narrowed = client.put(f"{url}/sharing", json={"tlp": "red"}, headers=ca)
    assert narrowed.status_code == 200, narrowed.text
    assert client.get(url, headers=api_headers(engine, "US-CBP", "analyst")).status_code == 404


def test_files_csv_and_gzip_with_rejects(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        principal = system_principal(get_agency(s, "CO-DIAN"))
    text = (
        "reference,seized_on,country,substance,quantity,unit,route,tlp,recipients,agency\n"
        "F-1,2026-10-01,CO,cocaine hydrochloride,1200,kg,PA MX,amber,US-CBP NL-FIOD,CO-DIAN\n"
        "F-2,2026-10-02,CO,cocaine,ten,kg,,,,\n"
        "F-3,2026-10-03,CO,cocaine,5,kg,,,,MX-ANAM\n"
    )
    path = tmp_path / "seizures.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    report = import_records(engine, principal, path)
    assert (report.records, report.created, report.rejected) == (3, 1, 2)
    rejects = [json.loads(line) for line in Path(report.rejects_file).read_text().splitlines()]
    assert [(x["line"], x["errors"][0]["field"]) for x in rejects] == [
        (3, "quantity"),
        (4, "agency"),
    ]
    with session_scope(engine) as s:
        f1 = s.scalar(select(Seizure).where(Seizure.reference == "F-1"))
        assert (f1.route, f1.substance_key, f1.tlp) == ("PA MX", "cocaine", "amber")
        assert sorted(r.agency.code for r in f1.recipients) == ["NL-FIOD", "US-CBP"]
    assert import_records(engine, principal, path).unchanged == 1

    incidents = tmp_path / "incidents.csv"
    incidents.write_text(
        "reference,kind,occurred_on,country,description,substance,quantity,unit\n"
        "I-1,diversion_attempt,2026-10-05,CO,Forged licence,potassium permanganate,2,t\n"
        "I-1,diversion_attempt,2026-10-05,CO,Forged licence,sulfuric acid,500,l\n"
        "I-2,illicit_laboratory,2026-10-06,CO,Jungle lab,acetone,,\n"
    )
    report = import_records(engine, principal, incidents, intake.INCIDENTS)
    assert (report.records, report.created, report.rejected) == (2, 2, 0)
    with session_scope(engine) as s:
        i1 = s.scalar(select(Incident).where(Incident.reference == "I-1"))
        chems = json.loads(i1.chemicals)
        assert [(c["substance_key"], c["normalised_quantity"]) for c in chems] == [
            ("potassium-permanganate", 2000.0),
            ("sulphuric-acid", 500.0),
        ]


def test_demo_statistics_cover_twenty_countries(engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        rows = s.execute(
            select(Seizure.country, Seizure.owner_agency_id, Seizure.tlp, Seizure.period).where(
                Seizure.period != "event"
            )
        ).all()
    countries = {r.country for r in rows}
    assert len(countries) >= 20
    # each country's statistics are one agency's own, of that country
    owners: dict[str, set[int]] = {}
    for r in rows:
        owners.setdefault(r.country, set()).add(r.owner_agency_id)
    assert all(len(o) == 1 for o in owners.values())
    assert {r.tlp for r in rows} >= {"clear", "green", "amber", "red"}
    assert {r.period for r in rows} == {"month", "year"}
