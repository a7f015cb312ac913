"""Tests for analysis.registers.parsing: exact examples, then properties over every supported way of writing
an amount, a count or a year (hypothesis)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import cn2an
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analysis.registers.parsing import (
    count_unit_kinds,
    parse_amount,
    parse_bool,
    parse_count,
    parse_period,
    parse_period_text,
    parse_year,
    unit_from_header,
)
from analysis.registers.text import BLANK_TOKENS, normalize_text

REL = 1e-9
PROPERTY = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FULL_WIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")
CN_DIGITS = str.maketrans("0123456789", "〇一二三四五六七八九")


def close(got: float, expected: float) -> bool:
    return math.isclose(got, expected, rel_tol=REL, abs_tol=0.0)


def amount(text: str, mult: float = 1.0) -> pd.Series:
    """The parsed row of one amount, as a Series with value, approximate and problem."""
    return parse_amount(pd.Series([text]), default_unit_multiplier=mult).iloc[0]


def count(text: str, mult: float = 1.0) -> pd.Series:
    return parse_count(pd.Series([text]), default_unit_multiplier=mult).iloc[0]


def columns(frame: pd.DataFrame) -> dict[str, list]:
    """A parsed frame as plain lists (fast to index in the properties)."""
    return {name: frame[name].tolist() for name in frame.columns}


# ---------------------------------------------------------------------------------------------------
# parse_amount: exact examples


@pytest.mark.parametrize(
    ("text", "mult", "expected"),
    [
        ("3,500万元", 1.0, 35_000_000.0),
        ("3,500万元", 1e4, 35_000_000.0),  # the cell's own unit wins over the header's
        ("１２００", 1e4, 12_000_000.0),  # full-width digits, header in 万元
        ("1200", 1e4, 12_000_000.0),
        ("1200", 1.0, 1200.0),
        ("1.2亿", 1.0, 120_000_000.0),
        ("1.2亿元", 1.0, 120_000_000.0),
        ("三千万元", 1.0, 30_000_000.0),
        ("300千元", 1.0, 300_000.0),
        ("1,234.5元", 1e4, 1234.5),
        ("  12.5 万元 ", 1.0, 125_000.0),
        ("0", 1e4, 0.0),
        ("2 million yuan", 1.0, 2_000_000.0),
        ("1,000 RMB", 1e4, 1000.0),
    ],
)
def test_parse_amount_examples(text, mult, expected):
    row = amount(text, mult)
    assert row["value"] == expected
    assert row["problem"] == ""
    assert not row["approximate"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("约300万", 3_000_000.0), ("近1亿元", 100_000_000.0), ("300万元左右", 3_000_000.0)],
)
def test_parse_amount_approximate(text, expected):
    row = amount(text)
    assert row["value"] == expected
    assert row["approximate"]
    assert row["problem"] == ""


@pytest.mark.parametrize("text", ["—", "不详", "", "  ", "--", "/", "N/A", "无", None])
def test_parse_amount_blank_is_missing(text):
    row = amount(text)
    assert math.isnan(row["value"])
    assert row["problem"] == "missing"
    assert not row["approximate"]


@pytest.mark.parametrize("text", ["abc", "12..5万", "三千abc", "万元", "1.2.3"])
def test_parse_amount_garbage_is_unparseable(text):
    row = amount(text)
    assert math.isnan(row["value"])
    assert row["problem"] == "unparseable"


def test_parse_amount_keeps_index_and_dtypes():
    values = pd.Series(["1万", "—", "abc", "1万", None], index=[10, 3, 7, 2, 99])
    out = parse_amount(values, default_unit_multiplier=1e4)
    assert list(out.index) == [10, 3, 7, 2, 99]
    assert list(out.columns) == ["value", "approximate", "problem"]
    assert out["value"].dtype == "float64"
    assert out["approximate"].dtype == "bool"
    assert out.loc[10, "value"] == 10_000.0 and out.loc[2, "value"] == 10_000.0
    assert list(out["problem"]) == ["", "missing", "unparseable", "", "missing"]


@pytest.mark.parametrize(("text", "expected"), [("一万三千元", 13_000.0), ("一千三百元", 1_300.0)])
def test_parse_amount_chinese_numeral_ending_in_qian_or_bai_with_yuan(text, expected):
    assert amount(text)["value"] == expected


@pytest.mark.parametrize("text", ["¥1,000", "￥1,000", "RMB 1,000"])
def test_parse_amount_currency_sign_before_number(text):
    row = amount(text, 1e4)
    assert row["problem"] == ""
    assert row["value"] == 1000.0


# ---------------------------------------------------------------------------------------------------
# parse_count: exact examples


@pytest.mark.parametrize(
    ("text", "mult", "expected", "person_times"),
    [
        ("1.5万人", 1.0, 15_000.0, False),
        ("300人次", 1.0, 300.0, True),
        ("2万人次", 1.0, 20_000.0, True),
        ("120户", 1.0, 120.0, False),
        ("0.3万户", 1.0, 3_000.0, False),
        ("1,200", 1.0, 1200.0, False),
        ("1.5", 1e4, 15_000.0, False),  # header in 万人
        ("45名", 1e4, 45.0, False),
        ("三千人", 1.0, 3000.0, False),
        ("５００", 1.0, 500.0, False),
    ],
)
def test_parse_count_examples(text, mult, expected, person_times):
    row = count(text, mult)
    assert row["value"] == expected
    assert bool(row["person_times"]) is person_times
    assert row["problem"] == ""
    assert not row["approximate"]


def test_parse_count_approximate_missing_unparseable():
    out = parse_count(pd.Series(["约200户", "500余人", "—", "", "abc"]))
    assert out["value"].iloc[0] == 200.0 and out["approximate"].iloc[0]
    assert out["value"].iloc[1] == 500.0 and out["approximate"].iloc[1]
    assert list(out["problem"]) == ["", "", "missing", "missing", "unparseable"]
    assert list(out.columns) == ["value", "approximate", "person_times", "problem"]
    assert out["person_times"].dtype == "bool"


# ---------------------------------------------------------------------------------------------------
# parse_year, parse_bool, unit_from_header, normalize_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018", 2018.0),
        ("2018年", 2018.0),
        ("2018年度", 2018.0),
        ("2018-06-30", 2018.0),
        ("2018/6/30", 2018.0),
        ("2018-06-30 00:00:00", 2018.0),
        ("二〇一八年", 2018.0),
        ("二〇一八", 2018.0),
        ("43281", 2018.0),  # Excel serial date 2018-06-30
        ("2018.0", 2018.0),
        ("２０１８", 2018.0),
    ],
)
def test_parse_year_examples(text, expected):
    assert parse_year(pd.Series([text])).iloc[0] == expected


@pytest.mark.parametrize("text", ["", "—", "不详", "abc", "18", "5000", None])
def test_parse_year_not_a_year_is_nan(text):
    assert math.isnan(parse_year(pd.Series([text])).iloc[0])


@pytest.mark.parametrize(("text", "year"), [("1800", 1800.0), ("1899", 1899.0), ("2109年", 2109.0)])
def test_a_year_outside_the_period_is_read_so_cleaning_can_say_out_of_range(text, year):
    assert parse_year(pd.Series([text])).iloc[0] == year


def test_parse_year_keeps_index():
    out = parse_year(pd.Series(["2016", "2017年"], index=["a", "b"]))
    assert list(out.index) == ["a", "b"]
    assert out.dtype == "float64"
    assert list(out) == [2016.0, 2017.0]


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2017-2019", 2017, 2019),
        ("2017年至2019年", 2017, 2019),
        ("2017—2019", 2017, 2019),
        ("2017——2019", 2017, 2019),
        ("2017~2019", 2017, 2019),
        ("２０１７－２０１９", 2017, 2019),  # full width
        ("2017 to 2019", 2017, 2019),
        ("2017/2019", 2017, 2019),
        ("2018-2019年度", 2018, 2019),
        ("2017.01-2019.12", 2017, 2019),
        ("2017年1月至2019年12月", 2017, 2019),
        ("2017-01-01至2019-12-31", 2017, 2019),
        ("20170101-20191231", 2017, 2019),
        ("二〇一七年至二〇一九年", 2017, 2019),
        ("2019-2017", 2019, 2017),  # kept as written: cleaning flags it
        ("2018", 2018, 2018),
        ("2018年", 2018, 2018),
        ("2018年度", 2018, 2018),
        ("2018-06-30", 2018, 2018),  # one date: a one-year period
        ("2011-12", 2011, 2011),  # a month (December 2011), not 2011-2012
        ("2018.0", 2018, 2018),
        ("43281", 2018, 2018),  # an Excel serial date
    ],
)
def test_parse_period_examples(text, start, end):
    assert parse_period_text(text) == (float(start), float(end), "")


@pytest.mark.parametrize("text", ["2017-19", "三年", "abc", "2017-2019-2021", "1800-1900", "18"])
def test_a_period_that_is_not_one_is_unparseable_not_guessed(text):
    start, end, problem = parse_period_text(text)
    assert problem == "unparseable" and math.isnan(start) and math.isnan(end)


def test_parse_period_blank_and_index():
    out = parse_period(pd.Series(["—", "2017-2019", "", "2017-2019"], index=[5, 6, 7, 8]))
    assert list(out.index) == [5, 6, 7, 8]
    assert out["problem"].tolist() == ["missing", "", "missing", ""]
    assert out["start"].tolist()[1::2] == [2017.0, 2017.0] and out["end"].iloc[3] == 2019.0


def test_count_unit_kinds_read_the_unit_as_parse_count_does():
    values = pd.Series(["12", "12人", "3万人次", "约500人", "45户", "12名", "7 persons", "x", None])
    assert count_unit_kinds(values).tolist() == [
        "",
        "persons",
        "person_times",
        "persons",
        "households",
        "persons",
        "persons",
        "",
        "",
    ]


def test_parse_bool():
    values = pd.Series(
        ["是", "否", "Y", "N", "y", "n", "yes", "No", "1", "0", "√", "×", "Ｙ", "", None, "maybe"]
    )
    out = parse_bool(values)
    assert str(out.dtype) == "boolean"
    assert out.iloc[:13].tolist() == [True, False] * 6 + [True]
    assert out.iloc[13:].isna().all()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("支出金额（万元）", ("万元", 1e4)),
        ("支出金额(万元)", ("万元", 1e4)),
        ("支出金额（元）", ("元", 1.0)),
        ("支出金额（亿元）", ("亿元", 1e8)),
        ("支出金额（千元）", ("千元", 1e3)),
        ("支出金额[ 万元 ]", ("万元", 1e4)),
        ("amount (million yuan)", ("million yuan", 1e6)),
        ("Amount (Million Yuan)", ("million yuan", 1e6)),
        ("受益人数（人）", ("人", 1.0)),
        ("受益人数（万人）", ("万人", 1e4)),
        ("受益人次（人次）", ("人次", 1.0)),
        ("受益户数（户）", ("户", 1.0)),
    ],
)
def test_unit_from_header(header, expected):
    assert unit_from_header(header) == expected


@pytest.mark.parametrize("header", ["支出金额", "省（自治区、直辖市）", "备注（其他）", ""])
def test_unit_from_header_without_unit(header):
    assert unit_from_header(header) is None


def test_normalize_text():
    assert normalize_text("  Ｙｕｎｎａｎ\u3000 Province ") == "yunnan province"
    assert normalize_text(None) == ""
    assert normalize_text(float("nan")) == ""
    assert "—" in BLANK_TOKENS and "不详" in BLANK_TOKENS


# ---------------------------------------------------------------------------------------------------
# Properties: every supported way of writing a number parses back to the number written.

AMOUNT_UNITS = {"元": 1.0, "万元": 1e4, "亿元": 1e8, "千元": 1e3, "万": 1e4, "亿": 1e8}
HEADER_UNITS = ["元", "万元", "亿元", "千元"]
COUNT_UNITS = {
    "人": (1.0, False),
    "万人": (1e4, False),
    "户": (1.0, False),
    "万户": (1e4, False),
    "人次": (1.0, True),
    "万人次": (1e4, True),
    "名": (1.0, False),
}


@st.composite
def arabic_numbers(draw) -> tuple[str, Decimal]:
    """A non-negative number as written in a register: integer or up to three decimals, with or
    without thousands separators, in half- or full-width digits. Returns (text, exact value)."""
    whole = draw(st.integers(min_value=0, max_value=10**9))
    places = draw(st.integers(min_value=0, max_value=3))
    frac = draw(st.integers(min_value=0, max_value=10**places - 1)) if places else None
    grouped = draw(st.booleans())
    text = f"{whole:,}" if grouped else str(whole)
    exact = Decimal(whole)
    if frac is not None:
        text += f".{frac:0{places}d}"
        exact = Decimal(f"{whole}.{frac:0{places}d}")
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return text, exact


approx_prefix = st.sampled_from(["", "约"])
spacing = st.sampled_from(["", " "])


def expected_float(exact: Decimal, mult: float) -> float:
    return float(exact * Decimal(mult))


@pytest.mark.slow
@PROPERTY
@given(
    unit=st.sampled_from(HEADER_UNITS),
    bracket=st.sampled_from([("（", "）"), ("(", ")")]),
    entries=st.lists(st.tuples(arabic_numbers(), approx_prefix), min_size=1, max_size=4),
)
def test_property_amount_plain_number_takes_header_unit(unit, bracket, entries):
    found = unit_from_header(f"支出金额{bracket[0]}{unit}{bracket[1]}")
    assert found == (unit, AMOUNT_UNITS[unit])
    texts = [prefix + text for (text, _), prefix in entries]
    out = columns(parse_amount(pd.Series(texts), default_unit_multiplier=found[1]))
    for i, ((_, exact), prefix) in enumerate(entries):
        assert out["problem"][i] == "", texts[i]
        assert close(out["value"][i], expected_float(exact, found[1])), texts[i]
        assert out["approximate"][i] == (prefix == "约"), texts[i]


@pytest.mark.slow
@PROPERTY
@given(
    header_mult=st.sampled_from([1.0, 1e3, 1e4, 1e8]),
    entries=st.lists(
        st.tuples(arabic_numbers(), st.sampled_from(sorted(AMOUNT_UNITS)), approx_prefix, spacing),
        min_size=1,
        max_size=4,
    ),
)
def test_property_amount_own_unit_wins(header_mult, entries):
    texts = [f"{prefix}{text}{space}{unit}" for (text, _), unit, prefix, space in entries]
    out = columns(parse_amount(pd.Series(texts), default_unit_multiplier=header_mult))
    for i, ((_, exact), unit, prefix, _space) in enumerate(entries):
        assert out["problem"][i] == "", texts[i]
        assert close(out["value"][i], expected_float(exact, AMOUNT_UNITS[unit])), texts[i]
        assert out["approximate"][i] == (prefix == "约"), texts[i]


@st.composite
def chinese_numeral_in_column(draw) -> tuple[int, str]:
    """An integer and the header unit of its column. In a 元 column any n < 10**8; in a 千元/万元/亿元
    column n < 10,000, so the numeral holds no 万 that would be read as the cell's own unit."""
    unit = draw(st.sampled_from(HEADER_UNITS))
    n = draw(st.integers(min_value=0, max_value=10**8 - 1 if unit == "元" else 9999))
    return n, unit


