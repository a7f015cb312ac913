"""The contract: the canonical project table, the constants every part shares, the declared outputs.

Facts stated here and nowhere else: the raw-row bookkeeping columns (``RAW_META``), the province value of
a project spread over several provinces (``MULTIPLE``), the sectors and organization types, the first
year of the policy shift towards 三区三州 (``POLICY_YEAR``), the optional costing columns
(``BENEFICIARY_BASES``, ``COST_CATEGORIES``, ``PERIOD_COLUMNS``, ``OUTCOME_COLUMNS``), the pipeline's
notebooks and the tables a run writes (``RUN_TABLES``), the columns a table must have (:func:`require_columns`), and whether data
are the simulated demo (:func:`is_simulated`).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from analysis.errors import ParameterError, RegisterError

POLICY_YEAR = 2017  # first year of the policy shift towards 三区三州 (label key policy_2017)
# Where a raw row came from (file, spreadsheet row number) and its problem as read.
RAW_META = ("source_file", "source_row", "source_problem")
MULTIPLE = "multiple"  # province (and area) of a project spread over several provinces
SECTORS = ["industry", "education", "health", "relocation", "volunteer", "other"]
ORG_TYPES = ["foundation", "social_group", "social_service_agency", "unknown"]
# What a row's beneficiaries count (set by cleaning from the header and the value; docs/data.md).
BENEFICIARY_BASES = ["persons", "person_times", "unknown"]
# Optional columns of the canonical table (issue 17): a register may lack any of them.
COST_CATEGORIES = (
    "direct_cost_yuan",
    "admin_cost_yuan",
    "in_kind_yuan",
)  # yuan, parts of the total
PERIOD_COLUMNS = ("start_year", "end_year")  # the project's period (years, inclusive)
OUTCOME_COLUMNS = ("households_exited", "persons_exited", "enrolled", "treated", "jobs")  # counts
_STR = pd.StringDtype()


def _optional_columns() -> dict:
    """The optional columns of issue 17 (not required, so processed data of earlier versions still
    read): the beneficiary basis, cost categories (yuan), the period (years) and outcome counts."""
    columns = {
        "beneficiary_basis": pa.Column(
            pd.CategoricalDtype(BENEFICIARY_BASES), nullable=False, required=False
        )
    }
    for name in COST_CATEGORIES:
        columns[name] = pa.Column("float64", pa.Check.ge(0), nullable=True, required=False)
    for name in PERIOD_COLUMNS:
        columns[name] = pa.Column(
            "Int64", pa.Check.in_range(1900, 2100), nullable=True, coerce=True, required=False
        )
    for name in OUTCOME_COLUMNS:
        columns[name] = pa.Column(
            "Int64", pa.Check.ge(0), nullable=True, coerce=True, required=False
        )
    return columns


PROJECTS_SCHEMA = pa.DataFrameSchema(
    {
        "project_id": pa.Column(_STR, nullable=False),
        "project_name": pa.Column(_STR, nullable=True),
        "org_name": pa.Column(_STR, nullable=True),
        "org_type": pa.Column(pd.CategoricalDtype(ORG_TYPES), nullable=False),
        "year": pa.Column("int64", pa.Check.in_range(2000, 2100)),
        "province": pa.Column(_STR, nullable=False),
        "province_code": pa.Column(_STR, pa.Check.str_matches(r"^\d{2}$"), nullable=True),
        "prefecture": pa.Column(_STR, nullable=True),
        "county": pa.Column(_STR, nullable=True),
        "deep_poverty_area": pa.Column(pd.BooleanDtype(), nullable=True, coerce=True),
        # Added with the 832 counties; not required, so processed data of earlier versions still read.
        "poverty_county": pa.Column(pd.BooleanDtype(), nullable=True, coerce=True, required=False),
        "poverty_exit_year": pa.Column(
            "Int64", pa.Check.in_range(2016, 2020), nullable=True, coerce=True, required=False
        ),
        "sector": pa.Column(pd.CategoricalDtype(SECTORS), nullable=False),
        "expenditure_yuan": pa.Column("float64", pa.Check.ge(0), nullable=False),
        "beneficiaries": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "poor_households": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "joint_funded": pa.Column(bool),
        "source_file": pa.Column(_STR),
        "source_row": pa.Column("int64", pa.Check.ge(1)),
        "flags": pa.Column(_STR, nullable=True),
        "simulated": pa.Column(bool),
        "province_list": pa.Column(_STR, nullable=True, required=False),
        **_optional_columns(),
    },
    checks=[
        pa.Check(
            lambda df: (df["province"] == MULTIPLE) | df["province_code"].notna(),
            error="province_code is missing for a single-province row",
        ),
    ],
    strict=False,
    ordered=False,
)


def validate_projects(data: pd.DataFrame) -> pd.DataFrame:
    """Check a canonical project table; raise one line naming the first failing column and value."""
    try:
        return PROJECTS_SCHEMA.validate(data, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        first = cases.iloc[0]
        raise RegisterError(
            f"canonical table fails its schema: {first['check']} "
            f"({len(cases)} failure(s) in total)",
            column=str(first["column"]),
            value=first["failure_case"],
        ) from None


# The pipeline's notebooks (notebooks/<name>.ipynb); a run executes them in the stages of
# analysis.run.runner.STAGES (05 needs only the cleaned data; it runs beside 04, which two cores
# finish sooner than a third notebook beside 02 and 03).
NOTEBOOKS = (
    "01_clean",
    "02_cost_per_beneficiary",
    "03_regional_effects",
    "04_figures",
    "05_cost_effectiveness",
)
# The tables a run writes into its tables/ folder, and the notebook that writes each.
RUN_TABLES = {
    "reconciliation.csv": "01_clean",
    "cost_per_beneficiary.csv": "02_cost_per_beneficiary",
    "cost_sensitivity.csv": "02_cost_per_beneficiary",
    "regional_effects.csv": "03_regional_effects",
    "baseline_inference.csv": "03_regional_effects",
    "did_inference.csv": "03_regional_effects",
    "robustness.csv": "03_regional_effects",
    "exit_effects.csv": "03_regional_effects",
    "regression_table.html": "03_regional_effects",
    "regression_table.tex": "03_regional_effects",
    "beneficiary_basis.csv": "05_cost_effectiveness",
    "deduplication.csv": "05_cost_effectiveness",
    "cost_bounds.csv": "05_cost_effectiveness",
    "fully_loaded.csv": "05_cost_effectiveness",
    "cost_effectiveness.csv": "05_cost_effectiveness",
    "cost_assumptions.csv": "05_cost_effectiveness",
    "cost_categories.csv": "05_cost_effectiveness",
    "cost_by_size.csv": "05_cost_effectiveness",
    "scale_elasticity.csv": "05_cost_effectiveness",
}


def require_columns(data, columns, what: str = "data") -> None:
    """Refuse anything but a DataFrame holding every one of ``columns``, in one line naming the missing
    ones (the one check of the estimators, tables and figures)."""
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"{what} must be a pandas DataFrame")
    missing = [c for c in dict.fromkeys(columns) if c not in data.columns]
    if missing:
        raise ParameterError(f"{what} lacks column(s) {sorted(missing)}")


def is_simulated(data: pd.DataFrame) -> bool:
    """Whether any row of a cleaned table comes from the simulated demo register (its ``simulated``
    column, set from the register's own note, not from a file name)."""
    return "simulated" in data.columns and bool(data["simulated"].fillna(False).any())
