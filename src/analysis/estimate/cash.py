"""Cash benchmark: a cost per person set beside the cost of a cash transfer at the national poverty line.

The line is the 2011 national rural poverty standard, 2,300 yuan per person per year at 2010 prices
(``data/poverty_line.csv``, with its source), carried to the prices of the cost (a year's own prices for
nominal rows, the base year's for constant rows) with the shipped national CPI (``data/cpi.csv``). The
multiple, cost per person / line, reads as the number of years of a full-line transfer per person the
same money would pay for.
"""

from __future__ import annotations

import pandas as pd

from analysis.errors import ParameterError
from analysis.estimate.costs import NOMINAL_BASIS, constant_yuan_year
from analysis.reference import cpi_index, load_reference
from analysis.schema import require_columns

# The columns of a cost table the benchmark reads.
_NEED = [
    "group",
    "level",
    "estimator",
    "denominator",
    "price_basis",
    "estimate",
    "ci_low",
    "ci_high",
]

CASH_COLUMNS = [
    *_NEED,
    "line_price_year",
    "poverty_line_yuan",
    "multiple",
    "multiple_low",
    "multiple_high",
    "caveat",
]

CASH_CAVEAT = (
    "line: 2,300 yuan per person per year at 2010 prices (the 2011 national rural standard, in rural "
    "net income), carried to these prices with the national CPI; NBS publishes its own yearly "
    "current-price line, which can differ; a transfer of the full line is an upper bound of the cash "
    "needed to lift a poor person to the line (the poverty gap is smaller); the cost is per person "
    "reached over a project, the line per person per year"
)


def poverty_line_yuan(price_year: int) -> float:
    """The national poverty line in yuan per person per year at prices of ``price_year``: the shipped
    line (2,300 yuan at 2010 prices) times the CPI price level of ``price_year`` relative to 2010."""
    line = load_reference("poverty_line").iloc[0]
    level = cpi_index(int(line["price_year"]))
    if price_year not in level.index:
        raise ParameterError(
            f"no CPI for {price_year} to carry the poverty line; the shipped series covers "
            f"{level.index.min()}-{level.index.max()}"
        )
    return float(line["yuan_per_person_year"]) * float(level[price_year])


def _price_year(group: str, level: str, basis: str) -> int:
    """The year whose prices a cost row is in: its base year (constant yuan), or the year of its
    level (nominal yuan, the group must hold ``year``)."""
    if basis == NOMINAL_BASIS:
        keys, values = str(group).split("+"), str(level).split("/")
        if "year" not in keys or len(keys) != len(values):
            raise ParameterError(
                f"nominal rows need a year in their group to price the line; group {group!r} has none"
            )
        return int(values[keys.index("year")])
    year = constant_yuan_year(basis)
    if year is None:
        raise ParameterError(
            f"the cash benchmark needs nominal or constant CPI yuan, got price_basis {basis!r}"
        )
    return year


def cash_benchmark(
    costs: pd.DataFrame, *, estimator: str = "ratio_of_totals", denominator: str = "persons"
) -> pd.DataFrame:
    """Cost per person against a cash transfer at the national poverty line, one row per cost row.

    ``costs`` is a cost table (:func:`analysis.estimate.costs.estimate_cost_per_beneficiary` or
    :func:`~analysis.estimate.costs.cost_tables`); its rows of ``estimator`` whose ``denominator`` is
    ``denominator`` (persons reached by default; an outcome counted in persons, e.g. persons_exited,
    may be named) are compared, in nominal or constant CPI yuan. Returns ``CASH_COLUMNS``: the cost
    and its interval (yuan per person), ``line_price_year`` and ``poverty_line_yuan`` (the line in the
    same prices, yuan per person per year), ``multiple`` = estimate / line with ``multiple_low/high``
    from the interval, and ``caveat``.
    """
    require_columns(costs, _NEED, "the cost table")
    rows = costs[(costs["estimator"] == estimator) & (costs["denominator"] == denominator)]
    if rows.empty:
        raise ParameterError(
            f"the cost table has no rows of estimator {estimator!r} per {denominator!r}"
        )
    out = rows[_NEED].reset_index(drop=True)
    years = [
        _price_year(g, lv, b)
        for g, lv, b in zip(out["group"], out["level"], out["price_basis"], strict=True)
    ]
    lines = {y: poverty_line_yuan(y) for y in sorted(set(years))}
    out["line_price_year"] = years
    out["poverty_line_yuan"] = out["line_price_year"].map(lines)
    for col, src in (
        ("multiple", "estimate"),
        ("multiple_low", "ci_low"),
        ("multiple_high", "ci_high"),
    ):
        out[col] = out[src] / out["poverty_line_yuan"]
    out["caveat"] = CASH_CAVEAT
    return out[CASH_COLUMNS]
