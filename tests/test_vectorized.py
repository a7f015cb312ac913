"""Oracle checks of the vectorized (whole-column, pyarrow / pandas C parser) paths against the
per-value Python references they replaced: each test feeds the same input to both and asserts the
answers are identical. The cases that first found bugs in the vectorized paths are kept by name."""

from __future__ import annotations

import csv
import io
import math
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from analysis.registers.csvread import arrow_parse, read_csv_fast
from analysis.registers.duplicates import duplicated_rows, keep_rows
from analysis.registers.headers import frame_from_rows
from analysis.registers.parsing import (
    PLAIN_NUMBER,
    parse_amount,
    parse_amount_text,
    parse_count,
    parse_count_text,
)
from analysis.registers.read import read_register
from analysis.registers.text import (
    BLANK_TOKENS,
    NEWER_UNICODE,
    WHITESPACE_RUN,
    blank_array,
    normalize_text,
    tidy_array,
    tidy_text,
)

ORACLE = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# --- text alphabet -------------------------------------------------------------------------------

# Every character Python's str.split() splits on.
SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace()]
# Characters whose NFKC form contains a space, compatibility characters, invisible format characters
# (not whitespace), Hangul jamo that NFKC composes, and punctuation common in Chinese registers.
SPECIAL = [
    "\u200b",  # zero-width space: not whitespace, must be kept
    "\ufeff",
    "\u2060",
    "\u00ad",
    "\u180e",  # a space in old Unicode, a format character since 6.3
    "（",
    "）",
    "、",
    "。",
    "·",
    "\u00a8",  # NFKC: " \u0308"
    "\u00af",
    "\u00b4",
    "\u203e",
    "\ufe49",
    "ﬁ",
    "①",
    "㍻",
    "Ⅻ",
    "™",
    "½",
    "\u1100",
    "\u1161",
    "\u3400",
    "\u4dbf",
]
COMBINED = ["e\u0301", "A\u030a", "n\u0303", "o\u0308\u0304", "\u1100\u1161"]


def _assigned(ch: str) -> bool:
    """Assigned in this Python's Unicode (14 for 3.11): pyarrow's utf8proc may know newer ones."""
    return unicodedata.category(ch) != "Cn"


def _chars(lo: int, hi: int):
    return st.characters(min_codepoint=lo, max_codepoint=hi).filter(_assigned)


PIECE = st.one_of(
    _chars(0x20, 0x7E),  # printable ASCII
    _chars(0x4E00, 0x9FA5),  # 一-龥
    _chars(0xFF01, 0xFF5E),  # full-width forms
    st.sampled_from(SPACES),
    st.sampled_from([c for c in SPECIAL if _assigned(c)]),
    _chars(0x0300, 0x036F),  # lone combining marks
    st.sampled_from(COMBINED),  # letters with combining accents
)
TEXT = st.lists(PIECE, max_size=12).map("".join)
VALUE = st.one_of(st.none(), TEXT)


def _as_input(values: list, form: str):
    """The same values as each kind of column the vectorized code is given."""
    if form == "string":
        return pa.array(values, type=pa.string())
    if form == "large_string":
        return pa.array(values, type=pa.large_string())
    if form == "chunked":
        half = len(values) // 2
        return pa.chunked_array([values[:half], values[half:]], type=pa.string())
    if form == "series_string":
        return pd.Series(values, dtype="string")
    return pd.Series(values, dtype=object)


FORMS = st.sampled_from(["string", "large_string", "chunked", "series_string", "object"])


# --- 1. tidy_array ------------------------------------------------------------------------------


@ORACLE
@given(values=st.lists(VALUE, max_size=20), form=FORMS)
@example(values=["a  b", " 中\u3000文 ", "ＡＢ\u200b", "e\u0301", None], form="string")
@example(values=["plain ascii", "中文 text"], form="large_string")  # all settled: returned as is
@example(values=["\u00a8x", "\x1cx\x1f", "x\u2028\u2029y", "\u0085"], form="object")
def test_tidy_array_matches_tidy_text(values, form):
    got = tidy_array(_as_input(values, form))
    assert got.null_count == 0
    assert got.to_pylist() == [tidy_text(v) for v in values]


