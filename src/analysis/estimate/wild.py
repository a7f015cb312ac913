"""The wild cluster restricted bootstrap (WCR) for one coefficient of a linear model, with one set of
fixed effects absorbed if asked (nested in the clusters): the p-value of H0: beta = beta0 for any
beta0, and the confidence interval as the set of beta0 the test does not reject (test inversion).

For H0: beta = beta0 the bootstrap outcome is y* = X beta~ + v_g e~, where beta~ and e~ are the
least-squares fit and residuals with beta fixed at beta0 (the null imposed) and v_g = +-1 with equal
chance, one draw per cluster (Rademacher). Each draw is refitted; its CR1 t-statistic
t* = (beta* - beta0) / se*(beta*) is compared with the observed t = (beta^ - beta0) / se, and
p(beta0) = share of draws with |t*| > |t| (ties, such as v = +-1 everywhere, do not count).
The CR1 factor G/(G-1) * (N-1)/(N-K) is the caller's (``k``); it scales t and every t* alike, so
the p-value does not depend on it.

Everything a draw needs is linear in d = beta^ - beta0 (the restricted residuals are
e~ = e^ + d x~, x~ being the regressor of interest net of the others): beta* - beta0 = n0 + d n1 and
the CR1 sum of squares of a draw is A + 2 d B + d^2 C, five numbers per draw computed once
(Roodman, Nielsen, MacKinnon and Webb 2019, "Fast and wild", Stata Journal 19(1)). The same draws
serve every beta0, so p(beta0) is a step function of beta0, evaluated in O(draws), and the interval's
ends are found by bracketing and bisection from the CR1 interval.

Draws match the ``wildboottest`` package: ``numpy.random.default_rng(seed).choice([-1, 1],
size=G * reps)`` as a G x reps matrix, clusters in sorted order of their labels; with 2^G <= reps all
2^G sign vectors are used instead (in ``itertools.product`` order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import ParameterError
from analysis.estimate.absorbed import demean
from analysis.estimate.models import check_ci

CHUNK = 1024  # draws handled at once (memory: a few G x CHUNK arrays)
WILD_TOL = 1e-4  # the interval's ends are found to this share of the CR1 standard error
TIES = (
    1e-9  # relative margin within which |t*| and |t| count as equal (and so as at least as extreme)
)


@dataclass(frozen=True)
class WildDraws:
    """One coefficient's bootstrap, ready to test any beta0: the estimate and its CR1 standard error
    (units of the coefficient), and per draw n0, n1, A, B, C (see the module text)."""

    estimate: float
    std_error: float
    n0: np.ndarray
    n1: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    ssc: float
    n_obs: int
    n_clusters: int
    reps: int
    enumerated: bool


def check_wild_options(reps, seed, ci=0.95, tol=1e-4) -> None:
    """Refuse draws that are not an integer of at least 99, a seed that is not a non-negative
    integer, a confidence level outside (0, 1) and a tolerance outside (0, 1) (a share of the SE)."""
    if isinstance(reps, bool) or not isinstance(reps, int | np.integer) or reps < 99:
        raise ParameterError(f"reps must be an integer of at least 99, got {reps!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    check_ci(ci)
    if isinstance(tol, bool) or not isinstance(tol, float | int) or not 0 < tol < 1:
        raise ParameterError(f"tol must be a share of the standard error in (0, 1), got {tol!r}")


def sign_vectors(g: int, reps: int, seed: int) -> np.ndarray:
    """Rademacher weights, G x draws (int): all 2^G sign vectors if 2^G <= reps, else ``reps``
    seeded random draws (the draws of ``wildboottest`` with the same seed)."""
    if g < 63 and 2**g <= reps:
        bits = np.arange(2**g)[None, :] >> np.arange(g - 1, -1, -1)[:, None]
        return (bits & 1) * 2 - 1
    rng = np.random.default_rng(int(seed))
    return rng.choice([-1, 1], size=g * reps, replace=True).reshape(g, reps)


def _cluster_codes(clusters, absorb, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Cluster codes 0..G-1 in sorted order of the labels; absorb codes, refused unless each absorbed
    group lies in one cluster."""
    codes = pd.factorize(pd.Series(np.asarray(clusters)), sort=True)[0]
    if len(codes) != n or (codes < 0).any():
        raise ParameterError("clusters must give one non-missing label per observation")
    if codes.max() < 1:
        raise ParameterError("the wild cluster bootstrap needs at least 2 clusters")
    if absorb is None:
        return codes, None
    groups = pd.factorize(pd.Series(np.asarray(absorb)))[0]
    if len(groups) != n or (groups < 0).any():
        raise ParameterError("absorb must give one non-missing label per observation")
    if pd.Series(codes).groupby(groups).nunique().max() > 1:
        raise ParameterError("the absorbed effects must be nested in the clusters")
    return codes, groups


