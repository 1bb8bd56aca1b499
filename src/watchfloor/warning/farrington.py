"""The Farrington flexible method (Farrington et al. 1996; Noufaily et al. 2013), as R's
``surveillance::farringtonFlexible`` runs it, on numpy.

For each period t the method fits a quasi-Poisson GLM with log link to the counts of the same
season in the ``b`` previous years (windows of +-``w`` periods around t - freq, t - 2 freq,
...), with a linear time trend when it is significant (p < ``p_threshold_trend``), at least
three years are used and the trend does not predict above every baseline count; with
``no_periods`` > 1 the rest of each year enters too, as ``no_periods`` - 1 seasonal factor
levels (Noufaily's improvement). Past outbreaks are down-weighted: baseline points whose
standardised Anscombe residual exceeds ``weights_threshold`` get weight proportional to
s^-2 and the model is refitted. The dispersion is max(phi, 1). The upper bound is
the (1 - ``alpha``) quantile of the predictive distribution: under the 2/3-power transform
with the delta method ("delta", the default) or the negative binomial quantile of the
predicted mean ("nbPlugin") or of its upper (1 - alpha) bound ("muan"). A period alarms when
its exceedance score (y - mu0) / (U - mu0) exceeds 1, the count is not zero and at least
``limit54[0]`` cases were reported in the last ``limit54[1]`` periods (current included).

The fits of every (series, period) share one design matrix, since the baseline offsets are
the same for each period; so all fits run together as one batched iteratively reweighted
least squares (``_irls``), checked against statsmodels' GLM in the tests.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from watchfloor.warning.detectors import Detection, _as_matrix

MAX_ITER = 25  # R's glm.control()
TOL = 1e-8
RIDGE = 1e-10


def baseline_offsets(
    freq: int, *, b: int, w: int, no_periods: int, past_not_included: int
) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (relative to the period judged) of the baseline points, and each point's
    seasonal block (``no_periods`` for the windows around the reference periods, 1 ..
    ``no_periods`` - 1 for the stretches between them)."""
    offsets: list[int] = []
    blocks: list[int] = []
    for j in range(1, b + 1):
        ref = -j * freq
        offsets += list(range(ref - w, ref + w + 1))
        blocks += [no_periods] * (2 * w + 1)
        if no_periods > 1:
            gap = list(range(ref + w + 1, ref + freq - w))  # up to the next window
            if len(gap) < no_periods - 1:
                raise ValueError("no_periods is too large for this frequency and window")
            for i, part in enumerate(np.array_split(gap, no_periods - 1), start=1):
                offsets += [int(o) for o in part]
                blocks += [i] * len(part)
    keep = [i for i, o in enumerate(offsets) if o < -past_not_included]
    order = np.argsort([offsets[i] for i in keep])
    return np.array(offsets)[keep][order], np.array(blocks)[keep][order]


def design(
    offsets: np.ndarray, blocks: np.ndarray, *, trend: bool, no_periods: int
) -> tuple[np.ndarray, np.ndarray]:
    """The design matrix of the baseline and the row to predict the judged period with."""
    cols = [np.ones(len(offsets))]
    now = [1.0]
    wtime = (offsets - offsets.min()).astype(float)
    if trend:
        cols.append(wtime)
        now.append(float(-offsets.min()))
    for level in range(1, no_periods):  # reference level: the windows (no_periods)
        cols.append((blocks == level).astype(float))
        now.append(0.0)
    return np.column_stack(cols), np.array(now)


def _xtwx(x: np.ndarray, wk: np.ndarray) -> np.ndarray:
    """X' diag(w) X of every fit at once, as one matrix product: (fits x k x k)."""
    k = x.shape[1]
    outer = (x[:, :, None] * x[:, None, :]).reshape(len(x), k * k)
    return (wk @ outer).reshape(len(wk), k, k) + RIDGE * np.eye(k)


