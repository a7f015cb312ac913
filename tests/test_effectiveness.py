"""The walk from sticker price to cost per outcome: exact steps on a tiny register, the assumptions
table, and the refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.estimate.cash import poverty_line_yuan
from analysis.estimate.effectiveness import (
    WALK_COLUMNS,
    WALK_STEPS,
    cost_effectiveness,
    walk_assumptions,
)
from analysis.reference import cpi_index

pytestmark = pytest.mark.filterwarnings("ignore:cost per beneficiary")


def register(years=(2018, 2018, 2018, 2018)) -> pd.DataFrame:
    """Four projects of four organizations; cost per person 100, 50, 200 and 100 yuan."""
    return pd.DataFrame(
        {
            "org_name": ["A", "B", "C", "D"],
            "year": list(years),
            "expenditure_yuan": [1000.0, 2000.0, 4000.0, 3000.0],
            "beneficiaries": pd.array([10, 40, 20, 30], dtype="Int64"),
            "households_exited": pd.array([2, 8, 0, 5], dtype="Int64"),
            "flags": ["", "", "", ""],
        }
    )


def walk(data, **options) -> pd.DataFrame:
    options = {"bootstrap_reps": 199, "seed": 3, **options}
    return cost_effectiveness(data, **options).set_index("name")


def test_the_walk_has_its_steps_in_order_and_its_columns():
    out = cost_effectiveness(register(), bootstrap_reps=0)
    assert list(out.columns) == WALK_COLUMNS
    assert list(out["name"]) == [s.name for s in WALK_STEPS]
    assert list(out["step"]) == [1, 2, 3, 4, 5, 6]


def test_each_step_changes_exactly_one_thing_on_a_hand_computed_register():
    out = walk(register(), admin_share=0.2, base_year=2018)
    sticker = 10000 / 100
    assert out.loc["sticker price", "estimate"] == pytest.approx(sticker)
    # All in 2018: constant 2018 yuan are the nominal ones.
    assert out.loc["constant prices", "estimate"] == pytest.approx(sticker)
    # Fully loaded with an admin share of 20%: spending / 0.8.
    assert out.loc["fully loaded", "estimate"] == pytest.approx(sticker / 0.8)
    assert out.loc["fully loaded", "change"] == pytest.approx(0.25)
    # One year, discounted to itself: nothing changes.
    assert out.loc["discounted", "estimate"] == pytest.approx(sticker / 0.8)
    # Per household lifted out: projects recording it (A, B, D): 6000 / 0.8 / 15.
    assert out.loc["per outcome", "estimate"] == pytest.approx(6000 / 0.8 / 15)
    assert out.loc["per outcome", "n_projects"] == 3
    line = poverty_line_yuan(2018)
    assert out.loc["against cash", "estimate"] == pytest.approx(sticker / 0.8 / line)
    assert out.loc["against cash", "ci_low"] == pytest.approx(
        out.loc["discounted", "ci_low"] / line
    )


def test_constant_prices_use_the_cpi_and_discounting_moves_money_and_persons_alike():
    data = register(years=(2016, 2016, 2018, 2018))
    out = walk(data, admin_share=0.0, discount_rate=0.1, base_year=2018)
    level = cpi_index(2018)
    spend = 3000 / level[2016] + 7000 / level[2018]
    assert out.loc["constant prices", "estimate"] == pytest.approx(spend / 100)
    # Spending and persons of 2018 both divided by 1.1 ** 2.
    pv_spend = 3000 / level[2016] + 7000 / level[2018] / 1.21
    pv_persons = 50 + 50 / 1.21
    assert out.loc["discounted", "estimate"] == pytest.approx(pv_spend / pv_persons)
    assert "then present value at 10% to 2016" in out.loc["discounted", "price_basis"]


def test_multi_year_projects_are_spread_before_discounting():
    data = register().assign(
        start_year=pd.array([2016, pd.NA, pd.NA, pd.NA], dtype="Int64"),
        end_year=pd.array([2018, pd.NA, pd.NA, pd.NA], dtype="Int64"),
    )
    spread = walk(data, admin_share=0.0, discount_rate=0.5, base_year=2018, spread="even")
    recorded = walk(data, admin_share=0.0, discount_rate=0.5, base_year=2018)
    # Spread evenly, project A's 1000 yuan and 10 persons move partly to 2016 and 2017, which the
    # other projects' 2018 rows are discounted against: the two rules must differ.
    assert spread.loc["discounted", "estimate"] != pytest.approx(
        recorded.loc["discounted", "estimate"]
    )
    # Undiscounted, spreading changes nothing but the years (CPI aside).
    same = walk(data, admin_share=0.0, discount_rate=0.0, base_year=2018, spread="even")
    level = cpi_index(2018)
    expected = (1000 / 3 * (1 / level[2016] + 1 / level[2017] + 1) + 9000) / 100
    assert same.loc["discounted", "estimate"] == pytest.approx(expected)


def test_the_outcome_step_equals_the_person_step_when_the_outcome_is_the_beneficiaries():
    data = register().assign(reached=lambda d: d["beneficiaries"])
    out = walk(data, outcome="reached")
    for col in ("estimate", "ci_low", "ci_high"):
        assert out.loc["per outcome", col] == pytest.approx(out.loc["discounted", col])


def test_a_register_without_the_outcome_says_so_and_the_walk_goes_on():
    out = walk(register().drop(columns="households_exited"))
    assert np.isnan(out.loc["per outcome", "estimate"])
    assert "records no households_exited" in out.loc["per outcome", "note"]
    assert np.isfinite(out.loc["against cash", "estimate"])


def test_the_overhead_table_replaces_the_default_share():
    table = pd.DataFrame(
        {
            "org_name": ["A", "B", "C", "D"],
            "year": [2018] * 4,
            "admin_share": [0.5, 0.5, 0.5, 0.5],
            "source": ["report"] * 4,
            "simulated": [False] * 4,
        }
    )
    out = cost_effectiveness(register(), table, bootstrap_reps=0).set_index("name")
    assert out.loc["fully loaded", "estimate"] == pytest.approx(200.0)
    assert out.loc["fully loaded", "cost_basis"] == "fully loaded (overhead table)"


def test_the_assumptions_table_marks_the_walks_own_setting_once_per_assumption():
    table = walk_assumptions(register(), admin_share=0.1, bootstrap_reps=99, seed=1)
    used = table[table["used"]]
    assert list(used["assumption"]) == list(dict.fromkeys(table["assumption"]))
    assert (used["change"] == 0).all()
    walked = walk(register(), admin_share=0.1, bootstrap_reps=99, seed=1)
    assert used["estimate"].iloc[0] == pytest.approx(walked.loc["discounted", "estimate"])
    shares = table[table["assumption"] == "overhead (管理费用)"].set_index("setting")
    assert shares.loc["admin share 20% for every organization", "estimate"] == pytest.approx(125.0)
    assert shares.loc["admin share 0% for every organization", "estimate"] == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"discount_rate": 1.0}, "discount_rate"),
        ({"spread": "lumpy"}, "spread"),
        ({"people": "twice"}, "people"),
        ({"admin_share": -0.1}, "admin_share"),
        ({"base_year": "2018"}, "base_year"),
        ({"outcome": ""}, "outcome"),
    ],
)
def test_bad_options_are_refused_before_any_work(options, message):
    with pytest.raises(ParameterError, match=message):
        cost_effectiveness(register(), **options)


def test_unknown_options_of_the_assumptions_table_are_refused():
    with pytest.raises(ParameterError, match="unknown option"):
        walk_assumptions(register(), discount=0.1)
