"""Publication checks on what was drawn (issue 15): labels with outcome, comparison, reference, period,
units and prices; legends where colours carry meaning; no text over the tick labels; province names on
the tile map; Chinese figures without English labels; the seaborn distribution; the figure catalogue."""

from __future__ import annotations

import re

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from analysis.errors import ParameterError
from analysis.estimate.costs import estimate_cost_per_beneficiary
from analysis.present.catalogue import figure_caption, figure_catalogue, figure_names
from analysis.present.distributions import plot_cost_distribution, project_costs
from analysis.present.drawing import drawn_texts, figure_texts
from analysis.present.effects import (
    plot_event_study,
    plot_province_caterpillar,
    plot_regional_coefficients,
    sector_reference,
)
from analysis.present.figures import STANDARD_FIGURES, plot_cost_by_sector, standard_figures
from analysis.present.maps import plot_tile_map
from analysis.present.style import (
    RATING_COLORS,
    house_style,
    label,
    period_text,
    price_basis_text,
)
from analysis.present.tornado import plot_sensitivity_tornado
from analysis.reference import load_reference

PROVINCES = load_reference("provinces")
SECTOR_TERMS = ["education", "health", "other", "relocation", "volunteer"]


def effects_table() -> pd.DataFrame:
    """Regional-effects rows of every model the standard figures draw (hand-built, log points)."""
    rows = [("baseline", "deep_poverty_area", 0.32, 0.26, 0.38)]
    rows += [
        ("baseline", f"sector[{s}]", 0.1 * i, 0.1 * i - 0.05, 0.1 * i + 0.05)
        for i, s in enumerate(SECTOR_TERMS, 1)
    ]
    rows += [("did", "deep_poverty_area:post2017", 0.34, -0.08, 0.82)]
    rows += [("event_study", "deep_poverty_area:2016", 0.0, 0.0, 0.0)]
    rows += [("event_study", f"deep_poverty_area:{y}", 0.3, -0.2, 0.8) for y in (2017, 2018, 2019)]
    names = ["Tibet", "Sichuan", "Beijing", "Jiangsu"]
    rows += [
        ("province_random_effects", f"province[{n}]", e, e - 0.1, e + 0.1)
        for n, e in zip(names, [0.3, 0.1, -0.05, -0.1], strict=True)
    ]
    return pd.DataFrame(rows, columns=["model", "term", "estimate", "ci_low", "ci_high"])


def sensitivity_table() -> pd.DataFrame:
    """Three rated assumptions, one that does not move the headline and one in constant prices, with
    the bootstrap interval of each setting and of the baseline."""
    return pd.DataFrame(
        {
            "assumption": ["denominator", "flagged outliers", "price base year"],
            "evidence": ["red", "amber", "green"],
            "low": [5000.0, 5000.0, 4800.0],
            "high": [15000.0, 5000.0, 5300.0],
            "baseline": 5000.0,
            "price_basis": ["nominal yuan", "nominal yuan", "constant yuan (CPI)"],
            "low_ci_low": [4500.0, 4500.0, 4300.0],
            "low_ci_high": [5600.0, 5600.0, 5400.0],
            "high_ci_low": [13000.0, 4500.0, 4800.0],
            "high_ci_high": [17500.0, 5600.0, 5900.0],
            "baseline_ci_low": 4500.0,
            "baseline_ci_high": 5600.0,
        }
    )


# One worker draws the standard figures once for the module.
pytestmark = pytest.mark.xdist_group("figure_publication")


@pytest.fixture(scope="module")
def costs(demo_data):
    return estimate_cost_per_beneficiary(demo_data, by="sector", base_year=2018, bootstrap_reps=0)


@pytest.fixture(scope="module")
def standard(demo_data, costs):
    """The standard figures in both languages (drawn once for the module)."""
    drawn = {}
    for lang in ("en", "zh"):
        with house_style(lang):
            figs = standard_figures(
                demo_data, costs, effects_table(), sensitivity_table(), lang=lang, simulated=True
            )
            drawn[lang] = {name: (fig, figure_texts(fig)) for name, fig in figs.items()}
    yield drawn
    for figs in drawn.values():
        for fig, _ in figs.values():
            mpl.pyplot.close(fig)


def overlaps(a, b, tol: float = 0.5) -> bool:
    return a.x0 + tol < b.x1 and b.x0 + tol < a.x1 and a.y0 + tol < b.y1 and b.y0 + tol < a.y1


