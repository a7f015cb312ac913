"""The optional columns of the canonical table (issue 17): what the beneficiaries count, cost
categories, the project period and outcome counts; parsed from a register that has them, and the flags
of their problems.

A register may lack any of them (the column is then missing, NaN, in every row). A value that cannot be
read never drops its row: it becomes missing and the row gets a flag naming the column
(``<column>_unreadable``). Blanks are missing without a flag. docs/data.md states the rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.registers.parsing import count_unit_kinds, parse_amount, parse_count, parse_period
from analysis.registers.vocabulary import header_basis
from analysis.schema import BENEFICIARY_BASES, COST_CATEGORIES, OUTCOME_COLUMNS, PERIOD_COLUMNS

# Register column (canonical header name) -> canonical table column.
AMOUNT_COLUMNS = dict(zip(("direct_cost", "admin_cost", "in_kind"), COST_CATEGORIES, strict=True))
COUNT_COLUMNS = {name: name for name in OUTCOME_COLUMNS}
# Relative tolerance of the cost categories' sum against the expenditure (flag cost_categories_mismatch).
CATEGORY_TOLERANCE = 0.01


# The flags of this module, in the order they are added to the kept rows' flags.
OPTIONAL_FLAGS = {
    **{
        f"{column}_unreadable": f"{column} cannot be read as an amount in yuan, or is negative: "
        "left missing"
        for column in COST_CATEGORIES
    },
    "start_year_unreadable": "start year cannot be read as a year (or names several): left missing",
    "end_year_unreadable": "end year cannot be read as a year (or names several): left missing",
    "period_unreadable": "the project period (项目周期) cannot be read as a year or two: left missing",
    **{
        f"{column}_unreadable": f"{column} cannot be read as a count, or is negative: left missing"
        for column in OUTCOME_COLUMNS
    },
    "period_inconsistent": (
        "the end year is before the start year, the row's year is outside the period, or the start "
        "or end column disagrees with the period column (values kept as written)"
    ),
    "cost_categories_mismatch": (
        "direct + administrative + in-kind cost differ from the expenditure by more than 1% (all "
        "three given), or the given ones add up to more than 101% of it"
    ),
    "optional_approximate": "a cost category or outcome count written with 约/以上 or similar",
}


def beneficiary_basis(header, person_times: np.ndarray, values: pd.Series) -> pd.Categorical:
    """Per row (categories BENEFICIARY_BASES): 'person_times' when the header or the value says 人次
    (``person_times``, as the flag); else 'persons' when the header says persons (受益人数, 受益人口, a
    unit 人) or the value carries a persons unit (12人, 3万人); else 'unknown'."""
    persons, times = BENEFICIARY_BASES.index("persons"), BENEFICIARY_BASES.index("person_times")
    from_header = header_basis(header) if header else "unknown"
    codes = np.full(len(values), BENEFICIARY_BASES.index(from_header), dtype=np.int8)
    if from_header == "unknown":
        codes[count_unit_kinds(values) == "persons"] = persons
    codes[np.asarray(person_times, dtype=bool)] = times
    return pd.Categorical.from_codes(codes, BENEFICIARY_BASES)


def _unreadable(parsed: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(the parsed values with negatives set missing, rows whose value is unreadable or negative). A
    value is missing exactly when its problem is not '', so only those rows' problems are looked at."""
    values = parsed["value"].to_numpy(dtype=float)
    missing = np.flatnonzero(np.isnan(values))
    bad = values < 0
    if len(missing):
        problem = parsed["problem"].to_numpy(dtype=object)[missing]
        bad[missing] = problem != "missing"
    return np.where(bad, np.nan, values), bad


def _blank(n: int) -> tuple[np.ndarray, np.ndarray]:
    """A column the register lacks: every value missing, none unreadable."""
    return np.full(n, np.nan), np.zeros(n, dtype=bool)


def add_optional_columns(out: pd.DataFrame, col) -> None:
    """In place: cost categories (yuan), outcome counts and the period, each with its problem column
    (``_bad_<name>``), the approximation mark and the period's consistency. ``col`` gives a raw
    column by canonical header name (blank when the register lacks it), the unit of its header and
    ``raw_of`` (the register's header of each canonical name); ``out`` already holds the year."""
    approx = np.zeros(len(out), dtype=bool)
    for parse, columns in ((parse_amount, AMOUNT_COLUMNS), (parse_count, COUNT_COLUMNS)):
        for raw_name, column in columns.items():
            if raw_name not in col.raw_of:  # not in this register: nothing to parse
                out[column], out[f"_bad_{column}"] = _blank(len(out))
                continue
            parsed = parse(col(raw_name), default_unit_multiplier=col.unit(raw_name, 1.0))
            values, out[f"_bad_{column}"] = _unreadable(parsed)
            out[column] = values if parse is parse_amount else np.round(values)
            approx |= parsed["approximate"].to_numpy(dtype=bool)
    out["_optional_approx"] = approx
    _add_period(out, col)


