"""Benchmark: cost per beneficiary (2,000 bootstrap replicates) and the baseline model at 10k, 100k
and 1M cleaned rows, each against the simplest correct alternative in the same process.

Usage: .venv/bin/python benchmarks/bench_models.py [ROWS ...]   (default 10000 100000 1000000)
Registers are made as in bench_clean.py (the demo register's rows repeated as new projects, so the
demo's 686 organizations are the bootstrap's clusters at every size) and cleaned first (not timed).
- cost: ``estimate_cost_per_beneficiary(by="year", bootstrap_reps=2000)`` against a naive loop that
  resamples organizations and rebuilds the project frame for every replicate (national ratio only;
  5 replicates timed, scaled to 2,000);
- baseline: ``fit_baseline`` (sample selection, clustered OLS, tidy table) against the same formula
  fitted by statsmodels directly with cluster-robust errors on a prepared frame.
Prints a Markdown table.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import statsmodels.formula.api as smf
from bench_bootstrap import naive
from bench_clean import make_register

from analysis.estimate.costs import estimate_cost_per_beneficiary
from analysis.estimate.models import BASELINE_FORMULA, project_sample
from analysis.estimate.regional import fit_baseline
from analysis.registers.cleaning import clean_registers
from analysis.registers.read import read_register

REPS = 2_000
NAIVE_REPS = 5


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    print(
        "| rows | clean rows | cost, 2,000 reps s | naive loop s (scaled) | speed-up "
        "| fit_baseline s | statsmodels alone s |"
    )
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            data = clean_registers(read_register(make_register(n, Path(tmp)))).data
            t0 = time.perf_counter()
            estimate_cost_per_beneficiary(data, by="year", bootstrap_reps=REPS, seed=1)
            t_cost = time.perf_counter() - t0
            frame = data[["org_name", "expenditure_yuan", "beneficiaries"]].dropna()
            frame = frame[frame["beneficiaries"] > 0]
            t0 = time.perf_counter()
            naive(frame, NAIVE_REPS)
            t_naive = (time.perf_counter() - t0) * REPS / NAIVE_REPS
            t0 = time.perf_counter()
            fit_baseline(data)
            t_base = time.perf_counter() - t0
            use = project_sample(data)[0][["log_cpb", "deep", "sector", "year", "org_name"]]
            t0 = time.perf_counter()
            groups = np.unique(use["org_name"].to_numpy(dtype=str), return_inverse=True)[1]
            smf.ols(BASELINE_FORMULA, data=use).fit(
                cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
            )
            t_sm = time.perf_counter() - t0
            print(
                f"| {n:,} | {len(data):,} | {t_cost:.2f} | {t_naive:.0f} | {t_naive / t_cost:.0f} "
                f"| {t_base:.2f} | {t_sm:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
