"""Tests for analysis.registers.read: reading registers (CSV in several encodings, XLSX with a title row or several
sheets), the one-line errors for unusable files, and the all-or-nothing write of cleaned outputs."""

from __future__ import annotations

import random
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from analysis.errors import RegisterError
from analysis.outputs import write_clean_outputs
from analysis.registers.cleaning import CleanResult, clean_registers
from analysis.registers.encoding import detect_encoding
from analysis.registers.read import read_register

HEADER = ["项目名称", "实施机构", "年度", "省份", "扶贫类型", "支出金额（万元）", "受益人数"]
PROVINCES = ["云南省", "四川省", "甘肃省", "青海省", "西藏自治区", "贵州省"]
SECTORS = ["产业扶贫", "教育扶贫", "健康扶贫", "易地扶贫搬迁", "志愿扶贫"]
ORGS = ["中国扶贫基金会", "中国乡村发展基金会", "中国青少年发展基金会", "中华思源工程扶贫基金会"]


def register_rows(n: int = 30) -> list[list[str]]:
    """A small, realistic register: Chinese project names, organizations, provinces and sectors."""
    rows = []
    for i in range(n):
        province, sector = PROVINCES[i % len(PROVINCES)], SECTORS[i % len(SECTORS)]
        rows.append(
            [
                f"{province[:2]}贫困村{sector}项目（第{i + 1}期）",
                ORGS[i % len(ORGS)],
                str(2016 + i % 5),
                province,
                sector,
                f"{(i + 1) * 12.5:g}",
                str((i + 1) * 100),
            ]
        )
    return rows


def csv_text(rows: list[list[str]], header: list[str] = HEADER) -> str:
    return "\n".join(",".join(r) for r in [header, *rows]) + "\n"


def data_columns(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["source_file", "source_row", "source_problem"])


def assert_one_line_naming(exc: RegisterError, path: Path) -> None:
    message = str(exc)
    assert "\n" not in message and "\r" not in message, message
    assert str(path) in message, message


# ---------------------------------------------------------------------------------------------------
# CSV in several encodings


def test_read_utf8_csv(tmp_path):
    rows = register_rows(3)
    path = tmp_path / "register.csv"
    path.write_bytes(csv_text(rows).encode("utf-8"))
    frames = read_register(path)
    assert len(frames) == 1
    frame = frames[0]
    assert list(frame.columns) == [*HEADER, "source_file", "source_row", "source_problem"]
    assert data_columns(frame).values.tolist() == rows
    assert list(frame["source_file"]) == [str(path)] * 3
    assert list(frame["source_row"]) == [2, 3, 4]
    assert list(frame["source_problem"]) == ["", "", ""]


def test_read_utf8_bom_csv(tmp_path):
    rows = register_rows(3)
    path = tmp_path / "bom.csv"
    path.write_bytes(csv_text(rows).encode("utf-8-sig"))
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    frame = read_register(path)[0]
    assert list(frame.columns)[:3] == ["项目名称", "实施机构", "年度"]  # no BOM in the first header
    assert data_columns(frame).values.tolist() == rows


def test_detect_encoding_of_gbk_register_is_gb18030():
    data = csv_text(register_rows(30)).encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert detect_encoding(data) == "gb18030"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_read_chinese_encoded_csv_round_trips(tmp_path, encoding):
    rows = register_rows(30)
    path = tmp_path / f"register_{encoding}.csv"
    path.write_bytes(csv_text(rows).encode(encoding))
    frame = read_register(path)[0]
    assert list(frame.columns)[: len(HEADER)] == HEADER
    assert data_columns(frame).values.tolist() == rows
    assert frame["项目名称"].iloc[0] == "云南贫困村产业扶贫项目（第1期）"
    assert list(frame["source_row"]) == list(range(2, 32))


def test_detect_encoding_boms_and_utf8():
    assert detect_encoding("省份".encode("utf-8-sig")) == "utf-8-sig"
    assert detect_encoding("省份".encode()) == "utf-8"
    assert detect_encoding("省份".encode("utf-16")) == "utf-16"


