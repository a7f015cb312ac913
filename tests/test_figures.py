"""Figures: what was drawn (titles, ticks, bars, the simulated mark), CJK glyphs, stable bytes."""

from __future__ import annotations

import warnings
from importlib import resources

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from analysis.errors import ParameterError
from analysis.estimate.costs import estimate_cost_per_beneficiary
from analysis.estimate.regional import regional_effects
from analysis.outputs import save_figure
from analysis.present.drawing import NO_DATA_COLOR, drawn_texts, figure_texts
from analysis.present.figures import (
    plot_cost_by_sector,
    plot_event_study,
    plot_province_caterpillar,
    plot_regional_coefficients,
    plot_sensitivity_tornado,
    plot_spending_by_region,
)
from analysis.present.maps import plot_tile_map
from analysis.present.style import PALETTE, cjk_font_path, house_style, label
from analysis.reference import load_reference
from analysis.schema import POLICY_YEAR


@pytest.fixture(scope="module")
def tables(demo_data):
    costs = estimate_cost_per_beneficiary(
        demo_data, by="sector", base_year=2018, bootstrap_reps=100
    )
    return costs, regional_effects(demo_data)


texts = figure_texts
MINUS = "\u2212"
PROVINCES = load_reference("provinces")


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


@pytest.mark.slow
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
    assert (
        b"AnalysisCJKsc" in pdf and b"NotoSansCJK" not in pdf
    )  # the shipped subset, not the fallback
    assert cjk_font_path().is_file()


@pytest.mark.slow
def test_saving_the_same_figure_twice_gives_the_same_bytes(demo_data, tmp_path):
    for run in ("a", "b"):
        with house_style("zh"):
            fig = plot_spending_by_region(demo_data, lang="zh", simulated=True)
            save_figure(fig, tmp_path / run, "spending")
    for fmt in ("png", "svg", "pdf"):
        a = (tmp_path / "a" / f"spending.{fmt}").read_bytes()
        b = (tmp_path / "b" / f"spending.{fmt}").read_bytes()
        assert a == b, fmt


def test_spending_figure_has_the_2017_line_and_every_series(demo_data):
    with house_style("en"):
        fig = plot_spending_by_region(demo_data, simulated=True)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 4  # in, outside, unknown status, and the policy line
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        label("deep_poverty_area"),
        label("elsewhere"),
        label("deep_unknown"),
    ]
    known = demo_data[demo_data["deep_poverty_area"].notna()]
    with house_style("en"):
        fig = plot_spending_by_region(known, simulated=True)
    assert len(fig.axes[0].get_lines()) == 3  # no unknown rows: no third series


def test_coefficient_plot_shows_one_model_per_panel(tables):
    _, effects = tables
    with house_style("en"):
        fig = plot_regional_coefficients(effects)
    baseline, did = fig.axes
    assert tick_texts(baseline) == [
        "三区三州 minus elsewhere",
        "Education",
        "Health",
        "Other",
        "Relocation",
        "Volunteering",
    ]
    assert [t.replace("\n", " ") for t in tick_texts(did)] == [
        f"三区三州 minus elsewhere, {POLICY_YEAR} on minus before"
    ]


def test_bad_inputs_are_refused():
    with pytest.raises(ParameterError, match="lang"):
        label("industry", "fr")
    with pytest.raises(ParameterError, match="no sector rows"):
        plot_cost_by_sector(pd.DataFrame({"estimator": [], "group": [], "level": []}))


# --- figures drawn from inputs built by hand with the documented columns -----------------------------------


