"""Allocating multi-province projects to provinces by a named rule, keeping the allocation table.

A project registered in several provinces ("云南、四川", province ``multiple``) counts once in national
totals. For province-level estimates its spending, beneficiaries and households are split across the
provinces in ``province_list`` by one of three rules:

- ``equal``: the same share for each listed province;
- ``stated``: shares the user supplies (columns project_id, year, province, share; shares of a project
  add up to 1);
- ``beneficiaries``: in proportion to beneficiaries per province the user supplies (columns project_id,
  year, province, beneficiaries).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.reference import load_reference
from analysis.registers.places import deep_status
from analysis.schema import MULTIPLE, require_columns

_RULES = ("equal", "stated", "beneficiaries")
_WEIGHT = {"stated": "share", "beneficiaries": "beneficiaries"}  # the splits column each rule reads
_TABLE_COLUMNS = ["_idx", "project_id", "year", "province", "share", "rule"]


def _check_rule(data: pd.DataFrame, rule: str, splits: pd.DataFrame | None) -> str | None:
    """Refuse an unknown rule, a missing or incomplete splits table, or data without
    province_list; return the splits column the rule reads (None for ``equal``)."""
    if rule not in _RULES:
        raise ParameterError(f"rule must be one of {_RULES}, got {rule!r}")
    if rule != "equal" and splits is None:
        raise ParameterError(f"rule {rule!r} needs a splits table")
    need = _WEIGHT.get(rule)
    if splits is not None and need:
        require_columns(splits, ["project_id", "year", "province", need], "splits")
    if "province_list" not in data.columns:
        raise ParameterError("data lacks province_list (clean the register with this version)")
    return need


def _shares(row: pd.Series, rule: str, splits: pd.DataFrame | None, need: str | None) -> dict:
    """Share (0 to 1, summing to 1) of each listed province in one multi-province project."""
    provinces = str(row["province_list"]).split("|")
    if rule == "equal":
        return dict.fromkeys(provinces, 1.0 / len(provinces))
    mine = splits[(splits["project_id"] == row["project_id"]) & (splits["year"] == row["year"])]
    if mine.empty:
        raise ParameterError(f"no split given for project {row['project_id']} ({row['year']})")
    weights = mine.set_index("province")[need].astype(float)
    if rule == "stated" and not np.isclose(weights.sum(), 1.0, atol=1e-6):
        raise ParameterError(
            f"stated shares of project {row['project_id']} add up to {weights.sum():.4f}, not 1"
        )
    return (weights / weights.sum()).to_dict()


def _allocation_table(multi: pd.DataFrame, rule, splits, need) -> pd.DataFrame:
    """One row per (multi-province project, province): its share and the rule, with the
    project's row label in ``_idx``."""
    rows = [
        {
            "_idx": idx,
            "project_id": row["project_id"],
            "year": row["year"],
            "province": province,
            "share": share,
            "rule": rule,
        }
        for idx, row in multi.iterrows()
        for province, share in _shares(row, rule, splits, need).items()
    ]
    return pd.DataFrame(rows, columns=_TABLE_COLUMNS)


def _province_codes(table: pd.DataFrame) -> pd.Series:
    """Province code by English name, refusing names the allocation table uses but the
    provinces reference table lacks."""
    codes = load_reference("provinces").set_index("name_en")["code"]
    unknown = sorted(set(table["province"]) - set(codes.index))
    if unknown:
        raise ParameterError(f"unknown province name(s) in splits: {unknown}")
    return codes


def _split_rows(data: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The multi-province rows, one per allocated province, with spending (yuan), beneficiaries
    (persons) and households scaled by the share and rounded to whole persons and households."""
    codes = _province_codes(table)
    split = data.loc[table["_idx"]].reset_index(drop=True)
    split["province"] = table["province"].to_numpy()
    split["province_code"] = split["province"].map(codes).astype("string")
    split["province"] = split["province"].astype("string")
    # Province level, from the 三区三州 table: a province listed whole is in, provinces without
    # 三区三州 areas are out, and the partly covered ones cannot be decided from the province alone.
    split["deep_poverty_area"] = pd.array(
        [deep_status(code, None, None) for code in split["province_code"]], dtype="boolean"
    )
    share = table["share"].to_numpy()
    split["expenditure_yuan"] = split["expenditure_yuan"] * share
    for col in ("beneficiaries", "poor_households"):
        split[col] = (split[col].astype("Float64") * share).round().astype("Int64")
    split["allocation_share"] = share
    return split


def allocate_multi_province(
    data: pd.DataFrame, *, rule: str = "equal", splits: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``multiple``-province rows into one row per province.

    Returns the project table with those rows replaced (``allocation_share`` < 1 on the new rows, 1
    elsewhere; totals unchanged) and the allocation table (project_id, year, province, share, rule).
    Beneficiaries and households are split as floats and rounded to whole persons and households.
    """
    need = _check_rule(data, rule, splits)
    multi = data[data["province"] == MULTIPLE]
    table = _allocation_table(multi, rule, splits, need)
    if table.empty:
        return data.assign(allocation_share=1.0), table.drop(columns="_idx")
    split = _split_rows(data, table)
    kept = data.drop(index=multi.index).assign(allocation_share=1.0)
    return pd.concat([kept, split], ignore_index=True), table.drop(columns="_idx")
