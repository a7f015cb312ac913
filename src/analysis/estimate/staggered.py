"""The staggered exit (摘帽) of the 832 national poverty counties, 2016-2020: an event study of log cost
per beneficiary (log yuan per person) of projects in poverty counties around their county's exit year,
valid under staggered timing and effects that differ by cohort and grow with time since exit.

``fit_exit_event_study`` is Sun and Abraham's (2021) interaction-weighted estimator on repeated
cross-sections of projects: one least-squares fit with a dummy for every exit cohort e x event time
l = year - e (except the reference l = -1), county effects absorbed (the cohort is constant within a
county, so they also absorb cohort effects), year and sector effects estimated, and as controls the
projects in counties outside the 832 (``control="never"``) or the last cohort before it exits
(``control="last"``). Each cohort's effect is compared only with its own year before exit and with the
controls, never with cohorts already out, so the estimates are not contaminated by other cohorts'
effects. The effect at event time l is the average of the cohort effects observed there, weighted by
each cohort's share of the sample's projects at l; its variance is w'Vw with the weights taken as fixed
(as fixest's ``aggregate`` does). Errors clustered by county (the unit that exits) or prefecture: CR3
(leave-one-cluster-out jackknife) by default, or CR1 under the nested convention (county effects
nested in the clusters); t with G-1 degrees of freedom.

``fit_exit_twfe`` is the plain two-way-fixed-effects event study on the same data (event-time dummies
pooled over cohorts, every cohort in): the BIASED comparison, shown only to show the difference.
``fit_poverty_county_contrast`` is the baseline-like contrast of poverty counties with other counties.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import ParameterError
from analysis.estimate.absorbed import fit_absorbed
from analysis.estimate.models import (
    CONTROLS,
    EFFECT_COLUMNS,
    check_ci,
    clustered_ols,
    reference_row,
    tidy_terms,
)
from analysis.schema import MULTIPLE, require_columns

STAGGERED_COLUMNS = [
    "expenditure_yuan",
    "beneficiaries",
    "sector",
    "year",
    "province",
    "prefecture",
    "county",
    "poverty_county",
    "poverty_exit_year",
]


# Clustering choices: name -> the sample column holding the cluster key.
EXIT_CLUSTERS = {"county": "county_key", "prefecture": "prefecture_key"}


EXIT_CONTROLS = ("never", "last")


EXIT_ERRORS = ("cr1", "cr3")


def exit_sample(data: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """The projects the exit models use: single-province, positive spending and beneficiaries, poverty
    status known (a resolved county). Adds ``log_cpb`` (log yuan per person), ``county_key`` and
    ``prefecture_key`` (province|prefecture|county), ``cohort`` (exit year; 0 outside the 832) and
    ``event`` (year - cohort; missing outside the 832). Also returns the rows left out, by reason,
    counted in this order: ``multi_province``, ``non_positive_or_missing`` (spending or beneficiaries
    not positive, or missing), ``unknown_county`` (poverty status unknown), ``unknown_exit_year`` (a
    poverty county whose exit year is missing: never guessed, neither a control nor a cohort)."""
    require_columns(data, STAGGERED_COLUMNS, "data")
    multi = (data["province"] == MULTIPLE).to_numpy(dtype=bool)
    positive = ((data["expenditure_yuan"] > 0) & (data["beneficiaries"].fillna(0) > 0)).to_numpy(
        dtype=bool
    )
    unknown = data["poverty_county"].isna().to_numpy(dtype=bool)
    no_exit = (
        data["poverty_county"].fillna(False).astype(bool) & data["poverty_exit_year"].isna()
    ).to_numpy(dtype=bool)
    kept = ~multi & positive & ~unknown
    counts = {
        "multi_province": int(multi.sum()),
        "non_positive_or_missing": int((~multi & ~positive).sum()),
        "unknown_county": int((~multi & positive & unknown).sum()),
        "unknown_exit_year": int((kept & no_exit).sum()),
    }
    use = data[kept & ~no_exit].copy()
    use["log_cpb"] = np.log(use["expenditure_yuan"] / use["beneficiaries"].astype(float))
    prefecture = use["province"].astype(str) + "|" + use["prefecture"].astype(str)
    use["prefecture_key"] = prefecture
    use["county_key"] = prefecture + "|" + use["county"].astype(str)
    poor = use["poverty_county"].astype(bool)
    use["cohort"] = use["poverty_exit_year"].where(poor, 0).fillna(0).astype(int)
    use["year"] = use["year"].astype(int)
    use["event"] = (use["year"] - use["cohort"]).where(poor)
    use["sector"] = use["sector"].astype(str)
    return use, counts


def unknown_rows(counts: dict[str, int]) -> int:
    """The rows ``exit_sample`` left out for an unknown status (``n_unknown_excluded``): unknown county
    or a poverty county without its exit year."""
    return counts["unknown_county"] + counts["unknown_exit_year"]


def control_columns(sample: pd.DataFrame) -> list[str]:
    """Adds year dummies (every year but the first) and sector dummies (every sector but industry, or
    the first when there is no industry) to ``sample``; returns their names."""
    names = []
    years = sorted(sample["year"].unique())
    sectors = sorted(sample["sector"].unique())
    base = "industry" if "industry" in sectors else sectors[0]
    for y in years[1:]:
        sample[f"year_{y}"] = (sample["year"] == y).astype(float)
        names.append(f"year_{y}")
    for s in sectors:
        if s != base:
            sample[f"sector_{s}"] = (sample["sector"] == s).astype(float)
            names.append(f"sector_{s}")
    return names


def check_exit_options(reference: int, control: str, cluster: str, errors: str, ci) -> None:
    """Refuse an option outside its choices (one line each), before any work."""
    check_ci(ci)
    if isinstance(reference, bool) or not isinstance(reference, int | np.integer) or reference >= 0:
        raise ParameterError(
            f"reference must be a negative event time (e.g. -1), got {reference!r}"
        )
    if control not in EXIT_CONTROLS:
        raise ParameterError(f"control must be one of {list(EXIT_CONTROLS)}, got {control!r}")
    if cluster not in EXIT_CLUSTERS:
        raise ParameterError(f"cluster must be one of {list(EXIT_CLUSTERS)}, got {cluster!r}")
    if errors not in EXIT_ERRORS:
        raise ParameterError(f"errors must be one of {list(EXIT_ERRORS)}, got {errors!r}")


def iw_sample(sample: pd.DataFrame, reference: int, control: str) -> tuple[pd.DataFrame, list[int]]:
    """The rows of the interaction-weighted fit and its treated cohorts. A cohort enters when it has
    projects in its reference year (``reference`` years from exit); cohorts without any (2016 when the
    data start in 2016: out in every year observed; or a small cohort with no project that year) are
    left out. ``control="last"``: the last cohort is the
    control, the never-treated are left out, and so are the years from the last cohort's exit on."""
    at_reference = sample.loc[sample["event"] == reference, "cohort"].unique()
    cohorts = sorted(int(c) for c in at_reference if c > 0)
    if control == "last":
        if len(cohorts) < 2:
            raise ParameterError("control='last' needs at least two cohorts with a reference year")
        last = cohorts.pop()
        sample = sample[(sample["cohort"].isin(cohorts) | (sample["cohort"] == last))]
        sample = sample[sample["year"] < last].assign(
            cohort=lambda d: d["cohort"].where(d["cohort"] != last, 0)
        )
    else:
        sample = sample[sample["cohort"].isin(cohorts) | (sample["cohort"] == 0)]
    if not cohorts or not (sample["cohort"] == 0).any():
        raise ParameterError("the exit event study needs a treated cohort and control projects")
    return sample.copy(), cohorts


