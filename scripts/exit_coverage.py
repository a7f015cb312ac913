"""Coverage of the exit (摘帽) event study's intervals, and the plain TWFE's bias, on the demo's own design.

SIMULATED. The design is the demo register's projects as they are after cleaning (their year, sector,
organization, county, 三区三州 status and the exit year of their county: 3,020 projects in 365 known
counties, 2,197 of them in poverty counties). Each replication keeps the design and draws new outcomes
from the demo's model: log cost per beneficiary = year trend + sector effect + 0.30 x 三区三州 + a new
organization effect (sd 0.35) + noise (sd 0.60) + the planted exit effect of the project's cohort and
event time (``analysis.demo.simulate.EXIT_EFFECT``). The target at event time l is the weighted average
of the cohorts' planted effects with the estimator's weights (each cohort's share of the projects at l),
0 before exit. Per replication: does each 95% interval cover, and how far is each estimate from it.

Run: .venv/bin/python scripts/exit_coverage.py [replications] [seed] [errors] [cluster]
(prints a Markdown table; defaults 200, 20261202, cr1, county)
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd

from analysis.demo.simulate import EXIT_EFFECT, SD_NOISE, SD_ORG, SECTOR_EFFECT, exit_effect
from analysis.estimate.staggered import (
    exit_cohort_weights,
    exit_sample,
    fit_exit_event_study,
    fit_exit_twfe,
)
from analysis.registers.cleaning import clean_registers
from analysis.registers.read import read_register


def design() -> pd.DataFrame:
    """The demo register's projects of known poverty status, as the exit models use them."""
    data = clean_registers(read_register("data/raw/demo_register.csv")).data
    return exit_sample(data)[0].reset_index(drop=True)


def targets(sample: pd.DataFrame) -> dict[int, float]:
    """The event-time estimands on this design: cohort effects weighted as the estimator weights."""
    w = exit_cohort_weights(sample)
    w["effect"] = exit_effect(w["cohort"].to_numpy(), (w["cohort"] + w["event"]).to_numpy())
    out = (w["weight"] * w["effect"]).groupby(w["event"]).sum()
    return {int(k): float(v) for k, v in out.items()}


def redraw(sample: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """New outcomes on the design (log yuan per person written as spending with one beneficiary)."""
    orgs = pd.factorize(sample["org_name"])[0]
    u = rng.normal(0.0, SD_ORG, orgs.max() + 1)
    y = (
        8.0
        + 0.05 * (sample["year"].to_numpy() - 2016)
        + sample["sector"].map(SECTOR_EFFECT).to_numpy(dtype=float)
        + 0.30 * sample["deep_poverty_area"].fillna(False).to_numpy(dtype=float)
        + u[orgs]
        + rng.normal(0.0, SD_NOISE, len(sample))
        + exit_effect(sample["cohort"].to_numpy(), sample["year"].to_numpy())
    )
    return sample.assign(expenditure_yuan=np.exp(y), beneficiaries=1)


def one(sample, truth, rng, errors: str, cluster: str) -> list[dict]:
    """One replication: per model and event time, the estimate's error and whether it covers."""
    data = redraw(sample, rng)
    rows = []
    for fit in (
        fit_exit_event_study(data, errors=errors, cluster=cluster),
        fit_exit_twfe(data, errors=errors, cluster=cluster),
    ):
        for r in fit.itertuples():
            event = int(r.term.split(":")[1])
            if event == -1 or event not in truth:
                continue
            value = truth[event]
            covered = r.ci_low <= value <= r.ci_high
            rows.append(
                {"model": r.model, "event": event, "error": r.estimate - value, "covers": covered}
            )
    return rows


def table(results: pd.DataFrame, truth: dict[int, float], reps: int) -> str:
    """The Markdown table: target, and per model bias, empirical SD and coverage."""
    g = results.groupby(["event", "model"])
    summary = pd.DataFrame(
        {"bias": g["error"].mean(), "sd": g["error"].std(), "covers": g["covers"].mean()}
    ).unstack("model")
    lines = [
        f"{reps} replications\n",
        "| event time | target | IW bias | IW SD | IW covers | TWFE bias | TWFE covers |",
        "|---|---|---|---|---|---|---|",
    ]
    for event, row in summary.iterrows():
        lines.append(
            f"| {event} | {truth[event]:.3f} | {row[('bias', 'exit_event_study')]:+.3f} "
            f"| {row[('sd', 'exit_event_study')]:.3f} | {row[('covers', 'exit_event_study')]:.3f} "
            f"| {row[('bias', 'exit_twfe')]:+.3f} | {row[('covers', 'exit_twfe')]:.3f} |"
        )
    iw = results[results["model"] == "exit_event_study"]["covers"]
    lines.append(f"\nIW, every event time pooled: {iw.mean():.3f} ({len(iw)} intervals)")
    return "\n".join(lines)


if __name__ == "__main__":
    warnings.filterwarnings("ignore")
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20261202
    errors = sys.argv[3] if len(sys.argv) > 3 else "cr1"
    cluster = sys.argv[4] if len(sys.argv) > 4 else "county"
    sample = design()
    truth = targets(sample)
    rng = np.random.default_rng(seed)
    results = pd.DataFrame(
        [r for _ in range(reps) for r in one(sample, truth, rng, errors, cluster)]
    )
    print(f"exit effects planted (level, slope by cohort): {EXIT_EFFECT}")
    print(f"{reps} replications, seed {seed}, errors {errors}, clusters {cluster}\n")
    print(table(results, truth, reps))