@pytest.mark.slow
@PROPERTY
@given(case=chinese_numeral_in_column(), prefix=approx_prefix)
def test_property_amount_chinese_numeral_takes_header_unit(case, prefix):
    n, unit = case
    text = prefix + cn2an.an2cn(n)
    row = amount(text, AMOUNT_UNITS[unit])
    assert row["problem"] == "", text
    assert close(row["value"], n * AMOUNT_UNITS[unit]), text
    assert row["approximate"] == (prefix == "约")


@pytest.mark.slow
@PROPERTY
@given(n=st.integers(min_value=0, max_value=10**8 - 1), header_mult=st.sampled_from([1.0, 1e4]))
@example(n=1300, header_mult=1.0)
@example(n=13000, header_mult=1e4)
def test_property_amount_chinese_numeral_with_yuan_suffix(n, header_mult):
    text = cn2an.an2cn(n) + "元"
    row = amount(text, header_mult)
    assert row["problem"] == "", text
    assert close(row["value"], float(n)), text


@pytest.mark.slow
@PROPERTY
@given(
    unit=st.sampled_from(["人", "万人", "户", "万户"]),
    entries=st.lists(st.tuples(arabic_numbers(), approx_prefix), min_size=1, max_size=4),
)
def test_property_count_plain_number_takes_header_unit(unit, entries):
    found = unit_from_header(f"受益人数（{unit}）")
    assert found == (unit, COUNT_UNITS[unit][0])
    texts = [prefix + text for (text, _), prefix in entries]
    out = columns(parse_count(pd.Series(texts), default_unit_multiplier=found[1]))
    for i, ((_, exact), prefix) in enumerate(entries):
        assert out["problem"][i] == "", texts[i]
        assert close(out["value"][i], expected_float(exact, found[1])), texts[i]
        assert out["approximate"][i] == (prefix == "约"), texts[i]
        assert not out["person_times"][i]


