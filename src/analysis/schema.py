"""The canonical project table as a pandera schema, checked on every write and read.

Chosen over hand-written checks: pandera reports every failing column, check and row at once and is
the schema library the pandas community maintains. The columns are those of ../shared/DESIGN.md plus
``flags`` (cleaning flags, ';'-separated) and ``simulated`` (the row comes from the simulated demo).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from analysis.errors import RegisterError

__all__ = ["PROJECTS_SCHEMA", "validate_projects"]

_STR = pd.StringDtype()
SECTORS = ["industry", "education", "health", "relocation", "volunteer", "other"]
ORG_TYPES = ["foundation", "social_group", "social_service_agency", "unknown"]

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
    },
    checks=[
        pa.Check(
            lambda df: (df["province"] == "multiple") | df["province_code"].notna(),
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
