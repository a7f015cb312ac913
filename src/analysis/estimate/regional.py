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

import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.estimate.models import (
    BASELINE_COLUMNS,
    BASELINE_FORMULA,
    check_ci,
    clustered_ols,
    place_cluster,
    project_sample,
    require_deep_contrast,
    tidy_terms,
)
from analysis.estimate.shift import check_start, fit_spending_shift
from analysis.estimate.weightings import fit_baseline_weightings
from analysis.estimate.wild import check_wild_options
from analysis.schema import POLICY_YEAR, require_columns

# How the baseline's uncertainty is computed: name -> the words of its ``inference`` note.
BASELINE_ERRORS = {
    "larger": "the larger SE of CR3 by {cluster} and CR1 two-way by {cluster} and place",
    "cr1": "CR1 clustered by {cluster}",
    "cr3": "CR3 leave-one-cluster-out jackknife by {cluster}",
    "twoway": "CR1 two-way by {cluster} and place (prefecture, else province)",
}


def fit_baseline(
    data: pd.DataFrame, *, cluster: str = "org_name", ci: float = 0.95, errors: str = "larger"
) -> pd.DataFrame:
    """The baseline model: log cost per beneficiary on 三区三州 with sector and year fixed effects.

    Estimated on single-province projects with positive spending and beneficiaries whose 三区三州
    status is known (``n_unknown_excluded`` says how many were left out; see
    :func:`fit_baseline_unknown_bounds`). Returns the ``deep_poverty_area`` row and the sector rows
    (log points relative to industry) as a tidy table, with an ``inference`` column.

    ``errors`` (``BASELINE_ERRORS``): by default ``"larger"``, the larger standard error of the
    三区三州 coefficient between CR3 by ``cluster`` (organizations; t(G-1)) and CR1 clustered two
    ways by ``cluster`` and place (the prefecture, or the province where the register names none;
    t(min G - 1)); the chosen covariance serves every row and the ``inference`` column names it.
    Organizations that specialise in 三区三州 and costs shared within places both correlate the
    errors; on the demo's design with either, this rule covers 0.946-0.960 where CR1 by organization
    covers 0.72-0.96 (docs/baseline_coverage.md). ``"cr1"``, ``"cr3"``, ``"twoway"``: one of them.
    """
    if errors not in BASELINE_ERRORS:
        raise ParameterError(f"errors must be one of {sorted(BASELINE_ERRORS)}, got {errors!r}")
    require_columns(data, [*BASELINE_COLUMNS, cluster], "data")
    check_ci(ci)
    return _baseline(data, cluster, ci, "baseline", errors)


def _baseline(data: pd.DataFrame, cluster: str, ci: float, model: str, errors: str) -> pd.DataFrame:
    """Fit the baseline on checked data; its 三区三州 and sector rows (log points) as ``model``,
    uncertainty by ``errors``."""
    use, excluded = project_sample(data)
    require_deep_contrast(use)
    frame = use.assign(place=place_cluster(use))
    cols = ["log_cpb", "deep", "sector", "year", cluster]
    fits = {}
    if errors in ("cr1", "cr3", "larger"):
        fits["cr1"] = clustered_ols(BASELINE_FORMULA, frame[cols], cluster)
    if errors in ("cr3", "larger"):
        cr1, g = fits["cr1"]
        groups = {"groups": cr1.cov_kwds["groups"]}
        try:
            fits["cr3"] = (cr1.model.fit(cov_type="cluster-crv3", cov_kwds=groups, use_t=True), g)
        except (ValueError, np.linalg.LinAlgError) as err:
            if errors == "cr3":
                raise ParameterError(f"no CR3 standard error: {err}") from err
    if errors in ("twoway", "larger") and (errors == "twoway" or frame["place"].nunique() > 1):
        fits["twoway"] = clustered_ols(
            BASELINE_FORMULA, frame[[*cols, "place"]], cluster, second="place"
        )
    if errors == "larger":
        # one place only (or no CR3): the other one; neither: CR1
        candidates = [k for k in ("cr3", "twoway") if k in fits] or ["cr1"]
        chosen = max(candidates, key=lambda k: fits[k][0].bse["deep"])
    else:
        chosen = errors
    result, g = fits[chosen]
    terms = {"deep": "deep_poverty_area"}
    for name in result.params.index:
        if name.startswith("C(sector"):
            terms[name] = "sector[" + name.split("[T.", 1)[1].rstrip("]") + "]"
    table = tidy_terms(result, model, terms, g, ci, excluded)
    note = BASELINE_ERRORS[chosen]
    if errors == "larger":
        note += f", chosen as {BASELINE_ERRORS['larger']}"
    note = note.format(cluster=cluster)
    table["inference"] = note
    return table


