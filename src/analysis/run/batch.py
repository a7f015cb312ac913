"""Batch runs: one `analysis run` per parameter set, locally or on a Dask cluster.

A grid file (YAML) names the parameter sets::

    name: years                     # batch folder name under --out (default: the file's stem)
    base: {bootstrap_reps: 199}     # parameters shared by every set
    grid:                           # every combination of these values ...
      base_year: [2016, 2018, 2020]
      lang: [en, zh]
    sets:                           # ... and/or explicit sets
      - {seed: 1}
    notebooks: [01_clean, 02_cost_per_beneficiary]   # optional: run only these notebooks

Each set runs as its own process (``python -m analysis.run.cli run``) into its own run folder, so a failing
set never stops the others; the summary table (``batch_summary.csv``) gives each run's status and the
notebooks it reused, and the batch exits non-zero when any failed. Sets that clean alike (the same key
of 01_clean: registers' bytes, cleaning parameters, code) clean once: the first of them runs before the
others start, and they take its cleaned data over (``--reuse-from``, hard links made read-only). With ``scheduler`` set, the runs go to a Dask distributed
scheduler at that address instead of local processes: outgrowing one machine needs no code change.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

import pandas as pd

from analysis.errors import ParameterError
from analysis.outputs import write_table, write_text
from analysis.paths import resolve_path

SUMMARY_COLUMNS = ["run", "status", "returncode", "seconds", "error", "reused", "out", "parameters"]


_KEYS = {"name", "base", "grid", "sets", "notebooks"}


def read_grid(path) -> dict:
    """Read and check a grid file (YAML); one line naming the file and the problem when it is wrong."""

    from analysis.run.parameters import read_yaml

    p = resolve_path(path)
    spec = read_yaml(p, "grid file") or {}
    if not isinstance(spec, dict):
        raise ParameterError(f"{p}: a grid file is a mapping with base, grid, sets, notebooks")
    unknown = sorted(set(spec) - _KEYS)
    if unknown:
        raise ParameterError(
            f"{p}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}"
        )
    spec.setdefault("name", p.stem)
    from analysis.run.folders import plain_name

    plain_name(str(spec["name"]), what=f"{p.name}: batch name")
    return spec


def expand_grid(spec: dict) -> list[dict]:
    """The parameter sets of a grid spec: base + every combination of ``grid`` + each of ``sets``."""
    base = dict(spec.get("base") or {})
    grid = spec.get("grid") or {}
    if not isinstance(grid, dict) or any(not isinstance(v, list) for v in grid.values()):
        raise ParameterError("grid must map parameter names to lists of values")
    sets = []
    if grid:
        names = list(grid)
        for values in itertools.product(*(grid[n] for n in names)):
            sets.append({**base, **dict(zip(names, values, strict=True))})
    for extra in spec.get("sets") or []:
        if not isinstance(extra, dict):
            raise ParameterError("each entry of sets must be a mapping of parameters")
        sets.append({**base, **extra})
    if not sets:
        sets = [base]
    return sets


def _slug(params: dict, varying: list[str]) -> str:
    """A run folder's name part: the set's values of the parameters that vary (at most 80
    characters)."""
    text = "_".join(f"{k}-{params[k]}" for k in varying if k in params) or "run"
    return re.sub(r"[^A-Za-z0-9_.=-]+", "", text)[:80]


def _run_one(job: dict) -> dict:
    """Run one parameter set with the command line, in its own process (also on a Dask worker)."""
    start = time.monotonic()
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as fh:
        json.dump(job["parameters"], fh, ensure_ascii=False)  # JSON is YAML
        params_file = fh.name
    cmd = [
        sys.executable,
        "-m",
        "analysis.run.cli",
        "run",
        "--out",
        job["out"],
        "--params",
        params_file,
    ]
    for name in job.get("notebooks") or []:
        cmd += ["--notebook", name]
    if job.get("reuse_from"):
        cmd += ["--reuse-from", job["reuse_from"]]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=job["cwd"])
    Path(params_file).unlink(missing_ok=True)
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("analysis")]
    return {
        "run": job["run"],
        "status": "succeeded" if done.returncode == 0 else "failed",
        "returncode": done.returncode,
        "seconds": round(time.monotonic() - start, 1),
        "error": "" if done.returncode == 0 else (lines[-1] if lines else done.stderr[-300:]),
        "reused": _reused(Path(job["out"])) if done.returncode == 0 else "",
        "out": job["out"],
        "parameters": json.dumps(job["parameters"], ensure_ascii=False, sort_keys=True),
    }


def _reused(out: Path) -> str:
    """The notebooks a finished run took over and from where ("01_clean from 001_seed-1"; "itself"
    for its own previous run), from its manifest."""
    try:
        records = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["notebooks"]
    except (OSError, ValueError, KeyError):
        return ""
    taken = []
    for name, record in records.items():
        if isinstance(record, dict) and record.get("reused"):
            where = record.get("reused_from", ".")
            taken.append(f"{name} from {'itself' if where == '.' else Path(where).name}")
    return "; ".join(taken)


def _connect(scheduler, timeout: float):
    """A Dask client for ``scheduler`` (an address), or one line saying why there is none."""
    from distributed import Client

    if isinstance(scheduler, Client):
        return scheduler
    if timeout <= 0:
        raise ParameterError("--connect-timeout must be positive (seconds)")
    if not isinstance(scheduler, str) or not re.fullmatch(
        r"[a-z][a-z0-9+]*://\S+|\S+:\d+", scheduler
    ):
        raise ParameterError(f"scheduler {scheduler!r} is not an address such as tcp://host:8786")
    try:
        return Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        first = " ".join(str(exc).split())[:200]
        raise ParameterError(
            f"cannot reach the Dask scheduler at {scheduler} within {timeout:g} s "
            f"({exc.__class__.__name__}: {first})"
        ) from None


def _jobs(spec: dict, sets: list[dict], folder, notebooks, project) -> list[dict]:
    """One job per parameter set: its run name, run folder under ``folder``, parameters and
    notebooks."""
    from analysis.run.runner import cleaning_key

    varying = sorted({k for s in sets for k in s if len({json.dumps(t.get(k)) for t in sets}) > 1})
    jobs = []
    for i, params in enumerate(sets, start=1):
        run = f"{i:03d}_{_slug(params, varying)}"
        jobs.append(
            {
                "run": run,
                "out": str(folder / run),
                "parameters": params,
                "notebooks": notebooks if spec.get("notebooks") else None,
                "cwd": str(project),
                "cleaning": cleaning_key(folder / run, params, tuple(notebooks)),
            }
        )
    return jobs


def share_cleaning(jobs: list[dict]) -> tuple[list[dict], dict[str, list[dict]]]:
    """The jobs to start at once (the first of each group of jobs with the same cleaning key, and
    every job without one) and, by the run name of each first, the jobs that wait for it to finish
    and then reuse its cleaning."""
    first, after, leader = [], {}, {}
    for job in jobs:
        key = job.get("cleaning")
        if key is not None and key in leader:
            after.setdefault(leader[key], []).append(job)
            continue
        first.append(job)
        if key is not None:
            leader[key] = job["run"]
    return first, after


def _followers(after: dict[str, list[dict]], row: dict) -> list[dict]:
    """The jobs waiting for the run of summary ``row``, told to reuse from it when it succeeded."""
    waiting = after.pop(row["run"], [])
    if row["status"] != "succeeded":
        return waiting
    return [{**job, "reuse_from": row["out"]} for job in waiting]


def _checked_sets(spec: dict, workers: int) -> tuple[list[dict], list[str], Path]:
    """The parameter sets of ``spec`` with their paths made absolute, the notebooks to run and the
    project folder; names and types of every set are checked against the notebooks."""
    from analysis.paths import from_cwd, project_or_error
    from analysis.run.parameters import check_types, declared_parameters
    from analysis.run.runner import absolute_paths
    from analysis.schema import NOTEBOOKS

    sets = expand_grid(spec)
    notebooks = list(spec.get("notebooks") or NOTEBOOKS)
    unknown = sorted(set(notebooks) - set(NOTEBOOKS))
    if unknown:
        raise ParameterError(f"unknown notebook(s) {unknown}; known: {list(NOTEBOOKS)}")
    if workers < 1:
        raise ParameterError("workers must be at least 1")
    project = project_or_error()
    declared = {n: declared_parameters(project / "notebooks" / f"{n}.ipynb") for n in notebooks}
    # Names and types of every set are checked here; values by each run before its kernels start,
    # so that a set naming a missing file fails alone, in seconds, and the summary names it.
    sets = [absolute_paths(params, declared, from_cwd) for params in sets]
    for params in sets:
        check_types(params, declared)
    return sets, notebooks, project


def _run_jobs(jobs: list[dict], client, workers: int, bar) -> list[dict]:
    """Run every job (local processes ``workers`` at a time, or on the Dask ``client``), the first
    of each cleaning group before the others of it; return their summary rows in the order they
    finish, ticking ``bar`` for each."""
    first, after = share_cleaning(jobs)
    results = []
    if client is None:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending = {pool.submit(_run_one, job) for job in first}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    results.append(fut.result())
                    bar.update()
                    pending |= {pool.submit(_run_one, j) for j in _followers(after, results[-1])}
    else:
        from distributed import as_completed as dask_completed

        futures = dask_completed(client.map(_run_one, first, pure=False))
        for fut in futures:
            results.append(fut.result())
            bar.update()
            for job in _followers(after, results[-1]):
                futures.add(client.submit(_run_one, job, pure=False))
    return results


def run_batch(
    spec: dict,
    *,
    out="reports",
    scheduler: str | None = None,
    workers: int = 2,
    progress: bool = True,
    connect_timeout: float = 10.0,
) -> pd.DataFrame:
    """Run every parameter set of ``spec``; return (and write) the summary table.

    Parameters are checked against the notebooks before any kernel starts; relative paths in them are
    taken from the working directory. The batch folder ``out/<name>`` is a parent of run folders and
    is never replaced; ``name`` must be a plain folder name. Sets with the same cleaning (registers'
    bytes, cleaning parameters, code) clean once: the first runs before the others of its group,
    which take its cleaned data over, shared read-only (the summary's ``reused``). Runs go to local processes (``workers`` at a time) or, with ``scheduler``
    ("tcp://host:8786" or a ``distributed.Client``), to a Dask cluster, reached within
    ``connect_timeout`` seconds. Every run finishes whatever the others do.
    """
    from tqdm.auto import tqdm

    from analysis.locks import RunLock
    from analysis.run.folders import BATCH_MARK, check_batch_folder

    sets, notebooks, project = _checked_sets(spec, workers)
    folder = check_batch_folder(resolve_path(out), str(spec.get("name", "batch")))
    jobs = _jobs(spec, sets, folder, notebooks, project)
    client = _connect(scheduler, connect_timeout) if scheduler is not None else None
    folder.mkdir(parents=True, exist_ok=True)
    with RunLock(folder):
        if not (folder / BATCH_MARK).is_file():
            write_text(json.dumps({"made_by": "analysis batch"}) + "\n", folder / BATCH_MARK)
        bar = tqdm(total=len(jobs), desc=f"batch {folder.name}", disable=not progress, unit="run")
        try:
            results = _run_jobs(jobs, client, workers, bar)
        finally:
            bar.close()
            if client is not None and client is not scheduler:
                client.close()
        summary = (
            pd.DataFrame(results, columns=SUMMARY_COLUMNS).sort_values("run").reset_index(drop=True)
        )
        write_table(summary, folder / "batch_summary.csv")
    return summary
