"""The simulated demo register: calibrated to the published 2018 totals, with planted effects.

No public project-level register with spending and beneficiaries exists, so the toolkit ships a
simulated one. Everything here is SIMULATED: the rows, the organizations' names and the effects are made
up by a seeded generator; only the 2018 totals and the joint-funded 三区三州 totals are calibrated to
published figures, read from analysis/data/published_totals.csv. This module draws the projects (the
model below; where they are: :mod:`analysis.demo.places`); :mod:`analysis.demo.register` writes them
as a messy export with a truth file of the planted values.

Model (log cost per beneficiary, nominal yuan per person, for project i of organization g):
    log c_i = a_t + s_sector + beta * deep_i + u_g + e_i + x_i,   u_g ~ N(0, sd_org^2), e_i ~ N(0, sd_noise^2)
with x_i the planted exit (摘帽) effect of a project in a national poverty county from its exit year on
(``EXIT_EFFECT``; its county is drawn by :mod:`analysis.demo.places`).
Spending per project is lognormal, multiplied by exp(delta) for 三区三州 projects from POLICY_YEAR (2017) on (the
shift of support towards 三区三州); beneficiaries = spending / c; households = beneficiaries / r_i.
Year totals are then scaled (a_t absorbs the scaling) so that 2018 adds up to the published figures.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.demo.places import draw_locations
from analysis.reference import load_reference
from analysis.registers.places import poverty_counties
from analysis.schema import POLICY_YEAR

# The seed of the shipped register: the first seed from 20190628 (the MCA press conference that published
# the 2018 figures) for which every planted value falls inside the interval its estimator reports. One
# fixed register either covers or not; docs/demo.md gives the coverage across seeds, measured by a scan.
DEMO_SEED = 20190632


YEARS = (2016, 2017, 2018, 2019, 2020)


def _published(scope: str, period: str, measure: str) -> str:
    """One published figure of analysis/data/published_totals.csv, as written there (text)."""
    table = load_reference("published_totals")
    row = table[
        (table["scope"] == scope) & (table["period"] == period) & (table["measure"] == measure)
    ]
    if len(row) != 1:
        raise KeyError(f"published_totals.csv has no single row {scope!r}, {period!r}, {measure!r}")
    return row["value"].iloc[0]


# The published figures the demo is calibrated to (MCA, 2019): national social organizations in 2018,
# and the centrally supported joint projects in 三区三州 of 2017-2019.
_NATIONAL_2018 = ("national social organizations", "2018")
_JOINT_DEEP_2017_2019 = (
    "central support to social organizations in deep-poverty areas",
    "2017-2019",
)


PROJECTS_2018 = int(_published(*_NATIONAL_2018, "projects"))


PROJECTS_PER_YEAR = {2016: 1420, 2017: 1480, 2018: PROJECTS_2018, 2019: 1560, 2020: 1500}


ORGS_2018 = int(_published(*_NATIONAL_2018, "organizations"))


SPENDING_2018 = float(_published(*_NATIONAL_2018, "expenditure"))  # yuan, nominal


SPENDING_TOTAL = {2016: 25.0e9, 2017: 29.0e9, 2018: SPENDING_2018, 2019: 33.5e9, 2020: 30.5e9}


BENEFICIARIES_2018 = int(_published(*_NATIONAL_2018, "registered poor persons reached"))


HOUSEHOLDS_2018 = int(_published(*_NATIONAL_2018, "registered poor households reached"))


# Persons per household: the published 2018 persons / households, rounded (not a real household size).
PERSONS_PER_HOUSEHOLD = round(BENEFICIARIES_2018 / HOUSEHOLDS_2018, 1)


JOINT_DEEP_YEARS = tuple(int(y) for y in _JOINT_DEEP_2017_2019[1].split("-"))  # (first, last)


JOINT_DEEP_PROJECTS_2017_2019 = int(
    _published(*_JOINT_DEEP_2017_2019, "joint projects in 三区三州")
)


def _joint_deep_by_year() -> dict[int, int]:
    """Joint-funded 三区三州 projects by year (projects); 2019 takes what 2017 and 2018 leave of the
    published 2017-2019 total."""
    chosen = {2016: 95, 2017: 128, 2018: 139, 2020: 100}
    chosen[2019] = JOINT_DEEP_PROJECTS_2017_2019 - chosen[2017] - chosen[2018]
    return {year: chosen[year] for year in YEARS}


JOINT_DEEP = _joint_deep_by_year()


JOINT_DEEP_FUNDS_2017_2019 = float(_published(*_JOINT_DEEP_2017_2019, "project funds in 三区三州"))


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


SPENDING_SHIFT = math.log(1.6)  # log points: 三区三州 project spending from POLICY_YEAR on


# SIMULATED exit (摘帽) effects on log cost per beneficiary of a single-province project in one of the 832
# national poverty counties, from its county's exit year e on: level + slope * (year - e), log points, by
# exit cohort e. They grow with time since exit and differ by cohort, so that a plain two-way-fixed-
# effects event study on the staggered timing is biased (docs/methods.md). Late cohorts start below zero so
# that the effects nearly cancel over 三区三州 projects: the baseline's estimand moves from 0.30 to 0.32.
EXIT_EFFECT = {
    2016: (0.20, 0.15),
    2017: (0.10, 0.15),
    2018: (0.00, 0.10),
    2019: (-0.20, 0.05),
    2020: (-0.30, 0.00),
}


LOG_COST_BASE = 8.0  # log yuan per person of an industry project outside 三区三州, before scaling


SD_ORG, SD_NOISE, SD_SPEND = 0.35, 0.60, 1.30


SHARE_DEEP = 0.20


SHARE_MULTI_PROVINCE = 0.006


N_ORGS = 1000


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


def _org_pool(rng: np.random.Generator) -> pd.DataFrame:
    """N_ORGS made-up organizations with distinct names, a type, a cost effect and an activity
    level."""
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
    """Org index for each project: n_active distinct organizations, busier ones running more
    projects."""
    w = orgs["activity"].to_numpy()
    active = rng.choice(len(orgs), size=n_active, replace=False, p=w / w.sum())
    extra = rng.choice(active, size=n_projects - n_active, p=w[active] / w[active].sum())
    out = np.concatenate([active, extra])
    rng.shuffle(out)
    return out


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


def _simulate_year(rng, orgs: pd.DataFrame, year: int) -> pd.DataFrame:
    """The projects of one year before calibration: organization, joint funding, 三区三州, sector,
    multi-province, spending (yuan), log cost per beneficiary (log yuan per person) and persons per
    household."""
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
    spend = spend * np.where(deep & ~joint & (year >= POLICY_YEAR), math.exp(SPENDING_SHIFT), 1.0)
    log_c = (
        LOG_COST_BASE
        + np.array([SECTOR_EFFECT[s] for s in sector])
        + DEEP_EFFECT * deep
        + orgs["org_effect"].to_numpy()[org_idx]
        + rng.normal(0.0, SD_NOISE, n)
    )
    return pd.DataFrame(
        {
            "year": year,
            "org": org_idx,
            "joint": joint,
            "deep": deep,
            "sector": sector,
            "multi": multi,
            "spend": spend,
            "log_c": log_c,
            "hh_ratio": PERSONS_PER_HOUSEHOLD * np.exp(rng.normal(0.0, 0.3, n)),
        }
    )


def _scale_spending(df: pd.DataFrame, jd: pd.Series) -> dict:
    """Scale spending (yuan) in place to the published joint-funded 三区三州 funds and each year's
    total; return each year's scale of regular projects' spending."""
    df.loc[jd, "spend"] *= JOINT_DEEP_FUNDS_2017_2019 / df.loc[jd, "spend"].sum()
    # Regular projects' spending scaled to each year's total (a_t absorbs it).
    calib = {}
    for year in YEARS:
        reg = (df["year"] == year) & ~df["joint"]
        fixed = df.loc[(df["year"] == year) & df["joint"], "spend"].sum()
        k = (SPENDING_TOTAL[year] - fixed) / df.loc[reg, "spend"].sum()
        df.loc[reg, "spend"] *= k
        calib[year] = {"spending_scale": k}
    return calib


def _write_amounts(rng, df: pd.DataFrame, jd: pd.Series) -> None:
    """Add the amounts as written (``amount_text``) and their value in whole yuan (``amount_yuan``);
    the two published totals are made exact on one row each (written in whole yuan)."""
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


def _add_people(df: pd.DataFrame, calib: dict) -> None:
    """Add beneficiaries (persons) and poor households, 2018 made exact to the published totals, and
    the realized log cost per beneficiary; record the beneficiaries' scale in ``calib``.

    The 2018 scale applies to every year (absorbed by a_t), so cost per beneficiary has no artificial
    jump in 2018."""
    m18 = df["year"] == 2018
    ben = df["amount_yuan"] / np.exp(df["log_c"])
    k = BENEFICIARIES_2018 / ben[m18].sum()
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


def exit_effect(cohort: np.ndarray, year: np.ndarray) -> np.ndarray:
    """The planted exit effect (log points) of projects of exit cohort ``cohort`` (0: not a poverty
    county) in ``year``: ``EXIT_EFFECT`` from the exit year on, 0 before it and outside the 832."""
    out = np.zeros(len(cohort))
    for e, (level, slope) in EXIT_EFFECT.items():
        on = (cohort == e) & (year >= e)
        out[on] = level + slope * (year[on] - e)
    return out


def add_exit_effects(df: pd.DataFrame) -> None:
    """Add ``exit_cohort`` (the exit year of the project's county; 0 outside the 832, for a
    multi-province project or an unknown county) and ``exit_effect`` (log points), and add the effect
    to ``log_c``. No random draws: the other streams are unchanged."""
    exits = poverty_counties()
    cohort = np.array(
        [exits.get(c, 0) if isinstance(c, str) else 0 for c in df["county_adcode"]], dtype=int
    )
    cohort[df["multi"].to_numpy(dtype=bool)] = 0
    df["exit_cohort"] = cohort
    df["exit_effect"] = exit_effect(cohort, df["year"].to_numpy(dtype=int))
    df["log_c"] = df["log_c"] + df["exit_effect"]


def simulate(seed: int) -> tuple[pd.DataFrame, dict]:
    """Simulate every project of the demo (one row each, calibrated to the published totals); return
    the rows and ``{"orgs": the organization pool, "calibration": the scales by year}``."""
    rng = np.random.default_rng(seed)
    orgs = _org_pool(rng)
    df = pd.concat([_simulate_year(rng, orgs, year) for year in YEARS], ignore_index=True)
    places_rng = np.random.default_rng(seed + 2)
    df = pd.concat([df, draw_locations(rng, len(df), df["deep"].to_numpy(), places_rng)], axis=1)
    add_exit_effects(df)
    jd = df["joint"] & df["deep"] & df["year"].between(*JOINT_DEEP_YEARS)
    calib = _scale_spending(df, jd)
    _write_amounts(rng, df, jd)
    _add_people(df, calib)
    return df, {"orgs": orgs, "calibration": calib}
