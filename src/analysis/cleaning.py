"""Cleaning: raw register rows -> the canonical project table, with every raw row accounted for.

``clean_registers`` takes raw frames as read by :func:`analysis.io.read_register` (text cells, original
headers, plus ``source_file`` and ``source_row``) and returns a :class:`CleanResult` with the canonical
table (docs/data.md), the rejected rows with a reason code each, and a report whose counts add up:
``rows_in == rows_clean + rows_rejected`` is checked on every call.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.errors import RegisterError
from analysis.io import RAW_META
from analysis.parsing import (
    _blank_array,
    _encode,
    _strings,
    _text_array,
    _tidy_array,
    by_unique,
    normalize_text,
    parse_amount,
    parse_bool,
    parse_count,
    parse_year,
    year_ranges,
)
from analysis.places import MULTIPLE, poverty_status, resolve_places
from analysis.schema import PROJECTS_SCHEMA
from analysis.vocabulary import REQUIRED_COLUMNS, map_headers, map_org_type, map_sector

__all__ = ["REJECT_REASONS", "FLAGS", "CleanResult", "clean_registers"]

# Reason codes for rejected rows, in the order they are checked (a row gets the first that applies).
REJECT_REASONS = {
    "malformed_row": "the row has more fields than the header (a broken line in the file)",
    "empty_row": "the row has no values at all",
    "excel_error": "a required value is an Excel error (#DIV/0!, #N/A, #VALUE! ...): a formula failed",
    "total_row": "a totals row (合计, 小计, 总计, Total): counting it would count its projects twice",
    "footer_row": "a footer below the table (填报人, 审核人, 填报日期, 注:) with no amount",
    "expenditure_missing": "expenditure is blank",
    "expenditure_unparseable": "expenditure cannot be read as an amount",
    "expenditure_ambiguous": (
        "expenditure written with separators that read two ways (1.000,50 or 12,34): not guessed"
    ),
    "expenditure_negative": "expenditure is negative",
    "year_missing": "year is blank or cannot be read as a year",
    "year_out_of_range": "year is before 2000 or after the current year",
    "province_missing": "province is blank",
    "province_unresolved": "province cannot be resolved to a province of mainland China",
    "duplicate": (
        "every substantive field (organization, name, year, province, prefecture, county, amount, "
        "beneficiaries, households) equals an earlier row's and the project ids do not differ"
    ),
}
# Flags on kept rows (the ``flags`` column, separated by ';').
FLAGS = {
    "beneficiaries_missing": "beneficiaries blank or unreadable",
    "households_missing": "registered poor households blank or unreadable",
    "person_times": "beneficiaries counted as person-times (受益人次), not persons",
    "amount_approximate": "amount written with 约/近/以上 or similar",
    "cpb_high": "cost per beneficiary above the high threshold",
    "cpb_low": "cost per beneficiary below the low threshold",
    "beneficiaries_lt_households": "fewer beneficiaries than registered poor households",
    "sector_unknown": "sector wording not in the vocabulary (mapped to other)",
    "org_type_unknown": "organization type not recognised (unknown)",
    "joint_funded_unreadable": "central-support value not read as yes or no (counted as no)",
    "deep_poverty_area_unknown": (
        "三区三州 status unknown: the place does not decide it (a partly covered province without a "
        "prefecture or county that settles it, an unresolved prefecture there, or several provinces)"
    ),
    "excel_error": "an optional value is an Excel error (#N/A ...): read as missing",
    "year_range": "the year cell names several years (2018/2019, 2018-2019年); the first is kept",
    "possible_duplicate": (
        "kept, but shares organization, name, year and amount (or project id and year) with another "
        "kept row that differs elsewhere: check whether it is the same project"
    ),
}
# The fields that make two rows the same project when no project id tells them apart.
SUBSTANTIVE = (
    "org_name",
    "project_name",
    "year",
    "province",
    "prefecture",
    "county",
    "_amount",
    "beneficiaries",
    "poor_households",
)
_CANONICAL = list(PROJECTS_SCHEMA.columns)  # the canonical table's columns, in order


@dataclass
class CleanResult:
    """The canonical table, the rejected rows and the cleaning report (a JSON-ready dict)."""

    data: pd.DataFrame
    rejected: pd.DataFrame
    report: dict = field(default_factory=dict)


def _standardize(raw: pd.DataFrame, extra_aliases, max_year: int) -> tuple[pd.DataFrame, dict]:
    """One file's raw rows -> parsed canonical columns plus problem columns.

    Every column is worked on whole: pyarrow kernels for trimming and blank tests, Python parsing once
    per distinct value (see :mod:`analysis.parsing`).
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
    raw_of = {canon: header for header, canon in hmap.columns.items()}
    n = len(raw)
    blank_column = pd.Series(pd.array([""] * n, dtype="string"), index=raw.index)

    def col(name) -> pd.Series:
        header = raw_of.get(name)
        return raw[header] if header is not None else blank_column

    def unit(name, default):
        header = raw_of.get(name)
        return hmap.units.get(header, (None, default))[1] if header else default

    out = pd.DataFrame(index=raw.index)
    out["source_file"] = raw["source_file"].astype("string")
    out["source_row"] = raw["source_row"].astype("int64")
    out["_malformed"] = (
        raw["source_problem"].fillna("").ne("").to_numpy(dtype=bool)
        if "source_problem" in raw
        else np.zeros(n, dtype=bool)
    )
    pid = _tidy_array(_text_array(col("project_id")))
    pid_blank = _blank_array(pid)
    # A row with nothing in any mapped or unmapped data column: each column is tested only on the
    # rows still blank in every column before it (after the first filled column, very few).
    candidates = np.flatnonzero(pid_blank)
    for c in data_cols:
        if not len(candidates) or c == raw_of.get("project_id"):
            continue
        column = raw[c] if len(candidates) == n else raw[c].iloc[candidates]
        candidates = candidates[_blank_array(column)]
    empty = np.zeros(n, dtype=bool)
    empty[candidates] = True
    out["_empty"] = empty
    out["_total"], out["_footer"] = _row_marks(raw, data_cols)
    required_error = np.zeros(n, dtype=bool)
    optional_error = np.zeros(n, dtype=bool)
    error_column = np.full(n, "", dtype=object)
    for header, canon in hmap.columns.items():
        codes, hits = by_unique(raw[header], lambda v: bool(_EXCEL_ERROR.match(str(v).strip())))
        hit = np.array(hits, dtype=bool)[codes] if len(codes) else np.zeros(n, dtype=bool)
        if canon in REQUIRED_COLUMNS:
            error_column[hit & ~required_error] = canon
            required_error |= hit
        else:
            optional_error |= hit
    out["_excel_error"], out["_excel_error_column"] = required_error, error_column
    out["_excel_error_optional"] = optional_error

    exp = parse_amount(col("expenditure"), default_unit_multiplier=unit("expenditure", 1.0))
    out["expenditure_yuan"] = exp["value"]
    out["_exp_problem"] = exp["problem"]
    out["_exp_approx"] = exp["approximate"]

    ben_header = str(raw_of.get("beneficiaries", ""))
    ben = parse_count(col("beneficiaries"), default_unit_multiplier=unit("beneficiaries", 1.0))
    out["beneficiaries"] = ben["value"].round()
    out["_ben_problem"] = ben["problem"]
    out["_person_times"] = ben["person_times"] | (
        "人次" in ben_header or "person-times" in ben_header.lower()
    )
    out["_ben_approx"] = ben["approximate"]

    hh = parse_count(col("poor_households"), default_unit_multiplier=unit("poor_households", 1.0))
    out["poor_households"] = hh["value"].round()
    out["_hh_problem"] = hh["problem"]

    out["year"] = parse_year(col("year"))
    out["_year_range"] = year_ranges(col("year"))
    out["_year_out"] = out["year"].notna() & ((out["year"] < 2000) | (out["year"] > max_year))

    places = resolve_places(col("province"), col("prefecture"), col("county"))
    for name in places.columns:  # same index: assigned as arrays, no alignment needed
        out[name] = places[name].array
    poverty = poverty_status(places["county_code"])
    for name in poverty.columns:
        out[name] = poverty[name].array

    sector = map_sector(col("sector"))
    out["sector"] = sector["value"]
    out["_sector_problem"] = sector["problem"]
    # The type as written; when blank, the type read from the name (基金会 in 中国扶贫基金会).
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

    codes, distinct = _encode(col("org_name"))  # few organizations, many rows: tidy each once
    out["org_name"] = _strings(_tidy_array(distinct), codes)
    out["project_name"] = pd.array(_tidy_array(_text_array(col("project_name"))), dtype="string")
    out["_pid_given"] = ~pid_blank
    out["project_id"] = pd.array(pid, dtype="string")
    jf = parse_bool(col("joint_funded"))
    out["joint_funded"] = jf.fillna(False).astype(bool)
    jf_blank = _blank_array(_text_array(col("joint_funded")))
    out["_jf_unreadable"] = jf.isna().to_numpy() & ~jf_blank
    codes, simulated = by_unique(
        col("data_note"), lambda v: bool(_SIMULATED.search(normalize_text(v)))
    )
    out["simulated"] = np.array(simulated, dtype=bool)[codes]

    info = {
        "file": source,
        "encoding": raw.attrs.get("encoding", ""),
        "columns": {str(k): v for k, v in hmap.columns.items()},
        "units": {str(k): v[0] for k, v in hmap.units.items()},
        "ignored_headers": hmap.ignored,
        "duplicate_headers": hmap.duplicates,
        "raw_of": raw_of,
    }
    return out, info


