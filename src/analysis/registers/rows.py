"""Rows that are not projects: total and subtotal rows, footer notes, Excel error values, and the note
that marks the simulated demo register.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.registers.text import (
    by_unique,
    normalize_text,
)

SIMULATED_MARK = re.compile("模拟|simulated")


EXCEL_ERROR = re.compile(r"^#(DIV/0!|N/A|VALUE!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA)$")


_TOTAL_WORDS = frozenset(
    "合计 小计 总计 共计 累计 总合计 合计数 total subtotal grandtotal sum totals".split()
)


_FOOTER = re.compile(
    r"^(填报人|填表人|审核人|审核|负责人|单位负责人|制表人|制表|填报日期|填表日期|制表日期|填报单位|注[:：]|说明[:：]|"
    r"备注[:：]|数据来源|prepared by|reviewed by|note[s]?[:：])"
)


def _is_total(text: str) -> bool:
    key = re.sub(r"[\s:：()（）\[\]]+", "", normalize_text(text))
    return key in _TOTAL_WORDS


def _is_footer(text: str) -> bool:
    return bool(_FOOTER.match(normalize_text(text)))


def row_marks(raw: pd.DataFrame, columns: list) -> tuple[np.ndarray, np.ndarray]:
    """Rows holding a totals word in any cell, and rows holding a footer phrase, by column (each
    column's distinct values are tested once)."""
    total = np.zeros(len(raw), dtype=bool)
    footer = np.zeros(len(raw), dtype=bool)
    for c in columns:
        codes, marks = by_unique(raw[c], lambda v: (_is_total(v), _is_footer(v)))
        if len(codes):
            kinds = np.array(marks, dtype=bool).reshape(-1, 2)
            total |= kinds[codes, 0]
            footer |= kinds[codes, 1]
    return total, footer
