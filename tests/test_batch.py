"""Batch runs: a grid of parameter sets, locally and on a Dask LocalCluster, one set failing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from analysis.errors import ParameterError
from analysis.run.batch import expand_grid, read_grid, run_batch

from conftest import DEMO

ANALYSIS = str(Path(sys.executable).with_name("analysis"))


@pytest.fixture(scope="module")
def grid_file(tmp_path_factory):
    """Twelve sets: 11 slices of the demo register and one missing file (the failing set)."""
    tmp = tmp_path_factory.mktemp("grid")
    lines = DEMO.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    paths = []
    for k in range(11):
        path = tmp / f"slice{k}.csv"
        path.write_text(lines[0] + "".join(lines[1 + k :: 40]), encoding="utf-8-sig")
        paths.append([str(path)])
    paths.append([str(tmp / "missing.csv")])
    spec = {
        "name": "slices",
        "base": {"cpb_high": 2e6},
        "grid": {"raw_paths": paths},
        "notebooks": ["01_clean"],
    }
    grid = tmp / "slices.yaml"
    grid.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return grid


def check(summary, folder: Path):
    assert len(summary) == 12
    failed = summary[summary["status"] == "failed"]
    assert len(failed) == 1 and "missing.csv" in failed["error"].iloc[0]
    assert "raw_paths" in failed["error"].iloc[0] and "no such file" in failed["error"].iloc[0]
    for row in summary[summary["status"] == "succeeded"].itertuples():
        manifest = json.loads((Path(row.out) / "manifest.json").read_text())
        assert manifest["status"] == "succeeded" and list(manifest["notebooks"]) == ["01_clean"]
    assert (folder / "batch_summary.csv").is_file()


@pytest.mark.batch
def test_a_batch_runs_locally_and_reports_the_failing_set(grid_file, tmp_path):
    done = subprocess.run(
        [ANALYSIS, "batch", "--grid", str(grid_file), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "11 of 12 runs succeeded" in done.stdout
    import pandas as pd

    folder = tmp_path / "slices"
    check(pd.read_csv(folder / "batch_summary.csv"), folder)


@pytest.mark.batch
def test_the_same_batch_runs_on_a_dask_cluster(grid_file, tmp_path):
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        summary = run_batch(read_grid(grid_file), out=tmp_path, scheduler=client, progress=False)
    check(summary, tmp_path / "slices")


def test_grids_expand_and_bad_parameters_are_refused_before_any_kernel(tmp_path):
    sets = expand_grid(
        {
            "base": {"seed": 1},
            "grid": {"base_year": [2016, 2018], "lang": ["en", "zh"]},
            "sets": [{"seed": 2}],
        }
    )
    assert len(sets) == 5 and sets[0] == {"seed": 1, "base_year": 2016, "lang": "en"}
    with pytest.raises(ParameterError, match="bootstrap_rep"):
        run_batch({"grid": {"bootstrap_rep": [1, 2]}}, out=tmp_path, progress=False)
    assert not (tmp_path / "batch").exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("gird: {}\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="unknown key"):
        read_grid(bad)
