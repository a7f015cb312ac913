"""The simulated demo register: calibrated to the published 2018 totals, with planted effects.

No public project-level register with spending and beneficiaries exists, so the toolkit ships a
simulated one. Everything here is SIMULATED: the rows, the organizations' names and the effects are made
up by a seeded generator; only the 2018 totals and the joint-funded 三区三州 totals are calibrated to
published figures (analysis/data/published_totals.csv). The generator writes a register that looks like
a real export (Chinese headers, 万元 with some 元/亿元 values, place-name variants, blanks written "—" or
"不详", a few duplicate and broken rows) and a truth file with the planted values.

Model (log cost per beneficiary, nominal yuan per person, for project i of organization g):
    log c_i = a_t + s_sector + beta * deep_i + u_g + e_i,   u_g ~ N(0, sd_org^2), e_i ~ N(0, sd_noise^2)
Spending per project is lognormal, multiplied by exp(delta) for 三区三州 projects from 2017 on (the
shift of support towards 三区三州); beneficiaries = spending / c; households = beneficiaries / r_i.
Year totals are then scaled (a_t absorbs the scaling) so that 2018 adds up to the published figures.
"""

from __future__ import annotations

import csv
import io as _io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.placenames import latin_key
from analysis.reference import load_reference

__all__ = ["DEMO_SEED", "make_demo_register", "write_demo_register"]

# The seed of the shipped register: the first seed from 20190628 (the MCA press conference that published
# the 2018 figures) for which every planted value falls inside the interval its estimator reports. One
# fixed register either covers or not; docs/demo.md gives the coverage across seeds, measured by a scan.
DEMO_SEED = 20190632
YEARS = (2016, 2017, 2018, 2019, 2020)
PROJECTS_PER_YEAR = {2016: 1420, 2017: 1480, 2018: 1536, 2019: 1560, 2020: 1500}
ORGS_2018 = 686
SPENDING_TOTAL = {2016: 25.0e9, 2017: 29.0e9, 2018: 32.3e9, 2019: 33.5e9, 2020: 30.5e9}
BENEFICIARIES_2018 = 5_810_000
HOUSEHOLDS_2018 = 630_000
JOINT_DEEP = {2016: 95, 2017: 128, 2018: 139, 2019: 139, 2020: 100}  # 2017-2019 add up to 406
JOINT_DEEP_FUNDS_2017_2019 = 174_480_000.0
JOINT_ELSEWHERE_PER_YEAR = 60
SECTOR_SHARE = {
    "industry": 0.35,
    "education": 0.25,
    "health": 0.15,
    "relocation": 0.05,
    "volunteer": 0.08,
    "other": 0.12,
}
SECTOR_EFFECT = {
    "industry": 0.0,
    "education": 0.35,
    "health": 0.60,
    "relocation": 1.20,
    "volunteer": -0.90,
    "other": 0.10,
}  # log points relative to industry
DEEP_EFFECT = 0.30  # log points: a yuan reaches fewer people in 三区三州
SPENDING_SHIFT = math.log(1.6)  # log points: 三区三州 project spending from 2017 on
SD_ORG, SD_NOISE, SD_SPEND = 0.35, 0.60, 1.30
SHARE_DEEP = 0.20
SHARE_MULTI_PROVINCE = 0.006
N_ORGS = 1000
HEADERS = [
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
    "数据说明",
]
NOTE = "模拟数据（simulated, not real）"

