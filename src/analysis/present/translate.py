"""The texts the estimators write into table cells (how errors were clustered, a check, a setting, a
note) in Chinese, for the printed tables in ``lang="zh"``; the CSV tables stay English.

The translations are data: ``data/text_zh.csv``, one row per English text, with columns ``pattern``
(a Python regular expression), ``zh`` (the Chinese, ``{name}`` filled from the pattern's named groups)
and ``example`` (an English text the row translates; tests/test_translate.py checks each row is the
first to match its example). How a text is translated:

1. The rows are tried in the file's order against the whole text; the first whose pattern matches all
   of it wins.
2. Else the text is cut at "; " into parts and, from the first part on, the longest run of parts
   that a row matches (joined by "; " again) is translated, then the next; a part no row matches
   stays as written. Translated parts are joined by "；". A text of which no part matches is returned
   unchanged: nothing is guessed.

A group's text is carried into the Chinese exactly as written (numbers, column names, years), except
a group named ``t_…``, which is itself translated (a column name such as ``area``, a nested text),
and a group named ``p_…``, a province's English name, written in Chinese from the shipped province
table. Spaces left between two Chinese characters (or full-width punctuation) by filling are removed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from analysis.errors import ParameterError
from analysis.present.booktables import check_lang, province_name
from analysis.reference import load_reference

__all__ = ["TextRule", "text_rules", "translate_text"]

PART_SEPARATOR = "; "
ZH_SEPARATOR = "；"

# A space with Chinese (or full-width punctuation) on both sides, left by filling a template.
_WIDE = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_WIDE_SPACE = re.compile(rf"(?<=[{_WIDE}]) (?=[{_WIDE}])")


@dataclass(frozen=True)
class TextRule:
    """One row of ``data/text_zh.csv``: its compiled pattern, its Chinese template and its example."""

    pattern: re.Pattern
    zh: str
    example: str


@functools.cache
def text_rules() -> tuple[TextRule, ...]:
    """The rows of ``data/text_zh.csv`` in order, their patterns compiled; a pattern that does not
    compile is refused in one line naming it."""
    rules = []
    for row in load_reference("text_zh").itertuples(index=False):
        try:
            pattern = re.compile(row.pattern)
        except re.error as err:
            raise ParameterError(f"data/text_zh.csv: pattern {row.pattern!r}: {err}") from err
        rules.append(TextRule(pattern, row.zh, row.example))
    return tuple(rules)


def translate_text(text: str, lang: str = "en") -> str:
    """``text`` (an estimator's words in a table cell) in ``lang``: as it is in English; in Chinese by
    the rows of ``data/text_zh.csv`` (see the module), unchanged where no row matches."""
    check_lang(lang)
    if lang == "en" or not isinstance(text, str) or not text:
        return text
    return _translate(text)


def _translate(text: str) -> str:
    """The Chinese of a whole text, else of its "; "-separated parts, else the text as it is."""
    whole = _match(text)
    if whole is not None:
        return whole
    parts = text.split(PART_SEPARATOR)
    out, i, changed = [], 0, False
    while i < len(parts):
        for j in range(len(parts), i, -1):
            got = _match(PART_SEPARATOR.join(parts[i:j])) if (i, j) != (0, len(parts)) else None
            if got is not None:
                out.append(got)
                i, changed = j, True
                break
        else:
            out.append(parts[i])
            i += 1
    return ZH_SEPARATOR.join(out) if changed else text


def _match(text: str) -> str | None:
    """The Chinese of the first row whose pattern matches all of ``text``, or None."""
    for rule in text_rules():
        hit = rule.pattern.fullmatch(text)
        if hit:
            fields = {name: _group(name, value or "") for name, value in hit.groupdict().items()}
            return _WIDE_SPACE.sub("", rule.zh.format_map(fields))
    return None


def _group(name: str, value: str) -> str:
    """A group's text in the Chinese: translated (``t_``), a province's Chinese name (``p_``), else
    as written."""
    if name.startswith("t_"):
        return _translate(value)
    if name.startswith("p_"):
        return province_name(value, "zh")
    return value
