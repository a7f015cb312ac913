"""Regression tables for papers: several tidy effect tables side by side, with standard errors under
estimates, stars, fixed effects, clusters and observation counts.

HTML and LaTeX are drawn by great-tables (:mod:`analysis.present.booktables`): terms in words from the
label table, columns numbered (1), (2), ... under their model labels, the reference level of a factor
named in its heading, notes once, booktabs rules. Markdown is the plain grid of the first version
(raw term names), kept as it was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from great_tables import GT

from analysis.errors import ParameterError
from analysis.present.booktables import (
    book_gt,
    check_lang,
    factor_of,
    p_text,
    rule_above,
    table_html,
    table_latex,
    term_label,
    value_label,
)
from analysis.present.style import label as label_text
from analysis.present.translate import translate_text
from analysis.schema import require_columns

TABLE_FORMATS = ("markdown", "html", "latex")


def _table_columns(tables) -> list[tuple[str, pd.DataFrame]]:
    """(column label, rows of one model) pairs: one per model of a table; a dict key labels its
    table's column (``key: model`` when the table holds several models)."""
    if isinstance(tables, pd.DataFrame):
        items = [(None, tables)]
    elif isinstance(tables, Mapping) and tables:
        items = list(tables.items())
    else:
        raise ParameterError("tables must be a tidy DataFrame or a non-empty dict of them")
    need = ["model", "term", "estimate", "std_error", "p_value", "n_obs", "n_clusters"]
    out = []
    for key, table in items:
        require_columns(table, need, f"table {key!r}")
        models = list(dict.fromkeys(table["model"]))
        for model in models:
            part = table[table["model"] == model]
            if part["term"].duplicated().any():
                raise ParameterError(f"model {model!r} has a term twice")
            if key is None:
                label = str(model)
            else:
                label = str(key) if len(models) == 1 else f"{key}: {model}"
            out.append((label, part.reset_index(drop=True)))
    labels = [label for label, _ in out]
    if len(set(labels)) < len(labels):
        raise ParameterError(f"column labels repeat: {labels}")
    return out


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def _p_text(p: float, digits: int) -> str:
    floor = 10.0**-digits
    return f"p < {floor:.{digits}f}" if p < floor else f"p = {p:.{digits}f}"


def _num(x) -> float:
    return float(x) if pd.notna(x) else np.nan


def _cell(row, digits: int, stars: bool) -> str:
    est, se, p = _num(row["estimate"]), _num(row["std_error"]), _num(row["p_value"])
    if est == 0 and se == 0 and not np.isfinite(p):
        return "reference"
    text = f"{est:.{digits}f}" + (_stars(p) if stars else "")
    if np.isfinite(se):
        return f"{text} ({se:.{digits}f})"
    low, high = _num(row.get("ci_low")), _num(row.get("ci_high"))
    if np.isfinite(low) or np.isfinite(
        high
    ):  # an interval without a standard error (wild bootstrap)
        return f"{text} [{low:.{digits}f}, {high:.{digits}f}]"
    if np.isfinite(p):
        return f"{text} [{_p_text(p, digits)}]"
    return text


def _count(values: pd.Series) -> str:
    vals = sorted({int(v) for v in values.dropna()})
    if not vals:
        return ""
    return str(vals[0]) if len(vals) == 1 else f"{vals[0]}-{vals[-1]}"


def regression_table(
    tables: Mapping[str, pd.DataFrame] | pd.DataFrame,
    *,
    fmt: str = "markdown",
    notes: str | Sequence[str] | None = None,
    stars: bool = False,
    digits: int = 3,
    lang: str = "en",
) -> str:
    """Several models side by side, as a Markdown, HTML or LaTeX string, from tidy tables only.

    ``tables``: one tidy table (one column per ``model`` in it) or a dict {column label: tidy
    table} (a table with several models gives one column per model, labelled ``label: model``).
    Rows are the terms in order of first appearance; a cell reads ``estimate (std_error)`` in the
    tables' units (log points for the regional models), ``estimate [low, high]`` where there is an
    interval but no standard error (the wild bootstrap row, its interval by test inversion),
    ``estimate [p = ...]`` where there is only a p-value, ``reference`` for a reference level, and
    is empty where a model has no such term. With ``stars``: * p < 0.10, ** p < 0.05, *** p < 0.01
    from ``p_value``.

    ``fmt="markdown"``: the plain grid with raw term names, observations and clusters, then one
    notes line (each column's clusters, ``inference`` text, bootstrap draws and seed, ``notes``).
    ``fmt="html"`` and ``"latex"``: :func:`regression_gt` in ``lang`` rendered by great-tables
    (HTML fragment; LaTeX ``table`` with booktabs rules).
    """
    if fmt not in TABLE_FORMATS:
        raise ParameterError(f"fmt must be one of {TABLE_FORMATS}, got {fmt!r}")
    if fmt == "html":
        return table_html(regression_gt(tables, notes=notes, stars=stars, digits=digits, lang=lang))
    if fmt == "latex":
        gt = regression_gt(tables, notes=notes, stars=stars, digits=digits, lang=lang)
        return table_latex(gt, midrule_before=label_text("col_fixed_effects", lang))
    _check_digits(digits)
    check_lang(lang)
    notes = _note_list(notes)
    columns = _table_columns(tables)
    body, n_obs, n_clu = _body(columns, digits, stars)
    footer = pd.DataFrame([n_obs, n_clu], index=["Observations", "Clusters"])
    grid = pd.concat([body, footer[body.columns]])
    grid.index.name = "term"
    note = " ".join(_note_lines(columns, n_clu, body, stars, notes))
    return _markdown(grid, len(body), note)