def clashes(fig) -> list[str]:
    """Texts drawn over an axes' tick labels, and texts of an axes that cross its left spine."""
    texts = drawn_texts(fig)
    renderer = FigureCanvasAgg(fig).get_renderer()
    found = []
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticklabels() + ax.get_yticklabels() if t in texts]
        boxes = [t.get_window_extent(renderer) for t in ticks]
        left = ax.get_window_extent(renderer).x0
        for text in texts:
            if text in ticks:
                continue
            ext = text.get_window_extent(renderer)
            if any(overlaps(ext, box) for box in boxes):
                found.append(f"{text.get_text()!r} over a tick label")
            if text in ax.texts and ext.x0 + 0.5 < left < ext.x1 - 0.5:
                found.append(f"{text.get_text()!r} across the y axis")
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_text_runs_over_tick_labels_or_the_y_axis(standard, lang):
    with house_style(lang):
        for name, (fig, _) in standard[lang].items():
            assert clashes(fig) == [], name


def test_the_old_reference_label_would_be_caught():
    """The check above fails on a label placed as the event study used to place it (at the first
    year, centred, over the y axis)."""
    with house_style("en"):
        fig = plot_event_study(effects_table())
        ax = fig.axes[0]
        ax.annotate("reference", (2016, 0), xytext=(0, 5), textcoords="offset points", ha="center")
        assert clashes(fig) == ["'reference' across the y axis"]


def test_regional_coefficients_one_model_per_panel_with_a_legend():
    with house_style("en"):
        fig = plot_regional_coefficients(effects_table())
    baseline, did = fig.axes
    assert "baseline model" in baseline.get_title(loc="left").replace("\n", " ")
    assert "log cost per beneficiary" in baseline.get_xlabel().replace("\n", " ")
    assert "log spending" in did.get_xlabel().replace("\n", " ")
    assert "difference in differences" in did.get_title(loc="left").replace("\n", " ")
    legend = [t.get_text() for t in baseline.get_legend().get_texts()]
    assert legend == ["三区三州 minus elsewhere", "Sector minus Industry (reference)"]
    assert len(did.get_yticklabels()) == 1
    with house_style("en"):
        one = plot_regional_coefficients(effects_table(), models=("did",))
    assert len(one.axes) == 1
    with pytest.raises(ParameterError, match="one axes per model"):
        plot_regional_coefficients(effects_table(), ax=one.axes[0])


def test_the_reference_sector_comes_from_the_table():
    assert sector_reference([f"sector[{s}]" for s in SECTOR_TERMS]) == "industry"
    other = ["industry", *SECTOR_TERMS[1:]]  # education is the reference
    assert sector_reference([f"sector[{s}]" for s in other]) == "education"
    assert sector_reference(["deep_poverty_area"]) is None


def test_event_study_says_the_comparison_and_the_reference_year_from_the_table():
    table = effects_table()
    with house_style("en"):
        ax = plot_event_study(table).axes[0]
    assert ax.get_ylabel().replace("\n", " ") == (
        "三区三州 minus elsewhere, log spending, relative to 2016 (log points; 95% CI)"
    )
    moved = table.copy()
    moved.loc[moved["term"] == "deep_poverty_area:2016", ["estimate", "ci_low", "ci_high"]] = [
        0.1,
        0.0,
        0.2,
    ]
    moved.loc[moved["term"] == "deep_poverty_area:2018", ["estimate", "ci_low", "ci_high"]] = 0.0
    with house_style("en"):
        ax = plot_event_study(moved).axes[0]
    assert "relative to 2018" in ax.get_ylabel().replace("\n", " ")
    assert [t.get_text() for t in ax.get_xticklabels()][2] == "2018\nreference"


def test_caterpillar_says_the_outcome_and_the_control_and_marks_sanqu_sanzhou():
    table = effects_table()
    with house_style("en"):
        ax = plot_province_caterpillar(table).axes[0]
    title = ax.get_title(loc="left").replace("\n", " ")
    assert "log cost per beneficiary" in title and "no 三区三州 control" in title
    assert "average province" in ax.get_xlabel().replace("\n", " ")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["No 三区三州", "Partly 三区三州", "All 三区三州"]
    given = table.assign(model=table["model"].str.replace("effects", "effects_given_deep"))
    with house_style("en"):
        ax = plot_province_caterpillar(given, model="province_random_effects_given_deep").axes[0]
    assert "三区三州 controlled" in ax.get_title(loc="left").replace("\n", " ")


