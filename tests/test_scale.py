"""Cost against size: binned ratios on a hand-built table, the elasticity and its marginal cost
against statsmodels, an exact planted curve, the caveats in the output, the options."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from analysis.errors import ParameterError
from analysis.estimate.costs import estimate_cost_per_beneficiary
from analysis.estimate.scale import (
    ELASTICITY_COLUMNS,
    SIZE_COLUMNS,
    cost_by_size,
    fit_scale_elasticity,
)


def tiny() -> pd.DataFrame:
    """Six projects of four organizations in 2018 (beneficiaries 10..60, one person-times row and one
    without beneficiaries left out)."""
    return pd.DataFrame(
        {
            "org_name": ["A", "A", "B", "C", "C", "D", "D", "D"],
            "year": 2018,
            "expenditure_yuan": [1000.0, 1500.0, 2400.0, 2000.0, 2500.0, 3000.0, 900.0, 700.0],
            "beneficiaries": pd.array([10, 20, 30, 40, 50, 60, 5, None], dtype="Int64"),
            "flags": ["", "", "", "", "", "", "person_times", ""],
        }
    )


@pytest.mark.filterwarnings("ignore:cost per beneficiary")
def test_project_bins_hold_the_hand_computed_ratios():
    t = cost_by_size(tiny(), sizes="project", bins=2, bootstrap_reps=0)
    assert list(t.columns) == SIZE_COLUMNS
    # Halves of beneficiaries 10..60 split at the median 35.
    assert t["bin"].tolist() == [1, 2]
    assert t["bin_low"].tolist() == [10, 35] and t["bin_high"].tolist() == [35, 60]
    assert t["estimate"].tolist() == pytest.approx([4900 / 60, 7500 / 150])
    assert t["n_projects"].tolist() == [3, 3] and t["n_clusters"].tolist() == [2, 2]
    assert set(t["level"]) == {"all"} and set(t["group"]) == {"all"}
    assert t["measure"].iloc[0] == "project beneficiaries (persons)"
    assert "size is chosen, not assigned" in t["note"].iloc[0]


@pytest.mark.filterwarnings("ignore:cost per beneficiary")
def test_organization_bins_use_organization_years():
    """Organization totals in 2018: A 30, B 30, C 90, D 60 persons; 2019: A 5 (a second
    organization-year). Quantile bins of the five organization-years: edges 5, 30, 90."""
    d = pd.concat(
        [
            tiny(),
            pd.DataFrame(
                {
                    "org_name": ["A"],
                    "year": [2019],
                    "expenditure_yuan": [800.0],
                    "beneficiaries": pd.array([5], dtype="Int64"),
                    "flags": [""],
                }
            ),
        ],
        ignore_index=True,
    )
    t = cost_by_size(d, sizes="organization", bins=2, bootstrap_reps=0)
    assert t["bin_low"].tolist() == [5, 30] and t["bin_high"].tolist() == [30, 90]
    # Bin 1: A 2018, B 2018, A 2019; bin 2: C and D.
    assert t["estimate"].tolist() == pytest.approx([(2500 + 2400 + 800) / 65, 7500 / 150])
    by_spend = cost_by_size(
        d, sizes="organization", measure="expenditure", bins=2, bootstrap_reps=0
    )
    assert by_spend["measure"].iloc[0] == "organization spending (yuan) in the year"
    # Spending per organization-year: 800, 2400, 2500, 3000, 4500: median 2500.
    assert by_spend["estimate"].tolist() == pytest.approx([5700 / 65, 7500 / 150])


def test_bins_by_year_and_intervals_come_from_the_cost_estimator(demo_data):
    t = cost_by_size(demo_data, sizes="project", by="year", bootstrap_reps=99, seed=2)
    assert len(t) == 25 and set(t["level"]) == {"2016", "2017", "2018", "2019", "2020"}
    assert (t["ci_low"] < t["estimate"]).all() and (t["estimate"] < t["ci_high"]).all()
    assert set(t["group"]) == {"year"}
    # The bins partition the headline sample of each year.
    c = estimate_cost_per_beneficiary(demo_data, by="year", bootstrap_reps=0)
    c = c[c["estimator"] == "ratio_of_totals"].set_index("level")
    sums = t.groupby("level")[["total_expenditure_yuan", "total_beneficiaries", "n_projects"]].sum()
    np.testing.assert_allclose(sums["total_expenditure_yuan"], c["total_expenditure_yuan"])
    np.testing.assert_allclose(sums["total_beneficiaries"], c["total_beneficiaries"])
    # Larger projects are cheaper per person here, with a gap far beyond the intervals.
    y18 = t[t["level"] == "2018"].set_index("bin")
    assert y18.loc[5, "ci_high"] < y18.loc[1, "ci_low"]


def planted(theta: float, noise: float, seed: int = 0) -> pd.DataFrame:
    """log c = 7 + theta log b (+ noise by organization and project), two years."""
    rng = np.random.default_rng(seed)
    org = np.repeat(np.arange(40), 5)
    b = np.round(np.exp(rng.normal(5, 1, len(org)))) + 1
    log_c = 7 + theta * np.log(b) + noise * (rng.normal(0, 1, 40)[org] + rng.normal(0, 1, len(org)))
    return pd.DataFrame(
        {
            "org_name": [f"org{k}" for k in org],
            "year": np.where(np.arange(len(org)) % 2 == 0, 2018, 2019),
            "sector": np.where(np.arange(len(org)) % 3 == 0, "health", "education"),
            "expenditure_yuan": np.exp(log_c) * b,
            "beneficiaries": pd.array(b.astype(int), dtype="Int64"),
        }
    )


def test_an_exact_curve_gives_its_elasticity_and_marginal_cost():
    d = planted(-0.3, 0.0)
    t = fit_scale_elasticity(d, sizes="project")
    assert list(t.columns) == ELASTICITY_COLUMNS
    t = t.set_index("term")
    assert t.loc["elasticity", "estimate"] == pytest.approx(-0.3, abs=1e-10)
    ratio = d["expenditure_yuan"].sum() / d["beneficiaries"].sum()
    assert t.loc["average_cost", "estimate"] == pytest.approx(ratio, rel=1e-12)
    assert t.loc["marginal_cost", "estimate"] == pytest.approx(0.7 * ratio, rel=1e-10)
    # Spending s = e^7 b^0.7: its elasticity in spending is -0.3 / 0.7, and R / (1 - that) = 0.7 R.
    s = fit_scale_elasticity(d, sizes="project", measure="expenditure").set_index("term")
    assert s.loc["elasticity", "estimate"] == pytest.approx(-0.3 / 0.7, abs=1e-10)
    assert s.loc["marginal_cost", "estimate"] == pytest.approx(0.7 * ratio, rel=1e-10)


def test_elasticity_equals_statsmodels_with_clusters_and_t_of_g_minus_1():
    d = planted(-0.2, 0.4, seed=3)
    t = fit_scale_elasticity(d, sizes="project", fixed_effects=("year", "sector"), ci=0.9)
    row = t.set_index("term").loc["elasticity"]
    y = np.log(d["expenditure_yuan"] / d["beneficiaries"].astype(float))
    x = pd.get_dummies(d[["year", "sector"]].astype(str), drop_first=True, dtype=float)
    x.insert(0, "log_b", np.log(d["beneficiaries"].astype(float)))
    groups = pd.factorize(d["org_name"])[0]
    fit = sm.OLS(y, sm.add_constant(x)).fit(cov_type="cluster", cov_kwds={"groups": groups})
    assert row["estimate"] == pytest.approx(fit.params["log_b"], rel=1e-10)
    assert row["std_error"] == pytest.approx(fit.bse["log_b"], rel=1e-10)
    half = stats.t.ppf(0.95, 40 - 1) * fit.bse["log_b"]
    assert row["ci_high"] - row["ci_low"] == pytest.approx(2 * half, rel=1e-10)
    assert row["n_clusters"] == 40 and row["n_obs"] == 200
    assert "year, sector" in row["inference"]


def test_marginal_cost_interval_equals_the_stacked_regression_oracle():
    """The covariance of (elasticity, ratio) from one statsmodels fit of both equations stacked
    (the ratio of totals as least squares of s / sqrt(b) on sqrt(b)), clustered by organization,
    put on the function's small-sample factors; the delta method then gives the same interval."""
    d = planted(-0.2, 0.5, seed=5)
    out = fit_scale_elasticity(d, sizes="project", fixed_effects=()).set_index("term")
    n, g = len(d), 40
    s, b = d["expenditure_yuan"].to_numpy(), d["beneficiaries"].to_numpy(float)
    x = np.zeros((2 * n, 3))
    x[:n, 0], x[:n, 1], x[n:, 2] = 1.0, np.log(b), np.sqrt(b)
    y = np.concatenate([np.log(s / b), s / np.sqrt(b)])
    groups = np.tile(pd.factorize(d["org_name"])[0], 2)
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    raw = fit.cov_params()[1:, 1:] / (g / (g - 1) * (2 * n - 1) / (2 * n - 3))  # bread-meat-bread
    k = 2  # intercept and slope of the cost equation
    scale = np.array([np.sqrt((n - 1) / (n - k)), 1.0])
    cov = g / (g - 1) * raw * np.outer(scale, scale)
    theta, ratio = fit.params[1], fit.params[2]
    grad = np.array([ratio, 1 + theta])
    assert out.loc["marginal_cost", "estimate"] == pytest.approx((1 + theta) * ratio, rel=1e-10)
    assert out.loc["marginal_cost", "std_error"] == pytest.approx(
        np.sqrt(grad @ cov @ grad), rel=1e-8
    )
    assert out.loc["average_cost", "std_error"] == pytest.approx(np.sqrt(cov[1, 1]), rel=1e-8)
    assert out.loc["elasticity", "std_error"] == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-8)


