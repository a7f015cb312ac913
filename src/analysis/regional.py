"""Regional effects: 三区三州 against elsewhere, and the 2017 shift of spending towards 三区三州.

Models (statsmodels OLS; docs/methods.md has the equations):
- ``baseline``: log(expenditure_yuan / beneficiaries) ~ deep_poverty_area + C(sector) + C(year) on projects
  with positive spending and beneficiaries, single-province rows; errors clustered by organization,
  t distribution with G-1 degrees of freedom.
- ``did``: log total spending of an area-year (area = province x inside/outside 三区三州) on
  deep_poverty_area x post2017 with area and year fixed effects, errors clustered by area.
- ``event_study``: the same with one 三区三州 x year term per year, the first year as reference.
- ``province_random_effects`` / ``province_fixed_effects`` (``fit_province_effects``): province
  intercepts on the baseline's sample, partially pooled (MixedLM) and unpooled (OLS), without
  ``deep_poverty_area``.
- ``heterogeneity_<by>`` (``fit_heterogeneity``): the 三区三州 effect within each sector or
  organization type, with Holm-adjusted p-values.
- ``baseline_cr1`` / ``baseline_cr3`` / ``baseline_wild`` / ``baseline_twoway``
  (``baseline_inference``): few-cluster checks of the baseline's 三区三州 coefficient.

Each ``fit_*`` checks its options before any fitting and returns one tidy table with the columns
``EFFECT_COLUMNS`` (extra columns, if any, come after them); tables and figures are built from that
table only (``regression_table`` renders several side by side).
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis.errors import ParameterError
from analysis.places import MULTIPLE

__all__ = [
    "EFFECT_COLUMNS",
    "baseline_inference",
    "fit_baseline",
    "fit_baseline_unknown_bounds",
    "fit_heterogeneity",
    "fit_province_effects",
    "fit_spending_shift",
    "regional_effects",
    "regression_table",
    "spending_shift_inference",
]

EFFECT_COLUMNS = [
    "model",
    "term",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "n_obs",
    "n_clusters",
    "n_unknown_excluded",
]


def _check_frame(data, columns):
    if not isinstance(data, pd.DataFrame):
        raise ParameterError("data must be a pandas DataFrame (the cleaned project table)")
    missing = sorted(set(columns) - set(data.columns))
    if missing:
        raise ParameterError(f"data lacks column(s) {missing}")


def _check_ci(ci) -> None:
    if not 0 < ci < 1:
        raise ParameterError(f"ci must be between 0 and 1, got {ci}")


def _clustered_ols(formula: str, frame: pd.DataFrame, cluster: str, *, second: str | None = None):
    """OLS with cluster-robust errors; rows with a missing cluster are dropped before the design is
    built, so the groups stay aligned with the rows statsmodels keeps.

    With ``second`` (a second clustering column) the errors are two-way clustered (statsmodels'
    cov0 + cov1 - cov01, each with its own small-sample factor; t with min(G0, G1) - 1 degrees of
    freedom) and the returned cluster count is min(G0, G1)."""
    keep = frame[cluster].notna()
    if second is not None:
        keep &= frame[second].notna()
    frame = frame[keep].copy()
    groups = pd.factorize(frame[cluster])[0]
    n_clusters = int(groups.max() + 1) if len(groups) else 0
    names = [cluster]
    if second is not None:
        groups2 = pd.factorize(frame[second])[0]
        n_clusters = min(n_clusters, int(groups2.max() + 1) if len(groups2) else 0)
        groups = np.column_stack([groups, groups2])
        names.append(second)
    label = " x ".join(repr(n) for n in names)
    if n_clusters < 2:
        raise ParameterError(
            f"cannot cluster by {label}: {n_clusters} cluster(s) in the data; need at least 2"
        )
    if n_clusters < 30:
        warnings.warn(
            f"only {n_clusters} clusters of {label}: cluster-robust errors may be too "
            "small; see the wild-bootstrap and CR3 checks (baseline_inference)",
            stacklevel=3,
        )
    model = smf.ols(formula, data=frame, missing="raise")
    result = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    return result, n_clusters


def _tidy(
    result, model: str, terms: dict[str, str], n_clusters: int, ci: float, excluded: int = 0
) -> pd.DataFrame:
    conf = result.conf_int(alpha=1 - ci)
    rows = []
    for name, term in terms.items():
        rows.append(
            {
                "model": model,
                "term": term,
                "estimate": result.params[name],
                "std_error": result.bse[name],
                "ci_low": conf.loc[name, 0],
                "ci_high": conf.loc[name, 1],
                "p_value": result.pvalues[name],
                "n_obs": int(result.nobs),
                "n_clusters": n_clusters,
                "n_unknown_excluded": excluded,
            }
        )
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


BASELINE_COLUMNS = [
    "expenditure_yuan",
    "beneficiaries",
    "deep_poverty_area",
    "sector",
    "year",
    "province",
]
BASELINE_FORMULA = "log_cpb ~ deep + C(sector, Treatment('industry')) + C(year)"
CONTROLS = "C(sector, Treatment('industry')) + C(year)"


def _unknown(data: pd.DataFrame) -> np.ndarray:
    """Rows whose 三区三州 status is unknown (missing)."""
    return data["deep_poverty_area"].isna().to_numpy(dtype=bool)


def _projects(data: pd.DataFrame, *, need_deep: bool = True) -> tuple[pd.DataFrame, int]:
    """The baseline's sample: single-province projects with positive spending and beneficiaries,
    with ``log_cpb`` (log yuan per beneficiary) and ``deep`` (0/1) added; with ``need_deep``, rows
    whose 三区三州 status is unknown are left out. Returns the sample and how many were left out."""
    use = data[
        (data["expenditure_yuan"] > 0)
        & (data["beneficiaries"].fillna(0) > 0)
        & (data["province"] != MULTIPLE)
    ]
    unknown = _unknown(use)
    excluded = int(unknown.sum()) if need_deep else 0
    use = (use[~unknown] if need_deep else use).copy()
    use["log_cpb"] = np.log(use["expenditure_yuan"] / use["beneficiaries"].astype(float))
    use["deep"] = use["deep_poverty_area"].fillna(False).astype(int)
    use["sector"] = use["sector"].astype(str)
    use["year"] = use["year"].astype(int)
    return use, excluded


def fit_baseline(
    data: pd.DataFrame, *, cluster: str = "org_name", ci: float = 0.95
) -> pd.DataFrame:
    """The baseline model: log cost per beneficiary on 三区三州 with sector and year fixed effects.

    Estimated on single-province projects with positive spending and beneficiaries whose 三区三州
    status is known (``n_unknown_excluded`` says how many were left out; see
    :func:`fit_baseline_unknown_bounds`); errors clustered by ``cluster`` (organizations), t(G-1)
    reference. Returns the ``deep_poverty_area`` row and the sector rows (log points relative to
    industry) as a tidy table.
    """
    _check_frame(data, [*BASELINE_COLUMNS, cluster])
    _check_ci(ci)
    return _baseline(data, cluster, ci, "baseline")


def _baseline(data: pd.DataFrame, cluster: str, ci: float, model: str) -> pd.DataFrame:
    use, excluded = _projects(data)
    result, g = _clustered_ols(
        BASELINE_FORMULA, use[["log_cpb", "deep", "sector", "year", cluster]], cluster
    )
    terms = {"deep": "deep_poverty_area"}
    for name in result.params.index:
        if name.startswith("C(sector"):
            terms[name] = "sector[" + name.split("[T.")[1].rstrip("]") + "]"
    return _tidy(result, model, terms, g, ci, excluded)


def fit_baseline_unknown_bounds(
    data: pd.DataFrame, *, cluster: str = "org_name", ci: float = 0.95
) -> pd.DataFrame:
    """The baseline's 三区三州 coefficient with every row of unknown status counted in
    (``baseline_unknown_as_deep``) and counted out (``baseline_unknown_as_not_deep``): the range the
    unknown rows could move it over. ``n_unknown_excluded`` is 0 in both (nothing is left out);
    the rows recoded are counted in the ``fit_baseline`` row."""
    _check_frame(data, [*BASELINE_COLUMNS, cluster])
    _check_ci(ci)
    out = []
    for value, model in (
        (True, "baseline_unknown_as_deep"),
        (False, "baseline_unknown_as_not_deep"),
    ):
        filled = data.assign(deep_poverty_area=data["deep_poverty_area"].fillna(value))
        out.append(_baseline(filled, cluster, ci, model).query("term == 'deep_poverty_area'"))
    return pd.concat(out, ignore_index=True)


def _area_year(data: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Area-year spending panel (an area: a province's 三区三州 part or the rest of it), from the
    projects whose 三区三州 status is known; also how many projects were left out as unknown."""
    use = data[(data["province"] != MULTIPLE) & (data["expenditure_yuan"] > 0)]
    unknown = _unknown(use)
    use = use[~unknown].assign(deep_poverty_area=lambda d: d["deep_poverty_area"].astype(bool))
    panel = (
        use.groupby(["province", "deep_poverty_area", "year"], observed=True)["expenditure_yuan"]
        .sum()
        .rename("spend")
        .reset_index()
    )
    panel["area"] = panel["province"].astype(str) + np.where(
        panel["deep_poverty_area"], ":三区三州", ""
    )
    panel["deep"] = panel["deep_poverty_area"].astype(int)
    panel["log_spend"] = np.log(panel["spend"])
    return panel, int(unknown.sum())


