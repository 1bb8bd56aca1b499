"""Time series of counts and quantities, built from what the viewer may read.

A series is one measure of one substance in one place, period by period, from one source:
an imported statistic (``Observation.dataset``), or the records of the instance — seizures,
inspection outcomes, drug-sale listings, pre-export notifications. Records are read through
``sharing.policy.visible``, so two agencies asking for the same series may see different
figures; each series remembers the most restrictive TLP among what it was built from, and
the warnings found in it carry that level.

Series of one source and period share one axis, from the source's first period to its last,
and a period with nothing reported is a zero: a laboratory system that reports nothing of a
substance in a state has seen none there. ``SeriesSet.values`` is the matrix (series x
periods) the detectors take.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from watchfloor.cooperation.pen import PreExportNotification
from watchfloor.cooperation.seizures import Seizure
from watchfloor.listings import Listing
from watchfloor.reference import SubstanceMatcher
from watchfloor.security import Principal
from watchfloor.sharing import visible
from watchfloor.shipments import Outcome, Shipment
from watchfloor.warning.models import Observation
from watchfloor.warning.substances import display, identify

Period = Literal["day", "week", "month", "half", "year"]
RECORD_SOURCES = ("seizures", "seizure-statistics", "inspections", "listings", "notifications")
TLP_RANK = {"clear": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}
HISTORY_YEARS = 25  # series reach back this far unless a query says since when
FREQ = {"day": 365, "week": 52, "month": 12, "half": 2, "year": 1}


class SeriesKey(NamedTuple):
    """Which series: ``source|measure|substance|place_kind:place|period`` as text. A tuple,
    so that hashing the keys of hundreds of thousands of cells stays cheap."""

    source: str
    measure: str
    substance: str
    place_kind: str
    place: str
    period: str

    @property
    def text(self) -> str:
        return "|".join(
            (
                self.source,
                self.measure,
                self.substance,
                f"{self.place_kind}:{self.place}",
                self.period,
            )
        )

    @classmethod
    def parse(cls, text: str) -> SeriesKey:
        parts = text.split("|")
        if len(parts) != 5 or ":" not in parts[3]:
            raise ValueError(
                f"{text!r} is not a series key (source|measure|substance|kind:place|period)"
            )
        kind, _, place = parts[3].partition(":")
        return cls(parts[0], parts[1], parts[2], kind, place, parts[4])


def floor_period(day: dt.date, period: str) -> dt.date:
    """The first day of the period holding ``day`` (weeks start on Monday)."""
    match period:
        case "day":
            return day
        case "week":
            return day - dt.timedelta(days=day.weekday())
        case "month":
            return day.replace(day=1)
        case "half":
            return dt.date(day.year, 1 if day.month <= 6 else 7, 1)
        case "year":
            return dt.date(day.year, 1, 1)
    raise ValueError(f"unknown period {period!r}")


def next_period(day: dt.date, period: str) -> dt.date:
    match period:
        case "day":
            return day + dt.timedelta(days=1)
        case "week":
            return day + dt.timedelta(days=7)
        case "month" | "half" | "year":
            months = {"month": 1, "half": 6, "year": 12}[period]
            m = day.month - 1 + months
            return dt.date(day.year + m // 12, m % 12 + 1, 1)
    raise ValueError(f"unknown period {period!r}")


def axis(first: dt.date, last: dt.date, period: str) -> list[dt.date]:
    out = [floor_period(first, period)]
    end = floor_period(last, period)
    while out[-1] < end:
        out.append(next_period(out[-1], period))
    return out


@dataclass
class SeriesSet:
    """Series of one source and period on a shared axis."""

    source: str
    period: str
    starts: list[dt.date]
    keys: list[SeriesKey]
    values: np.ndarray  # series x periods
    tlp: list[str]  # the most restrictive level among each series' inputs
    labels: dict[str, str] = field(default_factory=dict)  # substance -> how to call it
    countries: list[str | None] = field(default_factory=list)

    @property
    def freq(self) -> int:
        return FREQ[self.period]

    def row(self, key: SeriesKey) -> np.ndarray:
        return self.values[self.keys.index(key)]


@dataclass
class _Acc:
    """Cells gathered for one source before they become a matrix."""

    cells: dict[tuple[SeriesKey, dt.date], float] = field(
        default_factory=lambda: defaultdict(float)
    )
    tlp: dict[SeriesKey, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    countries: dict[SeriesKey, str | None] = field(default_factory=dict)
    first: dt.date | None = None
    last: dt.date | None = None

    def add(
        self, key: SeriesKey, start: dt.date, value: float, tlp: str, country: str | None
    ) -> None:
        self.cells[(key, start)] += value
        rank = TLP_RANK.get(tlp, 4)
        if rank > self.tlp.get(key, -1):
            self.tlp[key] = rank
        self.countries.setdefault(key, country)

    def span(self, start: dt.date) -> None:
        self.first = start if self.first is None or start < self.first else self.first
        self.last = start if self.last is None or start > self.last else self.last


def to_sets(
    accs: dict[tuple[str, str], _Acc], gaps: frozenset[str] = frozenset()
) -> list[SeriesSet]:
    """Matrices of the gathered cells; a period a source in ``gaps`` did not report is
    missing (NaN), not zero (crawls of a market on irregular days)."""
    names = {v: k for k, v in TLP_RANK.items()}
    out: list[SeriesSet] = []
    for (source, period), acc in sorted(accs.items()):
        if acc.first is None or acc.last is None or not acc.tlp:
            continue
        starts = axis(acc.first, acc.last, period)
        where = {d: i for i, d in enumerate(starts)}
        keys = sorted(acc.tlp)
        row = {k: i for i, k in enumerate(keys)}
        values = np.full((len(keys), len(starts)), np.nan if source in gaps else 0.0)
        for (key, start), value in acc.cells.items():  # one cell each: summed when gathered
            values[row[key], where[start]] = value
        out.append(
            SeriesSet(
                source,
                period,
                starts,
                keys,
                values,
                [names[acc.tlp[k]] for k in keys],
                acc.labels,
                [acc.countries[k] for k in keys],
            )  # fmt: skip
        )
    return out


@dataclass(frozen=True)
class SeriesQuery:
    """Which series to build; empty means all."""

    sources: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()
    substances: tuple[str, ...] = ()  # catalogue keys or labels
    places: tuple[str, ...] = ()  # places or countries
    period: Period = "month"  # of the series built from records (statistics keep theirs)
    since: dt.date | None = None
    substance_level: Literal["substance", "class"] = "substance"
    place_level: Literal["place", "country", "region"] = "place"

    def wants(self, source: str) -> bool:
        return not self.sources or source in self.sources

    @property
    def levels_are_native(self) -> bool:
        return self.substance_level == "substance" and self.place_level == "place"


def drug_class(substance: str) -> str:
    """The catalogue's class of a series' substance (``class:fentanyl``); a name unknown to
    the catalogue that names fentanyl is of the fentanyl class, any other is unknown."""
    if substance.startswith("class:"):
        return substance
    facts = SubstanceMatcher.shipped().facts.get(substance)
    if facts is not None:
        return f"class:{facts.drug_class}"
    return "class:fentanyl" if "fentan" in substance else "class:unknown"


def _level(q: SeriesQuery, key: SeriesKey, country: str | None, region: str | None) -> SeriesKey:
    """``key`` at the query's substance and place levels (a class; a country or region)."""
    if q.substance_level == "class":
        key = key._replace(substance=drug_class(key.substance))
    if q.place_level == "country" and country:
        key = key._replace(place_kind="country", place=country)
    elif q.place_level == "region":
        if region:
            key = key._replace(place_kind="region", place=region)
        elif country:
            key = key._replace(place_kind="country", place=country)
    return key


