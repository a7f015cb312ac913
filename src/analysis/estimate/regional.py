"""Regional effects: 三区三州 against elsewhere, and the shift of spending towards 三区三州 from the
policy year (``analysis.schema.POLICY_YEAR``).

Models here (statsmodels OLS; docs/methods.md has the equations):
- ``baseline`` (``fit_baseline``): log(expenditure_yuan / beneficiaries) ~ deep_poverty_area +
  C(sector) + C(year) on single-province projects with positive spending and beneficiaries; errors
  clustered by organization, t distribution with G-1 degrees of freedom.
- ``baseline_unknown_as_deep`` / ``baseline_unknown_as_not_deep`` (``fit_baseline_unknown_bounds``):
  the baseline's 三区三州 coefficient with the rows of unknown status counted in and counted out.
- ``did`` / ``event_study`` (``fit_spending_shift``): log total spending (yuan) of an area-year
  (area = province x inside/outside 三区三州) on deep_poverty_area x post-``start`` (``did``) or one
  三区三州 x year term per year, the first year as reference (``event_study``), with area and year
  fixed effects, errors clustered by area.
- ``regional_effects`` runs the fits listed in ``REGIONAL_EFFECTS_FITS`` into one table.

Elsewhere: the shared pieces (``EFFECT_COLUMNS``, clustered OLS, the samples) in
:mod:`analysis.estimate.models`; province effects and heterogeneity in
:mod:`analysis.estimate.provinces`; few-cluster checks in :mod:`analysis.estimate.inference`; the
side-by-side table in :mod:`analysis.present.tables`.

Each ``fit_*`` checks its options before any fitting and returns one tidy table with the columns
``EFFECT_COLUMNS``.
"""

from __future__ import annotations

import pandas as pd

from analysis.errors import ParameterError
from analysis.estimate.models import (
    BASELINE_COLUMNS,
    BASELINE_FORMULA,
    SHIFT_COLUMNS,
    area_year_panel,
    check_ci,
    clustered_ols,
    project_sample,
    reference_row,
    tidy_terms,
)
from analysis.schema import POLICY_YEAR, require_columns


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
    require_columns(data, [*BASELINE_COLUMNS, cluster], "data")
    check_ci(ci)
    return _baseline(data, cluster, ci, "baseline")


def _baseline(data: pd.DataFrame, cluster: str, ci: float, model: str) -> pd.DataFrame:
    """Fit the baseline on checked data; its 三区三州 and sector rows (log points) as ``model``."""
    use, excluded = project_sample(data)
    result, g = clustered_ols(
        BASELINE_FORMULA, use[["log_cpb", "deep", "sector", "year", cluster]], cluster
    )
    terms = {"deep": "deep_poverty_area"}
    for name in result.params.index:
        if name.startswith("C(sector"):
            terms[name] = "sector[" + name.split("[T.")[1].rstrip("]") + "]"
    return tidy_terms(result, model, terms, g, ci, excluded)


def fit_baseline_unknown_bounds(
    data: pd.DataFrame, *, cluster: str = "org_name", ci: float = 0.95
) -> pd.DataFrame:
    """The baseline's 三区三州 coefficient with every row of unknown status counted in
    (``baseline_unknown_as_deep``) and counted out (``baseline_unknown_as_not_deep``): the range the
    unknown rows could move it over. ``n_unknown_excluded`` is 0 in both (nothing is left out);
    the rows recoded are counted in the ``fit_baseline`` row."""
    require_columns(data, [*BASELINE_COLUMNS, cluster], "data")
    check_ci(ci)
    out = []
    for value, model in (
        (True, "baseline_unknown_as_deep"),
        (False, "baseline_unknown_as_not_deep"),
    ):
        filled = data.assign(deep_poverty_area=data["deep_poverty_area"].fillna(value))
        out.append(_baseline(filled, cluster, ci, model).query("term == 'deep_poverty_area'"))
    return pd.concat(out, ignore_index=True)


