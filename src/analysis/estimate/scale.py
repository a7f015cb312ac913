"""Cost per beneficiary against size: binned ratios of totals by project and organization size, the
log-log elasticity clustered by organization, and the marginal cost it implies.

Size is chosen, not assigned: organizations decide how large a project (and how large themselves) to
be, with what they know about its costs. Every number here describes how cost per beneficiary varies
with size across projects and organizations, not what adding a beneficiary to a given project would
cost; the ``note`` column of each table says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import ParameterError
from analysis.estimate.bounds import costed_projects
from analysis.estimate.costs import estimate_cost_per_beneficiary
from analysis.estimate.models import EFFECT_COLUMNS, check_ci, clustered_ols, tidy_terms
from analysis.estimate.prices import to_constant_prices
from analysis.schema import require_columns

SIZES = ("project", "organization")
MEASURES = ("beneficiaries", "expenditure")

SIZE_COLUMNS = [
    "size",
    "measure",
    "group",
    "level",
    "bin",
    "bin_low",
    "bin_high",
    "estimate",
    "ci_low",
    "ci_high",
    "n_projects",
    "n_clusters",
    "total_expenditure_yuan",
    "total_beneficiaries",
    "price_basis",
    "ci_method",
    "note",
]

ELASTICITY_COLUMNS = [*EFFECT_COLUMNS, "unit", "size_measure", "inference", "price_basis", "note"]

CHOSEN = (
    "size is chosen, not assigned: organizations pick the size of a project and their own, so this "
    "describes how cost per beneficiary varies with size across projects, not the cost of adding "
    "beneficiaries to a given one"
)
CAVEATS = {
    "beneficiaries": (
        "beneficiaries are on both sides (cost per beneficiary = spending / beneficiaries): a project "
        "of given spending that happens to be cheap per person reaches more people, so the slope is "
        "negative even without economies of scale, and error in recorded beneficiaries biases it "
        "further towards -1 (division bias); the slope on spending is the check"
    ),
    "expenditure": (
        "spending is on both sides (cost per beneficiary = spending / beneficiaries): error in "
        "recorded spending biases the elasticity upwards"
    ),
}


def _measure_text(size: str, measure: str) -> str:
    """What size is measured in, with its unit."""
    unit = "spending (yuan)" if measure == "expenditure" else "beneficiaries (persons)"
    return f"project {unit}" if size == "project" else f"organization {unit} in the year"


def size_values(frame: pd.DataFrame, size: str, measure: str, cluster: str) -> pd.Series:
    """Each project's size: its own spending (yuan) or beneficiaries (persons) for
    ``size="project"``; its organization's total in the year over the rows of ``frame`` for
    ``size="organization"``."""
    column = "expenditure_yuan" if measure == "expenditure" else "beneficiaries"
    value = frame[column].astype(float)
    if size == "project":
        return value
    return value.groupby([frame[cluster], frame["year"]], observed=True).transform("sum")


def _check_common(data, by, size, measure, cluster, base_year, ci, person_times, extra=()):
    """Refuse bad shared options before any work, one line each."""
    require_columns(data, ["expenditure_yuan", "beneficiaries", "year", cluster, *by, *extra])
    sizes = [size] if isinstance(size, str) else list(size)
    bad = [s for s in sizes if s not in SIZES]
    if bad or not sizes:
        raise ParameterError(f"sizes must be among {list(SIZES)}, got {size!r}")
    if measure not in MEASURES:
        raise ParameterError(f"measure must be one of {list(MEASURES)}, got {measure!r}")
    if base_year is not None and not isinstance(base_year, int | np.integer):
        raise ParameterError(f"base_year must be a year (int) or None, got {base_year!r}")
    check_ci(ci)
    if person_times not in {"exclude", "include"}:
        raise ParameterError(f"person_times must be 'exclude' or 'include', got {person_times!r}")


def _sample(data, cluster, person_times, base_year) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-person sample in the table's own prices and in the requested prices (same rows)."""
    use = costed_projects(data, cluster=cluster, person_times=person_times)
    use = use[use["has_beneficiaries"]]
    if use.empty:
        raise ParameterError(
            f"no project with spending, beneficiaries and a known {cluster} to relate cost to size"
        )
    priced = use if base_year is None else to_constant_prices(use, int(base_year))
    return use, priced


