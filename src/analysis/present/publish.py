"""The run's tidy tables as a paper prints them: :func:`publication_table` formats any table of the
report by its entry in ``PUBLICATION_TABLES`` (which rows, which columns, their labels in English and
Chinese, how each number is written), and :func:`table_html` / :func:`table_latex` render the result.

An entry is data, not code: rows are chosen by the values of columns, columns are ``Col`` (label
key, kind, source columns). Kinds: ``yuan`` (whole yuan with separators), ``count`` (integers),
``log`` (log points, 3 decimals), ``p`` (3 decimals), ``share`` (a signed percentage), ``amount``
(a unit that varies by row), ``text``, ``label`` (the value's words from the label table), ``term``
(a model term in words), ``region`` (三区三州 / elsewhere / unknown), ``bool`` (Yes/No, 是/否),
``interval_<number kind>`` (two source columns as "[low, high]"). In Chinese the words of ``text``
and ``label`` cells that the estimators wrote in English go through
:func:`analysis.present.translate.translate_text` (``data/text_zh.csv``).
"""

from __future__ import annotations

import pandas as pd
from great_tables import GT

from analysis.errors import ParameterError
from analysis.present.booktables import (
    NUMBER_TEXT,
    book_gt,
    check_lang,
    interval_text,
    table_html,
    table_latex,
    term_label,
    value_label,
    yes_no,
)
from analysis.present.costing_tables import COSTING_FILES, COSTING_TABLES
from analysis.present.style import label
from analysis.present.tablespec import Col, TableSpec
from analysis.present.translate import translate_text
from analysis.schema import require_columns

__all__ = [
    "PUBLICATION_TABLES",
    "Col",
    "TableSpec",
    "publication_table",
    "table_html",
    "table_latex",
]


_REGION = {"true": "deep_poverty_area", "false": "elsewhere", "unknown": "deep_unknown"}
_NUMERIC = {"yuan", "count", "log", "p", "share", "percent", "value", "amount"}

_EST_LOG = (
    Col("col_estimate", "log"),
    Col("col_std_error", "log"),
    Col("col_interval", "interval_log", ("ci_low", "ci_high")),
)
_COUNTS = (Col("col_n_obs", "count"), Col("col_n_clusters", "count"))
_COST = (
    Col("col_estimate_yuan", "yuan", ("estimate",)),
    Col("col_interval", "interval_yuan", ("ci_low", "ci_high")),
    Col("col_n_projects", "count"),
    Col("col_n_clusters", "count"),
    Col("col_price_basis", "label"),
)
_BASELINE_MODELS = ("baseline",)

