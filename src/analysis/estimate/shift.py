"""The shift of spending towards 三区三州 from the policy year, on the area-year panel (an area: a
province's 三区三州 part or the rest of it; outcome log total spending, nominal yuan): a difference in
differences (``did``) and an event study (``event_study``), area effects absorbed and year effects
estimated, errors clustered by area with the small-sample convention named
(:mod:`analysis.estimate.absorbed`; by default the nested convention of fixest and reghdfe).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import ParameterError
from analysis.estimate.absorbed import CONVENTIONS, AbsorbedFit, fit_absorbed
from analysis.estimate.models import (
    EFFECT_COLUMNS,
    SHIFT_COLUMNS,
    area_year_panel,
    check_ci,
    reference_row,
)
from analysis.schema import POLICY_YEAR, require_columns


def check_start(data: pd.DataFrame, start: int, reference_year: int | None) -> int:
    """Refuse a policy year outside the data and return the event study's reference year (by default
    the last year before ``start``)."""
    years = sorted(data["year"].unique())
    if not (years and years[0] < start <= years[-1]):
        raise ParameterError(
            f"start={start} must fall after the first year and within the data "
            f"({years[0] if years else '?'}-{years[-1] if years else '?'})"
        )
    ref = start - 1 if reference_year is None else reference_year
    if ref not in years or ref >= start:
        raise ParameterError(
            f"reference_year={ref} must be a year of the data before start={start}"
        )
    return int(ref)


def shift_panel(data: pd.DataFrame, start: int) -> tuple[pd.DataFrame, list[str], int]:
    """The area-year panel with ``post`` (year >= start), ``treat_post`` (三区三州 x post) and one
    indicator per year after the first (``year_<y>``); also those year columns and how many projects
    were left out as unknown."""
    panel, excluded = area_year_panel(data)
    panel["post"] = (panel["year"] >= start).astype(float)
    panel["treat_post"] = panel["deep"] * panel["post"]
    years = sorted(panel["year"].unique())
    year_cols = []
    for y in years[1:]:
        panel[f"year_{y}"] = (panel["year"] == y).astype(float)
        year_cols.append(f"year_{y}")
    return panel, year_cols, excluded


def absorbed_rows(
    fit: AbsorbedFit,
    model: str,
    terms: dict[str, str],
    ci: float,
    excluded: int,
    *,
    cov: str = "cr1",
) -> pd.DataFrame:
    """``EFFECT_COLUMNS`` rows of the coefficients named in ``terms`` ({regressor: term label}), with
    the CR1 or CR3 covariance, t with G-1 degrees of freedom."""
    var = np.diag(fit.cov_cr1 if cov == "cr1" else fit.cov_cr3)
    q = stats.t.ppf(0.5 + ci / 2, fit.n_clusters - 1)
    rows = []
    for name, term in terms.items():
        i = fit.names.index(name)
        se = float(np.sqrt(var[i]))
        est = float(fit.coef[i])
        p = 2 * stats.t.sf(abs(est / se), fit.n_clusters - 1) if se > 0 else np.nan
        rows.append(
            {
                "model": model,
                "term": term,
                "estimate": est,
                "std_error": se,
                "ci_low": est - q * se,
                "ci_high": est + q * se,
                "p_value": p,
                "n_obs": fit.n_obs,
                "n_clusters": fit.n_clusters,
                "n_unknown_excluded": excluded,
            }
        )
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def fit_did(
    data: pd.DataFrame, start: int, convention: str
) -> tuple[AbsorbedFit, pd.DataFrame, int]:
    """The difference in differences on the panel: its fit, the panel and the projects left out."""
    panel, year_cols, excluded = shift_panel(data, start)
    fit = fit_absorbed(
        panel,
        outcome="log_spend",
        regressors=["treat_post", *year_cols],
        absorb="area",
        cluster="area",
        convention=convention,
    )
    return fit, panel, excluded


def convention_text(fit: AbsorbedFit) -> str:
    """How the CR1 factor counted K, for the inference column and table notes."""
    return f"area effects absorbed; CR1 with K={fit.k}: {CONVENTIONS[fit.convention]}"


def fit_spending_shift(
    data: pd.DataFrame,
    *,
    start: int = POLICY_YEAR,
    ci: float = 0.95,
    convention: str = "nested",
    reference_year: int | None = None,
    errors: str = "cr3",
) -> pd.DataFrame:
    """The shift of spending towards 三区三州 from ``start`` (by default ``POLICY_YEAR``), log points.

    Returns rows for ``did`` (term ``deep_poverty_area:post{start}``) and ``event_study`` (terms
    ``deep_poverty_area:{year}``; ``reference_year``, by default the last year before ``start``, is
    the reference, shown as 0). Area effects are absorbed and errors clustered by area: by default
    ``errors="cr3"`` (leave-one-area-out jackknife, the interval that covers at its nominal rate on the
    demo's design of 6 treated areas in 36: scripts/did_coverage.py), or ``errors="cr1"`` under
    ``convention`` (one of ``CONVENTIONS``).
    """
    if errors not in ("cr3", "cr1"):
        raise ParameterError(f"errors must be 'cr3' or 'cr1', got {errors!r}")
    require_columns(data, SHIFT_COLUMNS, "data")
    check_ci(ci)
    if convention not in CONVENTIONS:
        raise ParameterError(f"convention must be one of {sorted(CONVENTIONS)}, got {convention!r}")
    ref = check_start(data, start, reference_year)
    fit, panel, excluded = fit_did(data, start, convention)
    did = absorbed_rows(
        fit, "did", {"treat_post": f"deep_poverty_area:post{start}"}, ci, excluded, cov=errors
    )
    years = sorted(panel["year"].unique())
    terms = {}
    for y in years:
        if y != ref:
            panel[f"deep_x_{y}"] = panel["deep"] * (panel["year"] == y)
            terms[f"deep_x_{y}"] = f"deep_poverty_area:{y}"
    year_cols = [f"year_{y}" for y in years[1:]]
    es = fit_absorbed(
        panel,
        outcome="log_spend",
        regressors=[*terms, *year_cols],
        absorb="area",
        cluster="area",
        convention=convention,
    )
    ref_row = reference_row("event_study", f"deep_poverty_area:{ref}", es.n_obs, es.n_clusters)
    ref_row["n_unknown_excluded"] = excluded
    rows = absorbed_rows(es, "event_study", terms, ci, excluded, cov=errors)
    before = rows["term"].map(lambda t: int(t.rsplit(":", 1)[1]) < ref)
    return pd.concat([did, rows[before], pd.DataFrame([ref_row]), rows[~before]], ignore_index=True)
