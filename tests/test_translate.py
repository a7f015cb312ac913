"""The estimators' English texts in the Chinese printed tables (analysis.present.translate and
data/text_zh.csv): exact translations with their numbers carried, untranslated texts left as written,
every row of the table reached by its example, and no English word left in the cells of the Chinese
tables printed from the estimators' own output on the demo register."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.present.publish import publication_table, table_html
from analysis.present.tables import regression_gt
from analysis.present.translate import text_rules, translate_text

ROOT = Path(__file__).resolve().parents[1]

EXACT = {
    "CR1 clustered by org_name (G=940), t(G-1)": "CR1 按 org_name 聚类（G=940），t(G−1)",
    "CR1 clustered by area (G=36, 6 treated and 30 control areas), t(G-1)": (
        "CR1 按地区聚类（G=36，处理组 6 个、对照组 30 个地区），t(G−1)"
    ),
    "wild cluster bootstrap by org_name (G=940), Rademacher (999 draws), null imposed, CR1 "
    "t-statistic; interval by test inversion (ends to 0.0001 SE)": (
        "按 org_name 聚类的野聚类自助法（G=940），Rademacher 权重（999 次抽样），施加原假设，CR1 t "
        "统计量；区间由检验反演得到（端点精确到 0.0001 个标准误）"
    ),
    "as recorded": "按记录",
    "0% visits": "人次占 0%",
    "50% visits, 2 per person": "人次占 50%，每人 2 次",
    "full overlap within organization, county and year; no county: 25% repeats": (
        "同一机构、县和年份内完全重叠；无县信息的：25% 为重复计数"
    ),
    "overhead table: 94 organization(s) (620 of 7496 rows) have no admin share for their year; "
    "the default 10% was used": (
        "管理费用表：94 个机构（7496 行中的 620 行）缺少当年的管理费用比例，按默认的 10% 计"
    ),
    "constant 2018 yuan (CPI), then present value at 8% to 2016": (
        "2018年不变价元（CPI），按 8% 折现至 2016 年的现值"
    ),
    "project beneficiaries (persons)": "项目受益人数（人）",
    "without Tibet (of 31 provinces left out in turn)": "不含西藏（31 个省份轮流剔除其一）",
    "as reported: wild cluster bootstrap by area, interval by test inversion": (
        "正文设定：按地区聚类的野聚类自助法，区间由检验反演得到"
    ),
}


@pytest.mark.parametrize(("english", "chinese"), EXACT.items())
def test_exact_translations(english, chinese):
    assert translate_text(english, "zh") == chinese
    assert translate_text(english, "en") == english


def test_an_unmatched_text_or_part_stays_as_written():
    text = "Ministry of Civil Affairs press conference 2019-06-28; MCA report 2019-08-26"
    assert translate_text(text, "zh") == text
    assert translate_text("something new", "zh") == "something new"
    # a part no row knows stays English beside the parts that are translated
    assert translate_text("as recorded; something new", "zh") == "按记录；something new"
    assert translate_text("", "zh") == ""
    with pytest.raises(ParameterError, match="lang"):
        translate_text("as recorded", "fr")


def test_every_row_compiles_and_is_the_first_to_match_its_example():
    rules = text_rules()
    assert len(rules) >= 90
    for rule in rules:
        first = next(r for r in rules if r.pattern.fullmatch(rule.example))
        assert first is rule, f"{rule.example!r} is taken by {first.pattern.pattern!r}"
        assert translate_text(rule.example, "zh") != rule.example


def test_every_number_of_the_english_is_in_the_chinese():
    for english in [*EXACT, *(r.example for r in text_rules())]:
        chinese = translate_text(english, "zh")
        for number in re.findall(r"\d+", english):
            assert number in chinese, (english, chinese, number)


def test_the_csv_tables_stay_english_and_english_prints_as_before():
    table = pd.DataFrame(
        {
            "model": ["did_cr1"],
            "estimate": [0.1],
            "std_error": [0.05],
            "ci_low": [0.0],
            "ci_high": [0.2],
            "p_value": [0.04],
            "n_clusters": [36],
            "inference": ["CR1 clustered by area (G=36, 6 treated and 30 control areas), t(G-1)"],
        }
    )
    en = table_html(publication_table(table, "did_inference"))
    zh = table_html(publication_table(table, "did_inference", lang="zh"))
    assert "CR1 clustered by area (G=36" in en and "按地区聚类" not in en
    assert "CR1 按地区聚类（G=36，处理组 6 个、对照组 30 个地区），t(G−1)" in zh
    assert table["inference"].iloc[0].startswith("CR1 clustered")


class _Cells(HTMLParser):
    """The texts of a table's cells (td and th) and source notes."""

    def __init__(self):
        super().__init__()
        self.cells: list[str] = []
        self._buf: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("td", "th"):
            self._buf = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._buf is not None:
            self.cells.append("".join(self._buf).strip())
            self._buf = None

    def handle_data(self, data):
        if self._buf is not None:
            self._buf.append(data)


