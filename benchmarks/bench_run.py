"""Benchmark: `analysis run` against the four notebooks run one after another with the papermill CLI.

Usage: .venv/bin/python benchmarks/bench_run.py [--rows N]
Both on the shipped demo register (or, with --rows, a register of N rows made as in bench_clean.py)
with the same parameters, one after the other.
`analysis run` also renders HTML and writes the manifest; the papermill commands do neither.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def main() -> None:
    rows = int(sys.argv[sys.argv.index("--rows") + 1]) if "--rows" in sys.argv else None
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if rows is None:
            register = ROOT / "data/raw/demo_register.csv"
        else:
            from bench_clean import make_register

            register = make_register(rows, tmp)
        t0 = time.perf_counter()
        subprocess.run(
            [
                str(BIN / "analysis"),
                "run",
                "--out",
                str(tmp / "run"),
                "-p",
                "raw_paths",
                json.dumps([str(register)]),
            ],
            check=True,
            capture_output=True,
        )
        t_run = time.perf_counter() - t0
        params = {
            "raw_paths": [str(register)],
            "processed_dir": str(tmp / "p2"),
            "tables_dir": str(tmp / "seq/tables"),
            "figures_dir": str(tmp / "seq/figures"),
        }
        names = ["01_clean", "02_cost_per_beneficiary", "03_regional_effects", "04_figures"]
        t0 = time.perf_counter()
        for name in names:
            cmd = [
                str(BIN / "papermill"),
                str(ROOT / "notebooks" / f"{name}.ipynb"),
                str(tmp / f"{name}.ipynb"),
                "--cwd",
                str(ROOT / "notebooks"),
                "--no-progress-bar",
            ]
            for key, value in params.items():
                cmd += ["-y", json.dumps({key: value})]
            subprocess.run(cmd, check=True, capture_output=True)
        t_seq = time.perf_counter() - t0
    label = "the demo register" if rows is None else f"{rows:,} rows (the demo's, repeated)"
    print(f"Whole run on {label}:\n\n| method | seconds |\n|---|---|")
    print(f"| analysis run (02 and 03 in parallel, HTML, manifest) | {t_run:.1f} |")
    print(f"| papermill CLI, four notebooks one after another | {t_seq:.1f} |")


if __name__ == "__main__":
    main()
