"""Save many figures at once in worker processes, with the bytes one process would write.

Why: saving is most of a run's figures stage (each figure is laid out and drawn again for each of PNG,
SVG and PDF, and a PDF embeds font subsets), and the figures do not depend on one another. The figures
are drawn in this process; forked workers inherit them and save them, each figure's files in one
worker, in the order :func:`analysis.outputs.save_figure` uses in one process (PNG, SVG, then PDF,
since a constrained layout starts from the last save), inside the house style of the figure's
language. So every file has the bytes one process writes (``tests/test_figure_pool.py`` compares
them). With one worker or more the figures left in this process are never saved, so what a notebook
shows of them is the same whatever the number of workers.

A worker takes the next figure not yet taken (a shared counter), saves it, and at the end sends back
the warnings it caught, which are warned again here, or the error that stopped it, which is raised
here. Stopping is the same for an error, an interrupt and a failed start: no figure is started any
more, each worker finishes the figure it is saving (its files appear whole or not at all) and is
joined. Workers ignore interrupts (this process takes them), turn a termination signal into an exit
that removes their temporary file, are killed with this process (``PR_SET_PDEATHSIG``: a worker never
outlives a killed kernel), and a worker that dies is reported in one line naming its figure.

Workers are forked (the figures cannot be sent to a fresh process without pickling them, and a fresh
process would pay the imports again), so they are used on Linux only; elsewhere, or with
``workers=0``, this process saves every figure itself.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
import warnings

from analysis.errors import ParameterError
from analysis.outputs import save_figure
from analysis.present.style import house_style

# At most this many processes save by default: the figures of a run are eight per language, and a
# process beyond the cores only waits.
MAX_WORKERS = 4

_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


class WorkerDied(RuntimeError):
    """A process saving figures ended without reporting (killed, or out of memory)."""


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


def save_figures(jobs: list[tuple], figures_dir, *, workers: int | None = None) -> None:
    """Save each job ``(name, figure, language)`` into ``figures_dir`` (see :func:`save_one`), in
    :func:`figure_workers` processes; the files are those one process writes. A worker's warnings are
    warned again here; a worker's error is raised here, a worker's death as :class:`WorkerDied`."""
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

    # What the savers import on first use, imported once here rather than in every worker.
    from fontTools import subset  # noqa: F401
    from matplotlib.backends import backend_pdf, backend_svg  # noqa: F401
    from PIL import PngImagePlugin  # noqa: F401

    ctx = multiprocessing.get_context("fork")
    taken, saving = ctx.Value("i", 0), ctx.Array("i", [-1] * count)
    started = []
    try:
        for slot in range(count):
            receive, send = ctx.Pipe(duplex=False)
            args = (jobs, figures_dir, taken, saving, slot, send, os.getpid())
            process = ctx.Process(target=_work, args=args, daemon=True)
            with warnings.catch_warnings():
                # Python 3.12+ warns that fork in a process with threads (a Jupyter kernel has some)
                # may deadlock a child that takes a lock another thread held; a worker takes none of
                # the kernel's (it writes no output and sends its warnings back) and exits when done.
                warnings.filterwarnings(
                    "ignore", message=r".*fork\(\)", category=DeprecationWarning
                )
                process.start()
            send.close()  # this process keeps only the reading end: a worker's death reads as EOF
            started.append((process, receive, slot))
        return _collect(started, jobs, saving)
    finally:
        with taken.get_lock():
            taken.value = len(jobs)  # no figure is started any more (a no-op when all are done)
        for _, receive, _ in started:
            receive.close()  # a worker still sending gets a broken pipe, which it ignores
        for process, _, _ in started:
            process.join()


def _collect(started: list, jobs: list[tuple], saving) -> list[tuple[str, type]]:
    """Wait for every worker's report; raise the first error or death as soon as it arrives."""
    from multiprocessing.connection import wait

    pending = {receive: (process, slot) for process, receive, slot in started}
    caught = []
    while pending:
        for receive in wait(list(pending)):
            process, slot = pending.pop(receive)
            try:
                kind, payload = receive.recv()
            except EOFError:
                process.join()
                index = saving[slot]
                doing = f"while saving {jobs[index][0]}" if index >= 0 else "between figures"
                raise WorkerDied(
                    f"a process saving figures ended without a word (exit code {process.exitcode}) "
                    f"{doing}; the figures it saved are whole; rerun, or save in one process "
                    "with workers=0"
                ) from None
            if kind == "error":
                raise payload
            caught += payload
    return caught


def _work(jobs, figures_dir, taken, saving, slot: int, send, parent: int) -> None:
    """A worker: take the next figure not yet taken and save it, until none is left; then send back
    ("warnings", [(message, category), ...]) or ("error", exception)."""
    _as_a_worker(parent)
    caught = []
    try:
        while True:
            with taken.get_lock():
                index = taken.value
                if index >= len(jobs):
                    break
                taken.value = index + 1
            saving[slot] = index
            caught += save_one(jobs[index], figures_dir)
            saving[slot] = -1
        _report(send, ("warnings", caught))
    except BaseException as exc:  # SystemExit from a termination signal too
        _report(send, ("error", _sendable(exc)))
    finally:
        send.close()


def _report(send, message: tuple) -> None:
    try:
        send.send(message)
    except OSError:  # the parent stopped listening: it failed, was interrupted or died
        pass


def _as_a_worker(parent: int) -> None:
    """Interrupts are the parent's; a termination signal exits through ``finally`` blocks (a figure's
    temporary file is removed); the worker is terminated when the parent dies."""
    import ctypes

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before prctl took effect
        sys.exit(1)


def _sendable(exc: BaseException) -> BaseException:
    """``exc`` with the worker's traceback as a note, or, when it cannot be pickled, a RuntimeError
    with its text."""
    import pickle

    exc.add_note(
        "In the process that saved the figure:\n" + "".join(traceback.format_exception(exc))
    )
    try:
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
