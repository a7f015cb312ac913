"""Resolving place names to GB/T 2260 codes and to the 三区三州 (deep-poverty areas).

Province names come in many spellings (云南省, 云南, Yunnan, 雲南, "Yunnan Province"); prefecture and
county names in full or short form (怒江傈僳族自治州, 怒江州, 怒江) and under retired names (那曲地区).
A province cell may hold a free-text address ("云南省怒江州泸水市") or several provinces ("云南、四川").
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.reference import load_reference
from analysis.registers.placenames import latin_keys
from analysis.registers.placetables import area_lookup, place_names, successors_of
from analysis.registers.text import (
    BLANK_TOKENS,
    dictionary_codes,
    normalize_text,
    strings_from_codes,
    text_array,
)
from analysis.schema import MULTIPLE

_SPLIT = re.compile(r"[、,;/|&]|\band\b")


_SPLIT_WORDS = re.compile(
    r"以及|和|及"
)  # only when every part is a province ("四川和云南", not "和田")


_PROVINCE_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "省",
    "市",
    " uygur autonomous region",
    " uyghur autonomous region",
    " zhuang autonomous region",
    " hui autonomous region",
    " autonomous region",
    " province",
    " municipality",
    " sheng",
    " shi",
)


@functools.cache
def _province_lookup() -> tuple[dict[str, str], pd.DataFrame]:
    prov = load_reference("provinces")
    lookup: dict[str, str] = {}
    for row in prov.itertuples(index=False):
        names = [row.name_zh, row.short_zh, row.name_en, row.pinyin, *row.aliases.split("|")]
        for name in names:
            key = normalize_text(name)
            if key:
                lookup[key] = row.code
    return lookup, prov.set_index("code")


@functools.cache
def _by_province(which: int) -> dict[str, list[tuple[str, tuple]]]:
    """Aliases of one lookup grouped by province, longest first (for addresses)."""
    grouped: dict[str, list[tuple[str, tuple]]] = {}
    for (pc, alias), value in area_lookup()[which].items():
        grouped.setdefault(pc, []).append((alias, value))
    for items in grouped.values():
        items.sort(key=lambda t: len(t[0]), reverse=True)
    return grouped


@functools.cache
def _deep_codes() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    sq = load_reference("sanqu_sanzhou")
    prov = frozenset(sq.loc[sq["level"] == "province", "adcode"].str[:2])
    pref = frozenset(sq.loc[sq["level"] == "prefecture", "adcode"])
    cty = frozenset(sq.loc[sq["level"] == "county", "adcode"])
    return prov, pref, cty


def _one_province(text: str) -> tuple[str | None, str]:
    """Resolve one province name; returns (code, remaining text after the name) or (None, text)."""
    lookup, _ = _province_lookup()
    key = normalize_text(text)
    if key in lookup:
        return lookup[key], ""
    for suffix in _PROVINCE_SUFFIXES:
        if key.endswith(suffix) and key[: -len(suffix)].strip() in lookup:
            return lookup[key[: -len(suffix)].strip()], ""
    # Free-text address: the longest alias at the start ("云南省怒江州泸水市").
    best = None
    for alias, code in lookup.items():
        if key.startswith(alias) and (best is None or len(alias) > len(best[0])):
            best = (alias, code)
    if best is not None and not best[0].isascii():
        rest = key[len(best[0]) :]
        for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"):
            if rest.startswith(suffix):
                rest = rest[len(suffix) :]
                break
        return best[1], rest
    return None, key


def _resolve_province_text(text: str) -> tuple[str | None, str, str]:
    """-> (province code or MULTIPLE or None, remaining address text, problem)."""
    key = normalize_text(text)
    if key in BLANK_TOKENS:
        return None, "", "missing"
    parts = _province_parts(key)
    if len(parts) > 1:  # "云南、四川": several provinces
        return _resolve_several(key, parts)
    code, rest = _one_province(key)
    if code is not None:
        return code, rest, ""
    return None, key, "unresolved"


def _province_parts(key: str) -> list[str]:
    """The parts of a province cell split at list separators, or at 和/及/以及 when every part is a
    province on its own ("四川和云南", not "和田")."""
    parts = [p.strip() for p in _SPLIT.split(key) if p.strip()]
    if len(parts) == 1:
        words = [p.strip() for p in _SPLIT_WORDS.split(key) if p.strip()]
        if len(words) > 1 and all(
            _one_province(w)[0] is not None and not _one_province(w)[1] for w in words
        ):
            return words
    return parts


def _resolve_several(key: str, parts: list[str]) -> tuple[str | None, str, str]:
    """A cell of several parts -> (MULTIPLE and the codes joined by "|", or one province and its area
    text ("云南省,怒江州"), or None when a part resolves to nothing, remaining text, problem)."""
    codes = [_one_province(p)[0] for p in parts]
    known = {c for c in codes if c is not None}
    if None not in codes:
        if len(known) > 1:
            return MULTIPLE, "|".join(sorted(known)), ""
        return known.pop(), "", ""
    if len(known) != 1 or codes[0] is None:
        return None, key, "unresolved"
    # "云南省,怒江州": one province, then areas of it; anything else is not resolved.
    (code,) = known
    for part in (p for p, c in zip(parts, codes, strict=True) if c is None):
        if _match_area(code, part, 0) is None and _match_area(code, part, 1) is None:
            return None, key, "unresolved"
    return code, "".join(p for p, c in zip(parts, codes, strict=True) if c is None), ""


def _match_area(code: str, text: str, level: int) -> tuple | None:
    """A prefecture (level 0) or county (level 1) of province ``code`` named by ``text``: a Chinese
    form, a Latin form (pinyin or English), or a Chinese address starting with one."""
    key = normalize_text(text)
    if not key or key in BLANK_TOKENS:
        return None
    lookups = area_lookup()
    latin = latin_keys(key)
    if latin:
        return next(
            (lookups[2 + level][(code, k)] for k in latin if (code, k) in lookups[2 + level]), None
        )
    if (code, key) in lookups[level]:
        return lookups[level][(code, key)]
    # An address: the longest alias of this province found at the start of the text.
    for alias, value in _by_province(level).get(code, []):
        if key.startswith(alias):
            return value
    return None


@functools.cache
def _prefecture_names() -> dict[str, tuple[str, str]]:
    """Prefecture code -> (code, canonical name), for the prefecture of a county found on its own."""
    out = {v[0]: v for v in area_lookup()[0].values()}
    for row in load_reference("prefectures").itertuples(index=False):
        out[row.adcode] = (row.adcode, row.name_zh)
    return out


@functools.cache
def _partly_covered() -> tuple[frozenset[str], frozenset[str]]:
    """Provinces with some 三区三州 areas but not all (Sichuan, Yunnan, Gansu, Qinghai, Xinjiang), and
    the prefectures outside 三区三州 that hold a 三区三州 county (天祝 in 武威)."""
    deep_prov, deep_pref, deep_cty = _deep_codes()
    provinces = frozenset(c[:2] for c in deep_pref | deep_cty) - deep_prov
    holding = frozenset(c[:4] + "00" for c in deep_cty) - deep_pref
    return provinces, holding


def deep_status(province_code: str | None, prefecture: tuple | None, county: tuple | None):
    """三区三州 membership from what was resolved: True, False, or None when the place does not decide
    it (a partly covered province without a prefecture or county that settles it)."""
    deep_prov, deep_pref, deep_cty = _deep_codes()
    partial, holding = _partly_covered()
    if province_code is None or province_code == MULTIPLE:
        return None
    if province_code in deep_prov:
        return True
    if province_code not in partial:
        return False
    if (prefecture is not None and prefecture[0] in deep_pref) or (
        county is not None and county[0] in deep_cty
    ):
        return True
    if county is not None:
        return False
    if prefecture is not None and prefecture[0] not in holding:
        return False
    return None


def _strip_area(text: str, names: tuple[str, ...]) -> str:
    key = normalize_text(text)
    for name in sorted(names, key=len, reverse=True):
        if key.startswith(name):
            return key[len(name) :]
    return key


def _resolve_one(p_text: str, f_text: str, c_text: str) -> tuple:
    """One distinct (province, prefecture, county) triple -> the output columns of resolve_places."""
    _, prov_table = _province_lookup()
    code, rest, problem = _resolve_province_text(p_text)
    pref_name = county_name = listed = None
    pref_hit = cty_hit = None
    if code is not None and code != MULTIPLE:
        pref_hit = _match_area(code, f_text, 0) or (_match_area(code, rest, 0) if rest else None)
        c_source = c_text if normalize_text(c_text) not in BLANK_TOKENS else ""
        if not c_source and rest:
            names = tuple(a for a, _v in _by_province(0).get(code, []))
            c_source = _strip_area(rest, names)
        cty_hit = _match_area(code, c_source, 1)
        if cty_hit is not None and pref_hit is None:
            pref_hit = _prefecture_names().get(cty_hit[2])
        f_norm = normalize_text(f_text)
        c_norm = normalize_text(c_text)
        pref_name = (
            pref_hit[1] if pref_hit else (f_text.strip() if f_norm not in BLANK_TOKENS else None)
        )
        county_name = (
            cty_hit[1] if cty_hit else (c_text.strip() if c_norm not in BLANK_TOKENS else None)
        )
    deep = deep_status(code, pref_hit, cty_hit) if problem == "" else False
    county_code = cty_hit[0] if cty_hit else None
    prefecture_code = pref_hit[0] if pref_hit else None
    if code is None:
        province_name, province_code = None, None
    elif code == MULTIPLE:
        province_name, province_code = MULTIPLE, None
        listed = "|".join(prov_table.loc[c, "name_en"] for c in rest.split("|"))
    else:
        province_name, province_code = prov_table.loc[code, "name_en"], code
    return (
        province_name,
        province_code,
        pref_name,
        county_name,
        deep,
        problem,
        listed,
        county_code,
        prefecture_code,
    )


_OUTPUT = (
    "province",
    "province_code",
    "prefecture",
    "county",
    "deep_poverty_area",
    "place_problem",
    "province_list",
    "county_code",
    "prefecture_code",
)


def resolve_places(
    province: pd.Series,
    prefecture: pd.Series | None = None,
    county: pd.Series | None = None,
) -> pd.DataFrame:
    """Resolve province, prefecture and county text to canonical names, codes and 三区三州 membership.

    Returns a DataFrame on the same index with ``province`` (canonical English name, "multiple" for a
    project in several provinces, missing when unresolved), ``province_code`` (two digits),
    ``prefecture`` and ``county`` (canonical Chinese names where known, else the text as written),
    ``deep_poverty_area`` (nullable boolean: missing where the place does not decide it, see
    :func:`deep_status`), ``place_problem`` ('' when resolved, 'missing' or 'unresolved'),
    ``province_list`` (the provinces of a "multiple" row, English names joined by "|") and
    ``county_code`` and ``prefecture_code`` (six-digit codes where they resolved, the current code
    for a retired name).
    A prefecture or county found inside the province text ("云南省怒江州泸水市") is used when the
    prefecture and county columns are blank. Each distinct triple of texts is resolved once.
    """
    n = len(province)
    columns = [
        c if c is not None else pd.Series([""] * n, dtype="string")
        for c in (province, prefecture, county)
    ]
    # A code per row for its (province, prefecture, county) triple, combined column by column.
    encoded = [dictionary_codes(text_array(c)) for c in columns]
    triple = np.zeros(n, dtype=np.int64)
    for code, distinct in encoded:
        triple, _ = pd.factorize(triple * max(len(distinct), 1) + code)
    k = int(triple.max()) + 1 if n else 0
    first = np.zeros(k, dtype=np.int64)
    first[triple[::-1]] = np.arange(n - 1, -1, -1)  # the first row of each triple
    texts = [distinct.take(pa.array(code[first])).to_pylist() for code, distinct in encoded]
    results = [_resolve_one(p, f, c) for p, f, c in zip(*texts, strict=True)]
    out = pd.DataFrame(index=province.index)
    for i, name in enumerate(_OUTPUT):
        values = [r[i] for r in results]
        if name == "deep_poverty_area":
            out[name] = pd.array(values, dtype="boolean")[triple]
        elif name == "place_problem":
            out[name] = np.array(values, dtype=object)[triple]
        else:
            out[name] = strings_from_codes(values, triple)
    return out


@functools.cache
def poverty_counties() -> dict[str, int]:
    """The 832 national poverty counties: the county code a register row resolves to -> exit (摘帽)
    year, from ``data/poverty_counties.csv``. A listed code that is current (or has a recorded
    successor) decides; otherwise the county is resolved by its province, prefecture and name, as
    register rows are (the source mixes code vintages: a few codes are from 2020-2021 re-zoning and
    newer than the division table, some old names sit beside new codes). 冷湖 and 茫崖 were merged
    into 茫崖市 in 2018, so 832 listed counties are 831 places today."""
    table = load_reference("poverty_counties")
    places = resolve_places(table["province"], table["prefecture"], table["county_name"])
    names = place_names()
    successors = successors_of(names)
    current = names["current"]
    by_code = [  # a current code (or one with a successor) decides: 郧县 420304 is 郧阳区 today
        successors.get(c, c if current.get(c, False) else None) for c in table["county_code"]
    ]
    by_name = places["county_code"].to_numpy(dtype=object)
    codes = np.where(
        pd.isna(np.array(by_code, dtype=object)), by_name, np.array(by_code, dtype=object)
    )
    missing = table.loc[pd.isna(codes), "county_name"].tolist()
    if missing:
        raise RuntimeError(f"poverty counties that do not resolve: {missing}")
    return {c: int(y) for c, y in zip(codes, table["exit_year"], strict=True)}


def poverty_status(county_code: pd.Series) -> pd.DataFrame:
    """``poverty_county`` (one of the 832, nullable boolean) and ``poverty_exit_year`` (Int64) for
    resolved county codes; both missing where the county is unknown, the year missing outside the 832."""
    exits = poverty_counties()
    known = county_code.notna().to_numpy(dtype=bool)
    codes = county_code.astype(object).where(known, None)
    year = pd.array([exits.get(c) if c is not None else None for c in codes], dtype="Int64")
    flag = pd.array([(c in exits) if c is not None else None for c in codes], dtype="boolean")
    return pd.DataFrame(
        {"poverty_county": flag, "poverty_exit_year": year}, index=county_code.index
    )