def exit_fit(sample: pd.DataFrame, regressors: list[str], cluster: str, errors: str):
    """The least-squares fit with county effects absorbed; with ``errors="cr3"`` also the jackknife,
    refused in one line when leaving one cluster out leaves a regressor without projects."""
    args = {"outcome": "log_cpb", "regressors": regressors, "absorb": "county_key"}
    fit = fit_absorbed(sample, **args, cluster=EXIT_CLUSTERS[cluster], cr3=False)
    if errors == "cr1":
        return fit
    try:
        return fit_absorbed(sample, **args, cluster=EXIT_CLUSTERS[cluster])
    except ParameterError:
        raise ParameterError(
            f"errors='cr3' needs each {cluster} left out in turn to leave every cohort x event time "
            "with projects, and one does not; use errors='cr1'"
        ) from None


def event_rows(
    fit, model: str, estimates: dict[int, tuple[float, float]], ci: float, excluded: int
) -> pd.DataFrame:
    """``EFFECT_COLUMNS`` rows ``exit:<l>`` from {event time: (estimate, variance)}, t with G-1
    degrees of freedom, in event-time order."""
    q = stats.t.ppf(0.5 + ci / 2, fit.n_clusters - 1)
    rows = []
    for event in sorted(estimates):
        est, var = estimates[event]
        se = float(np.sqrt(var))
        p = 2 * stats.t.sf(abs(est / se), fit.n_clusters - 1) if se > 0 else np.nan
        row = {"model": model, "term": f"exit:{event}", "estimate": est, "std_error": se}
        row |= {"ci_low": est - q * se, "ci_high": est + q * se, "p_value": p}
        row |= {"n_obs": fit.n_obs, "n_clusters": fit.n_clusters, "n_unknown_excluded": excluded}
        rows.append(row)
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def with_reference(rows: pd.DataFrame, model: str, reference: int, fit, excluded: int):
    """``rows`` with the reference event time shown as 0, in event-time order."""
    ref = reference_row(model, f"exit:{reference}", fit.n_obs, fit.n_clusters)
    ref["n_unknown_excluded"] = excluded
    out = pd.concat([rows, pd.DataFrame([ref])], ignore_index=True)
    order = out["term"].str.split(":").str[1].astype(int).argsort(kind="stable")
    return out.iloc[order].reset_index(drop=True)


