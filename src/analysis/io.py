"""Reading and writing files: the one module (with the notebooks and the runner) that touches disk.

Registers are read as text (every cell a string, nothing guessed by pandas), with the header row found
even below a title row, and two columns added: ``source_file`` and ``source_row`` (the row number a
spreadsheet program shows, header included). Outputs are written to a temporary name and moved into
place, so a failed step never leaves half-written files over the last good ones.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io as _io
import itertools
import json
import os
import re
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from analysis.errors import RegisterError
from analysis.parsing import _WHITESPACE_CHARS
from analysis.paths import display_path, find_project, require_regular_file, resolve_path
from analysis.vocabulary import map_headers
from analysis.workbooks import DEFAULT_MAX_CELLS, DEFAULT_MAX_XML_BYTES, check_workbook

__all__ = [
    "RAW_META",
    "detect_encoding",
    "file_sha256",
    "project_root",
    "read_projects",
    "read_register",
    "read_aliases",
    "read_registers",
    "read_table",
    "resolve_path",
    "save_figure",
    "write_clean_outputs",
    "write_json",
    "write_table",
    "write_text",
]

RAW_META = ("source_file", "source_row", "source_problem")
_HEADER_SCAN_ROWS = 15


def project_root() -> Path | None:
    """The project folder found from the working directory (see :mod:`analysis.paths`), or None."""
    return find_project()


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _non_ascii_lines(data: bytes, limit: int = 1 << 20) -> bytes:
    """The lines that hold non-ASCII bytes (the evidence about an encoding), up to ``limit`` bytes."""
    lines, size, pos = [], 0, 0
    while size < limit:
        m = _NON_ASCII.search(data, pos)
        if m is None:
            break
        start = data.rfind(b"\n", 0, m.start()) + 1
        end = data.find(b"\n", m.start())
        end = len(data) if end < 0 else end
        lines.append(data[start:end])
        size += end - start
        pos = end + 1
    return b"\n".join(lines)


# Characters frequent in registers, simplified and traditional: the right decoding shows many of them,
# a wrong one (Big5 bytes read as GB18030 or the reverse) almost none.
_COMMON_CHINESE = frozenset(
    "的一是在和中国國省市县縣区區州旗会會基金项項目年人户戶扶贫貧教育健康产產业業医醫疗療学學校村镇鎮"
)


def _mostly_chinese(text: str) -> bool:
    """Most non-ASCII characters are CJK ideographs, CJK punctuation or full-width forms."""
    wide = [c for c in text[:20_000] if ord(c) > 0x7F]
    cjk = sum(
        0x3000 <= ord(c) <= 0x303F or 0x3400 <= ord(c) <= 0x9FFF or 0xFF00 <= ord(c) <= 0xFFEF
        for c in wide
    )
    return bool(wide) and cjk >= 0.9 * len(wide)


def detect_encoding(data: bytes, *, name: str = "<bytes>") -> str:
    """The text encoding of a CSV: BOM, then strict UTF-8, then GB18030 or Big5, then charset-normalizer.

    GB18030 (which contains GBK and GB2312) or Big5 is chosen when the lines with non-ASCII bytes
    decode strictly in it into mostly Chinese characters (a guesser given a few Chinese names among
    many ASCII rows picks wrongly); when both do, the one showing more of the characters registers
    use, and an error asking for ``encoding=`` when that does not decide. Other encodings are left to
    charset-normalizer; with too little evidence for a guess the error asks for ``encoding=``.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    evidence = _non_ascii_lines(data)
    chinese = {}
    for candidate in ("gb18030", "big5"):
        try:
            text = evidence.decode(candidate)
        except UnicodeDecodeError:
            continue
        if _mostly_chinese(text):
            chinese[candidate] = sum(c in _COMMON_CHINESE for c in text[:20_000])
    if len(chinese) == 1:
        return next(iter(chinese))
    if chinese:  # both read as Chinese: the one with the words registers use, else ask
        (first, a), (second, b) = sorted(chinese.items(), key=lambda kv: -kv[1])
        if a > b:
            return first
        raise RegisterError(
            "the text reads as Chinese both as GB18030 and as Big5; pass encoding=", file=name
        )
    non_ascii = sum(b > 0x7F for b in evidence[:4096])
    if non_ascii < 32:
        raise RegisterError(
            f"cannot tell the text encoding from {non_ascii} non-ASCII bytes; pass encoding= "
            "(e.g. gb18030, big5, cp1252)",
            file=name,
        )
    from charset_normalizer import from_bytes

    best = from_bytes(evidence).best()
    if best is None:
        raise RegisterError("cannot detect the text encoding; pass encoding=", file=name)
    enc = best.encoding.lower().replace("_", "")
    if enc in {"gbk", "gb2312", "gb18030", "hz", "cp936"}:
        return "gb18030"
    return best.encoding