def _period_of(col, name: str) -> pd.DataFrame:
    """:func:`parse_period` of the raw column ``name``; all missing when the register lacks it."""
    if name in col.raw_of:
        return parse_period(col(name))
    n = len(col("period"))
    return pd.DataFrame({"start": np.full(n, np.nan), "end": np.full(n, np.nan), "problem": ""})


def _one_year(parsed: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """A start or end column: (the year, rows that are unreadable or name two different years)."""
    two = (parsed["start"] != parsed["end"]).to_numpy() & parsed["start"].notna().to_numpy()
    bad = parsed["problem"].to_numpy(dtype=object) == "unparseable"
    year = np.where(two, np.nan, parsed["start"].to_numpy(dtype=float))
    return year, bad | two


def _add_period(out: pd.DataFrame, col) -> None:
    """In place: ``start_year`` and ``end_year`` from their own columns, else from one period column
    (项目周期 "2017-2019"); the problem columns and ``_period_inconsistent``."""
    start, out["_bad_start_year"] = _one_year(_period_of(col, "start_year"))
    end, out["_bad_end_year"] = _one_year(_period_of(col, "end_year"))
    period = _period_of(col, "period")
    out["_bad_period"] = period["problem"].to_numpy(dtype=object) == "unparseable"
    p_start, p_end = period["start"].to_numpy(float), period["end"].to_numpy(float)
    disagree = (~np.isnan(start) & ~np.isnan(p_start) & (start != p_start)) | (
        ~np.isnan(end) & ~np.isnan(p_end) & (end != p_end)
    )
    start, end = np.where(np.isnan(start), p_start, start), np.where(np.isnan(end), p_end, end)
    year = out["year"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        inconsistent = (end < start) | (year < start) | (year > end)
    for name, years in zip(PERIOD_COLUMNS, (start, end), strict=True):  # whole years: Int64
        missing = np.isnan(years)
        out[name] = pd.arrays.IntegerArray(np.where(missing, 0, years).astype(np.int64), missing)
    out["_period_inconsistent"] = inconsistent | disagree


def _category_mismatch(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose cost categories do not add up to the expenditure (see ``cost_categories_mismatch``)."""
    parts = frame[list(COST_CATEGORIES)].to_numpy(dtype=float)
    given = ~np.isnan(parts)
    total = np.nansum(parts, axis=1)
    expenditure = frame["expenditure_yuan"].to_numpy(dtype=float)
    tol = CATEGORY_TOLERANCE * np.abs(expenditure) + 1e-6
    with np.errstate(invalid="ignore"):
        off_all = given.all(axis=1) & (np.abs(total - expenditure) > tol)
        over = given.any(axis=1) & (total > expenditure + tol)
    return off_all | over


def optional_flag_masks(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each flag of OPTIONAL_FLAGS -> its mask over all rows."""
    masks = {
        f"{c}_unreadable": frame[f"_bad_{c}"].to_numpy(dtype=bool)
        for c in (*COST_CATEGORIES, "start_year", "end_year", "period", *OUTCOME_COLUMNS)
    }
    masks["period_inconsistent"] = frame["_period_inconsistent"].to_numpy(dtype=bool)
    masks["cost_categories_mismatch"] = _category_mismatch(frame)
    masks["optional_approximate"] = frame["_optional_approx"].to_numpy(dtype=bool)
    return {name: masks[name] for name in OPTIONAL_FLAGS}


def optional_counts(data: pd.DataFrame, flag_counts: dict) -> dict:
    """For the cleaning report: per optional column of the kept rows, how many hold a value and how
    many were unreadable (left missing and flagged); and the rows by beneficiary basis."""
    columns = {}
    for c in (*COST_CATEGORIES, *PERIOD_COLUMNS, *OUTCOME_COLUMNS):
        given = int(data[c].notna().sum()) if c in data and len(data) else 0
        columns[c] = {"given": given, "unreadable": int(flag_counts.get(f"{c}_unreadable", 0))}
    basis = data["beneficiary_basis"] if "beneficiary_basis" in data and len(data) else None
    counts = basis.value_counts().to_dict() if basis is not None else {}
    return {
        "optional_columns": columns,
        "beneficiary_basis": {k: int(counts.get(k, 0)) for k in BENEFICIARY_BASES},
    }
