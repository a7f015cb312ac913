"""What the regional models share: the tidy effect table's columns (``EFFECT_COLUMNS``), the
check of the confidence level, OLS with cluster-robust errors (t distribution with G-1 degrees of
freedom), the baseline's formula, columns and project sample, the area-year panel of the spending
shift, and the row of a reference level. The models themselves live in :mod:`analysis.estimate.regional`,
:mod:`analysis.estimate.provinces` and :mod:`analysis.estimate.inference`; the checks of the input
table are :func:`analysis.schema.require_columns`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from analysis.errors import ParameterError
from analysis.schema import MULTIPLE

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
    "r_squared",
]


def check_ci(ci) -> None:
    """Refuse a confidence level outside (0, 1) (a share, e.g. 0.95)."""
    if not 0 < ci < 1:
        raise ParameterError(f"ci must be between 0 and 1, got {ci}")


def clustered_ols(formula: str, frame: pd.DataFrame, cluster: str, *, second: str | None = None):
    """OLS with cluster-robust errors; rows with a missing cluster are left out before the design is
    built, so the groups stay aligned with the rows statsmodels keeps, and a warning says how many
    (the fit's ``n_obs`` counts the rows used).

    With ``second`` (a second clustering column) the errors are two-way clustered (statsmodels'
    cov0 + cov1 - cov01, each with its own small-sample factor; t with min(G0, G1) - 1 degrees of
    freedom) and the returned cluster count is min(G0, G1)."""
    keep = frame[cluster].notna()
    if second is not None:
        keep &= frame[second].notna()
    if not keep.all():
        named = " or ".join(repr(c) for c in [cluster, second] if c is not None)
        warnings.warn(
            f"{int((~keep).sum())} of {len(keep)} rows have no {named} to cluster by and are left "
            "out of this fit",
            stacklevel=3,
        )
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


def tidy_terms(
    result, model: str, terms: dict[str, str], n_clusters: int, ci: float, excluded: int = 0
) -> pd.DataFrame:
    """One ``EFFECT_COLUMNS`` row per fitted coefficient named in ``terms`` ({statsmodels name: term
    label}), with its ``ci`` interval, the cluster count, the rows left out as unknown and the model's
    R² (empty where the fit has none)."""
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
                "r_squared": float(getattr(result, "rsquared", np.nan)),
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


# The columns the spending shift (area-year panel) needs.
SHIFT_COLUMNS = ["expenditure_yuan", "deep_poverty_area", "year", "province"]


BASELINE_FORMULA = "log_cpb ~ deep + C(sector, Treatment('industry')) + C(year)"


CONTROLS = "C(sector, Treatment('industry')) + C(year)"


def unknown_area(data: pd.DataFrame) -> np.ndarray:
    """Rows whose 三区三州 status is unknown (missing)."""
    return data["deep_poverty_area"].isna().to_numpy(dtype=bool)


def project_sample(data: pd.DataFrame, *, need_deep: bool = True) -> tuple[pd.DataFrame, int]:
    """The baseline's sample: single-province projects with positive spending and beneficiaries,
    with ``log_cpb`` (log yuan per beneficiary) and ``deep`` (0/1) added; with ``need_deep``, rows
    whose 三区三州 status is unknown are left out. Returns the sample and how many were left out."""
    use = data[
        (data["expenditure_yuan"] > 0)
        & (data["beneficiaries"].fillna(0) > 0)
        & (data["province"] != MULTIPLE)
    ]
    unknown = unknown_area(use)
    excluded = int(unknown.sum()) if need_deep else 0
    use = (use[~unknown] if need_deep else use).copy()
    use["log_cpb"] = np.log(use["expenditure_yuan"] / use["beneficiaries"].astype(float))
    use["deep"] = use["deep_poverty_area"].fillna(False).astype(int)
    use["sector"] = use["sector"].astype(str)
    use["year"] = use["year"].astype(int)
    return use, excluded


def require_deep_contrast(use: pd.DataFrame) -> None:
    """Refuse a sample (``project_sample``'s) without projects both in and outside 三区三州: its
    三区三州 coefficient is not identified (least squares would return 0 or any number)."""
    present = set(use["deep"].unique())
    if present != {0, 1}:
        where = "in" if present == {1} else "outside"
        raise ParameterError(
            f"the 三区三州 coefficient needs projects both in and outside 三区三州; all {len(use)} "
            f"projects of the sample are {where} it"
        )


def place_cluster(use: pd.DataFrame) -> pd.Series:
    """The place of a project for clustering: its prefecture, or its province where the register
    names no prefecture (or the table has no prefecture column): a coarser cluster, never a smaller
    one."""
    province = "province:" + use["province"].astype(str)
    if "prefecture" not in use.columns:
        return province
    return use["prefecture"].astype("string").fillna(province).astype(str)


def area_year_panel(data: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Area-year spending panel (an area: a province's 三区三州 part or the rest of it), from the
    projects whose 三区三州 status is known; also how many projects were left out as unknown."""
    use = data[(data["province"] != MULTIPLE) & (data["expenditure_yuan"] > 0)]
    unknown = unknown_area(use)
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


def reference_row(model: str, term: str, n_obs: int, n_clusters: int) -> dict:
    """The ``EFFECT_COLUMNS`` row of a reference level: estimate, error and interval 0, no
    p-value."""
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
