"""Reference tables shipped inside the package (package data), each with its source.

Every table is read from ``analysis/data/`` with :mod:`importlib.resources`, so the package never reads
outside itself at run time. The comment lines at the top of each CSV state its source and date.
"""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd

_TABLES = {
    "provinces": "provinces.csv",
    "prefectures": "prefectures.csv",
    "counties": "counties.csv",
    "sanqu_sanzhou": "sanqu_sanzhou.csv",
    "sectors": "sectors.csv",
    "org_types": "org_types.csv",
    "header_aliases": "header_aliases.csv",
    "cpi": "cpi.csv",
    "published_totals": "published_totals.csv",
    "rural_poverty": "rural_poverty.csv",
    "poverty_line": "poverty_line.csv",
    "place_names": "place_names.csv",
    "poverty_counties": "poverty_counties.csv",
    "labels": "labels.csv",
    "tile_grid": "tile_grid.csv",
    "text_zh": "text_zh.csv",
}


def _path(name: str):
    if name not in _TABLES:
        raise KeyError(f"unknown reference table {name!r}; known: {', '.join(sorted(_TABLES))}")
    return resources.files("analysis") / "data" / _TABLES[name]


@functools.cache
def _load(name: str) -> pd.DataFrame:
    with _path(name).open(encoding="utf-8") as fh:
        return pd.read_csv(fh, comment="#", dtype=str, keep_default_na=False)


def load_reference(name: str) -> pd.DataFrame:
    """Return a copy of one shipped reference table (all columns as text)."""
    return _load(name).copy()


def cpi_index(base_year: int) -> pd.Series:
    """Price level by year relative to ``base_year`` (= 1.0), chained from the annual CPI (previous year = 100).

    Multiply nominal yuan of year t by ``1 / cpi_index(base)[t]`` to get constant yuan of ``base_year``.
    """
    cpi = _load("cpi")
    years = cpi["year"].astype(int).to_numpy()
    growth = cpi["cpi_previous_year_100"].astype(float).to_numpy() / 100.0
    level = pd.Series(1.0, index=years, dtype=float)
    for i in range(1, len(years)):
        level.iloc[i] = level.iloc[i - 1] * growth[i]
    if base_year not in level.index:
        raise ValueError(
            f"base_year {base_year} is outside the shipped CPI series ({years.min()}-{years.max()})"
        )
    out = level / level.loc[base_year]
    out.index.name = "year"
    out.name = "price_level"
    return out
