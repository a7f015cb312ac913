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
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(6.9, 2.6), layout="constrained")
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
