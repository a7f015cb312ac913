"""Cleaning: raw register rows -> the canonical project table, with every raw row accounted for.

``clean_registers`` takes raw frames as read by :func:`analysis.io.read_register` (text cells, original
headers, plus ``source_file`` and ``source_row``) and returns a :class:`CleanResult` with the canonical
table (docs/data.md), the rejected rows with a reason code each, and a report whose counts add up:
``rows_in == rows_clean + rows_rejected`` is checked on every call.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.errors import RegisterError
from analysis.io import RAW_META
from analysis.parsing import (
    BLANK_TOKENS,
    by_unique,
    normalize_text,
    parse_amount,
    parse_bool,
    parse_count,
    parse_year,
)
from analysis.places import MULTIPLE, resolve_places
from analysis.vocabulary import REQUIRED_COLUMNS, map_headers, map_org_type, map_sector

__all__ = ["REJECT_REASONS", "FLAGS", "CleanResult", "clean_registers"]

# Reason codes for rejected rows, in the order they are checked (a row gets the first that applies).
REJECT_REASONS = {
    "malformed_row": "the row has more fields than the header (a broken line in the file)",
    "empty_row": "the row has no values at all",
    "expenditure_missing": "expenditure is blank",
    "expenditure_unparseable": "expenditure cannot be read as an amount",
    "expenditure_negative": "expenditure is negative",
    "year_missing": "year is blank or cannot be read as a year",
    "year_out_of_range": "year is before 2000 or after the current year",
    "province_missing": "province is blank",
    "province_unresolved": "province cannot be resolved to a province of mainland China",
    "duplicate": "same project id and year, or same organization, name, year and amount, as an earlier row",
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
}
_CANONICAL = [
    "project_id",
    "project_name",
    "org_name",
    "org_type",
    "year",
    "province",
    "province_code",
    "prefecture",
    "county",
    "deep_poverty_area",
    "sector",
    "expenditure_yuan",
    "beneficiaries",
    "poor_households",
    "joint_funded",
    "source_file",
    "source_row",
    "flags",
    "simulated",
    "province_list",
]


@dataclass
class CleanResult:
    """The canonical table, the rejected rows and the cleaning report (a JSON-ready dict)."""

    data: pd.DataFrame
    rejected: pd.DataFrame
    report: dict = field(default_factory=dict)


def _text(frame: pd.DataFrame, raw_col: str | None) -> pd.Series:
    if raw_col is None:
        return pd.Series([""] * len(frame), index=frame.index, dtype="object")
    return frame[raw_col].astype("object").fillna("")


def _standardize(raw: pd.DataFrame, extra_aliases, max_year: int) -> tuple[pd.DataFrame, dict]:
    """One file's raw rows -> parsed canonical columns plus problem columns."""
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

    def col(name):
        return _text(raw, raw_of.get(name))

    def unit(name, default):
        header = raw_of.get(name)
        return hmap.units.get(header, (None, default))[1] if header else default

    out = pd.DataFrame(index=raw.index)
    out["source_file"] = raw["source_file"].astype(str)
    out["source_row"] = raw["source_row"].astype("int64")
    out["_malformed"] = (
        raw["source_problem"] if "source_problem" in raw else pd.Series("", index=raw.index)
    ).ne("")
    # A row with nothing in any mapped or unmapped data column.
    empty = np.ones(len(raw), dtype=bool)
    longest = max(len(t) for t in BLANK_TOKENS) + 4
    for c in data_cols:  # blank in every column; long text is never blank, short text checked once
        text = raw[c].astype("object").where(raw[c].notna(), "")
        short = text.str.strip().str.len().to_numpy() <= longest
        empty &= short
        if short.any():
            codes, blank = by_unique(text[short], lambda u: normalize_text(u) in BLANK_TOKENS)
            empty[short] &= np.array(blank, dtype=bool)[codes]
    out["_empty"] = empty

    exp = parse_amount(col("expenditure"), default_unit_multiplier=unit("expenditure", 1.0))
    out["expenditure_yuan"] = exp["value"]
    out["_exp_problem"] = exp["problem"]
    out["_exp_approx"] = exp["approximate"]

    ben_header = raw_of.get("beneficiaries", "")
    ben = parse_count(col("beneficiaries"), default_unit_multiplier=unit("beneficiaries", 1.0))
    out["beneficiaries"] = ben["value"].round()
    out["_ben_problem"] = ben["problem"]
    out["_person_times"] = (
        ben["person_times"]
        | ("人次" in str(ben_header))
        | ("person-times" in str(ben_header).lower())
    )
    out["_ben_approx"] = ben["approximate"]

    hh = parse_count(col("poor_households"), default_unit_multiplier=unit("poor_households", 1.0))
    out["poor_households"] = hh["value"].round()
    out["_hh_problem"] = hh["problem"]

    out["year"] = parse_year(col("year"))
    out["_year_out"] = out["year"].notna() & ((out["year"] < 2000) | (out["year"] > max_year))

    places = resolve_places(col("province"), col("prefecture"), col("county"))
    out = out.join(places)

    sector = map_sector(col("sector"))
    out["sector"] = sector["value"]
    out["_sector_problem"] = sector["problem"]
    org_type = map_org_type(col("org_type"))
    from_name = map_org_type(col("org_name"))
    use_name = org_type["problem"].eq("missing") & from_name["problem"].eq("")
    out["org_type"] = org_type["value"].where(~use_name, from_name["value"])
    out["_org_type_problem"] = org_type["problem"].where(~use_name, "")

    codes, tidy = by_unique(col("org_name"), lambda s: _tidy(s) if normalize_text(s) else "")
    out["org_name"] = pd.array(np.array(tidy, dtype=object)[codes], dtype="string")
    out["project_name"] = col("project_name").map(_tidy).astype("string")
    pid = col("project_id").map(_tidy)
    codes, given = by_unique(pid, lambda s: normalize_text(s) not in BLANK_TOKENS)
    out["_pid_given"] = np.array(given, dtype=bool)[codes]
    out["project_id"] = pid.astype("string")
    jf = parse_bool(col("joint_funded"))
    out["joint_funded"] = jf.fillna(False).astype(bool)
    jf_blank = col("joint_funded").map(lambda v: normalize_text(v) in BLANK_TOKENS)
    out["_jf_unreadable"] = jf.isna().to_numpy() & ~jf_blank.to_numpy(dtype=bool)
    note = col("data_note").map(normalize_text)
    out["simulated"] = note.str.contains("模拟|simulated", regex=True)

    info = {
        "file": source,
        "columns": {str(k): v for k, v in hmap.columns.items()},
        "units": {str(k): v[0] for k, v in hmap.units.items()},
        "ignored_headers": hmap.ignored,
        "duplicate_headers": hmap.duplicates,
        "raw_of": raw_of,
    }
    return out, info