def fit_baseline_unknown_bounds(
    data: pd.DataFrame, *, cluster: str = "org_name", ci: float = 0.95, errors: str = "larger"
) -> pd.DataFrame:
    """The baseline's 三区三州 coefficient with every row of unknown status counted in
    (``baseline_unknown_as_deep``) and counted out (``baseline_unknown_as_not_deep``): the range the
    unknown rows could move it over, uncertainty as ``fit_baseline``'s ``errors``.
    ``n_unknown_excluded`` is 0 in both (nothing is left out); the rows recoded are counted in the
    ``fit_baseline`` row."""
    if errors not in BASELINE_ERRORS:
        raise ParameterError(f"errors must be one of {sorted(BASELINE_ERRORS)}, got {errors!r}")
    require_columns(data, [*BASELINE_COLUMNS, cluster], "data")
    check_ci(ci)
    out = []
    for value, model in (
        (True, "baseline_unknown_as_deep"),
        (False, "baseline_unknown_as_not_deep"),
    ):
        filled = data.assign(deep_poverty_area=data["deep_poverty_area"].fillna(value))
        fit = _baseline(filled, cluster, ci, model, errors)
        out.append(fit.query("term == 'deep_poverty_area'"))
    return pd.concat(out, ignore_index=True)


# The fits ``regional_effects`` runs, in the order of its rows: (name, function, the options of
# ``regional_effects`` the function takes).
REGIONAL_EFFECTS_FITS = (
    ("baseline", fit_baseline, ("cluster", "ci")),
    ("baseline_unknown_bounds", fit_baseline_unknown_bounds, ("cluster", "ci")),
    ("baseline_weightings", fit_baseline_weightings, ("cluster", "ci")),
    ("spending_shift", fit_spending_shift, ("start", "ci", "reps", "seed")),
)


def regional_effects(
    data: pd.DataFrame,
    *,
    cluster: str = "org_name",
    start: int = POLICY_YEAR,
    ci: float = 0.95,
    reps: int = 999,
    seed: int = 0,
) -> pd.DataFrame:
    """The fits of ``REGIONAL_EFFECTS_FITS`` as one table (tables/regional_effects.csv): models
    ``baseline``, ``baseline_unknown_as_deep``, ``baseline_unknown_as_not_deep``,
    ``baseline_spending_weighted``, ``baseline_ppml``, ``did`` and ``event_study``.
    ``reps`` and ``seed``: the wild bootstrap of the spending shift's intervals.
    Province effects, heterogeneity and the few-cluster checks are not in it (see
    :mod:`analysis.estimate.provinces` and :mod:`analysis.estimate.inference`)."""
    require_columns(data, [*BASELINE_COLUMNS, cluster], "data")
    check_ci(ci)
    check_wild_options(reps, seed, ci)
    check_start(data, start, None)
    options = {"cluster": cluster, "start": start, "ci": ci, "reps": reps, "seed": seed}
    return pd.concat(
        [fit(data, **{k: options[k] for k in takes}) for _, fit, takes in REGIONAL_EFFECTS_FITS],
        ignore_index=True,
    )
