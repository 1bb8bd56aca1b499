"""Reading notices: what a caller may see of them, as the API and the pages show it.

A notice is read like any shared record (``sharing.service.read_record``: 404 when not
visible, a read of another agency's notice audited); its decisions come with their hours
since sending and, where something was restricted, the DSA statement of reasons.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchfloor.db import fetch_page, utcnow
from watchfloor.listings import dsa
from watchfloor.listings.models import Notice, NoticeItem
from watchfloor.listings.notice_schemas import DecisionOut, NoticeItemOut, NoticeOut, NoticePage
from watchfloor.security import Agency, Principal
from watchfloor.sharing import audit_list_reads, read_record, sharing_out, visible

OPEN = ("sent", "acknowledged")
ESCALATION = ("none", "overdue", "escalated")


def hours_between(start: dt.datetime, end: dt.datetime) -> float:
    return round((end - start).total_seconds() / 3600, 2)


def is_overdue(notice: Notice, now: dt.datetime) -> bool:
    return notice.status in OPEN and notice.due_at <= now


def _decision_out(notice: Notice, item: NoticeItem) -> DecisionOut | None:
    if item.decided_at is None or item.action is None:
        return None
    scope = item.territorial_scope.split()
    statement = None
    if dsa.is_actioned(item.action, item.account_action):
        statement = dsa.statement_of_reasons(
            action=item.action,
            account_action=item.account_action,
            ground=item.ground or "illegal_content",
            ground_reference=item.ground_reference or "",
            explanation=item.explanation or "",
            automated_detection=bool(item.automated_detection),
            automated_decision=item.automated_decision or "not_automated",
            territorial_scope=scope,
            puid=f"{item.service}:{item.external_id}",
            url=item.url,
            decided_on=item.decided_at.date().isoformat(),
        )
    return DecisionOut(
        action=item.action,
        action_label=dsa.ACTIONS[item.action],
        account_action=item.account_action,
        ground=item.ground,
        ground_reference=item.ground_reference,
        explanation=item.explanation,
        no_action_reason=item.no_action_reason,
        automated_detection=bool(item.automated_detection),
        automated_decision=item.automated_decision or "not_automated",
        territorial_scope=scope,
        decided_at=item.decided_at,
        decided_by=item.decided_by or "",
        hours=hours_between(notice.sent_at, item.decided_at),
        as_requested=dsa.as_requested(notice.requested_action, item.action, item.account_action),
        statement_of_reasons=statement,
    )


def notice_out(notice: Notice, now: dt.datetime | None = None) -> NoticeOut:
    now = now or utcnow()
    return NoticeOut(
        id=notice.id,
        reference=notice.reference,
        sender=notice.owner.code,
        sender_name=notice.owner.name,
        platform=notice.platform_agency.code,
        platform_name=notice.platform_agency.name,
        legal_ground=notice.legal_ground,
        explanation=notice.explanation,
        requested_action=notice.requested_action,
        requested_label=dsa.REQUESTS[notice.requested_action][0],
        territorial_scope=notice.territorial_scope.split(),
        priority=notice.priority,
        sla_hours=notice.sla_hours,
        sent_at=notice.sent_at,
        due_at=notice.due_at,
        status=notice.status,
        overdue=is_overdue(notice, now),
        escalation=ESCALATION[notice.escalation],
        acknowledged_at=notice.acknowledged_at,
        acknowledged_by=notice.acknowledged_by,
        answered_at=notice.answered_at,
        withdrawn_at=notice.withdrawn_at,
        withdrawn_reason=notice.withdrawn_reason,
        decided=sum(1 for i in notice.items if i.decided_at is not None),
        items=[
            NoticeItemOut(
                id=i.id,
                listing_id=i.listing_id,
                service=i.service,
                external_id=i.external_id,
                url=i.url,
                title=i.title,
                seller=i.seller,
                decision=_decision_out(notice, i),
            )
            for i in notice.items
        ],
        sharing=sharing_out(notice),
    )


def get_notice(session: Session, principal: Principal, notice_id: int) -> Notice:
    """A notice the caller may read (404 otherwise); another agency's read is audited."""
    return read_record(session, principal, Notice, notice_id)


Box = Literal["all", "inbox", "sent", "shared"]


def list_notices(
    session: Session,
    principal: Principal,
    *,
    box: Box = "all",
    status: str | None = None,
    overdue: bool | None = None,
    cursor: int | None = None,
    limit: int = 50,
    now: dt.datetime | None = None,
) -> NoticePage:
    """Notices the caller may read, newest first: ``inbox`` those addressed to the caller's
    platform, ``sent`` those its agency sent, ``shared`` those others shared with it."""
    now = now or utcnow()
    stmt = select(Notice).where(visible(principal, Notice)).order_by(Notice.id.desc())
    if box == "inbox":
        stmt = stmt.where(Notice.platform_agency_id == principal.agency_id)
    elif box == "sent":
        stmt = stmt.where(Notice.owner_agency_id == principal.agency_id)
    elif box == "shared":
        stmt = stmt.where(
            Notice.owner_agency_id != principal.agency_id,
            Notice.platform_agency_id != principal.agency_id,
        )
    if status:
        stmt = stmt.where(Notice.status == status)
    if overdue is True:
        stmt = stmt.where(Notice.status.in_(OPEN), Notice.due_at <= now)
    elif overdue is False:
        stmt = stmt.where(~(Notice.status.in_(OPEN) & (Notice.due_at <= now)))
    if cursor:
        stmt = stmt.where(Notice.id < cursor)
    rows, next_cursor = fetch_page(session, stmt, limit)
    audit_list_reads(session, principal, "notice", rows)
    return NoticePage(items=[notice_out(n, now) for n in rows], next_cursor=next_cursor)


def platform_agencies(session: Session) -> list[Agency]:
    stmt = select(Agency).where(Agency.kind == "platform").order_by(Agency.code)
    return list(session.scalars(stmt))
