"""Where the simulated projects are: a province drawn by weight, the 三区三州 areas with their shares,
and for provinces only partly in 三区三州 a prefecture and county, drawn from their own random stream so
that the calibrated amounts, counts and 三区三州 assignment do not depend on them. SIMULATED.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from analysis.reference import load_reference
from analysis.registers.placenames import latin_key

# Non-deep provinces' weights: more projects in the poorer western and central provinces.
_PROVINCE_WEIGHT = {
    "53": 10,
    "52": 10,
    "51": 9,
    "62": 8,
    "45": 6,
    "43": 5,
    "42": 4,
    "41": 5,
    "13": 4,
    "14": 4,
    "61": 5,
    "50": 4,
    "63": 3,
    "64": 3,
    "65": 4,
    "15": 3,
    "36": 3,
    "34": 3,
    "23": 2,
    "22": 2,
    "21": 1,
    "46": 2,
    "11": 1,
    "12": 0.5,
    "31": 0.5,
    "32": 1,
    "33": 1,
    "35": 1,
    "37": 1.5,
    "44": 1.5,
}


# 三区三州 areas: (province code, prefecture adcode or None, county adcode or None, weight).
_DEEP_AREAS = [
    ("54", "540100", None, 0.04),
    ("54", "540200", None, 0.04),
    ("54", "540300", None, 0.04),
    ("54", "540400", None, 0.03),
    ("54", "540500", None, 0.03),
    ("54", "540600", None, 0.03),
    ("54", "542500", None, 0.01),
    ("51", "513400", None, 0.10),
    ("51", "513400", "513422", 0.015),
    ("51", "513200", None, 0.04),
    ("51", "513300", None, 0.04),
    ("53", "533300", None, 0.07),
    ("53", "533400", None, 0.03),
    ("62", "622900", None, 0.08),
    ("62", "623000", None, 0.04),
    ("62", "620600", "620623", 0.015),
    ("65", "653200", None, 0.06),
    ("65", "653100", None, 0.06),
    ("65", "652900", None, 0.04),
    ("65", "653000", None, 0.04),
    ("63", "632200", None, 0.02),
    ("63", "632300", None, 0.02),
    ("63", "632500", None, 0.02),
    ("63", "632600", None, 0.02),
    ("63", "632700", None, 0.03),
    ("63", "632800", None, 0.02),
]


# Provinces only partly in 三区三州: a project there needs its prefecture (or county) for its status to
# be known. The draws that fill these in come from their own stream (seed + 2), so the calibrated
# amounts, counts and 三区三州 assignment of the register are the same as without them.
_PARTLY_DEEP = {"51", "53", "62", "63", "65"}


_UNKNOWN_SHARE = 0.05  # of those projects, the share whose register row names no prefecture


def draw_locations(rng, n: int, deep: np.ndarray, places_rng=None) -> pd.DataFrame:
    """Province, 三区三州 area, prefecture and county of ``n`` projects (``deep``: in 三区三州 or not);
    ``places_rng`` draws the prefectures and counties of provinces only partly in 三区三州."""
    prov = load_reference("provinces").set_index("code")
    pref = load_reference("prefectures")
    cty = load_reference("counties").set_index("adcode")
    pcodes = list(_PROVINCE_WEIGHT)
    pw = np.array([_PROVINCE_WEIGHT[c] for c in pcodes], dtype=float)
    dw = np.array([a[3] for a in _DEEP_AREAS])
    deep_set = {a[1] for a in _DEEP_AREAS if a[2] is None}
    rows = []
    # The prefectures outside 三区三州 of each province, looked up once per province (not per project).
    outside = {
        pc: pref[(pref["province_code"] == pc) & ~pref["adcode"].isin(deep_set)] for pc in pcodes
    }
    for is_deep in deep:
        if is_deep:
            pc, pa, ca, _ = _DEEP_AREAS[rng.choice(len(_DEEP_AREAS), p=dw / dw.sum())]
        else:
            pc, ca = rng.choice(pcodes, p=pw / pw.sum()), None
            options = outside[pc]
            pa = (
                rng.choice(options["adcode"].to_numpy())
                if len(options) and rng.random() < 0.7
                else None
            )
            if pa == "620600" and rng.random() < 0.5:  # 武威市: a county outside 天祝
                ca = rng.choice(["620602", "620621"])
            if places_rng is not None and pc in _PARTLY_DEEP:
                pa, ca = _decided_place(places_rng, options, pa, ca)
        if places_rng is not None and ca is None and pa is not None:
            ca = _a_county(places_rng, pc, pa)
        rows.append((pc, pa, ca))
    frame = pd.DataFrame(rows, columns=["province_code", "pref_adcode", "county_adcode"])
    pref_names = pref.set_index("adcode")["name_zh"]
    pref_alias = pref.set_index("adcode")["aliases"]
    frame["province_zh"] = frame["province_code"].map(prov["name_zh"])
    frame["province_short"] = frame["province_code"].map(prov["short_zh"])
    frame["province_en"] = frame["province_code"].map(prov["name_en"])
    frame["prefecture_zh"] = frame["pref_adcode"].map(pref_names)
    frame["prefecture_short"] = frame["pref_adcode"].map(  # the last Chinese alias (怒江州)
        lambda a: (
            [x for x in pref_alias.get(a, "").split("|") if not latin_key(x)][-1]
            if isinstance(a, str)
            else None
        )
    )
    names = load_reference("place_names").set_index("adcode")
    current = names["current_name"].where(names["current_name"].ne(""), names["name_zh"])
    frame["county_zh"] = (
        frame["county_adcode"].map(cty["name_zh"]).fillna(frame["county_adcode"].map(current))
    )
    return frame


_COUNTY_SHARE = 0.85  # of the projects with a place, the share whose row names its county


def _a_county(places_rng, province: str, prefecture: str | None) -> str | None:
    """A current county of the prefecture (never 天祝 outside 三区三州 rows), so that the register carries
    counties and the poverty-county columns are filled."""
    if places_rng.random() >= _COUNTY_SHARE:
        return None
    pool = _county_pool(prefecture[:4] if prefecture else province)
    return str(places_rng.choice(pool)) if len(pool) else None


@functools.cache
def _county_pool(prefix: str) -> np.ndarray:
    """The current counties (sorted adcodes) whose code starts with ``prefix``, 天祝 left out; looked
    up once per prefix (the demo draws thousands of counties)."""
    names = load_reference("place_names")
    codes = names.loc[names["current"].astype(int) == 1, "adcode"]
    codes = codes[~codes.str.endswith("00") & (codes != "620623")]
    pool = np.sort(codes[codes.str.startswith(prefix)].to_numpy())
    pool.flags.writeable = False
    return pool


def _decided_place(places_rng, options: pd.DataFrame, pa, ca):
    """A prefecture (and, in 武威, a county outside 天祝) for a project outside 三区三州 in a partly
    covered province, except for a few rows left without one (their status is then unknown)."""
    if places_rng.random() < _UNKNOWN_SHARE:
        return None, None
    if pa is None and len(options):
        pa = places_rng.choice(options["adcode"].to_numpy())
    if pa == "620600" and ca is None:
        ca = places_rng.choice(["620602", "620621"])
    return pa, ca