def _header_hits(rows: list[list[str]], extra_aliases=None) -> list[int]:
    """For each of the top rows, how many canonical columns its cells map to (0 for a blank row)."""
    hits = []
    for row in rows[:_HEADER_SCAN_ROWS]:
        cells = [c for c in row if str(c).strip()]
        mapped = map_headers(cells, extra_aliases=extra_aliases).columns.values() if cells else ()
        hits.append(len(set(mapped)))
    return hits


def _head_rows(sample: str, delimiter: str) -> list[list[str]]:
    """The top rows of a text sample as the csv module splits them."""
    reader = csv.reader(_io.StringIO(sample, newline=""), delimiter=delimiter)
    return list(itertools.islice(reader, _HEADER_SCAN_ROWS))


def _find_header(rows: list[list[str]], name: str, extra_aliases=None) -> int:
    """Index of the header row: the first of the top rows that maps the most canonical columns."""
    hits = _header_hits(rows, extra_aliases)
    best_hits = max(hits, default=0)
    best = hits.index(best_hits) if best_hits else None
    if best is None or best_hits < 2:
        seen = next((r for r in rows[:_HEADER_SCAN_ROWS] if any(str(c).strip() for c in r)), [])
        raise RegisterError(
            "no header row found in the first rows (need at least two known column names); "
            f"first row seen: {', '.join(' '.join(str(c).split()) for c in seen[:12]) or '(empty)'}",
            file=name,
        )
    return best


def _hits(cells: list, extra_aliases=None) -> int:
    filled = [c for c in cells if str(c).strip()]
    return (
        len(set(map_headers(filled, extra_aliases=extra_aliases).columns.values())) if filled else 0
    )


def _flatten(top: list, sub: list) -> list[str]:
    """Two header rows as one: the sub-header's name where it has one (受益人数（人） under the merged
    group cell 受益情况), else the top row's (项目名称, merged down over both rows)."""
    width = max(len(top), len(sub))
    top = [str(c) for c in top] + [""] * (width - len(top))
    sub = [str(c) for c in sub] + [""] * (width - len(sub))
    return [s.strip() or t.strip() for t, s in zip(top, sub, strict=True)]


def _header(rows: list[list[str]], name: str, extra_aliases=None) -> tuple[list, int]:
    """(header cells, index of the first data row). A header over two rows (a group cell merged across
    sub-headers on the next row, the other cells merged down) is flattened when that recognises more
    canonical columns than either row alone."""
    h = _find_header(rows, name, extra_aliases)
    best, first, best_hits = rows[h], h + 1, _hits(rows[h], extra_aliases)
    for top, sub in ((h, h + 1), (h - 1, h)):
        if top < 0 or sub >= len(rows):
            continue
        flat = _flatten(rows[top], rows[sub])
        hits = _hits(flat, extra_aliases)
        if hits > best_hits:
            best, first, best_hits = flat, sub + 1, hits
    return best, first


