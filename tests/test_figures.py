"""Figures: what was drawn (titles, ticks, bars, the simulated mark), CJK glyphs, stable bytes."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from analysis.costs import estimate_cost_per_beneficiary
from analysis.errors import ParameterError
from analysis.figures import (
    plot_cost_by_sector,
    plot_regional_coefficients,
    plot_spending_by_region,
)
from analysis.io import save_figure
from analysis.regional import regional_effects
from analysis.style import cjk_font_path, house_style, label


@pytest.fixture(scope="module")
def tables(demo_data):
    costs = estimate_cost_per_beneficiary(
        demo_data, by="sector", base_year=2018, bootstrap_reps=100
    )
    return costs, regional_effects(demo_data)


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]


def test_cost_by_sector_draws_one_bar_per_sector_with_labels(tables):
    costs, _ = tables
    with house_style("en"):
        fig = plot_cost_by_sector(costs, simulated=True)
    ax = fig.axes[0]
    assert len(ax.patches) == 6
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Industry",
        "Education",
        "Health",
        "Relocation",
        "Volunteering",
        "Other",
    ]
    assert "Cost per beneficiary by sector" in ax.get_title(loc="left")
    assert "Illustrative — simulated data" in texts(fig)


def test_no_simulated_mark_on_real_data(tables):
    costs, _ = tables
    with house_style("en"):
        fig = plot_cost_by_sector(costs, simulated=False)
    assert "Illustrative — simulated data" not in texts(fig)
    assert any("Source: project register" in t for t in texts(fig))


def test_plot_functions_draw_on_a_given_axes_and_never_save(tables, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    costs, _ = tables
    with house_style("en"):
        fig, ax = plt.subplots()
        out = plot_cost_by_sector(costs, ax=ax)
    assert out is fig
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_figure_renders_without_missing_glyphs(demo_data, tables, lang, tmp_path):
    costs, effects = tables
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" becomes a failure
        with house_style(lang):
            figs = [
                plot_cost_by_sector(costs, lang=lang, simulated=True),
                plot_spending_by_region(demo_data, lang=lang, simulated=True),
                plot_regional_coefficients(effects, lang=lang, simulated=True),
            ]
            for i, fig in enumerate(figs):
                save_figure(fig, tmp_path, f"f{i}")
    if lang == "zh":
        assert "示意 — 模拟数据" in texts(figs[0])
        assert "产业扶贫" in [t.get_text() for t in figs[0].axes[0].get_yticklabels()]


def test_zh_pdf_embeds_the_cjk_font(tables, tmp_path):
    costs, _ = tables
    with house_style("zh"):
        fig = plot_cost_by_sector(costs, lang="zh", simulated=True)
        paths = save_figure(fig, tmp_path, "zh", formats=("pdf",))
    pdf = paths["pdf"].read_bytes()
    assert b"NotoSansCJK" in pdf
    assert cjk_font_path().is_file()


def test_saving_the_same_figure_twice_gives_the_same_bytes(demo_data, tmp_path):
    for run in ("a", "b"):
        with house_style("zh"):
            fig = plot_spending_by_region(demo_data, lang="zh", simulated=True)
            save_figure(fig, tmp_path / run, "spending")
    for fmt in ("png", "svg", "pdf"):
        a = (tmp_path / "a" / f"spending.{fmt}").read_bytes()
        b = (tmp_path / "b" / f"spending.{fmt}").read_bytes()
        assert a == b, fmt


def test_spending_figure_has_the_2017_line_and_both_series(demo_data):
    with house_style("en"):
        fig = plot_spending_by_region(demo_data, simulated=True)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 3  # two series and the policy line
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        label("deep_poverty_area"),
        label("elsewhere"),
    ]


def test_coefficient_plot_shows_baseline_sectors_and_shift(tables):
    _, effects = tables
    with house_style("en"):
        fig = plot_regional_coefficients(effects)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks[0] == label("baseline") and label("did") in ticks and len(ticks) == 7


def test_bad_inputs_are_refused():
    with pytest.raises(ParameterError, match="lang"):
        label("industry", "fr")
    with pytest.raises(ParameterError, match="no sector rows"):
        plot_cost_by_sector(pd.DataFrame({"estimator": [], "group": [], "level": []}))
