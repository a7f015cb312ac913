"""The house style for figures: sizes, type, a colour-blind-safe palette and bilingual labels.

Nothing here runs on import: call :func:`house_style` (a context manager) around plotting code. The CJK
font is the Noto Sans CJK SC file that the ``mplfonts`` dependency ships; it is registered with
matplotlib by file path, so no system font is needed. Inside :func:`house_style` a character that no
font has (matplotlib's "Glyph ... missing from font(s)" warning) is an error, so a figure with blank
boxes in place of characters cannot be saved unnoticed.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import warnings
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager

from analysis.errors import ParameterError
from analysis.reference import load_reference

# Journal widths in inches: one column (85 mm) and two columns (175 mm); "one_column_tall" is for
# figures with a row per province (31 rows), "one_column_map" for the tile map of provinces.
FIGSIZE = {
    "one_column": (3.35, 2.6),
    "one_column_tall": (3.35, 4.6),
    "one_column_map": (3.35, 3.7),
    "two_column": (6.9, 3.6),
}


# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


LANGS = ("en", "zh")


# matplotlib's warning when a character is in none of the fonts (it then draws an empty box).
MISSING_GLYPH = r"Glyph .* missing from font"


@functools.cache
def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC font shipped by the mplfonts package."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or spec.origin is None:
        raise ParameterError("the mplfonts package (which carries the CJK font) is not installed")
    path = Path(spec.origin).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.is_file():
        raise ParameterError(f"CJK font not found at {path}")
    return path


@functools.cache
def _register_font() -> str:
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def label(key: str, lang: str = "en", **fields) -> str:
    """A label from the shared label table (analysis/data/labels.csv) in ``lang`` ("en" or "zh"), its
    ``{name}`` fields filled from ``fields`` (the policy year is one: labels write no year)."""
    if lang not in LANGS:
        raise ParameterError(f"lang must be one of {LANGS}, got {lang!r}")
    table = load_reference("labels").set_index("key")
    text = table.loc[key, lang] if key in table.index else key
    return text.format(**fields) if fields else text


@contextlib.contextmanager
def house_style(lang: str = "en"):
    """Apply the house style (rcParams) inside a ``with`` block; the CJK font serves both languages.

    Inside the block a glyph missing from every font raises (the ``UserWarning`` "Glyph ... missing
    from font(s) ..." becomes an exception when the figure is drawn or saved), so draw and save inside
    the block.
    """
    if lang not in LANGS:
        raise ParameterError(f"lang must be one of {LANGS}, got {lang!r}")
    family = _register_font()
    rc = {
        # Named fonts, not the generic "sans-serif": a text keeps them when drawn after the block.
        "font.family": [family, "DejaVu Sans"],
        "font.sans-serif": [family, "DejaVu Sans"],
        "font.size": 8,
        "axes.titlesize": 9,
        "axes.labelsize": 8,
        "xtick.labelsize": 7,
        "ytick.labelsize": 7,
        "legend.fontsize": 7,
        "axes.prop_cycle": mpl.cycler(color=PALETTE),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.unicode_minus": True,
        "figure.dpi": 100,
        "savefig.dpi": 300,
        "svg.hashsalt": "analysis",
        "svg.fonttype": "path",
        "pdf.fonttype": 42,
    }
    with mpl.rc_context(rc), warnings.catch_warnings():
        warnings.filterwarnings("error", message=MISSING_GLYPH, category=UserWarning)
        yield
