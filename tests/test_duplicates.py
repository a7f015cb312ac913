"""Duplicates never eat distinct projects: the rule of docs/data.md on hand-built registers, and
properties (shuffling, splitting into files, dropping the id column never change the kept total)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.registers.cleaning import clean_registers

HEADER = [
    "项目编号",
    "项目名称",
    "实施机构",
    "年度",
    "省份",
    "市州",
    "县区",
    "支出金额",
    "受益人数",
    "受益贫困户",
]


def frame(rows, header=HEADER, name="r.csv", start=2):
    df = pd.DataFrame([[str(v) for v in r] for r in rows], columns=header, dtype=object)
    df["source_file"] = name
    df["source_row"] = range(start, start + len(rows))
    df["source_problem"] = ""
    return df


def without_ids(df):
    return df.drop(columns=["项目编号"])


def kept(result):
    return sorted(result.data["project_id"]), result.report["rejected_by_reason"]


def test_three_provinces_same_name_year_amount_are_three_projects():
    rows = [
        ["E-YN-01", "教育援助", "中国教育基金会", 2018, "云南省", "昆明市", "", 500000, 1000, 200],
        ["E-GS-01", "教育援助", "中国教育基金会", 2018, "甘肃省", "兰州市", "", 500000, 1000, 200],
        ["E-QH-01", "教育援助", "中国教育基金会", 2018, "青海省", "西宁市", "", 500000, 1000, 200],
    ]
    res = clean_registers(frame(rows), max_year=2026)
    assert res.report["rows_clean"] == 3 and res.report["rejected_by_reason"] == {}
    assert res.data["expenditure_yuan"].sum() == 1_500_000
    assert (res.data["flags"] == "possible_duplicate").all()
    # Without the id column they still differ in their province: three projects.
    res = clean_registers(frame(rows).pipe(without_ids), max_year=2026)
    assert res.report["rows_clean"] == 3 and res.data["project_id"].nunique() == 3


def test_an_id_less_register_keeps_every_distinct_project_of_one_organization_and_year():
    rows = [
        ["", f"项目{i}", "某基金会", 2019, "四川省", "凉山州", "", 100000 + i, 50, 10]
        for i in range(6)
    ] + [["", "项目0", "某基金会", 2019, "四川省", "凉山州", "", 100000, 50, 10]]  # an exact repeat
    res = clean_registers(frame(rows).pipe(without_ids), max_year=2026)
    assert res.report["rows_clean"] == 6
    assert res.report["rejected_by_reason"] == {"duplicate": 1}
    assert res.data["project_id"].str.fullmatch(r"h[0-9a-f]{16}").all()
    assert res.data["project_id"].nunique() == 6
    assert res.rejected["source_row"].tolist() == [8]  # the later copy goes


def test_same_id_and_year_with_other_values_are_kept_and_flagged():
    rows = [
        ["P1", "a", "某基金会", 2019, "贵州省", "", "", 100, 5, 1],
        [
            "P1",
            "a",
            "某基金会",
            2019,
            "贵州省",
            "",
            "",
            250,
            9,
            2,
        ],  # a second tranche? kept, flagged
        ["P1", "a", "某基金会", 2019, "贵州省", "", "", 100, 5, 1],  # the first again: duplicate
        ["P2", "a", "某基金会", 2019, "贵州省", "", "", 100, 5, 1],  # another id: never a duplicate
        ["", "a", "某基金会", 2019, "贵州省", "", "", 100, 5, 1],  # no id, repeats P1 (and P2)
    ]
    res = clean_registers(frame(rows), max_year=2026)
    assert res.report["rejected_by_reason"] == {"duplicate": 2}
    assert res.rejected["source_row"].tolist() == [4, 6]
    assert sorted(res.data["project_id"]) == ["P1", "P1", "P2"]
    assert (res.data["flags"] == "possible_duplicate").all()


def test_same_org_name_year_amount_with_different_beneficiaries_are_kept_and_flagged():
    rows = [
        ["", "a", "某基金会", 2019, "贵州省", "", "", 100, 5, 1],
        ["", "a", "某基金会", 2019, "贵州省", "", "", 100, 7, 1],
        ["", "b", "某基金会", 2019, "贵州省", "", "", 100, 7, 1],
    ]
    res = clean_registers(frame(rows).pipe(without_ids), max_year=2026)
    assert res.report["rows_clean"] == 3
    assert res.data["flags"].tolist() == ["possible_duplicate", "possible_duplicate", ""]


def test_a_duplicate_across_files_is_caught_whichever_file_comes_first():
    row = ["P1", "a", "某基金会", 2019, "贵州省", "", "", 100, 5, 1]
    for names in (("a.csv", "b.csv"), ("b.csv", "a.csv")):
        res = clean_registers([frame([row], name=n) for n in names], max_year=2026)
        assert res.report["rows_clean"] == 1 and res.rejected["source_file"].tolist() == [names[1]]


# --- properties ----------------------------------------------------------------------------------

PROVINCES = ["云南省", "四川省", "甘肃省", "青海省", "贵州省"]


@st.composite
def registers(draw):
    """Distinct projects (unique ids; they differ in some substantive field) and exact copies of some,
    in a random order."""
    n = draw(st.integers(1, 25))
    projects = {}
    for i in range(n):
        key = (
            draw(st.sampled_from(["a", "b", "c"])),  # project name
            draw(st.sampled_from(["某基金会", "另一基金会"])),
            draw(st.sampled_from([2018, 2019])),
            draw(st.sampled_from(PROVINCES)),
            draw(st.sampled_from([100, 250, 1000])),  # amount
            draw(st.sampled_from([5, 9])),  # beneficiaries
        )
        projects.setdefault(key, f"P{i}")
    rows = [[pid, k[0], k[1], k[2], k[3], "", "", k[4], k[5], 1] for k, pid in projects.items()]
    copies = draw(st.lists(st.sampled_from(range(len(rows))), max_size=10))
    rows += [list(rows[c]) for c in copies]
    order = draw(st.permutations(range(len(rows))))
    parts = draw(st.integers(1, 4))
    return [rows[i] for i in order], parts


def total(result) -> float:
    return float(result.data["expenditure_yuan"].sum())


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(registers(), st.randoms(use_true_random=False))
def test_shuffling_splitting_or_dropping_ids_never_changes_the_kept_total(reg, rnd):
    rows, parts = reg
    expected = sum(
        float(r[7]) for r in {tuple(map(str, r)): r for r in rows}.values()
    )  # one per distinct project
    whole = clean_registers(frame(rows), max_year=2026)
    assert total(whole) == expected
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert total(clean_registers(frame(shuffled), max_year=2026)) == expected
    size = -(-len(rows) // parts)
    files = [frame(rows[i : i + size], name=f"part{i}.csv") for i in range(0, len(rows), size)]
    assert total(clean_registers(files, max_year=2026)) == expected
    assert total(clean_registers(frame(rows).pipe(without_ids), max_year=2026)) == expected
