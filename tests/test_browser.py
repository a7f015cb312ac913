"""The rendered index.html opens in headless Chromium with every figure loaded.

Needs Debian's chromium (.ci/run installs it); skipped where /usr/bin/chromium is absent.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import DEMO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PROBE = (
    "<script>window.addEventListener('load',()=>{const i=[...document.images];"
    "document.body.setAttribute('data-images',i.length);"
    "document.body.setAttribute('data-loaded',i.filter(x=>x.complete&&x.naturalWidth>0).length);"
    "});</script>"
)


@pytest.mark.notebook
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_index_html_opens_in_headless_chromium_with_every_figure_loaded(tmp_path):
    lines = DEMO.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    raw = tmp_path / "demo_register_slice.csv"
    raw.write_text(lines[0] + "".join(lines[1::4]), encoding="utf-8-sig")
    out = tmp_path / "run"
    analysis = str(Path(sys.executable).with_name("analysis"))
    done = subprocess.run(
        [
            analysis,
            "run",
            "--out",
            str(out),
            "-p",
            "raw_paths",
            json.dumps([str(raw)]),
            "-p",
            "bootstrap_reps",
            "99",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    page = (out / "index.html").read_text(encoding="utf-8")
    (out / "index_probe.html").write_text(
        page.replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tempfile.mkdtemp()}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            (out / "index_probe.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    found = re.search(r'data-images="(\d+)" data-loaded="(\d+)"', dom)
    assert found, dom[:500]
    assert int(found.group(1)) >= 3 and found.group(1) == found.group(2)
    assert "SIMULATED" in dom
