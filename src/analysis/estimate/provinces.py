"""Province effects and heterogeneity: province intercepts on the baseline's sample, partially pooled
(MixedLM) and unpooled (OLS); the 三区三州 effect within each sector or organization type with
Holm-adjusted p-values.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis.errors import ParameterError
from analysis.estimate.models import (
    BASELINE_COLUMNS,
    CONTROLS,
    EFFECT_COLUMNS,
    check_ci,
    clustered_ols,
    project_sample,
    reference_row,
    tidy_terms,
)
from analysis.schema import require_columns


def fit_province_effects(
    data: pd.DataFrame, *, cluster: str = "org_name", ci: float = 0.95
) -> pd.DataFrame:
    """Province differences in log cost per beneficiary, partially pooled and unpooled.

    Sample: the baseline's (single-province projects with positive spending and beneficiaries), less
    rows with a missing province or ``cluster``, so both models use the same rows. Outcome:
    log(yuan per beneficiary); controls: sector (industry = reference) and year fixed effects.

    ``province_random_effects`` (statsmodels MixedLM, REML, one random intercept per province;
    Powell's method, then L-BFGS if it fails: gradient methods alone can stop at a zero variance):

    - ``province[<name>]``: the province's predicted deviation from the average province (the BLUP,
      log points; shrunk towards 0 the more, the fewer projects a province has). Interval: BLUP ±
      z * sqrt(conditional variance of the random effect given the data, statsmodels'
      ``random_effects_cov``); it treats the fixed effects and the variance parameters as known, so
      it is somewhat too narrow when there are few provinces. ``p_value`` is empty: a BLUP is a
      prediction, not a tested coefficient.
    - ``between_province_sd``: the estimated SD of the province intercepts (log points). statsmodels
      reports the standard error of the variance relative to the residual variance; it is rescaled
      by the residual variance (treated as known), carried to the SD by the delta method
      (``std_error``), and the interval is a Wald interval on the log-variance scale, back-transformed
      (the variance's sampling distribution is skewed). ``p_value`` is empty (testing SD = 0 is a
      boundary problem). A variance estimated at 0 gives an empty interval and a warning.
    - ``n_clusters`` is the number of provinces. Projects of one organization are NOT treated as
      correlated in this model (there is no crossed organization effect); the fixed-effects model
      below is clustered by organization.

    ``province_fixed_effects`` (OLS with province dummies, errors clustered by ``cluster``, t with
    G-1 degrees of freedom): ``province[<name>]`` is the difference from the reference province, the
    one with most projects, whose row is 0 with an empty p-value. To compare with the BLUPs, centre
    these on their mean.

    ``deep_poverty_area`` is deliberately left out of both models: the province is the unit here, and
    三区三州 is a property of areas inside provinces (all of Tibet, parts of five others), so the
    cost difference of a province's 三区三州 projects is part of what its intercept measures.
    Controlling for it would turn the intercepts into "net of 三区三州" contrasts, and Tibet's (all
    三区三州) would be told apart from the 三区三州 term only through the within-province contrasts
    of the other five provinces.
    """
    require_columns(data, [*BASELINE_COLUMNS, cluster], "data")
    check_ci(ci)
    frame = _province_sample(data, cluster)
    random_part = _province_random_effects(frame, stats.norm.ppf(0.5 + ci / 2))
    ref = _reference_province(frame)
    formula = f"log_cpb ~ {CONTROLS} + C(province, Treatment({ref!r}))"
    fixed, g = clustered_ols(formula, frame, cluster)
    fixed_part = _province_fixed_rows(fixed, g, ref, ci)
    return pd.concat([random_part, fixed_part], ignore_index=True)


def _province_sample(data: pd.DataFrame, cluster: str) -> pd.DataFrame:
    """The baseline's projects with a province and a ``cluster``: log cost per beneficiary (log
    yuan per person), sector, year, province (text) and ``cluster``; at least 2 provinces."""
    use, _ = project_sample(data, need_deep=False)
    use = use[use["province"].notna() & use[cluster].notna()].copy()
    use["province"] = use["province"].astype(str)
    n_prov = use["province"].nunique()
    if n_prov < 2:
        raise ParameterError(f"need projects in at least 2 provinces, got {n_prov}")
    return use[["log_cpb", "sector", "year", "province", cluster]]


def _province_random_effects(frame: pd.DataFrame, z: float) -> pd.DataFrame:
    """The partially pooled model (MixedLM, REML): one BLUP row per province and the
    between-province SD row (log points), intervals at the normal quantile ``z``."""
    with warnings.catch_warnings():
        # statsmodels flags any variance below 0.01 (absolute units) as "may be on the boundary";
        # for log costs that is an SD of 0.1, a real value. A zero estimate warns below instead.
        warnings.filterwarnings("ignore", message="The MLE may be on the boundary")
        mixed = smf.mixedlm("log_cpb ~ " + CONTROLS, frame, groups=frame["province"]).fit(
            reml=True, method=["powell", "lbfgs"]
        )
    if not mixed.converged:
        warnings.warn("MixedLM did not converge; province BLUPs are unreliable", stacklevel=3)
    rows = []
    for prov in sorted(mixed.random_effects):
        blup = float(mixed.random_effects[prov].iloc[0])
        se = math.sqrt(max(float(mixed.random_effects_cov[prov].iloc[0, 0]), 0.0))
        rows.append((f"province[{prov}]", blup, se, blup - z * se, blup + z * se))
    rows.append(("between_province_sd", *_between_province_sd(mixed, z)))
    n_obs, n_prov = len(frame), frame["province"].nunique()
    return pd.DataFrame(
        [
            {
                "model": "province_random_effects",
                "term": term,
                "estimate": est,
                "std_error": se,
                "ci_low": low,
                "ci_high": high,
                "p_value": np.nan,
                "n_obs": n_obs,
                "n_clusters": n_prov,
                "n_unknown_excluded": 0,  # province effects keep every row: 三区三州 is not in them
            }
            for term, est, se, low, high in rows
        ],
        columns=EFFECT_COLUMNS,
    )


def _between_province_sd(mixed, z: float) -> tuple[float, float, float, float]:
    """SD of the province intercepts (log points): estimate, delta-method standard error and the
    back-transformed Wald interval of the log-variance; NaNs (and a warning) at a zero variance."""
    var = float(mixed.cov_re.iloc[0, 0])
    se_var = float(mixed.scale) * float(mixed.bse.iloc[mixed.k_fe])
    if var > 1e-12:
        sd = math.sqrt(var)
        half = z * se_var / var
        return (sd, se_var / (2 * sd), sd * math.exp(-half / 2), sd * math.exp(half / 2))
    warnings.warn(
        "the between-province variance is estimated at 0: no interval for its SD",
        stacklevel=4,
    )
    return (0.0, np.nan, np.nan, np.nan)


def _reference_province(frame: pd.DataFrame) -> str:
    """The province with most projects (the first by name among ties): the fixed effects'
    reference."""
    counts = frame["province"].value_counts()
    return sorted(counts.index[counts == counts.max()])[0]


def _province_fixed_rows(fixed, g: int, ref: str, ci: float) -> pd.DataFrame:
    """The unpooled model's rows: each province's difference from ``ref`` (log points), the
    reference's row 0, sorted by term; ``g`` clusters."""
    terms = {}
    for name in fixed.params.index:
        if name.startswith("C(province"):
            terms[name] = "province[" + name.split("[T.", 1)[1][:-1] + "]"
    fixed_part = tidy_terms(fixed, "province_fixed_effects", terms, g, ci)
    ref_part = pd.DataFrame(
        [reference_row("province_fixed_effects", f"province[{ref}]", int(fixed.nobs), g)]
    )
    return (
        pd.concat([ref_part, fixed_part], ignore_index=True)
        .sort_values("term", kind="stable")
        .reset_index(drop=True)
    )


