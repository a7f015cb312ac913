"""Rerunning only what changed (issue 16): content-addressed reuse of a run's notebooks, partial runs
with --notebook, --force, and a failing partial run that leaves the run folder as it was.

Runs on a quarter of the demo register (99 bootstrap and wild draws), each step checked on the
manifest's record of which notebooks ran and on the bytes of the outputs.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from analysis.run.reuse import writer_of

from conftest import DEMO, ROOT, copy_run

pytestmark = pytest.mark.notebook

SMALL = {"bootstrap_reps": 99, "wild_reps": 99}
VARYING = ("index.html", "manifest.json")  # they say which notebooks ran; the outputs do not


def _bytes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _ran(folder: Path) -> set[str]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return {n for n, r in manifest["notebooks"].items() if not r.get("reused")}


def _run(out: Path, raw: Path, **kw):
    from analysis.run.runner import run_notebooks

    params = {"raw_paths": [str(raw)], **SMALL, **kw.pop("parameters", {})}
    return run_notebooks(out, parameters=params, **kw)


EVERYTHING = {
    "01_clean",
    "02_cost_per_beneficiary",
    "03_regional_effects",
    "04_figures",
    "05_cost_effectiveness",
}


def _quarter(tmp_path: Path) -> Path:
    """Every fourth project of the demo register, in a file of the test's own."""
    lines = DEMO.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    raw = tmp_path / "register.csv"
    raw.write_text(lines[0] + "".join(lines[1::4]), encoding="utf-8-sig")
    return raw


