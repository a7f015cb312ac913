"""The pieces every printed table shares: numbers written as a paper prints them, words from the label
table in English or Chinese, and a great-tables ``GT`` rendered to HTML or booktabs LaTeX that is the
same bytes on every run and links to nothing outside the file.

Cells are written as text here (one rule per kind of number), so the HTML and the LaTeX of a table
show the same characters; great-tables lays them out, escapes them and draws the rules.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Sequence

import pandas as pd
from great_tables import GT, loc, style

from analysis.errors import ParameterError
from analysis.present.style import LANGS, label
from analysis.reference import load_reference

# The number of decimals of a p-value; below 10**-P_DIGITS it reads "< 0.001".
P_DIGITS = 3


def _finite(value) -> float | None:
    """The value as a finite float, or None (missing, NaN, infinite or not a number)."""
    if value is None or isinstance(value, bool) or value is pd.NA:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def yuan_text(value) -> str:
    """Yuan (or yuan per person) as a whole number with thousands separators: 32,300,000,000."""
    x = _finite(value)
    return "" if x is None else f"{x:,.0f}"


def count_text(value) -> str:
    """A count (projects, persons, clusters) as an integer with thousands separators."""
    x = _finite(value)
    return "" if x is None else f"{round(x):,d}"


def log_text(value) -> str:
    """Log points (a coefficient or its standard error) to 3 decimals."""
    x = _finite(value)
    return "" if x is None else f"{x:,.3f}"


def p_text(value) -> str:
    """A p-value to 3 decimals, "< 0.001" below that."""
    x = _finite(value)
    if x is None:
        return ""
    floor = 10.0**-P_DIGITS
    return f"< {floor:.{P_DIGITS}f}" if x < floor else f"{x:.{P_DIGITS}f}"


def share_text(value) -> str:
    """A share (a relative difference) as a signed percentage to one decimal: +1.2%."""
    x = _finite(value)
    return "" if x is None else f"{x:+.1%}"


def percent_text(value) -> str:
    """A share (of spending, of projects) as a percentage to one decimal: 1.3%."""
    x = _finite(value)
    return "" if x is None else f"{x:.1%}"


def value_text(value) -> str:
    """A number whose unit varies by row (an elasticity, yuan, a multiple): whole numbers with
    separators from 100 up, three decimals below."""
    x = _finite(value)
    if x is None:
        return ""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3f}"


def amount_text(value) -> str:
    """A quantity whose unit varies by row (yuan, projects, persons per household): whole numbers
    with separators from 100 up, two decimals below."""
    x = _finite(value)
    if x is None:
        return ""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"


def text_cell(value) -> str:
    """Text as it is (missing: empty)."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


# How each kind of number is written (the ``fmt`` of a column in a table's entry).
NUMBER_TEXT: dict[str, Callable[[object], str]] = {
    "yuan": yuan_text,
    "count": count_text,
    "log": log_text,
    "p": p_text,
    "share": share_text,
    "percent": percent_text,
    "value": value_text,
    "amount": amount_text,
    "text": text_cell,
}


