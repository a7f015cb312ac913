"""Sentences that read a tidy table for the notebooks, written from its numbers so that the text and
the table cannot disagree: the robustness checks of the regional headlines (``robustness_text``) and
the province effects with and without the 三区三州 control (``province_text``). Markdown, English.
"""

from __future__ import annotations

import math

import pandas as pd

from analysis.errors import ParameterError
from analysis.schema import require_columns


def _pct(log_points: float) -> str:
    """A log-point difference as a percentage difference (exp(x) - 1), rounded."""
    return f"{100 * (math.exp(log_points) - 1):+.0f}%"


def _p(p: float) -> str:
    """A p-value as text: three decimals, or "p < 0.001"."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _row(table: pd.DataFrame, model: str) -> pd.Series:
    rows = table[table["model"] == model]
    if len(rows) != 1:
        raise ParameterError(f"the table has {len(rows)} rows of model {model!r}; expected 1")
    return rows.iloc[0]


def excluding_zero(rows: pd.DataFrame) -> int:
    """How many rows' intervals lie wholly above or wholly below 0 (an empty end counts as neither)."""
    return int(((rows["ci_low"] > 0) | (rows["ci_high"] < 0)).sum())


def robustness_text(table: pd.DataFrame) -> str:
    """What the robustness table (``baseline_robustness`` and ``shift_robustness`` stacked) says:
    the range of the baseline's 三区三州 coefficient over the checks, the clustering with the widest
    interval, and the spending shift's range, with its checks that could not be estimated."""
    require_columns(
        table, ["model", "estimate", "std_error", "ci_low", "ci_high", "check"], "table"
    )
    base_models = [m for m in table["model"] if not str(m).startswith("did")]
    base = table[table["model"].isin(base_models)].dropna(subset=["estimate"])
    clusterings = base[base["largest_se"].notna()]
    widest = (
        clusterings.loc[[(clusterings["ci_high"] - clusterings["ci_low"]).idxmax()]]
        if len(clusterings)
        else clusterings
    )
    largest = clusterings[clusterings["largest_se"].astype(bool)]
    lines = [
        f"- **Baseline**: across the {len(base)} checks the 三区三州 coefficient lies between "
        f"{base['estimate'].min():.3f} and {base['estimate'].max():.3f} log points "
        f"({_pct(base['estimate'].min())} to {_pct(base['estimate'].max())} in cost per "
        "beneficiary)."
    ]
    if len(widest):
        w = widest.iloc[0]
        reported = _row(table, "baseline")
        lines.append(
            f'- The widest interval comes from the check "{w["check"]}": SE '
            f"{w['std_error']:.4f} against {reported['std_error']:.4f} as reported; read "
            f"[{w['ci_low']:.3f}, {w['ci_high']:.3f}]."
        )
        if len(largest) and largest.iloc[0]["model"] != w["model"]:
            lines[-1] += (
                f" The largest SE ({largest.iloc[0]['std_error']:.4f}) is that of "
                f'"{largest.iloc[0]["check"]}", whose interval is narrower (more clusters).'
            )
    shift = table[table["model"].astype(str).str.startswith("did")]
    fitted = shift.dropna(subset=["estimate"])
    if len(fitted):
        lines.append(
            f"- **Spending shift**: across {len(fitted)} fitted checks the shift lies between "
            f"{fitted['estimate'].min():.3f} and {fitted['estimate'].max():.3f} log points; "
            f"intervals that exclude 0: {excluding_zero(fitted)} of {len(fitted)}."
        )
    for _, row in shift[shift["estimate"].isna()].iterrows():
        lines.append(f"- `{row['model']}`: {row['check']}.")
    return "\n".join(lines)


def province_text(effects: pd.DataFrame) -> str:
    """What the province effects say once the 三区三州 share is held fixed: the between-province SD
    and the joint test of the province effects without and with the 三区三州 control, and how many
    provinces' intervals exclude 0 pointwise and all at once."""
    require_columns(effects, ["model", "term", "estimate", "p_value"], "effects")
    lines = []
    for suffix, words in (("", "without the 三区三州 control"), ("_given_deep", "with it")):
        sd = effects[
            (effects["model"] == f"province_random_effects{suffix}")
            & (effects["term"] == "between_province_sd")
        ]
        test = _row(effects, f"province_joint_test{suffix}")
        blups = effects[
            (effects["model"] == f"province_random_effects{suffix}")
            & effects["term"].astype(str).str.startswith("province[")
        ]
        pointwise = excluding_zero(blups)
        together = int(
            ((blups["ci_low_simultaneous"] > 0) | (blups["ci_high_simultaneous"] < 0)).sum()
        )
        sd_text = f"{sd['estimate'].iloc[0]:.3f}" if len(sd) else "not estimated"
        joint = (
            f"joint test of the province effects F = {test['estimate']:.2f}, {_p(test['p_value'])}"
            if pd.notna(test["p_value"])
            else "no joint test of the province effects (too few clusters)"
        )
        lines.append(
            f"- {words[0].upper() + words[1:]}: between-province SD {sd_text} log points; {joint}; "
            f"{pointwise} of {len(blups)} provinces' 95% intervals exclude 0, {together} when the "
            "intervals hold for all provinces at once."
        )
    return "\n".join(lines)


def exit_text(table: pd.DataFrame) -> str:
    """What the exit (摘帽) tables say: the poverty-county contrast, then for each event time after
    exit the interaction-weighted estimate with its interval beside the plain two-way-fixed-effects
    one, and the largest gap between them."""
    require_columns(table, ["model", "term", "estimate", "ci_low", "ci_high"], "table")
    lines = []
    contrast = table[table["model"] == "poverty_county_contrast"]
    if len(contrast):
        c = contrast.iloc[0]
        lines.append(
            f"- Projects in the 832 poverty counties cost {c['estimate']:.3f} log points "
            f"({_pct(c['estimate'])}) more per beneficiary than in other counties "
            f"[{c['ci_low']:.3f}, {c['ci_high']:.3f}], within sector and year."
        )
    iw = table[table["model"] == "exit_event_study"].set_index("term")
    twfe = table[table["model"] == "exit_twfe"].set_index("term")
    gaps = []
    for term, row in iw.iterrows():
        if int(term.split(":")[1]) < 0:
            continue
        other = f"; plain TWFE {twfe.at[term, 'estimate']:.3f}" if term in twfe.index else ""
        if term in twfe.index:
            gaps.append((abs(row["estimate"] - twfe.at[term, "estimate"]), term))
        lines.append(
            f"- `{term}` ({term.split(':')[1]} years after exit): {row['estimate']:.3f} "
            f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}]{other}."
        )
    if gaps:
        gap, term = max(gaps)
        lines.append(f"- The two differ most at `{term}`, by {gap:.3f} log points.")
    return "\n".join(lines)
