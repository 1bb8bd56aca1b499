"""The early-warning desk: scan the series a caller may read, keep what fires, tell subscribers.

:func:`scan` builds the series (``warning.series``), runs the detectors and the first-sighting
rules (``warning.findings``) and stores each finding once as an :class:`EarlyWarning` owned
by the caller's agency, at the most restrictive TLP of the records it was computed from.
A new warning that matches one of the agency's subscriptions becomes an alert of that agency;
the events to publish (``watchfloor.warning.raised``) come back with the report, for the
caller (API, worker, CLI) to put on the bus after the commit.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.alerts import NewAlert, raise_alerts
from watchfloor.db import utcnow
from watchfloor.errors import Conflict, FieldProblem, Invalid, NotFound
from watchfloor.security import Principal, require_role
from watchfloor.sharing import audit_list_reads, visible
from watchfloor.warning import findings as fnd
from watchfloor.warning.detectors import finite, finite_list
from watchfloor.warning.importers import datasets
from watchfloor.warning.models import WARNING_KINDS, EarlyWarning, Observation, Subscription
from watchfloor.warning.series import SeriesKey, SeriesQuery, SeriesSet, collect


@dataclass
class ScanReport:
    series: int = 0
    findings: int = 0
    created: int = 0
    alerts: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def nps_sources() -> frozenset[str]:
    return frozenset(k for k, d in datasets().items() if d.nps_review)


def rolling_sources() -> frozenset[str]:
    """Sources whose values are sums over several periods: no spike detection there."""
    return frozenset(k for k, d in datasets().items() if d.rolling > 1)


def detect(
    sets: list[SeriesSet],
    *,
    algorithms: tuple[str, ...] = fnd.DEFAULT_ALGORITHMS,
    params: dict[str, dict[str, Any]] | None = None,
    since: dt.date | None = None,
    recent: int | None = None,
    first_sightings: bool = True,
    evidence: list[SeriesSet] | None = None,
) -> list[fnd.Finding]:
    """Every finding in ``sets``: spikes of each algorithm from ``since`` (or in the
    ``recent`` last periods of each set), and sightings in the same span."""
    out: list[fnd.Finding] = []
    counted = [fnd.counts_only(s) for s in sets]
    rolling = rolling_sources()
    for counts in counted:
        if not counts.keys or counts.source in rolling:
            continue
        for algorithm in dict.fromkeys(algorithms):  # one named twice runs once
            detection = fnd.run(counts, algorithm, (params or {}).get(algorithm))
            if detection is not None:
                out += fnd.spikes(counts, detection, since=since, recent=recent)
    if first_sightings:
        # first reports are read from every measure: a source that gives kilograms only
        # (UNODC) still says when a substance was first seized in a place
        found = fnd.sightings(sets, nps_sources=nps_sources(), evidence=evidence)
        ends = {
            s.source: fnd.recent_start(s.starts, recent or len(s.starts)) for s in sets if s.starts
        }
        out += [
            f
            for f in found
            if f.kind == "possible_nps"
            or (
                (since is None or f.start >= since)
                and (recent is None or f.start >= ends[f.key.source])
            )
        ]
    return fnd.merge_spikes(out)


def annual_evidence(
    session: Session, principal: Principal, query: SeriesQuery | None
) -> list[SeriesSet]:
    """The annual seizure statistics the caller may read, when the scan builds monthly
    series (annual figures cannot be spread over months, so they are no series there): they
    still show that a substance was seized in a place before a month's first record."""
    q = query or SeriesQuery()
    if q.period == "year" or not q.wants("seizure-statistics"):
        return []
    return collect(session, principal, replace(q, period="year", sources=("seizure-statistics",)))


