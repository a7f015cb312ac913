"""Hostile files for the safety tests: minimal .xlsx workbooks written by hand (so that a test can put
a cell anywhere and make a part of any size), a shared-strings compression bomb."""

from __future__ import annotations

import zipfile
from pathlib import Path

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="登记表" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


REGISTER_ROWS = [
    ["实施机构", "年度", "省份", "支出金额", "受益人数"],
    ["中国扶贫基金会", "2018", "云南省", "125000", "300"],
]


def sheet_xml(rows: list[list[str]], *, dimension: str = "A1:E2", extra_cells: str = "") -> str:
    """A worksheet holding ``rows`` from A1, with a declared dimension and extra raw cells."""
    body = []
    for i, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{chr(65 + j)}{i}", v) for j, v in enumerate(row))
        body.append(f'<row r="{i}">{cells}</row>')
    return (
        f'{_SHEET_HEAD}<dimension ref="{dimension}"/><sheetData>{"".join(body)}{extra_cells}'
        "</sheetData></worksheet>"
    )


def write_xlsx(path: Path, sheet: str, *, shared_strings_chunks=None) -> Path:
    """A minimal workbook: one sheet (its XML as given) and optionally a shared-strings part streamed
    from ``shared_strings_chunks`` (an iterable of bytes)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared_strings_chunks is not None:
            with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
                for chunk in shared_strings_chunks:
                    fh.write(chunk)
    return path


def far_cell_xlsx(path: Path, ref: str = "XFD1048576", *, dimension: str | None = None) -> Path:
    """A register whose sheet also holds one cell at ``ref`` (declared dimension as given, or true)."""
    return write_xlsx(
        path,
        sheet_xml(REGISTER_ROWS, dimension=dimension or f"A1:{ref}", extra_cells=_far(ref)),
    )


def _far(ref: str) -> str:
    row = "".join(c for c in ref if c.isdigit())
    return f'<row r="{row}">{_cell(ref, "x")}</row>'


def shared_strings_bomb(path: Path, mib: int = 1200) -> Path:
    """A workbook of a few MB whose shared strings unpack to ``mib`` MiB."""
    si = b"<si><t>" + b"a" * 60 + b"</t></si>"
    chunk = si * ((1 << 20) // len(si))
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )

    def chunks():
        yield head
        for _ in range(mib):
            yield chunk
        yield b"</sst>"

    return write_xlsx(path, sheet_xml(REGISTER_ROWS), shared_strings_chunks=chunks())


def sheet_with(extra_cells: str, *, dimension: str = "A1:E2") -> str:
    return sheet_xml(REGISTER_ROWS, dimension=dimension, extra_cells=extra_cells)


def odd_reference_xlsx(path: Path) -> Path:
    """The far cell written with single quotes, lower case and spaces around '=' (valid XML)."""
    return write_xlsx(
        path,
        sheet_with(
            "<row r = '1048576'><c r = 'xfd1048576' t='inlineStr'><is><t>x</t></is></c></row>"
        ),
    )


def cells_without_references_xlsx(path: Path, cells: int = 6_000_000) -> Path:
    """Millions of cells with no r attribute (positions implied), in a file of about a megabyte."""
    row = "<row>" + "<c\n><v>1</v></c>" * 1000 + "</row>"
    body = row * (cells // 1000)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet_with(body))
    return path


def huge_inline_string_xlsx(path: Path, mib: int = 32) -> Path:
    """One cell holding tens of MiB of text (Excel allows 32,767 characters)."""
    head = sheet_with("@@").split("@@")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _ROOT_RELS),
            ("xl/workbook.xml", _WORKBOOK),
            ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
        ):
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(head[0].encode() + b'<row r="3"><c r="A3" t="inlineStr"><is><t>')
            chunk = b"a" * (1 << 20)
            for _ in range(mib):
                fh.write(chunk)
            fh.write(b"</t></is></c></row>" + head[1].encode())
    return path


def renamed_parts_xlsx(path: Path) -> Path:
    """The far cell in a sheet stored as xl/Worksheets/Sheet1.xml (the reader ignores case)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/Worksheets/Sheet1.xml", sheet_with(_far("ZZ200000")))
    return path


def wide_csv(path: Path, fields: int = 2_000_000) -> Path:
    """A header and one row of millions of fields."""
    path.write_bytes("实施机构,年度,省份,支出金额,受益人数\n".encode() + b"," * fields + b"\n")
    return path


def sparse_csv(path: Path, size: int = 2 << 30) -> Path:
    """Gigabytes of NULs that take no disk space."""
    with path.open("wb") as fh:
        fh.truncate(size)
    return path
