"""Run folders: which places a run may write, one run at a time per folder, and no debris.

A run folder is the toolkit's when its ``manifest.json`` carries ``"made_by": "analysis run"`` (run
folders written before that marker existed are recognised by their manifest's ``run`` name and
``versions.analysis``). The rules on places, each enforced here and nowhere else:

* ``--out`` may be a new path, an empty folder, or an earlier run folder holding only the files its
  manifest lists. Anything else is refused before anything is touched: ``/``, the home folder or a
  parent of it, the project or a parent of it, the project's own folders (``src``, ``notebooks``,
  ``data/raw``, ``tests``, ``docs``, ``.git``, ``benchmarks``, ``scripts``) and anything inside them,
  a file, a symbolic link, a folder inside another run folder, a folder holding anything else.
* A run is built in ``.<name>.building-<pid>`` beside ``out`` and replaces ``out`` only when it
  succeeded; a failed run becomes ``<name>.failed`` (replaced only if it is a failed run folder).
* The next run removes what a killed run left behind: its building folder (marked
  ``.analysis-building``), a half-replaced folder, removals half done. (One run at a time per folder
  is the lock of :mod:`analysis.locks`, which the runner and the batch take.)
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import time
from pathlib import Path

from analysis.errors import ParameterError
from analysis.locks import pid_alive
from analysis.paths import display_path, find_project

MARK = {"made_by": "analysis run"}


BUILDING_MARK = ".analysis-building"


BATCH_MARK = "batch.json"


PROTECTED = ("src", "notebooks", "data/raw", "tests", "docs", ".git", "benchmarks", "scripts")


# What a run writes at its top level; a legacy run folder (no file list) may hold only these.
_RUN_ENTRIES = {
    "notebooks",
    "html",
    "tables",
    "figures",
    "processed",
    "index.html",
    "manifest.json",
}


def _manifest(folder: Path) -> dict | None:
    path = folder / "manifest.json"
    try:
        if not path.is_file() or path.stat().st_size > 50 << 20:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _marked(manifest: dict | None, folder: Path, *, failed: bool = False) -> bool:
    if not manifest:
        return False
    if manifest.get("made_by") == MARK["made_by"]:
        return True
    # Run folders from before the marker: their manifest names the run and the package version.
    name = folder.name.removesuffix(".failed") if failed else folder.name
    versions = manifest.get("versions")
    return manifest.get("run") == name and isinstance(versions, dict) and "analysis" in versions


def _files(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if not p.is_dir() or p.is_symlink()
    }


def _listed(manifest: dict) -> set[str] | None:
    """The files a run folder's manifest says the run wrote, or None when it does not say.

    Marked manifests list them in ``files``; manifests from before the mark list the outputs by hash
    (``outputs``) and the notebooks by name."""
    files = manifest.get("files")
    if manifest.get("made_by") == MARK["made_by"]:
        if isinstance(files, list) and all(isinstance(f, str) for f in files):
            return {*files, "manifest.json"}
        return None
    outputs, notebooks = manifest.get("outputs"), manifest.get("notebooks")
    if not isinstance(outputs, dict) or not isinstance(notebooks, dict):
        return None
    return {*map(str, outputs), *(f"notebooks/{n}.ipynb" for n in notebooks), "manifest.json"}


def foreign_files(folder: Path, manifest: dict) -> list[str]:
    """Files in a run folder that the run did not write (a user's own notes, say); every file when
    the manifest does not list what the run wrote."""
    present = _files(folder) - {BUILDING_MARK}
    listed = _listed(manifest)
    return sorted(present if listed is None else present - listed)


def is_run_folder(folder: Path, *, failed: bool = False) -> bool:
    """A folder written by ``analysis run`` (marked in its manifest)."""
    return (
        folder.is_dir()
        and not folder.is_symlink()
        and _marked(_manifest(folder), folder, failed=failed)
    )


def _refuse(out: Path, why: str, flag: str) -> ParameterError:
    return ParameterError(f"{flag} {display_path(out)}: {why}; nothing was touched")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _check_name(out: Path, flag: str) -> None:
    """Refuse a name that is not valid UTF-8 and a symbolic link."""
    try:
        os.fsencode(out).decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(out, "is not a valid UTF-8 name (rename it)", flag) from None
    if out.is_symlink():
        raise _refuse(out, "is a symbolic link (give the folder it points to)", flag)


def _check_outside_project(out: Path, real: Path, flag: str) -> None:
    """Refuse the project folder (of ``real`` or of the working directory), a parent of it, and
    anything inside its protected folders."""
    project = find_project(real.parent if not real.exists() else real) or find_project()
    for root in {p for p in (project, find_project()) if p is not None}:
        root = Path(os.path.realpath(root))
        if _inside(root, real):
            raise _refuse(out, "is the project folder or a parent of it", flag)
        for sub in PROTECTED:
            if _inside(real, root / sub) or _inside(real, Path(os.path.realpath(root / sub))):
                raise _refuse(
                    out, f"is inside the project's {sub}/ (not a place for outputs)", flag
                )


def _check_place(out: Path, flag: str) -> Path:
    """The checks shared by run and batch folders; return the real path (links resolved)."""
    _check_name(out, flag)
    real = Path(os.path.realpath(out))
    if real == Path(real.anchor):
        raise _refuse(out, "is the file-system root", flag)
    home = Path(os.path.realpath(Path.home()))
    if _inside(home, real):
        raise _refuse(out, "is the home folder or a parent of it", flag)
    _check_outside_project(out, real, flag)
    if real.exists() and not real.is_dir():
        raise _refuse(out, "exists and is not a folder", flag)
    for parent in real.parents:
        if is_run_folder(parent) or is_run_folder(parent, failed=True):
            raise _refuse(out, f"is inside the run folder {display_path(parent)}", flag)
    return real


def check_out(out: Path, *, flag: str = "--out") -> Path:
    """Refuse a run folder the toolkit may not replace (see the module's rules); return its real path.

    Names ending in ``.failed`` or starting with ``.`` are another run's failed folder or the hidden
    building, lock and discard folders: a run there would race the run that owns them (which holds a
    different lock)."""
    if out.name.endswith(".failed") or out.name.startswith("."):
        raise _refuse(out, "is a name the toolkit keeps for its own (.failed, hidden)", flag)
    real = _check_place(out, flag)
    if real.is_dir():
        entries = list(real.iterdir())
        if entries:
            manifest = _manifest(real)
            if not _marked(manifest, real):
                raise _refuse(
                    out,
                    "exists and is not a run folder of this toolkit (it holds "
                    f"{', '.join(sorted(display_path(e.name) for e in entries)[:5])}); choose a new "
                    "--out",
                    flag,
                )
            foreign = foreign_files(real, manifest)
            if foreign:
                raise _refuse(
                    out,
                    f"is a run folder but holds files the run did not write ({', '.join(foreign[:5])}); "
                    "move them out first",
                    flag,
                )
    failed = real.with_name(f"{real.name}.failed")
    if failed.exists() or failed.is_symlink():
        if not is_run_folder(failed, failed=True):
            raise _refuse(
                out, f"{display_path(failed)} exists and is not a failed run folder", flag
            )
        foreign = foreign_files(failed, _manifest(failed) or {})
        if foreign:
            raise _refuse(
                out,
                f"{display_path(failed)} holds files the run did not write "
                f"({', '.join(foreign[:5])}); move them out first",
                flag,
            )
    return real


def check_batch_folder(out: Path, name: str) -> Path:
    """The folder of a batch (``out/name``): a parent of run folders, never replaced; refused where a
    run folder would be refused, or when it exists and is not a batch folder. Return its real path."""
    plain_name(name, what="batch name")
    parent = _check_place(out, "--out")
    folder = parent / name
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise _refuse(folder, "exists and is not a folder", "batch folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / BATCH_MARK).is_file():
        if not (folder / "batch_summary.csv").is_file():  # batches from before the marker
            raise _refuse(
                folder, "exists and is not a batch folder of this toolkit", "batch folder"
            )
    return folder


def plain_name(name: str, *, what: str = "name") -> str:
    """A folder name with no separators, no leading dot, not '.' or '..'."""
    if (
        not isinstance(name, str)
        or not name.strip()
        or name in {".", ".."}
        or name.startswith(".")
        or any(c in name for c in "/\\\x00")
        or len(name.encode("utf-8", "surrogateescape")) > 200
    ):
        raise ParameterError(
            f"{what} {name!r} must be a plain folder name (no '/', '\\', leading '.' or '..')"
        )
    return name


def new_building(out: Path) -> Path:
    """Create this process's building folder beside ``out``, marked as the toolkit's."""
    building = out.with_name(f".{out.name}.building-{os.getpid()}")
    if building.exists():
        remove_own(building)
    building.mkdir(parents=True)
    (building / BUILDING_MARK).write_text(json.dumps({"pid": os.getpid()}), encoding="utf-8")
    return building


def _wait_for_workers(folder: Path, seconds: float = 15.0) -> None:
    """Wait until the worker processes recorded in a stale building folder have ended (they end by
    themselves within a second of their parent's death)."""
    pids = []
    for mark in folder.glob(".worker-*"):
        with contextlib.suppress(ValueError):
            pids.append(int(mark.name.removeprefix(".worker-")))
    deadline = time.monotonic() + seconds
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)


def _discard(folder: Path, base: str | None = None) -> None:
    """Rename a folder of ours to ``.<base>.discard-<pid>-<ns>`` (``base``: the name of the run folder
    it belongs to) and remove it: a kill in the middle of the removal leaves a name that says it is
    ours to remove (:func:`clean_debris` of that run folder finishes it)."""
    if base is None:
        m = re.fullmatch(r"\.(.+)\.(?:building|previous)-\d+", folder.name)
        base = m.group(1) if m else folder.name.lstrip(".")
    target = folder.with_name(f".{base}.discard-{os.getpid()}-{time.monotonic_ns()}")
    folder.rename(target)
    shutil.rmtree(target, ignore_errors=True)


def remove_own(folder: Path) -> None:
    """Remove a building folder of the toolkit's (it holds the mark); anything else is left alone."""
    if folder.is_dir() and not folder.is_symlink() and (folder / BUILDING_MARK).is_file():
        _wait_for_workers(folder)
        _discard(folder)


def clean_debris(out: Path) -> list[str]:
    """Remove what killed runs of ``out`` left behind; call only while holding its :class:`RunLock`.

    A folder half-replaced by a killed run (``.<name>.previous-<pid>`` with ``out`` missing) is put
    back; building folders of dead runs are removed; nothing unmarked is touched. Returns what was
    done, for the log.
    """
    if not out.parent.is_dir():
        return []
    return [*_previous_debris(out), *_building_debris(out), *_discard_debris(out)]


def _debris(out: Path, kind: str, tail: str) -> list[Path]:
    """Folders beside ``out`` named ``.<out name>.<kind>-<tail>`` exactly (the name taken literally)."""
    pattern = rf"\.{re.escape(out.name)}\.{kind}-{tail}"
    found = out.parent.glob(f".{glob.escape(out.name)}.{kind}-*")
    return [p for p in sorted(found) if re.fullmatch(pattern, p.name)]


def _previous_debris(out: Path) -> list[str]:
    """Put back a run folder a killed run had moved aside, or remove it if ``out`` is there again;
    one holding files the run did not write is kept."""
    done = []
    for previous in _debris(out, "previous", r"\d+"):
        if not is_run_folder(previous):
            continue
        if not out.exists():
            previous.rename(out)
            done.append(f"restored {display_path(out)} from an interrupted replacement")
        elif foreign_files(previous, _manifest(previous) or {}):
            done.append(f"kept {display_path(previous)}: it holds files the run did not write")
        else:
            _discard(previous)
            done.append(f"removed {display_path(previous)}")
    return done


def _building_debris(out: Path) -> list[str]:
    """Remove the marked building folders of dead runs of ``out``."""
    done = []
    for building in _debris(out, "building", r"\d+"):
        if (building / BUILDING_MARK).is_file():
            remove_own(building)
            done.append(f"removed {display_path(building)}")
    return done


def _discard_debris(out: Path) -> list[str]:
    """Finish removals a killed run had started (a symbolic link of that name is left alone)."""
    done = []
    for discard in _debris(out, "discard", r"\d+-\d+"):
        shutil.rmtree(discard, ignore_errors=True)
        done.append(f"removed {display_path(discard)}")
    return done


def remove_failed(failed: Path) -> bool:
    """Remove an earlier failed run folder if it is one and holds only what the run wrote."""
    if not is_run_folder(failed, failed=True):
        return not failed.exists()
    if foreign_files(failed, _manifest(failed) or {}):
        return False
    _discard(failed, failed.name.removesuffix(".failed"))  # a kill midway is finished later
    return True


def replace_with(building: Path, out: Path) -> None:
    """Put the finished run in place of ``out`` (an earlier run folder or nothing). Between the two
    renames a kill leaves ``.<name>.previous-<pid>``, which :func:`clean_debris` puts back."""
    if out.exists():
        # Checked at the start, and again now: a file the user put into the old run folder while
        # this run worked would otherwise go with the old run.
        manifest = _manifest(out)
        entries = list(out.iterdir())
        if entries and (not _marked(manifest, out) or foreign_files(out, manifest)):
            found = foreign_files(out, manifest or {}) or sorted(e.name for e in entries)
            raise ParameterError(
                f"{display_path(out)} gained files the run did not write while it ran "
                f"({', '.join(found[:5])}); it was left as it was and the new run discarded: move "
                "them out and run again"
            )
        previous = out.with_name(f".{out.name}.previous-{os.getpid()}")
        out.rename(previous)
        building.rename(out)
        _discard(previous)
    else:
        building.rename(out)
