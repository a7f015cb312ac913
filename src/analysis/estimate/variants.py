"""The headline (ratio of totals, yuan per person, one year) on a variant of the data, with its own
organization-bootstrap interval: what the sensitivity table and the de-duplication bounds share.

A variant is a set of projects with their spending (yuan) and persons. Each variant draws its replicates
from its own random stream, spawned from the seed with a stable key (:func:`analysis.estimate.intervals.keyed_generator`), so a variant's
interval does not depend on which other variants are computed in the same call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.estimate.costs import person_times_rows
from analysis.estimate.intervals import keyed_generator, ratio_interval
from analysis.schema import require_columns

BOOTSTRAP_METHOD = "percentile"  # the interval of every variant (the cost table's default)


def baseline_key(year: int) -> tuple[str, str, str]:
    """The stream of the headline of ``year`` as recorded: the cost table's own (estimator, group,
    level), so with the same seed the baseline's interval is the cost table's interval of that year."""
    return ("ratio_of_totals", "year", str(year))


def headline_rows(data: pd.DataFrame, year: int, cluster: str) -> pd.DataFrame:
    """Projects of ``year`` in the headline: positive spending and beneficiaries, persons (person-times
    rows left out) and a known ``cluster`` (organization), as in the cost table's ratio of totals."""
    require_columns(data, ["year", "expenditure_yuan", "beneficiaries", cluster])
    d = data[
        (data["year"] == year)
        & (data["expenditure_yuan"] > 0)
        & (data["beneficiaries"].fillna(0) > 0)
        & data[cluster].notna()
    ]
    if d.empty:
        raise ParameterError(f"no projects with spending and beneficiaries in {year}")
    return d[~person_times_rows(d)]


def check_bootstrap(bootstrap_reps, seed, ci) -> None:
    """Refuse a negative or non-integer number of replicates or seed, or a coverage outside (0, 1)."""
    if not isinstance(bootstrap_reps, int | np.integer) or bootstrap_reps < 0:
        raise ParameterError(
            f"bootstrap_reps must be a non-negative integer, got {bootstrap_reps!r}"
        )
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    if not 0 < ci < 1:
        raise ParameterError(f"ci must be between 0 and 1, got {ci}")


@dataclass(frozen=True)
class Variant:
    """Projects (``rows``) with their spending in yuan (``numerator``, default the rows'
    ``expenditure_yuan``) and persons (``denominator``, default their ``beneficiaries``); the two
    series are in the order of ``rows``."""

    rows: pd.DataFrame
    denominator: pd.Series | None = None
    numerator: pd.Series | None = None

    def totals(self, cluster: str) -> pd.DataFrame:
        """Spending (``num``) and persons (``den``) summed by cluster (organization)."""
        num = self.rows["expenditure_yuan"] if self.numerator is None else self.numerator
        den = self.rows["beneficiaries"] if self.denominator is None else self.denominator
        frame = pd.DataFrame(
            {
                "num": num.to_numpy(float, na_value=np.nan),
                "den": den.to_numpy(float, na_value=np.nan),
                "c": self.rows[cluster].to_numpy(),
            }
        )
        return frame.groupby("c", observed=True)[["num", "den"]].sum()


@dataclass(frozen=True)
class Bootstrap:
    """The options of the variants' intervals: replicates, seed, cluster and coverage."""

    reps: int
    seed: int
    cluster: str
    ci: float

    def ratio(self, variant: Variant, *key: str) -> dict:
        """``estimate`` (sum of spending / sum of persons, yuan per person), its percentile
        organization-bootstrap interval (``ci_low``, ``ci_high``; NaN without replicates or with fewer
        than two organizations) from the stream of ``key``, and ``n_clusters``."""
        ct = variant.totals(self.cluster)
        num, den = ct["num"].to_numpy(float), ct["den"].to_numpy(float)
        rng = keyed_generator(self.seed, *key)
        lo, hi = ratio_interval(num, den, self.reps, rng, 1 - self.ci, BOOTSTRAP_METHOD)
        with np.errstate(divide="ignore", invalid="ignore"):  # no projects left: NaN
            estimate = float(np.float64(num.sum()) / den.sum())
        return {
            "estimate": estimate,
            "ci_low": lo,
            "ci_high": hi,
            "n_clusters": len(ct),
        }

    def method(self) -> str:
        """The ``ci_method`` text of the intervals."""
        if not self.reps:
            return "none"
        return f"{BOOTSTRAP_METHOD}, organization bootstrap, {self.reps} reps"
