"""Uncertainty of a ratio of totals (cost per beneficiary): organization-cluster bootstrap draws and
percentile, BCa and studentized intervals, the analytic delta-method and Fieller intervals, and the
keyed random streams that make each interval independent of what else a call estimates.
"""

from __future__ import annotations

import zlib

import numpy as np
from scipy import stats


def keyed_generator(seed: int, *names: str) -> np.random.Generator:
    """A random generator of its own for one set of names (e.g. estimator, group, level).

    Spawned from ``seed`` with ``np.random.SeedSequence(seed, spawn_key=...)``, the key being the CRC-32
    of each name's UTF-8 bytes (stable across runs and machines, unlike Python's ``hash()``). The same
    seed and names always give the same draws, whichever other names are drawn for in the same call;
    different names give statistically independent streams.
    """
    key = tuple(zlib.crc32(str(n).encode("utf-8")) for n in names)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def bootstrap_draws(
    num: np.ndarray, den: np.ndarray, reps: int, rng, chunk: int = 256
) -> np.ndarray:
    """Replicates of sum(num)/sum(den) with clusters resampled with replacement.

    Vectorized: each chunk of replicates draws a (chunk x G) matrix of cluster indices and sums the
    cluster totals along it; no frame is copied. Memory stays at chunk * G indices.
    """
    g = len(num)
    out = np.empty(reps)
    for start in range(0, reps, chunk):
        n = min(chunk, reps - start)
        idx = rng.integers(0, g, size=(n, g), dtype=np.int32 if g < 2**31 else np.int64)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[start : start + n] = num[idx].sum(axis=1) / den[idx].sum(axis=1)
    return out


def _ratio_se(num: np.ndarray, den: np.ndarray) -> float:
    """Cluster-robust (linearization) standard error of sum(num)/sum(den)."""
    g = len(num)
    r = num.sum() / den.sum()
    return float(np.sqrt(g / (g - 1) * np.sum((num - r * den) ** 2)) / den.sum())


def _bootstrap_t(num, den, est, reps, rng, chunk: int = 256) -> np.ndarray:
    """Studentized replicates (R* - R) / se* with the linearization se of each replicate."""
    g = len(num)
    ss, sb, bb = num * num, num * den, den * den
    out = np.empty(reps)
    for start in range(0, reps, chunk):
        n = min(chunk, reps - start)
        idx = rng.integers(0, g, size=(n, g), dtype=np.int32 if g < 2**31 else np.int64)
        s_tot, b_tot = num[idx].sum(axis=1), den[idx].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = s_tot / b_tot
            resid = ss[idx].sum(axis=1) - 2 * r * sb[idx].sum(axis=1) + r * r * bb[idx].sum(axis=1)
            se = np.sqrt(g / (g - 1) * np.maximum(resid, 0.0)) / b_tot
            out[start : start + n] = (r - est) / se
    return out


def _jackknife(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Leave-one-cluster-out ratios of totals."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (num.sum() - num) / (den.sum() - den)


def ratio_interval(num, den, reps, rng, alpha, method) -> tuple[float, float]:
    """Percentile, BCa or studentized (bootstrap-t) interval of sum(num)/sum(den) from a cluster
    bootstrap of ``reps`` replicates at level 1 - ``alpha``; (NaN, NaN) without replicates or with
    fewer than two clusters."""
    g = len(num)
    if reps == 0 or g < 2:
        return np.nan, np.nan
    lo_q, hi_q = alpha / 2, 1 - alpha / 2
    if method == "studentized":
        est = num.sum() / den.sum()
        se = _ratio_se(num, den)
        t_draws = _bootstrap_t(num, den, est, reps, rng)
        t_lo, t_hi = np.quantile(t_draws[np.isfinite(t_draws)], [lo_q, hi_q])
        return float(est - t_hi * se), float(est - t_lo * se)
    draws = bootstrap_draws(num, den, reps, rng)
    draws = draws[np.isfinite(draws)]
    if method == "bca":
        est = num.sum() / den.sum()
        prop = (np.sum(draws < est) + 0.5 * np.sum(draws == est)) / len(draws)
        prop = min(max(prop, 1.0 / (len(draws) + 1)), len(draws) / (len(draws) + 1))
        z0 = stats.norm.ppf(prop)
        jack = _jackknife(num, den)
        jack = jack[np.isfinite(jack)]
        d = jack.mean() - jack
        denom = 6.0 * np.sum(d**2) ** 1.5
        acc = np.sum(d**3) / denom if denom > 0 else 0.0
        z = stats.norm.ppf([lo_q, hi_q])
        adj = stats.norm.cdf(z0 + (z0 + z) / (1 - acc * (z0 + z)))
        lo_q, hi_q = float(adj[0]), float(adj[1])
    lo, hi = np.quantile(draws, [lo_q, hi_q])
    return float(lo), float(hi)


def ratio_interval_analytic(
    num: np.ndarray, den: np.ndarray, *, ci: float = 0.95
) -> dict[str, float]:
    """Delta-method and Fieller intervals for sum(num)/sum(den) with cluster totals num, den.

    Uses the cluster-robust variance of the totals (G/(G-1) times the sum of squared deviations) and
    the t distribution with G-1 degrees of freedom. Fieller's confidence set is unbounded when the
    denominator is not significantly different from zero (the quadratic's leading coefficient
    b² - t² var(b) is not positive): then ``ratio_bounded`` is False and ``fieller_low/high`` are NaN.
    With fewer than two clusters every value is NaN and ``ratio_bounded`` is None (not known).
    """
    g = len(num)
    if g < 2:
        return {
            "delta_low": np.nan,
            "delta_high": np.nan,
            "fieller_low": np.nan,
            "fieller_high": np.nan,
            "ratio_bounded": None,
        }
    s, b = num.sum(), den.sum()
    r = s / b
    f = g / (g - 1)
    v_ss = f * np.sum((num - num.mean()) ** 2)
    v_bb = f * np.sum((den - den.mean()) ** 2)
    v_sb = f * np.sum((num - num.mean()) * (den - den.mean()))
    t = stats.t.ppf(1 - (1 - ci) / 2, g - 1)
    se = np.sqrt(max(v_ss - 2 * r * v_sb + r**2 * v_bb, 0.0)) / b
    qa = b**2 - t**2 * v_bb
    qb = -2 * (s * b - t**2 * v_sb)
    qc = s**2 - t**2 * v_ss
    disc = qb**2 - 4 * qa * qc
    # qa > 0 implies disc >= 0 in exact arithmetic (the estimate lies inside the set); the disc test
    # guards rounding only.
    bounded = bool(qa > 0 and disc >= 0)
    if bounded:
        roots = sorted(((-qb - np.sqrt(disc)) / (2 * qa), (-qb + np.sqrt(disc)) / (2 * qa)))
    else:
        roots = [np.nan, np.nan]
    return {
        "delta_low": r - t * se,
        "delta_high": r + t * se,
        "fieller_low": float(roots[0]),
        "fieller_high": float(roots[1]),
        "ratio_bounded": bounded,
    }
