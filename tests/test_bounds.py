"""Bounds for projects without beneficiaries: exact small cases, the bootstrap against a plain
resampling loop, the cost estimator's sample rules, independent streams per level."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.estimate.bounds import (
    BOUNDS_COLUMNS,
    LevelTotals,
    missing_beneficiary_bounds,
)
from analysis.estimate.costs import estimate_cost_per_beneficiary
from analysis.estimate.intervals import keyed_generator


def tiny() -> pd.DataFrame:
    """Three organizations in 2018: observed ratios 10, 30, 20 yuan per person; two projects
    without beneficiaries (missing, 0) spending 250; rows the sample rules leave out: person-times,
    no spending, no organization. A 2019 project of D (ratio 5) and one of E without beneficiaries."""
    return pd.DataFrame(
        {
            "org_name": ["A", "A", "B", "B", "C", "C", "C", None, "D", "E"],
            "year": [2018] * 8 + [2019, 2019],
            "expenditure_yuan": [100.0, 200.0, 300.0, 50.0, 400.0, 1000.0, 0.0, 500.0, 60.0, 40.0],
            "beneficiaries": pd.array([10, None, 10, 0, 20, 5, 3, 1, 12, None], dtype="Int64"),
            "flags": ["", "", "", "", "", "person_times", "", "", "", ""],
        }
    )


def rows(table: pd.DataFrame, level: str = "all") -> pd.DataFrame:
    return table[table["level"] == level].set_index("quantity")


def test_hand_computed_shares_and_bounds():
    t = missing_beneficiary_bounds(tiny()[tiny()["year"] == 2018], bootstrap_reps=0)
    assert list(t.columns) == BOUNDS_COLUMNS
    r = rows(t)
    assert list(r.index) == [
        "share_spending_missing",
        "share_projects_missing",
        "ratio_observed",
        "bound_low",
        "bound_high",
        "bounds",
        "worst_case_low",
        "worst_case_high",
        "worst_case_bounds",
    ]
    est = r["estimate"]
    assert est["share_spending_missing"] == pytest.approx(250 / 1050)
    assert est["share_projects_missing"] == pytest.approx(2 / 5)
    assert est["ratio_observed"] == pytest.approx(800 / 40)
    # 5th percentile of (10, 20, 30) is 10, the 95th is 30 (inverted empirical distribution).
    assert r.loc["bound_low", "assumed_ratio"] == 10 and r.loc["bound_high", "assumed_ratio"] == 30
    assert est["bound_low"] == pytest.approx(1050 / (40 + 250 / 10))
    assert est["bound_high"] == pytest.approx(1050 / (40 + 250 / 30))
    assert est["worst_case_high"] == pytest.approx(1050 / 40)
    assert (
        r.loc["bounds", ["low", "high"]].to_numpy() == [est["bound_low"], est["bound_high"]]
    ).all()
    assert r.loc["worst_case_bounds", "high"] == est["worst_case_high"]
    assert np.isnan(r.loc["worst_case_low", "estimate"]) and np.isnan(
        r.loc["worst_case_bounds", "low"]
    )
    assert "not bounded" in r.loc["worst_case_low", "note"]
    assert (r["n_projects"] == 5).all() and (r["n_missing"] == 2).all()
    assert (r["n_clusters"] == 3).all() and (r["missing_expenditure_yuan"] == 250).all()
    assert r["unit"]["share_spending_missing"] == "share"
    assert "only 3 organizations" in r.loc["ratio_observed", "note"]


def test_quantiles_and_groups_follow_the_options():
    t = missing_beneficiary_bounds(tiny(), by="year", quantiles=(0.5, 0.9), bootstrap_reps=0)
    r18 = rows(t, "2018")
    # The median of (10, 20, 30) is 20.
    assert r18.loc["bound_low", "estimate"] == pytest.approx(1050 / (40 + 250 / 20))
    assert "50th percentile" in r18.loc["bound_low", "assumption"]
    r19 = rows(t, "2019")
    assert r19.loc["bound_low", "estimate"] == pytest.approx(100 / (12 + 40 / 5))
    assert r19.loc["worst_case_high", "estimate"] == pytest.approx(100 / 12)
    assert set(t["group"]) == {"year"}


def test_person_times_rows_join_the_sample_when_asked():
    t = missing_beneficiary_bounds(
        tiny()[tiny()["year"] == 2018], bootstrap_reps=0, person_times="include"
    )
    assert rows(t).loc["ratio_observed", "estimate"] == pytest.approx(1800 / 45)


def test_without_missing_projects_every_bound_is_the_observed_ratio():
    d = tiny()[tiny()["beneficiaries"].fillna(0) > 0]
    r = rows(missing_beneficiary_bounds(d, bootstrap_reps=0))
    for q in ("bound_low", "bound_high", "worst_case_high"):
        assert r.loc[q, "estimate"] == pytest.approx(r.loc["ratio_observed", "estimate"])
    assert r.loc["share_spending_missing", "estimate"] == 0
    assert "no projects without beneficiaries" in r.loc["bound_low", "note"]


def test_ratio_observed_is_the_cost_estimators_headline(demo_data):
    """Same sample rules: the observed ratio, its project count and its price basis equal the
    headline ratio of totals, by year, in constant prices."""
    b = missing_beneficiary_bounds(demo_data, by="year", base_year=2018, bootstrap_reps=0)
    c = estimate_cost_per_beneficiary(demo_data, by="year", base_year=2018, bootstrap_reps=0)
    c = c[c["estimator"] == "ratio_of_totals"].set_index("level")
    obs = b[b["quantity"] == "ratio_observed"].set_index("level")
    np.testing.assert_allclose(obs["estimate"], c.loc[obs.index, "estimate"], rtol=1e-12)
    np.testing.assert_array_equal(
        obs["n_projects"] - obs["n_missing"], c.loc[obs.index, "n_projects"]
    )
    assert (obs["price_basis"] == c.loc[obs.index, "price_basis"]).all()
    missing = demo_data["beneficiaries"].fillna(0).le(0) & demo_data["expenditure_yuan"].gt(0)
    assert obs["n_missing"].sum() == missing.sum() > 0


def test_a_levels_numbers_do_not_depend_on_the_other_levels(demo_data):
    both = missing_beneficiary_bounds(demo_data, by="year", bootstrap_reps=99, seed=4)
    alone = missing_beneficiary_bounds(
        demo_data[demo_data["year"] == 2017], by="year", bootstrap_reps=99, seed=4
    )
    pd.testing.assert_frame_equal(
        both[both["level"] == "2017"].reset_index(drop=True), alone.reset_index(drop=True)
    )
    other = missing_beneficiary_bounds(demo_data, by="year", bootstrap_reps=99, seed=5)
    assert not np.allclose(both["ci_low"].dropna(), other["ci_low"].dropna())


def test_intervals_bracket_the_estimates_and_the_sets_take_the_outer_limits(demo_data):
    r = rows(missing_beneficiary_bounds(demo_data, bootstrap_reps=199, seed=1))
    for q in (
        "share_spending_missing",
        "ratio_observed",
        "bound_low",
        "bound_high",
        "worst_case_high",
    ):
        assert r.loc[q, "ci_low"] < r.loc[q, "estimate"] < r.loc[q, "ci_high"], q
    assert r.loc["bounds", "ci_low"] == r.loc["bound_low", "ci_low"]
    assert r.loc["bounds", "ci_high"] == r.loc["bound_high", "ci_high"]
    assert r.loc["worst_case_bounds", "ci_high"] == r.loc["worst_case_high", "ci_high"]
    assert r.loc["bound_low", "estimate"] < r.loc["bound_high", "estimate"]
    assert r.loc["bound_high", "estimate"] <= r.loc["worst_case_high", "estimate"]
    assert r.loc["ratio_observed", "ci_method"] == "percentile, organization bootstrap, 199 reps"


def test_weighted_quantile_equals_numpy_on_the_resampled_projects():
    rng = np.random.default_rng(3)
    org = rng.integers(0, 9, 40)
    d = pd.DataFrame(
        {
            "org_name": [f"o{k}" for k in org],
            "expenditure_yuan": rng.lognormal(8, 1, 40),
            "beneficiaries": pd.array(rng.integers(1, 50, 40), dtype="Int64"),
        }
    ).assign(has_beneficiaries=True)
    t = LevelTotals.of(d, "org_name")
    codes = pd.factorize(d["org_name"], sort=True)[0]
    ratio = (d["expenditure_yuan"] / d["beneficiaries"].astype(float)).to_numpy()
    w = rng.multinomial(9, np.full(9, 1 / 9), size=30).astype(float)
    for p in (0.05, 0.25, 0.5, 0.95):
        got = t.quantile(w, p)
        want = [
            np.quantile(np.repeat(ratio, row[codes].astype(int)), p, method="inverted_cdf")
            for row in w
        ]
        np.testing.assert_array_equal(got, want)


def test_bootstrap_interval_equals_a_resampling_loop():
    """The bound's interval from a plain loop over the same draws: resample organizations with the
    stream's counts, stack their projects, impute at the resampled 5th percentile."""
    rng = np.random.default_rng(8)
    n = 60
    d = pd.DataFrame(
        {
            "org_name": [f"o{k:02d}" for k in rng.integers(0, 12, n)],
            "year": 2018,
            "expenditure_yuan": rng.lognormal(9, 1, n),
            "beneficiaries": pd.array(
                np.where(rng.random(n) < 0.2, 0, rng.integers(1, 80, n)), dtype="Int64"
            ),
        }
    )
    reps = 40
    got = rows(missing_beneficiary_bounds(d, bootstrap_reps=reps, seed=6)).loc["bound_low"]
    orgs = sorted(d["org_name"].unique())
    stream = keyed_generator(6, "bound_low", "all", "all")
    draws = []
    for counts in stream.multinomial(len(orgs), np.full(len(orgs), 1 / len(orgs)), size=reps):
        boot = pd.concat(
            [d[d["org_name"] == o] for o, k in zip(orgs, counts, strict=True) for _ in range(k)]
        )
        seen = boot[boot["beneficiaries"] > 0]
        r = np.quantile(
            seen["expenditure_yuan"] / seen["beneficiaries"], 0.05, method="inverted_cdf"
        )
        miss = boot.loc[boot["beneficiaries"] == 0, "expenditure_yuan"].sum()
        draws.append(boot["expenditure_yuan"].sum() / (seen["beneficiaries"].sum() + miss / r))
    lo, hi = np.quantile(draws, [0.025, 0.975])
    assert got["ci_low"] == pytest.approx(lo, rel=1e-12)
    assert got["ci_high"] == pytest.approx(hi, rel=1e-12)


def test_keyed_streams_are_stable_and_distinct():
    a = keyed_generator(1, "bound_low", "year", "2018").random(3)
    np.testing.assert_array_equal(a, keyed_generator(1, "bound_low", "year", "2018").random(3))
    assert not np.allclose(a, keyed_generator(1, "bound_high", "year", "2018").random(3))
    assert not np.allclose(a, keyed_generator(2, "bound_low", "year", "2018").random(3))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"quantiles": (0.9, 0.1)}, "quantiles must be"),
        ({"quantiles": (0.0, 0.5)}, "quantiles must be"),
        ({"quantiles": 0.05}, "quantiles must be"),
        ({"bootstrap_reps": -1}, "bootstrap_reps"),
        ({"bootstrap_reps": 9.5}, "bootstrap_reps"),
        ({"seed": -2}, "seed"),
        ({"ci": 95}, "ci must be"),
        ({"person_times": "maybe"}, "person_times"),
        ({"by": "nonexistent"}, "lacks column"),
        ({"cluster": "owner"}, "lacks column"),
        ({"base_year": "2018"}, "base_year"),
    ],
)
def test_options_are_checked_before_any_work(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        missing_beneficiary_bounds(tiny(), **kwargs)
