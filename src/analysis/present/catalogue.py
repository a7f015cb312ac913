"""The figure catalogue: the numbers, captions and alt texts of the standard figures, one table
(``analysis/data/figures.csv``) that the notebook, the index page and the files all read.
"""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd

from analysis.errors import ParameterError
from analysis.present.style import LANGS, label

CATALOGUE_COLUMNS = ["number", "name", "caption_en", "caption_zh", "alt_en", "alt_zh"]


@functools.cache
def _read() -> pd.DataFrame:
    path = resources.files("analysis") / "data" / "figures.csv"
    with path.open(encoding="utf-8") as fh:
        table = pd.read_csv(fh, comment="#", dtype=str, keep_default_na=False)
    return table.astype({"number": "int64"}).sort_values("number", kind="stable")


def figure_catalogue(lang: str | None = None) -> pd.DataFrame:
    """The figure catalogue, in figure order: ``number`` (1, 2 ...), ``name`` (the file name and the
    key of ``STANDARD_FIGURES``), ``caption_en``, ``caption_zh``, ``alt_en``, ``alt_zh``. With
    ``lang``, columns ``number``, ``name``, ``title`` ("Figure 3" / "图3"), ``caption`` and ``alt`` in
    that language."""
    table = _read().reset_index(drop=True)[CATALOGUE_COLUMNS].copy()
    if lang is None:
        return table
    _check_lang(lang)
    return pd.DataFrame(
        {
            "number": table["number"],
            "name": table["name"],
            "title": [label("figure_word", lang, number=n) for n in table["number"]],
            "caption": table[f"caption_{lang}"],
            "alt": table[f"alt_{lang}"],
        }
    )


def figure_names() -> list[str]:
    """The figure names in catalogue order."""
    return _read()["name"].tolist()


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ParameterError(f"lang must be one of {LANGS}, got {lang!r}")


def _row(name: str) -> pd.Series:
    table = _read().set_index("name")
    if name not in table.index:
        raise ParameterError(
            f"no figure {name!r} in the catalogue; known: {', '.join(table.index)}"
        )
    return table.loc[name]


def figure_number(name: str) -> int:
    """The number of figure ``name`` (1 for the first of the catalogue)."""
    return int(_row(name)["number"])


def figure_caption(name: str, lang: str = "en", *, numbered: bool = True) -> str:
    """The caption of figure ``name`` in ``lang``; ``numbered`` puts "Figure N. " (图N：) before it."""
    _check_lang(lang)
    row = _row(name)
    caption = row[f"caption_{lang}"]
    if not numbered:
        return caption
    title = label("figure_word", lang, number=int(row["number"]))
    return f"{title}：{caption}" if lang == "zh" else f"{title}. {caption}"


def figure_alt(name: str, lang: str = "en") -> str:
    """The alt text of figure ``name`` in ``lang`` (what the figure shows, for an ``<img alt>``)."""
    _check_lang(lang)
    return _row(name)[f"alt_{lang}"]