@pytest.mark.slow
@PROPERTY
@given(
    header_mult=st.sampled_from([1.0, 1e4]),
    entries=st.lists(
        st.tuples(arabic_numbers(), st.sampled_from(sorted(COUNT_UNITS)), approx_prefix, spacing),
        min_size=1,
        max_size=4,
    ),
)
def test_property_count_own_unit_wins(header_mult, entries):
    texts = [f"{prefix}{text}{space}{unit}" for (text, _), unit, prefix, space in entries]
    out = columns(parse_count(pd.Series(texts), default_unit_multiplier=header_mult))
    for i, ((_, exact), unit, prefix, _space) in enumerate(entries):
        mult, person_times = COUNT_UNITS[unit]
        assert out["problem"][i] == "", texts[i]
        assert close(out["value"][i], expected_float(exact, mult)), texts[i]
        assert out["approximate"][i] == (prefix == "约"), texts[i]
        assert out["person_times"][i] == person_times, texts[i]


@pytest.mark.slow
@PROPERTY
@given(
    n=st.integers(min_value=0, max_value=10**8 - 1),
    unit=st.sampled_from(["", "人", "户", "人次", "名"]),
    prefix=approx_prefix,
)
def test_property_count_chinese_numeral(n, unit, prefix):
    text = prefix + cn2an.an2cn(n) + unit
    row = count(text, 1.0)
    assert row["problem"] == "", text
    assert close(row["value"], float(n)), text
    assert row["approximate"] == (prefix == "约")
    assert row["person_times"] == (unit == "人次")


