"""Record the demo report's output hashes anew (tests/data/report_hashes.json), on purpose.

Runs `analysis run --out <tmp>/demo` from the project root (as `make report` does, MPLBACKEND=Agg), then
writes every output's sha256 from the run's manifest (index.html apart) and the sha256 of index.html with
the run folder written <run> and the project <project>. The reason is appended to `recorded_from`.

Run: MPLBACKEND=Agg .venv/bin/python scripts/record_report_hashes.py "why the outputs changed"
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "tests" / "data" / "report_hashes.json"


def main(reason: str) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    analysis = Path(sys.executable).with_name("analysis")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo"
        subprocess.run([str(analysis), "run", "--out", str(out)], check=True, cwd=ROOT, env=env)
        outputs = json.loads((out / "manifest.json").read_text())["outputs"]
        page = (out / "index.html").read_text(encoding="utf-8")
        page = page.replace(str(out), "<run>").replace(str(ROOT), "<project>")
    record = json.loads(RECORD.read_text())
    before = record["outputs"]
    record["outputs"] = {k: v for k, v in sorted(outputs.items()) if k != "index.html"}
    record["index_html_with_paths_replaced"] = hashlib.sha256(page.encode("utf-8")).hexdigest()
    record["recorded_from"] += f"; {reason}"
    RECORD.write_text(json.dumps(record, indent=1, ensure_ascii=False, sort_keys=True))
    changed = sorted(
        k for k in set(before) | set(record["outputs"]) if before.get(k) != record["outputs"].get(k)
    )
    print("changed:", ", ".join(changed) or "nothing")


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "re-recorded")
