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

# Defaults that keep reading within about 30 s and 1 GB on a 2-core machine (measured in
# docs/runs.md); a larger workbook is read after raising them, or is better exported as CSV.
DEFAULT_MAX_CELLS = 4_000_000  # cells over every sheet read (a 260,000-row register of 15 columns)


DEFAULT_MAX_XML_BYTES = 256 << 20  # 256 MiB of decompressed XML per part


EXCEL_CELL_CHARS = 32_767  # Excel's own limit on the text of one cell


_SMALL_PART = 16 << 20  # workbook.xml and its relationships: a few KB in real files


_CHUNK = 1 << 20


_OVERLAP = 256


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


# Attribute values in either quote, any case, spaces around "=" (XML allows all of these).
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr\s*=\s*[\"']\s*([A-Za-z]{1,4})([0-9]{1,9})\s*[\"']")


_ROW_REF = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr\s*=\s*[\"']\s*([0-9]{1,9})\s*[\"']")


_CELL_OPEN = re.compile(rb"<(?:\w+:)?c[\s/>]")


# An error cell (t="e"): its reference and the error text (#DIV/0!, #N/A, ...), which the reader turns
# into a blank.
_ERROR_CELL = re.compile(
    rb"<(?:\w+:)?c\b([^>]*?)\bt\s*=\s*[\"']e[\"']([^>]*)>\s*<(?:\w+:)?v>([^<]{1,40})</(?:\w+:)?v>"
)


_REF = re.compile(rb"\br\s*=\s*[\"']\s*([A-Za-z]{1,4})([0-9]{1,9})")


MAX_ERRORS = 100_000


_TEXT_OPEN = re.compile(rb"<(?:\w+:)?t[\s>]")


_TEXT_CLOSE = re.compile(rb"</(?:\w+:)?t\s*>")


@dataclass(frozen=True)
class SheetInfo:
    """A sheet of a workbook: its name, the zip part that holds it and its state (visible, hidden,
    veryHidden)."""

    name: str
    part: str
    state: str = "visible"


def _column_number(letters: bytes) -> int:
    n = 0
    for b in letters.upper():
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
    """Stream one part: its decompressed size (refused past the limit), the longest text of a cell
    (refused past Excel's own limit) and, for a sheet, the used range (first and last row and column
    of the cells' references), the number of cell elements and the error cells. Returns (bytes,
    cells, range text, {(row, column): error text}), rows and columns counted from 1."""
    lo_r = lo_c = 1 << 62
    hi_r = hi_c = 0
    size = elements = 0
    tail = b""
    errors: dict[tuple[int, int], str] = {}
    text_open_at = None  # offset (in the whole part) of an unclosed <t>
    with book.open(part) as fh:
        while chunk := fh.read(_CHUNK):
            start = size
            size += len(chunk)
            if size > max_xml_bytes:
                raise RegisterError(
                    f"workbook part {part} unpacks to more than {max_xml_bytes:,} bytes "
                    "(a compression bomb, or raise the limit with max_xml_bytes / --max-xml-mb)",
                    file=label,
                )
            text_open_at = _check_text_runs(chunk, start, text_open_at, part, label)
            if not want_cells:
                continue
            elements += len(_CELL_OPEN.findall(chunk))
            text = tail + chunk
            if b"e" in text and len(errors) < MAX_ERRORS:
                for attrs_a, attrs_b, value in _ERROR_CELL.findall(text):
                    ref = _REF.search(attrs_a + b" " + attrs_b)
                    if ref:
                        key = (int(ref.group(2)), _column_number(ref.group(1)))
                        errors[key] = value.decode("utf-8", "replace").strip()
            cells = _CELL_REF.findall(text)
            if cells:
                nums = [_column_number(c) for c in {c for c, _ in cells}]
                rows = [int(r) for _, r in cells]
                lo_c, hi_c = min(lo_c, *nums), max(hi_c, *nums)
                lo_r, hi_r = min(lo_r, *rows), max(hi_r, *rows)
            rows = [int(r) for r in _ROW_REF.findall(text)]
            if rows:
                lo_r, hi_r = min(lo_r, *rows), max(hi_r, *rows)
            tail = text[-_OVERLAP:]
    if not hi_r:
        return size, elements, f"{elements:,} cell elements", errors
    hi_c = max(hi_c, 1)
    lo_c = min(lo_c, hi_c)
    cells = max((hi_r - lo_r + 1) * (hi_c - lo_c + 1), elements)
    return size, cells, f"{_letters(lo_c)}{lo_r}:{_letters(hi_c)}{hi_r}", errors