def event_table() -> pd.DataFrame:
    """Regional-effects rows: an event study 2014-2019 (reference 2014) and rows of other models."""
    years = [2014, 2015, 2016, 2017, 2018, 2019]
    est = [0.0, -0.08, 0.03, 0.31, 0.40, 0.36]
    half = [0.0, 0.1, 0.1, 0.12, 0.12, 0.15]
    rows = pd.DataFrame(
        {
            "model": "event_study",
            "term": [f"deep_poverty_area:{y}" for y in years],
            "estimate": est,
            "ci_low": np.subtract(est, half),
            "ci_high": np.add(est, half),
        }
    )
    other = pd.DataFrame(
        {
            "model": ["did", "baseline"],
            "term": ["deep_poverty_area:post2017", "deep_poverty_area"],
            "estimate": [0.3, 0.1],
            "ci_low": [0.2, 0.0],
            "ci_high": [0.4, 0.2],
        }
    )
    return pd.concat([other, rows], ignore_index=True)


def province_effects_table() -> pd.DataFrame:
    names = ["Beijing", "Inner Mongolia", "Tibet", "Heilongjiang", "Guangxi"]
    est = [0.25, -0.4, 0.6, 0.0, -0.1]
    return pd.DataFrame(
        {
            "model": "province_random_effects",
            "term": [f"province[{n}]" for n in names],
            "estimate": est,
            "ci_low": np.subtract(est, 0.2),
            "ci_high": np.add(est, 0.2),
        }
    )


def tile_values() -> pd.DataFrame:
    """27 provinces with a value (some negative), four left out, plus a 'multiple' row to ignore."""
    names = PROVINCES["name_en"].tolist()
    absent = ["Xinjiang", "Tibet", "Hainan", "Shanghai"]
    shown = [n for n in names if n not in absent]
    values = np.linspace(-1500.0, 2500.0, len(shown))
    return pd.DataFrame({"province": [*shown, "multiple"], "beneficiaries": [*values, 9.9e9]})


def tornado_table(lang: str = "en") -> pd.DataFrame:
    names = {
        "en": ["Price index", "Double counting of beneficiaries", "Bootstrap unit"],
        "zh": ["价格指数", "受益人重复计算", "自助法抽样单位"],
    }[lang]
    return pd.DataFrame(
        {
            "assumption": names,
            "low": [-0.05, -0.4, 0.08],
            "high": [0.2, 0.5, 0.12],
            "baseline": 0.1,
            "low_ci_low": [-0.1, -0.6, 0.05],
            "low_ci_high": [0.0, -0.2, 0.1],
            "high_ci_low": [0.15, 0.3, 0.1],
            "high_ci_high": [0.25, 0.7, 0.15],
            "baseline_ci_low": 0.07,
            "baseline_ci_high": 0.13,
        }
    )


HAND_BUILT_FIGURES = {
    "event_study": lambda lang, sim: plot_event_study(event_table(), lang=lang, simulated=sim),
    "caterpillar": lambda lang, sim: plot_province_caterpillar(
        province_effects_table(), lang=lang, simulated=sim
    ),
    "tile_map": lambda lang, sim: plot_tile_map(
        tile_values(), column="beneficiaries", lang=lang, simulated=sim
    ),
    "tornado": lambda lang, sim: plot_sensitivity_tornado(
        tornado_table(lang), lang=lang, simulated=sim
    ),
}


def tick_texts(ax, axis: str = "y") -> list[str]:
    return [t.get_text() for t in getattr(ax, f"get_{axis}ticklabels")()]


def tiles(ax) -> list:
    return [p for p in ax.patches if (p.get_gid() or "").startswith("tile-")]


def test_event_study_draws_one_point_per_year_zero_line_and_policy_line():
    with house_style("en"):
        fig = plot_event_study(event_table(), simulated=True)
    ax = fig.axes[0]
    points = [c for c in ax.collections if c.get_gid() in ("estimate", "reference")]
    assert sum(len(c.get_offsets()) for c in points) == 6  # the did/baseline rows are left out
    reference = next(c for c in points if c.get_gid() == "reference")
    assert reference.get_offsets().tolist() == [[2014.0, 0.0]]
    assert tick_texts(ax, "x") == ["2014\nreference", "2015", "2016", "2017", "2018", "2019"]
    lines = {tuple(line.get_xdata()): line for line in ax.get_lines()}
    policy = next(line for line in ax.get_lines() if line.get_gid() == "policy-line")
    assert list(policy.get_xdata()) == [2016.5, 2016.5] and policy.get_linestyle() == "--"
    assert any(list(line.get_ydata()) == [0, 0] for line in lines.values())  # the zero line
    drawn = texts(fig)
    assert label("policy_year", year=2017) in drawn and label("title_event_study") in drawn
    assert "2017: support steered to" in label("policy_year", year=2017)
    assert any(t.startswith(MINUS) for t in tick_texts(ax))  # negative ticks use the minus sign