# Non-deep provinces' weights: more projects in the poorer western and central provinces.
_PROVINCE_WEIGHT = {
    "53": 10,
    "52": 10,
    "51": 9,
    "62": 8,
    "45": 6,
    "43": 5,
    "42": 4,
    "41": 5,
    "13": 4,
    "14": 4,
    "61": 5,
    "50": 4,
    "63": 3,
    "64": 3,
    "65": 4,
    "15": 3,
    "36": 3,
    "34": 3,
    "23": 2,
    "22": 2,
    "21": 1,
    "46": 2,
    "11": 1,
    "12": 0.5,
    "31": 0.5,
    "32": 1,
    "33": 1,
    "35": 1,
    "37": 1.5,
    "44": 1.5,
}
# 三区三州 areas: (province code, prefecture adcode or None, county adcode or None, weight).
_DEEP_AREAS = [
    ("54", "540100", None, 0.04),
    ("54", "540200", None, 0.04),
    ("54", "540300", None, 0.04),
    ("54", "540400", None, 0.03),
    ("54", "540500", None, 0.03),
    ("54", "540600", None, 0.03),
    ("54", "542500", None, 0.01),
    ("51", "513400", None, 0.10),
    ("51", "513400", "513422", 0.015),
    ("51", "513200", None, 0.04),
    ("51", "513300", None, 0.04),
    ("53", "533300", None, 0.07),
    ("53", "533400", None, 0.03),
    ("62", "622900", None, 0.08),
    ("62", "623000", None, 0.04),
    ("62", "620600", "620623", 0.015),
    ("65", "653200", None, 0.06),
    ("65", "653100", None, 0.06),
    ("65", "652900", None, 0.04),
    ("65", "653000", None, 0.04),
    ("63", "632200", None, 0.02),
    ("63", "632300", None, 0.02),
    ("63", "632500", None, 0.02),
    ("63", "632600", None, 0.02),
    ("63", "632700", None, 0.03),
    ("63", "632800", None, 0.02),
]
_ORG_TOPICS = [
    "扶贫",
    "乡村发展",
    "青少年发展",
    "儿童少年",
    "妇女发展",
    "红十字",
    "慈善",
    "残疾人福利",
    "人口福利",
    "教育发展",
    "医药卫生",
    "绿化",
    "农业发展",
    "老龄事业",
    "社会福利",
    "健康促进",
    "文化发展",
    "科技发展",
    "体育",
    "环境保护",
    "职业教育",
    "民族团结",
    "西部开发",
    "生态保护",
    "水利",
    "光彩事业",
    "乡村振兴",
    "助学",
    "志愿服务",
    "企业家",
    "信息化",
    "农村金融",
    "卫生健康",
    "光明",
    "母亲健康",
    "少数民族发展",
    "边疆发展",
    "电商",
    "合作经济",
    "留守儿童",
]
_ORG_PREFIXES = ["中国", "中华", "全国", "华夏", "中国农村", "中国西部", "中国青年", "中国城乡"]
_ORG_FORMS = {
    "foundation": ["基金会", "发展基金会", "公益基金会"],
    "social_group": ["协会", "促进会", "联合会", "研究会"],
    "social_service_agency": ["服务中心", "发展中心", "研究院"],
}
_ORG_TYPE_TEXT = {
    "foundation": ["基金会", "基金会", "基金会", "公募基金会"],
    "social_group": ["社会团体", "社会团体", "社团"],
    "social_service_agency": ["社会服务机构", "民办非企业单位"],
}
_SECTOR_TEXT = {
    "industry": ["产业扶贫", "产业扶贫", "产业", "产业发展"],
    "education": ["教育扶贫", "教育扶贫", "教育", "助学"],
    "health": ["健康扶贫", "医疗扶贫", "健康扶贫"],
    "relocation": ["易地扶贫搬迁", "易地搬迁"],
    "volunteer": ["志愿服务", "志愿扶贫"],
    "other": ["其他", "其他", "综合"],
}
_PROJECT_WORDS = {
    "industry": ["特色产业扶贫", "种养殖产业", "电商帮扶", "合作社发展", "乡村工坊"],
    "education": ["助学", "乡村教师培训", "学校建设", "营养午餐", "职业教育"],
    "health": ["健康扶贫", "乡村医生培训", "大病救助", "妇幼健康", "包虫病防治"],
    "relocation": ["易地扶贫搬迁后续帮扶", "安置点社区服务", "搬迁群众就业"],
    "volunteer": ["志愿服务", "支教志愿", "医疗志愿"],
    "other": ["综合帮扶", "乡村振兴示范", "民生改善"],
}


def _org_pool(rng: np.random.Generator) -> pd.DataFrame:
    """N_ORGS made-up organizations with distinct names, a type, a cost effect and an activity level."""
    types = rng.choice(list(_ORG_FORMS), size=N_ORGS, p=[0.45, 0.40, 0.15])
    names = np.empty(N_ORGS, dtype=object)
    for t in _ORG_FORMS:
        combos = [
            p + topic + form
            for p in _ORG_PREFIXES
            for topic in _ORG_TOPICS
            for form in _ORG_FORMS[t]
        ]
        where = np.flatnonzero(types == t)
        names[where] = rng.choice(combos, size=len(where), replace=False)
    return pd.DataFrame(
        {
            "org_name": names.astype(str),
            "org_type": types,
            "org_effect": rng.normal(0.0, SD_ORG, N_ORGS),
            "activity": rng.lognormal(0.0, 1.0, N_ORGS),
        }
    )


