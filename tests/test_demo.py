"""The simulated demo register: reproducible bytes, calibration to the published 2018 totals, labels."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest

from analysis.demo import costing
from analysis.demo.register import (
    HEADERS,
    HEADERS_BEFORE_COSTING,
    make_demo_files,
    make_demo_register,
    write_demo_register,
)
from analysis.demo.simulate import DEMO_SEED
from analysis.errors import ParameterError
from analysis.estimate.costs import estimate_cost_per_beneficiary
from analysis.registers.optional import OPTIONAL_FLAGS
from analysis.registers.overhead import read_overhead
from analysis.schema import COST_CATEGORIES

from conftest import DEMO, ROOT

OVERHEAD = ROOT / "data" / "raw" / "demo_overhead.csv"


@pytest.mark.slow
def test_regenerating_the_demo_register_gives_the_committed_bytes(tmp_path):
    # a demo register of the version before the costing columns is the demo: overwritten
    legacy = ",".join(HEADERS_BEFORE_COSTING) + "\n" + "x," * 13 + "模拟数据\n"
    (tmp_path / "demo_register.csv").write_text(legacy, encoding="utf-8-sig")
    paths = write_demo_register(tmp_path, seed=DEMO_SEED)
    assert paths["register"].read_bytes() == DEMO.read_bytes()
    assert paths["truth"].read_bytes() == (ROOT / "data/raw/demo_truth.json").read_bytes()
    assert paths["overhead"].read_bytes() == OVERHEAD.read_bytes()


def test_an_overhead_table_that_is_not_the_demo_is_not_overwritten(tmp_path):
    mine = tmp_path / "demo_overhead.csv"
    mine.write_text("org_name,admin_share\n中国扶贫基金会,0.08\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="not overwritten"):
        write_demo_register(tmp_path, seed=DEMO_SEED)
    assert mine.read_text(encoding="utf-8").startswith("org_name,admin_share")


@pytest.mark.slow
def test_the_costing_stream_leaves_every_other_column_as_it_was(monkeypatch):
    """The costing columns come from their own stream: drawing them from another one changes them
    and nothing else of the register (its calibration and planted effects are those without them)."""
    monkeypatch.setattr(costing, "COSTING_STREAM", 11)
    other = make_demo_files(DEMO_SEED)["register"]

    def rows(text):
        return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))

    shipped, moved = rows(DEMO.read_text(encoding="utf-8")), rows(other)
    assert shipped[0] == moved[0] == HEADERS and len(shipped) == len(moved)
    keep = [i for i, h in enumerate(HEADERS) if h not in costing.COSTING_HEADERS]
    width = [len(r) == len(HEADERS) for r in shipped]
    assert width.count(False) == 1  # the planted malformed row: its fields are shifted
    assert [[r[i] for i in keep] for r, w in zip(shipped, width, strict=True) if w] == [
        [r[i] for i in keep] for r, w in zip(moved, width, strict=True) if w
    ]
    cells = [i for i, h in enumerate(HEADERS) if h in costing.COSTING_HEADERS]
    assert [[r[i] for i in cells] for r in shipped[1:50]] != [
        [r[i] for i in cells] for r in moved[1:50]
    ]


@pytest.mark.slow
def test_a_different_seed_gives_a_different_register():
    text, _ = make_demo_register(seed=DEMO_SEED + 1)
    assert text.encode("utf-8-sig") != DEMO.read_bytes()


def test_cleaned_2018_rows_reproduce_the_published_figures(demo_data):
    d18 = demo_data[demo_data["year"] == 2018]
    assert len(d18) == 1536
    assert d18["org_name"].nunique() == 686
    assert d18["expenditure_yuan"].sum() == pytest.approx(32.3e9, rel=0.005)
    assert d18["beneficiaries"].sum() == pytest.approx(5.81e6, rel=0.005)
    assert d18["poor_households"].sum() == pytest.approx(630_000, rel=0.005)


def test_joint_funded_projects_in_sanqu_sanzhou_2017_2019(demo_data):
    jd = demo_data[
        demo_data["joint_funded"]
        & demo_data["deep_poverty_area"]
        & demo_data["year"].between(2017, 2019)
    ]
    assert len(jd) == 406
    assert jd["expenditure_yuan"].sum() == pytest.approx(174.48e6, rel=1e-9)


def test_national_2018_ratio_of_totals_is_5559_yuan(demo_data):
    table = estimate_cost_per_beneficiary(
        demo_data[demo_data["year"] == 2018], by="year", bootstrap_reps=0
    )
    row = table[(table["level"] == "2018") & (table["estimator"] == "ratio_of_totals")].iloc[0]
    assert row["estimate"] == pytest.approx(5559, abs=30)
    assert row["price_basis"] == "nominal yuan" and row["denominator"] == "persons"
    hh = table[(table["level"] == "2018") & (table["estimator"] == "ratio_of_totals_per_household")]
    assert hh.iloc[0]["estimate"] == pytest.approx(51_270, abs=300)
    assert hh.iloc[0]["price_basis"] == "nominal yuan" and hh.iloc[0]["denominator"] == "households"


def test_every_planted_broken_row_is_rejected_with_its_reason(demo_clean, demo_truth):
    assert demo_clean.report["rejected_by_reason"] == {
        k: v for k, v in demo_truth["planted_rejects"].items() if v
    }
    r = demo_clean.report
    assert r["rows_in"] == r["rows_clean"] + r["rows_rejected"]


def test_the_register_is_labelled_simulated_everywhere_it_shows(demo_clean, demo_truth):
    assert demo_clean.data["simulated"].all()
    assert "SIMULATED" in demo_truth["label"]
    assert "simulated" in (ROOT / "data/raw/README.md").read_text(encoding="utf-8").lower()
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        text = json.loads(nb.read_text(encoding="utf-8"))
        first = "".join(text["cells"][0]["source"])
        assert "simulated" in first.lower(), nb.name


def test_the_register_looks_like_a_real_export():
    text = DEMO.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, as Excel writes
    body = text.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("项目编号,项目名称,实施机构")
    for messy in ("亿元", "元,", "不详", "—", "Province", "约", "、"):
        assert messy in body, messy


def test_the_planted_costing_problems_are_flagged_and_nothing_else(demo_clean, demo_truth):
    flags = demo_clean.report["flags_by_kind"]
    planted = demo_truth["costing"]["planted_flags"]
    assert {k: flags[k] for k in OPTIONAL_FLAGS if k in flags} == planted


def test_the_demo_cost_categories_add_up_to_the_expenditure(demo_data, demo_truth):
    given = demo_data[demo_data["admin_cost_yuan"].notna()]
    ok = ~given["flags"].str.contains("cost_categories_mismatch|direct_cost_yuan_unreadable")
    parts = given.loc[ok, list(COST_CATEGORIES)].fillna(0).sum(axis=1)
    assert np.allclose(parts, given.loc[ok, "expenditure_yuan"], rtol=1e-12, atol=0)
    assert len(given) == demo_truth["costing"]["cost_categories"]["projects"]
    multi = (demo_data["end_year"] > demo_data["start_year"]).fillna(False).mean()
    assert 0.13 < multi < 0.17  # SHARE_MULTI_YEAR, 15%
    assert (demo_data["beneficiary_basis"] == "persons").all()  # the header is 受益人数


def demo_shares(data: pd.DataFrame, truth: dict) -> np.ndarray:
    """Each row's administrative-cost share: the overhead table's row for its year, else its
    blank-year row, else the truth's share of an organization left out of the table."""
    table = read_overhead(OVERHEAD)
    by_year = table.dropna(subset=["year"]).set_index(["org_name", "year"])["admin_share"]
    every = table[table["year"].isna()].set_index("org_name")["admin_share"]
    left_out = truth["costing"]["overhead"]["left_out_of_table"]
    out = []
    for org, year in zip(data["org_name"], data["year"], strict=True):
        share = by_year.get((org, year), every.get(org, left_out.get(org)))
        out.append(share)
    return np.array(out, dtype=float)