def _check_digits(digits) -> None:
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 10:
        raise ParameterError(f"digits must be an integer from 0 to 10, got {digits!r}")


def _note_list(notes) -> list[str]:
    """The caller's notes as a list of strings (none, one string, or a list of them)."""
    if notes is None:
        return []
    if isinstance(notes, str):
        return [notes]
    if not all(isinstance(n, str) for n in notes):
        raise ParameterError("notes must be a string or a list of strings")
    return list(notes)


def _body(columns, digits: int, stars: bool) -> tuple[pd.DataFrame, dict, dict]:
    """The term x column grid of cells (empty where a model has no such term), and each column's
    observation and cluster counts as text."""
    terms = list(dict.fromkeys(t for _, part in columns for t in part["term"]))
    body = pd.DataFrame("", index=terms, columns=[label for label, _ in columns], dtype=object)
    n_obs, n_clu = {}, {}
    for label, part in columns:
        for _, row in part.iterrows():
            body.loc[row["term"], label] = _cell(row, digits, stars)
        n_obs[label], n_clu[label] = _count(part["n_obs"]), _count(part["n_clusters"])
    return body, n_obs, n_clu


def _column_note(part: pd.DataFrame) -> list[str]:
    """How one column's rows were computed: its ``inference`` texts, then its bootstrap draws and
    seed where it has them."""
    texts = []
    if "inference" in part.columns:
        texts = list(dict.fromkeys(part["inference"].dropna().astype(str)))
    if "bootstrap_reps" in part.columns and part["bootstrap_reps"].notna().any():
        seed = _count(part["seed"]) if "seed" in part.columns else ""
        texts.append(
            f"{_count(part['bootstrap_reps'])} bootstrap draws" + (f", seed {seed}" if seed else "")
        )
    return texts


def _note_lines(columns, n_clu: dict, body: pd.DataFrame, stars: bool, notes: list) -> list[str]:
    """The sentences of the notes line: cells, clusters, each column's inference, the reference
    and star legends where used, then the caller's notes."""
    lines = ["Cells: estimate (standard error)."]
    if body.map(lambda c: c.endswith("]") and "[p" not in c).any().any():
        lines.append("estimate [a, b]: the interval where there is no standard error.")
    lines.append("Clusters: " + "; ".join(f"{label} {n_clu[label]}" for label, _ in columns) + ".")
    for label, part in columns:
        texts = _column_note(part)
        if texts:
            lines.append(f"{label}: {'; '.join(texts)}.")
    if (body == "reference").any().any():
        lines.append("reference: the reference level (0 by construction).")
    if stars:
        lines.append("* p < 0.10, ** p < 0.05, *** p < 0.01.")
    lines.extend(notes)
    return lines


def _markdown(grid: pd.DataFrame, n_body: int, note: str) -> str:
    """The grid as a Markdown table (numbers right-aligned), then the notes paragraph."""

    def md(x) -> str:
        return str(x).replace("|", r"\|")

    out = ["| " + " | ".join(md(c) for c in ["", *grid.columns]) + " |"]
    out.append("|" + "---|" + "---:|" * len(grid.columns))
    for term, row in grid.iterrows():
        out.append("| " + " | ".join(md(c) for c in [term, *row]) + " |")
    return "\n".join(out) + f"\n\nNotes: {note}\n"


