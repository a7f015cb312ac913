"""Figures for policy papers. Each function takes ``ax=None``, returns the figure and never saves.

Saving happens in one place, :func:`analysis.outputs.save_figure`. Every figure carries a source line, and a
visible "Illustrative — simulated data" mark when ``simulated`` is true. Call inside
:func:`analysis.present.style.house_style` for the house look (the notebooks do). This module holds the
cost and spending figures and the standard set of a run (:data:`STANDARD_FIGURES`, in the order of the
figure catalogue, :mod:`analysis.present.catalogue`); the regional models' figures are in
:mod:`analysis.present.effects`, the tornado in :mod:`analysis.present.tornado`, the cost distribution in
:mod:`analysis.present.distributions` and the tile map in :mod:`analysis.present.maps` (all importable
from here too).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from analysis.errors import ParameterError
from analysis.present.distributions import plot_cost_distribution
from analysis.present.drawing import (
    finish_figure,
    new_axes,
    number_text,
    policy_line,
    wrap_label,
)
from analysis.present.effects import (
    plot_event_study,
    plot_province_caterpillar,
    plot_regional_coefficients,
)
from analysis.present.maps import plot_tile_map
from analysis.present.style import (
    PALETTE,
    currency_unit,
    label,
    period_text,
    price_basis_text,
)
from analysis.present.summaries import spending_by_year
from analysis.present.tornado import plot_sensitivity_tornado
from analysis.schema import POLICY_YEAR, SECTORS, require_columns

__all__ = [
    "STANDARD_FIGURES",
    "plot_cost_by_sector",
    "plot_cost_distribution",
    "plot_event_study",
    "plot_province_caterpillar",
    "plot_regional_coefficients",
    "plot_sensitivity_tornado",
    "plot_spending_by_region",
    "plot_tile_map",
    "standard_figures",
]


def plot_cost_by_sector(
    costs: pd.DataFrame,
    *,
    ax=None,
    lang: str = "en",
    simulated: bool = False,
    level_filter: str | None = None,
    years=None,
):
    """Cost per beneficiary (ratio of totals) by sector with its interval, from the cost table.

    ``costs`` is the output of :func:`analysis.estimate_cost_per_beneficiary`; rows with group ending in
    "sector" and estimator ``ratio_of_totals`` are drawn (``level_filter`` keeps levels starting with
    it, e.g. "2018/" for a year+sector table). ``years``: the years the rows pool (the title says
    "<first>–<last> pooled"); the axis states the unit and the table's price basis, with thousands
    separators.
    """
    need = ["estimator", "group", "level", "estimate", "ci_low", "ci_high", "price_basis"]
    if costs.empty:
        raise ParameterError("no sector rows of estimator ratio_of_totals in the cost table")
    require_columns(costs, need, "the cost table")
    rows = costs[(costs["estimator"] == "ratio_of_totals") & costs["group"].str.endswith("sector")]
    if level_filter:
        rows = rows[rows["level"].str.startswith(level_filter)]
    if rows.empty:
        raise ParameterError("no sector rows of estimator ratio_of_totals in the cost table")
    rows = rows.assign(sector=rows["level"].str.split("/").str[-1])
    rows = rows.set_index("sector").reindex([s for s in SECTORS if s in set(rows["sector"])])
    fig, ax = new_axes(ax)
    y = np.arange(len(rows))
    err = np.vstack([rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]])
    ax.barh(y, rows["estimate"], color=PALETTE[0], height=0.6)
    ax.errorbar(
        rows["estimate"], y, xerr=np.nan_to_num(err), fmt="none", ecolor="black", lw=0.8, capsize=2
    )
    ax.set_yticks(y, [label(s, lang) for s in rows.index])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: number_text(v)))
    basis = rows["price_basis"].iloc[0]
    ax.set_xlabel(f"{label(currency_unit(basis), lang)}\n{price_basis_text(basis, lang)}")
    if years is None:
        ax.set_title(label("title_cost_by_sector", lang), loc="left")
    else:
        period = period_text(years, lang)
        title = label("title_cost_by_sector_years", lang, period=period)
        ax.set_title(wrap_label(title, lang, 36), loc="left")
    return finish_figure(fig, ax, simulated=simulated, lang=lang, note="ratio_note")


def plot_spending_by_region(
    data: pd.DataFrame,
    *,
    ax=None,
    lang: str = "en",
    simulated: bool = False,
    policy_year: int = POLICY_YEAR,
):
    """Spending by year in and outside 三区三州, with a line at the 2017 policy shift."""
    table = spending_by_year(data)
    fig, ax = new_axes(ax)
    scale = 1e9 if lang == "en" else 1e8  # billion yuan / 亿元
    for column, marker, color, key in (
        (True, "o", 3, "deep_poverty_area"),
        (False, "s", 0, "elsewhere"),
    ):
        ax.plot(
            table.index,
            table[column] / scale,
            marker=marker,
            ms=3.5,
            lw=1.2,
            color=PALETTE[color],
            label=label(key, lang),
        )
    if table["unknown"].any():  # shown, never folded into either side
        ax.plot(
            table.index,
            table["unknown"] / scale,
            marker="^",
            ms=3.5,
            lw=1.0,
            ls="--",
            color=PALETTE[1],
            label=label("deep_unknown", lang),
        )
    ax.set_ylim(bottom=0)
    policy_line(ax, policy_year, lang)
    ax.set_xticks(table.index, [str(y) for y in table.index])
    ax.set_xlabel(label("year", lang))
    ax.set_ylabel(label("spending_bn_nominal", lang))
    ax.set_title(label("title_spending_by_region", lang), loc="left")
    ax.legend(frameon=False, loc="center left")
    return finish_figure(fig, ax, simulated=simulated, lang=lang)


# The standard figures of a run. Each builder takes (data, costs, effects, sensitivity, lang,
# simulated) and returns the figure, or None when the tables lack its rows (the figure is skipped).


def _cost_distribution_figure(data, costs, effects, sensitivity, lang, simulated):
    """Project cost per beneficiary in and outside 三区三州, in the cost table's prices (CPI, or
    nominal when the table's sector rows are nominal)."""
    return plot_cost_distribution(
        data, lang=lang, simulated=simulated, base_year=_constant_year(costs)
    )


