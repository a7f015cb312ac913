"""The baseline's 三区三州 contrast under the weighting that matches each question.

- ``baseline`` (project-weighted OLS of log cost per beneficiary, :func:`analysis.estimate.regional.fit_baseline`)
  compares the typical project: geometric means, every project counting once.
- ``baseline_spending_weighted``: the same regression weighted by spending (yuan), so that large
  projects count as much as the money they hold.
- ``baseline_ppml``: what a yuan buys. Poisson pseudo-maximum likelihood of beneficiaries (persons)
  with log spending as offset, 三区三州, sector and year as regressors; the coefficient is reported with
  its sign turned, as a log-point difference in cost per beneficiary (yuan per person) comparable with
  the others. Empty and tiny projects enter by their weight, not by a log.

All three: the baseline's sample, errors clustered by ``cluster`` (organizations), t(G-1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from analysis.errors import ParameterError
from analysis.estimate.models import (
    BASELINE_COLUMNS,
    BASELINE_FORMULA,
    CONTROLS,
    EFFECT_COLUMNS,
    check_ci,
    project_sample,
    require_deep_contrast,
)
from analysis.schema import require_columns


def _sample(data: pd.DataFrame, cluster: str) -> tuple[pd.DataFrame, np.ndarray, int, int]:
    """The baseline's sample without rows lacking a cluster; cluster codes, their count, rows left out."""
    use, excluded = project_sample(data)
    use = use[use[cluster].notna()].copy()
    require_deep_contrast(use)
    groups = pd.factorize(use[cluster])[0]
    g = int(groups.max() + 1) if len(groups) else 0
    if g < 2:
        raise ParameterError(f"cannot cluster by {cluster!r}: {g} cluster(s) in the data")
    use["beneficiaries_n"] = use["beneficiaries"].astype(float)
    use["log_spend"] = np.log(use["expenditure_yuan"])
    return use, groups, g, excluded


def _row(model: str, est: float, se: float, n: int, g: int, ci: float, excluded: int) -> dict:
    q = stats.t.ppf(0.5 + ci / 2, g - 1)
    return {
        "model": model,
        "term": "deep_poverty_area",
        "estimate": est,
        "std_error": se,
        "ci_low": est - q * se,
        "ci_high": est + q * se,
        "p_value": 2 * stats.t.sf(abs(est / se), g - 1),
        "n_obs": n,
        "n_clusters": g,
        "n_unknown_excluded": excluded,
    }


def spending_weighted_fit(use: pd.DataFrame, groups: np.ndarray):
    """WLS of log cost per beneficiary weighted by spending (yuan), clustered errors."""
    model = smf.wls(BASELINE_FORMULA, data=use, weights=use["expenditure_yuan"])
    return model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)


def ppml_fit(use: pd.DataFrame, groups: np.ndarray):
    """Poisson GLM of beneficiaries (persons) with log spending as offset, clustered errors."""
    model = smf.glm(
        f"beneficiaries_n ~ deep + {CONTROLS}",
        data=use,
        family=sm.families.Poisson(),
        offset=use["log_spend"],
    )
    return model.fit(cov_type="cluster", cov_kwds={"groups": groups})


def fit_baseline_weightings(
    data: pd.DataFrame, *, cluster: str = "org_name", ci: float = 0.95
) -> pd.DataFrame:
    """The 三区三州 contrast in cost per beneficiary (log points), spending-weighted
    (``baseline_spending_weighted``) and by PPML with a log-spending offset (``baseline_ppml``, sign
    turned to cost), on the baseline's sample, errors clustered by ``cluster``."""
    require_columns(data, [*BASELINE_COLUMNS, cluster], "data")
    check_ci(ci)
    use, groups, g, excluded = _sample(data, cluster)
    wls = spending_weighted_fit(use, groups)
    ppml = ppml_fit(use, groups)
    rows = [
        _row(
            "baseline_spending_weighted",
            wls.params["deep"],
            wls.bse["deep"],
            len(use),
            g,
            ci,
            excluded,
        ),
        _row("baseline_ppml", -ppml.params["deep"], ppml.bse["deep"], len(use), g, ci, excluded),
    ]
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)
