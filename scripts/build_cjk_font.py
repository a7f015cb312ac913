"""Build the small CJK font the figures use (src/analysis/data/fonts/AnalysisCJKsc-Regular.otf).

Why: a PDF embeds a subset of each font it uses, and fontTools parses the whole 16 MB Noto Sans CJK SC for
every subset it makes (about 1 s per PDF here), most of the figures stage. This script subsets Noto Sans
CJK SC (from the mplfonts package, SIL Open Font License 1.1) once, to the characters the figures can draw:
printable ASCII and Latin-1, general punctuation, CJK symbols and full-width forms, and every character of
the package tables the figures take their words from (labels, figure catalogue, provinces, sectors,
organization types, tile grid). The subset is renamed (the OFL reserves the name "Source" and "Noto" is a
trademark), and the house style keeps the full font as a fallback for any other character.

Run: .venv/bin/python scripts/build_cjk_font.py   (writes the font; rerun when a table gains a character)
"""

from __future__ import annotations

import csv
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "analysis" / "data"
OUT = DATA / "fonts" / "AnalysisCJKsc-Regular.otf"
TABLES = (
    "labels.csv",
    "figures.csv",
    "provinces.csv",
    "sectors.csv",
    "org_types.csv",
    "tile_grid.csv",
)
RANGES = (
    (0x20, 0x7E),
    (0xA0, 0xFF),
    (0x2010, 0x2044),
    (0x2212, 0x2212),
    (0x3000, 0x303F),
    (0xFF01, 0xFF65),
)
FAMILY = "Analysis CJK SC"


def characters() -> set[str]:
    """Every character the figures can draw from the package's tables, and the fixed ranges."""
    chars = {chr(c) for lo, hi in RANGES for c in range(lo, hi + 1)}
    for name in TABLES:
        with (DATA / name).open(encoding="utf-8") as fh:
            for row in csv.reader(line for line in fh if not line.startswith("#")):
                chars.update("".join(row))
    return {c for c in chars if c.isprintable() or c == " "}


def source_font() -> Path:
    import mplfonts

    return Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"


def main() -> None:
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.layout_features = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(source_font()), options)
    font.recalcTimestamp = False  # the source's dates kept: the same build gives the same bytes
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(characters())))
    subsetter.subset(font)
    _rename(font)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(OUT))
    print(
        f"{OUT.relative_to(ROOT)}: {len(font.getGlyphOrder())} glyphs, {OUT.stat().st_size:,} bytes"
    )


def _rename(font: TTFont) -> None:
    """New names for the modified font (ids 1, 3, 4, 6, 16, 17) and a note of what it is."""
    names = {
        1: FAMILY,
        3: "AnalysisCJKsc-Regular subset of Noto Sans CJK SC 1.004",
        4: f"{FAMILY} Regular",
        6: "AnalysisCJKsc-Regular",
        16: FAMILY,
        17: "Regular",
    }
    table = font["name"]
    for record in list(table.names):
        if record.nameID in names or record.nameID == 7:
            table.removeNames(nameID=record.nameID)
    for name_id, text in names.items():
        table.setName(text, name_id, 3, 1, 0x409)
        table.setName(text, name_id, 1, 0, 0)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = ["AnalysisCJKsc-Regular"]
        top = cff.topDictIndex[0]
        top.FullName, top.FamilyName = f"{FAMILY} Regular", FAMILY


if __name__ == "__main__":
    main()