_SIMULATED = re.compile("模拟|simulated")
_EXCEL_ERROR = re.compile(
    r"^#(DIV/0!|N/A|VALUE!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA)$"
)
_TOTAL_WORDS = frozenset(
    "合计 小计 总计 共计 累计 总合计 合计数 total subtotal grandtotal sum totals".split()
)
_FOOTER = re.compile(
    r"^(填报人|填表人|审核人|审核|负责人|单位负责人|制表人|制表|填报日期|填表日期|制表日期|填报单位|注[:：]|说明[:：]|"
    r"备注[:：]|数据来源|prepared by|reviewed by|note[s]?[:：])"
)


def _is_total(text: str) -> bool:
    key = re.sub(r"[\s:：()（）\[\]]+", "", normalize_text(text))
    return key in _TOTAL_WORDS


def _is_footer(text: str) -> bool:
    return bool(_FOOTER.match(normalize_text(text)))


def _row_marks(raw: pd.DataFrame, columns: list) -> tuple[np.ndarray, np.ndarray]:
    """Rows holding a totals word in any cell, and rows holding a footer phrase, by column (each
    column's distinct values are tested once)."""
    total = np.zeros(len(raw), dtype=bool)
    footer = np.zeros(len(raw), dtype=bool)
    for c in columns:
        codes, marks = by_unique(raw[c], lambda v: (_is_total(v), _is_footer(v)))
        if len(codes):
            kinds = np.array(marks, dtype=bool).reshape(-1, 2)
            total |= kinds[codes, 0]
            footer |= kinds[codes, 1]
    return total, footer