def _header_names(row: list) -> list[str]:
    """Header cells trimmed, trailing blanks dropped, blanks named, repeats made unique."""
    header = [str(c).strip() for c in row]
    while header and not header[-1]:
        header.pop()
    header = [c or f"unnamed_{i + 1}" for i, c in enumerate(header)]
    seen: dict[str, int] = {}
    for i, c in enumerate(header):  # make repeated headers unique, keep the first as written
        if c in seen:
            seen[c] += 1
            header[i] = f"{c}.{seen[c]}"
        else:
            seen[c] = 0
    return header


def _malformed(extra: list[str], width: int) -> str:
    """The problem text of a row with values beyond the header's last column: how many fields hold
    values, and the text of the extra ones (up to the last filled), so that nothing is lost."""
    text = " | ".join(extra)
    text = text if len(text) <= 300 else text[:299] + "…"
    return f"malformed_row: values in {width + len(extra)} fields, header has {width}: {text}"


def _frame_from_rows(rows: list[list[str]], name: str, extra_aliases=None) -> pd.DataFrame:
    cells, first = _header(rows, name, extra_aliases)
    header = _header_names(cells)
    width = len(header)
    body = rows[first:]
    problems, fixed = [], []
    for row in body:
        row = [("" if c is None else str(c)) for c in row]
        extra = row[width:]
        if any(x.strip() for x in extra):
            filled = max(i for i, x in enumerate(row) if x.strip()) + 1
            problems.append(_malformed(row[width:filled], width))
        else:
            problems.append("")
        fixed.append((row + [""] * width)[:width])
    frame = pd.DataFrame(fixed, columns=header, dtype=object)
    frame["source_file"] = name
    frame["source_row"] = [first + 1 + i for i in range(len(body))]  # as a spreadsheet numbers it
    frame.attrs["header_rows"] = 2 if cells is not rows[first - 1] else 1
    frame["source_problem"] = problems
    return frame


_QUOTE_NEIGHBOURS = np.frombuffer(b',;\t\r\n"', dtype=np.uint8)
_SLACK_FIELDS = 8  # extra columns read so that a row with a few fields too many is kept and flagged


def _has_stray_quote(body: bytes) -> bool:
    """A quote with ordinary text on both sides (中国"基金会): such files go to the csv module, which
    reads quotes strictly. Scanned with numpy over the bytes (UTF-8: a quote byte is always a quote)."""
    bom = 3 if body.startswith(b"\xef\xbb\xbf") else 0
    data = np.frombuffer(body, dtype=np.uint8, offset=bom)
    step = 1 << 22  # in blocks that stay in the CPU cache: seven times faster than one pass
    at = np.concatenate(
        [np.zeros(0, dtype=np.intp)]
        + [np.flatnonzero(data[i : i + step] == ord('"')) + i for i in range(0, len(data), step)]
    )
    at = at[(at > 0) & (at < len(data) - 1)]
    if not len(at):
        return False
    before = ~np.isin(data[at - 1], _QUOTE_NEIGHBOURS)
    after = ~np.isin(data[at + 1], _QUOTE_NEIGHBOURS)
    return bool((before & after).any())


def _c_parse(body: bytes, delimiter: str, skip: int, fields: int) -> pd.DataFrame:
    # Lines ended by a lone CR (old Mac exports): the C parser's row skipping goes wrong unless it is
    # told, so such files name their line end; files mixing CR and LF line ends go to the csv module.
    lone_cr = body.count(b"\r") - body.count(b"\r\n")
    if lone_cr and b"\n" in body:
        raise ValueError("lone CR and LF line ends mixed")
    return pd.read_csv(  # bytes, not a text stream: the C parser reads them ten times faster
        _io.BytesIO(body),
        lineterminator="\r" if lone_cr else None,
        encoding="utf-8",
        sep=delimiter,
        header=None,
        names=list(range(fields)),
        skiprows=skip,
        dtype=str,
        na_filter=False,
        keep_default_na=False,
        skip_blank_lines=False,
        engine="c",
        on_bad_lines="error",
    )


