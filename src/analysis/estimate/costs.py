"""Cost per beneficiary: ratio of totals (the headline), with a bootstrap over organizations.

The headline is the ratio of totals, sum of spending / sum of beneficiaries (yuan per person reached),
over projects with positive spending and beneficiaries. The mean and median of project ratios are shown
beside it as secondary estimators: they weight a 10,000-yuan project like a 100-million-yuan one, so
they answer a different question (the typical project, not what the money bought).

Projects of one organization are not independent, so intervals come from a bootstrap that resamples
organizations (clusters), vectorized: cluster totals are reweighted with multinomial counts, no frame
is copied in a loop.

The estimators are data: :data:`COST_ESTIMATORS` lists them, one entry each, in the order of the output.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.estimate.intervals import ratio_interval, ratio_interval_analytic
from analysis.estimate.prices import to_constant_prices, to_international_dollars
from analysis.schema import require_columns

COST_COLUMNS = [
    "group",
    "level",
    "estimator",
    "estimate",
    "ci_low",
    "ci_high",
    "n_projects",
    "total_expenditure_yuan",
    "total_beneficiaries",
    "price_basis",
    "denominator",
    "n_clusters",
    "ci_method",
    "delta_low",
    "delta_high",
    "fieller_low",
    "fieller_high",
]


_GROUPABLE = {"year", "sector", "province", "deep_poverty_area", "org_type", "joint_funded"}
_INTERVALS = {"bca", "percentile", "studentized"}
# ci_method of an estimator without a bootstrap interval
_NO_INTERVAL = "none (secondary estimator)"
_FEW_CLUSTERS = 10  # fewer organizations than this in a level: the headline warns


@dataclass(frozen=True)
class CostEstimator:
    """One cost estimator: one row of the cost table per group level.

    ``sample`` names the projects it uses and its denominator (the ``denominator`` column): "persons"
    (positive spending and beneficiaries, person-times left out unless asked), "households" (positive
    spending and registered poor households) or "projects" (non-negative spending). ``compute`` takes
    the run, the estimator, the level and the level's rows, and returns the row (a dict of
    ``COST_COLUMNS``). ``headline`` marks the headline (it warns when a level has few organizations),
    ``bootstrap`` whether ``ci_low``/``ci_high`` hold the organization-bootstrap interval (of a ratio
    of cluster totals; without it they are NaN), ``analytic`` whether the delta-method and Fieller
    columns are filled.
    """

    name: str
    sample: str
    compute: Callable[[CostRun, CostEstimator, str, pd.DataFrame], dict]
    headline: bool = False
    bootstrap: bool = True
    analytic: bool = False


@dataclass(frozen=True)
class CostRun:
    """What every row of one call shares: options, the seeded generator, labels."""

    cluster: str
    reps: int
    rng: np.random.Generator
    ci: float
    interval: str
    group_name: str
    price_basis: str
    notes: list[str] = field(default_factory=list)  # warnings for the caller, in order

    def base_row(self, est: CostEstimator, level: str, g: pd.DataFrame, n_clusters: int) -> dict:
        """The columns every estimator fills alike (totals in yuan and in ``_b`` units)."""
        return {
            "group": self.group_name,
            "level": level,
            "estimator": est.name,
            "n_projects": len(g),
            "total_expenditure_yuan": g["expenditure_yuan"].sum(),
            "total_beneficiaries": g["_b"].sum() if est.sample != "projects" else np.nan,
            "price_basis": self.price_basis,
            "denominator": est.sample,
            "n_clusters": n_clusters,
        }

    def ratio_row(
        self, est: CostEstimator, level: str, g: pd.DataFrame, num_col: str, den_col: str
    ) -> dict:
        """Row of sum(num_col)/sum(den_col) over organizations, with its intervals."""
        ct = g.groupby(self.cluster, observed=True)[[num_col, den_col]].sum()
        num, den = ct[num_col].to_numpy(float), ct[den_col].to_numpy(float)
        row = self.base_row(est, level, g, len(ct))
        row.update(estimate=num.sum() / den.sum(), **self.bootstrap_cols(est, num, den))
        if est.analytic:
            row.update(ratio_interval_analytic(num, den, ci=self.ci))
        return row

    def bootstrap_cols(self, est: CostEstimator, num, den) -> dict:
        """ci_low, ci_high and ci_method: the organization-bootstrap interval of
        sum(num)/sum(den) (cluster totals), or NaN for an estimator without one."""
        if not est.bootstrap:
            return {"ci_low": np.nan, "ci_high": np.nan, "ci_method": _NO_INTERVAL}
        lo, hi = ratio_interval(num, den, self.reps, self.rng, 1 - self.ci, self.interval)
        boot = f"{self.interval}, organization bootstrap, {self.reps} reps"
        return {"ci_low": lo, "ci_high": hi, "ci_method": boot if self.reps else "none"}


def _ratio_of_totals(run: CostRun, est: CostEstimator, level: str, g: pd.DataFrame) -> dict:
    """Sum of spending / sum of the sample's units (yuan per person, household or project)."""
    if est.headline:
        _warn_few_clusters(run, level, g)
    return run.ratio_row(est, level, g, "expenditure_yuan", "_b")