# --- 2. WHITESPACE_RUN --------------------------------------------------------------------------


def test_whitespace_class_is_exactly_str_isspace():
    # Every code point except surrogates (not encodable as UTF-8): all of 0..0x30FF and beyond.
    codes = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    chars = [chr(c) for c in codes]
    assert len(chars) > 0x3100
    hit = pc.match_substring_regex(pa.array(chars), f"^(?:{WHITESPACE_RUN})$")
    hit = hit.to_numpy(zero_copy_only=False)
    expected = np.array([ch.isspace() for ch in chars])
    wrong = [hex(c) for c, h, e in zip(codes, hit, expected, strict=True) if h != e]
    assert wrong == []
    assert expected.sum() == len(SPACES)
    # and runs: a mixed run of every space character is one match of the whole class
    run = "".join(SPACES)
    assert pc.replace_substring_regex(pa.array([f"a{run}b"]), WHITESPACE_RUN, " ").to_pylist() == [
        "a b"
    ]


# --- 3. blank_array -----------------------------------------------------------------------------


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else c for c in text)


@st.composite
def blank_like(draw, max_pad: int):
    """A BLANK_TOKENS entry in another guise, or random short text."""
    if draw(st.integers(0, 3)) == 0:
        return draw(st.one_of(st.none(), st.lists(PIECE, max_size=6).map("".join)))
    token = draw(st.sampled_from(sorted(BLANK_TOKENS)))
    token = "".join(
        c.upper() if up else c
        for c, up in zip(
            token,
            draw(st.lists(st.booleans(), min_size=len(token), max_size=len(token))),
            strict=True,
        )
    )
    if draw(st.booleans()):
        token = _full_width(token)
    pad = st.lists(st.sampled_from(SPACES), max_size=max_pad).map("".join)
    text = draw(pad) + token + draw(pad)
    if draw(st.integers(0, 5)) == 0:  # a token with something else next to it is not blank
        text += draw(st.sampled_from(["x", "0", "中", "\u200b", "-"]))
    return text


@ORACLE
@given(values=st.lists(blank_like(max_pad=2), max_size=20), form=FORMS)
@example(
    values=["", " ", "\u3000", "ＮＵＬＬ", "N/A", "？", "—— ", "无", "na x", None], form="object"
)
def test_blank_array_matches_normalize_text(values, form):
    got = blank_array(_as_input(values, form))
    assert got.dtype == bool
    assert got.tolist() == [normalize_text(v) in BLANK_TOKENS for v in values]


@pytest.mark.slow
@ORACLE
@given(values=st.lists(blank_like(max_pad=20), max_size=20), form=FORMS)
@example(values=["\u3000" * 13], form="string")
@example(values=["\u3000\u3000\u3000ｕｎｋｎｏｗｎ\u3000\u3000\u3000"], form="string")
@example(values=[" " * 40], form="string")
def test_blank_array_long_padding_matches_normalize_text(values, form):
    got = blank_array(_as_input(values, form))
    assert got.tolist() == [normalize_text(v) in BLANK_TOKENS for v in values]


# --- 4. parse_amount / parse_count fast route ----------------------------------------------------

PLAIN = st.builds(
    lambda left, zeros, whole, frac, right: left + "0" * zeros + whole + frac + right,
    st.text(alphabet=" \t", max_size=3),
    st.integers(0, 3),
    st.text(alphabet="0123456789", min_size=1, max_size=25),
    st.one_of(
        st.just(""), st.text(alphabet="0123456789", min_size=1, max_size=12).map(".".__add__)
    ),
    st.text(alphabet=" \t", max_size=3),
)
NOT_PLAIN = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "",
            "-",
            "约5",
            "1,200",
            "３５",
            "12万",
            "-3",
            "1.",
            ".5",
            "1e3",
            "abc",
            "35.5万元",
            "约1200人",
            "500人次",
            "3 000",
            "\u30007",
            "一千二百",
            "¥1,000",
            "+5",
            "1.2.3",
        ]
    ),
    st.text(alphabet="0123456789., -+约万元人次户千", max_size=10),
)


