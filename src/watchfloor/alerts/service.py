"""Alerts: the one place that raises, lists, works and closes them.

Every domain raises its alerts through :func:`raise_alerts` and closes them through
:func:`close_alerts`; nothing else writes the table. Each alert raised or closed is an audit
event of its own, and each raise queues a ``alerts.raised`` event on the bus for the
moment its transaction commits (:func:`watchfloor.events.queue`). Alerts are listed through
the sharing policy; officers of the owner agency assign, close and reopen them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import ColumnElement, insert, select, true, update
from sqlalchemy.orm import Session

from watchfloor import audit, events
from watchfloor.alerts.models import Alert
from watchfloor.alerts.schemas import AlertOut, AlertPage, AlertUpdate
from watchfloor.db import fetch_page, utcnow
from watchfloor.errors import FieldProblem, Forbidden, Invalid
from watchfloor.security import Office, Principal, require_role
from watchfloor.sharing import Tlp, audit_list_reads, read_record, sharing_out, visible

AlertKind = Literal[
    "shipment_risk",  # a shipment scored at or above its office's threshold
    "watchlist_hit",  # a record carries an identifier on a watchlist
    "joint_case",  # another agency opened a joint case with yours
    "early_warning",  # a warning matched one of your subscriptions
    "pen_received",  # a pre-export notification to answer
    "pen_confirm",  # the importing country confirmed your notification
    "pen_object",  # ... objected to it
    "pen_request_info",  # ... asked for information
    "pen_reply",  # the exporting country replied
    "pen_overdue",  # a notification is unanswered past its deadline
    "pen_escalated",  # ... and was escalated
    "notice_overdue",  # a notice to a platform is past its deadline
    "notice_escalated",  # ... and was escalated
]
KINDS: tuple[str, ...] = get_args(AlertKind)


@dataclass(frozen=True, slots=True)
class NewAlert:
    """An alert to raise: for whom (the owner agency), what kind, about which record."""

    owner_agency_id: int
    kind: AlertKind
    object_type: str
    object_id: int
    title: str
    tlp: Tlp = "amber"
    office_id: int | None = None
    score: int | None = None
    audience: Literal["all", "analysts"] = "all"  # analysts: not in an officer's queue


def raise_alerts(
    session: Session,
    alerts: Sequence[NewAlert],
    *,
    actor: str,
    agency: str | None = None,
    now: dt.datetime | None = None,
) -> list[int]:
    """Store ``alerts`` (one statement), audit each and queue the bus event; their ids in
    order. ``actor``/``agency``: who raised them (a user, or the system for a domain)."""
    if not alerts:
        return []
    unknown = sorted({a.kind for a in alerts} - set(KINDS))
    if unknown:
        raise ValueError(f"unknown alert kinds: {', '.join(unknown)}")
    now = now or utcnow()
    rows = [
        {
            "owner_agency_id": a.owner_agency_id,
            "tlp": a.tlp,
            "originator_control": False,
            "kind": a.kind,
            "object_type": a.object_type,
            "object_id": a.object_id,
            "office_id": a.office_id,
            "title": a.title[:300],
            "score": a.score,
            "audience": a.audience,
            "status": "open",
            "created_at": now,
            "updated_at": now,
        }
        for a in alerts
    ]
    ids = list(
        session.execute(
            insert(Alert).returning(Alert.id, sort_by_parameter_order=True), rows
        ).scalars()
    )
    pairs = list(zip(ids, alerts, strict=True))
    audit.record_many(
        session,
        [
            {
                "action": "alert.raise",
                "object_type": "alert",
                "object_id": i,
                "detail": {"kind": a.kind, "about": f"{a.object_type} {a.object_id}"},
            }
            for i, a in pairs
        ],
        actor=actor,
        agency=agency,
    )
    raised = [{"id": i, "kind": a.kind, "owner_agency_id": a.owner_agency_id} for i, a in pairs]
    events.queue(session, "alerts.raised", {"alerts": raised})
    return ids


def open_about(session: Session, object_type: str, object_ids: Sequence[int]) -> set[int]:
    """Which of these records have an alert that is not closed."""
    if not object_ids:
        return set()
    return set(
        session.scalars(
            select(Alert.object_id).where(
                Alert.object_type == object_type,
                Alert.status != "closed",
                Alert.object_id.in_(list(object_ids)),
            )
        )
    )


def close_alerts(
    session: Session,
    *,
    object_type: str,
    object_ids: Sequence[int],
    reason: str,
    actor: str,
    agency: str | None = None,
    now: dt.datetime | None = None,
) -> list[int]:
    """Close every alert not yet closed about these records, auditing each; their ids."""
    if not object_ids:
        return []
    ids = list(
        session.scalars(
            select(Alert.id).where(
                Alert.object_type == object_type,
                Alert.object_id.in_(list(object_ids)),
                Alert.status != "closed",
            )
        )
    )
    if not ids:
        return []
    session.execute(
        update(Alert)
        .where(Alert.id.in_(ids))
        .values(status="closed", closed_reason=reason, updated_at=now or utcnow())
        .execution_options(synchronize_session="fetch")
    )
    audit.record_many(
        session,
        [
            {
                "action": "alert.closed",
                "object_type": "alert",
                "object_id": i,
                "detail": {"reason": reason, "about": object_type},
            }
            for i in ids
        ],
        actor=actor,
        agency=agency,
    )
    return ids


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


def for_role(principal: Principal) -> ColumnElement[bool]:
    """The alerts meant for the principal's role: an officer's queue holds what needs an
    officer; analysts, viewers and admins see every alert of their agency."""
    if principal.role == "officer":
        return Alert.audience != "analysts"
    return true()


def list_alerts(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    kind: str | None = None,
    after: int | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> AlertPage:
    """Alerts the principal may read, newest first, by status and kind. An officer's queue
    leaves out what is for analysts (early warnings their agency did not route to all)."""
    stmt = select(Alert).where(visible(principal, Alert), for_role(principal))
    if status:
        stmt = stmt.where(Alert.status == status)
    if kind:
        stmt = stmt.where(Alert.kind == kind)
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
