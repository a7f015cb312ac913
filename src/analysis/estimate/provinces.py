"""Province effects and heterogeneity: province intercepts on the baseline's sample, partially pooled
(MixedLM) and unpooled (OLS); the 三区三州 effect within each sector or organization type with
Holm-adjusted p-values.

``province_joint_test``: the cluster-robust Wald test that every province effect of the unpooled
model is 0 (term ``all provinces``): ``estimate`` is the F statistic, ``p_value`` its p-value
(F with the number of provinces less one and G-1 degrees of freedom); no error or interval, and
no test at all (empty, with a warning) when the province effects outnumber G - 1.

Extra columns ``ci_low_simultaneous`` and ``ci_high_simultaneous`` (province rows): Bonferroni
intervals that cover every province's effect at once with probability ``ci`` (each at
1 - (1 - ci)/m; m: the provinces for the BLUPs, the provinces less the reference for the
fixed effects' differences from it). Read these when asking which provinces
differ: with 31 pointwise 95% intervals, one or two exclude 0 by chance alone.
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
    require_deep_contrast,
    tidy_terms,
)
from analysis.schema import require_columns

# The columns of the intervals that hold for every province at once (Bonferroni).
SIMULTANEOUS = ["ci_low_simultaneous", "ci_high_simultaneous"]


def fit_province_effects(
    data: pd.DataFrame,
    *,
    cluster: str = "org_name",
    ci: float = 0.95,
    control_deep: bool = False,
) -> pd.DataFrame:
    """Province differences in log cost per beneficiary, partially pooled and unpooled, with the joint
    test of the province effects and intervals that hold for all provinces at once.

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
      boundary problem). A variance estimated at 0 gives SD 0 with an empty error and interval.
    - ``n_clusters`` is the number of provinces. Projects of one organization are NOT treated as
      correlated in this model (there is no crossed organization effect); the fixed-effects model
      below is clustered by organization.

    ``province_fixed_effects`` (OLS with province dummies, clustered by ``cluster``, t(G-1)):
    ``province[<name>]`` is the difference from the reference province (most projects; its row 0,
    no p-value); centre on their mean to compare with the BLUPs. ``province_joint_test`` and the
    simultaneous intervals: see the module docstring.

    By default (``control_deep=False``) ``deep_poverty_area`` is left out: the province is the unit,
    and 三区三州 is a property of areas inside provinces (all of Tibet, parts of five others), so the
    cost difference of a province's 三区三州 projects is part of what its intercept measures: the
    spread of the intercepts is then largely the 三区三州 share. With ``control_deep=True`` the
    models add the 三区三州 indicator (rows of unknown status left out and counted in
    ``n_unknown_excluded``) and the model names end in ``_given_deep``: what is left is province
    heterogeneity net of 三区三州 (Tibet, all 三区三州, is then told apart from the 三区三州 term
    only through the within-province contrasts of the other five provinces).
    """
    require_columns(data, [*BASELINE_COLUMNS, cluster], "data")
    check_ci(ci)
    frame, excluded = _province_sample(data, cluster, control_deep)
    suffix, extra = ("_given_deep", " + deep") if control_deep else ("", "")
    random_part = _province_random_effects(frame, ci, extra)
    ref = _reference_province(frame)
    formula = f"log_cpb ~ {CONTROLS}{extra} + C(province, Treatment({ref!r}))"
    fixed, g = clustered_ols(formula, frame, cluster)
    fixed_part = _province_fixed_rows(fixed, g, ref, ci)
    out = pd.concat([random_part, fixed_part, _joint_test_row(fixed, g)], ignore_index=True)
    out["model"] = out["model"] + suffix
    out["n_unknown_excluded"] = excluded
    return out


def _joint_test_row(fixed, g: int) -> pd.DataFrame:
    """The cluster-robust Wald F test that all province effects of the unpooled fit are 0."""
    names = [n for n in fixed.params.index if n.startswith("C(province")]
    row = reference_row("province_joint_test", "all provinces", int(fixed.nobs), g)
    row.update(std_error=np.nan, ci_low=np.nan, ci_high=np.nan)
    if len(names) > g - 1:  # a cluster-robust covariance has rank at most G - 1
        warnings.warn(
            f"{len(names)} province effects and only {g} clusters: no joint test (its covariance "
            "cannot have full rank)",
            stacklevel=3,
        )
        return pd.DataFrame([{**row, "estimate": np.nan}])
    restriction = np.zeros((len(names), len(fixed.params)))
    for i, name in enumerate(names):
        restriction[i, fixed.params.index.get_loc(name)] = 1.0
    test = fixed.wald_test(restriction, use_f=True, scalar=True)
    row.update(estimate=float(test.statistic), p_value=float(test.pvalue))
    return pd.DataFrame([row])


def _province_sample(
    data: pd.DataFrame, cluster: str, control_deep: bool
) -> tuple[pd.DataFrame, int]:
    """The baseline's projects with a province and a ``cluster``: log cost per beneficiary (log
    yuan per person), sector, year, province (text), ``cluster`` and, with ``control_deep``, the
    三区三州 indicator ``deep`` (rows of unknown status left out); at least 2 provinces. Also how
    many rows were left out as unknown. Refuses ``cluster="province"`` (each effect would be its
    own cluster's)."""
    if cluster == "province":
        raise ParameterError(
            "cluster='province' cannot give province effects errors: each effect is its own "
            "cluster's (use org_name or prefecture)"
        )
    use, excluded = project_sample(data, need_deep=control_deep)
    use = use[use["province"].notna() & use[cluster].notna()].copy()
    use["province"] = use["province"].astype(str)
    n_prov = use["province"].nunique()
    if n_prov < 2:
        raise ParameterError(f"need projects in at least 2 provinces, got {n_prov}")
    if control_deep:
        require_deep_contrast(use)
    columns = ["log_cpb", "sector", "year", "province", cluster]
    return use[[*columns, "deep"] if control_deep else columns], excluded


def _province_random_effects(frame: pd.DataFrame, ci: float, extra: str) -> pd.DataFrame:
    """The partially pooled model (MixedLM, REML) with ``extra`` terms: one BLUP row per province,
    with its pointwise and simultaneous intervals, and the between-province SD row (log points)."""
    z = stats.norm.ppf(0.5 + ci / 2)
    m = frame["province"].nunique()
    z_all = stats.norm.ppf(1 - (1 - ci) / (2 * m))
    with warnings.catch_warnings():
        # statsmodels flags any variance below 0.01 (absolute units) as "may be on the boundary";
        # for log costs that is an SD of 0.1, a real value. A zero estimate warns below instead.
        warnings.filterwarnings("ignore", message="The MLE may be on the boundary")
        mixed = smf.mixedlm("log_cpb ~ " + CONTROLS + extra, frame, groups=frame["province"]).fit(
            reml=True, method=["powell", "lbfgs"]
        )
    if not mixed.converged:
        warnings.warn("MixedLM did not converge; province BLUPs are unreliable", stacklevel=3)
    rows = []
    for prov in sorted(mixed.random_effects):
        blup = float(mixed.random_effects[prov].iloc[0])
        se = math.sqrt(max(float(mixed.random_effects_cov[prov].iloc[0, 0]), 0.0))
        rows.append(
            (f"province[{prov}]", blup, se, blup - z * se, blup + z * se)
            + (blup - z_all * se, blup + z_all * se)
        )
    rows.append(("between_province_sd", *_between_province_sd(mixed, z), np.nan, np.nan))
    table = pd.DataFrame(
        rows,
        columns=[
            "term",
            "estimate",
            "std_error",
            "ci_low",
            "ci_high",
            "ci_low_simultaneous",
            "ci_high_simultaneous",
        ],
    )
    table["model"] = "province_random_effects"
    table["p_value"] = np.nan
    table["n_obs"], table["n_clusters"] = len(frame), m
    return table.reindex(columns=[*EFFECT_COLUMNS, *SIMULTANEOUS])


def _between_province_sd(mixed, z: float) -> tuple[float, float, float, float]:
    """SD of the province intercepts (log points): estimate, delta-method standard error and the
    back-transformed Wald interval of the log-variance; 0 with no error or interval when the
    variance is estimated at 0 (a boundary estimate, a real result: with 三区三州 held fixed on the
    demo register, for one; it is not warned about, so that a notebook page stays the same between
    runs)."""
    var = float(mixed.cov_re.iloc[0, 0])
    se_var = float(mixed.scale) * float(mixed.bse.iloc[mixed.k_fe])
    if var > 1e-6 * float(mixed.scale):  # an SD under 0.1% of the residual SD counts as 0
        sd = math.sqrt(var)
        half = z * se_var / var
        upper = sd * math.exp(half / 2) if half < 1400 else math.inf  # exp overflows past ~709
        return (sd, se_var / (2 * sd), sd * math.exp(-half / 2), upper)
    return (0.0, np.nan, np.nan, np.nan)  # at the boundary: no Wald interval; the joint test speaks


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
    q_all = stats.t.ppf(1 - (1 - ci) / (2 * len(terms)), g - 1)
    fixed_part["ci_low_simultaneous"] = fixed_part["estimate"] - q_all * fixed_part["std_error"]
    fixed_part["ci_high_simultaneous"] = fixed_part["estimate"] + q_all * fixed_part["std_error"]
    ref_part = pd.DataFrame(
        [reference_row("province_fixed_effects", f"province[{ref}]", int(fixed.nobs), g)]
    ).assign(ci_low_simultaneous=0.0, ci_high_simultaneous=0.0)
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
