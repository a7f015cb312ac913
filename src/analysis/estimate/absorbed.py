"""Least squares with one set of fixed effects absorbed (the within transformation) and errors clustered
on groups in which those effects are nested, with the small-sample convention named.

The spending shift's area effects are nested in its area clusters. Counting their dummies as
parameters in the CR1 factor G/(G-1) * (N-1)/(N-K) (statsmodels with ``C(area)``: K = 41 on the demo)
makes the errors larger than the convention of fixest, reghdfe and Stata's xtreg, which leave nested
effects out of K (K = 5 on the demo: the treatment and four year effects). ``CONVENTIONS`` names both;
``"nested"`` is the default. CR3 is the leave-one-cluster-out jackknife of the absorbed model: leaving
an area out removes its own effect with it, so every fit is identified.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import ParameterError

# Small-sample conventions of the CR1 factor: name -> how K is counted (said in the inference column).
CONVENTIONS = {
    "nested": "K without the absorbed effects nested in the clusters (fixest, reghdfe)",
    "count_all": "K with one parameter per absorbed effect (statsmodels with dummies)",
}


@dataclass(frozen=True)
class AbsorbedFit:
    """Coefficients of the regressors (the absorbed effects are not reported), their CR1 and CR3
    covariance matrices, and what the degrees of freedom come from."""

    names: list[str]
    coef: np.ndarray
    cov_cr1: np.ndarray
    cov_cr3: np.ndarray
    n_obs: int
    n_clusters: int
    k: int
    convention: str


def demean(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Each column minus its mean within the groups ``codes`` (0..n-1)."""
    n = codes.max() + 1
    sums = np.zeros((n, values.shape[1]))
    np.add.at(sums, codes, values)
    counts = np.bincount(codes, minlength=n)[:, None]
    return values - (sums / counts)[codes]


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and (X'X)^-1 of a least-squares fit; refuses a rank-deficient design."""
    xtx = x.T @ x
    if np.linalg.matrix_rank(xtx) < x.shape[1]:
        raise ParameterError("the regressors are collinear once the fixed effects are absorbed")
    inv = np.linalg.inv(xtx)
    return inv @ (x.T @ y), inv


def _meat(x: np.ndarray, resid: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Sum over clusters of X_g' e_g e_g' X_g."""
    scores = np.zeros((clusters.max() + 1, x.shape[1]))
    np.add.at(scores, clusters, x * resid[:, None])
    return scores.T @ scores


def fit_absorbed(
    frame: pd.DataFrame,
    *,
    outcome: str,
    regressors: list[str],
    absorb: str,
    cluster: str,
    convention: str = "nested",
    cr3: bool = True,
) -> AbsorbedFit:
    """Regress ``outcome`` on ``regressors`` with ``absorb`` effects absorbed, errors clustered by
    ``cluster`` (each ``absorb`` group must lie in one cluster). CR1 under ``convention``; CR3 as the
    leave-one-cluster-out jackknife around the full-sample estimate, times (G-1)/G (with
    ``cr3=False`` not computed: ``cov_cr3`` is all NaN, for designs where leaving a cluster out
    leaves a regressor without variation)."""
    if convention not in CONVENTIONS:
        raise ParameterError(f"convention must be one of {sorted(CONVENTIONS)}, got {convention!r}")
    absorb_codes = pd.factorize(frame[absorb])[0]
    clusters = pd.factorize(frame[cluster])[0]
    if frame.groupby(absorb)[cluster].nunique().max() > 1:
        raise ParameterError(f"the {absorb} effects must be nested in the {cluster} clusters")
    x = demean(frame[regressors].to_numpy(dtype=float), absorb_codes)
    y = demean(frame[[outcome]].to_numpy(dtype=float), absorb_codes)[:, 0]
    coef, inv = _ols(x, y)
    n, g = len(y), int(clusters.max() + 1)
    k = x.shape[1] + (int(absorb_codes.max() + 1) if convention == "count_all" else 0)
    factor = g / (g - 1) * (n - 1) / (n - k)
    cov1 = factor * inv @ _meat(x, y - x @ coef, clusters) @ inv
    cov3 = np.full_like(cov1, np.nan)
    if cr3:
        drops = np.array([_ols(x[clusters != c], y[clusters != c])[0] for c in range(g)])
        dev = drops - coef
        cov3 = (g - 1) / g * dev.T @ dev
    return AbsorbedFit(list(regressors), coef, cov1, cov3, n, g, k, convention)


def randomization_p(
    frame: pd.DataFrame,
    *,
    outcome: str,
    treated_unit: str,
    post: str,
    controls: list[str],
    absorb: str,
    reps: int,
    seed: int,
) -> tuple[float, int]:
    """Randomization-inference p-value of the effect of ``treated_unit`` x ``post``: the units (the
    ``absorb`` groups) that are treated are drawn again, as many as in the data, ``reps`` times
    (seeded); the p-value is (1 + draws with |t| at least the observed) / (1 + draws), the t being the
    CR1 t (nested convention) clustered by unit. Returns the p-value and the number of draws."""
    units = pd.factorize(frame[absorb])[0]
    treated = frame.groupby(units)[treated_unit].first().to_numpy(dtype=bool)
    rng = np.random.default_rng(seed)
    x_rest = demean(frame[controls].to_numpy(dtype=float), units)
    y = demean(frame[[outcome]].to_numpy(dtype=float), units)[:, 0]
    post_values = frame[post].to_numpy(dtype=float)

    def t_stat(assign: np.ndarray) -> float:
        d = demean((assign[units] * post_values)[:, None], units)
        x = np.column_stack([d, x_rest])
        coef, inv = _ols(x, y)
        meat = _meat(x, y - x @ coef, units)
        g, n, k = len(assign), len(y), x.shape[1]
        var = g / (g - 1) * (n - 1) / (n - k) * (inv @ meat @ inv)[0, 0]
        return coef[0] / np.sqrt(var)

    observed = abs(t_stat(treated.astype(float)))
    draws = [abs(t_stat(rng.permutation(treated).astype(float))) for _ in range(reps)]
    return (1 + sum(d >= observed - 1e-12 for d in draws)) / (1 + reps), reps