@st.composite
def mixed_series(draw):
    plain = draw(st.lists(PLAIN, min_size=1, max_size=12))
    other = draw(st.lists(NOT_PLAIN, max_size=12))
    values = plain + other
    values += draw(st.lists(st.sampled_from(values), max_size=10))  # repeated values
    values = draw(st.permutations(values))
    index = draw(st.permutations(range(1000, 1000 + 3 * len(values), 3)))
    dtype = draw(st.sampled_from(["object", "string", "str"]))
    return plain, pd.Series(values, index=list(index), dtype=dtype)


def _same_float(got: float, expected: float) -> bool:
    return (np.isnan(got) and np.isnan(expected)) or got == expected


def _raw(value) -> str:
    return "" if value is None or value is pd.NA or value != value else value


@pytest.mark.slow
@ORACLE
@given(case=mixed_series(), mult=st.sampled_from([1.0, 1e4]))
@example(
    case=(["1200", " 35.5 ", " 7 "], pd.Series(["1200", "约5", " 35.5 ", None, " 7 ", "1200"])),
    mult=1e4,
)
@example(case=(["0" * 25, "1" * 25 + ".5"], pd.Series(["0" * 25, "1" * 25 + ".5", "x"])), mult=1.0)
def test_parse_amount_fast_route_matches_reference(case, mult):
    plain, series = case
    # the plain values do take the pyarrow route
    assert all(
        pc.match_substring_regex(
            pc.ascii_trim_whitespace(pa.array(plain)), PLAIN_NUMBER
        ).to_pylist()
    )
    got = parse_amount(series, default_unit_multiplier=mult)
    assert list(got.columns) == ["value", "approximate", "problem"]
    assert got.index.equals(series.index)
    for raw, (value, approx, problem) in zip(series, got.itertuples(index=False), strict=True):
        e_value, e_approx, e_problem = parse_amount_text(_raw(raw), mult)
        assert _same_float(value, e_value), (raw, value, e_value)
        assert bool(approx) is bool(e_approx), raw
        assert problem == e_problem, raw


@pytest.mark.slow
@ORACLE
@given(case=mixed_series(), mult=st.sampled_from([1.0, 1e4]))
@example(case=(["12", " 0.5 "], pd.Series(["12", "约12人", " 0.5 ", "", "12"])), mult=1e4)
def test_parse_count_fast_route_matches_reference(case, mult):
    plain, series = case
    assert all(
        pc.match_substring_regex(
            pc.ascii_trim_whitespace(pa.array(plain)), PLAIN_NUMBER
        ).to_pylist()
    )
    got = parse_count(series, default_unit_multiplier=mult)
    assert list(got.columns) == ["value", "approximate", "person_times", "problem"]
    assert got.index.equals(series.index)
    for raw, (value, approx, times, problem) in zip(
        series, got.itertuples(index=False), strict=True
    ):
        e_value, e_approx, e_times, e_problem = parse_count_text(_raw(raw), mult)
        assert _same_float(value, e_value), (raw, value, e_value)
        assert bool(approx) is bool(e_approx), raw
        assert bool(times) is bool(e_times), raw
        assert problem == e_problem, raw


# --- 5. CSV: C-parser path vs csv-module path ----------------------------------------------------

HEADER = ["项目编号", "项目名称", "实施机构", "年度", "省份", "支出金额（万元）", "受益人数"]
WIDTH = len(HEADER)
LABEL = "register.csv"


def _careful(text: str, delimiter: str) -> pd.DataFrame:
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return frame_from_rows(rows, LABEL)