# The tables of the report, by kind.
PUBLICATION_TABLES: dict[str, TableSpec] = {
    "reconciliation": TableSpec(
        "table_reconciliation",
        (
            Col("col_measure", "label"),
            Col("col_scope", "label"),
            Col("col_period", "text"),
            Col("col_unit", "label"),
            Col("col_published", "amount"),
            Col("col_data", "amount"),
            Col("col_relative_difference", "share"),
            Col("col_warning", "bool"),
            Col("col_source", "text"),
        ),
        notes=("note_reconciliation",),
    ),
    "cleaning_summary": TableSpec(
        "table_cleaning_summary",
        (
            Col("col_scope", "text"),
            Col("col_count_of", "text", ("count of",)),
            Col("col_rows", "count"),
        ),
    ),
    "cost_headline": TableSpec(
        "table_cost_headline",
        (Col("year", "text", ("level",)), Col("col_estimator", "label"), *_COST),
        rows={
            "group": ("year",),
            "estimator": ("ratio_of_totals",),
        },
        notes=("note_cost_interval",),
    ),
    "cost_intervals": TableSpec(
        "table_cost_intervals",
        (
            Col("year", "text", ("level",)),
            Col("col_estimate_yuan", "yuan", ("estimate",)),
            Col("col_interval_bootstrap", "interval_yuan", ("ci_low", "ci_high")),
            Col(
                "col_interval_delta",
                "interval_yuan",
                ("delta_low", "delta_high", "ratio_bounded"),
            ),
            Col(
                "col_interval_fieller",
                "interval_yuan",
                ("fieller_low", "fieller_high", "ratio_bounded"),
            ),
        ),
        rows={
            "group": ("year",),
            "estimator": ("ratio_of_totals",),
            "price_basis": ("nominal yuan",),
        },
        notes=("note_cost_intervals",),
    ),
    "cost_estimators": TableSpec(
        "table_cost_estimators",
        (
            Col("year", "text", ("level",)),
            Col("col_estimator", "label"),
            Col("col_estimate_yuan", "yuan", ("estimate",)),
            Col("col_n_projects", "count"),
        ),
        rows={
            "group": ("year",),
            "price_basis": ("nominal yuan",),
            "estimator": ("ratio_of_totals", "mean_of_ratios", "median_of_ratios"),
        },
        sort=("level",),
    ),
    "cost_by_sector": TableSpec(
        "table_cost_by_sector",
        (Col("sector", "label", ("level",)), *_COST),
        rows={"group": ("sector",), "estimator": ("ratio_of_totals",)},
        notes=("note_cost_interval", "note_years_pooled"),
    ),
    "cost_by_region": TableSpec(
        "table_cost_by_region",
        (Col("col_region", "region", ("level",)), *_COST),
        rows={"group": ("deep_poverty_area",), "estimator": ("ratio_of_totals",)},
        notes=("note_cost_interval", "note_years_pooled"),
    ),
    "benchmarks": TableSpec(
        "table_benchmarks",
        (
            Col("col_scope", "label"),
            Col("col_period", "text"),
            Col("col_estimate_yuan", "yuan", ("yuan_per_person",)),
            Col("col_note", "text"),
            Col("col_source", "text"),
        ),
        notes=("note_benchmarks",),
    ),
    "cost_sensitivity": TableSpec(
        "table_cost_sensitivity",
        (
            Col("col_assumption", "label"),
            Col("col_evidence", "label"),
            Col("col_setting_low", "text"),
            Col("col_low", "yuan"),
            Col("col_interval", "interval_yuan", ("low_ci_low", "low_ci_high")),
            Col("col_setting_high", "text"),
            Col("col_high", "yuan"),
            Col("col_interval_high", "interval_yuan", ("high_ci_low", "high_ci_high")),
            Col("col_baseline", "yuan"),
            Col("col_interval_baseline", "interval_yuan", ("baseline_ci_low", "baseline_ci_high")),
            Col("col_price_basis", "label"),
        ),
        notes=("note_sensitivity",),
    ),
    "regional_effects": TableSpec(
        "table_regional_effects",
        (
            Col("col_model", "label"),
            Col("col_term", "term"),
            *_EST_LOG,
            Col("col_p_value", "p"),
            *_COUNTS,
        ),
        rows={"model": ("baseline", "did")},
        notes=("note_log_points",),
    ),
    "regional_unknown": TableSpec(
        "table_regional_unknown",
        (
            Col("col_model", "label"),
            Col("col_estimate", "log"),
            Col("col_interval", "interval_log", ("ci_low", "ci_high")),
            Col("col_n_obs", "count"),
            Col("col_n_unknown_excluded", "count"),
        ),
        rows={
            "model": ("baseline", "baseline_unknown_as_deep", "baseline_unknown_as_not_deep"),
            "term": ("deep_poverty_area",),
        },
        notes=("note_log_points",),
    ),
    "regional_weightings": TableSpec(
        "table_regional_weightings",
        (Col("col_model", "label"), *_EST_LOG, *_COUNTS),
        rows={
            "model": ("baseline", "baseline_spending_weighted", "baseline_ppml"),
            "term": ("deep_poverty_area",),
        },
        notes=("note_log_points",),
    ),
    "event_heterogeneity": TableSpec(
        "table_event_heterogeneity",
        (
            Col("col_model", "label"),
            Col("col_term", "term"),
            *_EST_LOG,
            Col("col_p_value", "p"),
            Col("col_p_value_holm", "p"),
        ),
        rows={"model": ("event_study", "heterogeneity_sector")},
        notes=("note_log_points",),
    ),
    "province_effects": TableSpec(
        "table_province_effects",
        (
            Col("col_model", "label"),
            Col("province", "term", ("term",)),
            Col("col_estimate", "log"),
            Col("col_interval", "interval_log", ("ci_low", "ci_high")),
            Col(
                "col_interval_simultaneous",
                "interval_log",
                ("ci_low_simultaneous", "ci_high_simultaneous"),
            ),
        ),
        rows={"model": ("province_random_effects", "province_random_effects_given_deep")},
        sort=("model", "estimate"),
        last={"term": ("between_province_sd",)},
        notes=("note_province_effects",),
    ),
    "robustness": TableSpec(
        "table_robustness",
        (
            Col("col_model", "label"),
            Col("col_term", "term"),
            *_EST_LOG,
            *_COUNTS,
            Col("col_largest_se", "bool"),
            Col("col_check", "text"),
        ),
        notes=("note_log_points",),
    ),
    "did_inference": TableSpec(
        "table_did_inference",
        (
            Col("col_model", "label"),
            Col("col_estimate", "log"),
            Col("col_std_error", "log"),
            Col("col_interval", "interval_log", ("ci_low", "ci_high")),
            Col("col_p_value", "p"),
            Col("col_n_clusters", "count"),
            Col("col_inference", "text"),
        ),
        notes=("note_log_points",),
    ),
    "exit_effects": TableSpec(
        "table_exit_effects",
        (Col("col_model", "label"), Col("col_term", "term"), *_EST_LOG, *_COUNTS),
        notes=("note_log_points",),
    ),
}
PUBLICATION_TABLES.update(COSTING_TABLES)
# The few-cluster checks of the baseline print as those of the spending shift do.
PUBLICATION_TABLES["baseline_inference"] = TableSpec(
    "table_baseline_inference",
    PUBLICATION_TABLES["did_inference"].columns,
    notes=("note_log_points",),
)