def _arrow_parse(body: bytes, delimiter: str, skip: int, width: int) -> pd.DataFrame | None:
    """pyarrow's CSV reader (multi-threaded, strings straight into Arrow) for a file whose every row
    has the header's width; None on anything else (a short or long row, text that is not UTF-8),
    which sends the file to pandas' C parser, which pads, flags and reports."""
    names = [str(i) for i in range(width)]
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(body),
            read_options=pa_csv.ReadOptions(skip_rows=skip, column_names=names, block_size=1 << 26),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    text = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' "str", as read_csv(dtype=str) gives
    return pd.DataFrame(
        {i: pd.array(table.column(name), dtype=text) for i, name in enumerate(names)}
    )


def _read_csv_fast(
    body: bytes, delimiter: str, label: str, extra_aliases=None
) -> pd.DataFrame | None:
    """pandas' C parser on UTF-8 bytes; None sends the file to the careful csv-module path (quotes
    inside fields, line breaks in the header region, rows with many fields too many, parse errors).

    A row with more fields than the header is read with a few slack columns and marked
    ``malformed_row`` in ``source_problem`` when the extra fields hold anything.
    """
    if _has_stray_quote(body):
        return None
    # A character cut at the end of the sample is dropped; a BOM is not part of the header.
    sample = body[: 1 << 16].decode("utf-8", errors="ignore").removeprefix("\ufeff")
    head = _head_rows(sample, delimiter)
    cells, start = _header(head, label, extra_aliases)
    if any("\n" in c or "\r" in c for row in head[:start] for c in row):
        return None
    header = _header_names(cells)
    width = len(header)
    # The C parser takes extra fields in the FIRST data row as index columns (shifting every cell),
    # so a file whose first row is too long is read with slack columns from the start.
    first = len(head[start]) if len(head) > start else 0
    fields = width if first <= width else max(width + _SLACK_FIELDS, first)
    frame = _arrow_parse(body, delimiter, start, width) if fields == width else None
    try:
        if frame is None:
            frame = _c_parse(body, delimiter, start, fields)
    except UnicodeDecodeError:
        raise
    except (pd.errors.ParserError, ValueError, csv.Error):
        if fields > width:
            return None
        try:  # a later row with extra fields: read again with slack columns to keep and flag it
            frame = _c_parse(body, delimiter, start, width + _SLACK_FIELDS)
        except UnicodeDecodeError:
            raise
        except (pd.errors.ParserError, ValueError, csv.Error):
            return None
    if not isinstance(frame.index, pd.RangeIndex):  # columns taken as an index: not read right
        return None
    problem = None
    if frame.shape[1] > width:
        extra = frame.iloc[:, width:]
        filled = np.zeros(len(frame), dtype=np.int64)
        for i in range(extra.shape[1]):
            has_value = extra.iloc[:, i].fillna("").str.strip(_WHITESPACE_CHARS).ne("").to_numpy()
            filled[has_value] = width + i + 1
        frame = frame.iloc[:, :width]
        bad = np.flatnonzero(filled > 0)
        if len(bad):
            problem = np.full(len(frame), "", dtype=object)
            problem[bad] = [
                _malformed(extra.iloc[r, : filled[r] - width].fillna("").tolist(), width)
                for r in bad
            ]
    frame.columns = header
    for c in header:
        if frame[c].hasnans:
            frame[c] = frame[c].fillna("")
    frame["source_file"] = label
    frame["source_row"] = np.arange(start + 1, start + 1 + len(frame))  # 1-based, as shown
    frame.attrs["header_rows"] = 2 if cells is not head[start - 1] else 1
    frame["source_problem"] = "" if problem is None else problem
    return frame


