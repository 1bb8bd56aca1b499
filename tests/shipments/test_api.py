"""The shipments API on a real database (SQLite and PostgreSQL): intake with per-row
results, idempotent resubmission, reading, targeting, holds, outcomes and isolation between
agencies."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from tests.helpers import api_headers, record
from watchfloor import audit
from watchfloor.alerts.models import Alert
from watchfloor.cooperation.seizures.models import Seizure
from watchfloor.db import session_factory, session_scope
from watchfloor.security.service import get_agency, system_principal
from watchfloor.shipments import intake
from watchfloor.shipments.models import RiskAssessment, Shipment

TODAY = dt.datetime.now(dt.UTC).date()


def test_batch_stores_good_rows_and_reports_bad_ones(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "US-CBP", "officer")
    bad = record("T-BAD")
    bad["items"][0]["hs_code"] = "123"
    worse = record("T-WORSE", origin_country="ZZ")
    body = {"shipments": [record("T-1"), bad, record("T-2", "NPP powder", "293337"), worse]}
    r = client.post("/api/v1/shipments", json=body, headers=h)
    assert r.status_code == 207, r.text
    out = r.json()
    assert (out["accepted"], out["rejected"]) == (2, 2)
    by_ref = {x["reference"]: x for x in out["results"]}
    assert by_ref["T-BAD"]["status"] == "rejected"
    assert by_ref["T-BAD"]["index"] == 1
    assert by_ref["T-BAD"]["errors"][0]["field"] == "items[0].hs_code"
    assert "6 to 10 digits" in by_ref["T-BAD"]["errors"][0]["reason"]
    assert by_ref["T-WORSE"]["errors"][0]["field"] == "origin_country"
    assert by_ref["T-1"]["status"] == "created" and by_ref["T-1"]["score"] == 0
    assert by_ref["T-2"]["score"] >= 45
    with session_scope(engine) as s:
        refs = set(s.scalars(select(Shipment.reference).where(Shipment.reference.like("T-%"))))
    assert refs == {"T-1", "T-2"}


def test_resubmission_is_idempotent_and_a_change_rescores(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "US-CBP", "officer")
    first = client.post("/api/v1/shipments", json=record("T-IDEM"), headers=h).json()
    again = client.post("/api/v1/shipments", json=record("T-IDEM"), headers=h).json()
    assert first["results"][0]["status"] == "created"
    assert again["results"][0] == {**first["results"][0], "status": "unchanged"}
    changed = client.post(
        "/api/v1/shipments", json=record("T-IDEM", "fentanyl citrate", "300490"), headers=h
    ).json()["results"][0]
    assert changed["status"] == "updated" and changed["id"] == first["results"][0]["id"]
    assert changed["score"] >= 60
    with session_scope(engine) as s:
        sid = changed["id"]
        assert s.scalar(select(func.count()).where(Shipment.reference == "T-IDEM")) == 1
        n = s.scalar(select(func.count()).where(RiskAssessment.shipment_id == sid))
        assert n == 2  # one assessment per scoring, none for the no-op
        detail = client.get(f"/api/v1/shipments/{sid}", headers=h).json()
    assert detail["items"][0]["description"] == "fentanyl citrate"
    assert detail["reasons"][0]["rule"] == "substance"
    assert "fentanyl-class opioid" in detail["reasons"][0]["text"]


def test_same_reference_twice_in_one_batch_keeps_the_last(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "US-CBP", "officer")
    body = {"shipments": [record("T-DUP"), record("T-DUP", "NPP", "293337")]}
    out = client.post("/api/v1/shipments", json=body, headers=h).json()
    assert [r["status"] for r in out["results"]] == ["superseded", "created"]
    assert out["results"][1]["score"] >= 45


def test_single_invalid_shipment_is_a_422_problem_naming_the_field(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "US-CBP", "officer")
    r = client.post("/api/v1/shipments", json=record("T-X", declared_at="yesterday"), headers=h)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["errors"][0]["record"] == "T-X"
    assert problem["errors"][0]["field"] == "declared_at"


def test_malformed_and_oversized_bodies(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "US-CBP", "officer")
    r = client.post("/api/v1/shipments", content=b"{not json", headers=h)
    assert r.status_code == 400 and "not JSON" in r.json()["detail"]
    big = {"shipments": [{"reference": str(i)} for i in range(10_001)]}
    r = client.post("/api/v1/shipments", json=big, headers=h)
    assert r.status_code == 413 and "10000" in r.json()["detail"]


def test_submitting_for_another_agency_or_an_unknown_office_is_refused(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "US-CBP", "officer")
    body = {"shipments": [record("T-A", agency="MX-ANAM"), record("T-B", office="NOWHERE")]}
    out = client.post("/api/v1/shipments", json=body, headers=h).json()
    errors = [r["errors"][0] for r in out["results"]]
    assert errors[0]["field"] == "agency" and "US-CBP" in errors[0]["reason"]
    assert errors[1]["field"] == "office" and "JFK-IMF" in errors[1]["reason"]


def test_viewers_and_platforms_cannot_submit(client, engine) -> None:  # type: ignore[no-untyped-def]
    viewer = api_headers(engine, "US-CBP", "viewer")
    assert client.post("/api/v1/shipments", json=record("T-V"), headers=viewer).status_code == 403
    platform = api_headers(engine, "PLATFORM-EXAMPLE", "admin")
    r = client.post("/api/v1/shipments", json=record("T-P"), headers=platform)
    assert r.status_code == 403


def test_another_agency_cannot_read_or_list_the_shipment(client, engine) -> None:  # type: ignore[no-untyped-def]
    cbp = api_headers(engine, "US-CBP", "officer")
    anam = api_headers(engine, "MX-ANAM", "admin")
    sid = client.post("/api/v1/shipments", json=record("T-SECRET"), headers=cbp).json()["results"][
        0
    ]["id"]
    assert client.get(f"/api/v1/shipments/{sid}", headers=anam).status_code == 404
    listed = client.get("/api/v1/shipments?limit=500", headers=anam).json()["items"]
    assert sid not in {s["id"] for s in listed}
    assert client.get(f"/api/v1/shipments/{sid}", headers=cbp).status_code == 200
    r = client.post(f"/api/v1/shipments/{sid}/outcome", json={"result": "clean"}, headers=anam)
    assert r.status_code == 404


def test_high_scores_raise_alerts_and_every_intake_is_audited(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "US-CBP", "officer")
    out = client.post("/api/v1/shipments", json=record("T-ALERT", "4-ANPP", "293336"), headers=h)
    sid = out.json()["results"][0]["id"]
    alerts = client.get("/api/v1/alerts?status=open", headers=h).json()["items"]
    mine = [a for a in alerts if a["object_id"] == sid]
    assert len(mine) == 1 and mine[0]["title"].startswith("T-ALERT scored")
    # resubmitting the same data raises no second alert
    client.post("/api/v1/shipments", json=record("T-ALERT", "4-ANPP", "293336"), headers=h)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).where(Alert.object_id == sid)) == 1
        assert audit.verify(s).ok
    anam = api_headers(engine, "MX-ANAM", "officer")
    assert sid not in {
        a["object_id"] for a in client.get("/api/v1/alerts", headers=anam).json()["items"]
    }


def test_targets_respect_capacity_and_rank_by_score(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "US-CBP", "officer")
    day = TODAY + dt.timedelta(days=90)  # a day the demo data does not reach
    stamp = f"{day.isoformat()}T10:00:00Z"
    acetone = ("acetone 99.5% laboratory grade", "291411")  # a Table II solvent: a few points
    rows = [record(f"T-Y{i}", *acetone, arrival_at=stamp) for i in range(16)]
    rows += [record(f"T-Y{i}", arrival_at=stamp) for i in range(16, 20)]  # t-shirts: none
    rows[5] = record("T-Y5", "NPP", "293337", arrival_at=stamp)
    rows[9] = record("T-Y9", "carfentanil", "293333", arrival_at=stamp)
    client.post("/api/v1/shipments", json={"shipments": rows}, headers=h)
    out = client.get(f"/api/v1/shipments/targets?office=JFK-IMF&date={day}", headers=h).json()
    assert out["arriving"] == 20
    assert len(out["targets"]) == out["capacity"] == 12
    top = [t["shipment"]["reference"] for t in out["targets"][:2]]
    assert set(top) == {"T-Y5", "T-Y9"}
    scores = [t["score"] for t in out["targets"]]
    assert scores == sorted(scores, reverse=True)
    assert [t["band"] for t in out["targets"][:2]] == ["inspect", "inspect"]
    for t in out["targets"]:  # a probability only where a model gave one, never points / 100
        assert t["probability"] == t["shipment"]["probability"]
        if t["probability"] is None:
            assert t["expected_finds"] is None
    assert client.get("/api/v1/shipments/targets?office=NOPE", headers=h).status_code == 404


def test_a_shipment_with_no_chance_of_a_find_is_no_target(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "US-CBP", "officer")
    day = TODAY + dt.timedelta(days=91)
    stamp = f"{day.isoformat()}T10:00:00Z"
    acetone = ("acetone 99.5% laboratory grade", "291411")
    rows = [record(f"T-Z{i}", *acetone, arrival_at=stamp) for i in range(5)]
    r = client.post("/api/v1/shipments", json={"shipments": rows}, headers=h)
    assert r.status_code == 200, r.text
    with session_scope(engine) as s:  # as if no rule had fired and no model had scored them
        s.execute(
            update(Shipment)
            .where(Shipment.reference.in_(["T-Z0", "T-Z1", "T-Z2"]))
            .values(score=0, probability=None)
        )
    out = client.get(f"/api/v1/shipments/targets?office=JFK-IMF&date={day}", headers=h).json()
    assert out["arriving"] == 5 and out["capacity"] == 12
    assert sorted(t["shipment"]["reference"] for t in out["targets"]) == ["T-Z3", "T-Z4"]
    assert all(t["score"] > 0 or (t["probability"] or 0) > 0 for t in out["targets"])


def test_a_seizure_outcome_creates_a_shareable_seizure_and_closes_the_alert(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "US-CBP", "officer")
    sid = client.post("/api/v1/shipments", json=record("T-OUT", "NPP", "293337"), headers=h).json()[
        "results"
    ][0]["id"]
    held = client.post(f"/api/v1/shipments/{sid}/hold", json={"reason": "NPP"}, headers=h)
    assert held.json()["status"] == "held"
    r = client.post(f"/api/v1/shipments/{sid}/outcome", json={"result": "seized"}, headers=h)
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {
        "substance",
        "quantity",
    }
    r = client.post(
        f"/api/v1/shipments/{sid}/outcome",
        json={"result": "seized", "substance": "NPP", "quantity": 0.5, "unit": "kg"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    seizure_id = r.json()["seizure_id"]
    seizure = client.get(f"/api/v1/sharing/seizures/{seizure_id}", headers=h).json()
    assert seizure["shipment_id"] == sid
    assert seizure["substance_key"] == "n-phenethyl-4-piperidone"
    assert seizure["origin_country"] == "CN"
    assert {p["role"] for p in seizure["parties"]} == {"sender", "consignee"}
    assert client.get(f"/api/v1/shipments/{sid}", headers=h).json()["status"] == "inspected"
    alerts = client.get("/api/v1/alerts", headers=h).json()["items"]
    assert [a["status"] for a in alerts if a["object_id"] == sid] == ["closed"]
    with session_scope(engine) as s:
        assert s.get(Seizure, seizure_id).parties


def test_the_seizure_party_is_screened_in_later_shipments(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "US-CBP", "officer")
    sender = {"name": "Guangzhou Zhenxing Chemical Trading Ltd", "country": "CN"}
    sid = client.post(
        "/api/v1/shipments", json=record("T-S1", "NPP", "293337", sender=sender), headers=h
    ).json()["results"][0]["id"]
    client.post(
        f"/api/v1/shipments/{sid}/outcome",
        json={"result": "seized", "substance": "NPP", "quantity": 2, "unit": "kg"},
        headers=h,
    )
    varied = {"name": "GUANGZHOU ZHENXING CHEMICAL TRADING", "country": "CN"}
    out = client.post("/api/v1/shipments", json=record("T-S2", sender=varied), headers=h).json()[
        "results"
    ][0]
    detail = client.get(f"/api/v1/shipments/{out['id']}", headers=h).json()
    party = [r for r in detail["reasons"] if r["rule"] == "parties"]
    assert party and "T-S1-SZ1" in party[0]["text"], detail["reasons"]


def test_alerts_are_worked_by_the_owner_only(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "US-CBP", "officer")
    sid = client.post("/api/v1/shipments", json=record("T-W", "4-AP", "293339"), headers=h).json()[
        "results"
    ][0]["id"]
    alert = next(
        a for a in client.get("/api/v1/alerts", headers=h).json()["items"] if a["object_id"] == sid
    )
    r = client.patch(f"/api/v1/alerts/{alert['id']}", json={"status": "closed"}, headers=h)
    assert r.status_code == 422
    r = client.patch(f"/api/v1/alerts/{alert['id']}", json={"status": "assigned"}, headers=h)
    assert r.json()["assignee"].startswith("key:") or r.json()["assignee"]
    anam = api_headers(engine, "MX-ANAM", "officer")
    r = client.patch(f"/api/v1/alerts/{alert['id']}", json={"status": "assigned"}, headers=anam)
    assert r.status_code == 404


def test_nul_characters_are_refused_per_row_with_the_field_named(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "US-CBP", "officer")
    body = {"shipments": [record("T-NUL", "toy\u0000car"), record("T-OK")]}
    out = client.post("/api/v1/shipments", json=body, headers=h)
    assert out.status_code == 207
    bad = out.json()["results"][0]
    assert bad["errors"] == [
        {"field": "items[0].description", "reason": "contains a NUL character (U+0000)"}
    ]
    assert out.json()["results"][1]["status"] == "created"
    seizure = {
        "reference": "SZ-NUL",
        "seized_on": "2026-11-01",
        "country": "US",
        "substance": "fentanyl",
        "quantity": 1,
        "unit": "kg",
        "notes": "a\u0000b",
    }
    r = client.post("/api/v1/sharing/seizures", json=seizure, headers=h)
    assert r.status_code == 422 and "NUL" in r.text


def test_route_counts_seizures_by_the_commodity_declared_or_seized(client, engine) -> None:  # type: ignore[no-untyped-def]
    from watchfloor.cooperation.seizures.schemas import SeizureIn
    from watchfloor.cooperation.seizures.service import create_seizure
    from watchfloor.security.service import get_agency, system_principal
    from watchfloor.shipments.scoring import _visible_seizures, route_stats

    def stats():  # type: ignore[no-untyped-def]
        with session_scope(engine) as s:
            cbp = get_agency(s, "US-CBP")
            since = TODAY - dt.timedelta(days=30)
            return route_stats(s, cbp, _visible_seizures(s, cbp, since), since)

    before = stats()
    h = api_headers(engine, "US-CBP", "officer")
    # a precursor found in a parcel declared as a toy: the seizure counts under chapter 95
    toy = record("T-R1", "plastic toy car", "950300")
    sid = client.post("/api/v1/shipments", json=toy, headers=h).json()["results"][0]["id"]
    client.post(
        f"/api/v1/shipments/{sid}/outcome",
        json={"result": "seized", "substance": "NPP", "quantity": 1, "unit": "kg"},
        headers=h,
    )
    client.post("/api/v1/shipments", json=record("T-R2", origin_country="IN"), headers=h)
    with session_scope(engine) as s:
        cbp = get_agency(s, "US-CBP")
        # a seizure with no shipment behind it: the seized substance's chapter (NPP: 29)
        create_seizure(
            s,
            system_principal(cbp),
            SeizureIn(
                reference="SZ-R3",
                seized_on=TODAY,
                country="US",
                substance="NPP",
                quantity=2,
                unit="kg",
                mode="post",
                origin_country="IN",
                route=["NL"],
            ),
        )
    after = stats()
    seized = after.seizures - before.seizures
    assert seized == {
        ("post", "", "CN"): 1,
        ("post", "95", "CN"): 1,
        ("post", "", "IN"): 1,
        ("post", "29", "IN"): 1,
        ("post", "", "NL"): 1,
        ("post", "29", "NL"): 1,
    }
    assert after.traffic - before.traffic == {
        ("post", "", "CN"): 1,
        ("post", "95", "CN"): 1,
        ("post", "", "IN"): 1,
        ("post", "61", "IN"): 1,
    }


def test_a_batch_prepared_before_another_stored_its_reference_is_prepared_again(engine) -> None:  # type: ignore[no-untyped-def]
    """An import prepares batches ahead of storing them. A reference that was new when its
    batch was prepared but was stored by another submission meanwhile is refused by the
    unique index: the batch is stale, and prepared again it stores the rest, with each
    result's id that of its own reference."""
    make = session_factory(engine)
    rows = [record(f"STALE-{i}") for i in range(3)]
    with make() as s:
        principal = system_principal(get_agency(s, "US-CBP"))
        prepared = intake.prepare(s, principal, rows)
    with make() as s:
        intake.submit(s, principal, [rows[1]])
        s.commit()
    with make() as s:
        with pytest.raises(intake.Stale, match="stored by another submission"):
            intake.store(s, principal, prepared)
        s.rollback()
        result = intake.submit(s, principal, rows)
        s.commit()
    assert [r.status for r in result.results] == ["created", "unchanged", "created"]
    with make() as s:
        stored = s.execute(
            select(Shipment.id, Shipment.reference).where(Shipment.reference.like("STALE-%"))
        ).all()
    assert {r.id: r.reference for r in result.results} == dict(stored)


