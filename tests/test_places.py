"""Tests for analysis.registers.places.resolve_places: province spellings, free-text addresses, several
provinces, prefectures and counties under full, short and retired names, and 三区三州 membership."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.registers.places import resolve_places
from analysis.schema import MULTIPLE

COLUMNS = [
    "province",
    "province_code",
    "prefecture",
    "county",
    "deep_poverty_area",
    "place_problem",
    "province_list",
    "county_code",
    "prefecture_code",
]


def resolve_one(province, prefecture="", county="") -> dict:
    out = resolve_places(pd.Series([province]), pd.Series([prefecture]), pd.Series([county]))
    row = {
        c: out[c].iloc[0]
        for c in COLUMNS
        if c not in ("province_list", "county_code", "prefecture_code") or out[c].notna().iloc[0]
    }
    deep = row["deep_poverty_area"]
    assert deep is pd.NA or isinstance(deep, bool | np.bool_)
    row["deep_poverty_area"] = None if deep is pd.NA else bool(deep)
    return {c: (None if pd.isna(v) else v) for c, v in row.items()}


@pytest.mark.parametrize(
    ("text", "name", "code"),
    [
        ("云南省", "Yunnan", "53"),
        ("云南", "Yunnan", "53"),
        ("Yunnan", "Yunnan", "53"),
        ("Yunnan Province", "Yunnan", "53"),
        ("雲南", "Yunnan", "53"),
        (" yunnan ", "Yunnan", "53"),
        ("YUNNAN", "Yunnan", "53"),
        ("ｙｕｎｎａｎ", "Yunnan", "53"),
        ("内蒙古", "Inner Mongolia", "15"),
        ("内蒙古自治区", "Inner Mongolia", "15"),
        ("Inner Mongolia", "Inner Mongolia", "15"),
        ("Nei Mongol", "Inner Mongolia", "15"),
        ("Inner Mongolia Autonomous Region", "Inner Mongolia", "15"),
        ("西藏", "Tibet", "54"),
        ("西藏自治区", "Tibet", "54"),
        ("Tibet", "Tibet", "54"),
        ("Xizang", "Tibet", "54"),
        ("新疆维吾尔自治区", "Xinjiang", "65"),
        ("Xinjiang Uygur Autonomous Region", "Xinjiang", "65"),
        ("广西壮族自治区", "Guangxi", "45"),
        ("北京市", "Beijing", "11"),
        ("海南", "Hainan", "46"),
    ],
)
def test_province_spellings(text, name, code):
    row = resolve_one(text)
    assert row["province"] == name
    assert row["province_code"] == code
    assert row["place_problem"] == ""


@pytest.mark.parametrize("text", ["西藏", "Tibet", "Xizang"])
def test_tibet_is_all_deep_poverty_area(text):
    assert resolve_one(text)["deep_poverty_area"] is True


@pytest.mark.parametrize("text", ["Inner Mongolia", "Hainan", "贵州"])
def test_a_province_without_any_deep_area_is_not_deep(text):
    assert resolve_one(text)["deep_poverty_area"] is False


@pytest.mark.parametrize("text", ["云南省", "Sichuan", "甘肃", "青海省", "新疆维吾尔自治区"])
def test_a_partly_covered_province_alone_is_unknown_never_guessed(text):
    assert resolve_one(text)["deep_poverty_area"] is None


def test_the_provinces_of_a_multiple_row_are_listed():
    from analysis.registers.places import resolve_places

    out = resolve_places(pd.Series(["云南、四川", "云南"]))
    assert out["province_list"].tolist()[0] == "Sichuan|Yunnan"
    assert pd.isna(out["province_list"].iloc[1])


@pytest.mark.parametrize(
    "text", ["云南、四川", "Sichuan and Yunnan", "Yunnan, Sichuan", "四川和云南"]
)
def test_several_provinces_are_multiple(text):
    row = resolve_one(text)
    assert row == {
        "province": MULTIPLE,
        "province_code": None,
        "prefecture": None,
        "county": None,
        "deep_poverty_area": None,
        "place_problem": "",
        "province_list": "Sichuan|Yunnan",
    }
    assert MULTIPLE == "multiple"


def test_same_province_twice_is_that_province():
    row = resolve_one("云南,云南")
    assert (row["province"], row["province_code"]) == ("Yunnan", "53")


def test_free_text_address_in_province_column():
    row = resolve_one("云南省怒江州泸水市")
    assert row == {
        "province": "Yunnan",
        "province_code": "53",
        "prefecture": "怒江傈僳族自治州",
        "county": "泸水市",
        "deep_poverty_area": True,
        "place_problem": "",
        "county_code": "533301",
        "prefecture_code": "533300",
    }


@pytest.mark.parametrize(
    ("address", "prefecture", "county", "deep"),
    [
        ("青海省海南州", "海南藏族自治州", None, True),
        ("新疆和田地区", "和田地区", None, True),  # 和 is also a separator: not "新疆" + "田地区"
        ("四川省凉山州木里县", "凉山彝族自治州", "木里藏族自治县", True),
        ("甘肃武威天祝", "武威市", "天祝藏族自治县", True),
        ("甘肃省武威市凉州区", "武威市", "凉州区", False),
        ("西藏那曲地区", "那曲市", None, True),
    ],
)
def test_more_free_text_addresses(address, prefecture, county, deep):
    row = resolve_one(address)
    assert row["prefecture"] == prefecture
    assert row["county"] == county
    assert row["deep_poverty_area"] is deep
    assert row["place_problem"] == ""


def test_county_alone_decides_deep_and_fills_prefecture():
    row = resolve_one("四川", "", "木里县")
    assert row["province_code"] == "51"
    assert row["prefecture"] == "凉山彝族自治州"
    assert row["county"] == "木里藏族自治县"
    assert row["deep_poverty_area"] is True


def test_liangshan_prefecture_is_deep_without_county():
    row = resolve_one("四川", "凉山")
    assert row["prefecture"] == "凉山彝族自治州"
    assert row["county"] is None
    assert row["deep_poverty_area"] is True


def test_tianzhu_is_deep_but_the_rest_of_wuwei_is_not():
    tianzhu = resolve_one("甘肃", "武威市", "天祝")
    liangzhou = resolve_one("甘肃", "武威市", "凉州区")
    assert (tianzhu["prefecture"], tianzhu["county"]) == ("武威市", "天祝藏族自治县")
    assert tianzhu["deep_poverty_area"] is True
    assert (liangzhou["prefecture"], liangzhou["county"]) == ("武威市", "凉州区")
    assert liangzhou["deep_poverty_area"] is False
    # 武威 without its county: 天祝 is in it, so the prefecture alone cannot decide.
    assert resolve_one("甘肃", "武威市")["deep_poverty_area"] is None


def test_retired_prefecture_name():
    row = resolve_one("西藏", "那曲地区")
    assert row["province"] == "Tibet"
    assert row["prefecture"] == "那曲市"
    assert row["deep_poverty_area"] is True


def test_hainan_prefecture_of_qinghai_is_not_hainan_province():
    row = resolve_one("青海", "海南州")
    assert row["province"] == "Qinghai"
    assert row["province_code"] == "63"
    assert row["prefecture"] == "海南藏族自治州"
    assert row["deep_poverty_area"] is True


def test_unknown_prefecture_kept_as_written():
    row = resolve_one("云南", " 某某市 ")
    assert row["prefecture"] == "某某市"
    assert (
        row["deep_poverty_area"] is None
    )  # Yunnan is partly 三区三州: an unknown place cannot say
    assert row["place_problem"] == ""


@pytest.mark.parametrize("text", ["", "  ", "—", "不详", None])
def test_blank_province_is_missing(text):
    row = resolve_one(text)
    assert row["province"] is None and row["province_code"] is None
    assert row["deep_poverty_area"] is False
    assert row["place_problem"] == "missing"


@pytest.mark.parametrize("text", ["火星", "Atlantis"])
def test_unknown_province_is_unresolved(text):
    row = resolve_one(text)
    assert row["province"] is None and row["province_code"] is None
    assert row["deep_poverty_area"] is False
    assert row["place_problem"] == "unresolved"


@pytest.mark.parametrize("text", ["云南、贵洲", "云南、火星"])
def test_province_list_with_an_unknown_name_is_flagged(text):
    row = resolve_one(text)
    assert row["province"] != "Yunnan"
    assert row["place_problem"] == "unresolved"


def test_frame_shape_index_and_dtypes():
    index = pd.Index([30, 10, 20, 40])
    province = pd.Series(["西藏", "云南", "西藏", "火星"], index=index)
    prefecture = pd.Series(["那曲地区", "怒江", "那曲地区", ""], index=index)
    out = resolve_places(province, prefecture)
    assert list(out.columns) == COLUMNS
    assert list(out.index) == [30, 10, 20, 40]
    assert list(out["prefecture"].fillna("<NA>")) == [
        "那曲市",
        "怒江傈僳族自治州",
        "那曲市",
        "<NA>",
    ]
    assert list(out["deep_poverty_area"]) == [True, True, True, False]
    assert list(out["place_problem"]) == ["", "", "", "unresolved"]
    assert out["deep_poverty_area"].dtype == "boolean"
    for col in ("province", "province_code", "prefecture", "county"):
        assert isinstance(out[col].dtype, pd.StringDtype), col


def test_province_only_call():
    out = resolve_places(pd.Series(["云南", "Tibet"]))
    assert list(out["province"]) == ["Yunnan", "Tibet"]
    assert list(out["province_code"]) == ["53", "54"]
    assert out["deep_poverty_area"].tolist() == [pd.NA, True]


@pytest.mark.parametrize(
    ("province", "prefecture", "county", "pref_out", "county_out"),
    [
        ("湖北省", "宜昌", "", "宜昌市", None),
        ("河南", "南阳", "淅川", "南阳市", "淅川县"),
        ("云南省昭通市镇雄县", "", "", "昭通市", "镇雄县"),
        ("Inner Mongolia", "鄂尔多斯", "", "鄂尔多斯市", None),
    ],
)
def test_prefectures_and_counties_anywhere_in_china(
    province, prefecture, county, pref_out, county_out
):
    row = resolve_one(province, prefecture, county)
    assert row["prefecture"] == pref_out and row["county"] == county_out
    assert row["deep_poverty_area"] is False
