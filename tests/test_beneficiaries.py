"""Who was counted: the basis of the counts, the de-duplication bounds (full overlap: the largest
count; no overlap: the sum) and the persons per registered poor household, on hand-built tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.estimate.beneficiaries import (
    BASIS_COLUMNS,
    DEDUP_COLUMNS,
    beneficiary_basis_summary,
    beneficiary_unit,
    county_overlap_persons,
    deduplication_sensitivity,
)
from analysis.estimate.sensitivity import cost_sensitivity


def register() -> pd.DataFrame:
    """Org A runs two projects in county x (10 and 30 persons) and one in another province's county
    of the same name; org B runs one in x and one without a county; a 2019 project of A in x."""
    return pd.DataFrame(
        {
            "year": [2018, 2018, 2018, 2018, 2018, 2019],
            "org_name": ["A", "A", "A", "B", "B", "A"],
            "province": ["Gansu", "Gansu", "Yunnan", "Gansu", "Gansu", "Gansu"],
            "prefecture": ["p", "p", "q", "p", "p", "p"],
            "county": ["x", "x", "x", "x", None, "x"],
            "expenditure_yuan": [100.0, 300.0, 200.0, 400.0, 600.0, 50.0],
            "beneficiaries": pd.array([10, 30, 20, 40, 60, 5], dtype="Int64"),
            "poor_households": pd.array([2, 6, 4, 8, 1, 1], dtype="Int64"),
            "flags": ["", "", "", "", "", ""],
        }
    )


def test_full_overlap_counts_the_largest_project_of_an_organization_in_a_county_and_year():
    d = register()
    persons = county_overlap_persons(d)
    # A's two projects in Gansu/p/x in 2018: 40 recorded, at most 30 distinct, shared 10:30.
    assert persons.tolist() == [7.5, 22.5, 20.0, 40.0, 60.0, 5.0]
    assert persons.iloc[:2].sum() == 30.0  # the max within the group, not the sum
    assert d["beneficiaries"].iloc[:2].sum() == 40  # no overlap: the sum
    # Without a county (or organization) column the data cannot tell: counts as recorded.
    assert county_overlap_persons(d.drop(columns="county")).tolist() == [10, 30, 20, 40, 60, 5]
    assert county_overlap_persons(d.drop(columns="org_name")).tolist() == [10, 30, 20, 40, 60, 5]


def test_deduplication_scenarios_are_exact_with_persons_per_household():
    t = deduplication_sensitivity(register(), overlap_share=0.5, bootstrap_reps=0)
    assert list(t.columns) == DEDUP_COLUMNS
    t = t.set_index("scenario")
    assert list(t.index) == ["recorded", "county_overlap", "county_overlap_and_share"]
    spend = 1600.0
    assert t.loc["recorded", "estimate"] == pytest.approx(spend / 160)
    assert t.loc["county_overlap", "estimate"] == pytest.approx(spend / 150)
    # and B's project without a county counts 60 x (1 - 0.5)
    assert t.loc["county_overlap_and_share", "estimate"] == pytest.approx(spend / 120)
    assert t["persons"].tolist() == [160.0, 150.0, 120.0]
    assert (t["recorded_beneficiaries"] == 160).all() and (t["n_projects"] == 5).all()
    assert t["county_known_share"].tolist() == [100 / 160] * 3
    assert t["overlap_share"].tolist() == [0.0, 0.0, 0.5]
    # 21 registered poor households in 2018
    assert t["persons_per_household"].tolist() == pytest.approx([160 / 21, 150 / 21, 120 / 21])
    assert t["implausible"].tolist() == [True, True, False]  # above 6 persons per household
    assert t[["ci_low", "ci_high"]].isna().all().all()
    assert (t["ci_method"] == "none").all()


def test_without_county_the_share_alone_scales_persons_and_households_may_be_missing():
    d = register().drop(columns=["county", "poor_households"])
    t = deduplication_sensitivity(d, overlap_share=0.2, bootstrap_reps=0).set_index("scenario")
    base = 1600 / 160
    assert t.loc["county_overlap", "estimate"] == pytest.approx(base)
    assert t.loc["county_overlap_and_share", "estimate"] == pytest.approx(base / 0.8)
    assert t["county_known_share"].eq(0).all()
    assert t["persons_per_household"].isna().all() and t["implausible"].isna().all()


def test_the_published_2018_ratio_is_flagged_implausible():
    """5.81 million persons for 630,000 registered poor households: 9.2 per household."""
    d = pd.DataFrame(
        {
            "year": 2018,
            "org_name": ["A", "B"],
            "expenditure_yuan": [16.15e9, 16.15e9],
            "beneficiaries": pd.array([2_905_000, 2_905_000], dtype="Int64"),
            "poor_households": pd.array([315_000, 315_000], dtype="Int64"),
        }
    )
    t = deduplication_sensitivity(d, bootstrap_reps=0)
    assert t["persons_per_household"].iloc[0] == pytest.approx(9.22, abs=0.005)
    assert t["estimate"].iloc[0] == pytest.approx(5559.4, abs=0.1)
    assert bool(t["implausible"].iloc[0])
    relaxed = deduplication_sensitivity(d, implausible_above=10, bootstrap_reps=0)
    assert not relaxed["implausible"].any()


def test_the_deduplication_intervals_are_the_sensitivity_table_s():
    """The same variant draws from the same stream in both tables: recorded is the baseline, the
    data-driven overlap is the sensitivity row's full-overlap setting."""
    rng = np.random.default_rng(0)
    n = 80
    d = pd.DataFrame(
        {
            "year": 2018,
            "org_name": rng.choice([f"o{k}" for k in range(25)], n),
            "county": rng.choice(["x", "y", None], n),
            "expenditure_yuan": np.exp(rng.normal(12, 1, n)),
            "beneficiaries": pd.array(rng.integers(20, 400, n), dtype="Int64"),
            "poor_households": pd.array(rng.integers(5, 100, n), dtype="Int64"),
        }
    )
    dedup = deduplication_sensitivity(d, bootstrap_reps=299, seed=7).set_index("scenario")
    sens = cost_sensitivity(d, bootstrap_reps=299, seed=7).set_index("assumption")
    row = sens.loc["overlapping projects in a county"]
    assert dedup.loc["recorded", "ci_low"] == row["baseline_ci_low"]
    assert dedup.loc["recorded", "ci_high"] == row["baseline_ci_high"]
    # full overlap has fewer persons, so the larger headline: the high setting
    assert dedup.loc["county_overlap", "estimate"] == pytest.approx(row["high"])
    assert dedup.loc["county_overlap", "ci_low"] == row["high_ci_low"]
    assert dedup.loc["county_overlap", "ci_high"] == row["high_ci_high"]
    assert (dedup["ci_low"] < dedup["estimate"]).all()
    assert (dedup["estimate"] < dedup["ci_high"]).all()