def _duplicated(frame: pd.DataFrame, columns, rows: np.ndarray) -> np.ndarray:
    """Among ``rows`` (a mask), which repeat an earlier row's values in ``columns``. Each column is
    factorized whole and the codes combined (:func:`_group_key`), so no strings are copied. Missing
    values (None, NaN, NA) are one value, as in a groupby with dropna=False."""
    return pd.Series(_group_key(frame, columns, rows)).duplicated().to_numpy()


def _keep_rows(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """The rows of ``mask``, column by column; pyarrow-backed strings go through pyarrow's filter,
    which copies them many times faster than pandas' row take."""
    if mask.all():
        return frame
    arrow_mask = pa.array(mask)
    out = {}
    for name in frame.columns:
        values = frame[name].array
        if isinstance(values, pd.arrays.ArrowStringArray):
            out[name] = pd.array(pa.array(values).filter(arrow_mask), dtype=values.dtype)
        elif isinstance(values, pd.arrays.NumpyExtensionArray) and values.dtype != object:
            out[name] = values.to_numpy()[mask]
        else:
            out[name] = values[mask]
    kept = pd.DataFrame(out, index=frame.index[mask])
    return kept.astype(frame.dtypes.to_dict())


def _group_key(frame: pd.DataFrame, columns, rows: np.ndarray) -> np.ndarray:
    """A code per row of ``rows`` (a mask) for its values in ``columns`` (missing values are one
    value); equal codes mean equal values."""
    key = np.zeros(int(rows.sum()), dtype=np.int64)
    for name in columns:
        codes, distinct = pd.factorize(frame[name], use_na_sentinel=False)
        key, _ = pd.factorize(key * (len(distinct) + 1) + codes[rows])
    return key


def _duplicates(frame: pd.DataFrame, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rejected as duplicate, kept but flagged possible_duplicate), as masks over every row.

    Rows whose substantive fields (:data:`SUBSTANTIVE`) agree are one project unless their project
    ids differ: in each such group one row is kept per distinct given id (one row when none has an
    id), the earliest; a row without id in a group with ids repeats one of them. Rows with different
    non-empty ids are never duplicates, so the kept total does not depend on the order of the rows,
    on how they are split into files, or on whether the ids are there at all. Kept rows that share
    organization, name, year and amount, or a given id and year, with another kept row are flagged.
    """
    n = len(frame)
    dup = np.zeros(n, dtype=bool)
    possible = np.zeros(n, dtype=bool)
    if not ok.any():
        return dup, possible
    idx = np.flatnonzero(ok)
    group = _group_key(frame, SUBSTANTIVE, ok)
    given = frame["_pid_given"].to_numpy(dtype=bool)[idx]
    pid = pd.factorize(frame["project_id"].to_numpy(dtype=object)[idx])[0]
    pid = np.where(given, pid, -1)
    table = pd.DataFrame({"group": group, "pid": pid, "given": given})
    has_id = table.groupby("group")["given"].transform("any").to_numpy()
    repeat = table.duplicated(["group", "pid"]).to_numpy()
    dup[idx] = np.where(given, repeat, has_id | repeat)
    kept = ok & ~dup
    for columns in (("org_name", "project_name", "year", "_amount"), ("project_id", "year")):
        key = _group_key(frame, columns, kept)
        if columns[0] == "project_id":  # only ids from the register say anything
            key = np.where(
                frame["_pid_given"].to_numpy(dtype=bool)[kept], key, -1 - np.arange(len(key))
            )
        shared = pd.Series(key).duplicated(keep=False).to_numpy()  # every member, not the later
        possible[np.flatnonzero(kept)[shared]] = True
    return dup, possible


def _hash_ids(frame: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """Synthetic ids for rows without one: a hash of every substantive field, so that distinct rows
    never share an id (rows equal in all of them are duplicates of one another)."""
    parts = []
    for name in SUBSTANTIVE:
        values = frame.loc[rows, name]
        parts.append(["" if pd.isna(v) else str(v) for v in values])
    return [
        "h" + hashlib.sha1("|".join(fields).encode("utf-8", "surrogatepass")).hexdigest()[:16]
        for fields in zip(*parts, strict=True)
    ]


def clean_registers(
    raws: list[pd.DataFrame] | pd.DataFrame,
    *,
    extra_aliases: pd.DataFrame | None = None,
    cpb_high: float = 1_000_000.0,
    cpb_low: float = 1.0,
    max_year: int | None = None,
) -> CleanResult:
    """Clean one or more raw registers into the canonical project table.

    Parameters
    ----------
    raws : raw frames from :func:`analysis.io.read_register` (text cells plus ``source_file`` and
        ``source_row``); one frame per input file.
    extra_aliases : extra header aliases (columns ``canonical``, ``alias``) added to the shipped table.
    cpb_high, cpb_low : cost per beneficiary (yuan per person) above/below which a kept row is flagged.
    max_year : latest acceptable year (the current year when None).
    """
    if isinstance(raws, pd.DataFrame):
        raws = [raws]
    if cpb_low < 0 or cpb_high <= cpb_low:
        raise ValueError(
            f"need 0 <= cpb_low < cpb_high, got cpb_low={cpb_low}, cpb_high={cpb_high}"
        )
    max_year = max_year or _dt.date.today().year
    parts, infos, raw_parts = [], [], []
    for raw in raws:
        if len(raw) == 0:
            continue
        part, info = _standardize(raw, extra_aliases, max_year)
        parts.append(part)
        infos.append(info)
        raw_parts.append(raw)
    if not parts:
        empty = pd.DataFrame({c: pd.Series(dtype="object") for c in _CANONICAL})
        report = _report(0, empty, pd.DataFrame(columns=["reason", "source_file"]), [], raws, {})
        return CleanResult(
            _finalize(empty), pd.DataFrame(columns=["source_file", "source_row", "reason"]), report
        )
    frame = (
        parts[0].reset_index(drop=True) if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    )
    raw_all = (
        raw_parts[0].reset_index(drop=True)
        if len(raw_parts) == 1
        else pd.concat(raw_parts, ignore_index=True)
    )

    # Amounts compared to the fen; stable ids from the register, else a hash of every substantive field.
    frame["_amount"] = frame["expenditure_yuan"].round(2)
    no_id = ~frame["_pid_given"].to_numpy(dtype=bool)
    if no_id.any():
        frame.loc[no_id, "project_id"] = _hash_ids(frame, no_id)

    # The first reason that applies, as an index into REJECT_REASONS (0 = kept) per row.
    codes = list(REJECT_REASONS)
    reason_code = np.zeros(len(frame), dtype=np.int8)
    reason_column = {}

    def reject(mask, code, canon):
        hit = np.asarray(mask, dtype=bool) & (reason_code == 0)
        reason_code[hit] = codes.index(code) + 1
        reason_column[code] = canon

    def problem(name, value):
        return frame[name].to_numpy(dtype=object) == value

    reject(frame["_malformed"], "malformed_row", "")
    reject(frame["_empty"], "empty_row", "")
    reject(frame["_total"], "total_row", "")
    reject(frame["_excel_error"], "excel_error", "")
    reject(frame["_footer"] & ~problem("_exp_problem", ""), "footer_row", "")
    reject(problem("_exp_problem", "missing"), "expenditure_missing", "expenditure")
    reject(problem("_exp_problem", "unparseable"), "expenditure_unparseable", "expenditure")
    reject(problem("_exp_problem", "ambiguous"), "expenditure_ambiguous", "expenditure")
    reject(frame["expenditure_yuan"].to_numpy() < 0, "expenditure_negative", "expenditure")
    reject(frame["year"].isna(), "year_missing", "year")
    reject(frame["_year_out"], "year_out_of_range", "year")
    reject(problem("place_problem", "missing"), "province_missing", "province")
    reject(problem("place_problem", "unresolved"), "province_unresolved", "province")
    dup, possible_dup = _duplicates(frame, reason_code == 0)
    reject(dup, "duplicate", "project_id")

    # Rejected rows: reason, the raw header and value behind it, and every raw value.
    rej_idx = reason_code > 0
    reason = np.array(["", *codes], dtype=object)[reason_code[rej_idx]]
    raw_of_by_file = {info["file"]: info["raw_of"] for info in infos}
    rejected = pd.DataFrame(
        {
            "source_file": frame.loc[rej_idx, "source_file"].astype(object),
            "source_row": frame.loc[rej_idx, "source_row"],
            "reason": reason,
            "column": [
                raw_of_by_file.get(f, {}).get(reason_column[r], reason_column[r])
                if reason_column[r]
                else ""
                for f, r in zip(frame.loc[rej_idx, "source_file"], reason, strict=True)
            ],
        }
    )
    rejected["value"] = ""
    for header in rejected["column"].unique():  # the raw value behind each reason, column by column
        if header and header in raw_all.columns:
            rows = rejected.index[rejected["column"] == header]
            rejected.loc[rows, "value"] = raw_all.loc[rows, header].astype(str).to_numpy()
    for i in rejected.index[rejected["reason"] == "excel_error"]:  # each row's own column and error
        canon = frame.at[i, "_excel_error_column"]
        header = raw_of_by_file.get(frame.at[i, "source_file"], {}).get(canon, canon)
        rejected.loc[i, "column"] = header
        rejected.loc[i, "value"] = str(raw_all.at[i, header]) if header in raw_all else ""
    if "source_problem" in raw_all:  # a broken line: the reader's note, with the extra fields' text
        rows = rejected.index[rejected["reason"] == "malformed_row"]
        rejected.loc[rows, "value"] = raw_all.loc[rows, "source_problem"].astype(str).to_numpy()
    raw_values = raw_all.loc[rej_idx].drop(columns=[c for c in RAW_META if c in raw_all])
    rejected = pd.concat([rejected, raw_values.add_prefix("raw:")], axis=1).reset_index(drop=True)

    keep = ~rej_idx
    exp_yuan = frame["expenditure_yuan"].to_numpy()
    ben = frame["beneficiaries"].to_numpy()
    hh = frame["poor_households"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        cpb = np.where(ben > 0, exp_yuan / ben, np.nan)
    flag_masks = {
        "beneficiaries_missing": ~problem("_ben_problem", ""),
        "households_missing": ~problem("_hh_problem", ""),
        "person_times": frame["_person_times"].to_numpy(dtype=bool),
        "amount_approximate": frame["_exp_approx"].to_numpy(dtype=bool)
        | frame["_ben_approx"].to_numpy(dtype=bool),
        "cpb_high": cpb > cpb_high,
        "cpb_low": cpb < cpb_low,
        "beneficiaries_lt_households": ben < hh,
        "sector_unknown": (frame["_sector_problem"] == "unknown").to_numpy(dtype=bool),
        "org_type_unknown": (frame["_org_type_problem"] == "unknown").to_numpy(dtype=bool),
        "joint_funded_unreadable": frame["_jf_unreadable"].to_numpy(dtype=bool),
        "deep_poverty_area_unknown": frame["deep_poverty_area"].isna().to_numpy(dtype=bool),
        "excel_error": frame["_excel_error_optional"].to_numpy(dtype=bool),
        "year_range": frame["_year_range"].to_numpy(dtype=bool),
        "possible_duplicate": possible_dup,
    }
    # Each kept row's set of flags as bits; the text is made once per distinct combination.
    bits = np.zeros(int(keep.sum()), dtype=np.int64)
    flag_counts = {}
    for i, (name, mask) in enumerate(flag_masks.items()):
        mask = np.asarray(mask, dtype=bool)[keep]
        bits |= mask.astype(np.int64) << i
        if mask.any():
            flag_counts[name] = int(mask.sum())
    codes, combos = pd.factorize(bits)
    names = list(flag_masks)
    texts = [";".join(n for i, n in enumerate(names) if combo >> i & 1) for combo in combos]
    kept = _keep_rows(frame[[c for c in _CANONICAL if c in frame.columns]], keep)
    kept["flags"] = _strings(texts, codes)
    data = _finalize(kept)
    report = _report(len(frame), data, rejected, infos, raws, flag_counts)
    if report["rows_in"] != report["rows_clean"] + report["rows_rejected"]:
        raise AssertionError("row accounting broken: rows_in != rows_clean + rows_rejected")
    return CleanResult(data, rejected, report)


def _finalize(kept: pd.DataFrame) -> pd.DataFrame:
    """The canonical columns in their order, each with its dtype in :mod:`analysis.schema` (text as
    pandas' "string", missing as <NA>)."""
    columns = {}
    for name, column in PROJECTS_SCHEMA.columns.items():
        values = kept[name] if name in kept.columns else pd.Series(index=kept.index, dtype=object)
        dtype = column.dtype.type
        columns[name] = values.astype(
            "string" if isinstance(dtype, pd.StringDtype) else dtype
        ).array
    return pd.DataFrame(columns)


def _report(rows_in, data, rejected, infos, raws, flag_counts) -> dict:
    by_file = {}
    clean_counts = data["source_file"].value_counts() if len(data) else pd.Series(dtype=int)
    rejected_counts = rejected["source_file"].value_counts()
    for raw in raws:
        if len(raw) == 0:
            continue
        f = str(raw["source_file"].iloc[0])
        by_file[f] = {
            "rows_in": int(len(raw)),
            "rows_clean": int(clean_counts.get(f, 0)),
            "rows_rejected": int(rejected_counts.get(f, 0)),
        }
    flags = dict(sorted(flag_counts.items()))
    return {
        "rows_in": int(rows_in),
        "rows_clean": int(len(data)),
        "rows_rejected": int(len(rejected)),
        "rejected_by_reason": {
            k: int(v) for k, v in rejected["reason"].value_counts().sort_index().items()
        },
        "flags_by_kind": flags,
        "by_file": by_file,
        "headers": [{k: v for k, v in i.items() if k != "raw_of"} for i in infos],
        "simulated_rows": int(data["simulated"].sum()) if len(data) else 0,
        "multiple_province_rows": int((data["province"] == MULTIPLE).sum()) if len(data) else 0,
    }
