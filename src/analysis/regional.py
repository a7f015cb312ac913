"""Regional effects: 三区三州 against elsewhere, and the 2017 shift of spending towards 三区三州.

Models (statsmodels OLS; docs/methods.md has the equations):
- ``baseline``: log(expenditure_yuan / beneficiaries) ~ deep_poverty_area + C(sector) + C(year) on projects
  with positive spending and beneficiaries, single-province rows; errors clustered by organization,
  t distribution with G-1 degrees of freedom.
- ``did``: log total spending of an area-year (area = province x inside/outside 三区三州) on
  deep_poverty_area x post2017 with area and year fixed effects, errors clustered by area.
- ``event_study``: the same with one 三区三州 x year term per year, the first year as reference.

Each ``fit_*`` checks its options before any fitting and returns one tidy table with the columns
``EFFECT_COLUMNS``; tables and figures are built from that table only.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from analysis.errors import ParameterError
from analysis.places import MULTIPLE

__all__ = ["EFFECT_COLUMNS", "fit_baseline", "fit_spending_shift", "regional_effects"]

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
]


def _check_frame(data, columns):
    if not isinstance(data, pd.DataFrame):
        raise ParameterError("data must be a pandas DataFrame (the cleaned project table)")
    missing = sorted(set(columns) - set(data.columns))
    if missing:
        raise ParameterError(f"data lacks column(s) {missing}")


def _clustered_ols(formula: str, frame: pd.DataFrame, cluster: str):
    """OLS with cluster-robust errors; rows with a missing cluster are dropped before the design is
    built, so the groups stay aligned with the rows statsmodels keeps."""
    frame = frame[frame[cluster].notna()].copy()
    groups = pd.factorize(frame[cluster])[0]
    n_clusters = int(groups.max() + 1) if len(groups) else 0
    if n_clusters < 2:
        raise ParameterError(
            f"cannot cluster by {cluster!r}: {n_clusters} cluster(s) in the data; need at least 2"
        )
    if n_clusters < 30:
        warnings.warn(
            f"only {n_clusters} clusters of {cluster!r}: cluster-robust errors may be too "
            "small; see the wild-bootstrap and CR3 checks (issue 5)",
            stacklevel=3,
        )
    model = smf.ols(formula, data=frame, missing="raise")
    result = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    return result, n_clusters


def _tidy(result, model: str, terms: dict[str, str], n_clusters: int, ci: float) -> pd.DataFrame:
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
            }
        )
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def fit_baseline(
    data: pd.DataFrame, *, cluster: str = "org_name", ci: float = 0.95
) -> pd.DataFrame:
    """The baseline model: log cost per beneficiary on 三区三州 with sector and year fixed effects.

    Estimated on single-province projects with positive spending and beneficiaries; errors clustered
    by ``cluster`` (organizations), t(G-1) reference. Returns the ``deep_poverty_area`` row and the
    sector rows (log points relative to industry) as a tidy table.
    """
    _check_frame(
        data,
        [
            "expenditure_yuan",
            "beneficiaries",
            "deep_poverty_area",
            "sector",
            "year",
            "province",
            cluster,
        ],
    )
    if not 0 < ci < 1:
        raise ParameterError(f"ci must be between 0 and 1, got {ci}")
    use = data[
        (data["expenditure_yuan"] > 0)
        & (data["beneficiaries"].fillna(0) > 0)
        & (data["province"] != MULTIPLE)
    ].copy()
    use["log_cpb"] = np.log(use["expenditure_yuan"] / use["beneficiaries"].astype(float))
    use["deep"] = use["deep_poverty_area"].astype(int)
    use["sector"] = use["sector"].astype(str)
    use["year"] = use["year"].astype(int)
    formula = "log_cpb ~ deep + C(sector, Treatment('industry')) + C(year)"
    result, g = _clustered_ols(
        formula, use[["log_cpb", "deep", "sector", "year", cluster]], cluster
    )
    terms = {"deep": "deep_poverty_area"}
    for name in result.params.index:
        if name.startswith("C(sector"):
            terms[name] = "sector[" + name.split("[T.")[1].rstrip("]") + "]"
    return _tidy(result, "baseline", terms, g, ci)


def _area_year(data: pd.DataFrame) -> pd.DataFrame:
    use = data[(data["province"] != MULTIPLE) & (data["expenditure_yuan"] > 0)]
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
    return panel


def fit_spending_shift(data: pd.DataFrame, *, start: int = 2017, ci: float = 0.95) -> pd.DataFrame:
    """The 2017 shift of spending towards 三区三州, as a difference in differences and an event study.

    Unit: area-year, an area being a province's 三区三州 part or the rest of it. Outcome: log total
    spending (nominal yuan). Returns rows for ``did`` (term ``deep_poverty_area:post{start}``) and
    ``event_study`` (terms ``deep_poverty_area:{year}``, the first year being the reference).
    """
    _check_frame(data, ["expenditure_yuan", "deep_poverty_area", "year", "province"])
    years = sorted(data["year"].unique())
    if not (years and years[0] < start <= years[-1]):
        raise ParameterError(
            f"start={start} must fall after the first year and within the data "
            f"({years[0] if years else '?'}-{years[-1] if years else '?'})"
        )
    panel = _area_year(data)
    panel["treat_post"] = panel["deep"] * (panel["year"] >= start)
    did, g = _clustered_ols("log_spend ~ treat_post + C(area) + C(year)", panel, "area")
    out = [_tidy(did, "did", {"treat_post": f"deep_poverty_area:post{start}"}, g, ci)]
    ref = years[0]
    terms = {}
    for y in years[1:]:
        col = f"deep_x_{y}"
        panel[col] = panel["deep"] * (panel["year"] == y)
        terms[col] = f"deep_poverty_area:{y}"
    es, g = _clustered_ols(
        "log_spend ~ " + " + ".join(terms) + " + C(area) + C(year)", panel, "area"
    )
    out.append(_tidy(es, "event_study", terms, g, ci))
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
            }
        ]
    )
    return pd.concat([out[0], ref_row, out[1]], ignore_index=True)


def regional_effects(
    data: pd.DataFrame, *, cluster: str = "org_name", start: int = 2017, ci: float = 0.95
) -> pd.DataFrame:
    """All regional models of a run as one table (tables/regional_effects.csv)."""
    return pd.concat(
        [fit_baseline(data, cluster=cluster, ci=ci), fit_spending_shift(data, start=start, ci=ci)],
        ignore_index=True,
    )
