"""The demo register as a messy export: Chinese headers, amounts in 元/万元/亿元 written several ways,
places spelt in several forms, planted problems (duplicates, blank and malformed rows), the costing
columns and simulated overhead table of :mod:`analysis.demo.costing`, and the truth file that states every
planted parameter. Written by ``analysis demo-data``.
"""

from __future__ import annotations

import csv
import io as _io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.demo.costing import (
    COSTING_HEADERS,
    OVERHEAD_HEADER,
    costing_truth,
    draw_costing,
    overhead_table,
)
from analysis.demo.simulate import (
    BENEFICIARIES_2018,
    DEEP_EFFECT,
    DEMO_SEED,
    EXIT_EFFECT,
    HOUSEHOLDS_2018,
    JOINT_DEEP_FUNDS_2017_2019,
    JOINT_DEEP_PROJECTS_2017_2019,
    LOG_COST_BASE,
    ORGS_2018,
    PROJECTS_2018,
    SD_NOISE,
    SD_ORG,
    SECTOR_EFFECT,
    SECTOR_SHARE,
    SHARE_DEEP,
    SHARE_MULTI_PROVINCE,
    SPENDING_2018,
    SPENDING_SHIFT,
    simulate,
)
from analysis.registers.rows import SIMULATED_MARK
from analysis.schema import POLICY_YEAR

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
    *COSTING_HEADERS,  # cost categories, the period and outcomes (analysis.demo.costing)
    "数据说明",
]
# The header of demo registers made before the costing columns (still recognised as the demo).
HEADERS_BEFORE_COSTING = [h for h in HEADERS if h not in COSTING_HEADERS]


NOTE = "模拟数据（simulated, not real）"


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
    files = make_demo_files(seed)
    return files["register"], files["truth"]


def make_demo_files(seed: int = DEMO_SEED) -> dict:
    """Simulate the demo: ``register`` (CSV text), ``truth`` (a JSON-ready dict) and ``overhead``
    (the CSV text of the simulated overhead table, analysis.demo.costing)."""
    df, extra = simulate(seed)
    orgs = extra["orgs"]
    costing_texts, costing = draw_costing(seed, df)
    names = orgs["org_name"].tolist()
    overhead, costing["overhead"] = overhead_table(seed, names, df["org"].unique())
    rng = np.random.default_rng(seed + 1)
    rows = _export_rows(rng, df, orgs, costing_texts)
    rows, planted = _plant_problems(rng, rows)
    truth = _truth(seed, df, extra, planted)
    national = _ratio_of_totals(
        extra["calibration"], list(SECTOR_SHARE), [False, True], _exit_factor(df)
    )
    truth["costing"] = costing_truth(df, costing, names, national)
    return {
        "register": _csv_text(HEADERS, rows),
        "truth": truth,
        "overhead": _csv_text(OVERHEAD_HEADER, overhead.to_numpy().tolist()),
    }


def _export_rows(rng, df: pd.DataFrame, orgs: pd.DataFrame, costing_texts) -> list[list[str]]:
    """The projects as an export writes them (ordered by year, shuffled within it), one list of
    cells per row under HEADERS."""
    rows = []
    counters: dict[int, int] = {}
    order = rng.permutation(len(df))  # registers list projects in no particular order within a year
    shuffled = df.iloc[order].sort_values("year", kind="stable")
    # Row lookups done once, not per project (a pandas row lookup per project took most of the time).
    org_names, org_types = orgs["org_name"].tolist(), orgs["org_type"].tolist()
    texts = dict(
        zip(costing_texts.index, costing_texts.itertuples(index=False, name=None), strict=True)
    )
    for row in shuffled.itertuples():
        counters[row.year] = counters.get(row.year, 0) + 1
        org_text = org_names[row.org]
        if rng.random() < 0.02:
            org_text = org_text + " "
        org_type = (
            rng.choice(_ORG_TYPE_TEXT[org_types[row.org]])
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
                *texts[row.Index],
                NOTE,
            ]
        )
    return rows


def _csv_text(header: list[str], rows) -> str:
    buf = _io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


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


