"""Who was counted: the basis of the beneficiary counts (persons, person-times, unknown), and how the
headline moves when projects may have counted the same people (de-duplication bounds), with the persons
per registered poor household the counts imply.

A register's beneficiaries are counted once per project. One organization running two projects in one
county in one year may reach the same people twice, so the recorded sum is an upper bound on persons;
the largest of the counts (full overlap) is a lower bound. Where the register names no county, the
overlap cannot be read from the data and a stated share (``overlap_share``) stands in for it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.estimate.costs import person_times_rows
from analysis.estimate.variants import (
    Bootstrap,
    Variant,
    baseline_key,
    check_bootstrap,
    headline_rows,
)
from analysis.schema import require_columns

BASES = ("persons", "person_times", "unknown")
BASIS_COLUMNS = [
    "basis",
    "derived",
    "n_projects",
    "beneficiaries",
    "expenditure_yuan",
    "share_projects",
    "share_beneficiaries",
    "share_expenditure",
]
DEDUP_COLUMNS = [
    "scenario",
    "setting",
    "estimate",
    "ci_low",
    "ci_high",
    "persons",
    "recorded_beneficiaries",
    "expenditure_yuan",
    "n_projects",
    "n_clusters",
    "county_known_share",
    "overlap_share",
    "persons_per_household",
    "implausible",
    "ci_method",
]
# The sensitivity table's row for the data-driven overlap (analysis.estimate.sensitivity) and the
# random stream its data-driven setting shares with the "county_overlap" scenario below.
OVERLAP_ASSUMPTION = "overlapping projects in a county"
COUNTY_OVERLAP_KEY = (OVERLAP_ASSUMPTION, "1")
# Registered poor persons per registered poor household above which a count is implausible: the
# published 2018 figures imply 9.2, about three times a rural household (docs/assumptions.md).
IMPLAUSIBLE_PER_HOUSEHOLD = 6.0
# Units of an overlap of one organization's projects: the same place and year.
_PLACE = ("org_name", "province", "prefecture", "county", "year")


def beneficiary_basis(data: pd.DataFrame) -> tuple[pd.Series, bool]:
    """The basis of each row's count ("persons", "person_times" or "unknown") and whether it was
    derived: from ``beneficiary_basis`` when the table has it (missing: "unknown"), otherwise from the
    ``person_times`` flag (flagged: "person_times", the rest "unknown": the register did not say)."""
    if "beneficiary_basis" in data.columns:
        basis = data["beneficiary_basis"].astype("string").fillna("unknown")
        bad = sorted(set(basis) - set(BASES))
        if bad:
            raise ParameterError(f"beneficiary_basis must be one of {BASES}, got {bad}")
        return basis.astype(object), False
    flagged = person_times_rows(data)
    return pd.Series(np.where(flagged, "person_times", "unknown"), index=data.index), True


def beneficiary_basis_summary(data: pd.DataFrame, *, year: int | None = None) -> pd.DataFrame:
    """Projects, recorded beneficiaries and spending (yuan) by basis of the count, one row per basis
    in the order of ``BASES`` (columns ``BASIS_COLUMNS``; shares of the table's totals). ``derived``
    says the basis came from the ``person_times`` flag because the table lacks ``beneficiary_basis``.
    ``year`` keeps one year."""
    require_columns(
        data, ["expenditure_yuan", "beneficiaries", *(["year"] if year is not None else [])]
    )
    if year is not None:
        data = data[data["year"] == year]
    basis, derived = beneficiary_basis(data)
    frame = pd.DataFrame(
        {
            "basis": basis.to_numpy(),
            "beneficiaries": data["beneficiaries"].to_numpy(float, na_value=np.nan),
            "expenditure_yuan": data["expenditure_yuan"].to_numpy(float, na_value=np.nan),
        }
    )
    out = (
        frame.groupby("basis")
        .agg(
            n_projects=("basis", "size"),
            beneficiaries=("beneficiaries", "sum"),
            expenditure_yuan=("expenditure_yuan", "sum"),
        )
        .reindex(list(BASES), fill_value=0)
        .rename_axis("basis")
        .reset_index()
    )
    for col, share in (
        ("n_projects", "share_projects"),
        ("beneficiaries", "share_beneficiaries"),
        ("expenditure_yuan", "share_expenditure"),
    ):
        total = out[col].sum()
        out[share] = out[col] / total if total > 0 else np.nan
    return out.assign(derived=derived, n_projects=out["n_projects"].astype(int))[BASIS_COLUMNS]


def beneficiary_unit(data: pd.DataFrame, *, person_times: str = "exclude") -> str:
    """What a per-beneficiary estimate on ``data`` divides by: "persons", "person_times" or "unknown"
    when every row of its sample (positive spending and beneficiaries; person-times rows left out
    unless ``person_times="include"``) has that basis, "mixed" otherwise."""
    if person_times not in {"exclude", "include"}:
        raise ParameterError(f"person_times must be 'exclude' or 'include', got {person_times!r}")
    require_columns(data, ["expenditure_yuan", "beneficiaries"])
    used = data[(data["expenditure_yuan"] > 0) & (data["beneficiaries"].fillna(0) > 0)]
    if person_times == "exclude":
        used = used[~person_times_rows(used)]
    kinds = set(beneficiary_basis(used)[0])
    return kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "unknown")


def county_overlap_persons(rows: pd.DataFrame) -> pd.Series:
    """Persons per row (float, in the order of ``rows``) if the projects of one organization in one
    county and year reach the same people (full overlap): each such group counts its largest recorded
    count once, shared over its rows in proportion to their counts (so organization totals are exact).
    Rows without a county, or a table without ``county`` or ``org_name``, keep their recorded count.
    Province and prefecture are part of the place when present (county names repeat across China)."""
    persons = rows["beneficiaries"].astype(float)
    if not {"county", "org_name", "year"} <= set(rows.columns):
        return persons
    keys = [c for c in _PLACE if c in rows.columns]
    known = rows["county"].notna().to_numpy() & rows["org_name"].notna().to_numpy()
    if not known.any():
        return persons
    place = rows.loc[known, keys].astype("string").fillna("")
    b = persons[known]
    group = b.groupby([place[k] for k in keys], sort=False)
    total = group.transform("sum")
    factor = (group.transform("max") / total.where(total > 0)).fillna(0.0)
    values = persons.to_numpy(copy=True)
    values[known] = (b * factor).to_numpy()
    return pd.Series(values, index=rows.index)


def _check_dedup(overlap_share, implausible_above, bootstrap_reps, seed, ci) -> None:
    """Refuse an overlap share outside [0, 1) or a non-positive plausibility threshold."""
    if not 0 <= overlap_share < 1:
        raise ParameterError(f"overlap_share must be in [0, 1), got {overlap_share}")
    if not implausible_above > 0:
        raise ParameterError(f"implausible_above must be positive, got {implausible_above}")
    check_bootstrap(bootstrap_reps, seed, ci)


def _scenarios(d: pd.DataFrame, share: float, year: int) -> list[tuple[str, str, pd.Series, tuple]]:
    """(scenario, setting, persons per row, stream key) of the three de-duplication scenarios."""
    recorded = d["beneficiaries"].astype(float)
    county = county_overlap_persons(d)
    no_county = d["county"].isna() if "county" in d.columns else pd.Series(True, index=d.index)
    shared = county.where(~no_county, recorded * (1 - share))
    return [
        ("recorded", "as recorded (no overlap)", recorded, baseline_key(year)),
        (
            "county_overlap",
            "full overlap within organization, county and year; no county: as recorded",
            county,
            COUNTY_OVERLAP_KEY,
        ),
        (
            "county_overlap_and_share",
            f"full overlap within organization, county and year; no county: {share:.0%} repeats",
            shared,
            ("deduplication", "county_overlap_and_share"),
        ),
    ]


def _per_household(d: pd.DataFrame, persons: pd.Series) -> float:
    """Persons per registered poor household over rows with households recorded (NaN without)."""
    if "poor_households" not in d.columns:
        return np.nan
    hh = d["poor_households"].to_numpy(float, na_value=np.nan)
    has = np.nan_to_num(hh) > 0
    return float(persons.to_numpy()[has].sum() / hh[has].sum()) if has.any() else np.nan


def deduplication_sensitivity(
    data: pd.DataFrame,
    *,
    year: int = 2018,
    overlap_share: float = 0.25,
    implausible_above: float = IMPLAUSIBLE_PER_HOUSEHOLD,
    bootstrap_reps: int = 999,
    seed: int = 0,
    cluster: str = "org_name",
    ci: float = 0.95,
) -> pd.DataFrame:
    """The headline (ratio of totals, yuan per person, ``year``, nominal yuan) under three counts of
    persons, one row each (columns ``DEDUP_COLUMNS``), each with its organization-bootstrap interval:

    - ``recorded``: every project's count is distinct persons (the sum; an upper bound on persons);
    - ``county_overlap``: projects of one organization in one county and year reach the same people
      (their largest count; the data's lower bound on persons); rows without a county as recorded;
    - ``county_overlap_and_share``: as ``county_overlap``, and where the county is missing a share
      ``overlap_share`` of the recorded count are repeats (default 0.25, the person-times row of the
      sensitivity table: half the count visits, two per person; docs/assumptions.md).

    Beside each: ``persons_per_household`` (its persons / registered poor households, over rows with
    households recorded, households as recorded) and ``implausible`` (above ``implausible_above``,
    default 6: a rural household is about three persons), ``county_known_share`` (share of the recorded
    count on rows with a county: the part the data can bound).
    """
    _check_dedup(overlap_share, implausible_above, bootstrap_reps, seed, ci)
    d = headline_rows(data, year, cluster)
    boot = Bootstrap(bootstrap_reps, seed, cluster, ci)
    recorded = d["beneficiaries"].astype(float)
    known = d["county"].notna() if "county" in d.columns else pd.Series(False, index=d.index)
    rows = []
    for scenario, setting, persons, key in _scenarios(d, overlap_share, year):
        pph = _per_household(d, persons)
        rows.append(
            {
                "scenario": scenario,
                "setting": setting,
                **boot.ratio(Variant(d, persons), *key),
                "persons": persons.sum(),
                "recorded_beneficiaries": recorded.sum(),
                "expenditure_yuan": d["expenditure_yuan"].sum(),
                "n_projects": len(d),
                "county_known_share": recorded[known].sum() / recorded.sum(),
                "overlap_share": overlap_share if scenario.endswith("share") else 0.0,
                "persons_per_household": pph,
                "implausible": pd.NA if np.isnan(pph) else bool(pph > implausible_above),
                "ci_method": boot.method(),
            }
        )
    out = pd.DataFrame(rows, columns=DEDUP_COLUMNS)
    return out.astype({"implausible": "boolean"})
