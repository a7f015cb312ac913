"""Figures of the regional models, from the regional-effects table (``tables/regional_effects.csv``):
the coefficients (one model per panel), the event study and the province effects.

Each function takes ``ax=None``, returns the figure and never saves; labels say the outcome, the
comparison and the reference (category or year), taken from the table where it holds them.
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from analysis.errors import ParameterError
from analysis.present.drawing import (
    deep_share_of_province,
    finish_figure,
    interval_points,
    new_axes,
    policy_line,
    province_label,
    wrap_label,
)
from analysis.present.style import FIGSIZE, PALETTE, label
from analysis.schema import POLICY_YEAR, SECTORS, require_columns

DEEP_COLOR, SECTOR_COLOR = PALETTE[3], PALETTE[0]

# The models a panel of the coefficient plot can show: model -> (panel title key, axis label key).
COEFFICIENT_PANELS = {
    "baseline": ("panel_baseline", "axis_baseline"),
    "did": ("panel_did", "axis_did"),
}


def sector_reference(terms) -> str | None:
    """The reference category of the sector terms ``sector[<level>]``: the one sector of
    ``schema.SECTORS`` without a term (None when not exactly one is missing or there is no term)."""
    levels = {m.group(1) for t in terms if (m := re.fullmatch(r"sector\[(.+)\]", str(t)))}
    missing = [s for s in SECTORS if s not in levels]
    return missing[0] if levels and len(missing) == 1 else None


def _term_name(term: str, lang: str) -> str:
    """The tick label of a coefficient: the comparison it is."""
    if term == "deep_poverty_area":
        return label("term_deep", lang)
    shift = re.fullmatch(r"deep_poverty_area:post(\d{4})", term)
    if shift:
        return label("term_did", lang, year=shift.group(1))
    return label(term.removeprefix("sector[").removesuffix("]"), lang)


def _coefficient_axes(ax, n_panels: int, heights: list[int]):
    """The figure and one axes per panel: new stacked axes sized by their rows, or the given ones."""
    if ax is None:
        width, _ = FIGSIZE["one_column"]
        fig, axes = plt.subplots(
            n_panels,
            1,
            figsize=(width, 1.3 + 0.26 * sum(heights) + 0.75 * n_panels),
            layout="constrained",
            height_ratios=[h + 1.6 for h in heights],
            squeeze=False,
        )
        return fig, list(axes[:, 0])
    axes = list(np.atleast_1d(ax))
    if len(axes) != n_panels:
        raise ParameterError(f"pass one axes per model drawn ({n_panels}), got {len(axes)}")
    return axes[0].figure, axes


def _coefficient_panel(ax, rows: pd.DataFrame, model: str, lang: str) -> None:
    """One model's coefficients with their 95% intervals, the 三区三州 comparison in its colour."""
    title, axis = COEFFICIENT_PANELS[model]
    deep = rows["term"].str.startswith("deep_poverty_area").to_numpy()
    y = np.arange(len(rows))
    for at, colour in ((deep, DEEP_COLOR), (~deep, SECTOR_COLOR)):
        if at.any():
            interval_points(
                ax,
                rows["estimate"][at],
                y[at],
                rows["ci_low"][at].fillna(rows["estimate"][at]),
                rows["ci_high"][at].fillna(rows["estimate"][at]),
                horizontal=True,
                color=colour,
            )
    ax.axvline(0, color="#666666", lw=0.6)
    ax.set_yticks(y, [wrap_label(_term_name(t, lang), lang, 26) for t in rows["term"]])
    ax.set_ylim(len(rows) - 0.5 + (1.0 if model == "baseline" else 0.0), -0.5)  # room for the key
    ax.set_xlabel(wrap_label(label(axis, lang), lang, 36))
    ax.set_title(wrap_label(label(title, lang, year=POLICY_YEAR), lang, 34), loc="left", fontsize=8)


def plot_regional_coefficients(
    effects: pd.DataFrame,
    *,
    ax=None,
    lang: str = "en",
    simulated: bool = False,
    models: tuple[str, ...] = ("baseline", "did"),
):
    """The regional models' coefficients, one model per panel (log points, 95% intervals).

    Panel (a), ``baseline``: log cost per beneficiary, the 三区三州 term (三区三州 minus elsewhere)
    and the sector terms (each sector minus the reference category, named in the legend). Panel (b),
    ``did``: log spending of an area-year panel, 三区三州 minus elsewhere from the policy year on
    minus before. ``models`` picks the panels (those without rows are left out); ``ax`` is one axes
    per panel drawn (a single axes for one model), or None for a new figure.
    """
    require_columns(effects, ["model", "term", "estimate", "ci_low", "ci_high"], "effects")
    unknown = sorted(set(models) - set(COEFFICIENT_PANELS))
    if unknown:
        raise ParameterError(f"models must be among {tuple(COEFFICIENT_PANELS)}, got {unknown}")
    panels = [(m, effects[effects["model"] == m].reset_index(drop=True)) for m in models]
    panels = [(m, rows.astype({"term": str})) for m, rows in panels if len(rows)]
    if not panels:
        raise ParameterError(f"no rows of models {tuple(models)} in the regional-effects table")
    fig, axes = _coefficient_axes(ax, len(panels), [len(rows) for _, rows in panels])
    for panel_ax, (model, rows) in zip(axes, panels, strict=True):
        _coefficient_panel(panel_ax, rows, model, lang)
    handles = [
        Line2D([], [], ls="", marker="o", ms=4, color=DEEP_COLOR, label=label("term_deep", lang))
    ]
    reference = sector_reference(effects.loc[effects["model"] == "baseline", "term"])
    if reference is not None and "baseline" in models:
        text = label("key_sector", lang, reference=label(reference, lang))
        handles.append(Line2D([], [], ls="", marker="o", ms=4, color=SECTOR_COLOR, label=text))
    axes[0].legend(handles=handles, frameon=False, fontsize=6, loc="lower right")
    return finish_figure(fig, axes[-1], simulated=simulated, lang=lang)