def _size_bins(priced, size, measure, cluster, bins) -> tuple[pd.Series, np.ndarray]:
    """Each project's quantile bin 1..k of size (ties may merge bins) and the k + 1 edges: quantiles
    of projects for project size, of organization-years for organization size."""
    value = size_values(priced, size, measure, cluster)
    units = value
    if size == "organization":
        units = value.groupby([priced[cluster], priced["year"]], observed=True).first()
    _, edges = pd.qcut(units, q=bins, labels=False, retbins=True, duplicates="drop")
    codes = pd.cut(value, edges, labels=False, include_lowest=True)
    return codes.astype(int) + 1, edges


def _bin_rows(costs: pd.DataFrame, edges: np.ndarray, size: str, measure: str) -> pd.DataFrame:
    """The cost table's ratio-of-totals rows with the bin, its edges and the size labels."""
    t = costs[costs["estimator"] == "ratio_of_totals"].copy()
    parts = t["level"].str.rsplit("/", n=1)
    t["bin"] = parts.str[-1].astype(int)
    t["level"] = [p[0] if len(p) == 2 else "all" for p in parts]
    t["bin_low"] = edges[t["bin"] - 1]
    t["bin_high"] = edges[t["bin"]]
    t["size"], t["measure"] = size, measure
    t["group"] = t["group"].str.replace(r"\+?[a-z]+_size_bin$", "", regex=True).replace("", "all")
    return t


