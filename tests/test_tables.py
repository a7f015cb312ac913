"""Publication tables: the run's tidy tables and the regression table as great-tables HTML and LaTeX,
read back as text (no index column, no scientific notation, labels from the label table, the
reference category, booktabs rules, the column count, notes once, the same bytes twice, offline)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.present.booktables import latex_columns, term_label
from analysis.present.publish import (
    PUBLICATION_TABLES,
    publication_table,
    table_html,
    table_latex,
)
from analysis.present.summaries import reconcile_published
from analysis.present.tables import regression_gt, regression_table

SCIENTIFIC = re.compile(r"\de[+-]?\d", re.IGNORECASE)


def effect(model, rows, n_obs=7265, n_clusters=67, **extra):
    """A tidy effect table: rows (term, estimate, std_error, ci_low, ci_high, p_value)."""
    return pd.DataFrame(
        [
            {
                "model": model,
                "term": term,
                "estimate": est,
                "std_error": se,
                "ci_low": lo,
                "ci_high": hi,
                "p_value": p,
                "n_obs": n_obs,
                "n_clusters": n_clusters,
                "n_unknown_excluded": 3,
                **extra,
            }
            for term, est, se, lo, hi, p in rows
        ]
    )


BASE = effect(
    "baseline",
    [
        ("deep_poverty_area", 0.324, 0.0296, 0.265, 0.383, 1.6e-16),
        ("sector[education]", 0.351, 0.027, 0.297, 0.405, 8e-20),
    ],
    inference="CR1 two-way by organization and place.",
)
WILD = effect(
    "did_wild",
    [("deep_poverty_area:post2017", 0.344, np.nan, -0.078, 0.822, 0.116)],
    n_obs=180,
    n_clusters=36,
    inference="CR1 two-way by organization and place.",
)
COLUMNS = {"Baseline": BASE, "Spending shift": WILD}


def cells_of(html: str) -> list[str]:
    return re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", html)


def test_regression_html_labels_terms_names_the_reference_and_has_no_index():
    page = regression_table(COLUMNS, fmt="html")
    cells = cells_of(page)
    assert "三区三州 (deep-poverty areas)" in cells and "Education" in cells
    assert "三区三州 × after 2017" in cells
    assert "Sector (reference: Industry)" in cells
    assert "sector[education]" not in page and "deep_poverty_area" not in page
    assert "(1)" in cells and "(2)" in cells
    # estimate, then its standard error or interval one row below (stub + 2 columns further on)
    assert cells[cells.index("0.324") + 3] == "(0.030)"
    assert cells[cells.index("0.344") + 3] == "[-0.078, 0.822]"
    # footer rows
    for row in ("Fixed effects", "Clusters", "Observations"):
        assert row in cells
    assert "Sector, year" in cells and "Area, year" in cells and "7,265" in cells
    assert "R²" not in page  # no table has r_squared
    assert not SCIENTIFIC.search(page)
    assert not re.search(r">\s*0\s*<", page)  # no pandas index cell


def test_regression_notes_appear_once_and_r_squared_where_given():
    page = regression_table(COLUMNS, fmt="html", notes="Simulated data.")
    assert page.count("Simulated data.") == 1
    assert page.count("CR1 two-way by organization and place.") == 1
    assert "(1), (2): CR1 two-way" in page
    with_r2 = regression_table({"a": BASE.assign(r_squared=0.41234)}, fmt="html")
    assert "R²" in with_r2 and "0.412" in with_r2


def test_regression_latex_booktabs_and_column_count():
    tex = regression_table(COLUMNS, fmt="latex")
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert rule in tex
    assert "\\begin{tabular}{lcc}" in tex
    assert latex_columns(tex) == 1 + 2
    three = regression_table({**COLUMNS, "Again": BASE}, fmt="latex")
    assert latex_columns(three) == 1 + 3
    assert "|" not in re.search(r"\\begin\{tabular\}\{([^}]*)\}", tex)[1]
    assert "\\midrule\nFixed effects &" in tex
    assert "Sector (reference: Industry)" in tex
    assert not SCIENTIFIC.search(tex)


def test_reference_level_from_a_reference_row():
    ref = effect("province_fixed_effects", [("province[Tibet]", 0.0, 0.0, 0.0, 0.0, np.nan)])
    other = effect("province_fixed_effects", [("province[Anhui]", 0.2, 0.1, 0.0, 0.4, 0.05)])
    page = regression_table(pd.concat([ref, other]), fmt="html", lang="zh")
    assert "省份（参照组：西藏）" in page
    assert "安徽" in page and "Province, sector, year" not in page


def test_same_bytes_twice_and_no_external_url():
    for fmt in ("html", "latex"):
        assert regression_table(COLUMNS, fmt=fmt) == regression_table(COLUMNS, fmt=fmt)
    page = regression_table(COLUMNS, fmt="html")
    assert "http" not in page
    assert 'id="tbl-regression"' in page


def test_chinese_regression_table():
    page = regression_table(COLUMNS, fmt="html", lang="zh")
    assert "扶贫领域（参照组：产业扶贫）" in page
    assert "固定效应" in page and "观测数" in page
    assert "(1), (2)：CR1" in page


def test_markdown_unchanged_and_options_checked():
    md = regression_table(COLUMNS)
    assert md.startswith("|  | Baseline | Spending shift |")
    with pytest.raises(ParameterError, match="lang must be"):
        regression_table(COLUMNS, fmt="html", lang="fr")
    with pytest.raises(ParameterError, match="digits must be"):
        regression_gt(COLUMNS, digits=-1)


def test_term_labels_come_from_the_label_table():
    assert term_label("sector[health]") == "Health"
    assert term_label("sector[health]", "zh") == "健康扶贫"
    assert term_label("deep_poverty_area:2018") == "三区三州 (deep-poverty areas) × 2018"
    assert term_label("exit:-2") == "Years since exit: \u22122"
    assert term_label("province[Tibet]", "zh") == "西藏"


COSTS = pd.DataFrame(
    {
        "group": ["year", "year", "sector", "deep_poverty_area"],
        "level": ["2018", "2018", "education", "True"],
        "estimator": ["ratio_of_totals", "mean_of_ratios", "ratio_of_totals", "ratio_of_totals"],
        "estimate": [32300000000.4, 10604.6, 5559.38, 8000.0],
        "ci_low": [3.0e10, 10009.8, 5000.1, np.nan],
        "ci_high": [3.5e10, 11188.1, 6000.2, np.nan],
        "n_projects": [1536.0, 1536, 300, 400],
        "n_clusters": [686, 686, 200, 100],
        "price_basis": ["nominal yuan", "nominal yuan", "constant 2018 yuan (CPI)", "nominal yuan"],
    }
)


def test_cost_headline_numbers_and_rows():
    gt = publication_table(COSTS, "cost_headline")
    page = table_html(gt)
    cells = cells_of(page)
    assert "32,300,000,000" in cells and "[30,000,000,000, 35,000,000,000]" in cells
    assert "1,536" in cells and "10,605" not in cells  # mean_of_ratios is not a headline row
    assert "Ratio of totals" in cells and "Yuan per person" in cells
    assert not SCIENTIFIC.search(page) and "…" not in page
    zh = table_html(publication_table(COSTS, "cost_by_sector", lang="zh"))
    assert "教育扶贫" in zh and "2018年不变价元（CPI）" in zh and "元/人" in zh
    region = cells_of(table_html(publication_table(COSTS, "cost_by_region")))
    assert "三区三州 (deep-poverty areas)" in region and "" in region


def test_booleans_as_words_and_shares_as_percent():
    table = pd.DataFrame(
        {
            "scope": ["national social organizations"],
            "period": ["2018"],
            "measure": ["projects"],
            "unit": ["projects"],
            "published": [1536.0],
            "data": [1500.0],
            "relative_difference": [-0.0234375],
            "warning": [False],
            "source": ["MCA 2019"],
        }
    )
    cells = cells_of(table_html(publication_table(table, "reconciliation")))
    assert "No" in cells and "False" not in cells and "-2.3%" in cells
    zh = cells_of(table_html(publication_table(table, "reconciliation", lang="zh")))
    assert "否" in zh and "全国性社会组织" in zh


def test_every_entry_renders_and_is_deterministic():
    assert {"reconciliation", "cost_sensitivity", "robustness", "did_inference"} <= set(
        PUBLICATION_TABLES
    )
    gt = publication_table(COSTS, "cost_intervals".replace("intervals", "headline"))
    assert table_html(gt) == table_html(publication_table(COSTS, "cost_headline"))
    assert table_latex(gt) == table_latex(publication_table(COSTS, "cost_headline"))
    assert latex_columns(table_latex(gt)) == 7
    with pytest.raises(ParameterError, match="kind must be"):
        publication_table(COSTS, "nope")
    with pytest.raises(ParameterError, match="no rows"):
        publication_table(COSTS.iloc[2:], "cost_headline")


def test_effect_tables_render_in_both_languages():
    table = pd.concat([BASE, WILD.assign(model="did")])
    for lang in ("en", "zh"):
        page = table_html(publication_table(table, "regional_effects", lang=lang))
        assert "Spending shift (DiD)" in page or "支出转移（双重差分）" in page
        assert "< 0.001" in page or "&lt; 0.001" in page
        assert not SCIENTIFIC.search(page)


def test_reconciliation_rows_each_carry_their_source(demo_data):
    rec = reconcile_published(demo_data)
    assert not rec["source"].str.contains("same as above").any()
    assert rec["source"].str.len().gt(0).all()
    projects = rec.set_index("measure").loc["projects", "source"]
    assert projects.startswith("Ministry of Civil Affairs press conference")


def test_province_table_names_the_between_province_sd_and_prints_it_after_the_provinces():
    rows = [
        ("province[Tibet]", 0.333, np.nan, 0.27, 0.396, np.nan),
        ("between_province_sd", 0.104, np.nan, 0.076, 0.143, np.nan),
        ("province[Jiangxi]", -0.134, np.nan, -0.233, -0.034, np.nan),
    ]
    table = pd.concat(
        [
            effect("province_random_effects", rows),
            effect("province_random_effects_given_deep", rows[:2]),
        ]
    ).assign(ci_low_simultaneous=-1.0, ci_high_simultaneous=1.0)
    cells = cells_of(table_html(publication_table(table, "province_effects")))
    stubs = [c for c in cells if c in ("Tibet", "Jiangxi") or c.startswith("Between")]
    sd = "Between-province SD (spread of the province effects)"
    assert stubs == ["Jiangxi", "Tibet", sd, "Tibet", sd]
    assert "between_province_sd" not in cells
    zh = cells_of(table_html(publication_table(table, "province_effects", lang="zh")))
    assert "省份间标准差（省份效应的离散程度）" in zh and "西藏" in zh


def test_reconciliation_prints_the_household_caution_in_persons_per_household(demo_data):
    rec = reconcile_published(demo_data)
    caution = rec[rec["measure"].str.contains("per registered poor household")]
    assert caution["unit"].tolist() == ["persons per household"]
    en = cells_of(table_html(publication_table(caution, "reconciliation")))
    zh = cells_of(table_html(publication_table(caution, "reconciliation", lang="zh")))
    assert "persons per household" in en and "persons" not in en
    assert "人/户" in zh and "人" not in zh


def test_regression_column_groups_are_words_of_the_label_table_in_either_language():
    keyed = {"regression_baseline": BASE, "regression_spending_shift": WILD}
    zh = regression_table(keyed, fmt="html", lang="zh")
    assert "基准模型" in zh and "支出转移" in zh and "regression_" not in zh
    en = regression_table(keyed, fmt="latex")
    assert "Spending shift" in en and "regression" not in en
    assert regression_table(keyed, fmt="html") == regression_table(
        {"Baseline": BASE, "Spending shift": WILD}, fmt="html"
    ), "a key the label table does not have is printed as it is"


def test_every_printed_table_of_the_notebooks_follows_the_runs_lang():
    """`analysis run -p lang '"zh"'` prints the notebooks' tables and regression_table.html/.tex in
    Chinese, and a run of some notebooks only (01, 02) takes lang too."""
    import ast
    from pathlib import Path

    import nbformat
    import papermill as pm

    printers = {"publication_table", "regression_table", "regression_gt"}
    for path in sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = "\n".join(
            c.source for c in nb.cells if c.cell_type == "code" and not c.source.startswith("%")
        )
        calls = [
            node
            for node in ast.walk(ast.parse(code))
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in printers
        ]
        if not calls and "save_standard_figures" not in code:
            continue
        assert "lang" in pm.inspect_notebook(str(path)), path.stem
        for call in calls:
            keywords = {k.arg: k.value for k in call.keywords}
            assert isinstance(keywords.get("lang"), ast.Name), (path.stem, ast.unparse(call))
            assert keywords["lang"].id == "lang", (path.stem, ast.unparse(call))
