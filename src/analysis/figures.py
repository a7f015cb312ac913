"""Figures for policy papers. Each function takes ``ax=None``, returns the figure and never saves.

Saving happens in one place, :func:`analysis.io.save_figure`. Every figure carries a source line, and a
visible "Illustrative — simulated data" mark when ``simulated`` is true. Call inside
:func:`analysis.style.house_style` for the house look (the notebooks do).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.style import FIGSIZE, PALETTE, label

__all__ = [
    "plot_cost_by_sector",
    "plot_regional_coefficients",
    "plot_spending_by_region",
    "spending_by_year",
]

SECTOR_ORDER = ["industry", "education", "health", "relocation", "volunteer", "other"]


def _axes(ax, size="one_column"):
    if ax is None:
        fig, ax = plt.subplots(figsize=FIGSIZE[size], layout="constrained")
    return ax.figure, ax


def _finish(fig, ax, *, simulated: bool, lang: str, note: str | None = None):
    """Source line at the foot, and the simulated-data mark at the top right, outside the data."""
    source = label("source_simulated" if simulated else "source_register", lang)
    lines = [label(note, lang), source] if note else [source]
    fig.text(
        0.01,
        0.01,
        "\n".join(lines),
        ha="left",
        va="bottom",
        fontsize=5.5,
        color="#444444",
        gid="source-line",
    )
    top = 0.93 if simulated else 1.0
    if simulated:
        fig.text(
            0.99,
            0.99,
            label("simulated_mark", lang),
            ha="right",
            va="top",
            fontsize=7,
            color="#D55E00",
            gid="simulated-mark",
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#D55E00", "lw": 0.6},
        )
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        bottom = 0.035 * len(lines) + 0.02
        engine.set(rect=(0, bottom, 1, top - bottom))
    return fig


def plot_cost_by_sector(
    costs: pd.DataFrame,
    *,
    ax=None,
    lang: str = "en",
    simulated: bool = False,
    level_filter: str | None = None,
):
    """Cost per beneficiary (ratio of totals) by sector with its interval, from the cost table.

    ``costs`` is the output of :func:`analysis.estimate_cost_per_beneficiary`; rows with group ending in
    "sector" and estimator ``ratio_of_totals`` are drawn (``level_filter`` keeps levels starting with
    it, e.g. "2018/" for a year+sector table).
    """
    need = {"estimator", "group", "level", "estimate", "ci_low", "ci_high", "price_basis"}
    if costs.empty or not need <= set(costs.columns):
        raise ParameterError("no sector rows of estimator ratio_of_totals in the cost table")
    rows = costs[(costs["estimator"] == "ratio_of_totals") & costs["group"].str.endswith("sector")]
    if level_filter:
        rows = rows[rows["level"].str.startswith(level_filter)]
    if rows.empty:
        raise ParameterError("no sector rows of estimator ratio_of_totals in the cost table")
    rows = rows.assign(sector=rows["level"].str.split("/").str[-1])
    rows = rows.set_index("sector").reindex([s for s in SECTOR_ORDER if s in set(rows["sector"])])
    fig, ax = _axes(ax)
    y = np.arange(len(rows))
    err = np.vstack([rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]])
    ax.barh(y, rows["estimate"], color=PALETTE[0], height=0.6)
    ax.errorbar(
        rows["estimate"], y, xerr=np.nan_to_num(err), fmt="none", ecolor="black", lw=0.8, capsize=2
    )
    ax.set_yticks(y, [label(s, lang) for s in rows.index])
    ax.invert_yaxis()
    ax.set_xlabel(label("cost_per_beneficiary", lang))
    basis = rows["price_basis"].iloc[0]
    ax.set_title(f"{label('title_cost_by_sector', lang)} ({basis})", loc="left")
    return _finish(fig, ax, simulated=simulated, lang=lang, note="ratio_note")


def spending_by_year(data: pd.DataFrame) -> pd.DataFrame:
    """Total spending (yuan) by year, inside and outside 三区三州 (multi-province rows count outside)."""
    return (
        data.groupby(["year", "deep_poverty_area"], observed=True)["expenditure_yuan"]
        .sum()
        .unstack("deep_poverty_area", fill_value=0.0)
        .reindex(columns=[False, True], fill_value=0.0)
    )


def plot_spending_by_region(
    data: pd.DataFrame,
    *,
    ax=None,
    lang: str = "en",
    simulated: bool = False,
    policy_year: int = 2017,
):
    """Spending by year in and outside 三区三州, with a line at the 2017 policy shift."""
    table = spending_by_year(data)
    fig, ax = _axes(ax)
    scale = 1e9 if lang == "en" else 1e8  # billion yuan / 亿元
    ax.plot(
        table.index,
        table[True] / scale,
        marker="o",
        ms=3.5,
        lw=1.2,
        color=PALETTE[3],
        label=label("deep_poverty_area", lang),
    )
    ax.plot(
        table.index,
        table[False] / scale,
        marker="s",
        ms=3.5,
        lw=1.2,
        color=PALETTE[0],
        label=label("elsewhere", lang),
    )
    ax.set_ylim(bottom=0)
    ax.axvline(policy_year - 0.5, color="#666666", ls="--", lw=0.8)
    ax.text(
        policy_year - 0.45,
        0.02,
        label("policy_2017", lang),
        fontsize=6,
        va="bottom",
        ha="left",
        color="#444444",
        transform=ax.get_xaxis_transform(),
    )
    ax.set_xticks(table.index, [str(y) for y in table.index])
    ax.set_xlabel(label("year", lang))
    ax.set_ylabel(label("spending_bn", lang))
    ax.set_title(label("title_spending_by_region", lang), loc="left")
    ax.legend(frameon=False, loc="center left")
    return _finish(fig, ax, simulated=simulated, lang=lang)


def plot_regional_coefficients(
    effects: pd.DataFrame, *, ax=None, lang: str = "en", simulated: bool = False
):
    """Coefficient plot of the regional models (baseline 三区三州 and sector terms, the 2017 shift)."""
    rows = effects[effects["model"].isin(["baseline", "did"])].copy()
    if rows.empty:
        raise ParameterError("no baseline or did rows in the regional-effects table")

    def name(r):
        if r.model == "did":
            return label("did", lang)
        if r.term == "deep_poverty_area":
            return label("baseline", lang)
        return label(r.term.removeprefix("sector[").rstrip("]"), lang)

    rows["name"] = [name(r) for r in rows.itertuples()]
    fig, ax = _axes(ax)
    y = np.arange(len(rows))
    colors = [
        PALETTE[3] if t in ("deep_poverty_area",) or m == "did" else PALETTE[0]
        for t, m in zip(rows["term"], rows["model"], strict=True)
    ]
    ax.errorbar(
        rows["estimate"],
        y,
        xerr=[rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]],
        fmt="none",
        ecolor="black",
        lw=0.8,
        capsize=2,
    )
    ax.scatter(rows["estimate"], y, c=colors, zorder=3, s=14)
    ax.axvline(0, color="#666666", lw=0.6)
    ax.set_yticks(y, rows["name"])
    ax.invert_yaxis()
    ax.set_xlabel(label("coefficient", lang))
    ax.set_title(label("title_regional", lang), loc="left")
    return _finish(fig, ax, simulated=simulated, lang=lang)
