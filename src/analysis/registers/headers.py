"""Finding a register's header: the row (within the first 15) whose cells match the most header aliases,
two-row headers with merged group cells flattened into one name per column, and rows turned into a
frame of text with the spreadsheet row number of each row.
"""

from __future__ import annotations

import csv
import io as _io
import itertools

import pandas as pd

from analysis.errors import RegisterError
from analysis.registers.vocabulary import map_headers

_HEADER_SCAN_ROWS = 15


def _header_hits(rows: list[list[str]], extra_aliases=None) -> list[int]:
    """For each of the top rows, how many canonical columns its cells map to (0 for a blank row)."""
    hits = []
    for row in rows[:_HEADER_SCAN_ROWS]:
        cells = [c for c in row if str(c).strip()]
        mapped = map_headers(cells, extra_aliases=extra_aliases).columns.values() if cells else ()
        hits.append(len(set(mapped)))
    return hits


def head_rows(sample: str, delimiter: str) -> list[list[str]]:
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


def header_of(rows: list[list[str]], name: str, extra_aliases=None) -> tuple[list, int]:
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


def header_names(row: list) -> list[str]:
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


def malformed_note(extra: list[str], width: int) -> str:
    """The problem text of a row with values beyond the header's last column: how many fields hold
    values, and the text of the extra ones (up to the last filled), so that nothing is lost."""
    text = " | ".join(extra)
    text = text if len(text) <= 300 else text[:299] + "…"
    return f"malformed_row: values in {width + len(extra)} fields, header has {width}: {text}"


def frame_from_rows(rows: list[list[str]], name: str, extra_aliases=None) -> pd.DataFrame:
    """Rows of text cells -> a frame with the header found (and flattened), one column per header
    cell, ``source_row`` the spreadsheet row number and ``source_problem`` noting rows of another
    width."""
    cells, first = header_of(rows, name, extra_aliases)
    header = header_names(cells)
    width = len(header)
    body = rows[first:]
    problems, fixed = [], []
    for row in body:
        row = [("" if c is None else str(c)) for c in row]
        extra = row[width:]
        if any(x.strip() for x in extra):
            filled = max(i for i, x in enumerate(row) if x.strip()) + 1
            problems.append(malformed_note(row[width:filled], width))
        else:
            problems.append("")
        fixed.append((row + [""] * width)[:width])
    frame = pd.DataFrame(fixed, columns=header, dtype=object)
    frame["source_file"] = name
    frame["source_row"] = [first + 1 + i for i in range(len(body))]  # as a spreadsheet numbers it
    frame.attrs["header_rows"] = 2 if cells is not rows[first - 1] else 1
    frame["source_problem"] = problems
    return frame


def sniff_delimiter(sample: str, extra_aliases=None) -> str:
    """The delimiter under which the header scan recognises the most column names; csv.Sniffer's
    guess breaks ties (it alone misreads a ';' file with one short row as ',')."""
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        sniffed = ","
    best, best_hits = sniffed, -1
    for candidate in (sniffed, ",", "\t", ";"):
        hits = max(_header_hits(head_rows(sample, candidate), extra_aliases), default=0)
        if hits > best_hits:
            best, best_hits = candidate, hits
    return best
