"""The alerts inbox: every domain's alerts that the agency may read, filtered by status and
kind, newest first and paged; officers of the owner agency take, close and reopen them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from watchfloor.alerts import service as alerts
from watchfloor.alerts.schemas import AlertOut, AlertUpdate
from watchfloor.errors import WatchfloorError
from watchfloor.security.deps import Cursor, Db, RecordId
from watchfloor.web.pages import Me, check_csrf, refused, render

router = APIRouter(include_in_schema=False)

AlertStatus = Annotated[str, Query(pattern="^(open|assigned|closed)?$")]
KindFilter = Annotated[str, Query(pattern="^[a-z_]{0,30}$")]
PAGE = 100
# the page of the record an alert is about, for the agency that owns the alert
SUBJECT_PAGES = {
    "shipment": "/shipments/{}",
    "listing": "/listings/{}",
    "notice": "/listings/notices/{}",
    "notification": "/cooperation/notifications/{}",
    "joint_case": "/cooperation/cases/{}",
    "seizure": "/cooperation/seizures/{}",
    "incident": "/cooperation/incidents/{}",
    "warning": "/warning/warnings/{}",
}


def subject_href(alert: AlertOut, agency_code: str) -> str | None:
    """Where the alert's record is shown, when the alert is the viewer's agency's own."""
    page = SUBJECT_PAGES.get(alert.object_type)
    if page is None or alert.sharing.owner != agency_code:
        return None
    return page.format(alert.object_id)


@router.get("/alerts", response_class=HTMLResponse)
def alert_list(
    request: Request,
    db: Db,
    me: Me,
    status: AlertStatus = "",
    kind: KindFilter = "",
    cursor: Cursor = None,
) -> Response:
    """Alerts the agency may read, newest first; its officers take and close its own here."""
    return _alerts(request, db, me, status, kind, cursor)


def _alerts(
    request: Request,
    db: Db,
    me: Me,
    status: str,
    kind: str,
    cursor: int | None = None,
    errors=(),
    code: int = 200,
) -> Response:
    page = alerts.list_alerts(
        db, me, status=status or None, kind=kind or None, cursor=cursor, limit=PAGE
    )
    links = {a.id: subject_href(a, me.agency_code) for a in page.items}
    query = {k: v for k, v in (("status", status), ("kind", kind)) if v}
    return render(request, "alerts/inbox.html", me, status=code, active="alerts",
                  page=page, shown=status, kind=kind, kinds=alerts.KINDS, links=links,
                  query=query, paged=cursor is not None, subject_pages=SUBJECT_PAGES,
                  errors=list(errors))  # fmt: skip


@router.post("/alerts/{alert_id}")
def work_alert(
    request: Request,
    db: Db,
    me: Me,
    alert_id: RecordId,
    action: Annotated[str, Form(pattern="^(assigned|closed|open)$")],
    reason: Annotated[str, Form(max_length=2000)] = "",
    shown: Annotated[str, Form(pattern="^(open|assigned|closed)?$")] = "",
    kind: Annotated[str, Form(pattern="^[a-z_]{0,30}$")] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Take an alert (assign it to yourself), close it with a reason, or open it again."""
    check_csrf(request, csrf_token)
    try:
        data = AlertUpdate(status=action, reason=reason or None)
        alerts.update_alert(db, me, alert_id, data)
    except (ValidationError, WatchfloorError) as exc:
        db.rollback()
        errors, code = refused(exc, f"alert {alert_id}")
        return _alerts(request, db, me, shown, kind, None, errors, code)
    db.commit()
    query = "&".join(f"{k}={v}" for k, v in (("status", shown), ("kind", kind)) if v)
    back = f"/alerts?{query}" if query else "/alerts"
    return RedirectResponse(f"{back}#alert-{alert_id}", status_code=303)
