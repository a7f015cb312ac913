"""Notebook parameters checked by value before any kernel starts.

Each constraint is written once, next to its parameter, at the end of the help comment in the
notebook's ``parameters`` cell, so that the cell, ``papermill --help-notebook``, the README's table
and this check read the same text::

    lang: str = "en"  # language of labels [one of: en, zh]
    bootstrap_reps: int = 999  # replicates for the 95% intervals [at least: 1]

The kinds of constraint are a registry (:data:`CHECKS`): adding one is one entry and its test. A check
takes the value, the text after the colon and a context (the run folder, for output folders) and
returns an error text or None.
"""

from __future__ import annotations

import ast
import codecs
import math
import re
from collections.abc import Callable
from pathlib import Path

from analysis.errors import ParameterError, RegisterError
from analysis.paths import display_path, require_regular_file

# Parameters that name where a notebook writes: inside the run folder for `analysis run`.
OUTPUT_FOLDERS = ("processed_dir", "tables_dir", "figures_dir")


_CONSTRAINT = re.compile(r"\[(?P<kind>[a-z][a-z A-Z]*?)(?::\s*(?P<args>[^\]]*))?\]\s*$")


# Parameters whose constraint says they are paths: a relative value is made absolute by the caller's
# rule (the working directory on the command line).
PATH_KINDS = ("existing files", "existing file or empty", "folder inside the run")


def constraint_of(help_text: str) -> tuple[str, str] | None:
    """The (kind, arguments) written at the end of a parameter's help, or None."""
    m = _CONSTRAINT.search(help_text or "")
    return (m["kind"].strip(), (m["args"] or "").strip()) if m else None


def _number(text: str) -> float:
    return float(text.replace("_", ""))


def _one_of(value, args, ctx) -> str | None:
    allowed = [a.strip() for a in args.split(",")]
    return None if str(value) in allowed else f"must be one of {', '.join(allowed)}"


def _at_least(value, args, ctx) -> str | None:
    return None if value >= _number(args) else f"must be at least {args}"


def _greater_than(value, args, ctx) -> str | None:
    return None if value > _number(args) else f"must be greater than {args}"


def _between(value, args, ctx) -> str | None:
    lo, hi = (a.strip() for a in args.split(","))
    return None if _number(lo) <= value <= _number(hi) else f"must be between {lo} and {hi}"


def _cpi_year(value, args, ctx) -> str | None:
    from analysis.reference import load_reference

    years = load_reference("cpi")["year"].astype(int)
    lo, hi = int(years.min()), int(years.max())
    return None if lo <= value <= hi else f"must be a year of the shipped CPI table ({lo}-{hi})"


REGISTER_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", "")


def expand_registers(values: list) -> list:
    """Register paths with folders and globs expanded: a folder stands for the register files directly
    in it (``.csv``, ``.tsv``, ``.txt``, ``.xlsx``, ``.xlsm``, ``.xls``; hidden files and files of other
    kinds left out), a path with ``*``, ``?`` or ``[`` for the files it matches; each sorted by name, so a
    register dropped into a watched folder is read by the next run. An entry that matches nothing is
    kept as it is (the check then names it)."""
    import glob

    out = []
    for item in values:
        if not isinstance(item, str) or not item:
            out.append(item)
            continue
        path = Path(item)
        if path.is_file():
            found = [item]
        elif path.is_dir():
            found = [
                str(p)
                for p in sorted(path.iterdir())
                if p.is_file()
                and not p.name.startswith(".")
                and p.suffix.lower() in REGISTER_SUFFIXES[:-1]
            ]
        elif any(ch in item for ch in "*?["):
            found = [p for p in sorted(glob.glob(item)) if Path(p).is_file()]
        else:
            found = []
        out.extend(found or [item])
    return list(dict.fromkeys(out))


def _existing_files(value, args, ctx) -> str | None:
    if not value:
        return "must name at least one file"
    for item in value:
        if not isinstance(item, str) or not item:
            return f"must be a list of file paths, got the item {_short(item)}"
        path = ctx["resolve"](item)
        try:
            require_regular_file(path)
        except Exception as exc:  # RegisterError: one line naming the file
            return str(exc)
        if args == "registers" and path.suffix.lower() not in REGISTER_SUFFIXES:
            return f"{display_path(path)}: not a register file (.csv, .tsv, .txt, .xlsx, .xls)"
    return None


def _read_overhead(path) -> None:
    from analysis.registers.overhead import read_overhead

    read_overhead(path)


# What a file named by ``[existing file or empty: KIND]`` must hold, read before any kernel starts, so
# that a bad table stops the run in one line before the notebooks that come before its reader run.
FILE_READERS: dict[str, Callable] = {"overhead table": _read_overhead}


def _existing_file_or_empty(value, args, ctx) -> str | None:
    if value == "":
        return None
    problem = _existing_files([value], "", ctx)
    if problem or not args:
        return problem
    if args not in FILE_READERS:
        return f"unknown kind of file [{args}] in its help"
    try:
        FILE_READERS[args](ctx["resolve"](value))
    except RegisterError as exc:  # one line naming the file, row, column and value
        return str(exc)
    return None