def test_read_csv_with_explicit_encoding(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(csv_text(register_rows(2)).encode("gbk"))
    frame = read_register(path, encoding="gbk")[0]
    assert frame["省份"].tolist() == ["云南省", "四川省"]


def test_read_csv_quoted_thousands_and_crlf(tmp_path):
    path = tmp_path / "quoted.csv"
    text = '项目名称,年度,省份,支出金额（元）\r\nA,2018,"云南、四川","3,500,000"\r\n'
    path.write_bytes(text.encode("utf-8"))
    frame = read_register(path)[0]
    assert data_columns(frame).values.tolist() == [["A", "2018", "云南、四川", "3,500,000"]]


@pytest.mark.parametrize(("suffix", "sep"), [(".tsv", "\t"), (".csv", ";")])
def test_read_other_delimiters(tmp_path, suffix, sep):
    path = tmp_path / f"register{suffix}"
    path.write_text(
        sep.join(["项目名称", "年度", "省份"]) + "\n" + sep.join(["A", "2018", "云南"]) + "\n"
    )
    frame = read_register(path)[0]
    assert data_columns(frame).values.tolist() == [["A", "2018", "云南"]]


def test_csv_title_row_above_header(tmp_path):
    path = tmp_path / "title.csv"
    path.write_text(
        "某基金会2018年扶贫项目登记表,,\n项目名称,年度,省份\nA,2018,云南\nB,2019,四川\n"
    )
    frame = read_register(path)[0]
    assert list(frame.columns)[:3] == ["项目名称", "年度", "省份"]
    assert list(frame["source_row"]) == [3, 4]


def test_row_with_more_fields_than_header_is_flagged(tmp_path):
    path = tmp_path / "malformed.csv"
    path.write_text(
        "项目名称,年度,省份\nA,2018,云南\nB,2019,四川,多出来的,字段\nC,2020,甘肃,,\nD,2020\n"
    )
    frame = read_register(path)[0]
    problems = list(frame["source_problem"])
    assert problems[0] == ""
    # Nothing lost: the extra fields' text is kept with the problem.
    assert problems[1] == "malformed_row: values in 5 fields, header has 3: 多出来的 | 字段"
    assert problems[2] == ""  # trailing empty fields are not a problem
    assert problems[3] == ""  # a short row is padded
    assert data_columns(frame).values.tolist() == [
        ["A", "2018", "云南"],
        ["B", "2019", "四川"],
        ["C", "2020", "甘肃"],
        ["D", "2020", ""],
    ]
    assert list(frame["source_row"]) == [2, 3, 4, 5]


# ---------------------------------------------------------------------------------------------------
# XLSX


def test_xlsx_with_title_row(tmp_path):
    path = tmp_path / "titled.xlsx"
    cells = [
        ["某某基金会2018年度扶贫项目登记表", None, None, None],
        ["项目名称", "年度", "省份", "支出金额（万元）"],
        ["怒江饮水工程", 2018, "云南省", 12],
        ["凉山助学", 2019, "四川省", 3.5],
    ]
    pd.DataFrame(cells).to_excel(path, header=False, index=False, sheet_name="登记表")
    frames = read_register(path)
    assert len(frames) == 1
    frame = frames[0]
    assert list(frame.columns)[:4] == ["项目名称", "年度", "省份", "支出金额（万元）"]
    assert data_columns(frame).values.tolist() == [
        ["怒江饮水工程", "2018", "云南省", "12"],
        ["凉山助学", "2019", "四川省", "3.5"],
    ]
    # The header is on spreadsheet row 2, so the data rows are rows 3 and 4.
    assert list(frame["source_row"]) == [3, 4]
    assert list(frame["source_file"]) == [f"{path}#登记表"] * 2


def test_real_xls_file_written_by_an_excel_97_writer(tmp_path):
    # A binary .xls (BIFF8, as Excel 97-2003 and many government systems still export), written by
    # xlwt: a title row, Chinese text, numbers stored as doubles, a date cell and a second sheet.
    import datetime

    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("登记表")
    rows = [
        ["某某基金会2018年度扶贫项目登记表"],
        ["项目名称", "实施机构", "年度", "省份", "支出金额（万元）", "受益人数", "开始日期"],
        ["怒江饮水工程", "中国扶贫基金会", 2018, "云南省", 12.5, 300.0],
        ["凉山助学", "中国扶贫基金会", 2019.0, "四川省", 1200, 45],
    ]
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            sheet.write(i, j, value)
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    sheet.write(2, 6, datetime.date(2018, 6, 30), date_style)
    book.add_sheet("说明").write(0, 0, "填表说明")
    path = tmp_path / "export.xls"
    book.save(path)
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"  # an OLE2 compound file, not a renamed xlsx
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the notes sheet has no register header
        frames = read_register(path)
    assert len(frames) == 1
    frame = frames[0]
    assert data_columns(frame).values.tolist() == [
        ["怒江饮水工程", "中国扶贫基金会", "2018", "云南省", "12.5", "300", "2018-06-30 00:00:00"],
        ["凉山助学", "中国扶贫基金会", "2019", "四川省", "1200", "45", ""],
    ]
    assert list(frame["source_row"]) == [3, 4]
    result = clean_registers(frames)
    assert result.data["expenditure_yuan"].tolist() == [125_000.0, 12_000_000.0]
    assert result.data["year"].tolist() == [2018, 2019]


def test_xlsx_header_below_blank_rows(tmp_path):
    path = tmp_path / "offset.xlsx"
    cells = [["项目名称", "年度", "省份"], ["A", 2018, "云南"]]
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame(cells).to_excel(writer, header=False, index=False, startrow=2)
    frame = read_register(path)[0]
    assert list(frame["source_row"]) == [4]  # header on row 3


def test_xlsx_two_sheets_give_two_frames(tmp_path):
    path = tmp_path / "two.xlsx"
    yunnan = [["项目名称", "年度", "省份"], ["怒江饮水工程", "2018", "云南"]]
    sichuan = [
        ["项目名称", "年度", "省份"],
        ["凉山助学", "2019", "四川"],
        ["木里产业", "2020", "四川"],
    ]
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame(yunnan).to_excel(writer, header=False, index=False, sheet_name="Yunnan")
        pd.DataFrame(sichuan).to_excel(writer, header=False, index=False, sheet_name="四川")
    frames = read_register(path)
    assert len(frames) == 2
    assert [f["source_file"].iloc[0] for f in frames] == [f"{path}#Yunnan", f"{path}#四川"]
    assert all(f["source_file"].nunique() == 1 for f in frames)
    assert frames[0]["source_file"].iloc[0].endswith("#Yunnan")
    assert frames[1]["source_file"].iloc[0].endswith("#四川")
    assert data_columns(frames[0]).values.tolist() == yunnan[1:]
    assert data_columns(frames[1]).values.tolist() == sichuan[1:]
    assert list(frames[1]["source_row"]) == [2, 3]

    only = read_register(path, sheet="四川")
    assert len(only) == 1
    assert data_columns(only[0]).values.tolist() == sichuan[1:]


def test_xlsx_notes_sheet_is_skipped(tmp_path):
    path = tmp_path / "notes.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["填表说明：金额单位为万元"]]).to_excel(
            writer, header=False, index=False, sheet_name="说明"
        )
        pd.DataFrame([["项目名称", "年度", "省份"], ["A", "2018", "云南"]]).to_excel(
            writer, header=False, index=False, sheet_name="数据"
        )
    with pytest.warns(UserWarning, match="说明: sheet skipped"):
        frames = read_register(path)
    assert len(frames) == 1
    assert frames[0]["source_file"].iloc[0] == f"{path}#数据"


