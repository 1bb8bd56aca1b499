"""From series to findings: first sightings, possible new substances and spikes.

A finding is what a warning will say before it is stored: the series, the period, what was
observed and expected, the statistic and the threshold, and a sentence an analyst reads.

First sightings are judged against the source's own history: a substance reported in the
first period a source covers was not *new* then, only first seen by the instance, so it is
not a warning; from the second period on, the first non-zero period of a series is a
``first_in_place`` finding, and the first non-zero period of a substance across every place
and source is a ``first_sighting``. A substance the catalogue does not know, reported by a
source whose rows are laboratory identifications (or in a seizure record), is a
``possible_nps`` finding for review, whatever the period.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from watchfloor.reference import chemical_name
from watchfloor.warning.detectors import Detection, cusum, ears
from watchfloor.warning.farrington import farrington_flexible
from watchfloor.warning.series import SeriesKey, SeriesSet
from watchfloor.warning.substances import identify

COUNT_MEASURES = ("events", "reports", "deaths", "listings", "vendors", "notifications")
ALGORITHM_NAMES = {
    "ears_c1": "EARS C1",
    "ears_c2": "EARS C2",
    "ears_c3": "EARS C3",
    "cusum_poisson": "Poisson CUSUM",
    "cusum_negbin": "negative binomial CUSUM",
    "farrington": "Farrington flexible",
}
DEFAULT_ALGORITHMS = tuple(ALGORITHM_NAMES)
# the CUSUM's baseline on half-yearly and yearly series: four periods, one period of guard
SHORT_CUSUM = {"baseline": 4, "guard": 1}
# a row about a category of drugs, not one substance: never a possible new substance
CATEGORY = re.compile(r"^(class:|all |other|non-specified|unspecified|total|mixed|unknown)")
# a spike needs at least this many reports in its period: 2 against 0.3 expected is noise
MIN_SPIKE = 5
PERIOD_WORDS = {"day": "%Y-%m-%d", "week": "week of %Y-%m-%d", "month": "%B %Y", "year": "%Y"}


def period_label(start: dt.date, period: str) -> str:
    if period == "half":
        return f"{start.year} H{1 if start.month <= 6 else 2}"
    return start.strftime(PERIOD_WORDS.get(period, "%Y-%m-%d"))


@dataclass
class Finding:
    kind: str
    algorithm: str
    key: SeriesKey
    label: str
    country: str | None
    start: dt.date
    observed: float
    tlp: str
    summary: str
    expected: float | None = None
    statistic: float | None = None
    threshold: float | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


def run(s: SeriesSet, algorithm: str, params: dict[str, Any] | None = None) -> Detection | None:
    """One detector over a set of count series; ``None`` where it cannot apply (quantities,
    Farrington on daily data)."""
    p = dict(params or {})
    match algorithm:
        case "ears_c1" | "ears_c2" | "ears_c3":
            return ears(s.values, method=algorithm[-2:].upper(), **p)  # type: ignore[arg-type]
        case "cusum_poisson" | "cusum_negbin":
            if s.period in ("half", "year"):  # twelve half-years of baseline is six years
                p = {**SHORT_CUSUM, **p}
            return cusum(s.values, family=algorithm[6:], **p)  # type: ignore[arg-type]
        case "farrington":
            if s.period == "day":
                return None
            return farrington_flexible(s.values, freq=s.freq, **p)
    raise ValueError(f"unknown algorithm {algorithm!r}; known: {', '.join(ALGORITHM_NAMES)}")


def counts_only(s: SeriesSet) -> SeriesSet:
    """The count series of a set (detectors model counts, not kilograms)."""
    rows = [i for i, k in enumerate(s.keys) if k.measure in COUNT_MEASURES]
    return SeriesSet(
        s.source, s.period, s.starts, [s.keys[i] for i in rows], s.values[rows],
        [s.tlp[i] for i in rows], s.labels, [s.countries[i] for i in rows],
    )  # fmt: skip


def _place(key: SeriesKey) -> str:
    return (
        key.place
        if key.place_kind in ("country", "state", "unknown")
        else f"{key.place} ({key.place_kind})"
    )


def recent_start(starts: list[dt.date], recent: int) -> dt.date:
    """The first of the ``recent`` last periods of an axis (the whole axis if shorter)."""
    return starts[max(len(starts) - recent, 0)]


def spikes(
    s: SeriesSet,
    detection: Detection,
    *,
    since: dt.date | None = None,
    recent: int | None = None,
) -> list[Finding]:
    """A finding per alarm of ``detection`` over ``s``, from ``since`` or in the ``recent``
    last periods of the set."""
    out: list[Finding] = []
    if recent is not None and s.starts:
        cut = recent_start(s.starts, recent)
        since = cut if since is None or cut > since else since
    name = ALGORITHM_NAMES[detection.algorithm]
    rows, cols = np.nonzero(detection.alarm)
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        start = s.starts[c]
        if since is not None and start < since:
            continue
        key = s.keys[r]
        label = s.labels.get(key.substance, key.substance)
        obs = float(detection.observed[r, c])
        exp = float(detection.expected[r, c])
        bound = float(detection.upper[r, c])
        # a spike is a count above its bound: EARS C3 sums three periods' statistics, and
        # fires on a period whose own count is below what was expected
        if obs < MIN_SPIKE or (np.isfinite(bound) and obs <= bound):
            continue
        stat = float(detection.statistic[r, c])
        how = (
            f"{name} statistic {stat:.2f} > {detection.threshold:.2f}"
            if np.isfinite(stat)
            else f"{name}: above a baseline without variation"
        )
        out.append(
            Finding(
                "spike",
                detection.algorithm,
                key,
                label,
                s.countries[r],
                start,
                obs,
                s.tlp[r],
                f"{label}: {obs:g} {key.measure} in {_place(key)} in "
                f"{period_label(start, key.period)} ({key.source}), against {exp:.1f} expected "
                f"and an upper bound of {bound:.1f}; {how}",
                expected=exp,
                statistic=stat,
                threshold=detection.threshold,
                parameters=detection.parameters,
            )  # fmt: skip
        )
    return out


def _first_in_place(k: SeriesKey, when: str, others: list[str], n: str) -> str:
    checked = (
        f"; no earlier report there in {', '.join(others)}"
        if others
        else "; no other source you may read covers it there"
    )
    return (
        f"reported for the first time in {_place(k)}: {n} {k.measure} in {when}, "
        f"according to {k.source}{checked}"
    )


def _first_on_instance(k: SeriesKey, when: str, n: str) -> str:
    return (
        f"reported for the first time on this instance: {n} {k.measure} in {_place(k)} "
        f"in {when} ({k.source})"
    )


def _sighting(s: SeriesSet, r: int, c: int, kind: str, what: Callable[[str], str]) -> Finding:
    """A first sighting of series ``r`` at period ``c``; ``what(count)`` says the rest of
    the sentence after the substance's name."""
    key = s.keys[r]
    label = s.labels.get(key.substance, key.substance)
    obs = float(s.values[r, c])
    summary = f"{label} {what(f'{obs:g}')}"
    return Finding(
        kind, "first_sighting", key, label, s.countries[r], s.starts[c], obs, s.tlp[r], summary
    )


