"""Time: spreading multi-year projects over their years, and present values against the hand-computed
annuity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.estimate.costs import estimate_cost_per_beneficiary
from analysis.estimate.timing import (
    DEFAULT_DISCOUNT_RATE,
    present_value,
    spread_over_years,
)
from analysis.reference import cpi_index

pytestmark = pytest.mark.filterwarnings("ignore:cost per beneficiary")


def register() -> pd.DataFrame:
    """p1 runs 2016-2018 (one row with the whole period), p2 has no period, p3 is a one-year project."""
    return pd.DataFrame(
        {
            "project_id": ["p1", "p2", "p3"],
            "org_name": ["A", "A", "B"],
            "year": [2017, 2018, 2018],
            "start_year": pd.array([2016, pd.NA, 2018], dtype="Int64"),
            "end_year": pd.array([2018, pd.NA, 2018], dtype="Int64"),
            "expenditure_yuan": [300.0, 50.0, 70.0],
            "direct_cost_yuan": [240.0, np.nan, 70.0],
            "beneficiaries": pd.array([30, 5, 7], dtype="Int64"),
            "poor_households": pd.array([9, pd.NA, 2], dtype="Int64"),
            "flags": ["", "", ""],
        }
    )


def test_even_spreading_splits_money_and_people_over_the_years():
    out, n = spread_over_years(register())
    assert n == 1
    assert out["project_id"].tolist() == ["p1", "p1", "p1", "p2", "p3"]
    assert out["year"].tolist() == [2016, 2017, 2018, 2018, 2018]
    assert out["year"].dtype == register()["year"].dtype
    np.testing.assert_allclose(out["expenditure_yuan"], [100, 100, 100, 50, 70])
    np.testing.assert_allclose(out["direct_cost_yuan"], [80, 80, 80, np.nan, 70])
    np.testing.assert_allclose(out["beneficiaries"].astype(float), [10, 10, 10, 5, 7])
    np.testing.assert_allclose(out["spread_share"], [1 / 3, 1 / 3, 1 / 3, 1, 1])
    assert out["poor_households"].isna().tolist() == [False, False, False, True, False]
    # Totals are unchanged: a person reached by a three-year project is still one person.
    assert out["expenditure_yuan"].sum() == pytest.approx(420.0)
    assert float(out["beneficiaries"].sum()) == pytest.approx(42.0)


def test_split_people_keep_each_years_cost_per_person_equal_to_the_projects():
    out, _ = spread_over_years(register().iloc[[0]])
    t = estimate_cost_per_beneficiary(out, by="year", bootstrap_reps=0)
    r = t[t["estimator"] == "ratio_of_totals"]
    np.testing.assert_allclose(r["estimate"], [10.0, 10.0, 10.0])
    assert r["level"].tolist() == ["2016", "2017", "2018"]


def test_people_counted_once_in_the_first_year():
    out, n = spread_over_years(register(), people="first_year")
    assert n == 1
    assert out["beneficiaries"].tolist() == [30, 0, 0, 5, 7]
    assert str(out["beneficiaries"].dtype) == "Int64"
    np.testing.assert_allclose(out["expenditure_yuan"], [100, 100, 100, 50, 70])


def test_recorded_rows_and_tables_without_a_period_stay_as_they_are():
    out, n = spread_over_years(register(), "recorded")
    assert n == 0
    pd.testing.assert_frame_equal(out.drop(columns="spread_share"), register())
    plain = register().drop(columns=["start_year", "end_year"])
    out, n = spread_over_years(plain)
    assert n == 0 and len(out) == 3


def test_a_reversed_period_is_kept_as_recorded_with_a_warning():
    d = register().assign(start_year=pd.array([2019, pd.NA, 2018], dtype="Int64"))
    with pytest.warns(UserWarning, match=r"1 row\(s\) have start_year after end_year"):
        out, n = spread_over_years(d)
    assert n == 0 and len(out) == 3


def test_spreading_a_register_that_already_has_one_row_per_year_is_refused():
    d = pd.concat([register().iloc[[0]], register().iloc[[0]].assign(year=2018)])
    with pytest.raises(ParameterError, match="1 multi-year project.*rule='recorded'"):
        spread_over_years(d)
    # Rows of one project in one year (e.g. split across provinces) are spread.
    out, n = spread_over_years(pd.concat([register().iloc[[0]]] * 2))
    assert n == 2 and len(out) == 6


@pytest.mark.parametrize(
    "kwargs, message", [({"rule": "yearly"}, "rule must be"), ({"people": "all"}, "people must")]
)
def test_spreading_options_are_checked(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        spread_over_years(register(), **kwargs)


def constant_flows(c: float, first: int, n: int) -> pd.DataFrame:
    return pd.DataFrame({"year": np.arange(first, first + n), "expenditure_yuan": c})


@pytest.mark.parametrize("rate, n", [(0.08, 10), (0.03, 5), (0.12, 1), (0.0001, 30)])
def test_present_value_of_a_constant_cost_is_the_hand_computed_annuity(rate, n):
    c = 1000.0
    annuity = c * (1 - (1 + rate) ** -n) / rate
    # Flows at the end of each year: to_year is the year before the first flow.
    out, _ = present_value(constant_flows(c, 2017, n), rate=rate, to_year=2016)
    assert out["expenditure_yuan"].sum() == pytest.approx(annuity, rel=1e-12)
    # Flows at the start of each year (annuity-due): to_year is the first year.
    due, _ = present_value(constant_flows(c, 2017, n), rate=rate, to_year=2017)
    assert due["expenditure_yuan"].sum() == pytest.approx(annuity * (1 + rate), rel=1e-12)


def test_present_value_compounds_earlier_years_and_records_its_factor():
    d = pd.DataFrame({"year": [2015, 2016, 2018], "expenditure_yuan": [100.0, 100.0, 121.0]})
    out, basis = present_value(d, rate=0.10, to_year=2016)
    np.testing.assert_allclose(out["expenditure_yuan"], [110.0, 100.0, 100.0])
    np.testing.assert_allclose(out["discount_factor"], [1.1, 1.0, 1 / 1.21])
    assert basis == "nominal yuan, then present value at 10% to 2016"
    zero, _ = present_value(d, rate=0, to_year=2016)
    np.testing.assert_array_equal(zero["expenditure_yuan"], d["expenditure_yuan"])


def test_deflation_comes_first_and_the_order_is_in_the_price_basis():
    d = pd.DataFrame({"year": [2017, 2019], "expenditure_yuan": [1000.0, 1000.0]})
    out, basis = present_value(d, rate=0.08, to_year=2016, base_year=2018)
    assert basis == "constant 2018 yuan (CPI), then present value at 8% to 2016"
    level = cpi_index(2018)
    expected = [1000 / level[2017] / 1.08, 1000 / level[2019] / 1.08**3]
    np.testing.assert_allclose(out["expenditure_yuan"], expected, rtol=1e-12)
    _, given = present_value(d, rate=0.03, to_year=2016, price_basis="constant 2016 yuan (CPI)")
    assert given == "constant 2016 yuan (CPI), then present value at 3% to 2016"
    assert DEFAULT_DISCOUNT_RATE == 0.08
    _, default = present_value(d, to_year=2016)
    assert default.endswith("at 8% to 2016")


def test_discounting_costs_and_people_alike_leaves_a_projects_ratio_unchanged():
    spread, _ = spread_over_years(register().iloc[[0]])
    pv, _ = present_value(
        spread, rate=0.08, to_year=2016, columns=["expenditure_yuan", "beneficiaries"]
    )
    assert pv["expenditure_yuan"].sum() / float(pv["beneficiaries"].sum()) == pytest.approx(10.0)
    # Every money column is discounted by default, so the categories still add up.
    only_money, _ = present_value(spread, rate=0.08, to_year=2016)
    np.testing.assert_allclose(
        only_money["direct_cost_yuan"] / only_money["expenditure_yuan"], 0.8, rtol=1e-12
    )
    np.testing.assert_array_equal(only_money["beneficiaries"], spread["beneficiaries"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"rate": 1.0, "to_year": 2016}, r"rate must be in \[0, 1\)"),
        ({"rate": -0.01, "to_year": 2016}, r"rate must be in \[0, 1\)"),
        ({"rate": "8%", "to_year": 2016}, "rate must be a number"),
        ({"rate": 0.08, "to_year": 2016.5}, "to_year must be a year"),
        ({"rate": 0.08, "to_year": 2016, "base_year": 2018, "price_basis": "x"}, "not both"),
        ({"rate": 0.08, "to_year": 2016, "columns": ["nope"]}, "lacks column"),
    ],
)
def test_present_value_options_are_checked(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        present_value(register(), **kwargs)
