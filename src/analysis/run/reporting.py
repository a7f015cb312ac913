"""What the notebooks and the run call to publish: a run's figures drawn, saved and shown with their
numbers and captions (notebook 04, one call each, so the notebook, the files and the index page show
the same figures), and each table of a run written for print as .html and .tex beside its .csv.
"""

from __future__ import annotations

import pandas as pd

from analysis.errors import ParameterError
from analysis.outputs import read_table, write_text
from analysis.present.catalogue import figure_alt, figure_caption
from analysis.present.publish import TABLE_FILES, printed_tables, table_html, table_latex
from analysis.present.style import LANGS, house_style
from analysis.run.figure_pool import figure_workers, save_figures

# Pixels per inch of the figures shown in a notebook (the files are saved at 300 dpi): a one-column
# figure of 3.35 inches is shown about 670 pixels wide, readable in JupyterLab and on the HTML page.
SHOWN_DPI = 200


def save_standard_figures(
    data: pd.DataFrame,
    costs: pd.DataFrame,
    effects: pd.DataFrame,
    sensitivity: pd.DataFrame | None,
    *,
    figures_dir,
    lang: str = "en",
    both_languages: bool = False,
    simulated: bool = False,
    workers: int | None = None,
) -> dict:
    """Draw every figure of a run in ``lang`` (and the other language too, file names ending
    ``_en``/``_zh``, with ``both_languages``), save each as PNG, SVG and PDF into ``figures_dir``, and
    return the figures in ``lang`` by name, in catalogue order, for :func:`show_figures` (the others
    are closed). The files are saved by ``workers`` forked processes (default: one per core, at most
    four; 0, and always where there is no fork: by this process), with the same bytes whatever their
    number; with workers the returned figures are never saved, so what a notebook shows of them does
    not depend on the number of cores either (see :mod:`analysis.run.figure_pool`)."""
    import matplotlib.pyplot as plt

    # Here, not at the top: a run's last step writes the table files from this module and should not
    # pay for seaborn and the figure modules (3 s of a one-notebook run of a batch).
    from analysis.present.figures import standard_figures

    if lang not in LANGS:
        raise ParameterError(f"lang must be one of {LANGS}, got {lang!r}")
    figure_workers(workers, 1)
    other = {"en": "zh", "zh": "en"}[lang]
    jobs = []
    try:
        for language, suffix in [(lang, "")] + ([(other, f"_{other}")] if both_languages else []):
            with house_style(language):
                figures = standard_figures(
                    data, costs, effects, sensitivity, lang=language, simulated=simulated
                )
            jobs += [(name + suffix, fig, language) for name, fig in figures.items()]
        save_figures(jobs, figures_dir, workers=workers)
    except BaseException:  # a failed or interrupted cell does not show every drawn figure
        for _, fig, _ in jobs:
            plt.close(fig)
        raise
    shown = {}
    for name, fig, language in jobs:
        if language == lang:
            shown[name] = fig
        else:
            plt.close(fig)
    return shown


def show_figures(figures: dict, *, lang: str = "en") -> None:
    """Show each figure in a notebook under its number and caption (the figure catalogue), at
    :data:`SHOWN_DPI`, then close it (so the inline backend does not show it a second time)."""
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display

    for name, fig in figures.items():
        fig.set_dpi(SHOWN_DPI)
        caption = figure_caption(name, lang, numbered=True)
        display(Markdown(f"**{caption}**"))
        display(fig, metadata={"image/png": {"alt": f"{caption} {figure_alt(name, lang)}"}})
        plt.close(fig)


def write_table_files(tables_dir, *, lang: str = "en") -> list:
    """Each table of :data:`TABLE_FILES` found in ``tables_dir`` (a path) written for print beside
    its csv: ``NAME.html`` and ``NAME.tex``, its printed tables one after another; returns the paths
    written. A table whose .html and .tex are there already is left as it is (a run takes them over
    with the csv they were made from)."""
    from pathlib import Path

    written = []
    for name in TABLE_FILES:
        csv_path = Path(tables_dir) / name
        html_path, tex_path = csv_path.with_suffix(".html"), csv_path.with_suffix(".tex")
        if not csv_path.is_file() or (html_path.is_file() and tex_path.is_file()):
            continue  # no table, or printed already (taken over with its csv from the last run)
        gts = printed_tables(read_table(csv_path), name, lang=lang)
        if not gts:
            continue
        html = "\n".join(table_html(gt) for gt in gts)
        tex = "\n".join(table_latex(gt) for gt in gts)
        written.append(write_text(html, html_path))
        written.append(write_text(tex, tex_path))
    return written
