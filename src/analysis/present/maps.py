"""The tile map of China's provinces: one square per province on a grid, coloured by a value, with the
provinces without one shown as such.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.patches import Patch, Rectangle

from analysis.errors import ParameterError
from analysis.present.drawing import (
    NO_DATA_COLOR,
    finish_figure,
    new_axes,
    province_label,
    province_table,
)
from analysis.present.style import label
from analysis.schema import MULTIPLE, require_columns


def _tile_values(values: pd.DataFrame, column: str, table: pd.DataFrame) -> pd.Series:
    """Check ``values``; return ``values[column]`` as floats by province in the order of ``table``
    (NaN for a province without a value)."""
    require_columns(values, ["province", column], "values")
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
    return data


def _value_norm(data: pd.Series) -> mpl.colors.Normalize:
    """The colour scale from the smallest to the largest value (one unit wide when they are equal)."""
    vmin, vmax = data.min(), data.max()
    if vmin == vmax:
        vmin, vmax = vmin - 0.5, vmax + 0.5
    return mpl.colors.Normalize(vmin=vmin, vmax=vmax)


def _draw_tiles(ax, table: pd.DataFrame, data: pd.Series, norm, colormap, lang: str) -> None:
    """One labelled square per province at its grid place, grey when it has no value; the label is
    white on dark tiles."""
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
            tile_label(name, lang),
            ha="center",
            va="center",
            fontsize=5 if lang == "en" else 6,
            linespacing=1.0,
            color="white" if dark else "black",
            gid=f"tile-label-{r['code']}",
        )


def tile_label(name_en: str, lang: str) -> str:
    """A tile's name: the English name on two lines at its space or hyphen mark (tile_grid.csv's
    ``tile_en``, "Heilong-|jiang"), or the Chinese short name (西藏, 内蒙古 ...)."""
    if lang == "zh":
        return province_label(name_en, lang)
    province_label(name_en, lang)  # checks the name and the language
    return province_table().at[name_en, "tile_en"].replace("|", "\n").replace(" ", "\n")


def _no_data_key(ax, lang: str) -> None:
    """A "No data" key for the grey tiles, at the lower left."""
    ax.legend(
        handles=[Patch(facecolor=NO_DATA_COLOR, edgecolor="none", label=label("no_data", lang))],
        loc="lower left",
        frameon=False,
        fontsize=6,
        handlelength=1.0,
        handleheight=1.0,
    )


def plot_tile_map(
    values: pd.DataFrame,
    *,
    column: str,
    ax=None,
    lang: str = "en",
    simulated: bool = False,
    cmap="viridis",
    title: str | None = None,
    colorbar_label: str | None = None,
):
    """Tile-grid map of the 31 mainland provinces coloured by ``values[column]``.

    Input: a table with one row per province: ``province`` (English names as in provinces.csv and the
    cleaned data; rows "multiple" or empty are ignored) and the numeric ``column``. Each province is
    one square placed roughly where it lies (layout: analysis/data/tile_grid.csv), labelled with its
    English name (``lang="en"``) or Chinese short name (``lang="zh"``). Provinces absent from
    ``values`` or with a missing value are grey (``NO_DATA_COLOR``, with a "No data" key). The
    colourbar is labelled ``colorbar_label``, by default ``label(column, lang)`` (add the column's name
    to labels.csv, with its unit); ``title`` (say the period and the prices) defaults to "By province".
    """
    table = province_table()
    data = _tile_values(values, column, table)
    norm = _value_norm(data)
    colormap = mpl.colormaps[cmap] if isinstance(cmap, str) else cmap
    fig, ax = new_axes(ax, "one_column_map")
    _draw_tiles(ax, table, data, norm, colormap, lang)
    ax.set_xlim(table["col"].min() - 0.55, table["col"].max() + 0.55)
    ax.set_ylim(table["row"].max() + 0.55, table["row"].min() - 0.55)  # row 0 on top
    ax.set_aspect("equal")
    ax.set_axis_off()
    bar = fig.colorbar(
        mpl.cm.ScalarMappable(norm=norm, cmap=colormap), ax=ax, shrink=0.55, aspect=18, pad=0.02
    )
    bar.set_label(label(column, lang) if colorbar_label is None else colorbar_label)
    bar.ax.tick_params(labelsize=6)
    if data.isna().any():
        _no_data_key(ax, lang)
    ax.set_title(label("title_tile_map", lang) if title is None else title, loc="left")
    return finish_figure(fig, ax, simulated=simulated, lang=lang, note="tile_note")
