"""Province effects, heterogeneity, few-cluster inference and regression tables: oracles (linearmodels,
a slow leave-one-cluster-out loop, multipletests), planted effects and coverage on seeded simulations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels.iv import IV2SLS
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis.errors import ParameterError
from analysis.estimate.inference import baseline_inference
from analysis.estimate.models import EFFECT_COLUMNS
from analysis.estimate.provinces import SIMULTANEOUS, fit_heterogeneity, fit_province_effects
from analysis.estimate.regional import fit_baseline, fit_spending_shift
from analysis.present.tables import regression_table

SECTORS = ["industry", "education", "health"]


def projects(
    seed: int,
    n: int = 300,
    n_orgs: int = 40,
    effect=0.3,
    sd_org: float = 0.35,
    sd_noise: float = 0.6,
    n_provinces: int = 1,
) -> pd.DataFrame:
    """A small register drawn from the demo's model: log cost = 8 + sector + effect * deep + org + e.

    ``effect`` is a number or a dict {sector: effect}. Every organization runs at least one project.
    """
    rng = np.random.default_rng(seed)
    org = np.r_[np.arange(n_orgs), rng.integers(0, n_orgs, n - n_orgs)]
    deep = rng.random(n) < 0.3
    sector = rng.choice(SECTORS, n)
    year = rng.choice([2017, 2018, 2019], n)
    beta = np.array([effect[s] for s in sector]) if isinstance(effect, dict) else effect
    log_c = (
        8
        + beta * deep
        + 0.5 * (sector == "health")
        + rng.normal(0, sd_org, n_orgs)[org]
        + rng.normal(0, sd_noise, n)
    )
    spend = np.exp(rng.normal(13, 1, n))
    return pd.DataFrame(
        {
            "org_name": [f"org{i}" for i in org],
            "org_type": np.array(["foundation", "social_group"])[org % 2],
            "deep_poverty_area": deep,
            "sector": sector,
            "year": year,
            "province": [f"P{i}" for i in rng.integers(0, n_provinces, n)],
            "expenditure_yuan": spend,
            "beneficiaries": spend / np.exp(log_c),
        }
    )


# ----------------------------------------------------------------------------------------------------
# The baseline against linearmodels (an independent implementation), on the demo register


def test_baseline_matches_linearmodels_on_the_demo_register(demo_data):
    got = fit_baseline(demo_data, errors="cr1").set_index("term")
    sample = demo_data[
        (demo_data["expenditure_yuan"] > 0)
        & (demo_data["beneficiaries"].fillna(0) > 0)
        & (demo_data["province"] != "multiple")
    ]
    use = sample[sample["deep_poverty_area"].notna()]  # unknown 三区三州 status: left out, counted
    assert got.loc["deep_poverty_area", "n_unknown_excluded"] == len(sample) - len(use)
    y = np.log(use["expenditure_yuan"] / use["beneficiaries"].astype(float))
    x = pd.get_dummies(use[["sector", "year"]].astype(str), dtype=float)
    x = x.drop(columns=["sector_industry", f"year_{use['year'].min()}"])
    x.insert(0, "deep", use["deep_poverty_area"].astype(bool).astype(float))
    x.insert(0, "const", 1.0)
    codes = pd.factorize(use["org_name"])[0]
    g = len(np.unique(codes))
    # debiased=True scales linearmodels' clustered score covariance by n/(n-k) * g/(g-1) * (n-1)/n
    # = g/(g-1) * (n-1)/(n-k): the same CR1 factor as statsmodels, so the standard errors agree to
    # rounding. The reference distributions differ: linearmodels uses t(n-k), the toolkit t(G-1), so
    # p-values and intervals are compared after putting linearmodels' t-statistic on t(G-1).
    lm = IV2SLS(y, x, None, None).fit(cov_type="clustered", clusters=codes, debiased=True)
    row = got.loc["deep_poverty_area"]
    assert row["n_obs"] == lm.nobs and row["n_clusters"] == g
    assert row["estimate"] == pytest.approx(lm.params["deep"], rel=1e-9)
    assert row["std_error"] == pytest.approx(lm.std_errors["deep"], rel=1e-6)
    p = 2 * stats.t.sf(abs(lm.tstats["deep"]), g - 1)
    assert row["p_value"] == pytest.approx(p, rel=1e-6)
    half = stats.t.ppf(0.975, g - 1) * lm.std_errors["deep"]
    assert row["ci_low"] == pytest.approx(lm.params["deep"] - half, rel=1e-9)
    assert lm.pvalues["deep"] < row["p_value"]  # t(n-k) has thinner tails than t(G-1)
    for sector in ["education", "health", "relocation", "volunteer", "other"]:
        r = got.loc[f"sector[{sector}]"]
        assert r["estimate"] == pytest.approx(lm.params[f"sector_{sector}"], rel=1e-9)
        assert r["std_error"] == pytest.approx(lm.std_errors[f"sector_{sector}"], rel=1e-6)


# ----------------------------------------------------------------------------------------------------
# Province effects


def provinces(seed: int, n_provinces: int = 30, sd_prov: float = 0.4) -> pd.DataFrame:
    """Projects in 30 provinces, five of them small (4 projects), the rest 40-99 (about 60 on
    average); province intercepts with a standard deviation of exactly ``sd_prov``."""
    rng = np.random.default_rng(seed)
    sizes = np.r_[np.full(5, 4), rng.integers(40, 100, n_provinces - 5)]
    prov = np.repeat(np.arange(n_provinces), sizes)
    n = len(prov)
    z = rng.normal(0, 1, n_provinces)
    u = (z - z.mean()) / z.std(ddof=1) * sd_prov
    sector = rng.choice(SECTORS, n)
    log_c = 8 + 0.5 * (sector == "health") + u[prov] + rng.normal(0, 0.6, n)
    spend = np.exp(rng.normal(13, 1, n))
    return pd.DataFrame(
        {
            "org_name": [f"org{i}" for i in rng.integers(0, 80, n)],
            "province": [f"P{i:02d}" for i in prov],
            "deep_poverty_area": rng.random(n) < 0.3,
            "sector": sector,
            "year": rng.choice([2017, 2018, 2019], n),
            "expenditure_yuan": spend,
            "beneficiaries": spend / np.exp(log_c),
        }
    )


@pytest.fixture(scope="module")
def province_table():
    df = provinces(seed=0)
    return df, fit_province_effects(df)


def test_between_province_sd_is_recovered(province_table):
    _, table = province_table
    assert list(table.columns) == [*EFFECT_COLUMNS, *SIMULTANEOUS]
    sd = table.set_index(["model", "term"]).loc[("province_random_effects", "between_province_sd")]
    assert abs(sd["estimate"] - 0.4) < 0.1
    assert sd["ci_low"] < 0.4 < sd["ci_high"]
    assert sd["n_clusters"] == 30


def test_small_provinces_are_shrunk_towards_zero(province_table):
    _, table = province_table
    re = table[table["model"] == "province_random_effects"].set_index("term")["estimate"]
    fe = table[table["model"] == "province_fixed_effects"].set_index("term")["estimate"]
    assert len(fe) == 30 and (fe == 0).sum() == 1  # one row per province, the reference at 0
    fe = fe - fe.mean()  # the BLUPs are deviations from the average province
    re = re.drop("between_province_sd")[fe.index]
    small = [f"province[P{i:02d}]" for i in range(5)]
    large = [f"province[P{i:02d}]" for i in range(5, 30)]

    def slope(terms):  # BLUP on the centred fixed effect, through the origin
        return float((re[terms] * fe[terms]).sum() / (fe[terms] ** 2).sum())

    assert 0 < slope(small) < 0.8 < slope(large) < 1.0
    clear = [t for t in small if abs(fe[t]) > 0.1]  # away from the centring's ambiguity
    assert clear and (re[clear].abs() < fe[clear].abs()).all()


def test_deep_poverty_area_is_not_in_the_province_models(province_table):
    df, table = province_table
    assert not table["term"].str.contains("deep").any()
    flipped = fit_province_effects(df.assign(deep_poverty_area=~df["deep_poverty_area"]))
    pd.testing.assert_frame_equal(table, flipped)


def test_province_joint_test_equals_statsmodels_wald_on_a_direct_fit(province_table):
    df, table = province_table
    use = df.assign(log_cpb=np.log(df["expenditure_yuan"] / df["beneficiaries"]))
    ref = use["province"].value_counts().sort_index().idxmax()
    fit = sm.OLS.from_formula(
        f"log_cpb ~ C(sector, Treatment('industry')) + C(year) + C(province, Treatment({ref!r}))",
        data=use,
    ).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(use["org_name"])[0]}, use_t=True)
    names = [n for n in fit.params.index if n.startswith("C(province")]
    wald = fit.wald_test(", ".join(f"{n} = 0" for n in names), use_f=True, scalar=True)
    row = table.set_index("model").loc["province_joint_test"]
    assert row["term"] == "all provinces"
    assert row["estimate"] == pytest.approx(float(wald.statistic), rel=1e-9)
    assert row["p_value"] == pytest.approx(float(wald.pvalue), rel=1e-9)


def test_simultaneous_intervals_are_bonferroni_over_the_provinces(province_table):
    _, table = province_table
    blups = table[
        (table["model"] == "province_random_effects") & (table["term"] != "between_province_sd")
    ]
    m = len(blups)
    ratio = (blups["ci_high_simultaneous"] - blups["estimate"]) / (
        blups["ci_high"] - blups["estimate"]
    )
    expected = stats.norm.ppf(1 - 0.05 / (2 * m)) / stats.norm.ppf(0.975)
    assert np.allclose(ratio, expected, rtol=1e-12)
    fixed = table[(table["model"] == "province_fixed_effects") & (table["std_error"] > 0)]
    g = int(fixed["n_clusters"].iloc[0])
    half = fixed["ci_high_simultaneous"] - fixed["estimate"]
    assert np.allclose(half, stats.t.ppf(1 - 0.05 / (2 * len(fixed)), g - 1) * fixed["std_error"])


def test_no_joint_test_with_fewer_clusters_than_province_effects_and_no_province_clusters():
    """30 provinces and 6 organization types: the clustered covariance of 29 effects has rank 5 at
    most, and statsmodels' F (on rank 5, with a warning) was reported as the joint test."""
    df = provinces(seed=1)
    df["org_type"] = [f"type{i % 6}" for i in range(len(df))]
    with pytest.warns(UserWarning, match="29 province effects and only 6 clusters"):
        table = fit_province_effects(df, cluster="org_type").set_index("model")
    row = table.loc["province_joint_test"]
    assert np.isnan(row["estimate"]) and np.isnan(row["p_value"]) and row["n_clusters"] == 6
    with pytest.raises(ParameterError, match="cluster='province' cannot"):
        fit_province_effects(df, cluster="province")  # was an AttributeError


