"""A file a parameter names is read before any kernel starts when its help says what it must hold
(``[existing file or empty: overhead table]``): a bad overhead table stops `analysis run` in one line
naming the file, row, column and value, before notebooks 01-04 have run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analysis.errors import ParameterError
from analysis.run.parameters import CHECKS, FILE_READERS, check_values

ANALYSIS = str(Path(sys.executable).parent / "analysis")
DECLARED = {
    "05": {
        "overhead_path": {
            "help": "overhead table [existing file or empty: overhead table]",
            "inferred_type_name": "str",
            "default": '""',
        }
    }
}


def check(value: str) -> None:
    check_values({"overhead_path": value}, DECLARED)


def test_a_good_table_and_an_empty_value_pass_and_a_bad_share_is_named(tmp_path):
    good = tmp_path / "overhead.csv"
    good.write_text("org_name,admin_share\n甲基金会,0.085\n乙基金会,8.5%\n", encoding="utf-8")
    check(str(good))
    check("")
    bad = tmp_path / "bad.csv"
    bad.write_text("org_name,admin_share\n甲基金会,0.085\n乙基金会,1.5\n", encoding="utf-8")
    with pytest.raises(
        ParameterError, match=r"overhead_path=.*row 3, column 'admin_share', value '1.5'"
    ):
        check(str(bad))
    with pytest.raises(ParameterError, match="overhead_path=.*no_such.csv"):
        check(str(tmp_path / "no_such.csv"))


def test_every_kind_of_file_named_in_a_help_has_a_reader():
    assert "existing file or empty" in CHECKS
    declared = {"x": {"p": {"help": "a table [existing file or empty: horoscope]"}}}
    with pytest.raises(ParameterError, match=r"unknown kind of file \[horoscope\]"):
        check_values({"p": __file__}, declared)
    assert set(FILE_READERS) == {"overhead table"}


def test_analysis_run_stops_on_a_bad_overhead_table_before_any_notebook(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("org_name,admin_share\nA,1.5\n", encoding="utf-8")
    out = tmp_path / "run"
    done = subprocess.run(
        [ANALYSIS, "run", "--out", str(out), "-p", "overhead_path", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "row 2, column 'admin_share', value '1.5'" in lines[0]
    assert not out.exists() and not list(tmp_path.glob(".run*")), "nothing made"