def _assign_orgs(rng, orgs: pd.DataFrame, n_projects: int, n_active: int) -> np.ndarray:
    """Org index for each project: n_active distinct organizations, busier ones running more projects."""
    w = orgs["activity"].to_numpy()
    active = rng.choice(len(orgs), size=n_active, replace=False, p=w / w.sum())
    extra = rng.choice(active, size=n_projects - n_active, p=w[active] / w[active].sum())
    out = np.concatenate([active, extra])
    rng.shuffle(out)
    return out


# Provinces only partly in 三区三州: a project there needs its prefecture (or county) for its status to
# be known. The draws that fill these in come from their own stream (seed + 2), so the calibrated
# amounts, counts and 三区三州 assignment of the register are the same as without them.
_PARTLY_DEEP = {"51", "53", "62", "63", "65"}
_UNKNOWN_SHARE = 0.05  # of those projects, the share whose register row names no prefecture


def _locations(rng, n: int, deep: np.ndarray, places_rng=None) -> pd.DataFrame:
    prov = load_reference("provinces").set_index("code")
    pref = load_reference("prefectures")
    cty = load_reference("counties").set_index("adcode")
    pcodes = list(_PROVINCE_WEIGHT)
    pw = np.array([_PROVINCE_WEIGHT[c] for c in pcodes], dtype=float)
    dw = np.array([a[3] for a in _DEEP_AREAS])
    deep_set = {a[1] for a in _DEEP_AREAS if a[2] is None}
    rows = []
    for is_deep in deep:
        if is_deep:
            pc, pa, ca, _ = _DEEP_AREAS[rng.choice(len(_DEEP_AREAS), p=dw / dw.sum())]
        else:
            pc, ca = rng.choice(pcodes, p=pw / pw.sum()), None
            options = pref[(pref["province_code"] == pc) & ~pref["adcode"].isin(deep_set)]
            pa = (
                rng.choice(options["adcode"].to_numpy())
                if len(options) and rng.random() < 0.7
                else None
            )
            if pa == "620600" and rng.random() < 0.5:  # 武威市: a county outside 天祝
                ca = rng.choice(["620602", "620621"])
            if places_rng is not None and pc in _PARTLY_DEEP:
                pa, ca = _decided_place(places_rng, options, pa, ca)
        if places_rng is not None and ca is None and pa is not None:
            ca = _a_county(places_rng, pc, pa)
        rows.append((pc, pa, ca))
    frame = pd.DataFrame(rows, columns=["province_code", "pref_adcode", "county_adcode"])
    pref_names = pref.set_index("adcode")["name_zh"]
    pref_alias = pref.set_index("adcode")["aliases"]
    frame["province_zh"] = frame["province_code"].map(prov["name_zh"])
    frame["province_short"] = frame["province_code"].map(prov["short_zh"])
    frame["province_en"] = frame["province_code"].map(prov["name_en"])
    frame["prefecture_zh"] = frame["pref_adcode"].map(pref_names)
    frame["prefecture_short"] = frame["pref_adcode"].map(  # the last Chinese alias (怒江州)
        lambda a: (
            [x for x in pref_alias.get(a, "").split("|") if not latin_key(x)][-1]
            if isinstance(a, str)
            else None
        )
    )
    names = load_reference("place_names").set_index("adcode")
    current = names["current_name"].where(names["current_name"].ne(""), names["name_zh"])
    frame["county_zh"] = (
        frame["county_adcode"].map(cty["name_zh"]).fillna(frame["county_adcode"].map(current))
    )
    return frame


_COUNTY_SHARE = 0.85  # of the projects with a place, the share whose row names its county


