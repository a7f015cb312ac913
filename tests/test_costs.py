"""Cost per beneficiary: exact small cases, oracle checks against plain pandas, invariances, recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.estimate.costs import (
    COST_COLUMNS,
    COST_ESTIMATORS,
    cost_tables,
    estimate_cost_per_beneficiary,
)
from analysis.estimate.prices import to_constant_prices
from analysis.present.summaries import published_benchmarks
from analysis.reference import cpi_index


def tiny() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "org_name": ["A", "A", "B", "C", "C", "D"],
            "year": [2018, 2018, 2018, 2019, 2019, 2019],
            "sector": ["industry", "health", "industry", "health", "health", "industry"],
            "deep_poverty_area": [True, False, False, True, True, False],
            "expenditure_yuan": [1000.0, 3000.0, 6000.0, 500.0, 1500.0, 0.0],
            "beneficiaries": pd.array([10, 20, 30, 5, 5, 4], dtype="Int64"),
            "poor_households": pd.array([2, 4, pd.NA, 1, 1, 1], dtype="Int64"),
            "flags": ["", "", "", "", "", ""],
        }
    )


def pick(table, level, estimator="ratio_of_totals"):
    return table[(table["level"] == level) & (table["estimator"] == estimator)].iloc[0]


@pytest.mark.filterwarnings("ignore:cost per beneficiary")
def test_ratio_of_totals_by_year_exact():
    t = estimate_cost_per_beneficiary(tiny(), by="year", bootstrap_reps=0)
    assert list(t.columns) == COST_COLUMNS
    assert pick(t, "2018")["estimate"] == pytest.approx(10000 / 60)
    # Rows with zero spending are left out of the per-person estimators.
    assert pick(t, "2019")["estimate"] == pytest.approx(2000 / 10)
    assert pick(t, "2019")["n_projects"] == 2
    assert pick(t, "2018", "ratio_of_totals_per_household")["estimate"] == pytest.approx(4000 / 6)
    assert pick(t, "2018", "mean_of_ratios")["estimate"] == pytest.approx((100 + 150 + 200) / 3)
    assert pick(t, "2018", "median_of_ratios")["estimate"] == pytest.approx(150)
    # Spending per project uses the same base sample: D's zero-spending project is left out too.
    assert pick(t, "2019", "spending_per_project")["estimate"] == pytest.approx(2000 / 2)


def test_oracle_against_plain_pandas(demo_data):
    t = estimate_cost_per_beneficiary(demo_data, by=["year", "sector"], bootstrap_reps=0)
    use = demo_data[(demo_data["expenditure_yuan"] > 0) & (demo_data["beneficiaries"] > 0)]
    oracle = use.groupby(["year", "sector"], observed=True).agg(
        s=("expenditure_yuan", "sum"), b=("beneficiaries", "sum")
    )
    for (year, sector), row in oracle.iterrows():
        got = pick(t, f"{year}/{sector}")["estimate"]
        assert got == pytest.approx(row["s"] / row["b"], rel=1e-12)


def test_row_order_does_not_change_any_estimate(demo_data):
    a = estimate_cost_per_beneficiary(demo_data, by="sector", bootstrap_reps=200, seed=3)
    shuffled = demo_data.sample(frac=1.0, random_state=7)
    b = estimate_cost_per_beneficiary(shuffled, by="sector", bootstrap_reps=200, seed=3)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


def test_scaling_spending_by_k_scales_every_cost_estimate_by_k(demo_data):
    k = 3.7
    a = estimate_cost_per_beneficiary(demo_data, by="year", bootstrap_reps=100, seed=1)
    scaled = demo_data.assign(expenditure_yuan=demo_data["expenditure_yuan"] * k)
    b = estimate_cost_per_beneficiary(scaled, by="year", bootstrap_reps=100, seed=1)
    for col in ("estimate", "ci_low", "ci_high"):
        np.testing.assert_allclose(b[col], a[col] * k, rtol=1e-10)


def test_grouped_totals_give_the_same_ratio_as_rows(demo_data):
    rows = estimate_cost_per_beneficiary(demo_data, by="year", bootstrap_reps=0)
    totals = (
        demo_data[demo_data["beneficiaries"].fillna(0) > 0]
        .groupby(["year", "org_name"], as_index=False)[["expenditure_yuan", "beneficiaries"]]
        .sum()
    )
    totals["flags"] = ""
    grouped = estimate_cost_per_beneficiary(totals, by="year", bootstrap_reps=0)
    a = rows[rows["estimator"] == "ratio_of_totals"]["estimate"].to_numpy()
    b = grouped[grouped["estimator"] == "ratio_of_totals"]["estimate"].to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_constant_prices_in_the_base_year_equal_nominal(demo_data):
    d18 = demo_data[demo_data["year"] == 2018]
    nominal = estimate_cost_per_beneficiary(d18, by="year", bootstrap_reps=50, seed=2)
    constant = estimate_cost_per_beneficiary(
        d18, by="year", base_year=2018, bootstrap_reps=50, seed=2
    )
    np.testing.assert_allclose(constant["estimate"], nominal["estimate"], rtol=1e-12)
    assert set(constant["price_basis"]) == {"constant 2018 yuan (CPI)"}


def test_cpi_chain_and_deflation():
    level = cpi_index(2018)
    assert level[2018] == 1.0
    assert level[2019] == pytest.approx(1.029)
    assert level[2017] == pytest.approx(1 / 1.021)
    df = pd.DataFrame({"year": [2019], "expenditure_yuan": [1029.0]})
    out = to_constant_prices(df, 2018)
    assert out["expenditure_yuan"].iloc[0] == pytest.approx(1000.0)
    assert out["price_factor"].iloc[0] == pytest.approx(1 / 1.029)


def test_bootstrap_is_seeded_and_brackets_the_estimate(demo_data):
    a = estimate_cost_per_beneficiary(demo_data, by="year", bootstrap_reps=300, seed=11)
    b = estimate_cost_per_beneficiary(demo_data, by="year", bootstrap_reps=300, seed=11)
    pd.testing.assert_frame_equal(a, b)
    r = a[a["estimator"] == "ratio_of_totals"]
    assert (r["ci_low"] < r["estimate"]).all() and (r["estimate"] < r["ci_high"]).all()
    assert (r["n_clusters"] > 100).all()


def test_few_clusters_warn():
    with pytest.warns(UserWarning, match="only 2 organizations"):
        estimate_cost_per_beneficiary(tiny()[tiny()["year"] == 2018], bootstrap_reps=10)


@pytest.mark.filterwarnings("ignore:cost per beneficiary")
def test_person_times_rows_are_left_out_unless_asked():
    df = tiny().assign(flags=["person_times", "", "", "", "", ""])
    out = estimate_cost_per_beneficiary(df, by="year", bootstrap_reps=0)
    assert pick(out, "2018")["estimate"] == pytest.approx(9000 / 50)
    inc = estimate_cost_per_beneficiary(df, by="year", bootstrap_reps=0, person_times="include")
    assert pick(inc, "2018")["estimate"] == pytest.approx(10000 / 60)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"ci": 1.5}, "ci must be"),
        ({"bootstrap_reps": -1}, "bootstrap_reps"),
        ({"person_times": "maybe"}, "person_times"),
        ({"by": "nonexistent"}, "lacks column"),
        ({"base_year": 1990}, "outside the shipped CPI"),
    ],
)
def test_options_are_checked_before_any_work(kwargs, message):
    with pytest.raises((ParameterError, ValueError), match=message):
        estimate_cost_per_beneficiary(tiny(), **kwargs)


def test_planted_sector_and_region_ratios_fall_in_their_intervals(demo_data, demo_truth):
    d18 = demo_data[(demo_data["year"] == 2018) & ~demo_data["joint_funded"]]
    est = demo_truth["estimands"]
    by_sector = estimate_cost_per_beneficiary(d18, by="sector", bootstrap_reps=999, seed=5)
    for sector, truth in est["ratio_of_totals_2018_by_sector_yuan"].items():
        row = pick(by_sector, sector)
        assert row["ci_low"] <= truth <= row["ci_high"], (
            sector,
            truth,
            row["ci_low"],
            row["ci_high"],
        )
    by_region = estimate_cost_per_beneficiary(
        d18, by="deep_poverty_area", bootstrap_reps=999, seed=5
    )
    region = est["ratio_of_totals_2018_by_region_yuan"]
    for level, key in (("True", "deep_poverty_area"), ("False", "elsewhere")):
        row = pick(by_region, level)
        assert row["ci_low"] <= region[key] <= row["ci_high"], (key, region[key])


def test_cost_tables_hold_nominal_and_constant_rows(demo_data):
    t = cost_tables(demo_data, base_year=2018, bootstrap_reps=0)
    assert {"year", "year+sector", "year+deep_poverty_area", "sector"} <= set(t["group"])
    assert {"nominal yuan", "constant 2018 yuan (CPI)"} == set(t["price_basis"])


def test_published_benchmarks_reproduce_the_reference_figures():
    b = published_benchmarks().set_index(["scope", "period"])["yuan_per_person"]
    assert b[("national social organizations", "2018")] == pytest.approx(5559, abs=1)
    assert b[("Jiangsu social organizations (all levels)", "2018")] == pytest.approx(1151, abs=1)
    assert b[("central support to social organizations (all areas)", "2012 to 2021-09")] == (
        pytest.approx(121.5, abs=0.5)
    )


def simulated_cluster_totals(seed: int, n_orgs: int = 300, sd_spend: float = 1.0):
    """Organizations with 1 + Poisson(2) projects; cost c = exp(8 + u_org + e); truth = 1 / E[1/c]."""
    rng = np.random.default_rng(seed)
    org = np.repeat(np.arange(n_orgs), 1 + rng.poisson(2, n_orgs))
    spend = rng.lognormal(0.0, sd_spend, len(org))
    cost = np.exp(8 + rng.normal(0, 0.35, n_orgs)[org] + rng.normal(0, 0.6, len(org)))
    return np.bincount(org, spend), np.bincount(org, spend / cost)


TRUTH = float(np.exp(8 - (0.35**2 + 0.6**2) / 2))


@pytest.mark.coverage
def test_bootstrap_interval_covers_the_truth_92_to_97_percent_of_the_time():
    from analysis.estimate.intervals import ratio_interval, ratio_interval_analytic

    hits = {"percentile": 0, "fieller": 0}
    reps = 400
    for k in range(reps):
        num, den = simulated_cluster_totals(k)
        lo, hi = ratio_interval(
            num, den, 999, np.random.default_rng(10_000 + k), 0.05, "percentile"
        )
        hits["percentile"] += lo <= TRUTH <= hi
        a = ratio_interval_analytic(num, den)
        hits["fieller"] += a["fieller_low"] <= TRUTH <= a["fieller_high"]
    for method, n in hits.items():
        assert 0.92 <= n / reps <= 0.97, (method, n / reps)


def test_vectorized_bootstrap_equals_a_resampling_loop():
    from analysis.estimate.intervals import bootstrap_draws

    num, den = simulated_cluster_totals(1, n_orgs=50)
    fast = bootstrap_draws(num, den, 300, np.random.default_rng(4), chunk=300)
    rng = np.random.default_rng(4)
    idx = rng.integers(0, 50, size=(300, 50), dtype=np.int32)
    slow = [num[row].sum() / den[row].sum() for row in idx]
    np.testing.assert_allclose(fast, slow, rtol=1e-12)


def test_interval_methods_bracket_the_estimate_and_agree_roughly(demo_data):
    d18 = demo_data[demo_data["year"] == 2018]
    rows = {}
    for method in ("percentile", "bca", "studentized"):
        t = estimate_cost_per_beneficiary(d18, interval=method, bootstrap_reps=999, seed=1)
        rows[method] = pick(t, "all")
    est = rows["percentile"]["estimate"]
    for method, row in rows.items():
        assert row["ci_low"] < est < row["ci_high"], method
        assert row["ci_method"].startswith(method)
    r = rows["percentile"]
    assert r["fieller_low"] < est < r["fieller_high"]
    assert r["delta_low"] == pytest.approx(r["fieller_low"], rel=0.05)
    assert r["ci_low"] == pytest.approx(r["fieller_low"], rel=0.05)


def test_the_estimator_registry_drives_the_rows_and_their_order(demo_data):
    """One row per registered estimator and level, in the registry's order; only the estimators
    registered as analytic get delta-method and Fieller intervals, only bootstrapped ones a bootstrap."""
    t = estimate_cost_per_beneficiary(demo_data, by="year", bootstrap_reps=99, seed=1)
    one_level = t[t["level"] == "2018"]
    assert list(one_level["estimator"]) == [e.name for e in COST_ESTIMATORS]
    for e in COST_ESTIMATORS:
        row = pick(t, "2018", e.name)
        assert np.isfinite(row["delta_low"]) == e.analytic, e.name
        assert np.isfinite(row["ci_low"]) == e.bootstrap, e.name
    assert [e.name for e in COST_ESTIMATORS if e.headline] == ["ratio_of_totals"]


@pytest.mark.filterwarnings("ignore:cost per beneficiary")
def test_international_dollars_in_both_orders():
    from analysis.estimate.prices import to_international_dollars

    df = pd.DataFrame({"year": [2018, 2019], "expenditure_yuan": [420.0, 1029.0]})
    ppp = pd.DataFrame(
        {
            "year": [2018, 2019],
            "yuan_per_international_dollar": [4.2, 4.0],
            "dollar_price_level": [100.0, 102.0],
        }
    )
    out, basis = to_international_dollars(df, ppp, base_year=2018)
    assert out["expenditure_yuan"].tolist() == pytest.approx([100.0, 1000.0 / 4.2])
    assert basis == "constant 2018 international dollars (CPI, then PPP of 2018)"
    out, basis = to_international_dollars(df, ppp, base_year=2018, order="convert_then_deflate")
    assert out["expenditure_yuan"].tolist() == pytest.approx([100.0, 1029.0 / 4.0 * 100 / 102])
    assert "PPP of each year, then dollar prices" in basis
    t = estimate_cost_per_beneficiary(
        tiny(),
        by="year",
        base_year=2018,
        bootstrap_reps=0,
        ppp=ppp.assign(yuan_per_international_dollar=2.0),
    )
    assert pick(t, "2018")["estimate"] == pytest.approx(10000 / 60 / 2.0)
    with pytest.raises(ParameterError, match="no rate for year"):
        to_international_dollars(df.assign(year=[2018, 2020]), ppp, base_year=2018)