def test_event_study_refuses_a_table_without_event_rows():
    with pytest.raises(ParameterError, match="event_study"):
        plot_event_study(event_table().query("model != 'event_study'"))
    with pytest.raises(ParameterError, match="lacks column"):
        plot_event_study(pd.DataFrame({"model": ["event_study"]}))


def test_caterpillar_sorts_provinces_by_estimate_in_both_languages():
    with house_style("en"):
        fig = plot_province_caterpillar(province_effects_table())
    ax = fig.axes[0]
    assert tick_texts(ax) == ["Tibet", "Beijing", "Heilongjiang", "Guangxi", "Inner Mongolia"]
    points = [c for c in ax.collections if c.get_gid() == "estimate"]
    assert sum(len(c.get_offsets()) for c in points) == 5
    # Tibet (all 三区三州) in its own colour, first on top; the others hold no 三区三州 area.
    tibet = next(c for c in points if len(c.get_offsets()) == 1)
    assert tuple(tibet.get_offsets()[0]) == (0.6, 0.0)
    assert to_hex(tibet.get_facecolor()[0]) == PALETTE[3].lower()
    assert any(t.startswith(label("title_province_effects")) for t in texts(fig))
    assert label("deep_share_all") in texts(fig) and label("deep_share_none") in texts(fig)
    with house_style("zh"):
        fig = plot_province_caterpillar(province_effects_table(), lang="zh")
    assert tick_texts(fig.axes[0]) == ["西藏", "北京", "黑龙江", "广西", "内蒙古"]
    assert label("province_effect", "zh") == fig.axes[0].get_xlabel().replace("\n", "")


def test_caterpillar_draws_the_simultaneous_intervals_when_given():
    table = province_effects_table()
    half = table["ci_high"] - table["estimate"]
    table = table.assign(
        ci_low_simultaneous=table["estimate"] - 2 * half,
        ci_high_simultaneous=table["estimate"] + 2 * half,
    )
    with house_style("en"):
        ax = plot_province_caterpillar(table).axes[0]
    lines = [c for c in ax.collections if c.get_label() == label("simultaneous_interval")]
    assert len(lines) == 1 and len(lines[0].get_segments()) == 5
    with house_style("en"):
        ax = plot_province_caterpillar(province_effects_table()).axes[0]
    assert not [c for c in ax.collections if c.get_label() == label("simultaneous_interval")]


def test_caterpillar_refuses_unknown_provinces_and_missing_rows():
    bad = province_effects_table().assign(term="province[Atlantis]")
    with pytest.raises(ParameterError, match="unknown province"):
        plot_province_caterpillar(bad)
    with pytest.raises(ParameterError, match="province_random_effects"):
        plot_province_caterpillar(event_table())


def test_tile_grid_places_all_31_provinces_once():
    path = resources.files("analysis") / "data" / "tile_grid.csv"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#") and "own layout" in text.splitlines()[1]
    grid = pd.read_csv(path, comment="#", dtype={"code": str})
    assert sorted(grid["code"]) == sorted(PROVINCES["code"])
    assert not grid.duplicated(["row", "col"]).any()
    pos = grid.set_index("code")
    assert pos.loc["23", "row"] == grid["row"].min() and pos.loc["23", "col"] == grid["col"].max()
    assert pos.loc["65", "col"] == grid["col"].min()  # Xinjiang on the left
    assert pos.loc["46", "row"] == grid["row"].max()  # Hainan at the bottom