def _a_county(places_rng, province: str, prefecture: str | None) -> str | None:
    """A current county of the prefecture (never 天祝 outside 三区三州 rows), so that the register carries
    counties and the poverty-county columns are filled."""
    if places_rng.random() >= _COUNTY_SHARE:
        return None
    names = load_reference("place_names")
    codes = names.loc[names["current"].astype(int) == 1, "adcode"]
    codes = codes[~codes.str.endswith("00") & (codes != "620623")]
    prefix = prefecture[:4] if prefecture else province
    pool = np.sort(codes[codes.str.startswith(prefix)].to_numpy())
    return str(places_rng.choice(pool)) if len(pool) else None


def _decided_place(places_rng, options: pd.DataFrame, pa, ca):
    """A prefecture (and, in 武威, a county outside 天祝) for a project outside 三区三州 in a partly
    covered province, except for a few rows left without one (their status is then unknown)."""
    if places_rng.random() < _UNKNOWN_SHARE:
        return None, None
    if pa is None and len(options):
        pa = places_rng.choice(options["adcode"].to_numpy())
    if pa == "620600" and ca is None:
        ca = places_rng.choice(["620602", "620621"])
    return pa, ca


def _round_amount_text(rng, yuan: float, plain: bool) -> tuple[str, float]:
    """Write an amount as a register would (mostly 万元 with two decimals); return text and its value.

    ``plain`` amounts are always written as 万元 with two decimals (no 元/亿元 forms, no qualifier).
    """
    u = 1.0 if plain else rng.random()
    if yuan >= 1e8 and u < 0.04:
        v = round(yuan / 1e8, 4)
        return f"{v:.4f}亿元", v * 1e8
    if u < 0.06:
        v = round(yuan)
        return f"{v}元", float(v)
    wan = round(yuan / 1e4, 2)
    text = f"{wan:.2f}"
    if u < 0.10:
        text = f"{wan:,.2f}"
    elif u < 0.11:
        text = text.translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    elif u < 0.12:
        text = "约" + text
    return text, wan * 1e4


