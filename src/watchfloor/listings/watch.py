"""Market watch: how many drug listings a day, by substance class, seller, ships-from
country or platform, among the listings the caller may read; and the Agora 2014-2015
crawl counts that ship as a demonstration."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from watchfloor.listings.models import Listing
from watchfloor.security import Principal
from watchfloor.sharing import visible

By = Literal["substance_class", "seller", "ships_from", "platform"]
EVENTS = (
    (dt.date(2014, 11, 6), "Silk Road 2.0 taken down (Operation Onymous)"),
    (dt.date(2015, 3, 14), "Evolution market exit scam"),
)


@dataclass
class Series:
    by: str
    days: list[dt.date]
    counts: dict[str, list[int | None]]  # key -> one count per day (None: not known)

    def top(self, n: int) -> Series:
        """The ``n`` keys with most listings; the rest summed as "other"."""

        def total(k: str) -> int:
            return sum(v or 0 for v in self.counts[k])

        ranked = sorted(self.counts, key=lambda k: -total(k))
        if len(ranked) <= n:
            return self
        kept = {k: self.counts[k] for k in ranked[:n]}
        rest: list[int | None] = [
            sum(self.counts[k][i] or 0 for k in ranked[n:]) for i in range(len(self.days))
        ]
        return Series(self.by, self.days, {**kept, "other": rest})


def _day(session: Session, column: Any) -> Any:
    # SQLite has no DATE type: CAST would keep the year only; date() gives 'YYYY-MM-DD'
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column)
    return cast(column, Date)


def daily_counts(
    session: Session,
    principal: Principal,
    *,
    by: By = "substance_class",
    since: dt.date | None = None,
    until: dt.date | None = None,
    drug_sales_only: bool = True,
) -> Series:
    day = _day(session, Listing.observed_at)
    key = getattr(Listing, by)
    stmt = (
        select(day, key, func.count())
        .where(visible(principal, Listing))
        .group_by(day, key)
        .order_by(day)
    )
    if drug_sales_only:
        stmt = stmt.where(Listing.is_drug_sale.is_(True))
    if since:
        stmt = stmt.where(Listing.observed_at >= dt.datetime.combine(since, dt.time(), dt.UTC))
    if until:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC)
        stmt = stmt.where(Listing.observed_at < end)
    rows = [
        (d if isinstance(d, dt.date) else dt.date.fromisoformat(d), k or "unknown", n)
        for d, k, n in session.execute(stmt)
    ]
    return _series(by, rows)


def tally(by: str, seen: Iterable[tuple[dt.date, str | None]]) -> Series:
    """Counts per day and key of (day, key) pairs already at hand (a seller cluster's
    listings, say), with every day from the first to the last, so that quiet days show."""
    counted = Counter(seen)
    if not counted:
        return Series(by, [], {})
    first, last = min(d for d, _ in counted), max(d for d, _ in counted)
    every = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    rows = [(d, k or "unknown", n) for (d, k), n in counted.items()]
    return _series(by, rows, every)


def _series(
    by: str, rows: list[tuple[dt.date, str, int]], days: list[dt.date] | None = None
) -> Series:
    days = days or sorted({d for d, _, _ in rows})
    at = {d: i for i, d in enumerate(days)}
    counts: dict[str, list[int | None]] = {}
    for d, k, n in rows:
        counts.setdefault(k, [0] * len(days))[at[d]] = n
    return Series(by, days, counts)


def agora_crawls() -> Series:
    """Product and vendor pages per crawl of Agora, 2014-01-01 to 2015-07-07 (shipped);
    None where the crawl's count is not known (NA in the source)."""
    text = resources.files("watchfloor.listings").joinpath("data", "agora_crawls.csv").read_text()
    rows = list(csv.reader(io.StringIO(text)))[1:]
    days = [dt.date.fromisoformat(r[0].strip()) for r in rows]
    return Series(
        "crawl",
        days,
        {
            "product pages": [_count(r[1]) for r in rows],
            "vendor pages": [_count(r[2]) for r in rows],
        },
    )


def _count(cell: str) -> int | None:
    cell = cell.strip()
    return None if cell in ("", "NA") else int(cell)
