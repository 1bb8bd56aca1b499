"""Notices to platforms on SQLite and PostgreSQL: sending under the sharing policy, the
platform's inbox, acknowledging and answering in the DSA vocabulary, withdrawal,
idempotency, escalation of the overdue, and who may read what."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import api_headers
from tests.listings.test_api import listing
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
        ({"territorial_scope": ["US", "XX"]}, 422, "territorial_scope.1", "'XX' is not"),
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
        {"field": "listing_ids[0]", "reason": "listing %d is in open notice CBP-IDEM-1" % ids[0]}
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
    assert client.post(
        f"{NOTICES}/{nid}/answer", json={"decisions": [removed]}, headers=cbp
    ).status_code == 403
    rest = [
        {"item_id": items[1], "action": "no_action", "no_action_reason": "not_found"},
        {"item_id": items[2], "action": "disabled", "ground": "incompatible_content"},
    ]
    done = client.post(f"{NOTICES}/{nid}/answer", json={"decisions": rest}, headers=platform)
    assert done.status_code == 200, done.text
    final = done.json()
    assert final["status"] == "answered" and final["answered_at"]
    assert final["items"][1]["decision"]["statement_of_reasons"] is None
    assert final["items"][2]["decision"]["statement_of_reasons"]["incompatible_content_ground"] == ""
    # the sender sees the answers; a withdrawal now is too late
    seen = client.get(f"{NOTICES}/{nid}", headers=cbp).json()
    assert [i["decision"]["action"] for i in seen["items"]] == ["removed", "no_action", "disabled"]
    late = client.post(f"{NOTICES}/{nid}/withdraw", json={"reason": "oops"}, headers=cbp)
    assert late.status_code == 409
    with session_scope(engine) as s:
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.object_type == "notice")
        ).all()
        assert {"notice.send", "notice.acknowledge", "notice.answer", "notice.read"} <= set(
            actions
        )
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
    assert [(x["id"], x["escalation"], x["overdue"]) for x in listed] == [
        (nid, "escalated", True)
    ]
    # the platform's answer closes the alerts
    with session_scope(engine) as s:
        plat = system_principal(get_agency(s, "PLATFORM-EXAMPLE"))
        items = s.scalars(select(NoticeItem.id).where(NoticeItem.notice_id == nid)).all()
        decisions = [
            DecisionIn(item_id=i, action="removed", ground="illegal_content") for i in items
        ]
        notices.answer(s, plat, nid, AnswerIn(decisions=decisions))
    with session_scope(engine) as s:
        assert {a.status for a in s.scalars(select(Alert).where(Alert.object_type == "notice"))} == {
            "closed"
        }
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
