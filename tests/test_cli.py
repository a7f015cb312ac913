"""The command line: clean, inspect and demo-data; broken input ends in one line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DEMO

ANALYSIS = str(Path(sys.executable).with_name("analysis"))


def run(*args):
    return subprocess.run([ANALYSIS, *args], capture_output=True, text=True)


@pytest.mark.slow
def test_clean_writes_the_three_outputs_and_the_account_adds_up(tmp_path):
    done = run("clean", str(DEMO), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "cleaning_report.json").read_text(encoding="utf-8"))
    assert report["rows_in"] == report["rows_clean"] + report["rows_rejected"]
    assert {"rows_in", "rows_clean", "rows_rejected", "rejected_by_reason", "by_file"} <= set(
        report
    )
    assert (tmp_path / "projects.parquet").is_file() and (tmp_path / "rejected.csv").is_file()


GBK_REGISTER = (
    "实施机构,年度,省份,支出金额（万元）,受益人数\n中国扶贫基金会,2018,云南省,12.5,300\n".encode(
        "gbk"
    )
)


def broken_inputs(tmp: Path) -> dict[str, tuple[Path, list[str]]]:
    """Twenty kinds of broken input: (file, extra CLI options) for each."""
    import zipfile

    cases: dict[str, tuple[Path, list[str]]] = {}

    def put(name: str, data: bytes, key: str, extra=()):
        path = tmp / name
        path.write_bytes(data)
        cases[key] = (path, list(extra))

    put("empty.csv", b"", "empty file")
    put("blank.csv", b"  \n\n \n", "whitespace only")
    put("header_only.csv", "实施机构,年度,省份,支出金额,受益人数\n".encode(), "header only")
    put("garbage.csv", bytes(range(256)) * 20, "binary garbage")
    put("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "an image named .csv")
    put(
        "truncated.csv",
        '实施机构,年度,省份,支出金额,受益人数\n"中国扶贫基金会,2018,云南'.encode(),
        "truncated CSV (open quote)",
    )
    put(
        "stray_quote.csv",
        '实施机构,年度,省份,支出金额,受益人数\n"中国"基金会,2018,云南,1,2\n'.encode(),
        "stray quote",
    )
    put("wrong_encoding.csv", GBK_REGISTER, "wrong encoding named", ["--encoding", "utf-8"])
    put("unknown_encoding.csv", GBK_REGISTER, "unknown encoding name", ["--encoding", "klingon-8"])
    put("corrupt.xlsx", b"PK\x03\x04 not really a workbook", "corrupt xlsx")
    put("corrupt.xls", b"\xd0\xcf\x11\xe0 not really a workbook" + bytes(600), "corrupt xls")
    buf = tmp / "notxlsx.zip"
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    put("zip_as.xlsx", buf.read_bytes(), "a zip that is not a workbook")
    put("report.pdf", b"%PDF-1.4\n", "unsupported file type")
    put("nocols.csv", "年度,省份,备注\n2018,云南,x\n".encode(), "missing required column")
    put("unknown_headers.csv", b"a,b,c\n1,2,3\n", "no known headers")
    (tmp / "adir").mkdir()
    cases["a directory"] = (tmp / "adir", [])
    cases["missing file"] = (tmp / "missing.csv", [])
    (tmp / "dangling.csv").symlink_to(tmp / "nowhere.csv")
    cases["broken symlink"] = (tmp / "dangling.csv", [])
    import pandas as pd

    book = tmp / "sheets.xlsx"
    pd.DataFrame(
        {"实施机构": ["a"], "年度": [2018], "省份": ["云南"], "支出金额": [1], "受益人数": [2]}
    ).to_excel(book, index=False, sheet_name="登记表")
    cases["unknown sheet"] = (book, ["--sheet", "Nope"])
    put(
        "aliases_target.csv",
        GBK_REGISTER,
        "bad alias file",
        ["--aliases", str(tmp / "no_aliases.csv")],
    )
    return cases


KINDS = [
    "empty file",
    "whitespace only",
    "header only",
    "binary garbage",
    "an image named .csv",
    "truncated CSV (open quote)",
    "stray quote",
    "wrong encoding named",
    "unknown encoding name",
    "corrupt xlsx",
    "corrupt xls",
    "a zip that is not a workbook",
    "unsupported file type",
    "missing required column",
    "no known headers",
    "a directory",
    "missing file",
    "broken symlink",
    "unknown sheet",
    "bad alias file",
]


@pytest.mark.slow
@pytest.mark.parametrize("case", KINDS)
def test_broken_input_ends_in_one_line_and_leaves_outputs_alone(tmp_path, case):
    out = tmp_path / "processed"
    out.mkdir()
    (out / "projects.parquet").write_bytes(b"previous good output")
    (out / "cleaning_report.json").write_text('{"rows_in": 1}')
    path, extra = broken_inputs(tmp_path)[case]
    done = run("clean", str(path), "--out", str(out), *extra)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    named = path.name if case != "bad alias file" else "no_aliases.csv"
    assert len(lines) == 1 and named in lines[0], lines
    assert (out / "projects.parquet").read_bytes() == b"previous good output"
    assert sorted(p.name for p in out.iterdir()) == ["cleaning_report.json", "projects.parquet"]


def test_clean_refuses_to_overwrite_outputs_it_did_not_write(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "projects.parquet").write_bytes(b"a user's own parquet")
    done = run("clean", str(DEMO), "--out", str(out))
    assert done.returncode == 2 and "not written by `analysis clean`" in done.stderr
    assert (out / "projects.parquet").read_bytes() == b"a user's own parquet"


@pytest.mark.slow
def test_a_user_alias_file_maps_a_header_the_shipped_table_does_not_know(tmp_path):
    reg = tmp_path / "reg.csv"
    reg.write_text(
        "机构,年度,省份,支出金额（万元）,受益人数\n中国扶贫基金会,2018,云南省,12.5,300\n",
        encoding="utf-8",
    )
    plain = run("clean", str(reg), "--out", str(tmp_path / "a"))
    assert plain.returncode == 2 and "org_name" in plain.stderr
    aliases = tmp_path / "aliases.csv"
    aliases.write_text("canonical,alias\norg_name,机构\n", encoding="utf-8")
    done = run("clean", str(reg), "--out", str(tmp_path / "b"), "--aliases", str(aliases))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "b" / "cleaning_report.json").read_text(encoding="utf-8"))
    assert report["rows_clean"] == 1


@pytest.mark.slow
def test_inspect_shows_mapping_units_and_unresolved_values_and_writes_nothing(tmp_path):
    before = sorted(tmp_path.iterdir())
    done = run("inspect", str(DEMO))
    assert done.returncode == 0
    assert "支出金额（万元）" in done.stdout and "[unit 万元]" in done.stdout
    line = next(ln for ln in done.stdout.splitlines() if "unresolved province" in ln)
    assert "'Atlantis' x1" in line and "'火星' x1" in line and line.count(" x") == 2
    assert sorted(tmp_path.iterdir()) == before
