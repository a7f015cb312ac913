"""The distribution of project cost per beneficiary in and outside 三区三州, overall and by sector,
drawn with seaborn from the projects table (one ratio per project, log scale).
"""

from __future__ import annotations

import warnings

import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter, LogLocator

from analysis.errors import ParameterError
from analysis.present.drawing import finish_figure, new_axes, number_text, wrap_label
from analysis.present.style import PALETTE, label, period_text, price_basis_text
from analysis.reference import cpi_index
from analysis.schema import SECTORS, require_columns

ALL_SECTORS = "all"  # the pooled row, drawn first


def project_costs(data: pd.DataFrame, base_year: int | None = None) -> tuple[pd.DataFrame, dict]:
    """Cost per beneficiary of each project (yuan per person): spending over beneficiaries, in
    nominal yuan or, with ``base_year``, constant yuan of that year (the shipped CPI).

    Returns the projects with a ratio and a known 三区三州 status (columns ``sector``, ``deep``,
    ``cost_per_beneficiary``) and the counts left out: ``unknown`` (三区三州 status missing) and
    ``missing`` (no spending, no beneficiaries, or beneficiaries flagged as person-times)."""
    need = ["year", "sector", "deep_poverty_area", "expenditure_yuan", "beneficiaries"]
    require_columns(data, need, "the projects table")
    spending = data["expenditure_yuan"].astype(float)
    if base_year is not None:
        level = cpi_index(int(base_year))
        missing_years = sorted(set(data["year"]) - set(level.index))
        if missing_years:
            raise ParameterError(f"no CPI for year(s) {missing_years}")
        spending = spending / data["year"].map(level).astype(float)
    persons = data["beneficiaries"].astype("Float64").fillna(0).astype(float)
    flags = data["flags"].fillna("") if "flags" in data.columns else pd.Series("", index=data.index)
    usable = (spending > 0) & (persons > 0) & ~flags.astype(str).str.contains("person_times")
    known = data["deep_poverty_area"].notna()
    out = pd.DataFrame(
        {
            "sector": data["sector"].astype(str),
            "deep": data["deep_poverty_area"].astype("boolean"),
            "cost_per_beneficiary": spending / persons.where(persons > 0),
        }
    )[usable & known]
    left_out = {"unknown": int((usable & ~known).sum()), "missing": int((~usable).sum())}
    return out.assign(deep=out["deep"].astype(bool)), left_out


def _long_table(costs: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """One row per project and row of the figure (all sectors, then its sector), with display labels;
    and the row and group orders."""
    group = costs["deep"].map(
        {True: label("deep_poverty_area", lang), False: label("elsewhere", lang)}
    )
    every = costs.assign(row=label("all_sectors", lang), group=group)
    by_sector = costs.assign(row=costs["sector"].map(lambda s: label(s, lang)), group=group)
    rows = [label("all_sectors", lang)] + [
        label(s, lang) for s in SECTORS if s in set(costs["sector"])
    ]
    groups = [label("deep_poverty_area", lang), label("elsewhere", lang)]
    return pd.concat([every, by_sector], ignore_index=True), rows, groups


def _boxes(ax, long: pd.DataFrame, rows: list[str], groups: list[str]) -> None:
    """The seaborn boxes: one row per entry of ``rows``, a box per group, log scale."""
    sns.boxplot(
        data=long,
        x="cost_per_beneficiary",
        y="row",
        hue="group",
        order=rows,
        hue_order=groups,
        palette=[PALETTE[3], PALETTE[0]],
        orient="h",
        log_scale=True,
        whis=(5, 95),
        showfliers=False,
        width=0.72,
        linewidth=0.6,
        ax=ax,
    )


def plot_cost_distribution(
    data: pd.DataFrame,
    *,
    ax=None,
    lang: str = "en",
    simulated: bool = False,
    base_year: int | None = None,
):
    """Distribution of project cost per beneficiary (yuan per person, log scale), in and outside
    三区三州, for all sectors pooled and by sector: seaborn boxes (quartiles and median, whiskers at
    the 5th and 95th percentiles, no outlier points), all years of ``data`` pooled.

    Input: the projects table (columns ``year``, ``sector``, ``deep_poverty_area``,
    ``expenditure_yuan``, ``beneficiaries``, optionally ``flags``). Prices: nominal yuan, or constant
    yuan of ``base_year`` (the shipped CPI). Projects of unknown 三区三州 status, and those without a
    per-person cost, are left out and counted in the note (never folded into either group).
    """
    costs, left_out = project_costs(data, base_year)
    if costs.empty or costs["deep"].nunique() < 2:
        raise ParameterError("the projects table needs projects both in and outside 三区三州")
    long, rows, groups = _long_table(costs, lang)
    fig, ax = new_axes(ax, "one_column_tall")
    with warnings.catch_warnings():
        # seaborn 0.13.2 passes matplotlib's deprecated ``vert`` to boxplot (matplotlib >= 3.11)
        warnings.filterwarnings(
            "ignore", message="vert: bool was deprecated", category=DeprecationWarning
        )
        _boxes(ax, long, rows, groups)

    ax.xaxis.set_major_locator(LogLocator(base=10))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: number_text(v)))
    ax.set_ylabel("")
    basis = "nominal yuan" if base_year is None else f"constant {int(base_year)} yuan (CPI)"
    ax.set_xlabel(f"{label('cost_per_beneficiary', lang)}\n{price_basis_text(basis, lang)}")
    period = period_text(data["year"], lang)
    ax.set_title(
        wrap_label(label("title_cost_distribution", lang, period=period), lang, 40), loc="left"
    )
    ax.set_ylim(len(rows) - 0.5, -1.4)  # a band on top for the key
    ax.legend(title=None, frameon=False, fontsize=6, loc="upper center", ncols=2, borderaxespad=0.2)
    note = label("distribution_note", lang)
    if left_out["unknown"] or left_out["missing"]:
        counts = {k: f"{v:,}" for k, v in left_out.items()}
        note = f"{note}\n{label('distribution_left_out', lang, **counts)}"
    return finish_figure(fig, ax, simulated=simulated, lang=lang, note=wrap_label_lines(note, lang))


def wrap_label_lines(text: str, lang: str, width: int = 80) -> str:
    """Each line of ``text`` wrapped to about ``width`` half-width characters (a note at the foot)."""
    return "\n".join(wrap_label(line, lang, width) for line in text.split("\n"))
