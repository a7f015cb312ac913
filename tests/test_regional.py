"""Regional effects: an oracle for clustered errors, missing clusters, bad options, planted effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.errors import ParameterError
from analysis.estimate.models import EFFECT_COLUMNS
from analysis.estimate.regional import fit_baseline, fit_spending_shift, regional_effects


def simulated_projects(seed: int = 0, n: int = 600, n_orgs: int = 60, effect: float = 0.3):
    rng = np.random.default_rng(seed)
    org = rng.integers(0, n_orgs, n)
    deep = rng.random(n) < 0.3
    sector = rng.choice(["industry", "education", "health"], n)
    year = rng.choice([2017, 2018, 2019], n)
    u = rng.normal(0, 0.4, n_orgs)[org]
    log_c = 8 + effect * deep + 0.5 * (sector == "health") + u + rng.normal(0, 0.5, n)
    spend = rng.lognormal(13, 1, n)
    return pd.DataFrame(
        {
            "org_name": [f"org{i}" for i in org],
            "deep_poverty_area": deep,
            "sector": sector,
            "year": year,
            "province": "Yunnan",
            "expenditure_yuan": spend,
            "beneficiaries": pd.array(
                np.maximum(1, np.round(spend / np.exp(log_c))), dtype="Int64"
            ),
        }
    )


def oracle_cluster_ols(df):
    """Plain numpy: OLS and CR1 cluster-robust errors with statsmodels' small-sample factor."""
    y = np.log(df["expenditure_yuan"] / df["beneficiaries"].astype(float)).to_numpy()
    x = pd.get_dummies(df[["sector", "year"]].astype(str), drop_first=True, dtype=float)
    x.insert(0, "deep", df["deep_poverty_area"].astype(float))
    x.insert(0, "const", 1.0)
    xm = x.to_numpy()
    beta, *_ = np.linalg.lstsq(xm, y, rcond=None)
    resid = y - xm @ beta
    bread = np.linalg.inv(xm.T @ xm)
    groups = pd.factorize(df["org_name"])[0]
    meat = np.zeros((xm.shape[1], xm.shape[1]))
    for g in np.unique(groups):
        s = xm[groups == g].T @ resid[groups == g]
        meat += np.outer(s, s)
    n, k, g = len(y), xm.shape[1], len(np.unique(groups))
    cov = bread @ meat @ bread * (g / (g - 1)) * ((n - 1) / (n - k))
    se = np.sqrt(cov[1, 1])
    p = 2 * stats.t.sf(abs(beta[1] / se), df=g - 1)
    return beta[1], se, p, g


def test_baseline_matches_a_plain_numpy_oracle():
    df = simulated_projects()
    got = fit_baseline(df, errors="cr1").set_index("term").loc["deep_poverty_area"]
    est, se, p, g = oracle_cluster_ols(df)
    assert got["estimate"] == pytest.approx(est, rel=1e-9)
    assert got["std_error"] == pytest.approx(se, rel=1e-9)
    assert got["p_value"] == pytest.approx(p, rel=1e-6)
    assert got["n_clusters"] == g
    half = stats.t.ppf(0.975, g - 1) * se
    assert got["ci_low"] == pytest.approx(est - half, rel=1e-9)


def test_the_default_errors_are_the_larger_of_cr3_and_two_way_by_place():
    """The headline takes the larger SE of CR3 by organization and CR1 two-way by organization and
    place (prefecture, else province); each equals statsmodels fitted directly."""
    import statsmodels.formula.api as smf

    from analysis.estimate.models import BASELINE_FORMULA, project_sample

    df = simulated_projects().assign(province=lambda d: np.where(d.index % 3 == 0, "A", "B"))
    df["prefecture"] = pd.Series(np.where(df.index % 2 == 0, df.index % 7, None)).astype("string")
    use, _ = project_sample(df)
    place = use["prefecture"].fillna("province:" + use["province"].astype(str))
    model = smf.ols(BASELINE_FORMULA, data=use)
    org = pd.factorize(use["org_name"])[0]
    cr3 = model.fit(cov_type="cluster-crv3", cov_kwds={"groups": org}, use_t=True).bse["deep"]
    both = np.column_stack([org, pd.factorize(place)[0]])
    two = model.fit(cov_type="cluster", cov_kwds={"groups": both}, use_t=True).bse["deep"]
    got = fit_baseline(df).set_index("term").loc["deep_poverty_area"]
    assert got["std_error"] == pytest.approx(max(cr3, two), rel=1e-9)
    assert ("two-way" if two > cr3 else "CR3") in got["inference"].split(",")[0]
    assert fit_baseline(df, errors="cr3").iloc[0]["std_error"] == pytest.approx(cr3, rel=1e-9)
    assert fit_baseline(df, errors="twoway").iloc[0]["std_error"] == pytest.approx(two, rel=1e-9)
    with pytest.raises(ParameterError, match="errors must be one of"):
        fit_baseline(df, errors="hc1")