def _sum_by(values: np.ndarray, codes: np.ndarray, g: int) -> np.ndarray:
    """Column sums of ``values`` (n x m) within clusters: G x m."""
    out = np.zeros((g, values.shape[1]))
    np.add.at(out, codes, values)
    return out


def wild_draws(
    y,
    x,
    column: int,
    clusters,
    *,
    reps: int = 999,
    seed: int = 0,
    absorb=None,
    k: int | None = None,
) -> WildDraws:
    """Prepare the WCR bootstrap of coefficient ``column`` of the least-squares fit of ``y`` (n) on
    ``x`` (n x K; include the intercept or dummies you want), errors clustered by ``clusters``.

    ``absorb``: labels of fixed effects nested in the clusters, absorbed by demeaning ``y`` and ``x``
    (then ``x`` has no intercept). ``k``: the K of the CR1 factor (default: the columns of ``x``,
    which leaves nested absorbed effects out, as fixest and reghdfe do). ``reps`` Rademacher draws per
    cluster, seeded, or all 2^G sign vectors when 2^G <= reps.
    """
    check_wild_options(reps, seed)
    y = np.asarray(y, dtype=float).ravel()
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or len(x) != len(y) or not 0 <= column < x.shape[1]:
        raise ParameterError("x must be an n x K matrix with the rows of y and column one of its K")
    codes, groups = _cluster_codes(clusters, absorb, len(y))
    if groups is not None:
        y = demean(y[:, None], groups)[:, 0]
        x = demean(x, groups)
    xtx = x.T @ x
    if np.linalg.matrix_rank(xtx) < x.shape[1]:
        raise ParameterError("the regressors are collinear (once the fixed effects are absorbed)")
    inv = np.linalg.inv(xtx)
    g, n = int(codes.max() + 1), len(y)
    k = x.shape[1] if k is None else k
    ssc = g / (g - 1) * (n - 1) / (n - k)
    h = x @ inv[:, column]  # the row of (X'X)^-1 X' that gives beta: x~ / (x~'x~)
    x_net = h / inv[column, column]  # x~, the regressor net of the others
    beta = float(h @ y)
    resid = y - x @ (inv @ (x.T @ y))
    e = _sum_by((h * resid)[:, None], codes, g)[:, 0]  # cluster scores of beta at beta^
    c = _sum_by((h * x_net)[:, None], codes, g)[:, 0]
    lev = _sum_by(h[:, None] * x, codes, g) @ inv  # L_g = R (X'X)^-1 X_g'X_g (X'X)^-1
    s_e = _sum_by(x * resid[:, None], codes, g)  # X_g' e^_g
    s_x = _sum_by(x * x_net[:, None], codes, g)  # X_g' x~_g
    signs = sign_vectors(g, reps, seed)
    blocks = range(0, signs.shape[1], CHUNK)
    parts = [_draw_parts(signs[:, i : i + CHUNK], e, c, lev, s_e, s_x) for i in blocks]
    n0, n1, a, b, cc = (np.concatenate(p) for p in zip(*parts, strict=True))
    se = float(np.sqrt(ssc * np.sum(e**2)))
    enumerated = signs.shape[1] == 2**g and g < 63
    return WildDraws(beta, se, n0, n1, a, b, cc, ssc, n, g, signs.shape[1], enumerated)


