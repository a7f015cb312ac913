"""Benchmark: how long the stack takes to start, before and after keeping jsonschema's IRI checker
(rfc3987_syntax) out (``analysis/run/__init__.py``), each in fresh processes, best of 3.

Usage: .venv/bin/python benchmarks/bench_start.py [--rounds N]
- ``import papermill``: plainly (before: jsonschema imports rfc3987_syntax, which compiles lark
  grammars) and after ``import analysis.run.cli`` (after: as the command line and the runner do);
- ``analysis --help``: the command line's start (it imports no papermill, so the change does not
  touch it; the issue asks for under 1.5 s);
- one kernel: papermill runs a one-cell notebook (start the driver, start a kernel, run the cell),
  whole process, before and after.
Prints a Markdown table, and rfc3987_syntax's share of ``import papermill`` by ``python -X
importtime`` (before).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent

NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "one",
            "metadata": {},
            "outputs": [],
            "source": "1 + 1",
        }
    ],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def best(cmd: list[str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return min(times)


def importtime_share() -> tuple[float, float]:
    """(seconds of rfc3987_syntax, seconds of papermill) in ``import papermill``, by -X importtime."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import papermill"],
        check=True,
        capture_output=True,
        text=True,
    )
    total = {}
    for line in done.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[1].isdigit():
            total[parts[2]] = int(parts[1]) / 1e6
    return total.get("rfc3987_syntax", 0.0), total.get("papermill", 0.0)


def main() -> None:
    args = sys.argv[1:]
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 3
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        nb = Path(tmp) / "one.ipynb"
        nb.write_text(json.dumps(NOTEBOOK), encoding="utf-8")
        out = str(Path(tmp) / "out.ipynb")
        run_nb = (
            f"import papermill as pm; pm.execute_notebook({str(nb)!r}, {out!r}, progress_bar=False)"
        )
        rows = [
            (
                "`import papermill`",
                [py, "-c", "import papermill"],
                [py, "-c", "import analysis.run.cli, papermill"],
            ),
            ("`analysis --help`", [str(BIN / "analysis"), "--help"], None),
            (
                "papermill, one-cell notebook (one kernel)",
                [py, "-c", run_nb],
                [py, "-c", "import analysis.run; " + run_nb],
            ),
        ]
        print(f"Start, best of {rounds} fresh processes, seconds\n")
        print("| what | before | after | after / before |")
        print("|---|---|---|---|")
        for name, before_cmd, after_cmd in rows:
            before = best(before_cmd, rounds)
            if after_cmd is None:
                print(f"| {name} | {before:.2f} | (unchanged) | |")
                continue
            after = best(after_cmd, rounds)
            print(f"| {name} | {before:.2f} | {after:.2f} | {after / before:.0%} |")
    rfc, papermill = importtime_share()
    print(
        f"\n`python -X importtime -c 'import papermill'` (before): rfc3987_syntax {rfc:.2f} s of "
        f"{papermill:.2f} s ({rfc / papermill:.0%})."
    )


if __name__ == "__main__":
    main()
