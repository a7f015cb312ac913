"""Figures for policy papers. Each function takes ``ax=None``, returns the figure and never saves.

Saving happens in one place, :func:`analysis.outputs.save_figure`. Every figure carries a source line, and a
visible "Illustrative — simulated data" mark when ``simulated`` is true. Call inside
:func:`analysis.present.style.house_style` for the house look (the notebooks do).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.present.drawing import (
    deep_share_of_province,
    finish_figure,
    interval_points,
    new_axes,
    number_text,
    policy_line,
    province_label,
    wrap_label,
)
from analysis.present.maps import plot_tile_map
from analysis.present.style import PALETTE, label
from analysis.present.summaries import spending_by_year
from analysis.schema import POLICY_YEAR, SECTORS, require_columns


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
    basis = rows["price_basis"].iloc[0]
    ax.set_xlabel(f"{label('cost_per_beneficiary', lang)}\n{basis}")
    ax.set_title(label("title_cost_by_sector", lang), loc="left")
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
    ax.set_ylabel(label("spending_bn", lang))
    ax.set_title(label("title_spending_by_region", lang), loc="left")
    ax.legend(frameon=False, loc="center left")
    return finish_figure(fig, ax, simulated=simulated, lang=lang)


def plot_regional_coefficients(
    effects: pd.DataFrame, *, ax=None, lang: str = "en", simulated: bool = False
):
    """Coefficient plot of the regional models (baseline 三区三州 and sector terms, the 2017 shift)."""
    rows = effects[effects["model"].isin(["baseline", "did"])].copy()
    if rows.empty:
        raise ParameterError("no baseline or did rows in the regional-effects table")

    def name(r):
        if r.model == "did":
            return label("did", lang, year=POLICY_YEAR)
        if r.term == "deep_poverty_area":
            return label("baseline", lang)
        return label(r.term.removeprefix("sector[").rstrip("]"), lang)

    rows["name"] = [name(r) for r in rows.itertuples()]
    fig, ax = new_axes(ax)
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
    return finish_figure(fig, ax, simulated=simulated, lang=lang)


def plot_event_study(effects: pd.DataFrame, *, ax=None, lang: str = "en", simulated: bool = False):
    """Event study of the shift of spending towards 三区三州: one point with its interval per year.

    Input: the regional-effects table (``tables/regional_effects.csv``, from
    :func:`analysis.regional_effects`) with columns ``model``, ``term``, ``estimate``, ``ci_low``,
    ``ci_high``. Drawn: rows with ``model == "event_study"`` and ``term == "deep_poverty_area:<year>"``
    (other rows are ignored). The reference year (estimate 0 with no interval) is an open circle. A
    horizontal line marks zero and a dashed vertical line between 2016 and 2017 the policy shift
    (label ``policy_year``).
    """
    require_columns(effects, ["model", "term", "estimate", "ci_low", "ci_high"], "effects")
    years = effects["term"].astype(str).str.extract(r"^deep_poverty_area:(\d{4})$")[0]
    keep = (effects["model"] == "event_study") & years.notna()
    rows = effects[keep].assign(year=years[keep].astype(int))
    if rows.empty:
        raise ParameterError(
            "no event_study rows with terms 'deep_poverty_area:<year>' in the regional-effects table"
        )
    if rows["year"].duplicated().any():
        raise ParameterError("the event_study rows repeat a year; pass one row per year")
    rows = rows.sort_values("year")
    est = rows["estimate"].astype(float)
    width = (rows["ci_high"].astype(float) - rows["ci_low"].astype(float)).fillna(0.0)
    reference = (est == 0) & (width == 0)
    fig, ax = new_axes(ax)
    ax.axhline(0, color="#666666", lw=0.6)
    interval_points(
        ax,
        rows["year"],
        est,
        rows["ci_low"].fillna(est),
        rows["ci_high"].fillna(est),
        horizontal=False,
        color=PALETTE[3],
        hollow=reference,
    )
    for year in rows.loc[reference, "year"]:
        ax.annotate(
            label("reference_year", lang),
            (year, 0),
            xytext=(0, 5),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=5.5,
            color="#444444",
        )
    years = rows["year"].to_list()
    if min(years) < POLICY_YEAR <= max(years):
        policy_line(ax, POLICY_YEAR, lang)
        low, high = ax.get_ylim()
        ax.set_ylim(low - 0.12 * (high - low), high)  # room for the policy label under the points
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_xlabel(label("year", lang))
    ax.set_ylabel(wrap_label(label("event_effect", lang), lang, 30))
    ax.set_title(label("title_event_study", lang), loc="left")
    return finish_figure(fig, ax, simulated=simulated, lang=lang)


def plot_province_caterpillar(
    effects: pd.DataFrame, *, ax=None, lang: str = "en", simulated: bool = False
):
    """Province effects on log cost per beneficiary, sorted by size (largest on top): each a point
    with its 95% interval (thick) and the interval that holds for all provinces at once (thin), the
    provinces holding 三区三州 areas coloured.

    Input: the regional-effects table with columns ``model``, ``term``, ``estimate``, ``ci_low``,
    ``ci_high`` (and ``ci_low_simultaneous``, ``ci_high_simultaneous`` when present); rows with
    ``model == "province_random_effects"`` and ``term == "province[<English name>]"`` are drawn
    (English names as in provinces.csv and the cleaned data, or "multiple"). Names are shown in
    English, or as Chinese short names when ``lang="zh"``.
    """
    require_columns(effects, ["model", "term", "estimate", "ci_low", "ci_high"], "effects")
    names = effects["term"].astype(str).str.extract(r"^province\[(.+)\]$")[0]
    keep = (effects["model"] == "province_random_effects") & names.notna()
    rows = effects[keep].assign(province=names[keep])
    if rows.empty:
        raise ParameterError(
            "no province_random_effects rows with terms 'province[<name>]' in the "
            "regional-effects table"
        )
    rows = rows.sort_values(["estimate", "province"], ascending=[False, True], kind="stable")
    shown = [province_label(p, lang) for p in rows["province"]]
    fig, ax = new_axes(ax, "one_column_tall")
    y = np.arange(len(rows))
    ax.axvline(0, color="#666666", lw=0.6)
    est = rows["estimate"].astype(float)
    if {"ci_low_simultaneous", "ci_high_simultaneous"} <= set(rows.columns):
        low = rows["ci_low_simultaneous"].astype(float).fillna(est)
        high = rows["ci_high_simultaneous"].astype(float).fillna(est)
        ax.hlines(y, low, high, color="#999999", lw=0.6, label=label("simultaneous_interval", lang))
    share = rows["province"].map(deep_share_of_province).to_numpy()
    for kind, colour in (("none", PALETTE[0]), ("part", PALETTE[1]), ("all", PALETTE[3])):
        at = share == kind
        if at.any():
            interval_points(
                ax,
                est[at],
                y[at],
                rows["ci_low"].astype(float).fillna(est)[at],
                rows["ci_high"].astype(float).fillna(est)[at],
                horizontal=True,
                color=colour,
            )
            ax.scatter([], [], s=14, color=colour, label=label(f"deep_share_{kind}", lang))
    ax.set_yticks(y, shown)
    ax.set_ylim(len(rows) - 0.4, -0.6)  # largest on top
    ax.tick_params(axis="y", labelsize=6.5)
    ax.set_xlabel(wrap_label(label("province_effect", lang), lang, 48))
    ax.set_title(label("title_province_effects", lang), loc="left")
    ax.legend(frameon=False, loc="upper left", fontsize=6)
    return finish_figure(fig, ax, simulated=simulated, lang=lang)


def _tornado_rows(table: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Check the sensitivity table; return its rows (assumption, lo, hi, span; widest first) and the
    baseline (the headline estimate, in the table's units)."""
    require_columns(table, ["assumption", "low", "high", "baseline"], "table")
    if table.empty:
        raise ParameterError("the sensitivity table has no rows")
    try:
        num = table[["low", "high", "baseline"]].apply(pd.to_numeric).astype(float)
    except (TypeError, ValueError):
        raise ParameterError("low, high and baseline must be numeric") from None
    if num.isna().any().any():
        raise ParameterError("low, high and baseline must not be missing")
    base = num["baseline"].iloc[0]
    if not np.allclose(num["baseline"], base):
        raise ParameterError("baseline must be the same in every row (the headline estimate)")
    rows = pd.DataFrame(
        {
            "assumption": table["assumption"].astype(str),
            "lo": num[["low", "high"]].min(axis=1),
            "hi": num[["low", "high"]].max(axis=1),
        }
    )
    rows = rows.assign(span=rows["hi"] - rows["lo"]).sort_values(
        "span", ascending=False, kind="stable"
    )
    return rows, base


