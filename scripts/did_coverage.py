"""Coverage of the spending shift's intervals and size of its tests on the demo's own design.

The design is the demo register's area-year panel as it is (36 areas, 6 of them 三区三州, 2016-2020,
one year before the policy). Each replication keeps the panel's areas, years and treatment, and draws
new outcomes: the two-way fixed-effects fit of the demo plus a known effect theta, plus the residual
vectors of areas drawn with replacement (each area gets another area's whole residual path, so errors
stay correlated within an area and differ in size between areas). Per replication: does each
interval (CR1 nested, CR1 counting every effect, CR3, the wild cluster bootstrap's by test inversion)
cover theta, and do the randomization and wild bootstrap tests reject theta at 5 %? The wild bootstrap
is analysis.estimate.wild (WCR, Rademacher, 999 draws, area effects absorbed, K of the nested
convention), its interval and its test from the same draws.

Run: .venv/bin/python scripts/did_coverage.py [replications] [seed]   (prints a Markdown table)
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from analysis.estimate.absorbed import fit_absorbed, randomization_p
from analysis.estimate.shift import shift_panel
from analysis.estimate.wild import wild_draws, wild_interval, wild_p
from analysis.registers.cleaning import clean_registers
from analysis.registers.read import read_register

THETA = (
    0.47  # the demo's planted shift, log(1.6), rounded: any value serves, the design is the point
)


def _intervals(panel: pd.DataFrame, years: list[str], theta: float) -> dict[str, bool]:
    regs = ["treat_post", *years]
    out = {}
    for convention in ("nested", "count_all"):
        fit = fit_absorbed(
            panel,
            outcome="y",
            regressors=regs,
            absorb="area",
            cluster="area",
            convention=convention,
        )
        q = stats.t.ppf(0.975, fit.n_clusters - 1)
        se1, se3 = np.sqrt(fit.cov_cr1[0, 0]), np.sqrt(fit.cov_cr3[0, 0])
        out[f"CR1 {convention}"] = abs(fit.coef[0] - theta) <= q * se1
        if convention == "nested":
            out["CR3"] = abs(fit.coef[0] - theta) <= q * se3
    return out


def _wild(panel: pd.DataFrame, years: list[str], theta: float, seed: int) -> dict[str, bool]:
    """Does the wild bootstrap's interval (test inversion, 999 draws) cover theta, and does its test
    reject theta at 5 %? (The same draws for both.)"""
    draws = wild_draws(
        panel["y"],
        panel[["treat_post", *years]],
        0,
        panel["area"],
        reps=999,
        seed=seed,
        absorb=panel["area"],
    )
    low, high = wild_interval(draws, 0.95)
    return {
        "wild (interval by test inversion)": low <= theta <= high,
        "wild (test)": wild_p(draws, theta) < 0.05,
    }


def _randomization(
    panel: pd.DataFrame, years: list[str], theta: float, seed: int
) -> dict[str, bool]:
    """Does randomization inference reject theta at 5 %? (the outcome shifted by
    -theta * treat_post, then tested against 0)."""
    null = panel.assign(y=panel["y"] - theta * panel["treat_post"])
    p_ri, _ = randomization_p(
        null,
        outcome="y",
        treated_unit="deep",
        post="post",
        controls=years,
        absorb="area",
        reps=999,
        seed=seed,
    )
    return {"randomization (test)": p_ri <= 0.05}


def main(reps: int = 200, seed: int = 20261201) -> None:
    warnings.simplefilter("ignore")
    data = clean_registers(read_register("data/raw/demo_register.csv")).data
    panel, years, _ = shift_panel(data, 2017)
    regs = ["treat_post", *years]
    fit = fit_absorbed(panel, outcome="log_spend", regressors=regs, absorb="area", cluster="area")
    x = panel[regs].to_numpy(float)
    within = panel["log_spend"] - panel.groupby("area")["log_spend"].transform("mean")
    xw = x - pd.DataFrame(x).groupby(panel["area"].to_numpy()).transform("mean").to_numpy()
    resid = (within - xw @ fit.coef).to_numpy()
    mean = (
        panel["log_spend"].to_numpy() - resid - x[:, 0] * fit.coef[0]
    )  # the fit without the effect
    areas = panel["area"].to_numpy()
    by_area = {a: resid[areas == a] for a in pd.unique(areas)}
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(reps):
        donors = rng.choice(list(by_area), size=len(by_area))
        noise = np.concatenate(
            [by_area[d][: (areas == a).sum()] for a, d in zip(by_area, donors, strict=True)]
        )
        order = np.concatenate([np.flatnonzero(areas == a) for a in by_area])
        y = np.empty(len(panel))
        y[order] = noise
        sim = panel.assign(y=mean + THETA * panel["treat_post"] + y)
        rows.append(
            {
                **_intervals(sim, years, THETA),
                **_wild(sim, years, THETA, seed + r),
                **_randomization(sim, years, THETA, seed + r),
            }
        )
    table = pd.DataFrame(rows).mean()
    mcse = np.sqrt(0.95 * 0.05 / reps)
    print(
        f"{reps} replications, seed {seed}; design: {panel['area'].nunique()} areas, "
        f"{int(panel.groupby('area')['deep'].first().sum())} treated, years "
        f"{panel['year'].min()}-{panel['year'].max()}; Monte Carlo SE at 0.95: {mcse:.3f}\n"
    )
    print("| interval or test | covers theta (intervals) / rejects true theta at 5 % (tests) |")
    print("|---|---|")
    for name, value in table.items():
        print(f"| {name} | {value:.3f} |")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
