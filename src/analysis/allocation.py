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
from analysis.places import MULTIPLE, deep_status
from analysis.reference import load_reference

__all__ = ["allocate_multi_province"]

_RULES = ("equal", "stated", "beneficiaries")


def allocate_multi_province(
    data: pd.DataFrame, *, rule: str = "equal", splits: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``multiple``-province rows into one row per province.

    Returns the project table with those rows replaced (``allocation_share`` < 1 on the new rows, 1
    elsewhere; totals unchanged) and the allocation table (project_id, year, province, share, rule).
    Beneficiaries and households are split as floats and rounded to whole persons and households.
    """
    if rule not in _RULES:
        raise ParameterError(f"rule must be one of {_RULES}, got {rule!r}")
    if rule != "equal" and splits is None:
        raise ParameterError(f"rule {rule!r} needs a splits table")
    need = {"stated": "share", "beneficiaries": "beneficiaries"}.get(rule)
    if splits is not None and need and not {"project_id", "year", "province", need} <= set(splits):
        raise ParameterError(f"splits needs the columns project_id, year, province, {need}")
    if "province_list" not in data.columns:
        raise ParameterError("data lacks province_list (clean the register with this version)")
    multi = data[data["province"] == MULTIPLE]
    rows = []
    for idx, row in multi.iterrows():
        provinces = str(row["province_list"]).split("|")
        if rule == "equal":
            shares = dict.fromkeys(provinces, 1.0 / len(provinces))
        else:
            mine = splits[
                (splits["project_id"] == row["project_id"]) & (splits["year"] == row["year"])
            ]
            if mine.empty:
                raise ParameterError(
                    f"no split given for project {row['project_id']} ({row['year']})"
                )
            weights = mine.set_index("province")[need].astype(float)
            if rule == "stated" and not np.isclose(weights.sum(), 1.0, atol=1e-6):
                raise ParameterError(
                    f"stated shares of project {row['project_id']} add up to {weights.sum():.4f}, not 1"
                )
            shares = (weights / weights.sum()).to_dict()
        for province, share in shares.items():
            rows.append(
                {
                    "_idx": idx,
                    "project_id": row["project_id"],
                    "year": row["year"],
                    "province": province,
                    "share": share,
                    "rule": rule,
                }
            )
    table = pd.DataFrame(rows, columns=["_idx", "project_id", "year", "province", "share", "rule"])
    if table.empty:
        return data.assign(allocation_share=1.0), table.drop(columns="_idx")
    codes = load_reference("provinces").set_index("name_en")["code"]
    unknown = sorted(set(table["province"]) - set(codes.index))
    if unknown:
        raise ParameterError(f"unknown province name(s) in splits: {unknown}")
    split = data.loc[table["_idx"]].reset_index(drop=True)
    split["province"] = table["province"].to_numpy()
    split["province_code"] = split["province"].map(codes).astype("string")
    split["province"] = split["province"].astype("string")
    # Province level: all of Tibet is in, provinces without 三区三州 areas are out, and the five
    # partly covered provinces cannot be decided from the province alone.
    split["deep_poverty_area"] = pd.array(
        [deep_status(code, None, None) for code in split["province_code"]], dtype="boolean"
    )
    share = table["share"].to_numpy()
    split["expenditure_yuan"] = split["expenditure_yuan"] * share
    for col in ("beneficiaries", "poor_households"):
        split[col] = (split[col].astype("Float64") * share).round().astype("Int64")
    split["allocation_share"] = share
    kept = data.drop(index=multi.index).assign(allocation_share=1.0)
    return pd.concat([kept, split], ignore_index=True), table.drop(columns="_idx")
