"""The cost sensitivity table: exact rows on tiny registers, each setting's interval from its own
stream (a row does not move when another assumption's options change), and oracle checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.estimate.costs import estimate_cost_per_beneficiary
from analysis.estimate.sensitivity import (
    SENSITIVITY_ASSUMPTIONS,
    SENSITIVITY_COLUMNS,
    cost_sensitivity,
)
from analysis.estimate.variants import Bootstrap, Variant, headline_rows

CI_COLUMNS = [c for c in SENSITIVITY_COLUMNS if "_ci_" in c]


def four_projects() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": 2018,
            "org_name": list("ABCD"),
            "expenditure_yuan": [100.0, 200.0, 300.0, 10_000.0],
            "beneficiaries": pd.array([10, 10, 10, 10], dtype="Int64"),
            "poor_households": pd.array([1, 2, 3, 4], dtype="Int64"),
            "flags": ["", "", "", "cpb_high"],
        }
    )


def simulated(n_orgs: int = 60, seed: int = 3) -> pd.DataFrame:
    """A register of one year: organizations with 1-4 projects in a few counties, lognormal spending
    and costs, households about a third of the persons."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, n_orgs)
    org = np.repeat([f"org{k:02d}" for k in range(n_orgs)], sizes)
    n = len(org)
    spend = np.exp(rng.normal(13, 1.0, n))
    persons = np.maximum(1, np.round(spend / np.exp(rng.normal(8, 0.6, n)))).astype(int)
    return pd.DataFrame(
        {
            "year": 2018,
            "org_name": org,
            "province": "Gansu",
            "prefecture": "Linxia",
            "county": rng.choice(["a", "b", "c", None], n),
            "expenditure_yuan": spend,
            "beneficiaries": pd.array(persons, dtype="Int64"),
            "poor_households": pd.array(np.maximum(1, persons // 3), dtype="Int64"),
            "flags": np.where(rng.random(n) < 0.03, "cpb_high", ""),
        }
    )


def test_rows_are_exact_on_a_tiny_register():
    t = cost_sensitivity(
        four_projects(), trim_shares=(0.25, 0.5), person_times_share=0.5, bootstrap_reps=0
    )
    assert list(t.columns) == SENSITIVITY_COLUMNS
    assert list(t["assumption"]) == [a.name for a in SENSITIVITY_ASSUMPTIONS]
    t = t.set_index("assumption")
    base = 10_600 / 40
    assert (t["baseline"] == base).all()
    assert t.loc["beneficiaries partly person-times", "high"] == pytest.approx(base / 0.75)
    # The outliers' row: excluding the flagged project gives the smaller value, and says so.
    out = t.loc["flagged outliers"]
    assert (out["low"], out["high"]) == (pytest.approx(600 / 30), base)
    assert (out["setting_low"], out["setting_high"]) == ("excluded", "kept")
    assert t.loc["denominator", "high"] == pytest.approx(10_600 / 30)  # 10 households x 3
    trim = t.loc["largest projects trimmed"]
    # quantile 0.5 is 250 (two kept), quantile 0.75 is 2,725 (three kept)
    assert (trim["low"], trim["high"]) == (pytest.approx(300 / 20), pytest.approx(600 / 30))
    assert (trim["setting_low"], trim["setting_high"]) == ("top 50% dropped", "top 25% dropped")
    # No county column: overlapping projects cannot be read, the row does not move.
    assert t.loc["overlapping projects in a county", ["low", "high"]].tolist() == [base, base]
    assert set(t["evidence"]) <= {"red", "amber", "green"}
    assert (t["price_basis"] == "nominal yuan").all()
    assert t[CI_COLUMNS].isna().all().all()  # no replicates, no intervals


def test_the_price_base_year_is_not_an_assumption():
    """A price base changes units, not what the money bought: no row, no option."""
    t = cost_sensitivity(four_projects(), bootstrap_reps=0)
    assert "price base year" not in set(t["assumption"])
    with pytest.raises(TypeError, match="base_years"):
        cost_sensitivity(four_projects(), base_years=(2016, 2020))


def test_without_a_flags_column_keeps_every_row():
    df = four_projects().drop(columns="flags").iloc[:2]
    t = cost_sensitivity(df, bootstrap_reps=0).set_index("assumption")
    assert t.loc["flagged outliers", "low"] == pytest.approx(300 / 20)
    assert t.loc["flagged outliers", "high"] == pytest.approx(300 / 20)


def test_overlapping_projects_of_one_organization_in_a_county_count_once():
    df = pd.DataFrame(
        {
            "year": 2018,
            "org_name": ["A", "A", "B", "B"],
            "county": ["x", "x", "x", None],
            "expenditure_yuan": [100.0, 300.0, 200.0, 400.0],
            "beneficiaries": pd.array([10, 30, 20, 40], dtype="Int64"),
            "poor_households": pd.array([1, 1, 1, 1], dtype="Int64"),
        }
    )
    row = cost_sensitivity(df, bootstrap_reps=0).set_index("assumption")
    row = row.loc["overlapping projects in a county"]
    # A's two projects in x reach at most 30 distinct persons; B's are different counties or unknown.
    assert row["low"] == pytest.approx(1000 / 100)
    assert row["high"] == pytest.approx(1000 / 90)
    assert row["setting_high"].startswith("full overlap")


def test_person_times_and_unknown_organizations_are_left_out_as_in_the_cost_table(demo_data):
    df = four_projects().assign(
        beneficiary_basis=["persons", "persons", "person_times", "unknown"],
        org_name=["A", "B", "C", None],
    )
    t = cost_sensitivity(df, bootstrap_reps=0)
    assert t["baseline"].iloc[0] == pytest.approx(300 / 20)
    costs = estimate_cost_per_beneficiary(demo_data, by="year", bootstrap_reps=0)
    headline = costs[(costs["level"] == "2018") & (costs["estimator"] == "ratio_of_totals")]
    t = cost_sensitivity(demo_data, bootstrap_reps=0)
    assert t["baseline"].iloc[0] == pytest.approx(headline["estimate"].iloc[0], rel=1e-12)


def test_options_are_checked_before_any_work():
    empty_year = 2030  # no projects: the option's message comes first
    bad = [
        ({"person_times_share": 1.5}, "person_times_share"),
        ({"trim_shares": (0.01, 1.0)}, "trim_shares"),
        ({"trim_shares": (0.01,)}, "trim_shares must be two"),
        ({"visits_per_person": 0.5}, "visits_per_person"),
        ({"bootstrap_reps": -1}, "bootstrap_reps"),
        ({"bootstrap_reps": 9.5}, "bootstrap_reps"),
        ({"seed": -3}, "seed"),
        ({"ci": 1.5}, "ci must be"),
    ]
    for options, message in bad:
        with pytest.raises(ParameterError, match=message):
            cost_sensitivity(four_projects(), year=empty_year, **options)
    with pytest.raises(ParameterError, match="no projects"):
        cost_sensitivity(four_projects(), year=empty_year)
    with pytest.raises(ParameterError, match="lacks column"):
        cost_sensitivity(four_projects(), cluster="owner")


def test_each_setting_has_its_interval_and_a_baseline_setting_the_baseline_s():
    t = cost_sensitivity(simulated(), bootstrap_reps=499, seed=5).set_index("assumption")
    assert t[CI_COLUMNS].notna().all().all()
    for end in ("low", "high", "baseline"):
        assert (t[f"{end}_ci_low"] < t[end]).all() and (t[end] < t[f"{end}_ci_high"]).all(), end
    pt = t.loc["beneficiaries partly person-times"]
    assert pt["setting_low"] == "0% visits"
    assert (
        pt[["low_ci_low", "low_ci_high"]].tolist()
        == pt[["baseline_ci_low", "baseline_ci_high"]].tolist()
    )
    assert t["baseline_ci_low"].nunique() == 1 and t["baseline_ci_high"].nunique() == 1


def test_the_person_times_interval_is_the_recorded_interval_scaled():
    """Scaling every project's persons by one factor scales the ratio and every replicate alike: the
    setting's interval is the recorded rows' interval drawn from the setting's stream, divided by
    the factor (0.75 for half the count visits, two per person)."""
    data = simulated()
    t = cost_sensitivity(data, bootstrap_reps=299, seed=11).set_index("assumption")
    row = t.loc["beneficiaries partly person-times"]
    boot = Bootstrap(299, 11, "org_name", 0.95)
    same_stream = boot.ratio(
        Variant(headline_rows(data, 2018, "org_name")), "beneficiaries partly person-times", "1"
    )
    assert row["high_ci_low"] == pytest.approx(same_stream["ci_low"] / 0.75, rel=1e-12)
    assert row["high_ci_high"] == pytest.approx(same_stream["ci_high"] / 0.75, rel=1e-12)


def test_a_row_s_interval_does_not_move_when_another_assumption_s_options_change():
    data = simulated()
    first = cost_sensitivity(data, bootstrap_reps=199, seed=2).set_index("assumption")
    other = cost_sensitivity(
        data, bootstrap_reps=199, seed=2, trim_shares=(0.1, 0.2), household_size=4.5
    ).set_index("assumption")
    kept = ["beneficiaries partly person-times", "overlapping projects in a county"]
    kept += ["flagged outliers"]
    pd.testing.assert_frame_equal(first.loc[kept], other.loc[kept])
    assert not np.allclose(
        first.loc["largest projects trimmed", CI_COLUMNS[:4]].to_numpy(float),
        other.loc["largest projects trimmed", CI_COLUMNS[:4]].to_numpy(float),
    )
    moved = cost_sensitivity(data, bootstrap_reps=199, seed=2, person_times_share=0.2)
    moved = moved.set_index("assumption")
    pd.testing.assert_frame_equal(first.drop(index=kept[0]), moved.drop(index=kept[0]))
    reseeded = cost_sensitivity(data, bootstrap_reps=199, seed=3).set_index("assumption")
    assert reseeded["baseline_ci_low"].iloc[0] != first["baseline_ci_low"].iloc[0]


def test_the_baseline_interval_agrees_with_a_plain_organization_bootstrap():
    """Oracle: resample organizations with replacement in a plain loop (another generator); the
    percentile interval agrees within Monte Carlo error."""
    data = simulated(n_orgs=40, seed=8)
    t = cost_sensitivity(data, bootstrap_reps=2000, seed=1)
    totals = data.groupby("org_name")[["expenditure_yuan", "beneficiaries"]].sum()
    rng = np.random.default_rng(99)
    draws = []
    for _ in range(2000):
        pick = totals.iloc[rng.integers(0, len(totals), len(totals))]
        draws.append(pick["expenditure_yuan"].sum() / float(pick["beneficiaries"].sum()))
    lo, hi = np.quantile(draws, [0.025, 0.975])
    assert t["baseline_ci_low"].iloc[0] == pytest.approx(lo, rel=0.03)
    assert t["baseline_ci_high"].iloc[0] == pytest.approx(hi, rel=0.03)


def test_a_row_s_interval_is_the_same_whichever_other_rows_are_computed(monkeypatch):
    """With one shared stream a row's draws would depend on the rows before it; each setting's own
    stream makes the last row the same when it is computed alone."""
    import analysis.estimate.sensitivity as sensitivity

    data = simulated()
    full = cost_sensitivity(data, bootstrap_reps=199, seed=4).set_index("assumption")
    monkeypatch.setattr(sensitivity, "SENSITIVITY_ASSUMPTIONS", SENSITIVITY_ASSUMPTIONS[-1:])
    alone = cost_sensitivity(data, bootstrap_reps=199, seed=4).set_index("assumption")
    assert list(alone.index) == ["largest projects trimmed"]
    pd.testing.assert_frame_equal(alone, full.loc[["largest projects trimmed"]])