def _mean_of_ratios(run: CostRun, est: CostEstimator, level: str, g: pd.DataFrame) -> dict:
    """Mean of the project ratios (yuan per unit), as a ratio of totals of ratios over projects."""
    g = g.assign(_ratio=g["expenditure_yuan"] / g["_b"], _one=1.0)
    return run.ratio_row(est, level, g, "_ratio", "_one")


def _median_of_ratios(run: CostRun, est: CostEstimator, level: str, g: pd.DataFrame) -> dict:
    """Median of the project ratios (yuan per unit); no bootstrap interval (registered so)."""
    row = run.base_row(est, level, g, g.groupby(run.cluster, observed=True).ngroups)
    row.update(
        estimate=(g["expenditure_yuan"] / g["_b"]).median(), **run.bootstrap_cols(est, None, None)
    )
    return row


def _warn_few_clusters(run: CostRun, level: str, g: pd.DataFrame) -> None:
    """Note a warning for the caller when a level has fewer than _FEW_CLUSTERS organizations."""
    n = g[run.cluster].nunique()
    if n < _FEW_CLUSTERS:
        run.notes.append(
            f"cost per beneficiary for {run.group_name}={level}: only "
            f"{n} organizations, the interval is unreliable"
        )


# The cost estimators, in the order of their rows within a level of the output. To add one, write its
# compute function (run, estimator, level, rows) -> row dict, add one CostEstimator here and a test.
# Rows are computed sample by sample (persons, households, projects) and, within a sample, level by
# level in this order, which fixes how the seeded bootstrap draws are used.
COST_ESTIMATORS: tuple[CostEstimator, ...] = (
    CostEstimator("ratio_of_totals", "persons", _ratio_of_totals, headline=True, analytic=True),
    CostEstimator("ratio_of_totals_per_household", "households", _ratio_of_totals, analytic=True),
    CostEstimator("mean_of_ratios", "persons", _mean_of_ratios),
    CostEstimator("median_of_ratios", "persons", _median_of_ratios, bootstrap=False),
    CostEstimator("spending_per_project", "projects", _ratio_of_totals),
)
_SAMPLES = ("persons", "households", "projects")


