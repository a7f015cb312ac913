"""A batch cleans each distinct register once (issue 16): sets that clean alike share one cleaning,
taken over read-only from the first of them; keys do not depend on the run folder; a folder to reuse
from is checked before any work."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest

from analysis.errors import ParameterError
from analysis.run.batch import run_batch, share_cleaning
from analysis.run.reuse import reusable

from conftest import DEMO

SMALL = {"bootstrap_reps": 99}  # 03 (wild_reps) and 04 are not run here


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.batch
def test_a_batch_over_one_register_cleans_it_once(tmp_path):
    """Three sets differing in 02's seed clean once (the first), the other two take the cleaned data
    over as read-only links; a fourth set with another cleaning parameter cleans anew."""
    lines = DEMO.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    raw = tmp_path / "register.csv"
    raw.write_text(lines[0] + "".join(lines[1::4]), encoding="utf-8-sig")
    spec = {
        "name": "seeds",
        "base": {"raw_paths": [str(raw)], **SMALL},
        "sets": [{"seed": 1}, {"seed": 2}, {"seed": 3}, {"seed": 1, "cpb_high": 2e6}],
        "notebooks": ["01_clean", "02_cost_per_beneficiary"],
    }
    summary = run_batch(spec, out=tmp_path, workers=2, progress=False)
    assert list(summary["status"]) == ["succeeded"] * 4, summary["error"].tolist()
    runs = [Path(out) for out in summary["out"]]
    cleans = [_manifest(run)["notebooks"]["01_clean"] for run in runs]
    assert [bool(c.get("reused")) for c in cleans] == [False, True, True, False]
    first = runs[0].name
    assert [c.get("reused_from") for c in cleans[1:3]] == [f"../{first}"] * 2
    assert list(summary["reused"]) == ["", f"01_clean from {first}", f"01_clean from {first}", ""]
    # 02 ran in every set (its seed differs); 01 ran twice: once per distinct cleaning.
    assert all(not _manifest(run)["notebooks"]["02_cost_per_beneficiary"]["reused"] for run in runs)

    parquets = [run / "processed" / "projects.parquet" for run in runs]
    assert len({_sha(p) for p in parquets[:3]}) == 1
    assert len({p.stat().st_ino for p in parquets[:3]}) == 1  # one file, three names
    assert parquets[3].stat().st_ino != parquets[0].stat().st_ino
    for path in parquets[:3]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
    # The executed notebook taken over names its own run folder, not the one it came from.
    papermill = json.loads((runs[1] / "notebooks" / "01_clean.ipynb").read_text())["metadata"]
    assert papermill["papermill"]["parameters"]["processed_dir"] == str(runs[1] / "processed")
    # The shared files are still recorded with their bytes: a second run of a set reuses them.
    assert reusable(_manifest(runs[1]), "01_clean", cleans[1]["key"], runs[1])


def test_sets_with_the_same_cleaning_key_wait_for_the_first_of_them():
    jobs = [
        {"run": "001", "cleaning": "a"},
        {"run": "002", "cleaning": "b"},
        {"run": "003", "cleaning": "a"},
        {"run": "004", "cleaning": None},
        {"run": "005", "cleaning": "a"},
    ]
    first, after = share_cleaning(jobs)
    assert [j["run"] for j in first] == ["001", "002", "004"]
    assert {k: [j["run"] for j in v] for k, v in after.items()} == {"001": ["003", "005"]}


def test_the_cleaning_key_does_not_depend_on_the_run_folder(tmp_path):
    from analysis.run.runner import cleaning_key

    params = {"raw_paths": [str(DEMO)], "seed": 5}
    here = cleaning_key(tmp_path / "batch" / "001", params)
    there = cleaning_key(tmp_path / "elsewhere" / "deeper" / "run", {**params, "seed": 6})
    assert here is not None and here == there
    assert cleaning_key(tmp_path / "x", {**params, "cpb_high": 2e6}) != here
    assert cleaning_key(tmp_path / "x", {"raw_paths": [str(tmp_path / "missing.csv")]}) is None
    assert cleaning_key(tmp_path / "x", params, notebooks=("02_cost_per_beneficiary",)) is None


def test_a_manifest_pointing_outside_its_run_folder_is_not_reused(tmp_path):
    (tmp_path / "processed").mkdir()
    (tmp_path / "processed" / "projects.parquet").write_bytes(b"x")
    sha = _sha(tmp_path / "processed" / "projects.parquet")
    manifest = {"status": "succeeded", "notebooks": {"01_clean": {"key": "k", "writes": {}}}}
    record = manifest["notebooks"]["01_clean"]
    record["writes"] = {"processed/projects.parquet": sha}
    assert reusable(manifest, "01_clean", "k", tmp_path)
    for bad in ("processed/../processed/projects.parquet", "/etc/passwd", "tables/x.csv"):
        record["writes"] = {bad: sha}
        assert not reusable(manifest, "01_clean", "k", tmp_path), bad


def test_a_folder_to_reuse_from_that_holds_no_good_run_is_refused_before_any_work(tmp_path):
    from analysis.run.runner import run_notebooks

    (tmp_path / "empty").mkdir()
    for other in (tmp_path / "empty", tmp_path / "missing"):
        with pytest.raises(ParameterError, match="holds no good run"):
            run_notebooks(tmp_path / "run", parameters={"raw_paths": [str(DEMO)]}, reuse_from=other)
    assert not (tmp_path / "run").exists()
