"""Write src/analysis/data/poverty_counties.csv from the source table poverty_counties_832.csv (not in
this repository; its provenance is in src/analysis/data/REFERENCE_SOURCES.md), with the four known
defects of the source corrected (each listed in the file's header and its `correction` column).
Run: .venv/bin/python scripts/build_poverty_counties.py PATH/TO/poverty_counties_832.csv
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "analysis" / "data" / "poverty_counties.csv"

# code -> (field, corrected value, reason); from the known defects listed with the source.
CORRECTIONS = {
    "532600": [("county_code", "532601", "532600 is 文山壮族苗族自治州 itself; 文山市 is 532601")],
    "622900": [("county_code", "622901", "622900 is 临夏回族自治州 itself; 临夏市 is 622901")],
    "630104": [
        (
            "county_code",
            "632803",
            "630104 is 西宁市城西区; 冷湖行委 (海西州) was merged into 茫崖市 632803 in 2018",
        ),
        ("prefecture", "海西蒙古族藏族自治州", "冷湖 belongs to 海西州, not 西宁市"),
    ],
    "532322": [("exit_year", "2018", "双柏县 exited in 2018 (yearly announcements), not 2019")],
}


def main(source: str) -> None:
    rows = list(csv.DictReader(open(source, encoding="utf-8")))
    buf = io.StringIO()
    buf.write(
        "# The 832 national poverty counties (国家级贫困县) with their exit (摘帽) year, 2016-2020.\n"
        "# Source: compiled by 马克数据网 from the State Council Leading Group Office of Poverty\n"
        "# Alleviation's list and the provincial exit announcements, via a public course-project\n"
        "# repository (no licence stated; the facts are public announcements); see REFERENCE_SOURCES.md.\n"
        "# Corrected here (column `correction`): 文山市 532600 -> 532601, 临夏市 622900 -> 622901,\n"
        "# 冷湖行委 630104 -> 632803 (茫崖市, into which it was merged in 2018; prefecture 海西州), and\n"
        "# 双柏县's exit year 2019 -> 2018. Official exits by year: 2016 28, 2017 125, 2018 283,\n"
        "# 2019 344, 2020 52. Codes are as in the source (a few are codes of 2016-2021 re-zoning).\n"
    )
    fields = ["county_code", "county_name", "province", "prefecture", "exit_year", "region_3"]
    writer = csv.DictWriter(buf, fieldnames=[*fields, "correction"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        out = {k: row[k] for k in fields}
        notes = []
        for field, value, reason in CORRECTIONS.get(row["county_code"], []):
            out[field] = value
            notes.append(reason)
        out["correction"] = "; ".join(notes)
        writer.writerow(out)
    OUT.write_text(buf.getvalue(), encoding="utf-8")
    print(f"wrote {OUT} ({len(rows)} counties)")


if __name__ == "__main__":
    main(sys.argv[1])
