"""Did it work? Interrupted time series and comparative designs on statsmodels.

- :func:`its`: segmented regression y_t = b0 + b1 t + b2 post_t + b3 (t - t0) post_t
  (+ Fourier seasonality when the series spans two years or more), by OLS with Newey-West
  (HAC) standard errors, so that autocorrelated errors do not shrink the interval. The
  counterfactual is the fit with b2 = b3 = 0; the effect is the mean gap between fit and
  counterfactual over the post period (a linear combination of b2 and b3, with its own
  interval), beside the level change b2 and the slope change b3.
- :func:`did`: difference-in-differences against one control series (or the mean of
  several): the treated-minus-control series regressed on the post indicator, HAC errors;
  the counterfactual is the control plus the pre-period gap.
- :func:`synthetic_control`: non-negative weights summing to one that make the controls
  track the treated series before the intervention (Abadie et al.); the effect is the mean
  post gap, its interval and p-value from placebos in space (each control in turn treated
  as if it had been the treated series, its gap rescaled by the pre-period fit).

``scale="log"`` fits log(1 + y): effects are then changes in logs, also given in percent.
Every result carries notes on what weakens it (few pre-intervention periods, few controls).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Scale = Literal["level", "log"]
MIN_PRE = 8  # fewer pre-intervention periods than this and the trend is fragile


@dataclass
class Estimate:
    value: float
    low: float
    high: float
    p_value: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {"value": self.value, "low": self.low, "high": self.high, "p_value": self.p_value}


@dataclass
class Effect:
    """One design's answer: the estimate, its interval, and the curves to plot."""

    design: Literal["its", "did", "synthetic_control"]
    scale: Scale
    effect: Estimate  # mean post-period gap, on ``scale``
    relative: float | None  # the gap as a share of the counterfactual (post mean)
    periods: list[dt.date]
    observed: list[float]
    fitted: list[float]
    counterfactual: list[float]
    pre_periods: int
    post_periods: int
    level_change: Estimate | None = None
    slope_change: Estimate | None = None
    weights: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    alpha: float = 0.05


def _prepare(
    periods: list[dt.date], y: np.ndarray, start: dt.date, scale: Scale
) -> tuple[np.ndarray, np.ndarray, int, list[str]]:
    notes: list[str] = []
    values = np.asarray(y, dtype=float)
    keep = ~np.isnan(values)
    if not keep.all():
        notes.append(f"{int((~keep).sum())} periods without data were left out")
    post = np.array([p >= start for p in periods])
    pre_n = int((~post & keep).sum())
    if pre_n < 2 or int((post & keep).sum()) < 1:
        raise ValueError("the series needs at least two periods before and one after")
    if pre_n < MIN_PRE:
        notes.append(
            f"only {pre_n} periods before the intervention: the pre-trend, and so the "
            "counterfactual, rests on very little"
        )
    out = np.log1p(values) if scale == "log" else values
    return out, post, pre_n, notes


def _on_scale(controls: np.ndarray, scale: Scale) -> np.ndarray:
    """Control series (rows) on the scale of the fit."""
    rows = np.atleast_2d(np.asarray(controls, dtype=float))
    return np.log1p(rows) if scale == "log" else rows


def _hac_lags(n: int) -> int:
    """Newey-West's rule of thumb for the truncation lag."""
    return max(1, int(math.floor(4 * (n / 100) ** (2 / 9))))


def _relative(gap: float, cf_mean: float, scale: Scale) -> float | None:
    if scale == "log":
        return math.expm1(gap)
    return gap / cf_mean if cf_mean else None


def its(
    periods: list[dt.date],
    y: np.ndarray,
    start: dt.date,
    *,
    freq: int,
    scale: Scale = "level",
    seasonal: bool | None = None,
    alpha: float = 0.05,
) -> Effect:
    """Interrupted time series of ``y`` (one value per period) around ``start``."""
    import statsmodels.api as sm  # imported on first use: seconds off every start-up

    values, post, pre_n, notes = _prepare(periods, y, start, scale)
    keep = ~np.isnan(values)
    t = np.arange(len(values), dtype=float)
    t0 = float(np.argmax(post))
    cols = [np.ones_like(t), t, post.astype(float), np.where(post, t - t0, 0.0)]
    seasonal = (len(values) >= 2 * freq and freq > 1) if seasonal is None else seasonal
    if seasonal:
        for k in (1, 2) if freq >= 4 else (1,):
            cols += [np.sin(2 * np.pi * k * t / freq), np.cos(2 * np.pi * k * t / freq)]
    elif freq > 1 and len(values) < 2 * freq:
        notes.append("under two years of data: no seasonal terms")
    cols = [c for c in cols if np.abs(c).max() > 1e-9]  # sin(pi t) vanishes on half-years
    x = np.column_stack(cols)
    fit = sm.OLS(values[keep], x[keep]).fit(
        cov_type="HAC", cov_kwds={"maxlags": _hac_lags(int(keep.sum()))}
    )
    fitted = x @ fit.params
    xcf = x.copy()
    xcf[:, 2:4] = 0.0
    cf = xcf @ fit.params
    # mean post gap = b2 + b3 * mean(t - t0 | post): a contrast of the coefficients
    contrast = np.zeros(x.shape[1])
    contrast[2] = 1.0
    contrast[3] = float(np.mean((t - t0)[post & keep]))
    test = fit.t_test(contrast)
    low, high = (float(v) for v in np.asarray(test.conf_int(alpha=alpha)).ravel())
    gap = Estimate(
        float(np.asarray(test.effect).ravel()[0]),
        low,
        high,
        float(np.asarray(test.pvalue).ravel()[0]),
    )
    ci = fit.conf_int(alpha=alpha)
    level = Estimate(float(fit.params[2]), float(ci[2][0]), float(ci[2][1]), float(fit.pvalues[2]))
    slope = Estimate(float(fit.params[3]), float(ci[3][0]), float(ci[3][1]), float(fit.pvalues[3]))
    return Effect(
        "its", scale, gap, _relative(gap.value, float(np.mean(cf[post & keep])), scale),
        periods, _curve(values), _curve(fitted), _curve(cf), pre_n, int((post & keep).sum()),
        level_change=level, slope_change=slope, notes=notes, alpha=alpha,
    )  # fmt: skip