def cohort_cells(sample: pd.DataFrame, cohorts: list[int], reference: int) -> dict[str, tuple]:
    """Adds one dummy per treated cohort x event time (except ``reference``) to ``sample``; returns
    {column: (cohort, event time)}."""
    cells = {}
    treated = sample["cohort"].isin(cohorts)
    pairs = (
        sample.loc[treated, ["cohort", "event"]].drop_duplicates().sort_values(["cohort", "event"])
    )
    for cohort, event in pairs.itertuples(index=False):
        if int(event) == reference:
            continue
        name = f"c{int(cohort)}_{'m' if event < 0 else 'e'}{abs(int(event))}"
        sample[name] = ((sample["cohort"] == cohort) & (sample["event"] == event)).astype(float)
        cells[name] = (int(cohort), int(event))
    return cells


def fit_exit_event_study(
    data: pd.DataFrame,
    *,
    reference: int = -1,
    control: str = "never",
    cluster: str = "county",
    errors: str = "cr3",
    ci: float = 0.95,
) -> pd.DataFrame:
    """The exit (摘帽) event study of log cost per beneficiary (log points), Sun-Abraham interaction
    weighted: model ``exit_event_study``, terms ``exit:<l>`` for event times l = year - exit year,
    ``exit:<reference>`` shown as 0. Rows left out: multi-province, non-positive spending or
    beneficiaries, unknown county (``n_unknown_excluded``), and cohorts without their reference year
    in the data (see :func:`iw_sample`). ``errors``: ``"cr3"`` (the default: the leave-one-cluster-out
    jackknife, which covers 0.925-0.965 on the demo's design, scripts/exit_coverage.py) or ``"cr1"``
    (nested convention; 0.915-0.955 there)."""
    check_exit_options(reference, control, cluster, errors, ci)
    sample, counts = exit_sample(data)
    sample, cohorts = iw_sample(sample, reference, control)
    cells = cohort_cells(sample, cohorts, reference)
    regressors = [*cells, *control_columns(sample)]
    fit = exit_fit(sample, regressors, cluster, errors)
    cov = fit.cov_cr1 if errors == "cr1" else fit.cov_cr3
    size = {name: sample[name].sum() for name in cells}
    estimates = {}
    for event in sorted({e for _, e in cells.values()}):
        w = np.zeros(len(regressors))
        for i, name in enumerate(cells):
            if cells[name][1] == event:
                w[i] = size[name]
        w /= w.sum()
        estimates[event] = (float(w @ fit.coef), float(w @ cov @ w))
    excluded = unknown_rows(counts)
    rows = event_rows(fit, "exit_event_study", estimates, ci, excluded)
    return with_reference(rows, "exit_event_study", reference, fit, excluded)


