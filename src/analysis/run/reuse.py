"""Reusing what has not changed, by content: a notebook of a run is not executed again when its source,
its parameters and the bytes of every file it reads are those recorded for it in the last good run of
the same folder, or else of another good run folder named by the run (``reuse_from``: a batch's sets
that clean the same registers alike share one cleaning); its outputs are then taken over from that
run (after checking their hashes). The key is portable: the output folders enter it relative to the
run folder, so the same notebook with the same inputs has the same key in every run folder.

What each notebook writes is stated once (:func:`writer_of`, from the run folder's layout and
``analysis.schema.RUN_TABLES``), so the files a notebook reads are the files its upstream notebooks wrote
(``NEEDS``) plus the input files its parameters name. No timestamps are compared.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata as md
import json
import os
import platform
import shutil
from pathlib import Path, PurePosixPath

from analysis.outputs import file_sha256
from analysis.run.parameters import OUTPUT_FOLDERS, constraint_of
from analysis.run.record import record_parameters, shown_path
from analysis.schema import NOTEBOOKS, RUN_TABLES

# The libraries whose versions a run records; a change of any makes every notebook run again.
VERSIONED = (
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

# A file taken over from another run folder is shared (one inode) and made read-only for everyone.
SHARED_MODE = 0o444

# What each notebook reads from the notebooks before it (a run folder starts empty).
NEEDS = {
    "02_cost_per_beneficiary": ("01_clean",),
    "03_regional_effects": ("01_clean",),
    "05_cost_effectiveness": ("01_clean",),
    "04_figures": ("01_clean", "02_cost_per_beneficiary", "03_regional_effects"),
}

# Parameters whose values are input files a notebook reads (by their constraint).
INPUT_KINDS = ("existing files", "existing file or empty")


def writer_of(relative: str) -> str | None:
    """The notebook that writes a file of a run folder (a path relative to it), or None for the files
    the run itself writes (index, manifest, the tables for print)."""
    parts = relative.split("/")
    if parts[0] == "processed":
        return "01_clean"
    if parts[0] == "figures":
        return "04_figures"
    if parts[0] in ("notebooks", "html") and len(parts) == 2:
        stem = Path(parts[1]).stem
        return stem if stem in NOTEBOOKS else None
    if parts[0] == "tables" and len(parts) == 2 and parts[1] in RUN_TABLES:
        return RUN_TABLES[parts[1]]
    return None


def versions() -> dict:
    """The Python version and the versions of :data:`VERSIONED` (None for one not installed)."""
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def code_key(versions: dict) -> str:
    """The sha256 of the package's own files (code and data) and the versions of the libraries that
    draw and compute: a change to either makes every notebook run again."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(json.dumps(versions, sort_keys=True).encode())
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".csv", ".j2", ".md"):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def previous_run(folder: Path) -> dict | None:
    """The manifest of the last good run in ``folder`` (None when there is none)."""
    path = folder / "manifest.json"
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    good = isinstance(manifest, dict) and manifest.get("status") == "succeeded"
    return manifest if good else None


def written_by(folder: Path, name: str) -> dict[str, str]:
    """{path relative to ``folder``: sha256} of the files in ``folder`` that notebook ``name`` writes."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and not path.is_symlink() and writer_of(rel) == name:
            out[rel] = file_sha256(path)
    return out


def _input_files(params: dict, spec: dict) -> list[str]:
    """The input files named by a notebook's parameters (absolute paths, as the run checked them)."""
    files = []
    for key, value in params.items():
        rule = constraint_of(spec.get(key, {}).get("help", ""))
        if rule is None or rule[0] not in INPUT_KINDS:
            continue
        files += [v for v in (value if isinstance(value, list) else [value]) if v]
    return sorted(files)


