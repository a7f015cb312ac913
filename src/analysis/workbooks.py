"""Looking inside an .xlsx before it is read: sheets, their state, and bounds on what reading costs.

The Excel reader (calamine) builds a dense grid from the first to the last used cell, so a 2 KB
workbook whose only cell sits at XFD1048576 asks for 17 billion cells, and a shared-strings part that
compresses a thousandfold takes gigabytes. :func:`check_workbook` streams each part that will be read,
with constant memory, and refuses the file with one line before the reader sees it:

* a sheet whose used range (first to last cell, from the cells' own references, not the declared
  dimension, which may lie), or whose number of cell elements, exceeds ``max_cells``;
* a part (a sheet or the shared strings) that decompresses to more than ``max_xml_bytes``.

.xls files (BIFF8) are bounded by the format itself (65,536 rows × 256 columns) and are not scanned.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.etree import ElementTree

from analysis.errors import RegisterError

__all__ = ["DEFAULT_MAX_CELLS", "DEFAULT_MAX_XML_BYTES", "SheetInfo", "check_workbook", "sheets_of"]

DEFAULT_MAX_CELLS = 20_000_000  # a 1M-row register of 20 columns
DEFAULT_MAX_XML_BYTES = 1 << 30  # 1 GiB of decompressed XML per part
_SMALL_PART = 16 << 20  # workbook.xml and its relationships: a few KB in real files
_CHUNK = 1 << 20
_OVERLAP = 256

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]{1,4})([0-9]{1,9})"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="([0-9]{1,9})"')


@dataclass(frozen=True)
class SheetInfo:
    """A sheet of a workbook: its name, the zip part that holds it and its state (visible, hidden,
    veryHidden)."""

    name: str
    part: str
    state: str = "visible"


def _column_number(letters: bytes) -> int:
    n = 0
    for b in letters:
        n = n * 26 + (b - 64)
    return n


def _small_xml(book: zipfile.ZipFile, part: str, label: str) -> ElementTree.Element:
    info = book.getinfo(part)
    if info.file_size > _SMALL_PART:
        raise RegisterError(f"workbook part {part} is implausibly large", file=label)
    with book.open(info) as fh:
        data = fh.read(_SMALL_PART + 1)
    if len(data) > _SMALL_PART:
        raise RegisterError(f"workbook part {part} is implausibly large", file=label)
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise RegisterError(f"cannot read as Excel (broken {part}: {exc})", file=label) from None


def sheets_of(book: zipfile.ZipFile, label: str) -> list[SheetInfo]:
    """The sheets of an open .xlsx in workbook order, with the part that holds each one."""
    names = set(book.namelist())
    if "xl/workbook.xml" not in names:
        raise RegisterError("cannot read as Excel (no xl/workbook.xml)", file=label)
    workbook = _small_xml(book, "xl/workbook.xml", label)
    targets: dict[str, str] = {}
    if "xl/_rels/workbook.xml.rels" in names:
        for rel in _small_xml(book, "xl/_rels/workbook.xml.rels", label).iter(
            f"{_PKG_REL}Relationship"
        ):
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[rel.get("Id", "")] = str(PurePosixPath(path))
    sheets = []
    for el in workbook.iter(f"{_MAIN}sheet"):
        part = targets.get(el.get(f"{_REL}id", ""), "")
        sheets.append(SheetInfo(el.get("name", ""), part, el.get("state", "visible")))
    return sheets


def _scan_part(book: zipfile.ZipFile, part: str, label: str, max_xml_bytes: int, want_cells: bool):
    """Stream one part: its decompressed size (refused past the limit) and, for a sheet, the used
    range (first and last row and column of the cells' references)."""
    lo_r = lo_c = 1 << 62
    hi_r = hi_c = 0
    size = elements = 0
    tail = b""
    with book.open(part) as fh:
        while chunk := fh.read(_CHUNK):
            size += len(chunk)
            if size > max_xml_bytes:
                raise RegisterError(
                    f"workbook part {part} unpacks to more than {max_xml_bytes:,} bytes "
                    "(a compression bomb, or raise the limit with max_xml_bytes / --max-xml-mb)",
                    file=label,
                )
            if not want_cells:
                continue
            elements += chunk.count(b"<c ") + chunk.count(b"<c>")
            text = tail + chunk
            cells = _CELL_REF.findall(text)
            if cells:
                cols = {c for c, _ in cells}
                rows = [int(r) for _, r in cells]
                nums = [_column_number(c) for c in cols]
                lo_c, hi_c = min(lo_c, *nums), max(hi_c, *nums)
                lo_r, hi_r = min(lo_r, *rows), max(hi_r, *rows)
            rows = [int(r) for r in _ROW_REF.findall(text)]
            if rows:
                lo_r, hi_r = min(lo_r, *rows), max(hi_r, *rows)
            tail = text[-_OVERLAP:]
    if not hi_r:
        return size, elements, f"{elements:,} cell elements"
    hi_c = max(hi_c, 1)
    lo_c = min(lo_c, hi_c)
    cells = max((hi_r - lo_r + 1) * (hi_c - lo_c + 1), elements)
    return size, cells, f"{_letters(lo_c)}{lo_r}:{_letters(hi_c)}{hi_r}"


def _letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def check_workbook(
    path,
    *,
    label: str,
    sheet: str | int | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
    max_xml_bytes: int = DEFAULT_MAX_XML_BYTES,
) -> list[SheetInfo]:
    """Check an .xlsx against the limits before it is read; return its sheets.

    Only the parts that will be read are scanned: the sheet named or numbered by ``sheet`` (every
    sheet when None) and the shared strings. Raises :class:`RegisterError` naming the file, the sheet,
    its used range and the limit.
    """
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise RegisterError(
            f"cannot read as Excel ({exc.__class__.__name__}: {str(exc)[:80]})", file=label
        ) from None
    with book:
        sheets = sheets_of(book, label)
        chosen = sheets
        if isinstance(sheet, int) and 0 <= sheet < len(sheets):
            chosen = [sheets[sheet]]
        elif isinstance(sheet, str):
            chosen = [s for s in sheets if s.name == sheet]
        names = set(book.namelist())
        for info in chosen:
            if info.part not in names:
                continue
            try:
                _, cells, used = _scan_part(book, info.part, label, max_xml_bytes, True)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                raise RegisterError(
                    f"cannot read as Excel (sheet {info.name!r}: {exc.__class__.__name__})",
                    file=label,
                ) from None
            if cells > max_cells:
                raise RegisterError(
                    f"sheet {info.name!r} spans {used} ({cells:,} cells; the limit is "
                    f"{max_cells:,}); a stray far-away cell? delete it, or raise max_cells / "
                    "--max-cells",
                    file=label,
                )
        for part in ("xl/sharedStrings.xml",):
            if part in names:
                try:
                    _scan_part(book, part, label, max_xml_bytes, False)
                except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                    raise RegisterError(
                        f"cannot read as Excel ({part}: {exc.__class__.__name__})", file=label
                    ) from None
    return sheets
