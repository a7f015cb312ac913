"""Parsing of register values: amounts of money, counts of people and households, years, yes/no.

Each ``parse_*`` function takes a Series of raw text and returns a DataFrame aligned on its index. The
work is done once per distinct value (registers repeat the same strings many times) and mapped back.
Chinese numerals go through :mod:`cn2an`; full-width digits and punctuation are folded by NFKC.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.registers.text import (
    BLANK_TOKENS,
    by_unique,
    dictionary_codes,
    normalize_text,
    text_array,
)

# Money units, longest first so that "万元" wins over "元". Multipliers give yuan.
_MONEY_UNITS = [
    ("billion yuan", 1e9),
    ("million yuan", 1e6),
    ("thousand yuan", 1e3),
    ("10,000 yuan", 1e4),
    ("10k yuan", 1e4),
    ("bn yuan", 1e9),
    ("mn yuan", 1e6),
    ("billion", 1e9),
    ("million", 1e6),
    ("thousand", 1e3),
    ("bn", 1e9),
    ("mn", 1e6),
    ("亿元", 1e8),
    ("万元", 1e4),
    ("千元", 1e3),
    ("百元", 1e2),
    ("亿", 1e8),
    ("万", 1e4),
    ("元", 1.0),
    ("yuan", 1.0),
    ("rmb", 1.0),
    ("cny", 1.0),
    ("¥", 1.0),
    ("￥", 1.0),
]


# Count units. "人次" marks person-times; "户" households.
_COUNT_UNITS = [
    ("万人次", 1e4, "person_times"),
    ("人次", 1.0, "person_times"),
    ("person-times", 1.0, "person_times"),
    ("万人", 1e4, "persons"),
    ("万户", 1e4, "households"),
    ("人", 1.0, "persons"),
    ("户", 1.0, "households"),
    ("persons", 1.0, "persons"),
    ("people", 1.0, "persons"),
    ("households", 1.0, "households"),
    ("名", 1.0, "persons"),
]


_APPROX = (
    "大约",
    "约为",
    "约",
    "近",
    "逾",
    "超过",
    "以上",
    "左右",
    "余",
    "多",
    "about",
    "approx.",
    "approximately",
    "approx",
    "around",
    "over",
    "more than",
    "~",
    "≈",
    "+",
)


_HEADER_UNIT = re.compile(r"[(（\[]\s*([^()（）\[\]]+?)\s*[)）\]]")


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


_YEAR_IN_TEXT = re.compile(r"(?<!\d)(1\d{3}|2\d{3})(?!\d)")


PLAIN_NUMBER = r"^[0-9]+(\.[0-9]+)?$"


def _columns(
    values: pd.Series,
    fn,
    names: tuple[str, ...],
    dtypes: tuple,
    plain_multiplier: float | None = None,
) -> pd.DataFrame:
    """Results of ``fn`` (a tuple per distinct value) as columns aligned on ``values``' index.

    With ``plain_multiplier``, distinct values that are plain decimal numbers ("1200", "35.5") are
    converted by pyarrow and multiplied, the other columns taking their "parsed, nothing special"
    values (False, ''); ``fn`` sees only the rest. Tests check both routes give the same answers.
    """
    codes, distinct = dictionary_codes(text_array(values))
    k = len(distinct)
    cols = [np.empty(k, dtype=d) for d in dtypes]
    fast = np.zeros(k, dtype=bool)
    if plain_multiplier is not None and k:
        trimmed = pc.ascii_trim_whitespace(distinct)
        fast = pc.match_substring_regex(trimmed, PLAIN_NUMBER).to_numpy(zero_copy_only=False)
        if fast.any():
            numbers = pc.cast(pc.filter(trimmed, pa.array(fast)), pa.float64()).to_numpy()
            cols[0][fast] = numbers * plain_multiplier
            for col in cols[1:]:
                col[fast] = "" if col.dtype == object else False
    slow = np.flatnonzero(~fast)
    if len(slow):
        results = [fn(u) for u in distinct.take(pa.array(slow)).to_pylist()]
        for i, col in enumerate(cols):
            col[slow] = [r[i] for r in results]
    out = {name: col[codes] for name, col in zip(names, cols, strict=True)}
    return pd.DataFrame(out, index=values.index)


def _is_blank(text: str) -> bool:
    return text in BLANK_TOKENS


def unit_from_header(header: str) -> tuple[str, float] | None:
    """The unit written in brackets in a header, e.g. ``支出金额（万元）`` -> ``("万元", 1e4)``.

    Returns ``(unit, multiplier)`` for money and count units, or None when the header names no unit.
    """
    m = _HEADER_UNIT.search(unicodedata.normalize("NFKC", str(header)))
    if not m:
        return None
    unit = normalize_text(m.group(1))
    for name, mult in _MONEY_UNITS:
        if unit == name:
            return name, mult
    for name, mult, _kind in _COUNT_UNITS:
        if unit == name:
            return name, mult
    return None


def _strip_approx(text: str) -> tuple[str, bool]:
    approx = False
    changed = True
    while changed:
        changed = False
        for q in _APPROX:
            if text.startswith(q):
                text, approx, changed = text[len(q) :].strip(), True, True
            elif text.endswith(q):
                text, approx, changed = text[: -len(q)].strip(), True, True
    return text, approx


def _strip_currency(text: str) -> str:
    for sign in ("人民币", "¥", "￥", "rmb", "cny"):
        if text.startswith(sign):
            return text[len(sign) :].strip()
    return text


# Thousands separators: every comma followed by exactly three digits, none after the decimal point.
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _ambiguous(text: str) -> bool:
    """A number whose separators can be read two ways: "1.000,50" (a decimal comma), "1,5", "12,34"."""
    t = text.replace(" ", "")
    return "," in t and bool(re.fullmatch(r"[+-]?[\d.,]+", t)) and not _GROUPED.match(t)


def _to_number(text: str) -> float | None:
    text = text.replace(",", "").replace(" ", "")
    if not text:
        return None
    if _NUMBER.match(text):
        return float(text)
    if re.fullmatch(r"[0-9.零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟点]+", text):
        try:
            import cn2an

            return float(cn2an.cn2an(text, "smart"))
        except (ValueError, KeyError, IndexError, TypeError):
            return None
    return None


def parse_amount_text(raw: str, default_mult: float) -> tuple[float, bool, str]:
    """One amount -> (yuan, approximate, problem). problem is '' when parsed, 'missing' or
    'unparseable'."""
    text = normalize_text(raw)
    if _is_blank(text):
        return np.nan, False, "missing"
    text, approx = _strip_approx(text)
    stripped = _strip_currency(text)
    mult = 1.0 if stripped != text else default_mult  # "¥1,000" is in yuan whatever the header says
    text = stripped
    if text.endswith(("整", "正")) and len(text) > 1:  # 伍拾万元整: financial numerals end so
        text = text[:-1].strip()
    for name, m in _MONEY_UNITS:
        if text.endswith(name):
            head = text[: -len(name)].strip()
            # "一万三千元" is 13,000 yuan, not 一万三 thousand-yuan: 千元/百元 are units only after digits.
            if name in ("千元", "百元") and not _NUMBER.match(head.replace(",", "")):
                continue
            text, mult = head, m
            break
    text, approx2 = _strip_approx(text)
    if _ambiguous(text):
        return np.nan, approx or approx2, "ambiguous"
    value = _to_number(text)
    if value is None:
        return np.nan, approx or approx2, "unparseable"
    return value * mult + 0.0, approx or approx2, ""  # + 0.0: "-0" is 0 yuan, not -0.0


def parse_amount(values: pd.Series, *, default_unit_multiplier: float = 1.0) -> pd.DataFrame:
    """Parse money amounts written as text into yuan.

    Accepts 元/万元/亿元/千元 and English forms, thousands separators, full-width digits, Chinese
    numerals and the qualifiers 约/近/以上 (kept as ``approximate``). A value without its own unit is
    multiplied by ``default_unit_multiplier`` (the unit of the column header, 1e4 for 万元).

    Returns columns ``value`` (float yuan, NaN when not parsed), ``approximate`` (bool) and ``problem``
    ('' when parsed, 'missing' for a blank, 'ambiguous' for separators that read two ways such as
    "1.000,50", 'unparseable' otherwise). Financial numerals may end in 整 or 正 and carry 人民币.
    """
    return _columns(
        values,
        lambda u: parse_amount_text(u, default_unit_multiplier),
        ("value", "approximate", "problem"),
        (float, bool, object),
        plain_multiplier=default_unit_multiplier,
    )


def parse_count_text(raw: str, default_mult: float) -> tuple[float, bool, bool, str]:
    """One count as written -> (persons or households, approximate?, unit given?, problem); the
    reference for the vectorized :func:`parse_count`."""
    text = normalize_text(raw)
    if _is_blank(text):
        return np.nan, False, False, "missing"
    text, approx = _strip_approx(text)
    mult, person_times = default_mult, False
    for name, m, kind in _COUNT_UNITS:
        if text.endswith(name):
            text, mult, person_times = text[: -len(name)].strip(), m, kind == "person_times"
            break
    text, approx2 = _strip_approx(text)
    value = _to_number(text)
    if value is None:
        return np.nan, approx or approx2, person_times, "unparseable"
    return value * mult, approx or approx2, person_times, ""


def parse_count(values: pd.Series, *, default_unit_multiplier: float = 1.0) -> pd.DataFrame:
    """Parse counts of persons or households (人, 万人, 户, 万户; 人次 flags person-times).

    Returns ``value`` (float, NaN when not parsed), ``approximate``, ``person_times`` (bool: the value
    counts visits, not people) and ``problem`` as in :func:`parse_amount`.
    """
    return _columns(
        values,
        lambda u: parse_count_text(u, default_unit_multiplier),
        ("value", "approximate", "person_times", "problem"),
        (float, bool, bool, object),
        plain_multiplier=default_unit_multiplier,
    )


def parse_year_text(raw: str) -> float:
    """One year as written (2018, 2018年, 二〇一八, 2018-2019 gives its first year) -> the year, or NaN;
    the reference for :func:`parse_year`."""
    text = normalize_text(raw)
    if _is_blank(text):
        return np.nan
    if _NUMBER.match(text):
        number = float(text)
        if 1000 <= number <= 2999 and number == int(number):  # the range is checked by cleaning
            return float(int(number))
        if 20000 <= number <= 80000:  # an Excel serial date (days since 1899-12-30)
            return float((pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(number))).year)
        return np.nan
    m = _YEAR_IN_TEXT.search(text)
    if m:
        return float(m.group(1))
    try:
        import cn2an

        text_cn = text.removesuffix("年度").removesuffix("年")
        number = float(cn2an.cn2an(text_cn, "smart"))
        if 1000 <= number <= 2999:
            return number
    except (ValueError, KeyError, IndexError, TypeError):
        pass
    return np.nan


def _year_range_one(raw: str) -> bool:
    """Two different years in one cell ("2018/2019", "2018-2019年"), as opposed to a date."""
    text = normalize_text(raw)
    if _is_blank(text):
        return False
    years = {int(y) for y in _YEAR_IN_TEXT.findall(text)}
    return len(years) > 1


def year_ranges(values: pd.Series) -> np.ndarray:
    """For each value, whether it names a range of years (the first is kept, the row flagged)."""
    codes, results = by_unique(values, _year_range_one)
    return np.array(results, dtype=bool)[codes] if len(codes) else np.zeros(0, dtype=bool)


def parse_year(values: pd.Series) -> pd.Series:
    """Parse years from "2018", "2018年", "2018-06-30", "二〇一八年" or Excel serial dates; NaN otherwise."""
    codes, results = by_unique(values, parse_year_text)
    years = np.array(results, dtype=float)[codes] if len(codes) else np.array([], dtype=float)
    return pd.Series(years, index=values.index)


# A project period in one cell: a year or a date, optionally a range separator and a second one
# ("2017-2019", "2017年至2019年", "2017—2019", "2017.01-2019.12", "2017年1月至2019年12月").
_MONTH, _DAY = r"(?:0?[1-9]|1[0-2])", r"(?:0?[1-9]|[12]\d|3[01])"
_DATE = (
    rf"\d{{4}}\s*(?:年\s*{_MONTH}\s*月(?:\s*{_DAY}\s*日)?|[-./]\s*{_MONTH}(?:\s*[-./]\s*{_DAY})?"
    rf"|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])|年度|年)?"
)
_PERIOD = re.compile(rf"({_DATE})(?:\s*(?:至|到|~|-|—{{1,2}}|–|―|/|to)\s*({_DATE}))?")
_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
PERIOD_YEARS = (1900, 2100)  # a period year outside these is not read


def parse_period_text(raw: str) -> tuple[float, float, str]:
    """One project period as written -> (first year, last year, problem); problem is '' when read,
    'missing' for a blank, 'unparseable' otherwise. A single year or date gives the same first and
    last year; the order is kept as written (a last year before the first is for cleaning to flag).
    Two-digit years ("2017-19") are not read; "2011-12" is a month (December 2011); a plain number
    is read as :func:`parse_year_text` reads it (2018.0, an Excel serial date)."""
    text = normalize_text(raw)
    if _is_blank(text):
        return np.nan, np.nan, "missing"
    m = _PERIOD.fullmatch(text) or _PERIOD.fullmatch(text.translate(_CN_DIGITS))
    if m:
        first = int(m.group(1)[:4])
        last = int(m.group(2)[:4]) if m.group(2) else first
    elif _NUMBER.match(text) and not np.isnan(year := parse_year_text(text)):
        first = last = int(year)  # "2018.0", or an Excel serial date
    else:
        return np.nan, np.nan, "unparseable"
    if not all(PERIOD_YEARS[0] <= y <= PERIOD_YEARS[1] for y in (first, last)):
        return np.nan, np.nan, "unparseable"
    return float(first), float(last), ""


def parse_period(values: pd.Series) -> pd.DataFrame:
    """Parse project periods (项目周期 "2017-2019", "2017年至2019年", "2017—2019", a single year or
    date) into ``start`` and ``end`` (float years, NaN when not read) and ``problem`` ('' when read,
    'missing', 'unparseable')."""
    return _columns(values, parse_period_text, ("start", "end", "problem"), (float, float, object))


def count_unit_kind_text(raw: str) -> str:
    """The kind of unit a count is written with: 'persons' (人, 万人, 名, persons, people),
    'person_times' (人次), 'households' (户) or '' (none); as :func:`parse_count_text` reads it."""
    text, _ = _strip_approx(normalize_text(raw))
    for name, _m, kind in _COUNT_UNITS:
        if text.endswith(name):
            return kind
    return ""


def count_unit_kinds(values: pd.Series) -> np.ndarray:
    """For each value, :func:`count_unit_kind_text` (plain numbers, most values, are not looked at
    one by one)."""
    codes, distinct = dictionary_codes(text_array(values))
    kinds = np.full(len(distinct), "", dtype=object)
    plain = pc.match_substring_regex(pc.ascii_trim_whitespace(distinct), PLAIN_NUMBER)
    todo = np.flatnonzero(~plain.to_numpy(zero_copy_only=False)) if len(distinct) else []
    for i in todo:
        kinds[i] = count_unit_kind_text(distinct[int(i)].as_py())
    return kinds[codes]


_TRUE = {"是", "有", "y", "yes", "true", "t", "1", "√", "✓", "对", "支持", "是的"}


_FALSE = {"否", "无", "n", "no", "false", "f", "0", "×", "✗", "不是", "不支持"}


def parse_bool(values: pd.Series) -> pd.Series:
    """Parse yes/no in Chinese and English (是/否, Y/N, yes/no, 1/0); missing stays <NA>."""

    def one(u):
        key = normalize_text(u)
        return 1 if key in _TRUE else 0 if key in _FALSE else -1

    codes, results = by_unique(values, one)
    code = np.array(results, dtype=int)[codes] if len(codes) else np.array([], dtype=int)
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[code == 1] = True
    out[code == 0] = False
    return out