def test_spending_map_has_period_prices_units_and_province_names(standard):
    fig, _ = standard["en"]["spending_map"]
    ax, bar = fig.axes
    assert ax.get_title(loc="left") == "Spending by province, 2016\u20132020 (nominal yuan)"
    assert bar.get_ylabel() == "Total spending, 2016\u20132020 (billion yuan)"
    names = {t.get_text().replace("-\n", "").replace("\n", " ") for t in ax.texts}
    assert names == set(PROVINCES["name_en"])
    fig, _ = standard["zh"]["spending_map"]
    ax, bar = fig.axes
    assert ax.get_title(loc="left") == "分省支出，2016\u20132020年，名义价格（元）"
    assert {t.get_text() for t in ax.texts} == set(PROVINCES["short_zh"])
    assert bar.get_ylabel() == "2016\u20132020年支出合计（亿元）"


def test_tile_map_keeps_its_default_title_and_colourbar_label():
    values = pd.DataFrame({"province": PROVINCES["name_en"], "v": np.arange(31.0)})
    with house_style("en"):
        fig = plot_tile_map(values, column="v")
    assert fig.axes[0].get_title(loc="left") == label("title_tile_map")
    assert fig.axes[1].get_ylabel() == "v"


def test_tornado_states_units_and_year_rates_each_row_and_explains_the_empty_one(standard):
    fig, drawn = standard["en"]["cost_sensitivity"]
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Headline cost per beneficiary\n(yuan per person)\nnominal yuan"
    bars = [p for p in ax.patches if p.get_gid() == "tornado-bar"]
    colours = [mpl.colors.to_hex(b.get_facecolor()) for b in bars]
    assert colours == [RATING_COLORS["red"].lower(), RATING_COLORS["green"].lower()]
    point = next(c for c in ax.collections if c.get_gid() == "no-change")
    assert mpl.colors.to_hex(point.get_facecolor()[0]) == RATING_COLORS["amber"].lower()
    assert "5,000: no change in these data" in drawn
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[1] == "Price base year\nconstant yuan (CPI)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "Baseline: 5,000",
        "Baseline: bootstrap interval",
        "Each setting: bootstrap interval",
        "Red",
        "Amber",
        "Green",
    ]
    values = [a.get_text() for a in ax.texts if a.get_gid() == "end-value"]
    assert not any(v.startswith(label("baseline_value")) for v in values)  # not read as a bar value
    assert any("evidence for the assumption" in t for t in drawn)
    with house_style("en"):
        ax = plot_sensitivity_tornado(sensitivity_table(), year=2018).axes[0]
    assert ax.get_xlabel().endswith("nominal yuan of 2018")
    with pytest.raises(ParameterError, match="evidence"):
        plot_sensitivity_tornado(sensitivity_table().assign(evidence="blue"))


def test_tornado_of_the_run_finds_the_headline_year(demo_data, costs):
    nominal = estimate_cost_per_beneficiary(demo_data, by="year", bootstrap_reps=0)
    row = nominal[(nominal["level"] == "2018") & (nominal["estimator"] == "ratio_of_totals")]
    table = sensitivity_table().assign(baseline=float(row["estimate"].iloc[0]))
    with house_style("en"):
        both = pd.concat([costs, nominal], ignore_index=True)
        figs = standard_figures(demo_data, both, effects_table(), table)
    assert figs["cost_sensitivity"].axes[0].get_xlabel().endswith("nominal yuan of 2018")


def test_cost_by_sector_says_pooled_years_prices_and_separates_thousands(standard):
    fig, drawn = standard["en"]["cost_by_sector"]
    ax = fig.axes[0]
    assert ax.get_title(loc="left").replace("\n", " ") == (
        "Cost per beneficiary by sector, 2016\u20132020 pooled"
    )
    assert ax.get_xlabel() == "Cost per beneficiary (yuan per person)\nconstant 2018 yuan (CPI)"
    assert "5,000" in drawn and "10,000" in drawn
    fig, _ = standard["zh"]["cost_by_sector"]
    assert fig.axes[0].get_xlabel() == "人均受益成本（元/人）\n2018年不变价（CPI）"


NUMBER = re.compile(r"[\d\s.,%\u2212\-\u2013+]*")


@pytest.mark.parametrize("name", sorted(STANDARD_FIGURES))
def test_chinese_figures_have_no_english_label_and_full_width_punctuation(standard, name):
    _, drawn = standard["zh"][name]
    for text in drawn:
        if NUMBER.fullmatch(text):
            continue  # a number or a year
        assert any(ord(c) > 127 for c in text), f"{name}: ASCII-only label {text!r}"
        assert not re.search(r"[:()]|(?<!\d),|,(?!\d)", text), f"{name}: ASCII punctuation {text!r}"


