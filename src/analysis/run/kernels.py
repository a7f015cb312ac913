"""Executing notebooks: papermill in this process or in a worker process, each kernel's connection
files and stray output kept inside the run's building folder, and workers that end with their run.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from pathlib import Path


def execute_notebook(
    name: str, path: str, target: str, params: dict, kernel: str, cwd: str, cell_timeout: int
) -> tuple[str | None, float]:
    """Run one notebook with papermill (in this process or a worker); return an error line or None,
    and the seconds it took. On a terminal papermill shows a bar of the notebook's cells."""
    import time

    start = time.monotonic()
    return run_papermill(name, path, target, params, kernel, cwd, cell_timeout), round(
        time.monotonic() - start, 1
    )


def run_papermill(name, path, target, params, kernel, cwd, cell_timeout) -> str | None:
    import sys

    import papermill as pm

    try:
        pm.execute_notebook(
            path,
            target,
            parameters=params,
            kernel_name=kernel,
            cwd=cwd,
            progress_bar=sys.stderr.isatty(),
            log_output=False,
            execution_timeout=cell_timeout,
            # The kernel's own log (its "running over TCP without encryption" warning) would
            # interleave with the one-line result; user code's warnings stay in the notebook.
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except pm.PapermillExecutionError as exc:
        first = str(exc.evalue).splitlines()[0] if exc.evalue else ""
        return f"notebook {name} failed at cell {exc.exec_count}: {exc.ename}: {first}"
    except Exception as exc:  # a kernel that died or timed out: still one line naming the notebook
        first = str(exc).splitlines()[0] if str(exc) else ""
        return f"notebook {name} failed: {exc.__class__.__name__}: {first}"
    return None


def worker_init(building: str, parent: int) -> None:
    """In each worker process: record its pid in the building folder (a later run waits for it to
    end before removing a killed run's folder) and end it within half a second of its parent's death,
    so that a killed run leaves no process writing (its kernel then ends by itself, ipykernel's parent
    poller)."""
    import time

    Path(building, f".worker-{os.getpid()}").touch()
    to_log(Path(building, ".runtime", "kernels.log"))
    tempfile.tempdir = str(Path(building, ".runtime"))

    def watch():  # the run's pid is passed in: a parent that died before this started is seen too
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def to_log(path: Path) -> int:
    """Point this process's file descriptor 2 (inherited by the kernels it starts) at ``path``;
    return the old one. What kernels print outside the notebook (C libraries' messages when they
    die) then goes to the run's ``kernels.log`` instead of interleaving with the one-line result."""
    import sys

    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
    return saved


@contextlib.contextmanager
def runtime_dir(building: Path):
    """Kernel connection files and the kernels' stderr inside the building folder, so a killed run
    leaves none behind and nothing but the result line reaches the terminal."""
    import sys

    old = os.environ.get("JUPYTER_RUNTIME_DIR")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(building / ".runtime")
    saved = to_log(building / ".runtime" / "kernels.log")
    old_tmp = tempfile.tempdir  # connection files are made with tempfile.mkstemp: keep them here
    tempfile.tempdir = str(building / ".runtime")
    try:
        yield
    finally:
        tempfile.tempdir = old_tmp
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        if old is None:
            os.environ.pop("JUPYTER_RUNTIME_DIR", None)
        else:
            os.environ["JUPYTER_RUNTIME_DIR"] = old