def _irls(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Poisson log-link fits of every row of ``y`` (fits x n) on the shared design ``x``
    (n x k) with prior ``weights``: coefficients, fitted means, (X'WX)^-1 and convergence.

    Iterates as R's ``glm.fit`` does (start at y + 0.1, stop when the deviance changes by
    less than 1e-8 relatively, at most 25 times), but only on the fits still moving; a
    baseline of zeros has no finite estimate and is set to a mean of zero at once."""
    f, n = y.shape
    k = x.shape[1]
    beta = np.zeros((f, k))
    converged = np.zeros(f, dtype=bool)
    zero = ~(y > 0).any(axis=1)
    beta[zero, 0] = -30.0  # exp(-30): no cases expected
    converged[zero] = True
    active = np.nonzero(~zero)[0]
    ya, wa = y[active], weights[active]
    mu = ya + 0.1
    eta = np.log(mu)
    dev_old = np.full(len(active), np.inf)
    for _ in range(MAX_ITER):
        if not len(active):
            break
        wk = wa * mu
        z = eta + (ya - mu) / mu
        xtwz = (wk * z) @ x
        b = np.linalg.solve(_xtwx(x, wk), xtwz[..., None])[..., 0]
        beta[active] = b
        eta = np.clip(b @ x.T, -30.0, 30.0)
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(ya > 0, ya * np.log(ya / mu), 0.0) - (ya - mu)
        dev = 2.0 * (wa * term).sum(axis=1)
        done = np.abs(dev - dev_old) / (np.abs(dev) + 0.1) < TOL
        converged[active[done]] = True
        keep = ~done
        active, ya, wa, mu, eta, dev_old = (
            active[keep],
            ya[keep],
            wa[keep],
            mu[keep],
            eta[keep],
            dev[keep],
        )
    mu_all = np.exp(np.clip(beta @ x.T, -30.0, 30.0))
    inv = np.linalg.inv(_xtwx(x, weights * mu_all))
    return beta, mu_all, inv, converged


def _dispersion(y: np.ndarray, mu: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    df = max(y.shape[1] - k, 1)
    return (weights * (y - mu) ** 2 / mu).sum(axis=1) / df


def _fit(
    x: np.ndarray, y: np.ndarray, *, reweight: bool, weights_threshold: float
) -> dict[str, np.ndarray]:
    """One model: fit, then (``reweight``) down-weight outlying baseline points and refit."""
    f, n = y.shape
    k = x.shape[1]
    ones = np.ones_like(y)
    beta, mu, inv, conv = _irls(x, y, ones)
    weights = ones
    if reweight:
        phi = np.maximum(_dispersion(y, mu, ones, k), 1.0)
        k2 = x.shape[1] ** 2
        hat = mu * (
            inv.reshape(len(inv), k2) @ (x[:, :, None] * x[:, None, :]).reshape(len(x), k2).T
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            s = 1.5 * (y ** (2 / 3) * mu ** (-1 / 6) - mu**0.5)
            s = s / np.sqrt(phi[:, None] * np.clip(1.0 - hat, 1e-12, None))
        high = s > weights_threshold
        inv_sq = np.where(high, 1.0 / np.where(high, s, 1.0) ** 2, 1.0)
        gamma = n / inv_sq.sum(axis=1)
        weights = gamma[:, None] * inv_sq
        beta, mu, inv, conv2 = _irls(x, y, weights)
        conv = conv & conv2
    raw_phi = _dispersion(y, mu, weights, k)
    return {"beta": beta, "mu": mu, "inv": inv, "converged": conv, "raw_phi": raw_phi,
            "phi": np.maximum(raw_phi, 1.0), "weights": weights}  # fmt: skip


def farrington_flexible(
    counts: object,
    *,
    freq: int,
    b: int = 5,
    w: int = 3,
    reweight: bool = True,
    weights_threshold: float = 2.58,
    alpha: float = 0.05,
    trend: bool = True,
    p_threshold_trend: float = 0.05,
    limit54: tuple[int, int] = (5, 4),
    powertrans: Literal["2/3", "1/2", "none"] = "2/3",
    no_periods: int = 1,
    past_weeks_not_included: int | None = None,
    threshold_method: Literal["delta", "nbPlugin", "muan"] = "delta",
) -> Detection:
    """Run the method on every period that has ``b`` years (+ ``w``) of history.

    ``freq`` is the number of periods in a year (12 monthly, 52 weekly, 2 half-yearly); ``w``
    is capped at (freq - 1) // 2 so that the windows of two years never overlap.
    """
    from scipy.stats import nbinom, norm, poisson  # a second to import: only when run
    from scipy.stats import t as student_t

    y = _as_matrix(counts)
    s_count, t_count = y.shape
    w = min(w, max((freq - 1) // 2, 0))
    pwni = w if past_weeks_not_included is None else past_weeks_not_included
    offsets, blocks = baseline_offsets(
        freq, b=b, w=w, no_periods=no_periods, past_not_included=pwni
    )
    params = {
        "freq": freq, "b": b, "w": w, "reweight": reweight,
        "weights_threshold": weights_threshold, "alpha": alpha, "trend": trend,
        "p_threshold_trend": p_threshold_trend, "limit54": list(limit54),
        "powertrans": powertrans, "no_periods": no_periods,
        "past_weeks_not_included": pwni, "threshold_method": threshold_method,
    }  # fmt: skip
    shape = y.shape
    expected = np.full(shape, np.nan)
    upper = np.full(shape, np.nan)
    score = np.full(shape, np.nan)
    monitored = np.zeros(shape, dtype=bool)
    alarm = np.zeros(shape, dtype=bool)
    first = b * freq + w
    if t_count <= first or len(offsets) == 0:
        return Detection("farrington", params, y, monitored, expected, upper, score, 1.0, alarm)
    times = np.arange(first, t_count)
    base = y[:, times[:, None] + offsets[None, :]]  # series x times x n
    ybase = base.reshape(-1, len(offsets))
    ynow = y[:, times].reshape(-1)
    usable = ~np.isnan(ybase).any(axis=1) & ~np.isnan(ynow)
    ybase = np.where(np.isnan(ybase), 0.0, ybase)

    x0, now0 = design(offsets, blocks, trend=False, no_periods=no_periods)
    plain = _fit(x0, ybase, reweight=reweight, weights_threshold=weights_threshold)
    chosen = plain
    chosen_now = np.broadcast_to(now0, (len(ynow), len(now0)))
    if trend and b >= 3:
        x1, now1 = design(offsets, blocks, trend=True, no_periods=no_periods)
        with_trend = _fit(x1, ybase, reweight=reweight, weights_threshold=weights_threshold)
        k1 = x1.shape[1]
        se = np.sqrt(with_trend["raw_phi"] * with_trend["inv"][:, 1, 1])
        with np.errstate(divide="ignore", invalid="ignore"):
            tval = with_trend["beta"][:, 1] / se
        df = max(len(offsets) - k1, 1)
        p = 2.0 * student_t.sf(np.abs(tval), df)
        pred = np.exp(np.clip(with_trend["beta"] @ now1, -30, 30))
        keep = (
            with_trend["converged"]
            & (p < p_threshold_trend)
            & (pred <= ybase.max(axis=1))
            & np.isfinite(tval)
        )
        chosen = {key: _pick(keep, with_trend[key], plain[key]) for key in ("beta", "inv")}
        chosen.update({k: np.where(keep, with_trend[k], plain[k]) for k in ("raw_phi", "phi")})
        chosen["converged"] = np.where(keep, with_trend["converged"], plain["converged"])
        chosen_now = np.where(keep[:, None], now1[None, :], _pad(now0, len(now1))[None, :])
    beta, inv = chosen["beta"], chosen["inv"]
    xnow = chosen_now
    if beta.shape[1] != xnow.shape[1]:
        beta, inv = _pad_fit(beta, inv, xnow.shape[1])
    eta0 = np.einsum("fk,fk->f", beta, xnow)
    var_eta = np.einsum("fk,fkl,fl->f", xnow, inv, xnow) * chosen["raw_phi"]
    se_eta = np.sqrt(np.maximum(var_eta, 0.0))
    mu0 = np.exp(np.clip(eta0, -30, 30))
    phi = chosen["phi"]
    z = float(norm.ppf(1 - alpha))
    if threshold_method == "delta":
        se_mu = mu0 * se_eta  # response-scale standard error of the prediction
        tau = phi + se_mu**2 / np.maximum(mu0, 1e-300)
        exponent, se_h = {
            "none": (1.0, np.sqrt(mu0 * tau)),
            "1/2": (0.5, np.sqrt(0.25 * tau)),
            "2/3": (2 / 3, np.sqrt(4 / 9 * mu0 ** (1 / 3) * tau)),
        }[powertrans]
        up = np.maximum(mu0**exponent + z * se_h, 0.0) ** (1 / exponent)
    else:
        mq = mu0 if threshold_method == "nbPlugin" else np.exp(np.clip(eta0 + z * se_eta, -30, 30))
        over = phi > 1
        size = np.where(over, mq / np.where(over, phi - 1, 1.0), 1.0)
        up = np.where(
            over,
            nbinom.ppf(1 - alpha, size, 1 / np.where(over, phi, 2.0)),
            poisson.ppf(1 - alpha, mq),
        )
    # the exceedance score; where a count quantile (nbPlugin, muan) falls below the mean, the
    # score is infinite above the bound, so that score > 1 always means y > U
    with np.errstate(divide="ignore", invalid="ignore"):
        sc = np.where(up > mu0, (ynow - mu0) / (up - mu0), np.where(ynow > up, np.inf, 0.0))
    recent = np.stack([y[:, times - i] for i in range(limit54[1])], axis=0).sum(axis=0).reshape(-1)
    enough = recent >= limit54[0]
    ok = usable & chosen["converged"]
    fire = ok & enough & (ynow > up) & (ynow != 0)
    grid = (slice(None), times)
    expected[grid] = np.where(ok, mu0, np.nan).reshape(s_count, -1)
    upper[grid] = np.where(ok & enough, up, np.nan).reshape(s_count, -1)
    score[grid] = np.where(ok & enough, sc, np.nan).reshape(s_count, -1)
    monitored[grid] = ok.reshape(s_count, -1)
    alarm[grid] = fire.reshape(s_count, -1)
    return Detection("farrington", params, y, monitored, expected, upper, score, 1.0, alarm)


def _pad(v: np.ndarray, k: int) -> np.ndarray:
    """The no-trend row or coefficients laid out as the trend model's (trend coefficient 0)."""
    if len(v) == k:
        return v
    return np.concatenate([v[:1], [0.0], v[1:]])


def _pick(keep: np.ndarray, with_trend: np.ndarray, plain: np.ndarray) -> np.ndarray:
    """Per fit, the trend model's array or the plain model's padded to the same shape."""
    if with_trend.ndim == 2:  # coefficients: insert a zero trend coefficient
        padded = np.concatenate([plain[:, :1], np.zeros((len(plain), 1)), plain[:, 1:]], axis=1)
        return np.where(keep[:, None], with_trend, padded)
    k = with_trend.shape[1]
    padded = np.zeros((len(plain), k, k))
    idx = [0, *range(2, k)]
    padded[np.ix_(np.arange(len(plain)), idx, idx)] = plain
    return np.where(keep[:, None, None], with_trend, padded)


def _pad_fit(beta: np.ndarray, inv: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    return _pick(np.zeros(len(beta), dtype=bool), np.zeros((len(beta), k)), beta), _pick(
        np.zeros(len(beta), dtype=bool), np.zeros((len(beta), k, k)), inv
    )