def test_average_cost_interval_is_the_cost_estimators_delta_interval(demo_data):
    t = fit_scale_elasticity(demo_data, sizes="organization").set_index("term")
    c = estimate_cost_per_beneficiary(demo_data, bootstrap_reps=0)
    c = c[c["estimator"] == "ratio_of_totals"].iloc[0]
    avg = t.loc["average_cost"]
    assert avg["estimate"] == pytest.approx(c["estimate"], rel=1e-12)
    assert avg["ci_low"] == pytest.approx(c["delta_low"], rel=1e-10)
    assert avg["ci_high"] == pytest.approx(c["delta_high"], rel=1e-10)
    assert avg["n_obs"] == c["n_projects"]


def test_on_the_demo_the_beneficiary_slope_is_mechanical_and_the_spending_slope_small(demo_data):
    """The demo draws spending and cost per person independently (beneficiaries = spending / cost),
    so the slope on beneficiaries is strongly negative without any economy of scale, and the slope
    on spending is near 0: the caveat the note states."""
    ben = fit_scale_elasticity(demo_data).set_index(["model", "term"])
    spend = fit_scale_elasticity(demo_data, measure="expenditure").set_index(["model", "term"])
    assert ben.loc[("scale_project", "elasticity"), "ci_high"] < -0.15
    assert abs(spend.loc[("scale_project", "elasticity"), "estimate"]) < 0.05
    assert abs(spend.loc[("scale_organization", "elasticity"), "estimate"]) < 0.05
    assert "division bias" in ben["note"].iloc[0] and "chosen, not assigned" in ben["note"].iloc[0]
    assert "spending is on both sides" in spend["note"].iloc[0]


