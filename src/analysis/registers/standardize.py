"""From raw text columns to canonical columns: headers mapped, amounts to yuan, counts to persons and
households, years, sectors and organization types, places resolved; one column per problem found.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from analysis.errors import RegisterError
from analysis.registers.optional import add_optional_columns, beneficiary_basis
from analysis.registers.parsing import (
    parse_amount,
    parse_bool,
    parse_count,
    parse_year,
    year_ranges,
)
from analysis.registers.places import poverty_status, resolve_places
from analysis.registers.rows import EXCEL_ERROR, SIMULATED_MARK, row_marks
from analysis.registers.text import (
    blank_array,
    by_unique,
    dictionary_codes,
    normalize_text,
    strings_from_codes,
    text_array,
    tidy_array,
)
from analysis.registers.vocabulary import (
    REQUIRED_COLUMNS,
    header_basis,
    map_headers,
    map_org_type,
    map_sector,
)
from analysis.schema import RAW_META


class RawColumns:
    """The raw columns of one file under their canonical names (a blank text column for one the file
    lacks) and the unit each header names."""

    def __init__(self, raw: pd.DataFrame, hmap) -> None:
        self.raw = raw
        self.hmap = hmap
        self.raw_of = {canon: header for header, canon in hmap.columns.items()}
        self.blank = pd.Series(pd.array([""] * len(raw), dtype="string"), index=raw.index)

    def __call__(self, name: str) -> pd.Series:
        """The raw text column mapped to canonical ``name``, or a blank one."""
        header = self.raw_of.get(name)
        return self.raw[header] if header is not None else self.blank

    def unit(self, name: str, default: float) -> float:
        """The multiplier of the unit in the header of ``name`` (yuan or persons per unit written)."""
        header = self.raw_of.get(name)
        return self.hmap.units.get(header, (None, default))[1] if header else default


def standardize(raw: pd.DataFrame, extra_aliases, max_year: int) -> tuple[pd.DataFrame, dict]:
    """One file's raw rows -> parsed canonical columns plus problem columns.

    Every column is worked on whole: pyarrow kernels for trimming and blank tests, Python parsing once
    per distinct value (see :mod:`analysis.registers.parsing`).
    """
    source = str(raw["source_file"].iloc[0]) if len(raw) else "<empty>"
    data_cols = [c for c in raw.columns if c not in RAW_META]
    hmap = map_headers(data_cols, extra_aliases=extra_aliases)
    missing = hmap.missing(REQUIRED_COLUMNS)
    if missing:
        raise RegisterError(
            f"required column(s) {', '.join(missing)} not found; headers seen: "
            f"{', '.join(map(str, data_cols)) or '(none)'}",
            file=source,
        )
    col = RawColumns(raw, hmap)
    out = pd.DataFrame(index=raw.index)
    out["source_file"] = raw["source_file"].astype("string")
    out["source_row"] = raw["source_row"].astype("int64")
    out["_malformed"] = (
        raw["source_problem"].fillna("").ne("").to_numpy(dtype=bool)
        if "source_problem" in raw
        else np.zeros(len(raw), dtype=bool)
    )
    pid = tidy_array(text_array(col("project_id")))
    pid_blank = blank_array(pid)
    out["_empty"] = _empty_rows(raw, data_cols, col.raw_of.get("project_id"), pid_blank)
    out["_total"], out["_footer"] = row_marks(raw, data_cols)
    required_error, error_column, optional_error = _excel_errors(raw, hmap)
    out["_excel_error"], out["_excel_error_column"] = required_error, error_column
    out["_excel_error_optional"] = optional_error
    _add_amounts(out, col)
    _add_years(out, col, max_year)
    add_optional_columns(out, col)
    _add_places(out, col)
    _add_sector_and_org_type(out, col)
    _add_names_and_marks(out, col, pid, pid_blank)
    info = {
        "file": source,
        "encoding": raw.attrs.get("encoding", ""),
        "columns": {str(k): v for k, v in hmap.columns.items()},
        "units": {str(k): v[0] for k, v in hmap.units.items()},
        "ignored_headers": hmap.ignored,
        "duplicate_headers": hmap.duplicates,
        "raw_of": col.raw_of,
    }
    return out, info


def _empty_rows(raw: pd.DataFrame, data_cols, pid_header, pid_blank: np.ndarray) -> np.ndarray:
    """Rows with nothing in any mapped or unmapped data column. Each column is tested only on the rows
    still blank in every column before it (after the first filled column, very few)."""
    n = len(raw)
    candidates = np.flatnonzero(pid_blank)
    for c in data_cols:
        if not len(candidates) or c == pid_header:
            continue
        column = raw[c] if len(candidates) == n else raw[c].iloc[candidates]
        candidates = candidates[blank_array(column)]
    empty = np.zeros(n, dtype=bool)
    empty[candidates] = True
    return empty


def _excel_errors(raw: pd.DataFrame, hmap) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Excel error cells (#DIV/0!, #N/A ...) in mapped columns: (rows with one in a required column,
    the first such canonical column per row or '', rows with one in an optional column)."""
    n = len(raw)
    required_error = np.zeros(n, dtype=bool)
    optional_error = np.zeros(n, dtype=bool)
    error_column = np.full(n, "", dtype=object)
    for header, canon in hmap.columns.items():
        hit = _error_cells(raw[header])
        if canon in REQUIRED_COLUMNS:
            error_column[hit & ~required_error] = canon
            required_error |= hit
        else:
            optional_error |= hit
    return required_error, error_column, optional_error


