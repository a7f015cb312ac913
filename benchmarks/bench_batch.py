"""Benchmark: a batch of 12 sets over one register cleans it once (issue 16).

Usage: .venv/bin/python benchmarks/bench_batch.py [--sets 12] [--workers 2]
Runs `analysis batch` over the demo register with sets that differ only in `seed` (a parameter of 02
and 03, not of the cleaning), all four notebooks, and prints the wall time, the runs' own times and,
from each run's manifest, how many times 01_clean executed and how many runs took the cleaning over.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

BIN = Path(sys.executable).parent


def _executions(out: Path) -> dict[str, int]:
    """How many runs executed each notebook (not reused), from the manifests."""
    counts: dict[str, int] = {}
    for manifest in sorted(out.glob("*/manifest.json")):
        for name, record in json.loads(manifest.read_text(encoding="utf-8"))["notebooks"].items():
            counts[name] = counts.get(name, 0) + (0 if record.get("reused") else 1)
    return counts


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--sets", type=int, default=12)
    args.add_argument("--workers", type=int, default=2)
    opts = args.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        grid = Path(tmp) / "seeds.yaml"
        spec = {"name": "seeds", "grid": {"seed": list(range(1, opts.sets + 1))}}
        grid.write_text(yaml.safe_dump(spec), encoding="utf-8")
        cmd = [str(BIN / "analysis"), "batch", "--grid", str(grid), "--out", tmp]
        t0 = time.perf_counter()
        subprocess.run([*cmd, "--workers", str(opts.workers)], check=True, capture_output=True)
        wall = time.perf_counter() - t0
        summary = pd.read_csv(Path(tmp) / "seeds" / "batch_summary.csv", keep_default_na=False)
        counts = _executions(Path(tmp) / "seeds")
    shared = int(summary["reused"].str.contains("01_clean from").sum())
    first = summary["seconds"].iloc[0]
    rest = summary["seconds"].iloc[1:]
    print(
        f"A batch of {opts.sets} sets over the demo register (seeds differ), {opts.workers} workers:\n"
    )
    print("| measure | value |\n|---|---|")
    print(f"| wall time of the batch | {wall:.1f} s |")
    print(f"| first set (cleans, runs alone) | {first:.1f} s |")
    print(f"| each other set, median (cleaning taken over) | {rest.median():.1f} s |")
    print(f"| 01_clean executions (from the manifests) | {counts.get('01_clean', 0)} |")
    print(f"| runs that took the cleaning over | {shared} of {opts.sets} |")
    print(
        f"| executions of 02 / 03 / 04 | {counts.get('02_cost_per_beneficiary', 0)} / "
        f"{counts.get('03_regional_effects', 0)} / {counts.get('04_figures', 0)} |"
    )
    print(f"| runs succeeded | {(summary['status'] == 'succeeded').sum()} of {len(summary)} |")


if __name__ == "__main__":
    main()
