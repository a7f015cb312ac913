"""Why the mean of project ratios sits above the ratio of totals on the demo register (docs/methods.md).

If spending s and cost per beneficiary c = s / b are independent, the ratio of totals Σs / Σ(s/c) tends to
1 / E[1/c], so mean of ratios / ratio of totals tends to E[c]·E[1/c]; for lognormal c that is
exp(var log c) (Jensen's inequality): dispersion alone, with no link between size and cost. The script
prints the observed gap, exp(var log c), E[c]·E[1/c] and the correlation of log spending with log cost,
for 2018 projects of the shipped demo register (positive spending and beneficiaries, not person-times).

Run: .venv/bin/python scripts/cost_gap.py [register.csv] [year]
"""

from __future__ import annotations

import sys

import numpy as np

from analysis.registers.cleaning import clean_registers
from analysis.registers.read import read_register


def main(path: str = "data/raw/demo_register.csv", year: int = 2018) -> None:
    data = clean_registers(read_register(path)).data
    use = data[
        (data["year"] == year)
        & (data["expenditure_yuan"] > 0)
        & (data["beneficiaries"].fillna(0) > 0)
        & ~data["flags"].astype(str).str.contains("person_times")
    ]
    s = use["expenditure_yuan"].to_numpy(float)
    c = s / use["beneficiaries"].to_numpy(float)
    ratio_of_totals = s.sum() / (s / c).sum()
    print(f"projects: {len(use)}")
    print(f"ratio of totals: {ratio_of_totals:,.0f} yuan per person")
    print(f"mean of ratios: {c.mean():,.0f}; median of ratios: {np.median(c):,.0f}")
    print(f"mean of ratios / ratio of totals: {c.mean() / ratio_of_totals:.2f}")
    print(f"exp(var log c): {np.exp(np.log(c).var(ddof=1)):.2f}")
    print(f"E[c] * E[1/c]: {c.mean() * (1 / c).mean():.2f}")
    print(f"corr(log spending, log cost): {np.corrcoef(np.log(s), np.log(c))[0, 1]:.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:2], *[int(a) for a in sys.argv[2:3]])