# Words kept in Latin in a Chinese table: statistical names, software, the file the notes point to.
KEPT = {
    "Rademacher", "PPML", "Delta", "Fieller", "Holm", "Bonferroni", "Abraham", "fixest",
    "reghdfe", "statsmodels", "docs", "assumptions",
}  # fmt: skip
# Columns of citations (English titles of papers and reports), printed as written, by table.
CITATIONS = {"cost_assumptions": ["col_source"], "reconciliation": ["col_source"]}
_WORD = re.compile(r"[A-Za-z_]+")


def _english_words(html: str) -> list[str]:
    """The words of 4+ Latin letters in the cells of ``html`` (a column name with _ is not a word)."""
    parser = _Cells()
    parser.feed(html)
    words = (w for cell in parser.cells for w in _WORD.findall(cell))
    return sorted({w for w in words if len(w) >= 4 and "_" not in w and w not in KEPT})


def _zh_html(table: pd.DataFrame, kind: str) -> str:
    gt = publication_table(table, kind, lang="zh")
    return table_html(gt.cols_hide(CITATIONS[kind]) if kind in CITATIONS else gt)


def _notebook_tables(data: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The tables of notebooks 03 and 05 whose cells hold the estimators' words, as the notebooks
    make them, with few draws."""
    from analysis.estimate.beneficiaries import deduplication_sensitivity
    from analysis.estimate.bounds import missing_beneficiary_bounds
    from analysis.estimate.effectiveness import cost_effectiveness, walk_assumptions
    from analysis.estimate.inference import baseline_inference, spending_shift_inference
    from analysis.estimate.loading import fully_loaded_costs, usable_overhead
    from analysis.estimate.robustness import baseline_robustness, shift_robustness
    from analysis.estimate.scale import cost_by_size, fit_scale_elasticity
    from analysis.estimate.sensitivity import cost_sensitivity
    from analysis.registers.overhead import read_overhead

    overhead, _ = usable_overhead(read_overhead(ROOT / "data" / "raw" / "demo_overhead.csv"), data)
    boot = {"bootstrap_reps": 19, "seed": 1}
    walk = {"base_year": 2018, "outcome": "households_exited", **boot}
    return {
        "baseline_inference": baseline_inference(data, second_cluster="province", reps=99, seed=1),
        "did_inference": spending_shift_inference(data, reps=99, seed=1),
        "robustness": pd.concat(
            [baseline_robustness(data), shift_robustness(data, reps=99, seed=1)],
            ignore_index=True,
        ),
        "cost_sensitivity": cost_sensitivity(data, year=2018),
        "deduplication": deduplication_sensitivity(data, year=2018, **boot),
        "cost_bounds": missing_beneficiary_bounds(data, by="year", base_year=2018, **boot),
        "fully_loaded": fully_loaded_costs(data, overhead, by="year", base_year=2018, **boot),
        "cost_effectiveness": cost_effectiveness(data, overhead, **walk),
        "cost_assumptions": walk_assumptions(data, overhead, **walk),
        "cost_by_size": cost_by_size(data, base_year=2018, **boot),
        "scale_elasticity": fit_scale_elasticity(
            data, measure=("beneficiaries", "expenditure"), base_year=2018
        ),
    }


@pytest.mark.slow
def test_chinese_tables_of_the_estimators_hold_no_english_words(demo_data):
    tables = _notebook_tables(demo_data)
    left = {kind: _english_words(_zh_html(table, kind)) for kind, table in tables.items()}
    columns = {
        "regression_few_cluster_checks": tables["baseline_inference"],
        "regression_spending_shift": tables["did_inference"].query("model == 'did_wild'"),
    }
    left["regression_table"] = _english_words(table_html(regression_gt(columns, lang="zh")))
    assert {kind: words for kind, words in left.items() if words} == {}
    # the check finds English where it is: the same tables in English hold the estimators' words
    en = table_html(publication_table(tables["did_inference"], "did_inference"))
    assert {"clustered", "treated", "control"} <= set(_english_words(en))