def fit_spending_shift(data: pd.DataFrame, *, start: int = 2017, ci: float = 0.95) -> pd.DataFrame:
    """The 2017 shift of spending towards 三区三州, as a difference in differences and an event study.

    Unit: area-year, an area being a province's 三区三州 part or the rest of it. Outcome: log total
    spending (nominal yuan). Returns rows for ``did`` (term ``deep_poverty_area:post{start}``) and
    ``event_study`` (terms ``deep_poverty_area:{year}``, the first year being the reference).
    """
    _check_frame(data, ["expenditure_yuan", "deep_poverty_area", "year", "province"])
    _check_ci(ci)
    years = sorted(data["year"].unique())
    if not (years and years[0] < start <= years[-1]):
        raise ParameterError(
            f"start={start} must fall after the first year and within the data "
            f"({years[0] if years else '?'}-{years[-1] if years else '?'})"
        )
    panel, excluded = _area_year(data)
    panel["treat_post"] = panel["deep"] * (panel["year"] >= start)
    did, g = _clustered_ols("log_spend ~ treat_post + C(area) + C(year)", panel, "area")
    out = [_tidy(did, "did", {"treat_post": f"deep_poverty_area:post{start}"}, g, ci, excluded)]
    ref = years[0]
    terms = {}
    for y in years[1:]:
        col = f"deep_x_{y}"
        panel[col] = panel["deep"] * (panel["year"] == y)
        terms[col] = f"deep_poverty_area:{y}"
    es, g = _clustered_ols(
        "log_spend ~ " + " + ".join(terms) + " + C(area) + C(year)", panel, "area"
    )
    out.append(_tidy(es, "event_study", terms, g, ci, excluded))
    ref_row = pd.DataFrame(
        [
            {
                "model": "event_study",
                "term": f"deep_poverty_area:{ref}",
                "estimate": 0.0,
                "std_error": 0.0,
                "ci_low": 0.0,
                "ci_high": 0.0,
                "p_value": np.nan,
                "n_obs": int(es.nobs),
                "n_clusters": g,
                "n_unknown_excluded": excluded,
            }
        ]
    )
    return pd.concat([out[0], ref_row, out[1]], ignore_index=True)


