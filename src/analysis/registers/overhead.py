"""Reading an overhead table: each organization's administrative costs (管理费用) as a share of its
total annual expenditure, from its annual reports, supplied by the user (docs/data.md, "The overhead
table"). The estimators allocate it to projects in proportion to their spending; this module only reads
and checks the file.
"""

from __future__ import annotations

import csv
import io as _io
import re
import unicodedata

import numpy as np
import pandas as pd

from analysis.errors import RegisterError
from analysis.paths import display_path, read_error, require_regular_file, resolve_path
from analysis.registers.encoding import detect_encoding
from analysis.registers.parsing import parse_bool, parse_year_text
from analysis.registers.text import BLANK_TOKENS, normalize_text, tidy_text

OVERHEAD_COLUMNS = ("org_name", "year", "admin_share", "source", "simulated")
OVERHEAD_REQUIRED = ("org_name", "admin_share")
# Accepted headers (matched as register headers are: case, spaces, '_' and full width ignored).
OVERHEAD_ALIASES = {
    "org_name": (
        "org_name",
        "organization",
        "organisation",
        "机构名称",
        "组织名称",
        "社会组织名称",
    ),
    "year": ("year", "年度", "年份"),
    "admin_share": (
        "admin_share",
        "admin share",
        "overhead share",
        "管理费用占比",
        "管理费用率",
        "管理费用比例",
        "管理费用占总支出比例",
    ),
    "source": ("source", "来源", "数据来源", "资料来源"),
    "simulated": ("simulated", "模拟", "模拟数据", "是否模拟"),
}
_MAX_BYTES = 64 * 2**20  # an overhead table has a row per organization and year: a few MB at most
_SHARE = re.compile(r"^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(%?)$")


def _key(header: str) -> str:
    return re.sub(r"[\s_]+", "", unicodedata.normalize("NFKC", str(header)).lower())


_ALIAS_OF = {_key(a): canon for canon, aliases in OVERHEAD_ALIASES.items() for a in aliases}


def _rows(path) -> tuple[str, list[tuple[int, list[str]]]]:
    """(the file as shown, its non-blank rows with their line numbers), the text decoded as a
    register's is; lines starting with '#' before the header are comments."""
    p = resolve_path(path)
    shown = display_path(p)
    st = require_regular_file(p, what="overhead table")
    if st.st_size > _MAX_BYTES:
        raise RegisterError(
            f"is {st.st_size / 2**20:,.0f} MiB, too large for an overhead table", file=shown
        )
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise read_error(exc, shown) from None
    text = data.decode(detect_encoding(data, name=shown))
    try:
        delimiter = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for cells in reader:
        if not rows and cells and str(cells[0]).lstrip().startswith("#"):
            continue
        if any(c.strip() for c in cells):
            rows.append((reader.line_num, [c.strip() for c in cells]))
    return shown, rows


def _columns_of(header: list[str], shown: str) -> dict[str, int]:
    """Canonical column -> position in the header; a missing required column is one line."""
    where: dict[str, int] = {}
    for i, cell in enumerate(header):
        canon = _ALIAS_OF.get(_key(cell))
        if canon is not None and canon not in where:
            where[canon] = i
    missing = [c for c in OVERHEAD_REQUIRED if c not in where]
    if missing:
        raise RegisterError(
            f"an overhead table needs the column(s) {', '.join(missing)}; headers seen: "
            f"{', '.join(header) or '(none)'}",
            file=shown,
        )
    return where


def parse_share(text: str) -> float | None:
    """An administrative-cost share as written ("0.085", "8.5%", "８.５％") -> a share in [0, 1), or
    None when it is not one (a number of 1 or more without %, which could be a percent, is not)."""
    m = _SHARE.match(normalize_text(text))
    if not m:
        return None
    value = float(m.group(1)) / (100.0 if m.group(2) else 1.0)
    return value if 0.0 <= value < 1.0 else None


def _cell(row: list[str], where: dict, name: str) -> str:
    i = where.get(name)
    return row[i] if i is not None and i < len(row) else ""


def _parse_row(line: int, row: list[str], where: dict, shown: str) -> tuple:
    """One data row -> (org_name, year or None, share, source, simulated); a bad value raises the
    one-line error naming the file, row, column and value."""

    def bad(column: str, value: str, why: str):
        return RegisterError(why, file=shown, row=line, column=column, value=value)

    org = tidy_text(_cell(row, where, "org_name"))
    if normalize_text(org) in BLANK_TOKENS:
        raise bad("org_name", org, "the organization is blank")
    year_text = _cell(row, where, "year")
    year = None
    if normalize_text(year_text) not in BLANK_TOKENS:
        y = parse_year_text(year_text)
        if np.isnan(y) or not 1900 <= y <= 2100:
            raise bad("year", year_text, "not a year (leave it blank for every year)")
        year = int(y)
    share_text = _cell(row, where, "admin_share")
    share = parse_share(share_text)
    if share is None:
        raise bad(
            "admin_share",
            share_text,
            "not a share in [0, 1): write 0.085 or 8.5% (a share below 1)",
        )
    sim_text = _cell(row, where, "simulated")
    simulated = False
    if normalize_text(sim_text) not in BLANK_TOKENS:
        flag = parse_bool(pd.Series([sim_text])).iloc[0]
        if pd.isna(flag):
            raise bad("simulated", sim_text, "not read as yes or no (true/false, 是/否)")
        simulated = bool(flag)
    return org, year, share, _cell(row, where, "source"), simulated


def read_overhead(path) -> pd.DataFrame:
    """Read an overhead table (CSV: ``org_name``, ``admin_share``, optional ``year``, ``source`` and
    ``simulated``; Chinese headers 机构名称/组织名称, 年度/年份, 管理费用占比/管理费用率 accepted).

    ``admin_share`` is an organization's administrative costs (管理费用) as a share of its total annual
    expenditure, in [0, 1), written as a share (0.085) or a percent (8.5%). A blank ``year`` means
    every year; a row for a year takes precedence over the blank-year row of the same organization
    (the estimators' rule). Organization names are trimmed and folded as cleaning folds them, so they
    match the cleaned table's ``org_name``.

    Returns the columns of ``OVERHEAD_COLUMNS`` (org_name text, year Int64 with <NA> for every year,
    admin_share float, source text, simulated bool). A bad value, a repeated organization and year,
    or a missing column raises :class:`RegisterError` in one line naming the file, row, column and
    value.
    """
    shown, rows = _rows(path)
    if not rows:
        raise RegisterError("the overhead table is empty", file=shown)
    (_, header), body = rows[0], rows[1:]
    where = _columns_of(header, shown)
    if not body:
        raise RegisterError("the header is there but no rows follow", file=shown)
    records, seen = [], {}
    for line, row in body:
        record = _parse_row(line, row, where, shown)
        key = (record[0], record[1])
        if key in seen:
            raise RegisterError(
                f"repeats the organization and year of row {seen[key]}",
                file=shown,
                row=line,
                column="org_name",
                value=record[0],
            )
        seen[key] = line
        records.append(record)
    org, year, share, source, simulated = zip(*records, strict=True)
    return pd.DataFrame(
        {
            "org_name": pd.array(org, dtype="string"),
            "year": pd.array(year, dtype="Int64"),
            "admin_share": np.array(share, dtype=float),
            "source": pd.array(source, dtype="string"),
            "simulated": np.array(simulated, dtype=bool),
        }
    )