# ---------------------------------------------------------------------------------------------------
# Unusable files: one RegisterError, one line, naming the file


def _write(path: Path, data: bytes | None) -> Path:
    if data is not None:
        path.write_bytes(data)
    return path


def _not_xlsx_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    return path


@pytest.mark.parametrize(
    ("name", "make", "fragment"),
    [
        ("empty.csv", lambda p: _write(p, b""), "empty"),
        ("blank.csv", lambda p: _write(p, b" \n\n  \n"), "empty"),
        ("header_only.csv", lambda p: _write(p, "项目名称,年度,省份\n".encode()), "no data rows"),
        ("garbage.csv", lambda p: _write(p, bytes(range(256)) * 16), "binary"),
        ("image.csv", lambda p: _write(p, b"\x89PNG\r\n\x1a\n" + bytes(64)), "binary"),
        ("corrupt.xlsx", lambda p: _write(p, random.Random(0).randbytes(4096)), "Excel"),
        ("zip.xlsx", _not_xlsx_zip, "Excel"),
        ("corrupt.xls", lambda p: _write(p, random.Random(1).randbytes(4096)), "Excel"),
        ("register.pdf", lambda p: _write(p, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), "unsupported"),
        ("unknown.csv", lambda p: _write(p, b"foo,bar,baz\n1,2,3\n"), "no header row"),
        ("one_known.csv", lambda p: _write(p, "项目名称,备注\nA,x\n".encode()), "no header row"),
        ("missing.csv", lambda p: p, "no such file"),
        ("folder.csv", lambda p: (p.mkdir(), p)[1], "directory"),
    ],
)
def test_unusable_file_raises_one_line_register_error(tmp_path, name, make, fragment):
    path = make(tmp_path / name)
    with pytest.raises(RegisterError) as info:
        read_register(path)
    assert_one_line_naming(info.value, path)
    assert fragment in str(info.value)
    assert info.value.file == str(path)


