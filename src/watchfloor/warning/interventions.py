"""Interventions and their evaluation.

An intervention names the series it should move (``target``) and, where they exist, series
it should not (``controls``), each as a :class:`SeriesSpec`: a source and measure, the
substances and places to add up (or leave out), and optionally a coarser period to re-bin
to (crawl counts of a market are averaged per week; event counts are summed). Evaluating it
builds those series from what the caller may read and runs ``warning.evaluation``: an
interrupted time series on the target, and a difference-in-differences (one control) or a
synthetic control (two or more).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.errors import FieldProblem, Invalid, NotFound
from watchfloor.inputs import Day, Input
from watchfloor.security import Principal, require_role
from watchfloor.sharing import read_record, visible
from watchfloor.warning import evaluation as ev
from watchfloor.warning.models import Intervention
from watchfloor.warning.series import FREQ, SeriesQuery, axis, collect, floor_period, next_period

PERIOD_ORDER = ("day", "week", "month", "half", "year")


class SeriesSpec(Input):
    """One series to evaluate: the sum of the matching series of one source."""

    label: str = Field("", max_length=120, description="How to call it on charts.")
    source: str = Field(description="A data set key or a record source.", examples=["nflis-drug"])
    measure: str = Field(examples=["reports"])
    substances: list[str] = Field(default_factory=list, description="Keys or labels; empty: all.")
    exclude_substances: list[str] = Field(default_factory=list, examples=[["fentanyl"]])
    places: list[str] = Field(default_factory=list, description="Places or countries; empty: all.")
    period: Literal["day", "week", "month", "half", "year"] | None = Field(
        None, description="Re-bin to this coarser period."
    )
    rebin: Literal["sum", "mean"] = Field(
        "sum", description="How to re-bin: counts add up; stocks average."
    )
    substance_level: Literal["substance", "class"] = Field(
        "substance", description="Add up the substances of a drug class (`class:fentanyl`)."
    )
    place_level: Literal["place", "country", "region"] = "place"
    record_period: Literal["day", "week", "month", "half", "year"] = Field(
        "month", description="Period of series built from records (statistics keep theirs)."
    )


class EvaluationOptions(Input):
    scale: Literal["level", "log"] = "level"
    window_from: Day | None = None
    window_to: Day | None = None
    alpha: float = Field(0.05, gt=0, lt=0.5)


@dataclass
class Built:
    periods: list[dt.date]
    values: np.ndarray
    period: str


def build(session: Session, principal: Principal, spec: SeriesSpec) -> Built:
    """The spec's series: matching series summed on their shared axis, then re-binned."""
    q = SeriesQuery(
        sources=(spec.source,),
        measures=(spec.measure,),
        substances=tuple(spec.substances),
        places=tuple(spec.places),
        period=spec.record_period,
        substance_level=spec.substance_level,
        place_level=spec.place_level,
    )
    sets = collect(session, principal, q)
    if not sets:
        raise NotFound(f"no series of {spec.source}/{spec.measure} matches, or none you may read")
    s = sets[0]
    rows = [i for i, k in enumerate(s.keys) if k.substance not in spec.exclude_substances]
    if not rows:
        raise NotFound(f"every series of {spec.source}/{spec.measure} is excluded")
    values = s.values[rows]
    total = np.where(np.isnan(values).all(axis=0), np.nan, np.nansum(values, axis=0))
    periods, period = list(s.starts), s.period
    if spec.period and PERIOD_ORDER.index(spec.period) > PERIOD_ORDER.index(period):
        periods, total = _rebin(periods, total, spec.period, spec.rebin)
        period = spec.period
    return Built(periods, total, period)


def _rebin(
    periods: list[dt.date], values: np.ndarray, period: str, how: str
) -> tuple[list[dt.date], np.ndarray]:
    groups: dict[dt.date, list[float]] = {}
    for p, v in zip(periods, values, strict=True):
        groups.setdefault(floor_period(p, period), [])
        if v == v:
            groups[floor_period(p, period)].append(float(v))
    out = axis(periods[0], periods[-1], period)
    agg = np.mean if how == "mean" else np.sum
    return out, np.array([agg(groups[p]) if groups.get(p) else np.nan for p in out])


def _align(target: Built, others: list[Built]) -> tuple[list[dt.date], np.ndarray, np.ndarray]:
    common = sorted(set(target.periods).intersection(*[set(o.periods) for o in others]))
    if not common:
        raise Invalid("the target and its controls share no period")

    def on_common(b: Built) -> np.ndarray:
        where = {p: i for i, p in enumerate(b.periods)}
        return np.array([b.values[where[p]] for p in common])

    return common, on_common(target), np.array([on_common(o) for o in others])