HETEROGENEITY_BY = ("sector", "org_type")


def fit_heterogeneity(
    data: pd.DataFrame, *, by: str = "sector", cluster: str = "org_name", ci: float = 0.95
) -> pd.DataFrame:
    """The 三区三州 effect within each sector or organization type (log points).

    The baseline with ``deep_poverty_area`` replaced by one 三区三州 indicator per level of ``by``
    (``"sector"`` or ``"org_type"``), plus main effects of ``by`` (for sectors these are the
    baseline's sector effects):

        log(s_i / b_i) = alpha + sum_l beta_l * deep_i * 1[by_i = l] + gamma_sector(i)
                         [+ kappa_org_type(i)] + delta_year(i) + e_i

    so beta_l compares 三区三州 projects with others of the same level (sector and year held fixed).
    Errors clustered by ``cluster``, t with G-1 degrees of freedom. Rows: model
    ``heterogeneity_<by>``, terms ``deep_poverty_area:<level>``, in the order of the levels (the
    category order, else sorted); rows with a missing ``by`` are left out. A level without projects
    both in and outside 三区三州 has no row (and a warning).

    Extra column ``p_value_holm``: Holm's step-down adjustment across this family of levels
    (statsmodels ``multipletests``), controlling the family-wise error rate under any dependence.
    Romano-Wolf (which would use the dependence between the estimates and be less conservative)
    is not offered: no maintained Python implementation is installed, and the toolkit does not
    hand-write one.
    """
    if by not in HETEROGENEITY_BY:
        raise ParameterError(f"by must be one of {HETEROGENEITY_BY}, got {by!r}")
    require_columns(data, [*BASELINE_COLUMNS, by, cluster], "data")
    check_ci(ci)
    use, excluded = project_sample(data)
    use = use[use[by].notna() & use[cluster].notna()].copy()
    use["level"] = use[by].astype(str)
    if isinstance(data[by].dtype, pd.CategoricalDtype):
        order = [str(c) for c in data[by].cat.categories]
    else:
        order = sorted(use["level"].unique())
    present = set(use["level"])
    levels = [lv for lv in order if lv in present]
    varying = [lv for lv in levels if use.loc[use["level"] == lv, "deep"].nunique() == 2]
    if len(varying) < len(levels):
        warnings.warn(
            f"no 三区三州 contrast within {by} level(s) "
            f"{sorted(set(levels) - set(varying))}: no row for them",
            stacklevel=2,
        )
    if not varying:
        raise ParameterError(f"no level of {by!r} has projects both in and outside 三区三州")
    terms = {}
    for i, lv in enumerate(varying):
        col = f"deep_x_{i}"
        use[col] = use["deep"] * (use["level"] == lv).astype(int)
        terms[col] = f"deep_poverty_area:{lv}"
    formula = "log_cpb ~ " + " + ".join(terms) + " + " + CONTROLS
    if by != "sector":
        formula += " + C(level)"
    frame = use[["log_cpb", "sector", "year", "level", cluster, *terms]]
    result, g = clustered_ols(formula, frame, cluster)
    table = tidy_terms(result, f"heterogeneity_{by}", terms, g, ci, excluded)
    table["p_value_holm"] = multipletests(table["p_value"].to_numpy(), method="holm")[1]
    return table
