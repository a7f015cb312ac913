"""The wild cluster restricted bootstrap and its interval by test inversion (estimate/wild.py):
p-values equal to wildboottest's with the same draws (random and fully enumerated, with dummies or
effects absorbed) and to a direct loop over draws written out here, the interval's ends where the
p-value crosses 1 - ci, and options refused before any work."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from wildboottest.wildboottest import wildboottest

from analysis.errors import ParameterError
from analysis.estimate.wild import sign_vectors, wild_draws, wild_interval, wild_p


def clustered(seed: int, n: int = 240, g: int = 30) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """y, x (intercept and three regressors) and cluster labels: cluster effects and errors whose
    size differs between clusters, so that CR1 and the bootstrap have something to do."""
    rng = np.random.default_rng(seed)
    cl = np.r_[np.arange(g), rng.integers(0, g, n - g)]
    x = np.column_stack([np.ones(n), rng.normal(size=(n, 3)) + rng.normal(size=(g, 1))[cl]])
    scale = 0.5 + (cl % 4)
    y = x @ np.array([1.0, 0.2, -0.3, 0.5]) + rng.normal(size=g)[cl] + rng.normal(size=n) * scale
    return y, x, cl


def oracle_p(y, x, cl, column, seed, reps):
    """wildboottest's p-value of coefficient = 0 (WCR11, Rademacher) on a statsmodels OLS."""
    names = [f"x{j}" for j in range(x.shape[1])]
    model = sm.OLS(y, pd.DataFrame(x, columns=names))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its full-enumeration notice
        out = wildboottest(
            model, param=names[column], cluster=cl, B=reps, seed=seed, show=False, parallel=False
        )
    return float(out["p-value"].iloc[0])


def loop_p(y, x, cl, column, beta0, signs):
    """The WCR p-value written out: restricted fit with the coefficient fixed at beta0, one refit
    and CR1 t per sign vector (clusters in sorted order of their labels), share with |t*| >= |t|
    (a tie, such as the observed all-+1 vector, counts)."""
    labels = np.unique(cl)
    others = np.delete(x, column, axis=1)
    gamma = np.linalg.lstsq(others, y - beta0 * x[:, column], rcond=None)[0]
    fitted = beta0 * x[:, column] + others @ gamma
    restricted = y - fitted

    def t_stat(outcome):
        b = np.linalg.lstsq(x, outcome, rcond=None)[0]
        e = outcome - x @ b
        inv = np.linalg.inv(x.T @ x)
        meat = np.zeros((x.shape[1], x.shape[1]))
        for c in labels:
            s = x[cl == c].T @ e[cl == c]
            meat += np.outer(s, s)
        n, k, g = len(y), x.shape[1], len(labels)
        var = g / (g - 1) * (n - 1) / (n - k) * (inv @ meat @ inv)[column, column]
        return (b[column] - beta0) / np.sqrt(var)

    t = abs(t_stat(y))
    weight = {c: i for i, c in enumerate(labels)}
    rows = np.array([weight[c] for c in cl])
    stars = [abs(t_stat(fitted + signs[rows, b] * restricted)) for b in range(signs.shape[1])]
    return np.mean([s >= t * (1 - 1e-9) for s in stars])


def all_signs_drawn(signs: np.ndarray) -> int:
    """Draws with every cluster's sign alike: their |t*| equals |t| (a tie)."""
    return int((np.abs(signs.sum(axis=0)) == signs.shape[0]).sum())


def test_p_of_zero_equals_wildboottest_with_the_same_random_draws():
    y, x, cl = clustered(seed=1)
    for column in (1, 3):
        draws = wild_draws(y, x, column, cl, reps=999, seed=7)
        assert not draws.enumerated and draws.reps == 999
        assert all_signs_drawn(sign_vectors(30, 999, 7)) == 0  # no ties: the match is exact
        assert wild_p(draws, 0.0) == oracle_p(y, x, cl, column, seed=7, reps=999)
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": cl})
    assert draws.estimate == pytest.approx(fit.params[3], rel=1e-10)
    assert draws.std_error == pytest.approx(fit.bse[3], rel=1e-10)  # CR1, statsmodels' factor


