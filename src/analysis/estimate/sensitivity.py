"""How the headline cost per beneficiary moves when one assumption changes at a time (prices, person-times,
multi-province allocation, flagged rows, duplicates): one row per assumption, for a tornado figure.

The assumptions are data: ``SENSITIVITY_ASSUMPTIONS`` lists them (adding one is one entry there) in the order of the output rows, each with its
evidence rating, the labels of its two settings and the function giving the headline at each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from analysis.errors import ParameterError
from analysis.estimate.prices import to_constant_prices

SENSITIVITY_COLUMNS = [
    "assumption",
    "evidence",
    "setting_low",
    "setting_high",
    "low",
    "high",
    "baseline",
    "price_basis",
]


@dataclass(frozen=True)
class _Options:
    """The settings of the alternative assumptions (see :func:`cost_sensitivity`)."""

    person_times_share: float
    visits_per_person: float
    trim_shares: tuple[float, float]
    base_years: tuple[int, int]
    household_size: float


@dataclass(frozen=True)
class Assumption:
    """One row of the sensitivity table: the assumption, its evidence rating (red, amber, green),
    the labels of its two settings, and the headline (yuan per person) at each of them."""

    name: str
    evidence: str
    settings: Callable[[_Options], tuple[str, str]]
    values: Callable[[pd.DataFrame, float, _Options], tuple[float, float]]
    price_basis: str = "nominal yuan"


def _ratio(frame: pd.DataFrame, denominator: pd.Series | None = None) -> float:
    """Ratio of totals: spending / recorded beneficiaries, or / ``denominator`` (yuan per person)."""
    den = frame["beneficiaries"].astype(float) if denominator is None else denominator
    return float(frame["expenditure_yuan"].sum() / den.sum())


def _person_times(d: pd.DataFrame, base: float, o: _Options) -> tuple[float, float]:
    """Headline as recorded, and with a share of beneficiaries being repeat visits."""
    factor = 1 - o.person_times_share + o.person_times_share / o.visits_per_person
    return base, base / factor


def _outliers(d: pd.DataFrame, base: float, o: _Options) -> tuple[float, float]:
    """Headline with the flagged outliers (cpb_high, cpb_low) kept and excluded."""
    flags = d["flags"].fillna("") if "flags" in d.columns else pd.Series("", index=d.index)
    return base, _ratio(d[~flags.str.contains("cpb_high|cpb_low")])


def _households(d: pd.DataFrame, base: float, o: _Options) -> tuple[float, float]:
    """Headline per recorded person, and per registered poor household times household_size."""
    hh = d[d["poor_households"].fillna(0) > 0]
    return base, _ratio(hh, hh["poor_households"].astype(float) * o.household_size)


def _base_years(d: pd.DataFrame, base: float, o: _Options) -> tuple[float, float]:
    """Headline in constant yuan (CPI) of each of the two base years."""
    priced = [_ratio(to_constant_prices(d, y)) for y in o.base_years]
    return priced[0], priced[1]


def _trimmed(d: pd.DataFrame, base: float, o: _Options) -> tuple[float, float]:
    """Headline with the largest projects (by spending) dropped, at each of the two shares."""
    trimmed = [
        _ratio(d[d["expenditure_yuan"] <= d["expenditure_yuan"].quantile(1 - share)])
        for share in o.trim_shares
    ]
    return trimmed[0], trimmed[1]


# The assumptions, in the order of the output rows. To add one, write its values function
# (rows, baseline, options) -> (headline at the first setting, at the second) and add an entry here.
SENSITIVITY_ASSUMPTIONS = (
    Assumption(
        "beneficiaries partly person-times",
        "red",
        lambda o: (
            "0% visits",
            f"{o.person_times_share:.0%} visits, {o.visits_per_person:g} per person",
        ),
        _person_times,
    ),
    Assumption("flagged outliers", "amber", lambda o: ("kept", "excluded"), _outliers),
    Assumption(
        "denominator",
        "red",
        lambda o: ("persons recorded", f"registered poor households x {o.household_size:g}"),
        _households,
    ),
    Assumption(
        "price base year",
        "green",
        lambda o: (f"constant {o.base_years[0]} yuan", f"constant {o.base_years[1]} yuan"),
        _base_years,
        price_basis="constant yuan (CPI)",
    ),
    Assumption(
        "largest projects trimmed",
        "amber",
        lambda o: (f"top {o.trim_shares[0]:.0%} dropped", f"top {o.trim_shares[1]:.0%} dropped"),
        _trimmed,
    ),
)


def _check_options(o: _Options) -> None:
    """Refuse shares outside [0, 1), fewer than one visit per person, or a non-positive household."""
    for name, value in (
        ("person_times_share", o.person_times_share),
        ("trim_shares", max(o.trim_shares)),
    ):
        if not 0 <= value < 1:
            raise ParameterError(f"{name} must be in [0, 1), got {value}")
    if o.visits_per_person < 1 or o.household_size <= 0:
        raise ParameterError("visits_per_person must be >= 1 and household_size > 0")


def _headline_rows(data: pd.DataFrame, year: int) -> pd.DataFrame:
    """Projects of ``year`` with spending and beneficiaries, person-times rows left out."""
    d = data[
        (data["year"] == year)
        & (data["expenditure_yuan"] > 0)
        & (data["beneficiaries"].fillna(0) > 0)
    ]
    if d.empty:
        raise ParameterError(f"no projects with spending and beneficiaries in {year}")
    flags = d["flags"].fillna("") if "flags" in d.columns else pd.Series("", index=d.index)
    return d[~flags.str.contains("person_times")]


def _row(a: Assumption, d: pd.DataFrame, base: float, o: _Options) -> dict:
    """One row of the table: the two settings and the smaller and larger headline."""
    s_low, s_high = a.settings(o)
    lo, hi = sorted(a.values(d, base, o))
    return {
        "assumption": a.name,
        "evidence": a.evidence,
        "setting_low": s_low,
        "setting_high": s_high,
        "low": lo,
        "high": hi,
        "baseline": base,
        "price_basis": a.price_basis,
    }


def cost_sensitivity(
    data: pd.DataFrame,
    *,
    year: int = 2018,
    person_times_share: float = 0.5,
    visits_per_person: float = 2.0,
    trim_shares: tuple[float, float] = (0.01, 0.05),
    base_years: tuple[int, int] = (2016, 2020),
    household_size: float = 3.0,
) -> pd.DataFrame:
    """One-way sensitivity of the headline (ratio of totals, yuan per person, one year).

    Each row changes one assumption and reports the headline at two settings (``low``/``high`` are the
    smaller and larger of the two estimates, ``baseline`` the headline itself, nominal yuan of ``year``
    unless the row is about prices). docs/assumptions.md rates the evidence for each (red, amber, green).

    - person-times: a share ``person_times_share`` of the recorded beneficiaries are visits, each person
      counted ``visits_per_person`` times, so persons = beneficiaries * (1 - share + share / visits);
    - flagged outliers (cpb_high, cpb_low) excluded;
    - registered poor households times ``household_size`` persons as the denominator instead of the
      recorded persons (the size is an assumption, not a published figure);
    - constant prices of another base year (CPI);
    - the largest projects (by spending) trimmed, at two shares.
    """
    options = _Options(
        person_times_share=person_times_share,
        visits_per_person=visits_per_person,
        trim_shares=trim_shares,
        base_years=base_years,
        household_size=household_size,
    )
    _check_options(options)
    d = _headline_rows(data, year)
    base = _ratio(d)
    rows = [_row(a, d, base, options) for a in SENSITIVITY_ASSUMPTIONS]
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
