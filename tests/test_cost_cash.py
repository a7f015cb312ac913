"""Cash benchmark: cost per person against a transfer at the national poverty line, hand-computed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.estimate.cash import CASH_COLUMNS, cash_benchmark, poverty_line_yuan
from analysis.estimate.costs import estimate_cost_per_beneficiary
from analysis.reference import load_reference

# The national CPI (previous year = 100) of 2011-2018 as shipped in data/cpi.csv, typed out here.
GROWTH_2011_2016 = [1.054, 1.026, 1.026, 1.020, 1.014, 1.020]
LINE_2016 = 2300 * np.prod(GROWTH_2011_2016)  # 2,692.16 yuan
LINE_2018 = LINE_2016 * 1.016 * 1.021  # 2,792.68 yuan


def cost_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": ["year", "year+sector", "sector", "year", "year"],
            "level": ["2018", "2016/health", "health", "2010", "2018"],
            "estimator": ["ratio_of_totals"] * 4 + ["ratio_of_totals_per_household"],
            "denominator": ["persons"] * 4 + ["households"],
            "price_basis": [
                "nominal yuan",
                "nominal yuan",
                "constant 2016 yuan (CPI)",
                "nominal yuan",
                "nominal yuan",
            ],
            "estimate": [5559.0, 8000.0, 9000.0, 4600.0, 51000.0],
            "ci_low": [5000.0, 7000.0, 8000.0, np.nan, 45000.0],
            "ci_high": [6200.0, 9500.0, 10000.0, np.nan, 58000.0],
        }
    )


def test_the_shipped_line_is_2300_yuan_at_2010_prices_with_its_source():
    line = load_reference("poverty_line").iloc[0]
    assert (line["price_year"], line["yuan_per_person_year"]) == ("2010", "2300")
    assert "2300元(2010年不变价)" in line["source"]
    assert poverty_line_yuan(2010) == pytest.approx(2300.0)
    assert poverty_line_yuan(2016) == pytest.approx(LINE_2016, rel=1e-12)
    assert poverty_line_yuan(2018) == pytest.approx(2792.678, abs=1e-3)


def test_multiples_are_the_cost_over_the_line_in_the_same_prices():
    out = cash_benchmark(cost_rows())
    assert list(out.columns) == CASH_COLUMNS
    assert list(out["level"]) == ["2018", "2016/health", "health", "2010"]  # per-person rows only
    assert list(out["line_price_year"]) == [2018, 2016, 2016, 2010]
    np.testing.assert_allclose(
        out["poverty_line_yuan"], [LINE_2018, LINE_2016, LINE_2016, 2300.0], rtol=1e-12
    )
    first = out.iloc[0]
    assert first["multiple"] == pytest.approx(5559 / LINE_2018)  # 1.99 years of the line
    assert first["multiple_low"] == pytest.approx(5000 / LINE_2018)
    assert first["multiple_high"] == pytest.approx(6200 / LINE_2018)
    assert out.iloc[3]["multiple"] == pytest.approx(2.0)
    assert np.isnan(out.iloc[3]["multiple_low"])
    assert "upper bound" in first["caveat"] and "national CPI" in first["caveat"]


def test_another_per_person_denominator_can_be_named():
    rows = cost_rows().assign(denominator=["persons_exited"] * 4 + ["households"])
    out = cash_benchmark(rows, denominator="persons_exited")
    assert len(out) == 4 and set(out["denominator"]) == {"persons_exited"}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"group": "sector", "level": "health"}, "need a year in their group"),
        (
            {"price_basis": "current international dollars (PPP of each year)"},
            "nominal or constant",
        ),
        ({"level": "2021"}, "no CPI for 2021"),
        ({"estimator": "mean_of_ratios"}, "no rows of estimator 'ratio_of_totals'"),
    ],
)
def test_rows_the_line_cannot_be_priced_for_are_refused(change, message):
    rows = cost_rows().iloc[[0]].assign(**change)
    with pytest.raises(ParameterError, match=message):
        cash_benchmark(rows)


@pytest.mark.filterwarnings("ignore:cost per beneficiary")
def test_it_reads_the_cost_table_as_estimated():
    data = pd.DataFrame(
        {
            "org_name": ["A", "B", "C"],
            "year": [2016, 2016, 2018],
            "expenditure_yuan": [3000.0, 5000.0, 4000.0],
            "beneficiaries": pd.array([1, 2, 1], dtype="Int64"),
        }
    )
    costs = estimate_cost_per_beneficiary(data, by="year", base_year=2018, bootstrap_reps=0)
    out = cash_benchmark(costs).set_index("level")
    factor_2016 = 1.016 * 1.021  # 2016 yuan to 2018 yuan
    assert out.loc["2016", "multiple"] == pytest.approx(8000 * factor_2016 / 3 / LINE_2018)
    assert out.loc["2018", "multiple"] == pytest.approx(4000 / LINE_2018)