def regional_effects(
    data: pd.DataFrame, *, cluster: str = "org_name", start: int = 2017, ci: float = 0.95
) -> pd.DataFrame:
    """The baseline, its range over rows of unknown 三区三州 status (counted in, counted out) and the
    spending shift, as one table (tables/regional_effects.csv)."""
    return pd.concat(
        [
            fit_baseline(data, cluster=cluster, ci=ci),
            fit_baseline_unknown_bounds(data, cluster=cluster, ci=ci),
            fit_spending_shift(data, start=start, ci=ci),
        ],
        ignore_index=True,
    )


# ----------------------------------------------------------------------------------------------------
# Province effects: partially pooled (MixedLM) and unpooled (OLS with province dummies)


def _reference_row(model: str, term: str, n_obs: int, n_clusters: int) -> dict:
    return {
        "model": model,
        "term": term,
        "estimate": 0.0,
        "std_error": 0.0,
        "ci_low": 0.0,
        "ci_high": 0.0,
        "p_value": np.nan,
        "n_obs": n_obs,
        "n_clusters": n_clusters,
        "n_unknown_excluded": 0,
    }


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
    _check_frame(data, [*BASELINE_COLUMNS, cluster])
    _check_ci(ci)
    use, _ = _projects(data, need_deep=False)
    use = use[use["province"].notna() & use[cluster].notna()].copy()
    use["province"] = use["province"].astype(str)
    n_prov = use["province"].nunique()
    if n_prov < 2:
        raise ParameterError(f"need projects in at least 2 provinces, got {n_prov}")
    frame = use[["log_cpb", "sector", "year", "province", cluster]]
    n_obs = len(frame)
    z = stats.norm.ppf(0.5 + ci / 2)

    with warnings.catch_warnings():
        # statsmodels flags any variance below 0.01 (absolute units) as "may be on the boundary";
        # for log costs that is an SD of 0.1, a real value. A zero estimate warns below instead.
        warnings.filterwarnings("ignore", message="The MLE may be on the boundary")
        mixed = smf.mixedlm("log_cpb ~ " + CONTROLS, frame, groups=frame["province"]).fit(
            reml=True, method=["powell", "lbfgs"]
        )
    if not mixed.converged:
        warnings.warn("MixedLM did not converge; province BLUPs are unreliable", stacklevel=2)
    rows = []
    for prov in sorted(mixed.random_effects):
        blup = float(mixed.random_effects[prov].iloc[0])
        se = math.sqrt(max(float(mixed.random_effects_cov[prov].iloc[0, 0]), 0.0))
        rows.append(
            {
                "model": "province_random_effects",
                "term": f"province[{prov}]",
                "estimate": blup,
                "std_error": se,
                "ci_low": blup - z * se,
                "ci_high": blup + z * se,
                "p_value": np.nan,
                "n_obs": n_obs,
                "n_clusters": n_prov,
                "n_unknown_excluded": 0,  # province effects keep every row: 三区三州 is not in them
            }
        )
    var = float(mixed.cov_re.iloc[0, 0])
    se_var = float(mixed.scale) * float(mixed.bse.iloc[mixed.k_fe])
    if var > 1e-12:
        sd = math.sqrt(var)
        half = z * se_var / var
        sd_row = (sd, se_var / (2 * sd), sd * math.exp(-half / 2), sd * math.exp(half / 2))
    else:
        warnings.warn(
            "the between-province variance is estimated at 0: no interval for its SD",
            stacklevel=2,
        )
        sd_row = (0.0, np.nan, np.nan, np.nan)
    rows.append(
        {
            "model": "province_random_effects",
            "term": "between_province_sd",
            "estimate": sd_row[0],
            "std_error": sd_row[1],
            "ci_low": sd_row[2],
            "ci_high": sd_row[3],
            "p_value": np.nan,
            "n_obs": n_obs,
            "n_clusters": n_prov,
            "n_unknown_excluded": 0,
        }
    )
    random_part = pd.DataFrame(rows, columns=EFFECT_COLUMNS)

    counts = frame["province"].value_counts()
    ref = sorted(counts.index[counts == counts.max()])[0]
    formula = f"log_cpb ~ {CONTROLS} + C(province, Treatment({ref!r}))"
    fixed, g = _clustered_ols(formula, frame, cluster)
    terms = {}
    for name in fixed.params.index:
        if name.startswith("C(province"):
            terms[name] = "province[" + name.split("[T.", 1)[1][:-1] + "]"
    fixed_part = _tidy(fixed, "province_fixed_effects", terms, g, ci)
    ref_part = pd.DataFrame(
        [_reference_row("province_fixed_effects", f"province[{ref}]", int(fixed.nobs), g)]
    )
    fixed_part = (
        pd.concat([ref_part, fixed_part], ignore_index=True)
        .sort_values("term", kind="stable")
        .reset_index(drop=True)
    )
    return pd.concat([random_part, fixed_part], ignore_index=True)


