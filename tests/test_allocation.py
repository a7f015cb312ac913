"""Multi-province projects split by a named rule: totals kept, shares as stated, table kept."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.estimate.allocation import allocate_multi_province


def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "project_id": ["A", "B"],
            "year": [2018, 2018],
            "province": pd.array(["multiple", "Yunnan"], dtype="string"),
            "province_code": pd.array([None, "53"], dtype="string"),
            "province_list": pd.array(["Sichuan|Tibet", None], dtype="string"),
            "deep_poverty_area": [False, False],
            "expenditure_yuan": [900.0, 100.0],
            "beneficiaries": pd.array([30, 10], dtype="Int64"),
            "poor_households": pd.array([3, 1], dtype="Int64"),
        }
    )


def test_equal_split_keeps_totals_and_records_the_allocation():
    out, alloc = allocate_multi_province(table())
    assert out["expenditure_yuan"].sum() == 1000.0
    assert out["beneficiaries"].sum() == 40
    a = out[out["project_id"] == "A"].set_index("province")
    assert a.loc["Sichuan", "expenditure_yuan"] == 450.0 and a.loc["Tibet", "province_code"] == "54"
    # Tibet is all 三区三州; Sichuan only in part, so its share's status is unknown, not "outside".
    assert a.loc["Tibet", "deep_poverty_area"] is True or bool(a.loc["Tibet", "deep_poverty_area"])
    assert pd.isna(a.loc["Sichuan", "deep_poverty_area"])
    assert alloc["share"].tolist() == [0.5, 0.5] and set(alloc["rule"]) == {"equal"}


def test_stated_shares_and_beneficiary_weights():
    stated = pd.DataFrame(
        {
            "project_id": ["A", "A"],
            "year": [2018, 2018],
            "province": ["Sichuan", "Tibet"],
            "share": [0.25, 0.75],
        }
    )
    out, _ = allocate_multi_province(table(), rule="stated", splits=stated)
    a = out[out["project_id"] == "A"].set_index("province")
    assert a.loc["Tibet", "expenditure_yuan"] == 675.0
    weights = stated.rename(columns={"share": "beneficiaries"}).assign(beneficiaries=[10, 30])
    out2, alloc2 = allocate_multi_province(table(), rule="beneficiaries", splits=weights)
    assert alloc2["share"].tolist() == [0.25, 0.75]
    assert out2.loc[out2["province"] == "Tibet", "beneficiaries"].iloc[0] == 22  # 30 * 0.75 rounded


def test_bad_splits_are_refused():
    bad = pd.DataFrame(
        {
            "project_id": ["A", "A"],
            "year": [2018, 2018],
            "province": ["Sichuan", "Tibet"],
            "share": [0.5, 0.6],
        }
    )
    with pytest.raises(ParameterError, match="add up to 1.1000"):
        allocate_multi_province(table(), rule="stated", splits=bad)
    with pytest.raises(ParameterError, match="rule must be"):
        allocate_multi_province(table(), rule="by_luck")
    with pytest.raises(ParameterError, match="needs a splits table"):
        allocate_multi_province(table(), rule="stated")


@pytest.mark.slow
def test_the_demo_register_keeps_its_national_total(demo_data):
    out, alloc = allocate_multi_province(demo_data)
    assert out["expenditure_yuan"].sum() == pytest.approx(demo_data["expenditure_yuan"].sum())
    assert (out["province"] != "multiple").all()
    assert len(alloc) >= 2 * (demo_data["province"] == "multiple").sum()
