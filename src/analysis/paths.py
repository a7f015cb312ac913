"""Where paths point: the project folder found from the working directory, and paths users type.

Two rules, and nothing decided at import time:

* **A path typed on the command line** (``analysis clean x.csv``, ``--out r``, ``-p raw_paths``) is taken
  from the working directory, as every command-line tool does (:func:`from_cwd`).
* **A relative path inside the library or a notebook** (the notebooks' defaults such as
  ``data/raw/demo_register.csv``) is taken from the *project folder*: the nearest folder, from the
  working directory upwards, that holds this project's ``pyproject.toml`` or its ``notebooks/``
  (:func:`find_project`, :func:`resolve_path`). Outside a project it is taken from the working directory.

The installed package's own location is never used, so a second clone sharing a virtual environment,
or a non-editable install, reads and writes its own files.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from analysis.errors import ParameterError, RegisterError

_NOTEBOOK_MARK = Path("notebooks") / "01_clean.ipynb"


def _is_project(folder: Path) -> bool:
    # A run folder holds notebooks/ too (executed copies), beside its manifest.json: not a project.
    if (folder / _NOTEBOOK_MARK).is_file() and not (folder / "manifest.json").exists():
        return True
    toml = folder / "pyproject.toml"
    if not toml.is_file():
        return False
    try:
        text = toml.read_text(encoding="utf-8", errors="replace")[:20_000]
    except OSError:
        return False
    return 'name = "analysis"' in text


def find_project(start: str | os.PathLike | None = None) -> Path | None:
    """The project folder: ``start`` (default: the working directory) or its nearest ancestor holding
    ``notebooks/01_clean.ipynb`` or a ``pyproject.toml`` of the package ``analysis``; None outside one."""
    try:
        here = Path(os.path.abspath(start if start is not None else os.getcwd()))
    except FileNotFoundError:  # the working directory was deleted under us
        return None
    for folder in (here, *here.parents):
        if _is_project(folder):
            return folder
    return None


def project_or_error() -> Path:
    """The project folder, or one line saying how to get one."""
    root = find_project()
    if root is None:
        raise ParameterError(
            f"no project folder at or above {display_path(Path.cwd())} (a folder holding "
            "notebooks/01_clean.ipynb); run the command from inside a clone of the project"
        )
    return root


def from_cwd(path: str | os.PathLike) -> Path:
    """A path typed by a user, made absolute from the working directory (``~`` expanded; ``..``
    folded without following links)."""
    text = os.fspath(path)
    if text == "":
        raise ParameterError("an empty path was given")
    return Path(os.path.abspath(os.path.expanduser(text)))


def resolve_path(path: str | os.PathLike) -> Path:
    """An absolute path: relative paths are taken from the project folder found from the working
    directory (the notebooks' defaults are written that way), or from the working directory outside
    a project."""
    text = os.fspath(path)
    if text == "":
        raise ParameterError("an empty path was given")
    p = Path(os.path.expanduser(text))
    if p.is_absolute():
        return Path(os.path.abspath(p))
    root = find_project()
    return Path(os.path.abspath((root or Path.cwd()) / p))


def display_path(path: str | os.PathLike) -> str:
    """A path as text that can always be printed and stored: bytes that are not UTF-8 shown as
    \\xNN."""
    raw = os.fsencode(path)
    return raw.decode("utf-8", errors="backslashreplace")


_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def read_error(exc: OSError, name: str) -> RegisterError:
    """The one line for a file that cannot be read, naming it (``name`` as shown to the user)."""
    if isinstance(exc, FileNotFoundError):
        return RegisterError("no such file", file=name)
    if isinstance(exc, PermissionError):
        return RegisterError("permission denied", file=name)
    if isinstance(exc, IsADirectoryError):
        return RegisterError("is a directory, not a register file", file=name)
    return RegisterError(f"cannot read ({exc.strerror or exc})", file=name)


def require_regular_file(path: Path, *, what: str = "register file") -> os.stat_result:
    """Stat ``path`` (following links) without opening it, and refuse anything but a regular file:
    opening a FIFO would wait forever and a device can be read without end."""
    name = display_path(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise read_error(exc, name) from None
    if not stat.S_ISREG(st.st_mode):
        kind = next((k for test, k in _KINDS if test(st.st_mode)), "not a regular file")
        raise RegisterError(f"is {kind}, not a {what}", file=name)
    return st
