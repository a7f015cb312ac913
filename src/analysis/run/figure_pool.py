"""Save many figures at once in worker processes, with the bytes one process would write.

Why: saving is most of a run's figures stage (each figure is laid out and drawn again for each of PNG,
SVG and PDF, and a PDF embeds font subsets), and the figures do not depend on one another. The figures
are drawn in this process; forked workers inherit them and save them, each figure's files in one
worker, in the order :func:`analysis.outputs.save_figure` uses in one process (PNG, SVG, then PDF,
since a constrained layout starts from the last save), inside the house style of the figure's
language. So every file has the bytes one process writes (``tests/test_figure_pool.py`` compares
them). The figures left in this process are the drawn ones, not yet saved.

A worker only saves and returns: the warnings it caught come back to this process and are warned
again here, and an error raised in a worker is raised here. Workers are forked (the figures cannot be
sent to a fresh process without pickling them, and a fresh process would pay the imports again), so
they are used on Linux only; elsewhere, or with ``workers=0``, this process saves every figure itself.
With one worker or more the figures left here are never saved, so what a notebook shows of them is the
same whatever the number of workers (on Linux).
"""

from __future__ import annotations

import os
import sys
import warnings

from analysis.errors import ParameterError
from analysis.outputs import save_figure
from analysis.present.style import house_style

# At most this many processes save by default: the figures of a run are eight per language, and a
# process beyond the cores only waits.
MAX_WORKERS = 4

# The jobs the forked workers inherit: set just before they are forked, emptied after.
_JOBS: list[tuple] = []


def figure_workers(requested: int | None, jobs: int) -> int:
    """How many worker processes save ``jobs`` figures: ``requested`` (0: none, this process saves),
    or by default one per core this process may run on, at most :data:`MAX_WORKERS`; never more than
    the jobs (at least one), and none where workers are not forked (not Linux)."""
    if requested is not None and (
        isinstance(requested, bool) or not isinstance(requested, int) or requested < 0
    ):
        raise ParameterError(f"workers must be a whole number of at least 0, got {requested!r}")
    if not sys.platform.startswith("linux") or requested == 0:
        return 0
    wanted = requested if requested is not None else min(MAX_WORKERS, len(os.sched_getaffinity(0)))
    return max(1, min(wanted, jobs))


def save_one(job: tuple, figures_dir) -> list[tuple[str, type]]:
    """Save one job ``(name, figure, language)`` as PNG, SVG and PDF in the house style of its
    language; returns the warnings raised meanwhile as (message, category)."""
    name, fig, language = job
    with warnings.catch_warnings(record=True) as caught:
        with house_style(language):
            save_figure(fig, figures_dir, name)
    return [(str(w.message), w.category) for w in caught]


def _save_inherited(index: int, figures_dir) -> list[tuple[str, type]]:
    """In a forked worker: save the inherited job ``index``."""
    return save_one(_JOBS[index], figures_dir)


def save_figures(jobs: list[tuple], figures_dir, *, workers: int | None = None) -> None:
    """Save each job ``(name, figure, language)`` into ``figures_dir`` (see :func:`save_one`), in
    :func:`figure_workers` processes; the files are those one process writes. A worker's warnings are
    warned again here; a worker's error is raised here (a file being written is left only under its
    temporary name, in ``figures_dir``)."""
    count = figure_workers(workers, len(jobs))
    caught = []
    if count == 0:
        for job in jobs:
            caught += save_one(job, figures_dir)
    else:
        caught = _save_in_workers(jobs, figures_dir, count)
    for message, category in caught:
        warnings.warn(message, category, stacklevel=2)


def _save_in_workers(jobs: list[tuple], figures_dir, count: int) -> list[tuple[str, type]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # What the savers import on first use, imported once here rather than in every worker.
    from fontTools import subset  # noqa: F401
    from matplotlib.backends import backend_pdf, backend_svg  # noqa: F401
    from PIL import PngImagePlugin  # noqa: F401

    _JOBS[:] = jobs
    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"))
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns that fork in a process with threads (a Jupyter kernel has some) may
            # deadlock a child that takes a lock another thread held; the workers take none of the
            # kernel's (they write no output, they return their warnings) and exit when done. The
            # workers are forked at the first submit.
            warnings.filterwarnings("ignore", message=r".*fork\(\)", category=DeprecationWarning)
            futures = [pool.submit(_save_inherited, i, figures_dir) for i in range(len(jobs))]
        results = [future.result() for future in futures]
    except BaseException:
        # An error or an interrupt: the figures not started are not saved (an interrupted run
        # does not wait for them).
        pool.shutdown(cancel_futures=True)
        raise
    finally:
        _JOBS.clear()
    pool.shutdown()
    return [w for caught in results for w in caught]