def _tornado_end_values(ax, rows: pd.DataFrame) -> None:
    """Write each bar's low and high values at its ends (one value when they are equal)."""
    for yi, (low, high) in enumerate(zip(rows["lo"], rows["hi"], strict=True)):
        ends = [(high, True)] if low == high else [(low, False), (high, True)]
        for value, right in ends:
            ax.annotate(
                number_text(value),
                (value, yi),
                xytext=(2 if right else -2, 0),
                textcoords="offset points",
                ha="left" if right else "right",
                va="center",
                fontsize=5.5,
                color="#444444",
                bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none"},
                zorder=4,  # above the baseline line when a value sits across it
            )


def _tornado_baseline_label(ax, base: float, n_rows: int, lang: str) -> None:
    """Label the baseline line in the band at the foot, kept inside the axes."""
    xmin, xmax = ax.get_xlim()
    where = (base - xmin) / (xmax - xmin)  # keep the baseline label inside the axes
    ha, dx = ("left", 2) if where < 0.3 else ("right", -2) if where > 0.7 else ("center", 0)
    ax.annotate(
        f"{label('baseline_value', lang)}: {number_text(base)}",
        (base, n_rows - 0.35),
        xytext=(dx, -1),
        textcoords="offset points",
        ha=ha,
        va="top",
        fontsize=6,
        bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none"},
    )


