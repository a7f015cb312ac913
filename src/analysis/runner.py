"""Running the notebooks: papermill executes them in order into one run folder.

A run folder ``reports/<name>/`` holds ``notebooks/`` (executed), ``html/`` (rendered without input
cells), ``tables/``, ``figures/``, ``index.html`` and ``manifest.json``. The run is built beside the
last good one and replaces it only when every notebook succeeded; a failed run is kept as
``reports/<name>.failed/`` with the notebooks executed up to the error.
"""

from __future__ import annotations

import datetime as _dt
import html
import importlib.metadata as md
import json
import platform
import shutil
from pathlib import Path

from analysis.errors import ParameterError, RunError
from analysis.io import file_sha256, project_root, resolve_path, write_json

__all__ = ["NOTEBOOKS", "STAGES", "default_parameters", "render_html", "run_notebooks"]

NOTEBOOKS = ("01_clean", "02_cost_per_beneficiary", "03_regional_effects", "04_figures")
_VERSIONED = (
    "analysis",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "pyarrow",
    "papermill",
    "nbconvert",
    "pandera",
    "mplfonts",
)


def notebooks_dir() -> Path:
    root = project_root()
    if root is None:
        raise ParameterError("the notebooks are found from a source checkout; pass notebooks_dir=")
    return root / "notebooks"


def default_parameters(out: Path) -> dict:
    """Parameters of a run when none are given: the shipped simulated demo register."""
    return {
        "raw_paths": [str(resolve_path("data/raw/demo_register.csv"))],
        "processed_dir": str(resolve_path("data/processed")),
        "tables_dir": str(out / "tables"),
        "figures_dir": str(out / "figures"),
    }


def _declared(path: Path) -> dict:
    import papermill as pm

    return pm.inspect_notebook(str(path))


def _check_parameters(params: dict, declared: dict[str, dict]) -> None:
    known = set().union(*(d.keys() for d in declared.values()))
    unknown = sorted(set(params) - known)
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {', '.join(unknown)}; the notebooks take: "
            f"{', '.join(sorted(known))}"
        )
    casts = {"int": int, "float": (int, float), "str": str, "list": list, "bool": bool}
    for name, value in params.items():
        for spec in declared.values():
            if name in spec:
                want = spec[name].get("inferred_type_name", "None")
                if (
                    want in casts
                    and not isinstance(value, casts[want])
                    or (want in ("int", "float") and isinstance(value, bool))
                ):
                    raise ParameterError(f"parameter {name}={value!r}: expected {want}")