def test_deduplication_options_are_checked_before_any_work():
    for options, message in [
        ({"overlap_share": 1.0}, "overlap_share"),
        ({"overlap_share": -0.1}, "overlap_share"),
        ({"implausible_above": 0}, "implausible_above"),
        ({"bootstrap_reps": -5}, "bootstrap_reps"),
        ({"ci": 0}, "ci must be"),
    ]:
        with pytest.raises(ParameterError, match=message):
            deduplication_sensitivity(register(), year=2030, **options)
    with pytest.raises(ParameterError, match="no projects"):
        deduplication_sensitivity(register(), year=2030)


def test_basis_summary_from_the_column():
    d = register().assign(
        beneficiary_basis=pd.array(
            ["persons", "person_times", "persons", None, "unknown", "persons"], dtype="string"
        )
    )
    t = beneficiary_basis_summary(d, year=2018)
    assert list(t.columns) == BASIS_COLUMNS
    assert t["basis"].tolist() == ["persons", "person_times", "unknown"]
    assert t["n_projects"].tolist() == [2, 1, 2]
    assert t["beneficiaries"].tolist() == [30.0, 30.0, 100.0]
    assert t["expenditure_yuan"].tolist() == [300.0, 300.0, 1000.0]
    assert t["share_projects"].tolist() == pytest.approx([0.4, 0.2, 0.4])
    assert t["share_expenditure"].tolist() == pytest.approx([300 / 1600, 300 / 1600, 1000 / 1600])
    assert not t["derived"].any()
    with pytest.raises(ParameterError, match="beneficiary_basis must be one of"):
        beneficiary_basis_summary(d.assign(beneficiary_basis="visits"))


def test_basis_summary_derived_from_the_person_times_flag():
    d = register().assign(flags=["", "person_times", "", "", "amount_approximate", ""])
    t = beneficiary_basis_summary(d)
    assert t["derived"].all()
    assert t.set_index("basis")["n_projects"].to_dict() == {
        "persons": 0,
        "person_times": 1,
        "unknown": 5,
    }
    assert beneficiary_basis_summary(d.iloc[:0])["share_projects"].isna().all()


def test_the_unit_of_the_estimate():
    d = register().assign(beneficiary_basis="persons")
    assert beneficiary_unit(d) == "persons"
    d.loc[1, "beneficiary_basis"] = "person_times"
    assert beneficiary_unit(d) == "persons"  # person-times rows are left out by default
    assert beneficiary_unit(d, person_times="include") == "mixed"
    d.loc[2, "beneficiary_basis"] = "unknown"
    assert beneficiary_unit(d) == "mixed"
    assert beneficiary_unit(register()) == "unknown"  # no column, no flag: the register did not say
    assert beneficiary_unit(
        d[d["beneficiary_basis"] == "person_times"], person_times="include"
    ) == ("person_times")
    with pytest.raises(ParameterError, match="person_times must be"):
        beneficiary_unit(d, person_times="both")