def _keep(q: SeriesQuery, key: SeriesKey, country: str | None) -> bool:
    if q.measures and key.measure not in q.measures:
        return False
    if q.substances and key.substance not in q.substances:
        return False
    return not q.places or key.place in q.places or (country or "") in q.places


def collect(
    session: Session, principal: Principal, query: SeriesQuery | None = None
) -> list[SeriesSet]:
    """Every series ``query`` asks for, from what ``principal`` may read."""
    q = query or SeriesQuery()
    accs: dict[tuple[str, str], _Acc] = defaultdict(_Acc)
    # records dated decades back or ahead (a typing slip: 0201 for 2021) would stretch the
    # axis of a whole source over centuries of empty periods: series keep a bounded window
    today = dt.date.today()
    low = q.since or dt.date(today.year - HISTORY_YEARS, 1, 1)
    high = today + dt.timedelta(days=366)
    native = q.levels_are_native
    for src, period, key, start, value, tlp, country, _text, region in _rows(session, principal, q):
        if start < low or start > high:
            continue
        acc = accs[(src, period)]
        acc.span(start)  # the axis is the source's, whichever of its series are kept
        if key is SPAN:
            continue
        if not native:
            key = _level(q, key, country, region)
        if not _keep(q, key, country):
            continue
        acc.add(key, start, value, tlp, country)
        if key.substance not in acc.labels:
            acc.labels[key.substance] = display(key.substance)
    from watchfloor.warning.importers import datasets

    return to_sets(accs, frozenset(k for k, d in datasets().items() if d.gaps == "missing"))