def scan(
    session: Session,
    principal: Principal,
    *,
    query: SeriesQuery | None = None,
    algorithms: tuple[str, ...] = fnd.DEFAULT_ALGORITHMS,
    params: dict[str, dict[str, Any]] | None = None,
    since: dt.date | None = None,
    recent: int | None = 3,
) -> ScanReport:
    """Scan what ``principal`` may read and store the new warnings (the caller commits).

    By default only the ``recent`` three last periods of each source are reported (a desk
    wants today's warnings; a backtest passes ``recent=None``)."""
    import time

    started = time.perf_counter()
    require_role(principal, "analyst")
    unknown = [a for a in algorithms if a not in fnd.ALGORITHM_NAMES]
    if unknown:
        raise Invalid(
            "unknown algorithm",
            [
                FieldProblem("algorithms", f"{a!r} is not one of {list(fnd.ALGORITHM_NAMES)}")
                for a in unknown
            ],
        )
    sets = collect(session, principal, query)
    found = detect(
        sets, algorithms=algorithms, params=params, since=since, recent=recent,
        evidence=annual_evidence(session, principal, query),
    )  # fmt: skip
    report = ScanReport(series=sum(len(s.keys) for s in sets), findings=len(found))
    created = record(session, principal, found)
    report.created = len(created)
    for w in created:
        report.by_kind[w.kind] = report.by_kind.get(w.kind, 0) + 1
    report.alerts = _alert_subscribers(session, principal, created)
    report.events = [warning_event(w) for w in created]
    report.seconds = time.perf_counter() - started
    audit.record_by(
        session,
        principal,
        action="warnings.scan",
        object_type="warning",
        detail={
            "series": report.series,
            "algorithms": list(algorithms),
            "since": since.isoformat() if since else None,
            "recent": recent,
            "created": report.created,
            "alerts": report.alerts,
        },
    )
    return report


def record(session: Session, principal: Principal, found: list[fnd.Finding]) -> list[EarlyWarning]:
    """Store the findings not stored before: one warning per kind, series and period,
    whichever algorithm found it (a rescan, or another algorithm, adds nothing)."""
    w = EarlyWarning
    have = {
        (k, s, d)
        for k, s, d in session.execute(
            select(w.kind, w.series, w.period_start).where(w.owner_agency_id == principal.agency_id)
        )
    }
    sighted = any(f.kind != "spike" for f in found)  # only sightings name a first record
    first_ids = _first_records(session, principal) if sighted else {}
    rows: list[dict[str, Any]] = []
    for f in found:
        natural = (f.kind, f.key.text, f.start)
        if natural in have:
            continue
        have.add(natural)
        rid = first_ids.get((f.key.source, f.key.substance, f.key.place, f.start))
        rows.append(
            {
                "owner_agency_id": principal.agency_id,
                "tlp": f.tlp,
                "originator_control": False,
                "kind": f.kind,
                "algorithm": f.algorithm,
                "series": f.key.text,
                "source": f.key.source,
                "measure": f.key.measure,
                "substance": f.key.substance,
                "substance_label": f.label[:200],
                "place_kind": f.key.place_kind,
                "place": f.key.place,
                "country": f.country,
                "period": f.key.period,
                "period_start": f.start,
                "observed": f.observed,
                "expected": finite(f.expected),
                "statistic": finite(f.statistic),
                "threshold": f.threshold,
                "parameters": json.dumps(f.parameters, sort_keys=True),
                "record_type": "observation" if rid and f.kind != "spike" else None,
                "record_id": rid if f.kind != "spike" else None,
                "summary": f.summary,
                "status": "new",
                "created_at": utcnow(),
            }
        )
    if not rows:
        return []
    # one multi-row INSERT ... RETURNING (SQLAlchemy's insertmanyvalues): a scan of a whole
    # history stores thousands at once
    ids = session.scalars(insert(w).returning(w.id, sort_by_parameter_order=True), rows).all()
    return list(session.scalars(select(w).where(w.id.in_(ids)).order_by(w.id)))


def _first_records(
    session: Session, principal: Principal
) -> dict[tuple[str, str, str, dt.date], int]:
    """The observation that reported each cell (lowest id), for the record a sighting names."""
    o = Observation
    rows = session.execute(
        select(o.dataset, o.substance, o.place, o.period_start, func.min(o.id))
        .where(visible(principal, o))
        .group_by(o.dataset, o.substance, o.place, o.period_start)
    )
    return {(d, s, p, start): i for d, s, p, start, i in rows}


