"""Cost per beneficiary: random streams per (estimator, group, level), one sample rule for every
denominator, Fieller's unbounded case, outcome denominators and a caller's price basis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.errors import ParameterError
from analysis.estimate.costs import (
    COST_COLUMNS,
    COST_ESTIMATORS,
    cost_base_sample,
    cost_tables,
    estimate_cost_per_beneficiary,
)
from analysis.estimate.intervals import keyed_generator, ratio_interval_analytic
from analysis.reference import cpi_index

few_orgs = pytest.mark.filterwarnings("ignore:cost per beneficiary")


def rows_of(table: pd.DataFrame, level: str) -> pd.DataFrame:
    return table[table["level"] == level].reset_index(drop=True)


# --- independent random streams -----------------------------------------------------------------


def test_keyed_generators_are_stable_and_differ_by_name():
    a = keyed_generator(7, "ratio_of_totals", "year", "2018").integers(0, 1 << 30, 5)
    b = keyed_generator(7, "ratio_of_totals", "year", "2018").integers(0, 1 << 30, 5)
    c = keyed_generator(7, "ratio_of_totals", "year", "2019").integers(0, 1 << 30, 5)
    d = keyed_generator(8, "ratio_of_totals", "year", "2018").integers(0, 1 << 30, 5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and not np.array_equal(a, d)


@pytest.mark.parametrize("interval", ["percentile", "bca", "studentized"])
def test_a_years_interval_is_the_same_with_or_without_the_other_years(demo_data, interval):
    kw = {"by": "year", "bootstrap_reps": 199, "seed": 3, "interval": interval}
    every = estimate_cost_per_beneficiary(demo_data, **kw)
    alone = estimate_cost_per_beneficiary(demo_data[demo_data["year"] == 2018], **kw)
    assert set(alone["level"]) == {"2018"}
    pd.testing.assert_frame_equal(rows_of(every, "2018"), rows_of(alone, "2018"))
    assert rows_of(every, "2018")["ci_low"].notna().sum() == 4  # four bootstrapped estimators


def test_adding_a_sector_leaves_the_other_sectors_intervals_unchanged(demo_data):
    d18 = demo_data[demo_data["year"] == 2018]
    kw = {"by": "sector", "bootstrap_reps": 199, "seed": 5}
    every = estimate_cost_per_beneficiary(d18, **kw)
    fewer = estimate_cost_per_beneficiary(d18[d18["sector"] != "health"], **kw)
    assert "health" in set(every["level"]) and "health" not in set(fewer["level"])
    pd.testing.assert_frame_equal(
        every[every["level"] != "health"].reset_index(drop=True), fewer.reset_index(drop=True)
    )


def test_the_seed_still_drives_the_intervals(demo_data):
    d18 = demo_data[demo_data["year"] == 2018]
    a = estimate_cost_per_beneficiary(d18, bootstrap_reps=99, seed=1)
    b = estimate_cost_per_beneficiary(d18, bootstrap_reps=99, seed=2)
    assert (a["ci_low"].dropna() != b["ci_low"].dropna()).all()


def test_cost_tables_nominal_and_constant_rows_of_a_year_share_their_draws(demo_data):
    t = cost_tables(demo_data, base_year=2018, bootstrap_reps=99, seed=4)
    year = t[(t["group"] == "year") & (t["estimator"] == "ratio_of_totals")]
    nominal = year[year["price_basis"] == "nominal yuan"].set_index("level")
    constant = year[year["price_basis"] != "nominal yuan"].set_index("level")
    factor = 1 / cpi_index(2018)
    for level in nominal.index:
        f = factor[int(level)]
        for col in ("estimate", "ci_low", "ci_high"):
            assert constant.loc[level, col] == pytest.approx(nominal.loc[level, col] * f, rel=1e-12)
    assert constant.loc["2018", "ci_low"] == pytest.approx(nominal.loc["2018", "ci_low"], rel=1e-12)


# --- one sample rule for every denominator ------------------------------------------------------


def rule_table() -> pd.DataFrame:
    """Every denominator is positive on every row; rows 2-7 break the base sample's rules, row 8
    has no beneficiaries (and only them)."""
    return pd.DataFrame(
        {
            "org_name": ["A", "B", None, "C", "D", "E", "F", "G", "H"],
            "year": 2018,
            "expenditure_yuan": [100.0, 300.0, 1000.0, 0.0, np.nan, -50.0, 200.0, 400.0, 500.0],
            "beneficiaries": pd.array([10, 20, 1, 5, 5, 5, 8, 8, 0], dtype="Int64"),
            "poor_households": pd.array([2, 5, 1, 1, 1, 1, 2, 2, 3], dtype="Int64"),
            "households_exited": pd.array([1, 3, 1, 1, 1, 1, 1, 1, 2], dtype="Int64"),
            "flags": ["", "", "", "", "", "", "person_times", "", ""],
            "beneficiary_basis": [
                "persons",
                "persons",
                "persons",
                "persons",
                "persons",
                "persons",
                "persons",
                "person_times",
                "unknown",
            ],
        }
    )


@few_orgs
@pytest.mark.parametrize(
    "person_times, kept, persons_kept",
    [("exclude", ["A", "B", "H"], ["A", "B"]), ("include", list("ABFGH"), list("ABFG"))],
)
def test_every_denominator_drops_the_same_rows(person_times, kept, persons_kept):
    data = rule_table()
    base = cost_base_sample(data, person_times=person_times)
    assert list(base["org_name"]) == kept
    t = estimate_cost_per_beneficiary(data, bootstrap_reps=0, person_times=person_times)
    n = t.set_index("estimator")["n_projects"]
    use = data[data["org_name"].isin(persons_kept)]
    assert n["ratio_of_totals"] == n["mean_of_ratios"] == n["median_of_ratios"] == len(use)
    # Households and projects keep H (no beneficiaries, but households and spending).
    assert n["ratio_of_totals_per_household"] == n["spending_per_project"] == len(kept)
    row = t.set_index("estimator")
    assert row.loc["ratio_of_totals", "estimate"] == pytest.approx(
        use["expenditure_yuan"].sum() / use["beneficiaries"].sum()
    )
    spent = data[data["org_name"].isin(kept)]["expenditure_yuan"].sum()
    assert row.loc["spending_per_project", "estimate"] == pytest.approx(spent / len(kept))
    exited = estimate_cost_per_beneficiary(
        data, bootstrap_reps=0, person_times=person_times, outcome="households_exited"
    ).set_index("estimator")
    assert exited.loc["ratio_of_totals", "n_projects"] == len(kept)


def test_without_registered_households_the_household_row_is_absent(demo_data):
    t = estimate_cost_per_beneficiary(
        demo_data.drop(columns="poor_households"), by="year", bootstrap_reps=0
    )
    assert "ratio_of_totals_per_household" not in set(t["estimator"])
    assert len(t) == 5 * (len(COST_ESTIMATORS) - 1)


# --- Fieller's unbounded case -------------------------------------------------------------------


def unbounded_table() -> pd.DataFrame:
    """Three organizations whose beneficiaries are 1, 1 and 100: with t(2) the denominator total is
    not clearly away from zero (b² = 10,404 < t² var(b) = 181,444)."""
    return pd.DataFrame(
        {
            "org_name": ["A", "B", "C"],
            "year": 2018,
            "expenditure_yuan": [500.0, 800.0, 9000.0],
            "beneficiaries": pd.array([1, 1, 100], dtype="Int64"),
            "poor_households": pd.array([1, 1, 100], dtype="Int64"),
        }
    )


@few_orgs
def test_a_fieller_empty_row_says_not_bounded_and_hides_the_delta_interval():
    b, var_b = 102.0, 1.5 * (33.0**2 + 33.0**2 + 66.0**2)
    assert b**2 < stats.t.ppf(0.975, 2) ** 2 * var_b  # the hand-computed reason
    t = estimate_cost_per_beneficiary(unbounded_table(), bootstrap_reps=50).set_index("estimator")
    for name in ("ratio_of_totals", "ratio_of_totals_per_household"):
        row = t.loc[name]
        assert row["ratio_bounded"] is np.False_ or row["ratio_bounded"] is False
        assert row[["delta_low", "delta_high", "fieller_low", "fieller_high"]].isna().all()
        assert row["estimate"] == pytest.approx(10_300 / 102)
    for name in ("mean_of_ratios", "median_of_ratios", "spending_per_project"):
        assert pd.isna(t.loc[name, "ratio_bounded"])
    assert str(t["ratio_bounded"].dtype) == "boolean"
    raw = ratio_interval_analytic(np.array([500.0, 800.0, 9000.0]), np.array([1.0, 1.0, 100.0]))
    assert raw["ratio_bounded"] is False and np.isfinite(raw["delta_low"])


@few_orgs
def test_a_bounded_row_keeps_both_analytic_intervals():
    data = unbounded_table().assign(beneficiaries=pd.array([40, 50, 60], dtype="Int64"))
    table = estimate_cost_per_beneficiary(data, bootstrap_reps=0)
    assert list(table.columns) == COST_COLUMNS and COST_COLUMNS[-1] == "ratio_bounded"
    r = table.set_index("estimator").loc["ratio_of_totals"]
    assert bool(r["ratio_bounded"]) is True
    assert r["fieller_low"] < r["estimate"] < r["fieller_high"]
    assert r["delta_low"] < r["estimate"] < r["delta_high"]


# --- outcomes as denominators ------------------------------------------------------------------


def test_the_beneficiaries_column_under_another_name_gives_the_same_table(demo_data):
    data = demo_data.assign(b2=demo_data["beneficiaries"])
    a = estimate_cost_per_beneficiary(data, by="year", bootstrap_reps=199, seed=9)
    b = estimate_cost_per_beneficiary(data, by="year", bootstrap_reps=199, seed=9, outcome="b2")
    per_person = a["denominator"] == "persons"
    assert per_person.sum() == 15 and set(b.loc[per_person, "denominator"]) == {"b2"}
    pd.testing.assert_frame_equal(a.drop(columns="denominator"), b.drop(columns="denominator"))
    assert a.loc[per_person, "ci_low"].notna().sum() == 10


@few_orgs
def test_an_outcome_column_is_the_denominator_of_the_per_person_estimators():
    t = estimate_cost_per_beneficiary(
        rule_table().assign(households_exited=pd.array([1, 0, 1, 1, 1, 1, 1, 1, pd.NA], "Int64")),
        bootstrap_reps=0,
        outcome="households_exited",
    ).set_index("estimator")
    # Only A has spending, a known organization, no person-times and a positive outcome.
    assert t.loc["ratio_of_totals", "estimate"] == pytest.approx(100.0)
    assert t.loc["ratio_of_totals", "denominator"] == "households_exited"
    assert t.loc["ratio_of_totals", "total_beneficiaries"] == 1
    assert t.loc["ratio_of_totals_per_household", "denominator"] == "households"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"outcome": "jobs"}, "outcome column 'jobs' is not in the data"),
        ({"outcome": "org_name"}, "outcome column 'org_name' must be numeric"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"price_basis": "discounted 2018 yuan", "base_year": 2018}, "price_basis is for data"),
        ({"price_basis": ""}, "price_basis must be a non-empty text"),
    ],
)
def test_new_options_are_refused_in_one_line(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        estimate_cost_per_beneficiary(rule_table(), **kwargs)


def test_price_basis_with_a_ppp_table_is_refused():
    ppp = pd.DataFrame({"year": [2018], "yuan_per_international_dollar": [4.0]})
    with pytest.raises(ParameterError, match="base_year=None and ppp=None"):
        estimate_cost_per_beneficiary(rule_table(), ppp=ppp, price_basis="mine")


@few_orgs
def test_a_callers_price_basis_is_written_and_nothing_is_repriced():
    data = rule_table()
    t = estimate_cost_per_beneficiary(
        data, bootstrap_reps=0, price_basis="constant 2018 yuan, discounted at 3% to 2016"
    )
    assert set(t["price_basis"]) == {"constant 2018 yuan, discounted at 3% to 2016"}
    nominal = estimate_cost_per_beneficiary(data, bootstrap_reps=0)
    np.testing.assert_array_equal(t["estimate"], nominal["estimate"])


def test_chosen_estimators_give_the_same_rows_as_all_of_them():
    data = pd.DataFrame(
        {
            "org_name": ["A", "A", "B", "C", "C", "D"],
            "year": [2018] * 6,
            "expenditure_yuan": [100.0, 300.0, 250.0, 80.0, 120.0, 500.0],
            "beneficiaries": pd.array([2, 5, 4, 1, 3, 9], dtype="Int64"),
            "poor_households": pd.array([1, 2, 1, 1, 1, 3], dtype="Int64"),
        }
    )
    full = estimate_cost_per_beneficiary(data, bootstrap_reps=99, seed=4)
    one = estimate_cost_per_beneficiary(
        data, bootstrap_reps=99, seed=4, estimators=("ratio_of_totals",)
    )
    assert list(one["estimator"]) == ["ratio_of_totals"]
    pd.testing.assert_frame_equal(
        one, full[full["estimator"] == "ratio_of_totals"].reset_index(drop=True)
    )
    with pytest.raises(ParameterError, match="estimators"):
        estimate_cost_per_beneficiary(data, estimators=("ratio",))
    with pytest.raises(ParameterError, match="estimators"):
        estimate_cost_per_beneficiary(data, estimators="ratio_of_totals")
