"""Working alerts from the alerts page: only the raising agency's officers may, a close needs
a reason, and each step is audited like its API twin."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.helpers import browser_login, csrf_from
from watchfloor.alerts.models import Alert
from watchfloor.audit import AuditEvent
from watchfloor.db import session_scope
from watchfloor.security.models import User
from watchfloor.security.service import get_agency


def _an_open_alert(engine) -> int:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        cbp = get_agency(s, "US-CBP")
        return s.scalar(
            select(Alert.id)
            .where(Alert.owner_agency_id == cbp.id, Alert.status == "open")
            .order_by(Alert.id)
            .limit(1)
        )


def _work(client, username: str, alert_id: int, **form: str):  # type: ignore[no-untyped-def]
    assert browser_login(client, username).status_code in (200, 303)
    token = csrf_from(client.get("/alerts").text)
    return client.post(
        f"/alerts/{alert_id}",
        data={"csrf_token": token, **form},
        follow_redirects=False,
    )


def test_officers_of_the_raising_agency_take_and_close_alerts(client, engine) -> None:  # type: ignore[no-untyped-def]
    alert_id = _an_open_alert(engine)
    r = _work(client, "us.cbp.officer", alert_id, action="closed")
    assert r.status_code == 422 and "reason: required to close" in r.text
    r = _work(client, "us.cbp.officer", alert_id, action="assigned", shown="open")
    assert r.status_code == 303 and r.headers["location"].endswith(f"status=open#alert-{alert_id}")
    r = _work(client, "us.cbp.officer", alert_id, action="closed", reason="false alarm")
    assert r.status_code == 303
    with session_scope(engine) as s:
        alert = s.get(Alert, alert_id)
        assert (alert.status, alert.closed_reason) == ("closed", "false alarm")
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == str(alert_id))
        ).all()
        assert {"alert.assigned", "alert.closed"} <= set(actions)
    page = client.get("/alerts?status=closed").text
    assert f'id="alert-{alert_id}"' in page and "false alarm" in page


def test_viewers_and_other_agencies_cannot_work_an_alert(client, engine) -> None:  # type: ignore[no-untyped-def]
    alert_id = _an_open_alert(engine)
    r = _work(client, "us.cbp.viewer", alert_id, action="assigned")
    assert r.status_code == 403
    assert 'name="action"' not in client.get("/alerts").text  # no forms for viewers
    r = _work(client, "mx.anam.officer", alert_id, action="assigned")
    assert r.status_code in (403, 404)
    with session_scope(engine) as s:
        assert s.get(Alert, alert_id).status == "open"


def test_the_old_inbox_address_sends_on_to_alerts(client) -> None:  # type: ignore[no-untyped-def]
    assert browser_login(client, "us.cbp.officer").status_code in (200, 303)
    r = client.get("/shipments/alerts?status=open", follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "/alerts?status=open"
    r = client.post("/shipments/alerts/7", data={"action": "assigned"}, follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "/alerts/7"


def test_the_inbox_holds_every_kind_filters_by_kind_and_links_each_subject(client, engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        kinds = dict(
            s.execute(
                select(Alert.kind, func.count())
                .where(Alert.owner_agency_id == get_agency(s, "MX-ANAM").id)
                .group_by(Alert.kind)
            ).all()
        )
        notice = s.scalar(
            select(Alert).where(Alert.kind == "pen_received").order_by(Alert.id).limit(1)
        )
        user = s.scalar(
            select(User.username).where(User.agency_id == notice.owner_agency_id).limit(1)
        )
    assert len(kinds) >= 2, kinds  # the demo raises alerts of several domains
    assert user is not None
    assert browser_login(client, user).status_code in (200, 303)
    page = client.get("/alerts?kind=pen_received").text
    assert f'href="/cooperation/notifications/{notice.object_id}"' in page
    assert "shipment risk" not in page.split("<tbody>")[1]  # the filter holds
    assert 'aria-current="page"' in page and 'href="/alerts"' in page  # in the main menu
