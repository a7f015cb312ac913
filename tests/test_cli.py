"""The command line: clean, inspect and demo-data; broken input ends in one line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DEMO

ANALYSIS = str(Path(sys.executable).with_name("analysis"))


def run(*args):
    return subprocess.run([ANALYSIS, *args], capture_output=True, text=True)


def test_clean_writes_the_three_outputs_and_the_account_adds_up(tmp_path):
    done = run("clean", str(DEMO), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "cleaning_report.json").read_text(encoding="utf-8"))
    assert report["rows_in"] == report["rows_clean"] + report["rows_rejected"]
    assert {"rows_in", "rows_clean", "rows_rejected", "rejected_by_reason", "by_file"} <= set(
        report
    )
    assert (tmp_path / "projects.parquet").is_file() and (tmp_path / "rejected.csv").is_file()


def broken_inputs(tmp: Path) -> dict[str, Path]:
    cases = {}
    (tmp / "empty.csv").write_bytes(b"")
    cases["empty"] = tmp / "empty.csv"
    (tmp / "header_only.csv").write_text("年度,省份,支出金额,受益人数,实施机构\n", encoding="utf-8")
    cases["header only"] = tmp / "header_only.csv"
    (tmp / "garbage.csv").write_bytes(bytes(range(256)) * 20)
    cases["binary"] = tmp / "garbage.csv"
    (tmp / "corrupt.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    cases["corrupt xlsx"] = tmp / "corrupt.xlsx"
    (tmp / "adir").mkdir()
    cases["directory"] = tmp / "adir"
    cases["missing"] = tmp / "missing.csv"
    (tmp / "nocols.csv").write_text("年度,省份,备注\n2018,云南,x\n", encoding="utf-8")
    cases["missing required column"] = tmp / "nocols.csv"
    return cases


@pytest.mark.parametrize(
    "case",
    [
        "empty",
        "header only",
        "binary",
        "corrupt xlsx",
        "directory",
        "missing",
        "missing required column",
    ],
)
def test_broken_input_ends_in_one_line_and_leaves_outputs_alone(tmp_path, case):
    out = tmp_path / "processed"
    out.mkdir()
    (out / "projects.parquet").write_bytes(b"previous good output")
    path = broken_inputs(tmp_path)[case]
    done = run("clean", str(path), "--out", str(out))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and path.name in lines[0], lines
    assert (out / "projects.parquet").read_bytes() == b"previous good output"
    assert sorted(p.name for p in out.iterdir()) == ["projects.parquet"]


def test_inspect_shows_mapping_units_and_unresolved_values_and_writes_nothing(tmp_path):
    before = sorted(tmp_path.iterdir())
    done = run("inspect", str(DEMO))
    assert done.returncode == 0
    assert "支出金额（万元）" in done.stdout and "[unit 万元]" in done.stdout
    line = next(ln for ln in done.stdout.splitlines() if "unresolved province" in ln)
    assert "'Atlantis' x1" in line and "'火星' x1" in line and line.count(" x") == 2
    assert sorted(tmp_path.iterdir()) == before
