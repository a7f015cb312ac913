"""What a run records of its parameters: the full set the notebooks used (for the manifest and the
index page) and the executed notebooks' own record of them.
"""

from __future__ import annotations

import os
from pathlib import Path

from analysis.outputs import write_text
from analysis.paths import find_project
from analysis.run.parameters import PATH_KINDS, constraint_of, notebook_defaults


def parameters_used(declared: dict, final: dict, run_defaults: dict, out: Path) -> dict:
    """Every parameter the run's notebooks take, with the value used (the notebook's default unless
    given), the notebooks that take it and whether it is the default (the run's own default for its
    output folders and input, ``run_defaults``, else the notebook's); path values relative to the run
    folder ``out``, so the record does not depend on where the run lies."""
    used: dict[str, dict] = {}
    for name, spec in declared.items():
        defaults = notebook_defaults(spec)
        for key in spec:
            value = final.get(key, defaults.get(key))
            default = value == run_defaults.get(key, defaults.get(key))
            entry = used.setdefault(key, {"value": value, "notebooks": [], "default": default})
            entry["notebooks"].append(name)
    for key, entry in used.items():
        rule = constraint_of(next(d[key] for d in declared.values() if key in d).get("help", ""))
        if rule is not None and rule[0] in PATH_KINDS:
            entry["value"] = shown_path(entry["value"], out)
    return used


def shown_path(value, out: Path):
    """Absolute path text (or a list of them) shown without the machine's folders: relative to the
    project inside the project and outside the run folder (as the notebooks' defaults are written),
    else relative to the run folder ``out``."""
    if isinstance(value, list):
        return [shown_path(v, out) for v in value]
    if not (isinstance(value, str) and value and os.path.isabs(value)):
        return value
    path, project = Path(value), find_project()
    if project is not None and path.is_relative_to(project) and not path.is_relative_to(out):
        return path.relative_to(project).as_posix()
    return Path(os.path.relpath(path, out)).as_posix()


def record_parameters(notebook: Path, parameters: dict, out: Path) -> None:
    """The executed notebook's record of its parameters (papermill's metadata and the injected cell)
    rewritten with the values of the run folder, so it names no building folder that no longer
    exists (``out``: the run folder it will be in); opened in JupyterLab it reruns against the run's
    own folders."""
    import nbformat
    from papermill.translators import translate_parameters

    nb = nbformat.read(notebook, as_version=4)
    record = nb.metadata.setdefault("papermill", {})
    record["parameters"] = parameters
    record["output_path"] = str(out / "notebooks" / notebook.name)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = translate_parameters("python3", "python", parameters, "Parameters")
    write_text(nbformat.writes(nb) + "\n", notebook)