# ----------------------------------------------------------------------------------------------------
# Heterogeneity of the 三区三州 effect

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
    _check_frame(data, [*BASELINE_COLUMNS, by, cluster])
    _check_ci(ci)
    use, excluded = _projects(data)
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
    result, g = _clustered_ols(formula, frame, cluster)
    table = _tidy(result, f"heterogeneity_{by}", terms, g, ci, excluded)
    table["p_value_holm"] = multipletests(table["p_value"].to_numpy(), method="holm")[1]
    return table


# ----------------------------------------------------------------------------------------------------
# Few-cluster inference for the baseline

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
    from wildboottest.wildboottest import wildboottest

    model, groups = cr1.model, cr1.cov_kwds["groups"]
    tables = []
    t = _tidy(cr1, f"{prefix}_cr1", {param: term}, g, ci)
    t["inference"] = f"CR1 clustered by {cluster} (G={g}), t(G-1)"
    tables.append(t)
    if cr3:
        try:
            fit3 = model.fit(cov_type="cluster-crv3", cov_kwds={"groups": groups}, use_t=True)
            t = _tidy(fit3, f"{prefix}_cr3", {param: term}, g, ci)
        except (ValueError, np.linalg.LinAlgError) as err:
            warnings.warn(f"no CR3 standard error: {err}", stacklevel=3)
            empty = _reference_row(f"{prefix}_cr3", term, int(cr1.nobs), g)
            empty.update(
                estimate=cr1.params[param], std_error=np.nan, ci_low=np.nan, ci_high=np.nan
            )
            t = pd.DataFrame([empty], columns=EFFECT_COLUMNS)
        t["inference"] = f"CR3 leave-one-cluster-out jackknife by {cluster} (G={g}), t(G-1)"
        tables.append(t)
    boot = wildboottest(
        model, param=param, cluster=groups, B=reps, seed=int(seed), show=False, parallel=False
    )
    tables.append(
        pd.DataFrame(
            [
                {
                    "model": f"{prefix}_wild",
                    "term": term,
                    "estimate": cr1.params[param],
                    "std_error": np.nan,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "p_value": float(boot["p-value"].iloc[0]),
                    "n_obs": int(cr1.nobs),
                    "n_clusters": g,
                    "inference": (
                        f"wild cluster bootstrap by {cluster} (G={g}), Rademacher, null imposed, "
                        "CR1 t-statistic"
                    ),
                    "bootstrap_reps": min(reps, 2**g),  # all 2^G sign vectors if fewer
                    "seed": seed,
                }
            ]
        )
    )
    return tables