def sightings(
    sets: list[SeriesSet],
    *,
    nps_sources: frozenset[str] = frozenset(),
    evidence: list[SeriesSet] | None = None,
) -> list[Finding]:
    """First sightings per place, instance-wide first sightings and possible new substances.

    A first sighting in a place is checked against every series of ``sets`` (every source
    the caller may read) for that place and substance: it stands only where no source has
    an earlier period with a report, and its text names the source it rests on and the
    others it was checked against. ``evidence``: more series (annual statistics beside
    monthly ones) that can only contradict a first sighting, never make one."""
    out: list[Finding] = []
    own = {id(s) for s in sets}
    earliest, firsts, in_place, sources = _first_reports([*sets, *(evidence or [])])
    firsts = [f for f in firsts if id(f[0]) in own]
    earliest = {k: v for k, v in earliest.items() if id(v[1]) in own}
    for s, r, c in firsts:
        key = s.keys[r]
        where = (_place_of(s, r), key.substance)
        if s.starts[c] > in_place[where]:
            continue  # another source the caller reads reported it there earlier
        others = sorted(sources[where] - {key.source})
        when = period_label(s.starts[c], key.period)
        out.append(
            _sighting(s, r, c, "first_in_place", partial(_first_in_place, key, when, others))
        )  # fmt: skip
    for substance, (start, s, r, c) in sorted(earliest.items()):
        key = s.keys[r]
        label = s.labels.get(substance, substance)
        obs = float(s.values[r, c])
        if c > 0:
            when = period_label(start, key.period)
            out.append(
                _sighting(s, r, c, "first_sighting", partial(_first_on_instance, key, when))
            )  # fmt: skip
        reviewed = s.source in nps_sources or s.source in ("seizures", "inspections")
        unknown = identify(label)[0] is None and identify(substance)[0] is None
        # a possible new substance is a chemical name, not a fragment ("n", "tert-butyl 4")
        named = chemical_name(label) and not CATEGORY.match(substance)
        if reviewed and unknown and named:
            out.append(
                Finding(
                    "possible_nps",
                    "catalogue",
                    key,
                    label,
                    s.countries[r],
                    start,
                    obs,
                    s.tlp[r],
                    f"{label} is not in the reference catalogue: a possible new "
                    f"psychoactive substance, first reported in {_place(key)} in "
                    f"{period_label(start, key.period)} ({key.source}); review it",
                )  # fmt: skip
            )
    return out


