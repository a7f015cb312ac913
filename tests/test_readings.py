"""Sentences read from tables: the robustness reading names the widest interval, and the largest
standard error apart when the two differ (fewer clusters give a wider interval from a smaller SE)."""

from __future__ import annotations

import pandas as pd

from analysis.present.readings import robustness_text

COLUMNS = ["model", "estimate", "std_error", "ci_low", "ci_high", "check", "largest_se"]


def table(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def test_the_widest_interval_is_named_even_when_another_check_has_the_largest_se():
    text = robustness_text(
        table(
            [
                ("baseline", 0.30, 0.020, 0.26, 0.34, "as reported", False),
                ("cluster_org", 0.30, 0.031, 0.24, 0.36, "CR1 clustered by org_name", True),
                ("cluster_province", 0.30, 0.030, 0.22, 0.38, "CR1 clustered by province", False),
            ]
        )
    )
    assert '"CR1 clustered by province": SE 0.0300 against 0.0200 as reported' in text
    assert "read [0.220, 0.380]" in text
    assert 'The largest SE (0.0310) is that of "CR1 clustered by org_name"' in text


def test_when_the_largest_se_gives_the_widest_interval_one_check_is_named():
    text = robustness_text(
        table(
            [
                ("baseline", 0.30, 0.020, 0.26, 0.34, "as reported", False),
                ("cluster_province", 0.30, 0.031, 0.22, 0.38, "CR1 clustered by province", True),
            ]
        )
    )
    assert '"CR1 clustered by province": SE 0.0310' in text
    assert "largest SE" not in text