def _tidy(value: object) -> str:
    """Trim, fold full-width letters and digits to half-width, collapse spaces (case kept)."""
    import unicodedata

    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return " ".join(text.split())


def _hash_id(org: str, name: str, year: float) -> str:
    year_text = "" if pd.isna(year) else str(int(year))
    digest = hashlib.sha1(f"{org}|{name}|{year_text}".encode()).hexdigest()
    return f"h{digest[:12]}"


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
        report = _report(0, empty, pd.DataFrame(columns=["reason", "source_file"]), [], raws)
        return CleanResult(
            _finalize(empty), pd.DataFrame(columns=["source_file", "source_row", "reason"]), report
        )
    frame = pd.concat(parts, ignore_index=True)
    raw_all = pd.concat(raw_parts, ignore_index=True)

    # Stable ids: from the register, else a hash of organization, name and year.
    no_id = ~frame["_pid_given"]
    frame.loc[no_id, "project_id"] = [
        _hash_id(o, n, y)
        for o, n, y in zip(
            frame.loc[no_id, "org_name"].fillna(""),
            frame.loc[no_id, "project_name"].fillna(""),
            frame.loc[no_id, "year"],
            strict=True,
        )
    ]

    reason = pd.Series("", index=frame.index, dtype=object)
    column = pd.Series("", index=frame.index, dtype=object)

    def reject(mask, code, canon):
        nonlocal reason, column
        hit = mask & reason.eq("")
        reason[hit] = code
        column[hit] = canon

    reject(frame["_malformed"], "malformed_row", "")
    reject(frame["_empty"], "empty_row", "")
    reject(frame["_exp_problem"].eq("missing"), "expenditure_missing", "expenditure")
    reject(frame["_exp_problem"].eq("unparseable"), "expenditure_unparseable", "expenditure")
    reject(frame["expenditure_yuan"] < 0, "expenditure_negative", "expenditure")
    reject(frame["year"].isna(), "year_missing", "year")
    reject(frame["_year_out"], "year_out_of_range", "year")
    reject(frame["place_problem"].eq("missing"), "province_missing", "province")
    reject(frame["place_problem"].eq("unresolved"), "province_unresolved", "province")
    ok = reason.eq("")
    key_id = frame["project_id"].astype(str) + "|" + frame["year"].astype(str)
    key_content = (
        frame["org_name"].astype(str)
        + "|"
        + frame["project_name"].astype(str)
        + "|"
        + frame["year"].astype(str)
        + "|"
        + frame["expenditure_yuan"].round(2).astype(str)
    )
    dup = pd.Series(False, index=frame.index)
    dup[ok] = key_id[ok].duplicated() | key_content[ok].duplicated()
    reject(dup, "duplicate", "project_id")

    # Rejected rows: reason, the raw header and value behind it, and every raw value.
    rej_idx = reason.ne("")
    raw_of_by_file = {info["file"]: info["raw_of"] for info in infos}
    rejected = pd.DataFrame(
        {
            "source_file": frame.loc[rej_idx, "source_file"],
            "source_row": frame.loc[rej_idx, "source_row"],
            "reason": reason[rej_idx],
            "column": [
                raw_of_by_file.get(f, {}).get(c, c) if c else ""
                for f, c in zip(frame.loc[rej_idx, "source_file"], column[rej_idx], strict=True)
            ],
        }
    )
    rejected["value"] = ""
    for header in rejected["column"].unique():  # the raw value behind each reason, column by column
        if header and header in raw_all.columns:
            rows = rejected.index[rejected["column"] == header]
            rejected.loc[rows, "value"] = raw_all.loc[rows, header].astype(str).to_numpy()
    raw_values = raw_all.loc[rej_idx].drop(columns=[c for c in RAW_META if c in raw_all])
    rejected = pd.concat([rejected, raw_values.add_prefix("raw:")], axis=1).reset_index(drop=True)

    kept = frame.loc[~rej_idx].copy()
    cpb = kept["expenditure_yuan"] / kept["beneficiaries"].where(kept["beneficiaries"] > 0)
    flag_masks = {
        "beneficiaries_missing": kept["_ben_problem"].ne(""),
        "households_missing": kept["_hh_problem"].ne(""),
        "person_times": kept["_person_times"],
        "amount_approximate": kept["_exp_approx"] | kept["_ben_approx"],
        "cpb_high": cpb > cpb_high,
        "cpb_low": cpb < cpb_low,
        "beneficiaries_lt_households": kept["beneficiaries"] < kept["poor_households"],
        "sector_unknown": kept["_sector_problem"].eq("unknown"),
        "org_type_unknown": kept["_org_type_problem"].eq("unknown"),
        "joint_funded_unreadable": kept["_jf_unreadable"],
    }
    flags = pd.Series("", index=kept.index, dtype=object)
    for name, mask in flag_masks.items():
        mask = mask.fillna(False).astype(bool)
        flags[mask] = flags[mask].map(lambda s, n=name: f"{s};{n}" if s else n)
    kept["flags"] = flags
    data = _finalize(kept)
    report = _report(len(frame), data, rejected, infos, raws)
    if report["rows_in"] != report["rows_clean"] + report["rows_rejected"]:
        raise AssertionError("row accounting broken: rows_in != rows_clean + rows_rejected")
    return CleanResult(data, rejected, report)