def test_province_spread_that_is_only_the_deep_share_vanishes_with_the_control():
    """No province effect is planted; provinces differ only in their share of 三区三州 projects. Without
    the control the province effects look real (joint test rejects); with it, they do not."""
    rng = np.random.default_rng(5)
    n, n_prov = 6000, 20
    prov = rng.integers(0, n_prov, n)
    deep = rng.random(n) < np.linspace(0, 0.9, n_prov)[prov]
    spend = np.exp(rng.normal(13, 1, n))
    log_c = (
        8 + 0.3 * deep + rng.normal(0, 0.3, 300)[rng.integers(0, 300, n)] + rng.normal(0, 0.6, n)
    )
    df = pd.DataFrame(
        {
            "org_name": [f"org{i}" for i in rng.integers(0, 300, n)],
            "province": [f"P{i:02d}" for i in prov],
            "deep_poverty_area": deep,
            "sector": rng.choice(SECTORS, n),
            "year": rng.choice([2017, 2018, 2019], n),
            "expenditure_yuan": spend,
            "beneficiaries": spend / np.exp(log_c),
        }
    )
    plain = fit_province_effects(df).set_index("model")
    given = fit_province_effects(df, control_deep=True).set_index("model")
    assert plain.loc["province_joint_test", "p_value"] < 1e-6
    assert given.loc["province_joint_test_given_deep", "p_value"] > 0.05
    sd = lambda t, m: t.loc[m].set_index("term").loc["between_province_sd", "estimate"]  # noqa: E731
    assert sd(plain, "province_random_effects") > 0.05
    assert sd(given, "province_random_effects_given_deep") < 0.03