def test_full_enumeration_equals_wildboottest_and_lists_every_sign_vector():
    y, x, cl = clustered(seed=2, n=80, g=8)
    draws = wild_draws(y, x, 2, cl, reps=999, seed=3)
    assert draws.enumerated and draws.reps == 2**8
    signs = sign_vectors(8, 999, 3)
    assert (signs == np.array(list(itertools.product([-1, 1], repeat=8))).T).all()
    assert (sign_vectors(8, 2**8, 3) == signs).all()  # 2^G <= reps: enumerated
    assert sign_vectors(8, 255, 3).shape == (8, 255)  # 2^G > reps: drawn
    # The two vectors of one sign everywhere give |t*| = |t| exactly; wildboottest's strict
    # comparison counts one or both by rounding, the module counts both (as the loop does), so its
    # p is never 0 under full enumeration.
    ours = wild_p(draws, 0.0)
    assert 0 <= (ours - oracle_p(y, x, cl, 2, seed=3, reps=999)) * 2**8 <= 2 + 1e-9
    assert ours >= 2 / 2**8
    assert ours == loop_p(y, x, cl, 2, 0.0, signs)
    y, x, cl = clustered(seed=3, n=80, g=8)  # a design where wildboottest's rounding counts neither
    draws = wild_draws(y, x, 1, cl, reps=999, seed=3)
    assert wild_p(draws, 0.0) == pytest.approx(oracle_p(y, x, cl, 1, seed=3, reps=999) + 2 / 2**8)


def test_absorbed_effects_give_wildboottest_with_dummies():
    """Area effects nested in the area clusters, absorbed, against statsmodels with area dummies."""
    rng = np.random.default_rng(5)
    areas, years = 24, 5
    panel = pd.DataFrame({"area": np.repeat([f"a{i:02d}" for i in range(areas)], years)}).assign(
        year=np.tile(np.arange(years), areas)
    )
    treated = panel["area"].isin([f"a{i:02d}" for i in range(5)])
    panel["treat_post"] = (treated & (panel["year"] >= 2)).astype(float)
    panel["y"] = (
        rng.normal(size=areas).repeat(years) + 0.1 * panel["year"] + 0.3 * panel["treat_post"]
    ) + rng.normal(size=len(panel)) * (1 + treated)
    dummies = pd.get_dummies(panel["year"], prefix="y", drop_first=True, dtype=float)
    x = pd.concat([panel[["treat_post"]], dummies], axis=1)
    draws = wild_draws(panel["y"], x, 0, panel["area"], reps=999, seed=11, absorb=panel["area"])
    model = smf.ols("y ~ treat_post + C(area) + C(year)", data=panel)
    codes = pd.factorize(panel["area"], sort=True)[0]
    boot = wildboottest(
        model, param="treat_post", cluster=codes, B=999, seed=11, show=False, parallel=False
    )
    assert all_signs_drawn(sign_vectors(areas, 999, 11)) == 0
    assert wild_p(draws, 0.0) == float(boot["p-value"].iloc[0])
    assert draws.estimate == pytest.approx(model.fit().params["treat_post"], rel=1e-10)
    # K of the CR1 factor: 5 regressors (nested convention) unless told; p does not depend on it
    counted = wild_draws(
        panel["y"], x, 0, panel["area"], reps=999, seed=11, absorb=panel["area"], k=5 + areas
    )
    assert counted.std_error > draws.std_error
    assert np.array_equal(wild_p(counted, [0.0, 0.5]), wild_p(draws, [0.0, 0.5]))


@pytest.mark.parametrize("beta0", [0.0, 0.15, -0.4])
def test_p_at_any_beta0_equals_a_direct_loop(beta0):
    y, x, cl = clustered(seed=3, n=120, g=15)
    draws = wild_draws(y, x, 1, cl, reps=199, seed=4)
    signs = sign_vectors(15, 199, 4)
    assert wild_p(draws, beta0) == loop_p(y, x, cl, 1, beta0, signs)


def test_p_of_the_interval_ends_from_the_direct_loop():
    y, x, cl = clustered(seed=6, n=120, g=15)
    draws = wild_draws(y, x, 1, cl, reps=199, seed=8)
    low, high = wild_interval(draws, 0.9)
    signs = sign_vectors(15, 199, 8)
    step = 1e-4 * draws.std_error
    assert loop_p(y, x, cl, 1, low + step, signs) >= 0.1 > loop_p(y, x, cl, 1, low - step, signs)
    assert loop_p(y, x, cl, 1, high - step, signs) >= 0.1 > loop_p(y, x, cl, 1, high + step, signs)


