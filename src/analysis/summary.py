"""Summaries for readers: the cleaning account, reconciliation with published totals, data labels."""

from __future__ import annotations

import pandas as pd

from analysis.reference import load_reference

__all__ = ["cleaning_summary", "reconcile_published", "simulated_notice"]


def simulated_notice(data: pd.DataFrame) -> str:
    """A Markdown line saying whether the data are simulated (the demo register) or not."""
    n = int(data["simulated"].sum()) if "simulated" in data.columns else 0
    if n == 0:
        return "Input: project register(s) as given; no simulated rows."
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


def reconcile_published(data: pd.DataFrame, *, threshold: float = 0.05) -> pd.DataFrame:
    """Compare the cleaned data with the published totals it can speak to (same scope and year).

    Rows: 2018 national social organizations (projects, organizations, expenditure, registered poor
    households, persons) and the joint-funded 三区三州 projects of 2017-2019. ``warning`` is true where the
    relative difference exceeds ``threshold``. The published persons per household (9.2) is shown as a
    caution: the two published counts cannot describe the same households, so no household size is
    derived from them.
    """
    pub = load_reference("published_totals")
    pub["value"] = pub["value"].astype(float)
    d18 = data[data["year"] == 2018]
    deep = data["deep_poverty_area"].eq(True).fillna(False).to_numpy(dtype=bool)  # unknown: not in
    jd = data[data["joint_funded"].to_numpy(dtype=bool) & deep & data["year"].between(2017, 2019)]
    ours = {
        ("national social organizations", "2018", "projects"): len(d18),
        ("national social organizations", "2018", "organizations"): d18["org_name"].nunique(),
        ("national social organizations", "2018", "expenditure"): d18["expenditure_yuan"].sum(),
        ("national social organizations", "2018", "registered poor households reached"): d18[
            "poor_households"
        ].sum(),
        ("national social organizations", "2018", "registered poor persons reached"): d18[
            "beneficiaries"
        ].sum(),
        (
            "central support to social organizations in deep-poverty areas",
            "2017-2019",
            "joint projects in 三区三州",
        ): len(jd),
        (
            "central support to social organizations in deep-poverty areas",
            "2017-2019",
            "project funds in 三区三州",
        ): jd["expenditure_yuan"].sum(),
    }
    rows = []
    for (scope, period, measure), value in ours.items():
        hit = pub[
            (pub["scope"] == scope) & (pub["period"] == period) & (pub["measure"] == measure)
        ].iloc[0]
        rel = (float(value) - hit["value"]) / hit["value"]
        rows.append(
            {
                "scope": scope,
                "period": period,
                "measure": measure,
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
        )
    pub_ratio = 5_810_000 / 630_000
    data_ratio = float(d18["beneficiaries"].sum()) / max(float(d18["poor_households"].sum()), 1.0)
    rows.append(
        {
            "scope": "national social organizations",
            "period": "2018",
            "measure": "persons per registered poor household (caution)",
            "unit": "persons",
            "published": pub_ratio,
            "data": data_ratio,
            "difference": data_ratio - pub_ratio,
            "relative_difference": (data_ratio - pub_ratio) / pub_ratio,
            "warning": pub_ratio > 6,
            "qualifier": "derived",
            "source": "ratio of the two published counts",
            "note": (
                "about three times a rural household: persons are likely counted per project "
                "(person-times) or include people outside those households; do not derive a "
                "household size from it"
            ),
        }
    )
    return pd.DataFrame(rows)
