"""Regional effects: 三区三州 against elsewhere, and the shift of spending towards 三区三州 from the
policy year (``analysis.schema.POLICY_YEAR``).

Models here (statsmodels OLS; docs/methods.md has the equations):
- ``baseline`` (``fit_baseline``): log(expenditure_yuan / beneficiaries) ~ deep_poverty_area +
  C(sector) + C(year) on single-province projects with positive spending and beneficiaries; errors
  clustered by organization, t distribution with G-1 degrees of freedom.
- ``baseline_unknown_as_deep`` / ``baseline_unknown_as_not_deep`` (``fit_baseline_unknown_bounds``):
  the baseline's 三区三州 coefficient with the rows of unknown status counted in and counted out.
- ``did`` / ``event_study`` (``fit_spending_shift``, in :mod:`analysis.estimate.shift`): log total
  spending of an area-year on 三区三州 x post-``start`` or one 三区三州 x year term per year (the last
  year before ``start`` the reference), area effects absorbed, errors clustered by area.
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

from analysis.estimate.models import (
    BASELINE_COLUMNS,
    BASELINE_FORMULA,
    check_ci,
    clustered_ols,
    project_sample,
    tidy_terms,
)
from analysis.estimate.shift import fit_spending_shift
from analysis.estimate.weightings import fit_baseline_weightings
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


# The fits ``regional_effects`` runs, in the order of its rows: (name, function, the options of
# ``regional_effects`` the function takes).
REGIONAL_EFFECTS_FITS = (
    ("baseline", fit_baseline, ("cluster", "ci")),
    ("baseline_unknown_bounds", fit_baseline_unknown_bounds, ("cluster", "ci")),
    ("baseline_weightings", fit_baseline_weightings, ("cluster", "ci")),
    ("spending_shift", fit_spending_shift, ("start", "ci")),
)


def regional_effects(
    data: pd.DataFrame, *, cluster: str = "org_name", start: int = POLICY_YEAR, ci: float = 0.95
) -> pd.DataFrame:
    """The fits of ``REGIONAL_EFFECTS_FITS`` as one table (tables/regional_effects.csv): models
    ``baseline``, ``baseline_unknown_as_deep``, ``baseline_unknown_as_not_deep``,
    ``baseline_spending_weighted``, ``baseline_ppml``, ``did`` and ``event_study``.
    Province effects, heterogeneity and the few-cluster checks are not in it (see
    :mod:`analysis.estimate.provinces` and :mod:`analysis.estimate.inference`)."""
    options = {"cluster": cluster, "start": start, "ci": ci}
    return pd.concat(
        [fit(data, **{k: options[k] for k in takes}) for _, fit, takes in REGIONAL_EFFECTS_FITS],
        ignore_index=True,
    )