def _assert_same_frame(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    assert list(fast.columns) == list(slow.columns)
    assert len(fast) == len(slow)
    for name in HEADER:
        got = ["" if pd.isna(v) else str(v) for v in fast[name]]
        expected = ["" if pd.isna(v) else str(v) for v in slow[name]]
        assert got == expected, name
    assert fast["source_row"].tolist() == slow["source_row"].tolist()
    assert fast["source_problem"].tolist() == slow["source_problem"].tolist()
    assert set(fast["source_file"]) <= {LABEL}


def _row(i: int, extra: list[str] | None = None, fields: int = WIDTH) -> list[str]:
    cells = [f"P{i:03d}", f"项目{i}", "中国扶贫基金会", "2019", "云南", f"{i}.5", str(10 * i)]
    return cells[:fields] + (extra or [])


def _csv(
    rows: list[list[str]], delimiter: str = ",", eol: str = "\n", above: list[str] = ()
) -> str:
    lines = [*above, delimiter.join(HEADER), *(delimiter.join(r) for r in rows)]
    return eol.join(lines) + eol


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


CSV_CASES = {
    "extra_1_filled": _csv([_row(1), _row(2, ["x"]), _row(3)]),
    "extra_3_filled": _csv([_row(1), _row(2, ["x", "y", "z"]), _row(3)]),
    "extra_8_filled": _csv([_row(1), _row(2, [f"x{k}" for k in range(8)]), _row(3)]),
    "extra_1_blank": _csv([_row(1), _row(2, [""]), _row(3)]),
    "extra_3_blank": _csv([_row(1), _row(2, ["", "", ""]), _row(3)]),
    "extra_8_blank": _csv([_row(1), _row(2, [""] * 8), _row(3)]),
    "extra_whitespace_only": _csv([_row(1), _row(2, [" ", "\u3000"]), _row(3)]),
    "extra_blank_and_filled_rows": _csv(
        [_row(1), _row(2, [""] * 3), _row(3, ["a", "b", "c"]), _row(4, [""]), _row(5, ["q"] * 8)]
    ),
    "short_rows": _csv([_row(1), _row(2, fields=3), _row(3, fields=1), _row(4)]),
    "quoted_commas": _csv(
        [
            _row(1),
            [
                _quoted("P,2"),
                _quoted("项目, 二"),
                _quoted('说"明"'),
                "2019",
                "云南",
                _quoted("1,200"),
                "5",
            ],
        ]
    ),
    "quoted_newline_in_body": _csv(
        [_row(1), ["P2", _quoted("两行\n名称"), "org", "2019", "云南", "1", "2"], _row(3)]
    ),
    "crlf": _csv([_row(1), _row(2, ["x"]), _row(3, fields=4)], eol="\r\n"),
    "title_row": _csv([_row(1), _row(2)], above=["2019年度扶贫项目登记表"]),
    "title_row_with_delimiters": _csv([_row(1), _row(2)], eol="\r\n", above=["登记表,,,,,,", ""]),
    "blank_lines": _csv([_row(1), [], _row(2), [], []]),
    "blank_lines_above_header": _csv([_row(1), _row(2)], above=["", ""]),
    "tabs": _csv([_row(1), _row(2, ["x", "y"]), _row(3, fields=2), _row(4, [""])], delimiter="\t"),
    "tabs_crlf_commas_in_cells": _csv(
        [_row(1), ["P2", "名称,逗号", "org", "2019", "云南", "1,200", "2"]],
        delimiter="\t",
        eol="\r\n",
    ),
    "no_final_newline": _csv([_row(1), _row(2, ["x"])]).rstrip("\n"),
}


@pytest.mark.parametrize("name", sorted(CSV_CASES))
def test_read_csv_fast_matches_csv_module(name):
    text = CSV_CASES[name]
    delimiter = "\t" if name.startswith("tabs") else ","
    fast = read_csv_fast(text.encode("utf-8"), delimiter, LABEL)
    assert fast is not None  # these shapes are all meant for the C parser
    _assert_same_frame(fast, _careful(text, delimiter))


FIRST_ROW_CASES = {
    # The first data row has more fields than the header: pandas' C parser (header=None, names
    # shorter than the row) would take the leading columns as the index and shift every row, so the
    # reader gives such files slack columns from the start (a bug these cases found).
    "trailing_delimiter_on_every_row": _csv([_row(1, [""]), _row(2, [""])]),
    "first_row_extra_filled": _csv([_row(1, ["x", "y", "z"]), _row(2)]),
    "header_and_rows_with_trailing_delimiter": "\n".join(
        [",".join([*HEADER, ""]), ",".join(_row(1, [""])), ",".join(_row(2, [""]))]
    )
    + "\n",
    # An extra field filled, then blank extra fields: both paths count the fields up to the last
    # one with a value ("values in 8 fields").
    "extra_filled_then_blank": _csv([_row(1), _row(2, ["x", "", ""]), _row(3)]),
}


@pytest.mark.parametrize("name", sorted(FIRST_ROW_CASES))
def test_read_csv_fast_first_row_too_long_and_trailing_blanks(name):
    text = FIRST_ROW_CASES[name]
    fast = read_csv_fast(text.encode("utf-8"), ",", LABEL)
    assert fast is not None
    _assert_same_frame(fast, _careful(text, ","))


CELL = st.one_of(
    st.text(alphabet="abcXYZ019 中文项目.-_（）", max_size=6),
    st.text(alphabet='ab,中\t "', min_size=0, max_size=5).map(
        _quoted
    ),  # quoted: delimiters, quotes
)
FILLED = st.text(alphabet="xyz9中", min_size=1, max_size=4)


@st.composite
def register_text(draw):
    delimiter = draw(st.sampled_from([",", "\t"]))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    above = draw(st.sampled_from([[], ["登记表"], ["", "登记表", ""], [""]]))

    def cells(n):
        return draw(st.lists(CELL, min_size=n, max_size=n))

    rows = [
        cells(WIDTH)
    ]  # the first data row has the header's width (FIRST_ROW_CASES covers the other shapes)
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(st.sampled_from(["normal", "short", "extra_blank", "extra_filled", "blank"]))
        if kind == "normal":
            rows.append(cells(WIDTH))
        elif kind == "short":
            rows.append(cells(draw(st.integers(1, WIDTH - 1))))
        elif kind == "blank":
            rows.append([])
        else:
            k = draw(st.sampled_from([1, 3, 8]))
            if kind == "extra_blank":
                extra = draw(st.lists(st.sampled_from(["", " "]), min_size=k, max_size=k))
            else:  # every extra field filled (filled-then-blank: FIRST_ROW_CASES)
                extra = draw(st.lists(FILLED, min_size=k, max_size=k))
            rows.append(cells(WIDTH) + extra)
    text = eol.join([*above, delimiter.join(HEADER), *(delimiter.join(r) for r in rows)])
    if draw(st.booleans()):
        text += eol
    return text, delimiter


@pytest.mark.slow
@ORACLE
@given(case=register_text())
def test_read_csv_fast_matches_csv_module_property(case):
    text, delimiter = case
    fast = read_csv_fast(text.encode("utf-8"), delimiter, LABEL)
    assume(fast is not None)
    _assert_same_frame(fast, _careful(text, delimiter))


def _write(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "register.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_read_register_row_with_30_extra_fields(tmp_path):
    extra = [f"x{k}" for k in range(30)]
    path = _write(tmp_path, _csv([_row(1), _row(2, extra), _row(3)]))
    (frame,) = read_register(path)
    assert [frame[h].tolist() for h in HEADER] == [
        list(c) for c in zip(_row(1), _row(2), _row(3), strict=True)
    ]
    assert frame["source_row"].tolist() == [2, 3, 4]
    assert frame["source_problem"].tolist() == [
        "",
        f"malformed_row: values in {WIDTH + 30} fields, header has {WIDTH}: " + " | ".join(extra),
        "",
    ]


def test_read_register_first_row_with_30_extra_fields(tmp_path):
    extra = [f"x{k}" for k in range(30)]
    path = _write(tmp_path, _csv([_row(1, extra), _row(2), _row(3)]))
    (frame,) = read_register(path)
    assert [frame[h].tolist() for h in HEADER] == [
        list(c) for c in zip(_row(1), _row(2), _row(3), strict=True)
    ]
    assert frame["source_problem"].tolist() == [
        f"malformed_row: values in {WIDTH + 30} fields, header has {WIDTH}: " + " | ".join(extra),
        "",
        "",
    ]


# --- 6. GB18030 after a long ASCII start ---------------------------------------------------------

ASCII_HEADER = [
    "project_id",
    "project_name",
    "org_name",
    "year",
    "province",
    "expenditure",
    "beneficiaries",
]


def _gb18030_rows(chinese_rows: int) -> list[list[str]]:
    rows = [
        [f"A{i:06d}", f"project {i}", f"org {i % 50}", "2019", "Yunnan", str(i), str(i % 97)]
        for i in range(2000)
    ]
    rows += [
        [f"C{i:04d}", f"扶贫项目{i}", "中国扶贫基金会", "2020", "云南省", f"{i}.5", "12"]
        for i in range(chinese_rows)
    ]
    return rows


def _check_gb18030(tmp_path, chinese_rows: int) -> None:
    rows = _gb18030_rows(chinese_rows)
    text = "\r\n".join(",".join(r) for r in [ASCII_HEADER, *rows]) + "\r\n"
    data = text.encode("gb18030")
    assert data[:70_000].isascii() and not data.isascii()
    (frame,) = read_register(_write(tmp_path, text, "gb18030"))
    assert len(frame) == len(rows)
    assert frame[ASCII_HEADER].astype(str).values.tolist() == rows
    assert frame["source_row"].tolist() == list(range(2, 2 + len(rows)))


def test_read_register_gb18030_after_ascii_start_many_chinese_rows(tmp_path):
    _check_gb18030(tmp_path, 500)


def test_read_register_gb18030_after_ascii_start_few_chinese_rows(tmp_path):
    _check_gb18030(tmp_path, 20)


# --- 7. duplicated_rows and keep_rows ---------------------------------------------------------------


def _dup_frame() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "project_id": pd.array(["a", "a", None, None, "b", "a", "b", None], dtype="string"),
            "name": pd.array(["x", "x", "y", "y", None, "x", None, "z"], dtype="str"),
            "year": [2019.0, 2019.0, np.nan, np.nan, 2020.0, np.nan, 2020.0, 2019.0],
            "amount": [1.5, 1.5, 2.0, 2.0, np.nan, 1.5, np.nan, -0.0],
            "obj": pd.Series(["u", "u", None, None, "v", "u", "v", 0.0], dtype=object),
        }
    )
    frame.index = [7, 3, 11, 0, 5, 2, 9, 4]
    return frame