# The fixed effects of the report's models (label keys), by model name; a table's own
# ``fixed_effects`` column, where it has one, takes precedence.
_SECTOR_YEAR = (
    "baseline",
    "baseline_cr1",
    "baseline_cr3",
    "baseline_wild",
    "baseline_twoway",
    "baseline_unknown_as_deep",
    "baseline_unknown_as_not_deep",
    "baseline_spending_weighted",
    "baseline_ppml",
    "cluster_org_cr3",
    "cluster_org",
    "cluster_prefecture",
    "cluster_province",
    "cluster_twoway",
    "leave_one_province_out_min",
    "leave_one_province_out_max",
    "heterogeneity_sector",
    "poverty_county_contrast",
)
_AREA_YEAR = (
    "did",
    "did_cr1",
    "did_cr3",
    "did_ri",
    "did_wild",
    "event_study",
    "did_without_2017",
    "did_pure_controls",
    "did_ppml_levels",
    "did_placebo",
)
MODEL_FIXED_EFFECTS: dict[str, str] = {
    **dict.fromkeys(_SECTOR_YEAR, "fe_sector_year"),
    **dict.fromkeys(_AREA_YEAR, "fe_area_year"),
    "org_fixed_effects": "fe_org_sector_year",
    "province_fixed_effects": "fe_province_sector_year",
    "province_fixed_effects_given_deep": "fe_province_sector_year",
    "province_random_effects": "fe_sector_year_re",
    "province_random_effects_given_deep": "fe_sector_year_re",
    "exit_event_study": "fe_county_sector_year",
    "exit_twfe": "fe_county_sector_year",
}
# The reference level of a factor whose reference has no row of its own in the tidy tables (the
# baseline's sector dummies: industry, as in its formula); a row with estimate and standard error 0
# and no p-value marks the reference where a table has one.
FACTOR_REFERENCES: dict[str, str] = {"sector": "industry"}


def _is_reference(row) -> bool:
    est, se, p = _num(row["estimate"]), _num(row["std_error"]), _num(row["p_value"])
    return est == 0 and se == 0 and not np.isfinite(p)


def _two_lines(row, digits: int, stars: bool, lang: str) -> tuple[str, str, str]:
    """A cell as (estimate line, line below it, kind of the line below: se, interval, p or "")."""
    if _is_reference(row):
        return label_text("reference_cell", lang), "", ""
    est, se, p = _num(row["estimate"]), _num(row["std_error"]), _num(row["p_value"])
    top = f"{est:,.{digits}f}" + (_stars(p) if stars else "")
    if np.isfinite(se):
        return top, f"({se:,.{digits}f})", "se"
    low, high = _num(row.get("ci_low")), _num(row.get("ci_high"))
    if np.isfinite(low) and np.isfinite(high):
        return top, f"[{low:,.{digits}f}, {high:,.{digits}f}]", "interval"
    if np.isfinite(p):
        return top, f"[p {p_text(p) if p_text(p).startswith('<') else '= ' + p_text(p)}]", "p"
    return top, "", ""


def _references(columns) -> dict[str, str]:
    """{factor: reference level}: the levels marked as reference rows, else ``FACTOR_REFERENCES``."""
    refs = dict(FACTOR_REFERENCES)
    for _, part in columns:
        for _, row in part.iterrows():
            factor = factor_of(str(row["term"]))
            if factor and _is_reference(row):
                refs[factor[0]] = factor[1]
    return refs


def _term_rows(columns, digits: int, stars: bool, lang: str) -> tuple[list[list[str]], set]:
    """The body: per term a row of estimates and a row below (standard errors, intervals or
    p-values), a heading row "Factor (reference: level)" before a factor's first level; the
    reference level's own rows are left out (the heading names it). Also the kinds of lines below."""
    refs = _references(columns)
    cells = {(label_, str(r["term"])): r for label_, part in columns for _, r in part.iterrows()}
    terms = list(dict.fromkeys(str(t) for _, part in columns for t in part["term"]))
    rows, kinds, seen = [], set(), set()
    for term in terms:
        factor = factor_of(term)
        if factor and refs.get(factor[0]) == factor[1]:
            continue
        if factor and factor[0] not in seen:
            seen.add(factor[0])
            name, ref = term_label(factor[0], lang), refs.get(factor[0])
            heading = name
            if ref is not None:
                ref_label = term_label(f"{factor[0]}[{ref}]", lang)
                heading = label_text("reference_of", lang, factor=name, level=ref_label)
            rows.append([heading] + [""] * len(columns))
        lines = [
            _two_lines(cells[(lab, term)], digits, stars, lang)
            if (lab, term) in cells
            else ("", "", "")
            for lab, _ in columns
        ]
        kinds |= {k for _, _, k in lines if k}
        rows.append([term_label(term, lang)] + [top for top, _, _ in lines])
        if any(below for _, below, _ in lines):
            rows.append([""] + [below for _, below, _ in lines])
    return rows, kinds