def test_rows_with_a_missing_cluster_are_dropped_with_their_cluster():
    df = simulated_projects(seed=1)
    holed = df.copy()
    holed.loc[[3, 50, 51, 400], "org_name"] = None
    a = fit_baseline(holed)
    b = fit_baseline(df.drop(index=[3, 50, 51, 400]))
    pd.testing.assert_frame_equal(a, b)


def test_a_single_cluster_stops_with_a_clear_message():
    df = simulated_projects().assign(org_name="only one")
    with pytest.raises(ParameterError, match="1 cluster"):
        fit_baseline(df)


def test_options_are_checked_before_fitting():
    df = simulated_projects()
    with pytest.raises(ParameterError, match="ci must be"):
        fit_baseline(df, ci=95)
    with pytest.raises(ParameterError, match="lacks column"):
        fit_baseline(df.drop(columns="sector"))
    with pytest.raises(ParameterError, match="start=2030"):
        fit_spending_shift(df, start=2030)
    with pytest.raises(ParameterError, match="ci must be"):
        fit_spending_shift(df, ci=1.5)


@pytest.mark.parametrize("inside", [True, False])
def test_a_sample_all_in_or_all_outside_sanqu_sanzhou_is_refused_not_given_a_number(inside):
    """Without a 三区三州 contrast least squares returned 0 (SE 0) or a number like -5e11."""
    from analysis.estimate.provinces import fit_province_effects
    from analysis.estimate.regional import fit_baseline_unknown_bounds
    from analysis.estimate.weightings import fit_baseline_weightings

    df = simulated_projects(seed=2).assign(deep_poverty_area=inside)
    df["province"] = np.where(np.arange(len(df)) % 2, "Yunnan", "Gansu")
    where = "in" if inside else "outside"
    for fit in (fit_baseline, fit_baseline_unknown_bounds, fit_baseline_weightings):
        with pytest.raises(ParameterError, match=f"projects of the sample are {where} it"):
            fit(df)
    with pytest.raises(ParameterError, match="both in and outside"):
        fit_province_effects(df, control_deep=True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"reps": 10}, "reps must be"), ({"seed": -1}, "seed must be"), ({"start": 2030}, "start=")],
)
def test_regional_effects_checks_the_shifts_options_before_any_fit(monkeypatch, kwargs, message):
    import analysis.estimate.regional as regional

    def no_work(*args, **kwargs):
        raise AssertionError("a model was fitted before the options were checked")

    fits = tuple((name, no_work, takes) for name, _, takes in regional.REGIONAL_EFFECTS_FITS)
    monkeypatch.setattr(regional, "REGIONAL_EFFECTS_FITS", fits)
    with pytest.raises(ParameterError, match=message):
        regional_effects(simulated_projects(), **kwargs)


def test_multi_province_rows_are_left_out_of_the_regional_models():
    df = simulated_projects()
    base = fit_baseline(df)
    extra = df.iloc[:5].assign(province="multiple", expenditure_yuan=1e9)
    again = fit_baseline(pd.concat([df, extra], ignore_index=True))
    pd.testing.assert_frame_equal(base, again)


