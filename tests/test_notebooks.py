"""The notebooks: documented parameters, no committed outputs, and the whole chain through papermill."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import papermill as pm
import pytest

from conftest import DEMO, ROOT, copy_run

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ANALYSIS = str(Path(sys.executable).with_name("analysis"))
DESIGN_PARAMETERS = {
    "01_clean": {"raw_paths", "processed_dir"},
    "02_cost_per_beneficiary": {
        "processed_dir",
        "tables_dir",
        "base_year",
        "bootstrap_reps",
        "seed",
    },
    "03_regional_effects": {"processed_dir", "tables_dir", "cluster"},
    "04_figures": {"processed_dir", "tables_dir", "figures_dir", "lang"},
    "05_cost_effectiveness": {
        "processed_dir",
        "tables_dir",
        "overhead_path",
        "base_year",
        "discount_rate",
        "outcome",
        "bootstrap_reps",
        "seed",
    },
}


def test_there_are_the_five_notebooks():
    assert [p.stem for p in NOTEBOOKS] == sorted(DESIGN_PARAMETERS)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_are_typed_documented_and_named_as_in_the_design(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "parameters" in code_cells[0]["metadata"].get("tags", [])
    params = pm.inspect_notebook(str(path))
    assert DESIGN_PARAMETERS[path.stem] <= set(params)
    for name, spec in params.items():
        assert spec["inferred_type_name"] != "None", name
        assert spec["help"].strip(), name
    out = subprocess.run(
        [str(Path(sys.executable).with_name("papermill")), "--help-notebook", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name, spec in params.items():
        assert f"{name}: {spec['inferred_type_name']}" in out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.fixture(scope="module")
def demo_slice(tmp_path_factory):
    """Every third project of the demo register (all years), still a messy simulated export."""
    lines = DEMO.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    path = tmp_path_factory.mktemp("raw") / "demo_register_slice.csv"
    path.write_text(lines[0] + "".join(lines[1::3]), encoding="utf-8-sig")
    return path


def run(*args, check=False):
    return subprocess.run([ANALYSIS, *args], capture_output=True, text=True, check=check)


@pytest.mark.notebook
def test_the_whole_chain_runs_through_papermill_and_a_failure_keeps_the_last_good_run(
    small_run, tmp_path
):
    """The shared run (`analysis run` of every notebook on a quarter of the demo register, 99
    draws; tests/conftest.py) has every output; a failing run into a copy of it leaves the copy as
    it was."""
    out = small_run
    raw = out.parent / "raw" / "register.csv"
    names = [
        "01_clean",
        "02_cost_per_beneficiary",
        "03_regional_effects",
        "04_figures",
        "05_cost_effectiveness",
    ]
    for name in names:
        assert (out / "notebooks" / f"{name}.ipynb").is_file()
        html = (out / "html" / f"{name}.html").read_text(encoding="utf-8")
        assert "an.read_projects" not in html and "import analysis" not in html  # inputs hidden
    assert "SIMULATED DATA" in (out / "html" / "01_clean.html").read_text(encoding="utf-8")
    for table in ("cost_per_beneficiary", "regional_effects", "reconciliation"):
        assert (out / "tables" / f"{table}.csv").stat().st_size > 100
    for fig in ("cost_by_sector", "spending_by_region", "regional_coefficients"):
        for fmt in ("png", "svg", "pdf"):
            assert (out / "figures" / f"{fig}.{fmt}").stat().st_size > 1000
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert manifest["inputs"] == {str(raw): manifest["inputs"][str(raw)]}
    assert "tables/cost_per_beneficiary.csv" in manifest["outputs"]
    assert manifest["versions"]["papermill"]
    assert all(not r["reused"] for r in manifest["notebooks"].values())  # every one executed
    assert (out / "index.html").read_text(encoding="utf-8").count("<img") >= 6
    assert (out / "processed" / "projects.parquet").is_file()  # the run's own cleaned data
    assert manifest["made_by"] == "analysis run"
    assert set(manifest["files"]) == {
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
    }
    assert not list(out.parent.glob(f".{out.name}*")), "no building folder or lock left behind"

    # A run that fails in 01_clean: one line naming the notebook, last good run left in place.
    out = copy_run(small_run, tmp_path / "reports")
    before = (out / "manifest.json").read_bytes()
    (tmp_path / "nope.csv").write_text("not,a,register\n1,2,3\n", encoding="utf-8")
    bad = run(
        "run",
        "--out",
        str(out),
        "-p",
        "raw_paths",
        json.dumps([str(tmp_path / "nope.csv")]),
        "-p",
        "bootstrap_reps",
        "99",
    )
    assert bad.returncode == 2
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "01_clean" in lines[0] and "nope.csv" in lines[0], lines
    assert "Traceback" not in bad.stderr
    assert (out / "manifest.json").read_bytes() == before
    failed = json.loads((out.with_name(f"{out.name}.failed") / "manifest.json").read_text())
    assert failed["status"] == "failed" and failed["error"].startswith("notebook 01_clean failed")


@pytest.mark.slow
def test_unknown_or_mistyped_parameters_are_refused_before_any_kernel_starts(tmp_path):
    bad = run("run", "--out", str(tmp_path / "r"), "-p", "bootstrap_rep", "10")
    assert (
        bad.returncode == 2 and "bootstrap_rep" in bad.stderr and len(bad.stderr.splitlines()) == 1
    )
    bad = run("run", "--out", str(tmp_path / "r"), "-p", "base_year", '"2018"')
    assert bad.returncode == 2 and "base_year" in bad.stderr
    assert not (tmp_path / "r").exists()


def test_stream_chunks_do_not_change_the_rendered_html(tmp_path):
    """The kernel sends warnings in chunks that depend on timing; the page must not."""
    import nbformat

    from analysis.run.render import render_html

    pages = []
    for chunks in (["a\n", "b\n", "c\n"], ["a\nb\n", "c\n"]):
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("x")
        cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text=t) for t in chunks]
        nb.cells.append(cell)
        folder = tmp_path / str(len(chunks))
        folder.mkdir()
        nbformat.write(nb, folder / "nb.ipynb")
        pages.append(render_html(folder / "nb.ipynb", folder / "nb.html").read_bytes())
    assert pages[0] == pages[1] and b"a\nb\nc\n" in pages[0]


@pytest.mark.report
def test_the_demo_report_is_byte_identical_to_the_recorded_one(tmp_path):
    """`make report` (the default run on the shipped demo) writes every table, figure and page with
    the bytes recorded in tests/data/report_hashes.json; index.html too, once the absolute paths it
    names (the run folder, the project) are written as placeholders. A change of any output must be
    deliberate: record the hashes anew and say why (docs/contributing.md)."""
    out = tmp_path / "demo"
    done = run("run", "--out", str(out))
    assert done.returncode == 0, done.stderr
    record = json.loads((ROOT / "tests" / "data" / "report_hashes.json").read_text())
    recorded = record["outputs"]
    outputs = json.loads((out / "manifest.json").read_text())["outputs"]
    assert set(outputs) - {"index.html"} == set(recorded)
    changed = sorted(name for name, digest in recorded.items() if outputs[name] != digest)
    assert not changed, f"outputs differ from the recorded run: {changed}"
    page = (out / "index.html").read_text(encoding="utf-8")
    page = page.replace(str(out), "<run>").replace(str(ROOT), "<project>")
    digest = hashlib.sha256(page.encode("utf-8")).hexdigest()
    assert digest == record["index_html_with_paths_replaced"], "index.html differs"


@pytest.mark.notebook
def test_a_renamed_copy_of_the_demo_keeps_its_simulated_banner(demo_slice, tmp_path):
    """Whether the data are simulated is read from the cleaned data, not from the file's name."""
    renamed = tmp_path / "projects_2016_2020.csv"
    renamed.write_bytes(demo_slice.read_bytes())
    out = tmp_path / "renamed"
    done = run(
        "run",
        "--out",
        str(out),
        "--notebook",
        "01_clean",
        "-p",
        "raw_paths",
        json.dumps([str(renamed)]),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "manifest.json").read_text())["simulated_input"] is True
    assert "SIMULATED demo register" in (out / "index.html").read_text(encoding="utf-8")
