"""Cost per beneficiary: ratio of totals (the headline), with a bootstrap over organizations.

The headline is the ratio of totals, sum of spending / sum of beneficiaries (yuan per person reached),
over projects with positive spending and beneficiaries. The mean and median of project ratios are shown
beside it as secondary estimators: they weight a 10,000-yuan project like a 100-million-yuan one, so
they answer a different question (the typical project, not what the money bought). Any other numeric
outcome column (households lifted out of poverty, students enrolled, ...) can take the beneficiaries'
place as the denominator of those three (``outcome=``).

Every denominator uses one base sample (:func:`cost_base_sample`: organization known, positive spending,
person-times rows left out unless asked) and then keeps the rows where its own count is positive.

Projects of one organization are not independent, so intervals come from a bootstrap that resamples
organizations (clusters), vectorized: cluster totals are reweighted with multinomial counts, no frame
is copied in a loop. Each (estimator, group, level) draws from its own random stream spawned from the
seed (:func:`analysis.estimate.intervals.keyed_generator`), so a level's interval does not depend on
which other groups or levels the call estimates.

The estimators are data: :data:`COST_ESTIMATORS` lists them, one entry each, in the order of the output.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.estimate.intervals import keyed_generator, ratio_interval, ratio_interval_analytic
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
    "ratio_bounded",
]

NOMINAL_BASIS = "nominal yuan"  # price_basis of a table in each year's own prices


def constant_yuan_basis(base_year: int) -> str:
    """The ``price_basis`` text of constant yuan of ``base_year`` (deflated with the shipped CPI)."""
    return f"constant {int(base_year)} yuan (CPI)"


def constant_yuan_year(price_basis: str) -> int | None:
    """The base year of a :func:`constant_yuan_basis` text, or None for any other price basis."""
    words = str(price_basis).split(" ", 2)
    if len(words) == 3 and words[1].isdigit() and price_basis == constant_yuan_basis(int(words[1])):
        return int(words[1])
    return None


_GROUPABLE = {"year", "sector", "province", "deep_poverty_area", "org_type", "joint_funded"}
_INTERVALS = {"bca", "percentile", "studentized"}
# ci_method of an estimator without a bootstrap interval
_NO_INTERVAL = "none (secondary estimator)"
_FEW_CLUSTERS = 10  # fewer organizations than this in a level: the headline warns


@dataclass(frozen=True)
class CostEstimator:
    """One cost estimator: one row of the cost table per group level.

    ``sample`` names its denominator: "persons" (the outcome column, beneficiaries by default; the
    ``denominator`` column says "persons" or the outcome's name), "households" (registered poor
    households) or "projects" (1 per project); each sample is the base sample (:func:`cost_base_sample`)
    where its denominator is positive. ``compute`` takes the run, the estimator, the level and the
    level's rows, and returns the row (a dict of ``COST_COLUMNS``). ``headline`` marks the headline (it warns when a level has few organizations),
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
    """What every row of one call shares: options, the seed, labels."""

    cluster: str
    reps: int
    seed: int
    ci: float
    interval: str
    group_name: str
    price_basis: str
    outcome_label: str = "persons"  # the denominator column's text for the "persons" sample
    estimators: tuple[str, ...] = ()  # the estimators computed (names); empty: all
    notes: list[str] = field(default_factory=list)  # warnings for the caller, in order

    def rng(self, est: CostEstimator, level: str) -> np.random.Generator:
        """The random stream of one (estimator, group, level), spawned from the seed: the same
        whatever else the call estimates, and independent of the denominator's column name."""
        return keyed_generator(self.seed, est.name, self.group_name, level)

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
            "denominator": self.outcome_label if est.sample == "persons" else est.sample,
            "n_clusters": n_clusters,
            "ratio_bounded": pd.NA,
        }

    def ratio_row(
        self, est: CostEstimator, level: str, g: pd.DataFrame, num_col: str, den_col: str
    ) -> dict:
        """Row of sum(num_col)/sum(den_col) over organizations, with its intervals."""
        ct = g.groupby(self.cluster, observed=True)[[num_col, den_col]].sum()
        num, den = ct[num_col].to_numpy(float), ct[den_col].to_numpy(float)
        row = self.base_row(est, level, g, len(ct))
        row.update(estimate=num.sum() / den.sum(), **self.bootstrap_cols(est, level, num, den))
        if est.analytic:
            row.update(analytic_cols(num, den, self.ci))
        return row

    def bootstrap_cols(self, est: CostEstimator, level: str, num, den) -> dict:
        """ci_low, ci_high and ci_method: the organization-bootstrap interval of
        sum(num)/sum(den) (cluster totals), or NaN for an estimator without one."""
        if not est.bootstrap:
            return {"ci_low": np.nan, "ci_high": np.nan, "ci_method": _NO_INTERVAL}
        rng = self.rng(est, level)
        lo, hi = ratio_interval(num, den, self.reps, rng, 1 - self.ci, self.interval)
        boot = f"{self.interval}, organization bootstrap, {self.reps} reps"
        return {"ci_low": lo, "ci_high": hi, "ci_method": boot if self.reps else "none"}