def test_directory_without_suffix(tmp_path):
    with pytest.raises(RegisterError) as info:
        read_register(tmp_path)
    assert_one_line_naming(info.value, tmp_path)


def test_empty_workbook_and_workbook_without_header(tmp_path):
    empty = tmp_path / "empty.xlsx"
    pd.DataFrame().to_excel(empty)
    no_header = tmp_path / "no_header.xlsx"
    pd.DataFrame([["foo", "bar"], [1, 2]]).to_excel(no_header, header=False, index=False)
    for path in (empty, no_header):
        with pytest.raises(RegisterError) as info:
            read_register(path)
        assert_one_line_naming(info.value, path)
        assert "no sheet with a register header" in str(info.value)


def test_wrong_encoding_and_unknown_sheet(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(csv_text(register_rows(2)).encode("gbk"))
    with pytest.raises(RegisterError) as info:
        read_register(path, encoding="utf-8")
    assert_one_line_naming(info.value, path)
    assert "cannot decode as utf-8" in str(info.value)

    book = tmp_path / "book.xlsx"
    pd.DataFrame([["项目名称", "年度"], ["A", "2018"]]).to_excel(book, header=False, index=False)
    with pytest.raises(RegisterError) as info:
        read_register(book, sheet="Nope")
    assert_one_line_naming(info.value, book)


def test_no_header_error_is_one_line_even_with_line_break_in_a_cell(tmp_path):
    path = tmp_path / "multiline.csv"
    path.write_text('"foo\nbar",baz,qux\n1,2,3\n')
    with pytest.raises(RegisterError) as info:
        read_register(path)
    assert_one_line_naming(info.value, path)


# ---------------------------------------------------------------------------------------------------
# write_clean_outputs: all or nothing

OUTPUT_NAMES = ("projects.parquet", "rejected.csv", "cleaning_report.json")


def valid_projects() -> pd.DataFrame:
    """Two rows of the canonical table, with the dtypes the schema asks for."""
    s = pd.StringDtype()
    return pd.DataFrame(
        {
            "project_id": pd.array(["P1", "P2"], dtype=s),
            "project_name": pd.array(["怒江饮水工程", "凉山助学"], dtype=s),
            "org_name": pd.array(["中国扶贫基金会", "中国青少年发展基金会"], dtype=s),
            "org_type": pd.Categorical(
                ["foundation", "foundation"],
                categories=["foundation", "social_group", "social_service_agency", "unknown"],
            ),
            "year": pd.array([2018, 2019], dtype="int64"),
            "province": pd.array(["Yunnan", "Sichuan"], dtype=s),
            "province_code": pd.array(["53", "51"], dtype=s),
            "prefecture": pd.array(["怒江傈僳族自治州", "凉山彝族自治州"], dtype=s),
            "county": pd.array([None, None], dtype=s),
            "deep_poverty_area": [True, True],
            "sector": pd.Categorical(
                ["health", "education"],
                categories=["industry", "education", "health", "relocation", "volunteer", "other"],
            ),
            "expenditure_yuan": [120_000.0, 35_000.0],
            "beneficiaries": pd.array([1200, None], dtype="Int64"),
            "poor_households": pd.array([300, 10], dtype="Int64"),
            "joint_funded": [False, True],
            "source_file": pd.array(["register.csv", "register.csv"], dtype=s),
            "source_row": pd.array([2, 3], dtype="int64"),
            "flags": pd.array(["", "beneficiaries_missing"], dtype=s),
            "simulated": [False, False],
        }
    )


def make_previous_outputs(out: Path) -> dict[str, bytes]:
    out.mkdir(parents=True, exist_ok=True)
    old = {
        "projects.parquet": b"PAR1 previous good parquet bytes PAR1",
        "rejected.csv": "source_file,source_row,reason\nold.csv,7,旧的\n".encode(),
        "cleaning_report.json": b'{"rows_in": 1, "run": "previous"}\n',  # as the toolkit writes it
    }
    for name, data in old.items():
        (out / name).write_bytes(data)
    return old


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_write_clean_outputs_writes_all_three(tmp_path):
    out = tmp_path / "processed"
    make_previous_outputs(out)
    result = CleanResult(
        data=valid_projects(),
        rejected=pd.DataFrame(
            {"source_file": ["r.csv"], "source_row": [9], "reason": ["年份缺失"]}
        ),
        report={"rows_in": 3, "rows_out": 2},
    )
    paths = write_clean_outputs(result, out)
    assert set(paths) == set(OUTPUT_NAMES)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_NAMES)  # no staging left
    back = pd.read_parquet(out / "projects.parquet")
    assert back["project_id"].tolist() == ["P1", "P2"]
    assert back["expenditure_yuan"].tolist() == [120_000.0, 35_000.0]
    assert (out / "rejected.csv").read_text(encoding="utf-8") == (
        "source_file,source_row,reason\nr.csv,9,年份缺失\n"
    )
    assert '"rows_out": 2' in (out / "cleaning_report.json").read_text(encoding="utf-8")


