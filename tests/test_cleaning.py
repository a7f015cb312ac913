"""Cleaning a tiny hand-built register: exact canonical values, reasons, flags and row accounting."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.errors import RegisterError
from analysis.registers.cleaning import FLAGS, REJECT_REASONS, clean_registers
from analysis.schema import validate_projects

HEADER = [
    "项目编号",
    "项目名称",
    "实施机构",
    "组织类型",
    "年度",
    "省份",
    "市州",
    "县区",
    "扶贫领域",
    "支出金额（万元）",
    "受益人数",
    "建档立卡贫困户数",
    "中央财政支持",
]
ROWS = [
    # 0 kept: plain row in 三区三州 (怒江州)
    [
        "P1",
        "怒江产业",
        "中国扶贫基金会",
        "基金会",
        "2018",
        "云南省",
        "怒江州",
        "",
        "产业扶贫",
        "100",
        "200",
        "20",
        "是",
    ],
    # 1 kept: English province, 元 written in the value, 人 and 户 units, approximate amount
    [
        "P2",
        "Schools",
        "中华教育促进会",
        "社会团体",
        "2018年",
        "Sichuan Province",
        "成都市",
        "",
        "教育",
        "约500000元",
        "1,000人",
        "100户",
        "否",
    ],
    # 2 kept: two provinces -> multiple; org type from its name; person-times
    [
        "P3",
        "义诊",
        "中国医疗服务中心",
        "—",
        "2019",
        "云南、四川",
        "",
        "",
        "健康扶贫",
        "1.2亿",
        "3万人次",
        "不详",
        "",
    ],
    # 3 rejected: expenditure blank
    ["P4", "x", "某基金会", "基金会", "2018", "云南", "", "", "产业", "不详", "10", "1", "否"],
    # 4 rejected: negative expenditure
    ["P5", "x", "某基金会", "基金会", "2018", "云南", "", "", "产业", "-3", "10", "1", "否"],
    # 5 rejected: year out of range
    ["P6", "x", "某基金会", "基金会", "1998", "云南", "", "", "产业", "3", "10", "1", "否"],
    # 6 rejected: unknown province
    ["P7", "x", "某基金会", "基金会", "2018", "火星", "", "", "产业", "3", "10", "1", "否"],
    # 7 rejected: duplicate of row 0 (same id and year)
    [
        "P1",
        "怒江产业",
        "中国扶贫基金会",
        "基金会",
        "2018",
        "云南省",
        "怒江州",
        "",
        "产业扶贫",
        "100",
        "200",
        "20",
        "是",
    ],
    # 8 rejected: nothing at all
    [""] * 13,
    # 9 kept but flagged: unknown sector, fewer beneficiaries than households, cost per person above 1e6
    [
        "P9",
        "y",
        "全国某协会",
        "社团",
        "2020",
        "西藏",
        "那曲地区",
        "",
        "数字乡村",
        "300",
        "2",
        "5",
        "否",
    ],
    # 10 rejected: year blank
    ["P10", "x", "某基金会", "基金会", "", "云南", "", "", "产业", "3", "10", "1", "否"],
]


def raw_frame(rows=ROWS, header=HEADER, name="tiny.csv"):
    df = pd.DataFrame(rows, columns=header, dtype=object)
    df["source_file"] = name
    df["source_row"] = range(2, len(rows) + 2)
    df["source_problem"] = ""
    return df


@pytest.fixture(scope="module")
def result():
    return clean_registers(raw_frame(), max_year=2026)


def test_every_raw_row_is_accounted_for(result):
    r = result.report
    assert (r["rows_in"], r["rows_clean"], r["rows_rejected"]) == (11, 4, 7)
    assert r["by_file"] == {"tiny.csv": {"rows_in": 11, "rows_clean": 4, "rows_rejected": 7}}


def test_rejected_rows_carry_reason_column_and_raw_values(result):
    rej = result.rejected.set_index("source_row")
    assert rej["reason"].to_dict() == {
        5: "expenditure_missing",
        6: "expenditure_negative",
        7: "year_out_of_range",
        8: "province_unresolved",
        9: "duplicate",
        10: "empty_row",
        12: "year_missing",
    }
    assert rej.loc[5, "column"] == "支出金额（万元）" and rej.loc[5, "value"] == "不详"
    assert rej.loc[8, "value"] == "火星"
    assert rej.loc[6, "raw:项目编号"] == "P5"
    assert set(rej["reason"]) <= set(REJECT_REASONS)


def test_kept_rows_have_exact_canonical_values(result):
    d = result.data.set_index("project_id")
    assert d.loc["P1", "expenditure_yuan"] == 1_000_000.0
    assert d.loc["P1", "province"] == "Yunnan" and d.loc["P1", "province_code"] == "53"
    assert d.loc["P1", "prefecture"] == "怒江傈僳族自治州"
    assert bool(d.loc["P1", "deep_poverty_area"]) and bool(d.loc["P1", "joint_funded"])
    assert d.loc["P2", "expenditure_yuan"] == 500_000.0
    assert d.loc["P2", "beneficiaries"] == 1000 and d.loc["P2", "poor_households"] == 100
    assert d.loc["P2", "year"] == 2018 and d.loc["P2", "sector"] == "education"
    assert not bool(d.loc["P2", "deep_poverty_area"])
    assert d.loc["P3", "province"] == "multiple" and pd.isna(d.loc["P3", "province_code"])
    assert d.loc["P3", "expenditure_yuan"] == 120_000_000.0
    assert d.loc["P3", "org_type"] == "social_service_agency"  # from 服务中心 in its name
    assert d.loc["P9", "province"] == "Tibet" and d.loc["P9", "prefecture"] == "那曲市"


def test_flags_on_kept_rows(result):
    flags = result.data.set_index("project_id")["flags"].to_dict()
    assert flags["P1"] == ""
    assert flags["P2"] == "amount_approximate"
    assert set(flags["P3"].split(";")) == {
        "households_missing",
        "person_times",
        "deep_poverty_area_unknown",  # several provinces: the place cannot decide
    }
    assert set(flags["P9"].split(";")) == {
        "cpb_high",
        "beneficiaries_lt_households",
        "sector_unknown",
    }
    assert set(result.report["flags_by_kind"]) <= set(FLAGS)


def test_the_canonical_table_passes_its_schema(result):
    validate_projects(result.data)


def test_a_missing_required_column_names_the_file_and_the_headers_seen():
    raw = raw_frame().drop(columns=["支出金额（万元）"])
    with pytest.raises(RegisterError) as err:
        clean_registers(raw)
    msg = str(err.value)
    assert "tiny.csv" in msg and "expenditure" in msg and "项目名称" in msg
    assert "\n" not in msg


def test_english_headers_and_a_user_alias_table():
    header = [
        "Project",
        "Organisation",
        "Year",
        "Province",
        "Spending (万元)",
        "People reached",
        "Mein Feld",
    ]
    rows = [["a", "Org A", "2018", "Gansu", "2", "10", "x"]]
    raw = raw_frame(rows, header, "en.csv")
    res = clean_registers(raw)
    assert res.data["expenditure_yuan"].iloc[0] == 20_000.0
    assert res.report["headers"][0]["ignored_headers"] == ["Mein Feld"]
    extra = pd.DataFrame({"canonical": ["sector"], "alias": ["Mein Feld"]})
    res2 = clean_registers(raw, extra_aliases=extra)
    assert res2.report["headers"][0]["ignored_headers"] == []


def test_duplicates_across_files_are_caught():
    a = raw_frame(ROWS[:1], name="a.csv")
    b = raw_frame(ROWS[:1], name="b.csv")
    res = clean_registers([a, b])
    assert res.report["rows_clean"] == 1 and res.report["rejected_by_reason"] == {"duplicate": 1}
    assert res.rejected["source_file"].tolist() == ["b.csv"]


def test_malformed_rows_from_the_reader_are_rejected():
    raw = raw_frame(ROWS[:2])
    raw.loc[1, "source_problem"] = "malformed_row: values in 15 fields, header has 13: x | y"
    res = clean_registers(raw)
    assert res.rejected["reason"].tolist() == ["malformed_row"]
    # rejected.csv shows the extra fields' text in its value column
    assert res.rejected["value"].tolist() == [
        "malformed_row: values in 15 fields, header has 13: x | y"
    ]


def test_thresholds_are_checked():
    with pytest.raises(ValueError, match="cpb_low"):
        clean_registers(raw_frame(), cpb_low=10, cpb_high=5)


def test_docs_describe_every_reason_code_and_flag():
    from conftest import ROOT

    text = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    for code in [*REJECT_REASONS, *FLAGS]:
        assert f"| {code} |" in text, code


def test_a_row_of_padded_blanks_is_an_empty_row():
    rows = [ROWS[0], ["        —        "] * 12 + ["   不详   "]]
    res = clean_registers(raw_frame(rows))
    assert res.rejected["reason"].tolist() == ["empty_row"]


def test_an_unreadable_central_support_value_is_flagged_not_lost():
    rows = [ROWS[0][:12] + ["部分支持"], ROWS[1][:12] + [""]]
    res = clean_registers(raw_frame(rows))
    flags = res.data.set_index("project_id")["flags"]
    assert "joint_funded_unreadable" in flags["P1"]
    assert "joint_funded_unreadable" not in flags["P2"]
    assert not res.data["joint_funded"].any()
