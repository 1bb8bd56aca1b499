"""Notices to platforms on SQLite and PostgreSQL: sending under the sharing policy, the
platform's inbox, acknowledging and answering in the DSA vocabulary, withdrawal,
idempotency, escalation of the overdue, and who may read what."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.helpers import api_headers, listing
from watchfloor.alerts.models import Alert
from watchfloor.audit import AuditEvent, verify
from watchfloor.db import session_scope
from watchfloor.listings import escalation, notices
from watchfloor.listings.models import Notice, NoticeItem
from watchfloor.listings.notice_schemas import AnswerIn, DecisionIn, NoticeIn
from watchfloor.security.service import get_agency, system_principal

NOTICES = "/api/v1/listings/notices"
GROUND = "21 U.S.C. 841(a)(1); 21 U.S.C. 843(c)"


def report(client, h, rows: list[dict[str, Any]]) -> list[int]:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/listings", json={"listings": rows}, headers=h)
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()["results"]]


def notice_body(ids: list[int], **kw: Any) -> dict[str, Any]:
    return {
        "platform": "PLATFORM-EXAMPLE",
        "listing_ids": ids,
        "legal_ground": GROUND,
        "requested_action": "remove",
        "priority": "urgent",
        **kw,
    }


@pytest.fixture
def cbp(engine):  # type: ignore[no-untyped-def]
    return api_headers(engine, "US-CBP", "analyst")


@pytest.fixture
def platform(engine):  # type: ignore[no-untyped-def]
    return api_headers(engine, "PLATFORM-EXAMPLE", "analyst")


def test_a_notice_reaches_the_platform_and_nobody_else(client, engine, cbp, platform) -> None:  # type: ignore[no-untyped-def]
    ids = report(client, cbp, [listing("N1"), listing("N2", title="10x M30 blues pressed")])
    r = client.post(NOTICES, json=notice_body(ids, reference="CBP-NTC-1"), headers=cbp)
    assert r.status_code == 201, r.text
    sent = r.json()["notice"]
    assert sent["status"] == "sent" and sent["platform"] == "PLATFORM-EXAMPLE"
    assert sent["sla_hours"] == 12  # PLATFORM-EXAMPLE's urgent SLA in platforms.toml
    due = dt.datetime.fromisoformat(sent["due_at"]) - dt.datetime.fromisoformat(sent["sent_at"])
    assert due == dt.timedelta(hours=12)
    assert sent["territorial_scope"] == ["US"]  # the sender's country by default
    assert [i["external_id"] for i in sent["items"]] == ["N1", "N2"]
    assert sent["sharing"]["recipients"] == ["PLATFORM-EXAMPLE"]
    assert sent["sharing"]["originator_control"] is True

    inbox = client.get(f"{NOTICES}?box=inbox", headers=platform).json()["items"]
    assert [n["reference"] for n in inbox] == ["CBP-NTC-1"]
    assert inbox[0]["items"][0]["url"] == "https://market.example/listing/N1"
    # the platform reads the notice, not the listings behind it
    assert client.get(f"/api/v1/listings/{ids[0]}", headers=platform).status_code == 404

    for code in ("MX-ANAM", "PLATFORM-BAZAAR", "CA-CBSA"):
        other = api_headers(engine, code, "admin")
        assert client.get(f"{NOTICES}/{sent['id']}", headers=other).status_code == 404, code
        assert client.get(NOTICES, headers=other).json()["items"] == [], code
    with session_scope(engine) as s:
        reads = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "notice.list", AuditEvent.agency == "PLATFORM-EXAMPLE")
        )
        assert reads == 1
        assert s.scalar(select(func.count()).where(AuditEvent.action == "notice.send")) == 1


@pytest.mark.parametrize(
    ("change", "status", "field", "reason"),
    [
        ({"platform": "NOPE"}, 422, "platform", "unknown agency"),
        ({"platform": "MX-ANAM"}, 422, "platform", "MX-ANAM is not a platform agency"),
        ({"platform": "PLATFORM-BAZAAR"}, 422, "listing_ids[0]", "answers for Bazaar Forum"),
        ({"listing_ids": [999999]}, 422, "listing_ids[0]", "listing 999999 not found"),
        ({"requested_action": "burn"}, 422, "requested_action", "Input should be"),
        ({"territorial_scope": ["US", "XX"]}, 422, "territorial_scope[1]", "'XX' is not"),
        ({"legal_ground": ""}, 422, "legal_ground", "at least 3 characters"),
    ],
)
def test_bad_notices_name_the_field_and_store_nothing(  # type: ignore[no-untyped-def]
    client, engine, cbp, change, status, field, reason
) -> None:
    ids = report(client, cbp, [listing("B1")])
    r = client.post(NOTICES, json=notice_body(ids) | change, headers=cbp)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    errors = r.json()["errors"]
    assert any(e["field"] == field and reason in e["reason"] for e in errors), errors
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Notice)) == 0


def test_only_agencies_send_and_only_what_they_may_share(client, engine, cbp) -> None:  # type: ignore[no-untyped-def]
    ids = report(client, cbp, [listing("S1")])
    plat = api_headers(engine, "PLATFORM-EXAMPLE", "admin")
    viewer = api_headers(engine, "US-CBP", "viewer")
    mx = api_headers(engine, "MX-ANAM", "analyst")
    assert client.post(NOTICES, json=notice_body(ids), headers=plat).status_code == 403
    assert client.post(NOTICES, json=notice_body(ids), headers=viewer).status_code == 403
    # another agency may not name a listing it cannot read: the same answer as a missing one
    r = client.post(NOTICES, json=notice_body(ids), headers=mx)
    assert r.status_code == 422 and "not found" in r.json()["errors"][0]["reason"]
    # MX-ANAM reads a listing shared with it under originator control, but may not pass it on
    orcon = listing("S2", sharing={"tlp": "amber", "recipients": ["MX-ANAM"]})
    orcon["sharing"]["originator_control"] = True
    (shared,) = report(client, cbp, [orcon])
    r = client.post(NOTICES, json=notice_body([shared]), headers=mx)
    assert r.status_code == 403, r.text
    assert "originator control" in r.json()["errors"][0]["reason"]
    # ...unless the platform can read it already (it reported the listing itself)
    plat_ids = report(
        client, plat, [listing("S3", sharing={"tlp": "amber", "recipients": ["MX-ANAM"]})]
    )
    ok = client.post(NOTICES, json=notice_body(plat_ids), headers=mx)
    assert ok.status_code == 201, ok.text


def test_sending_again_is_idempotent_and_open_listings_are_not_notified_twice(  # type: ignore[no-untyped-def]
    client, engine, cbp
) -> None:
    ids = report(client, cbp, [listing("I1"), listing("I2")])
    body = notice_body(ids[:1], reference="CBP-IDEM-1")
    first = client.post(NOTICES, json=body, headers=cbp)
    again = client.post(NOTICES, json=body, headers=cbp)
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json()["status"] == "unchanged"
    assert again.json()["notice"]["id"] == first.json()["notice"]["id"]
    other = client.post(NOTICES, json=body | {"priority": "standard"}, headers=cbp)
    assert other.status_code == 409 and other.json()["errors"][0]["field"] == "reference"
    dup = client.post(NOTICES, json=notice_body(ids), headers=cbp)
    assert dup.status_code == 409, dup.text
    assert dup.json()["errors"] == [
        {"field": "listing_ids[0]", "reason": f"listing {ids[0]} is in open notice CBP-IDEM-1"}
    ]
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Notice)) == 1


def test_the_platform_acknowledges_and_answers_each_listing(client, engine, cbp, platform) -> None:  # type: ignore[no-untyped-def]
    ids = report(client, cbp, [listing("A1"), listing("A2"), listing("A3")])
    sent = client.post(NOTICES, json=notice_body(ids), headers=cbp).json()["notice"]
    nid, items = sent["id"], [i["id"] for i in sent["items"]]
    ack = client.post(f"{NOTICES}/{nid}/acknowledge", headers=platform)
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    assert client.post(f"{NOTICES}/{nid}/acknowledge", headers=cbp).status_code == 403
    removed = {
        "item_id": items[0],
        "action": "removed",
        "account_action": "suspended",
        "ground": "illegal_content",
        "ground_reference": "Prohibited items policy, drugs",
        "automated_detection": True,
        "automated_decision": "partially",
    }
    r = client.post(f"{NOTICES}/{nid}/answer", json={"decisions": [removed]}, headers=platform)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["status"] == "acknowledged" and got["decided"] == 1
    decision = got["items"][0]["decision"]
    assert decision["as_requested"] is True
    sor = decision["statement_of_reasons"]
    assert sor["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert sor["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    assert sor["automated_decision"] == "AUTOMATED_DECISION_PARTIALLY"
    assert sor["illegal_content_legal_ground"] == "Prohibited items policy, drugs"
    assert sor["territorial_scope"] == ["US"]

    bad = [
        ({"item_id": items[1], "action": "no_action"}, "no_action_reason: required"),
        ({"item_id": items[1], "action": "demoted"}, "ground: required"),
        ({"item_id": 999999, "action": "removed", "ground": "illegal_content"}, "not in notice"),
    ]
    for decision_in, reason in bad:
        r = client.post(
            f"{NOTICES}/{nid}/answer", json={"decisions": [decision_in]}, headers=platform
        )
        assert r.status_code == 422, r.text
        assert reason in str(r.json()["errors"]), r.json()
    # a decision is final: the same again is a no-op, another one a conflict
    same = client.post(f"{NOTICES}/{nid}/answer", json={"decisions": [removed]}, headers=platform)
    assert same.status_code == 200
    changed = removed | {"action": "labelled"}
    r = client.post(f"{NOTICES}/{nid}/answer", json={"decisions": [changed]}, headers=platform)
    assert r.status_code == 409 and "final" in r.json()["errors"][0]["reason"]
    assert (
        client.post(
            f"{NOTICES}/{nid}/answer", json={"decisions": [removed]}, headers=cbp
        ).status_code
        == 403
    )
    rest = [
        {"item_id": items[1], "action": "no_action", "no_action_reason": "not_found"},
        {"item_id": items[2], "action": "disabled", "ground": "incompatible_content"},
    ]
    done = client.post(f"{NOTICES}/{nid}/answer", json={"decisions": rest}, headers=platform)
    assert done.status_code == 200, done.text
    final = done.json()
    assert final["status"] == "answered" and final["answered_at"]
    assert final["items"][1]["decision"]["statement_of_reasons"] is None
    disabled = final["items"][2]["decision"]["statement_of_reasons"]
    assert disabled["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    # the sender sees the answers; a withdrawal now is too late
    seen = client.get(f"{NOTICES}/{nid}", headers=cbp).json()
    assert [i["decision"]["action"] for i in seen["items"]] == ["removed", "no_action", "disabled"]
    late = client.post(f"{NOTICES}/{nid}/withdraw", json={"reason": "oops"}, headers=cbp)
    assert late.status_code == 409
    with session_scope(engine) as s:
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.object_type == "notice")
        ).all()
        assert {"notice.send", "notice.acknowledge", "notice.answer", "notice.read"} <= set(actions)
        assert verify(s).ok


def test_a_withdrawn_notice_cannot_be_answered(client, engine, cbp, platform) -> None:  # type: ignore[no-untyped-def]
    ids = report(client, cbp, [listing("W1")])
    sent = client.post(NOTICES, json=notice_body(ids), headers=cbp).json()["notice"]
    assert (
        client.post(f"{NOTICES}/{sent['id']}/withdraw", json={"reason": "gone"}, headers=platform)
    ).status_code == 403
    w = client.post(f"{NOTICES}/{sent['id']}/withdraw", json={"reason": "gone"}, headers=cbp)
    assert w.status_code == 200 and w.json()["status"] == "withdrawn"
    decision = {"item_id": sent["items"][0]["id"], "action": "removed", "ground": "illegal_content"}
    r = client.post(
        f"{NOTICES}/{sent['id']}/answer", json={"decisions": [decision]}, headers=platform
    )
    assert r.status_code == 409 and "withdrawn" in r.json()["detail"]
    # a withdrawn notice no longer blocks a new one about the same listing
    assert client.post(NOTICES, json=notice_body(ids), headers=cbp).status_code == 201


def _send(session, ids: list[int], at: dt.datetime, priority: str = "standard") -> Notice:  # type: ignore[no-untyped-def]
    from watchfloor.security.models import User
    from watchfloor.security.service import principal_for_user

    user = session.scalar(select(User).where(User.username == "us.cbp.analyst"))
    data = NoticeIn(
        platform="PLATFORM-EXAMPLE",
        listing_ids=ids,
        legal_ground=GROUND,
        requested_action="remove",
        priority=priority,  # type: ignore[arg-type]
    )
    notice, _ = notices.send_notice(session, principal_for_user(user), data, now=at)
    session.commit()
    return notice


def test_overdue_notices_are_escalated_once_per_step(client, engine, cbp) -> None:  # type: ignore[no-untyped-def]
    ids = report(client, cbp, [listing("E1"), listing("E2")])
    t0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with session_scope(engine) as s:
        n = _send(s, ids, t0)  # standard: 48 h for PLATFORM-EXAMPLE
        nid = n.id
        assert escalation.escalate_overdue(s, now=t0 + dt.timedelta(hours=47)) == []
        first = escalation.escalate_overdue(s, now=t0 + dt.timedelta(hours=49))
        assert [(e.level, e.unanswered) for e in first] == [("overdue", 2)]
        assert escalation.escalate_overdue(s, now=t0 + dt.timedelta(hours=50)) == []
        second = escalation.escalate_overdue(s, now=t0 + dt.timedelta(hours=97))
        assert [e.level for e in second] == ["escalated"]
        assert escalation.escalate_overdue(s, now=t0 + dt.timedelta(hours=300)) == []
    with session_scope(engine) as s:
        alerts = s.scalars(select(Alert).where(Alert.object_type == "notice")).all()
        owners = sorted((a.kind, a.owner.code) for a in alerts)
        assert owners == [
            ("notice_escalated", "PLATFORM-EXAMPLE"),
            ("notice_escalated", "US-CBP"),
            ("notice_overdue", "US-CBP"),
        ]
        assert "legal-escalations@marketplace.example" in next(
            a.title for a in alerts if a.owner.code == "PLATFORM-EXAMPLE"
        )
    listed = client.get(f"{NOTICES}?overdue=true", headers=cbp).json()["items"]
    assert [(x["id"], x["escalation"], x["overdue"]) for x in listed] == [(nid, "escalated", True)]
    # the platform's answer closes the alerts
    with session_scope(engine) as s:
        plat = system_principal(get_agency(s, "PLATFORM-EXAMPLE"))
        items = s.scalars(select(NoticeItem.id).where(NoticeItem.notice_id == nid)).all()
        decisions = [
            DecisionIn(item_id=i, action="removed", ground="illegal_content") for i in items
        ]
        notices.answer(s, plat, nid, AnswerIn(decisions=decisions))
    with session_scope(engine) as s:
        kept = s.scalars(select(Alert.status).where(Alert.object_type == "notice")).all()
        assert set(kept) == {"closed"}
        assert verify(s).ok


def test_the_escalation_loop_announces_on_the_bus(client, engine, cbp) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    ids = report(client, cbp, [listing("L1")])
    with session_scope(engine) as s:
        _send(s, ids, dt.datetime.now(dt.UTC) - dt.timedelta(hours=49))
    seen: list[tuple[str, dict[str, Any]]] = []
    stop = asyncio.Event()

    async def publish(tail: str, payload: dict[str, Any]) -> None:
        seen.append((tail, payload))
        stop.set()

    asyncio.run(asyncio.wait_for(escalation.loop(engine, 0.05, publish, stop=stop), 10))
    assert [(t, p["level"], p["platform"]) for t, p in seen] == [
        ("listings.notice_overdue", "overdue", "PLATFORM-EXAMPLE")
    ]


def test_the_transparency_report_counts_what_the_platform_did(client, engine, cbp) -> None:  # type: ignore[no-untyped-def]
    ids = report(client, cbp, [listing(f"T{i}") for i in range(6)])
    at = dt.datetime(2026, 10, 5, 9, tzinfo=dt.UTC)
    hours = dt.timedelta(hours=1)
    with session_scope(engine) as s:
        plat = system_principal(get_agency(s, "PLATFORM-EXAMPLE"))
        from watchfloor.security.models import User
        from watchfloor.security.service import principal_for_user

        me = principal_for_user(s.scalar(select(User).where(User.username == "us.cbp.analyst")))

        def decide(n: Notice, when: dt.datetime, **d: Any) -> None:
            decisions = [DecisionIn(item_id=i.id, **d) for i in n.items]
            notices.answer(s, plat, n.id, AnswerIn(decisions=decisions), now=when)

        removed = {"action": "removed", "ground": "illegal_content"}
        n1 = _send(s, ids[0:2], at)  # standard: 48 h
        notices.acknowledge(s, plat, n1.id, now=at + hours)
        decide(n1, at + 10 * hours, **removed)
        t2 = dt.datetime(2026, 10, 20, 9, tzinfo=dt.UTC)
        n2 = _send(s, ids[2:3], t2, priority="urgent")  # 12 h
        decide(n2, t2 + 20 * hours, action="no_action", no_action_reason="not_illegal")
        t3 = dt.datetime(2026, 11, 3, 9, tzinfo=dt.UTC)
        decide(_send(s, ids[3:4], t3), t3 + 30 * hours, **removed)
        n4 = _send(s, ids[4:5], dt.datetime(2026, 11, 10, tzinfo=dt.UTC))
        notices.withdraw(s, me, n4.id, "taken down already")
        _send(s, ids[5:6], dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
        s.commit()
    mx = api_headers(engine, "MX-ANAM", "viewer")  # a report is public to every caller
    q = "platform=PLATFORM-EXAMPLE&since=2026-10-01&until=2026-11-30"
    r = client.get(f"{NOTICES}/report?{q}", headers=mx)
    assert r.status_code == 200, r.text
    got = r.json()
    totals = got["totals"]
    assert {k: totals[k] for k in ("received", "withdrawn", "answered", "answered_on_time")} == {
        "received": 5,
        "withdrawn": 1,
        "answered": 3,
        "answered_on_time": 2,
    }
    assert (totals["actioned"], totals["share_actioned"]) == (2, 0.5)
    assert (totals["listings"], totals["listings_actioned"]) == (6, 3)
    assert totals["median_hours_to_acknowledge"] == 20.0  # 1, 20, 30
    assert totals["median_hours_to_action"] == 10.0  # 10, 10, 30
    assert totals["p90_hours_to_action"] == 26.0  # 10 + 0.8 * (30 - 10)
    assert got["overdue_open"] == 1
    assert got["actions"] == {"removed": 3, "no_action": 1}
    assert got["no_action_reasons"] == {"not_illegal": 1}
    assert got["hours_to_action"]["<= 12 h"] == 2 and got["hours_to_action"]["<= 48 h"] == 1
    months = {p["period"]: p for p in got["periods"]}
    assert list(months) == ["2026-10", "2026-11"]
    assert (months["2026-10"]["received"], months["2026-10"]["actioned"]) == (2, 1)
    assert (months["2026-11"]["received"], months["2026-11"]["withdrawn"]) == (3, 1)
    assert months["2026-11"]["median_hours_to_action"] == 30.0
    weeks = client.get(f"{NOTICES}/report?{q}&by=week", headers=mx).json()["periods"]
    assert [weeks[0]["period"], weeks[-1]["period"], len(weeks)] == ["2026-W40", "2026-W49", 10]

    csv_r = client.get(f"{NOTICES}/report.csv?{q}", headers=mx)
    assert csv_r.status_code == 200 and csv_r.headers["content-type"].startswith("text/csv")
    lines = csv_r.text.splitlines()
    assert lines[0].startswith("platform,since,until,period,received,withdrawn")
    assert [line.split(",")[3] for line in lines[1:]] == ["2026-10", "2026-11", "total"]
    assert client.get(f"{NOTICES}/report?platform=US-CBP", headers=mx).status_code == 404
    bad = client.get(f"{NOTICES}/report?{q}&until=2026-09-01", headers=mx)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "until"


def test_a_notice_shared_with_another_agency_is_in_its_shared_box(client, engine, cbp) -> None:  # type: ignore[no-untyped-def]
    ids = report(client, cbp, [listing("H1")])
    body = notice_body(ids, sharing={"tlp": "amber", "recipients": ["US-USPIS"]})
    sent = client.post(NOTICES, json=body, headers=cbp).json()["notice"]
    assert sent["sharing"]["recipients"] == ["PLATFORM-EXAMPLE", "US-USPIS"]
    uspis = api_headers(engine, "US-USPIS", "analyst")
    boxes = {
        (who, box): [n["id"] for n in client.get(f"{NOTICES}?box={box}", headers=h).json()["items"]]
        for who, h in (("cbp", cbp), ("uspis", uspis))
        for box in ("sent", "shared")
    }
    assert boxes == {
        ("cbp", "sent"): [sent["id"]],
        ("cbp", "shared"): [],
        ("uspis", "sent"): [],
        ("uspis", "shared"): [sent["id"]],
    }