def test_write_clean_outputs_leaves_previous_files_when_validation_fails(tmp_path):
    out = tmp_path / "processed"
    old = make_previous_outputs(out)
    bad = valid_projects()
    bad.loc[1, "expenditure_yuan"] = -5.0
    result = CleanResult(data=bad, rejected=pd.DataFrame(), report={"run": "new"})
    with pytest.raises(RegisterError) as info:
        write_clean_outputs(result, out)
    assert "expenditure_yuan" in str(info.value)
    assert "\n" not in str(info.value)
    assert snapshot(out) == old  # byte-identical, and nothing else (no staging folder) left


def test_write_clean_outputs_leaves_previous_files_when_a_write_fails(tmp_path):
    # The schema allows extra columns; one that parquet cannot store fails after validation, in the
    # middle of writing. The previous outputs must survive that too.
    out = tmp_path / "processed"
    old = make_previous_outputs(out)
    data = valid_projects()
    data["mixed"] = pd.Series([1, "one"], dtype=object)
    result = CleanResult(data=data, rejected=pd.DataFrame(), report={})
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        write_clean_outputs(result, out)
    assert snapshot(out) == old


# ---------------------------------------------------------------------------------------------------
# Cases a review of the vectorized reader found


def _careful_frame(text: str, delimiter: str = ",") -> pd.DataFrame:
    import csv
    import io

    from analysis.registers.headers import frame_from_rows

    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return frame_from_rows(rows, "x")


