"""Cleaning: raw register rows -> the canonical project table, with every raw row accounted for.

``clean_registers`` takes raw frames as read by :func:`analysis.registers.read.read_register` (text cells, original
headers, plus ``source_file`` and ``source_row``) and returns a :class:`CleanResult` with the canonical
table (docs/data.md), the rejected rows with a reason code each, and a report whose counts add up:
``rows_in == rows_clean + rows_rejected`` is checked on every call.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.registers.duplicates import find_duplicates, hash_ids, keep_rows
from analysis.registers.optional import OPTIONAL_FLAGS, optional_counts, optional_flag_masks
from analysis.registers.standardize import standardize
from analysis.registers.text import strings_from_codes
from analysis.schema import MULTIPLE, PROJECTS_SCHEMA, RAW_META

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
    **OPTIONAL_FLAGS,  # cost categories, the period and outcome counts (registers.optional)
}


_CANONICAL = list(PROJECTS_SCHEMA.columns)  # the canonical table's columns, in order


@dataclass
class CleanResult:
    """The canonical table, the rejected rows and the cleaning report (a JSON-ready dict)."""

    data: pd.DataFrame
    rejected: pd.DataFrame
    report: dict = field(default_factory=dict)


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
    raws : raw frames from :func:`analysis.registers.read.read_register` (text cells plus ``source_file`` and
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
    parts, infos, raw_parts = _standardized(raws, extra_aliases, max_year)
    if not parts:
        return _empty_result(raws)
    frame, raw_all = _stacked(parts), _stacked(raw_parts)
    _assign_ids(frame)
    reason_code, reason_column, possible_dup = _reject_reasons(frame)
    rejected = _rejected_table(frame, raw_all, reason_code, reason_column, infos)
    keep = reason_code == 0
    flag_masks = _flag_masks(frame, cpb_high, cpb_low, possible_dup)
    texts, text_codes, flag_counts = _flag_texts(flag_masks, keep)
    kept = keep_rows(frame[[c for c in _CANONICAL if c in frame.columns]], keep)
    kept["flags"] = strings_from_codes(texts, text_codes)
    data = _finalize(kept)
    report = _report(len(frame), data, rejected, infos, raws, flag_counts)
    if report["rows_in"] != report["rows_clean"] + report["rows_rejected"]:
        raise AssertionError("row accounting broken: rows_in != rows_clean + rows_rejected")
    return CleanResult(data, rejected, report)


def _standardized(raws, extra_aliases, max_year: int) -> tuple[list, list, list]:
    """Each non-empty raw frame parsed by :func:`standardize`: (parsed parts, header infos, the raw
    frames they came from), in input order."""
    parts, infos, raw_parts = [], [], []
    for raw in raws:
        if len(raw) == 0:
            continue
        part, info = standardize(raw, extra_aliases, max_year)
        parts.append(part)
        infos.append(info)
        raw_parts.append(raw)
    return parts, infos, raw_parts


def _empty_result(raws) -> CleanResult:
    """The result when no raw frame holds a row: empty canonical and rejected tables, a zero report."""
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in _CANONICAL})
    report = _report(0, empty, pd.DataFrame(columns=["reason", "source_file"]), [], raws, {})
    return CleanResult(
        _finalize(empty), pd.DataFrame(columns=["source_file", "source_row", "reason"]), report
    )


def _stacked(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames one under the other on a fresh 0..n-1 index (a single frame is not copied by concat)."""
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    return pd.concat(frames, ignore_index=True)


def _assign_ids(frame: pd.DataFrame) -> None:
    """In place: ``_amount`` (yuan, rounded to the fen, for comparisons) and a ``project_id`` for each
    row without one in the register (a hash of every substantive field)."""
    frame["_amount"] = frame["expenditure_yuan"].round(2)
    no_id = ~frame["_pid_given"].to_numpy(dtype=bool)
    if no_id.any():
        frame.loc[no_id, "project_id"] = hash_ids(frame, no_id)


