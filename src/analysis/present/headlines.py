"""The few numbers a reader of a run looks for first, with their intervals, as one tidy table drawn
from the run's tables (the index page of a run shows it; nothing is estimated here).
"""

from __future__ import annotations

import pandas as pd

from analysis.schema import POLICY_YEAR

HEADLINE_COLUMNS = [
    "measure",
    "estimate",
    "ci_low",
    "ci_high",
    "unit",
    "detail",
    "source_table",
]


# The tables the headline numbers are drawn from (file names in a run's tables/ folder).
HEADLINE_TABLES = (
    "cost_per_beneficiary.csv",
    "fully_loaded.csv",
    "regional_effects.csv",
    "exit_effects.csv",
)


def _cost_row(
    costs: pd.DataFrame | None,
    measure: str = "cost_per_beneficiary",
    source: str = "cost_per_beneficiary.csv",
) -> dict | None:
    """The ratio of totals of the latest year at constant prices (nominal where there are none); of a
    fully loaded table (``fully_loaded.csv``) its loaded rows (``cost_basis`` other than direct)."""
    need = {"group", "estimator", "level", "estimate", "ci_low", "ci_high", "price_basis"}
    if costs is None or not need <= set(costs.columns):
        return None
    if "cost_basis" in costs.columns:
        costs = costs[costs["cost_basis"].astype(str) != "direct"]
    rows = costs[(costs["group"] == "year") & (costs["estimator"] == "ratio_of_totals")]
    constant = rows[rows["price_basis"].astype(str).str.startswith("constant")]
    rows = constant if len(constant) else rows
    if rows.empty:
        return None
    rows = rows.assign(year=pd.to_numeric(rows["level"], errors="coerce")).dropna(subset=["year"])
    if rows.empty:
        return None
    row = rows.sort_values("year").iloc[-1]
    basis = f"; {row['cost_basis']}" if "cost_basis" in rows.columns else ""
    return {
        "measure": measure,
        "estimate": row["estimate"],
        "ci_low": row["ci_low"],
        "ci_high": row["ci_high"],
        "unit": "yuan_per_person",
        "detail": f"{int(row['year'])}; {row['price_basis']}{basis}",
        "source_table": source,
    }


# Effect rows shown on the index page: (measure key, source table, model, term).
_EFFECTS = (
    ("deep_difference", "regional_effects.csv", "baseline", "deep_poverty_area"),
    ("spending_shift", "regional_effects.csv", "did", f"deep_poverty_area:post{POLICY_YEAR}"),
    ("poverty_county_difference", "exit_effects.csv", "poverty_county_contrast", "poverty_county"),
)


def _effect_row(table: pd.DataFrame | None, measure: str, source: str, model: str, term: str):
    need = {"model", "term", "estimate", "ci_low", "ci_high"}
    if table is None or not need <= set(table.columns):
        return None
    hit = table[(table["model"] == model) & (table["term"] == term)]
    if hit.empty:
        return None
    row = hit.iloc[0]
    detail = (
        str(row["inference"])
        if "inference" in hit.columns and pd.notna(row.get("inference"))
        else ""
    )
    return {
        "measure": measure,
        "estimate": row["estimate"],
        "ci_low": row["ci_low"],
        "ci_high": row["ci_high"],
        "unit": "log_points",
        "detail": detail,
        "source_table": source,
    }


def headline_numbers(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The run's headline numbers (:data:`HEADLINE_COLUMNS`), one row each, from its tables by file
    name (:data:`HEADLINE_TABLES`): the cost per beneficiary of the latest year (yuan per person,
    constant prices), beside it the same fully loaded with the organizations' overhead, the 三区三州 difference of the
    baseline model, the spending shift after the policy year and the 832 poverty-county difference (log
    points), each with its 95% interval as the table gives it. A table or row that is absent gives no row.
    """
    rows = [
        _cost_row(tables.get("cost_per_beneficiary.csv")),
        _cost_row(tables.get("fully_loaded.csv"), "cost_fully_loaded", "fully_loaded.csv"),
    ]
    rows += [_effect_row(tables.get(src), m, src, model, term) for m, src, model, term in _EFFECTS]
    return pd.DataFrame([r for r in rows if r is not None], columns=HEADLINE_COLUMNS)