def test_price_basis_and_period_in_both_languages():
    assert price_basis_text("constant 2018 yuan (CPI)", "zh") == "2018年不变价（CPI）"
    assert price_basis_text("constant 2018 yuan (CPI)") == "constant 2018 yuan (CPI)"
    assert price_basis_text("nominal yuan", "zh") == "名义价格（元）"
    assert period_text([2018, 2016, 2020], "zh") == "2016\u20132020年"
    assert period_text([2018]) == "2018"
    with pytest.raises(ParameterError, match="unknown price basis"):
        price_basis_text("constant yuan of Mars")


def test_cost_distribution_is_seaborn_on_a_log_scale_with_both_groups(demo_data, standard):
    fig, drawn = standard["en"]["cost_distribution"]
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [label("deep_poverty_area"), label("elsewhere")]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows[0] == "All sectors" and len(rows) == 7
    boxes = [p for p in ax.patches if isinstance(p, mpl.patches.PathPatch)]
    assert len(boxes) == 2 * len(rows)  # one box per group and row
    assert ax.get_xlabel() == "Cost per beneficiary (yuan per person)\nconstant 2018 yuan (CPI)"
    unknown = int(demo_data["deep_poverty_area"].isna().sum())
    assert unknown > 0 and any(
        f"{unknown:,} projects of unknown 三区三州 status" in t for t in drawn
    )


def test_project_costs_are_exact_on_a_hand_built_table():
    data = pd.DataFrame(
        {
            "year": [2018, 2018, 2018, 2018, 2017],
            "sector": ["health", "health", "education", "health", "health"],
            "deep_poverty_area": pd.array([True, False, None, True, False], dtype="boolean"),
            "expenditure_yuan": [1000.0, 600.0, 500.0, 80.0, 300.0],
            "beneficiaries": pd.array([10, 3, 5, 0, 2], dtype="Int64"),
        }
    )
    costs, left_out = project_costs(data)
    assert costs["cost_per_beneficiary"].tolist() == [100.0, 200.0, 150.0]
    assert costs["deep"].tolist() == [True, False, False]
    assert left_out == {"unknown": 1, "missing": 1}
    constant, _ = project_costs(data, base_year=2018)
    assert constant["cost_per_beneficiary"].iloc[0] == 100.0  # 2018 yuan of 2018
    assert constant["cost_per_beneficiary"].iloc[2] > 150.0  # 2017 yuan are worth more in 2018
    with pytest.raises(ParameterError, match="both in and outside"):
        plot_cost_distribution(data[data["deep_poverty_area"].fillna(False)])


def test_the_catalogue_numbers_exactly_the_standard_figures_in_order(demo_data, costs, standard):
    catalogue = figure_catalogue()
    assert figure_names() == list(STANDARD_FIGURES)
    assert catalogue["number"].tolist() == list(range(1, len(STANDARD_FIGURES) + 1))
    assert list(standard["en"]) == figure_names()  # standard_figures returns them in this order
    for column in ("caption_en", "caption_zh", "alt_en", "alt_zh"):
        assert (catalogue[column].str.len() > 20).all(), column
    zh = figure_catalogue("zh")
    assert zh.loc[0, "title"] == "图1" and zh.loc[0, "name"] == "cost_distribution"
    assert figure_caption("event_study").startswith("Figure 7. Event study")
    assert figure_caption("event_study", "zh").startswith("图7：事件研究")
    with pytest.raises(ParameterError, match="no figure"):
        figure_caption("pie_chart")


def test_cost_by_sector_title_without_years_is_unchanged(costs):
    with house_style("en"):
        fig = plot_cost_by_sector(costs)
    assert fig.axes[0].get_title(loc="left") == label("title_cost_by_sector")


@pytest.mark.slow
def test_the_cost_distribution_gives_the_same_bytes_when_drawn_and_saved_twice(demo_data, tmp_path):
    from analysis.outputs import save_figure

    for run in ("a", "b"):
        with house_style("zh"):
            fig = plot_cost_distribution(demo_data, lang="zh", simulated=True, base_year=2018)
            save_figure(fig, tmp_path / run, "dist")
    for fmt in ("png", "svg", "pdf"):
        a = (tmp_path / "a" / f"dist.{fmt}").read_bytes()
        assert a == (tmp_path / "b" / f"dist.{fmt}").read_bytes(), fmt
