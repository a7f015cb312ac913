"""The tornado chart of the cost sensitivity table: how far the headline moves when one assumption
changes, each bar coloured by the evidence rating of its assumption (red, amber, green), with the
bootstrap interval of each setting (whiskers at the bar's ends) and of the baseline (a shaded band)
when the table carries them.
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
KEY_BAND_INTERVALS = 1.7  # the same with the two interval entries in the key
INTERVAL_COLOR = "#333333"  # the settings' whiskers
BAND_ALPHA = 0.12  # the baseline interval's shade (black)
WHISKER_OFFSET = 0.16  # rows: the smaller setting's whisker above the centre, the larger below
# The sensitivity table's interval columns (analysis.cost_sensitivity): per setting, and the baseline's.
INTERVAL_COLUMNS = (
    "low_ci_low",
    "low_ci_high",
    "high_ci_low",
    "high_ci_high",
    "baseline_ci_low",
    "baseline_ci_high",
)


def _numeric(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The columns as floats, or one line saying they must be numeric."""
    try:
        return table[columns].apply(pd.to_numeric).astype(float)
    except (TypeError, ValueError):
        raise ParameterError(f"{', '.join(columns)} must be numeric") from None


def _intervals(table: pd.DataFrame, swap: pd.Series) -> pd.DataFrame:
    """The interval columns (NaN when the table has none), each setting's interval following its
    value when ``low`` is the larger (``swap``); refuses an interval whose low exceeds its high."""
    present = [c for c in INTERVAL_COLUMNS if c in table.columns]
    ci = _numeric(table, present) if present else pd.DataFrame(index=table.index)
    ci = ci.reindex(columns=list(INTERVAL_COLUMNS))
    for end in ("low", "high", "baseline"):
        lo, hi = ci[f"{end}_ci_low"], ci[f"{end}_ci_high"]
        if (lo > hi).any():
            raise ParameterError(f"{end}_ci_low must not exceed {end}_ci_high")
    out = pd.DataFrame(index=table.index)
    for side, first, second in (("lo", "low", "high"), ("hi", "high", "low")):
        for bound in ("ci_low", "ci_high"):
            out[f"{side}_{bound}"] = ci[f"{first}_{bound}"].where(~swap, ci[f"{second}_{bound}"])
    return out


def baseline_interval(table: pd.DataFrame) -> tuple[float, float]:
    """The baseline's interval (``baseline_ci_low``, ``baseline_ci_high``; NaN when the table has none
    or it is missing), refused unless the same in every row."""
    if not {"baseline_ci_low", "baseline_ci_high"} <= set(table.columns):
        return np.nan, np.nan
    ci = _numeric(table, ["baseline_ci_low", "baseline_ci_high"]).to_numpy()
    if not np.allclose(ci, ci[0], equal_nan=True):
        raise ParameterError("the baseline's interval must be the same in every row")
    return float(ci[0, 0]), float(ci[0, 1])


