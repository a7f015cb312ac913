"""A run's report site opens offline: index.html and every notebook page in headless Chromium with the
network blocked (every request that is not file:// would reach a recording proxy), every image loaded,
every link resolving, each notebook page linking back; figures shown inline although the run was
started with MPLBACKEND=Agg; notebook 04 runs by itself after a run, as in JupyterLab.

Chromium is Debian's (.ci/run installs it); the browser tests are skipped where it is absent.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import ROOT, copy_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PROBE = (
    "<script>window.addEventListener('load',()=>{const i=[...document.images];"
    "document.body.setAttribute('data-images',i.length);"
    "document.body.setAttribute('data-loaded',i.filter(x=>x.complete&&x.naturalWidth>0).length);"
    "});</script>"
)
PAGES = ["index.html"] + [
    f"html/{n}.html"
    for n in (
        "01_clean",
        "02_cost_per_beneficiary",
        "03_regional_effects",
        "04_figures",
        "05_cost_effectiveness",
    )
]

pytestmark = pytest.mark.notebook


@pytest.fixture
def run(small_run) -> Path:
    """The shared run on a quarter of the demo register, started with MPLBACKEND=Agg in its
    environment (tests/conftest.py): read, never changed."""
    return small_run


class _Links(HTMLParser):
    """Every href and src of a page, and every id."""

    def __init__(self):
        super().__init__()
        self.links, self.ids, self.images = [], set(), []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))
        for key, value in attrs:
            if key in ("href", "src") and value is not None:
                self.links.append(value)
            if key == "id" and value:
                self.ids.add(value)


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_every_link_of_every_page_resolves_inside_the_run_folder(run):
    for page in PAGES:
        parsed = _parse(run / page)
        assert parsed.links, page
        for link in parsed.links:
            if link.startswith("data:"):
                continue
            url = urlparse(link)
            assert not url.scheme and not url.netloc, f"{page} links outside: {link}"
            if url.path:
                target = (run / page).parent / unquote(url.path)
                assert target.is_file(), f"{page}: {link} does not resolve"
                assert run.resolve() in target.resolve().parents, f"{page}: {link} leaves the run"
            if url.fragment:
                ids = _parse(target).ids if url.path else parsed.ids
                assert url.fragment in ids, f"{page}: #{url.fragment} is not on the page"


def test_no_page_in_the_run_folder_loads_anything_from_a_url(run):
    pages = [*run.rglob("*.html")]
    assert len(pages) >= 5
    for page in pages:
        text = page.read_text(encoding="utf-8")
        found = re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text, re.I)
        found += re.findall(r"""url\(\s*["']?\s*(?:https?:)?//|@import""", text, re.I)
        assert not found, f"{page.name} refers to the network: {found[:3]}"


def test_each_notebook_page_links_back_to_the_index(run):
    for page in PAGES[1:]:
        links = _parse(run / page).links
        assert links.count("../index.html") >= 1, page


def test_figures_show_inline_although_the_run_had_mplbackend_agg(run):
    from analysis.present.catalogue import figure_catalogue

    images = _parse(run / "html" / "04_figures.html").images
    drawn = sorted(p.stem for p in (run / "figures").glob("*.png"))
    assert len(drawn) >= 6
    assert len(images) == len(drawn), (len(images), drawn)
    assert all(i["src"].startswith("data:image/png;base64,") for i in images)
    captions = set(figure_catalogue()["caption_en"])
    assert all(any(c in i.get("alt", "") for c in captions) for i in images), images[0].get("alt")


def test_the_index_has_headline_numbers_contents_figures_tables_and_all_parameters(run):
    page = (run / "index.html").read_text(encoding="utf-8")
    for section in ("headline", "figures", "tables", "notebooks", "parameters", "provenance"):
        assert f"id='{section}'" in page and f"href='#{section}'" in page
    assert re.search(r"\d,\d{3} yuan per person</td><td class='num'>\[\d,\d{3}, \d,\d{3}\]", page)
    assert "Figure 1." in page
    for link in (
        "tables/regression_table.html",
        "tables/regression_table.tex",
        "did_inference.csv",
    ):
        assert link in page
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    for name in ("base_year", "seed", "bootstrap_reps", "wild_reps", "lang", "interval"):
        assert f"<th>{name}</th>" in page and name in manifest["parameters_used"]
    assert manifest["parameters_used"]["bootstrap_reps"] == {
        "value": 99,
        "notebooks": ["02_cost_per_beneficiary", "05_cost_effectiveness"],
        "default": False,
    }
    assert manifest["parameters_used"]["tables_dir"]["value"] == "tables"
    assert str(run) not in page and str(run.parent) not in page, "an absolute path in index.html"
    assert "SIMULATED" in page


def test_executed_notebooks_name_no_building_folder(run):
    for nb in (run / "notebooks").glob("*.ipynb"):
        assert ".building" not in nb.read_text(encoding="utf-8"), nb.name


# Chromium's own services (its updater, sign-in, clock), which it calls whatever page it shows; any
# other host, a font or script service among them, counts as a request of the page.
BROWSER_HOSTS = {
    "update.googleapis.com",
    "accounts.google.com",
    "clients2.google.com",
    "clientservices.googleapis.com",
    "optimizationguide-pa.googleapis.com",
    "safebrowsing.googleapis.com",
    "redirector.gvt1.com",
    "edgedl.me.gvt1.com",
}


def _host(request: bytes) -> str:
    """The host a proxied request asks for (CONNECT host:port, or GET http://host/...)."""
    target = request.split(b" ")[1].decode("latin-1") if b" " in request else ""
    return urlparse(target if "//" in target else f"//{target}").hostname or target


def _proxy() -> tuple[int, list]:
    """A TCP listener standing in for the network: every connection Chromium makes is recorded."""
    seen: list = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def accept():
        while True:
            conn, _ = server.accept()
            seen.append(conn.recv(200))
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return server.getsockname()[1], seen


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_every_page_opens_offline_in_chromium_with_every_image_loaded(run, tmp_path):
    run = copy_run(run, tmp_path)  # the probes are written beside the pages
    port, seen = _proxy()
    for page in PAGES:
        probe = run / page.replace(".html", "_probe.html")
        text = (run / page).read_text(encoding="utf-8")
        probe.write_text(text.replace("</body>", PROBE + "</body>"), encoding="utf-8")
        try:
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
                    "--no-pings",
                    "--disable-default-apps",
                    "--disable-extensions",
                    "--disable-domain-reliability",
                    "--disable-client-side-phishing-detection",
                    "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter",
                    f"--proxy-server=http://127.0.0.1:{port}",
                    "--proxy-bypass-list=<-loopback>",
                    f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}",
                    "--virtual-time-budget=5000",
                    "--dump-dom",
                    probe.as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=120,
            ).stdout
        finally:
            probe.unlink()
        found = re.search(r'data-images="(\d+)" data-loaded="(\d+)"', dom)
        assert found, (page, dom[:300])
        assert found.group(1) == found.group(2), f"{page}: images not loaded {found.groups()}"
        if page in ("index.html", "html/04_figures.html"):
            assert int(found.group(1)) >= 6, page
    hosts = {_host(r) for r in seen}
    assert hosts <= BROWSER_HOSTS, f"requests left file://: {sorted(hosts - BROWSER_HOSTS)}"
    assert _host(b"CONNECT fonts.googleapis.com:443 HTTP/1.1") == "fonts.googleapis.com"