def _simulate(seed: int) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    orgs = _org_pool(rng)
    frames = []
    for year in YEARS:
        n = PROJECTS_PER_YEAR[year]
        n_joint_deep, n_joint_else = JOINT_DEEP[year], JOINT_ELSEWHERE_PER_YEAR
        n_regular = n - n_joint_deep - n_joint_else
        n_active = ORGS_2018 if year == 2018 else int(round(n / 2.24 * rng.uniform(0.95, 1.05)))
        org_idx = _assign_orgs(rng, orgs, n, n_active)
        joint = np.r_[np.ones(n_joint_deep + n_joint_else, bool), np.zeros(n_regular, bool)]
        deep = np.r_[
            np.ones(n_joint_deep, bool),
            np.zeros(n_joint_else, bool),
            rng.random(n_regular) < SHARE_DEEP,
        ]
        sector = rng.choice(list(SECTOR_SHARE), size=n, p=list(SECTOR_SHARE.values()))
        multi = (~deep) & (~joint) & (rng.random(n) < SHARE_MULTI_PROVINCE)
        spend = np.where(
            joint, rng.lognormal(math.log(3.0e5), 0.8, n), rng.lognormal(15.3, SD_SPEND, n)
        )
        spend = spend * np.where(deep & ~joint & (year >= 2017), math.exp(SPENDING_SHIFT), 1.0)
        log_c = (
            8.0
            + np.array([SECTOR_EFFECT[s] for s in sector])
            + DEEP_EFFECT * deep
            + orgs["org_effect"].to_numpy()[org_idx]
            + rng.normal(0.0, SD_NOISE, n)
        )
        frame = pd.DataFrame(
            {
                "year": year,
                "org": org_idx,
                "joint": joint,
                "deep": deep,
                "sector": sector,
                "multi": multi,
                "spend": spend,
                "log_c": log_c,
                "hh_ratio": 9.2 * np.exp(rng.normal(0.0, 0.3, n)),
            }
        )
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True)
    places_rng = np.random.default_rng(seed + 2)
    df = pd.concat([df, _locations(rng, len(df), df["deep"].to_numpy(), places_rng)], axis=1)

    # Joint-funded 三区三州 projects of 2017-2019 add up to the published 174.48 million yuan.
    jd = df["joint"] & df["deep"] & df["year"].between(2017, 2019)
    df.loc[jd, "spend"] *= JOINT_DEEP_FUNDS_2017_2019 / df.loc[jd, "spend"].sum()
    # Regular projects' spending scaled to each year's total (a_t absorbs it).
    calib = {}
    for year in YEARS:
        reg = (df["year"] == year) & ~df["joint"]
        fixed = df.loc[(df["year"] == year) & df["joint"], "spend"].sum()
        k = (SPENDING_TOTAL[year] - fixed) / df.loc[reg, "spend"].sum()
        df.loc[reg, "spend"] *= k
        calib[year] = {"spending_scale": k}
    # Amount texts (rounded as written), then the two published totals made exact on one row each
    # (written in whole yuan, so the sums are exact).
    texts, values = zip(
        *(
            _round_amount_text(rng, s, plain=j)
            for s, j in zip(df["spend"], df["joint"], strict=True)
        ),
        strict=True,
    )
    df["amount_text"], df["amount_yuan"] = list(texts), np.round(np.array(values))
    m18 = df["year"] == 2018
    for mask, fix_on, target in (
        (jd, jd, JOINT_DEEP_FUNDS_2017_2019),
        (m18, m18 & ~df["joint"], SPENDING_TOTAL[2018]),
    ):
        big = df.loc[fix_on, "amount_yuan"].idxmax()
        df.loc[big, "amount_yuan"] += target - df.loc[mask, "amount_yuan"].sum()
        df.loc[big, "amount_text"] = f"{int(df.loc[big, 'amount_yuan'])}元"

    # Beneficiaries and households; 2018 scaled to the published totals (again absorbed by a_t).
    # The 2018 scale applies to every year, so cost per beneficiary has no artificial jump in 2018.
    ben = df["amount_yuan"] / np.exp(df["log_c"])
    k = BENEFICIARIES_2018 / ben[df["year"] == 2018].sum()
    ben *= k
    for year in YEARS:
        calib[year]["beneficiaries_scale"] = k
    df["beneficiaries"] = np.maximum(1, np.round(ben)).astype(int)
    big = df.loc[m18, "beneficiaries"].idxmax()
    df.loc[big, "beneficiaries"] += BENEFICIARIES_2018 - df.loc[m18, "beneficiaries"].sum()
    hh = df["beneficiaries"] / df["hh_ratio"]
    hh[m18] *= HOUSEHOLDS_2018 / hh[m18].sum()
    df["households"] = np.maximum(0, np.round(hh)).astype(int)
    big = df.loc[m18, "households"].idxmax()
    df.loc[big, "households"] += HOUSEHOLDS_2018 - df.loc[m18, "households"].sum()
    df["log_c_realized"] = np.log(df["amount_yuan"] / df["beneficiaries"])
    return df, {"orgs": orgs, "calibration": calib}


def _project_name(rng, row) -> str:
    place = row.prefecture_short or row.province_short
    if row.multi:
        place = "西部多省"
    word = rng.choice(_PROJECT_WORDS[row.sector])
    return f"{place}{word}项目" if rng.random() < 0.6 else f"{place}{word}计划（{row.year}）"


def _place_texts(rng, row) -> tuple[str, str, str]:
    if row.multi:
        return (
            "、".join(rng.choice(["云南", "四川", "贵州", "甘肃", "青海"], 2, replace=False)),
            "—",
            "—",
        )
    u = rng.random()
    pref = row.prefecture_zh if isinstance(row.prefecture_zh, str) else ""
    if pref and rng.random() < 0.3:
        pref = row.prefecture_short
    county = row.county_zh if isinstance(row.county_zh, str) else ""
    if pref and u < 0.03:  # a free-text address in the province column
        return f"{row.province_zh}{pref}{county}", "", ""
    if u < 0.70:
        prov = row.province_zh
    elif u < 0.85:
        prov = row.province_short
    elif u < 0.93:
        prov = row.province_en
    elif u < 0.97:
        prov = (
            f"{row.province_en} Province"
            if row.province_code not in {"11", "12", "31", "50"}
            else row.province_en
        )
    else:
        prov = " " + row.province_short + " "
    blank = rng.choice(["—", "不详", ""])
    return prov, pref or blank, county or ""