def test_tile_map_draws_31_tiles_with_absent_provinces_grey():
    values = tile_values()
    with house_style("en"):
        fig = plot_tile_map(values, column="beneficiaries", simulated=True)
    ax = fig.axes[0]
    drawn = tiles(ax)
    assert len(drawn) == 31
    grey = mpl.colors.to_rgba(NO_DATA_COLOR)
    by_code = {p.get_gid().removeprefix("tile-"): p for p in drawn}
    absent = {"65", "54", "46", "31"}  # Xinjiang, Tibet, Hainan, Shanghai
    assert {c for c, p in by_code.items() if p.get_facecolor() == grey} == absent
    # the highest value gets the top colour of the map; "multiple" (9.9e9) is ignored
    top = PROVINCES.set_index("name_en").at[values["province"].iloc[-2], "code"]
    assert by_code[top].get_facecolor() == mpl.colormaps["viridis"](1.0)
    drawn_texts = texts(fig)
    assert {"Heilong-\njiang", "Xinjiang", "Hainan", "Inner\nMongolia"} <= set(drawn_texts)
    assert label("no_data") in drawn_texts and label("beneficiaries") in drawn_texts
    colorbar = fig.axes[1]
    assert colorbar.get_ylabel() == label("beneficiaries")
    assert any(t.startswith(MINUS) for t in tick_texts(colorbar))


def test_tile_map_in_chinese_uses_short_names_and_needs_no_key_when_all_present():
    values = pd.DataFrame({"province": PROVINCES["name_en"], "v": np.arange(31.0)})
    with house_style("zh"):
        fig = plot_tile_map(values, column="v", lang="zh")
    ax = fig.axes[0]
    tile_labels = {t.get_text() for t in ax.texts}
    assert set(PROVINCES["short_zh"]) == tile_labels
    assert ax.get_legend() is None  # no grey tile, so no "No data" key
    grey = mpl.colors.to_rgba(NO_DATA_COLOR)
    assert all(p.get_facecolor() != grey for p in tiles(ax))
    assert fig.axes[1].get_ylabel() == "v"  # a column without a label key shows its name


def test_tile_map_refuses_bad_values():
    with pytest.raises(ParameterError, match="unknown province"):
        plot_tile_map(pd.DataFrame({"province": ["Atlantis"], "v": [1.0]}), column="v")
    with pytest.raises(ParameterError, match="one row"):
        plot_tile_map(pd.DataFrame({"province": ["Beijing", "Beijing"], "v": [1, 2]}), column="v")
    with pytest.raises(ParameterError, match="lacks column"):
        plot_tile_map(pd.DataFrame({"province": ["Beijing"]}), column="v")
    with pytest.raises(ParameterError, match="no province has a value"):
        plot_tile_map(pd.DataFrame({"province": ["multiple"], "v": [1.0]}), column="v")


def test_tornado_sorts_by_range_with_bars_from_low_to_high_around_the_baseline():
    table = tornado_table()
    # either order is the same bar (each setting's interval goes with its value)
    table.loc[2, ["low", "high", "low_ci_low", "low_ci_high", "high_ci_low", "high_ci_high"]] = [
        0.12,
        0.08,
        0.1,
        0.15,
        0.05,
        0.1,
    ]
    with house_style("en"):
        fig = plot_sensitivity_tornado(table, simulated=False)
    ax = fig.axes[0]
    ticks = [t.replace("\n", " ") for t in tick_texts(ax)]
    assert ticks == ["Double counting of beneficiaries", "Price index", "Bootstrap unit"]
    bars = [p for p in ax.patches if p.get_gid() == "tornado-bar"]
    assert len(bars) == 3
    spans = [(round(b.get_x(), 6), round(b.get_x() + b.get_width(), 6)) for b in bars]
    assert spans == [(-0.4, 0.5), (-0.05, 0.2), (0.08, 0.12)]  # widest on top (first)
    assert [b.get_y() for b in bars] == sorted(b.get_y() for b in bars)
    assert ax.yaxis_inverted()
    baseline = next(line for line in ax.get_lines() if line.get_gid() == "baseline")
    assert list(baseline.get_xdata()) == [0.1, 0.1]
    drawn = texts(fig)
    assert f"{label('baseline_value')}: 0.1" in drawn and f"{MINUS}0.4" in drawn
    assert {"0.5", "0.08", "0.12"} <= set(drawn)
    assert label("title_sensitivity") in drawn
    assert "Illustrative — simulated data" not in drawn


