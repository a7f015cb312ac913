"""The most common shape of a Chinese government table, read with no option: a summary sheet first,
two title rows, a header over two rows with a merged group cell, numbers stored as text, a 合计 row, a
signature footer, a notes sheet and a hidden sheet."""

from __future__ import annotations

import warnings

import openpyxl
import pandas as pd
import pytest

from analysis.registers.cleaning import clean_registers
from analysis.registers.read import read_register

DATA = [  # 项目名称, 实施机构, 年度, 省份, 支出金额（万元）, 受益人数（人）, 受益贫困户（户）
    ["产业扶贫一期", "中国扶贫基金会", "2018", "云南省", "12.5", "300", "60"],
    ["教育助学", "中国扶贫基金会", "2018", "贵州省", "20", "500", "120"],
    ["健康义诊", "中国医疗基金会", "2018", "甘肃省", "8.25", "150", "30"],
    ["易地搬迁配套", "中国扶贫基金会", "2018", "四川省", "100", "1200", "400"],
    ["志愿支教", "中国青年基金会", "2018", "西藏自治区", "3", "80", "10"],
]


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("gov") / "2018年扶贫项目统计表.xlsx"
    wb = openpyxl.Workbook()
    summary = wb.active
    summary.title = "汇总"
    summary.append(["省份", "支出金额（万元）"])
    summary.append(["合计", "143.75"])
    detail = wb.create_sheet("项目明细")
    detail.append(["2018年度全国性社会组织扶贫项目统计表"])
    detail.merge_cells("A1:H1")
    detail.append(["填报单位：某基金会", None, None, None, None, None, "单位：万元"])
    detail.append(
        ["序号", "项目名称", "实施机构", "年度", "省份", "支出金额（万元）", "受益情况", None]
    )
    detail.append([None, None, None, None, None, None, "受益人数（人）", "受益贫困户（户）"])
    for col in "ABCDEF":
        detail.merge_cells(f"{col}3:{col}4")
    detail.merge_cells("G3:H3")
    for i, row in enumerate(DATA, start=1):
        detail.append([str(i), *row])  # every number stored as text
    detail.append(["合计", None, None, None, None, "143.75", "2230", "620"])
    detail.append(["填报人：张三", None, None, "审核人：李四", None, "填报日期：2019年1月10日"])
    notes = wb.create_sheet("说明")
    notes.append(["本表数据为不完全统计。"])
    hidden = wb.create_sheet("旧表")
    hidden.append(["项目名称", "实施机构", "年度", "省份", "支出金额", "受益人数"])
    hidden.append(["旧项目", "某基金会", "2015", "云南", "1", "1"])
    hidden.sheet_state = "hidden"
    wb.save(path)
    return path


def test_the_export_is_read_and_cleaned_with_no_option(workbook):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        frames = read_register(workbook)
    messages = " | ".join(str(w.message) for w in seen)
    assert "#汇总" in messages and "#说明" in messages and "#旧表" in messages
    assert len(frames) == 1 and frames[0]["source_file"].iloc[0].endswith("#项目明细")
    result = clean_registers(frames, max_year=2026)
    r = result.report
    assert (r["rows_in"], r["rows_clean"], r["rows_rejected"]) == (7, 5, 2)
    assert r["rejected_by_reason"] == {"footer_row": 1, "total_row": 1}
    assert result.rejected.set_index("source_row")["reason"].to_dict() == {
        10: "total_row",
        11: "footer_row",
    }
    data = result.data
    assert data["source_row"].tolist() == [5, 6, 7, 8, 9]
    assert data["expenditure_yuan"].sum() == pytest.approx(1_437_500.0)
    assert int(data["beneficiaries"].sum()) == 2230 and int(data["poor_households"].sum()) == 620
    assert data["province"].tolist() == ["Yunnan", "Guizhou", "Gansu", "Sichuan", "Tibet"]


def test_a_hidden_sheet_is_read_when_named(workbook):
    frames = read_register(workbook, sheet="旧表")
    assert len(frames) == 1 and frames[0]["项目名称"].tolist() == ["旧项目"]


def test_excel_error_cells_keep_their_text_and_their_own_reason(tmp_path):
    import hostile

    cells = (
        '<row r="3"><c r="A3" t="inlineStr"><is><t>某基金会</t></is></c><c r="B3"><v>2018</v></c>'
        '<c r="C3" t="inlineStr"><is><t>贵州</t></is></c><c r="D3" t="e"><v>#DIV/0!</v></c>'
        '<c r="E3"><v>10</v></c></row>'
        '<row r="4"><c r="A4" t="inlineStr"><is><t>某基金会</t></is></c><c r="B4"><v>2018</v></c>'
        '<c r="C4" t="inlineStr"><is><t>贵州</t></is></c><c r="D4"><v>500</v></c>'
        '<c r="E4"><v>10</v></c><c r="F4" t="e"><v>#N/A</v></c></row>'
    )
    sheet = hostile.sheet_with(cells).replace(
        "<t>受益人数</t></is></c></row>",
        '<t>受益人数</t></is></c><c r="F1" t="inlineStr"><is><t>受益贫困户</t></is></c></row>',
        1,
    )
    path = hostile.write_xlsx(tmp_path / "errors.xlsx", sheet)
    result = clean_registers(read_register(path), max_year=2026)
    rejected = result.rejected.set_index("source_row")
    assert rejected.loc[3, "reason"] == "excel_error"
    assert (rejected.loc[3, "column"], rejected.loc[3, "value"]) == ("支出金额", "#DIV/0!")
    kept = result.data.set_index("source_row")
    assert "excel_error" in kept.loc[4, "flags"] and pd.isna(kept.loc[4, "poor_households"])


def test_inspect_names_the_skipped_sheets_and_the_command_to_read_one(workbook):
    from analysis.registers.inspection import inspect_register

    text = inspect_register(workbook)
    for name in ("汇总", "说明", "旧表"):
        assert f"--sheet {name}`" in text, text
    assert "header over two rows" in text


@pytest.mark.slow
def test_on_the_command_line_each_skipped_sheet_is_one_notice_line(workbook, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    analysis = str(Path(sys.executable).with_name("analysis"))
    done = subprocess.run(
        [analysis, "clean", str(workbook), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 3 and all(ln.startswith("analysis clean: warning: ") for ln in lines), (
        lines
    )
