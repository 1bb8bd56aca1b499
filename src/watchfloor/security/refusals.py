"""Refused requests of callers nobody knows, counted instead of audited one by one.

An unauthenticated caller can send requests as fast as it likes; writing an audit event for
each would let it fill the audit log (and slow every audited write behind the head row's
lock). So refusals are counted per kind, source and hour (``refusal_counts``), and only the
first of each hour is audited, as a sample that says later ones are counted. Admins read the
counts (``GET /api/v1/refusals``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.db import utcnow
from watchfloor.security.models import RefusalCount


def note(session: Session, *, kind: str, source: str, reason: str, actor: str) -> None:
    """Count one refusal; audit it if it is the first of its kind and source this hour.
    The caller commits."""
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    source = source[:200]
    counted = session.execute(
        update(RefusalCount)
        .where(RefusalCount.kind == kind, RefusalCount.source == source, RefusalCount.hour == hour)
        .values(count=RefusalCount.count + 1)
    )
    if counted.rowcount:  # type: ignore[attr-defined]
        return
    try:
        with session.begin_nested():
            session.add(RefusalCount(kind=kind, source=source, hour=hour, count=1,
                                     first_reason=reason[:300]))  # fmt: skip
    except IntegrityError:  # another request counted the first one a moment ago
        note(session, kind=kind, source=source, reason=reason, actor=actor)
        return
    audit.record(
        session,
        actor=actor,
        action=f"{kind}.refused",
        detail={
            "from": source,
            "reason": reason,
            "sampled": "the first refusal from this source this hour; later ones are counted",
        },
    )


def recent(session: Session, *, days: int = 7) -> list[RefusalCount]:
    """The counts of the last ``days`` days, newest hour first."""
    since = utcnow() - dt.timedelta(days=days)
    return list(
        session.scalars(
            select(RefusalCount)
            .where(RefusalCount.hour >= since)
            .order_by(RefusalCount.hour.desc(), RefusalCount.count.desc())
            .limit(1000)
        )
    )
