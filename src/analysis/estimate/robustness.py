"""Robustness of the two regional headlines, each check one row of one tidy table
(tables/robustness.csv).

``baseline_robustness`` varies the baseline's 三区三州 coefficient (log points of cost per beneficiary):
organization fixed effects; clustering by organization (CR1, CR3), prefecture, province and two ways
(the row ``largest_se`` says which gives the largest standard error, which with fewer clusters need not
be the widest interval; the reported one is the larger of CR3 by
organization and two-way, see :func:`analysis.estimate.regional.fit_baseline`); rows of
unknown 三区三州 status counted in or out; the range over leaving one province out.

``shift_robustness`` varies the spending shift (``did``, log points of area-year spending, its interval
from the wild cluster bootstrap as in :func:`analysis.estimate.shift.fit_spending_shift`): without the policy year itself (announced
in November 2017, so its spending is partly before and partly after); with controls only from provinces
that hold no 三区三州 area (the rest of a partly covered province may lose what its 三区三州 part gains);
spending levels by PPML on every area-year, so that empty area-years count as zero instead of dropping
out through the log; a placebo policy year inside the pre-period, when the data have two or more
pre-period years (else a row says it cannot be estimated).

Both return ``ROBUSTNESS_COLUMNS``: ``EFFECT_COLUMNS`` plus ``check`` (what was varied, in words) and
``largest_se``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from analysis.errors import ParameterError
from analysis.estimate.absorbed import fit_absorbed
from analysis.estimate.models import (
    BASELINE_COLUMNS,
    BASELINE_FORMULA,
    EFFECT_COLUMNS,
    SHIFT_COLUMNS,
    check_ci,
    clustered_ols,
    place_cluster,
    project_sample,
    tidy_terms,
)
from analysis.estimate.regional import fit_baseline, fit_baseline_unknown_bounds
from analysis.estimate.shift import (
    absorbed_rows,
    check_start,
    fit_panel_did,
    shift_panel,
    shift_rows,
)
from analysis.estimate.wild import check_wild_options
from analysis.schema import POLICY_YEAR, require_columns

ROBUSTNESS_COLUMNS = [*EFFECT_COLUMNS, "check", "largest_se"]

TERM = "deep_poverty_area"

LEAVE_ONE_OUT = ("leave_one_province_out_min", "leave_one_province_out_max")


def _clustering_rows(data: pd.DataFrame, cluster: str, ci: float) -> list[dict]:
    """The baseline's 三区三州 row as reported and under each clustering; the one with the largest
    standard error flagged ``largest_se``."""
    use, excluded = project_sample(data)
    frame = use[use[cluster].notna()].assign(place=place_cluster(use))
    reported = fit_baseline(data, cluster=cluster, ci=ci).iloc[0].to_dict()
    rows = [{**reported, "check": f"as reported: {reported.pop('inference')}"}]
    try:
        cr3 = fit_baseline(data, cluster=cluster, ci=ci, errors="cr3").iloc[0].to_dict()
        rows.append({**cr3, "model": "cluster_org_cr3", "check": cr3.pop("inference")})
    except ParameterError as err:  # leaving one organization out leaves the design rank-deficient
        rows.append(not_estimable("cluster_org_cr3", len(frame), excluded, f"CR3: {err}"))
    for name, first, second, text in (
        ("cluster_org", cluster, None, f"CR1 clustered by {cluster}"),
        ("cluster_prefecture", "place", None, "CR1 clustered by prefecture (province if none)"),
        ("cluster_province", "province", None, "CR1 clustered by province"),
        ("cluster_twoway", cluster, "place", f"CR1 two-way: {cluster} and prefecture"),
    ):
        cols = ["log_cpb", "deep", "sector", "year", first] + ([second] if second else [])
        try:
            fit, g = clustered_ols(
                BASELINE_FORMULA, frame[list(dict.fromkeys(cols))], first, second=second
            )
        except ParameterError as err:  # e.g. one province: a single cluster
            rows.append(not_estimable(name, len(frame), excluded, f"{text}: not estimable ({err})"))
            continue
        row = tidy_terms(fit, name, {"deep": TERM}, g, ci, excluded).iloc[0].to_dict()
        rows.append({**row, "check": text})
    widest = max(
        range(len(rows)), key=lambda i: np.nan_to_num(rows[i].get("std_error", np.nan), nan=-1.0)
    )
    for i, row in enumerate(rows):
        row["largest_se"] = i == widest
    return rows


def not_estimable(model: str, n_obs: int, excluded: int, check: str, term: str = TERM) -> dict:
    """The row of a check that cannot be estimated: no estimate, ``check`` says why."""
    return {
        "model": model,
        "term": term,
        "n_obs": n_obs,
        "n_unknown_excluded": excluded,
        "check": check,
    }


def _org_effects_row(use: pd.DataFrame, cluster: str, ci: float, excluded: int) -> dict:
    """The 三区三州 coefficient within organizations: ``cluster`` effects absorbed, nested CR1."""
    frame = use[use[cluster].notna()]
    dummies = pd.get_dummies(frame[["sector", "year"]].astype(str), drop_first=True, dtype=float)
    frame = pd.concat([frame[["log_cpb", "deep", cluster]], dummies], axis=1)
    fit = fit_absorbed(
        frame,
        outcome="log_cpb",
        regressors=["deep", *dummies.columns],
        absorb=cluster,
        cluster=cluster,
    )
    row = absorbed_rows(fit, "org_fixed_effects", {"deep": TERM}, ci, excluded).iloc[0].to_dict()
    row["check"] = f"{cluster} fixed effects (compares projects of one organization), CR1 nested"
    return row


def _leave_one_out_rows(use: pd.DataFrame, cluster: str, ci: float, excluded: int) -> list[dict]:
    """The smallest and largest 三区三州 coefficient when one province at a time is left out."""
    fits = []
    for province in sorted(use["province"].astype(str).unique()):
        rest = use[use["province"].astype(str) != province]
        if rest["deep"].nunique() < 2:
            continue
        fit, g = clustered_ols(
            BASELINE_FORMULA, rest[["log_cpb", "deep", "sector", "year", cluster]], cluster
        )
        fits.append((float(fit.params["deep"]), province, fit, g))
    fits.sort(key=lambda f: (f[0], f[1]))
    if not fits:
        why = "not estimable: no province can be left out with a 三区三州 contrast remaining"
        return [not_estimable(m, 0, excluded, why) for m in LEAVE_ONE_OUT]
    rows = []
    for model, (_, province, fit, g) in zip(LEAVE_ONE_OUT, (fits[0], fits[-1]), strict=True):
        row = tidy_terms(fit, model, {"deep": TERM}, g, ci, excluded).iloc[0].to_dict()
        row["check"] = f"without {province} (of {len(fits)} provinces left out in turn)"
        rows.append(row)
    return rows


def baseline_robustness(
    data: pd.DataFrame, *, cluster: str = "org_name", ci: float = 0.95
) -> pd.DataFrame:
    """The baseline's 三区三州 coefficient (log points) under each check, one row each (see the module
    docstring); needs ``prefecture`` besides the baseline's columns."""
    require_columns(data, [*BASELINE_COLUMNS, "prefecture", cluster], "data")
    check_ci(ci)
    use, excluded = project_sample(data)
    use = use[use[cluster].notna()]
    rows = _clustering_rows(data, cluster, ci)
    rows.append(_org_effects_row(use, cluster, ci, excluded))
    for row in fit_baseline_unknown_bounds(data, cluster=cluster, ci=ci).to_dict("records"):
        counted = "in" if row["model"].endswith("_as_deep") else "out"
        rows.append({**row, "check": f"rows of unknown 三区三州 status counted {counted}"})
    rows.extend(_leave_one_out_rows(use, cluster, ci, excluded))
    return _table(rows)