def evaluate(session: Session, principal: Principal, intervention: Intervention) -> dict[str, Any]:
    """Every design the intervention's series allow, as a JSON-ready report."""
    target_spec = SeriesSpec.model_validate(json.loads(intervention.target))
    controls = [SeriesSpec.model_validate(c) for c in json.loads(intervention.controls or "[]")]
    opts = EvaluationOptions.model_validate(json.loads(intervention.options or "{}"))
    target = build(session, principal, target_spec)
    built = [build(session, principal, c) for c in controls]
    periods, y, ctrl = _align(target, built) if built else (target.periods, target.values, None)
    keep = [
        i for i, p in enumerate(periods)
        if (opts.window_from is None or p >= opts.window_from)
        and (opts.window_to is None or p <= opts.window_to)
    ]  # fmt: skip
    periods = [periods[i] for i in keep]
    y = y[keep]
    # the period that holds the start is the first one after it
    start = floor_period(intervention.started_on, target.period)
    freq = FREQ[target.period]
    designs: list[ev.Effect] = []
    try:
        designs.append(ev.its(periods, y, start, freq=freq, scale=opts.scale, alpha=opts.alpha))
        if ctrl is not None:
            c = ctrl[:, keep]
            designs.append(ev.did(periods, y, c, start, scale=opts.scale, alpha=opts.alpha))
            if len(controls) >= 2:
                names = [s.label or s.source for s in controls]
                designs.append(ev.synthetic_control(
                    periods, y, c, start, names=names, scale=opts.scale, alpha=opts.alpha
                ))  # fmt: skip
    except ValueError as exc:
        raise Invalid(
            str(exc), [FieldProblem("started_on", str(exc), intervention.reference)]
        ) from None
    return {
        "intervention": intervention.reference,
        "started_on": intervention.started_on.isoformat(),
        "first_period_after": start.isoformat(),
        "period": target.period,
        "next_period": next_period(start, target.period).isoformat(),
        "target": target_spec.label or f"{target_spec.source}/{target_spec.measure}",
        "controls": [c.label or c.source for c in controls],
        "expected": intervention.expected,
        "designs": [_effect_out(e) for e in designs],
    }


def _effect_out(e: ev.Effect) -> dict[str, Any]:
    def clean(v: float) -> float | None:
        return None if v != v else round(v, 6)

    return {
        "design": e.design,
        "scale": e.scale,
        "effect": e.effect.as_dict(),
        "relative": e.relative,
        "level_change": e.level_change.as_dict() if e.level_change else None,
        "slope_change": e.slope_change.as_dict() if e.slope_change else None,
        "weights": e.weights,
        "pre_periods": e.pre_periods,
        "post_periods": e.post_periods,
        "confidence": 1 - e.alpha,
        "notes": e.notes,
        "periods": [p.isoformat() for p in e.periods],
        "observed": [clean(v) for v in e.observed],
        "fitted": [clean(v) for v in e.fitted],
        "counterfactual": [clean(v) for v in e.counterfactual],
    }


def record(
    session: Session,
    principal: Principal,
    *,
    reference: str,
    title: str,
    kind: str,
    started_on: dt.date,
    target: SeriesSpec,
    controls: list[SeriesSpec],
    options: EvaluationOptions | None = None,
    description: str = "",
    country: str | None = None,
    expected: str = "decrease",
    tlp: str = "green",
) -> Intervention:
    """Record an intervention (or update the caller's own of the same reference)."""
    require_role(principal, "analyst")
    found = session.scalar(
        select(Intervention).where(
            Intervention.owner_agency_id == principal.agency_id, Intervention.reference == reference
        )
    )
    row = found or Intervention(
        owner_agency_id=principal.agency_id, reference=reference, created_by=principal.actor
    )
    row.title, row.kind, row.description, row.country = title, kind, description, country
    row.started_on, row.expected, row.tlp = started_on, expected, tlp
    row.target = target.model_dump_json()
    row.controls = json.dumps([c.model_dump(mode="json") for c in controls])
    row.options = (options or EvaluationOptions()).model_dump_json()
    if found is None:
        session.add(row)
    session.flush()
    audit.record_by(
        session,
        principal,
        action="intervention.record",
        object_type="intervention",
        object_id=row.id,
        detail={"reference": reference, "new": found is None},
    )
    return row


def list_interventions(session: Session, principal: Principal) -> list[Intervention]:
    return list(
        session.scalars(
            select(Intervention)
            .where(visible(principal, Intervention))
            .order_by(Intervention.started_on)
        )
    )


def get(session: Session, principal: Principal, intervention_id: int) -> Intervention:
    return read_record(session, principal, Intervention, intervention_id)