def _check(data, by, base_year, bootstrap_reps, ci, cluster, person_times, interval):
    """Refuse bad options before any work, one line each, checked in a fixed order."""
    require_columns(data, ["expenditure_yuan", "beneficiaries", "year", cluster, *by])
    if not 0 < ci < 1:
        raise ParameterError(f"ci must be between 0 and 1, got {ci}")
    if not isinstance(bootstrap_reps, int | np.integer) or bootstrap_reps < 0:
        raise ParameterError(
            f"bootstrap_reps must be a non-negative integer, got {bootstrap_reps!r}"
        )
    if person_times not in {"exclude", "include"}:
        raise ParameterError(f"person_times must be 'exclude' or 'include', got {person_times!r}")
    if base_year is not None and not isinstance(base_year, int | np.integer):
        raise ParameterError(f"base_year must be a year (int) or None, got {base_year!r}")
    unknown = [b for b in by if b not in _GROUPABLE and b not in data.columns]
    if unknown:
        raise ParameterError(f"cannot group by {unknown}")
    if interval not in _INTERVALS:
        raise ParameterError(
            f"interval must be 'studentized', 'percentile' or 'bca', got {interval!r}"
        )


def _priced(data, base_year, ppp, price_order) -> tuple[pd.DataFrame, str]:
    """The table in the requested prices (nominal yuan, constant yuan, or international dollars)
    and its ``price_basis`` text."""
    if ppp is not None:
        return to_international_dollars(data, ppp, base_year=base_year, order=price_order)
    if base_year is None:
        return data, "nominal yuan"
    return to_constant_prices(data, int(base_year)), f"constant {int(base_year)} yuan (CPI)"


def _samples(df: pd.DataFrame, cluster: str, person_times: str) -> dict[str, pd.DataFrame]:
    """Rows of each sample with its denominator in ``_b`` (persons, households, or 1 per project)."""
    df = df[df[cluster].notna()]
    flags = df["flags"].fillna("") if "flags" in df.columns else pd.Series("", index=df.index)
    person_ok = ~flags.str.contains("person_times") if person_times == "exclude" else True
    spent = df["expenditure_yuan"] > 0
    persons = df[spent & (df["beneficiaries"].fillna(0) > 0) & person_ok]
    persons = persons.assign(_b=persons["beneficiaries"].astype(float))
    if "poor_households" in df.columns:
        households = df[spent & (df["poor_households"].fillna(0) > 0)]
        households = households.assign(_b=households["poor_households"].astype(float))
    else:
        households = persons.iloc[0:0]
    projects = df[df["expenditure_yuan"] >= 0].assign(_b=1.0)
    return {"persons": persons, "households": households, "projects": projects}


def _levels(frame: pd.DataFrame, by: list[str]) -> list[tuple[str, pd.DataFrame]]:
    """(level label, rows) per group, sorted; a missing value (三区三州 unknown) is a level of its
    own ("unknown"), never dropped."""
    if frame.empty:
        return []
    if not by:
        return [("all", frame)]
    return [
        (
            "/".join(
                "unknown" if pd.isna(k) else str(k)
                for k in (key if isinstance(key, tuple) else (key,))
            ),
            g,
        )
        for key, g in frame.groupby(by, observed=True, sort=True, dropna=False)
    ]


def _sample_rows(run: CostRun, sample: str, frame: pd.DataFrame, by: list[str]) -> list[dict]:
    """Rows of the estimators on one sample, level by level."""
    ests = [e for e in COST_ESTIMATORS if e.sample == sample]
    return [e.compute(run, e, level, g) for level, g in _levels(frame, by) for e in ests]


def _rows(run: CostRun, samples: dict[str, pd.DataFrame], by: list[str]) -> list[dict]:
    """Rows of every estimator, sample by sample (the order the bootstrap draws are used in)."""
    return [row for s in _SAMPLES for row in _sample_rows(run, s, samples[s], by)]


def _ordered(rows: list[dict]) -> pd.DataFrame:
    """The cost table, sorted by level and then by the estimators' order in COST_ESTIMATORS."""
    out = pd.DataFrame(rows, columns=COST_COLUMNS)
    order = {e.name: k for k, e in enumerate(COST_ESTIMATORS)}
    out = out.assign(_o=out["estimator"].map(order)).sort_values(["level", "_o"], kind="stable")
    return out.drop(columns="_o").reset_index(drop=True)


