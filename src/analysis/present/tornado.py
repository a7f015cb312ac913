"""The tornado chart of the cost sensitivity table: how far the headline moves when one assumption
changes, each bar coloured by the evidence rating of its assumption (red, amber, green).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analysis.errors import ParameterError
from analysis.present.drawing import finish_figure, new_axes, number_text, wrap_label
from analysis.present.style import PALETTE, RATING_COLORS, label, price_basis_text
from analysis.schema import require_columns

NO_RATING_COLOR = PALETTE[0]  # bars of a table without an evidence column
KEY_BAND = 1.3  # rows of room under the bars for the key (baseline and ratings)


def tornado_rows(table: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Check the sensitivity table; return its rows (assumption, lo, hi, span, evidence, price_basis;
    widest first) and the baseline (the headline estimate, in the table's units)."""
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
    evidence = (
        table["evidence"] if "evidence" in table.columns else pd.Series("", index=table.index)
    )
    bad = sorted(set(evidence.astype(str)) - set(RATING_COLORS) - {""})
    if bad:
        raise ParameterError(f"evidence must be one of {tuple(RATING_COLORS)}, got {bad}")
    rows = pd.DataFrame(
        {
            "assumption": table["assumption"].astype(str),
            "lo": num[["low", "high"]].min(axis=1),
            "hi": num[["low", "high"]].max(axis=1),
            "evidence": evidence.astype(str),
            "price_basis": table.get("price_basis", pd.Series("", index=table.index)).astype(str),
        }
    )
    rows = rows.assign(span=rows["hi"] - rows["lo"]).sort_values(
        "span", ascending=False, kind="stable"
    )
    return rows, base


def _end_values(ax, rows: pd.DataFrame, lang: str) -> None:
    """Write each bar's low and high values at its ends; a row that does not move says so."""
    for yi, (low, high) in enumerate(zip(rows["lo"], rows["hi"], strict=True)):
        if low == high:
            text, ends = f"{number_text(high)}: {label('no_change', lang)}", [(high, True)]
            if lang == "zh":
                text = text.replace(": ", "：")
        else:
            text, ends = None, [(low, False), (high, True)]
        for value, right in ends:
            ax.annotate(
                text or number_text(value),
                (value, yi),
                xytext=(4 if right else -2, 0),
                textcoords="offset points",
                ha="left" if right else "right",
                va="center",
                fontsize=5.5,
                color="#444444",
                bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none"},
                zorder=4,  # above the baseline line when a value sits across it
                gid="end-value",
            )


def _row_label(assumption: str, basis: str, headline_basis: str, lang: str) -> str:
    """The row's name, with its price basis when that differs from the headline's."""
    if not basis or basis == headline_basis:
        return wrap_label(assumption, lang)
    return f"{wrap_label(assumption, lang)}\n{price_basis_text(basis, lang)}"


def _key(ax, rows: pd.DataFrame, base: float, lang: str) -> None:
    """The key below the axes: the baseline line with its value and the evidence ratings drawn."""
    separator = "：" if lang == "zh" else ": "
    handles = [
        Line2D(
            [],
            [],
            color="black",
            lw=0.8,
            label=f"{label('baseline_value', lang)}{separator}{number_text(base)}",
        )
    ]
    for rating, colour in RATING_COLORS.items():
        if (rows["evidence"] == rating).any():
            handles.append(Patch(color=colour, label=label(f"evidence_{rating}", lang)))
    ax.legend(
        handles=handles,
        loc="lower right",
        frameon=False,
        fontsize=5.5,
        ncols=2,
        handlelength=1.2,
        columnspacing=1.0,
        borderaxespad=0.2,
    )


def _bars(ax, rows: pd.DataFrame, y: np.ndarray) -> None:
    """One bar per row from low to high in its rating's colour; a point where the row does not move."""
    colours = np.array([RATING_COLORS.get(e, NO_RATING_COLOR) for e in rows["evidence"]])
    moves = (rows["span"] > 0).to_numpy()
    bars = ax.barh(
        y[moves],
        rows["span"][moves],
        left=rows["lo"][moves],
        height=0.6,
        color=colours[moves],
        gid="tornado-bar",
    )
    for bar in bars:
        bar.sticky_edges.x.clear()  # let the margins below make room for the end values
    if (~moves).any():
        ax.scatter(
            rows["hi"][~moves],
            y[~moves],
            marker="D",
            s=12,
            zorder=3,
            color=colours[~moves],
            gid="no-change",
        )


def plot_sensitivity_tornado(
    table: pd.DataFrame,
    *,
    ax=None,
    lang: str = "en",
    simulated: bool = False,
    year: int | None = None,
):
    """Tornado chart: how far the headline estimate moves when one assumption changes, widest range on
    top.

    Input: one row per assumption with columns ``assumption`` (the text shown, already in the
    figure's language), ``low`` and ``high`` (the headline estimate at the assumption's two settings,
    e.g. the smaller and the larger as in :func:`analysis.cost_sensitivity`; either order is drawn the
    same) and ``baseline`` (the headline estimate, the same in every row), and when present
    ``evidence`` (red, amber, green: each bar in its colour, with a key) and ``price_basis`` (the axis
    says the headline's, ``year`` naming the year of its nominal yuan; a row in other prices says its
    own under its name). A row whose two settings give the same value is a point marked "no change".
    A vertical line marks the baseline (in the key, with its value).
    """
    rows, base = tornado_rows(table)
    headline_basis = "nominal yuan" if (rows["price_basis"] == "nominal yuan").any() else ""
    fig, ax = new_axes(ax, "one_column_key")
    y = np.arange(len(rows))
    _bars(ax, rows, y)
    ax.plot([base, base], [-0.6, len(rows) - 0.4], color="black", lw=0.8, gid="baseline")
    _end_values(ax, rows, lang)
    ax.set_yticks(
        y,
        [
            _row_label(a, b, headline_basis, lang)
            for a, b in zip(rows["assumption"], rows["price_basis"], strict=True)
        ],
    )
    ax.set_ylim(len(rows) + KEY_BAND, -0.6)  # widest on top; a band at the foot for the key
    ax.update_datalim([(base, 0)])  # the baseline inside the view even when outside every bar
    ax.margins(x=0.22)
    ax.autoscale_view()
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: number_text(v)))
    unit = wrap_label(label("sensitivity_x", lang), lang, 44)
    if headline_basis:
        basis = "nominal yuan" if year is None else f"nominal yuan of {year}"
        unit = f"{unit}\n{price_basis_text(basis, lang)}"
    ax.set_xlabel(unit)
    ax.set_title(label("title_sensitivity", lang), loc="left")
    _key(ax, rows, base, lang)
    rated = (rows["evidence"] != "").any()
    note = wrap_label(label("evidence_note", lang), lang, 80) if rated else None
    return finish_figure(fig, ax, simulated=simulated, lang=lang, note=note)