def _table(rows: list[dict]) -> pd.DataFrame:
    """The rows in ``ROBUSTNESS_COLUMNS``, counts as nullable integers (a row that cannot be estimated
    has no cluster count)."""
    out = pd.DataFrame(rows).reindex(columns=ROBUSTNESS_COLUMNS)
    out["largest_se"] = out["largest_se"].astype("boolean")
    for col in ("n_obs", "n_clusters", "n_unknown_excluded"):
        out[col] = out[col].astype("Int64")
    return out


def _did_row(panel: pd.DataFrame, model: str, term: str, boot: dict, excluded: int, check: str):
    """The ``did`` row of ``panel`` (treat_post and year effects, area effects absorbed), its interval
    from the wild cluster bootstrap by area as reported (``boot``: ci, reps, seed)."""
    try:
        fit = fit_panel_did(panel, cr3=False)
        rows = shift_rows(
            fit,
            panel,
            model,
            {"treat_post": term},
            boot["ci"],
            excluded,
            "wild",
            {"reps": boot["reps"], "seed": boot["seed"]},
        )
    except ParameterError as err:  # e.g. leaving out the only control area of a small register
        return {
            "model": model,
            "term": term,
            "n_obs": len(panel),
            "n_unknown_excluded": excluded,
            "check": f"{check}: not estimable ({err})",
        }
    return {**rows.iloc[0].to_dict(), "check": check}