def estimate_cost_per_beneficiary(
    data: pd.DataFrame,
    *,
    by: list[str] | str | None = None,
    base_year: int | None = None,
    bootstrap_reps: int = 999,
    seed: int = 0,
    ci: float = 0.95,
    interval: str = "percentile",
    cluster: str = "org_name",
    person_times: str = "exclude",
    ppp: pd.DataFrame | None = None,
    price_order: str = "deflate_then_convert",
) -> pd.DataFrame:
    """Cost per beneficiary by group, as one tidy table (columns ``COST_COLUMNS``).

    Parameters
    ----------
    data : the canonical project table (docs/data.md).
    by : column(s) to group by (year, sector, province, deep_poverty_area, org_type, or a user column);
        None gives one national row.
    base_year : None for nominal yuan (each year's own prices); a year for constant yuan of that year
        (CPI; the table's ``price_basis`` says which).
    bootstrap_reps : organization-bootstrap replicates for the interval (0: no bootstrap interval).
    seed : seed of the bootstrap.
    ci : coverage of the intervals.
    interval : "percentile" (the default), "bca" (bias-corrected and accelerated) or "studentized"
        (bootstrap-t with the linearization standard error) bootstrap interval
        in ``ci_low``/``ci_high``; delta-method and Fieller intervals are in their own columns.
    cluster : the resampling unit (organizations by default).
    person_times : rows whose beneficiaries are person-times (flag ``person_times``) are excluded from
        the per-person estimators by default; "include" keeps them.
    ppp, price_order : a PPP table to report international dollars instead of yuan, and the order of
        deflation and conversion (see :func:`to_international_dollars`); written into ``price_basis``.

    Estimators (``estimator`` column, listed in :data:`COST_ESTIMATORS`): ``ratio_of_totals``
    (headline, yuan per person), ``ratio_of_totals_per_household`` (yuan per registered poor
    household), ``mean_of_ratios`` and ``median_of_ratios`` (secondary), ``spending_per_project``
    (yuan per project).
    """
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    _check(data, by, base_year, bootstrap_reps, ci, cluster, person_times, interval)
    df, price_basis = _priced(data, base_year, ppp, price_order)
    run = CostRun(
        cluster=cluster,
        reps=bootstrap_reps,
        rng=np.random.default_rng(seed),
        ci=ci,
        interval=interval,
        group_name="+".join(by) if by else "all",
        price_basis=price_basis,
    )
    rows = _rows(run, _samples(df, cluster, person_times), by)
    for note in run.notes:
        warnings.warn(note, stacklevel=2)
    return _ordered(rows)


def cost_tables(
    data: pd.DataFrame,
    *,
    base_year: int,
    bootstrap_reps: int = 999,
    seed: int = 0,
    interval: str = "percentile",
    cluster: str = "org_name",
) -> pd.DataFrame:
    """The standard cost table of a run (tables/cost_per_beneficiary.csv): by year, by year and sector,
    and by year and 三区三州, in nominal yuan and in constant yuan of ``base_year``; then by sector and by
    三区三州 over all years in constant yuan. Each call gets its own seed (seed, seed+1, ...)."""
    specs = [
        (by, base)
        for by in (["year"], ["year", "sector"], ["year", "deep_poverty_area"])
        for base in (None, base_year)
    ]
    specs += [(["sector"], base_year), (["deep_poverty_area"], base_year)]
    from tqdm import tqdm  # a bar on a terminal only (disable=None): rendered notebooks stay stable

    parts = []
    for k, (by, base) in enumerate(
        tqdm(specs, desc="cost tables", delay=2, leave=False, disable=None)
    ):
        parts.append(
            estimate_cost_per_beneficiary(
                data,
                by=by,
                base_year=base,
                cluster=cluster,
                bootstrap_reps=bootstrap_reps,
                seed=seed + k,
                interval=interval,
            )
        )
    return pd.concat(parts, ignore_index=True)
