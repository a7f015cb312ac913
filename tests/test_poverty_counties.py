"""The 832 national poverty counties shipped with their corrections, and the poverty-county columns of
the canonical table."""

from __future__ import annotations

import pandas as pd

from analysis.reference import load_reference
from analysis.registers.cleaning import clean_registers
from analysis.registers.places import poverty_counties, poverty_status

OFFICIAL_BY_PROVINCE = {  # the official counts, as listed with the source (REFERENCE_SOURCES.md)
    "云南": 88, "西藏": 74, "四川": 66, "贵州": 66, "甘肃": 58, "陕西": 56, "河北": 45, "青海": 42,
    "湖南": 40, "河南": 38, "山西": 36, "广西": 33, "新疆": 32, "内蒙古": 31, "湖北": 28, "江西": 24,
    "黑龙江": 20, "安徽": 20, "重庆": 14, "吉林": 8, "宁夏": 8, "海南": 5,
}  # fmt: skip
OFFICIAL_BY_YEAR = {2016: 28, 2017: 125, 2018: 283, 2019: 344, 2020: 52}


def table() -> pd.DataFrame:
    return load_reference("poverty_counties")


def test_832_counties_in_22_provinces_with_the_official_counts():
    t = table()
    assert len(t) == 832
    # 冷湖行委, corrected to 茫崖市 632803 (merged in 2018), shares its code with 茫崖行委.
    assert t.loc[t["county_code"].duplicated(keep=False), "county_name"].tolist() == [
        "冷湖行委",
        "茫崖行委",
    ]
    short = load_reference("provinces").set_index("name_zh")["short_zh"]
    by_province = t["province"].map(short).value_counts().to_dict()
    assert by_province == OFFICIAL_BY_PROVINCE
    assert t["exit_year"].astype(int).value_counts().to_dict() == OFFICIAL_BY_YEAR


def test_the_four_known_defects_are_corrected_and_listed():
    t = table().set_index("county_name")
    assert t.loc["文山市", "county_code"] == "532601"
    assert t.loc["临夏市", "county_code"] == "622901"
    assert t.loc["冷湖行委", "county_code"] == "632803"
    assert t.loc["冷湖行委", "prefecture"] == "海西蒙古族藏族自治州"
    assert t.loc["双柏县", "exit_year"] == "2018"
    assert (t["correction"] != "").sum() == 4


def test_every_code_resolves_to_a_county_of_the_shipped_division_table():
    names = load_reference("place_names").set_index("adcode")
    resolved = poverty_counties()  # raises if any county resolves neither by code nor by name
    assert set(resolved) <= set(names.index)
    assert not any(code.endswith("00") for code in resolved)
    assert len(resolved) == 831  # 冷湖 and 茫崖 are one place (茫崖市) today
    # Codes newer than the division table (2020-2021 re-zoning) resolve by name.
    codes = table()["county_code"]
    newer = sorted(set(codes) - set(names.index))
    assert newer == ["520204", "520581", "610981", "632825"]


def test_poverty_columns_from_the_resolved_county():
    rows = [
        [
            "某基金会",
            "2018",
            "河北省",
            "保定市",
            "望都县",
            "1000",
            "10",
        ],  # poverty county, exit 2016
        [
            "某基金会",
            "2018",
            "河北省",
            "保定市",
            "竞秀区",
            "1000",
            "10",
        ],  # a county outside the 832
        ["某基金会", "2018", "河北省", "保定市", "", "1000", "10"],  # county unknown
        ["某基金会", "2018", "云南", "", "双柏县", "1000", "10"],  # corrected exit year
        ["某基金会", "2018", "甘肃", "", "临夏市", "1000", "10"],  # corrected code
        ["某基金会", "2018", "贵州", "六盘水市", "盘县", "1000", "10"],  # retired name -> 盘州市
    ]
    raw = pd.DataFrame(
        rows, columns=["实施机构", "年度", "省份", "市州", "县区", "支出金额", "受益人数"]
    )
    raw["项目名称"] = [f"p{i}" for i in range(len(raw))]
    raw["source_file"], raw["source_row"], raw["source_problem"] = "t.csv", range(2, 8), ""
    data = clean_registers(raw, max_year=2026).data
    assert data["poverty_county"].tolist() == [True, False, pd.NA, True, True, True]
    assert data["poverty_exit_year"].tolist() == [2016, pd.NA, pd.NA, 2018, 2017, 2018]


def test_poverty_status_is_missing_where_the_county_is():
    out = poverty_status(pd.Series(["130631", None, "110101"], dtype="string"))
    assert out["poverty_county"].tolist() == [True, pd.NA, False]
    assert out["poverty_exit_year"].tolist() == [2016, pd.NA, pd.NA]
