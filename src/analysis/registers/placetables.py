"""The name -> place lookup tables behind :mod:`analysis.registers.places`, built once from the
reference data: every prefecture and county code of the national list (current and retired) with its
names, the current successor of a retired code, and the (province code, name key) -> place identity
tables by Chinese form and by Latin key.
"""

from __future__ import annotations

import functools

import pandas as pd

from analysis.reference import load_reference
from analysis.registers.placenames import chinese_forms, latin_key
from analysis.registers.text import normalize_text


@functools.cache
def place_names() -> pd.DataFrame:
    """Every prefecture and county code with its current flag, current name, short name and pinyin
    (``data/place_names.csv``, built by scripts/build_place_names.py)."""
    table = load_reference("place_names")
    table["current"] = table["current"].astype(int).astype(bool)
    table["current_name"] = table["current_name"].fillna("")
    table["pinyin"] = table["pinyin"].fillna("")
    table["successor"] = table["successor"].fillna("")
    return table.set_index("adcode")


def successors_of(names: pd.DataFrame) -> dict[str, str]:
    """Retired code -> the current code of the same place: the change recorded in ``place_names.csv``
    (盘县 -> 盘州市); else same province and level, same short name, and (for a county) a prefecture of
    the same short name (那曲地区 -> 那曲市, 康定县 -> 康定市, 安多县 542425 -> 540624), when exactly one
    current code fits. Two current places are never merged."""
    codes = names.index.to_numpy(dtype=str)
    short = names["short_zh"].to_numpy(dtype=str)
    current = names["current"].to_numpy(dtype=bool)
    short_of = dict(zip(codes, short, strict=True))

    def group(code: str, s: str) -> tuple:
        level = code.endswith("00")
        parent = "" if level else short_of.get(code[:4] + "00", code[:4])
        return (code[:2], level, s, parent)

    now: dict[tuple, list[str]] = {}
    for code, s, cur in zip(codes, short, current, strict=True):
        if cur:
            now.setdefault(group(code, s), []).append(code)
    out = {}
    for code, s, cur in zip(codes, short, current, strict=True):
        if not cur:
            fits = now.get(group(code, s), [])
            if len(fits) == 1:
                out[code] = fits[0]
    # Recorded changes (盘县 -> 盘州市, 大同县 -> 云州区) win over the rule above.
    recorded = names["successor"]
    out.update({c: n for c, n in recorded[recorded != ""].items()})
    return out


def _value(code: str, names: pd.DataFrame, successors: dict[str, str]) -> tuple:
    """The identity a code resolves to: (adcode, canonical name) for a prefecture, plus the prefecture's
    adcode for a county; a retired code resolves to its current successor."""
    code = successors.get(code, code)
    row = names.loc[code] if code in names.index else None
    name = (row["current_name"] or row["name_zh"]) if row is not None else ""
    if code.endswith("00"):
        return (code, name)
    pref = code[:4] + "00"
    return (code, name, successors.get(pref, pref))


def _add(table: dict, key: tuple, value: tuple, tier: int) -> None:
    """Keep, for each key, the values of its best (lowest) tier: 0 the toolkit's own tables, 1 full
    names, 2 generated short forms and pinyin."""
    best = table.get(key)
    if best is None or tier < best[0]:
        table[key] = (tier, {value})
    elif tier == best[0]:
        best[1].add(value)


@functools.cache
def area_lookup() -> tuple[dict, dict, dict, dict]:
    """(province_code, key) -> identity, for prefectures and counties, by Chinese form and by Latin key
    (see :mod:`analysis.registers.placenames`).

    The toolkit's own tables (every 三区三州 area, with short, retired and English names) come first;
    then the full names of every code of the national list (current and retired, 1980-2020), then
    their short forms (贡山县, 凉山州, 凉山) and the pinyin of the short name. A retired code resolves to
    its current successor, so a place has one identity across years. A key shared by one current place
    and retired ones names the current place; a key that still names two places is left out: such
    text stays unresolved rather than being guessed.
    """
    names = place_names()
    tables: list[dict] = [
        {},
        {},
        {},
        {},
    ]  # prefecture zh, county zh, prefecture latin, county latin
    _put_own_areas(tables)
    _put_national_list(tables, names)
    current = set(names.index[names["current"]])
    return tuple(
        {k: hit for k, (_tier, vals) in table.items() if (hit := _one(vals, current)) is not None}
        for table in tables
    )


def _put(tables: list, level: int, province: str, text: str, value: tuple, tier: int) -> None:
    """File one name of a prefecture (level 0) or county (1) under its Latin key, else its Chinese
    form."""
    latin = latin_key(text)
    if latin:
        _add(tables[2 + level], (province, latin), value, tier)
    elif key := normalize_text(text):
        _add(tables[level], (province, key), value, tier)


def _put_own_areas(tables: list) -> None:
    """Tier 0: the names and aliases of the toolkit's own prefecture and county tables (三区三州)."""
    for level, table in ((0, "prefectures"), (1, "counties")):
        for row in load_reference(table).itertuples(index=False):
            value = (row.adcode, row.name_zh)
            if level == 1:
                value = (*value, row.prefecture_adcode)
            for text in [row.name_zh, *str(row.aliases).split("|")]:
                _put(tables, level, row.province_code, text, value, 0)


def _put_national_list(tables: list, names: pd.DataFrame) -> None:
    """Tier 1 the full names of every code of the national list, tier 2 their short forms and the
    pinyin of the short name; a retired code filed under its current successor's identity."""
    successors = successors_of(names)
    for code, row in names.iterrows():
        level = 0 if code.endswith("00") else 1
        value = _value(code, names, successors)
        kind = "prefecture" if level == 0 else "county"
        for full in {row["name_zh"], row["current_name"]} - {""}:
            _put(tables, level, code[:2], full, value, 1)
            for form in chinese_forms(full, kind)[1:]:
                _put(tables, level, code[:2], form, value, 2)
        if row["pinyin"]:
            _put(tables, level, code[:2], row["pinyin"], value, 2)


def _one(values: set, current: set) -> tuple | None:
    """The place a key names: the only one, or the only current one among retired namesakes (右玉县 of
    today's 朔州, not of 雁北地区 abolished in 1993); None when two current places share it."""
    if len(values) == 1:
        return next(iter(values))
    now = [v for v in values if v[0] in current]
    return now[0] if len(now) == 1 else None
