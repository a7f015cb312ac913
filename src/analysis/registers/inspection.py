"""Inspecting a register before cleaning: encoding, sheets, header mapping, units, unresolved
values."""

from __future__ import annotations

import warnings

import pandas as pd

from analysis.registers.parsing import parse_amount, parse_count, parse_year
from analysis.registers.places import resolve_places
from analysis.registers.read import read_register, resolve_path
from analysis.registers.text import BLANK_TOKENS, normalize_text
from analysis.registers.vocabulary import REQUIRED_COLUMNS, map_headers, map_sector
from analysis.schema import MULTIPLE, RAW_META


def inspection_tables(
    path, *, encoding=None, sheet=None, extra_aliases=None, top: int = 5, **limits
) -> list[dict]:
    """For each sheet: header mapping, units, missing required columns and the most frequent values
    that would not resolve (places, sectors, amounts, years). Reads the file (once, with the reader's
    checks and ``limits``), writes nothing."""
    with warnings.catch_warnings(record=True) as seen:  # skipped sheets: shown, with the command
        warnings.simplefilter("always")
        frames = read_register(
            resolve_path(path),
            encoding=encoding,
            sheet=sheet,
            extra_aliases=extra_aliases,
            **limits,
        )
    skipped = [str(w.message) for w in seen if "sheet skipped" in str(w.message)]
    out = []
    for raw in frames:
        enc = raw.attrs.get("encoding")
        out.append(_inspect_one(raw, None if enc == "workbook" else enc, top, extra_aliases))
    if out:
        out[0]["skipped_sheets"] = skipped
    return out


def _inspect_one(raw: pd.DataFrame, enc: str | None, top: int, extra_aliases=None) -> dict:
    cols = [c for c in raw.columns if c not in RAW_META]
    hmap = map_headers(cols, extra_aliases=extra_aliases)
    raw_of = {v: k for k, v in hmap.columns.items()}
    blank = pd.Series([""] * len(raw), index=raw.index, dtype="object")

    def col(name):
        h = raw_of.get(name)
        return raw[h].astype("object") if h else blank

    exp_header = raw_of.get("expenditure")
    exp_mult = hmap.units.get(exp_header, ("", 1.0))[1] if exp_header else 1.0
    places = resolve_places(col("province"), col("prefecture"), col("county"))
    amounts = parse_amount(col("expenditure"), default_unit_multiplier=exp_mult)
    resolved = (places["place_problem"] == "").to_numpy() & (
        places["province"] != MULTIPLE
    ).to_numpy()
    pref_text = col("prefecture").map(normalize_text)
    cty_text = col("county").map(normalize_text)
    problems = {
        "province": col("province")[places["place_problem"] == "unresolved"],
        "prefecture": col("prefecture")[
            resolved
            & ~pref_text.isin(BLANK_TOKENS).to_numpy()
            & places["prefecture_code"].isna().to_numpy()
        ],
        "county": col("county")[
            resolved
            & ~cty_text.isin(BLANK_TOKENS).to_numpy()
            & places["county_code"].isna().to_numpy()
        ],
        "sector": col("sector")[map_sector(col("sector"))["problem"] == "unknown"],
        "expenditure": col("expenditure")[amounts["problem"] == "unparseable"],
        "beneficiaries": col("beneficiaries")[
            parse_count(col("beneficiaries"))["problem"] == "unparseable"
        ],
        "year": col("year")[parse_year(col("year")).isna()],
    }
    return {
        "source": str(raw["source_file"].iloc[0]),
        "encoding": enc or "(Excel)",
        "rows": len(raw),
        "columns": {str(k): v for k, v in hmap.columns.items()},
        "units": {str(k): u[0] for k, u in hmap.units.items()},
        "ignored": hmap.ignored,
        "duplicates": hmap.duplicates,
        "missing_required": hmap.missing(REQUIRED_COLUMNS),
        "header_rows": raw.attrs.get("header_rows", 1),
        "deep_unknown": int((resolved & places["deep_poverty_area"].isna().to_numpy()).sum()),
        "unresolved": {
            k: v.value_counts().head(top).to_dict() for k, v in problems.items() if len(v)
        },
    }


def inspect_register(path, *, encoding=None, sheet=None, extra_aliases=None, **limits) -> str:
    """A readable summary of :func:`inspection_tables`."""
    tables = inspection_tables(
        path, encoding=encoding, sheet=sheet, extra_aliases=extra_aliases, **limits
    )
    lines = []
    for message in tables[0].get("skipped_sheets", []) if tables else []:
        lines.append(f"{message}")
        lines.append(
            f"  next: `analysis inspect {message.split('#')[0]} --sheet {message.split('#')[1].split(':')[0]}`"
            " to read that sheet alone"
        )
    for t in tables:
        lines += _mapping_lines(t)
        lines += _problem_lines(t)
    return "\n".join(lines)


def _mapping_lines(t: dict) -> list[str]:
    """One sheet's title line and its header mapping: each header's column and unit, ignored and
    duplicate headers, missing required columns, a two-row header."""
    lines = [f"{t['source']}: {t['rows']} rows, encoding {t['encoding']}"]
    for raw, canon in t["columns"].items():
        u = f"  [unit {t['units'][raw]}]" if raw in t["units"] else ""
        lines.append(f"  {raw!s:<24} -> {canon}{u}")
    for raw in t["ignored"]:
        lines.append(f"  {raw!s:<24} -> (ignored)")
    for raw in t["duplicates"]:
        lines.append(f"  {raw!s:<24} -> (ignored: an earlier header maps to the same column)")
    if t["missing_required"]:
        lines.append(f"  MISSING required: {', '.join(t['missing_required'])}")
    if t["header_rows"] == 2:
        lines.append("  header over two rows (a merged group cell): flattened, sub-headers win")
    return lines


def _problem_lines(t: dict) -> list[str]:
    """One sheet's unresolved values, rows of unknown 三区三州 status, and the next step when headers
    are missing or ignored (with an alias-file template)."""
    lines = []
    for field, values in t["unresolved"].items():
        shown = ", ".join(f"{v!r} x{n}" for v, n in values.items())
        lines.append(f"  unresolved {field}: {shown}")
    if t["deep_unknown"]:
        lines.append(
            f"  三区三州 status unknown for {t['deep_unknown']} rows (a partly covered province "
            "without a prefecture or county that decides it): flagged, left out of the models"
        )
    if t["missing_required"] or t["ignored"]:
        lines.append(
            "  next: map the headers above with an alias file, then "
            f"`analysis inspect {t['source'].split('#')[0]} --aliases aliases.csv`; a template:"
        )
        lines.append("    canonical,alias")
        lines += [f"    ,{raw}" for raw in t["ignored"]]
    return lines