def _event_rows(effects: pd.DataFrame) -> pd.DataFrame:
    """The event-study rows, one per year (column ``year``), sorted."""
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
    return rows.sort_values("year")


def plot_event_study(effects: pd.DataFrame, *, ax=None, lang: str = "en", simulated: bool = False):
    """Event study of the shift of spending towards 三区三州: one point with its interval per year.

    Input: the regional-effects table (``tables/regional_effects.csv``, from
    :func:`analysis.regional_effects`) with columns ``model``, ``term``, ``estimate``, ``ci_low``,
    ``ci_high``. Drawn: rows with ``model == "event_study"`` and ``term == "deep_poverty_area:<year>"``
    (other rows are ignored). The reference year (estimate 0 with no interval) is an open circle,
    named under its tick and in the y label ("relative to <year>"). A horizontal line marks zero and
    a dashed vertical line between 2016 and 2017 the policy shift (label ``policy_year``).
    """
    rows = _event_rows(effects)
    est = rows["estimate"].astype(float)
    width = (rows["ci_high"].astype(float) - rows["ci_low"].astype(float)).fillna(0.0)
    reference = ((est == 0) & (width == 0)).to_numpy()
    fig, ax = new_axes(ax)
    ax.axhline(0, color="#666666", lw=0.6)
    interval_points(
        ax,
        rows["year"],
        est,
        rows["ci_low"].fillna(est),
        rows["ci_high"].fillna(est),
        horizontal=False,
        color=DEEP_COLOR,
        hollow=reference,
    )
    years = rows["year"].to_list()
    if min(years) < POLICY_YEAR <= max(years):
        policy_line(ax, POLICY_YEAR, lang)
        low, high = ax.get_ylim()
        ax.set_ylim(low - 0.12 * (high - low), high)  # room for the policy label under the points
    ref_years = [y for y, r in zip(years, reference, strict=True) if r]
    ticks = [
        f"{y}\n{label('reference_year', lang)}" if r else str(y)
        for y, r in zip(years, reference, strict=True)
    ]
    ax.set_xticks(years, ticks)
    ax.set_xlabel(label("year", lang))
    key, fields = (
        ("event_effect_ref", {"year": ref_years[0]})
        if len(ref_years) == 1
        else ("event_effect", {})
    )
    text = label(key, lang, **fields)
    head, sep, tail = text.rpartition("（" if lang == "zh" else " (")  # the unit on its own line
    ax.set_ylabel(f"{wrap_label(head, lang, 26)}\n{sep.strip()}{tail}" if sep else text)
    ax.set_title(label("title_event_study", lang), loc="left")
    return finish_figure(fig, ax, simulated=simulated, lang=lang)


def _province_rows(effects: pd.DataFrame, model: str) -> pd.DataFrame:
    """The province rows of ``model`` (column ``province``), largest estimate first."""
    require_columns(effects, ["model", "term", "estimate", "ci_low", "ci_high"], "effects")
    if not model.startswith("province_random_effects"):
        raise ParameterError(f"model must be a province_random_effects model, got {model!r}")
    names = effects["term"].astype(str).str.extract(r"^province\[(.+)\]$")[0]
    keep = (effects["model"] == model) & names.notna()
    rows = effects[keep].assign(province=names[keep])
    if rows.empty:
        raise ParameterError(
            f"no {model} rows with terms 'province[<name>]' in the regional-effects table"
        )
    return rows.sort_values(["estimate", "province"], ascending=[False, True], kind="stable")


def plot_province_caterpillar(
    effects: pd.DataFrame,
    *,
    ax=None,
    lang: str = "en",
    simulated: bool = False,
    model: str = "province_random_effects",
):
    """Province effects on log cost per beneficiary relative to the average province, sorted by size
    (largest on top): each a point with its 95% interval (thick) and the interval that holds for all
    provinces at once (thin), coloured by how much of the province is 三区三州 (legend).

    Input: the regional-effects table with columns ``model``, ``term``, ``estimate``, ``ci_low``,
    ``ci_high`` (and ``ci_low_simultaneous``, ``ci_high_simultaneous`` when present); rows with
    ``model`` (``province_random_effects``, without the 三区三州 control, or
    ``province_random_effects_given_deep``, with it; the title says which) and
    ``term == "province[<English name>]"`` are drawn (English names as in provinces.csv, or
    "multiple"). Names are shown in English, or as Chinese short names when ``lang="zh"``.
    """
    rows = _province_rows(effects, model)
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
    control = "province_control_deep" if model.endswith("_given_deep") else "province_control_none"
    sep = "（" if lang == "zh" else " ("
    end = "）" if lang == "zh" else ")"
    ax.set_title(
        f"{label('title_province_effects', lang)}\n{sep.strip()}{label(control, lang)}{end}",
        loc="left",
    )
    ax.legend(frameon=False, loc="lower right", fontsize=6)
    return finish_figure(fig, ax, simulated=simulated, lang=lang)