@pytest.mark.parametrize(
    "lines",
    [
        # a title row and a blank line above the header, a short row (so pandas' C parser reads it)
        [
            "2019年度登记表",
            "",
            ",".join(HEADER),
            "学校,中国扶贫基金会,2019,云南省,教育,1,2",
            "医院,中国扶贫基金会,2019",
        ],
        # a trailing delimiter on every row and an empty first cell
        [
            ",".join(HEADER) + ",",
            ",中国扶贫基金会,2019,云南省,教育,1,2,",
            "医院,中国扶贫基金会,2019,云南省,健康,3,4,",
        ],
    ],
)
def test_lines_ended_by_a_lone_cr_keep_every_row_in_place(tmp_path, lines):
    text = "\r".join(lines) + "\r"
    path = tmp_path / "mac.csv"
    path.write_bytes(text.encode("utf-8"))
    frame = read_register(path)[0]
    expected = _careful_frame(text)
    assert data_columns(frame).fillna("").values.tolist() == data_columns(expected).values.tolist()
    assert frame["source_row"].tolist() == expected["source_row"].tolist()


def test_semicolon_file_with_a_short_row_is_read_with_semicolons(tmp_path):
    text = "\n".join(
        [";".join(HEADER), "学校;中国扶贫基金会;2019;云南省;教育;1;2", "医院;中国扶贫基金会"]
    )
    path = tmp_path / "semi.csv"
    path.write_bytes(text.encode("utf-8"))
    frame = read_register(path)[0]
    assert list(frame.columns[: len(HEADER)]) == HEADER
    assert frame["实施机构"].tolist() == ["中国扶贫基金会", "中国扶贫基金会"]


def test_gb18030_register_with_one_chinese_name_among_ascii_rows(tmp_path):
    header = "project_id,project_name,org_name,year,province,expenditure,beneficiaries"
    rows = [f"A{i},clinic,Some Foundation,2019,Yunnan,5,10" for i in range(50)]
    rows.append("B1,clinic,中国扶贫基金会,2019,Yunnan,5,10")
    path = tmp_path / "gb.csv"
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode("gb18030"))
    assert detect_encoding(path.read_bytes()) == "gb18030"
    frame = read_register(path)[0]
    assert frame["org_name"].iloc[-1] == "中国扶贫基金会"
    assert frame.attrs["encoding"] == "gb18030"
    assert clean_registers([frame]).report["headers"][0]["encoding"] == "gb18030"


def test_too_little_evidence_for_an_encoding_asks_for_one(tmp_path):
    text = (
        "project_name,org_name,year,province,expenditure,beneficiaries\ncafé,x,2019,Yunnan,5,10\n"
    )
    path = tmp_path / "latin.csv"
    path.write_bytes(text.encode("cp1252"))
    with pytest.raises(RegisterError) as info:
        read_register(path)
    assert_one_line_naming(info.value, path)
    assert "pass encoding=" in str(info.value)
    assert read_register(path, encoding="cp1252")[0]["project_name"].tolist() == ["café"]


def test_decode_error_names_the_line_and_byte(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_text(register_rows(3)).encode("utf-8") + b"x,\xff\xfe,2019\n")
    with pytest.raises(RegisterError) as info:
        read_register(path, encoding="utf-8")
    assert_one_line_naming(info.value, path)
    assert "byte 0xff on line 5" in str(info.value)


def test_big5_register_is_not_read_as_gb18030(tmp_path):
    # Big5 bytes also decode as GB18030, into wrong characters: the reader must tell them apart.
    header = "project_id,project_name,org_name,year,province,expenditure,beneficiaries"
    rows = [f"A{i},clinic,Some Foundation,2019,Yunnan,5,10" for i in range(50)]
    rows.append("B1,扶貧項目,中國扶貧基金會,2019,雲南省,5,10")
    path = tmp_path / "big5.csv"
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode("big5"))
    frame = read_register(path)[0]
    assert frame.attrs["encoding"] == "big5"
    assert frame["org_name"].iloc[-1] == "中國扶貧基金會"
