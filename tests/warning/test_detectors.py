"""Spike detectors against hand-computed cases, statsmodels, and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from scipy.stats import t as student_t

from watchfloor.warning.detectors import cusum, ears
from watchfloor.warning.farrington import (
    _fit,
    baseline_offsets,
    design,
    farrington_flexible,
)

Z999 = norm.ppf(0.999)


def test_c1_by_hand() -> None:
    d = ears([1, 2, 3, 4, 5, 6, 7, 20], method="C1")
    sd = math.sqrt(sum((v - 4) ** 2 for v in range(1, 8)) / 6)  # 2.1602
    assert d.monitored[0].tolist() == [False] * 7 + [True]
    assert d.expected[0, 7] == pytest.approx(4.0)
    assert d.upper[0, 7] == pytest.approx(4 + Z999 * sd)
    assert d.statistic[0, 7] == pytest.approx(16 / sd)
    assert d.alarm[0].tolist() == [False] * 7 + [True]
    assert d.threshold == pytest.approx(3.0902, abs=1e-4)


def test_c2_skips_the_two_periods_before() -> None:
    # the baseline of period 9 is periods 0-6; periods 7 and 8 (a rise) are the guard band
    d = ears([1, 2, 3, 4, 5, 6, 7, 50, 50, 20], method="C2")
    assert d.monitored[0].tolist() == [False] * 9 + [True]
    assert d.expected[0, 9] == pytest.approx(4.0)
    assert d.alarm[0, 9]


def test_c3_sums_three_c2_excesses() -> None:
    y = np.array([10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 14, 14, 15], dtype=float)
    d2 = ears(y, method="C2")
    d3 = ears(y, method="C3")
    parts = np.maximum(d2.statistic[0] - 1, 0)
    t = 14
    assert d3.statistic[0, t] == pytest.approx(parts[t] + parts[t - 1] + parts[t - 2])
    assert d3.threshold == pytest.approx(norm.ppf(0.975))
    assert d3.alarm[0, t] == (d3.statistic[0, t] > d3.threshold)
    assert not d3.monitored[0, :11].any()  # C3 needs baseline + 2 guard + 2 earlier periods
    assert d3.monitored[0, 11]


def test_min_sigma_floors_the_spread() -> None:
    d = ears([3, 3, 3, 3, 3, 3, 3, 5], method="C1", min_sigma=1.0)
    assert d.upper[0, 7] == pytest.approx(3 + Z999)
    assert not d.alarm[0, 7]  # 5 < 3 + 3.09


def test_poisson_cusum_by_hand() -> None:
    y = [2.0] * 14 + [6.0, 6.0, 6.0, 6.0]
    d = cusum(y, ratio=2.0, h=5.0, baseline=12, guard=2)
    step = 6 * math.log(2) - 2  # log LR of 6 cases, mu0 = 2 against mu1 = 4
    assert d.statistic[0, 14] == pytest.approx(step)
    assert d.statistic[0, 15] == pytest.approx(2 * step)
    assert d.statistic[0, 16] == pytest.approx(3 * step)
    assert d.alarm[0].tolist()[14:17] == [False, False, True]
    # it restarts after an alarm (the baseline now holds one 6: mean 2.333)
    mu0 = (11 * 2 + 6) / 12
    assert d.statistic[0, 17] == pytest.approx(max(0.0, 6 * math.log(2) - mu0))
    # the upper bound is the count that would have crossed h
    assert d.upper[0, 16] == pytest.approx((5 - 2 * step + 2) / math.log(2))


def test_negbin_cusum_is_poisson_without_overdispersion() -> None:
    y = [5.0, 5.0] * 8 + [9.0, 12.0]
    assert np.allclose(
        cusum(y, family="negbin").statistic, cusum(y, family="poisson").statistic, equal_nan=True
    )


def test_negbin_cusum_is_slower_to_fire_on_overdispersed_data() -> None:
    rng = np.random.default_rng(3)
    y = rng.negative_binomial(2, 2 / (2 + 10), size=(200, 60)).astype(float)  # mean 10, var 60
    pois, nb = cusum(y, family="poisson"), cusum(y, family="negbin")
    assert nb.alarms < pois.alarms / 2


# -- Farrington flexible against statsmodels --------------------------------------------------


def _series(seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(96)
    lam = 20 * np.exp(0.008 * t) * (1 + 0.4 * np.sin(2 * np.pi * t / 12))
    y = rng.poisson(lam).astype(float)
    y[70] += 60  # a past outbreak inside the baseline of period 94 (70 + 24)
    return y


def _statsmodels_farrington(y: np.ndarray, t: int, *, trend: bool) -> tuple[float, float, float]:
    """Fit, down-weight by Anscombe residuals (threshold 2.58), refit: mu0, phi, p(trend)."""
    offsets, blocks = baseline_offsets(12, b=5, w=3, no_periods=1, past_not_included=3)
    x, now = design(offsets, blocks, trend=trend, no_periods=1)
    yb = y[t + offsets]
    first = sm.GLM(yb, x, family=sm.families.Poisson()).fit()
    mu = first.fittedvalues
    phi = max(float(np.sum((yb - mu) ** 2 / mu) / (len(yb) - x.shape[1])), 1.0)
    hat = first.get_influence().hat_matrix_diag
    s = 1.5 * (yb ** (2 / 3) * mu ** (-1 / 6) - mu**0.5) / np.sqrt(phi * (1 - hat))
    inv_sq = np.where(s > 2.58, s**-2.0, 1.0)
    weights = len(yb) / inv_sq.sum() * inv_sq
    final = sm.GLM(yb, x, family=sm.families.Poisson(), var_weights=weights).fit()
    mu = final.fittedvalues
    raw_phi = float(np.sum(weights * (yb - mu) ** 2 / mu) / (len(yb) - x.shape[1]))
    p = float("nan")
    if trend:
        se = math.sqrt(raw_phi * final.cov_params()[1, 1])
        p = 2 * student_t.sf(abs(final.params[1] / se), len(yb) - x.shape[1])
    return float(np.exp(now @ final.params)), raw_phi, p


@pytest.mark.parametrize("trend", [False, True])
def test_batched_fit_matches_statsmodels(trend: bool) -> None:
    y = _series()
    offsets, blocks = baseline_offsets(12, b=5, w=3, no_periods=1, past_not_included=3)
    x, now = design(offsets, blocks, trend=trend, no_periods=1)
    fit = _fit(x, y[None, 94 + offsets], reweight=True, weights_threshold=2.58)
    mu0, raw_phi, _ = _statsmodels_farrington(y, 94, trend=trend)
    assert fit["converged"].all()
    assert math.exp(float(fit["beta"][0] @ now)) == pytest.approx(mu0, rel=1e-6)
    assert float(fit["raw_phi"][0]) == pytest.approx(raw_phi, rel=1e-6)
    assert fit["weights"][0, list(offsets).index(70 - 94)] < 1  # the outbreak weighs less


def test_farrington_expected_and_bound_follow_the_published_formulas() -> None:
    y = _series()
    d = farrington_flexible(y, freq=12)
    assert not d.monitored[0, :63].any() and d.monitored[0, 63:].all()  # b * freq + w
    t = 94
    mu_plain, _, _ = _statsmodels_farrington(y, t, trend=False)
    mu_trend, _, p = _statsmodels_farrington(y, t, trend=True)
    offsets, _ = baseline_offsets(12, b=5, w=3, no_periods=1, past_not_included=3)
    use_trend = p < 0.05 and mu_trend <= y[t + offsets].max()
    assert d.expected[0, t] == pytest.approx(mu_trend if use_trend else mu_plain, rel=1e-6)
    # the 2/3-power bound is above the expectation; the score is (y - mu0) / (U - mu0)
    mu0, upper = d.expected[0, t], d.upper[0, t]
    assert upper > mu0
    assert d.statistic[0, t] == pytest.approx((y[t] - mu0) / (upper - mu0))


def test_farrington_needs_five_cases_in_four_periods() -> None:
    y = np.zeros(80)
    y[79] = 4  # a first count after nothing: above any bound, but fewer than 5 in 4 periods
    assert not farrington_flexible(y, freq=12).alarm.any()
    y[79] = 5
    assert farrington_flexible(y, freq=12).alarm[0, 79]


def test_farrington_on_half_years_caps_the_window() -> None:
    d = farrington_flexible(np.arange(24, dtype=float) + 10, freq=2)
    assert d.parameters["w"] == 0
    assert d.monitored[0, 10:].all() and not d.monitored[0, :10].any()


def test_noufaily_seasonal_blocks_use_the_whole_year() -> None:
    # Noufaily et al. use 10 periods and 26 weeks on weekly data; monthly data has room for 4
    offsets, blocks = baseline_offsets(12, b=5, w=3, no_periods=4, past_not_included=6)
    assert offsets.max() < -6
    assert set(blocks.tolist()) == set(range(1, 5))
    # every month from five years and three back to the seventh-last
    assert offsets.tolist() == list(range(-5 * 12 - 3, -6))
    with pytest.raises(ValueError, match="too large"):
        baseline_offsets(12, b=5, w=3, no_periods=10, past_not_included=26)
    d = farrington_flexible(_series(), freq=12, no_periods=4, past_weeks_not_included=6,
                            threshold_method="nbPlugin")  # fmt: skip
    assert d.monitored[0, -1]


# -- properties --------------------------------------------------------------------------------

DETECTORS = {
    "ears_c1": lambda y: ears(y, method="C1"),
    "ears_c2": lambda y: ears(y, method="C2"),
    "ears_c3": lambda y: ears(y, method="C3"),
    "cusum_poisson": lambda y: cusum(y),
    "cusum_negbin": lambda y: cusum(y, family="negbin"),
    "farrington": lambda y: farrington_flexible(y, freq=12),
    "farrington_nb": lambda y: farrington_flexible(y, freq=12, threshold_method="nbPlugin"),
}


@settings(max_examples=25, deadline=None)
@given(level=st.integers(0, 10_000), length=st.integers(8, 90))
def test_a_constant_series_never_alarms(level: int, length: int) -> None:
    y = np.full(length, float(level))
    for name, run in DETECTORS.items():
        assert not run(y).alarm.any(), name


@settings(max_examples=25, deadline=None)
@given(
    level=st.integers(0, 200),
    noise=st.integers(0, 3),
    seed=st.integers(0, 10_000),
)
def test_a_large_step_always_alarms(level: int, noise: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = level + rng.integers(-noise, noise + 1, size=80).clip(-level, None).astype(float)
    step = 20 * (level + noise + 5)
    y[75:] += step
    for name, run in DETECTORS.items():
        d = run(y)
        assert d.alarm[0, 75:].any(), name