def warning_event(w: EarlyWarning) -> dict[str, Any]:
    return {
        "id": w.id,
        "kind": w.kind,
        "algorithm": w.algorithm,
        "series": w.series,
        "substance": w.substance,
        "place": w.place,
        "period_start": w.period_start.isoformat(),
        "owner_agency_id": w.owner_agency_id,
        "tlp": w.tlp,
        "summary": w.summary,
    }


def _matches(sub: Subscription, w: EarlyWarning) -> bool:
    substances, places, kinds = sub.listed("substances"), sub.listed("places"), sub.listed("kinds")
    if substances and w.substance not in substances and w.substance_label not in substances:
        return False
    if places and w.place not in places and (w.country or "") not in places:
        return False
    return not kinds or w.kind in kinds


def _alert_subscribers(session: Session, principal: Principal, created: list[EarlyWarning]) -> int:
    subs = session.scalars(
        select(Subscription).where(
            Subscription.agency_id == principal.agency_id, Subscription.active.is_(True)
        )
    ).all()
    raised = []
    for w in created:
        sub = next((s for s in subs if _matches(s, w)), None)
        if sub is not None:
            raised.append(
                NewAlert(
                    owner_agency_id=principal.agency_id,
                    tlp=sub.tlp,  # type: ignore[arg-type]
                    kind="early_warning",
                    object_type="warning",
                    object_id=w.id,
                    title=f"[{sub.name}] {w.summary}",
                    audience="all" if sub.audience == "all" else "analysts",
                )
            )
    return len(raise_alerts(session, raised, actor=principal.actor, agency=principal.agency_code))


# -- subscriptions ----------------------------------------------------------------------------


def subscribe(
    session: Session,
    principal: Principal,
    *,
    name: str,
    substances: list[str],
    places: list[str],
    kinds: list[str],
    tlp: str = "amber",
    audience: str = "analysts",
) -> tuple[Subscription, bool]:
    """The agency's active subscription of that name, made now (True) or as it already was
    (False: an identical submission is no second subscription)."""
    require_role(principal, "analyst")
    bad = [k for k in kinds if k not in WARNING_KINDS]
    if bad:
        raise Invalid(
            "unknown warning kind",
            [FieldProblem("kinds", f"{k!r} is not one of {list(WARNING_KINDS)}") for k in bad],
        )
    wanted = {
        "substances": json.dumps(sorted(set(substances))),
        "places": json.dumps(sorted(set(places))),
        "kinds": json.dumps(sorted(set(kinds))),
        "tlp": tlp,
        "audience": audience,
    }
    held = session.scalar(
        select(Subscription).where(
            Subscription.agency_id == principal.agency_id,
            Subscription.name == name,
            Subscription.active.is_(True),
        )
    )
    if held is not None:  # the same subscription sent again: unchanged, or a clash of names
        if all(getattr(held, k) == v for k, v in wanted.items()):
            return held, False
        raise Conflict(
            f"your agency already has a subscription named {name!r} with other filters",
            [FieldProblem("name", "in use by an active subscription; end it or choose another")],
        )
    sub = Subscription(
        agency_id=principal.agency_id, name=name, created_by=principal.actor, **wanted
    )
    session.add(sub)
    session.flush()
    audit.record_by(
        session,
        principal,
        action="warning_subscription.create",
        object_type="warning_subscription",
        object_id=sub.id,
        detail={"name": name},
    )
    return sub, True


def subscriptions(session: Session, principal: Principal) -> list[Subscription]:
    return list(
        session.scalars(
            select(Subscription)
            .where(Subscription.agency_id == principal.agency_id)
            .order_by(Subscription.id)
        )
    )


