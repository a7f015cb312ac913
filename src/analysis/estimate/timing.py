"""Time: multi-year projects spread over their years, and present values at a stated discount rate.

Spreading (:func:`spread_over_years`): a register may record a project that ran from ``start_year`` to
``end_year`` as one row carrying the whole period's spending. Rule "even" makes it one row per year with
every money column (``*_yuan``) split evenly; rule "recorded" keeps the rows as recorded (for a
register that already has one row per disbursement year). People are not money: a person reached by a
three-year project is one person. Counts (beneficiaries, households, outcomes) are split evenly too
(``people="split"``, the default), so the sum over years is still the recorded count and every year of
the project has the project's own cost per person; ``people="first_year"`` counts them once, in the
first year, and leaves the later years with spending and no one reached (those rows then fall out of
the per-person ratios by year).

Present values (:func:`present_value`): each year's money is one flow dated at the same point of its
year and moved to ``to_year`` by (1 + rate)^-(year - to_year): discounted from later years,
compounded from earlier ones. Discount constant prices at a real rate: deflate first (``base_year``),
then discount; ``price_basis`` records the order.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.estimate.prices import to_constant_prices
from analysis.schema import require_columns

SPREAD_RULES = ("even", "recorded")
PEOPLE_RULES = ("split", "first_year")
# Counts of people and outcomes a project row may carry (the optional ones only where present).
COUNT_COLUMNS = (
    "beneficiaries",
    "poor_households",
    "households_exited",
    "persons_exited",
    "enrolled",
    "treated",
    "jobs",
)
# China's social discount rate (社会折现率) for the economic appraisal of projects, 8% a year (real),
# recommended by 《建设项目经济评价方法与参数》(第三版). Lower rates as sensitivity: 6% (allowed for
# public-benefit water projects by SL 72-2013) and 3% (the rate economic evaluations in global health
# typically apply to costs and effects; "On discount rates for economic evaluations in global health",
# Health Policy and Planning 35(1), 2020, doi:10.1093/heapol/czz127, argues for about 4% in
# upper-middle-income countries). docs/assumptions.md rates the choice amber.
DEFAULT_DISCOUNT_RATE = 0.08
SENSITIVITY_DISCOUNT_RATES = (0.03, 0.06)


def money_columns(data: pd.DataFrame) -> list[str]:
    """The money columns of a project table: every column whose name ends in ``_yuan``."""
    return [c for c in data.columns if str(c).endswith("_yuan")]


def _periods(data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """start, end (int, 0 where unknown) and whether each row is a multi-year project; a row with
    start after end is kept as recorded, with a warning."""
    start = pd.to_numeric(data["start_year"], errors="coerce").astype("Float64")
    end = pd.to_numeric(data["end_year"], errors="coerce").astype("Float64")
    known = (start.notna() & end.notna()).to_numpy(dtype=bool)
    s = start.fillna(0).to_numpy(dtype=float).astype(int)
    e = end.fillna(0).to_numpy(dtype=float).astype(int)
    reversed_ = known & (s > e)
    if reversed_.any():
        warnings.warn(
            f"{int(reversed_.sum())} row(s) have start_year after end_year; kept as recorded",
            stacklevel=3,
        )
    return s, e, known & (s < e)


def _refuse_per_year_rows(data: pd.DataFrame, multi: np.ndarray) -> None:
    """Rule "even" on a register that already has one row per year would spread each year again:
    refuse when a multi-year project_id has rows in more than one year."""
    if "project_id" not in data.columns or not multi.any():
        return
    rows = data.loc[multi, ["project_id", "year"]]
    years = rows.groupby("project_id", observed=True)["year"].nunique()
    n = int((years > 1).sum())
    if n:
        raise ParameterError(
            f"{n} multi-year project(s) already have rows in several years "
            f"(first {years[years > 1].index[0]!r}); use rule='recorded'"
        )


def _spread_rows(data: pd.DataFrame, s, e, multi, people: str) -> pd.DataFrame:
    """One row per year for the multi-year rows, money (and counts, by ``people``) divided."""
    n_years = np.where(multi, e - s + 1, 1)
    pos = np.repeat(np.arange(len(data)), n_years)
    out = data.iloc[pos].reset_index(drop=True)
    offset = np.arange(len(pos)) - np.repeat(np.cumsum(n_years) - n_years, n_years)
    spread = np.repeat(multi, n_years)
    share = 1.0 / np.repeat(n_years, n_years)
    out["year"] = np.where(spread, np.repeat(s, n_years) + offset, out["year"].to_numpy())
    out["year"] = out["year"].astype(data["year"].dtype)
    for col in money_columns(data):
        out[col] = out[col].astype(float) * share
    for col in (c for c in COUNT_COLUMNS if c in data.columns):
        if people == "split":
            out[col] = out[col].astype("Float64") * share
        else:
            out[col] = out[col].where(~spread | (offset == 0), 0)
    out["spread_share"] = share
    return out


def spread_over_years(
    data: pd.DataFrame, rule: str = "even", *, people: str = "split"
) -> tuple[pd.DataFrame, int]:
    """Multi-year projects (``start_year`` < ``end_year``) as one row per year, and how many were
    spread.

    rule "even": each such row becomes ``end_year - start_year + 1`` rows, ``year`` running from
    start to end, every ``*_yuan`` column divided by the number of years (totals unchanged);
    ``spread_share`` holds that fraction (1 for rows kept). Counts (:data:`COUNT_COLUMNS`) are split
    the same way (``people="split"``: a person is counted once over the project, a share in each
    year) or kept whole in the first year (``people="first_year"``, 0 after). A multi-year project
    whose project_id already has rows in several years is refused (use "recorded").
    rule "recorded": the rows as recorded (the register has one row per disbursement year).
    Rows without a period (no start_year or end_year, or start equal to end) stay as recorded; a
    table without the period columns is returned unchanged.
    """
    require_columns(data, ["year", "expenditure_yuan"])
    if rule not in SPREAD_RULES:
        raise ParameterError(f"rule must be one of {SPREAD_RULES}, got {rule!r}")
    if people not in PEOPLE_RULES:
        raise ParameterError(f"people must be one of {PEOPLE_RULES}, got {people!r}")
    if rule == "recorded" or not {"start_year", "end_year"} <= set(data.columns):
        return data.assign(spread_share=1.0), 0
    s, e, multi = _periods(data)
    _refuse_per_year_rows(data, multi)
    return _spread_rows(data, s, e, multi, people), int(multi.sum())


def _check_rate(rate, to_year) -> float:
    """The discount rate in [0, 1) and the year to discount to, or one line."""
    if isinstance(rate, bool) or not isinstance(rate, int | float | np.integer | np.floating):
        raise ParameterError(f"rate must be a number in [0, 1), got {rate!r}")
    if not 0 <= float(rate) < 1:
        raise ParameterError(f"rate must be in [0, 1) (a share per year, 0.08 for 8%), got {rate}")
    if isinstance(to_year, bool) or not isinstance(to_year, int | np.integer):
        raise ParameterError(f"to_year must be a year (int), got {to_year!r}")
    return float(rate)


def present_value(
    data: pd.DataFrame,
    *,
    to_year: int,
    rate: float = DEFAULT_DISCOUNT_RATE,
    base_year: int | None = None,
    price_basis: str | None = None,
    columns: list[str] | None = None,
) -> tuple[pd.DataFrame, str]:
    """The money of each year moved to ``to_year`` at ``rate`` a year: value / (1 + rate)^(year -
    to_year), and the ``price_basis`` text that records the order.

    Meant for constant prices and a real rate: with ``base_year`` the table is first deflated to
    constant yuan of that year (CPI, :func:`to_constant_prices`), then discounted ("constant 2018
    yuan (CPI), then present value at 8% to 2016"). Without it, ``price_basis`` names the prices the
    table is already in (default "nominal yuan"; a nominal table wants a nominal rate).
    ``columns``: what to discount (default every ``*_yuan`` column, so categories still add up; add
    "beneficiaries" to discount effects at the same rate). ``discount_factor`` holds the factor.

    Timing: a year's flow is dated at the same point of each year, so ``to_year`` the year before the
    first flow gives the ordinary annuity (flows at the end of each year), C (1 - (1+r)^-n) / r for n
    years of C, and ``to_year`` the first year the annuity-due, (1 + r) times that.
    """
    require_columns(data, ["year", "expenditure_yuan"])
    r = _check_rate(rate, to_year)
    if base_year is not None and price_basis is not None:
        raise ParameterError(
            "give base_year (deflate here) or price_basis (already priced), not both"
        )
    if base_year is not None:
        if isinstance(base_year, bool) or not isinstance(base_year, int | np.integer):
            raise ParameterError(f"base_year must be a year (int) or None, got {base_year!r}")
        data, price_basis = (
            to_constant_prices(data, int(base_year)),
            f"constant {base_year} yuan (CPI)",
        )
    cols = money_columns(data) if columns is None else list(columns)
    require_columns(data, cols)
    factor = (1.0 + r) ** -(data["year"].astype(float) - int(to_year))
    out = data.assign(**{c: data[c].astype(float) * factor for c in cols}, discount_factor=factor)
    return (
        out,
        f"{price_basis or 'nominal yuan'}, then present value at {r * 100:.4g}% to {to_year}",
    )
