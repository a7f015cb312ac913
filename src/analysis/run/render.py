"""Rendering a run's notebooks: each executed notebook as HTML with its inputs hidden (timing and other
volatile metadata removed, consecutive stream outputs joined, so the same run gives the same bytes), no
script from the network and a link back to the run's index page (``analysis.run.site``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from analysis.outputs import write_text
from analysis.run.site import heading_text, site_text


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


def _translate_headings(nb, lang: str) -> None:
    """Markdown headings in ``lang`` (the report site's text table); the prose stays as written."""
    if lang == "en":
        return
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = []
        for line in cell.source.splitlines():
            hashes, _, text = line.partition(" ")
            if hashes and set(hashes) == {"#"} and text:
                line = f"{hashes} {heading_text(text, lang)}"
            lines.append(line)
        cell.source = "\n".join(lines)


def _template_dir() -> str:
    return str(resources.files("analysis") / "data" / "nbconvert")


def render_html(notebook_path: Path, html_path: Path, *, lang: str = "en") -> Path:
    """Render an executed notebook to HTML without input cells and without volatile metadata, with
    headings in ``lang``, no script loaded from the network (the page opens offline) and a link back to
    the run's index page."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook_path, as_version=4)
    _strip_volatile(nb)
    _translate_headings(nb, lang)
    exporter = HTMLExporter(
        template_name="lab",
        extra_template_paths=[_template_dir()],
        template_file="offline.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code="zh" if lang == "zh" else "en",
    )
    resources_ = {
        "metadata": {"name": notebook_path.stem},
        "back_label": site_text("back", lang),
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources_)
    return write_text(body, html_path)