def _looks_utf8(data: bytes) -> bool:
    """A UTF-8 BOM, or a first 64 KiB that decodes as UTF-8 (the rest is checked by the parser)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data[: 1 << 16], final=False)
    except UnicodeDecodeError:
        return False
    return True


MAX_FIELDS = 10_000  # fields in one row: registers have tens; a row of millions is hostile


def _too_many_fields(data: bytes) -> int | None:
    """The 1-based line number of the first line with more than MAX_FIELDS delimiters, or None."""
    if max(data.count(b","), data.count(b"\t"), data.count(b";")) <= MAX_FIELDS:
        return None
    for number, line in enumerate(data.split(b"\n"), start=1):
        if max(line.count(b","), line.count(b"\t"), line.count(b";")) > MAX_FIELDS:
            return number
    return None


def _read_csv(path: Path, encoding: str | None, label: str, extra_aliases=None) -> pd.DataFrame:
    name = display_path(path)
    with path.open("rb") as fh:  # a sparse file of gigabytes of NULs is refused after 4 KiB
        head = fh.read(4096)
        if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise RegisterError("binary content, not a text CSV", file=name)
        data = head + fh.read()
    if not data or data.isspace():
        raise RegisterError("the file is empty", file=name)
    line = _too_many_fields(data)
    if line is not None:
        raise RegisterError(
            f"line {line} has more than {MAX_FIELDS:,} fields; not a register", file=name
        )
    if encoding is None and _looks_utf8(data):
        # Parsed as UTF-8 straight away: the parsers decode strictly, so a file that is not UTF-8
        # after all raises UnicodeDecodeError and is detected and decoded below.
        try:  # a BOM is left in place: it sits in the header row, which the parsers skip
            frame = _parse_utf8(data, label, extra_aliases, path)
            frame.attrs["encoding"] = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
            return frame
        except UnicodeDecodeError:
            pass
    enc = encoding or detect_encoding(data, name=display_path(path))
    try:
        text = data.decode(enc)
    except LookupError:
        raise RegisterError(f"unknown text encoding {enc!r}", file=display_path(path)) from None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RegisterError(
            f"cannot decode as {enc}: byte 0x{data[exc.start]:02x} on line {line} "
            "(another encoding? pass encoding=)",
            file=display_path(path),
        ) from None
    body = text.removeprefix("\ufeff").encode("utf-8")
    frame = _parse_utf8(body, label, extra_aliases, path)
    frame.attrs["encoding"] = enc
    return frame


def _delimiter(sample: str, extra_aliases=None) -> str:
    """The delimiter under which the header scan recognises the most column names; csv.Sniffer's
    guess breaks ties (it alone misreads a ';' file with one short row as ',')."""
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        sniffed = ","
    best, best_hits = sniffed, -1
    for candidate in (sniffed, ",", "\t", ";"):
        hits = max(_header_hits(_head_rows(sample, candidate), extra_aliases), default=0)
        if hits > best_hits:
            best, best_hits = candidate, hits
    return best


def _parse_utf8(body: bytes, label: str, extra_aliases, path: Path) -> pd.DataFrame:
    """CSV text as UTF-8 bytes -> a raw frame: the C parser when it can, else the csv module."""
    sample = body[: 1 << 16].decode("utf-8", errors="ignore").removeprefix("\ufeff")
    delimiter = _delimiter(sample, extra_aliases)
    fast = _read_csv_fast(body, delimiter, label, extra_aliases)
    if fast is not None:
        return fast
    text = body.decode("utf-8").removeprefix("\ufeff")
    try:
        reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        rows = list(reader)
    except csv.Error as exc:
        raise RegisterError(
            f"cannot parse as CSV near line {reader.line_num} ({exc}; a truncated file or a stray quote?)",
            file=display_path(path),
        ) from None
    return _frame_from_rows(rows, label, extra_aliases)


def _read_excel(
    path: Path, sheet: str | int | None, label: str, extra_aliases=None, errors=None
) -> list[pd.DataFrame]:
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
    hidden = _hidden_sheets(path) if sheet is None else set()
    frames, failures = [], []
    for sheet_name, table in sheets.items():
        rows = table.fillna("").astype(str).values.tolist()
        for (r, c), text in (errors or {}).get(str(sheet_name), {}).items():
            if r <= len(rows) and c <= len(rows[r - 1]) and not rows[r - 1][c - 1]:
                rows[r - 1][c - 1] = text  # the reader's blank back to the error it was
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
            frames.append(_frame_from_rows(rows, sheet_label, extra_aliases))
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
    from analysis.vocabulary import REQUIRED_COLUMNS

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


# Reading and cleaning a CSV takes up to about this many times its size in memory at its peak: a
# 1M-row register of ~190 MB peaked at 1.2-1.4 GB (docs/performance.md). A file that would not fit is
# refused up front.
MEMORY_PER_BYTE = 10


def _available_memory() -> int | None:
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
    need, have = size * MEMORY_PER_BYTE, _available_memory()
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
    (:mod:`analysis.workbooks`). Raises :class:`RegisterError` with the file and the problem in one
    line when the file is unusable.
    """
    p = resolve_path(path)
    root = project_root()
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
            frames = _read_excel(p, sheet, label, extra_aliases, errors)
            for frame in frames:
                frame.attrs["encoding"] = "workbook"
        elif suffix in {".csv", ".txt", ".tsv", ""}:
            _require_memory(st.st_size, shown)
            frames = [_read_csv(p, encoding, label, extra_aliases)]
        else:
            raise RegisterError(
                f"unsupported file type {suffix!r} (use .csv, .xlsx or .xls)", file=shown
            )
    except PermissionError:
        raise RegisterError("permission denied", file=shown) from None
    except IsADirectoryError:
        raise RegisterError("is a directory, not a register file", file=shown) from None
    except OSError as exc:
        raise RegisterError(f"cannot read ({exc.strerror or exc})", file=shown) from None
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
    from analysis.vocabulary import CANONICAL_NAMES

    bad = sorted(set(table["canonical"]) - set(CANONICAL_NAMES))
    if bad:
        raise RegisterError(
            f"unknown canonical name(s) {', '.join(bad)}; known: {', '.join(CANONICAL_NAMES)}",
            file=display_path(p),
        )
    return table[["canonical", "alias"]]