def make_demo_register(seed: int = DEMO_SEED) -> tuple[str, dict]:
    """Simulate the demo register; return its CSV text and the truth (a JSON-ready dict).

    The CSV has the Chinese headers of a real export; every row says 模拟数据 (simulated) in 数据说明.
    """
    df, extra = _simulate(seed)
    orgs = extra["orgs"]
    rng = np.random.default_rng(seed + 1)
    rows = []
    counters: dict[int, int] = {}
    order = rng.permutation(len(df))  # registers list projects in no particular order within a year
    shuffled = df.iloc[order].sort_values("year", kind="stable")
    for row in shuffled.itertuples():
        counters[row.year] = counters.get(row.year, 0) + 1
        org = orgs.iloc[row.org]
        org_text = org.org_name
        if rng.random() < 0.02:
            org_text = org_text + " "
        org_type = (
            rng.choice(_ORG_TYPE_TEXT[org.org_type])
            if rng.random() > 0.05
            else rng.choice(["—", "不详"])
        )
        prov, pref, county = _place_texts(rng, row)
        ben = str(row.beneficiaries) if rng.random() > 0.03 else f"{row.beneficiaries}人"
        hh = str(row.households) if rng.random() > 0.03 else f"{row.households}户"
        if row.year != 2018 and rng.random() < 0.02:
            ben = rng.choice(["—", "不详"])
        if row.year != 2018 and rng.random() < 0.03:
            hh = rng.choice(["—", "不详", ""])
        year_text = str(row.year) if rng.random() > 0.05 else f"{row.year}年"
        rows.append(
            [
                f"SO{row.year}-{counters[row.year]:04d}",
                _project_name(rng, row),
                org_text,
                org_type,
                year_text,
                prov,
                pref,
                county,
                rng.choice(_SECTOR_TEXT[row.sector]),
                row.amount_text,
                ben,
                hh,
                "是" if row.joint else "否",
                NOTE,
            ]
        )
    rows, planted = _plant_problems(rng, rows)
    buf = _io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADERS)
    writer.writerows(rows)
    truth = _truth(seed, df, extra, planted)
    return buf.getvalue(), truth


def _plant_problems(rng, rows: list[list[str]]) -> tuple[list[list[str]], dict]:
    """Add duplicate and broken rows (extra rows, outside the calibrated totals)."""
    out = list(rows)
    planted = {
        "duplicate": 0,
        "expenditure_missing": 0,
        "expenditure_negative": 0,
        "province_unresolved": 0,
        "year_missing": 0,
        "empty_row": 0,
        "malformed_row": 0,
    }
    inserts = []
    for idx in rng.choice(len(rows), size=12, replace=False):
        inserts.append((int(idx) + 1, list(rows[idx])))
        planted["duplicate"] += 1
    broken = [
        ("expenditure_missing", 9, "不详"),
        ("expenditure_missing", 9, "—"),
        ("expenditure_negative", 9, "-35.00"),
        ("province_unresolved", 5, "火星"),
        ("province_unresolved", 5, "Atlantis"),
        ("year_missing", 4, "不详"),
    ]
    for reason, col, value in broken:
        base = list(rows[int(rng.integers(len(rows)))])
        base[0] = base[0] + "-X"
        base[1] = base[1] + "（补录）"
        base[col] = value
        inserts.append((int(rng.integers(len(rows))), base))
        planted[reason] += 1
    inserts.append((int(rng.integers(len(rows))), [""] * len(HEADERS)))
    planted["empty_row"] += 1
    bad = list(rows[int(rng.integers(len(rows)))])
    bad[0] += "-Y"
    inserts.append((int(rng.integers(len(rows))), bad[:9] + ["12", "3", "4"] + bad[9:]))
    planted["malformed_row"] += 1
    for pos, row in sorted(inserts, key=lambda t: t[0], reverse=True):
        out.insert(pos, row)
    return out, planted