# ----------------------------------------------------------------------------------------------------
# Heterogeneity


def test_heterogeneity_recovers_planted_effects_per_sector():
    planted = {"industry": 0.1, "education": 0.4, "health": 0.7}
    df = projects(seed=11, n=4000, n_orgs=200, effect=planted)
    table = fit_heterogeneity(df, by="sector")
    assert list(table.columns) == [*EFFECT_COLUMNS, "p_value_holm"]
    assert list(table["model"].unique()) == ["heterogeneity_sector"]
    got = table.set_index("term")
    for sector, value in planted.items():
        row = got.loc[f"deep_poverty_area:{sector}"]
        assert abs(row["estimate"] - value) < 0.1, sector
        assert row["ci_low"] <= value <= row["ci_high"], sector


def test_heterogeneity_by_org_type_holds_the_type_fixed():
    df = projects(seed=12, n=4000, n_orgs=200, effect=0.0)
    # Foundations are dearer everywhere and do more of their projects in 三区三州; the 三区三州
    # effect within each type is 0.2 for foundations and 0 for social groups.
    found = df["org_type"] == "foundation"
    df.loc[found, "deep_poverty_area"] |= np.random.default_rng(0).random(found.sum()) < 0.3
    log_c = np.log(df["expenditure_yuan"] / df["beneficiaries"])
    log_c += 0.5 * found + 0.2 * (found & df["deep_poverty_area"])
    df["beneficiaries"] = df["expenditure_yuan"] / np.exp(log_c)
    got = fit_heterogeneity(df, by="org_type").set_index("term")["estimate"]
    assert got["deep_poverty_area:foundation"] == pytest.approx(0.2, abs=0.1)
    assert got["deep_poverty_area:social_group"] == pytest.approx(0.0, abs=0.1)


