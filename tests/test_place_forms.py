"""三区三州 is True, False or unknown, never guessed: every area of the shipped table written in every
form a register uses (full, short, English, pinyin, in an address) comes out True; places outside come
out False; a partly covered province without a deciding prefecture or county comes out unknown."""

from __future__ import annotations

import pandas as pd
import pytest
from pypinyin import Style, lazy_pinyin

from analysis.reference import load_reference
from analysis.registers.cleaning import clean_registers
from analysis.registers.placenames import chinese_forms, chinese_short, latin_key
from analysis.registers.places import resolve_places

# The official English names (State Council Information Office / Xinhua usage), the oracle for the
# "English" form; pinyin comes from pypinyin, an independent library.
ENGLISH = {
    "海北藏族自治州": "Haibei Tibetan Autonomous Prefecture",
    "黄南藏族自治州": "Huangnan Tibetan Autonomous Prefecture",
    "海南藏族自治州": "Hainan Tibetan Autonomous Prefecture",
    "果洛藏族自治州": "Golog Tibetan Autonomous Prefecture",
    "玉树藏族自治州": "Yushu Tibetan Autonomous Prefecture",
    "海西蒙古族藏族自治州": "Haixi Mongol and Tibetan Autonomous Prefecture",
    "阿坝藏族羌族自治州": "Ngawa Tibetan and Qiang Autonomous Prefecture",
    "甘孜藏族自治州": "Garzê Tibetan Autonomous Prefecture",
    "木里藏族自治县": "Muli Tibetan Autonomous County",
    "甘南藏族自治州": "Gannan Tibetan Autonomous Prefecture",
    "天祝藏族自治县": "Tianzhu Tibetan Autonomous County",
    "迪庆藏族自治州": "Dêqên Tibetan Autonomous Prefecture",
    "和田地区": "Hotan Prefecture",
    "喀什地区": "Kashgar Prefecture",
    "阿克苏地区": "Aksu Prefecture",
    "克孜勒苏柯尔克孜自治州": "Kizilsu Kyrgyz Autonomous Prefecture",
    "凉山彝族自治州": "Liangshan Yi Autonomous Prefecture",
    "怒江傈僳族自治州": "Nujiang Lisu Autonomous Prefecture",
    "临夏回族自治州": "Linxia Hui Autonomous Prefecture",
}


def areas() -> pd.DataFrame:
    sq = load_reference("sanqu_sanzhou")
    prov = load_reference("provinces").set_index("name_en")
    sq = sq[sq["level"] != "province"].copy()
    sq["province_zh"] = sq["province_en"].map(prov["name_zh"])
    return sq


def forms(row) -> dict[str, tuple[str, str, str]]:
    """(province, prefecture, county) texts for one area in each form."""
    level = "prefecture" if row.level == "prefecture" else "county"
    short = chinese_short(row.name_zh, level)
    pinyin = "".join(lazy_pinyin(short, style=Style.NORMAL))
    col = (
        (lambda t: (row.province_zh, t, ""))
        if level == "prefecture"
        else (lambda t: (row.province_zh, "", t))
    )
    out = {
        "full": col(row.name_zh),
        "short": col(short),
        "short with suffix": col(short + ("州" if level == "prefecture" else "县")),
        "English": col(ENGLISH[row.name_zh]),
        "pinyin": col(pinyin.capitalize()),
        "pinyin spaced": col(" ".join(lazy_pinyin(short, style=Style.NORMAL))),
        "address": (f"{row.province_zh}{row.name_zh}", "", ""),
        "English province": (row.province_en, *col(ENGLISH[row.name_zh])[1:]),
    }
    if level == "county":
        out["address"] = (f"{row.province_zh}{short}县", "", "")
    return out


CASES = [(r.name_zh, kind, texts) for r in areas().itertuples() for kind, texts in forms(r).items()]


@pytest.mark.parametrize(("area", "kind", "texts"), CASES, ids=[f"{a}-{k}" for a, k, _ in CASES])
def test_every_deep_area_in_every_form_is_deep(area, kind, texts):
    out = resolve_places(*(pd.Series([t]) for t in texts))
    assert out["deep_poverty_area"].iloc[0] is True or bool(out["deep_poverty_area"].iloc[0]), (
        area,
        kind,
        texts,
        out.iloc[0].to_dict(),
    )
    assert out["place_problem"].iloc[0] == ""


def test_the_whole_table_in_one_register_comes_out_true_through_cleaning():
    rows = []
    for i, (_area, _kind, (prov, pref, cty)) in enumerate(CASES):
        rows.append([f"P{i}", "某基金会", "2018", prov, pref, cty, "1000", "10"])
    raw = pd.DataFrame(
        rows,
        columns=["项目编号", "实施机构", "年度", "省份", "市州", "县区", "支出金额", "受益人数"],
    )
    raw["source_file"], raw["source_row"], raw["source_problem"] = (
        "t.csv",
        range(2, len(raw) + 2),
        "",
    )
    res = clean_registers(raw, max_year=2026)
    assert res.report["rows_clean"] == len(CASES)
    assert res.data["deep_poverty_area"].eq(True).fillna(False).all()


