"""What the figures share: axes of the house sizes, the source line and the simulated-data mark, the
policy line, interval markers, label wrapping and province labels in English or Chinese.
"""

from __future__ import annotations

import functools
import re
import textwrap
import unicodedata

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.text import Text

from analysis.errors import ParameterError
from analysis.present.style import FIGSIZE, LANGS, label
from analysis.reference import load_reference
from analysis.schema import MULTIPLE

NO_DATA_COLOR = "#BBBBBB"  # tiles of provinces without a value (not in any sequential colour map)


def new_axes(ax, size="one_column"):
    """The figure and axes to draw on: ``ax`` and its figure, or new axes of the house ``size``."""
    if ax is None:
        fig, ax = plt.subplots(figsize=FIGSIZE[size], layout="constrained")
    return ax.figure, ax


def finish_figure(fig, ax, *, simulated: bool, lang: str, note: str | None = None):
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
        n_lines = "\n".join(lines).count("\n") + 1
        bottom = (0.091 * n_lines + 0.052) / height
        engine.set(rect=(0, bottom, 1, top - bottom))
    return fig


def policy_line(ax, year: int, lang: str) -> None:
    """A dashed line just before ``year`` (the first year of the shift of support), labelled at its
    foot."""
    ax.axvline(year - 0.5, color="#666666", ls="--", lw=0.8, gid="policy-line")
    ax.text(
        year - 0.45,
        0.02,
        label("policy_year", lang, year=year),
        fontsize=6,
        va="bottom",
        ha="left",
        color="#444444",
        transform=ax.get_xaxis_transform(),
    )


def drawn_texts(fig) -> list[Text]:
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
    inside :func:`analysis.present.style.house_style` for the house fonts."""
    return [t.get_text() for t in drawn_texts(fig)]


def number_text(value: float) -> str:
    """A short number for labels drawn as text, with the typographic minus like the tick labels."""
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return text.replace("-", "\u2212")


def _units(text: str) -> int:
    """Width of a text in half-width characters (a Chinese character counts two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap_label(text: str, lang: str, width: int = 24) -> str:
    """Wrap a long label into balanced lines of at most about ``width`` half-width characters.

    A label with a parenthesis is broken before it when both parts fit; English breaks at spaces;
    Chinese between characters, never inside a run of Latin letters or digits (CPI, 95%), never
    before closing punctuation and never after an opening bracket."""
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
        breakable = token not in "）)，。；：、" and not line.endswith(("（", "("))
        if line and full and len(lines) < n - 1 and breakable:
            lines.append(line)
            line = token
        else:
            line += token
    return "\n".join([*lines, line])


@functools.cache
def province_table() -> pd.DataFrame:
    """provinces.csv joined with the tile grid (tile_grid.csv), indexed by canonical English name."""
    grid = load_reference("tile_grid").astype({"row": "int64", "col": "int64"})
    provinces = load_reference("provinces")[["code", "name_en", "short_zh"]]
    table = provinces.merge(grid, on="code", how="left", validate="one_to_one")
    return table.set_index("name_en", drop=False)


def deep_share_of_province(name_en: str) -> str:
    """How much of a province is 三区三州 by the reference list (sanqu_sanzhou.csv): ``"all"`` (a
    whole province, Tibet), ``"part"`` (some prefectures or counties) or ``"none"``."""
    listed = load_reference("sanqu_sanzhou")
    levels = set(listed.loc[listed["province_en"] == name_en, "level"])
    return "all" if "province" in levels else ("part" if levels else "none")


def province_label(name_en: str, lang: str, *, short: bool = False) -> str:
    """A province's name for a figure: the English name (or its ISO 3166-2:CN letters when ``short``),
    or the Chinese short name (北京, 内蒙古 ...)."""
    if name_en == MULTIPLE:
        return label("multiple", lang)
    table = province_table()
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


def interval_points(ax, x, y, low, high, *, horizontal: bool, color, hollow=None):
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