def did(
    periods: list[dt.date],
    y: np.ndarray,
    controls: np.ndarray,
    start: dt.date,
    *,
    scale: Scale = "level",
    alpha: float = 0.05,
) -> Effect:
    """Difference-in-differences of ``y`` against the mean of ``controls`` (rows)."""
    import statsmodels.api as sm

    values, post, pre_n, notes = _prepare(periods, y, start, scale)
    control = np.nanmean(_on_scale(controls, scale), axis=0)
    diff = values - control
    keep = ~np.isnan(diff)
    x = np.column_stack([np.ones(len(diff)), post.astype(float)])
    fit = sm.OLS(diff[keep], x[keep]).fit(
        cov_type="HAC", cov_kwds={"maxlags": _hac_lags(int(keep.sum()))}
    )
    ci = fit.conf_int(alpha=alpha)
    est = Estimate(float(fit.params[1]), float(ci[1][0]), float(ci[1][1]), float(fit.pvalues[1]))
    fitted = control + fit.params[0] + fit.params[1] * post
    cf = control + fit.params[0]
    notes.append("assumes the treated and control series would have moved in parallel")
    return Effect(
        "did", scale, est, _relative(est.value, float(np.nanmean(cf[post & keep])), scale),
        periods, _curve(values), _curve(fitted), _curve(cf), pre_n, int((post & keep).sum()),
        notes=notes, alpha=alpha,
    )  # fmt: skip


def _weights(target: np.ndarray, donors: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to one that bring the donors (rows) closest to target."""
    from scipy.optimize import minimize

    n = donors.shape[0]
    res = minimize(
        lambda w: float(np.sum((target - w @ donors) ** 2)),
        np.full(n, 1.0 / n),
        jac=lambda w: -2.0 * donors @ (target - w @ donors),
        bounds=[(0.0, 1.0)] * n,
        constraints=({"type": "eq", "fun": lambda w: float(np.sum(w) - 1.0)},),
        method="SLSQP",
    )
    w = np.clip(res.x, 0.0, None)
    return w / w.sum()


def synthetic_control(
    periods: list[dt.date],
    y: np.ndarray,
    controls: np.ndarray,
    start: dt.date,
    *,
    names: list[str] | None = None,
    scale: Scale = "level",
    alpha: float = 0.05,
) -> Effect:
    """Synthetic control of ``y`` from the ``controls`` (rows), with placebo inference."""
    values, post, pre_n, notes = _prepare(periods, y, start, scale)
    donors = _on_scale(controls, scale)
    keep = ~np.isnan(values) & ~np.isnan(donors).any(axis=0)
    pre, after = keep & ~post, keep & post

    def gap_of(target: np.ndarray, pool: np.ndarray) -> tuple[float, float, np.ndarray]:
        w = _weights(target[pre], pool[:, pre])
        synth = w @ pool
        rmspe_pre = float(np.sqrt(np.mean((target[pre] - synth[pre]) ** 2)))
        return float(np.mean(target[after] - synth[after])), rmspe_pre, w

    effect, fit_pre, w = gap_of(values, donors)
    placebo: list[float] = []
    ratios: list[float] = []
    for i in range(donors.shape[0]):
        pool = np.vstack([np.delete(donors, i, axis=0), values[None, :]])
        g, r, _ = gap_of(donors[i], pool)
        placebo.append(g)
        ratios.append(abs(g) / max(r, 1e-12))
    own = abs(effect) / max(fit_pre, 1e-12)
    p = (1 + sum(1 for r in ratios if r >= own)) / (1 + len(ratios))
    spread = np.quantile(placebo, [alpha / 2, 1 - alpha / 2]) if placebo else [0.0, 0.0]
    est = Estimate(effect, effect - float(spread[1]), effect - float(spread[0]), p)
    if donors.shape[0] < 10:
        notes.append(
            f"{donors.shape[0]} control series: the placebo p-value cannot be below "
            f"{1 / (1 + donors.shape[0]):.2f} and the interval is coarse"
        )
    synth = w @ donors
    labels = names or [f"control {i + 1}" for i in range(len(w))]
    return Effect(
        "synthetic_control", scale, est, _relative(effect, float(np.mean(synth[after])), scale),
        periods, _curve(values), _curve(synth), _curve(synth), pre_n, int(after.sum()),
        weights={labels[i]: round(float(v), 4) for i, v in enumerate(w) if v > 1e-4},
        notes=notes, alpha=alpha,
    )  # fmt: skip


def _curve(a: np.ndarray) -> list[float]:
    return [float(v) if v == v else float("nan") for v in np.asarray(a, dtype=float)]
