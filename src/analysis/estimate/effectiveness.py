"""From the sticker price to a fully loaded, discounted cost per outcome: the walk of notebook
05_cost_effectiveness, one step at a time, each step one row with its organization-bootstrap interval.

The steps are data (:data:`WALK_STEPS`), each changing one thing of the step before it:

1. sticker price: spending as recorded / persons reached, nominal yuan, the register's years pooled;
2. constant prices: the same in constant yuan of ``base_year`` (CPI);
3. fully loaded: the organizations' overhead (管理费用) added (:mod:`analysis.estimate.loading`);
4. discounted: spending and persons moved to the first year at ``discount_rate`` (deflate first, then
   discount; ``price_basis`` records the order), multi-year projects first spread over their years
   when ``spread="even"`` (:mod:`analysis.estimate.timing`; the default "recorded" takes each row's
   amount as that year's spending, as annual registers report it);
5. per outcome: the same cost per unit of an outcome column (e.g. registered poor households lifted out
   of poverty), discounted alike, on the projects that record it;
6. against cash: step 4 as a multiple of a cash transfer of the national poverty line for a year
   (:mod:`analysis.estimate.cash`).

:func:`walk_assumptions` redoes the walk's last per-person step with one assumption changed at a time
(discount rate, overhead, spreading rule, where persons are counted), for the assumptions table.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.estimate.cash import CASH_CAVEAT, poverty_line_yuan
from analysis.estimate.costs import estimate_cost_per_beneficiary
from analysis.estimate.loading import (
    DEFAULT_ADMIN_SHARE,
    DEFAULT_ADMIN_SHARE_RANGE,
    LEGAL_CAP_HIGHEST,
    load_overhead,
)
from analysis.estimate.notes import quietly
from analysis.estimate.timing import (
    DEFAULT_DISCOUNT_RATE,
    PEOPLE_RULES,
    SENSITIVITY_DISCOUNT_RATES,
    SPREAD_RULES,
    present_value,
    spread_over_years,
)
from analysis.schema import require_columns

WALK_COLUMNS = [
    "step",
    "name",
    "estimate",
    "ci_low",
    "ci_high",
    "change",
    "unit",
    "denominator",
    "price_basis",
    "cost_basis",
    "n_projects",
    "n_clusters",
    "note",
]
ASSUMPTION_COLUMNS = [
    "assumption",
    "evidence",
    "setting",
    "used",
    "estimate",
    "ci_low",
    "ci_high",
    "change",
    "unit",
    "price_basis",
    "source",
    "note",
]


@dataclass(frozen=True, eq=False)
class Walk:
    """The options every step shares (see :func:`cost_effectiveness`)."""

    overhead: pd.DataFrame | None
    base_year: int
    discount_rate: float
    spread: str
    people: str
    outcome: str
    admin_share: float
    bootstrap_reps: int
    seed: int
    interval: str
    cluster: str

    def estimate(self, data: pd.DataFrame, **options) -> pd.Series:
        """The pooled ratio of totals (the headline estimator) of ``data``, one row of the cost table."""
        table = estimate_cost_per_beneficiary(
            data,
            bootstrap_reps=self.bootstrap_reps,
            seed=self.seed,
            interval=self.interval,
            cluster=self.cluster,
            estimators=("ratio_of_totals",),
            **options,
        )
        return table.iloc[0]

    def loaded(self, data: pd.DataFrame) -> pd.DataFrame:
        """``data`` with spending fully loaded (overhead table, or the default share for all)."""
        out = load_overhead(data, self.overhead, default_admin_share=self.admin_share)
        return out.assign(expenditure_yuan=out["loaded_expenditure_yuan"])

    def cost_basis(self) -> str:
        if self.overhead is not None:
            return "fully loaded (overhead table)"
        return f"fully loaded, admin share {self.admin_share:.0%} for every organization"

    def discounted(self, data: pd.DataFrame, counts: tuple[str, ...]) -> tuple[pd.DataFrame, str]:
        """Loaded, spread (when the rule says so) and discounted to the first year: the table and
        its price_basis text."""
        spread, _ = spread_over_years(self.loaded(data), self.spread, people=self.people)
        money = [c for c in spread.columns if c.endswith("_yuan")]
        return present_value(
            spread,
            to_year=int(spread["year"].min()),
            rate=self.discount_rate,
            base_year=self.base_year,
            columns=[*money, *[c for c in counts if c in spread.columns]],
        )


def _row(name: str, est: pd.Series, cost_basis: str, unit: str, note: str = "") -> dict:
    return {
        "name": name,
        "estimate": est["estimate"],
        "ci_low": est["ci_low"],
        "ci_high": est["ci_high"],
        "unit": unit,
        "denominator": est["denominator"],
        "price_basis": est["price_basis"],
        "cost_basis": cost_basis,
        "n_projects": est["n_projects"],
        "n_clusters": est["n_clusters"],
        "note": note,
    }


def _sticker(w: Walk, data: pd.DataFrame, rows: list[dict]) -> dict:
    return _row("sticker price", w.estimate(data), "as recorded", "yuan per person reached")


def _constant(w: Walk, data: pd.DataFrame, rows: list[dict]) -> dict:
    est = w.estimate(data, base_year=w.base_year)
    return _row("constant prices", est, "as recorded", "yuan per person reached")


def _loaded(w: Walk, data: pd.DataFrame, rows: list[dict]) -> dict:
    est = w.estimate(w.loaded(data), base_year=w.base_year)
    return _row("fully loaded", est, w.cost_basis(), "yuan per person reached")


def _discounted(w: Walk, data: pd.DataFrame, rows: list[dict]) -> dict:
    frame, basis = w.discounted(data, ("beneficiaries",))
    est = w.estimate(frame, price_basis=basis)
    rule = (
        "spread evenly over their years" if w.spread == "even" else "each row's amount in its year"
    )
    note = f"spending and persons discounted alike; multi-year projects: {rule}"
    return _row("discounted", est, w.cost_basis(), "yuan per person reached", note)


def _per_outcome(w: Walk, data: pd.DataFrame, rows: list[dict]) -> dict:
    unit = f"yuan per unit of {w.outcome}"
    recorded = data[w.outcome].fillna(0) > 0 if w.outcome in data.columns else None
    if recorded is None or not recorded.any():
        empty = {k: np.nan for k in ("estimate", "ci_low", "ci_high", "n_projects", "n_clusters")}
        est = pd.Series(empty | {"denominator": w.outcome, "price_basis": ""})
        return _row("per outcome", est, "", unit, f"the register records no {w.outcome}")
    frame, basis = w.discounted(data[recorded], (w.outcome,))
    est = w.estimate(frame, price_basis=basis, outcome=w.outcome)
    note = f"projects recording {w.outcome} only ({int(recorded.sum())} of {len(data)})"
    return _row("per outcome", est, w.cost_basis(), unit, note)


def _cash(w: Walk, data: pd.DataFrame, rows: list[dict]) -> dict:
    """Step 4 (yuan per person in constant ``base_year`` yuan, discounted alike) as a multiple of the
    national poverty line for a year in the same prices."""
    step = rows[3]
    line = poverty_line_yuan(w.base_year)
    return step | {
        "name": "against cash",
        "estimate": step["estimate"] / line,
        "ci_low": step["ci_low"] / line,
        "ci_high": step["ci_high"] / line,
        "unit": "times the poverty line for a year",
        "note": f"line {line:,.0f} yuan per person per year in {w.base_year} prices; {CASH_CAVEAT}",
    }


@dataclass(frozen=True)
class Step:
    """One step of the walk: its compute function (options, data, rows so far) -> row, and
    whether its ``change`` is measured against the step before it."""

    name: str
    compute: Callable[[Walk, pd.DataFrame, list[dict]], dict]
    compared: bool = True


# The walk, in order. To add a step, write its compute function and add it here.
WALK_STEPS: tuple[Step, ...] = (
    Step("sticker price", _sticker, compared=False),
    Step("constant prices", _constant),
    Step("fully loaded", _loaded),
    Step("discounted", _discounted),
    Step("per outcome", _per_outcome, compared=False),
    Step("against cash", _cash, compared=False),
)


def _check(data, base_year, discount_rate, spread, people, outcome, admin_share, cluster):
    require_columns(data, ["expenditure_yuan", "beneficiaries", "year", cluster])
    if not isinstance(base_year, int | np.integer):
        raise ParameterError(f"base_year must be a year (int), got {base_year!r}")
    if not 0 <= discount_rate < 1:
        raise ParameterError(f"discount_rate must be in [0, 1), got {discount_rate}")
    if spread not in SPREAD_RULES:
        raise ParameterError(f"spread must be one of {SPREAD_RULES}, got {spread!r}")
    if people not in PEOPLE_RULES:
        raise ParameterError(f"people must be one of {PEOPLE_RULES}, got {people!r}")
    if not isinstance(outcome, str) or not outcome:
        raise ParameterError(f"outcome must be a column name, got {outcome!r}")
    if not 0 <= admin_share < 1:
        raise ParameterError(f"admin_share must be in [0, 1), got {admin_share}")


def _walk(data: pd.DataFrame, overhead, **options) -> Walk:
    _check(
        data,
        options["base_year"],
        options["discount_rate"],
        options["spread"],
        options["people"],
        options["outcome"],
        options["admin_share"],
        options["cluster"],
    )
    return Walk(overhead=overhead, **options)


def _with_note(row: dict, extra: str) -> dict:
    return row | {"note": "; ".join(t for t in (row.get("note", ""), extra) if t)}


def _walk_rows(w: Walk, data: pd.DataFrame) -> pd.DataFrame:
    rows: list[dict] = []
    for k, step in enumerate(WALK_STEPS, start=1):
        row, said = quietly(step.compute, w, data, rows)
        row = _with_note(row, said)
        before = rows[-1]["estimate"] if rows and step.compared else np.nan
        rows.append(row | {"step": k, "change": row["estimate"] / before - 1})
    return pd.DataFrame(rows, columns=WALK_COLUMNS)


def cost_effectiveness(
    data: pd.DataFrame,
    overhead: pd.DataFrame | None = None,
    *,
    base_year: int = 2018,
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
    spread: str = "recorded",
    people: str = "split",
    outcome: str = "households_exited",
    admin_share: float = DEFAULT_ADMIN_SHARE,
    bootstrap_reps: int = 999,
    seed: int = 0,
    interval: str = "percentile",
    cluster: str = "org_name",
) -> pd.DataFrame:
    """The walk from sticker price to cost per outcome (columns ``WALK_COLUMNS``, one row per step of
    :data:`WALK_STEPS`), over all years of ``data`` pooled.

    Each row is the ratio of totals with its organization-bootstrap interval (``bootstrap_reps``,
    ``seed``, ``interval``, ``cluster`` as in :func:`estimate_cost_per_beneficiary`); ``change`` is
    the relative change from the step before (steps 2 to 4), NaN where the unit changes. ``overhead``
    is the overhead table (``registers.read_overhead``); without it every organization gets
    ``admin_share`` (default 10%, the upper end of the documented range). ``discount_rate`` is a real
    rate a year (default 8%), applied after deflation to ``base_year`` prices; ``spread`` and
    ``people`` are the rules of :func:`spread_over_years`; ``outcome`` names the outcome column of
    step 5 (a row that says so when the register lacks it).
    """
    w = _walk(
        data,
        overhead,
        base_year=base_year,
        discount_rate=discount_rate,
        spread=spread,
        people=people,
        outcome=outcome,
        admin_share=admin_share,
        bootstrap_reps=bootstrap_reps,
        seed=seed,
        interval=interval,
        cluster=cluster,
    )
    return _walk_rows(w, data)


@dataclass(frozen=True)
class WalkAssumption:
    """One assumption of the walk: its evidence rating (red, amber, green), its source, and the
    settings to try as (label, the Walk options changed)."""

    name: str
    evidence: str
    source: str
    settings: Callable[[Walk], list[tuple[str, dict]]]


def _rates(w: Walk) -> list[tuple[str, dict]]:
    rates = sorted({w.discount_rate, 0.0, *SENSITIVITY_DISCOUNT_RATES})
    return [(f"{r:.0%} a year", {"discount_rate": r}) for r in rates]


def _overheads(w: Walk) -> list[tuple[str, dict]]:
    shares = sorted({*DEFAULT_ADMIN_SHARE_RANGE, LEGAL_CAP_HIGHEST, w.admin_share})
    out = [
        (f"admin share {s:.0%} for every organization", {"admin_share": s, "overhead": None})
        for s in shares
    ]
    if w.overhead is not None:
        out.insert(0, ("overhead table", {}))
    return out


def _is_used(w: Walk, changed: dict) -> bool:
    """Whether the options ``changed`` are those of the walk itself (a table compared by identity)."""
    for key, value in changed.items():
        current = getattr(w, key)
        if isinstance(current, pd.DataFrame) or isinstance(value, pd.DataFrame) or value is None:
            if current is not value:
                return False
        elif current != value:
            return False
    return True


# The assumptions of the walk, in the order of the table's rows; docs/assumptions.md gives the reasons.
WALK_ASSUMPTIONS: tuple[WalkAssumption, ...] = (
    WalkAssumption(
        "discount rate",
        "amber",
        "8%: 社会折现率 of 《建设项目经济评价方法与参数》(第三版); 3%: global-health cost-effectiveness "
        "practice (Haacker et al. 2020, Health Policy and Planning)",
        _rates,
    ),
    WalkAssumption(
        "overhead (管理费用)",
        "amber",
        "caps of the 2016 MCA/MOF/SAT standard on charities' management costs (10% to 20%)",
        _overheads,
    ),
    WalkAssumption(
        "multi-year projects",
        "amber",
        "no disbursement schedule in the register: even spreading is a convention",
        lambda w: [(f"{r} rule", {"spread": r}) for r in SPREAD_RULES],
    ),
    WalkAssumption(
        "persons of multi-year projects",
        "amber",
        "a person reached by a multi-year project is counted once; when is a convention",
        lambda w: [(f"counted {r.replace('_', ' ')}", {"people": r}) for r in PEOPLE_RULES],
    ),
)


def walk_assumptions(
    data: pd.DataFrame, overhead: pd.DataFrame | None = None, **options
) -> pd.DataFrame:
    """The walk's cost per person (step 4, discounted) with one assumption of
    :data:`WALK_ASSUMPTIONS` changed at a time (columns ``ASSUMPTION_COLUMNS``); ``used`` marks the
    setting of the walk itself. Options as in :func:`cost_effectiveness`."""
    # The walk's own defaults, stated once (in cost_effectiveness's signature).
    defaults = {
        name: p.default
        for name, p in inspect.signature(cost_effectiveness).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise ParameterError(f"unknown option(s) {unknown}")
    w = _walk(data, overhead, **(defaults | options))
    base, _ = quietly(_discounted, w, data, [])
    rows = [
        _assumption_row(a, setting, w, changed, data, base)
        for a in WALK_ASSUMPTIONS
        for setting, changed in a.settings(w)
    ]
    return pd.DataFrame(rows, columns=ASSUMPTION_COLUMNS)


def _assumption_row(a: WalkAssumption, setting: str, w: Walk, changed: dict, data, base) -> dict:
    """One row of the assumptions table; a setting the data cannot take (e.g. spreading into years
    without a CPI) is a row that says why, with no estimate."""
    used = _is_used(w, changed)
    try:
        est, note = (base, "") if used else quietly(_discounted, replace(w, **changed), data, [])
    except ParameterError as exc:
        est = pd.Series(
            {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "price_basis": ""}
        )
        note = f"not computed: {exc}"
    return {
        "assumption": a.name,
        "evidence": a.evidence,
        "setting": setting,
        "used": used,
        "estimate": est["estimate"],
        "ci_low": est["ci_low"],
        "ci_high": est["ci_high"],
        "change": est["estimate"] / base["estimate"] - 1,
        "unit": "yuan per person reached",
        "price_basis": est["price_basis"],
        "source": a.source,
        "note": note,
    }
