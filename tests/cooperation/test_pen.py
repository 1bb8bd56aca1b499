"""Pre-export notifications on a real database: filing under the rules of the importing
country, who sees them, answers, a request for information and its reply, objection into
the watchlist and the shipment score, deadlines and their escalation, per-country figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from tests.helpers import api_headers, record
from watchfloor.alerts.models import Alert
from watchfloor.cooperation.pen import service as pen
from watchfloor.db import session_scope
from watchfloor.security.service import get_agency

URL = "/api/v1/sharing/notifications"


def notification(ref: str, **over: Any) -> dict[str, Any]:
    return {
        "reference": ref,
        "importing_country": "MX",
        "substance": "4-piperidone",
        "quantity": 500,
        "unit": "kg",
        "exporter": {"name": "Hubei Xin Chemical Co", "country": "CN"},
        "importer": {"name": "Quimica Bajio Importaciones SA", "country": "MX"},
        "ship_on": "2026-12-20",
        "mode": "cargo",
        **over,
    }


def alert_titles(engine, agency: str, kind: str) -> list[str]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        owner = get_agency(s, agency).id
        return list(
            s.scalars(select(Alert.title).where(Alert.owner_agency_id == owner, Alert.kind == kind))
        )


def test_filing_and_who_sees_it(client, engine) -> None:  # type: ignore[no-untyped-def]
    cn = api_headers(engine, "CN-GACC", "officer")
    r = client.post(URL, json=notification("PEN-T-1"), headers=cn)
    assert r.status_code == 201, r.text
    got = r.json()
    assert (got["importing_authority"], got["table"], got["status"]) == ("MX-ANAM", "I", "pending")
    filed = dt.datetime.fromisoformat(got["filed_at"])
    assert dt.datetime.fromisoformat(got["due_at"]) - filed == dt.timedelta(days=10)  # MX's
    assert set(got["sharing"]["recipients"]) == {"MX-ANAM", "INT-INCB"}
    url = f"{URL}/{got['id']}"
    for code, status in (("MX-ANAM", 200), ("INT-INCB", 200), ("CO-DIAN", 404), ("US-CBP", 404)):
        assert client.get(url, headers=api_headers(engine, code, "analyst")).status_code == status
    assert any("PEN-T-1" in t for t in alert_titles(engine, "MX-ANAM", "pen_received"))

    assert client.post(URL, json=notification("PEN-T-1"), headers=cn).status_code == 200
    changed = client.post(URL, json=notification("PEN-T-1", quantity=900), headers=cn)
    assert changed.status_code == 409
    cases = [
        (notification("PEN-T-2", substance="cocaine"), "substance"),
        (notification("PEN-T-3", importing_country="FR"), "importing_country"),
        (notification("PEN-T-4", importing_country="CN"), "importing_country"),
        (notification("PEN-T-5", importing_country="XX"), "importing_country"),
    ]
    for body, field in cases:
        bad = client.post(URL, json=body, headers=cn)
        assert bad.status_code == 422, bad.text
        assert bad.json()["errors"][0]["field"] == field
    watched = client.post(
        URL,
        json=notification("PEN-T-6", substance="benzyl chloride", non_scheduled=True),
        headers=cn,
    )
    assert watched.status_code == 201, watched.text
    assert watched.json()["table"] == "watched"


def test_answers_objection_and_the_shipment_score(client, engine) -> None:  # type: ignore[no-untyped-def]
    cn = api_headers(engine, "CN-GACC", "officer")
    mx = api_headers(engine, "MX-ANAM", "officer")
    made = client.post(URL, json=notification("PEN-A-1"), headers=cn).json()
    url = f"{URL}/{made['id']}"
    assert client.post(f"{url}/answer", json={"decision": "confirm"}, headers=cn).status_code == 403
    ask = client.post(f"{url}/answer", json={"decision": "request_info"}, headers=mx)
    assert ask.status_code == 422 and ask.json()["errors"][0]["field"] == "reason"
    asked = client.post(
        f"{url}/answer",
        json={"decision": "request_info", "reason": "End use of 500 kg?"},
        headers=mx,
    ).json()
    assert asked["status"] == "info_requested"
    replied = client.post(f"{url}/reply", json={"message": "Pharma intermediate"}, headers=cn)
    assert replied.status_code == 200, replied.text
    assert replied.json()["status"] == "pending"
    assert [m["kind"] for m in replied.json()["messages"]] == ["question", "reply"]

    objected = client.post(
        f"{url}/answer",
        json={"decision": "object", "reason": "The importer holds no precursor licence."},
        headers=mx,
    )
    assert objected.status_code == 200, objected.text
    body = objected.json()
    assert body["status"] == "objected" and body["watchlist_entry_id"]
    again = client.post(f"{url}/answer", json={"decision": "confirm"}, headers=mx)
    assert again.status_code == 409
    entry_url = f"/api/v1/sharing/watchlist/{body['watchlist_entry_id']}"
    entry = client.get(entry_url, headers=mx).json()
    assert (entry["kind"], entry["value"]) == ("name", "Quimica Bajio Importaciones SA")
    assert entry["source"] == "pen-objection:PEN-A-1"
    assert client.get(entry_url, headers=cn).status_code == 200  # the exporter is told
    assert (
        client.get(entry_url, headers=api_headers(engine, "NL-FIOD", "analyst")).status_code == 404
    )

    # a shipment to the objected importer now scores high at Mexican customs
    shipment = record(
        "PEN-SHIP-1",
        office="MZO",
        destination_country="MX",
        currency="MXN",
        consignee={"name": "QUIMICA BAJIO IMPORTACIONES S.A.", "country": "MX"},
    )
    scored = client.post("/api/v1/shipments", json=shipment, headers=mx)
    assert scored.status_code == 200, scored.text
    sid = scored.json()["results"][0]["id"]
    detail = client.get(f"/api/v1/shipments/{sid}", headers=mx).json()
    reasons = [x for x in detail["reasons"] if x["rule"] == "parties"]
    assert reasons and reasons[0]["evidence"]["source"] == "watchlist", detail["reasons"]
    assert detail["score"] >= 45  # the office's alert threshold
    assert any(
        "objected to notification PEN-A-1" in t
        for t in alert_titles(engine, "CN-GACC", "pen_object")
    )


def test_deadlines_escalate_once_and_figures(client, engine) -> None:  # type: ignore[no-untyped-def]
    ca = api_headers(engine, "CA-HC", "officer")
    us = api_headers(engine, "US-CBP", "officer")
    late = client.post(
        URL,
        json=notification("PEN-D-1", importing_country="CO", substance="potassium permanganate"),
        headers=us,
    ).json()
    answered = client.post(
        URL, json=notification("PEN-D-2", importing_country="CA"), headers=us
    ).json()
    client.post(f"{URL}/{answered['id']}/answer", json={"decision": "confirm"}, headers=ca)
    due = dt.datetime.fromisoformat(late["due_at"])
    with session_scope(engine) as s:
        first = pen.check_deadlines(s, now=due + dt.timedelta(hours=1))
        repeat = pen.check_deadlines(s, now=due + dt.timedelta(hours=2))
        later = pen.check_deadlines(s, now=due + dt.timedelta(days=8))

    def ours(found: list[pen.Escalation]) -> list[tuple[str, str]]:  # not the demo's
        return [(e.reference, e.level) for e in found if e.reference.startswith("PEN-D")]

    assert ours(first) == [("PEN-D-1", "overdue")]
    assert ours(repeat) == []
    assert ours(later) == [("PEN-D-1", "escalated")]
    assert any("PEN-D-1" in t for t in alert_titles(engine, "INT-INCB", "pen_escalated"))
    assert any("PEN-D-1" in t for t in alert_titles(engine, "CO-FNE", "pen_overdue"))
    shown = client.get(f"{URL}/{late['id']}", headers=us).json()
    assert shown["escalation"] == "escalated"

    figures = client.get(f"{URL}/figures", headers=api_headers(engine, "INT-INCB", "analyst"))
    assert figures.status_code == 200, figures.text
    by = {f["country"]: f for f in figures.json()}
    assert by["US"]["sent"] >= 2
    assert by["CA"]["received"] >= 1 and by["CA"]["answered"] >= 1
    assert by["CA"]["median_response_hours"] is not None


def test_a_notification_is_shared_from_its_page_and_keeps_its_authorities(client, engine) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import browser_login, csrf_from

    cn = api_headers(engine, "CN-GACC", "officer")
    made = client.post(URL, json=notification("PEN-P-1"), headers=cn).json()
    page_url = f"/cooperation/notifications/{made['id']}"
    us = api_headers(engine, "US-CBP", "analyst")
    assert client.get(f"{URL}/{made['id']}", headers=us).status_code == 404
    browser_login(client, "cn.gacc.officer")
    page = client.get(page_url)
    assert page.status_code == 200 and 'id="sharing-form"' in page.text
    r = client.post(
        f"{page_url}/sharing",
        data={"tlp": "amber", "recipients": "US-CBP", "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert client.get(f"{URL}/{made['id']}", headers=us).status_code == 200
    got = client.get(f"{URL}/{made['id']}", headers=cn).json()
    assert set(got["sharing"]["recipients"]) == {"US-CBP", "MX-ANAM", "INT-INCB"}
    bad = client.post(
        f"{page_url}/sharing",
        data={"tlp": "amber", "recipients": "NO-SUCH", "csrf_token": csrf_from(page.text)},
    )
    assert bad.status_code == 422 and "unknown agency" in bad.text
