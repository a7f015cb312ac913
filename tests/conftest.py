"""Shared fixtures: the cleaned demo register (once per session) and a fixture that closes figures."""

from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "raw" / "demo_register.csv"


@pytest.fixture(scope="session")
def demo_clean():
    from analysis.registers.cleaning import clean_registers
    from analysis.registers.read import read_register

    return clean_registers(read_register(DEMO))


@pytest.fixture(scope="session")
def demo_data(demo_clean):
    return demo_clean.data


@pytest.fixture(scope="session")
def demo_truth():
    return json.loads((ROOT / "data" / "raw" / "demo_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


# --- the order and grouping of tests on the two xdist workers (make test) -----------------------------

# Tests that take longest (whole runs, batches, seeded simulations) start first, so that the two
# workers finish together instead of one of them ending the session alone on a long test begun late.
FIRST = ("report", "notebook", "batch", "coverage")


def _rank(item) -> int:
    return next((i for i, mark in enumerate(FIRST) if item.get_closest_marker(mark)), len(FIRST))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Longest tests first (``FIRST``, in collection order otherwise). ``xdist_group`` needs a pytest
    on which pytest-xdist's ``--dist loadgroup`` works: pytest 9.2 ignores the group (pytest-xdist
    issue 1386), hence the pin of pytest in constraints.txt; :func:`test_groups_are_honoured` in
    tests/test_layout.py fails on a pytest where they are not."""
    items.sort(key=_rank)


# --- one finished run on a quarter of the demo register, shared by the tests that only read one -------


def shared_root(tmp_path_factory) -> Path:
    """The temporary folder of this test session common to its xdist workers (each worker has its
    own basetemp beneath it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    """One `analysis run` (the command line, MPLBACKEND=Agg in its environment, as `make report`
    starts it) of every notebook on every fourth project of the demo register (99 bootstrap and wild
    draws), made once per test session whichever worker asks first (the other waits on a lock) and
    shared read-only: its files are made read-only, and a test that must change the run works on
    :func:`copy_run` of it. The register it read is ``small_run.parent / "raw" / "register.csv"``."""
    import fcntl
    import stat
    import subprocess
    import sys

    root = shared_root(tmp_path_factory) / "small_run"
    root.mkdir(exist_ok=True)
    out, raw, done = root / "run", root / "raw" / "register.csv", root / "done"
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.is_file():
            raw.parent.mkdir(exist_ok=True)
            lines = DEMO.read_text(encoding="utf-8-sig").splitlines(keepends=True)
            raw.write_text(lines[0] + "".join(lines[1::4]), encoding="utf-8-sig")
            analysis = str(Path(sys.executable).with_name("analysis"))
            params = ["-p", "raw_paths", json.dumps([str(raw)])]
            params += ["-p", "bootstrap_reps", "99", "-p", "wild_reps", "99"]
            finished = subprocess.run(
                [analysis, "run", "--out", str(out), *params],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env={**os.environ, "MPLBACKEND": "Agg"},
            )
            assert finished.returncode == 0, finished.stderr
            for path in [raw, *out.rglob("*")]:
                if path.is_file():
                    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            done.write_text(str(out), encoding="utf-8")
    return out


def copy_run(run: Path, into: Path) -> Path:
    """A writable copy of the run folder ``run`` in the folder ``into``, under the same name (a run
    folder's manifest names it): the bytes only, files get the umask's modes. What reuse compares
    names no absolute path of the run's own (keys name the output folders relative to the run), so
    the copy is a good run of the same inputs."""
    import shutil

    return Path(shutil.copytree(run, into / run.name, copy_function=shutil.copyfile))