@pytest.mark.parametrize(
    "columns",
    [
        ["project_id"],
        ["name"],
        ["year"],
        ["project_id", "year"],
        ["name", "year", "amount"],
        ["obj"],
        ["obj", "amount"],
    ],
)
@pytest.mark.parametrize("keep", ["all", "some", "none", "alternate"])
def test_duplicated_matches_pandas(columns, keep):
    frame = _dup_frame()
    rows = {
        "all": np.ones(len(frame), dtype=bool),
        "some": np.array([True, True, True, True, True, False, True, False]),
        "none": np.zeros(len(frame), dtype=bool),
        "alternate": np.arange(len(frame)) % 2 == 1,
    }[keep]
    expected = frame.loc[rows, columns].duplicated().to_numpy()
    got = duplicated_rows(frame, columns, rows)
    assert got.dtype == bool
    assert got.tolist() == expected.tolist()
    if keep == "all" and columns == ["project_id", "year"]:
        assert got.any()  # the frame does have repeats


def test_duplicated_counts_every_kind_of_missing_as_one_value():
    # Documented in _duplicated: None and NaN in an object column are the same missing value (pandas'
    # DataFrame.duplicated keeps them apart; clean_registers' key columns never mix them).
    frame = pd.DataFrame({"obj": pd.Series([np.nan, None, "u", "u"], dtype=object)})
    rows = np.ones(4, dtype=bool)
    assert duplicated_rows(frame, ["obj"], rows).tolist() == [False, True, False, True]


