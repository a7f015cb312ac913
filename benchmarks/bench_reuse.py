"""Benchmark: rerunning only what changed (issue 16), side by side in one process on the demo register.

Usage: .venv/bin/python benchmarks/bench_reuse.py
Times a first `analysis run` into a new folder, a second run with nothing changed (every notebook reused),
and a partial run redrawing the figures (`--notebook 04_figures`), and prints each as a share of the
first; it also checks that the second run's outputs are byte-identical to the first's (index.html and
manifest.json apart: they say which notebooks were reused).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _timed(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "analysis"), "run", *args], check=True, capture_output=True)
    return time.perf_counter() - t0


def _outputs(folder: Path) -> dict:
    outputs = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    return {k: v for k, v in outputs.items() if k != "index.html"}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        first = _timed(["--out", str(out)])
        before = _outputs(out)
        second = _timed(["--out", str(out)])
        same = _outputs(out) == before
        figures = _timed(["--out", str(out), "--notebook", "04_figures"])
    print("Rerunning only what changed (demo register, one process after another):\n")
    print("| run | seconds | share of the first |\n|---|---|---|")
    print(f"| first run (every notebook) | {first:.1f} | 100% |")
    print(f"| second run, nothing changed (all reused) | {second:.1f} | {second / first:.0%} |")
    print(f"| `--notebook 04_figures` (figures redrawn) | {figures:.1f} | {figures / first:.0%} |")
    print(f"\nSecond run's outputs byte-identical to the first's: {same}")


if __name__ == "__main__":
    main()