def _ppml_row(panel: pd.DataFrame, term: str, ci: float, excluded: int) -> dict:
    """PPML of area-year spending (yuan) on every area x year, empty ones as 0, area and year
    effects as dummies, CR1 clustered by area, t(G-1); an empty row when no area or every area is
    in 三区三州 (the shift is then not identified)."""
    if panel["deep"].nunique() < 2:
        return {
            "model": "did_ppml_levels",
            "term": term,
            "n_obs": len(panel),
            "n_unknown_excluded": excluded,
            "check": "PPML of spending levels: not estimable (no 三区三州 contrast between areas)",
        }
    grid = pd.MultiIndex.from_product(
        [sorted(panel["area"].unique()), sorted(panel["year"].unique())], names=["area", "year"]
    ).to_frame(index=False)
    full = grid.merge(panel[["area", "year", "spend"]], on=["area", "year"], how="left")
    full["spend"] = full["spend"].fillna(0.0)
    deep = panel.groupby("area")["deep"].first()
    full["treat_post"] = full["area"].map(deep) * (full["year"] >= panel.attrs["start"])
    full["spend_100m"] = full["spend"] / 1e8  # 亿元, for a well-scaled fit; the slope is unchanged
    groups = pd.factorize(full["area"])[0]
    fit = smf.glm(
        "spend_100m ~ treat_post + C(area) + C(year)", data=full, family=sm.families.Poisson()
    ).fit(cov_type="cluster", cov_kwds={"groups": groups})
    g = int(groups.max() + 1)
    est, se = float(fit.params["treat_post"]), float(fit.bse["treat_post"])
    q = stats.t.ppf(0.5 + ci / 2, g - 1)
    empty = int((full["spend"] == 0).sum())
    return {
        "model": "did_ppml_levels",
        "term": term,
        "estimate": est,
        "std_error": se,
        "ci_low": est - q * se,
        "ci_high": est + q * se,
        "p_value": 2 * stats.t.sf(abs(est / se), g - 1),
        "n_obs": len(full),
        "n_clusters": g,
        "n_unknown_excluded": excluded,
        "check": f"PPML of spending levels on all area-years ({empty} empty ones as 0), CR1 by area "
        "(too narrow with few treated areas, like every CR1 row here)",
    }


def _placebo_row(panel: pd.DataFrame, start: int, boot: dict, excluded: int) -> dict:
    """A placebo policy year: the last pre-period year treated as the start, on pre-period data only;
    an empty row when the data have fewer than two pre-period years."""
    pre = panel[panel["year"] < start].copy()
    years = sorted(pre["year"].unique())
    if len(years) < 2:
        return {
            "model": "did_placebo",
            "term": "deep_poverty_area:placebo",
            "n_obs": len(pre),
            "n_unknown_excluded": excluded,
            "check": f"not estimable: {len(years)} pre-period year(s) before {start}; a placebo "
            "needs two",
        }
    fake = years[-1]
    pre["treat_post"] = pre["deep"] * (pre["year"] >= fake)
    check = f"placebo: policy year {fake} on the years before {start} (should be near 0)"
    return _did_row(pre, "did_placebo", f"deep_poverty_area:post{fake}", boot, excluded, check)


def shift_robustness(
    data: pd.DataFrame,
    *,
    start: int = POLICY_YEAR,
    ci: float = 0.95,
    reps: int = 999,
    seed: int = 0,
) -> pd.DataFrame:
    """The spending shift from ``start`` (log points) under each check, one row each (see the module
    docstring); wild-bootstrap intervals by area (``reps`` draws, ``seed``) except the PPML row (CR1
    by area)."""
    require_columns(data, SHIFT_COLUMNS, "data")
    check_ci(ci)
    check_wild_options(reps, seed, ci)
    check_start(data, start, None)
    boot = {"ci": ci, "reps": reps, "seed": seed}
    panel, _, excluded = shift_panel(data, start)
    panel.attrs["start"] = start
    term = f"deep_poverty_area:post{start}"
    reported = "as reported: wild cluster bootstrap by area, interval by test inversion"
    rows = [_did_row(panel.copy(), "did", term, boot, excluded, reported)]
    if panel["year"].gt(start).any():
        without = panel[panel["year"] != start].copy()
        rows.append(
            _did_row(without, f"did_without_{start}", term, boot, excluded, f"{start} left out")
        )
    mixed = panel[panel["deep"] == 1]["province"].unique()
    pure = panel[(panel["deep"] == 1) | ~panel["province"].isin(mixed)].copy()
    rows.append(
        _did_row(
            pure,
            "did_pure_controls",
            term,
            boot,
            excluded,
            f"controls only from the {pure.loc[pure['deep'] == 0, 'area'].nunique()} provinces "
            "with no 三区三州 area",
        )
    )
    rows.append(_ppml_row(panel, term, ci, excluded))
    rows.append(_placebo_row(panel, start, boot, excluded))
    return _table(rows)
