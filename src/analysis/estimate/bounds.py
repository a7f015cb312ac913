"""Projects with spending but no recorded beneficiaries: how much money they hold, and bounds for the
cost per beneficiary over all projects under stated assumptions about what they reached.

The headline ratio of totals (:func:`analysis.estimate.costs.estimate_cost_per_beneficiary`) leaves
out projects whose beneficiaries are missing or zero. Their spending is real; what it bought is not
recorded. :func:`missing_beneficiary_bounds` gives, per group level, the share of spending and of
projects without beneficiaries, the headline on the observed projects, and the ratio over all projects
when the missing projects' cost per beneficiary lies at a low and a high percentile of the observed
projects' ratios (imputed beneficiaries = spending / that ratio), and the worst cases (the missing
projects reached nobody: the upper bound; they reached any number: no lower bound but 0). Each number
has an organization-bootstrap interval, each from its own random stream (:func:`analysis.estimate.intervals.keyed_generator`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.estimate.costs import cost_base_sample
from analysis.estimate.intervals import keyed_generator
from analysis.estimate.prices import to_constant_prices
from analysis.schema import require_columns

BOUNDS_COLUMNS = [
    "group",
    "level",
    "quantity",
    "unit",
    "assumption",
    "estimate",
    "low",
    "high",
    "ci_low",
    "ci_high",
    "assumed_ratio",
    "n_projects",
    "n_missing",
    "n_clusters",
    "total_expenditure_yuan",
    "missing_expenditure_yuan",
    "price_basis",
    "ci_method",
    "note",
]

_SHARE, _YUAN = "share", "yuan per person"
_NOT_BOUNDED = (
    "not bounded: the missing projects may have reached any number of people, so the ratio can be "
    "as low as 0"
)
_FEW_CLUSTERS = 10
_CHUNK = 128  # bootstrap replicates evaluated at once (memory: chunk x projects weights)


def costed_projects(
    data: pd.DataFrame, *, cluster: str = "org_name", person_times: str = "exclude"
) -> pd.DataFrame:
    """The rows the per-person cost estimators start from, before the beneficiary condition: cluster
    known, ``expenditure_yuan`` > 0, rows flagged ``person_times`` left out (unless ``person_times`` is
    "include"), as in :func:`analysis.estimate.costs.estimate_cost_per_beneficiary`. Adds
    ``has_beneficiaries`` (beneficiaries recorded and > 0)."""
    df = cost_base_sample(data, cluster=cluster, person_times=person_times)
    return df.assign(has_beneficiaries=(df["beneficiaries"].fillna(0) > 0).to_numpy(bool))


@dataclass(frozen=True)
class LevelTotals:
    """One group level as cluster totals (yuan, persons, projects) and the observed projects' ratios
    (yuan per person, sorted) with the cluster index of each, for weighted resampling."""

    s_all: np.ndarray
    s_mis: np.ndarray
    b_obs: np.ndarray
    n_all: np.ndarray
    n_mis: np.ndarray
    ratios: np.ndarray
    ratio_cluster: np.ndarray

    @classmethod
    def of(cls, g: pd.DataFrame, cluster: str) -> LevelTotals:
        """Totals of the rows ``g`` of :func:`costed_projects` by ``cluster``."""
        codes, _ = pd.factorize(g[cluster], sort=True)
        n = codes.max() + 1
        obs = g["has_beneficiaries"].to_numpy(bool)
        s = g["expenditure_yuan"].to_numpy(float)
        b = np.where(obs, g["beneficiaries"].astype(float).fillna(0).to_numpy(float), 0.0)
        ratio = s[obs] / b[obs]
        order = np.argsort(ratio, kind="stable")
        return cls(
            s_all=np.bincount(codes, s, n),
            s_mis=np.bincount(codes, np.where(obs, 0.0, s), n),
            b_obs=np.bincount(codes, b, n),
            n_all=np.bincount(codes, minlength=n).astype(float),
            n_mis=np.bincount(codes, (~obs).astype(float), n),
            ratios=ratio[order],
            ratio_cluster=codes[obs][order],
        )

    def quantile(self, w: np.ndarray, p: float) -> np.ndarray:
        """The ``p`` quantile of the observed project ratios in each row of cluster weights ``w``
        (replicates x clusters): the smallest ratio whose weighted share at or below it reaches ``p``
        (the inverted empirical distribution, numpy's ``inverted_cdf``); NaN without observed
        projects."""
        if len(self.ratios) == 0:
            return np.full(len(w), np.nan)
        cum = np.cumsum(w[:, self.ratio_cluster], axis=1)
        total = cum[:, -1]
        idx = np.minimum((cum < p * total[:, None]).sum(axis=1), len(self.ratios) - 1)
        return np.where(total > 0, self.ratios[idx], np.nan)

    def imputed_ratio(self, w: np.ndarray, p: float) -> np.ndarray:
        """Spending / beneficiaries over all projects, the missing ones at the ``p`` quantile ratio."""
        s_mis = w @ self.s_mis
        with np.errstate(divide="ignore", invalid="ignore"):
            imputed = np.where(s_mis > 0, s_mis / self.quantile(w, p), 0.0)
            return (w @ self.s_all) / (w @ self.b_obs + imputed)


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return a / b


@dataclass(frozen=True)
class Quantity:
    """One row kind of the bounds table: its name, unit, assumption text (``{lo}``/``{hi}``: the
    percentiles) and its value for rows of cluster weights (replicates x clusters)."""

    name: str
    unit: str
    assumption: str
    value: Callable[[LevelTotals, np.ndarray, tuple[float, float]], np.ndarray]


# The point quantities, in the order of their rows; each gets its own bootstrap stream.
QUANTITIES: tuple[Quantity, ...] = (
    Quantity(
        "share_spending_missing",
        _SHARE,
        "spending of projects without beneficiaries / all spending",
        lambda t, w, q: _div(w @ t.s_mis, w @ t.s_all),
    ),
    Quantity(
        "share_projects_missing",
        _SHARE,
        "projects without beneficiaries / all projects",
        lambda t, w, q: _div(w @ t.n_mis, w @ t.n_all),
    ),
    Quantity(
        "ratio_observed",
        _YUAN,
        "projects with beneficiaries only (the headline ratio of totals)",
        lambda t, w, q: _div(w @ (t.s_all - t.s_mis), w @ t.b_obs),
    ),
    Quantity(
        "bound_low",
        _YUAN,
        "missing projects at the {lo} percentile of observed project ratios",
        lambda t, w, q: t.imputed_ratio(w, q[0]),
    ),
    Quantity(
        "bound_high",
        _YUAN,
        "missing projects at the {hi} percentile of observed project ratios",
        lambda t, w, q: t.imputed_ratio(w, q[1]),
    ),
    Quantity(
        "worst_case_high",
        _YUAN,
        "missing projects reached nobody: all spending / observed beneficiaries",
        lambda t, w, q: _div(w @ t.s_all, w @ t.b_obs),
    ),
)


def _percent(p: float) -> str:
    """0.05 -> '5th', 0.95 -> '95th', 0.025 -> '2.5th'."""
    return f"{100 * p:g}th"


@dataclass(frozen=True)
class BoundsRun:
    """What every level of one call shares: options and labels."""

    quantiles: tuple[float, float]
    reps: int
    seed: int
    ci: float
    cluster: str
    group_name: str
    price_basis: str

    def interval(self, q: Quantity, t: LevelTotals, level: str) -> tuple[float, float]:
        """Percentile interval of ``q`` from ``reps`` organization-bootstrap replicates drawn from
        the stream keyed by (quantity, group, level); NaN without replicates or below 2 clusters."""
        g = len(t.s_all)
        if self.reps == 0 or g < 2:
            return np.nan, np.nan
        rng = keyed_generator(self.seed, q.name, self.group_name, level)
        draws = np.empty(self.reps)
        for start in range(0, self.reps, _CHUNK):
            m = min(_CHUNK, self.reps - start)
            w = rng.multinomial(g, np.full(g, 1.0 / g), size=m).astype(float)
            draws[start : start + m] = q.value(t, w, self.quantiles)
        draws = draws[np.isfinite(draws)]
        if len(draws) == 0:
            return np.nan, np.nan
        a = (1 - self.ci) / 2
        lo, hi = np.quantile(draws, [a, 1 - a])
        return float(lo), float(hi)

    def ci_method(self) -> str:
        if self.reps == 0:
            return "none"
        return f"percentile, organization bootstrap, {self.reps} reps"


def _check(data, by, quantiles, bootstrap_reps, seed, cluster, ci, person_times, base_year):
    """Refuse bad options before any work, one line each."""
    require_columns(data, ["expenditure_yuan", "beneficiaries", "year", cluster, *by])
    q = tuple(quantiles) if isinstance(quantiles, tuple | list) else ()
    if len(q) != 2 or not all(isinstance(x, float | int) for x in q) or not 0 < q[0] < q[1] < 1:
        raise ParameterError(f"quantiles must be two numbers 0 < low < high < 1, got {quantiles!r}")
    if isinstance(bootstrap_reps, bool) or not isinstance(bootstrap_reps, int | np.integer):
        raise ParameterError(
            f"bootstrap_reps must be a non-negative integer, got {bootstrap_reps!r}"
        )
    if bootstrap_reps < 0:
        raise ParameterError(
            f"bootstrap_reps must be a non-negative integer, got {bootstrap_reps!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    if not 0 < ci < 1:
        raise ParameterError(f"ci must be between 0 and 1, got {ci}")
    if person_times not in {"exclude", "include"}:
        raise ParameterError(f"person_times must be 'exclude' or 'include', got {person_times!r}")
    if base_year is not None and not isinstance(base_year, int | np.integer):
        raise ParameterError(f"base_year must be a year (int) or None, got {base_year!r}")


def group_levels(frame: pd.DataFrame, by: list[str]) -> list[tuple[str, pd.DataFrame]]:
    """(level label, rows) per group, sorted, labelled as the cost table labels them (values joined
    by "/", a missing value as "unknown"); one level "all" without ``by``."""
    if frame.empty:
        return []
    if not by:
        return [("all", frame)]
    out = []
    for key, g in frame.groupby(by, observed=True, sort=True, dropna=False):
        parts = key if isinstance(key, tuple) else (key,)
        out.append(("/".join("unknown" if pd.isna(k) else str(k) for k in parts), g))
    return out


def _level_rows(run: BoundsRun, level: str, g: pd.DataFrame) -> list[dict]:
    """The rows of one level: the point quantities, then the two bound sets."""
    t = LevelTotals.of(g, run.cluster)
    ones = np.ones((1, len(t.s_all)))
    lo, hi = (_percent(p) for p in run.quantiles)
    notes = []
    if len(t.s_all) < _FEW_CLUSTERS:
        notes.append(f"only {len(t.s_all)} organizations: the intervals are unreliable")
    if t.n_mis.sum() == 0:
        notes.append("no projects without beneficiaries: every bound equals the observed ratio")
    if len(t.ratios) == 0:
        notes.append("no project with beneficiaries: no ratio")
    common = {
        "group": run.group_name,
        "level": level,
        "n_projects": int(t.n_all.sum()),
        "n_missing": int(t.n_mis.sum()),
        "n_clusters": len(t.s_all),
        "total_expenditure_yuan": float(t.s_all.sum()),
        "missing_expenditure_yuan": float(t.s_mis.sum()),
        "price_basis": run.price_basis,
        "ci_method": run.ci_method(),
        "note": "; ".join(notes),
    }
    rows = {}
    for q in QUANTITIES:
        ci_low, ci_high = run.interval(q, t, level)
        rows[q.name] = {
            **common,
            "quantity": q.name,
            "unit": q.unit,
            "assumption": q.assumption.format(lo=lo, hi=hi),
            "estimate": float(q.value(t, ones, run.quantiles)[0]),
            "ci_low": ci_low,
            "ci_high": ci_high,
        }
    for name, p in zip(("bound_low", "bound_high"), run.quantiles, strict=True):
        rows[name]["assumed_ratio"] = float(t.quantile(ones, p)[0])
    return _with_sets(rows, common, lo, hi)


def _with_sets(rows: dict[str, dict], common: dict, lo: str, hi: str) -> list[dict]:
    """The level's rows in table order, with the two sets: the percentile bounds and the worst case
    (low and high ends; the interval from the low end's lower and the high end's upper limit)."""
    low, high, worst = rows["bound_low"], rows["bound_high"], rows["worst_case_high"]
    bounds = {
        **common,
        "quantity": "bounds",
        "unit": _YUAN,
        "assumption": f"missing projects between the {lo} and {hi} percentile of observed ratios",
        "low": low["estimate"],
        "high": high["estimate"],
        "ci_low": low["ci_low"],
        "ci_high": high["ci_high"],
    }
    worst_low = {
        **common,
        "quantity": "worst_case_low",
        "unit": _YUAN,
        "assumption": "missing projects reached any number of people",
        "ci_method": "none",
        "note": "; ".join(x for x in (_NOT_BOUNDED, common["note"]) if x),
    }
    worst_set = {
        **worst_low,
        "quantity": "worst_case_bounds",
        "assumption": "missing projects reached anywhere from nobody to any number of people",
        "high": worst["estimate"],
        "ci_high": worst["ci_high"],
        "ci_method": common["ci_method"],
    }
    return [
        *(rows[q.name] for q in QUANTITIES[:5]),
        bounds,
        worst_low,
        worst,
        worst_set,
    ]


def missing_beneficiary_bounds(
    data: pd.DataFrame,
    *,
    by: list[str] | str | None = None,
    quantiles: tuple[float, float] = (0.05, 0.95),
    bootstrap_reps: int = 999,
    seed: int = 0,
    cluster: str = "org_name",
    ci: float = 0.95,
    person_times: str = "exclude",
    base_year: int | None = None,
) -> pd.DataFrame:
    """Projects with spending but no beneficiaries, and bounds for the cost per beneficiary over all
    projects, by group; one tidy table (columns ``BOUNDS_COLUMNS``), nine rows per level.

    Sample: the cost estimator's (:func:`costed_projects`: cluster known, spending > 0, person-times
    rows left out unless ``person_times="include"``); a project is *missing* when its beneficiaries are
    missing or 0. ``quantity`` rows, per level (yuan per person unless a share):

    - ``share_spending_missing``, ``share_projects_missing``: shares of the level's spending and
      projects without beneficiaries;
    - ``ratio_observed``: the headline, spending / beneficiaries of the projects with beneficiaries;
    - ``bound_low``, ``bound_high``: spending of all projects / (observed beneficiaries + each missing
      project's spending / r), with r the ``quantiles`` (default 5th and 95th) percentile of the level's
      observed project ratios (each project counting once; r in ``assumed_ratio``);
    - ``bounds``: the set [bound_low, bound_high] in ``low``/``high``, its interval the lower bound's
      lower limit and the upper bound's upper limit;
    - ``worst_case_low``: empty, "not bounded" (the missing projects may have reached any number);
    - ``worst_case_high``: all spending / observed beneficiaries (the missing projects reached nobody);
    - ``worst_case_bounds``: the worst-case set, no lower end, the high end and its upper limit.

    Intervals (``ci_low``/``ci_high``): percentile, ``bootstrap_reps`` replicates resampling
    ``cluster`` (organizations), the quantile r re-estimated in every replicate; each (quantity, group,
    level) draws from its own stream spawned from ``seed`` (:func:`analysis.estimate.intervals.keyed_generator`), so a level's numbers
    do not depend on which other levels are in the call. ``base_year``: constant yuan of that year (CPI)
    instead of nominal yuan.
    """
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    _check(data, by, quantiles, bootstrap_reps, seed, cluster, ci, person_times, base_year)
    if base_year is None:
        price_basis = "nominal yuan"
    else:
        data, price_basis = (
            to_constant_prices(data, int(base_year)),
            f"constant {base_year} yuan (CPI)",
        )
    run = BoundsRun(
        quantiles=(float(quantiles[0]), float(quantiles[1])),
        reps=int(bootstrap_reps),
        seed=int(seed),
        ci=float(ci),
        cluster=cluster,
        group_name="+".join(by) if by else "all",
        price_basis=price_basis,
    )
    sample = costed_projects(data, cluster=cluster, person_times=person_times)
    rows = [r for level, g in group_levels(sample, by) for r in _level_rows(run, level, g)]
    return pd.DataFrame(rows, columns=BOUNDS_COLUMNS)