def test_holm_p_values_are_multipletests_and_never_below_raw():
    df = projects(seed=13, n=600, n_orgs=60, effect={"industry": 0, "education": 0.2, "health": 0})
    table = fit_heterogeneity(df)
    expected = multipletests(table["p_value"], method="holm")[1]
    np.testing.assert_allclose(table["p_value_holm"], expected, rtol=0, atol=0)
    assert (table["p_value_holm"] >= table["p_value"]).all()


def test_a_level_without_a_contrast_warns_and_has_no_row():
    df = projects(seed=14, n=600, n_orgs=60)
    df.loc[df["sector"] == "health", "deep_poverty_area"] = False
    with pytest.warns(UserWarning, match="health"):
        table = fit_heterogeneity(df)
    assert "deep_poverty_area:health" not in set(table["term"])


# ----------------------------------------------------------------------------------------------------
# Few-cluster inference


def test_cr3_matches_a_slow_leave_one_cluster_out_loop():
    df = projects(seed=21, n=250, n_orgs=35)
    table = baseline_inference(df, reps=99).set_index("model")
    cr1, cr3 = table.loc["baseline_cr1"], table.loc["baseline_cr3"]
    # Reference: refit statsmodels OLS on the same design without each cluster in turn.
    use = df.assign(
        log_cpb=np.log(df["expenditure_yuan"] / df["beneficiaries"]),
        deep=df["deep_poverty_area"].astype(int),
    )
    full = sm.OLS.from_formula(
        "log_cpb ~ deep + C(sector, Treatment('industry')) + C(year)", use
    ).fit()
    x, y = full.model.exog, full.model.endog
    k = full.model.exog_names.index("deep")
    orgs = use["org_name"].to_numpy()
    clusters = pd.unique(orgs)
    g = len(clusters)
    loo = np.array([sm.OLS(y[orgs != c], x[orgs != c]).fit().params[k] for c in clusters])
    se3 = np.sqrt((g - 1) / g * np.sum((loo - full.params["deep"]) ** 2))
    assert cr3["std_error"] == pytest.approx(se3, rel=1e-8)
    assert cr3["estimate"] == pytest.approx(full.params["deep"], rel=1e-12)
    t = cr3["estimate"] / se3
    assert cr3["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), g - 1), rel=1e-6)
    assert cr3["std_error"] >= cr1["std_error"]
    assert cr3["n_clusters"] == cr1["n_clusters"] == g


def test_cr1_row_is_the_baseline_row():
    df = projects(seed=22)
    inf = baseline_inference(df, reps=99)
    assert list(inf.columns) == [*EFFECT_COLUMNS, "inference", "bootstrap_reps", "seed"]
    cr1 = inf.iloc[[0]][EFFECT_COLUMNS].drop(columns="model").reset_index(drop=True)
    base = fit_baseline(df, errors="cr1").iloc[[0]].drop(columns=["model", "inference"])
    base = base.reset_index(drop=True)
    pd.testing.assert_frame_equal(cr1, base)


def wild_p(df, seed=0, reps=999):
    table = baseline_inference(df, reps=reps, seed=seed).set_index("model")
    return table.loc["baseline_wild"]


def test_wild_bootstrap_is_reproducible_and_has_power():
    strong = projects(seed=31, effect=0.6)
    a, b = wild_p(strong), wild_p(strong)
    assert a["p_value"] == b["p_value"]
    assert a["p_value"] < 0.01
    assert (a["bootstrap_reps"], a["seed"]) == (999, 0)
    assert np.isnan(a["std_error"]) and a["ci_low"] < a["estimate"] < a["ci_high"]
    assert a["ci_low"] > 0  # rejects 0 at 5 %: the interval by test inversion leaves 0 out
    null = projects(seed=32, effect=0.0)
    assert wild_p(null)["p_value"] > 0.05


def test_two_way_clustering_matches_linearmodels_and_warns_with_few_provinces():
    df = projects(seed=41, n=400, n_orgs=60, n_provinces=12)
    with pytest.warns(UserWarning, match="12 clusters"):
        table = baseline_inference(df, second_cluster="province", reps=99).set_index("model")
    two = table.loc["baseline_twoway"]
    assert two["n_clusters"] == 12
    assert "province (G=12)" in two["inference"]
    y = np.log(df["expenditure_yuan"] / df["beneficiaries"])
    x = pd.get_dummies(df[["sector", "year"]].astype(str), dtype=float)
    x = x.drop(columns=["sector_industry", "year_2017"])
    x.insert(0, "deep", df["deep_poverty_area"].astype(float))
    x.insert(0, "const", 1.0)
    codes = np.column_stack([pd.factorize(df[c])[0] for c in ("org_name", "province")])
    # linearmodels' two-way estimator is also V_org + V_province - V_intersection, each with its own
    # g/(g-1) * (n-1)/(n-k) factor when debiased; degrees of freedom again differ (see above).
    lm = IV2SLS(y, x, None, None).fit(cov_type="clustered", clusters=codes, debiased=True)
    assert two["std_error"] == pytest.approx(lm.std_errors["deep"], rel=1e-6)
    p = 2 * stats.t.sf(abs(lm.tstats["deep"]), 12 - 1)
    assert two["p_value"] == pytest.approx(p, rel=1e-6)


def test_few_clusters_warn_in_every_clustered_table():
    df = projects(seed=42, n=200, n_orgs=20)
    with pytest.warns(UserWarning, match="20 clusters"):
        fit_heterogeneity(df)
    with pytest.warns(UserWarning, match="20 clusters"):
        fit_province_effects(df.assign(province=[f"P{i % 5}" for i in range(len(df))]))
    with pytest.warns(UserWarning, match="20 clusters"):
        table = baseline_inference(df, reps=99)
    assert (table["n_clusters"] == 20).all()


def test_cr3_is_left_empty_when_a_cluster_holds_a_whole_year():
    df = projects(seed=45)
    df.loc[df["year"] == 2019, "org_name"] = "the only org of 2019"
    with pytest.warns(UserWarning, match="no CR3 standard error"):
        table = baseline_inference(df, reps=99).set_index("model")
    assert np.isnan(table.loc["baseline_cr3", "std_error"])
    assert table.loc["baseline_cr3", "estimate"] == table.loc["baseline_cr1", "estimate"]


def test_wild_bootstrap_enumerates_all_sign_vectors_with_few_clusters():
    df = projects(seed=44, n=120, n_orgs=8)
    with pytest.warns(UserWarning):  # few clusters; full enumeration
        wild = baseline_inference(df, reps=999).set_index("model").loc["baseline_wild"]
    assert wild["bootstrap_reps"] == 2**8
    assert 0 <= wild["p_value"] <= 1


def test_options_are_checked_before_fitting():
    df = projects(seed=43)
    for kwargs, message in [
        ({"reps": 10}, "reps must be"),
        ({"reps": 99.5}, "reps must be"),
        ({"seed": -1}, "seed must be"),
        ({"second_cluster": "org_name"}, "second_cluster must differ"),
        ({"second_cluster": "region"}, "lacks column"),
        ({"ci": 95}, "ci must be"),
    ]:
        with pytest.raises(ParameterError, match=message):
            baseline_inference(df, **kwargs)
    with pytest.raises(ParameterError, match="by must be"):
        fit_heterogeneity(df, by="province")
    with pytest.raises(ParameterError, match="ci must be"):
        fit_province_effects(df, ci=0)
    with pytest.raises(ParameterError, match="at least 2 provinces"):
        fit_province_effects(df)
    with pytest.raises(ParameterError, match="fmt must be"):
        regression_table(fit_baseline(df), fmt="docx")


# ----------------------------------------------------------------------------------------------------
# Coverage of the 95% intervals over seeded replications


@pytest.mark.coverage
def test_baseline_interval_covers_the_planted_effect_about_95_percent():
    hits = []
    for seed in range(200):
        row = fit_baseline(projects(seed), errors="cr1").iloc[0]
        assert row["term"] == "deep_poverty_area" and row["n_clusters"] == 40
        hits.append(row["ci_low"] <= 0.3 <= row["ci_high"])
    # 0.930 on these 200 seeds; 0.9445 (binomial SE 0.005) on seeds 0-1999.
    assert 0.92 <= np.mean(hits) <= 0.97


def areas(seed: int, n_provinces: int = 15, effect: float = 0.47, rho: float = 0.5):
    """Area-year spending, 2012-2020: every province has a 三区三州 part and the rest (30 areas),
    one row per area-year; AR(1) shocks within areas, so clustering by area matters."""
    rng = np.random.default_rng(seed)
    years = np.arange(2012, 2021)
    rows = []
    for p in range(n_provinces):
        for deep in (False, True):
            level, shock = rng.normal(20, 1), 0.0
            for year in years:
                shock = rho * shock + rng.normal(0, 0.3)
                log_spend = level + 0.05 * (year - 2012) + effect * deep * (year >= 2017) + shock
                rows.append((f"P{p}", deep, year, np.exp(log_spend)))
    return pd.DataFrame(rows, columns=["province", "deep_poverty_area", "year", "expenditure_yuan"])


@pytest.fixture(scope="module")
def did_replications():
    """200 replications of fit_spending_shift: did covers 0.47? and the pre-2017 event-study terms."""
    hits, pre = [], []
    for seed in range(200):
        table = fit_spending_shift(areas(seed)).set_index(["model", "term"])
        did = table.loc[("did", "deep_poverty_area:post2017")]
        assert did["n_clusters"] == 30
        hits.append(did["ci_low"] <= 0.47 <= did["ci_high"])
        pre.append(
            [
                table.loc[("event_study", f"deep_poverty_area:{y}"), "estimate"]
                for y in range(2013, 2017)
            ]
        )
    return np.array(hits), np.array(pre)


@pytest.mark.coverage
@pytest.mark.xdist_group("did_replications")  # one worker draws the replications once
def test_did_interval_covers_the_planted_shift_about_95_percent(did_replications):
    hits, _ = did_replications
    # 0.960 on these 200 seeds; 0.964 (binomial SE 0.004) on seeds 0-1999.
    assert 0.92 <= hits.mean() <= 0.97


@pytest.mark.xdist_group("did_replications")
def test_pre_period_event_study_terms_average_zero(did_replications):
    _, pre = did_replications
    assert pre.shape == (200, 4)  # 2013-2016 against 2012
    assert np.all(np.abs(pre.mean(axis=0)) < 0.05)


# ----------------------------------------------------------------------------------------------------
# Regression tables


def tidy(model, rows, n_obs=100, n_clusters=40):
    return pd.DataFrame(
        [
            {
                "model": model,
                "term": term,
                "estimate": est,
                "std_error": se,
                "ci_low": np.nan,
                "ci_high": np.nan,
                "p_value": p,
                "n_obs": n_obs,
                "n_clusters": n_clusters,
            }
            for term, est, se, p in rows
        ],
        columns=EFFECT_COLUMNS,
    )


def test_regression_table_markdown_is_built_from_the_tidy_tables():
    a = tidy(
        "baseline", [("deep_poverty_area", 0.3, 0.02, 0.001), ("sector[health]", 0.5, 0.1, 0.2)]
    )
    b = tidy("other", [("deep_poverty_area", 0.25, 0.05, 0.04)], n_obs=90, n_clusters=12)
    b["bootstrap_reps"], b["seed"] = pd.array([999], dtype="Int64"), pd.array([7], dtype="Int64")
    got = regression_table({"(1)": a, "(2)": b}, stars=True, notes="Simulated data.")
    assert got == (
        "|  | (1) | (2) |\n"
        "|---|---:|---:|\n"
        "| deep_poverty_area | 0.300*** (0.020) | 0.250** (0.050) |\n"
        "| sector[health] | 0.500 (0.100) |  |\n"
        "| Observations | 100 | 90 |\n"
        "| Clusters | 40 | 12 |\n"
        "\n"
        "Notes: Cells: estimate (standard error). Clusters: (1) 40; (2) 12. "
        "(2): 999 bootstrap draws, seed 7. * p < 0.10, ** p < 0.05, *** p < 0.01. Simulated data.\n"
    )


def test_regression_table_formats_and_special_cells():
    ref = tidy("fe", [("province[A]", 0.0, 0.0, np.nan), ("province[B_1]", 0.2, 0.1, 0.05)])
    wild = tidy("wild", [("province[B_1]", 0.2, np.nan, 0.0004)])
    one = pd.concat([ref, wild], ignore_index=True)  # one table, one column per model
    md = regression_table(one, digits=2)
    assert "| province[A] | reference |  |" in md
    assert "| province[B_1] | 0.20 (0.10) | 0.20 [p < 0.01] |" in md
    assert "reference: the reference level" in md
    latex = regression_table(one, fmt="latex")
    assert "\\begin{tabular}{lcc}" in latex and "\\bottomrule" in latex
    assert "B\\_1 & 0.200 & 0.200 \\\\\n & (0.100) & [p \\textless{} 0.001] \\\\" in latex
    assert "Province (reference: A)" in latex  # the reference row names the reference level
    page = regression_table(one, fmt="html")
    assert ">[p &lt; 0.001]</td>" in page and 'class="gt_sourcenote"' in page
    assert "the interval where there is no standard error" not in md
    inverted = wild.assign(ci_low=0.05, ci_high=0.41)  # a wild interval by test inversion
    md = regression_table(pd.concat([ref, inverted], ignore_index=True), digits=2)
    assert "| province[B_1] | 0.20 (0.10) | 0.20 [0.05, 0.41] |" in md
    assert "estimate [a, b]: the interval where there is no standard error." in md


def test_regression_table_on_the_demo_register(demo_data):
    base, het = fit_baseline(demo_data), fit_heterogeneity(demo_data)
    table = regression_table({"baseline": base, "heterogeneity": het})
    assert "| deep_poverty_area:relocation |  | " in table
    g, g_het = base["n_clusters"].iloc[0], het["n_clusters"].iloc[0]
    assert f"Clusters: baseline {g}; heterogeneity {g_het}." in table


def test_spending_shift_few_cluster_checks_on_the_demo_register(demo_data):
    from analysis.estimate.inference import spending_shift_inference
    from analysis.estimate.regional import fit_spending_shift

    a = spending_shift_inference(demo_data, reps=199, seed=3)
    b = spending_shift_inference(demo_data, reps=199, seed=3)
    pd.testing.assert_frame_equal(a, b)
    rows = a.set_index("model")
    assert list(rows.index) == ["did_cr1", "did_cr3", "did_ri", "did_wild"]
    did = fit_spending_shift(demo_data).set_index("model").loc["did"]
    assert "6 treated and 30 control areas" in rows.loc["did_cr1", "inference"]
    assert "K=5" in rows.loc["did_cr1", "inference"]
    assert rows.loc["did_cr3", "std_error"] > 0 and rows.loc["did_ri", "bootstrap_reps"] == 1999
    assert 0 < rows.loc["did_ri", "p_value"] <= 1
    assert rows.loc["did_cr1", "estimate"] == pytest.approx(did["estimate"])
    # the headline is the wild interval (same draws give the same interval); CR3 on request
    wild = fit_spending_shift(demo_data, reps=199, seed=3).set_index("model").loc["did"]
    assert (wild["ci_low"], wild["ci_high"]) == pytest.approx(
        (rows.loc["did_wild", "ci_low"], rows.loc["did_wild", "ci_high"]), abs=1e-12
    )
    assert pd.isna(did["std_error"]) and wild["p_value"] == rows.loc["did_wild", "p_value"]
    cr3 = fit_spending_shift(demo_data, errors="cr3").set_index("model").loc["did"]
    assert rows.loc["did_cr3", "std_error"] == pytest.approx(cr3["std_error"])
    cr1 = fit_spending_shift(demo_data, errors="cr1").set_index("model").loc["did"]
    assert rows.loc["did_cr1", "std_error"] == pytest.approx(cr1["std_error"])
    assert 0 < rows.loc["did_wild", "p_value"] <= 1 and pd.isna(rows.loc["did_wild", "std_error"])
    assert (a["n_clusters"] == 36).all() and a["term"].eq("deep_poverty_area:post2017").all()


# --- the spending shift with area effects absorbed (estimate/absorbed.py) --------------------------


def _shift_panel(demo_data):
    from analysis.estimate.shift import shift_panel

    return shift_panel(demo_data, 2017)


def test_absorbed_did_equals_statsmodels_with_dummies_when_every_effect_is_counted(demo_data):
    """K counting the 36 area dummies (statsmodels' CR1 with C(area)) gives statsmodels' numbers."""
    import statsmodels.formula.api as smf

    from analysis.estimate.absorbed import fit_absorbed

    panel, years, _ = _shift_panel(demo_data)
    fit = fit_absorbed(
        panel,
        outcome="log_spend",
        regressors=["treat_post", *years],
        absorb="area",
        cluster="area",
        convention="count_all",
    )
    groups = pd.factorize(panel["area"])[0]
    sm = smf.ols("log_spend ~ treat_post + C(area) + C(year)", data=panel).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    assert fit.k == 41
    assert fit.coef[0] == pytest.approx(sm.params["treat_post"], abs=1e-10)
    assert np.sqrt(fit.cov_cr1[0, 0]) == pytest.approx(sm.bse["treat_post"], abs=1e-8)


def test_absorbed_did_nested_convention_equals_linearmodels_panelols(demo_data):
    """The nested convention (fixest, reghdfe: K = 5, the treatment and four year effects) against
    linearmodels' PanelOLS with entity effects, whose clustered errors use G/(G-1) alone: the two
    agree once (N-1)/(N-K) is applied, to 1e-6."""
    from linearmodels.panel import PanelOLS

    from analysis.estimate.absorbed import fit_absorbed

    panel, years, _ = _shift_panel(demo_data)
    regs = ["treat_post", *years]
    fit = fit_absorbed(panel, outcome="log_spend", regressors=regs, absorb="area", cluster="area")
    p = panel.set_index(["area", "year"])
    lm = PanelOLS(p["log_spend"], p[regs], entity_effects=True).fit(
        cov_type="clustered", cluster_entity=True, debiased=True
    )
    n, k = fit.n_obs, fit.k
    assert k == 5 and n == 180
    assert fit.coef[0] == pytest.approx(lm.params["treat_post"], abs=1e-8)
    se_lm = lm.std_errors["treat_post"] * np.sqrt((n - 1) / (n - k))
    assert np.sqrt(fit.cov_cr1[0, 0]) == pytest.approx(se_lm, abs=1e-6)


def test_absorbed_cr3_equals_statsmodels_crv3_and_a_leave_one_area_out_loop(demo_data):
    import statsmodels.api as sm

    from analysis.estimate.absorbed import fit_absorbed

    panel, years, _ = _shift_panel(demo_data)
    regs = ["treat_post", *years]
    fit = fit_absorbed(panel, outcome="log_spend", regressors=regs, absorb="area", cluster="area")
    codes = pd.factorize(panel["area"])[0]
    demeaned = panel[["log_spend", *regs]] - panel.groupby("area")[["log_spend", *regs]].transform(
        "mean"
    )
    crv3 = sm.OLS(demeaned["log_spend"], demeaned[regs]).fit(
        cov_type="cluster-crv3", cov_kwds={"groups": codes}, use_t=True
    )
    assert np.sqrt(fit.cov_cr3[0, 0]) == pytest.approx(crv3.bse["treat_post"], abs=1e-8)
    loop = []
    for area in panel["area"].unique():  # refit with dummies, the area left out
        rest = panel[panel["area"] != area]
        b = sm.OLS.from_formula("log_spend ~ treat_post + C(area) + C(year)", rest).fit()
        loop.append(b.params["treat_post"])
    g = len(loop)
    by_loop = np.sqrt((g - 1) / g * np.sum((np.array(loop) - fit.coef[0]) ** 2))
    assert np.sqrt(fit.cov_cr3[0, 0]) == pytest.approx(by_loop, abs=1e-8)


def test_randomization_p_equals_a_direct_permutation_loop(demo_data):
    """The same seeded draws of which areas are treated, refitted with statsmodels dummies."""
    import statsmodels.formula.api as smf

    from analysis.estimate.absorbed import randomization_p

    panel, years, _ = _shift_panel(demo_data)
    reps, seed = 99, 5
    p, draws = randomization_p(
        panel,
        outcome="log_spend",
        treated_unit="deep",
        post="post",
        controls=years,
        absorb="area",
        reps=reps,
        seed=seed,
    )
    codes, areas = pd.factorize(panel["area"])
    treated = panel.groupby(codes)["deep"].first().to_numpy(dtype=bool)
    rng = np.random.default_rng(seed)
    n = len(panel)

    def t_of(assign):
        d = panel.assign(tp=assign[codes] * panel["post"])
        r = smf.ols("log_spend ~ tp + C(area) + C(year)", d).fit(
            cov_type="cluster", cov_kwds={"groups": codes}, use_t=True
        )
        k_counted, k_nested = r.df_model + 1, 1 + len(years)
        scale = np.sqrt((n - k_nested) / (n - k_counted))  # to the nested convention's factor
        return abs(r.params["tp"] / (r.bse["tp"] / scale))

    observed = t_of(treated.astype(float))
    hits = sum(t_of(rng.permutation(treated).astype(float)) >= observed - 1e-9 for _ in range(reps))
    assert draws == reps
    assert p == pytest.approx((1 + hits) / (1 + reps))