def spending_shift_inference(
    data: pd.DataFrame, *, start: int = 2017, reps: int = 999, seed: int = 0, ci: float = 0.95
) -> pd.DataFrame:
    """Few-cluster checks of the 2017 spending shift (the ``did`` coefficient, log points).

    Rows ``did_cr1`` (as ``fit_spending_shift``) and ``did_wild`` (wild cluster bootstrap p-value by
    area, Rademacher, null imposed), with the columns of :func:`baseline_inference`. No CR3 row: with
    area fixed effects clustered by area, a leave-one-area-out fit is not identified. With few treated areas (6 of 36 on the demo register) the wild
    bootstrap p-value is the one to read; it has no standard error or interval.
    """
    _check_frame(data, ["expenditure_yuan", "deep_poverty_area", "year", "province"])
    _check_ci(ci)
    _check_reps_seed(reps, seed)
    panel, excluded = _area_year(data)
    panel["treat_post"] = panel["deep"] * (panel["year"] >= start)
    cr1, g = _clustered_ols("log_spend ~ treat_post + C(area) + C(year)", panel, "area")
    # No CR3 row: with area fixed effects and area clusters, leaving an area out leaves its dummy
    # without data, so the leave-one-cluster-out fit is not identified in statsmodels.
    tables = _few_cluster_rows(
        cr1,
        "did",
        "treat_post",
        f"deep_poverty_area:post{start}",
        "area",
        g,
        reps=reps,
        seed=seed,
        ci=ci,
        cr3=False,
    )
    out = pd.concat(tables, ignore_index=True).reindex(columns=INFERENCE_COLUMNS)
    out["n_unknown_excluded"] = excluded
    out["bootstrap_reps"] = out["bootstrap_reps"].astype("Int64")
    out["seed"] = out["seed"].astype("Int64")
    return out


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
    - ``baseline_wild``: wild cluster bootstrap p-value for H0: coefficient = 0 (``wildboottest``:
      restricted residuals with the null imposed, Rademacher weights drawn per cluster, CR1
      t-statistic, WCR11); p = share of draws with |t*| > |t|. ``std_error`` and the interval are
      empty: wildboottest does not invert the test into an interval. With 2^G < reps all 2^G sign
      vectors are used instead of random draws (wildboottest warns; ``bootstrap_reps`` = 2^G). With
      fewer than about 12 clusters Rademacher weights allow few distinct p-values; read them with
      care. One-way only: the bootstrap clusters by ``cluster`` even with ``second_cluster``.
    - ``baseline_twoway`` (only with ``second_cluster``, e.g. ``"province"``): CR1 clustered two
      ways (statsmodels: V0 + V1 - V01), t with min(G0, G1) - 1 df; ``n_clusters`` = min(G0, G1).
      Rows missing the second cluster are left out of this row only.

    Extra columns after ``EFFECT_COLUMNS``: ``inference`` (how the row was computed, with the
    cluster counts), ``bootstrap_reps`` and ``seed`` (wild row only). Fewer than 30 clusters warn.
    The bootstrap's run time grows with G squared (about 7 s for 941 clusters).
    """
    _check_frame(data, [*BASELINE_COLUMNS, cluster] + ([second_cluster] if second_cluster else []))
    _check_ci(ci)
    _check_reps_seed(reps, seed)
    if second_cluster is not None and second_cluster == cluster:
        raise ParameterError(f"second_cluster must differ from cluster, both are {cluster!r}")

    use, excluded = _projects(data)
    cols = ["log_cpb", "deep", "sector", "year", cluster]
    cr1, g = _clustered_ols(BASELINE_FORMULA, use[cols], cluster)
    term = {"deep": "deep_poverty_area"}
    tables = _few_cluster_rows(
        cr1, "baseline", "deep", "deep_poverty_area", cluster, g, reps=reps, seed=seed, ci=ci
    )

    if second_cluster is not None:
        two, g2 = _clustered_ols(
            BASELINE_FORMULA, use[[*cols, second_cluster]], cluster, second=second_cluster
        )
        counts = [len(np.unique(col)) for col in two.cov_kwds["groups"].T]
        t = _tidy(two, "baseline_twoway", term, g2, ci)
        t["inference"] = (
            f"CR1 two-way clustered by {cluster} (G={counts[0]}) and {second_cluster} "
            f"(G={counts[1]}), t(min G - 1)"
        )
        tables.append(t)

    out = pd.concat(tables, ignore_index=True).reindex(columns=INFERENCE_COLUMNS)
    out["n_unknown_excluded"] = excluded
    out["bootstrap_reps"] = out["bootstrap_reps"].astype("Int64")
    out["seed"] = out["seed"].astype("Int64")
    return out


# ----------------------------------------------------------------------------------------------------
# Regression tables from tidy tables

TABLE_FORMATS = ("markdown", "html", "latex")


def _table_columns(tables) -> list[tuple[str, pd.DataFrame]]:
    """(column label, rows of one model) pairs: one per model of a table; a dict key labels its
    table's column (``key: model`` when the table holds several models)."""
    if isinstance(tables, pd.DataFrame):
        items = [(None, tables)]
    elif isinstance(tables, Mapping) and tables:
        items = list(tables.items())
    else:
        raise ParameterError("tables must be a tidy DataFrame or a non-empty dict of them")
    need = ["model", "term", "estimate", "std_error", "p_value", "n_obs", "n_clusters"]
    out = []
    for key, table in items:
        if not isinstance(table, pd.DataFrame):
            raise ParameterError(f"table {key!r} is not a DataFrame")
        missing = [c for c in need if c not in table.columns]
        if missing:
            raise ParameterError(f"table {key!r} lacks column(s) {missing}")
        models = list(dict.fromkeys(table["model"]))
        for model in models:
            part = table[table["model"] == model]
            if part["term"].duplicated().any():
                raise ParameterError(f"model {model!r} has a term twice")
            if key is None:
                label = str(model)
            else:
                label = str(key) if len(models) == 1 else f"{key}: {model}"
            out.append((label, part.reset_index(drop=True)))
    labels = [label for label, _ in out]
    if len(set(labels)) < len(labels):
        raise ParameterError(f"column labels repeat: {labels}")
    return out


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def _p_text(p: float, digits: int) -> str:
    floor = 10.0**-digits
    return f"p < {floor:.{digits}f}" if p < floor else f"p = {p:.{digits}f}"


