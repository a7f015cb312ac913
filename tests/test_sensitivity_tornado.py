"""The tornado draws each setting's bootstrap interval (whiskers at the bar's ends) and the baseline's
(a shaded band), read from the sensitivity table as notebook 04 reads it (the csv)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.estimate.sensitivity import cost_sensitivity
from analysis.outputs import read_table, write_table
from analysis.present.drawing import figure_texts
from analysis.present.style import house_style, label
from analysis.present.tornado import WHISKER_OFFSET, plot_sensitivity_tornado


def table() -> pd.DataFrame:
    """Two rows: the wide one with low and high given in reverse order, a row that does not move."""
    return pd.DataFrame(
        {
            "assumption": ["wide", "still"],
            "evidence": ["red", "amber"],
            "low": [30.0, 10.0],
            "high": [12.0, 10.0],
            "baseline": 10.0,
            "low_ci_low": [25.0, 8.0],
            "low_ci_high": [36.0, 12.5],
            "high_ci_low": [9.0, 8.0],
            "high_ci_high": [15.0, 12.5],
            "baseline_ci_low": 8.0,
            "baseline_ci_high": 12.5,
        }
    )


def whiskers(ax) -> list[tuple[float, float, float]]:
    """(y, x from, x to) of every whisker drawn, sorted."""
    out = []
    for c in ax.collections:
        if c.get_gid() == "setting-interval":
            out += [(s[0][1], s[0][0], s[1][0]) for s in c.get_segments()]
    return sorted((round(y, 6), round(a, 6), round(b, 6)) for y, a, b in out)


def test_each_setting_s_interval_is_a_whisker_at_its_end_and_the_baseline_s_a_band():
    with house_style("en"):
        fig = plot_sensitivity_tornado(table())
    ax = fig.axes[0]
    w = WHISKER_OFFSET
    # row 0 ("wide"): the smaller value 12 [9, 15] above the centre, 30 [25, 36] below; row 1 does
    # not move: one whisker at its centre.
    assert whiskers(ax) == [(-w, 9.0, 15.0), (w, 25.0, 36.0), (1.0, 8.0, 12.5)]
    band = next(c for c in ax.collections if c.get_gid() == "baseline-band")
    xs = band.get_paths()[0].vertices[:, 0]
    assert (xs.min(), xs.max()) == (8.0, 12.5)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:3] == [
        "Baseline: 10",
        label("baseline_interval"),
        label("setting_interval"),
    ]
    # end values are written beyond the whiskers, not over them
    ends = {a.get_text(): a.xy[0] for a in ax.texts if a.get_gid() == "end-value"}
    assert ends == {"12": 9.0, "30": 36.0, "10: no change in these data": 12.5}


def test_without_intervals_nothing_extra_is_drawn():
    plain = table().drop(columns=[c for c in table().columns if "_ci_" in c])
    nan = table().assign(**{c: np.nan for c in table().columns if "_ci_" in c})
    for t in (plain, nan):
        with house_style("en"):
            ax = plot_sensitivity_tornado(t).axes[0]
        gids = {c.get_gid() for c in ax.collections}
        assert "setting-interval" not in gids and "baseline-band" not in gids
        legend = [x.get_text() for x in ax.get_legend().get_texts()]
        assert legend == ["Baseline: 10", "Red", "Amber"]


def test_bad_intervals_are_refused():
    with pytest.raises(ParameterError, match="low_ci_low must not exceed"):
        plot_sensitivity_tornado(table().assign(low_ci_low=40.0))
    with pytest.raises(ParameterError, match="baseline's interval must be the same"):
        plot_sensitivity_tornado(table().assign(baseline_ci_low=[8.0, 7.0]))
    with pytest.raises(ParameterError, match="must be numeric"):
        plot_sensitivity_tornado(table().assign(high_ci_high=["a", "b"]))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_tornado_of_the_written_table_draws_every_interval(tmp_path, lang):
    """Notebook 04 draws the tornado from tables/cost_sensitivity.csv: the columns survive the csv."""
    rng = np.random.default_rng(1)
    n = 90
    data = pd.DataFrame(
        {
            "year": 2018,
            "org_name": rng.choice([f"o{k}" for k in range(30)], n),
            "county": rng.choice(["x", "y", "z"], n),
            "expenditure_yuan": np.exp(rng.normal(12, 1, n)),
            "beneficiaries": pd.array(rng.integers(20, 400, n), dtype="Int64"),
            "poor_households": pd.array(rng.integers(5, 100, n), dtype="Int64"),
            "flags": np.where(rng.random(n) < 0.05, "cpb_high", ""),
        }
    )
    path = write_table(cost_sensitivity(data, bootstrap_reps=199), tmp_path / "s.csv")
    sens = read_table(path)
    sens = sens.assign(assumption=[label(a, lang) for a in sens["assumption"]])
    with house_style(lang):
        fig = plot_sensitivity_tornado(sens, lang=lang, year=2018)
    ax = fig.axes[0]
    moving = int((sens["low"] != sens["high"]).sum())
    assert len(whiskers(ax)) == 2 * moving + (len(sens) - moving)
    assert any(c.get_gid() == "baseline-band" for c in ax.collections)
    assert label("setting_interval", lang) in figure_texts(fig)
