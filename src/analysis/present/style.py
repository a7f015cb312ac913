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
import re
import warnings
from importlib import resources
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager

from analysis.errors import ParameterError
from analysis.reference import load_reference

# Journal widths in inches: one column (85 mm) and two columns (175 mm); "one_column_tall" is for
# figures with a row per province (31 rows), "one_column_map" for the tile map of provinces,
# "one_column_key" for a chart with a key under its rows, "map" for the tile map with province names.
FIGSIZE = {
    "one_column": (3.35, 2.6),
    "one_column_tall": (3.35, 4.6),
    "one_column_map": (3.35, 3.7),
    "one_column_key": (3.35, 3.3),
    "two_column": (6.9, 3.6),
}


# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


LANGS = ("en", "zh")


# The colours of the evidence ratings of docs/assumptions.md (red, amber, green), from the palette.
RATING_COLORS = {"red": "#D55E00", "amber": "#E69F00", "green": "#009E73"}


# The price bases the estimators write (``price_basis`` columns), as patterns -> the label key that
# says the same in either language (the year, when there is one, is the field ``year``).
PRICE_BASES = (
    (r"nominal yuan", "price_nominal"),
    (r"nominal yuan of (?P<year>\d{4})", "price_nominal_year"),
    (r"constant (?P<year>\d{4}) yuan \(CPI\)", "price_constant"),
    (r"constant yuan \(CPI\)", "price_constant_any"),
    (
        r"constant (?P<year>\d{4}) international dollars \(CPI, then PPP of \d{4}\)",
        "price_ppp_deflate",
    ),
    (r"current international dollars \(PPP of each year\)", "price_ppp_current"),
    (
        r"constant (?P<year>\d{4}) international dollars \(PPP of each year, then dollar prices\)",
        "price_ppp_convert",
    ),
)


# matplotlib's warning when a character is in none of the fonts (it then draws an empty box).
MISSING_GLYPH = r"Glyph .* missing from font"


@functools.cache
def cjk_font_path() -> Path:
    """Path of the figures' CJK font: a subset of Noto Sans CJK SC shipped with the package
    (``data/fonts/AnalysisCJKsc-Regular.otf``, SIL Open Font License 1.1, made by
    scripts/build_cjk_font.py) holding the characters of the tables the figures draw from. A PDF embeds
    a subset of it in milliseconds where the full 16 MB font took about a second."""
    path = Path(str(resources.files("analysis") / "data" / "fonts" / "AnalysisCJKsc-Regular.otf"))
    if not path.is_file():
        raise ParameterError(f"CJK font not found at {path}")
    return path


@functools.cache
def full_cjk_font_path() -> Path:
    """Path of the full Noto Sans CJK SC shipped by the mplfonts package: the fallback for a character
    outside the subset (a place name a user's table brings, say)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or spec.origin is None:
        raise ParameterError("the mplfonts package (which carries the CJK font) is not installed")
    path = Path(spec.origin).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.is_file():
        raise ParameterError(f"CJK font not found at {path}")
    return path


@functools.cache
def house_fonts() -> list[str]:
    """The font families of the house style, in the order matplotlib tries them for each character."""
    families = []
    for path in (cjk_font_path(), full_cjk_font_path()):
        font_manager.fontManager.addfont(str(path))
        families.append(font_manager.FontProperties(fname=str(path)).get_name())
    return [*families, "DejaVu Sans"]


def label(key: str, lang: str = "en", **fields) -> str:
    """A label from the shared label table (analysis/data/labels.csv) in ``lang`` ("en" or "zh"), its
    ``{name}`` fields filled from ``fields`` (the policy year is one: labels write no year)."""
    if lang not in LANGS:
        raise ParameterError(f"lang must be one of {LANGS}, got {lang!r}")
    text = _labels()[lang].get(key, key)
    return text.format(**fields) if fields else text


@functools.cache
def _labels() -> dict[str, dict[str, str]]:
    """The label table as one dictionary per language, read once: a figure calls :func:`label` for
    every row it draws (7,000 times for the distribution of the demo), and a table lookup per call
    took 6 of the 21 seconds of a run's figures."""
    table = load_reference("labels")
    return {lang: dict(zip(table["key"], table[lang], strict=True)) for lang in LANGS}


def price_basis_text(basis: str, lang: str = "en") -> str:
    """The ``price_basis`` text of a table (e.g. "constant 2018 yuan (CPI)") in ``lang``: in Chinese
    "2018年不变价（CPI）". A basis of another form is refused (its words would stay English)."""
    for pattern, key in PRICE_BASES:
        hit = re.fullmatch(pattern, str(basis))
        if hit:
            return label(key, lang, **hit.groupdict())
    raise ParameterError(f"unknown price basis {basis!r}: add its pattern to style.PRICE_BASES")


def period_text(years, lang: str = "en") -> str:
    """The period of ``years`` (integers): "2016–2020" (one year: "2018"); in Chinese with 年."""
    years = sorted({int(y) for y in years})
    if not years:
        raise ParameterError("no years to state a period for")
    text = str(years[0]) if years[0] == years[-1] else f"{years[0]}\u2013{years[-1]}"
    return f"{text}年" if lang == "zh" else text


def currency_unit(basis: str) -> str:
    """The label key of cost per beneficiary in the currency of ``basis`` (yuan or international
    dollars per person)."""
    return "cost_per_beneficiary_usd" if "dollars" in str(basis) else "cost_per_beneficiary"


@contextlib.contextmanager
def house_style(lang: str = "en"):
    """Apply the house style (rcParams) inside a ``with`` block; the CJK font serves both languages.

    Inside the block a glyph missing from every font raises (the ``UserWarning`` "Glyph ... missing
    from font(s) ..." becomes an exception when the figure is drawn or saved), so draw and save inside
    the block.
    """
    if lang not in LANGS:
        raise ParameterError(f"lang must be one of {LANGS}, got {lang!r}")
    families = house_fonts()
    rc = {
        # Named fonts, not the generic "sans-serif": a text keeps them when drawn after the block.
        "font.family": families,
        "font.sans-serif": families,
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