def _strip_volatile(nb) -> None:
    """Remove timings and ids that change on every run, so the rendered HTML is stable."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        cell["id"] = f"cell-{i}"


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
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(body, encoding="utf-8")
    return html_path


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def _hashes(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): file_sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json" and "notebooks" not in p.parts
    }


def _index_html(out: Path, manifest: dict) -> str:
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


# Notebooks in one stage do not depend on each other and run at the same time.
STAGES = (("01_clean",), ("02_cost_per_beneficiary", "03_regional_effects"), ("04_figures",))


def _execute(
    name: str, path: str, target: str, params: dict, kernel: str, cwd: str, cell_timeout: int
) -> str | None:
    """Run one notebook with papermill (in this process or a worker); return an error line or None."""
    import papermill as pm

    try:
        pm.execute_notebook(
            path,
            target,
            parameters=params,
            kernel_name=kernel,
            cwd=cwd,
            progress_bar=False,
            log_output=False,
            execution_timeout=cell_timeout,
        )
    except pm.PapermillExecutionError as exc:
        first = str(exc.evalue).splitlines()[0] if exc.evalue else ""
        return f"notebook {name} failed at cell {exc.exec_count}: {exc.ename}: {first}"
    except Exception as exc:  # a kernel that died or timed out: still one line naming the notebook
        first = str(exc).splitlines()[0] if str(exc) else ""
        return f"notebook {name} failed: {exc.__class__.__name__}: {first}"
    return None


def run_notebooks(
    out,
    *,
    parameters: dict | None = None,
    notebooks: tuple[str, ...] = NOTEBOOKS,
    source_dir=None,
    kernel_name: str = "python3",
    cell_timeout: int = 1800,
    run_timeout: int = 7200,
    parallel: bool = True,
) -> dict:
    """Execute the notebooks into the run folder ``out``; return the manifest.

    ``parameters`` override the defaults (the demo register); each notebook receives the parameters it
    declares. Unknown names and wrong types are refused before any kernel starts. 02 and 03 run at the
    same time after 01 (``parallel=False`` runs them one after another). ``cell_timeout`` bounds each
    cell and ``run_timeout`` the whole run (seconds). The run is built beside ``out`` and replaces it
    only when every notebook succeeded; otherwise it is kept as ``<out>.failed`` and :class:`RunError`
    names the notebook and cell.
    """
    import multiprocessing
    import time
    from concurrent.futures import ProcessPoolExecutor

    out = resolve_path(out)
    src = Path(source_dir) if source_dir else notebooks_dir()
    paths = {n: src / f"{n}.ipynb" for n in notebooks}
    for name, path in paths.items():
        if not path.is_file():
            raise ParameterError(f"notebook {name} not found at {path}")
    if cell_timeout <= 0 or run_timeout <= 0:
        raise ParameterError("cell_timeout and run_timeout must be positive (seconds)")
    declared = {n: _declared(p) for n, p in paths.items()}
    params = dict(parameters or {})
    _check_parameters(params, declared)
    building = out.with_name(f".{out.name}.building")
    failed = out.with_name(f"{out.name}.failed")
    shutil.rmtree(building, ignore_errors=True)
    (building / "notebooks").mkdir(parents=True)
    final_params = {**default_parameters(out), **params}
    # Outputs are written to their final names inside the building folder.
    run_params = {
        **final_params,
        "tables_dir": final_params["tables_dir"].replace(str(out), str(building)),
        "figures_dir": final_params["figures_dir"].replace(str(out), str(building)),
    }
    manifest = {
        "run": out.name,
        "parameters": final_params,
        "started": _now(),
        "status": "running",
        "notebooks": {},
        "versions": _versions(),
    }
    raw_paths = [resolve_path(p) for p in final_params.get("raw_paths", [])]
    manifest["inputs"] = {str(p): file_sha256(p) for p in raw_paths if p.is_file()}
    manifest["simulated_input"] = any("demo_register" in p.name for p in raw_paths)
    stages = [tuple(n for n in stage if n in paths) for stage in STAGES]
    stages += [(n,) for n in paths if not any(n in st for st in STAGES)]
    deadline = time.monotonic() + run_timeout

    def job(name):
        own = {k: v for k, v in run_params.items() if k in declared[name]}
        manifest["notebooks"][name] = {"parameters": own}
        target = building / "notebooks" / f"{name}.ipynb"
        return (name, str(paths[name]), str(target), own, kernel_name, str(src), cell_timeout)

    def fail(message: str):
        manifest.update(status="failed", finished=_now(), error=message[:500])
        write_json(manifest, building / "manifest.json")
        shutil.rmtree(failed, ignore_errors=True)
        building.rename(failed)
        raise RunError(f"{message} (executed notebooks kept in {failed})")

    for stage in (st for st in stages if st):
        if len(stage) > 1 and parallel:
            ctx = multiprocessing.get_context("spawn")  # no fork of a process holding zmq sockets
            with ProcessPoolExecutor(max_workers=len(stage), mp_context=ctx) as pool:
                futures = {n: pool.submit(_execute, *job(n)) for n in stage}
                errors = []
                for name, fut in futures.items():
                    try:
                        errors.append(fut.result(timeout=max(deadline - time.monotonic(), 1)))
                    except TimeoutError:
                        errors.append(
                            f"notebook {name} exceeded the run timeout of {run_timeout} s"
                        )
        else:
            errors = [_execute(*job(n)) for n in stage]
        errors = [e for e in errors if e]
        if errors:
            fail(errors[0])
        if time.monotonic() > deadline:
            fail(f"run exceeded its timeout of {run_timeout} s after {', '.join(stage)}")
        for name in stage:
            render_html(
                building / "notebooks" / f"{name}.ipynb", building / "html" / f"{name}.html"
            )
    manifest.update(status="succeeded", finished=_now())
    manifest["outputs"] = _hashes(building)
    (building / "index.html").write_text(_index_html(building, manifest), encoding="utf-8")
    manifest["outputs"]["index.html"] = file_sha256(building / "index.html")
    write_json(manifest, building / "manifest.json")
    if out.exists():
        shutil.rmtree(out)
    building.rename(out)
    shutil.rmtree(failed, ignore_errors=True)
    return manifest


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
