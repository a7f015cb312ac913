"""Figures for policy papers. Each function takes ``ax=None``, returns the figure and never saves.

Saving happens in one place, :func:`analysis.io.save_figure`. Every figure carries a source line, and a
visible "Illustrative — simulated data" mark when ``simulated`` is true. Call inside
:func:`analysis.style.house_style` for the house look (the notebooks do).
"""

from __future__ import annotations

import functools
import re
import textwrap
import unicodedata
from importlib import resources

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text

from analysis.errors import ParameterError
from analysis.places import MULTIPLE
from analysis.reference import load_reference
from analysis.style import FIGSIZE, LANGS, PALETTE, label

__all__ = [
    "standard_figures",
    "figure_texts",
    "plot_cost_by_sector",
    "plot_event_study",
    "plot_province_caterpillar",
    "plot_regional_coefficients",
    "plot_sensitivity_tornado",
    "plot_spending_by_region",
    "plot_tile_map",
    "spending_by_year",
]

SECTOR_ORDER = ["industry", "education", "health", "relocation", "volunteer", "other"]
NO_DATA_COLOR = "#BBBBBB"  # tiles of provinces without a value (not in any sequential colour map)
POLICY_YEAR = 2017  # first year of the policy shift towards 三区三州 (label key policy_2017)


def _axes(ax, size="one_column"):
    if ax is None:
        fig, ax = plt.subplots(figsize=FIGSIZE[size], layout="constrained")
    return ax.figure, ax


def _finish(fig, ax, *, simulated: bool, lang: str, note: str | None = None):
    """Source line at the foot, and the simulated-data mark at the top right, outside the data.

    The space kept for them is fixed in inches, so tall figures keep the same margins."""
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
    height = fig.get_figheight()
    top = 1.0 - 0.182 / height if simulated else 1.0
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
        bottom = (0.091 * len(lines) + 0.052) / height
        engine.set(rect=(0, bottom, 1, top - bottom))
    return fig


def _policy_line(ax, year: int, lang: str) -> None:
    """A dashed line just before ``year`` (the 2017 shift of support), labelled at its foot."""
    ax.axvline(year - 0.5, color="#666666", ls="--", lw=0.8, gid="policy-line")
    ax.text(
        year - 0.45,
        0.02,
        label("policy_2017", lang),
        fontsize=6,
        va="bottom",
        ha="left",
        color="#444444",
        transform=ax.get_xaxis_transform(),
    )


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
    basis = rows["price_basis"].iloc[0]
    ax.set_xlabel(f"{label('cost_per_beneficiary', lang)}\n{basis}")
    ax.set_title(label("title_cost_by_sector", lang), loc="left")
    return _finish(fig, ax, simulated=simulated, lang=lang, note="ratio_note")