def analytic_cols(num: np.ndarray, den: np.ndarray, ci: float) -> dict:
    """Delta-method and Fieller intervals and ``ratio_bounded``; where Fieller's set is unbounded
    (the denominator is not clearly away from zero) the delta interval is hidden (NaN) too: it is
    finite there only because it ignores that the ratio may be unbounded."""
    out = ratio_interval_analytic(num, den, ci=ci)
    bounded = out.pop("ratio_bounded")
    if bounded is False:
        out.update(delta_low=np.nan, delta_high=np.nan)
    return {**out, "ratio_bounded": pd.NA if bounded is None else bounded}


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
        estimate=(g["expenditure_yuan"] / g["_b"]).median(),
        **run.bootstrap_cols(est, level, None, None),
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
# Each row draws from its own stream (estimator name, group, level), so the order rows are computed in
# does not change any interval.
COST_ESTIMATORS: tuple[CostEstimator, ...] = (
    CostEstimator("ratio_of_totals", "persons", _ratio_of_totals, headline=True, analytic=True),
    CostEstimator("ratio_of_totals_per_household", "households", _ratio_of_totals, analytic=True),
    CostEstimator("mean_of_ratios", "persons", _mean_of_ratios),
    CostEstimator("median_of_ratios", "persons", _median_of_ratios, bootstrap=False),
    CostEstimator("spending_per_project", "projects", _ratio_of_totals),
)
_SAMPLES = ("persons", "households", "projects")