POOL = [None, "a", "b", "中"]


@pytest.mark.slow
@ORACLE
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(POOL),
            st.sampled_from([np.nan, 2019.0, 2020.0]),
            st.sampled_from([None, "p", 1]),
        ),
        min_size=0,
        max_size=25,
    ),
    data=st.data(),
)
def test_duplicated_matches_pandas_property(rows, data):
    frame = pd.DataFrame(
        {
            "s": pd.array([r[0] for r in rows], dtype="string"),
            "t": pd.Series([r[0] for r in rows], dtype="str"),
            "y": pd.Series([r[1] for r in rows], dtype=float),
            "o": pd.Series([r[2] for r in rows], dtype=object),
        }
    )
    mask = np.array(
        data.draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows))), dtype=bool
    )
    columns = data.draw(
        st.lists(st.sampled_from(["s", "t", "y", "o"]), min_size=1, max_size=4, unique=True)
    )
    expected = frame.loc[mask, columns].duplicated().to_numpy()
    assert duplicated_rows(frame, columns, mask).tolist() == expected.tolist()


def test_duplicated_many_wide_columns_renumbers_without_overflow():
    # Eight columns of ~400 distinct values each: the combined key passes 2**62 and is renumbered.
    rng = np.random.default_rng(0)
    n_unique, n_repeat, ncols = 400, 400, 8
    base = rng.integers(0, 10**6, size=(15, ncols))
    values = np.vstack(
        [rng.integers(10**7, 10**8, size=(n_unique, ncols)), base[rng.integers(0, 15, n_repeat)]]
    )
    frame = pd.DataFrame({f"c{k}": values[:, k].astype(str) for k in range(ncols)}).astype("string")
    rows = np.r_[np.zeros(n_unique, dtype=bool), np.ones(n_repeat, dtype=bool)]
    rows[:50] = True
    columns = list(frame.columns)
    assert (n_unique + 16) ** ncols > 2**62
    expected = frame.loc[rows, columns].duplicated().to_numpy()
    assert expected.sum() > 300
    assert duplicated_rows(frame, columns, rows).tolist() == expected.tolist()