def reads_key(name: str, source: Path, params: dict, spec: dict, building: Path) -> str:
    """The sha256 of everything notebook ``name`` depends on: its source, its parameters (as recorded
    in the manifest), the bytes of its input files and of the files its upstream notebooks wrote into
    the building folder."""
    upstream = {}
    for need in NEEDS.get(name, ()):
        upstream.update(
            {
                rel: sha
                for rel, sha in written_by(building, need).items()
                if not rel.startswith(("notebooks/", "html/"))
            }
        )
    record = {
        "source": file_sha256(source),
        "parameters": params,
        "inputs": {p: file_sha256(Path(p)) for p in _input_files(params, spec)},
        "upstream": upstream,
    }
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def notebook_key(name: str, source: Path, final: dict, spec: dict, out: Path, code: str, building):
    """:func:`reads_key` of notebook ``name`` in a run into ``out`` with parameters ``final`` (the
    notebook's own taken from them, its output folders relative to ``out``, so the key does not
    depend on where the run lies) and the package's ``code`` key."""
    shown = {k: v for k, v in final.items() if k in spec}
    portable = {k: shown_path(v, out) if k in OUTPUT_FOLDERS else v for k, v in shown.items()}
    return reads_key(name, source, {**portable, "_code": code}, spec, building)


def _plain(rel, name: str) -> bool:
    """Whether ``rel`` (from a manifest) is a path inside a run folder that notebook ``name`` writes:
    relative, without ``..``, so a manifest of another folder cannot point a link elsewhere."""
    if not isinstance(rel, str) or not rel:
        return False
    parts = PurePosixPath(rel).parts
    return not PurePosixPath(rel).is_absolute() and ".." not in parts and writer_of(rel) == name


def reusable(previous: dict | None, name: str, key: str | None, old_folder: Path) -> bool:
    """Whether notebook ``name`` can be taken over from the previous run in ``old_folder``: the
    previous run succeeded, recorded the same key (None: any key, for a notebook carried over by a
    partial run), and every file it wrote is still there with the recorded bytes."""
    if not previous or previous.get("status") != "succeeded":
        return False
    record = (previous.get("notebooks") or {}).get(name)
    if not isinstance(record, dict) or not isinstance(record.get("writes"), dict):
        return False
    if key is not None and record.get("key") != key:
        return False
    for rel, sha in record["writes"].items():
        if not _plain(rel, name):
            return False
        path = old_folder / rel
        if not path.is_file() or path.is_symlink() or file_sha256(path) != sha:
            return False
    return True


class ChangedMeanwhile(Exception):
    """A file of the run being taken over changed between its check and its copy."""


def take_over(previous: dict, name: str, old_folder: Path, building: Path) -> dict:
    """Copy the files notebook ``name`` wrote in the previous run (and the tables for print made from
    them) into the building folder; return its manifest record, marked reused."""
    record = dict(previous["notebooks"][name])
    for rel, sha in record["writes"].items():
        _copy(old_folder / rel, building / rel)
        # Checked again on the copy: a run replacing the other folder between the check of
        # reusable() and the link would otherwise slip in a file of different bytes.
        if file_sha256(building / rel) != sha:
            for taken in record["writes"]:
                (building / taken).unlink(missing_ok=True)
            raise ChangedMeanwhile(f"{rel} of {old_folder.name} changed while it was taken over")
        if rel.startswith("tables/") and rel.endswith(".csv"):
            for printed in (Path(rel).with_suffix(".html"), Path(rel).with_suffix(".tex")):
                if (old_folder / printed).is_file():
                    _copy(old_folder / printed, building / printed)
    record["reused"] = True
    record["reused_from"] = "."
    return record


def take_over_shared(
    previous: dict, name: str, other: Path, building: Path, out: Path, parameters: dict
) -> dict:
    """Take over notebook ``name`` from the good run in another folder ``other`` (checked with
    :func:`reusable`): its files hard-linked into the building folder (copied where links fail) and
    made read-only, so that no run can change a file another run shares; the executed notebook gets
    this run's ``parameters`` (its own file, naming the run folder ``out``). Return the manifest
    record: reused, ``reused_from`` the other folder relative to ``out``."""
    record = take_over(previous, name, other, building)
    record["parameters"] = parameters
    executed = f"notebooks/{name}.ipynb"
    for rel in record["writes"]:
        if rel != executed:
            (building / rel).chmod(SHARED_MODE)
    if (building / executed).is_file():
        (
            building / executed
        ).unlink()  # a link to the other run's file: written anew, not through it
        shutil.copyfile(other / executed, building / executed)
        record_parameters(building / executed, parameters, out)
        record["writes"] = {**record["writes"], executed: file_sha256(building / executed)}
    record["reused_from"] = Path(os.path.relpath(other, out)).as_posix()
    return record


def _copy(src: Path, dst: Path) -> None:
    """A hard link where the file system allows one (the old run folder is discarded once the new
    one is in place, or is another run sharing the file read-only), else a copy."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        dst.unlink()
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
