"""Running the notebooks: papermill executes them in order into one run folder.

A run folder ``reports/<name>/`` holds ``notebooks/`` (executed), ``html/`` (rendered without input
cells), ``processed/`` (the run's cleaned data; shared only as read-only links with runs that cleaned
alike, :mod:`analysis.run.reuse`), ``tables/``, ``figures/``,
``index.html`` and ``manifest.json``. The run is built beside the last good one and replaces it only
when every notebook succeeded; a failed run is kept as ``reports/<name>.failed/`` with the notebooks
executed up to the error. Which folders may be written and the clean-up of killed runs are
:mod:`analysis.run.folders`'s, the one-run-at-a-time lock :mod:`analysis.locks`' (taken here and by
the batch), the parameter checks :mod:`analysis.run.parameters`', the HTML :mod:`analysis.run.render`'s.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import shutil
from pathlib import Path

from analysis.errors import ParameterError, RunError
from analysis.locks import RunLock
from analysis.outputs import file_sha256, write_json, write_text
from analysis.paths import display_path, project_or_error, resolve_path
from analysis.run.folders import (
    BUILDING_MARK,
    MARK,
    check_out,
    clean_debris,
    new_building,
    remove_failed,
    remove_own,
    replace_with,
)
from analysis.run.kernels import execute_notebook, runtime_dir, worker_init
from analysis.run.parameters import (
    OUTPUT_FOLDERS,
    PATH_KINDS,
    check_types,
    check_values,
    constraint_of,
    declared_parameters,
    expand_registers,
)
from analysis.run.record import parameters_used, record_parameters
from analysis.run.reuse import (
    NEEDS,
    ChangedMeanwhile,
    code_key,
    notebook_key,
    previous_run,
    reusable,
    take_over,
    take_over_shared,
    versions,
    written_by,
)
from analysis.schema import NOTEBOOKS, is_simulated


def notebooks_dir() -> Path:
    """The notebooks of the project found from the working directory."""
    return project_or_error() / "notebooks"


def default_parameters(out: Path) -> dict:
    """Parameters of a run when none are given: the shipped simulated demo register of the project,
    and every output folder inside the run folder."""
    return {
        "raw_paths": [str(project_or_error() / "data" / "raw" / "demo_register.csv")],
        "processed_dir": str(out / "processed"),
        "tables_dir": str(out / "tables"),
        "figures_dir": str(out / "figures"),
    }


def absolute_paths(params: dict, declared: dict, resolve) -> dict:
    """Path-valued parameters (by their constraint) made absolute with ``resolve``."""
    out = dict(params)
    for name, value in params.items():
        spec = next((d[name] for d in declared.values() if name in d), {})
        rule = constraint_of(spec.get("help", ""))
        if rule is None or rule[0] not in PATH_KINDS:
            continue
        if isinstance(value, list):
            out[name] = [str(resolve(v)) if isinstance(v, str) and v else v for v in value]
        elif isinstance(value, str) and value:
            out[name] = str(resolve(value))
    return out


def _rebase(params: dict, out: Path, building: Path) -> dict:
    """Output folders moved from the run folder into the building folder, by path, not by text."""
    moved = dict(params)
    for name in OUTPUT_FOLDERS:
        if name in params:
            moved[name] = str(building / Path(params[name]).relative_to(out))
    return moved


def _hashes(folder: Path) -> dict:
    return {
        p.relative_to(folder).as_posix(): file_sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and p.name not in ("manifest.json", BUILDING_MARK)
        and "notebooks" not in p.relative_to(folder).parts
    }


# Notebooks in one stage do not depend on each other and run at the same time.
STAGES = (
    ("01_clean",),
    ("02_cost_per_beneficiary", "03_regional_effects"),
    ("04_figures", "05_cost_effectiveness"),
)


def _say(text: str) -> None:
    """A line of progress on a terminal (nothing when the output goes to a file or a scheduler)."""
    import sys

    if sys.stderr.isatty():
        print(text, file=sys.stderr, flush=True)


def _simulated(projects: Path) -> bool | None:
    """Whether the run's cleaned data come from the simulated demo register (by their content, so a
    renamed copy of the demo keeps its banner); None when the run cleaned no data."""
    if not projects.is_file():
        return None
    import pandas as pd

    return is_simulated(pd.read_parquet(projects, columns=["simulated"]))


class _Run:
    """One run in its building folder: executes the stages (taking over from the previous run what has
    not changed), writes the manifest and the index."""

    def __init__(self, out, building, paths, declared, final, options):
        self.out, self.building, self.paths, self.declared = out, building, paths, declared
        self.final, self.run_params = final, _rebase(final, out, building)
        self.kernel, self.cell_timeout, self.run_timeout, self.force, self.shared = options
        # A partial run (some notebooks named) reruns those whatever their inputs.
        self.forced = set(paths) if set(paths) != set(NOTEBOOKS) else set()
        self.previous = previous_run(out)
        raw_paths = [Path(p) for p in final.get("raw_paths", [])]
        self.manifest = {
            **MARK,
            "run": out.name,
            "parameters": final,
            "started": _now(),
            "status": "running",
            "notebooks": {},
            "versions": versions(),
            "inputs": {str(p): file_sha256(p) for p in raw_paths if p.is_file()},
            "simulated_input": None,  # known once the data are cleaned (see finish)
            # of the report site (index and notebook headings); a partial run keeps the run's
            "lang": final.get("lang", (self.previous or {}).get("lang", "en")),
            "parameters_used": {
                **(self.previous or {}).get("parameters_used", {}),
                **parameters_used(declared, final, default_parameters(out), out),
            },
        }
        self.code = code_key(self.manifest["versions"])

    def job(self, name: str) -> tuple:
        own = {k: v for k, v in self.run_params.items() if k in self.declared[name]}
        shown = {k: v for k, v in self.final.items() if k in self.declared[name]}
        self.manifest["notebooks"][name] = {"parameters": shown}
        target = self.building / "notebooks" / f"{name}.ipynb"
        src = str(self.paths[name].parent)
        return (name, str(self.paths[name]), str(target), own, self.kernel, src, self.cell_timeout)

    def stage(self, stage: tuple[str, ...], parallel: bool, deadline: float) -> dict:
        """Execute the notebooks of one stage; {name: (error or None, seconds)}."""
        import multiprocessing
        import time
        from concurrent.futures import ProcessPoolExecutor

        if len(stage) == 1 or not parallel:
            return {n: execute_notebook(*self.job(n)) for n in stage}
        ctx = multiprocessing.get_context("spawn")  # no fork of a process holding zmq sockets
        done = {}
        with ProcessPoolExecutor(
            max_workers=len(stage),
            mp_context=ctx,
            initializer=worker_init,
            initargs=(str(self.building), os.getpid()),
        ) as pool:
            futures = {n: pool.submit(execute_notebook, *self.job(n)) for n in stage}
            for name, fut in futures.items():
                try:
                    done[name] = fut.result(timeout=max(deadline - time.monotonic(), 1))
                except TimeoutError:
                    done[name] = (
                        f"notebook {name} exceeded the run timeout of {self.run_timeout} s",
                        0.0,
                    )
        return done

    def key(self, name: str) -> str:
        spec, source = self.declared[name], self.paths[name]
        return notebook_key(name, source, self.final, spec, self.out, self.code, self.building)

    def source(self, name: str, key: str) -> tuple[Path, dict] | None:
        """Where notebook ``name`` (of this ``key``) can be taken over from: the run's own previous
        run first, else the run named by ``reuse_from`` (also for a notebook a partial run names:
        asked for); None when it must run."""
        own = None if name in self.forced else (self.out, self.previous)
        for folder, manifest in [s for s in (own, self.shared) if s and not self.force]:
            if reusable(manifest, name, key, folder):
                return folder, manifest
        return None

    def plan(self, names) -> dict[str, str]:
        """Take over from the previous run (or the run of ``reuse_from``) the notebooks of a stage
        that need not run: those a partial run does not name, and unchanged ones unless forced;
        return {name: key} of those to execute."""
        to_run = {}
        for name in names:
            if name not in self.paths:  # a partial run carries the others over as they were
                if not reusable(self.previous, name, None, self.out):
                    raise _Failed(
                        f"notebook {name} of the previous run cannot be reused (its files changed "
                        f"or are missing); run it too: --notebook {name}"
                    )
                source = (self.out, self.previous)
            else:
                key = self.key(name)
                source = self.source(name, key)
                if source is None:
                    to_run[name] = key
                    continue
            try:
                self.manifest["notebooks"][name] = self.take(name, *source)
            except ChangedMeanwhile as exc:  # another run replaced it meanwhile: execute instead
                if name not in self.paths:
                    raise _Failed(f"notebook {name} cannot be reused: {exc}") from None
                to_run[name] = key
        return to_run

    def take(self, name: str, folder: Path, manifest: dict) -> dict:
        """The manifest record of notebook ``name`` taken over from the run in ``folder``."""
        if folder == self.out:
            _say(f"{name}: unchanged, reused from the previous run")
            return take_over(manifest, name, folder, self.building)
        shown = {k: v for k, v in self.final.items() if k in self.declared[name]}
        _say(f"{name}: unchanged, reused from {display_path(folder)}")
        return take_over_shared(manifest, name, folder, self.building, self.out, shown)

    def execute(self, parallel: bool) -> None:
        import time

        from analysis.run.render import render_html  # nbconvert: imported when a run starts

        (self.building / "notebooks").mkdir()
        carried = [n for n in (self.previous or {}).get("notebooks", {}) if n not in self.paths]
        wanted = [*self.paths, *carried]
        stages = [tuple(n for n in st if n in wanted) for st in STAGES]
        stages += [(n,) for n in wanted if not any(n in st for st in STAGES)]
        deadline = time.monotonic() + self.run_timeout
        for stage in (st for st in stages if st):
            keys = self.plan(stage)
            to_run = tuple(keys)
            done = self.stage(to_run, parallel, deadline) if to_run else {}
            errors = [e for e, _ in done.values() if e]
            if errors:
                raise _Failed(errors[0])
            if time.monotonic() > deadline:
                raise _Failed(
                    f"run exceeded its timeout of {self.run_timeout} s after {', '.join(stage)}"
                )
            for name in to_run:
                record = self.manifest["notebooks"][name]
                nb = self.building / "notebooks" / f"{name}.ipynb"
                record_parameters(nb, record["parameters"], self.out)
                render_html(nb, self.building / "html" / f"{name}.html", lang=self.manifest["lang"])
                record.update(key=keys[name], ran=_now(), seconds=done[name][1], reused=False)
                record["writes"] = written_by(self.building, name)
                _say(f"{name}: {done[name][1]:.1f} s")

    def finish(self) -> None:
        # Tables and figures libraries imported only once a run has succeeded (a refused run stays fast
        # and writes no font cache).
        from analysis.run.reporting import write_table_files
        from analysis.run.site import index_html

        b = self.building
        for scratch in b.glob(".worker-*"):
            scratch.unlink()
        shutil.rmtree(b / ".runtime", ignore_errors=True)
        self.manifest.update(status="succeeded", finished=_now())
        self.manifest["simulated_input"] = _simulated(b / "processed" / "projects.parquet")
        write_table_files(b / "tables", lang=self.manifest["lang"])
        self.manifest["outputs"] = _hashes(b)
        write_text(index_html(b, self.manifest), b / "index.html")
        self.manifest["outputs"]["index.html"] = file_sha256(b / "index.html")
        files = [p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()]
        self.manifest["files"] = sorted({*files, "manifest.json"} - {BUILDING_MARK})
        write_json(self.manifest, b / "manifest.json")

    def keep_failed(self, message: str) -> Path:
        """Keep the failed run as ``<out>.failed`` (replacing an earlier failed run only)."""
        b = self.building
        failed = self.out.with_name(f"{self.out.name}.failed")
        self.manifest.update(status="failed", finished=_now(), error=message[:500])
        log = b / ".runtime" / "kernels.log"
        if log.is_file() and log.stat().st_size:  # what the kernels printed, for the diagnosis
            with contextlib.suppress(OSError):
                os.replace(log, b / "kernels.log")
        shutil.rmtree(b / ".runtime", ignore_errors=True)
        if "No space left on device" in message:  # keeping it would keep the disk full
            remove_own(b)
            return failed
        for scratch in [*b.glob(".worker-*"), b / BUILDING_MARK]:
            scratch.unlink(missing_ok=True)
        files = [p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()]
        self.manifest["files"] = sorted({*files, "manifest.json"})
        write_json(self.manifest, b / "manifest.json")
        if not remove_failed(failed):  # a note of the user's appeared in it meanwhile: keep both
            failed = failed.with_name(f"{failed.name}-{os.getpid()}")
        b.rename(failed)
        return failed


class _Failed(Exception):
    """A notebook failed (the message names it)."""


def prepare(
    out, parameters: dict | None, notebooks, source_dir, resolve
) -> tuple[Path, dict, dict, dict]:
    """Every check that can be made before a kernel starts: the notebooks, the parameter names,
    types and values, and the run folder. Returns (out, notebook paths, declared, final parameters)."""
    unknown = sorted(set(notebooks) - set(NOTEBOOKS))
    if unknown:
        raise ParameterError(
            f"unknown notebook(s) {', '.join(unknown)}; known: {', '.join(NOTEBOOKS)}"
        )
    out = check_out(resolve_path(out) if resolve is None else resolve(out))
    earlier = set((previous_run(out) or {}).get("notebooks", {}))
    for name in notebooks:
        missing = [n for n in NEEDS.get(name, ()) if n not in notebooks and n not in earlier]
        if missing:
            raise ParameterError(
                f"notebook {name} reads what {', '.join(missing)} writes, and {display_path(out)} "
                "holds no good run with it; add " + " ".join(f"--notebook {n}" for n in missing)
            )
    src = Path(source_dir) if source_dir else notebooks_dir()
    paths = {n: src / f"{n}.ipynb" for n in NOTEBOOKS if n in notebooks}
    for name, path in paths.items():
        if not path.is_file():
            raise ParameterError(f"notebook {name} not found at {display_path(path)}")
    declared = {n: declared_parameters(p) for n, p in paths.items()}
    params = dict(parameters or {})
    check_types(params, declared)
    params = absolute_paths(params, declared, resolve or resolve_path)
    if isinstance(params.get("raw_paths"), list):  # a watched folder or a glob: what is there now
        params["raw_paths"] = expand_registers(params["raw_paths"])
    final = {**default_parameters(out), **params}
    final = {k: v for k, v in final.items() if any(k in d for d in declared.values())}
    check_values(final, declared, resolve=resolve or resolve_path, run_folder=out)
    return out, paths, declared, final


def run_notebooks(
    out,
    *,
    parameters: dict | None = None,
    notebooks: tuple[str, ...] = NOTEBOOKS,
    source_dir=None,
    kernel_name: str = "python3",
    cell_timeout: int = 1800,
    run_timeout: int = 7200,
    parallel: bool = True,
    resolve=None,
    force: bool = False,
    reuse_from=None,
) -> dict:
    """Execute the notebooks into the run folder ``out``; return the manifest.

    What has not changed is not executed again: when ``out`` holds a good run, a notebook whose
    source, parameters, input files, upstream outputs, the package's own files and the libraries'
    versions are those recorded for it there is taken over from it (``force``: execute every one);
    failing that, from the good run in the folder ``reuse_from``, whose files are shared read-only.
    Naming some ``notebooks`` reruns just those, against the run's own inputs and tables; the others
    are carried over from the run in ``out`` as they were.

    ``parameters`` override the defaults (the demo register); each notebook receives the parameters it
    declares. Names, types and values (the constraint in each parameter's help) are checked, and
    ``out`` is checked to be a place a run may replace (:func:`analysis.run.folders.check_out`), before
    any kernel starts. ``resolve`` makes relative paths absolute (default: from the project folder;
    the command line passes the working directory's rule). 02 and 03 run at the same time after 01
    (``parallel=False``: one after another). ``cell_timeout`` bounds each cell and ``run_timeout`` the
    whole run (seconds). The run is built beside ``out`` and replaces it only when every notebook
    succeeded; otherwise it is kept as ``<out>.failed`` and :class:`RunError` names the notebook and
    cell. One run at a time writes ``out``; a second stops at once naming the first."""
    if cell_timeout <= 0 or run_timeout <= 0:
        raise ParameterError("cell_timeout and run_timeout must be positive (seconds)")
    out, paths, declared, final = prepare(out, parameters, notebooks, source_dir, resolve)
    shared = _shared(reuse_from, out, resolve or resolve_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with RunLock(out):
        clean_debris(out)
        check_out(out)  # again under the lock: another run may have just finished
        building = new_building(out)
        options = (kernel_name, cell_timeout, run_timeout, force, shared)
        run = _Run(out, building, paths, declared, final, options)
        try:
            with runtime_dir(building):
                run.execute(parallel)
            run.finish()
        except _Failed as exc:
            raise _failure(run, exc) from None
        except BaseException as exc:  # Ctrl-C, a full disk while writing: nothing half-made is left
            remove_own(building)
            if isinstance(exc, OSError):
                raise RunError(
                    f"run {out.name} stopped: {exc.strerror or exc}"
                    + (f": {display_path(exc.filename)}" if exc.filename else "")
                    + "; the last good run is untouched"
                ) from None
            raise
        _put_in_place(building, out)
    return run.manifest


def _shared(reuse_from, out: Path, resolve) -> tuple[Path, dict] | None:
    """The folder ``reuse_from`` and its manifest, checked to hold a good run (None: not given, or
    the run folder itself, whose previous run is looked at anyway)."""
    if reuse_from is None or reuse_from == "":
        return None
    folder = resolve(reuse_from)
    if folder == out:
        return None
    manifest = previous_run(folder) if folder.is_dir() else None
    if manifest is None or manifest.get("made_by") != MARK["made_by"]:
        raise ParameterError(f"reuse_from {display_path(folder)} holds no good run to reuse from")
    return folder, manifest


def cleaning_key(out, parameters: dict | None, notebooks=NOTEBOOKS, resolve=None) -> str | None:
    """The key 01_clean would have in a run of ``parameters`` into ``out`` (see
    :func:`analysis.run.reuse.notebook_key`): runs with the same key clean alike and can share
    one cleaning. None when the run would not execute 01_clean or would be refused."""
    if "01_clean" not in notebooks:
        return None
    try:
        out, paths, declared, final = prepare(out, parameters, notebooks, None, resolve)
    except ParameterError:
        return None
    code = code_key(versions())
    return notebook_key("01_clean", paths["01_clean"], final, declared["01_clean"], out, code, out)


def _failure(run: _Run, exc: _Failed) -> RunError:
    """The one-line error of a failed run, once it is kept as ``<out>.failed``."""
    failed = run.keep_failed(str(exc))
    where = (
        f"executed notebooks kept in {display_path(failed)}"
        if failed.exists()
        else ("the disk is full; the failed run was removed")
    )
    return RunError(f"{exc} ({where})")


def _put_in_place(building: Path, out: Path) -> None:
    """The finished run replaces ``out`` and an earlier failed run of it is removed; a replacement
    refused (files of the user's appeared in ``out`` meanwhile) discards the new run, not theirs."""
    try:
        replace_with(building, out)
    except ParameterError:
        remove_own(building)
        raise
    (out / BUILDING_MARK).unlink(missing_ok=True)
    remove_failed(out.with_name(f"{out.name}.failed"))


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