def _error_cells(values: pd.Series) -> np.ndarray:
    """Per row: is the cell an Excel error (EXCEL_ERROR once trimmed)? Only distinct values holding a
    '#' are looked at one by one."""
    codes, distinct = dictionary_codes(text_array(values))
    hits = np.zeros(len(distinct), dtype=bool)
    if len(distinct):
        maybe = np.flatnonzero(pc.match_substring(distinct, "#").to_numpy(zero_copy_only=False))
        for i in maybe:
            hits[i] = bool(EXCEL_ERROR.match(str(distinct[int(i)].as_py()).strip()))
    return hits[codes]


def _add_amounts(out: pd.DataFrame, col: RawColumns) -> None:
    """In place: expenditure in yuan, beneficiaries in persons (or person-times) with what they count
    (``beneficiary_basis``) and registered poor households, each with its problem and approximation
    marks."""
    exp = parse_amount(col("expenditure"), default_unit_multiplier=col.unit("expenditure", 1.0))
    out["expenditure_yuan"] = exp["value"]
    out["_exp_problem"] = exp["problem"]
    out["_exp_approx"] = exp["approximate"]

    ben_header = col.raw_of.get("beneficiaries")
    ben = parse_count(col("beneficiaries"), default_unit_multiplier=col.unit("beneficiaries", 1.0))
    out["beneficiaries"] = ben["value"].round()
    out["_ben_problem"] = ben["problem"]
    out["_person_times"] = ben["person_times"] | (header_basis(ben_header) == "person_times")
    out["beneficiary_basis"] = beneficiary_basis(
        ben_header, out["_person_times"].to_numpy(dtype=bool), col("beneficiaries")
    )
    out["_ben_approx"] = ben["approximate"]

    hh = parse_count(
        col("poor_households"), default_unit_multiplier=col.unit("poor_households", 1.0)
    )
    out["poor_households"] = hh["value"].round()
    out["_hh_problem"] = hh["problem"]


def _add_years(out: pd.DataFrame, col: RawColumns, max_year: int) -> None:
    """In place: the year, whether the cell named several, and whether it falls outside
    2000..max_year."""
    out["year"] = parse_year(col("year"))
    out["_year_range"] = year_ranges(col("year"))
    out["_year_out"] = out["year"].notna() & ((out["year"] < 2000) | (out["year"] > max_year))


def _add_places(out: pd.DataFrame, col: RawColumns) -> None:
    """In place: the resolved place columns and the 832-county status of the county."""
    places = resolve_places(col("province"), col("prefecture"), col("county"))
    for name in places.columns:  # same index: assigned as arrays, no alignment needed
        out[name] = places[name].array
    poverty = poverty_status(places["county_code"])
    for name in poverty.columns:
        out[name] = poverty[name].array


def _add_sector_and_org_type(out: pd.DataFrame, col: RawColumns) -> None:
    """In place: sector and organization type with their problems; the type as written, or when blank,
    the type read from the name (基金会 in 中国扶贫基金会)."""
    sector = map_sector(col("sector"))
    out["sector"] = sector["value"]
    out["_sector_problem"] = sector["problem"]
    org_type = map_org_type(col("org_type"))
    from_name = map_org_type(col("org_name"))
    use_name = (org_type["problem"] == "missing").to_numpy() & (
        from_name["problem"] == ""
    ).to_numpy()
    value, problem = org_type["value"].array, org_type["problem"].array
    out["org_type"] = pd.Categorical.from_codes(
        np.where(use_name, from_name["value"].array.codes, value.codes), value.categories
    )
    out["_org_type_problem"] = pd.Categorical.from_codes(
        np.where(use_name, problem.categories.get_loc(""), problem.codes), problem.categories
    )


def _add_names_and_marks(out: pd.DataFrame, col: RawColumns, pid, pid_blank: np.ndarray) -> None:
    """In place: organization and project names, the project id as given, the central-support
    (joint-funded) yes/no and the simulated-data mark."""
    codes, distinct = dictionary_codes(
        col("org_name")
    )  # few organizations, many rows: tidy each once
    out["org_name"] = strings_from_codes(tidy_array(distinct), codes)
    out["project_name"] = pd.array(tidy_array(text_array(col("project_name"))), dtype="string")
    out["_pid_given"] = ~pid_blank
    out["project_id"] = pd.array(pid, dtype="string")
    jf = parse_bool(col("joint_funded"))
    out["joint_funded"] = jf.fillna(False).astype(bool)
    jf_blank = blank_array(text_array(col("joint_funded")))
    out["_jf_unreadable"] = jf.isna().to_numpy() & ~jf_blank
    codes, simulated = by_unique(
        col("data_note"), lambda v: bool(SIMULATED_MARK.search(normalize_text(v)))
    )
    out["simulated"] = np.array(simulated, dtype=bool)[codes]