Row = tuple[str, str, SeriesKey, dt.date, float, str, str | None, str, str | None]  # +region
SPAN = SeriesKey("", "", "", "", "", "")  # a row that only widens its source's axis


def _rows(session: Session, principal: Principal, q: SeriesQuery) -> Iterable[Row]:
    """Every row of every source the query wants, read as the principal may."""
    yield from _observation_rows(session, principal, q)
    if q.wants("seizures") or q.wants("seizure-statistics"):
        yield from _seizure_rows(session, principal, q)
    if q.wants("inspections"):
        yield from _inspection_rows(session, principal, q.period)
    if q.wants("listings"):
        yield from _listing_rows(session, principal, q.period)
    if q.wants("notifications"):
        yield from _notification_rows(session, principal, q.period)


def _observation_rows(session: Session, principal: Principal, q: SeriesQuery) -> Iterable[Row]:
    """Imported statistics (``warning import``), summed per cell."""
    o = Observation
    cell = (o.dataset, o.measure, o.substance, o.substance_text, o.place_kind, o.place,
            o.period, o.period_start, o.tlp, o.country, o.region)  # fmt: skip
    seen = visible(principal, o)
    stmt = select(*cell, func.sum(o.value)).where(seen).group_by(*cell)
    if q.sources:
        stmt = stmt.where(o.dataset.in_(q.sources))
    if (q.substances or q.places or q.measures) and q.levels_are_native:
        # a few series of a large statistic: filter in the database, and give the source's
        # span apart (its axis is the whole source's, whatever is kept)
        spans = select(o.dataset, o.period, func.min(o.period_start), func.max(o.period_start))
        spans = spans.where(seen).group_by(o.dataset, o.period)
        if q.sources:
            spans = spans.where(o.dataset.in_(q.sources))
        for ds, period, first, last in session.execute(spans):
            yield ds, period, SPAN, first, 0.0, "clear", None, "", None
            yield ds, period, SPAN, last, 0.0, "clear", None, "", None
        if q.measures:
            stmt = stmt.where(o.measure.in_(q.measures))
        if q.substances:
            stmt = stmt.where(o.substance.in_(q.substances))
        if q.places:
            stmt = stmt.where(or_(o.place.in_(q.places), o.country.in_(q.places)))
    for (
        ds,
        measure,
        subst,
        text,
        kind,
        place,
        period,
        start,
        tlp,
        country,
        region,
        total,
    ) in session.execute(stmt):
        key = SeriesKey(ds, measure, subst, kind, place, period)
        yield ds, period, key, start, float(total), tlp, country, text, region


def _inspection_rows(session: Session, principal: Principal, p: str) -> Iterable[Row]:
    """The agency's own inspections that found something, one event each."""
    for said, skey, country, at in session.execute(
        select(
            Outcome.substance_text,
            Outcome.substance_key,
            Shipment.destination_country,
            Outcome.recorded_at,
        )
        .join(Shipment, Shipment.id == Outcome.shipment_id)
        .where(Shipment.owner_agency_id == principal.agency_id, Outcome.result == "seized")
    ):
        subst = skey or identify(said or "unknown")[1]
        key = SeriesKey("inspections", "events", subst, "country", country, p)
        start = floor_period(at.date(), p)
        yield "inspections", p, key, start, 1.0, "amber", country, said or subst, None