def _ratio_of_totals(calib: dict, sectors, deeps, exit_factor: dict) -> float:
    """Superpopulation ratio of totals (yuan per person) of 2018 regular projects in the given sectors
    and regions (``deeps``: False outside 三区三州, True inside), from the lognormal model.

    Within a (sector, region) cell spending and cost are independent, so the cell ratio is 1 / E[1/c];
    cells are mixed with weights P(cell) * E[spending | cell]. ``exit_factor`` {region: mean of
    exp(-exit effect)} over the simulated 2018 regular projects of the region multiplies E[1/c] (the
    planted exit effects; sector and place are drawn independently)."""
    var = SD_ORG**2 + SD_NOISE**2
    k_s, k_b = calib[2018]["spending_scale"], calib[2018]["beneficiaries_scale"]
    shift = math.exp(SPENDING_SHIFT)
    num = den = 0.0
    for s in sectors:
        for d in deeps:
            p = SECTOR_SHARE[s] * (SHARE_DEEP if d else 1 - SHARE_DEEP)
            es = shift if d else 1.0
            inv_c = math.exp(-(LOG_COST_BASE + SECTOR_EFFECT[s] + DEEP_EFFECT * d) + var / 2)
            inv_c *= exit_factor[d]
            num += p * es * k_s
            den += p * es * k_s * inv_c * k_b
    return num / den


def _calibrated_to() -> dict:
    """The published totals the demo is calibrated to (projects, organizations, yuan, persons,
    households), as the truth file states them."""
    return {
        "2018": {
            "projects": PROJECTS_2018,
            "organizations": ORGS_2018,
            "expenditure_yuan": SPENDING_2018,
            "beneficiaries": BENEFICIARIES_2018,
            "poor_households": HOUSEHOLDS_2018,
        },
        "joint_funded_sanqu_sanzhou_2017_2019": {
            "projects": JOINT_DEEP_PROJECTS_2017_2019,
            "expenditure_yuan": JOINT_DEEP_FUNDS_2017_2019,
        },
        "source": "published_totals.csv (Ministry of Civil Affairs, 2019)",
    }


def _planted() -> dict:
    """The planted parameters of the simulation (log points and shares)."""
    return {
        "log_cost_per_beneficiary": {
            "sector_effect_vs_industry": SECTOR_EFFECT,
            "deep_poverty_area_effect": DEEP_EFFECT,
            "org_effect_sd": SD_ORG,
            "noise_sd": SD_NOISE,
        },
        "spending_shift_2017_log_points": SPENDING_SHIFT,
        "exit_effect_log_points": {
            "by_exit_cohort": {
                str(e): {"level": a, "slope": b} for e, (a, b) in EXIT_EFFECT.items()
            },
            "formula": (
                "level + slope * (year - exit year) for a single-province project in one of the "
                "832 poverty counties from its exit year on; 0 before exit and elsewhere"
            ),
        },
        "share_projects_in_sanqu_sanzhou": SHARE_DEEP,
        "share_multi_province": SHARE_MULTI_PROVINCE,
    }


def _exit_factor(df: pd.DataFrame) -> dict:
    """{region (False outside 三区三州, True inside): mean of exp(-exit effect)} over the simulated
    2018 regular projects of the region (the planted exit effects in the ratios of totals)."""
    regular18 = df[(df["year"] == 2018) & ~df["joint"]]
    return {
        d: float(np.exp(-regular18.loc[regular18["deep"] == d, "exit_effect"]).mean())
        for d in (False, True)
    }


def _truth(seed: int, df: pd.DataFrame, extra: dict, planted: dict) -> dict:
    """The planted values and the estimands they imply, for the tests and the notebooks."""
    calib = extra["calibration"]
    sectors = list(SECTOR_SHARE)
    factor = _exit_factor(df)
    return {
        "label": "SIMULATED demo register: every value is made up by analysis.demo; not real data",
        "seed": seed,
        "generator": "analysis.demo.simulate (see its docstring for the model)",
        "calibrated_to": _calibrated_to(),
        "planted": _planted(),
        "estimands": {
            "baseline.deep_poverty_area": baseline_estimand(df),
            f"did.deep_poverty_area:post{POLICY_YEAR}": SPENDING_SHIFT,
            "ratio_of_totals_2018_by_sector_yuan": {
                s: _ratio_of_totals(calib, [s], [False, True], factor) for s in sectors
            },
            "ratio_of_totals_2018_by_region_yuan": {
                "deep_poverty_area": _ratio_of_totals(calib, sectors, [True], factor),
                "elsewhere": _ratio_of_totals(calib, sectors, [False], factor),
            },
            **exit_estimands(df),
            "note": (
                "superpopulation values for regular (not joint-funded) projects; joint-funded "
                "projects are under 0.5% of 2018 spending and follow the same cost model; the "
                "ratios include the planted exit effects through the mean of exp(-effect) over the "
                "simulated 2018 regular projects of each region"
            ),
        },
        "planted_rejects": planted,
        "calibration_scales": {str(y): v for y, v in calib.items()},
    }