def _greater_than_parameter(value, args, ctx) -> str | None:
    other = ctx.get("values", {}).get(args)
    if other is None or value > other:
        return None
    return f"must be greater than {args} ({other:g})"


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _encoding_or_empty(value, args, ctx) -> str | None:
    if value == "":
        return None
    try:
        info = codecs.lookup(value)
    except LookupError:
        return f"unknown text encoding {value!r}"
    if not getattr(info, "_is_text_encoding", True):  # hex, base64, zlib: bytes to bytes
        return f"{value!r} is not a text encoding"
    return None


def _folder_in_run(value, args, ctx) -> str | None:
    run = ctx.get("run_folder")
    if run is None or not value:
        return None if value else "must name a folder"
    path = ctx["resolve"](value)
    if path == run or not path.is_relative_to(run):
        return (
            f"must be a folder inside the run folder {display_path(run)} (a run writes only there)"
        )
    return None


CHECKS: dict[str, Callable] = {
    "one of": _one_of,
    "at least": _at_least,
    "greater than": _greater_than,
    "between": _between,
    "a CPI year": _cpi_year,
    "existing files": _existing_files,
    "existing file or empty": _existing_file_or_empty,
    "encoding or empty": _encoding_or_empty,
    "greater than parameter": _greater_than_parameter,
    "folder inside the run": _folder_in_run,
}


_TYPES = {"int": int, "float": (int, float), "str": str, "list": list, "bool": bool}


def declared_parameters(path) -> dict[str, dict]:
    """The parameters a notebook declares (papermill's reading of its ``parameters`` cell)."""
    import papermill as pm

    return pm.inspect_notebook(str(path))


def check_types(params: dict, declared: dict[str, dict[str, dict]]) -> None:
    """Refuse unknown names and values of the wrong type (``declared``: notebook -> parameters)."""
    odd = [k for k in params if not isinstance(k, str)]
    if odd:
        raise ParameterError(f"parameter names must be text, got {_short(odd[0])}")
    known = set().union(*(d.keys() for d in declared.values())) if declared else set()
    unknown = sorted(set(params) - known)
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {', '.join(unknown)}; the notebooks take: "
            f"{', '.join(sorted(known))}"
        )
    for name, value in params.items():
        for spec in declared.values():
            if name not in spec:
                continue
            want = spec[name].get("inferred_type_name", "None")
            wrong = want in _TYPES and not isinstance(value, _TYPES[want])
            if wrong or (want in ("int", "float") and isinstance(value, bool)):
                raise ParameterError(f"parameter {name}={_short(value)}: expected {want}")
            if isinstance(value, float) and not math.isfinite(value):
                raise ParameterError(f"parameter {name}={value!r}: must be a finite number")


def check_values(params: dict, declared: dict[str, dict[str, dict]], **context) -> None:
    """Check each value against the constraint written in its help; one line for the first failure.

    ``context``: ``resolve`` (how a relative path is made absolute) and ``run_folder`` (where output
    folders must lie).
    """
    context.setdefault("resolve", lambda p: Path(p).resolve())
    context["values"] = {**_defaults(declared), **params}
    for name, value in params.items():
        spec = next((d[name] for d in declared.values() if name in d), None)
        rule = constraint_of(spec.get("help", "")) if spec else None
        if rule is None:
            continue
        kind, args = rule
        if kind not in CHECKS:
            raise ParameterError(f"parameter {name}: unknown constraint [{kind}] in its help")
        problem = CHECKS[kind](value, args, context)
        if problem:
            shown = value if not isinstance(value, str) else display_path(value)
            raise ParameterError(f"parameter {name}={_short(shown)}: {problem}")


def notebook_defaults(spec: dict[str, dict]) -> dict:
    """One notebook's own default values (``spec``: papermill's reading of its parameters cell)."""
    out = {}
    for name, info in spec.items():
        try:
            out[name] = ast.literal_eval(str(info.get("default")))
        except (ValueError, SyntaxError):
            continue
    return out


def _defaults(declared: dict[str, dict[str, dict]]) -> dict:
    """The notebooks' own default values (for constraints that compare two parameters)."""
    out = {}
    for spec in declared.values():
        out.update(notebook_defaults(spec))
    return out


def check_parameters(params: dict, declared: dict[str, dict[str, dict]], **context) -> None:
    """Types first, then values (see :func:`check_types` and :func:`check_values`)."""
    check_types(params, declared)
    check_values(params, declared, **context)


MAX_YAML_BYTES = 1 << 20


def read_yaml(path: Path, what: str) -> object:
    """A small YAML file of parameters or a grid: at most 1 MiB, no anchors or aliases (a few hundred
    bytes of nested aliases expand to gigabytes), read with the safe loader. One line on any problem."""
    import yaml

    name = display_path(path)
    try:
        require_regular_file(path, what=what)
        if path.stat().st_size > MAX_YAML_BYTES:
            raise ParameterError(f"{name}: a {what} over 1 MiB is not a {what}")
        text = path.read_text(encoding="utf-8")
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise ParameterError(f"{name}: YAML aliases (*name) are not accepted in a {what}")
        return yaml.safe_load(text)
    except ParameterError:
        raise
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ParameterError(f"{name}: cannot read the {what} ({exc.__class__.__name__})") from None
    except Exception as exc:  # RegisterError from require_regular_file: one line naming the file
        raise ParameterError(str(exc)) from None