def test_planted_effects_are_recovered_on_the_demo_register(demo_data, demo_truth):
    table = regional_effects(demo_data)
    assert list(table.columns) == [*EFFECT_COLUMNS, "inference"]  # the baseline rows name it
    t = table.set_index(["model", "term"])
    est = demo_truth["estimands"]
    base = t.loc[("baseline", "deep_poverty_area")]
    assert base["ci_low"] <= est["baseline.deep_poverty_area"] <= base["ci_high"]
    did = t.loc[("did", "deep_poverty_area:post2017")]
    assert did["ci_low"] <= est["did.deep_poverty_area:post2017"] <= did["ci_high"]
    sectors = demo_truth["planted"]["log_cost_per_beneficiary"]["sector_effect_vs_industry"]
    for sector, value in sectors.items():
        if sector != "industry":
            row = t.loc[("baseline", f"sector[{sector}]")]
            assert row["ci_low"] <= value <= row["ci_high"], (sector, value)
    assert base["n_clusters"] == 67  # two-way: min(940 organizations, 67 places)


def test_event_study_reference_is_the_last_year_before_the_policy_or_the_one_asked(demo_data):
    es = fit_spending_shift(demo_data).query("model == 'event_study'").set_index("term")
    assert es.loc["deep_poverty_area:2016", "estimate"] == 0.0
    assert set(es.index) == {f"deep_poverty_area:{y}" for y in range(2016, 2021)}
    # A register starting earlier: the reference is still the last year before start (not the first
    # year of the data), and reference_year moves it; a year at or after start is refused.
    rng = np.random.default_rng(4)
    rows = [
        (p, deep, y, float(np.exp(rng.normal(16, 0.3) + 0.4 * (deep and y >= 2017))))
        for p in ("Sichuan", "Yunnan", "Gansu", "Hebei", "Henan")
        for deep in (True, False)
        for y in range(2014, 2021)
    ]
    data = pd.DataFrame(rows, columns=["province", "deep_poverty_area", "year", "expenditure_yuan"])
    es = fit_spending_shift(data).query("model == 'event_study'").set_index("term")
    zero = es.index[(es["estimate"] == 0) & es["p_value"].isna()]
    assert list(zero) == ["deep_poverty_area:2016"]
    assert list(es.index) == [f"deep_poverty_area:{y}" for y in range(2014, 2021)]
    es = fit_spending_shift(data, reference_year=2014).query("model == 'event_study'")
    assert es.set_index("term").loc["deep_poverty_area:2014", "std_error"] == 0
    with pytest.raises(
        ParameterError, match="reference_year=2017 must be a year of the data before"
    ):
        fit_spending_shift(data, reference_year=2017)


def test_spending_weighted_and_ppml_baselines_equal_statsmodels_fitted_directly(demo_data):
    """The weighted contrasts against WLS and a Poisson GLM written out here from the data."""
    import statsmodels.api as sm

    from analysis.estimate.weightings import fit_baseline_weightings

    t = fit_baseline_weightings(demo_data).set_index("model")
    d = demo_data
    keep = (
        (d["expenditure_yuan"] > 0)
        & (d["beneficiaries"].fillna(0) > 0)
        & (d["province"] != "multiple")
        & d["deep_poverty_area"].notna()
        & d["org_name"].notna()
    )
    d = d[keep]
    x = pd.get_dummies(d[["sector", "year"]].astype(str), drop_first=False, dtype=float).drop(
        columns=["sector_industry", f"year_{sorted(d['year'].astype(str))[0]}"]
    )
    x.insert(0, "deep", d["deep_poverty_area"].astype(float))
    x = sm.add_constant(x)
    groups = pd.factorize(d["org_name"])[0]
    spend = d["expenditure_yuan"].astype(float)
    persons = d["beneficiaries"].astype(float)
    wls = sm.WLS(np.log(spend / persons), x, weights=spend).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    glm = sm.GLM(persons, x, family=sm.families.Poisson(), offset=np.log(spend)).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    assert t.loc["baseline_spending_weighted", "estimate"] == pytest.approx(
        wls.params["deep"], abs=1e-9
    )
    assert t.loc["baseline_spending_weighted", "std_error"] == pytest.approx(
        wls.bse["deep"], abs=1e-9
    )
    assert t.loc["baseline_ppml", "estimate"] == pytest.approx(-glm.params["deep"], abs=1e-7)
    assert t.loc["baseline_ppml", "std_error"] == pytest.approx(glm.bse["deep"], abs=1e-7)
    assert (t["n_obs"] == len(d)).all()


def test_regional_effects_holds_the_three_weightings(demo_data):
    t = regional_effects(demo_data)
    models = set(t.loc[t["term"] == "deep_poverty_area", "model"])
    assert {"baseline", "baseline_spending_weighted", "baseline_ppml"} <= models
