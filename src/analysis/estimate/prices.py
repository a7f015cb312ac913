"""Prices: nominal yuan to constant yuan of a base year (national CPI), and to international dollars
(PPP conversion factor), in either order.
"""

from __future__ import annotations

import pandas as pd

from analysis.errors import ParameterError
from analysis.reference import cpi_index
from analysis.schema import require_columns


def to_constant_prices(data: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """Add ``price_factor`` and turn ``expenditure_yuan`` into constant yuan of ``base_year`` (CPI).

    The factor for each row's year is kept in ``price_factor`` (constant = nominal * factor).
    """
    level = cpi_index(base_year)
    missing = sorted(set(data["year"]) - set(level.index))
    if missing:
        raise ParameterError(
            f"no CPI for year(s) {missing}; the shipped series covers "
            f"{level.index.min()}-{level.index.max()}"
        )
    out = data.copy()
    out["price_factor"] = 1.0 / out["year"].map(level).astype(float)
    out["expenditure_yuan"] = out["expenditure_yuan"] * out["price_factor"]
    return out


PRICE_ORDERS = ("deflate_then_convert", "convert_then_deflate")


def to_international_dollars(
    data: pd.DataFrame,
    ppp: pd.DataFrame,
    *,
    base_year: int | None = None,
    order: str = "deflate_then_convert",
) -> tuple[pd.DataFrame, str]:
    """Turn ``expenditure_yuan`` into international dollars with a PPP table the user supplies.

    ``ppp`` has columns ``year`` and ``yuan_per_international_dollar`` (and ``dollar_price_level`` for
    ``convert_then_deflate`` with a base year). No PPP series ships with the toolkit. Orders:
    ``deflate_then_convert`` (constant yuan of ``base_year`` by the CPI, then the PPP of ``base_year``)
    or ``convert_then_deflate`` (each year's PPP, then the dollar price level to ``base_year``; without a
    base year, current international dollars). Returns the converted table (``price_factor`` holds the
    factor from nominal yuan) and the ``price_basis`` text.
    """
    if order not in PRICE_ORDERS:
        raise ParameterError(f"price_order must be one of {PRICE_ORDERS}, got {order!r}")
    require_columns(ppp, ["year", "yuan_per_international_dollar"], "the PPP table")
    rate = ppp.set_index(ppp["year"].astype(int))["yuan_per_international_dollar"].astype(float)
    years = set(data["year"]) | ({base_year} if base_year is not None else set())
    missing = sorted(years - set(rate.index))
    if missing:
        raise ParameterError(f"the PPP table has no rate for year(s) {missing}")
    if order == "deflate_then_convert":
        if base_year is None:
            raise ParameterError("deflate_then_convert needs a base_year")
        out = to_constant_prices(data, int(base_year))
        out["expenditure_yuan"] = out["expenditure_yuan"] / rate[base_year]
        out["price_factor"] = out["price_factor"] / rate[base_year]
        return out, f"constant {base_year} international dollars (CPI, then PPP of {base_year})"
    out = data.copy()
    out["price_factor"] = 1.0 / out["year"].map(rate)
    if base_year is not None:
        if "dollar_price_level" not in ppp.columns:
            raise ParameterError("convert_then_deflate with a base_year needs dollar_price_level")
        level = ppp.set_index(ppp["year"].astype(int))["dollar_price_level"].astype(float)
        out["price_factor"] *= level[base_year] / out["year"].map(level)
        basis = f"constant {base_year} international dollars (PPP of each year, then dollar prices)"
    else:
        basis = "current international dollars (PPP of each year)"
    out["expenditure_yuan"] = out["expenditure_yuan"] * out["price_factor"]
    return out, basis