def _draw_parts(signs, e, c, lev, s_e, s_x) -> tuple[np.ndarray, ...]:
    """n0, n1, A, B, C of a block of draws (see the module text)."""
    v = signs.astype(float)
    z0 = e[:, None] * v - lev @ (s_e.T @ v)  # per-cluster scores of beta* at d = 0
    z1 = c[:, None] * v - lev @ (s_x.T @ v)  # ... their change per unit of d
    return e @ v, c @ v, np.sum(z0**2, axis=0), np.sum(z0 * z1, axis=0), np.sum(z1**2, axis=0)


def wild_p(draws: WildDraws, beta0) -> np.ndarray | float:
    """p-value of H0: beta = beta0 (scalar or array of beta0): the share of draws with |t*| >= |t|
    (a tie counts: with all 2^G sign vectors the observed one, all +1, is among them, so p >= 1/2^G
    and a p of 0 cannot arise from too few clusters)."""
    b0 = np.atleast_1d(np.asarray(beta0, dtype=float))
    d = (draws.estimate - b0)[:, None]
    t = np.abs(d[:, 0]) / draws.std_error
    ss = np.maximum(draws.a + 2 * d * draws.b + d**2 * draws.c, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_star = np.abs(draws.n0 + d * draws.n1) / np.sqrt(draws.ssc * ss)
    exceed = np.nan_to_num(t_star, nan=0.0) >= t[:, None] * (1 - TIES)
    p = exceed.mean(axis=1)
    return float(p[0]) if np.ndim(beta0) == 0 else p


def wild_interval(draws: WildDraws, ci: float = 0.95, tol: float = 1e-4) -> tuple[float, float]:
    """The ``ci`` interval by test inversion: the beta0 with p(beta0) >= 1 - ci, from the estimate
    outwards on each side. Each end is bracketed from the CR1 interval (t with G-1 df), doubling its
    half-width until the test rejects, then bisected to ``tol`` standard errors (CR1); the end
    returned is the middle of the last bracket. An end is infinite when no beta0 within 2^60
    half-widths is rejected. A set of unrejected beta0 with gaps is not searched beyond the first
    rejection on each side."""
    check_ci(ci)
    if isinstance(tol, bool) or not isinstance(tol, float | int) or not 0 < tol < 1:
        raise ParameterError(f"tol must be a share of the standard error in (0, 1), got {tol!r}")
    half = stats.t.ppf(0.5 + ci / 2, draws.n_clusters - 1) * draws.std_error
    return tuple(_end(draws, 1 - ci, side * half, tol) for side in (-1.0, 1.0))


def _end(draws: WildDraws, alpha: float, half: float, tol: float) -> float:
    """One end of the interval: ``half`` is the signed CR1 half-width."""

    def accepted(b0: float) -> bool:
        return wild_p(draws, b0) >= alpha - 1e-12

    inner = draws.estimate
    if not accepted(inner) or draws.std_error <= 0:
        return np.nan
    outer = inner + half
    for step in range(61):
        if not accepted(outer):
            break
        inner, outer = outer, draws.estimate + half * 2.0 ** (step + 1)
    else:
        return float(np.sign(half) * np.inf)
    for _ in range(
        200
    ):  # far out, floats cannot split the bracket to tol: stop at their resolution
        mid = (inner + outer) / 2
        if abs(outer - inner) <= tol * draws.std_error or mid in (inner, outer):
            break
        inner, outer = (mid, outer) if accepted(mid) else (inner, mid)
    return float((inner + outer) / 2)