def baseline_estimand(df: pd.DataFrame) -> float:
    """The baseline's 三区三州 coefficient on the simulated design: DEEP_EFFECT plus the 三区三州
    coefficient of the least-squares projection of the planted exit effects on 三区三州, sector and
    year over the single-province projects (poverty counties overlap 三区三州, so the baseline, which
    has no exit terms, carries part of the exit effects)."""
    use = df[~df["multi"]]
    x = pd.get_dummies(use[["sector", "year"]].astype(str), drop_first=True, dtype=float)
    x.insert(0, "deep", use["deep"].astype(float))
    x.insert(0, "const", 1.0)
    coef = np.linalg.lstsq(x.to_numpy(), use["exit_effect"].to_numpy(dtype=float), rcond=None)[0]
    return DEEP_EFFECT + float(coef[1])


def exit_estimands(df: pd.DataFrame) -> dict:
    """What the exit event study targets: at each event time l (year - exit year) the average of the
    planted effects of the cohorts observed there, weighted by each cohort's share of the simulated
    single-province projects at l, over the cohorts with a year before exit in the data (2017-2020;
    2016 is out in every year); pre-exit event times are 0. With the weights."""
    first = int(df["year"].min())
    use = df[(~df["multi"]) & (df["exit_cohort"] > first)]
    use = use.assign(event=use["year"] - use["exit_cohort"])
    use = use[use["event"] != -1]
    cells = use.groupby(["event", "exit_cohort"]).agg(
        projects=("exit_effect", "size"), effect=("exit_effect", "mean")
    )
    cells["weight"] = cells["projects"] / cells.groupby(level="event")["projects"].transform("sum")
    by_event = (cells["weight"] * cells["effect"]).groupby(level="event").sum()
    weights = {
        str(int(e)): {str(int(c)): round(float(w), 6) for (_, c), w in g["weight"].items()}
        for e, g in cells.groupby(level="event")
    }
    return {
        **{f"exit_event_study.exit:{int(e)}": float(v) for e, v in by_event.items()},
        "exit_event_study.weights_by_event_time": weights,
        "exit_event_study.note": (
            "exit:l = sum over exit cohorts c of weight[l][c] x planted effect of cohort c at l; "
            "weight = the cohort's share of the simulated single-province projects in poverty "
            "counties at event time l (the estimator weights by the cleaned register's projects, "
            "which differ by the rows whose county the export leaves out); reference exit:-1 = 0"
        ),
    }


def _is_demo_file(path: Path) -> bool:
    """A demo register or overhead table (its exact header row, of this version or the one before
    the costing columns; every data row marked 模拟数据/simulated) or a demo truth file (JSON with
    the truth's keys): the only files ``demo-data`` overwrites."""
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
    headers = (HEADERS, HEADERS_BEFORE_COSTING, OVERHEAD_HEADER)
    return (
        bool(lines)
        and any(lines[0] == ",".join(h) for h in headers)
        and all(SIMULATED_MARK.search(ln) for ln in body)
    )


def write_demo_register(out_dir, *, seed: int = DEMO_SEED) -> dict[str, Path]:
    """Write ``demo_register.csv`` (UTF-8 with BOM, as Excel exports it), ``demo_truth.json`` and
    ``demo_overhead.csv`` (the simulated overhead table, UTF-8), each atomically. A file of any of
    these names that is not a simulated demo file is refused, not overwritten."""
    from analysis.errors import ParameterError
    from analysis.outputs import write_text
    from analysis.paths import display_path, resolve_path

    out = resolve_path(out_dir)
    reg, tru = out / "demo_register.csv", out / "demo_truth.json"
    ovh = out / "demo_overhead.csv"
    for path in (reg, tru, ovh):
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise ParameterError(f"{display_path(path)}: exists and is not a regular file")
        if path.is_file() and not _is_demo_file(path):
            raise ParameterError(
                f"{display_path(path)}: exists and is not the simulated demo; not overwritten"
            )
    files = make_demo_files(seed)
    write_text("\ufeff" + files["register"], reg)
    write_text(json.dumps(files["truth"], ensure_ascii=False, indent=2, sort_keys=True) + "\n", tru)
    write_text(files["overhead"], ovh)
    return {"register": reg, "truth": tru, "overhead": ovh}
