"""The robustness table of the regional headlines: each row equals the model it names fitted directly
(statsmodels, or the package's own estimator on the changed sample), on the demo register and on tiny
panels built by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from linearmodels.panel import PanelOLS

from analysis.errors import ParameterError
from analysis.estimate.models import BASELINE_FORMULA, project_sample
from analysis.estimate.regional import fit_spending_shift
from analysis.estimate.robustness import (
    ROBUSTNESS_COLUMNS,
    baseline_robustness,
    shift_robustness,
)
from analysis.present.readings import exit_text, province_text, robustness_text

# The tests reading baseline_table run on one worker, which fits the table once.
BASELINE_TABLE = pytest.mark.xdist_group("robustness_baseline_table")


@pytest.fixture(scope="module")
def baseline_table(demo_data):
    return baseline_robustness(demo_data).set_index("model")


@BASELINE_TABLE
def test_baseline_rows_and_columns(baseline_table):
    assert list(baseline_table.reset_index().columns) == ROBUSTNESS_COLUMNS
    assert list(baseline_table.index) == [
        "baseline",
        "cluster_org_cr3",
        "cluster_org",
        "cluster_prefecture",
        "cluster_province",
        "cluster_twoway",
        "org_fixed_effects",
        "baseline_unknown_as_deep",
        "baseline_unknown_as_not_deep",
        "leave_one_province_out_min",
        "leave_one_province_out_max",
    ]


@BASELINE_TABLE
def test_the_widest_clustering_is_flagged(baseline_table):
    clustering = baseline_table.loc[
        [
            "baseline",
            "cluster_org_cr3",
            "cluster_org",
            "cluster_prefecture",
            "cluster_province",
            "cluster_twoway",
        ]
    ]
    assert clustering["largest_se"].sum() == 1
    assert clustering["std_error"].idxmax() == clustering.index[clustering["largest_se"]][0]
    assert clustering["estimate"].nunique() == 1  # only the errors change


@BASELINE_TABLE
def test_prefecture_clustering_equals_statsmodels_with_province_where_no_prefecture(
    demo_data, baseline_table
):
    use, _ = project_sample(demo_data)
    use = use[use["org_name"].notna()]
    place = (
        use["prefecture"]
        .astype(object)
        .where(use["prefecture"].notna(), "province:" + use["province"].astype(str))
    )
    fit = smf.ols(BASELINE_FORMULA, data=use).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(place)[0]}, use_t=True
    )
    row = baseline_table.loc["cluster_prefecture"]
    assert row["std_error"] == pytest.approx(fit.bse["deep"], rel=1e-9)
    assert row["n_clusters"] == place.nunique()


@BASELINE_TABLE
def test_org_fixed_effects_equal_linearmodels_with_nested_effects(demo_data, baseline_table):
    use, _ = project_sample(demo_data)
    use = use[use["org_name"].notna()].reset_index(drop=True)
    x = pd.get_dummies(use[["sector", "year"]].astype(str), drop_first=True, dtype=float)
    x.insert(0, "deep", use["deep"].astype(float))
    frame = pd.concat([x, use[["log_cpb"]]], axis=1)
    frame.index = pd.MultiIndex.from_arrays([use["org_name"], np.arange(len(use))])
    res = PanelOLS(frame["log_cpb"], frame[x.columns], entity_effects=True).fit(
        cov_type="clustered", cluster_entity=True, debiased=False
    )
    row = baseline_table.loc["org_fixed_effects"]
    assert row["estimate"] == pytest.approx(res.params["deep"], abs=1e-9)
    # linearmodels with debiased=False: the plain sandwich. The nested convention multiplies it by
    # G/(G-1) * (N-1)/(N-K), K the regressors only (the organization effects are nested in the
    # organization clusters, as fixest and reghdfe count them).
    n, k, g = len(use), x.shape[1], use["org_name"].nunique()
    se = res.std_errors["deep"] * np.sqrt(g / (g - 1) * (n - 1) / (n - k))
    assert row["std_error"] == pytest.approx(se, rel=1e-6)


@BASELINE_TABLE
def test_leave_one_province_out_is_the_range_of_a_direct_loop(demo_data, baseline_table):
    use, _ = project_sample(demo_data)
    estimates = {}
    for province in use["province"].astype(str).unique():
        rest = use[use["province"].astype(str) != province]
        if rest["deep"].nunique() == 2:
            estimates[province] = smf.ols(BASELINE_FORMULA, data=rest).fit().params["deep"]
    low, high = min(estimates.values()), max(estimates.values())
    assert baseline_table.loc["leave_one_province_out_min", "estimate"] == pytest.approx(low)
    assert baseline_table.loc["leave_one_province_out_max", "estimate"] == pytest.approx(high)
    lowest = min(estimates, key=estimates.get)
    assert f"without {lowest} " in baseline_table.loc["leave_one_province_out_min", "check"]


@pytest.fixture(scope="module")
def shift_table(demo_data):
    return shift_robustness(demo_data).set_index("model")


def test_shift_rows_equal_the_shift_fitted_on_the_changed_sample(demo_data, shift_table):
    term = "deep_poverty_area:post2017"
    reported = fit_spending_shift(demo_data).set_index("term").loc[term]
    assert shift_table.loc["did", "estimate"] == pytest.approx(reported["estimate"], abs=1e-12)
    for end in ("ci_low", "ci_high", "p_value"):  # the wild interval, the same draws
        assert shift_table.loc["did", end] == pytest.approx(reported[end], abs=1e-12)
    without = fit_spending_shift(demo_data[demo_data["year"] != 2017]).set_index("term").loc[term]
    assert shift_table.loc["did_without_2017", "estimate"] == pytest.approx(without["estimate"])
    assert shift_table.loc["did_without_2017", "ci_low"] == pytest.approx(without["ci_low"])
    deep_provinces = demo_data.loc[
        demo_data["deep_poverty_area"].fillna(False).astype(bool), "province"
    ]
    pure = demo_data[
        demo_data["deep_poverty_area"].fillna(False).astype(bool)
        | ~demo_data["province"].isin(set(deep_provinces))
    ]
    got = fit_spending_shift(pure).set_index("term").loc[term]
    assert shift_table.loc["did_pure_controls", "estimate"] == pytest.approx(got["estimate"])
    assert shift_table.loc["did_pure_controls", "n_clusters"] == 31


def _tiny_register(years, spend):
    """Two provinces, each an area inside 三区三州 and one outside; one project per area-year with the
    spending given (a 0 leaves the area-year empty)."""
    rows = []
    for (province, deep), amounts in spend.items():
        for year, amount in zip(years, amounts, strict=True):
            if amount > 0:
                rows.append((province, deep, year, float(amount)))
    return pd.DataFrame(rows, columns=["province", "deep_poverty_area", "year", "expenditure_yuan"])


def test_ppml_counts_an_empty_area_year_that_the_log_drops():
    years = [2015, 2016, 2017, 2018]
    spend = {
        ("A", True): [10, 12, 30, 33],
        ("A", False): [20, 22, 21, 0],  # empty in 2018: dropped by the log, 0 in PPML
        ("B", True): [5, 6, 14, 16],
        ("B", False): [8, 9, 9, 10],
        ("C", False): [7, 8, 8, 9],
    }
    data = _tiny_register(years, {k: np.array(v) * 1e6 for k, v in spend.items()})
    with pytest.warns(UserWarning, match="only 5 areas: too few for the wild bootstrap"):
        table = shift_robustness(data, start=2017).set_index("model")
    row = table.loc["did_ppml_levels"]
    grid = pd.DataFrame(
        [
            (f"{p}{d}", y, a * 1e6 / 1e8, int(d and y >= 2017))
            for (p, d), v in spend.items()
            for y, a in zip(years, v, strict=True)
        ],
        columns=["area", "year", "spend", "treat_post"],
    )
    fit = smf.glm(
        "spend ~ treat_post + C(area) + C(year)", data=grid, family=sm.families.Poisson()
    ).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(grid["area"])[0]})
    assert row["estimate"] == pytest.approx(fit.params["treat_post"], rel=1e-6)
    assert row["std_error"] == pytest.approx(fit.bse["treat_post"], rel=1e-6)
    assert row["n_obs"] == 20
    assert "(1 empty ones as 0)" in row["check"]
    pure = table.loc["did_pure_controls"]  # 3 areas: an estimate, no wild interval
    assert np.isfinite(pure["estimate"]) and np.isnan(pure["ci_low"]) and np.isnan(pure["p_value"])


def test_placebo_year_on_the_pre_period_when_there_are_two_pre_years():
    years = [2015, 2016, 2017, 2018]
    rng = np.random.default_rng(3)
    spend = {(p, d): np.exp(rng.normal(16, 0.3, 4)) for p in "ABCD" for d in (True, False)}
    data = _tiny_register(years, spend)
    table = shift_robustness(data, start=2017).set_index("model")
    placebo = table.loc["did_placebo"]
    direct = fit_spending_shift(data[data["year"] < 2017], start=2016).set_index("term")
    assert placebo["term"] == "deep_poverty_area:post2016"
    assert placebo["estimate"] == pytest.approx(
        direct.loc["deep_poverty_area:post2016", "estimate"]
    )
    one_pre = shift_robustness(data[data["year"] >= 2016], start=2017).set_index("model")
    assert np.isnan(one_pre.loc["did_placebo", "estimate"])
    assert one_pre.loc["did_placebo", "check"].startswith("not estimable: 1 pre-period year")


def test_options_are_checked_first(demo_data):
    with pytest.raises(ParameterError, match="ci must be between"):
        baseline_robustness(demo_data, ci=95)
    with pytest.raises(ParameterError, match="start=2030"):
        shift_robustness(demo_data, start=2030)
    with pytest.raises(ParameterError, match="prefecture"):
        baseline_robustness(demo_data.drop(columns="prefecture"))


def test_robustness_text_reads_the_numbers_of_the_table():
    rows = [
        ("baseline", 0.30, 0.02, 0.26, 0.34, "as reported", False),
        ("cluster_prefecture", 0.30, 0.03, 0.24, 0.36, "CR1 clustered by prefecture", True),
        ("leave_one_province_out_min", 0.25, 0.02, 0.21, 0.29, "without Tibet", pd.NA),
        ("did", 0.40, 0.20, -0.01, 0.81, "as reported", pd.NA),
        ("did_ppml_levels", 0.50, 0.20, 0.10, 0.90, "PPML", pd.NA),
        (
            "did_placebo",
            np.nan,
            np.nan,
            np.nan,
            np.nan,
            "not estimable: one pre-period year",
            pd.NA,
        ),
    ]
    table = pd.DataFrame(
        rows,
        columns=["model", "estimate", "std_error", "ci_low", "ci_high", "check", "largest_se"],
    )
    text = robustness_text(table)
    assert "across the 3 checks the 三区三州 coefficient lies between 0.250 and 0.300" in text
    assert "(+28% to +35% in cost per beneficiary)" in text
    assert '"CR1 clustered by prefecture": SE 0.0300 against 0.0200 as reported' in text
    assert "read [0.240, 0.360]" in text
    assert "between 0.400 and 0.500 log points; intervals that exclude 0: 1 of 2" in text
    assert "`did_placebo`: not estimable: one pre-period year." in text
    below = table.assign(
        estimate=-table["estimate"], ci_low=-table["ci_high"], ci_high=-table["ci_low"]
    )
    assert "intervals that exclude 0: 1 of 2" in robustness_text(below)  # wholly below 0 too


def test_province_text_reads_both_models():
    def block(suffix, sd, f, p, intervals):
        rows = [(f"province_random_effects{suffix}", "between_province_sd", sd, np.nan, 0, 0, 0, 0)]
        for i, (lo, hi, slo, shi) in enumerate(intervals):
            rows.append(
                (
                    f"province_random_effects{suffix}",
                    f"province[P{i}]",
                    0.0,
                    np.nan,
                    lo,
                    hi,
                    slo,
                    shi,
                )
            )
        rows.append((f"province_joint_test{suffix}", "all provinces", f, p, 0, 0, 0, 0))
        return rows

    cols = ["model", "term", "estimate", "p_value", "ci_low", "ci_high"]
    cols += ["ci_low_simultaneous", "ci_high_simultaneous"]
    table = pd.DataFrame(
        block(
            "",
            0.08,
            5.0,
            0.0001,
            [(0.1, 0.2, -0.1, 0.3), (0.1, 0.2, 0.05, 0.3), (-0.1, 0.1, -0.2, 0.2)],
        )
        + block("_given_deep", 0.0, 1.2, 0.2, [(-0.1, 0.1, -0.2, 0.2)] * 3),
        columns=cols,
    )
    text = province_text(table)
    untested = province_text(table.assign(estimate=np.nan, p_value=np.nan).fillna({"term": ""}))
    assert "no joint test of the province effects (too few clusters)" in untested
    assert "Without the 三区三州 control: between-province SD 0.080 log points" in text
    assert "F = 5.00, p < 0.001; 2 of 3 provinces' 95% intervals exclude 0, 1 when" in text
    assert (
        "With it: between-province SD 0.000 log points; joint test of the province effects F = 1.20, p = 0.200; 0 of 3"
        in text
    )


def test_a_check_that_cannot_be_estimated_says_why_in_its_row():
    """Every province holds a 三区三州 area: no pure control is left, and the row says so."""
    years = [2015, 2016, 2017, 2018]
    rng = np.random.default_rng(8)
    spend = {(p, d): np.exp(rng.normal(16, 0.3, 4)) for p in "ABCDEFG" for d in (True, False)}
    table = shift_robustness(_tiny_register(years, spend), start=2017).set_index("model")
    pure = table.loc["did_pure_controls"]
    assert np.isnan(pure["estimate"]) and pd.isna(pure["n_clusters"])
    assert "not estimable (the regressors are collinear" in pure["check"]
    assert np.isfinite(table.loc["did", "estimate"])


def test_a_register_of_one_province_gives_the_table_with_empty_rows_that_say_why():
    rng = np.random.default_rng(4)
    n = 400
    org = rng.integers(0, 40, n)
    spend = np.exp(rng.normal(13, 1, n))
    data = pd.DataFrame(
        {
            "org_name": [f"org{i}" for i in org],
            "deep_poverty_area": rng.random(n) < 0.4,
            "sector": rng.choice(["industry", "health"], n),
            "year": rng.choice([2017, 2018, 2019], n),
            "province": "Sichuan",
            "prefecture": rng.choice(["P1", "P2", "P3", "P4"], n),
            "expenditure_yuan": spend,
            "beneficiaries": np.maximum(1, np.round(spend / np.exp(rng.normal(8, 0.5, n)))),
        }
    )
    table = baseline_robustness(data).set_index("model")
    assert np.isfinite(table.loc["baseline", "estimate"])
    assert np.isfinite(table.loc["cluster_prefecture", "estimate"])
    province = table.loc["cluster_province"]
    assert np.isnan(province["estimate"]) and "1 cluster(s)" in province["check"]
    assert not table.loc["cluster_province", "largest_se"]
    for model in ("leave_one_province_out_min", "leave_one_province_out_max"):
        assert (
            np.isnan(table.loc[model, "estimate"]) and "not estimable" in table.loc[model, "check"]
        )


def test_the_ppml_row_is_empty_when_every_area_is_in_sanqu_sanzhou():
    """No control area: every shift row says why; PPML returned 0.40 with an SE of millions."""
    years = [2015, 2016, 2017, 2018]
    spend = {(p, True): [10 + i, 12, 30, 33 + i] for i, p in enumerate("ABCD")}
    table = shift_robustness(_tiny_register(years, spend), start=2017).set_index("model")
    assert table["estimate"].isna().all()
    assert "not estimable (no 三区三州 contrast" in table.loc["did_ppml_levels", "check"]


def test_exit_text_reads_the_contrast_and_both_event_studies():
    rows = [
        ("poverty_county_contrast", "poverty_county", 0.2, 0.1, 0.3),
        ("exit_event_study", "exit:-2", 0.01, -0.1, 0.1),
        ("exit_event_study", "exit:0", 0.1, 0.0, 0.2),
        ("exit_event_study", "exit:1", 0.5, 0.3, 0.7),
        ("exit_twfe", "exit:0", 0.12, 0.0, 0.2),
        ("exit_twfe", "exit:1", 0.3, 0.1, 0.5),
    ]
    text = exit_text(pd.DataFrame(rows, columns=["model", "term", "estimate", "ci_low", "ci_high"]))
    assert (
        "cost 0.200 log points (+22%) more per beneficiary than in other counties [0.100, 0.300]"
        in text
    )
    assert "`exit:0` (0 years after exit): 0.100 [0.000, 0.200]; plain TWFE 0.120." in text
    assert "exit:-2" not in text
    assert "The two differ most at `exit:1`, by 0.200 log points." in text