def spending_by_year(data: pd.DataFrame) -> pd.DataFrame:
    """Total spending (yuan) by year: inside 三区三州 (column True), outside (False) and where the
    place does not decide it ("unknown": partly covered provinces without a deciding prefecture or
    county, and multi-province rows)."""
    status = (
        data["deep_poverty_area"].astype(object).where(data["deep_poverty_area"].notna(), "unknown")
    )
    return (
        data.assign(_status=status)
        .groupby(["year", "_status"], observed=True)["expenditure_yuan"]
        .sum()
        .unstack("_status", fill_value=0.0)
        .reindex(columns=[False, True, "unknown"], fill_value=0.0)
        .rename_axis(columns="deep_poverty_area")
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
    _policy_line(ax, policy_year, lang)
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


# --- helpers for the figures below -------------------------------------------------------------------


def _drawn_texts(fig) -> list[Text]:
    """The text artists that a draw of ``fig`` puts on the page, in drawing order (no tick label
    outside its axis's view, nothing of a hidden axis)."""
    from matplotlib.backends.backend_agg import RendererAgg

    renderer = RendererAgg(fig.bbox.width, fig.bbox.height, fig.dpi)
    drawn: dict[int, Text] = {}
    draw_text = Text.draw

    def recording_draw(self, r):
        if r is renderer and self.get_visible() and self.get_text():
            drawn.setdefault(id(self), self)
        return draw_text(self, r)

    Text.draw = recording_draw  # for this one off-screen draw (matplotlib has no hook for it)
    try:
        fig.draw(renderer)
    finally:
        Text.draw = draw_text
    return list(drawn.values())


def figure_texts(fig) -> list[str]:
    """Every text drawn on ``fig``, in drawing order: titles, axis and tick labels, legends, the
    source line and the simulated mark, tile labels... (for tests and checks).

    The figure is drawn once off screen, so tick labels hold their final text and only what is
    really drawn is listed (not the labels of ticks outside the view or of a hidden axis). Draw
    inside :func:`analysis.style.house_style` for the house fonts."""
    return [t.get_text() for t in _drawn_texts(fig)]


def _check_table(table, columns, what: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise ParameterError(f"{what} must be a pandas DataFrame")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ParameterError(f"{what} lacks column(s) {missing}")


def _number(value: float) -> str:
    """A short number for labels drawn as text, with the typographic minus like the tick labels."""
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return text.replace("-", "\u2212")


def _units(text: str) -> int:
    """Width of a text in half-width characters (a Chinese character counts two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap(text: str, lang: str, width: int = 24) -> str:
    """Wrap a long label into balanced lines of at most about ``width`` half-width characters.

    A label with a parenthesis is broken before it when both parts fit; English breaks at spaces;
    Chinese between characters, never inside a run of Latin letters or digits (CPI, 95%) and never
    before closing punctuation."""
    if _units(text) <= width:
        return text
    for opening in (" (", "（"):
        head, sep, tail = text.partition(opening)
        if sep and _units(head) <= width and _units(sep.strip() + tail) <= width:
            return f"{head}\n{sep.strip()}{tail}"
    n = -(-_units(text) // width)
    if lang != "zh":
        for w in range(-(-len(text) // n), width + 1):
            lines = textwrap.wrap(text, w, break_long_words=False)
            if len(lines) <= n:
                return "\n".join(lines)
        return "\n".join(textwrap.wrap(text, width, break_long_words=False))
    target = _units(text) / n
    lines, line = [], ""
    for token in re.findall(r"[!-~]+|.", text):
        full = _units(line) + _units(token) / 2 > target
        if line and full and len(lines) < n - 1 and token not in "）)，。；：、":
            lines.append(line)
            line = token
        else:
            line += token
    return "\n".join([*lines, line])


@functools.cache
def _province_table() -> pd.DataFrame:
    """provinces.csv joined with the tile grid (tile_grid.csv), indexed by canonical English name."""
    with (resources.files("analysis") / "data" / "tile_grid.csv").open(encoding="utf-8") as fh:
        grid = pd.read_csv(fh, comment="#", dtype={"code": str, "abbr_en": str})
    provinces = load_reference("provinces")[["code", "name_en", "short_zh"]]
    table = provinces.merge(grid, on="code", how="left", validate="one_to_one")
    return table.set_index("name_en", drop=False)


def _province_label(name_en: str, lang: str, *, short: bool = False) -> str:
    """A province's name for a figure: the English name (or its ISO 3166-2:CN letters when ``short``),
    or the Chinese short name (北京, 内蒙古 ...)."""
    if name_en == MULTIPLE:
        return label("multiple", lang)
    table = _province_table()
    if name_en not in table.index:
        raise ParameterError(
            f"unknown province {name_en!r}: use the English names of provinces.csv (as in the "
            "cleaned data)"
        )
    if lang == "zh":
        return table.at[name_en, "short_zh"]
    if lang not in LANGS:
        raise ParameterError(f"lang must be one of {LANGS}, got {lang!r}")
    return table.at[name_en, "abbr_en"] if short else name_en


def _interval_points(ax, x, y, low, high, *, horizontal: bool, color, hollow=None):
    """Points with 95% interval bars; ``hollow`` marks points drawn as open circles (a reference)."""
    x, y, low, high = (np.asarray(v, dtype=float) for v in (x, y, low, high))
    centre = x if horizontal else y
    err = np.nan_to_num(np.vstack([centre - low, high - centre]))
    if horizontal:
        ax.errorbar(x, y, xerr=err, fmt="none", ecolor="black", lw=0.8, capsize=1.5)
    else:
        ax.errorbar(x, y, yerr=err, fmt="none", ecolor="black", lw=0.8, capsize=2)
    hollow = np.zeros(len(x), bool) if hollow is None else np.asarray(hollow, bool)
    ax.scatter(x[~hollow], y[~hollow], s=14, color=color, zorder=3, gid="estimate")
    if hollow.any():
        ax.scatter(
            x[hollow],
            y[hollow],
            s=14,
            facecolor="white",
            edgecolor=color,
            lw=0.9,
            zorder=3,
            gid="reference",
        )


# --- new figures -------------------------------------------------------------------------------------


def plot_event_study(effects: pd.DataFrame, *, ax=None, lang: str = "en", simulated: bool = False):
    """Event study of the shift of spending towards 三区三州: one point with its interval per year.

    Input: the regional-effects table (``tables/regional_effects.csv``, from
    :func:`analysis.regional_effects`) with columns ``model``, ``term``, ``estimate``, ``ci_low``,
    ``ci_high``. Drawn: rows with ``model == "event_study"`` and ``term == "deep_poverty_area:<year>"``
    (other rows are ignored). The reference year (estimate 0 with no interval) is an open circle. A
    horizontal line marks zero and a dashed vertical line between 2016 and 2017 the policy shift
    (label ``policy_2017``).
    """
    _check_table(effects, ["model", "term", "estimate", "ci_low", "ci_high"], "effects")
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
    fig, ax = _axes(ax)
    ax.axhline(0, color="#666666", lw=0.6)
    _interval_points(
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
        _policy_line(ax, POLICY_YEAR, lang)
        low, high = ax.get_ylim()
        ax.set_ylim(low - 0.12 * (high - low), high)  # room for the policy label under the points
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_xlabel(label("year", lang))
    ax.set_ylabel(_wrap(label("event_effect", lang), lang, 30))
    ax.set_title(label("title_event_study", lang), loc="left")
    return _finish(fig, ax, simulated=simulated, lang=lang)


def plot_province_caterpillar(
    effects: pd.DataFrame, *, ax=None, lang: str = "en", simulated: bool = False
):
    """Province effects sorted by size (largest on top), each a point with its interval.

    Input: the regional-effects table with columns ``model``, ``term``, ``estimate``, ``ci_low``,
    ``ci_high``; rows with ``model == "province_random_effects"`` and ``term ==
    "province[<English name>]"`` are drawn (English names as in provinces.csv and the cleaned data,
    or "multiple"). Names are shown in English, or as Chinese short names when ``lang="zh"``.
    """
    _check_table(effects, ["model", "term", "estimate", "ci_low", "ci_high"], "effects")
    names = effects["term"].astype(str).str.extract(r"^province\[(.+)\]$")[0]
    keep = (effects["model"] == "province_random_effects") & names.notna()
    rows = effects[keep].assign(province=names[keep])
    if rows.empty:
        raise ParameterError(
            "no province_random_effects rows with terms 'province[<name>]' in the "
            "regional-effects table"
        )
    rows = rows.sort_values(["estimate", "province"], ascending=[False, True], kind="stable")
    shown = [_province_label(p, lang) for p in rows["province"]]
    fig, ax = _axes(ax, "one_column_tall")
    y = np.arange(len(rows))
    ax.axvline(0, color="#666666", lw=0.6)
    est = rows["estimate"].astype(float)
    _interval_points(
        ax,
        est,
        y,
        rows["ci_low"].astype(float).fillna(est),
        rows["ci_high"].astype(float).fillna(est),
        horizontal=True,
        color=PALETTE[0],
    )
    ax.set_yticks(y, shown)
    ax.set_ylim(len(rows) - 0.4, -0.6)  # largest on top
    ax.tick_params(axis="y", labelsize=6.5)
    ax.set_xlabel(label("province_effect", lang))
    ax.set_title(label("title_province_effects", lang), loc="left")
    return _finish(fig, ax, simulated=simulated, lang=lang)


def plot_tile_map(
    values: pd.DataFrame,
    *,
    column: str,
    ax=None,
    lang: str = "en",
    simulated: bool = False,
    cmap="viridis",
):
    """Tile-grid map of the 31 mainland provinces coloured by ``values[column]``.

    Input: a table with one row per province: ``province`` (English names as in provinces.csv and the
    cleaned data; rows "multiple" or empty are ignored) and the numeric ``column``. Each province is
    one square placed roughly where it lies (layout: analysis/data/tile_grid.csv), labelled with its
    ISO 3166-2:CN letters (``lang="en"``) or Chinese short name (``lang="zh"``). Provinces absent from
    ``values`` or with a missing value are grey (``NO_DATA_COLOR``, with a "No data" key). The
    colourbar is labelled ``label(column, lang)``: add the column's name to labels.csv.
    """
    _check_table(values, ["province", column], "values")
    table = _province_table()
    rows = values[["province", column]].copy()
    rows["province"] = rows["province"].astype(object)
    rows = rows[rows["province"].notna() & (rows["province"] != MULTIPLE)]
    unknown = sorted(set(rows["province"]) - set(table.index))
    if unknown:
        raise ParameterError(
            f"unknown province(s) {unknown[:5]} in values: use the English names of provinces.csv"
        )
    if rows["province"].duplicated().any():
        raise ParameterError("values has more than one row for a province; pass one row each")
    try:
        data = pd.to_numeric(rows.set_index("province")[column]).astype(float)
    except (TypeError, ValueError):
        raise ParameterError(f"values[{column!r}] must be numeric") from None
    data = table["name_en"].map(data)
    if data.notna().sum() == 0:
        raise ParameterError(f"no province has a value in values[{column!r}]")
    vmin, vmax = data.min(), data.max()
    if vmin == vmax:
        vmin, vmax = vmin - 0.5, vmax + 0.5
    norm = mpl.colors.Normalize(vmin=vmin, vmax=vmax)
    colormap = mpl.colormaps[cmap] if isinstance(cmap, str) else cmap
    fig, ax = _axes(ax, "one_column_map")
    size = 0.94
    for name, r in table.iterrows():
        value = data[name]
        color = NO_DATA_COLOR if np.isnan(value) else colormap(norm(value))
        red, green, blue, _ = mpl.colors.to_rgba(color)
        dark = 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.45
        ax.add_patch(
            Rectangle(
                (r["col"] - size / 2, r["row"] - size / 2),
                size,
                size,
                facecolor=color,
                edgecolor="white",
                lw=0.5,
                gid=f"tile-{r['code']}",
            )
        )
        ax.text(
            r["col"],
            r["row"],
            _province_label(name, lang, short=True),
            ha="center",
            va="center",
            fontsize=6 if lang == "en" else 5.5,
            color="white" if dark else "black",
        )
    ax.set_xlim(table["col"].min() - 0.55, table["col"].max() + 0.55)
    ax.set_ylim(table["row"].max() + 0.55, table["row"].min() - 0.55)  # row 0 on top
    ax.set_aspect("equal")
    ax.set_axis_off()
    bar = fig.colorbar(
        mpl.cm.ScalarMappable(norm=norm, cmap=colormap), ax=ax, shrink=0.55, aspect=18, pad=0.02
    )
    bar.set_label(label(column, lang))
    bar.ax.tick_params(labelsize=6)
    if data.isna().any():
        ax.legend(
            handles=[
                Patch(facecolor=NO_DATA_COLOR, edgecolor="none", label=label("no_data", lang))
            ],
            loc="lower left",
            frameon=False,
            fontsize=6,
            handlelength=1.0,
            handleheight=1.0,
        )
    ax.set_title(label("title_tile_map", lang), loc="left")
    return _finish(fig, ax, simulated=simulated, lang=lang, note="tile_note")


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
    _check_table(table, ["assumption", "low", "high", "baseline"], "table")
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
    fig, ax = _axes(ax)
    y = np.arange(len(rows))
    bars = ax.barh(
        y, rows["span"], left=rows["lo"], height=0.6, color=PALETTE[0], gid="tornado-bar"
    )
    for bar in bars:
        bar.sticky_edges.x.clear()  # let the margins below make room for the end values
    for yi, (low, high) in enumerate(zip(rows["lo"], rows["hi"], strict=True)):
        ends = [(high, True)] if low == high else [(low, False), (high, True)]
        for value, right in ends:
            ax.annotate(
                _number(value),
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
    ax.axvline(base, color="black", lw=0.8, gid="baseline")
    ax.set_yticks(y, [_wrap(a, lang) for a in rows["assumption"]])
    ax.set_ylim(len(rows) + 0.2, -0.6)  # widest on top; a band at the foot for the baseline label
    ax.update_datalim([(base, 0)])  # the baseline inside the view even when outside every bar
    ax.margins(x=0.18)
    ax.autoscale_view()
    xmin, xmax = ax.get_xlim()
    where = (base - xmin) / (xmax - xmin)  # keep the baseline label inside the axes
    ha, dx = ("left", 2) if where < 0.3 else ("right", -2) if where > 0.7 else ("center", 0)
    ax.annotate(
        f"{label('baseline_value', lang)}: {_number(base)}",
        (base, len(rows) - 0.35),
        xytext=(dx, -1),
        textcoords="offset points",
        ha=ha,
        va="top",
        fontsize=6,
        bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none"},
    )
    ax.set_xlabel(label("sensitivity_x", lang))
    ax.set_title(label("title_sensitivity", lang), loc="left")
    return _finish(fig, ax, simulated=simulated, lang=lang)


def standard_figures(
    data: pd.DataFrame,
    costs: pd.DataFrame,
    effects: pd.DataFrame,
    sensitivity: pd.DataFrame | None = None,
    *,
    lang: str = "en",
    simulated: bool = False,
) -> dict:
    """Every figure of a run, by file name, drawn from the run's data and tables (call inside
    :func:`analysis.style.house_style`). Figures whose rows are absent from the tables are skipped."""
    figs = {
        "cost_by_sector": plot_cost_by_sector(
            costs[costs["group"] == "sector"], lang=lang, simulated=simulated
        ),
        "spending_by_region": plot_spending_by_region(data, lang=lang, simulated=simulated),
        "regional_coefficients": plot_regional_coefficients(
            effects, lang=lang, simulated=simulated
        ),
    }
    if (effects["model"] == "event_study").any():
        figs["event_study"] = plot_event_study(effects, lang=lang, simulated=simulated)
    if (effects["model"] == "province_random_effects").any():
        figs["province_caterpillar"] = plot_province_caterpillar(
            effects, lang=lang, simulated=simulated
        )
    scale, key = (1e9 if lang == "en" else 1e8), "spending_bn"  # billion yuan / 亿元
    by_province = data.groupby("province", as_index=False, observed=True)["expenditure_yuan"].sum()
    by_province[key] = by_province["expenditure_yuan"] / scale
    figs["spending_map"] = plot_tile_map(by_province, column=key, lang=lang, simulated=simulated)
    if sensitivity is not None and len(sensitivity):
        table = sensitivity.assign(assumption=[label(a, lang) for a in sensitivity["assumption"]])
        figs["cost_sensitivity"] = plot_sensitivity_tornado(table, lang=lang, simulated=simulated)
    return figs
