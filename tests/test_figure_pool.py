"""Figures saved by worker processes: the same bytes as one process, the work really done elsewhere,
a worker's warnings and errors brought back, the number of workers checked."""

from __future__ import annotations

import hashlib
import os
import sys
import warnings

import numpy as np
import pytest
from matplotlib.artist import Artist

from analysis.errors import ParameterError
from analysis.run.figure_pool import MAX_WORKERS, figure_workers, save_figures

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked")


class Probe(Artist):
    """An artist that, when drawn, appends its process id to a file, and may warn or fail."""

    def __init__(self, log, *, warn: str = "", fail: str = ""):
        super().__init__()
        self.log, self.warn, self.fail = log, warn, fail

    def draw(self, renderer):
        with open(self.log, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        if self.warn:
            warnings.warn(self.warn, UserWarning, stacklevel=1)
        if self.fail:
            raise ValueError(self.fail)


def house_figure(seed: int, lang: str):
    """A figure like the run's: constrained layout, Chinese and Latin text, a legend, a colour bar."""
    import matplotlib.pyplot as plt

    from analysis.present.style import house_style

    rng = np.random.default_rng(seed)
    with house_style(lang):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(3.35, 1.4), layout="constrained")
        ax.plot(np.arange(2016, 2021), rng.normal(size=5), label="三区三州")
        ax.plot(np.arange(2016, 2021), rng.normal(size=5), label="Elsewhere 其他地区")
        ax.set_title({"en": "Cost per beneficiary (yuan)", "zh": "每位受益人成本（元）"}[lang])
        ax.legend()
        image = bx.imshow(rng.random((4, 6)))
        fig.colorbar(image, ax=bx, label="元")
        bx.set_xlabel("省份 Province")
    return fig


def digests(folder) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@linux_only
def test_workers_write_the_bytes_one_process_writes(tmp_path):
    jobs = [
        (f"fig{i}_{lang}", house_figure(i, lang), lang) for i in range(2) for lang in ("en", "zh")
    ]
    save_figures(jobs, tmp_path / "one", workers=0)
    redrawn = [
        (f"fig{i}_{lang}", house_figure(i, lang), lang) for i in range(2) for lang in ("en", "zh")
    ]
    save_figures(redrawn, tmp_path / "two", workers=2)
    one, two = digests(tmp_path / "one"), digests(tmp_path / "two")
    assert len(one) == 12  # four figures as PNG, SVG and PDF, no temporary file left
    assert one == two


@linux_only
def test_the_saving_happens_in_other_processes(tmp_path):
    log = tmp_path / "pids.txt"
    jobs = []
    for i in range(3):
        fig = house_figure(i, "en")
        fig.add_artist(Probe(log))
        jobs.append((f"f{i}", fig, "en"))
    save_figures(jobs, tmp_path / "out", workers=2)
    pids = {int(line) for line in log.read_text().split()}
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2
    assert len(digests(tmp_path / "out")) == 9


@linux_only
def test_a_workers_warning_is_warned_here_and_its_error_raised_here(tmp_path):
    noisy = house_figure(0, "en")
    noisy.add_artist(Probe(tmp_path / "log", warn="a worker's warning"))
    with pytest.warns(UserWarning, match="a worker's warning"):
        save_figures(
            [("noisy", noisy, "en"), ("quiet", house_figure(1, "en"), "en")], tmp_path, workers=2
        )
    failing = house_figure(2, "en")
    failing.add_artist(Probe(tmp_path / "log", fail="cannot draw this"))
    with pytest.raises(ValueError, match="cannot draw this"):
        save_figures(
            [("ok", house_figure(3, "en"), "en"), ("bad", failing, "en")], tmp_path / "f", workers=2
        )
    assert not list((tmp_path / "f").glob("bad*")), (
        "a failed figure leaves no file, not even a temporary one"
    )


@linux_only
def test_no_figure_is_kept_after_saving(tmp_path):
    import gc
    import weakref

    import matplotlib.pyplot as plt

    fig = house_figure(0, "en")
    ref = weakref.ref(fig)
    save_figures([("kept", fig, "en"), ("other", house_figure(1, "en"), "en")], tmp_path, workers=2)
    plt.close("all")
    del fig
    gc.collect()
    assert ref() is None


def test_the_number_of_workers_is_checked_and_bounded():
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ParameterError, match="workers must be a whole number of at least 0"):
            figure_workers(bad, 8)
    assert figure_workers(0, 8) == 0
    assert figure_workers(8, 3) <= 3
    default = figure_workers(None, 100)
    assert 1 <= default <= MAX_WORKERS
    if sys.platform.startswith("linux"):
        assert default == min(MAX_WORKERS, len(os.sched_getaffinity(0)))
        assert figure_workers(3, 8) == 3
        assert figure_workers(1, 8) == 1


def test_no_worker_saves_here(tmp_path):
    log = tmp_path / "pids.txt"
    fig = house_figure(0, "en")
    fig.add_artist(Probe(log))
    save_figures([("here", fig, "en")], tmp_path / "out", workers=0)
    assert {int(line) for line in log.read_text().split()} == {os.getpid()}


