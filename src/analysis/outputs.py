"""Writing outputs: atomic writers (temporary name, then moved into place, so a failed step never leaves
half-written files over the last good ones), the schema-checked cleaned table, and figure saving (the
one place figures are written). Relative paths are taken from the project folder found from the
working directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from analysis.errors import ParameterError, RegisterError
from analysis.paths import display_path, resolve_path


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes as hex, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_table(path) -> pd.DataFrame:
    """Read a CSV table written by :func:`write_table` (relative paths are taken from the project).
    A run's table that is not there stops with one sentence naming the notebook that writes it."""
    from analysis.schema import RUN_TABLES

    full = resolve_path(path)
    if not full.is_file():
        writer = RUN_TABLES.get(full.name)
        how = f"run {writer} first (or `analysis run`)" if writer else "check the path"
        raise RegisterError(f"this table does not exist yet; {how}", file=display_path(full))
    return pd.read_csv(full)


def _umask() -> int:
    """The process's umask (read without changing it where /proc allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a new file gets from the user's umask (0644 under the usual 022)."""
    return 0o666 & ~_umask()


def write_text(text: str, path) -> Path:
    """Write a text file (UTF-8, newlines as given) under a temporary name, then move it into place
    with the permissions of the user's umask; relative paths are taken from the project folder."""
    path = resolve_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.NamedTemporaryFile(  # a hidden name that says whose it is, unique per writer
            "w",
            dir=path.parent,
            prefix=f".{path.name[:100]}.",
            suffix=".tmp",
            delete=False,
            encoding="utf-8",
            newline="",
        ) as fh
    ):
        tmp = fh.name
        try:
            fh.write(text)
            os.fchmod(fh.fileno(), file_mode())  # mkstemp makes 0600: co-authors could not read
        except BaseException:
            fh.close()
            os.unlink(tmp)
            raise
    _move_into_place(Path(tmp), path)
    return path


def _move_into_place(tmp: Path, path: Path) -> None:
    """Rename our temporary file over ``path``; if that fails (``path`` is a folder, say), remove the
    temporary file so nothing of ours is left beside the user's files."""
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# Significant digits of the numbers in a written table: far beyond any estimate's precision, and short
# of the last bits, which move with the number of BLAS threads of the machine (1 under `make test`, 2
# under `make report` here) and would make the same run's bytes differ between machines.
TABLE_DIGITS = 12


def write_table(frame: pd.DataFrame, path) -> Path:
    """Write a CSV table (UTF-8, no index, floats to ``TABLE_DIGITS`` significant digits)
    atomically; relative paths are taken from the project."""
    text = frame.to_csv(index=False, lineterminator="\n", float_format=f"%.{TABLE_DIGITS}g")
    return write_text(text, path)


def write_json(obj, path) -> Path:
    """Write JSON (UTF-8, sorted keys) atomically; relative paths are taken from the project."""
    text = json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    return write_text(text + "\n", path)


CLEAN_OUTPUTS = ("projects.parquet", "rejected.csv", "cleaning_report.json")


def check_clean_out(out: Path) -> Path:
    """Refuse a folder for the cleaning outputs that is a file, or that holds files of those names
    that the toolkit did not write (no cleaning report of ours beside them)."""
    name = display_path(out)
    if out.exists() and not out.is_dir():
        raise RegisterError("exists and is not a folder", file=name)
    present = [n for n in CLEAN_OUTPUTS if (out / n).exists()]
    if present:
        report = out / "cleaning_report.json"
        try:
            ours = "rows_in" in json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError):
            ours = False
        if not ours:
            raise RegisterError(
                f"holds {', '.join(present)} not written by `analysis clean`; choose another --out",
                file=name,
            )
    return out


_STAGING = re.compile(r"\.staging-(\d+)-[a-z0-9_]{8}")


_STAGING_MARK = ".analysis-staging"


def _remove_dead_staging(out: Path) -> None:
    """Staging folders of `analysis clean` processes that were killed: named as mkdtemp names ours,
    holding our mark, and their pid gone. Anything else is left alone."""
    for folder in out.glob(".staging-*"):
        m = _STAGING.fullmatch(folder.name)
        if not m or folder.is_symlink() or not (folder / _STAGING_MARK).is_file():
            continue
        try:
            os.kill(int(m.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass


def write_clean_outputs(result, out_dir) -> dict[str, Path]:
    """Write ``projects.parquet``, ``rejected.csv`` and ``cleaning_report.json`` into ``out_dir``.

    The table is validated against the canonical schema first; every file is written under a
    temporary name and moved into place only when all three are written.
    """
    from analysis.schema import validate_projects

    validate_projects(result.data)
    out = resolve_path(out_dir)
    if out.exists() and not out.is_dir():
        raise RegisterError("exists and is not a folder", file=display_path(out))
    out.mkdir(parents=True, exist_ok=True)
    from analysis.locks import RunLock

    # Two `analysis clean` at once to one folder would mix their three files: one at a time. Under
    # the lock, files of those names that the toolkit did not write are refused (a notebook run in
    # the lab reaches here without the command line's check).
    with RunLock(out / "clean-outputs"):
        check_clean_out(out)
        return _write_clean_outputs(result, out)


def _write_clean_outputs(result, out: Path) -> dict[str, Path]:
    _remove_dead_staging(out)
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{os.getpid()}-", dir=out))
    try:
        (staging / _STAGING_MARK).touch()
        result.data.to_parquet(staging / "projects.parquet", index=False)
        write_table(result.rejected, staging / "rejected.csv")
        write_json(result.report, staging / "cleaning_report.json")
        paths = {}
        for name in CLEAN_OUTPUTS:
            os.replace(staging / name, out / name)
            paths[name] = out / name
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return paths


def read_projects(processed_dir) -> pd.DataFrame:
    """Read ``projects.parquet`` from a processed folder and check it against the canonical schema."""
    from analysis.schema import validate_projects

    path = resolve_path(processed_dir) / "projects.parquet"
    if not path.is_file():
        raise RegisterError(
            "no cleaned data here; run 01_clean or `analysis clean` first", file=display_path(path)
        )
    return validate_projects(pd.read_parquet(path))


def save_figure(fig, out_dir, name: str, *, formats=("png", "svg", "pdf")) -> dict[str, Path]:
    """Save a figure as PNG (300 dpi), SVG and PDF with the metadata that changes between runs removed
    (dates, software strings; SVG ids are salted by the house style), so the same figure gives the same
    bytes. The one place where figures are written."""
    import matplotlib as mpl

    if not name or name != Path(name).name or name.startswith(".") or "\x00" in name:
        raise ParameterError(f"a figure name must be a plain file name, got {name!r}")
    out = resolve_path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    metadata = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
    }
    paths = {}
    with mpl.rc_context({"svg.hashsalt": "analysis", "pdf.fonttype": 42}):
        for fmt in formats:
            path = out / f"{name}.{fmt}"
            # A unique temporary name: two sessions saving the same figure never share one, and a
            # file of the user's is never taken for ours.
            fd, tmp_name = tempfile.mkstemp(prefix=f".{name[:100]}.", suffix=f".tmp.{fmt}", dir=out)
            tmp = Path(tmp_name)
            try:
                os.fchmod(fd, file_mode())
                os.close(fd)
                fig.savefig(tmp, format=fmt, dpi=300, metadata=metadata[fmt])
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            _move_into_place(tmp, path)
            paths[fmt] = path
    return paths
