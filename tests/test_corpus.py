"""A corpus of messy registers, made here in every supported encoding and format, cleaned at once.

The truth is planted by the test: totals of the good rows, and for every bad row the reason it must be
rejected with. Row accounting must be exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.registers.cleaning import clean_registers
from analysis.registers.read import read_registers

N = 40
PROVINCES = [  # (text variants, canonical, deep)
    (["云南省", "云南", "Yunnan", "Yunnan Province"], "Yunnan", None),  # partly 三区三州: unknown
    (["西藏自治区", "西藏", "Tibet", "Xizang"], "Tibet", True),
    (["内蒙古自治区", "内蒙古", "Inner Mongolia", "Nei Mongol"], "Inner Mongolia", False),
    (["甘肃省", "甘肃", "Gansu", "Gansu Province"], "Gansu", None),
]


def truth_table(seed=3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = rng.integers(0, len(PROVINCES), N)
    return pd.DataFrame(
        {
            "id": [f"T{i:03d}" for i in range(N)],
            "org": [f"中国测试{i % 7}基金会" for i in range(N)],
            "year": rng.choice([2017, 2018, 2019], N),
            "prov_i": p,
            "yuan": (rng.integers(1, 5000, N) * 100).astype(float),  # whole hundreds of yuan
            "persons": rng.integers(1, 900, N),
            "households": rng.integers(0, 90, N),
        }
    )


def amount_forms(yuan: float, i: int) -> tuple[str, str]:
    """Text for a 万元 column, and for a column without unit, chosen by row."""
    wan = yuan / 1e4
    wan_forms = [
        f"{wan:.2f}",
        f"{wan:,.2f}",
        f"{wan:.2f}".translate(str.maketrans("0123456789.", "０１２３４５６７８９．")),
        f"约{wan:.2f}",
        f"{int(yuan)}元",
    ]
    plain_forms = [
        f"{int(yuan)}元",
        f"{wan:.2f}万元",
        f"{yuan / 1e8:.6f}亿元",
        f"¥{int(yuan):,}",
        f"{int(yuan)}",
    ]
    return wan_forms[i % len(wan_forms)], plain_forms[i % len(plain_forms)]


def chinese_count(n: int) -> str:
    import cn2an

    return cn2an.an2cn(int(n)) + "人"


BAD = {  # reason -> how the row is broken (applied to a copy of a good row)
    "expenditure_missing": lambda r: {**r, "amount": "不详"},
    "expenditure_unparseable": lambda r: {**r, "amount": "见附件"},
    "expenditure_negative": lambda r: {**r, "amount": "-12"},
    "year_missing": lambda r: {**r, "year": "—"},
    "year_out_of_range": lambda r: {**r, "year": "1995"},
    "province_missing": lambda r: {**r, "province": ""},
    "province_unresolved": lambda r: {**r, "province": "火星省"},
}


# One worker writes the corpus once for the module.
pytestmark = pytest.mark.xdist_group("corpus")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("corpus")
    t = truth_table()
    parts = np.array_split(np.arange(N), 4)
    planted: dict[tuple[str, int], str] = {}
    files = []

    def rows_for(idx, style):
        out = []
        for i in idx:
            r = t.iloc[i]
            variants = PROVINCES[r.prov_i][0]
            wan_text, plain_text = amount_forms(r.yuan, i)
            out.append(
                {
                    "id": r.id,
                    "org": r.org,
                    "year": [str(r.year), f"{r.year}年", f"{r.year}-06-30"][i % 3],
                    "province": variants[i % len(variants)],
                    "amount": wan_text if style == "wan" else plain_text,
                    "persons": chinese_count(r.persons) if i % 4 == 0 else str(r.persons),
                    "households": f"{r.households}户" if i % 5 == 0 else str(r.households),
                }
            )
        return out

    def add_bad(rows, name, offset):
        base = dict(rows[0])
        rows.append({key: "" for key in base})  # an empty row (not last: Excel drops trailing ones)
        planted[(name, len(rows) + offset)] = "empty_row"
        for k, (reason, breaker) in enumerate(BAD.items()):
            rows.append(breaker({**base, "id": f"BAD{offset}{k}"}))
            planted[(name, len(rows) + offset)] = reason
        return rows

    # 1. GBK CSV, Chinese headers, amounts in a 万元 column.
    rows = add_bad(rows_for(parts[0], "wan"), "gbk.csv", 1)
    df = pd.DataFrame(rows)
    df.columns = [
        "项目编号",
        "实施机构",
        "年度",
        "省份",
        "支出金额（万元）",
        "受益人数",
        "建档立卡贫困户数",
    ]
    (tmp / "gbk.csv").write_bytes(df.to_csv(index=False).encode("gbk"))
    files.append(tmp / "gbk.csv")
    # 2. UTF-8 with BOM, English headers, a unit in every value.
    rows = add_bad(rows_for(parts[1], "plain"), "bom.csv", 1)
    df = pd.DataFrame(rows)
    df.columns = [
        "Project ID",
        "Organization",
        "Year",
        "Province",
        "Amount",
        "Beneficiaries",
        "Households",
    ]
    (tmp / "bom.csv").write_bytes(df.to_csv(index=False).encode("utf-8-sig"))
    files.append(tmp / "bom.csv")
    # 3. XLSX with a title row above the header, 万元 header.
    rows = add_bad(rows_for(parts[2], "wan"), "book.xlsx#登记表", 2)
    df = pd.DataFrame(rows)
    df.columns = [
        "项目ID",
        "社会组织名称",
        "实施年度",
        "省（自治区、直辖市）",
        "投入资金(万元)",
        "受益人口",
        "受益户数",
    ]
    with pd.ExcelWriter(tmp / "book.xlsx") as xw:
        pd.DataFrame([["2019年度全国性社会组织扶贫项目登记表"]]).to_excel(
            xw, sheet_name="登记表", index=False, header=False
        )
        df.to_excel(xw, sheet_name="登记表", index=False, startrow=1)
    files.append(tmp / "book.xlsx")
    # 4. Tab-separated UTF-8, GB18030-only characters absent, plain yuan column.
    rows = add_bad(rows_for(parts[3], "plain"), "tabs.tsv", 1)
    df = pd.DataFrame(rows)
    df.columns = [
        "project_id",
        "org_name",
        "year",
        "province",
        "expenditure",
        "beneficiaries",
        "poor_households",
    ]
    (tmp / "tabs.tsv").write_text(df.to_csv(index=False, sep="\t"), encoding="utf-8")
    files.append(tmp / "tabs.tsv")
    # A duplicate across files: the first good row of file 1 again at the end of file 4.
    dup = pd.read_csv(tmp / "tabs.tsv", sep="\t", dtype=str, keep_default_na=False)
    first = rows_for(parts[0][:1], "plain")[0]
    dup.loc[len(dup)] = list(first.values())
    (tmp / "tabs.tsv").write_text(dup.to_csv(index=False, sep="\t"), encoding="utf-8")
    planted[("tabs.tsv", len(dup) + 1)] = "duplicate"
    result = clean_registers(read_registers(files))
    return t, result, planted


def test_row_accounting_is_exact(corpus):
    t, result, planted = corpus
    r = result.report
    assert r["rows_in"] == N + len(planted)
    assert r["rows_clean"] == N
    assert r["rows_rejected"] == len(planted)
    assert sum(f["rows_in"] for f in r["by_file"].values()) == r["rows_in"]


def test_every_planted_bad_row_is_rejected_with_its_reason(corpus):
    _, result, planted = corpus
    got = {
        (f.split("/")[-1], int(row)): reason
        for f, row, reason in result.rejected[["source_file", "source_row", "reason"]].itertuples(
            index=False
        )
    }
    assert got == planted


def test_totals_equal_the_planted_truth(corpus):
    t, result, _ = corpus
    d = result.data.set_index("project_id").sort_index()
    tt = t.set_index("id").sort_index()
    np.testing.assert_allclose(d["expenditure_yuan"].to_numpy(), tt["yuan"].to_numpy(), rtol=1e-9)
    assert d["beneficiaries"].astype(int).tolist() == tt["persons"].tolist()
    assert d["poor_households"].astype(int).tolist() == tt["households"].tolist()
    assert d["year"].tolist() == tt["year"].tolist()
    assert d["province"].tolist() == [PROVINCES[i][1] for i in tt["prov_i"]]
    deep = [None if v is pd.NA else v for v in d["deep_poverty_area"].tolist()]
    assert deep == [PROVINCES[i][2] for i in tt["prov_i"]]


def test_encodings_and_sheets_are_recorded(corpus):
    _, result, _ = corpus
    files = {f.split("/")[-1] for f in result.report["by_file"]}
    assert files == {"gbk.csv", "bom.csv", "book.xlsx#登记表", "tabs.tsv"}