def test_a_revoked_or_expired_seizure_stops_counting_at_once(client, engine) -> None:  # type: ignore[no-untyped-def]
    """Issue 28 item 4: the scorers forget a record when its owner revokes it (not at the
    next periodic refresh) and when its share expires; a stored reason that quoted it then
    names nothing of it, and while it quoted a readable record the read was audited."""
    import time

    from watchfloor.audit import AuditEvent

    mx, us = api_headers(engine, "MX-ANAM", "officer"), api_headers(engine, "US-CBP", "officer")
    trader = "Tianjin Hengxing Precursor Trading Ltd"

    def seizure(reference: str, sharing: dict) -> int:  # type: ignore[type-arg]
        body = {"reference": reference, "seized_on": TODAY.isoformat(), "country": "MX",
                "substance": "NPP", "quantity": 40, "unit": "kg", "sharing": sharing,
                "parties": [{"role": "sender", "name": trader, "country": "CN"}]}  # fmt: skip
        r = client.post("/api/v1/sharing/seizures", json=body, headers=mx)
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def party_reasons(ref: str) -> tuple[int, list[dict]]:  # type: ignore[type-arg]
        sent = record(ref, sender={"name": trader.upper(), "country": "CN"})
        sid = client.post("/api/v1/shipments", json=sent, headers=us).json()["results"][0]["id"]
        got = client.get(f"/api/v1/shipments/{sid}", headers=us).json()
        return sid, [r for r in got["reasons"] if r["rule"] == "parties"]

    sid = seizure("MX-REVOKE-1", {"tlp": "amber", "recipients": ["US-CBP"]})
    first, reasons = party_reasons("REV-1")
    assert reasons and "MX-REVOKE-1" in reasons[0]["text"], reasons
    with session_scope(engine) as s:
        read = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "seizure.read", AuditEvent.object_id == str(sid)
            )  # fmt: skip
        ).all()
        assert any("score reason" in (e.detail or "") for e in read)
    revoked = client.put(f"/api/v1/sharing/seizures/{sid}/sharing",
                         json={"tlp": "amber", "recipients": []}, headers=mx)  # fmt: skip
    assert revoked.status_code == 200, revoked.text
    _, after = party_reasons("REV-2")
    assert after == []  # the scorer forgot the seizure at once
    stored = client.get(f"/api/v1/shipments/{first}", headers=us).json()["reasons"]
    quoted = [r for r in stored if r["rule"] == "parties"]
    assert quoted and "no longer shared" in quoted[0]["text"]
    assert "MX-REVOKE-1" not in str(quoted) and trader.lower() not in str(quoted).lower()

    ends = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)
    seizure("MX-EXPIRE-1", {"tlp": "amber", "recipients": ["US-CBP"],
                            "expires_at": ends.isoformat()})  # fmt: skip
    _, shared = party_reasons("EXP-1")
    assert shared and "MX-EXPIRE-1" in shared[0]["text"], shared
    time.sleep(max(0.0, (ends - dt.datetime.now(dt.UTC)).total_seconds()) + 0.5)
    _, expired = party_reasons("EXP-2")
    assert expired == []
