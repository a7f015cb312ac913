"""Cost categories and full loading: exact small cases, the refusals, and the estimator on loaded
spending (fully loaded = direct x (1 + overhead ratio) on a hand-computed example)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.estimate.costs import COST_COLUMNS, estimate_cost_per_beneficiary
from analysis.estimate.loading import (
    CATEGORY_TABLE_COLUMNS,
    DEFAULT_ADMIN_SHARE,
    DEFAULT_ADMIN_SHARE_RANGE,
    FULLY_LOADED_COLUMNS,
    NO_BREAKDOWN,
    REMAINDER,
    cost_categories,
    fully_loaded_costs,
    load_overhead,
    usable_overhead,
)

pytestmark = pytest.mark.filterwarnings("ignore:cost per beneficiary")


def projects() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "org_name": ["A", "A", "B", "B", "C"],
            "year": [2017, 2018, 2018, 2018, 2018],
            "sector": ["industry", "health", "industry", "health", "health"],
            "expenditure_yuan": [1000.0, 2000.0, 3000.0, 500.0, 800.0],
            "beneficiaries": pd.array([10, 40, 20, 5, 8], dtype="Int64"),
            "flags": ["", "", "", "", ""],
        }
    )


def overhead() -> pd.DataFrame:
    # A: 20% in every year, 50% in 2018 (the exact row wins); B: 10% in 2018; C: none.
    return pd.DataFrame(
        {
            "org_name": ["A", "A", "B"],
            "year": [np.nan, 2018, 2018],
            "admin_share": [0.2, 0.5, 0.1],
            "source": ["annual report"] * 3,
            "simulated": [False] * 3,
        }
    )


def test_overhead_rows_match_by_organization_and_year_and_the_rest_take_the_default():
    with pytest.warns(UserWarning, match=r"1 organization\(s\) \(1 of 5 rows\).*default 10%"):
        out = load_overhead(projects(), overhead())
    # ratio = share / (1 - share): A 2017 from its every-year row, A 2018 from its exact row.
    np.testing.assert_allclose(out["overhead_ratio"], [0.25, 1.0, 1 / 9, 1 / 9, 1 / 9])
    assert list(out["overhead_source"]) == ["table", "table", "table", "table", "default"]
    np.testing.assert_allclose(
        out["loaded_expenditure_yuan"], [1250.0, 4000.0, 3000 / 0.9, 500 / 0.9, 800 / 0.9]
    )
    # The recorded spending is left as it was.
    np.testing.assert_array_equal(out["expenditure_yuan"], projects()["expenditure_yuan"])


def test_without_a_table_every_row_gets_the_default_share_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = load_overhead(projects())
    assert DEFAULT_ADMIN_SHARE == DEFAULT_ADMIN_SHARE_RANGE[1] == 0.10
    assert set(out["overhead_source"]) == {"default"}
    np.testing.assert_allclose(out["loaded_expenditure_yuan"], projects()["expenditure_yuan"] / 0.9)
    zero = load_overhead(projects(), default_admin_share=0.0)
    np.testing.assert_array_equal(zero["loaded_expenditure_yuan"], projects()["expenditure_yuan"])


def test_a_year_missing_from_the_table_takes_the_default_and_is_counted():
    ov = overhead().iloc[[2]]  # B in 2018 only
    data = projects().assign(org_name=["B", "B", "B", "B", "B"])
    with pytest.warns(UserWarning, match=r"1 organization\(s\) \(1 of 5 rows\)"):
        out = load_overhead(data, ov, default_admin_share=0.2)
    assert out["overhead_ratio"].iloc[0] == pytest.approx(0.25)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"admin_share": [0.2, 1.0, 0.1]}, r"admin_share must be in \[0, 1\) \(1 row"),
        ({"admin_share": [0.2, -0.1, 0.1]}, r"admin_share must be in \[0, 1\)"),
        ({"admin_share": [0.2, np.nan, 0.1]}, r"admin_share must be in \[0, 1\)"),
        ({"year": [2018, 2018, 2018], "org_name": ["A", "A", "B"]}, "same organization and year"),
        ({"org_name": ["A", None, "B"]}, "without org_name"),
    ],
)
def test_a_bad_overhead_table_is_refused_in_one_line(change, message):
    with pytest.raises(ParameterError, match=message):
        load_overhead(projects(), overhead().assign(**change))


@pytest.mark.parametrize("share", [1.0, -0.01, 1.5, "10%", True])
def test_a_bad_default_share_is_refused(share):
    with pytest.raises(ParameterError, match="default_admin_share"):
        load_overhead(projects(), default_admin_share=share)


def test_an_overhead_table_lacking_columns_is_refused():
    with pytest.raises(
        ParameterError, match=r"the overhead table lacks column\(s\) \['admin_share'\]"
    ):
        load_overhead(projects(), overhead().drop(columns="admin_share"))


def test_a_simulated_overhead_table_is_refused_on_real_data_and_taken_on_the_demo():
    ov = overhead().assign(simulated=True)
    with pytest.raises(ParameterError, match="simulated"):
        load_overhead(projects().assign(simulated=False), ov)
    with pytest.raises(ParameterError, match="simulated"):
        load_overhead(projects(), ov)  # no simulated column: not simulated
    with pytest.warns(UserWarning, match="1 organization"):
        out = load_overhead(projects().assign(simulated=True), ov)
    assert out["overhead_ratio"].iloc[1] == pytest.approx(1.0)


def test_fully_loaded_ratio_is_direct_times_one_plus_the_overhead_ratio():
    # One organization, one admin share of 20%: overhead ratio 0.25, every cost x 1.25.
    data = projects().assign(org_name="A", year=2018)
    ov = pd.DataFrame({"org_name": ["A"], "year": [np.nan], "admin_share": [0.2]})
    t = fully_loaded_costs(data, ov, bootstrap_reps=200, seed=3)
    assert list(t.columns) == FULLY_LOADED_COLUMNS
    direct = t[t["cost_basis"] == "direct"].reset_index(drop=True)
    full = t[t["cost_basis"] == "fully loaded (overhead table)"].reset_index(drop=True)
    assert direct["estimator"].tolist() == full["estimator"].tolist()
    head = full[full["estimator"] == "ratio_of_totals"].iloc[0]
    assert head["estimate"] == pytest.approx(7300 / 83 * 1.25)  # hand-computed: 109.94 yuan
    for col in ("estimate", "ci_low", "ci_high", "total_expenditure_yuan"):
        np.testing.assert_allclose(full[col], direct[col] * 1.25, rtol=1e-12)
    pd.testing.assert_frame_equal(
        direct[COST_COLUMNS], estimate_cost_per_beneficiary(data, bootstrap_reps=200, seed=3)
    )


def test_fully_loaded_ratio_of_totals_with_shares_by_organization_is_exact():
    with pytest.warns(UserWarning, match="1 organization"):
        t = fully_loaded_costs(projects(), overhead(), by="year", bootstrap_reps=0)
    full = t[(t["cost_basis"] != "direct") & (t["estimator"] == "ratio_of_totals")]
    got = full.set_index("level")["estimate"]
    assert got["2017"] == pytest.approx(1250 / 10)
    assert got["2018"] == pytest.approx((4000 + 3500 / 0.9 + 800 / 0.9) / 73)


def test_the_default_loading_is_labelled_and_carries_the_price_basis():
    t = fully_loaded_costs(projects(), by="year", base_year=2018, bootstrap_reps=0)
    assert set(t["cost_basis"]) == {"direct", "fully loaded, admin share 10% (default upper)"}
    assert set(t["price_basis"]) == {"constant 2018 yuan (CPI)"}
    r = t[t["estimator"] == "ratio_of_totals"].set_index(["cost_basis", "level"])["estimate"]
    loaded = r[("fully loaded, admin share 10% (default upper)", "2017")]
    assert loaded == pytest.approx(r[("direct", "2017")] / 0.9)
    t5 = fully_loaded_costs(projects(), bootstrap_reps=0, default_admin_share=0.05)
    assert "fully loaded, admin share 5% (default)" in set(t5["cost_basis"])


def test_fully_loaded_costs_pass_the_estimators_refusals_through():
    with pytest.raises(ParameterError, match="ci must be"):
        fully_loaded_costs(projects(), bootstrap_reps=0, ci=1.5)
    with pytest.raises(ParameterError, match="default_admin_share"):
        fully_loaded_costs(projects(), default_admin_share=1.0)


def categorised() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sector": ["industry", "industry", "health", "health"],
            "expenditure_yuan": [1000.0, 2000.0, 500.0, 400.0],
            "direct_cost_yuan": [700.0, 1500.0, np.nan, 300.0],
            "admin_cost_yuan": [100.0, 200.0, np.nan, np.nan],
            "in_kind_yuan": [200.0, 200.0, np.nan, 104.0],
        }
    )


def test_cost_categories_exact_with_remainder_and_rows_not_adding_up():
    t = cost_categories(categorised())
    assert list(t.columns) == CATEGORY_TABLE_COLUMNS
    got = t.set_index("category")["total_yuan"]
    assert got["direct_cost_yuan"] == 2500.0
    assert got["admin_cost_yuan"] == 300.0
    assert got["in_kind_yuan"] == 504.0
    # Categorised rows spend 3400 and their categories sum to 3304; one row (500) has no breakdown.
    assert got[REMAINDER] == pytest.approx(96.0)
    assert got[NO_BREAKDOWN] == 500.0
    assert t["share"].sum() == pytest.approx(1.0)
    assert t.set_index("category")["share"]["direct_cost_yuan"] == pytest.approx(2500 / 3900)
    # 1000 = 700+100+200; 2000 vs 1900 is 5% off; 400 vs 404 is 1% off exactly (within tolerance).
    row = t.iloc[0]
    assert (row["n_rows"], row["n_rows_categorised"], row["n_rows_not_adding_up"]) == (4, 3, 1)


def test_cost_categories_by_group_and_with_only_some_columns():
    t = cost_categories(categorised().drop(columns="admin_cost_yuan"), by="sector")
    assert set(t["category"]) == {"direct_cost_yuan", "in_kind_yuan", REMAINDER, NO_BREAKDOWN}
    health = t[t["level"] == "health"].set_index("category")
    assert health.loc["direct_cost_yuan", "total_yuan"] == 300.0
    assert health.loc[NO_BREAKDOWN, "share"] == pytest.approx(500 / 900)
    assert health["n_rows_not_adding_up"].iloc[0] == 0


def test_cost_categories_without_the_columns_is_an_empty_table_with_a_note():
    t = cost_categories(projects())
    assert t.empty and list(t.columns) == CATEGORY_TABLE_COLUMNS
    assert "no cost-category column" in t.attrs["note"]


def test_a_simulated_overhead_table_is_not_applied_to_real_data_and_the_sentence_says_so():
    real = projects().assign(simulated=False)
    demo_table = overhead().assign(simulated=True)
    table, said = usable_overhead(demo_table, real)
    assert table is None and "not applied" in said and "10%" in said
    # On simulated data the simulated table applies, and the sentence counts what it covers.
    table, said = usable_overhead(demo_table, real.assign(simulated=True))
    assert table is demo_table and "covers 2 of the 3 organizations" in said
    table, said = usable_overhead(None, real, default_admin_share=0.05)
    assert table is None and "5%" in said
    with pytest.raises(ParameterError, match="default_admin_share"):
        usable_overhead(None, real, default_admin_share=1.0)
