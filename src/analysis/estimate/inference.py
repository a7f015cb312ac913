"""Few-cluster checks of the regional effects: for the baseline's 三区三州 coefficient
(``baseline_inference``: CR1 and CR3 jackknife cluster-robust errors, the wild cluster bootstrap
and two-way clustering) and for the policy-year spending shift (``spending_shift_inference``: CR1,
CR3, randomization inference and the wild cluster bootstrap). The wild bootstrap's intervals come
from inverting its test (:mod:`analysis.estimate.wild`). The models themselves are in
:mod:`analysis.estimate.regional`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.estimate.absorbed import randomization_p
from analysis.estimate.models import (
    BASELINE_COLUMNS,
    BASELINE_FORMULA,
    EFFECT_COLUMNS,
    SHIFT_COLUMNS,
    check_ci,
    clustered_ols,
    project_sample,
    reference_row,
    tidy_terms,
)
from analysis.estimate.shift import (
    WILD_MIN_CLUSTERS,
    absorbed_rows,
    check_start,
    convention_text,
    fit_did,
)
from analysis.estimate.wild import WILD_TOL, WildDraws, wild_draws, wild_interval, wild_p
from analysis.schema import POLICY_YEAR, require_columns

INFERENCE_COLUMNS = [*EFFECT_COLUMNS, "inference", "bootstrap_reps", "seed"]


def _check_reps_seed(reps, seed) -> None:
    if isinstance(reps, bool) or not isinstance(reps, int | np.integer) or reps < 99:
        raise ParameterError(f"reps must be an integer of at least 99, got {reps!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")


def _few_cluster_rows(
    cr1,
    prefix: str,
    param: str,
    term: str,
    cluster: str,
    g: int,
    *,
    reps: int,
    seed: int,
    ci: float,
    cr3: bool = True,
) -> list[pd.DataFrame]:
    """CR1, CR3 and wild-cluster-bootstrap rows for one coefficient of a fitted clustered OLS."""
    t = tidy_terms(cr1, f"{prefix}_cr1", {param: term}, g, ci)
    t["inference"] = f"CR1 clustered by {cluster} (G={g}), t(G-1)"
    tables = [t]
    if cr3:
        tables.append(_cr3_rows(cr1, prefix, param, term, cluster, g, ci))
    model = cr1.model
    draws = wild_draws(
        model.endog,
        model.exog,
        model.exog_names.index(param),
        cr1.cov_kwds["groups"],
        reps=reps,
        seed=seed,
    )  # K = every column, as statsmodels' CR1 of the row above
    tables.append(_wild_row(draws, f"{prefix}_wild", term, cluster, seed=seed, ci=ci))
    return tables


def _cr3_rows(
    cr1, prefix: str, param: str, term: str, cluster: str, g: int, ci: float
) -> pd.DataFrame:
    """The CR3 (leave-one-cluster-out jackknife) row of one coefficient; an empty row and a warning
    where dropping a cluster leaves the design rank-deficient."""
    try:
        fit3 = cr1.model.fit(
            cov_type="cluster-crv3", cov_kwds={"groups": cr1.cov_kwds["groups"]}, use_t=True
        )
        t = tidy_terms(fit3, f"{prefix}_cr3", {param: term}, g, ci)
    except (ValueError, np.linalg.LinAlgError) as err:
        warnings.warn(f"no CR3 standard error: {err}", stacklevel=4)
        empty = reference_row(f"{prefix}_cr3", term, int(cr1.nobs), g)
        empty.update(estimate=cr1.params[param], std_error=np.nan, ci_low=np.nan, ci_high=np.nan)
        t = pd.DataFrame([empty], columns=EFFECT_COLUMNS)
    t["inference"] = f"CR3 leave-one-cluster-out jackknife by {cluster} (G={g}), t(G-1)"
    return t


def _wild_row(
    draws: WildDraws, model: str, term: str, cluster: str, *, seed: int, ci: float
) -> pd.DataFrame:
    """The wild cluster bootstrap row of one coefficient (``wild_draws``): the p-value of
    coefficient = 0 and the ``ci`` interval by test inversion; no standard error."""
    g = draws.n_clusters
    draws_text = f"all 2^{g} sign vectors" if draws.enumerated else f"{draws.reps} draws"
    interval_text = f"interval by test inversion (ends to {WILD_TOL:g} SE)"
    if g < WILD_MIN_CLUSTERS:  # as fit_spending_shift: the accepted set can be patchy or tiny
        warnings.warn(
            f"only {g} clusters of {cluster}: too few for the wild bootstrap's interval; "
            f"{model} gives its p-value only",
            stacklevel=3,
        )
        low, high = np.nan, np.nan
        interval_text = f"no interval below {WILD_MIN_CLUSTERS} clusters"
    else:
        low, high = wild_interval(draws, ci, WILD_TOL)
    row = {
        "model": model,
        "term": term,
        "estimate": draws.estimate,
        "std_error": np.nan,
        "ci_low": low,
        "ci_high": high,
        "p_value": wild_p(draws, 0.0),
        "n_obs": draws.n_obs,
        "n_clusters": g,
        "inference": (
            f"wild cluster bootstrap by {cluster} (G={g}), Rademacher ({draws_text}), null "
            f"imposed, CR1 t-statistic; {interval_text}"
        ),
        "bootstrap_reps": draws.reps,
        "seed": seed,
    }
    return pd.DataFrame([row])


def _inference_table(tables: list[pd.DataFrame], excluded: int) -> pd.DataFrame:
    """Stack few-cluster rows into ``INFERENCE_COLUMNS``, with the rows left out as unknown and
    integer (nullable) bootstrap draws and seed."""
    out = pd.concat(tables, ignore_index=True).reindex(columns=INFERENCE_COLUMNS)
    out["n_unknown_excluded"] = excluded
    out["bootstrap_reps"] = out["bootstrap_reps"].astype("Int64")
    out["seed"] = out["seed"].astype("Int64")
    return out


def spending_shift_inference(
    data: pd.DataFrame,
    *,
    start: int = POLICY_YEAR,
    reps: int = 999,
    seed: int = 0,
    ci: float = 0.95,
    ri_reps: int = 1999,
    convention: str = "nested",
) -> pd.DataFrame:
    """Few-treated-cluster checks of the spending shift from ``start`` (by default ``POLICY_YEAR``):
    the ``did`` coefficient, log points, with area effects absorbed.

    Rows ``did_cr1`` (as ``fit_spending_shift``, CR1 under ``convention``), ``did_cr3`` (leave-one-
    area-out jackknife; identified, as the area's own effect leaves with it), ``did_ri`` (randomization
    inference: which areas are 三区三州 drawn again ``ri_reps`` times, the p-value of the CR1 t) and
    ``did_wild`` (wild cluster restricted bootstrap by area on the same absorbed model, Rademacher,
    null imposed: the p-value of 0 and the interval by test inversion, as in :func:`baseline_inference`),
    with the columns of :func:`baseline_inference`. The inference column names the treated and control areas.
    """
    require_columns(data, SHIFT_COLUMNS, "data")
    check_ci(ci)
    _check_reps_seed(reps, seed)
    _check_reps_seed(ri_reps, seed)
    check_start(data, start, None)
    fit, panel, excluded = fit_did(data, start, convention)
    term = f"deep_poverty_area:post{start}"
    treated = int(panel.groupby("area")["deep"].first().sum())
    areas = f"{treated} treated and {fit.n_clusters - treated} control areas"
    cr1 = absorbed_rows(fit, "did_cr1", {"treat_post": term}, ci, excluded)
    cr1["inference"] = (
        f"CR1 clustered by area (G={fit.n_clusters}, {areas}), t(G-1); {convention_text(fit)}"
    )
    cr3 = absorbed_rows(fit, "did_cr3", {"treat_post": term}, ci, excluded, cov="cr3")
    cr3["inference"] = f"CR3 leave-one-area-out jackknife (G={fit.n_clusters}, {areas}), t(G-1)"
    p, draws = randomization_p(
        panel,
        outcome="log_spend",
        treated_unit="deep",
        post="post",
        controls=[c for c in fit.names if c != "treat_post"],
        absorb="area",
        reps=ri_reps,
        seed=seed,
    )
    ri = cr1.assign(model="did_ri", std_error=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=p)
    ri["inference"] = f"randomization inference: the {treated} treated areas drawn again, CR1 t"
    ri["bootstrap_reps"], ri["seed"] = draws, seed
    draws = wild_draws(
        panel["log_spend"],
        panel[fit.names],
        fit.names.index("treat_post"),
        panel["area"],
        reps=reps,
        seed=seed,
        absorb=panel["area"],
        k=fit.k,
    )
    wild = _wild_row(draws, "did_wild", term, "area", seed=seed, ci=ci)
    return _inference_table([cr1, cr3, ri, wild], excluded)


def baseline_inference(
    data: pd.DataFrame,
    *,
    cluster: str = "org_name",
    second_cluster: str | None = None,
    reps: int = 999,
    seed: int = 0,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Few-cluster checks of the baseline's 三区三州 coefficient (log points).

    Same sample, formula and estimate as ``fit_baseline``; the rows differ only in how the
    uncertainty of the ``deep_poverty_area`` coefficient is computed (term ``deep_poverty_area``):

    - ``baseline_cr1``: as ``fit_baseline``: CR1 clustered by ``cluster``, t with G-1 df.
    - ``baseline_cr3``: CR3, the leave-one-cluster-out jackknife
      V = (G-1)/G * sum_g (b_(g) - b)(b_(g) - b)', each b_(g) solved from the normal equations less
      cluster g's cross-products (statsmodels ``cov_type="cluster-crv3"``), t with G-1 df. If
      dropping some cluster leaves the design rank-deficient (a cluster holding all of one year or
      sector), the row is empty and a warning says so.
    - ``baseline_wild``: wild cluster restricted bootstrap (:mod:`analysis.estimate.wild`: the null
      imposed, Rademacher weights drawn per cluster, CR1 t-statistic with the CR1 row's factor):
      ``p_value`` for H0: coefficient = 0 (share of draws with |t*| > |t|) and ``ci_low``/``ci_high``
      by test inversion, the coefficients the test at level 1 - ``ci`` does not reject, the same
      draws for every value tested, ends found to ``WILD_TOL`` standard errors. ``std_error`` is
      empty. With 2^G <= reps all 2^G sign vectors are used instead of random draws
      (``bootstrap_reps`` = 2^G). With fewer than about 12 clusters Rademacher weights allow few
      distinct p-values and the interval may be unbounded; read them with care. One-way only: the
      bootstrap clusters by ``cluster`` even with ``second_cluster``.
    - ``baseline_twoway`` (only with ``second_cluster``, e.g. ``"province"``): CR1 clustered two
      ways (statsmodels: V0 + V1 - V01), t with min(G0, G1) - 1 df; ``n_clusters`` = min(G0, G1).
      Rows missing the second cluster are left out of this row only.

    Extra columns after ``EFFECT_COLUMNS``: ``inference`` (how the row was computed, with the
    cluster counts), ``bootstrap_reps`` and ``seed`` (wild row only). Fewer than 30 clusters warn.
    The bootstrap takes well under a second for 999 draws and 941 clusters.
    """
    require_columns(
        data, [*BASELINE_COLUMNS, cluster] + ([second_cluster] if second_cluster else []), "data"
    )
    check_ci(ci)
    _check_reps_seed(reps, seed)
    if second_cluster is not None and second_cluster == cluster:
        raise ParameterError(f"second_cluster must differ from cluster, both are {cluster!r}")
    use, excluded = project_sample(data)
    cols = ["log_cpb", "deep", "sector", "year", cluster]
    cr1, g = clustered_ols(BASELINE_FORMULA, use[cols], cluster)
    tables = _few_cluster_rows(
        cr1, "baseline", "deep", "deep_poverty_area", cluster, g, reps=reps, seed=seed, ci=ci
    )
    if second_cluster is not None:
        two, g2 = clustered_ols(
            BASELINE_FORMULA, use[[*cols, second_cluster]], cluster, second=second_cluster
        )
        tables.append(_twoway_row(two, g2, cluster, second_cluster, ci))
    return _inference_table(tables, excluded)


def _twoway_row(two, g2: int, cluster: str, second: str, ci: float) -> pd.DataFrame:
    """The baseline's 三区三州 row (log points) of the fit ``two``, clustered by ``cluster`` and
    ``second`` (t with ``g2`` = min(G0, G1) - 1 df), with both cluster counts in ``inference``."""
    counts = [len(np.unique(col)) for col in two.cov_kwds["groups"].T]
    t = tidy_terms(two, "baseline_twoway", {"deep": "deep_poverty_area"}, g2, ci)
    t["inference"] = (
        f"CR1 two-way clustered by {cluster} (G={counts[0]}) and {second} "
        f"(G={counts[1]}), t(min G - 1)"
    )
    return t