@pytest.mark.parametrize("ci", [0.95, 0.9, 0.8])
def test_interval_ends_are_where_p_crosses_one_minus_ci(ci):
    y, x, cl = clustered(seed=9, n=600, g=60)
    draws = wild_draws(y, x, 2, cl, reps=999, seed=1)
    low, high = wild_interval(draws, ci, tol=1e-5)
    alpha, step = 1 - ci, 1e-5 * draws.std_error
    assert wild_p(draws, low + step) >= alpha > wild_p(draws, low - step)
    assert wild_p(draws, high - step) >= alpha > wild_p(draws, high + step)
    assert low < draws.estimate < high
    inside = np.linspace(low + step, high - step, 201)
    assert (wild_p(draws, inside) >= alpha).all()
    # near the CR1 interval with 60 clusters, not equal to it
    half = (high - low) / 2
    cr1_half = stats.t.ppf(0.5 + ci / 2, 59) * draws.std_error
    assert half == pytest.approx(cr1_half, rel=0.25) and half != pytest.approx(cr1_half, rel=1e-3)


def test_interval_is_nested_in_the_level_and_unbounded_when_nothing_rejects():
    y, x, cl = clustered(seed=9, n=600, g=60)
    draws = wild_draws(y, x, 2, cl, reps=999, seed=1)
    (l95, h95), (l80, h80) = wild_interval(draws, 0.95), wild_interval(draws, 0.8)
    assert l95 < l80 < h80 < h95
    y, x, cl = clustered(seed=4, n=40, g=4)
    few = wild_draws(y, x, 1, cl, reps=999, seed=0)  # 16 sign vectors, the two ties counted: p is
    low, high = wild_interval(few, 0.99)  # never below 2/16, so a 1 % test never rejects
    # (far out, rounding in t* can break a tie: an end is then finite but beyond a million SEs)
    assert low < few.estimate - 1e6 * few.std_error and high > few.estimate + 1e6 * few.std_error
    for end in (low, high):
        if np.isinf(end):
            assert wild_p(few, np.sign(end) * 1e12) >= 0.01
        else:
            assert wild_p(few, end + np.sign(end - few.estimate) * few.std_error * 1e-3) < 0.01


def test_draws_are_seeded_and_deterministic():
    y, x, cl = clustered(seed=10)
    a, b = wild_draws(y, x, 1, cl, seed=5), wild_draws(y, x, 1, cl, seed=5)
    assert wild_interval(a) == wild_interval(b) and wild_p(a, 0.1) == wild_p(b, 0.1)
    other = wild_draws(y, x, 1, cl, seed=6)
    assert not np.array_equal(other.n0, a.n0)
    relabelled = wild_draws(y, x, 1, np.array([f"c{c:03d}" for c in cl]), seed=5)
    assert np.array_equal(relabelled.n0, a.n0)  # clusters in sorted order of their labels


def test_bad_options_are_refused_in_one_line():
    y, x, cl = clustered(seed=12, n=60, g=10)
    for kwargs, message in [
        ({"reps": 10}, "reps must be"),
        ({"reps": 99.5}, "reps must be"),
        ({"reps": True}, "reps must be"),
        ({"seed": -1}, "seed must be"),
        ({"seed": 1.5}, "seed must be"),
        ({"column": 4}, "x must be"),
        ({"clusters": np.zeros(60)}, "at least 2 clusters"),
        ({"clusters": np.r_[np.nan, cl[1:]]}, "non-missing"),
        ({"absorb": np.arange(60) % 7}, "nested in the clusters"),
    ]:
        args = {"reps": 99, "seed": 0, "column": 1, "clusters": cl, **kwargs}
        with pytest.raises(ParameterError, match=message):
            wild_draws(y, x, args.pop("column"), args.pop("clusters"), **args)
    with pytest.raises(ParameterError, match="collinear"):
        wild_draws(y, np.column_stack([x, x[:, 1]]), 1, cl, reps=99)
    draws = wild_draws(y, x, 1, cl, reps=99)
    for ci in (95, 0, 1.0, -0.5):
        with pytest.raises(ParameterError, match="ci must be"):
            wild_interval(draws, ci)
    for tol in (0, 1.5, True):
        with pytest.raises(ParameterError, match="tol must be"):
            wild_interval(draws, 0.95, tol)


