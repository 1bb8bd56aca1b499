"""Alerts: listed through the sharing policy, assigned, closed; every change audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.alerts.models import Alert
from watchfloor.alerts.schemas import AlertOut, AlertPage, AlertUpdate
from watchfloor.db import fetch_page, utcnow
from watchfloor.errors import FieldProblem, Forbidden, Invalid
from watchfloor.security.models import Office
from watchfloor.security.service import Principal, require_role
from watchfloor.sharing.grants import audit_list_reads, read_record, sharing_out
from watchfloor.sharing.policy import visible


def alert_out(session: Session, a: Alert) -> AlertOut:
    office = session.get(Office, a.office_id) if a.office_id else None
    return AlertOut(
        id=a.id,
        kind=a.kind,
        object_type=a.object_type,
        object_id=a.object_id,
        office=office.code if office else None,
        title=a.title,
        score=a.score,
        status=a.status,
        assignee=a.assignee,
        created_at=a.created_at,
        updated_at=a.updated_at,
        closed_reason=a.closed_reason,
        sharing=sharing_out(a),
    )


def list_alerts(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    after: int | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> AlertPage:
    stmt = select(Alert).where(visible(principal, Alert))
    if status:
        stmt = stmt.where(Alert.status == status)
    if after is not None:
        stmt = stmt.where(Alert.id > after)
    if cursor is not None:
        stmt = stmt.where(Alert.id < cursor)
    rows, next_cursor = fetch_page(session, stmt.order_by(Alert.id.desc()), limit)
    audit_list_reads(session, principal, "alert", rows)
    return AlertPage(
        items=[alert_out(session, a) for a in rows],
        next_cursor=next_cursor,
    )


def get_alert(session: Session, principal: Principal, alert_id: int) -> Alert:
    return read_record(session, principal, Alert, alert_id)


def update_alert(session: Session, principal: Principal, alert_id: int, data: AlertUpdate) -> Alert:
    """Only the owner agency's officers work an alert; recipients of a shared one only read it."""
    require_role(principal, "officer")
    alert = get_alert(session, principal, alert_id)
    if alert.owner_agency_id != principal.agency_id:
        raise Forbidden("only the agency that raised an alert may work it")
    if data.status == "closed" and not data.reason:
        raise Invalid(
            "closing an alert needs a reason", [FieldProblem("reason", "required to close")]
        )
    before = alert.status
    alert.status = data.status
    if data.status == "assigned":
        alert.assignee = data.assignee or principal.actor
    if data.status == "closed":
        alert.closed_reason = data.reason
    if data.status == "open":
        alert.assignee = None
        alert.closed_reason = None
    alert.updated_at = utcnow()
    audit.record_by(
        session,
        principal,
        action=f"alert.{data.status}",
        object_type="alert",
        object_id=str(alert.id),
        detail={"from": before, "assignee": alert.assignee, "reason": data.reason},
    )
    return alert