def exit_cohort_weights(data: pd.DataFrame, *, reference: int = -1, control: str = "never"):
    """The weights of the interaction-weighted estimate: for each event time, each cohort's share of
    the sample's projects there (columns event, cohort, projects, weight). The estimand at event time
    l is sum over cohorts of weight x the cohort's effect at l."""
    check_exit_options(reference, control, "county", "cr1", 0.95)
    sample, _ = exit_sample(data)
    sample, cohorts = iw_sample(sample, reference, control)
    treated = sample[sample["cohort"].isin(cohorts) & (sample["event"] != reference)]
    out = treated.groupby(["event", "cohort"]).size().rename("projects").reset_index()
    out["event"] = out["event"].astype(int)
    out["weight"] = out["projects"] / out.groupby("event")["projects"].transform("sum")
    return out


def fit_exit_twfe(
    data: pd.DataFrame,
    *,
    reference: int = -1,
    cluster: str = "county",
    errors: str = "cr3",
    ci: float = 0.95,
) -> pd.DataFrame:
    """The plain two-way-fixed-effects event study (BIASED under staggered exit with effects that
    differ by cohort or grow with time: each dummy mixes cohorts' effects at other event times, and
    cohorts already out serve as controls). Model ``exit_twfe``, terms ``exit:<l>``: one dummy per
    event time pooled over every cohort, county effects absorbed, year and sector effects, the same
    clusters and rows as :func:`fit_exit_event_study` but no cohort left out. For comparison only."""
    check_exit_options(reference, "never", cluster, errors, ci)
    sample, counts = exit_sample(data)
    events = sorted(int(e) for e in sample["event"].dropna().unique() if e != reference)
    names = []
    for event in events:
        sample[f"event_{event}"] = (sample["event"] == event).astype(float)
        names.append(f"event_{event}")
    regressors = [*names, *control_columns(sample)]
    fit = exit_fit(sample, regressors, cluster, errors)
    cov = fit.cov_cr1 if errors == "cr1" else fit.cov_cr3
    estimates = {e: (float(fit.coef[i]), float(cov[i, i])) for i, e in enumerate(events)}
    excluded = unknown_rows(counts)
    rows = event_rows(fit, "exit_twfe", estimates, ci, excluded)
    return with_reference(rows, "exit_twfe", reference, fit, excluded)


def fit_poverty_county_contrast(
    data: pd.DataFrame, *, cluster: str = "county", ci: float = 0.95
) -> pd.DataFrame:
    """Projects in the 832 national poverty counties against projects in other counties: log cost per
    beneficiary on ``poverty_county`` with sector and year effects (log points), errors clustered by
    county (the unit whose status it is) or prefecture, t with G-1 degrees of freedom. Model
    ``poverty_county_contrast``, term ``poverty_county``; rows of unknown county are left out and
    counted (``n_unknown_excluded``). A comparison of projects, not an effect: poverty counties overlap
    三区三州 and, after exit, carry the exit effects."""
    check_exit_options(-1, "never", cluster, "cr1", ci)
    sample, counts = exit_sample(data)
    sample["poor"] = (sample["cohort"] > 0).astype(int)
    result, n_clusters = clustered_ols(
        f"log_cpb ~ poor + {CONTROLS}", sample, EXIT_CLUSTERS[cluster]
    )
    return tidy_terms(
        result,
        "poverty_county_contrast",
        {"poor": "poverty_county"},
        n_clusters,
        ci,
        unknown_rows(counts),
    )
