"""Coverage of the baseline's 三区三州 intervals on the demo's design when organizations specialise.

The design is the demo's (analysis.demo.simulate): 7,496 projects over 2016-2020 with the demo's
projects per year, its pool of 1,000 organizations (effects N(0, 0.35^2), activity lognormal(0, 1),
each year's active organizations and their projects drawn by activity), its sector shares and
effects, noise N(0, 0.6^2) and a true 三区三州 effect of 0.30 log points. Two things differ from the
demo, both parameters:
- organizations specialise: ``--specialists`` organizations (default 40, drawn by activity, so they
  run about a tenth of the projects and 31 % of the 三区三州 ones) work in 三区三州 with probability
  ``--purity`` (default 0.95), each mostly in one home area (``--home``, default 0.7, of its 三区三州
  projects); the others work there with the probability that keeps the expected 三区三州 share at
  the demo's (25.6 %, its joint-funded and regular projects together);
- places share a shock: every prefecture's projects share N(0, ``--sd-pref``^2) (default 0.15 log
  points), so the 三区三州 dummy is assigned by geography as well as by organization.
Where a project is comes from the demo's own geography (``draw_locations``: the 三区三州 areas with
their weights, other provinces by weight); a project outside 三区三州 whose demo row names no
prefecture gets one of its province's prefectures (outside 三区三州), drawn evenly (a municipality is
one prefecture). Clusters are the true prefectures; ``place`` (the prefecture where the demo's
row names one, else the province) is the cluster a register allows. Multi-province projects (0.6 % of the demo) are
left out. Spending is lognormal as in the demo (it does not enter the project-weighted baseline).

Per replication the baseline is fitted with the package's own code (``project_sample``,
``clustered_ols`` with ``BASELINE_FORMULA``; the other clusterings and statsmodels' ``cluster-crv3``
refit that model with other groups, as ``baseline_inference`` does); each 95 % interval covers 0.30
or not. A register drawn beside them (seed + 1) is checked against ``fit_baseline`` (by
organization, prefecture and province) and ``baseline_inference`` (CR3, two-way): the intervals the
toolkit reports. docs/baseline_coverage.md has the results.

Run: .venv/bin/python scripts/baseline_coverage.py [--reps 1000] [--seed 20261214] [--specialists 40]
     [--purity 0.95] [--home 0.7] [--sd-pref 0.15]        (prints a Markdown table; about
     0.3 s per replication on one core)
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from analysis.demo.places import draw_locations
from analysis.demo.simulate import (
    DEEP_EFFECT,
    JOINT_DEEP,
    JOINT_ELSEWHERE_PER_YEAR,
    LOG_COST_BASE,
    N_ORGS,
    ORGS_2018,
    PROJECTS_PER_YEAR,
    SD_NOISE,
    SD_ORG,
    SECTOR_EFFECT,
    SECTOR_SHARE,
    SHARE_DEEP,
    YEARS,
)
from analysis.estimate.inference import baseline_inference
from analysis.estimate.models import BASELINE_FORMULA, clustered_ols, project_sample
from analysis.estimate.regional import fit_baseline
from analysis.reference import load_reference

_N = sum(PROJECTS_PER_YEAR.values())
_N_JOINT_DEEP = sum(JOINT_DEEP.values())
# The demo's expected 三区三州 share: its joint-funded 三区三州 projects and SHARE_DEEP of the regular ones.
DEEP_SHARE = (
    _N_JOINT_DEEP + SHARE_DEEP * (_N - _N_JOINT_DEEP - JOINT_ELSEWHERE_PER_YEAR * len(YEARS))
) / _N

# The intervals measured: (label, cluster, second cluster or None, covariance "cr1" or "cr3").
INTERVALS = (
    ("CR1 by organization (the old headline)", "org_name", None, "cr1"),
    ("CR3 by organization", "org_name", None, "cr3"),
    ("CR1 by prefecture", "prefecture", None, "cr1"),
    ("CR3 by prefecture", "prefecture", None, "cr3"),
    ("CR1 by province", "province", None, "cr1"),
    ("CR3 by province", "province", None, "cr3"),
    ("CR1 two-way organization x prefecture", "org_name", "prefecture", "cr1"),
    ("CR1 two-way organization x province", "org_name", "province", "cr1"),
    ("CR1 two-way organization x place (prefecture, else province)", "org_name", "place", "cr1"),
)

# Rules a referee might ask for ("show the largest SE"): per replication, the interval of the two
# with the larger standard error.
LARGER = (
    (
        "larger SE of CR3 by organization and two-way organization x prefecture",
        "CR3 by organization",
        "CR1 two-way organization x prefecture",
    ),
    (
        "larger SE of CR3 by organization and two-way organization x place",
        "CR3 by organization",
        "CR1 two-way organization x place (prefecture, else province)",
    ),
)

# The interval docs/baseline_coverage.md recommends as the headline.
RECOMMENDED = LARGER[1][0]

COLUMNS = ["log_cpb", "deep", "sector", "year"]

# The design's defaults (the command-line options): specialist organizations, the share of their
# projects in 三区三州, the share of those in their home area, the SD of the prefecture shock (log points).
DEFAULT_DESIGN = {"specialists": 40, "purity": 0.95, "home": 0.7, "sd_pref": 0.15}


def location_pools(seed: int, n_deep: int = 2000, n_other: int = 4000):
    """(province, prefecture, place) of ``n_deep`` 三区三州 and ``n_other`` other projects drawn by
    the demo's geography, every row with a prefecture (the province's prefectures outside 三区三州,
    drawn evenly, where the demo names none; a municipality is one); ``place`` is what a register
    row allows: its prefecture where the demo row names one, else its province."""
    rng, places_rng = np.random.default_rng(seed), np.random.default_rng(seed + 2)
    deep = np.r_[np.ones(n_deep, bool), np.zeros(n_other, bool)]
    frame = draw_locations(rng, len(deep), deep, places_rng)
    sq = load_reference("sanqu_sanzhou")
    deep_codes = set(sq.loc[sq["level"] == "prefecture", "adcode"])
    names = load_reference("place_names")
    codes = names.loc[(names["current"] == "1") & names["adcode"].str.endswith("00"), "adcode"]
    codes = codes[~codes.str.endswith("0000") & ~codes.isin(deep_codes)]
    missing = frame["pref_adcode"].isna().to_numpy()
    # the cluster a register allows: the prefecture where the row names one, else the province
    frame["place"] = frame["pref_adcode"].fillna("province " + frame["province_code"])
    for i in np.flatnonzero(missing):
        province = frame.at[i, "province_code"]
        pool = np.sort(codes[codes.str.startswith(province)].to_numpy())
        # a municipality (Beijing, Tianjin, Shanghai, Chongqing) is one prefecture-level unit
        frame.at[i, "pref_adcode"] = str(rng.choice(pool)) if len(pool) else province + "0000"
    places = frame[["province_code", "pref_adcode", "place"]].to_numpy(dtype=str)
    return places[deep], places[~deep]


def assign_orgs(rng, activity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Organization and year of every project, as the demo draws them: each year's active
    organizations by activity (686 in 2018), busier ones running more projects."""
    orgs, years = [], []
    w = activity / activity.sum()
    for year in YEARS:
        n = PROJECTS_PER_YEAR[year]
        n_active = ORGS_2018 if year == 2018 else int(round(n / 2.24 * rng.uniform(0.95, 1.05)))
        active = rng.choice(len(w), size=n_active, replace=False, p=w)
        extra = rng.choice(active, size=n - n_active, p=w[active] / w[active].sum())
        orgs.append(np.concatenate([active, extra]))
        years.append(np.full(n, year))
    return np.concatenate(orgs), np.concatenate(years)


