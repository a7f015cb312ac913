"""Whole-column text kernels shared by parsing, places and reading: pyarrow compute (C++, no Python
object per cell) with the scalar Python functions as the reference tests compare them with.

``normalize_text`` folds full-width to half-width (NFKC), collapses whitespace and lower-cases Latin
letters; ``tidy_text``/``tidy_array`` do the same keeping case; ``blank_array`` says which values mean
"no value"; ``dictionary_codes``/``strings_from_codes``/``by_unique`` do work once per distinct value.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Values that mean "no value" in registers (checked after normalize_text).
BLANK_TOKENS = frozenset(
    {
        "",
        "-",
        "--",
        "—",
        "——",
        "–",
        "/",
        "\\",
        "无",
        "不详",
        "未知",
        "暂无",
        "空",
        "缺",
        "na",
        "n/a",
        "nan",
        "none",
        "null",
        "unknown",
        "?",
        "？",
    }
)


def normalize_text(value: object) -> str:
    """Fold full-width to half-width (NFKC), trim, collapse inner spaces, lower-case Latin letters."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return " ".join(unicodedata.normalize("NFKC", str(value)).lower().split())


# Whole-column text work is done by pyarrow's compute kernels (C++, no Python object per cell); the
# Python functions above stay the reference that tests compare them with.
# Exactly the characters Python's str.split() splits on (tests check the class against str.isspace).
WHITESPACE_RUN = r"[\t-\r\x1c-\x1f\x{85}\pZ]+"


WHITESPACE_CHARS = (  # the same characters, listed (for pyarrow's trim)
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


# Text that NFKC and whitespace collapsing leave as it is: printable ASCII and CJK unified ideographs,
# single spaces between words. Only the other values go through the (slower) normalization.
_SETTLED = "[\\x21-\\x7e\\x{3400}-\\x{4dbf}\\x{4e00}-\\x{9fff}]+"


_ALREADY_TIDY = f"^({_SETTLED}( {_SETTLED})*)?$"


# Code points that pyarrow's NFKC (a newer Unicode) changes and Python's (Unicode 14) leaves, all
# unassigned in Python's tables; values holding one are normalized by Python. A test recomputes the
# set over every code point, so a pyarrow upgrade that widens it fails there.
NEWER_UNICODE = (
    "[\\x{558}\\x{58b}-\\x{58c}\\x{209d}-\\x{209f}\\x{a7f1}\\x{107bb}-\\x{107bf}\\x{1b123}-\\x{1b126}"
    "\\x{1ccd6}-\\x{1ccf9}\\x{1d6a6}\\x{1df95}\\x{1dfcd}-\\x{1dfff}\\x{1e030}-\\x{1e06d}]"
)


def text_array(values: pd.Series | pa.Array | pa.ChunkedArray) -> pa.Array:
    """A column's text as one pyarrow string array, missing values as ''.

    Strings already held by pyarrow (pandas' default string dtype) are not copied into Python objects;
    other values are converted with str() as pandas' string dtype does.
    """
    if isinstance(values, pd.Series | pd.Index):
        if not isinstance(values.dtype, pd.StringDtype) or values.dtype.storage != "pyarrow":
            values = values.astype(pd.StringDtype("pyarrow"))
        values = pa.array(values.array)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if not pa.types.is_large_string(values.type):
        values = values.cast(pa.large_string())
    return pc.fill_null(values, "") if values.null_count else values


def tidy_array(arr: pa.Array) -> pa.Array:
    """:func:`tidy_text` for a whole array: NFKC, whitespace runs as one space, trimmed, case kept."""
    arr = text_array(arr)
    settled = pc.match_substring_regex(arr, _ALREADY_TIDY)
    if settled.null_count == 0 and settled.false_count == 0:
        return arr
    todo = pc.invert(settled)
    original = pc.filter(arr, todo)
    part = pc.utf8_normalize(original, form="NFKC")
    part = pc.utf8_trim(pc.replace_substring_regex(part, WHITESPACE_RUN, " "), characters=" ")
    newer = pc.match_substring_regex(original, NEWER_UNICODE).to_numpy(zero_copy_only=False)
    if newer.any():  # characters Python's Unicode does not know yet: Python's answer, as everywhere
        fixed = [tidy_text(v) for v in pc.filter(original, pa.array(newer)).to_pylist()]
        part = pc.replace_with_mask(part, pa.array(newer), pa.array(fixed, pa.large_string()))
    return pc.replace_with_mask(arr, todo, part)


def tidy_text(value: object) -> str:
    """Trim, fold full-width letters and digits to half-width (NFKC), collapse spaces; case kept."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return " ".join(unicodedata.normalize("NFKC", str(value)).split())


def blank_array(arr: pa.Array) -> np.ndarray:
    """Per value: is it blank or a token meaning "no value" (as ``normalize_text(v) in
    BLANK_TOKENS``)."""
    arr = text_array(arr)
    if len(arr) == 0:
        return np.zeros(0, dtype=bool)
    # A blank token has no inner space and NFKC never shortens text into one, so only values with
    # at most as many characters as the longest token once outer whitespace is trimmed can be blank.
    trimmed = pc.utf8_trim(arr, characters=WHITESPACE_CHARS)
    longest = max(len(t) for t in BLANK_TOKENS)
    short = pc.less_equal(pc.utf8_length(trimmed), longest).to_numpy(zero_copy_only=False)
    out = np.zeros(len(arr), dtype=bool)
    if short.any():
        part = pc.filter(arr, pa.array(short))
        key = pc.utf8_lower(tidy_array(part))
        tokens = pa.array(sorted(BLANK_TOKENS), type=pa.large_string())
        out[short] = pc.is_in(key, value_set=tokens).to_numpy(zero_copy_only=False)
    return out


def dictionary_codes(arr: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(code per value, distinct values) of a text array, the codes indexing the distinct values."""
    arr = text_array(arr)
    encoded = pc.dictionary_encode(arr)
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary


def strings_from_codes(
    distinct, codes: np.ndarray, dtype: str = "string"
) -> pd.api.extensions.ExtensionArray:
    """A pandas string array of ``distinct[codes]`` built by pyarrow (no Python string per row);
    None in ``distinct`` gives a missing value."""
    if not isinstance(distinct, pa.Array):
        distinct = pa.array(list(distinct), type=pa.large_string())
    return pd.array(distinct.take(pa.array(codes)), dtype=dtype)


def by_unique(values: pd.Series, fn) -> tuple[np.ndarray, list]:
    """Apply ``fn`` once per distinct value: returns (codes per row, results per distinct value).

    ``results[codes]`` (as an array) gives the per-row result without a Python call per row. Missing
    values are passed to ``fn`` as ''.
    """
    codes, distinct = dictionary_codes(text_array(values))
    return codes, [fn(u) for u in distinct.to_pylist()]
