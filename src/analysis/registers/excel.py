"""Excel registers (.xlsx, .xlsm, .xls): the workbook is checked by a streaming scan first
(:mod:`analysis.registers.workbooks`), then read by calamine as text; hidden, summary and notes sheets
are skipped with a warning naming them.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import pandas as pd

from analysis.errors import RegisterError
from analysis.paths import display_path
from analysis.registers.headers import frame_from_rows
from analysis.registers.vocabulary import map_headers
from analysis.schema import RAW_META


def read_excel_register(
    path: Path, sheet: str | int | None, label: str, extra_aliases=None, errors=None
) -> list[pd.DataFrame]:
    """An Excel register's sheets as raw frames (text cells, ``source_file`` ``label#sheet``): the one
    asked for, or every visible sheet holding a register; ``errors`` are the Excel error cells per
    sheet found by :func:`analysis.registers.workbooks.check_workbook`."""
    sheets = _read_sheets(path, sheet)
    hidden = _hidden_sheets(path) if sheet is None else set()
    frames, failures = [], []
    for sheet_name, table in sheets.items():
        rows = _sheet_rows(table, (errors or {}).get(str(sheet_name), {}))
        sheet_label = f"{label}#{sheet_name}"
        if sheet_name in hidden:
            warnings.warn(
                f"{sheet_label}: hidden sheet skipped (read it with --sheet {sheet_name})",
                stacklevel=3,
            )
            continue
        if not any(any(c.strip() for c in r) for r in rows):
            continue
        try:
            frames.append(frame_from_rows(rows, sheet_label, extra_aliases))
        except RegisterError as exc:
            failures.append(str(exc))
            warnings.warn(f"{sheet_label}: sheet skipped, no register header found", stacklevel=3)
    if not frames:
        raise RegisterError(
            "no sheet with a register header"
            + (f" ({failures[0]})" if failures else " (all sheets empty)"),
            file=display_path(path),
        )
    return _register_sheets(frames, extra_aliases) if sheet is None else frames


def _read_sheets(path: Path, sheet: str | int | None) -> dict:
    """Sheet name -> its cells as text (calamine), for the one sheet asked for or every sheet."""
    try:  # calamine (Rust) reads .xls and .xlsx alike; pandas' xlrd engine is deprecated
        sheets = pd.read_excel(
            path,
            sheet_name=sheet if sheet is not None else None,
            header=None,
            dtype=str,
            engine="calamine",
            keep_default_na=False,
        )
    except (zipfile.BadZipFile, OSError, ValueError, KeyError) as exc:
        raise RegisterError(
            f"cannot read as Excel ({exc.__class__.__name__}: {str(exc)[:80]})",
            file=display_path(path),
        ) from None
    except Exception as exc:  # calamine raises its own classes for corrupt workbooks
        raise RegisterError(
            f"cannot read as Excel ({exc.__class__.__name__})", file=display_path(path)
        ) from None
    if not isinstance(sheets, dict):
        sheets = {sheet: sheets}
    return sheets


def _sheet_rows(table: pd.DataFrame, sheet_errors: dict) -> list[list[str]]:
    """A sheet's cells as lists of text, with each Excel error cell ((row, column) from 1 -> text)
    that the reader left blank put back."""
    rows = table.fillna("").astype(str).values.tolist()
    for (r, c), text in sheet_errors.items():
        if r <= len(rows) and c <= len(rows[r - 1]) and not rows[r - 1][c - 1]:
            rows[r - 1][c - 1] = text  # the reader's blank back to the error it was
    return rows


def _hidden_sheets(path: Path) -> set[str]:
    """Names of the hidden and very hidden sheets of a workbook (calamine's sheet metadata)."""
    try:
        from python_calamine import CalamineWorkbook, SheetVisibleEnum

        meta = CalamineWorkbook.from_path(str(path)).sheets_metadata
    except Exception:  # the reader itself reports a workbook it cannot open
        return set()
    return {m.name for m in meta if m.visible != SheetVisibleEnum.Visible}


def _register_sheets(frames: list[pd.DataFrame], extra_aliases) -> list[pd.DataFrame]:
    """The sheets that hold a register (every required column); the others (a 汇总 summary with a
    province and an amount column, say) are skipped with a warning naming them, so long as one
    sheet is a register. When none is, all are kept and cleaning names what is missing."""
    from analysis.registers.vocabulary import REQUIRED_COLUMNS

    def complete(frame):
        cols = [c for c in frame.columns if c not in RAW_META]
        return not map_headers(cols, extra_aliases=extra_aliases).missing(REQUIRED_COLUMNS)

    registers = [f for f in frames if complete(f)]
    if not registers:
        return frames
    for frame in frames:
        if not complete(frame):
            warnings.warn(
                f"{frame['source_file'].iloc[0] if len(frame) else '?'}: sheet skipped, it lacks "
                "required columns (a summary or notes sheet?); read it with --sheet NAME",
                stacklevel=3,
            )
    return registers