Cell = tuple[SeriesSet, int, int]  # a set, a row and a column of it


def _first_reports(
    sets: list[SeriesSet],
) -> tuple[
    dict[str, tuple[dt.date, SeriesSet, int, int]],
    list[Cell],
    dict[tuple[str, str], dt.date],
    dict[tuple[str, str], set[str]],
]:
    """The first report of every series: the earliest of each substance on the instance,
    the series whose first report is not in their source's first period, the earliest
    report of each place and substance whatever the source, and the sources of each."""
    earliest: dict[str, tuple[dt.date, SeriesSet, int, int]] = {}
    firsts: list[Cell] = []
    in_place: dict[tuple[str, str], dt.date] = {}
    sources: dict[tuple[str, str], set[str]] = {}
    for s in sets:
        if not s.starts:
            continue
        nonzero = s.values > 0
        first = np.where(nonzero.any(axis=1), nonzero.argmax(axis=1), -1)
        for r, c in enumerate(first.tolist()):
            key = s.keys[r]
            # a report in a state is a report in its country too
            places = {_place_of(s, r), s.countries[r] if r < len(s.countries) else None}
            for place in places - {None}:
                where = (str(place), key.substance)
                sources.setdefault(where, set()).add(key.source)
                if c >= 0 and (where not in in_place or s.starts[c] < in_place[where]):
                    in_place[where] = s.starts[c]
            if c < 0:
                continue
            start = s.starts[c]
            seen = earliest.get(key.substance)
            if seen is None or start < seen[0]:
                earliest[key.substance] = (start, s, r, c)
            if c > 0:  # present when the source begins: not new, only first seen
                firsts.append((s, r, c))
    return earliest, firsts, in_place, sources


def _place_of(s: SeriesSet, r: int) -> str:
    """Where a series is, for comparing sources: its place (a state is not its country)."""
    return s.keys[r].place


def merge_spikes(found: list[Finding]) -> list[Finding]:
    """One finding per series and period: several algorithms firing on the same count are
    one warning, kept under the algorithm with the highest statistic over its threshold and
    naming the others."""
    by_cell: dict[tuple[str, dt.date], list[Finding]] = {}
    out: list[Finding] = []
    for f in found:
        if f.kind != "spike":
            out.append(f)
            continue
        by_cell.setdefault((f.key.text, f.start), []).append(f)
    for group in by_cell.values():
        best = max(group, key=_strength)
        others = sorted(
            {ALGORITHM_NAMES[g.algorithm] for g in group} - {ALGORITHM_NAMES[best.algorithm]}
        )
        if others:
            best.summary += f"; also flagged by {', '.join(others)}"
            best.parameters = {**best.parameters, "also": others}
        out.append(best)
    return out


def _strength(f: Finding) -> float:
    if f.statistic is None or f.threshold is None or not np.isfinite(f.statistic):
        return float("inf") if f.statistic is not None else 0.0
    return f.statistic / f.threshold if f.threshold else f.statistic