def _mixed_frame(n: int = 9) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    strings = ["甲", None, "b", "c c", "", "丙", "甲", None, "z"][:n]
    frame = pd.DataFrame(
        {
            "string": pd.array(strings, dtype="string"),
            "str": pd.Series(strings, dtype="str"),
            "string_chunked": pd.Series(
                pd.arrays.ArrowStringArray(
                    pa.chunked_array([strings[:4], strings[4:]], type=pa.large_string())
                )
            ),
            "int64": np.arange(n, dtype="int64") * 7,
            "float": np.where(np.arange(n) % 3 == 0, np.nan, rng.normal(size=n)),
            "bool": np.arange(n) % 2 == 0,
            "Int64": pd.array([1, None, 3, 4, None, 6, 7, 8, None][:n], dtype="Int64"),
            "category": pd.Categorical(
                ["a", "b", None, "a", "c", "b", "a", "c", None][:n],
                categories=["a", "b", "c", "unused"],
            ),
        }
    )
    frame.index = pd.Index([40, 12, 33, 5, 71, 2, 18, 9, 60][:n], name="row")
    return frame


@pytest.mark.parametrize(
    "mask",
    [
        [True] * 9,
        [False] * 9,
        [True, False, True, True, False, False, True, False, True],
        [False, True, False, False, False, False, False, False, False],
        [False] * 8 + [True],
    ],
)
def test_keep_rows_matches_loc(mask):
    frame = _mixed_frame()
    assert [str(t) for t in frame.dtypes] == [
        "string",
        "str",
        "string",
        "int64",
        "float64",
        "bool",
        "Int64",
        "category",
    ]
    mask = np.array(mask, dtype=bool)
    pd.testing.assert_frame_equal(keep_rows(frame, mask), frame.loc[mask])