def test_retired_names_resolve_to_one_current_place():
    out = resolve_places(
        pd.Series(["西藏", "西藏", "四川", "四川", "新疆", "新疆"]),
        pd.Series(["那曲地区", "那曲市", "甘孜州", "甘孜州", "阿克苏地区", "阿克苏地区"]),
        pd.Series(["安多县", "安多县", "康定县", "康定市", "库车县", "库车市"]),
    )
    assert out["prefecture"].tolist()[:2] == ["那曲市", "那曲市"]
    assert out["county"].tolist() == ["安多县", "安多县", "康定市", "康定市", "库车市", "库车市"]
    assert out["county_code"].tolist() == [
        "540624",
        "540624",
        "513301",
        "513301",
        "652902",  # the toolkit's own table (GB/T 2260, 2020): 库车市 652902, 库车县 its old name
        "652902",
    ]
    assert out["deep_poverty_area"].tolist() == [True] * 6


NOT_DEEP = [
    ("云南省", "昆明市", ""),
    ("Yunnan", "Kunming", ""),
    ("四川省", "成都", ""),
    ("Sichuan", "Chengdu City", ""),
    ("甘肃省", "兰州市", ""),
    ("甘肃", "武威市", "凉州区"),
    ("甘肃", "", "民勤县"),
    ("青海省", "西宁市", ""),
    ("新疆", "乌鲁木齐市", ""),
    ("Xinjiang", "Urumqi", ""),
    ("四川省", "达州市", "宣汉县"),
    ("云南省昆明市五华区", "", ""),
    ("贵州省", "", ""),
    ("河北省", "保定市", "望都县"),
]


@pytest.mark.parametrize("texts", NOT_DEEP, ids=[" ".join(t) for t in NOT_DEEP])
def test_places_outside_are_not_deep(texts):
    out = resolve_places(*(pd.Series([t]) for t in texts))
    assert out["deep_poverty_area"].iloc[0] is False or not out["deep_poverty_area"].iloc[0]
    assert not pd.isna(out["deep_poverty_area"].iloc[0])


UNKNOWN = [
    ("四川省", "", ""),
    ("Yunnan", "—", "不详"),
    ("甘肃省", "武威市", ""),  # 天祝 lies in 武威: the prefecture alone cannot say
    ("青海", "Atlantis", ""),  # a prefecture that does not resolve
    ("云南、四川", "", ""),  # several provinces
]


@pytest.mark.parametrize("texts", UNKNOWN, ids=[" ".join(t) for t in UNKNOWN])
def test_places_that_cannot_decide_are_unknown(texts):
    out = resolve_places(*(pd.Series([t]) for t in texts))
    assert pd.isna(out["deep_poverty_area"].iloc[0])


def test_every_county_of_a_deep_prefecture_is_deep_by_its_full_name_alone():
    names = load_reference("place_names")
    names = names[names["current"].astype(int) == 1]
    sq = load_reference("sanqu_sanzhou")
    deep_prefs = set(sq.loc[sq["level"] == "prefecture", "adcode"])
    counties = names[
        names["adcode"].str[:4].add("00").isin(deep_prefs) & ~names["adcode"].str.endswith("00")
    ]
    assert len(counties) > 100
    out = resolve_places(
        counties["adcode"].str[:2].map(load_reference("provinces").set_index("code")["name_zh"]),
        pd.Series([""] * len(counties), index=counties.index),
        counties["current_name"],
    )
    assert out["deep_poverty_area"].eq(True).fillna(False).all(), counties[
        ~out["deep_poverty_area"].eq(True).fillna(False)
    ]
    short = resolve_places(
        counties["adcode"].str[:2].map(load_reference("provinces").set_index("code")["name_zh"]),
        pd.Series([""] * len(counties), index=counties.index),
        counties["short_zh"] + "县",
    )
    # A short form is never resolved to a place outside: True, or unknown where it is ambiguous.
    assert not short["deep_poverty_area"].eq(False).fillna(False).any()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Liangshan Yi Autonomous Prefecture", "liangshan"),
        ("Gongshan Derung and Nu Autonomous County", "gongshan"),
        ("Garzê", "garze"),
        ("liang shan", "liangshan"),
        ("Li County", "li"),
        ("凉山", ""),
    ],
)
def test_latin_keys(text, key):
    assert latin_key(text) == key


def test_chinese_short_forms():
    assert chinese_short("贡山独龙族怒族自治县", "county") == "贡山"
    assert chinese_short("海西蒙古族藏族自治州", "prefecture") == "海西"
    assert chinese_short("克孜勒苏柯尔克孜自治州", "prefecture") == "克孜勒苏"
    assert chinese_short("城区", "county") == "城区"
    assert chinese_forms("凉山彝族自治州", "prefecture")[:3] == ["凉山彝族自治州", "凉山", "凉山州"]


def test_the_shipped_pinyin_is_pypinyins():
    names = load_reference("place_names").sample(400, random_state=1)
    for short, pinyin in zip(names["short_zh"], names["pinyin"].fillna(""), strict=True):
        want = "".join(lazy_pinyin(short, style=Style.NORMAL, errors="ignore")).lower()
        assert pinyin == want.replace("ü", "v"), short
