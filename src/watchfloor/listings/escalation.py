"""Escalation of overdue notices, and the loop that runs it in ``watchfloor serve`` and
``watchfloor worker``.

A notice still unanswered at its due time is overdue: the sender gets an alert
(``notice_overdue``). Late by one more full SLA period it is escalated: the sender and the
platform both get an alert (``notice_escalated``), the platform's naming its escalation
contact from ``platforms.toml``. Each step is audited and announced on the bus
(``<root>.listings.notice_overdue``), and happens once per notice however many processes
run the check: the step is claimed with a conditional update.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.alerts import AlertKind, NewAlert, raise_alerts
from watchfloor.db import claim_escalation, session_scope, utcnow
from watchfloor.listings.models import Notice
from watchfloor.listings.notice_reading import OPEN, hours_between
from watchfloor.listings.platforms import platform_sla

log = logging.getLogger("watchfloor.notices")
SYSTEM_ACTOR = "system:notice-escalation"


@dataclass(frozen=True)
class Escalation:
    notice_id: int
    reference: str
    level: Literal["overdue", "escalated"]
    sender: str
    platform: str
    due_at: dt.datetime
    unanswered: int


def _alert(notice: Notice, owner_id: int, kind: AlertKind, title: str) -> NewAlert:
    return NewAlert(
        owner_agency_id=owner_id, kind=kind, object_type="notice", object_id=notice.id, title=title
    )


def escalate_overdue(session: Session, *, now: dt.datetime | None = None) -> list[Escalation]:
    """Raise the escalation of every open notice past its due time (the caller commits).

    Safe to run from several processes at once: each step is claimed with a conditional
    update, so a notice is escalated once per level.
    """
    now = now or utcnow()
    found: list[Escalation] = []
    candidates = session.scalars(
        select(Notice)
        .where(Notice.status.in_(OPEN), Notice.due_at <= now, Notice.escalation < 2)
        .order_by(Notice.id)
    ).all()
    for n in candidates:
        level = 2 if now >= n.due_at + dt.timedelta(hours=n.sla_hours) else 1
        if level <= n.escalation:
            continue
        if not claim_escalation(session, n, level, now):
            continue
        unanswered = sum(1 for i in n.items if i.decided_at is None)
        late = hours_between(n.due_at, now)
        what = (
            f"notice {n.reference} to {n.platform_agency.code}: {unanswered} of "
            f"{len(n.items)} listings unanswered, {late:g} h past due"
        )
        label = "Overdue" if level == 1 else "Escalated"
        kind: AlertKind = "notice_overdue" if level == 1 else "notice_escalated"
        told = [_alert(n, n.owner_agency_id, kind, f"{label} {what}")]
        if level == 2:
            contact = platform_sla(n.platform_agency.code).escalation_contact
            to = f" (escalation contact {contact})" if contact else ""
            told.append(
                _alert(n, n.platform_agency_id, "notice_escalated", f"Escalated {what}{to}")
            )
        raise_alerts(session, told, actor=SYSTEM_ACTOR, agency=n.owner.code, now=now)
        audit.record(
            session,
            actor=SYSTEM_ACTOR,
            agency=n.owner.code,
            action="notice.overdue" if level == 1 else "notice.escalate",
            object_type="notice",
            object_id=n.id,
            detail={"due_at": n.due_at, "unanswered": unanswered, "level": level},
        )
        found.append(
            Escalation(
                notice_id=n.id,
                reference=n.reference,
                level="overdue" if level == 1 else "escalated",
                sender=n.owner.code,
                platform=n.platform_agency.code,
                due_at=n.due_at,
                unanswered=unanswered,
            )
        )
    return found


def run_once(engine: Engine, *, now: dt.datetime | None = None) -> list[Escalation]:
    with session_scope(engine) as session:
        return escalate_overdue(session, now=now)


async def loop(
    engine: Engine,
    every: float,
    publish: Any = None,
    *,
    stop: asyncio.Event | None = None,
) -> None:
    """Check every ``every`` seconds until ``stop``; ``publish(subject_tail, payload)``
    announces each step. A failed check is logged and tried again next time."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            found = await asyncio.to_thread(run_once, engine)
            for e in found:
                log.info("notice %s %s", e.reference, e.level)
                if publish is not None:
                    await publish("listings.notice_overdue", payload(e))
            from watchfloor.cooperation.pen import (
                service as pen,  # pre-export notifications have deadlines too
            )

            for p in await asyncio.to_thread(pen.run_once, engine):
                log.info("notification %s %s", p.reference, p.level)
                if publish is not None:
                    await publish("sharing.notification_overdue", payload(p))
        except Exception:  # the loop outlives a database or bus hiccup
            log.exception("checking overdue notices and notifications failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


def payload(e: Any) -> dict[str, Any]:
    return dataclasses.asdict(e) | {"due_at": e.due_at.isoformat()}
