"""The costing columns of the demo register (issue 17): cost categories, project periods, outcome
counts, and the organizations' overhead shares (the simulated overhead table), all SIMULATED.

They are drawn from their own random stream, ``default_rng(seed + COSTING_STREAM)``, after every other
column is made, so the register's other columns, its calibration and its planted effects are exactly
those of a register without them. Nothing here changes a spending or beneficiary figure: the cost
categories split each project's recorded total, and the overhead shares describe the organizations'
administrative costs outside their projects (docs/demo.md).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.demo.simulate import YEARS

COSTING_STREAM = 3  # the stream's offset from the register's seed (1: the export, 2: places)
ADMIN_SHARE_RANGE = (0.03, 0.12)  # organizations' 管理费用 / total expenditure, uniform
SHARE_LEFT_OUT = 0.10  # organizations of the register missing from the overhead table
SHARE_BY_YEAR = (
    0.10  # listed organizations with a row per year (share ± 1 point) instead of one row
)
SHARE_CATEGORIES = 0.30  # projects whose cost categories are written
PROJECT_ADMIN_RANGE = (0.02, 0.10)  # administrative costs charged to a project / its total
IN_KIND = (
    0.40,
    (0.05, 0.40),
)  # share of those projects with in-kind donations; their share of total
SHARE_MULTI_YEAR = 0.15  # projects with a period of two (60%) or three (40%) years
SHARE_ONE_YEAR_PERIOD = 0.20  # projects whose period is written as their one year
EXITS = (0.35, (0.2, 0.9))  # projects with poor households that report exits; exit rate, uniform
OUTCOME_RATES = {  # outcome: (sector, share of its projects reporting it, per beneficiary, uniform)
    "enrolled": ("education", 0.5, (0.3, 1.0)),
    "treated": ("health", 0.5, (0.2, 1.0)),
    "jobs": ("industry", 0.4, (0.02, 0.2)),
}
COSTING_HEADERS = [
    "直接成本（万元）",
    "管理费用（万元）",
    "物资捐赠折价（万元）",
    "项目周期",
    "带动脱贫户数",
    "资助学生人数",
    "救治人数",
    "带动就业人数",
]
OVERHEAD_HEADER = ["org_name", "year", "admin_share", "source", "simulated"]
OVERHEAD_SOURCE = "simulated (analysis.demo); not from annual reports"
_PERIOD_FORMS = ("{s}-{e}", "{s}年至{e}年", "{s}—{e}", "{s}~{e}")
# Planted problems in the costing columns of rows outside 2018: (flag, how many rows).
PLANTED_FLAGS = {
    "cost_categories_mismatch": 2,
    "direct_cost_yuan_unreadable": 2,
    "period_inconsistent": 2,
    "period_unreadable": 1,
    "households_exited_unreadable": 1,
}


def _category_texts(rng, total: float, amount_text: str) -> list[str]:
    """Direct, administrative and in-kind cost of a project as written, adding up exactly to the
    recorded total: in 万元 with two decimals (the header's unit), or in whole 元 when the total is."""
    in_yuan = amount_text.endswith("元") and not amount_text.endswith(("万元", "亿元"))
    step = 1.0 if in_yuan else 100.0
    units = round(total / step)
    admin = round(units * rng.uniform(*PROJECT_ADMIN_RANGE))
    in_kind = round(units * rng.uniform(*IN_KIND[1])) if rng.random() < IN_KIND[0] else 0
    direct = units - admin - in_kind
    if direct < 0:
        raise AssertionError("cost categories exceed the total")
    texts = []
    for part in (direct, admin, in_kind):
        if in_yuan or rng.random() < 0.05:
            texts.append(f"{int(part * step)}元")
        else:
            texts.append(f"{part * step / 1e4:.2f}")
    if in_kind == 0 and rng.random() < 1 / 3:
        texts[2] = "—"  # no in-kind donation, written as a blank
    return texts


def _period_text(rng, year: int) -> tuple[str, int, int]:
    """A project's period as written, with its first and last year (0, 0 when not written)."""
    u = rng.random()
    if u < SHARE_MULTI_YEAR:
        length = 2 if rng.random() < 0.6 else 3
        start = year - int(rng.integers(length))
        end = start + length - 1
        return rng.choice(_PERIOD_FORMS).format(s=start, e=end), start, end
    if u < SHARE_MULTI_YEAR + SHARE_ONE_YEAR_PERIOD:
        return (f"{year}年" if rng.random() < 0.5 else str(year)), year, year
    return "", 0, 0


def _outcome_texts(rng, row) -> tuple[list[str], int]:
    """Households lifted out of poverty, students enrolled, patients treated and jobs as written
    (blank when not reported), and the households' number (0 when not reported)."""
    exited = 0
    texts = ["", "", "", ""]
    if row.households > 0 and rng.random() < EXITS[0]:
        exited = int(rng.binomial(row.households, rng.uniform(*EXITS[1])))
        texts[0] = str(exited) if rng.random() > 0.03 else f"{exited}户"
    for i, (sector, share, rate) in enumerate(OUTCOME_RATES.values(), start=1):
        if row.sector == sector and rng.random() < share:
            texts[i] = str(int(rng.binomial(row.beneficiaries, rng.uniform(*rate))))
    return texts, exited


def draw_costing(seed: int, df: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The costing columns of every simulated project (texts under ``COSTING_HEADERS``, on ``df``'s
    index) and their planted values (``period_start``, ``period_end``, ``households_exited``,
    ``has_categories``), from the costing stream; planted problems on a few rows outside 2018."""
    rng = np.random.default_rng(seed + COSTING_STREAM)
    texts, planted = [], []
    for row in df.itertuples():
        cats = ["", "", ""]
        if rng.random() < SHARE_CATEGORIES:
            cats = _category_texts(rng, float(row.amount_yuan), row.amount_text)
        period, start, end = _period_text(rng, int(row.year))
        outcomes, exited = _outcome_texts(rng, row)
        texts.append([*cats, period, *outcomes])
        planted.append((cats[0] != "", start, end, exited))
    out = pd.DataFrame(texts, index=df.index, columns=COSTING_HEADERS)
    truth = pd.DataFrame(
        planted,
        index=df.index,
        columns=["has_categories", "period_start", "period_end", "households_exited"],
    )
    _plant_flags(rng, out, df)
    return out, {"rows": truth}


def _plant_flags(rng, out: pd.DataFrame, df: pd.DataFrame) -> None:
    """In place: the problems of ``PLANTED_FLAGS``, each on its own row outside 2018 (so the 2018
    values of the truth file are untouched)."""
    other = df["year"].to_numpy() != 2018
    admin = out["管理费用（万元）"].map(lambda t: t != "" and float(t.removesuffix("元")) > 0)
    with_cats = np.flatnonzero(other & admin.to_numpy(dtype=bool))
    with_period = np.flatnonzero(other & out["项目周期"].str.contains("-").to_numpy())
    with_exits = np.flatnonzero(other & (out["带动脱贫户数"] != "").to_numpy())
    cats = rng.choice(with_cats, size=4, replace=False)
    periods = rng.choice(with_period, size=3, replace=False)
    col = out.columns.get_loc
    for i in cats[:2]:  # an administrative cost written ten times over (a misplaced decimal point)
        admin = out.iat[i, col("管理费用（万元）")]
        value = float(admin.removesuffix("元")) * 10
        out.iat[i, col("管理费用（万元）")] = (
            f"{value:.0f}元" if admin.endswith("元") else f"{value:.2f}"
        )
    for i in cats[2:]:
        out.iat[i, col("直接成本（万元）")] = "见附件"
    first, second = (out.iat[i, col("项目周期")].split("-") for i in periods[:2])
    out.iat[periods[0], col("项目周期")] = f"{first[1]}-{first[0]}"  # the end before the start
    out.iat[periods[1], col("项目周期")] = (
        f"{int(second[0]) + 3}-{int(second[1]) + 3}"  # not its year
    )
    out.iat[periods[2], col("项目周期")] = "三年"
    out.iat[int(rng.choice(with_exits)), col("带动脱贫户数")] = "若干"


def overhead_table(
    seed: int, org_names: list[str], active: np.ndarray
) -> tuple[pd.DataFrame, dict]:
    """The simulated overhead table (rows of ``OVERHEAD_HEADER`` as text) and every planted share.

    Each organization of the pool gets a share drawn once (uniform on ADMIN_SHARE_RANGE, 4 decimals);
    the table lists the organizations in the register (``active``, pool indices) except SHARE_LEFT_OUT
    of them, most with one row for every year, SHARE_BY_YEAR with a row per year. Drawn from a stream
    of its own (``seed + COSTING_STREAM`` spawned once), so the costing columns do not move with it.
    """
    rng = np.random.default_rng([seed + COSTING_STREAM, 1])
    shares = np.round(rng.uniform(*ADMIN_SHARE_RANGE, len(org_names)), 4)
    active = np.sort(np.asarray(active))
    left_out = set(
        rng.choice(active, size=round(SHARE_LEFT_OUT * len(active)), replace=False).tolist()
    )
    rows, by_year = [], {}
    for g in active:
        if g in left_out:
            continue
        name, share = org_names[g], float(shares[g])
        if rng.random() < SHARE_BY_YEAR:
            years = {
                y: round(min(max(share + rng.uniform(-0.01, 0.01), 0.01), 0.2), 4) for y in YEARS
            }
            by_year[name] = {str(y): s for y, s in years.items()}
            rows += [
                [name, str(y), _share_text(rng, s), OVERHEAD_SOURCE, "true"]
                for y, s in years.items()
            ]
        else:
            rows.append([name, "", _share_text(rng, share), OVERHEAD_SOURCE, "true"])
    table = pd.DataFrame(rows, columns=OVERHEAD_HEADER)
    truth = {
        "share": {org_names[g]: float(shares[g]) for g in active},
        "by_year": by_year,
        "left_out": sorted(org_names[g] for g in left_out),
    }
    return table, truth


def _share_text(rng, share: float) -> str:
    """A share as an overhead table writes it: mostly 0.0853, sometimes 8.53%."""
    return f"{share * 100:.2f}%" if rng.random() < 0.3 else f"{share:.4f}"


def effective_shares(df: pd.DataFrame, org_names: list[str], planted: dict) -> np.ndarray:
    """The planted administrative-cost share of each project's organization in its year."""
    out = np.empty(len(df))
    for i, (g, year) in enumerate(zip(df["org"], df["year"], strict=True)):
        name = org_names[g]
        by_year = planted["by_year"].get(name)
        out[i] = by_year[str(year)] if by_year else planted["share"][name]
    return out


def costing_truth(df: pd.DataFrame, costing: dict, org_names, national_ratio: float) -> dict:
    """The truth file's costing section: the planted values and what they imply for 2018."""
    planted, rows = costing["overhead"], costing["rows"]
    share = effective_shares(df, org_names, planted)
    m18 = (df["year"] == 2018).to_numpy()
    spend, ben = df["amount_yuan"].to_numpy(float), df["beneficiaries"].to_numpy(float)
    loaded = spend / (1 - share)
    exits = rows["households_exited"].to_numpy(float)
    a, b = ADMIN_SHARE_RANGE
    mean_factor = math.log((1 - a) / (1 - b)) / (b - a)  # E[1 / (1 - s)], s uniform on [a, b]
    with_exits = m18 & (exits > 0)
    return {
        "stream": f"numpy default_rng(seed + {COSTING_STREAM}); the overhead shares from "
        f"default_rng([seed + {COSTING_STREAM}, 1])",
        "overhead": {
            "table": "demo_overhead.csv",
            "admin_share_distribution": f"uniform on [{a}, {b}] per organization, 4 decimals",
            "overhead_ratio": "admin_share / (1 - admin_share); fully loaded = expenditure x (1 + ratio)",
            "share_by_year_orgs": f"{SHARE_BY_YEAR:.0%} of the listed organizations: a row per year, "
            "share +- 0.01",
            "left_out_of_table": {n: planted["share"][n] for n in planted["left_out"]},
        },
        "fully_loaded_2018": {
            "sticker_ratio_of_totals_yuan": float(spend[m18].sum() / ben[m18].sum()),
            "fully_loaded_ratio_of_totals_yuan": float(loaded[m18].sum() / ben[m18].sum()),
            "superpopulation_fully_loaded_yuan": national_ratio * mean_factor,
            "note": "the first two over the simulated 2018 projects with each organization's planted "
            "share (those left out of the table included); the superpopulation value is the national "
            "ratio of totals of regular projects times E[1/(1-s)] (shares independent of spending)",
        },
        "cost_categories": {
            "share_of_projects": SHARE_CATEGORIES,
            "project_admin_share": list(PROJECT_ADMIN_RANGE),
            "in_kind": {"share_of_those_projects": IN_KIND[0], "share_of_total": list(IN_KIND[1])},
            "rule": "direct + admin + in-kind = the recorded total exactly (in the unit written)",
            "projects": int(rows["has_categories"].sum()),
        },
        "periods": {
            "share_multi_year": SHARE_MULTI_YEAR,
            "multi_year_projects": int((rows["period_end"] > rows["period_start"]).sum()),
            "rule": "2 years (60%) or 3 (40%), the row's year placed uniformly in the period; the "
            "row's amount is what the register records for its year",
        },
        "outcomes": {
            "households_exited": {"share_reporting": EXITS[0], "exit_rate": list(EXITS[1])},
            **{
                k: {"sector": s, "share_reporting": p, "per_beneficiary": list(r)}
                for k, (s, p, r) in OUTCOME_RATES.items()
            },
            "ratio_of_totals_2018_per_household_exited_yuan": float(
                spend[with_exits].sum() / exits[with_exits].sum()
            ),
        },
        "planted_flags": PLANTED_FLAGS,
    }