def _listing_rows(session: Session, principal: Principal, p: str) -> Iterable[Row]:
    """Listings read as drug sales, by substance class and the country they ship from."""
    li = Listing
    for cls, ships_from, at, tlp in session.execute(
        select(li.substance_class, li.ships_from, li.observed_at, li.tlp).where(
            visible(principal, li), li.is_drug_sale.is_(True)
        )
    ):
        subst = f"class:{cls or 'other'}"
        place = ships_from or "unknown"
        key = SeriesKey("listings", "listings", subst, "country", place, p)
        yield "listings", p, key, floor_period(at.date(), p), 1.0, tlp, ships_from, subst, None


def _notification_rows(session: Session, principal: Principal, p: str) -> Iterable[Row]:
    """Pre-export notifications, by substance and importing country."""
    n = PreExportNotification
    for text, skey, country, day, tlp in session.execute(
        select(n.substance_text, n.substance_key, n.importing_country, n.ship_on, n.tlp).where(
            visible(principal, n)
        )
    ):
        subst = skey or identify(text)[1]
        key = SeriesKey("notifications", "notifications", subst, "country", country, p)
        yield "notifications", p, key, floor_period(day, p), 1.0, tlp, country, text, None


def _seizure_source(q: SeriesQuery, span: str) -> str | None:
    """The source a seizure of this span feeds, if the query wants it: records and reported
    monthly or yearly figures cover different spans, so they are two sources (neither's axis
    makes the other's gaps look like zeros); an annual figure cannot be spread over months."""
    if span == "year" and q.period != "year":
        return None
    src = "seizures" if span == "event" else "seizure-statistics"
    return src if q.wants(src) else None


def _seizure_rows(session: Session, principal: Principal, q: SeriesQuery) -> Iterable[Row]:
    s, p = Seizure, q.period
    seen = visible(principal, s)
    # summed in the database over the seizures that fall in one cell (a country's monthly
    # statistics are thousands of rows and a few hundred cells); a record counts as one event
    # unless it says how many, and only quantities in kilograms add up to the kg series
    group = (s.substance_text, s.substance_key, s.country, s.seized_on, s.tlp, s.period)
    events = func.sum(case((func.coalesce(s.events, 0) == 0, 1), else_=s.events))
    kg = func.sum(case((s.normalised_unit == "kg", s.normalised_quantity)))
    stmt = select(*group, events, kg).where(seen).group_by(*group)
    if q.places and q.levels_are_native:
        # a country's series (its page): filter in the database, and give each source's span
        # from the dates of every readable seizure, as the full scan would have
        stmt = stmt.where(s.country.in_(q.places))
        for sp, day in session.execute(select(s.period, s.seized_on).where(seen).distinct()):
            src = _seizure_source(q, sp)
            if src is not None:
                yield src, p, SPAN, floor_period(day, p), 0.0, "clear", None, "", None
    for text, skey, country, day, tlp, sp, n, total_kg in session.execute(stmt):
        src = _seizure_source(q, sp)
        if src is None:
            continue
        subst = skey or identify(text)[1]
        start = floor_period(day, p)
        key = SeriesKey(src, "events", subst, "country", country, p)
        yield src, p, key, start, float(n), tlp, country, text, None
        if total_kg is not None:
            key = SeriesKey(src, "quantity_kg", subst, "country", country, p)
            yield src, p, key, start, float(total_kg), tlp, country, text, None


def from_cells(
    dataset: str,
    period: str,
    cells: Iterable[tuple[str, str, str, str, dt.date, float]],
    tlp: str = "clear",
) -> list[SeriesSet]:
    """Series straight from parsed cells ``(measure, substance, place_kind, place, start,
    value)``, without a database (benchmarks, backtests)."""
    acc = _Acc()
    for measure, substance, kind, place, start, value in cells:
        acc.span(start)
        acc.add(
            SeriesKey(dataset, measure, substance, kind, place, period), start, value, tlp, None
        )
        acc.labels.setdefault(substance, substance)
    return to_sets({(dataset, period): acc})