def draw_register(rng, pools, design: dict) -> pd.DataFrame:
    """One simulated register in the baseline's clean columns (plus ``prefecture``), log cost per
    beneficiary = 8 + sector + 0.30 * deep + organization + prefecture shock + noise."""
    deep_pool, other_pool = pools
    effect, activity = rng.normal(0.0, SD_ORG, N_ORGS), rng.lognormal(0.0, 1.0, N_ORGS)
    specialists = rng.choice(
        N_ORGS, size=design["specialists"], replace=False, p=activity / activity.sum()
    )
    home = rng.integers(len(deep_pool), size=N_ORGS)
    org, year = assign_orgs(rng, activity)
    n = len(org)
    spec = np.isin(org, specialists)
    p_other = (DEEP_SHARE * n - design["purity"] * spec.sum()) / max((~spec).sum(), 1)
    deep = rng.random(n) < np.where(spec, design["purity"], np.clip(p_other, 0.0, 1.0))
    at_home = spec & (rng.random(n) < design["home"])
    deep_row = np.where(at_home, home[org], rng.integers(len(deep_pool), size=n))
    place = np.where(
        deep[:, None], deep_pool[deep_row], other_pool[rng.integers(len(other_pool), size=n)]
    )
    codes, pref = np.unique(place[:, 1], return_inverse=True)
    sector = rng.choice(list(SECTOR_SHARE), size=n, p=list(SECTOR_SHARE.values()))
    log_c = (
        LOG_COST_BASE
        + np.array([SECTOR_EFFECT[s] for s in sector])
        + DEEP_EFFECT * deep
        + effect[org]
        + rng.normal(0.0, design["sd_pref"], len(codes))[pref]
        + rng.normal(0.0, SD_NOISE, n)
    )
    spend = rng.lognormal(15.3, 1.3, n)
    return pd.DataFrame(
        {
            "org_name": org,
            "expenditure_yuan": spend,
            "beneficiaries": spend / np.exp(log_c),
            "deep_poverty_area": deep,
            "sector": sector,
            "year": year,
            "province": place[:, 0],
            "prefecture": place[:, 1],
            "place": place[:, 2],
            "specialist": spec,
        }
    )