def _check_options(bootstrap_reps, seed, ci, person_times, interval) -> None:
    """Refuse bad numeric and named options, one line each."""
    if not 0 < ci < 1:
        raise ParameterError(f"ci must be between 0 and 1, got {ci}")
    if not isinstance(bootstrap_reps, int | np.integer) or bootstrap_reps < 0:
        raise ParameterError(
            f"bootstrap_reps must be a non-negative integer, got {bootstrap_reps!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    if person_times not in {"exclude", "include"}:
        raise ParameterError(f"person_times must be 'exclude' or 'include', got {person_times!r}")
    if interval not in _INTERVALS:
        raise ParameterError(
            f"interval must be 'studentized', 'percentile' or 'bca', got {interval!r}"
        )


def _check_outcome(data: pd.DataFrame, outcome) -> None:
    """The outcome must name a numeric (not boolean) column of the data."""
    if not isinstance(outcome, str) or outcome not in data.columns:
        raise ParameterError(f"outcome column {outcome!r} is not in the data")
    dtype = data[outcome].dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        raise ParameterError(f"outcome column {outcome!r} must be numeric counts, got {dtype}")


def _check_prices(base_year, ppp, price_basis) -> None:
    """A base year is a year; a caller's price_basis text only for data not priced here."""
    if base_year is not None and not isinstance(base_year, int | np.integer):
        raise ParameterError(f"base_year must be a year (int) or None, got {base_year!r}")
    if price_basis is None:
        return
    if not isinstance(price_basis, str) or not price_basis.strip():
        raise ParameterError(f"price_basis must be a non-empty text or None, got {price_basis!r}")
    if base_year is not None or ppp is not None:
        raise ParameterError(
            "price_basis is for data the caller already priced: give it with base_year=None "
            "and ppp=None"
        )


def _check(data, by, o: dict) -> None:
    """Refuse bad options before any work, one line each, checked in a fixed order."""
    require_columns(data, ["expenditure_yuan", "year", o["cluster"], *by])
    _check_outcome(data, o["outcome"])
    _check_options(o["bootstrap_reps"], o["seed"], o["ci"], o["person_times"], o["interval"])
    _check_prices(o["base_year"], o["ppp"], o["price_basis"])
    unknown = [b for b in by if b not in _GROUPABLE and b not in data.columns]
    if unknown:
        raise ParameterError(f"cannot group by {unknown}")
    names = {e.name for e in COST_ESTIMATORS}
    if o["estimators"] is not None and (
        isinstance(o["estimators"], str) or not set(o["estimators"]) <= names
    ):
        raise ParameterError(
            f"estimators must be a tuple of names among {sorted(names)}, got {o['estimators']!r}"
        )


def _priced(data, base_year, ppp, price_order, price_basis) -> tuple[pd.DataFrame, str]:
    """The table in the requested prices (nominal yuan, constant yuan, or international dollars)
    and its ``price_basis`` text (the caller's text for data it priced itself)."""
    if ppp is not None:
        return to_international_dollars(data, ppp, base_year=base_year, order=price_order)
    if base_year is None:
        return data, NOMINAL_BASIS if price_basis is None else price_basis
    return to_constant_prices(data, int(base_year)), constant_yuan_basis(base_year)


def person_times_rows(data: pd.DataFrame) -> pd.Series:
    """Rows whose beneficiaries are person-times (受益人次): flagged ``person_times`` by cleaning, or
    ``beneficiary_basis`` "person_times" where the table has that column."""
    out = pd.Series(False, index=data.index)
    if "flags" in data.columns:
        out |= data["flags"].fillna("").astype(str).str.contains("person_times")
    if "beneficiary_basis" in data.columns:
        out |= data["beneficiary_basis"].astype("string").fillna("").eq("person_times")
    return out


def cost_base_sample(
    data: pd.DataFrame, *, cluster: str = "org_name", person_times: str = "exclude"
) -> pd.DataFrame:
    """The rows every cost estimator starts from: the cluster (organization) known, spending
    (``expenditure_yuan``) positive, and person-times rows (:func:`person_times_rows`) left out unless
    ``person_times="include"``. Each denominator then keeps the rows where its own count is positive;
    spending per project uses this sample as it is."""
    keep = data[cluster].notna() & (data["expenditure_yuan"].astype(float).fillna(0.0) > 0)
    if person_times == "exclude":
        keep &= ~person_times_rows(data)
    return data[keep]


def _with_denominator(base: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rows of the base sample where ``column`` is positive, the count in ``_b`` (float); no rows
    when the table lacks the column (registered poor households are optional)."""
    if column not in base.columns:
        return base.iloc[0:0].assign(_b=pd.Series(dtype=float))
    count = base[column].astype(float).fillna(0.0)
    kept = base[count > 0]
    return kept.assign(_b=count[count > 0])


def _samples(df: pd.DataFrame, cluster: str, person_times: str, outcome: str) -> dict:
    """Rows of each sample with its denominator in ``_b`` (the outcome, households, 1 per project)."""
    base = cost_base_sample(df, cluster=cluster, person_times=person_times)
    return {
        "persons": _with_denominator(base, outcome),
        "households": _with_denominator(base, "poor_households"),
        "projects": base.assign(_b=1.0),
    }


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
    ests = [
        e
        for e in COST_ESTIMATORS
        if e.sample == sample and (not run.estimators or e.name in run.estimators)
    ]
    return [e.compute(run, e, level, g) for level, g in _levels(frame, by) for e in ests]


def _rows(run: CostRun, samples: dict[str, pd.DataFrame], by: list[str]) -> list[dict]:
    """Rows of every estimator, sample by sample (each row draws from its own stream, so the order
    changes nothing but the rows' order before :func:`_ordered`)."""
    return [row for s in _SAMPLES for row in _sample_rows(run, s, samples[s], by)]


def _ordered(rows: list[dict]) -> pd.DataFrame:
    """The cost table, sorted by level and then by the estimators' order in COST_ESTIMATORS;
    ``ratio_bounded`` as a nullable boolean (NA for estimators without analytic intervals)."""
    out = pd.DataFrame(rows, columns=COST_COLUMNS)
    out["ratio_bounded"] = out["ratio_bounded"].astype("boolean")
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
    outcome: str = "beneficiaries",
    price_basis: str | None = None,
    estimators: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Cost per beneficiary (or per outcome) by group, as one tidy table (columns ``COST_COLUMNS``).

    data : the canonical project table (docs/data.md). by : column(s) to group by (year, sector,
        province, deep_poverty_area, org_type, or a user column); None gives one national row.
    base_year : None for nominal yuan (each year's own prices); a year for constant CPI yuan of it.
    bootstrap_reps, seed, ci : organization-bootstrap replicates (0: none), its seed (>= 0; each
        (estimator, group, level) draws from its own stream spawned from it, so a level's interval
        does not depend on what else the call estimates) and the coverage of the intervals.
    interval : "percentile" (the default), "bca" or "studentized" (bootstrap-t) interval in
        ``ci_low``/``ci_high``; delta-method and Fieller intervals have their own columns, and
        ``ratio_bounded`` is False where Fieller's set is unbounded (the delta interval is then NaN).
    cluster : the resampling unit (organizations by default).
    person_times : rows whose beneficiaries are person-times (:func:`person_times_rows`) are left out of
        every estimator by default (:func:`cost_base_sample`); "include" keeps them.
    ppp, price_order : a PPP table to report international dollars instead of yuan, and the order of
        deflation and conversion (see :func:`to_international_dollars`); written into ``price_basis``.
    outcome : the denominator of ``ratio_of_totals``, ``mean_of_ratios`` and ``median_of_ratios``
        (any numeric count: households_exited, enrolled, ...); ``denominator`` says "persons" for
        beneficiaries and the outcome's name otherwise.
    price_basis : the ``price_basis`` text of data the caller priced itself (e.g. deflated, then
        discounted); only with ``base_year=None`` and ``ppp=None``.
    estimators : names of :data:`COST_ESTIMATORS` to compute (None: all, in their order:
        ``ratio_of_totals`` the headline, per household, mean and median of ratios, per project).
    """
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    _check(data, by, locals())
    df, basis = _priced(data, base_year, ppp, price_order, price_basis)
    run = CostRun(
        cluster=cluster,
        reps=bootstrap_reps,
        seed=int(seed),
        ci=ci,
        interval=interval,
        group_name="+".join(by) if by else "all",
        price_basis=basis,
        outcome_label="persons" if outcome == "beneficiaries" else outcome,
        estimators=tuple(estimators or ()),
    )
    rows = _rows(run, _samples(df, cluster, person_times, outcome), by)
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
    三区三州 over all years in constant yuan.

    Every call gets the same ``seed``: streams are keyed by (estimator, group, level), so different
    groupings draw independently, while the nominal and constant rows of one group and level share
    their draws (common random numbers: within one year the constant-price interval is the nominal one
    times that year's price factor)."""
    specs = [
        (by, base)
        for by in (["year"], ["year", "sector"], ["year", "deep_poverty_area"])
        for base in (None, base_year)
    ]
    specs += [(["sector"], base_year), (["deep_poverty_area"], base_year)]
    from tqdm import tqdm  # a bar on a terminal only (disable=None): rendered notebooks stay stable

    parts = [
        estimate_cost_per_beneficiary(
            data,
            by=by,
            base_year=base,
            cluster=cluster,
            bootstrap_reps=bootstrap_reps,
            seed=seed,
            interval=interval,
        )
        for by, base in tqdm(specs, desc="cost tables", delay=2, leave=False, disable=None)
    ]
    return pd.concat(parts, ignore_index=True)