def _column_text(table: pd.DataFrame, col: Col, lang: str) -> pd.Series:
    """One printed column of ``table`` as text."""
    src = col.sources()
    values = table[src[0]]
    if col.kind in NUMBER_TEXT:
        text = values.map(NUMBER_TEXT[col.kind])
        return text.map(lambda t: translate_text(t, lang)) if col.kind == "text" else text
    if col.kind.startswith("interval_"):
        number = NUMBER_TEXT[col.kind.removeprefix("interval_")]
        pairs = zip(values, table[src[1]], strict=True)
        text = pd.Series([interval_text(lo, hi, number) for lo, hi in pairs], index=table.index)
        if len(src) > 2:  # a third column says whether the quantity is bounded at all
            unbounded = table[src[2]].astype(str).str.lower() == "false"
            text[unbounded] = label("not_bounded", lang)
        return text
    words = {
        "label": lambda v: value_label(v, lang),
        "term": lambda v: term_label(str(v), lang),
        "bool": lambda v: yes_no(v, lang),
        "region": lambda v: label(_REGION.get(str(v).lower(), str(v)), lang),
    }
    text = values.map(words[col.kind])
    # an estimator's words the label table does not hold (a price basis, a cost basis) in ``lang``
    return text.map(lambda t: translate_text(t, lang)) if col.kind == "label" else text