def read_table(path) -> pd.DataFrame:
    """Read a CSV table written by :func:`write_table` (relative paths are taken from the project)."""
    return pd.read_csv(resolve_path(path))


def _umask() -> int:
    """The process's umask (read without changing it where /proc allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a new file gets from the user's umask (0644 under the usual 022)."""
    return 0o666 & ~_umask()


def write_text(text: str, path) -> Path:
    """Write a text file (UTF-8, newlines as given) under a temporary name, then move it into place
    with the permissions of the user's umask; relative paths are taken from the project folder."""
    path = resolve_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, suffix=".tmp", delete=False, encoding="utf-8", newline=""
    ) as fh:
        tmp = fh.name
        try:
            fh.write(text)
            os.fchmod(fh.fileno(), file_mode())  # mkstemp makes 0600: co-authors could not read
        except BaseException:
            fh.close()
            os.unlink(tmp)
            raise
    os.replace(tmp, path)
    return path


def write_table(frame: pd.DataFrame, path) -> Path:
    """Write a CSV table (UTF-8, no index) atomically; relative paths are taken from the project."""
    return write_text(frame.to_csv(index=False, lineterminator="\n"), path)


def write_json(obj, path) -> Path:
    """Write JSON (UTF-8, sorted keys) atomically; relative paths are taken from the project."""
    text = json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    return write_text(text + "\n", path)


CLEAN_OUTPUTS = ("projects.parquet", "rejected.csv", "cleaning_report.json")