def _problem(frame: pd.DataFrame, name: str, value: str) -> np.ndarray:
    """Rows whose problem column ``name`` holds ``value`` (a boolean array)."""
    return frame[name].to_numpy(dtype=object) == value


def _reject_reasons(frame: pd.DataFrame) -> tuple[np.ndarray, dict, np.ndarray]:
    """The first reason that applies per row, as an index into REJECT_REASONS counted from 1 (0 =
    kept); the canonical column behind each reason ('' for none); the possible-duplicate mask."""
    codes = list(REJECT_REASONS)
    reason_code = np.zeros(len(frame), dtype=np.int8)
    reason_column = {}

    def reject(mask, code, canon):
        hit = np.asarray(mask, dtype=bool) & (reason_code == 0)
        reason_code[hit] = codes.index(code) + 1
        reason_column[code] = canon

    exp_problem = frame["_exp_problem"].to_numpy(dtype=object)
    place_problem = frame["place_problem"].to_numpy(dtype=object)
    reject(frame["_malformed"], "malformed_row", "")
    reject(frame["_empty"], "empty_row", "")
    reject(frame["_total"], "total_row", "")
    reject(frame["_excel_error"], "excel_error", "")
    reject(frame["_footer"] & ~(exp_problem == ""), "footer_row", "")
    reject(exp_problem == "missing", "expenditure_missing", "expenditure")
    reject(exp_problem == "unparseable", "expenditure_unparseable", "expenditure")
    reject(exp_problem == "ambiguous", "expenditure_ambiguous", "expenditure")
    reject(frame["expenditure_yuan"].to_numpy() < 0, "expenditure_negative", "expenditure")
    reject(frame["year"].isna(), "year_missing", "year")
    reject(frame["_year_out"], "year_out_of_range", "year")
    reject(place_problem == "missing", "province_missing", "province")
    reject(place_problem == "unresolved", "province_unresolved", "province")
    dup, possible_dup = find_duplicates(frame, reason_code == 0)
    reject(dup, "duplicate", "project_id")
    return reason_code, reason_column, possible_dup


def _rejected_table(frame, raw_all, reason_code, reason_column, infos) -> pd.DataFrame:
    """The rejected rows: file, row, reason, the raw header and value behind the reason, then every
    raw value (columns ``raw:<header>``)."""
    rej_idx = reason_code > 0
    reason = np.array(["", *REJECT_REASONS], dtype=object)[reason_code[rej_idx]]
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
    _fill_rejected_values(rejected, frame, raw_all, raw_of_by_file)
    raw_values = raw_all.loc[rej_idx].drop(columns=[c for c in RAW_META if c in raw_all])
    return pd.concat([rejected, raw_values.add_prefix("raw:")], axis=1).reset_index(drop=True)


def _fill_rejected_values(rejected, frame, raw_all, raw_of_by_file) -> None:
    """In place: the ``value`` column of the rejected rows (the raw text behind each reason), and for
    an Excel error the row's own column and error text."""
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


def _flag_masks(frame, cpb_high: float, cpb_low: float, possible_dup) -> dict[str, np.ndarray]:
    """Each flag of FLAGS -> its mask over all rows (cost per beneficiary in yuan per person)."""
    exp_yuan = frame["expenditure_yuan"].to_numpy()
    ben = frame["beneficiaries"].to_numpy()
    hh = frame["poor_households"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        cpb = np.where(ben > 0, exp_yuan / ben, np.nan)
    return {
        "beneficiaries_missing": ~_problem(frame, "_ben_problem", ""),
        "households_missing": ~_problem(frame, "_hh_problem", ""),
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
        **optional_flag_masks(frame),
    }


def _flag_texts(flag_masks: dict, keep: np.ndarray) -> tuple[list[str], np.ndarray, dict]:
    """The kept rows' flags: (distinct texts joined by ';', a code per kept row into them, the count
    of kept rows per flag raised). Each row's flags are bits; a text is made once per combination."""
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
    return texts, codes, flag_counts


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
        **optional_counts(data, flag_counts),
    }