def tornado_rows(table: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Check the sensitivity table; return its rows (assumption, lo, hi, span, evidence, price_basis,
    and the intervals lo_ci_low, lo_ci_high, hi_ci_low, hi_ci_high of the settings at the two ends,
    NaN without; widest first) and the baseline (the headline estimate, in the table's units)."""
    require_columns(table, ["assumption", "low", "high", "baseline"], "table")
    if table.empty:
        raise ParameterError("the sensitivity table has no rows")
    num = _numeric(table, ["low", "high", "baseline"])
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
    ).join(_intervals(table, num["low"] > num["high"]))
    rows = rows.assign(span=rows["hi"] - rows["lo"]).sort_values(
        "span", ascending=False, kind="stable"
    )
    return rows, base


def _text_ends(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Where each row's end values are written: beyond the bar's ends and beyond its whiskers."""
    left = np.fmin(rows["lo"], rows["lo_ci_low"]).to_numpy()
    right = np.fmax(np.fmax(rows["hi"], rows["hi_ci_high"]), rows["lo_ci_high"]).to_numpy()
    return left, np.where(rows["span"] > 0, np.fmax(rows["hi"], rows["hi_ci_high"]), right)


def _end_values(ax, rows: pd.DataFrame, lang: str) -> None:
    """Write each bar's low and high values at its ends (beyond its whiskers); a row that does not
    move says so."""
    left, right = _text_ends(rows)
    for yi, (low, high) in enumerate(zip(rows["lo"], rows["hi"], strict=True)):
        if low == high:
            text, ends = f"{number_text(high)}: {label('no_change', lang)}", [(high, True)]
            if lang == "zh":
                text = text.replace(": ", "：")
        else:
            text, ends = None, [(low, False), (high, True)]
        for value, at_right in ends:
            ax.annotate(
                text or number_text(value),
                (right[yi] if at_right else left[yi], yi),
                xytext=(4 if at_right else -2, 0),
                textcoords="offset points",
                ha="left" if at_right else "right",
                va="center",
                fontsize=5.5,
                color="#444444",
                bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none"},
                zorder=4,  # above the baseline line when a value sits across it
                gid="end-value",
            )


def _whiskers(ax, rows: pd.DataFrame, y: np.ndarray):
    """Each setting's interval as a whisker at its end of the bar (the smaller setting's above the
    centre, the larger's below; one at the centre for a row that does not move); one of the drawn
    whisker sets (for the key), or None."""
    moves = (rows["span"] > 0).to_numpy()
    drawn = None
    for side, shift in (("lo", -WHISKER_OFFSET), ("hi", WHISKER_OFFSET)):
        value, lo, hi = (rows[c].to_numpy() for c in (side, f"{side}_ci_low", f"{side}_ci_high"))
        keep = np.isfinite(lo) & np.isfinite(hi) & (moves | (side == "hi"))
        if not keep.any():
            continue
        err = np.vstack([value - lo, hi - value])[:, keep]
        bars = ax.errorbar(
            value[keep],
            (y + np.where(moves, shift, 0.0))[keep],
            xerr=np.maximum(err, 0.0),
            fmt="none",
            ecolor=INTERVAL_COLOR,
            elinewidth=0.7,
            capsize=1.5,
            capthick=0.7,
            zorder=3,
        )
        for part in bars.lines[2]:
            part.set_gid("setting-interval")
        drawn = bars
    return drawn


def _band(ax, interval: tuple[float, float], n_rows: int) -> bool:
    """The baseline's interval as a shaded band behind the bars; whether it was drawn."""
    lo, hi = interval
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return False
    ax.fill_betweenx(
        [-0.6, n_rows - 0.4],
        lo,
        hi,
        color="black",
        alpha=BAND_ALPHA,
        lw=0,
        zorder=0.5,
        gid="baseline-band",
    )
    return True


def _row_label(assumption: str, basis: str, headline_basis: str, lang: str) -> str:
    """The row's name, with its price basis when that differs from the headline's."""
    if not basis or basis == headline_basis:
        return wrap_label(assumption, lang)
    return f"{wrap_label(assumption, lang)}\n{price_basis_text(basis, lang)}"


def _key(ax, rows: pd.DataFrame, base: float, lang: str, band: bool, whiskers) -> None:
    """The key below the axes: the baseline line with its value, the baseline's interval (band) and
    the settings' intervals (whiskers) when drawn, and the evidence ratings drawn."""
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
    if band:
        handles.append(
            Patch(color="black", alpha=BAND_ALPHA, lw=0, label=label("baseline_interval", lang))
        )
    if whiskers is not None:
        whiskers.set_label(label("setting_interval", lang))
        handles.append(whiskers)
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
    A vertical line marks the baseline (in the key, with its value). With the interval columns of
    :func:`analysis.cost_sensitivity` (``low_ci_low``, ``low_ci_high``, ``high_ci_low``,
    ``high_ci_high``, ``baseline_ci_low``, ``baseline_ci_high``; each optional, NaN not drawn), each
    setting's interval is a whisker at its end of the bar and the baseline's a shaded band, both in
    the key.
    """
    rows, base = tornado_rows(table)
    headline_basis = "nominal yuan" if (rows["price_basis"] == "nominal yuan").any() else ""
    fig, ax = new_axes(ax, "one_column_key")
    y = np.arange(len(rows))
    band = _band(ax, baseline_interval(table), len(rows))
    _bars(ax, rows, y)
    whiskers = _whiskers(ax, rows, y)
    ax.plot([base, base], [-0.6, len(rows) - 0.4], color="black", lw=0.8, gid="baseline")
    _end_values(ax, rows, lang)
    ax.set_yticks(
        y,
        [
            _row_label(a, b, headline_basis, lang)
            for a, b in zip(rows["assumption"], rows["price_basis"], strict=True)
        ],
    )
    key_band = KEY_BAND_INTERVALS if band or whiskers is not None else KEY_BAND
    ax.set_ylim(len(rows) + key_band, -0.6)  # widest on top; a band at the foot for the key
    ax.update_datalim([(base, 0)])  # the baseline inside the view even when outside every bar
    ax.margins(x=0.22)
    ax.autoscale_view()
    _axis_text(ax, lang, headline_basis, year)
    _key(ax, rows, base, lang, band, whiskers)
    rated = (rows["evidence"] != "").any()
    note = wrap_label(label("evidence_note", lang), lang, 80) if rated else None
    return finish_figure(fig, ax, simulated=simulated, lang=lang, note=note)


def _axis_text(ax, lang: str, headline_basis: str, year: int | None) -> None:
    """Ticks as numbers, the unit (with the headline's prices and year) and the title."""
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: number_text(v)))
    unit = wrap_label(label("sensitivity_x", lang), lang, 44)
    if headline_basis:
        basis = "nominal yuan" if year is None else f"nominal yuan of {year}"
        unit = f"{unit}\n{price_basis_text(basis, lang)}"
    ax.set_xlabel(unit)
    ax.set_title(label("title_sensitivity", lang), loc="left")
