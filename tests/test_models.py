"""The shared OLS helper: rows without a cluster are left out aloud, never silently."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.estimate.models import clustered_ols


def frame(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {"y": 1 + 2 * x + rng.normal(size=n), "x": x, "g": np.repeat(np.arange(30), 2)}
    )


def test_rows_without_a_cluster_are_counted_in_a_warning_and_left_out():
    data = frame()
    data["g"] = data["g"].astype("Int64")
    data.loc[[0, 5, 7], "g"] = pd.NA
    with pytest.warns(UserWarning, match=r"^3 of 60 rows have no 'g' to cluster by"):
        result, _ = clustered_ols("y ~ x", data, "g")
    assert result.nobs == 57
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the complete rows: no warning at all
        expected, _ = clustered_ols("y ~ x", data.dropna(subset=["g"]), "g")
    assert result.params.equals(expected.params)


def test_no_warning_about_missing_clusters_when_every_row_has_one(recwarn):
    clustered_ols("y ~ x", frame(), "g")
    assert not [w for w in recwarn if "to cluster by" in str(w.message)]