def test_tornado_refuses_differing_baselines():
    with pytest.raises(ParameterError, match="baseline must be the same"):
        plot_sensitivity_tornado(tornado_table().assign(baseline=[0.1, 0.2, 0.1]))
    with pytest.raises(ParameterError, match="no rows"):
        plot_sensitivity_tornado(tornado_table().iloc[:0])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HAND_BUILT_FIGURES))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_hand_built_figures_render_without_missing_glyphs_and_stay_inside_the_figure(
    name, lang, tmp_path
):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" becomes a failure
        with house_style(lang):
            fig = HAND_BUILT_FIGURES[name](lang, True)
            save_figure(fig, tmp_path, name)
            drawn = texts(fig)
    assert label("simulated_mark", lang) in drawn
    assert any(label("source_simulated", lang) in t for t in drawn)
    assert any(MINUS in t for t in drawn)  # a negative value is drawn with U+2212
    with house_style(lang):
        renderer = fig.canvas.get_renderer()
        box = fig.bbox
        for text in drawn_texts(fig):  # nothing runs off the page
            ext = text.get_window_extent(renderer)
            inside = ext.x0 >= box.x0 - 1 and ext.x1 <= box.x1 + 1 and ext.y0 >= box.y0 - 1
            assert inside and ext.y1 <= box.y1 + 1, f"{text.get_text()!r} is clipped"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tile_labels_fit_inside_their_tiles(lang):
    with house_style(lang):
        fig = plot_tile_map(tile_values(), column="beneficiaries", lang=lang)
        fig.canvas.draw()
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    for patch, text in zip(tiles(ax), ax.texts, strict=True):
        tile, ext = patch.get_window_extent(renderer), text.get_window_extent(renderer)
        assert tile.x0 < ext.x0 and ext.x1 < tile.x1, text.get_text()
        assert tile.y0 < ext.y0 and ext.y1 < tile.y1, text.get_text()


@pytest.mark.parametrize("name", sorted(HAND_BUILT_FIGURES))
def test_hand_built_figures_draw_on_a_given_axes_and_never_save(name, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    with house_style("en"):
        fig, ax = plt.subplots(layout="constrained")
        out = HAND_BUILT_FIGURES[name]("en", False)
        assert out is not fig  # without ax, a new figure
        plt.close(out)
        builders = {
            "event_study": lambda: plot_event_study(event_table(), ax=ax),
            "caterpillar": lambda: plot_province_caterpillar(province_effects_table(), ax=ax),
            "tile_map": lambda: plot_tile_map(tile_values(), column="beneficiaries", ax=ax),
            "tornado": lambda: plot_sensitivity_tornado(tornado_table(), ax=ax),
        }
        assert builders[name]() is fig
    assert list(tmp_path.iterdir()) == []
    assert label("simulated_mark") not in texts(fig)


def test_house_style_makes_a_missing_glyph_an_error(tmp_path):
    import matplotlib.pyplot as plt

    with house_style("en"):
        fig, ax = plt.subplots()
        ax.set_title("\u0d9a")  # a Sinhala letter: in none of the house fonts
        with pytest.raises(UserWarning, match="missing from font"):
            save_figure(fig, tmp_path, "tofu", formats=("png",))


def test_zh_pdf_of_the_tile_map_embeds_the_cjk_font(tmp_path):
    with house_style("zh"):
        fig = HAND_BUILT_FIGURES["tile_map"]("zh", True)
        paths = save_figure(fig, tmp_path, "tiles", formats=("pdf",))
    assert b"AnalysisCJKsc" in paths["pdf"].read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HAND_BUILT_FIGURES))
