"""Reading register files: the one entry point (:func:`read_register`) that checks a file (a regular file,
memory enough for its size), reads it as CSV or Excel, and adds ``source_file`` and ``source_row`` (the
row number a spreadsheet program shows, header included); and the table of extra header aliases.
"""

from __future__ import annotations

import os

import pandas as pd

from analysis.errors import RegisterError
from analysis.paths import (
    display_path,
    find_project,
    read_error,
    require_regular_file,
    resolve_path,
)
from analysis.registers.csvread import read_csv_register
from analysis.registers.excel import read_excel_register
from analysis.registers.workbooks import DEFAULT_MAX_CELLS, DEFAULT_MAX_XML_BYTES, check_workbook

# Reading and cleaning a CSV takes up to about this many times its size in memory at its peak: a
# 1M-row register of ~190 MB peaked at 1.2-1.4 GB (docs/performance.md). A file that would not fit is
# refused up front.
MEMORY_PER_BYTE = 10


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux: MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _require_memory(size: int, name: str) -> None:
    need, have = size * MEMORY_PER_BYTE, available_memory()
    if have is not None and need > have:
        raise RegisterError(
            f"the file is {size / 2**20:,.0f} MiB; reading it needs about {need / 2**30:,.1f} GiB "
            f"of memory and {have / 2**30:,.1f} GiB is available (split the register into "
            "several files, or run on a larger machine)",
            file=name,
        )


def read_register(
    path,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    extra_aliases: pd.DataFrame | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
    max_xml_bytes: int = DEFAULT_MAX_XML_BYTES,
) -> list[pd.DataFrame]:
    """Read one register file (CSV in any common encoding, XLSX or XLS) into raw text frames.

    Returns one frame per sheet that holds a register (one for a CSV). Each frame keeps the original
    headers and adds ``source_file``, ``source_row`` and ``source_problem`` (a malformed row's problem);
    ``frame.attrs["encoding"]`` records the text encoding used ("workbook" for Excel files).
    Only regular files are read (a FIFO or a device is refused before it is opened); a file too large
    for the memory available is refused, and an .xlsx is checked against ``max_cells`` (the used range
    of a sheet) and ``max_xml_bytes`` (each part unpacked) before it is read
    (:mod:`analysis.registers.workbooks`). Raises :class:`RegisterError` with the file and the problem in one
    line when the file is unusable.
    """
    p = resolve_path(path)
    root = find_project()
    shown = display_path(p)
    label = (
        display_path(p.relative_to(root)) if root is not None and p.is_relative_to(root) else shown
    )
    st = require_regular_file(p)
    suffix = p.suffix.lower()
    try:
        if suffix in {".xlsx", ".xlsm", ".xls"}:
            _require_memory(st.st_size, shown)
            errors = {}
            if suffix != ".xls":
                errors = check_workbook(
                    p, label=shown, sheet=sheet, max_cells=max_cells, max_xml_bytes=max_xml_bytes
                )
            frames = read_excel_register(p, sheet, label, extra_aliases, errors)
            for frame in frames:
                frame.attrs["encoding"] = "workbook"
        elif suffix in {".csv", ".txt", ".tsv", ""}:
            _require_memory(st.st_size, shown)
            frames = [read_csv_register(p, encoding, label, extra_aliases)]
        else:
            raise RegisterError(
                f"unsupported file type {suffix!r} (use .csv, .xlsx or .xls)", file=shown
            )
    except OSError as exc:
        raise read_error(exc, shown) from None
    if sum(len(f) for f in frames) == 0:
        raise RegisterError("the header is there but no data rows follow", file=shown)
    return frames


def read_registers(
    paths, *, encoding: str | None = None, sheet=None, extra_aliases=None, **limits
) -> list[pd.DataFrame]:
    """Read several register files; one raw frame per file (per sheet for workbooks). ``limits``
    (``max_cells``, ``max_xml_bytes``) go to :func:`read_register`."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    frames: list[pd.DataFrame] = []
    for path in paths:
        frames.extend(
            read_register(
                path, encoding=encoding, sheet=sheet, extra_aliases=extra_aliases, **limits
            )
        )
    return frames


def read_aliases(path) -> pd.DataFrame:
    """Read a user's header-alias table (CSV with columns ``canonical`` and ``alias``)."""
    p = resolve_path(path)
    if not p.exists():
        raise RegisterError("no such alias file", file=display_path(p))
    require_regular_file(p, what="alias file")
    table = pd.read_csv(p, dtype=str, comment="#", keep_default_na=False)
    if not {"canonical", "alias"} <= set(table.columns):
        raise RegisterError(
            "an alias table needs the columns canonical,alias", file=display_path(p)
        )
    from analysis.registers.vocabulary import CANONICAL_NAMES

    bad = sorted(set(table["canonical"]) - set(CANONICAL_NAMES))
    if bad:
        raise RegisterError(
            f"unknown canonical name(s) {', '.join(bad)}; known: {', '.join(CANONICAL_NAMES)}",
            file=display_path(p),
        )
    return table[["canonical", "alias"]]