def test_chinese_site_has_chinese_headings(run, tmp_path):
    from analysis.run.render import render_html
    from analysis.run.site import index_html

    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    page = index_html(run, {**manifest, "lang": "zh"})
    assert "<h2>主要结果</h2>" in page and "<h2>目录</h2>" in page and "lang='zh-Hans'" in page
    html = render_html(
        run / "notebooks" / "02_cost_per_beneficiary.ipynb", tmp_path / "02.html", lang="zh"
    )
    text = html.read_text(encoding="utf-8")
    assert "人均受益成本" in text and "返回运行首页" in text
    assert ">02 · Cost per beneficiary<" not in text


def test_every_notebook_heading_has_its_chinese(tmp_path):
    import nbformat

    from analysis.run.site import heading_text

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for line in cell.source.splitlines():
                hashes, _, text = line.partition(" ")
                if hashes and set(hashes) == {"#"}:
                    assert heading_text(text, "zh") != text, f"{path.name}: {text!r} has no zh"


def _papermill_04(tmp_path, processed: Path, tables: Path):
    import papermill as pm

    return pm.execute_notebook(
        str(ROOT / "notebooks" / "04_figures.ipynb"),
        str(tmp_path / "04.ipynb"),
        parameters={
            "processed_dir": str(processed),
            "tables_dir": str(tables),
            "figures_dir": str(tmp_path / "figures"),
        },
        kernel_name="python3",
        progress_bar=False,
        cwd=str(ROOT / "notebooks"),
    )


def test_04_runs_by_itself_in_a_fresh_kernel_after_a_run(run, tmp_path):
    _papermill_04(tmp_path, run / "processed", run / "tables")
    assert len(list((tmp_path / "figures").glob("*.png"))) >= 6


def test_04_on_an_empty_folder_stops_with_one_sentence_naming_the_notebook(tmp_path):
    import papermill as pm

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(pm.PapermillExecutionError) as info:
        _papermill_04(tmp_path, empty, empty)
    assert info.value.ename == "RegisterError"
    assert "01_clean" in info.value.evalue and "\n" not in info.value.evalue
    assert "Traceback" not in "".join(info.value.traceback)