def _finalize(kept: pd.DataFrame) -> pd.DataFrame:
    data = pd.DataFrame(index=kept.index)
    for c in _CANONICAL:
        data[c] = kept[c] if c in kept.columns else pd.Series(dtype="object")
    data["year"] = data["year"].astype("int64")
    for c in (
        "project_id",
        "project_name",
        "org_name",
        "province",
        "province_code",
        "prefecture",
        "county",
        "source_file",
        "flags",
        "province_list",
    ):
        data[c] = data[c].astype("string")
    data["org_type"] = pd.Categorical(
        data["org_type"],
        categories=["foundation", "social_group", "social_service_agency", "unknown"],
    )
    data["sector"] = pd.Categorical(
        data["sector"],
        categories=["industry", "education", "health", "relocation", "volunteer", "other"],
    )
    data["expenditure_yuan"] = data["expenditure_yuan"].astype("float64")
    data["beneficiaries"] = data["beneficiaries"].astype("Int64")
    data["poor_households"] = data["poor_households"].astype("Int64")
    for c in ("deep_poverty_area", "joint_funded", "simulated"):
        data[c] = data[c].astype(bool)
    data["source_row"] = data["source_row"].astype("int64")
    return data.reset_index(drop=True)


def _report(rows_in, data, rejected, infos, raws) -> dict:
    by_file = {}
    for raw in raws:
        if len(raw) == 0:
            continue
        f = str(raw["source_file"].iloc[0])
        n_clean = int((data["source_file"] == f).sum())
        n_rej = int((rejected["source_file"] == f).sum())
        by_file[f] = {"rows_in": int(len(raw)), "rows_clean": n_clean, "rows_rejected": n_rej}
    flags = {}
    if len(data):
        exploded = data["flags"].fillna("").str.split(";").explode()
        flags = {k: int(v) for k, v in exploded[exploded != ""].value_counts().sort_index().items()}
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