def _truth(seed: int, df: pd.DataFrame, extra: dict, planted: dict) -> dict:
    """The planted values and the estimands they imply, for the tests and the notebooks."""
    calib = extra["calibration"]
    # Superpopulation ratio of totals (yuan per person) for 2018 regular projects, by sector and by
    # region, from the lognormal model: within a (sector, region) cell spending and cost are independent,
    # so the cell ratio is 1 / E[1/c]; cells are mixed with weights P(cell) * E[spending | cell].
    var = SD_ORG**2 + SD_NOISE**2
    k_s, k_b = calib[2018]["spending_scale"], calib[2018]["beneficiaries_scale"]
    shift = math.exp(SPENDING_SHIFT)

    def ratio(sectors, deeps):
        num = den = 0.0
        for s in sectors:
            for d in deeps:
                p = SECTOR_SHARE[s] * (SHARE_DEEP if d else 1 - SHARE_DEEP)
                es = shift if d else 1.0
                inv_c = math.exp(-(8.0 + SECTOR_EFFECT[s] + DEEP_EFFECT * d) + var / 2)
                num += p * es * k_s
                den += p * es * k_s * inv_c * k_b
        return num / den

    sectors = list(SECTOR_SHARE)
    return {
        "label": "SIMULATED demo register: every value is made up by analysis.demo; not real data",
        "seed": seed,
        "generator": "analysis.demo (see its docstring for the model)",
        "calibrated_to": {
            "2018": {
                "projects": 1536,
                "organizations": ORGS_2018,
                "expenditure_yuan": 32.3e9,
                "beneficiaries": BENEFICIARIES_2018,
                "poor_households": HOUSEHOLDS_2018,
            },
            "joint_funded_sanqu_sanzhou_2017_2019": {
                "projects": 406,
                "expenditure_yuan": JOINT_DEEP_FUNDS_2017_2019,
            },
            "source": "published_totals.csv (Ministry of Civil Affairs, 2019)",
        },
        "planted": {
            "log_cost_per_beneficiary": {
                "sector_effect_vs_industry": SECTOR_EFFECT,
                "deep_poverty_area_effect": DEEP_EFFECT,
                "org_effect_sd": SD_ORG,
                "noise_sd": SD_NOISE,
            },
            "spending_shift_2017_log_points": SPENDING_SHIFT,
            "share_projects_in_sanqu_sanzhou": SHARE_DEEP,
            "share_multi_province": SHARE_MULTI_PROVINCE,
        },
        "estimands": {
            "baseline.deep_poverty_area": DEEP_EFFECT,
            "did.deep_poverty_area:post2017": SPENDING_SHIFT,
            "ratio_of_totals_2018_by_sector_yuan": {s: ratio([s], [False, True]) for s in sectors},
            "ratio_of_totals_2018_by_region_yuan": {
                "deep_poverty_area": ratio(sectors, [True]),
                "elsewhere": ratio(sectors, [False]),
            },
            "note": (
                "superpopulation values for regular (not joint-funded) projects; joint-funded "
                "projects are under 0.5% of 2018 spending and follow the same cost model"
            ),
        },
        "planted_rejects": planted,
        "calibration_scales": {str(y): v for y, v in calib.items()},
    }


def _is_demo_file(path: Path) -> bool:
    """A demo register (its exact header row, every data row marked 模拟数据) or a demo truth file
    (JSON with the truth's keys): the only files ``demo-data`` overwrites."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    text = head.decode("utf-8", "replace").removeprefix("\ufeff")
    if path.name.endswith(".json"):
        try:
            truth = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            return False
        return isinstance(truth, dict) and {"seed", "calibrated_to"} <= set(truth)
    lines = text.splitlines()
    body = [ln for ln in lines[1:-1] if ln.strip(", \t")]  # the last line may be cut at 1 MiB
    return bool(lines) and lines[0] == ",".join(HEADERS) and all("模拟" in ln for ln in body)


def write_demo_register(out_dir, *, seed: int = DEMO_SEED) -> dict[str, Path]:
    """Write ``demo_register.csv`` (UTF-8 with BOM, as Excel exports it) and ``demo_truth.json``,
    each atomically. A file of either name that is not a simulated demo file is refused, not
    overwritten."""
    from analysis.errors import ParameterError
    from analysis.io import write_text
    from analysis.paths import display_path, resolve_path

    out = resolve_path(out_dir)
    reg, tru = out / "demo_register.csv", out / "demo_truth.json"
    for path in (reg, tru):
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise ParameterError(f"{display_path(path)}: exists and is not a regular file")
        if path.is_file() and not _is_demo_file(path):
            raise ParameterError(
                f"{display_path(path)}: exists and is not the simulated demo; not overwritten"
            )
    text, truth = make_demo_register(seed)
    write_text("\ufeff" + text, reg)
    write_text(json.dumps(truth, ensure_ascii=False, indent=2, sort_keys=True) + "\n", tru)
    return {"register": reg, "truth": tru}
