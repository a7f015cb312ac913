"""Benchmark: cleaning throughput at 10k, 100k and 1M rows against simpler alternatives.

Usage: .venv/bin/python benchmarks/bench_clean.py [ROWS ...]   (default 10000 100000 1000000)
Registers of the requested size are made from the demo generator's register by repeating its rows with
new project ids and names (the generator itself writes about 7,500 rows). Two files per size: one
well-formed, and one that keeps the demo's line with extra fields (a "broken" file, which the reader
must keep and flag). Each size and file runs in a fresh process, so that peak memory is its own:
- toolkit: ``read_register`` + ``clean_registers``; first the cold run (peak memory is taken right
  after it), then two more; the table shows the best of the three and the cold one;
- read: ``pandas.read_csv(path, dtype=str)``, best of three (the floor: reading the text, nothing else);
- row-by-row: amounts, counts and years parsed with ``DataFrame.apply`` one row at a time (the
  simplest correct alternative), timed on at most 20,000 rows and scaled linearly.
Prints a Markdown table. Times on a shared machine vary by tens of percent: compare within a row.
"""

from __future__ import annotations

import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

DEMO = Path(__file__).resolve().parents[1] / "data" / "raw" / "demo_register.csv"
REPEATS = 3


def make_register(rows: int, folder: Path, well_formed: bool = True) -> Path:
    """A register of ``rows`` rows repeating the demo's; ``well_formed=False`` keeps its broken line."""
    lines = DEMO.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    if well_formed:  # leave out the demo's one line with extra fields
        width = len(next(csv.reader([header])))
        body = [ln for ln in body if len(next(csv.reader([ln]))) <= width]
    out = folder / f"register_{rows}{'' if well_formed else '_broken'}.csv"
    with out.open("w", encoding="utf-8-sig") as fh:
        fh.write(header)
        written, copy = 0, 0
        while written < rows:
            for line in body:
                if written >= rows:
                    break
                # A new id and project name for each copy: copies are new projects, not duplicates.
                fh.write(line.replace(",", f",C{copy}", 1).replace("SO20", f"C{copy}-SO20", 1))
                written += 1
            copy += 1
    return out


def row_by_row(raw: pd.DataFrame) -> pd.DataFrame:
    from analysis.registers.parsing import parse_amount_text, parse_count_text, parse_year_text

    def one(row):
        return pd.Series(
            {
                "expenditure": parse_amount_text(row["支出金额（万元）"], 1e4)[0],
                "beneficiaries": parse_count_text(row["受益人数"], 1.0)[0],
                "year": parse_year_text(row["年度"]),
            }
        )

    return raw.apply(one, axis=1)


def measure(path: Path, rows: int) -> dict:
    """One file in this process: toolkit (cold, then best of REPEATS), read_csv, row-by-row."""
    from analysis.registers.cleaning import clean_registers
    from analysis.registers.read import read_register

    times = []
    for i in range(REPEATS):
        t0 = time.perf_counter()
        raw = read_register(path)
        result = clean_registers(raw)
        times.append(time.perf_counter() - t0)
        assert result.report["rows_in"] == rows
        if i == 0:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            rejected = result.report["rows_rejected"]
        del result
    reads = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        pd.read_csv(path, dtype=str, on_bad_lines="skip")  # skip: the broken file's extra fields
        reads.append(time.perf_counter() - t0)
    sample = raw[0].head(20_000)
    t0 = time.perf_counter()
    row_by_row(sample)
    t_rows = (time.perf_counter() - t0) * rows / len(sample)
    return {
        "rows": rows,
        "cold": times[0],
        "best": min(times),
        "read": min(reads),
        "row_by_row": t_rows,
        "peak_mb": peak,
        "rejected": rejected,
    }


def main() -> None:
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(measure(Path(sys.argv[2]), int(sys.argv[3]))))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    print(
        "| rows | file | read_csv(dtype=str) s | toolkit s, best (cold) | ratio to read_csv "
        "| row-by-row s (scaled) | speed-up | rows/s | peak MB | rejected |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            for well_formed in (True, False):
                path = make_register(n, Path(tmp), well_formed)
                child = subprocess.run(
                    [sys.executable, __file__, "--one", str(path), str(n)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                r = json.loads(child.stdout.strip().splitlines()[-1])
                path.unlink()
                results[(n, well_formed)] = r
                print(
                    f"| {n:,} | {'well-formed' if well_formed else 'one broken line'} "
                    f"| {r['read']:.2f} | {r['best']:.2f} ({r['cold']:.2f}) "
                    f"| {r['best'] / r['read']:.1f} | {r['row_by_row']:.1f} "
                    f"| {r['row_by_row'] / r['best']:.1f} | {n / r['best']:,.0f} "
                    f"| {r['peak_mb']:,.0f} | {r['rejected']:,} |",
                    flush=True,
                )
    for well_formed in (True, False):
        if (100_000, well_formed) in results and (1_000_000, well_formed) in results:
            growth = (
                results[(1_000_000, well_formed)]["best"] / results[(100_000, well_formed)]["best"]
            )
            kind = "well-formed" if well_formed else "broken"
            print(f"\n1M rows / 100k rows ({kind}): {growth:.1f}x the time for 10x the rows")


if __name__ == "__main__":
    main()