def cost_by_size(
    data: pd.DataFrame,
    *,
    sizes: tuple[str, ...] | str = SIZES,
    measure: str = "beneficiaries",
    bins: int = 5,
    by: list[str] | str | None = None,
    base_year: int | None = None,
    bootstrap_reps: int = 999,
    seed: int = 0,
    cluster: str = "org_name",
    ci: float = 0.95,
    person_times: str = "exclude",
) -> pd.DataFrame:
    """Cost per beneficiary (ratio of totals, yuan per person, organization-bootstrap interval) by
    size bin; one tidy table (columns ``SIZE_COLUMNS``).

    ``sizes``: "project" bins projects by their own size, "organization" by their organization's
    total in the year; ``measure``: size in beneficiaries (persons, the default) or spending
    (``"expenditure"``, yuan). Over the per-person sample (cluster known, spending and beneficiaries > 0,
    person-times rows left out unless ``person_times="include"``). Bins are ``bins`` quantile bins
    (quintiles by default) over the whole sample, of projects for project size and of organization-
    years for organization size; ties can merge bins. ``bin_low`` < size <= ``bin_high`` (the first
    bin includes its lower edge). ``by`` splits each bin further (e.g. "year"; edges stay pooled).
    The ratios come from :func:`analysis.estimate.costs.estimate_cost_per_beneficiary` with the bin
    as a group column (same sample, prices, bootstrap and seed).
    """
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    _check_common(data, by, sizes, measure, cluster, base_year, ci, person_times)
    for name, value, least in (("bins", bins, 2), ("bootstrap_reps", bootstrap_reps, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
            raise ParameterError(f"{name} must be an integer of at least {least}, got {value!r}")
    sizes = [sizes] if isinstance(sizes, str) else list(sizes)
    use, priced = _sample(data, cluster, person_times, base_year)
    parts = []
    for size in sizes:
        column = f"{size}_size_bin"
        codes, edges = _size_bins(priced, size, measure, cluster, bins)
        costs = estimate_cost_per_beneficiary(
            use.assign(**{column: codes}),
            by=[*by, column],
            base_year=base_year,
            bootstrap_reps=bootstrap_reps,
            seed=seed,
            ci=ci,
            cluster=cluster,
            person_times=person_times,
            estimators=("ratio_of_totals",),
        )
        parts.append(_bin_rows(costs, edges, size, _measure_text(size, measure)))
    out = pd.concat(parts, ignore_index=True).assign(note=f"{CHOSEN}; {CAVEATS[measure]}")
    return out.reindex(columns=SIZE_COLUMNS)


def _elasticity_sample(data, size, measure, cluster, person_times, base_year, fixed_effects):
    """The regression frame: log cost per beneficiary (log yuan per person), log size, the fixed
    effects as text and the cluster."""
    _, priced = _sample(data, cluster, person_times, base_year)
    frame = pd.DataFrame(
        {
            "log_cpb": np.log(priced["expenditure_yuan"] / priced["beneficiaries"].astype(float)),
            "log_size": np.log(size_values(priced, size, measure, cluster)),
            "expenditure_yuan": priced["expenditure_yuan"].astype(float),
            "beneficiaries": priced["beneficiaries"].astype(float),
            cluster: priced[cluster],
        }
    )
    for k, fe in enumerate(fixed_effects):
        frame[f"fe{k}"] = priced[fe].astype(str)
    return frame


def _scores(result, param: str) -> np.ndarray:
    """Per-cluster influence of coefficient ``param`` ((X'X)^-1 X_g' e_g), scaled by
    sqrt((N-1)/(N-K)) so that G/(G-1) * sum of squares is statsmodels' CR1 variance."""
    model = result.model
    bread = np.linalg.pinv(model.exog.T @ model.exog)[model.exog_names.index(param)]
    contrib = (model.exog @ bread) * result.resid.to_numpy(float)
    groups = result.cov_kwds["groups"]
    n, k = model.exog.shape
    return np.bincount(groups, contrib) * np.sqrt((n - 1) / (n - k))


def _marginal(theta: float, ratio: float, measure: str) -> tuple[float, np.ndarray]:
    """Marginal cost (yuan per additional person) from the elasticity and the ratio of totals, and
    its gradient in (elasticity, ratio): (1 + theta) R in beneficiaries, R / (1 - theta) in spending
    (an elasticity in spending theta is theta / (1 - theta) in beneficiaries)."""
    if measure == "beneficiaries":
        return (1 + theta) * ratio, np.array([ratio, 1 + theta])
    if theta >= 1:  # more spending reaches no more people: no finite marginal cost
        return np.nan, np.array([np.nan, np.nan])
    return ratio / (1 - theta), np.array([ratio / (1 - theta) ** 2, 1 / (1 - theta)])


def _delta_rows(result, frame, cluster, measure, ci) -> list[dict]:
    """The average cost (ratio of totals, linearization) and marginal cost (delta method) rows, from
    the joint cluster-robust covariance of (elasticity, ratio), t with G - 1 degrees of freedom."""
    groups = result.cov_kwds["groups"]
    s = np.bincount(groups, frame["expenditure_yuan"].to_numpy(float))
    b = np.bincount(groups, frame["beneficiaries"].to_numpy(float))
    g = len(s)
    ratio = s.sum() / b.sum()
    psi = np.column_stack([_scores(result, "log_size"), (s - ratio * b) / b.sum()])
    cov = g / (g - 1) * psi.T @ psi
    theta = float(result.params["log_size"])
    marginal, grad = _marginal(theta, ratio, measure)
    t = stats.t.ppf(1 - (1 - ci) / 2, g - 1)
    rows = []
    for term, est, se in (
        ("average_cost", ratio, np.sqrt(cov[1, 1])),
        ("marginal_cost", marginal, np.sqrt(grad @ cov @ grad)),
    ):
        rows.append(
            {
                "term": term,
                "estimate": est,
                "std_error": se,
                "ci_low": est - t * se,
                "ci_high": est + t * se,
                "p_value": np.nan,
                "unit": "yuan per person",
            }
        )
    return rows


def _fit_one(frame, size, measure, cluster, fixed_effects, ci) -> pd.DataFrame:
    """The rows of one size's model: elasticity, average cost and marginal cost."""
    effects = [f"fe{k}" for k in range(len(fixed_effects))]
    rhs = ["log_size", *(f"C({fe})" for fe in effects)]
    cols = ["log_cpb", "log_size", *effects, cluster]
    result, g = clustered_ols("log_cpb ~ " + " + ".join(rhs), frame[cols], cluster)
    model = f"scale_{size}"
    head = tidy_terms(result, model, {"log_size": "elasticity"}, g, ci).assign(
        unit="log points per log point of size"
    )
    rest = pd.DataFrame(_delta_rows(result, frame, cluster, measure, ci)).assign(
        model=model,
        n_obs=int(result.nobs),
        n_clusters=g,
        n_unknown_excluded=0,
        r_squared=float(result.rsquared),
    )
    out = pd.concat([head, rest], ignore_index=True)
    fe_text = ", ".join(fixed_effects) if fixed_effects else "none"
    out["size_measure"] = _measure_text(size, measure)
    out["inference"] = [
        f"CR1 clustered by {cluster} (G={g}), t(G-1); fixed effects: {fe_text}",
        f"linearization of the ratio of totals, clustered by {cluster} (G={g}), t(G-1)",
        f"delta method, joint CR1 covariance of elasticity and ratio by {cluster} (G={g}), t(G-1)",
    ]
    out["note"] = f"{CHOSEN}; {CAVEATS[measure]}"
    return out


def fit_scale_elasticity(
    data: pd.DataFrame,
    *,
    sizes: tuple[str, ...] | str = SIZES,
    measure: str | tuple[str, ...] = "beneficiaries",
    fixed_effects: tuple[str, ...] = ("year",),
    base_year: int | None = None,
    cluster: str = "org_name",
    ci: float = 0.95,
    person_times: str = "exclude",
) -> pd.DataFrame:
    """How cost per beneficiary scales with size, and the marginal cost implied; one tidy table
    (columns ``ELASTICITY_COLUMNS``: the regression table's, then unit, size measure, inference,
    price basis and note), three rows per size (model ``scale_project``, ``scale_organization``).

    On the per-person sample (as :func:`cost_by_size`), by OLS:
    log(s_i / b_i) = a + theta log(size_i) + fixed effects (``fixed_effects``: columns, "year" by
    default; add "sector") + e_i, size the project's own or its organization's total in the year,
    in beneficiaries (``measure``, the default) or spending (``"expenditure"``, yuan; a tuple of
    both gives both fits, one after the other). Errors clustered by ``cluster`` (CR1,
    statsmodels, t with G - 1 degrees of freedom, as the regional models).

    - ``elasticity``: theta, log points of cost per beneficiary per log point of size (-0.2: 10%
      larger, about 2% cheaper per person);
    - ``average_cost``: the ratio of totals R = sum s / sum b over the same sample (yuan per person);
    - ``marginal_cost``: yuan per additional person, (1 + theta) R for a size in beneficiaries (the
      beneficiary-weighted mean of each project's d spending / d beneficiaries under the fitted
      curve), R / (1 - theta) for a size in spending (empty when theta >= 1); delta-method interval
      from the joint cluster-robust covariance of theta and R.

    With beneficiaries as the size, the slope is negative even without economies of scale (a
    project of given spending that is cheap per person reaches more people); the slope on spending
    is the check (``note``).
    """
    if isinstance(measure, tuple | list) and measure:
        options = dict(sizes=sizes, fixed_effects=fixed_effects, base_year=base_year)
        options |= dict(cluster=cluster, ci=ci, person_times=person_times)
        parts = [fit_scale_elasticity(data, measure=m, **options) for m in measure]
        return pd.concat(parts, ignore_index=True)
    if not isinstance(fixed_effects, tuple | list) or len(set(fixed_effects)) != len(fixed_effects):
        raise ParameterError(
            f"fixed_effects must be a tuple of distinct columns, got {fixed_effects!r}"
        )
    _check_common(
        data, [], sizes, measure, cluster, base_year, ci, person_times, extra=fixed_effects
    )
    sizes = [sizes] if isinstance(sizes, str) else list(sizes)
    price_basis = "nominal yuan" if base_year is None else f"constant {base_year} yuan (CPI)"
    tables = []
    for size in sizes:
        frame = _elasticity_sample(
            data, size, measure, cluster, person_times, base_year, fixed_effects
        )
        tables.append(_fit_one(frame, size, measure, cluster, fixed_effects, ci))
    out = pd.concat(tables, ignore_index=True).assign(price_basis=price_basis)
    return out.reindex(columns=ELASTICITY_COLUMNS)
