"""Summaries for readers: the cleaning summary, totals reconciled with the published ones, the
published cost benchmarks, the simulated-data notice, and the aggregates that figures draw.
"""

from __future__ import annotations

import re

import pandas as pd

from analysis.reference import load_reference
from analysis.schema import is_simulated

_NATIONAL = "national social organizations"
_SUPPORT_ALL = "central support to social organizations (all areas)"
_SUPPORT_DEEP = "central support to social organizations in deep-poverty areas"
_JIANGSU = "Jiangsu social organizations (all levels)"

# The cost-per-beneficiary benchmarks, each a pair of rows of the published table (same scope and
# period): (scope, period, numerator measure, denominator measure, note). The note may name the
# denominator's value in millions as {den_millions}.
_BENCHMARKS = (
    (
        _NATIONAL,
        "2018",
        "expenditure",
        "registered poor persons reached",
        "all spending of national social organizations / registered poor persons reached",
    ),
    (
        _SUPPORT_ALL,
        "2012",
        "central funds",
        "direct beneficiaries",
        "central funds only / direct beneficiaries",
    ),
    (
        _SUPPORT_ALL,
        "2012",
        "total investment",
        "direct beneficiaries",
        "central and matching funds / direct beneficiaries",
    ),
    (
        _SUPPORT_ALL,
        "2012 to 2021-09",
        "central funds",
        "direct beneficiaries",
        "cumulative central funds / at least {den_millions:g} million beneficiaries"
        " (an upper bound)",
    ),
    (
        _JIANGSU,
        "2018",
        "funds invested",
        "beneficiaries",
        "all levels of Jiangsu's social organizations",
    ),
)


# How the shipped published-totals table says "the source of the row above" (a row of the same
# release); every row read from the table carries the source itself.
SAME_SOURCE = "same as above"


def _published_totals() -> pd.DataFrame:
    """The shipped published-totals table, with ``value`` as a number (in its row's ``unit``) and
    each row's own ``source`` (a "same as above" replaced by the source it refers to)."""
    pub = load_reference("published_totals")
    pub["value"] = pub["value"].astype(float)
    pub["source"] = pub["source"].mask(pub["source"].str.strip().eq(SAME_SOURCE)).ffill()
    return pub


def _published_row(pub: pd.DataFrame, scope: str, measure: str, period: str | None = None):
    """The one published row of ``scope`` and ``measure`` (and ``period`` where given)."""
    hit = pub[(pub["scope"] == scope) & (pub["measure"] == measure)]
    if period is not None:
        hit = hit[hit["period"] == period]
    if len(hit) != 1:
        raise KeyError(
            f"published_totals has {len(hit)} row(s) for {scope!r} / {measure!r} / {period!r}"
        )
    return hit.iloc[0]


def published_benchmarks() -> pd.DataFrame:
    """Cost per beneficiary implied by published figures (yuan per person), each with scope and source.

    Different scopes: national social organizations' own spending (2018), central funds of the support
    programme (2012; 2012 to 2021-09), all of Jiangsu's social organizations (2018). Every number and
    period comes from the shipped table ``published_totals``.
    """
    pub = _published_totals()
    rows = []
    for scope, period, num, den, note in _BENCHMARKS:
        n = _published_row(pub, scope, num, period)
        d = _published_row(pub, scope, den, period)
        rows.append(
            {
                "scope": scope,
                "period": n["period"],
                "yuan_per_person": n["value"] / d["value"],
                "numerator": f"{num} ({n['value']:,.0f} {n['unit']})",
                "denominator": f"{den} ({d['value']:,.0f} {d['unit']})",
                "price_basis": "nominal yuan",
                "note": note.format(den_millions=d["value"] / 1e6),
                "source": n["source"],
            }
        )
    return pd.DataFrame(rows)


def spending_by_year(data: pd.DataFrame) -> pd.DataFrame:
    """Total spending (yuan) by year: inside 三区三州 (column True), outside (False) and where the
    place does not decide it ("unknown": partly covered provinces without a deciding prefecture or
    county, and multi-province rows)."""
    status = (
        data["deep_poverty_area"].astype(object).where(data["deep_poverty_area"].notna(), "unknown")
    )
    return (
        data.assign(_status=status)
        .groupby(["year", "_status"], observed=True)["expenditure_yuan"]
        .sum()
        .unstack("_status", fill_value=0.0)
        .reindex(columns=[False, True, "unknown"], fill_value=0.0)
        .rename_axis(columns="deep_poverty_area")
    )


def simulated_notice(data: pd.DataFrame) -> str:
    """A Markdown line saying whether the data are simulated (the demo register) or not."""
    if not is_simulated(data):
        return "Input: project register(s) as given; no simulated rows."
    n = int(data["simulated"].sum())
    share = n / max(len(data), 1)
    return (
        f"**SIMULATED DATA — illustrative only.** {n:,} of {len(data):,} rows ({share:.0%}) come from "
        "the simulated demo register (`analysis.demo`); no number computed from them describes real "
        "projects."
    )