def unsubscribe(session: Session, principal: Principal, sub_id: int) -> None:
    require_role(principal, "analyst")
    sub = session.get(Subscription, sub_id)
    if sub is None or sub.agency_id != principal.agency_id:
        raise NotFound(f"subscription {sub_id} not found")
    sub.active = False
    audit.record_by(
        session,
        principal,
        action="warning_subscription.end",
        object_type="warning_subscription",
        object_id=sub_id,
    )


# -- reading ----------------------------------------------------------------------------------


SEVERITY = case(
    (EarlyWarning.kind == "possible_nps", 4),
    (EarlyWarning.kind == "first_sighting", 3),
    (EarlyWarning.kind == "first_in_place", 2),
    else_=1,
)


def list_warnings(
    session: Session,
    principal: Principal,
    *,
    kind: str | None = None,
    substance: str | None = None,
    place: str | None = None,
    source: str | None = None,
    since: dt.date | None = None,
    before_id: int | None = None,
    after_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
    by_period: bool = False,
) -> list[EarlyWarning]:
    """Warnings the caller may read, newest first (``before_id`` pages back; ``after_id``
    gives only those stored since, for live updates); ``by_period``: latest period first,
    and within a period the most severe first (new substances and first sightings before
    spikes, stronger spikes first), from ``offset``."""
    w = EarlyWarning
    stmt = select(w).where(visible(principal, w))
    if kind:
        stmt = stmt.where(w.kind == kind)
    if substance:
        stmt = stmt.where((w.substance == substance) | (w.substance_label == substance))
    if place:
        stmt = stmt.where((w.place == place) | (w.country == place))
    if source:
        stmt = stmt.where(w.source == source)
    if since:
        stmt = stmt.where(w.period_start >= since)
    if before_id:
        stmt = stmt.where(w.id < before_id)
    if after_id:
        stmt = stmt.where(w.id > after_id)
    order = (
        (w.period_start.desc(), SEVERITY.desc(), w.statistic.desc(), w.id.desc())
        if by_period
        else (w.id.desc(),)
    )
    stmt = stmt.order_by(*order).offset(max(0, offset)).limit(max(1, min(limit, 500)))
    rows = list(session.scalars(stmt))
    audit_list_reads(session, principal, w.share_type, rows)
    return rows


@dataclass
class SeriesView:
    """One series as a chart shows it: values, a detector's bound, and stored alarms."""

    key: str
    label: str
    periods: list[dt.date]
    values: list[float | None]
    upper: list[float | None]
    algorithm: str | None
    alarms: dict[str, list[int]]


def series_view(
    session: Session, principal: Principal, key: SeriesKey, algorithm: str | None = None
) -> SeriesView | None:
    """The series ``key`` as ``principal`` may read it, ``algorithm``'s upper bound over it,
    and the periods where the warnings the caller may read fired, by algorithm."""
    q = SeriesQuery(
        sources=(key.source,), measures=(key.measure,), substances=(key.substance,),
        places=(key.place,), period=key.period,  # type: ignore[arg-type]
    )  # fmt: skip
    for s in collect(session, principal, q):
        if key not in s.keys:
            continue
        row = s.keys.index(key)
        values = s.values[row]
        upper: list[float | None] = [None] * len(values)
        if algorithm in fnd.ALGORITHM_NAMES and key.measure in fnd.COUNT_MEASURES:
            one = SeriesSet(s.source, s.period, s.starts, [key], values[None, :], [s.tlp[row]])
            d = fnd.run(one, algorithm)
            if d is not None:
                upper = finite_list(d.upper[0])
        where = {p: i for i, p in enumerate(s.starts)}
        alarms: dict[str, list[int]] = {}
        w = EarlyWarning
        for algo, start in session.execute(
            select(w.algorithm, w.period_start).where(visible(principal, w), w.series == key.text)
        ):
            if start in where:
                alarms.setdefault(algo, []).append(where[start])
        return SeriesView(
            key.text, s.labels.get(key.substance, key.substance), s.starts,
            finite_list(values), upper, algorithm, alarms,
        )  # fmt: skip
    return None