def test_hand_built_figures_give_the_same_bytes_when_drawn_and_saved_twice(name, tmp_path):
    for run in ("a", "b"):
        with house_style("zh"):
            fig = HAND_BUILT_FIGURES[name]("zh", True)
            save_figure(fig, tmp_path / run, name)
    for fmt in ("png", "svg", "pdf"):
        a = (tmp_path / "a" / f"{name}.{fmt}").read_bytes()
        b = (tmp_path / "b" / f"{name}.{fmt}").read_bytes()
        assert a == b, fmt


def test_figure_texts_lists_ticks_titles_and_notes_as_drawn():
    with house_style("en"):
        fig = plot_event_study(event_table())
    drawn = figure_texts(fig)
    assert label("title_event_study") in drawn and "2019" in drawn
    assert label("source_register") in drawn
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    shown = [float(t.replace(MINUS, "-")) for t in tick_texts(ax) if t in drawn and t]
    assert shown and all(low <= v <= high for v in shown)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_first_three_figures_stay_inside_the_figure(demo_data, tables, lang):
    costs, effects = tables
    with house_style(lang):
        figs = [
            plot_cost_by_sector(costs, lang=lang, simulated=True),
            plot_spending_by_region(demo_data, lang=lang, simulated=True),
            plot_regional_coefficients(effects, lang=lang, simulated=True),
        ]
        for fig in figs:
            renderer = fig.canvas.get_renderer()
            box = fig.bbox
            for text in drawn_texts(fig):
                ext = text.get_window_extent(renderer)
                inside = ext.x0 >= box.x0 - 1 and ext.x1 <= box.x1 + 1 and ext.y0 >= box.y0 - 1
                assert inside and ext.y1 <= box.y1 + 1, f"{text.get_text()!r} is clipped"


def test_standard_figures_draws_each_registered_figure_in_order(demo_data):
    """The standard set is the registry: every entry drawn, in its order, from a run's tables; a figure
    whose rows are absent is skipped."""
    from analysis.present.figures import STANDARD_FIGURES, standard_figures

    costs = estimate_cost_per_beneficiary(demo_data, by="sector", bootstrap_reps=0)
    effects = pd.concat([event_table(), province_effects_table()], ignore_index=True)
    with house_style("en"):
        figures = standard_figures(
            demo_data, costs, effects, tornado_table(), lang="en", simulated=True
        )
        without = standard_figures(demo_data, costs, effects, None, lang="en")
    assert list(figures) == list(STANDARD_FIGURES)
    assert "cost_sensitivity" not in without and len(without) == len(STANDARD_FIGURES) - 1


def test_the_shipped_cjk_subset_holds_every_character_of_the_tables_figures_draw_from():
    """Every character of the tables the figures take their words from is in the shipped subset font
    (scripts/build_cjk_font.py), and a character outside it is still drawn, from the full font."""
    import importlib.util
    import sys

    import matplotlib.pyplot as plt
    from fontTools.ttLib import TTFont

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("build", ROOT / "scripts" / "build_cjk_font.py")
    build = importlib.util.module_from_spec(spec)
    sys.modules["build"] = build
    spec.loader.exec_module(build)
    from analysis.present.style import full_cjk_font_path

    cmap = TTFont(str(cjk_font_path()))["cmap"].getBestCmap()
    full = TTFont(str(full_cjk_font_path()), lazy=True)["cmap"].getBestCmap()
    wanted = [c for c in build.characters() if c.strip() and ord(c) in full]
    assert len(wanted) > 700  # a few hundred Chinese characters and the fixed ranges
    missing = sorted(c for c in wanted if ord(c) not in cmap)
    assert missing == [], missing[:20]
    rare = "鿏"  # not in any table: the full font (fallback) draws it, no missing-glyph error
    assert ord(rare) not in cmap
    with house_style("zh"):
        fig, ax = plt.subplots()
        ax.set_title(f"测试{rare}")
        fig.canvas.draw()
    plt.close(fig)