def test_the_demo_overhead_table_is_simulated_and_gives_the_true_fully_loaded_ratio(
    demo_data, demo_truth
):
    table = read_overhead(OVERHEAD)
    assert table["simulated"].all() and table["source"].str.contains("simulated").all()
    assert table["admin_share"].between(0.02, 0.13).all()
    left_out = set(demo_truth["costing"]["overhead"]["left_out_of_table"])
    assert not left_out & set(table["org_name"])
    assert set(table["org_name"]) | left_out == set(demo_data["org_name"])
    d18 = demo_data[demo_data["year"] == 2018]
    share = demo_shares(d18, demo_truth)
    assert not np.isnan(share).any()
    loaded = (d18["expenditure_yuan"] / (1 - share)).sum() / d18["beneficiaries"].sum()
    truth = demo_truth["costing"]["fully_loaded_2018"]
    assert loaded == pytest.approx(truth["fully_loaded_ratio_of_totals_yuan"], rel=1e-12)
    sticker = d18["expenditure_yuan"].sum() / d18["beneficiaries"].sum()
    assert sticker == pytest.approx(truth["sticker_ratio_of_totals_yuan"], rel=1e-12)
    assert 1.07 < loaded / sticker < 1.10  # E[1/(1-s)] = 1.082 for s uniform on [0.03, 0.12]
