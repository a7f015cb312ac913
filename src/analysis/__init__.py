"""analysis: clean registers of poverty-alleviation projects by China's national social organizations,
estimate cost per beneficiary and regional effects, and render figures for policy papers.

The public functions are listed in ``__all__``; they are imported on first use, so importing the package
does nothing else (no plotting library, no file access).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "read_registers": "analysis.io",
    "read_aliases": "analysis.io",
    "read_projects": "analysis.io",
    "write_clean_outputs": "analysis.io",
    "write_table": "analysis.io",
    "write_text": "analysis.io",
    "read_table": "analysis.io",
    "resolve_path": "analysis.io",
    "save_figure": "analysis.io",
    "clean_registers": "analysis.cleaning",
    "inspect_register": "analysis.inspection",
    "cleaning_summary": "analysis.summary",
    "reconcile_published": "analysis.summary",
    "simulated_notice": "analysis.summary",
    "estimate_cost_per_beneficiary": "analysis.costs",
    "cost_tables": "analysis.costs",
    "cost_sensitivity": "analysis.costs",
    "published_benchmarks": "analysis.costs",
    "allocate_multi_province": "analysis.allocation",
    "fit_baseline": "analysis.regional",
    "fit_baseline_unknown_bounds": "analysis.regional",
    "fit_spending_shift": "analysis.regional",
    "regional_effects": "analysis.regional",
    "fit_province_effects": "analysis.regional",
    "fit_heterogeneity": "analysis.regional",
    "baseline_inference": "analysis.regional",
    "spending_shift_inference": "analysis.regional",
    "regression_table": "analysis.regional",
    "house_style": "analysis.style",
    "plot_cost_by_sector": "analysis.figures",
    "plot_spending_by_region": "analysis.figures",
    "plot_regional_coefficients": "analysis.figures",
    "plot_event_study": "analysis.figures",
    "plot_province_caterpillar": "analysis.figures",
    "plot_tile_map": "analysis.figures",
    "plot_sensitivity_tornado": "analysis.figures",
    "figure_texts": "analysis.figures",
    "standard_figures": "analysis.figures",
    "load_reference": "analysis.reference",
    "run_notebooks": "analysis.runner",
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