def _num(x) -> float:
    return float(x) if pd.notna(x) else np.nan


def _cell(row, digits: int, stars: bool) -> str:
    est, se, p = _num(row["estimate"]), _num(row["std_error"]), _num(row["p_value"])
    if est == 0 and se == 0 and not np.isfinite(p):
        return "reference"
    text = f"{est:.{digits}f}" + (_stars(p) if stars else "")
    if np.isfinite(se):
        return f"{text} ({se:.{digits}f})"
    if np.isfinite(p):
        return f"{text} [{_p_text(p, digits)}]"
    return text


def _count(values: pd.Series) -> str:
    vals = sorted({int(v) for v in values.dropna()})
    if not vals:
        return ""
    return str(vals[0]) if len(vals) == 1 else f"{vals[0]}-{vals[-1]}"


def _latex_escape(text: str) -> str:
    out = []
    for ch in str(text):
        out.append(
            {
                "\\": r"\textbackslash{}",
                "&": r"\&",
                "%": r"\%",
                "$": r"\$",
                "#": r"\#",
                "_": r"\_",
                "{": r"\{",
                "}": r"\}",
                "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}",
            }.get(ch, ch)
        )
    return "".join(out)


def regression_table(
    tables: Mapping[str, pd.DataFrame] | pd.DataFrame,
    *,
    fmt: str = "markdown",
    notes: str | Sequence[str] | None = None,
    stars: bool = False,
    digits: int = 3,
) -> str:
    """Several models side by side, as a Markdown, HTML or LaTeX string, from tidy tables only.

    ``tables``: one tidy table (one column per ``model`` in it) or a dict {column label: tidy
    table} (a table with several models gives one column per model, labelled ``label: model``).
    Rows are the terms in order of first appearance; a cell reads ``estimate (std_error)`` in the
    tables' units (log points for the regional models), ``estimate [p = ...]`` where there is a
    p-value but no standard error (the wild bootstrap row), ``reference`` for a reference level, and
    is empty where a model has no such term. With ``stars``: * p < 0.10, ** p < 0.05, *** p < 0.01
    from ``p_value``. Footer rows: observations and clusters. The notes line states each column's
    number of clusters, its ``inference`` text where the table has one, the bootstrap draws and seed
    where the table has them, then ``notes``.
    """
    if fmt not in TABLE_FORMATS:
        raise ParameterError(f"fmt must be one of {TABLE_FORMATS}, got {fmt!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 10:
        raise ParameterError(f"digits must be an integer from 0 to 10, got {digits!r}")
    if notes is None:
        notes = []
    elif isinstance(notes, str):
        notes = [notes]
    elif not all(isinstance(n, str) for n in notes):
        raise ParameterError("notes must be a string or a list of strings")
    columns = _table_columns(tables)

    terms = list(dict.fromkeys(t for _, part in columns for t in part["term"]))
    body = pd.DataFrame("", index=terms, columns=[label for label, _ in columns], dtype=object)
    n_obs, n_clu = {}, {}
    for label, part in columns:
        for _, row in part.iterrows():
            body.loc[row["term"], label] = _cell(row, digits, stars)
        n_obs[label], n_clu[label] = _count(part["n_obs"]), _count(part["n_clusters"])
    footer = pd.DataFrame([n_obs, n_clu], index=["Observations", "Clusters"])
    grid = pd.concat([body, footer[body.columns]])
    grid.index.name = "term"

    lines = ["Cells: estimate (standard error)."]
    lines.append("Clusters: " + "; ".join(f"{label} {n_clu[label]}" for label, _ in columns) + ".")
    for label, part in columns:
        texts = []
        if "inference" in part.columns:
            texts = list(dict.fromkeys(part["inference"].dropna().astype(str)))
        if "bootstrap_reps" in part.columns and part["bootstrap_reps"].notna().any():
            seed = _count(part["seed"]) if "seed" in part.columns else ""
            texts.append(
                f"{_count(part['bootstrap_reps'])} bootstrap draws"
                + (f", seed {seed}" if seed else "")
            )
        if texts:
            lines.append(f"{label}: {'; '.join(texts)}.")
    if (body == "reference").any().any():
        lines.append("reference: the reference level (0 by construction).")
    if stars:
        lines.append("* p < 0.10, ** p < 0.05, *** p < 0.01.")
    lines.extend(notes)
    note = " ".join(lines)

    if fmt == "markdown":

        def md(x) -> str:
            return str(x).replace("|", r"\|")

        out = ["| " + " | ".join(md(c) for c in ["", *grid.columns]) + " |"]
        out.append("|" + "---|" + "---:|" * len(grid.columns))
        for term, row in grid.iterrows():
            out.append("| " + " | ".join(md(c) for c in [term, *row]) + " |")
        return "\n".join(out) + f"\n\nNotes: {note}\n"
    if fmt == "html":
        table = grid.to_html(escape=True, na_rep="")
        return f'{table}\n<p class="notes">Notes: {html.escape(note)}</p>\n'
    k = len(grid.columns)
    out = [r"\begin{tabular}{l" + "c" * k + "}", r"\hline"]
    out.append(" & ".join(_latex_escape(c) for c in ["", *grid.columns]) + r" \\")
    out.append(r"\hline")
    for i, (term, row) in enumerate(grid.iterrows()):
        if i == len(body):
            out.append(r"\hline")
        out.append(" & ".join(_latex_escape(c) for c in [term, *row]) + r" \\")
    out += [r"\hline", r"\end{tabular}", r"\par\smallskip"]
    out.append(r"{\footnotesize Notes: " + _latex_escape(note) + "}")
    return "\n".join(out) + "\n"
