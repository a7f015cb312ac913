"""Regression tables for papers: several tidy effect tables side by side, as Markdown, HTML or LaTeX, with
standard errors under estimates, stars and observation counts.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.errors import ParameterError
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


def _latex_escape(text: str) -> str:
    out = []
    for ch in str(text):
        out.append(
            {
                "\\": r"\textbackslash{}",
                "&": r"\&",
                "%": r"\%",
                "$": r"\$",
                "#": r"\#",
                "_": r"\_",
                "{": r"\{",
                "}": r"\}",
                "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}",
            }.get(ch, ch)
        )
    return "".join(out)


def regression_table(
    tables: Mapping[str, pd.DataFrame] | pd.DataFrame,
    *,
    fmt: str = "markdown",
    notes: str | Sequence[str] | None = None,
    stars: bool = False,
    digits: int = 3,
) -> str:
    """Several models side by side, as a Markdown, HTML or LaTeX string, from tidy tables only.

    ``tables``: one tidy table (one column per ``model`` in it) or a dict {column label: tidy
    table} (a table with several models gives one column per model, labelled ``label: model``).
    Rows are the terms in order of first appearance; a cell reads ``estimate (std_error)`` in the
    tables' units (log points for the regional models), ``estimate [low, high]`` where there is an
    interval but no standard error (the wild bootstrap row, its interval by test inversion),
    ``estimate [p = ...]`` where there is only a p-value, ``reference`` for a reference level, and
    is empty where a model has no such term. With ``stars``: * p < 0.10, ** p < 0.05, *** p < 0.01
    from ``p_value``. Footer rows: observations and clusters. The notes line states each column's
    number of clusters, its ``inference`` text where the table has one, the bootstrap draws and seed
    where the table has them, then ``notes``.
    """
    if fmt not in TABLE_FORMATS:
        raise ParameterError(f"fmt must be one of {TABLE_FORMATS}, got {fmt!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 10:
        raise ParameterError(f"digits must be an integer from 0 to 10, got {digits!r}")
    notes = _note_list(notes)
    columns = _table_columns(tables)
    body, n_obs, n_clu = _body(columns, digits, stars)
    footer = pd.DataFrame([n_obs, n_clu], index=["Observations", "Clusters"])
    grid = pd.concat([body, footer[body.columns]])
    grid.index.name = "term"
    note = " ".join(_note_lines(columns, n_clu, body, stars, notes))
    return _RENDERERS[fmt](grid, len(body), note)


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


def _html(grid: pd.DataFrame, n_body: int, note: str) -> str:
    """The grid as an HTML table (text escaped), then the notes paragraph."""
    table = grid.to_html(escape=True, na_rep="")
    return f'{table}\n<p class="notes">Notes: {html.escape(note)}</p>\n'


def _latex(grid: pd.DataFrame, n_body: int, note: str) -> str:
    """The grid as a LaTeX tabular (a rule before the footer's first row), then the notes."""
    k = len(grid.columns)
    out = [r"\begin{tabular}{l" + "c" * k + "}", r"\hline"]
    out.append(" & ".join(_latex_escape(c) for c in ["", *grid.columns]) + r" \\")
    out.append(r"\hline")
    for i, (term, row) in enumerate(grid.iterrows()):
        if i == n_body:
            out.append(r"\hline")
        out.append(" & ".join(_latex_escape(c) for c in [term, *row]) + r" \\")
    out += [r"\hline", r"\end{tabular}", r"\par\smallskip"]
    out.append(r"{\footnotesize Notes: " + _latex_escape(note) + "}")
    return "\n".join(out) + "\n"


# One renderer per format of ``TABLE_FORMATS``: (grid, number of term rows, notes line) -> text.
_RENDERERS = {"markdown": _markdown, "html": _html, "latex": _latex}
