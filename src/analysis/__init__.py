"""analysis: clean registers of poverty-alleviation projects by China's national social organizations,
estimate cost per beneficiary and regional effects, and render figures for policy papers.

The public functions are listed in ``__all__``; they are imported on first use, so importing the package
does nothing else (no plotting library, no file access).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "read_registers": "analysis.registers.read",
    "read_aliases": "analysis.registers.read",
    "read_overhead": "analysis.registers.overhead",
    "read_projects": "analysis.outputs",
    "write_clean_outputs": "analysis.outputs",
    "write_table": "analysis.outputs",
    "write_text": "analysis.outputs",
    "read_table": "analysis.outputs",
    "resolve_path": "analysis.paths",
    "save_figure": "analysis.outputs",
    "clean_registers": "analysis.registers.cleaning",
    "inspect_register": "analysis.registers.inspection",
    "cleaning_summary": "analysis.present.summaries",
    "reconcile_published": "analysis.present.summaries",
    "simulated_notice": "analysis.present.summaries",
    "estimate_cost_per_beneficiary": "analysis.estimate.costs",
    "cost_tables": "analysis.estimate.costs",
    "cost_sensitivity": "analysis.estimate.sensitivity",
    "beneficiary_basis_summary": "analysis.estimate.beneficiaries",
    "deduplication_sensitivity": "analysis.estimate.beneficiaries",
    "missing_beneficiary_bounds": "analysis.estimate.bounds",
    "cost_categories": "analysis.estimate.loading",
    "load_overhead": "analysis.estimate.loading",
    "usable_overhead": "analysis.estimate.loading",
    "fully_loaded_costs": "analysis.estimate.loading",
    "spread_over_years": "analysis.estimate.timing",
    "present_value": "analysis.estimate.timing",
    "cash_benchmark": "analysis.estimate.cash",
    "cost_effectiveness": "analysis.estimate.effectiveness",
    "walk_assumptions": "analysis.estimate.effectiveness",
    "cost_by_size": "analysis.estimate.scale",
    "fit_scale_elasticity": "analysis.estimate.scale",
    "published_benchmarks": "analysis.present.summaries",
    "allocate_multi_province": "analysis.estimate.allocation",
    "fit_baseline": "analysis.estimate.regional",
    "fit_baseline_unknown_bounds": "analysis.estimate.regional",
    "fit_spending_shift": "analysis.estimate.shift",
    "fit_exit_event_study": "analysis.estimate.staggered",
    "fit_exit_twfe": "analysis.estimate.staggered",
    "fit_poverty_county_contrast": "analysis.estimate.staggered",
    "exit_cohort_weights": "analysis.estimate.staggered",
    "regional_effects": "analysis.estimate.regional",
    "fit_province_effects": "analysis.estimate.provinces",
    "fit_heterogeneity": "analysis.estimate.provinces",
    "baseline_inference": "analysis.estimate.inference",
    "spending_shift_inference": "analysis.estimate.inference",
    "baseline_robustness": "analysis.estimate.robustness",
    "shift_robustness": "analysis.estimate.robustness",
    "robustness_text": "analysis.present.readings",
    "province_text": "analysis.present.readings",
    "exit_text": "analysis.present.readings",
    "regression_table": "analysis.present.tables",
    "regression_gt": "analysis.present.tables",
    "publication_table": "analysis.present.publish",
    "table_html": "analysis.present.publish",
    "table_latex": "analysis.present.publish",
    "house_style": "analysis.present.style",
    "plot_cost_by_sector": "analysis.present.figures",
    "plot_spending_by_region": "analysis.present.figures",
    "plot_regional_coefficients": "analysis.present.figures",
    "plot_event_study": "analysis.present.figures",
    "plot_province_caterpillar": "analysis.present.figures",
    "plot_tile_map": "analysis.present.maps",
    "plot_cost_distribution": "analysis.present.distributions",
    "plot_sensitivity_tornado": "analysis.present.figures",
    "figure_texts": "analysis.present.drawing",
    "standard_figures": "analysis.present.figures",
    "figure_caption": "analysis.present.catalogue",
    "figure_catalogue": "analysis.present.catalogue",
    "figure_alt": "analysis.present.catalogue",
    "headline_numbers": "analysis.present.headlines",
    "save_standard_figures": "analysis.run.reporting",
    "show_figures": "analysis.run.reporting",
    "load_reference": "analysis.reference",
    "is_simulated": "analysis.schema",
    "run_notebooks": "analysis.run.runner",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