def check_clean_out(out: Path) -> Path:
    """Refuse a folder for the cleaning outputs that is a file, or that holds files of those names
    that the toolkit did not write (no cleaning report of ours beside them)."""
    name = display_path(out)
    if out.exists() and not out.is_dir():
        raise RegisterError("exists and is not a folder", file=name)
    present = [n for n in CLEAN_OUTPUTS if (out / n).exists()]
    if present:
        report = out / "cleaning_report.json"
        try:
            ours = "rows_in" in json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError):
            ours = False
        if not ours:
            raise RegisterError(
                f"holds {', '.join(present)} not written by `analysis clean`; choose another --out",
                file=name,
            )
    return out


_STAGING = re.compile(r"\.staging-(\d+)-[a-z0-9_]{8}")
_STAGING_MARK = ".analysis-staging"


def _remove_dead_staging(out: Path) -> None:
    """Staging folders of `analysis clean` processes that were killed: named as mkdtemp names ours,
    holding our mark, and their pid gone. Anything else is left alone."""
    for folder in out.glob(".staging-*"):
        m = _STAGING.fullmatch(folder.name)
        if not m or folder.is_symlink() or not (folder / _STAGING_MARK).is_file():
            continue
        try:
            os.kill(int(m.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass


def write_clean_outputs(result, out_dir) -> dict[str, Path]:
    """Write ``projects.parquet``, ``rejected.csv`` and ``cleaning_report.json`` into ``out_dir``.

    The table is validated against the canonical schema first; every file is written under a
    temporary name and moved into place only when all three are written.
    """
    from analysis.schema import validate_projects

    validate_projects(result.data)
    out = resolve_path(out_dir)
    if out.exists() and not out.is_dir():
        raise RegisterError("exists and is not a folder", file=display_path(out))
    out.mkdir(parents=True, exist_ok=True)
    from analysis.runfolder import RunLock

    # Two `analysis clean` at once to one folder would mix their three files: one at a time.
    with RunLock(out / "clean-outputs"):
        return _write_clean_outputs(result, out)


def _write_clean_outputs(result, out: Path) -> dict[str, Path]:
    _remove_dead_staging(out)
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{os.getpid()}-", dir=out))
    try:
        (staging / _STAGING_MARK).touch()
        result.data.to_parquet(staging / "projects.parquet", index=False)
        write_table(result.rejected, staging / "rejected.csv")
        write_json(result.report, staging / "cleaning_report.json")
        paths = {}
        for name in CLEAN_OUTPUTS:
            os.replace(staging / name, out / name)
            paths[name] = out / name
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return paths


def read_projects(processed_dir) -> pd.DataFrame:
    """Read ``projects.parquet`` from a processed folder and check it against the canonical schema."""
    from analysis.schema import validate_projects

    path = resolve_path(processed_dir) / "projects.parquet"
    if not path.is_file():
        raise RegisterError(
            "no cleaned data here; run 01_clean or `analysis clean` first", file=display_path(path)
        )
    return validate_projects(pd.read_parquet(path))


def save_figure(fig, out_dir, name: str, *, formats=("png", "svg", "pdf")) -> dict[str, Path]:
    """Save a figure as PNG (300 dpi), SVG and PDF with the metadata that changes between runs removed
    (dates, software strings; SVG ids are salted by the house style), so the same figure gives the same
    bytes. The one place where figures are written."""
    import matplotlib as mpl

    out = resolve_path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    metadata = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
    }
    paths = {}
    with mpl.rc_context({"svg.hashsalt": "analysis", "pdf.fonttype": 42}):
        for fmt in formats:
            path = out / f"{name}.{fmt}"
            tmp = out / f".{name}.tmp.{fmt}"
            fig.savefig(tmp, format=fmt, dpi=300, metadata=metadata[fmt])
            os.replace(tmp, path)
            paths[fmt] = path
    return paths