@pytest.mark.parametrize(
    "call, kwargs, message",
    [
        (cost_by_size, {"sizes": "county"}, "sizes must be"),
        (cost_by_size, {"sizes": ()}, "sizes must be"),
        (cost_by_size, {"measure": "households"}, "measure must be"),
        (cost_by_size, {"bins": 1}, "bins must be"),
        (cost_by_size, {"bootstrap_reps": -5}, "bootstrap_reps must be"),
        (cost_by_size, {"by": "sector"}, "lacks column"),
        (cost_by_size, {"ci": 2.0}, "ci must be"),
        (fit_scale_elasticity, {"fixed_effects": ("sector",)}, "lacks column"),
        (fit_scale_elasticity, {"fixed_effects": "year"}, "fixed_effects must be"),
        (fit_scale_elasticity, {"person_times": "both"}, "person_times"),
        (fit_scale_elasticity, {"base_year": 2018.5}, "base_year"),
    ],
)
def test_options_are_checked_before_any_work(call, kwargs, message):
    with pytest.raises(ParameterError, match=message):
        call(tiny(), **kwargs)


def test_a_table_without_usable_projects_is_refused_in_one_line():
    empty = tiny().assign(beneficiaries=pd.array([None] * 8, dtype="Int64"))
    for call in (cost_by_size, fit_scale_elasticity):
        with pytest.raises(ParameterError, match="no project with spending, beneficiaries"):
            call(empty)