def fit_spending_shift(
    data: pd.DataFrame, *, start: int = POLICY_YEAR, ci: float = 0.95
) -> pd.DataFrame:
    """The shift of spending towards 三区三州 from ``start`` (by default ``POLICY_YEAR``), as a
    difference in differences and an event study.

    Unit: area-year, an area being a province's 三区三州 part or the rest of it. Outcome: log total
    spending (nominal yuan). Returns rows for ``did`` (term ``deep_poverty_area:post{start}``) and
    ``event_study`` (terms ``deep_poverty_area:{year}``, the first year being the reference).
    """
    require_columns(data, SHIFT_COLUMNS, "data")
    check_ci(ci)
    years = sorted(data["year"].unique())
    if not (years and years[0] < start <= years[-1]):
        raise ParameterError(
            f"start={start} must fall after the first year and within the data "
            f"({years[0] if years else '?'}-{years[-1] if years else '?'})"
        )
    panel, excluded = area_year_panel(data)
    panel["treat_post"] = panel["deep"] * (panel["year"] >= start)
    did, g = clustered_ols("log_spend ~ treat_post + C(area) + C(year)", panel, "area")
    did_part = tidy_terms(
        did, "did", {"treat_post": f"deep_poverty_area:post{start}"}, g, ci, excluded
    )
    terms = _add_event_terms(panel, years)
    es, g = clustered_ols(
        "log_spend ~ " + " + ".join(terms) + " + C(area) + C(year)", panel, "area"
    )
    es_parts = _event_study_rows(es, g, terms, years[0], ci, excluded)
    return pd.concat([did_part, *es_parts], ignore_index=True)


def _add_event_terms(panel: pd.DataFrame, years: list) -> dict[str, str]:
    """Add one 三区三州 x year indicator (0/1) per year after the first to ``panel``; return
    {column: term label}."""
    terms = {}
    for y in years[1:]:
        col = f"deep_x_{y}"
        panel[col] = panel["deep"] * (panel["year"] == y)
        terms[col] = f"deep_poverty_area:{y}"
    return terms


def _event_study_rows(
    es, g: int, terms: dict[str, str], ref_year, ci: float, excluded: int
) -> list[pd.DataFrame]:
    """The event study's reference row (``ref_year``, 0) and its 三区三州 x year rows (log points)."""
    ref = reference_row("event_study", f"deep_poverty_area:{ref_year}", int(es.nobs), g)
    ref["n_unknown_excluded"] = excluded
    return [pd.DataFrame([ref]), tidy_terms(es, "event_study", terms, g, ci, excluded)]


# The fits ``regional_effects`` runs, in the order of its rows: (name, function, the options of
# ``regional_effects`` the function takes).
REGIONAL_EFFECTS_FITS = (
    ("baseline", fit_baseline, ("cluster", "ci")),
    ("baseline_unknown_bounds", fit_baseline_unknown_bounds, ("cluster", "ci")),
    ("spending_shift", fit_spending_shift, ("start", "ci")),
)


def regional_effects(
    data: pd.DataFrame, *, cluster: str = "org_name", start: int = POLICY_YEAR, ci: float = 0.95
) -> pd.DataFrame:
    """The fits of ``REGIONAL_EFFECTS_FITS`` as one table (tables/regional_effects.csv): models
    ``baseline``, ``baseline_unknown_as_deep``, ``baseline_unknown_as_not_deep``, ``did`` and
    ``event_study``. Province effects, heterogeneity and the few-cluster checks are not in it (see
    :mod:`analysis.estimate.provinces` and :mod:`analysis.estimate.inference`)."""
    options = {"cluster": cluster, "start": start, "ci": ci}
    return pd.concat(
        [fit(data, **{k: options[k] for k in takes}) for _, fit, takes in REGIONAL_EFFECTS_FITS],
        ignore_index=True,
    )