def yes_no(value, lang: str = "en") -> str:
    """A boolean as a word: Yes/No (是/否); missing: empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    truth = str(value).strip().lower() in ("true", "1", "yes")
    return label("yes" if truth else "no", lang)


def interval_text(low, high, number: Callable[[object], str]) -> str:
    """An interval as "[low, high]", each end written by ``number``; empty when an end is missing."""
    lo, hi = number(low), number(high)
    return f"[{lo}, {hi}]" if lo and hi else ""


def province_name(name: str, lang: str) -> str:
    """A province's name in ``lang`` from the shipped province table (its short Chinese name), the
    name as given where the table does not know it."""
    table = load_reference("provinces").set_index("name_en")
    if lang == "zh" and name in table.index:
        return str(table.loc[name, "short_zh"])
    return name


_FACTOR = re.compile(r"^(?P<factor>[A-Za-z_]+)\[(?P<level>.+)\]$")
_NUMBER = re.compile(r"^[+-]?\d+$")
_CONSTANT = re.compile(r"^constant (?P<year>\d{4}) yuan \(CPI\)$")


def value_label(value, lang: str = "en") -> str:
    """A value of the tidy tables in words: its label where the label table has it (also as
    ``model_<value>``; prices "constant YYYY yuan (CPI)" by the label ``constant_yuan``), else the
    value as text."""
    text = text_cell(value)
    constant = _CONSTANT.match(text)
    if constant:
        return label("constant_yuan", lang, year=constant["year"])
    for key in (f"model_{text}", text):
        got = label(key, lang)
        if got != key:
            return got
    return text


def term_label(term: str, lang: str = "en") -> str:
    """A model term in words: ``sector[education]`` -> Education, ``province[Tibet]`` -> the
    province's name, ``deep_poverty_area:post2017`` -> its own label (三区三州 × after 2017), other
    interactions ``a:b`` -> the labels of ``a`` and ``b`` joined by ×, ``name:k`` with a label
    ``name_k`` -> that label with ``k`` filled in (years since exit)."""
    own = label(term, lang)
    if own != term:
        return own
    factor = _FACTOR.match(term)
    if factor:
        level = factor["level"]
        return province_name(level, lang) if factor["factor"] == "province" else label(level, lang)
    if ":" in term:
        head, tail = term.split(":", 1)
        template = f"{head}_k"
        if _NUMBER.match(tail) and label(template, lang) != template:
            return label(template, lang, k=tail.replace("-", "\u2212"))
        return f"{term_label(head, lang)} × {term_label(tail, lang)}"
    return term


def factor_of(term: str) -> tuple[str, str] | None:
    """(factor, level) of a term written ``factor[level]``, else None."""
    match = _FACTOR.match(term)
    return (match["factor"], match["level"]) if match else None


def check_lang(lang: str) -> None:
    """Refuse a language other than those of the label table."""
    if lang not in LANGS:
        raise ParameterError(f"lang must be one of {LANGS}, got {lang!r}")


def book_gt(
    cells: pd.DataFrame,
    *,
    table_id: str,
    stub: str | None = None,
    headers: dict[str, str] | None = None,
    right: Sequence[str] = (),
    title: str | None = None,
    notes: Sequence[str] = (),
) -> GT:
    """A GT of text ``cells`` (no index column): ``stub`` the column of row labels, ``headers``
    {column: printed header}, ``right`` the columns of numbers (right-aligned), ``notes`` each a
    source note (given once each, in order). ``table_id`` is the HTML id (a fixed id keeps the HTML
    the same bytes on every run)."""
    cells = cells.reset_index(drop=True).astype(str)
    gt = GT(cells, rowname_col=stub, id=table_id)
    if stub and headers and stub in headers:
        gt = gt.tab_stubhead(label=headers[stub])
    if headers:
        gt = gt.cols_label(**{c: h for c, h in headers.items() if c in cells.columns and c != stub})
    numbers = [c for c in right if c in cells.columns and c != stub]
    text = [c for c in cells.columns if c not in numbers and c != stub]
    if numbers:
        gt = gt.cols_align("right", columns=numbers)
    if text:
        gt = gt.cols_align("left", columns=text)
    if title:
        gt = gt.tab_header(title=title)
    for note in dict.fromkeys(n for n in notes if n):
        gt = gt.tab_source_note(note)
    return gt.tab_options(table_font_size="14px", data_row_padding="3px")


def rule_above(gt: GT, row: int) -> GT:
    """A thin rule above body row ``row`` (0-based) in the HTML (the footer of a regression table);
    :func:`table_latex` draws it as ``\\midrule`` when given the same row."""
    return gt.tab_style(
        style=style.borders(sides="top", color="#333333", weight="1px"),
        locations=loc.body(rows=[row]),
    )


def table_html(gt: GT) -> str:
    """The table as an HTML fragment (its CSS scoped to its fixed id, no external URL), the same
    bytes for the same table."""
    page = gt.as_raw_html()
    if re.search(r"https?://", page):
        raise ParameterError("the table's HTML links to an external URL")
    return page


_TABULAR = re.compile(
    r"\\begin\{tabular\*?\}(?:\{\\linewidth\})?\{(?P<spec>(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}"
)


def latex_columns(tex: str) -> int:
    """The number of columns of the first tabular in ``tex`` (its column letters l, c, r, p)."""
    match = _TABULAR.search(tex)
    if match is None:
        raise ParameterError("no tabular in the LaTeX text")
    spec = re.sub(r"@\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}", "", match["spec"])
    return len(re.findall(r"[lcrp]", re.sub(r"\{[^{}]*\}", "", spec)))


def table_latex(gt: GT, *, midrule_before: str | None = None) -> str:
    """The table as a LaTeX ``table`` with booktabs rules (\\toprule, \\midrule, \\bottomrule), no
    vertical rules, in ``\\small`` type, its tabular shrunk to the text width where wider
    (``adjustbox``: max width); with ``midrule_before`` a ``\\midrule`` above the first row whose
    label is that text. Needs the booktabs, adjustbox and caption (for a title) packages; Chinese
    text needs xeCJK (or ctex) under XeLaTeX."""
    with warnings.catch_warnings():  # HTML-only styles (a rule above the footer) are left out
        warnings.filterwarnings("ignore", message="Styles are not yet supported in LaTeX")
        tex = gt.as_latex()
    tex = re.sub(r"\\fontsize\{[^}]*\}\{[^}]*\}\\selectfont", lambda _: "\\small", tex)
    match = _TABULAR.search(tex)
    if match is None:
        raise ParameterError("great-tables wrote no tabular")
    spec = re.sub(r"@\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}", "", match["spec"]).replace("|", "")
    head = "\\begin{adjustbox}{max width=\\linewidth}\n\\begin{tabular}{" + spec + "}"
    tex = tex[: match.start()] + head + tex[match.end() :]
    tex = tex.replace("\\end{tabular*}", "\\end{tabular}\n\\end{adjustbox}", 1)
    if midrule_before:
        escaped = latex_escape(midrule_before)
        tex = re.sub(
            rf"^(?={re.escape(escaped)} &)",
            lambda _: "\\midrule\n",
            tex,
            count=1,
            flags=re.MULTILINE,
        )
    return re.sub(r"\n{3,}", "\n\n", tex)


def latex_escape(text: str) -> str:
    """Text escaped as LaTeX (the characters that LaTeX reads as commands)."""
    table = {
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
    }
    return "".join(table.get(ch, ch) for ch in str(text))