def _constant_year(costs: pd.DataFrame) -> int | None:
    """The base year of the cost table's sector rows when in constant yuan (CPI), else None."""
    bases = costs.loc[costs["group"] == "sector", "price_basis"].astype(str)
    hit = re.fullmatch(r"constant (\d{4}) yuan \(CPI\)", bases.iloc[0]) if len(bases) else None
    return int(hit.group(1)) if hit else None


def _cost_by_sector_figure(data, costs, effects, sensitivity, lang, simulated):
    """Cost per beneficiary by sector (yuan per person), all years of the data pooled."""
    return plot_cost_by_sector(
        costs[costs["group"] == "sector"], lang=lang, simulated=simulated, years=data["year"]
    )


def _cost_sensitivity_figure(data, costs, effects, sensitivity, lang, simulated):
    """The tornado chart of the cost sensitivity table, when there is one with rows; the headline's
    year is the year whose nominal ratio of totals in the cost table equals the baseline."""
    if sensitivity is None or not len(sensitivity):
        return None
    table = sensitivity.assign(assumption=[label(a, lang) for a in sensitivity["assumption"]])
    return plot_sensitivity_tornado(
        table, lang=lang, simulated=simulated, year=_headline_year(costs, sensitivity)
    )


def _headline_year(costs: pd.DataFrame, sensitivity: pd.DataFrame) -> int | None:
    """The one year of the cost table whose nominal ratio of totals is the sensitivity baseline."""
    need = {"group", "level", "estimator", "estimate", "price_basis"}
    if not need <= set(costs.columns):
        return None
    rows = costs[
        (costs["group"] == "year")
        & (costs["estimator"] == "ratio_of_totals")
        & (costs["price_basis"] == "nominal yuan")
    ]
    base = float(sensitivity["baseline"].iloc[0])
    hits = rows.loc[np.isclose(rows["estimate"].astype(float), base, rtol=1e-9), "level"]
    return int(hits.iloc[0]) if len(hits) == 1 else None


def _spending_by_region_figure(data, costs, effects, sensitivity, lang, simulated):
    """Spending by year in and outside 三区三州 (yuan), from the cleaned data."""
    return plot_spending_by_region(data, lang=lang, simulated=simulated)


def _spending_map_figure(data, costs, effects, sensitivity, lang, simulated):
    """Tile map of spending by province over the data's years, in billion yuan (en) or 亿元 (zh),
    nominal."""
    scale, key = (1e9 if lang == "en" else 1e8), "spending_total"  # billion yuan / 亿元
    by_province = data.groupby("province", as_index=False, observed=True)["expenditure_yuan"].sum()
    by_province[key] = by_province["expenditure_yuan"] / scale
    period = period_text(data["year"], lang)
    title = label(
        "title_spending_map", lang, period=period, basis=price_basis_text("nominal yuan", lang)
    )
    return plot_tile_map(
        by_province,
        column=key,
        lang=lang,
        simulated=simulated,
        title=title,
        colorbar_label=label(key, lang, period=period),
    )


def _regional_coefficients_figure(data, costs, effects, sensitivity, lang, simulated):
    """The regional models' coefficients, one model per panel, from the regional-effects table."""
    return plot_regional_coefficients(effects, lang=lang, simulated=simulated)


def _event_study_figure(data, costs, effects, sensitivity, lang, simulated):
    """The event study, when the regional-effects table has its rows."""
    if not (effects["model"] == "event_study").any():
        return None
    return plot_event_study(effects, lang=lang, simulated=simulated)


def _province_caterpillar_figure(data, costs, effects, sensitivity, lang, simulated):
    """The province effects (without the 三区三州 control), when the table has their rows."""
    if not (effects["model"] == "province_random_effects").any():
        return None
    return plot_province_caterpillar(effects, lang=lang, simulated=simulated)


# File name -> builder, in the order of the figure catalogue (src/analysis/data/figures.csv: numbers and
# captions; tests/test_figures.py keeps the two the same).
STANDARD_FIGURES = {
    "cost_distribution": _cost_distribution_figure,
    "cost_by_sector": _cost_by_sector_figure,
    "cost_sensitivity": _cost_sensitivity_figure,
    "spending_by_region": _spending_by_region_figure,
    "spending_map": _spending_map_figure,
    "regional_coefficients": _regional_coefficients_figure,
    "event_study": _event_study_figure,
    "province_caterpillar": _province_caterpillar_figure,
}


def standard_figures(
    data: pd.DataFrame,
    costs: pd.DataFrame,
    effects: pd.DataFrame,
    sensitivity: pd.DataFrame | None = None,
    *,
    lang: str = "en",
    simulated: bool = False,
) -> dict:
    """Every figure of a run (:data:`STANDARD_FIGURES`), by file name, in the order of the figure
    catalogue (numbers and captions: :func:`analysis.present.catalogue.figure_catalogue`), drawn from
    the run's data and tables (call inside :func:`analysis.present.style.house_style`). Figures whose
    rows are absent from the tables are skipped."""
    figs = {}
    for name, build in STANDARD_FIGURES.items():
        fig = build(data, costs, effects, sensitivity, lang, simulated)
        if fig is not None:
            figs[name] = fig
    return figs
