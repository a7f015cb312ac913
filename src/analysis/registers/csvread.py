"""CSV and other delimited text registers: every cell read as text (nothing guessed by pandas), by
pyarrow when the file is clean UTF-8 and by Python's csv module otherwise, rows with too many or too
few fields kept and marked in ``source_problem``.
"""

from __future__ import annotations

import csv
import io as _io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from analysis.errors import RegisterError
from analysis.paths import display_path
from analysis.registers.encoding import detect_encoding, looks_utf8
from analysis.registers.headers import (
    frame_from_rows,
    head_rows,
    header_names,
    header_of,
    malformed_note,
    sniff_delimiter,
)
from analysis.registers.text import WHITESPACE_CHARS

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


def arrow_parse(body: bytes, delimiter: str, skip: int, width: int) -> pd.DataFrame | None:
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


def read_csv_fast(
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
    head = head_rows(sample, delimiter)
    cells, start = header_of(head, label, extra_aliases)
    if any("\n" in c or "\r" in c for row in head[:start] for c in row):
        return None
    header = header_names(cells)
    width = len(header)
    # The C parser takes extra fields in the FIRST data row as index columns (shifting every cell),
    # so a file whose first row is too long is read with slack columns from the start.
    first = len(head[start]) if len(head) > start else 0
    fields = width if first <= width else max(width + _SLACK_FIELDS, first)
    frame = _parse_body(body, delimiter, start, width, fields)
    if frame is None or not isinstance(frame.index, pd.RangeIndex):
        return None  # not parsed, or columns taken as an index: not read right
    frame, problem = _split_extra_fields(frame, width)
    frame.columns = header
    for c in header:
        if frame[c].hasnans:
            frame[c] = frame[c].fillna("")
    frame["source_file"] = label
    frame["source_row"] = np.arange(start + 1, start + 1 + len(frame))  # 1-based, as shown
    frame.attrs["header_rows"] = 2 if cells is not head[start - 1] else 1
    frame["source_problem"] = "" if problem is None else problem
    return frame


def _parse_body(
    body: bytes, delimiter: str, start: int, width: int, fields: int
) -> pd.DataFrame | None:
    """The rows below the header as text columns: pyarrow when every row has the header's ``width``,
    else the C parser with ``fields`` columns, and again with slack columns when a later row is too
    long. None when neither reads the file (it goes to the csv module); text that is not UTF-8
    raises UnicodeDecodeError."""
    frame = arrow_parse(body, delimiter, start, width) if fields == width else None
    if frame is not None:
        return frame
    try:
        return _c_parse(body, delimiter, start, fields)
    except UnicodeDecodeError:
        raise
    except (pd.errors.ParserError, ValueError, csv.Error):
        if fields > width:
            return None
    try:  # a later row with extra fields: read again with slack columns to keep and flag it
        return _c_parse(body, delimiter, start, width + _SLACK_FIELDS)
    except UnicodeDecodeError:
        raise
    except (pd.errors.ParserError, ValueError, csv.Error):
        return None


def _split_extra_fields(frame: pd.DataFrame, width: int) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The first ``width`` columns, and per row the malformed-row note of its filled extra fields
    ('' for a row without; None when no row has any)."""
    if frame.shape[1] <= width:
        return frame, None
    extra = frame.iloc[:, width:]
    filled = np.zeros(len(frame), dtype=np.int64)
    for i in range(extra.shape[1]):
        has_value = extra.iloc[:, i].fillna("").str.strip(WHITESPACE_CHARS).ne("").to_numpy()
        filled[has_value] = width + i + 1
    frame = frame.iloc[:, :width]
    bad = np.flatnonzero(filled > 0)
    if not len(bad):
        return frame, None
    problem = np.full(len(frame), "", dtype=object)
    problem[bad] = [
        malformed_note(extra.iloc[r, : filled[r] - width].fillna("").tolist(), width) for r in bad
    ]
    return frame, problem


MAX_FIELDS = 10_000  # fields in one row: registers have tens; a row of millions is hostile


def _too_many_fields(data: bytes) -> int | None:
    """The 1-based line number of the first line with more than MAX_FIELDS delimiters, or None."""
    if max(data.count(b","), data.count(b"\t"), data.count(b";")) <= MAX_FIELDS:
        return None
    for number, line in enumerate(data.split(b"\n"), start=1):
        if max(line.count(b","), line.count(b"\t"), line.count(b";")) > MAX_FIELDS:
            return number
    return None


def read_csv_register(
    path: Path, encoding: str | None, label: str, extra_aliases=None
) -> pd.DataFrame:
    """A delimited text register as a frame of text cells: the encoding given or detected, NULs and
    hostile widths refused, the header found."""
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
    if encoding is None and looks_utf8(data):
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


def _parse_utf8(body: bytes, label: str, extra_aliases, path: Path) -> pd.DataFrame:
    """CSV text as UTF-8 bytes -> a raw frame: the C parser when it can, else the csv module."""
    sample = body[: 1 << 16].decode("utf-8", errors="ignore").removeprefix("\ufeff")
    delimiter = sniff_delimiter(sample, extra_aliases)
    fast = read_csv_fast(body, delimiter, label, extra_aliases)
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
    return frame_from_rows(rows, label, extra_aliases)
