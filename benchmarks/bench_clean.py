"""Benchmark: cleaning throughput at 10k, 100k and 1M rows against simpler alternatives.

Usage: .venv/bin/python benchmarks/bench_clean.py [ROWS ...]   (default 10000 100000)
Registers of the requested size are made from the demo generator's register by repeating its rows with
new project ids and names (the generator itself writes about 7,500 rows), leaving out its one line with
extra fields: a file with such a line is read by the careful csv-module path, about twice as slow. For each size, in the same process:
- read: ``pandas.read_csv(path, dtype=str)`` (the floor: reading the text, nothing else);
- toolkit: ``read_register`` + ``clean_registers`` (vectorized: parsing works on unique values);
- row-by-row: the amounts, counts and years parsed with ``DataFrame.apply`` row by row (one call per
  row, the simplest correct alternative), timed on at most 20,000 rows and scaled linearly.
Peak memory is the process's peak resident size after each step (ru_maxrss, monotone, so measure one
size per process for the memory column). Prints a Markdown table.
"""

from __future__ import annotations

import csv
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from analysis.cleaning import clean_registers
from analysis.io import read_register
from analysis.parsing import _parse_amount_one, _parse_count_one, _parse_year_one

DEMO = Path(__file__).resolve().parents[1] / "data" / "raw" / "demo_register.csv"


def make_register(rows: int, folder: Path, well_formed: bool = True) -> Path:
    lines = DEMO.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    if (
        well_formed
    ):  # leave out the demo's one line with extra fields (it sends a file to the slow path)
        width = len(next(csv.reader([header])))
        body = [ln for ln in body if len(next(csv.reader([ln]))) <= width]
    out = folder / f"register_{rows}.csv"
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
    def one(row):
        return pd.Series(
            {
                "expenditure": _parse_amount_one(row["支出金额（万元）"], 1e4)[0],
                "beneficiaries": _parse_count_one(row["受益人数"], 1.0)[0],
                "year": _parse_year_one(row["年度"]),
            }
        )

    return raw.apply(one, axis=1)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    print(
        "| rows | read_csv(dtype=str) s | toolkit clean s | ratio to read | row-by-row s (scaled) "
        "| speed-up | rows/s | peak MB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = make_register(n, Path(tmp))
            t0 = time.perf_counter()
            pd.read_csv(path, dtype=str, on_bad_lines="skip")  # the demo has one broken line
            t_read = time.perf_counter() - t0
            t0 = time.perf_counter()
            raw = read_register(path)
            result = clean_registers(raw)
            t_clean = time.perf_counter() - t0
            assert result.report["rows_in"] == n
            sample = raw[0].head(20_000)
            t0 = time.perf_counter()
            row_by_row(sample)
            t_rows = (time.perf_counter() - t0) * n / len(sample)
            print(
                f"| {n:,} | {t_read:.2f} | {t_clean:.2f} | {t_clean / t_read:.1f} | {t_rows:.1f} "
                f"| {t_rows / t_clean:.1f} | {n / t_clean:,.0f} | {peak_mb():,.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