@linux_only
def test_with_one_worker_the_figures_here_are_never_saved(tmp_path):
    """What a notebook shows must not depend on the number of cores: with any number of workers the
    figures left in this process are the drawn ones, never laid out for a save."""
    log = tmp_path / "pids.txt"
    fig = house_figure(0, "en")
    fig.add_artist(Probe(log))
    save_figures([("one", fig, "en")], tmp_path / "out", workers=1)
    assert os.getpid() not in {int(line) for line in log.read_text().split()}


# --- stopping: an interrupt, a dead worker, a failed start, a killed parent ------------------------


class Stopper(Artist):
    """When first drawn in a worker (a save draws a figure more than once): ``action(parent_pid)``
    (send a signal, kill itself...)."""

    def __init__(self, action):
        super().__init__()
        self.parent, self.action, self.done = os.getpid(), action, False

    def draw(self, renderer):
        if os.getpid() != self.parent and not self.done:
            self.done = True
            self.action(self.parent)


def whole_or_absent(folder) -> set[str]:
    """The figures saved in ``folder``, checking each has its three files or none, and that no
    temporary file is left."""
    names = [p.name for p in folder.iterdir()] if folder.exists() else []
    assert not [n for n in names if ".tmp." in n], names
    stems = {n.rsplit(".", 1)[0] for n in names}
    for stem in stems:
        assert {f"{stem}.{ext}" for ext in ("png", "svg", "pdf")} <= set(names), stem
    return stems


@linux_only
def test_an_interrupt_stops_the_workers_after_the_figures_they_are_saving(tmp_path):
    """As Jupyter's interrupt: the kernel gets the signal (here SIGUSR1, raising KeyboardInterrupt),
    its workers get SIGINT too and ignore it; no figure is started after it, none is left half."""
    import multiprocessing
    import signal

    def interrupt(parent):
        os.kill(os.getpid(), signal.SIGINT)  # ignored by a worker
        os.kill(parent, signal.SIGUSR1)

    def raise_interrupt(*_):
        raise KeyboardInterrupt

    jobs = [(f"f{i}", house_figure(i, "en"), "en") for i in range(8)]
    jobs[0][1].add_artist(Stopper(interrupt))
    previous = signal.signal(signal.SIGUSR1, raise_interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            save_figures(jobs, tmp_path / "out", workers=2)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert multiprocessing.active_children() == []
    saved = whole_or_absent(tmp_path / "out")
    assert "f0" in saved  # the interrupted figure was finished, whole
    assert len(saved) < 8


@linux_only
def test_a_worker_that_dies_is_named_with_its_figure_and_nothing_hangs(tmp_path):
    import multiprocessing
    import signal

    from analysis.run.figure_pool import WorkerDied

    jobs = [(f"g{i}", house_figure(i, "en"), "en") for i in range(4)]
    jobs[1][1].add_artist(Stopper(lambda parent: os.kill(os.getpid(), signal.SIGKILL)))
    with pytest.raises(WorkerDied, match=r"exit code -9\) while saving g1; .*workers=0"):
        save_figures(jobs, tmp_path / "out", workers=2)
    assert multiprocessing.active_children() == []
    assert not list((tmp_path / "out").glob("g1.*"))  # (a killed process leaves its .g1.*.tmp file)


@linux_only
def test_a_worker_that_cannot_be_started_stops_the_others(tmp_path, monkeypatch):
    import multiprocessing

    real_fork, calls = os.fork, []

    def fork_once():
        calls.append(1)
        if len(calls) > 1:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return real_fork()

    monkeypatch.setattr(os, "fork", fork_once)
    jobs = [(f"h{i}", house_figure(i, "en"), "en") for i in range(4)]
    with pytest.raises(BlockingIOError):
        save_figures(jobs, tmp_path / "out", workers=2)
    monkeypatch.setattr(os, "fork", real_fork)
    assert multiprocessing.active_children() == []
    whole_or_absent(tmp_path / "out")


KILLED_PARENT = """
import os, sys, time
sys.path.insert(0, {tests!r})
from matplotlib.artist import Artist
from test_figure_pool import house_figure
from analysis.run.figure_pool import save_figures

class Slow(Artist):
    def draw(self, renderer):
        if os.getpid() != PARENT:
            with open({log!r}, "a") as fh:
                fh.write(f"{{os.getpid()}}\\n")
            time.sleep(120)

PARENT = os.getpid()
jobs = []
for i in range(2):
    fig = house_figure(i, "en")
    fig.add_artist(Slow())
    jobs.append((f"k{{i}}", fig, "en"))
save_figures(jobs, {out!r}, workers=2)
"""


@linux_only
@pytest.mark.slow
def test_workers_do_not_outlive_a_killed_kernel(tmp_path):
    import signal
    import subprocess
    import time
    from pathlib import Path

    log, script = tmp_path / "pids.txt", tmp_path / "parent.py"
    tests = str(Path(__file__).parent)
    script.write_text(KILLED_PARENT.format(tests=tests, log=str(log), out=str(tmp_path / "out")))
    parent = subprocess.Popen([sys.executable, str(script)])
    try:
        deadline = time.monotonic() + 120
        while (
            time.monotonic() < deadline and len(log.read_text().split() if log.exists() else []) < 2
        ):
            time.sleep(0.2)
        pids = [int(p) for p in log.read_text().split()]
        assert len(pids) == 2
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(alive(p) for p in pids):
            time.sleep(0.2)
        assert not any(alive(p) for p in pids), "a worker outlived its killed parent"
    finally:
        parent.kill()


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper does not)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