@pytest.mark.slow
@PROPERTY
@given(
    day=st.dates(min_value=date(1955, 1, 1), max_value=date(2099, 12, 31)),
    form=st.sampled_from(["plain", "nian", "iso", "slash", "chinese", "excel", "full"]),
)
def test_property_year_forms(day, form):
    y = day.year
    text = {
        "plain": str(y),
        "nian": f"{y}年",
        "iso": day.isoformat(),
        "slash": f"{y}/{day.month}/{day.day}",
        "chinese": str(y).translate(CN_DIGITS) + "年",
        "excel": str((day - date(1899, 12, 30)).days),
        "full": f"{y}年".translate(FULL_WIDTH),
    }[form]
    assert parse_year(pd.Series([text])).iloc[0] == float(y), text


@pytest.mark.slow
@PROPERTY
@given(
    st.lists(
        st.one_of(
            st.sampled_from(sorted(BLANK_TOKENS)),
            st.sampled_from(["abc", "万元", "1.2.3"]),
            st.integers(0, 10**6).map(str),
            st.integers(0, 10**6).map(lambda n: f"{n}万元"),
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_property_amount_aligns_rows_with_index(texts):
    # Repeated values are parsed once and mapped back: each row must get its own result, whatever
    # the index (here decreasing and with gaps).
    index = [1000 - 7 * i for i in range(len(texts))]
    out = parse_amount(pd.Series(texts, index=index), default_unit_multiplier=1e4)
    assert list(out.index) == index
    got = columns(out)
    for i, text in enumerate(texts):
        if normalize_text(text) in BLANK_TOKENS:
            assert got["problem"][i] == "missing" and math.isnan(got["value"][i]), text
        elif text in {"abc", "万元", "1.2.3"}:
            assert got["problem"][i] == "unparseable" and math.isnan(got["value"][i]), text
        else:
            assert got["problem"][i] == "", text
            assert got["value"][i] == float(text.removesuffix("万元")) * 1e4, text


def test_translation_tables():
    # The translation tables the properties use write what a register writer would type.
    assert "1,234.5".translate(FULL_WIDTH) == "１，２３４．５"
    assert "2018".translate(CN_DIGITS) == "二〇一八"
    assert timedelta(days=43281) + date(1899, 12, 30) == date(2018, 6, 30)
