"""Benchmark: organization bootstrap of the ratio of totals, vectorized vs a naive resampling loop.

Usage: .venv/bin/python benchmarks/bench_bootstrap.py [N_ORGS] [REPS] [NAIVE_REPS]
Both run in the same process on the same simulated projects (N_ORGS organizations with 1 + Poisson(2)
projects each). The naive loop resamples organizations and rebuilds the project frame for every
replicate (what one writes first with pandas); it runs NAIVE_REPS replicates and its time is scaled
linearly to REPS. Prints one Markdown table row per method. Not a test: times vary with the machine.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from analysis.estimate.costs import estimate_cost_per_beneficiary
from analysis.estimate.intervals import ratio_interval


def projects(n_orgs: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    org = np.repeat(np.arange(n_orgs), 1 + rng.poisson(2, n_orgs))
    spend = rng.lognormal(13, 1.0, len(org))
    return pd.DataFrame(
        {
            "org_name": [f"org{i}" for i in org],
            "year": 2018,
            "expenditure_yuan": spend,
            "beneficiaries": pd.array(np.maximum(1, np.round(spend / 5000)), dtype="Int64"),
            "flags": "",
        }
    )


def naive(df: pd.DataFrame, reps: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    names = df["org_name"].unique()
    by_org = dict(tuple(df.groupby("org_name")))
    out = []
    for _ in range(reps):
        pick = rng.choice(names, size=len(names), replace=True)
        sample = pd.concat([by_org[n] for n in pick], ignore_index=True)
        out.append(sample["expenditure_yuan"].sum() / sample["beneficiaries"].sum())
    return np.array(out)


def main() -> None:
    n_orgs = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000
    naive_reps = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    df = projects(n_orgs)
    t0 = time.perf_counter()
    table = estimate_cost_per_beneficiary(df, bootstrap_reps=reps, seed=1)
    fast = time.perf_counter() - t0
    totals = df.groupby("org_name")[["expenditure_yuan", "beneficiaries"]].sum()
    num, den = totals["expenditure_yuan"].to_numpy(float), totals["beneficiaries"].to_numpy(float)
    t0 = time.perf_counter()
    ratio_interval(num, den, reps, np.random.default_rng(1), 0.05, "percentile")
    core = time.perf_counter() - t0
    t0 = time.perf_counter()
    naive(df, naive_reps)
    slow = (time.perf_counter() - t0) * reps / naive_reps
    est = table.loc[table["estimator"] == "ratio_of_totals"].iloc[0]
    print("| method | organizations | projects | replicates | seconds |")
    print("|---|---|---|---|---|")
    print(
        f"| estimate_cost_per_beneficiary (all estimators, vectorized) | {n_orgs} | {len(df)} | {reps} | {fast:.2f} |"
    )
    print(
        f"| ratio-of-totals interval alone (cluster totals resampled by index) | {n_orgs} | {len(df)} | {reps} | {core:.2f} |"
    )
    print(
        f"| naive resampling loop (ratio only; {naive_reps} reps timed, scaled) | {n_orgs} | {len(df)} | {reps} | {slow:.1f} |"
    )
    print(
        f"\nspeed-up {slow / fast:.0f}x; estimate {est['estimate']:.1f}, interval {est['ci_low']:.1f}-{est['ci_high']:.1f}"
    )


if __name__ == "__main__":
    main()
