"""The printed tables of notebook 05_cost_effectiveness (issue 17's costing): who was counted, the
projects without beneficiaries, what the money is, the walk from sticker price to cost per outcome,
its assumptions, and cost against size. Entries as in :mod:`analysis.present.publish`, which merges
them into ``PUBLICATION_TABLES`` and ``TABLE_FILES``."""

from __future__ import annotations

from analysis.present.tablespec import Col, TableSpec

_INTERVAL = Col("col_interval", "interval_yuan", ("ci_low", "ci_high"))
_YEAR = Col("year", "text", ("level",))

COSTING_TABLES: dict[str, TableSpec] = {
    "beneficiary_basis": TableSpec(
        "table_beneficiary_basis",
        (
            Col("col_basis", "label", ("basis",)),
            Col("col_n_projects", "count"),
            Col("col_beneficiaries", "count"),
            Col("col_expenditure_yuan", "yuan", ("expenditure_yuan",)),
            Col("col_share_beneficiaries", "percent"),
            Col("col_share_expenditure", "percent"),
            Col("col_derived", "bool"),
        ),
        notes=("note_beneficiary_basis",),
    ),
    "deduplication": TableSpec(
        "table_deduplication",
        (
            Col("col_scenario", "label"),
            Col("col_setting", "text"),
            Col("col_estimate_yuan", "yuan", ("estimate",)),
            _INTERVAL,
            Col("col_persons", "count"),
            Col("col_persons_per_household", "value"),
            Col("col_implausible", "bool"),
        ),
        notes=("note_deduplication",),
    ),
    "cost_missing": TableSpec(
        "table_cost_missing",
        (
            _YEAR,
            Col("col_quantity", "label", ("quantity",)),
            Col("col_share", "percent", ("estimate",)),
            Col("col_interval", "interval_percent", ("ci_low", "ci_high")),
            Col("col_n_missing", "count"),
            Col("col_n_projects", "count"),
        ),
        rows={"quantity": ("share_spending_missing", "share_projects_missing")},
        notes=("note_cost_interval",),
    ),
    "cost_bounds": TableSpec(
        "table_cost_bounds",
        (
            _YEAR,
            Col("col_quantity", "label", ("quantity",)),
            Col("col_estimate_yuan", "yuan", ("estimate",)),
            Col("col_bounds", "interval_yuan", ("low", "high")),
            _INTERVAL,
            Col("col_assumption", "text", ("assumption",)),
            Col("col_price_basis", "label"),
        ),
        rows={"quantity": ("ratio_observed", "bounds", "worst_case_high")},
        notes=("note_cost_bounds",),
    ),
    "cost_categories": TableSpec(
        "table_cost_categories",
        (
            Col("col_category", "label", ("category",)),
            Col("col_total_yuan", "yuan", ("total_yuan",)),
            Col("col_share", "percent", ("share",)),
            Col("col_rows", "count", ("n_rows",)),
            Col("col_n_rows_not_adding_up", "count", ("n_rows_not_adding_up",)),
        ),
        empty="note_no_cost_categories",
    ),
    "fully_loaded": TableSpec(
        "table_fully_loaded",
        (
            _YEAR,
            Col("col_cost_basis", "label", ("cost_basis",)),
            Col("col_estimate_yuan", "yuan", ("estimate",)),
            _INTERVAL,
            Col("col_n_projects", "count"),
            Col("col_price_basis", "label"),
            Col("col_note", "text", ("note",)),
        ),
        rows={"estimator": ("ratio_of_totals",)},
        sort=("level",),
        notes=("note_fully_loaded", "note_cost_interval"),
    ),
    "cost_effectiveness": TableSpec(
        "table_cost_effectiveness",
        (
            Col("col_step", "count", ("step",)),
            Col("col_walk_step", "label", ("name",)),
            Col("col_estimate", "value", ("estimate",)),
            Col("col_interval", "interval_value", ("ci_low", "ci_high")),
            Col("col_change", "share", ("change",)),
            Col("col_unit", "label", ("unit",)),
            Col("col_price_basis", "label"),
            Col("col_cost_basis", "label", ("cost_basis",)),
            Col("col_n_projects", "count"),
            Col("col_note", "text", ("note",)),
        ),
        notes=("note_cost_effectiveness", "note_cost_interval"),
    ),
    "cost_assumptions": TableSpec(
        "table_cost_assumptions",
        (
            Col("col_assumption", "label"),
            Col("col_evidence", "label"),
            Col("col_setting", "text"),
            Col("col_used", "bool"),
            Col("col_estimate_yuan", "yuan", ("estimate",)),
            _INTERVAL,
            Col("col_change", "share"),
            Col("col_source", "text"),
            Col("col_note", "text"),
        ),
        notes=("note_cost_assumptions",),
    ),
    "cost_by_size": TableSpec(
        "table_cost_by_size",
        (
            Col("col_size", "text", ("measure",)),
            Col("col_bin", "count", ("bin",)),
            Col("col_bin_range", "interval_count", ("bin_low", "bin_high")),
            Col("col_estimate_yuan", "yuan", ("estimate",)),
            _INTERVAL,
            Col("col_n_projects", "count"),
            Col("col_n_clusters", "count"),
        ),
        notes=("note_size_chosen", "note_cost_interval"),
    ),
    "scale_elasticity": TableSpec(
        "table_scale_elasticity",
        (
            Col("col_size", "text", ("size_measure",)),
            Col("col_term", "label", ("term",)),
            Col("col_estimate", "value", ("estimate",)),
            Col("col_interval", "interval_value", ("ci_low", "ci_high")),
            Col("col_unit", "label", ("unit",)),
            Col("col_n_obs", "count"),
            Col("col_n_clusters", "count"),
        ),
        notes=("note_size_chosen", "note_scale_elasticity"),
    ),
}

# The printed tables of notebook 05's table files (see publish.TABLE_FILES).
COSTING_FILES = {
    "beneficiary_basis.csv": ("beneficiary_basis",),
    "deduplication.csv": ("deduplication",),
    "cost_bounds.csv": ("cost_missing", "cost_bounds"),
    "cost_categories.csv": ("cost_categories",),
    "fully_loaded.csv": ("fully_loaded",),
    "cost_effectiveness.csv": ("cost_effectiveness",),
    "cost_assumptions.csv": ("cost_assumptions",),
    "cost_by_size.csv": ("cost_by_size",),
    "scale_elasticity.csv": ("scale_elasticity",),
}