def fit_intervals(use: pd.DataFrame) -> dict[str, tuple[float, float, float, float]]:
    """(estimate, standard error, lower, upper) of the 三区三州 coefficient, 95 %, per INTERVALS and
    LARGER row.

    The design is built once, by ``clustered_ols`` as ``fit_baseline`` builds it; every other row
    refits that model with other groups, as ``clustered_ols`` and ``baseline_inference`` do."""
    base, _ = clustered_ols(BASELINE_FORMULA, use[[*COLUMNS, "org_name"]], "org_name")
    groups = {c: pd.factorize(use[c])[0] for c in ("org_name", "prefecture", "place", "province")}
    out = {}
    for label, cluster, second, cov in INTERVALS:
        g = (
            groups[cluster]
            if second is None
            else np.column_stack([groups[cluster], groups[second]])
        )
        fit = base.model.fit(
            cov_type="cluster" if cov == "cr1" else "cluster-crv3",
            cov_kwds={"groups": g},
            use_t=True,
        )
        low, high = fit.conf_int(alpha=0.05).loc["deep"]
        out[label] = (fit.params["deep"], fit.bse["deep"], low, high)
    for label, first, second in LARGER:
        out[label] = max(out[first], out[second], key=lambda v: v[1])
    return out


def check_toolkit(frame: pd.DataFrame, mine: dict) -> None:
    """The script's intervals are those ``fit_baseline`` and ``baseline_inference`` report on the
    same register (the CR3 rows by prefecture and province are the CR3 by organization's code with
    other groups)."""
    rows = {}

    def cr1(cluster: str) -> pd.Series:
        fit = fit_baseline(frame, cluster=cluster, errors="cr1")
        return fit.set_index("term").loc["deep_poverty_area"]

    for cluster, name in (("org_name", "organization"), ("prefecture", "prefecture")):
        rows[f"CR1 by {name}" + (" (the old headline)" if name == "organization" else "")] = cr1(
            cluster
        )
    rows["CR1 by province"] = cr1("province")
    # The toolkit's place is the frame's prefecture column, here the true prefecture of every row.
    headline = fit_baseline(frame).set_index("term").loc["deep_poverty_area"]
    rows["larger SE of CR3 by organization and two-way organization x prefecture"] = headline
    for second in ("prefecture", "province"):
        inf = baseline_inference(frame, second_cluster=second, reps=99).set_index("model")
        rows["CR3 by organization"] = inf.loc["baseline_cr3"]
        rows[f"CR1 two-way organization x {second}"] = inf.loc["baseline_twoway"]
    for label, row in rows.items():
        got = np.array([row["estimate"], row["std_error"], row["ci_low"], row["ci_high"]])
        if not np.allclose(got, mine[label], rtol=1e-10, atol=1e-12):
            raise AssertionError(f"{label}: script {mine[label]} but toolkit {got}")


