"""Coverage of the cost-per-beneficiary intervals of a ratio of totals (the table in docs/methods.md).

Design (as tests/test_costs.py): organizations with 1 + Poisson(2) projects, lognormal spending with the
given log-sd, cost per beneficiary exp(8 + u_org + e) with u_org ~ N(0, 0.35^2), e ~ N(0, 0.6^2); the
true ratio of totals is 1 / E[1/c] = exp(8 - (0.35^2 + 0.6^2) / 2). Per replication: does each 95%
interval of the package (percentile, BCa, studentized bootstrap with 999 draws; delta and Fieller)
cover it? Replication k uses seed k for the data and 10,000 + k for the bootstrap.

Run: .venv/bin/python scripts/cost_coverage.py [replications]   (prints a Markdown table; the four
designs of docs/methods.md)
"""

from __future__ import annotations

import sys

import numpy as np

from analysis.estimate.intervals import ratio_interval, ratio_interval_analytic

TRUTH = float(np.exp(8 - (0.35**2 + 0.6**2) / 2))
DESIGNS = ((300, 1.0), (150, 1.0), (400, 1.3), (150, 1.3))  # (organizations, spending log-sd)
BOOTSTRAP = ("percentile", "bca", "studentized")


def cluster_totals(seed: int, n_orgs: int, sd_spend: float) -> tuple[np.ndarray, np.ndarray]:
    """Spending and beneficiary totals per organization of one simulated register."""
    rng = np.random.default_rng(seed)
    org = np.repeat(np.arange(n_orgs), 1 + rng.poisson(2, n_orgs))
    spend = rng.lognormal(0.0, sd_spend, len(org))
    cost = np.exp(8 + rng.normal(0, 0.35, n_orgs)[org] + rng.normal(0, 0.6, len(org)))
    return np.bincount(org, spend), np.bincount(org, spend / cost)


def coverage(reps: int, n_orgs: int, sd_spend: float) -> dict[str, float]:
    """Share of ``reps`` replications whose interval covers the truth, per method."""
    hits = dict.fromkeys([*BOOTSTRAP, "delta", "fieller"], 0)
    for k in range(reps):
        num, den = cluster_totals(k, n_orgs, sd_spend)
        for method in BOOTSTRAP:
            lo, hi = ratio_interval(num, den, 999, np.random.default_rng(10_000 + k), 0.05, method)
            hits[method] += lo <= TRUTH <= hi
        a = ratio_interval_analytic(num, den)
        hits["delta"] += a["delta_low"] <= TRUTH <= a["delta_high"]
        hits["fieller"] += a["fieller_low"] <= TRUTH <= a["fieller_high"]
    return {m: n / reps for m, n in hits.items()}


def main(reps: int = 1000) -> None:
    print(
        f"{reps} replications per design; Monte Carlo SE at 0.95: {np.sqrt(0.95 * 0.05 / reps):.3f}"
    )
    print()
    print("| organizations | spending log-sd | percentile | BCa | studentized | delta | Fieller |")
    print("|---|---|---|---|---|---|---|")
    for n_orgs, sd in DESIGNS:
        c = coverage(reps, n_orgs, sd)
        cells = " | ".join(f"{c[m]:.3f}" for m in (*BOOTSTRAP, "delta", "fieller"))
        print(f"| {n_orgs} | {sd} | {cells} |", flush=True)


if __name__ == "__main__":
    main(*[int(a) for a in sys.argv[1:2]])