def _check_text_runs(chunk: bytes, start: int, open_at, part: str, label: str):
    """Follow <t>...</t> runs across chunks; refuse a cell text longer than Excel allows (a string
    of gigabytes in a kilobyte file). Returns the offset of a run still open at the chunk's end."""
    pos = 0
    limit = EXCEL_CELL_CHARS * 4  # bytes: four per character at most in UTF-8
    while True:
        if open_at is None:
            m = _TEXT_OPEN.search(chunk, pos)
            if m is None:
                return None
            open_at, pos = start + m.end(), m.end()
        m = _TEXT_CLOSE.search(chunk, pos)
        end = start + (m.start() if m else len(chunk))
        if end - open_at > limit:
            raise RegisterError(
                f"workbook part {part} holds a cell text longer than Excel allows "
                f"({EXCEL_CELL_CHARS:,} characters): not a spreadsheet Excel wrote",
                file=label,
            )
        if m is None:
            return open_at
        open_at, pos = None, m.end()


def _letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _parts(book: zipfile.ZipFile) -> dict[str, str]:
    """Lower-cased part name -> stored name: the Excel reader finds parts whatever their case."""
    return {name.lower(): name for name in book.namelist()}


def check_workbook(
    path,
    *,
    label: str,
    sheet: str | int | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
    max_xml_bytes: int = DEFAULT_MAX_XML_BYTES,
) -> dict[str, dict[tuple[int, int], str]]:
    """Check an .xlsx against the limits before it is read; return its sheets.

    Scanned: the sheets that will be read (the one named or numbered by ``sheet``, every sheet when
    None; a part that several sheets point at counts once per sheet), every other worksheet part
    and every shared-strings part, found whatever the case of their names. ``max_cells`` bounds the
    cells over all sheets read; ``max_xml_bytes`` each part. Raises :class:`RegisterError` naming
    the file, the sheet, its used range and the limit. Returns, per sheet read, its Excel error
    cells ((row, column) counted from 1 -> text such as "#DIV/0!"), which the reader turns into blanks.
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
        parts = _parts(book)
        counted, errors = _scan_chosen(book, chosen, parts, label, max_cells, max_xml_bytes)
        for lower, stored in parts.items():  # the rest: other sheets, shared strings in any case
            if stored not in counted and (
                (lower.startswith("xl/worksheets/") and lower.endswith(".xml"))
                or lower.endswith("sharedstrings.xml")
            ):
                _scanned(book, stored, label, max_xml_bytes, False)
    return errors


def _scan_chosen(book, chosen, parts, label, max_cells, max_xml_bytes) -> tuple[dict, dict]:
    """Scan the parts of the sheets to be read, each part once: (stored part name -> its scan result,
    sheet name -> its Excel error cells). Raises when a sheet, or the sheets so far, exceed
    ``max_cells`` cells."""
    counted: dict[str, tuple] = {}
    errors: dict[str, dict[tuple[int, int], str]] = {}
    total = 0
    for info in chosen:
        stored = parts.get(info.part.lower())
        if stored is None:
            continue
        if stored not in counted:
            counted[stored] = _scanned(book, stored, label, max_xml_bytes, True)[1:]
        cells, used, errors[info.name] = counted[stored]
        total += cells
        if cells > max_cells or total > max_cells:
            before = f"; {total:,} with the sheets before it" if total > cells else ""
            raise RegisterError(
                f"sheet {info.name!r} spans {used} ({cells:,} cells{before}; the limit is "
                f"{max_cells:,}); a stray far-away cell? delete it, or raise max_cells / "
                "--max-cells",
                file=label,
            )
    return counted, errors


def _scanned(book, part, label, max_xml_bytes, want_cells):
    try:
        return _scan_part(book, part, label, max_xml_bytes, want_cells)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise RegisterError(
            f"cannot read as Excel ({part}: {exc.__class__.__name__})", file=label
        ) from None
