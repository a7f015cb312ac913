"""Benchmark: the figures stage of a run (notebook 04's ``save_standard_figures``), the way before
issue 16 against the way now, side by side in one process, on the demo's tables.

Usage: .venv/bin/python benchmarks/bench_figures.py [--run FOLDER] [--rounds N] [--both-languages]
FOLDER is a finished run (``analysis run --out FOLDER``; default: one is made in a temporary folder
first, about a minute, not timed). The figures are drawn once first (not timed: imports). Each round
times, one after the other:
- before: a label lookup that reads the label table for every call (as ``style.label`` did) and the
  full 16 MB Noto Sans CJK SC as the figures' font (as before the shipped subset), the figures drawn,
  then each saved by ``save_figure`` in a plain loop in this process;
- one process: ``save_standard_figures(..., workers=0)`` (labels read once per process, the subset
  font first and the full one as fallback), every file saved in this process;
- now: ``save_standard_figures`` as notebook 04 calls it: the same, the files saved by forked worker
  processes (one per core, at most four).
The PNG files of all three are compared by sha256, and every file of "now" with the same file of "one
process" (the benchmark stops if one differs); the PDFs and SVGs of "before" differ on purpose (a PDF
embeds a subset of the font file, an SVG names its glyphs after the font). Prints a Markdown table of the
best round of each, and the share of the time before.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import analysis.present.style as style
from analysis.outputs import read_projects, read_table, save_figure
from analysis.present.figures import standard_figures
from analysis.reference import load_reference
from analysis.run.reporting import save_standard_figures
from analysis.schema import is_simulated

BIN = Path(sys.executable).parent
WAYS = ("before", "one process", "now")


def old_label(key: str, lang: str = "en", **fields) -> str:
    """``style.label`` before issue 16: the label table read and indexed on every call."""
    table = load_reference("labels").set_index("key")
    text = table.loc[key, lang] if key in table.index else key
    return text.format(**fields) if fields else text


def patch_label(replacement) -> dict:
    """Put ``replacement`` in place of ``style.label`` in every module that imported it; returns the
    originals to put back."""
    saved, current = {}, style.label
    for name, module in list(sys.modules.items()):
        if name.startswith("analysis.") and getattr(module, "label", None) is current:
            saved[name] = module.label
            module.label = replacement
    return saved


def old_fonts() -> list[str]:
    """The house style's fonts before the shipped subset: the full CJK font, then DejaVu Sans."""
    from matplotlib import font_manager

    path = style.full_cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return [font_manager.FontProperties(fname=str(path)).get_name(), "DejaVu Sans"]


def before(inputs: dict, out: Path, langs) -> None:
    import matplotlib.pyplot as plt

    saved, fonts = patch_label(old_label), style.house_fonts
    style.house_fonts = old_fonts
    try:
        for language, suffix in langs:
            with style.house_style(language):
                figures = standard_figures(**inputs, lang=language)
                for name, fig in figures.items():
                    save_figure(fig, out, name + suffix)
                    plt.close(fig)
    finally:
        style.house_fonts = fonts
        for name, original in saved.items():
            sys.modules[name].label = original


def now(inputs: dict, out: Path, both: bool, workers: int | None = None) -> None:
    import matplotlib.pyplot as plt

    shown = save_standard_figures(
        **inputs, figures_dir=out, lang="en", both_languages=both, workers=workers
    )
    for fig in shown.values():
        plt.close(fig)


def warm_up(inputs: dict) -> None:
    """One draw, not timed: every module the figures use is imported (so :func:`patch_label` finds
    them all) and neither way pays the imports."""
    import matplotlib.pyplot as plt

    with style.house_style("en"):
        for fig in standard_figures(**inputs, lang="en").values():
            plt.close(fig)


def hashes(folder: Path, suffixes=(".png",)) -> dict:
    """sha256 of the files with these suffixes (by default the PNGs: the PDFs and SVGs of "before"
    name another font file on purpose)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.suffix in suffixes
    }


def compare(tmp: Path, i: int) -> int:
    """Stop if a PNG differs between the ways or any file between "one process" and "now"; returns
    the number of files of "now"."""
    old, one, new = (hashes(tmp / f"{way}{i}") for way in WAYS)
    every = (".png", ".svg", ".pdf")
    pairs = (
        (old, new),
        (one, new),
        (hashes(tmp / f"one process{i}", every), hashes(tmp / f"now{i}", every)),
    )
    for a, b in pairs:
        if a != b:
            sys.exit(
                f"the files differ: {sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))}"
            )
    return len(pairs[2][1])


def load_inputs(run: Path) -> dict:
    data = read_projects(run / "processed")
    return {
        "data": data,
        "costs": read_table(run / "tables/cost_per_beneficiary.csv"),
        "effects": read_table(run / "tables/regional_effects.csv"),
        "sensitivity": read_table(run / "tables/cost_sensitivity.csv"),
        "simulated": is_simulated(data),
    }


def main() -> None:
    args = sys.argv[1:]
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 2
    both = "--both-languages" in args
    langs = [("en", "")] + ([("zh", "_zh")] if both else [])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if "--run" in args:
            run = Path(args[args.index("--run") + 1])
        else:
            run = tmp / "run"
            cmd = [str(BIN / "analysis"), "run", "--out", str(run)]
            subprocess.run(cmd, check=True, capture_output=True)
        inputs = load_inputs(run)
        warm_up(inputs)
        times = {way: [] for way in WAYS}
        for i in range(rounds):
            for way in WAYS:
                out = tmp / f"{way}{i}"
                t0 = time.perf_counter()
                if way == "before":
                    before(inputs, out, langs)
                else:
                    now(inputs, out, both, workers=0 if way == "one process" else None)
                times[way].append(time.perf_counter() - t0)
            n_files = compare(tmp, i)
        best = {way: min(times[way]) for way in WAYS}
        print(
            f"Figures stage, best of {rounds} rounds ({n_files} files of now identical to one process's, "
            "the PNGs to before's; the PDFs and SVGs name the subset font now)\n"
        )
        print("| way | seconds, best | every round | share of before |")
        print("|---|---|---|---|")
        for way in WAYS:
            every = ", ".join(f"{t:.1f}" for t in times[way])
            print(f"| {way} | {best[way]:.1f} | {every} | {best[way] / best['before']:.0%} |")


if __name__ == "__main__":
    main()
