"""The simulated demo register: reproducible bytes, calibration to the published 2018 totals, labels."""

from __future__ import annotations

import json

import pytest

from analysis.demo.register import make_demo_register, write_demo_register
from analysis.demo.simulate import DEMO_SEED
from analysis.estimate.costs import estimate_cost_per_beneficiary

from conftest import DEMO, ROOT


@pytest.mark.slow
def test_regenerating_the_demo_register_gives_the_committed_bytes(tmp_path):
    paths = write_demo_register(tmp_path, seed=DEMO_SEED)
    assert paths["register"].read_bytes() == DEMO.read_bytes()
    assert paths["truth"].read_bytes() == (ROOT / "data/raw/demo_truth.json").read_bytes()


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