def _rows(table: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """The rows an entry keeps, in the table's order or sorted by the entry's ``sort``; rows of the
    entry's ``last`` after the others of their group (the first sort column)."""
    keep = pd.Series(True, index=table.index)
    for column, values in spec.rows.items():
        keep &= table[column].astype(str).isin(values)
    rows = table[keep]
    late = pd.Series(False, index=rows.index)
    for column, values in spec.last.items():
        late |= rows[column].astype(str).isin(values)
    order = [*spec.sort[:1], "_last", *spec.sort[1:]] if spec.sort else ["_last"]
    return rows.assign(_last=late).sort_values(order, kind="stable").drop(columns="_last")


def publication_table(
    table: pd.DataFrame,
    kind: str,
    *,
    lang: str = "en",
    title: str | None = None,
    notes: str | list[str] | None = None,
) -> GT:
    """One of the report's tables (``kind``, a key of ``PUBLICATION_TABLES``) as a great-tables GT
    ready to print: the entry's rows and columns, headers and words from the label table in
    ``lang`` ("en" or "zh"), yuan as whole numbers with separators, log points and p-values to 3
    decimals, intervals as "[low, high]", booleans as words, no index column. ``title`` replaces
    the entry's title; ``notes`` follow the entry's notes. Render with :func:`table_html` or
    :func:`table_latex`; in a notebook the GT displays itself."""
    if kind not in PUBLICATION_TABLES:
        raise ParameterError(f"kind must be one of {sorted(PUBLICATION_TABLES)}, got {kind!r}")
    check_lang(lang)
    if notes is not None and not isinstance(notes, str | list):
        raise ParameterError("notes must be a string or a list of strings")
    spec = PUBLICATION_TABLES[kind]
    need = [*spec.rows, *spec.sort, *spec.last, *(s for c in spec.columns for s in c.sources())]
    require_columns(table, need, f"table for {kind!r}")
    rows = _rows(table, spec)
    if rows.empty and spec.empty:
        rows = pd.DataFrame({spec.columns[0].key: [label(spec.empty, lang)]})
        return book_gt(
            rows,
            table_id=f"tbl-{kind.replace('_', '-')}",
            stub=spec.columns[0].key,
            headers={spec.columns[0].key: label(spec.columns[0].key, lang)},
            right=[],
            title=title or label(spec.title, lang),
            notes=[],
        )
    if rows.empty:
        raise ParameterError(f"the table has no rows for {kind!r} (rows kept: {spec.rows})")
    cells = pd.DataFrame({c.key: _column_text(rows, c, lang) for c in spec.columns})
    extra = [notes] if isinstance(notes, str) else list(notes or [])
    return book_gt(
        cells,
        table_id=f"tbl-{kind.replace('_', '-')}",
        stub=spec.columns[0].key,
        headers={c.key: label(c.key, lang) for c in spec.columns},
        right=[c.key for c in spec.columns if c.kind in _NUMERIC or c.kind.startswith("interval")],
        title=title or label(spec.title, lang),
        notes=[*(label(n, lang) for n in spec.notes), *extra],
    )


# What each table file of a run holds in print: the kinds of PUBLICATION_TABLES drawn from it, in order.
# A kind whose rows are absent from a run's table (e.g. no province effects) is left out of its file.
TABLE_FILES = {
    "reconciliation.csv": ("reconciliation",),
    "cost_per_beneficiary.csv": (
        "cost_headline",
        "cost_intervals",
        "cost_by_sector",
        "cost_by_region",
    ),
    "cost_sensitivity.csv": ("cost_sensitivity",),
    "regional_effects.csv": (
        "regional_effects",
        "regional_weightings",
        "regional_unknown",
        "event_heterogeneity",
        "province_effects",
    ),
    "baseline_inference.csv": ("baseline_inference",),
    "did_inference.csv": ("did_inference",),
    "robustness.csv": ("robustness",),
    "exit_effects.csv": ("exit_effects",),
    **COSTING_FILES,
}


def printed_tables(table: pd.DataFrame, file_name: str, *, lang: str = "en") -> list[GT]:
    """The printed tables of one of a run's table files (:data:`TABLE_FILES`), skipping kinds whose
    rows the table does not have."""
    if file_name not in TABLE_FILES:
        raise ParameterError(f"file_name must be one of {sorted(TABLE_FILES)}, got {file_name!r}")
    out = []
    for kind in TABLE_FILES[file_name]:
        try:
            out.append(publication_table(table, kind, lang=lang))
        except ParameterError:
            continue
    return out
