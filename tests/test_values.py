"""Values a register writes that are easy to misread: financial numerals, currency words, separators
that read two ways, ranges of years, years far outside the period."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.registers.cleaning import clean_registers
from analysis.registers.parsing import parse_amount, parse_year, year_ranges


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("伍拾万元整", 500_000.0),
        ("人民币伍拾万元整", 500_000.0),
        ("人民币500,000元", 500_000.0),
        ("RMB 1,000,000", 1_000_000.0),
        ("¥12,345.60", 12_345.6),
        ("壹佰万元正", 1_000_000.0),
        ("1,000.50", 1_000.5),
    ],
)
def test_amounts_in_financial_forms(text, yuan):
    out = parse_amount(pd.Series([text]))
    assert out["problem"].iloc[0] == "" and out["value"].iloc[0] == pytest.approx(yuan)


@pytest.mark.parametrize("text", ["1.000,50", "1,5", "12,34", "1,0000", "1.234.567,8"])
def test_separators_that_read_two_ways_are_not_guessed(text):
    out = parse_amount(pd.Series([text]))
    assert out["problem"].iloc[0] == "ambiguous" and np.isnan(out["value"].iloc[0])


def test_year_ranges_keep_the_first_year_and_are_flagged():
    values = pd.Series(["2018/2019", "2018-2019年", "2018-06-30", "2018年", "二〇一八年"])
    assert parse_year(values).tolist() == [2018.0] * 5
    assert year_ranges(values).tolist() == [True, True, False, False, False]


def _register(rows):
    raw = pd.DataFrame(
        rows, columns=["项目名称", "实施机构", "年度", "省份", "支出金额", "受益人数"]
    )
    raw["source_file"], raw["source_row"], raw["source_problem"] = (
        "v.csv",
        range(2, 2 + len(rows)),
        "",
    )
    return raw


def test_reasons_and_flags_for_these_values():
    res = clean_registers(
        _register(
            [
                ["a", "某基金会", "2018/2019", "贵州", "10000", "10"],
                ["b", "某基金会", "1899", "贵州", "10000", "10"],
                ["c", "某基金会", "2109", "贵州", "10000", "10"],
                ["d", "某基金会", "2018", "贵州", "1.000,50", "10"],
                ["e", "某基金会", "2018", "贵州", "伍拾万元整", "10"],
            ]
        ),
        max_year=2026,
    )
    assert res.rejected.set_index("source_row")["reason"].to_dict() == {
        3: "year_out_of_range",
        4: "year_out_of_range",
        5: "expenditure_ambiguous",
    }
    kept = res.data.set_index("project_name")
    assert kept.loc["a", "year"] == 2018 and "year_range" in kept.loc["a", "flags"]
    assert kept.loc["e", "expenditure_yuan"] == 500_000.0
