"""How the headline cost per beneficiary moves when one assumption changes at a time (person-times,
overlapping projects, flagged rows, the denominator, the largest projects): one row per assumption, each
setting with its organization-bootstrap interval, for a tornado figure.

The assumptions are data: ``SENSITIVITY_ASSUMPTIONS`` lists them (adding one is one entry there) in the
order of the output rows, each with its evidence rating, the labels of its two settings and the function
giving the projects and persons (a :class:`~analysis.estimate.variants.Variant`) at each. The point and
the interval of a setting both come from that variant; each setting draws from its own random stream
(keyed by the assumption's name and the setting's place), so a row does not depend on the others.

Only assumptions about what the money bought are rows: a change of price base (constant yuan of another
year) rescales every figure alike and is a choice of units, not an assumption (issue 17).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.estimate.beneficiaries import OVERLAP_ASSUMPTION, county_overlap_persons
from analysis.estimate.variants import (
    Bootstrap,
    Variant,
    baseline_key,
    check_bootstrap,
    headline_rows,
)
from analysis.schema import require_columns

SENSITIVITY_COLUMNS = [
    "assumption",
    "evidence",
    "setting_low",
    "setting_high",
    "low",
    "high",
    "baseline",
    "price_basis",
    "low_ci_low",
    "low_ci_high",
    "high_ci_low",
    "high_ci_high",
    "baseline_ci_low",
    "baseline_ci_high",
]
PRICE_BASIS = "nominal yuan"  # of the headline's year, in every row


@dataclass(frozen=True)
class _Options:
    """The settings of the alternative assumptions (see :func:`cost_sensitivity`)."""

    person_times_share: float
    visits_per_person: float
    trim_shares: tuple[float, float]
    household_size: float


# A setting's projects and persons; None: the headline as recorded (its point and interval).
Setting = Variant | None


@dataclass(frozen=True)
class Assumption:
    """One row of the sensitivity table: the assumption, its evidence rating (red, amber, green),
    the labels of its two settings, and the projects and persons (yuan per person) at each of them."""

    name: str
    evidence: str
    settings: Callable[[_Options], tuple[str, str]]
    variants: Callable[[pd.DataFrame, _Options], tuple[Setting, Setting]]


def _person_times(d: pd.DataFrame, o: _Options) -> tuple[Setting, Setting]:
    """As recorded, and with a share of beneficiaries being repeat visits (persons scaled down)."""
    factor = 1 - o.person_times_share + o.person_times_share / o.visits_per_person
    return None, Variant(d, d["beneficiaries"].astype(float) * factor)


def _overlap(d: pd.DataFrame, o: _Options) -> tuple[Setting, Setting]:
    """As recorded, and with one organization's projects in one county and year reaching the same
    people (their largest count); the baseline when no such projects overlap."""
    persons = county_overlap_persons(d)
    if np.allclose(persons.to_numpy(), d["beneficiaries"].to_numpy(float)):
        return None, None
    return None, Variant(d, persons)


def _outliers(d: pd.DataFrame, o: _Options) -> tuple[Setting, Setting]:
    """The flagged outliers (cpb_high, cpb_low) kept and excluded."""
    flags = d["flags"].fillna("") if "flags" in d.columns else pd.Series("", index=d.index)
    flagged = flags.astype(str).str.contains("cpb_high|cpb_low")
    return None, (Variant(d[~flagged]) if flagged.any() else None)


def _households(d: pd.DataFrame, o: _Options) -> tuple[Setting, Setting]:
    """Per recorded person, and per registered poor household times household_size."""
    hh = d[d["poor_households"].fillna(0) > 0]
    return None, Variant(hh, hh["poor_households"].astype(float) * o.household_size)


def _trimmed(d: pd.DataFrame, o: _Options) -> tuple[Setting, Setting]:
    """The largest projects (by spending) dropped, at each of the two shares."""
    spend = d["expenditure_yuan"]
    first, second = (Variant(d[spend <= spend.quantile(1 - share)]) for share in o.trim_shares)
    return first, second


# The assumptions, in the order of the output rows. To add one, write its variants function
# (rows, options) -> (setting 1, setting 2), each a Variant or None for the headline as recorded, and
# add an entry here (its label key in data/labels.csv, its rating in docs/assumptions.md).
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
    Assumption(
        OVERLAP_ASSUMPTION,
        "amber",
        lambda o: ("as recorded", "full overlap within organization, county and year"),
        _overlap,
    ),
    Assumption("flagged outliers", "amber", lambda o: ("kept", "excluded"), _outliers),
    Assumption(
        "denominator",
        "red",
        lambda o: ("persons recorded", f"registered poor households x {o.household_size:g}"),
        _households,
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
    if len(o.trim_shares) != 2:
        raise ParameterError(f"trim_shares must be two shares, got {o.trim_shares!r}")
    for name, value in (
        ("person_times_share", o.person_times_share),
        ("trim_shares", min(o.trim_shares)),
        ("trim_shares", max(o.trim_shares)),
    ):
        if not 0 <= value < 1:
            raise ParameterError(f"{name} must be in [0, 1), got {value}")
    if o.visits_per_person < 1 or o.household_size <= 0:
        raise ParameterError("visits_per_person must be >= 1 and household_size > 0")


def _row(a: Assumption, d: pd.DataFrame, o: _Options, boot: Bootstrap, base: dict) -> dict:
    """One row of the table: the settings ordered by their headline (smaller first), each with its
    interval, and the baseline with its interval."""
    results = [
        base if v is None else boot.ratio(v, a.name, str(k)) for k, v in enumerate(a.variants(d, o))
    ]
    (lo, s_lo), (hi, s_hi) = sorted(
        zip(results, a.settings(o), strict=True), key=lambda pair: pair[0]["estimate"]
    )
    return {
        "assumption": a.name,
        "evidence": a.evidence,
        "setting_low": s_lo,
        "setting_high": s_hi,
        "low": lo["estimate"],
        "high": hi["estimate"],
        "baseline": base["estimate"],
        "price_basis": PRICE_BASIS,
        "low_ci_low": lo["ci_low"],
        "low_ci_high": lo["ci_high"],
        "high_ci_low": hi["ci_low"],
        "high_ci_high": hi["ci_high"],
        "baseline_ci_low": base["ci_low"],
        "baseline_ci_high": base["ci_high"],
    }


def cost_sensitivity(
    data: pd.DataFrame,
    *,
    year: int = 2018,
    person_times_share: float = 0.5,
    visits_per_person: float = 2.0,
    trim_shares: tuple[float, float] = (0.01, 0.05),
    household_size: float = 3.0,
    bootstrap_reps: int = 999,
    seed: int = 0,
    cluster: str = "org_name",
    ci: float = 0.95,
) -> pd.DataFrame:
    """One-way sensitivity of the headline (ratio of totals, yuan per person, nominal yuan of ``year``).

    Each row changes one assumption and reports the headline at its two settings: ``low``/``high``
    are the smaller and larger of the two estimates, ``setting_low``/``setting_high`` the settings
    giving them, ``baseline`` the headline itself. Each has its ``ci`` organization-bootstrap
    (percentile, ``bootstrap_reps`` replicates, resampling ``cluster``) interval in
    ``low_ci_low``/``low_ci_high``, ``high_ci_low``/``high_ci_high`` and
    ``baseline_ci_low``/``baseline_ci_high`` (NaN with ``bootstrap_reps=0``); a setting that is the
    headline as recorded has the baseline's interval. docs/assumptions.md rates the evidence for each
    row (red, amber, green).

    - person-times: a share ``person_times_share`` of the recorded beneficiaries are visits, each person
      counted ``visits_per_person`` times, so persons = beneficiaries * (1 - share + share / visits);
    - overlapping projects: one organization's projects in one county and year reach the same people
      (the largest of their counts; :func:`analysis.estimate.beneficiaries.county_overlap_persons`);
    - flagged outliers (cpb_high, cpb_low) excluded;
    - registered poor households times ``household_size`` persons as the denominator instead of the
      recorded persons (the size is an assumption, not a published figure);
    - the largest projects (by spending) trimmed, at two shares.
    """
    options = _Options(
        person_times_share=person_times_share,
        visits_per_person=visits_per_person,
        trim_shares=tuple(trim_shares),
        household_size=household_size,
    )
    _check_options(options)
    check_bootstrap(bootstrap_reps, seed, ci)
    require_columns(data, ["poor_households"])
    d = headline_rows(data, year, cluster)
    boot = Bootstrap(bootstrap_reps, seed, cluster, ci)
    base = boot.ratio(Variant(d), *baseline_key(year))
    rows = [_row(a, d, options, boot, base) for a in SENSITIVITY_ASSUMPTIONS]
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