@pytest.mark.slow
@ORACLE
@given(mask=st.lists(st.booleans(), min_size=9, max_size=9))
def test_keep_rows_matches_loc_property(mask):
    frame = _mixed_frame()
    mask = np.array(mask, dtype=bool)
    pd.testing.assert_frame_equal(keep_rows(frame, mask), frame.loc[mask])


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(["a", "b", "c"], dtype=object),
        pd.Series(["a", 1, "c"], dtype=object),  # kept rows happen to be all strings
        pd.Series(["a", None, "c"], dtype="string[python]"),
    ],
    ids=["object_of_strings", "object_mixed", "string_python"],
)
def test_keep_rows_keeps_numpy_backed_dtypes(column):
    frame = pd.DataFrame({"c": column})
    mask = np.array([True, False, True])
    pd.testing.assert_frame_equal(keep_rows(frame, mask), frame.loc[mask])


# --- 8. Which reader: pyarrow for well-formed files, the C parser for the rest ---------------------


def test_arrow_reader_reads_well_formed_files_like_the_csv_module():
    text = _csv([_row(1), _row(2), ["P3", '"a, quoted\nname"', "机构", "2019", "云南", "1", "2"]])
    frame = arrow_parse(text.encode("utf-8"), ",", 1, WIDTH)
    assert frame is not None  # the fast route is really taken for such a file
    careful = _careful(text, ",")
    for i, name in enumerate(HEADER):
        assert frame[i].tolist() == careful[name].tolist(), name
    assert frame[0].dtype == pd.StringDtype("pyarrow", na_value=np.nan)


@pytest.mark.parametrize(
    "rows",
    [
        [_row(1), _row(2, ["x"])],  # a long row
        [_row(1), _row(2, fields=3)],  # a short row
    ],
)
def test_arrow_reader_leaves_rows_of_another_width_to_the_c_parser(rows):
    text = _csv(rows)
    assert arrow_parse(text.encode("utf-8"), ",", 1, WIDTH) is None
    _assert_same_frame(read_csv_fast(text.encode("utf-8"), ",", LABEL), _careful(text, ","))


def test_arrow_reader_refuses_text_that_is_not_utf8():
    text = _csv([_row(1), _row(2)])
    assert arrow_parse(text.encode("gb18030"), ",", 1, WIDTH) is None


# --- 9. Unicode versions and signed zero ------------------------------------------------------------


def test_every_code_point_pyarrow_normalizes_differently_goes_to_python():
    # pyarrow's NFKC follows a newer Unicode than Python's; every code point where the two differ must
    # be caught by NEWER_UNICODE (a pyarrow upgrade that adds new ones fails here).
    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    chars = pa.array([chr(c) for c in points], type=pa.large_string())
    arrow = pc.utf8_normalize(chars, form="NFKC").to_pylist()
    differ = [
        chr(c)
        for c, a in zip(points, arrow, strict=True)
        if a != unicodedata.normalize("NFKC", chr(c))
    ]
    assert differ  # the test looks at real differences
    caught = pc.match_substring_regex(pa.array(differ, pa.large_string()), NEWER_UNICODE)
    assert all(caught.to_pylist())
    values = ["P" + ch for ch in differ]
    assert tidy_array(pa.array(values, pa.large_string())).to_pylist() == [
        tidy_text(v) for v in values
    ]


def test_minus_zero_amount_is_zero_yuan():
    out = parse_amount(pd.Series(["-0", "0", "-0.0万元"]), default_unit_multiplier=1.0)
    assert [math.copysign(1.0, v) for v in out["value"]] == [1.0, 1.0, 1.0]