def plot_sensitivity_tornado(
    table: pd.DataFrame, *, ax=None, lang: str = "en", simulated: bool = False
):
    """Tornado chart: how far the headline estimate moves when one assumption changes, widest range on
    top.

    Input: one row per assumption with columns ``assumption`` (the text shown, already in the
    figure's language), ``low`` and ``high`` (the headline estimate at the assumption's two settings,
    e.g. the smaller and the larger as in :func:`analysis.cost_sensitivity`; either order is drawn the
    same) and ``baseline`` (the headline estimate, the same in every row; other columns are ignored).
    Each row is a bar from ``low`` to ``high`` with the two values at its ends; a vertical line marks
    the baseline, which may lie outside a bar (e.g. a row in other prices).
    """
    rows, base = _tornado_rows(table)
    fig, ax = new_axes(ax)
    y = np.arange(len(rows))
    bars = ax.barh(
        y, rows["span"], left=rows["lo"], height=0.6, color=PALETTE[0], gid="tornado-bar"
    )
    for bar in bars:
        bar.sticky_edges.x.clear()  # let the margins below make room for the end values
    _tornado_end_values(ax, rows)
    ax.axvline(base, color="black", lw=0.8, gid="baseline")
    ax.set_yticks(y, [wrap_label(a, lang) for a in rows["assumption"]])
    ax.set_ylim(len(rows) + 0.2, -0.6)  # widest on top; a band at the foot for the baseline label
    ax.update_datalim([(base, 0)])  # the baseline inside the view even when outside every bar
    ax.margins(x=0.18)
    ax.autoscale_view()
    _tornado_baseline_label(ax, base, len(rows), lang)
    ax.set_xlabel(label("sensitivity_x", lang))
    ax.set_title(label("title_sensitivity", lang), loc="left")
    return finish_figure(fig, ax, simulated=simulated, lang=lang)


# The standard figures of a run. Each builder takes (data, costs, effects, sensitivity, lang,
# simulated) and returns the figure, or None when the tables lack its rows (the figure is skipped).


def _cost_by_sector_figure(data, costs, effects, sensitivity, lang, simulated):
    """Cost per beneficiary by sector (yuan per person), from the cost table's sector rows."""
    return plot_cost_by_sector(costs[costs["group"] == "sector"], lang=lang, simulated=simulated)


def _spending_by_region_figure(data, costs, effects, sensitivity, lang, simulated):
    """Spending by year in and outside 三区三州 (yuan), from the cleaned data."""
    return plot_spending_by_region(data, lang=lang, simulated=simulated)


def _regional_coefficients_figure(data, costs, effects, sensitivity, lang, simulated):
    """The regional models' coefficients, from the regional-effects table."""
    return plot_regional_coefficients(effects, lang=lang, simulated=simulated)


def _event_study_figure(data, costs, effects, sensitivity, lang, simulated):
    """The event study, when the regional-effects table has its rows."""
    if not (effects["model"] == "event_study").any():
        return None
    return plot_event_study(effects, lang=lang, simulated=simulated)


def _province_caterpillar_figure(data, costs, effects, sensitivity, lang, simulated):
    """The province effects, when the regional-effects table has their rows."""
    if not (effects["model"] == "province_random_effects").any():
        return None
    return plot_province_caterpillar(effects, lang=lang, simulated=simulated)


def _spending_map_figure(data, costs, effects, sensitivity, lang, simulated):
    """Tile map of spending by province, in billion yuan (en) or 亿元 (zh)."""
    scale, key = (1e9 if lang == "en" else 1e8), "spending_bn"  # billion yuan / 亿元
    by_province = data.groupby("province", as_index=False, observed=True)["expenditure_yuan"].sum()
    by_province[key] = by_province["expenditure_yuan"] / scale
    return plot_tile_map(by_province, column=key, lang=lang, simulated=simulated)


def _cost_sensitivity_figure(data, costs, effects, sensitivity, lang, simulated):
    """The tornado chart of the cost sensitivity table, when there is one with rows."""
    if sensitivity is None or not len(sensitivity):
        return None
    table = sensitivity.assign(assumption=[label(a, lang) for a in sensitivity["assumption"]])
    return plot_sensitivity_tornado(table, lang=lang, simulated=simulated)


# File name -> builder, in the order the figures are drawn and returned.
STANDARD_FIGURES = {
    "cost_by_sector": _cost_by_sector_figure,
    "spending_by_region": _spending_by_region_figure,
    "regional_coefficients": _regional_coefficients_figure,
    "event_study": _event_study_figure,
    "province_caterpillar": _province_caterpillar_figure,
    "spending_map": _spending_map_figure,
    "cost_sensitivity": _cost_sensitivity_figure,
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
    """Every figure of a run (:data:`STANDARD_FIGURES`), by file name, drawn from the run's data and
    tables (call inside :func:`analysis.present.style.house_style`). Figures whose rows are absent
    from the tables are skipped."""
    figs = {}
    for name, build in STANDARD_FIGURES.items():
        fig = build(data, costs, effects, sensitivity, lang, simulated)
        if fig is not None:
            figs[name] = fig
    return figs
