"""Rendering a run: each executed notebook as HTML with its inputs hidden (timing and other volatile
metadata removed, consecutive stream outputs joined, so the same run gives the same bytes), and the
run's ``index.html`` linking the pages, tables and figures with the manifest's hashes.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from analysis.outputs import write_text
from analysis.schema import NOTEBOOKS


def _strip_volatile(nb) -> None:
    """Remove timings and ids that change on every run, and join a cell's consecutive stream outputs
    (the kernel sends printed text and warnings in chunks whose boundaries depend on timing), so the
    rendered HTML is stable."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        cell["id"] = f"cell-{i}"
        outputs = []
        for out in cell.get("outputs", []):
            last = outputs[-1] if outputs else None
            if (
                out.get("output_type") == "stream"
                and last is not None
                and last.get("output_type") == "stream"
                and last.get("name") == out.get("name")
            ):
                last["text"] = "".join(last["text"]) + "".join(out["text"])
            else:
                outputs.append(out)
        if "outputs" in cell:
            cell["outputs"] = outputs


def render_html(notebook_path: Path, html_path: Path) -> Path:
    """Render an executed notebook to HTML without input cells and without volatile metadata."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook_path, as_version=4)
    _strip_volatile(nb)
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": notebook_path.stem}})
    return write_text(body, html_path)


def index_html(out: Path, manifest: dict) -> str:
    """The run's index page: the simulated-data banner, the notebooks' pages, figures, tables,
    parameters and input hashes (no times, so the same run gives the same page)."""
    e = html.escape
    simulated = manifest.get("simulated_input")
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Run {e(manifest['run'])}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
        "img{max-width:100%;border:1px solid #ddd}.sim{color:#D55E00;font-weight:bold}"
        "td,th{padding:2px 8px;text-align:left}</style></head><body>",
        f"<h1>Run {e(manifest['run'])}</h1>",
    ]
    if simulated:
        parts.append(
            "<p class='sim'>Illustrative — the input is the SIMULATED demo register; "
            "no number here describes real projects.</p>"
        )
    parts.append(  # no times here, so the same run gives the same page; manifest.json has them
        f"<p>Status: {e(manifest['status'])}. Times, versions and output hashes: "
        "<a href='manifest.json'>manifest.json</a>.</p><h2>Notebooks</h2><ul>"
    )
    for name in NOTEBOOKS:
        parts.append(
            f"<li><a href='html/{name}.html'>{name}</a> "
            f"(<a href='notebooks/{name}.ipynb'>ipynb</a>)</li>"
        )
    parts.append("</ul><h2>Figures</h2>")
    for png in sorted((out / "figures").glob("*.png")):
        stem = png.stem
        parts.append(
            f"<figure><img src='figures/{e(png.name)}' alt='{e(stem)}'><figcaption>{e(stem)}: "
            f"<a href='figures/{e(stem)}.svg'>SVG</a> · <a href='figures/{e(stem)}.pdf'>PDF"
            "</a></figcaption></figure>"
        )
    parts.append("<h2>Tables</h2><ul>")
    for csv_path in sorted((out / "tables").glob("*.csv")):
        parts.append(f"<li><a href='tables/{e(csv_path.name)}'>{e(csv_path.name)}</a></li>")
    parts.append("</ul><h2>Parameters</h2><table>")
    for k, v in sorted(manifest["parameters"].items()):
        parts.append(f"<tr><th>{e(k)}</th><td>{e(json.dumps(v, ensure_ascii=False))}</td></tr>")
    parts.append("</table><h2>Input files</h2><table>")
    for k, v in sorted(manifest["inputs"].items()):
        parts.append(f"<tr><th>{e(k)}</th><td><code>sha256 {e(v)}</code></td></tr>")
    parts.append("</table></body></html>\n")
    return "".join(parts)