def _fixed_effects(part: pd.DataFrame, lang: str) -> str:
    if "fixed_effects" in part.columns and part["fixed_effects"].notna().any():
        return str(part["fixed_effects"].dropna().iloc[0])
    key = MODEL_FIXED_EFFECTS.get(str(part["model"].iloc[0]))
    return label_text(key, lang) if key else ""


def _footer_rows(columns, lang: str) -> list[list[str]]:
    """Fixed effects, clusters, observations, and R² where a table has ``r_squared``."""
    rows = [
        [label_text("col_fixed_effects", lang)] + [_fixed_effects(p, lang) for _, p in columns],
        [label_text("col_n_clusters", lang)] + [_count_text(p["n_clusters"]) for _, p in columns],
        [label_text("col_n_obs", lang)] + [_count_text(p["n_obs"]) for _, p in columns],
    ]
    if any("r_squared" in p.columns and p["r_squared"].notna().any() for _, p in columns):
        r2 = [
            f"{p['r_squared'].dropna().iloc[0]:.3f}"
            if "r_squared" in p.columns and p["r_squared"].notna().any()
            else ""
            for _, p in columns
        ]
        rows.append([label_text("col_r_squared", lang), *r2])
    return rows


def _count_text(values: pd.Series) -> str:
    """A column's counts with thousands separators: one value, or the range low-high."""
    vals = sorted({int(v) for v in values.dropna()})
    if not vals:
        return ""
    return f"{vals[0]:,}" if len(vals) == 1 else f"{vals[0]:,}\u2013{vals[-1]:,}"


def _gt_notes(columns, kinds: set, stars: bool, notes: list, lang: str) -> list[str]:
    """The notes, each sentence once: how to read the cells, each distinct ``inference`` text (in
    ``lang``: :func:`translate_text`) with the columns it holds for, the star legend, then the
    caller's notes."""
    out = [label_text(f"cells_{k}", lang) for k in ("se", "interval", "p") if k in kinds]
    by_text: dict[str, list[str]] = {}
    for j, (_, part) in enumerate(columns, start=1):
        for text in _column_note(part):
            by_text.setdefault(translate_text(text, lang), []).append(f"({j})")
    colon = "：" if lang == "zh" else ": "
    out += [f"{', '.join(cols)}{colon}{text}" for text, cols in by_text.items()]
    if stars:
        out.append(label_text("stars_legend", lang))
    return list(dict.fromkeys([*out, *notes]))


def regression_gt(
    tables: Mapping[str, pd.DataFrame] | pd.DataFrame,
    *,
    notes: str | Sequence[str] | None = None,
    stars: bool = False,
    digits: int = 3,
    lang: str = "en",
    title: str | None = None,
) -> GT:
    """The regression table as a great-tables GT (see :func:`regression_table` for ``tables``):
    columns (1), (2), ... under their model labels (and the dict keys above them, in words from the
    label table where it has the key, e.g. ``regression_few_cluster_checks``), terms in words
    from the label table in ``lang``, each estimate with its standard error, or its interval
    [low, high] where there is none, on the line below, a factor's heading naming its reference
    level, footer rows for fixed effects, clusters, observations (and R² where the tables have
    ``r_squared``), notes once each."""
    _check_digits(digits)
    check_lang(lang)
    notes = _note_list(notes)
    columns = _table_columns(tables)
    body, kinds = _term_rows(columns, digits, stars, lang)
    footer = _footer_rows(columns, lang)
    ids = [f"c{j}" for j in range(1, len(columns) + 1)]
    cells = pd.DataFrame([*body, *footer], columns=["term", *ids])
    gt = book_gt(
        cells,
        table_id="tbl-regression",
        stub="term",
        headers={c: f"({j})" for j, c in enumerate(ids, start=1)},
        title=title,
        notes=_gt_notes(columns, kinds, stars, notes, lang),
    )
    gt = gt.cols_align("center", columns=ids)
    for j, (_, part) in enumerate(columns):
        gt = gt.tab_spanner(value_label(part["model"].iloc[0], lang), [ids[j]], id=f"m{j + 1}")
    if isinstance(tables, Mapping):
        keys = [str(k) for k in tables]
        groups = [
            [ids[j] for j, (lab, _) in enumerate(columns) if lab.split(": ")[0] == k] for k in keys
        ]
        for k, (key, cols) in enumerate(zip(keys, groups, strict=True)):
            gt = gt.tab_spanner(value_label(key, lang), cols, id=f"g{k + 1}", level=1)
    gt = gt.tab_options(table_body_hlines_style="none", stub_border_style="none")
    return rule_above(gt, len(body))
