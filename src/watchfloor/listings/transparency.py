"""The transparency report: how a platform handled the notices it received in a period.

Measures, after the DSA's transparency duties for orders from authorities (Article 15(1)(a):
the number received, and the median time to confirm receipt and to give effect):

- notices received (by sending time), withdrawn, answered, answered by their due time;
- actioned: notices where the platform restricted at least one listing or the seller's
  account; the share is over notices not withdrawn;
- hours to acknowledge (per notice) and hours to action (per actioned listing, from the
  notice's sending to the decision): median and 90th percentile, by linear interpolation
  between the closest ranks (numpy's default);
- decisions by action, account action, reason for no action, and automation.

The report holds counts only, never a notice, a listing or a sender, so that it can be
published: every authenticated caller may read any platform's.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from watchfloor import exports
from watchfloor.db import utcnow
from watchfloor.errors import FieldProblem, Invalid, NotFound
from watchfloor.listings import dsa
from watchfloor.listings.models import Notice
from watchfloor.listings.notice_reading import is_overdue
from watchfloor.listings.notice_schemas import PeriodOut, ReportOut
from watchfloor.listings.platforms import platform_sla
from watchfloor.security import Agency

Period = Literal["day", "week", "month", "quarter"]
BUCKETS = (1, 6, 12, 24, 48, 72, 168)
FIRST_DAY, LAST_DAY = dt.date(1990, 1, 1), dt.date(2999, 12, 31)


def period_key(by: Period) -> Callable[[dt.datetime], str]:
    """The label of the period a UTC time falls in: 2026-11-30, 2026-W49, 2026-11, 2026-Q4."""
    if by == "day":
        return lambda t: t.date().isoformat()
    if by == "week":
        return lambda t: "{}-W{:02d}".format(*t.isocalendar()[:2])
    if by == "quarter":
        return lambda t: f"{t.year}-Q{(t.month - 1) // 3 + 1}"
    return lambda t: f"{t.year}-{t.month:02d}"


def _labels(since: dt.date, until: dt.date, by: Period) -> list[str]:
    key, day = period_key(by), since
    out: list[str] = []
    while day <= until:
        label = key(dt.datetime.combine(day, dt.time(), dt.UTC))
        if not out or out[-1] != label:
            out.append(label)
        day += dt.timedelta(days=1)
    return out


def _quantile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if values else None


def bucket(hours: float) -> str:
    for upper in BUCKETS:
        if hours <= upper:
            return f"<= {upper} h"
    return f"> {BUCKETS[-1]} h"


@dataclass
class _Tally:
    received: int = 0
    withdrawn: int = 0
    answered: int = 0
    on_time: int = 0
    actioned: int = 0
    listings: int = 0
    listings_actioned: int = 0
    to_ack: list[float] = field(default_factory=list)
    to_action: list[float] = field(default_factory=list)

    def add(self, n: Notice) -> None:
        self.received += 1
        self.listings += len(n.items)
        if n.status == "withdrawn":
            self.withdrawn += 1
        if n.answered_at is not None:
            self.answered += 1
            self.on_time += n.answered_at <= n.due_at
        if n.acknowledged_at is not None:
            self.to_ack.append((n.acknowledged_at - n.sent_at).total_seconds() / 3600)
        hit = False
        for i in n.items:
            if i.decided_at is not None and dsa.is_actioned(i.action, i.account_action):
                hit = True
                self.listings_actioned += 1
                self.to_action.append((i.decided_at - n.sent_at).total_seconds() / 3600)
        self.actioned += hit

    def out(self, period: str) -> PeriodOut:
        live = self.received - self.withdrawn
        return PeriodOut(
            period=period,
            received=self.received,
            withdrawn=self.withdrawn,
            answered=self.answered,
            answered_on_time=self.on_time,
            actioned=self.actioned,
            share_actioned=round(self.actioned / live, 4) if live else None,
            listings=self.listings,
            listings_actioned=self.listings_actioned,
            median_hours_to_acknowledge=_quantile(self.to_ack, 50),
            median_hours_to_action=_quantile(self.to_action, 50),
            p90_hours_to_action=_quantile(self.to_action, 90),
        )


def _notices(
    session: Session, platform: Agency, since: dt.date, until: dt.date
) -> Iterable[Notice]:
    start = dt.datetime.combine(since, dt.time(), dt.UTC)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC)
    stmt = (
        select(Notice)
        .where(
            Notice.platform_agency_id == platform.id,
            Notice.sent_at >= start,
            Notice.sent_at < end,
        )
        .order_by(Notice.sent_at)
        .execution_options(yield_per=1000)
    )
    return session.scalars(stmt)


def report(
    session: Session,
    platform_code: str,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    by: Period = "month",
    now: dt.datetime | None = None,
) -> ReportOut:
    """The report for the platform agency ``platform_code`` over ``since``..``until``
    (UTC days, both included; default: the last 90 days)."""
    now = now or utcnow()
    for name, day in (("since", since), ("until", until)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise Invalid(
                f"{name} must fall between {FIRST_DAY} and {LAST_DAY}",
                [FieldProblem(name, "out of range")],
            )
    until = until or now.date()
    since = since or until - dt.timedelta(days=89)
    if until < since:
        raise Invalid("until is before since", [FieldProblem("until", "before since")])
    if (until - since).days > 366 * 5:
        raise Invalid("at most five years", [FieldProblem("since", "more than 5 years back")])
    platform = session.scalar(select(Agency).where(Agency.code == platform_code.strip().upper()))
    if platform is None or platform.kind != "platform":
        raise NotFound(f"no platform agency {platform_code!r}")
    key = period_key(by)
    totals, periods = _Tally(), {label: _Tally() for label in _labels(since, until, by)}
    actions: Counter[str] = Counter()
    accounts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    automated: Counter[str] = Counter()
    overdue = escalated = 0
    for n in _notices(session, platform, since, until):
        totals.add(n)
        periods.setdefault(key(n.sent_at), _Tally()).add(n)
        overdue += is_overdue(n, now)
        escalated += n.escalation >= 2
        for i in n.items:
            if i.decided_at is None or i.action is None:
                continue
            actions[i.action] += 1
            automated[i.automated_decision or "not_automated"] += 1
            if i.account_action:
                accounts[i.account_action] += 1
            if i.no_action_reason:
                reasons[i.no_action_reason] += 1
    hours = Counter(bucket(h) for h in totals.to_action)
    sla = platform_sla(platform.code)
    order = [f"<= {u} h" for u in BUCKETS] + [f"> {BUCKETS[-1]} h"]
    return ReportOut(
        platform=platform.code,
        platform_name=platform.name,
        since=since,
        until=until,
        by=by,
        sla_urgent_hours=sla.urgent_hours,
        sla_standard_hours=sla.standard_hours,
        totals=totals.out("total"),
        overdue_open=overdue,
        escalated=escalated,
        actions={a: actions[a] for a in dsa.ACTIONS if actions[a]},
        account_actions=dict(accounts),
        no_action_reasons={r: reasons[r] for r in dsa.NO_ACTION_REASONS if reasons[r]},
        automated={a: automated[a] for a in dsa.AUTOMATION if automated[a]},
        hours_to_action={b: hours[b] for b in order},
        periods=[t.out(label) for label, t in sorted(periods.items())],
        generated_at=now,
    )


CSV_COLUMNS = tuple(PeriodOut.model_fields)


def report_csv(found: ReportOut) -> str:
    """One row per period and a last row for the whole report, with the platform named."""
    buf = io.StringIO()
    writer = exports.Writer(buf, lineterminator="\n")
    writer.writerow(("platform", "since", "until", *CSV_COLUMNS))
    for row in [*found.periods, found.totals]:
        values = row.model_dump()
        writer.writerow(
            (found.platform, found.since, found.until)
            + tuple("" if values[c] is None else values[c] for c in CSV_COLUMNS)
        )
    return buf.getvalue()


def summary(
    session: Session, *, since: dt.date | None = None, until: dt.date | None = None
) -> list[ReportOut]:
    """Every platform agency's report over the same period (for the comparison table)."""
    rows = session.scalars(
        select(Agency.code).where(Agency.kind == "platform").order_by(Agency.code)
    ).all()
    return [report(session, code, since=since, until=until) for code in rows]