def test_the_did_wild_row_is_wildboottest_on_the_dummies_model_with_its_interval(demo_data):
    from analysis.estimate.inference import spending_shift_inference
    from analysis.estimate.shift import shift_panel

    rows = spending_shift_inference(demo_data, reps=199, seed=3).set_index("model")
    wild = rows.loc["did_wild"]
    panel, _, _ = shift_panel(demo_data, 2017)
    model = smf.ols("log_spend ~ treat_post + C(area) + C(year)", data=panel)
    codes = pd.factorize(panel["area"], sort=True)[0]
    boot = wildboottest(
        model, param="treat_post", cluster=codes, B=199, seed=3, show=False, parallel=False
    )
    assert all_signs_drawn(sign_vectors(36, 199, 3)) == 0
    assert wild["p_value"] == float(boot["p-value"].iloc[0])
    assert wild["estimate"] == pytest.approx(rows.loc["did_cr1", "estimate"], rel=1e-12)
    assert np.isnan(wild["std_error"]) and wild["ci_low"] < wild["estimate"] < wild["ci_high"]
    assert (wild["ci_low"] <= 0) == (wild["p_value"] >= 0.05)  # 0 inside iff not rejected
    assert "interval by test inversion" in wild["inference"] and wild["bootstrap_reps"] == 199


def test_the_baseline_wild_row_is_wildboottest_on_the_baseline_model():
    from analysis.estimate.inference import baseline_inference
    from analysis.estimate.models import BASELINE_FORMULA

    rng = np.random.default_rng(21)
    n, orgs = 400, 50
    org = np.r_[np.arange(orgs), rng.integers(0, orgs, n - orgs)]
    deep = rng.random(orgs)[org] < 0.3  # organizations specialise: deep is clustered
    sector = rng.choice(["industry", "education", "health"], n)
    log_c = 8 + 0.05 * deep + 0.4 * (sector == "health") + rng.normal(0, 0.4, orgs)[org]
    spend = np.exp(rng.normal(13, 1, n))
    data = pd.DataFrame(
        {
            "org_name": [f"org{i:02d}" for i in org],
            "deep_poverty_area": deep,
            "sector": sector,
            "year": rng.choice([2017, 2018, 2019], n),
            "province": "P",
            "expenditure_yuan": spend,
            "beneficiaries": spend / np.exp(log_c + rng.normal(0, 0.6, n)),
        }
    )
    wild = baseline_inference(data, reps=199, seed=2).set_index("model").loc["baseline_wild"]
    frame = data.assign(
        log_cpb=np.log(data["expenditure_yuan"] / data["beneficiaries"]),
        deep=data["deep_poverty_area"].astype(float),
    )
    model = smf.ols(BASELINE_FORMULA, data=frame)
    codes = pd.factorize(frame["org_name"], sort=True)[0]
    boot = wildboottest(
        model, param="deep", cluster=codes, B=199, seed=2, show=False, parallel=False
    )
    assert wild["p_value"] == float(boot["p-value"].iloc[0])
    assert wild["ci_low"] < wild["estimate"] < wild["ci_high"]
    assert (wild["ci_low"] <= 0 <= wild["ci_high"]) == (wild["p_value"] >= 0.05)


def test_with_few_clusters_the_wild_row_has_a_p_value_but_no_interval():
    """Three clusters: 8 sign vectors, p(beta0) is still 0.25 a million SEs away, so the inverted
    'interval' [0.73, 1.21] was a piece of an unbounded set; below 12 clusters no interval is given,
    as fit_spending_shift does."""
    from analysis.estimate.inference import baseline_inference

    rng = np.random.default_rng(0)
    n, g = 90, 3
    spend = np.exp(rng.normal(13, 1, n))
    data = pd.DataFrame(
        {
            "org_name": [f"org{i % g}" for i in range(n)],
            "deep_poverty_area": rng.random(n) < 0.4,
            "sector": rng.choice(["industry", "health"], n),
            "year": rng.choice([2017, 2018], n),
            "province": "P",
            "expenditure_yuan": spend,
            "beneficiaries": spend / np.exp(rng.normal(8, 0.5, n)),
        }
    )
    with pytest.warns(UserWarning, match="too few for the wild bootstrap's interval"):
        table = baseline_inference(data, reps=99, seed=1).set_index("model")
    wild = table.loc["baseline_wild"]
    assert np.isnan(wild["ci_low"]) and np.isnan(wild["ci_high"]) and 0 <= wild["p_value"] <= 1
    assert "no interval below 12 clusters" in wild["inference"]