def cleaning_summary(report: dict) -> pd.DataFrame:
    """The cleaning account as a table: rows in, kept, rejected by reason, flags by kind, per file."""
    rows = [
        ("all files", "rows in", report["rows_in"]),
        ("all files", "rows clean", report["rows_clean"]),
        ("all files", "rows rejected", report["rows_rejected"]),
    ]
    rows += [("rejected", k, v) for k, v in report["rejected_by_reason"].items()]
    rows += [("flagged (kept)", k, v) for k, v in report["flags_by_kind"].items()]
    for f, counts in report["by_file"].items():
        rows += [(f, k.replace("_", " "), v) for k, v in counts.items()]
    return pd.DataFrame(rows, columns=["scope", "count of", "rows"])


def _national_projects(data: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    """All projects of the years ``first`` to ``last``."""
    return data[data["year"].between(first, last)]


def _joint_deep_projects(data: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    """Joint-funded projects known to be in 三区三州 (unknown status: not in), years ``first`` to
    ``last``."""
    deep = data["deep_poverty_area"].eq(True).fillna(False).to_numpy(dtype=bool)
    return data[
        data["joint_funded"].to_numpy(dtype=bool) & deep & data["year"].between(first, last)
    ]


# The published totals the cleaned data can speak to, in the order of the reconciliation table:
# (scope, measure, the projects of that scope (data, first year, last year), the data's count or
# sum over them). The years are those of the published row's period.
_RECONCILED = (
    (_NATIONAL, "projects", _national_projects, len),
    (_NATIONAL, "organizations", _national_projects, lambda p: p["org_name"].nunique()),
    (_NATIONAL, "expenditure", _national_projects, lambda p: p["expenditure_yuan"].sum()),
    (
        _NATIONAL,
        "registered poor households reached",
        _national_projects,
        lambda p: p["poor_households"].sum(),
    ),
    (
        _NATIONAL,
        "registered poor persons reached",
        _national_projects,
        lambda p: p["beneficiaries"].sum(),
    ),
    (_SUPPORT_DEEP, "joint projects in 三区三州", _joint_deep_projects, len),
    (
        _SUPPORT_DEEP,
        "project funds in 三区三州",
        _joint_deep_projects,
        lambda p: p["expenditure_yuan"].sum(),
    ),
)
# A published persons-per-household ratio above this (persons) cannot be a household size.
_MAX_HOUSEHOLD_PERSONS = 6


def _period_years(period: str) -> tuple[int, int]:
    """First and last year of a published period written ``YYYY`` or ``YYYY-YYYY``."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", period)
    if match is None:
        raise ValueError(f"published period {period!r} is not a year or a range of years")
    return int(match[1]), int(match[2] or match[1])


def _reconciliation_row(hit, value, threshold: float) -> dict:
    """One published total (``hit``) against the data's ``value`` (same unit), with the
    difference, the relative difference and whether it exceeds ``threshold``."""
    rel = (float(value) - hit["value"]) / hit["value"]
    return {
        "scope": hit["scope"],
        "period": hit["period"],
        "measure": hit["measure"],
        "unit": hit["unit"],
        "published": hit["value"],
        "data": float(value),
        "difference": float(value) - hit["value"],
        "relative_difference": rel,
        "warning": abs(rel) > threshold,
        "qualifier": hit["qualifier"],
        "source": hit["source"],
        "note": hit["note"],
    }


def _household_caution_row(pub: pd.DataFrame, data: pd.DataFrame) -> dict:
    """Persons per registered poor household (persons per household), published (national social organizations)
    against the data of the same years: a caution, not a household size."""
    persons = _published_row(pub, _NATIONAL, "registered poor persons reached")
    households = _published_row(pub, _NATIONAL, "registered poor households reached")
    rows = _national_projects(data, *_period_years(persons["period"]))
    pub_ratio = persons["value"] / households["value"]
    data_ratio = float(rows["beneficiaries"].sum()) / max(float(rows["poor_households"].sum()), 1.0)
    return {
        "scope": _NATIONAL,
        "period": persons["period"],
        "measure": "persons per registered poor household (caution)",
        "unit": "persons per household",
        "published": pub_ratio,
        "data": data_ratio,
        "difference": data_ratio - pub_ratio,
        "relative_difference": (data_ratio - pub_ratio) / pub_ratio,
        "warning": pub_ratio > _MAX_HOUSEHOLD_PERSONS,
        "qualifier": "derived",
        "source": "ratio of the two published counts",
        "note": (
            "about three times a rural household: persons are likely counted per project "
            "(person-times) or include people outside those households; do not derive a "
            "household size from it"
        ),
    }


def reconcile_published(data: pd.DataFrame, *, threshold: float = 0.05) -> pd.DataFrame:
    """Compare the cleaned data with the published totals it can speak to (same scope and years).

    Rows (figures and periods from the shipped table ``published_totals``): national
    social organizations (projects, organizations, expenditure, registered poor households, persons)
    and the joint-funded 三区三州 projects of the central support programme. ``warning`` is true
    where the relative difference exceeds ``threshold``. The published persons per household is
    shown as a caution: the two published counts cannot describe the same households, so no
    household size is derived from them.
    """
    pub = _published_totals()
    rows = []
    for scope, measure, projects, value_of in _RECONCILED:
        hit = _published_row(pub, scope, measure)
        value = value_of(projects(data, *_period_years(hit["period"])))
        rows.append(_reconciliation_row(hit, value, threshold))
    rows.append(_household_caution_row(pub, data))
    return pd.DataFrame(rows)
