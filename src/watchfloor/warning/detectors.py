"""Spike detectors for count series: EARS C1, C2, C3 and a Poisson / negative-binomial CUSUM.

Every detector takes a matrix of counts, one series per row and one period per column
(missing periods as NaN), and returns a :class:`Detection` of the same shape: which periods
it could judge, what it expected, the upper bound, its statistic and its alarms. Rows are
independent; the work is vectorised across them, so a run over thousands of series costs
about as much as one. The Farrington flexible method is in ``warning.farrington``.

Parameters and their defaults are the published ones:

- EARS (Hutwagner et al. 2003; R ``surveillance::earsC``): a baseline of 7 periods, right
  before the period (C1) or ending two periods earlier (C2, C3); C1 and C2 alarm when the
  count exceeds mean + z(1-alpha) sd, alpha = 0.001 (z = 3.09); C3 sums
  max(0, C2 - 1) over the period and the two before and alarms when the sum exceeds
  z(1-alpha), alpha = 0.025 (z = 1.96). ``min_sigma`` (default 0) floors the standard
  deviation. A constant baseline (sd 0) and an equal count is no alarm; any excess is one.
- CUSUM: the likelihood-ratio CUSUM for an increase of the mean from mu0 to ``ratio`` x mu0
  (default a doubling), S_t = max(0, S_{t-1} + log LR_t), alarm when S_t > h and restart at
  0 (h = 5, the default threshold of ``surveillance::algo.glrnb``); mu0 is the mean of a
  moving baseline of 12 periods ending ``guard`` = 2 periods before; ``family`` "poisson", or
  "negbin" with the dispersion estimated by moments on the same baseline (Poisson where the
  baseline is not over-dispersed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

ALGORITHMS = ("ears_c1", "ears_c2", "ears_c3", "cusum_poisson", "cusum_negbin", "farrington")


@dataclass
class Detection:
    """What a detector made of a matrix of series (all arrays of the input's shape)."""

    algorithm: str
    parameters: dict[str, Any]
    observed: np.ndarray
    monitored: np.ndarray  # bool: the period had the history the method needs
    expected: np.ndarray
    upper: np.ndarray  # the count above which the period alarms
    statistic: np.ndarray
    threshold: float  # the statistic's alarm threshold
    alarm: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def alarms(self) -> int:
        return int(self.alarm.sum())


def finite(value: float | None) -> float | None:
    """``value``, or None where it is missing or infinite (JSON has neither)."""
    if value is None or not np.isfinite(value):
        return None
    return float(value)


def finite_list(values: Any) -> list[float | None]:
    """:func:`finite` of each value: a row of a detection as JSON or a chart takes it."""
    return [finite(v) for v in np.asarray(values, dtype=float)]


def _as_matrix(counts: Any) -> np.ndarray:
    y = np.asarray(counts, dtype=float)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2:
        raise ValueError("counts must be a vector or a matrix (series x periods)")
    return y


def _baseline(y: np.ndarray, length: int, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample sd of the ``length`` periods ending ``lag`` periods before each
    period (lag 1: the period right before); NaN where the history is short."""
    s, t = y.shape
    mean = np.full((s, t), np.nan)
    sd = np.full((s, t), np.nan)
    first = length + lag - 1
    if t > first:
        windows = sliding_window_view(y, length, axis=1)[:, : t - first]
        mean[:, first:] = windows.mean(axis=2)
        sd[:, first:] = windows.std(axis=2, ddof=1)
    return mean, sd


def _ratio(excess: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """excess / sd with 0/0 = 0 and x/0 = +-inf (a constant baseline)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = excess / sd
    return np.where((sd == 0) & (excess == 0), 0.0, z)


def ears(
    counts: Any,
    *,
    method: Literal["C1", "C2", "C3"] = "C1",
    baseline: int = 7,
    alpha: float | None = None,
    min_sigma: float = 0.0,
) -> Detection:
    """EARS C1, C2 or C3 (see the module docstring).

    >>> d = ears([5, 5, 5, 5, 5, 5, 5, 5, 12], method="C1")
    >>> d.alarm[0].tolist()[-2:], d.monitored[0].tolist()[:8].count(True)
    ([False, True], 1)
    """
    if baseline < 3:
        raise ValueError("the EARS baseline needs at least 3 periods")
    if min_sigma < 0:
        raise ValueError("min_sigma must not be negative")
    alpha = alpha if alpha is not None else (0.025 if method == "C3" else 0.001)
    z = NormalDist().inv_cdf(1 - alpha)
    y = _as_matrix(counts)
    lag = 1 if method == "C1" else 3
    mean, sd = _baseline(y, baseline, lag)
    sigma = np.maximum(sd, min_sigma)
    stat = _ratio(y - mean, sigma)
    params = {"method": method, "baseline": baseline, "alpha": alpha, "min_sigma": min_sigma}
    if method in ("C1", "C2"):
        upper = mean + z * sigma
        monitored = ~np.isnan(mean) & ~np.isnan(y)
        alarm = monitored & (y > upper)
        return Detection(
            f"ears_{method.lower()}", params, y, monitored, mean, upper, stat, z, alarm
        )
    # C3: the period's and the two previous periods' C2 excesses over 1
    part = np.maximum(stat - 1.0, 0.0)
    prev = np.full_like(part, np.nan)
    prev[:, 2:] = part[:, 1:-1] + part[:, :-2]
    c3 = part + prev
    monitored = ~np.isnan(c3) & ~np.isnan(y)
    # the count at which C3 would reach z: mean + sd (1 + z - earlier parts)
    upper = mean + sigma * (1.0 + np.maximum(z - prev, 0.0))
    alarm = monitored & (c3 > z)
    return Detection("ears_c3", params, y, monitored, mean, upper, c3, z, alarm)


def cusum(
    counts: Any,
    *,
    family: Literal["poisson", "negbin"] = "poisson",
    ratio: float = 2.0,
    h: float = 5.0,
    baseline: int = 12,
    guard: int = 2,
    min_mean: float = 0.1,
) -> Detection:
    """Likelihood-ratio CUSUM for a rise of the mean by ``ratio`` (see the module docstring).

    The in-control mean is floored at ``min_mean`` so that a series of zeros has a finite
    log-likelihood ratio: a first count there adds about its size x log(ratio).
    """
    if ratio <= 1:
        raise ValueError("ratio must exceed 1: the CUSUM looks for a rise")
    if h <= 0:
        raise ValueError("h must be positive")
    y = _as_matrix(counts)
    mean, sd = _baseline(y, baseline, guard + 1)
    mu0 = np.maximum(mean, min_mean)
    mu1 = ratio * mu0
    if family == "negbin":
        var = sd**2
        with np.errstate(divide="ignore", invalid="ignore"):
            size = np.where(var > mu0, mu0**2 / (var - mu0), np.inf)
    else:
        size = np.full_like(mu0, np.inf)
    finite = np.isfinite(size)
    r = np.where(finite, size, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        nb = y * np.log(mu1 * (r + mu0) / (mu0 * (r + mu1))) + r * np.log((r + mu0) / (r + mu1))
    llr = np.where(finite, nb, y * np.log(ratio) - (mu1 - mu0))
    monitored = ~np.isnan(mean) & ~np.isnan(y)
    stat = np.full_like(y, np.nan)
    alarm = np.zeros_like(y, dtype=bool)
    upper = np.full_like(y, np.nan)
    s = np.zeros(y.shape[0])
    for t in range(y.shape[1]):
        on = monitored[:, t]
        s = np.where(on, np.maximum(0.0, s + np.where(on, llr[:, t], 0.0)), s)
        stat[:, t] = np.where(on, s, np.nan)
        fire = on & (s > h)
        alarm[:, t] = fire
        # the count that would have taken S past h this period
        per_case = np.where(finite[:, t], np.log(mu1[:, t] * (r[:, t] + mu0[:, t]) /
                            (mu0[:, t] * (r[:, t] + mu1[:, t]))), np.log(ratio))  # fmt: skip
        offset = np.where(finite[:, t], r[:, t] * np.log((r[:, t] + mu0[:, t]) /
                          (r[:, t] + mu1[:, t])), -(mu1[:, t] - mu0[:, t]))  # fmt: skip
        before = stat[:, t - 1] if t else np.zeros(y.shape[0])
        before = np.where(np.isnan(before) | alarm[:, t - 1] if t else True, 0.0, before)
        upper[:, t] = np.where(on, (h - before - offset) / per_case, np.nan)
        s = np.where(fire, 0.0, s)
    params = {
        "family": family,
        "ratio": ratio,
        "h": h,
        "baseline": baseline,
        "guard": guard,
        "min_mean": min_mean,
    }
    return Detection(f"cusum_{family}", params, y, monitored, mu0, upper, stat, h, alarm)