def test_reuse_partial_runs_and_a_failing_partial_run(small_run, tmp_path):
    """The sequence a researcher's day follows, on one run folder: a copy of the shared run
    (tests/conftest.py), which executed every notebook on a quarter of the demo register with the
    parameters of ``_run``."""
    from analysis.errors import RunError

    raw = small_run.parent / "raw" / "register.csv"
    assert _ran(small_run) == EVERYTHING  # a first run executes every notebook
    out = copy_run(small_run, tmp_path)
    first = _bytes(out)

    # Nothing changed: nothing executed, every output byte-identical, the index says so.
    _run(out, raw)
    assert _ran(out) == set()
    assert _same(_bytes(out), first) == []
    assert "reused (not executed again)" in (out / "index.html").read_text(encoding="utf-8")

    # Redraw the figures of the existing run (a partial run): only 04, against the run's own tables.
    from analysis.run.runner import run_notebooks

    run_notebooks(out, notebooks=("04_figures",))
    assert _ran(out) == {"04_figures"}
    assert _same(_bytes(out), first, skip="04_figures") == []
    assert set(json.loads((out / "manifest.json").read_text())["notebooks"]) == EVERYTHING

    # A partial run whose notebook fails leaves the run folder byte for byte as it was.
    before = _bytes(out)
    broken = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", broken)
    nb = nbformat.read(broken / "04_figures.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell("raise RuntimeError('drawing failed')"))
    nbformat.write(nb, broken / "04_figures.ipynb")
    with pytest.raises(RunError, match="04_figures"):
        run_notebooks(out, notebooks=("04_figures",), source_dir=broken)
    assert _bytes(out) == before

    # One parameter of 04 changed: only 04 reran; the other notebooks' outputs are the same bytes.
    _run(out, raw, parameters={"both_languages": True})  # a parameter of 04 alone
    assert _ran(out) == {"04_figures"}
    assert _same(_bytes(out), first, skip="04_figures") == []
    assert "figures/event_study_zh.png" in _bytes(out)


def test_one_changed_input_byte_reruns_every_notebook(tmp_path):
    """Reuse is by the bytes a notebook reads, not by the names of its inputs: a project's year
    changed in the register, at the same path (so the cleaned data change too), and every notebook
    runs again. On a register of the test's own, as the shared run's must not change."""
    raw = _quarter(tmp_path)
    out = tmp_path / "run"
    _run(out, raw)
    assert _ran(out) == EVERYTHING
    head, body = raw.read_bytes().split(b"\n", 1)
    raw.write_bytes(head + b"\n" + body.replace(b"2018", b"2019", 1))
    _run(out, raw)
    assert _ran(out) == EVERYTHING


def _same(now: dict, then: dict, skip: str | None = None) -> list[str]:
    """The files of ``then`` (a notebook's own, with ``skip``, left out) whose bytes differ now."""
    return [
        rel
        for rel, sha in then.items()
        if rel not in VARYING and (skip is None or writer_of(rel) != skip) and now.get(rel) != sha
    ]


def test_a_partial_run_without_an_earlier_run_is_refused_in_one_line(tmp_path):
    from analysis.errors import ParameterError

    with pytest.raises(ParameterError, match="holds no good run"):
        _run(tmp_path / "new", DEMO, notebooks=("04_figures",))


def test_each_output_of_a_run_has_exactly_one_writer():
    assert writer_of("processed/projects.parquet") == "01_clean"
    assert writer_of("tables/reconciliation.csv") == "01_clean"
    assert writer_of("tables/exit_effects.csv") == "03_regional_effects"
    assert writer_of("tables/regression_table.tex") == "03_regional_effects"
    assert writer_of("figures/event_study_zh.svg") == "04_figures"
    assert writer_of("html/02_cost_per_beneficiary.html") == "02_cost_per_beneficiary"
    assert writer_of("tables/exit_effects.html") is None  # printed by the run from the csv
    assert writer_of("index.html") is None and writer_of("manifest.json") is None


def test_a_register_dropped_into_a_watched_folder_is_read_by_the_next_run(tmp_path):
    """raw_paths may name a folder (or a glob): each run reads the registers there at its start, so
    the run before a register arrived had not read it and the next one does (and its input hash
    changes, so 01 and what follows run again)."""
    from analysis.run.reuse import reads_key
    from analysis.run.runner import prepare

    watched = tmp_path / "incoming"
    watched.mkdir()
    shutil.copy(DEMO, watched / "a.csv")
    (watched / ".partial.csv").write_text("x", encoding="utf-8")  # hidden: a copy still arriving
    (watched / "notes.md").write_text("x", encoding="utf-8")  # not a register

    def planned():
        _, paths, declared, final = prepare(
            tmp_path / "run", {"raw_paths": [str(watched)]}, ("01_clean",), None, None
        )
        key = reads_key("01_clean", paths["01_clean"], final, declared["01_clean"], tmp_path)
        return final["raw_paths"], key

    before, key_before = planned()
    assert before == [str(watched / "a.csv")]
    shutil.copy(DEMO, watched / "b.csv")
    after, key_after = planned()
    assert after == [str(watched / "a.csv"), str(watched / "b.csv")]
    assert key_after != key_before
    glob_paths, _ = (
        prepare(
            tmp_path / "run", {"raw_paths": [str(watched / "b*.csv")]}, ("01_clean",), None, None
        )[3:][0]["raw_paths"],
        None,
    )
    assert glob_paths == [str(watched / "b.csv")]


def test_a_file_that_changes_while_it_is_taken_over_is_refused_and_nothing_is_left(tmp_path):
    """Another run replacing the folder between the check and the link must not slip in other bytes:
    the copy is hashed again, and what was taken so far is removed."""
    from analysis.run.reuse import ChangedMeanwhile, take_over

    old, building = tmp_path / "old", tmp_path / "building"
    (old / "processed").mkdir(parents=True)
    (old / "processed" / "projects.parquet").write_bytes(b"replaced meanwhile")
    (old / "processed" / "rejected.csv").write_bytes(b"id\n")
    good = hashlib.sha256(b"id\n").hexdigest()
    previous = {
        "notebooks": {
            "01_clean": {
                "writes": {
                    "processed/rejected.csv": good,
                    "processed/projects.parquet": hashlib.sha256(b"as checked").hexdigest(),
                }
            }
        }
    }
    with pytest.raises(ChangedMeanwhile, match="projects.parquet"):
        take_over(previous, "01_clean", old, building)
    assert [p for p in building.rglob("*") if p.is_file()] == []
    assert (old / "processed" / "projects.parquet").read_bytes() == b"replaced meanwhile"
