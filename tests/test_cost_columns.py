"""The optional columns of issue 17 on tiny hand-built registers: beneficiary basis, cost categories,
project periods and outcome counts (exact values, flags, row accounting), and the overhead table."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.errors import RegisterError
from analysis.registers.cleaning import FLAGS, clean_registers
from analysis.registers.optional import OPTIONAL_FLAGS
from analysis.registers.overhead import parse_share, read_overhead
from analysis.registers.vocabulary import header_basis, map_headers
from analysis.schema import COST_CATEGORIES, OUTCOME_COLUMNS, PERIOD_COLUMNS, validate_projects

BASE = ["项目编号", "实施机构", "年度", "省份", "支出金额（万元）", "建档立卡贫困户数", "受益人数"]


def raw_frame(rows, header, name="costs.csv"):
    df = pd.DataFrame(rows, columns=header, dtype=object)
    df["source_file"] = name
    df["source_row"] = range(2, len(rows) + 2)
    df["source_problem"] = ""
    return df


def clean(rows, extra_header, base=BASE):
    return clean_registers(raw_frame(rows, base + extra_header), max_year=2026)


def base_row(pid, year="2018", amount="100", ben="200"):
    return [pid, "中国扶贫基金会", year, "西藏", amount, "20", ben]


# --- cost categories -------------------------------------------------------------------------------

CATEGORY_HEADER = ["直接成本（万元）", "管理费用（万元）", "物资捐赠折价（万元）"]


def test_cost_categories_are_parsed_like_expenditure():
    rows = [
        base_row("C1") + ["80", "100000元", "１０"],  # header 万元, own 元, full-width digits
        base_row("C2", amount="1亿元") + ["0.9亿元", "5,000,000", "500万元"],  # 管理费用: no unit
        base_row("C3", amount="50") + ["", "—", "不详"],  # blanks: missing, no flag
    ]
    res = clean(rows, ["直接成本（万元）", "管理费用", "物资捐赠折价（万元）"])
    d = res.data.set_index("project_id")
    assert d.loc["C1", list(COST_CATEGORIES)].tolist() == [800_000.0, 100_000.0, 100_000.0]
    assert d.loc["C2", list(COST_CATEGORIES)].tolist() == [90_000_000.0, 5_000_000.0, 5_000_000.0]
    assert d.loc["C3", list(COST_CATEGORIES)].isna().all()
    assert set(d["flags"]) == {""}
    assert res.report["optional_columns"]["direct_cost_yuan"] == {"given": 2, "unreadable": 0}


def test_an_unreadable_or_negative_category_keeps_the_row_and_names_the_column():
    rows = [
        base_row("U1") + ["见附件", "10", "0"],
        base_row("U2", amount="101") + ["90", "-10", "0"],
        base_row("U3", amount="102") + ["90", "10", "1.000,5"],  # ambiguous separators: not guessed
    ]
    res = clean(rows, CATEGORY_HEADER)
    r = res.report
    assert (r["rows_in"], r["rows_clean"], r["rows_rejected"]) == (3, 3, 0)
    d = res.data.set_index("project_id")
    assert math.isnan(d.loc["U1", "direct_cost_yuan"]) and d.loc["U1", "admin_cost_yuan"] == 1e5
    assert d.loc["U1", "flags"] == "direct_cost_yuan_unreadable"
    assert math.isnan(d.loc["U2", "admin_cost_yuan"])
    assert d.loc["U2", "flags"] == "admin_cost_yuan_unreadable"
    assert d.loc["U3", "flags"] == "in_kind_yuan_unreadable"
    assert r["flags_by_kind"] == {
        "admin_cost_yuan_unreadable": 1,
        "direct_cost_yuan_unreadable": 1,
        "in_kind_yuan_unreadable": 1,
    }
    assert r["optional_columns"]["admin_cost_yuan"] == {"given": 2, "unreadable": 1}


@pytest.mark.parametrize(
    ("parts", "flagged"),
    [
        (["80", "10", "10"], False),  # exactly the total
        (["80", "10", "10.99"], False),  # 0.99% over
        (["80", "10", "9.01"], False),  # 0.99% short
        (["80", "10", "11.01"], True),  # 1.01% over
        (["80", "10", "8"], True),  # 2% short
        (["80", "10", ""], False),  # two given, below the total: in-kind may be the rest
        (["95", "6.01", ""], True),  # two given, more than 101% of the total
        (["", "", "101"], False),  # one given, 101%: within the tolerance
    ],
)
def test_categories_not_adding_up_to_the_expenditure_are_flagged(parts, flagged):
    res = clean([base_row("M1") + parts], CATEGORY_HEADER)
    flags = res.data["flags"].iloc[0]
    assert ("cost_categories_mismatch" in flags) is flagged, flags


# --- period ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "cells", "year", "start", "end", "flag"),
    [
        (["项目周期"], ["2017-2019"], "2018", 2017, 2019, ""),
        (["实施周期"], ["2017年至2019年"], "2017", 2017, 2019, ""),
        (["项目周期"], ["2017—2019"], "2019", 2017, 2019, ""),
        (["项目周期"], ["2018"], "2018", 2018, 2018, ""),
        (["项目周期"], [""], "2018", None, None, ""),
        (["开始年份", "结束年份"], ["2016", "2018年"], "2018", 2016, 2018, ""),
        (["起始年份", "截止年份"], ["2017", ""], "2018", 2017, None, ""),
        (["项目周期"], ["2019-2017"], "2018", 2019, 2017, "period_inconsistent"),
        (["项目周期"], ["2015-2016"], "2018", 2015, 2016, "period_inconsistent"),
        (["开始年份"], ["2019"], "2018", 2019, None, "period_inconsistent"),
        (["项目周期"], ["三年"], "2018", None, None, "period_unreadable"),
        (["开始年份"], ["2017-2019"], "2018", None, None, "start_year_unreadable"),
        (["结束年份"], ["不是年份"], "2018", None, None, "end_year_unreadable"),
        # the start and end columns win over the period column; a disagreement is flagged
        (
            ["开始年份", "项目周期"],
            ["2016", "2017-2019"],
            "2018",
            2016,
            2019,
            "period_inconsistent",
        ),
        (["结束年份", "项目周期"], ["", "2017-2019"], "2018", 2017, 2019, ""),
    ],
)
def test_project_period(header, cells, year, start, end, flag):
    res = clean([base_row("P1", year=year) + cells], header)
    row = res.data.iloc[0]
    for column, expected in zip(PERIOD_COLUMNS, (start, end), strict=True):
        assert pd.isna(row[column]) if expected is None else row[column] == expected, column
    assert row["flags"] == flag
    assert str(res.data["start_year"].dtype) == "Int64"


# --- outcome counts --------------------------------------------------------------------------------

OUTCOME_HEADER = ["带动脱贫户数", "脱贫人数", "受助学生数", "受助患者人数", "就业人数（万人）"]


def test_outcome_counts():
    rows = [
        base_row("O1") + ["12户", "40", "约30", "3,000", "0.5"],  # 就业: header in 万人
        base_row("O2", amount="50") + ["若干", "-3", "", "—", ""],
    ]
    res = clean(rows, OUTCOME_HEADER)
    d = res.data.set_index("project_id")
    assert d.loc["O1", list(OUTCOME_COLUMNS)].tolist() == [12, 40, 30, 3000, 5000]
    assert d.loc["O1", "flags"] == "optional_approximate"
    assert d.loc["O2", list(OUTCOME_COLUMNS)].isna().all()
    assert set(d.loc["O2", "flags"].split(";")) == {
        "households_exited_unreadable",
        "persons_exited_unreadable",
    }
    assert str(res.data["households_exited"].dtype) == "Int64"
    validate_projects(res.data)


# --- beneficiary basis -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "values", "expected"),
    [
        ("受益人数", ["200", "3万人次"], ["persons", "person_times"]),
        ("受益人口（万人）", ["2", "1"], ["persons", "persons"]),
        ("受益人次", ["200", "300人"], ["person_times", "person_times"]),
        ("受益人数（人次）", ["200", "300"], ["person_times", "person_times"]),
        ("Beneficiaries", ["200", "300人"], ["unknown", "persons"]),
        ("beneficiaries", ["200", "5户"], ["unknown", "unknown"]),
        ("People reached", ["200", ""], ["persons", "persons"]),
    ],
)
def test_beneficiary_basis_from_the_header_and_the_value(header, values, expected):
    base = [*BASE[:6], header]
    rows = [
        [f"B{i}", "中国扶贫基金会", "2018", "西藏", "100", "1", v] for i, v in enumerate(values)
    ]
    res = clean_registers(raw_frame(rows, base), max_year=2026)
    data = res.data.set_index("project_id")
    assert data["beneficiary_basis"].astype(str).tolist() == expected
    # the person_times flag and the basis say the same
    flagged = data["flags"].str.contains("person_times").tolist()
    assert flagged == [b == "person_times" for b in expected]
    counts = res.report["beneficiary_basis"]
    assert sum(counts.values()) == len(rows) and counts["persons"] == expected.count("persons")


def test_header_basis_words():
    assert header_basis("受益贫困人口") == "persons"
    assert header_basis("服务人次") == "person_times"
    assert header_basis("beneficiaries (persons)") == "persons"
    assert header_basis("受益对象") == "unknown"


# --- registers without the new columns, aliases, schema ------------------------------------------


def test_a_register_without_the_new_columns_gets_them_missing_and_unflagged():
    res = clean([base_row("N1")], [])
    row = res.data.iloc[0]
    for column in (*COST_CATEGORIES, *PERIOD_COLUMNS, *OUTCOME_COLUMNS):
        assert pd.isna(row[column]), column
    assert row["flags"] == "" and row["beneficiary_basis"] == "persons"
    assert res.report["optional_columns"]["jobs"] == {"given": 0, "unreadable": 0}


def test_processed_data_of_an_earlier_version_still_validates():
    res = clean([base_row("N1")], [])
    old = res.data.drop(
        columns=["beneficiary_basis", *COST_CATEGORIES, *PERIOD_COLUMNS, *OUTCOME_COLUMNS]
    )
    validate_projects(old)


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("项目直接费用", "direct_cost"),
        ("Direct cost", "direct_cost"),
        ("行政费用（元）", "admin_cost"),
        ("administrative costs", "admin_cost"),
        ("实物捐赠价值", "in_kind"),
        ("in-kind", "in_kind"),
        ("起始年份", "start_year"),
        ("截止年份", "end_year"),
        ("实施周期", "period"),
        ("脱贫户数", "households_exited"),
        ("脱贫人数", "persons_exited"),
        ("资助学生人数", "enrolled"),
        ("救治人数", "treated"),
        ("带动就业人数", "jobs"),
        ("jobs created", "jobs"),
    ],
)
def test_header_aliases_of_the_new_columns(alias, canonical):
    assert map_headers([alias]).columns == {alias: canonical}


def test_the_flags_of_the_new_columns_are_in_the_vocabulary():
    assert set(OPTIONAL_FLAGS) <= set(FLAGS)
    assert list(FLAGS)[-len(OPTIONAL_FLAGS) :] == list(OPTIONAL_FLAGS)  # old flag texts unchanged


# --- the overhead table ----------------------------------------------------------------------------


def write(tmp_path, text, name="overhead.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_read_overhead_with_chinese_headers_percent_and_blank_years(tmp_path):
    path = write(
        tmp_path,
        "机构名称,年度,管理费用占比,来源\n"
        "中国扶贫基金会 ,,8.5%,2018年报\n"
        "中国扶贫基金会,2019,０.０７,2019年报\n"
        "全国某协会,2018年,0.1,\n",
        encoding="gb18030",
    )
    table = read_overhead(path)
    assert list(table.columns) == ["org_name", "year", "admin_share", "source", "simulated"]
    assert table["org_name"].tolist() == ["中国扶贫基金会", "中国扶贫基金会", "全国某协会"]
    assert table["year"].tolist()[1:] == [2019, 2018] and pd.isna(table["year"].iloc[0])
    assert table["admin_share"].tolist() == pytest.approx([0.085, 0.07, 0.1], rel=1e-12)
    assert table["source"].tolist() == ["2018年报", "2019年报", ""]
    assert not table["simulated"].any() and str(table["year"].dtype) == "Int64"


@pytest.mark.parametrize(
    ("body", "row", "column", "value"),
    [
        ("A,2018,8.5,s,false", 2, "admin_share", "8.5"),  # a percent without %: not guessed
        ("A,2018,120%,s,false", 2, "admin_share", "120%"),
        ("A,2018,1,s,false", 2, "admin_share", "1"),
        ("A,2018,,s,false", 2, "admin_share", ""),
        ("A,2018,abc,s,false", 2, "admin_share", "abc"),
        ("A,20xx,0.1,s,false", 2, "year", "20xx"),
        (",2018,0.1,s,false", 2, "org_name", ""),
        ("A,2018,0.1,s,maybe", 2, "simulated", "maybe"),
        ("A,,0.1,s,false\nA,,0.2,s,false", 3, "org_name", "A"),  # the same organization and year
    ],
)
def test_a_bad_overhead_value_is_one_line_naming_file_row_column_value(
    tmp_path, body, row, column, value
):
    path = write(tmp_path, "org_name,year,admin_share,source,simulated\n" + body + "\n")
    with pytest.raises(RegisterError) as err:
        read_overhead(path)
    msg = str(err.value)
    assert "\n" not in msg and "overhead.csv" in msg
    assert f"row {row}" in msg and f"column {column!r}" in msg and f"value {value!r}" in msg


def test_an_overhead_table_without_a_share_column_names_the_headers_seen(tmp_path):
    path = write(tmp_path, "org_name,year,ratio\nA,2018,0.1\n")
    with pytest.raises(RegisterError, match="admin_share.*headers seen: org_name, year, ratio"):
        read_overhead(path)
    with pytest.raises(RegisterError, match="no such file"):
        read_overhead(tmp_path / "missing.csv")


def test_parse_share():
    assert parse_share("8.5%") == pytest.approx(0.085, rel=1e-12)
    assert parse_share("0") == 0.0
    assert parse_share("0.999") == 0.999
    assert parse_share("１２％") == pytest.approx(0.12, rel=1e-12)
    for text in ("1", "100%", "8.5", "-0.1", "", "约8%"):
        assert parse_share(text) is None, text