def replicate(
    reps: int, seed: int, design: dict, pool_sizes: tuple[int, int] = (2000, 4000)
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Per replication and interval: estimate, standard error, covers 0.30; per replication the
    design's realized 三区三州 share and the specialists' share of 三区三州 projects; seconds per
    replication. ``pool_sizes``: the 三区三州 and other places drawn once from the demo's geography."""
    pools = location_pools(seed, *pool_sizes)
    check = draw_register(np.random.default_rng(seed + 1), pools, design)
    check_toolkit(
        check.drop(columns=["specialist", "place"]), fit_intervals(project_sample(check)[0])
    )
    rng = np.random.default_rng(seed)
    rows, shares = [], []
    start = time.perf_counter()
    for r in range(reps):
        frame = draw_register(rng, pools, design)
        use, _ = project_sample(frame)
        fits = fit_intervals(use)
        for label, (est, se, low, high) in fits.items():
            rows.append((r, label, est, se, low <= DEEP_EFFECT <= high))
        deep = frame["deep_poverty_area"]
        shares.append((deep.mean(), (deep & frame["specialist"]).sum() / deep.sum()))
    per_rep = (time.perf_counter() - start) / reps
    table = pd.DataFrame(rows, columns=["rep", "interval", "estimate", "se", "covers"])
    return table, pd.DataFrame(shares, columns=["deep_share", "specialist_share"]), per_rep


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Coverage, its Monte Carlo standard error and the mean standard error, per interval."""
    out = table.groupby("interval", sort=False).agg(
        coverage=("covers", "mean"), mean_se=("se", "mean")
    )
    out["mc_se"] = np.sqrt(out["coverage"] * (1 - out["coverage"]) / table["rep"].nunique())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261214)
    for name, value in DEFAULT_DESIGN.items():
        parser.add_argument("--" + name.replace("_", "-"), type=type(value), default=value)
    args = parser.parse_args()
    design = {k: getattr(args, k) for k in DEFAULT_DESIGN}
    warnings.simplefilter("ignore")
    table, shares, per_rep = replicate(args.reps, args.seed, design)
    est = table.drop_duplicates("rep")["estimate"]
    print(
        f"{args.reps} replications, seed {args.seed}, {per_rep:.2f} s per replication; design "
        + ", ".join(f"{k} {v}" for k, v in design.items())
        + f"; 三区三州 share {shares['deep_share'].mean():.3f}, run by specialists "
        f"{shares['specialist_share'].mean():.3f}; estimate median {est.median():.4f}, "
        f"SD over replications {est.std():.4f}\n"
    )
    print("| interval (95 %) | covers 0.30 | Monte Carlo SE | mean SE |")
    print("|---|---|---|---|")
    for label, row in summarise(table).iterrows():
        print(f"| {label} | {row['coverage']:.3f} | {row['mc_se']:.3f} | {row['mean_se']:.4f} |")


if __name__ == "__main__":
    main()
