"""The ``analysis`` command: run, batch, clean, inspect, demo-data.

Every failure prints one line on stderr and exits non-zero: 2 for an expected problem (bad input,
bad parameter, a refused folder, a failed notebook, an operating-system error such as a full disk),
3 for an unexpected one (set ANALYSIS_DEBUG=1 to see its traceback), 130 when interrupted. Paths
typed here are taken from the working directory.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings

from analysis.errors import AnalysisError, ParameterError
from analysis.paths import display_path, from_cwd


def _value(text: str):
    """A -p value: JSON when it parses (numbers, lists, true/false), else the text itself."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _cmd_run(args) -> int:
    """``analysis run``: the parameters of --params and -p, run into --out."""
    from analysis.paths import project_or_error
    from analysis.run.parameters import read_yaml
    from analysis.run.runner import run_notebooks

    params = {}
    if args.params:
        path = from_cwd(args.params)
        loaded = read_yaml(path, "parameter file") or {}
        if not isinstance(loaded, dict):
            raise ParameterError(
                f"{display_path(path)}: parameters must be a mapping of name: value"
            )
        params.update(loaded)
    for key, value in args.p or []:
        params[key] = _value(value)
    kwargs = {"notebooks": tuple(args.notebook)} if args.notebook else {}
    if args.out == "":
        raise ParameterError("--out is empty; name a folder for the run (default: reports/demo)")
    out = from_cwd(args.out) if args.out is not None else project_or_error() / "reports" / "demo"
    if args.reuse_from is not None:
        kwargs["reuse_from"] = from_cwd(args.reuse_from)
    manifest = run_notebooks(out, parameters=params, resolve=from_cwd, force=args.force, **kwargs)
    records = manifest["notebooks"].values()
    reused = sum(1 for r in records if r.get("reused"))
    ran = len(manifest["notebooks"]) - reused
    what = f"{ran} notebooks ran, {reused} unchanged and reused" if reused else f"{ran} notebooks"
    if reused and not ran:
        what = f"nothing changed: all {reused} notebooks reused"
    print(f"run {manifest['run']}: {manifest['status']} ({what}) -> {display_path(out)}")
    return 0


def _cmd_batch(args) -> int:
    from analysis.run.batch import read_grid, run_batch

    summary = run_batch(
        read_grid(from_cwd(args.grid)),
        out=from_cwd(args.out),
        scheduler=args.scheduler,
        workers=args.workers,
        connect_timeout=args.connect_timeout,
        progress=sys.stderr.isatty(),
    )
    failed = summary[summary["status"] != "succeeded"]
    print(f"batch: {len(summary) - len(failed)} of {len(summary)} runs succeeded")
    if len(failed):
        first = failed.iloc[0]
        print(
            f"analysis batch: error: {len(failed)} of {len(summary)} runs failed (each in "
            f"batch_summary.csv); first, {first['run']}: {first['error']}",
            file=sys.stderr,
        )
    return 1 if len(failed) else 0


def _cmd_clean(args) -> int:
    from analysis.outputs import check_clean_out, write_clean_outputs
    from analysis.registers.cleaning import clean_registers
    from analysis.registers.read import read_aliases, read_registers

    out = check_clean_out(from_cwd(args.out))
    aliases = read_aliases(from_cwd(args.aliases)) if args.aliases else None
    frames = read_registers(
        [from_cwd(p) for p in args.inputs],
        encoding=args.encoding,
        sheet=args.sheet,
        extra_aliases=aliases,
        **_limits(args),
    )
    result = clean_registers(frames, extra_aliases=aliases)
    write_clean_outputs(result, out)
    r = result.report
    print(
        f"rows in {r['rows_in']}, clean {r['rows_clean']}, rejected {r['rows_rejected']} "
        f"{json.dumps(r['rejected_by_reason'], ensure_ascii=False)} -> {display_path(out)}"
    )
    return 0


def _limits(args) -> dict:
    """The workbook limits of --max-cells and --max-xml-mb (cells, bytes), checked positive."""
    if args.max_cells < 1 or args.max_xml_mb <= 0:
        raise ParameterError("--max-cells and --max-xml-mb must be positive")
    return {"max_cells": args.max_cells, "max_xml_bytes": int(args.max_xml_mb * 2**20)}


def _cmd_inspect(args) -> int:
    from analysis.registers.inspection import inspect_register
    from analysis.registers.read import read_aliases

    aliases = read_aliases(from_cwd(args.aliases)) if args.aliases else None
    print(
        inspect_register(
            from_cwd(args.input),
            encoding=args.encoding,
            sheet=args.sheet,
            extra_aliases=aliases,
            **_limits(args),
        )
    )
    return 0


def _cmd_demo(args) -> int:
    from analysis.demo.register import write_demo_register
    from analysis.demo.simulate import DEMO_SEED

    if args.seed is None:
        args.seed = DEMO_SEED
    if args.seed < 0 or args.seed >= 2**63:
        raise ParameterError(f"--seed must be a whole number from 0 to 2**63 - 1, got {args.seed}")

    out = from_cwd(args.out) if args.out is not None else None
    if out is None:
        from analysis.paths import project_or_error

        out = project_or_error() / "data" / "raw"
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {display_path(out)}: exists and is not a folder")
    paths = write_demo_register(out, seed=args.seed)
    print(
        f"wrote {display_path(paths['register'])}, {display_path(paths['overhead'])} and "
        f"{display_path(paths['truth'])} "
        f"(SIMULATED data, seed {args.seed})"
    )
    return 0


def _limit_options(p: argparse.ArgumentParser) -> None:
    from analysis.registers.workbooks import DEFAULT_MAX_CELLS, DEFAULT_MAX_XML_BYTES

    p.add_argument(
        "--max-cells",
        type=int,
        default=DEFAULT_MAX_CELLS,
        help=f"refuse an .xlsx sheet spanning more cells (default {DEFAULT_MAX_CELLS:,})",
    )
    p.add_argument(
        "--max-xml-mb",
        type=float,
        default=DEFAULT_MAX_XML_BYTES / 2**20,
        help="refuse an .xlsx part unpacking to more MiB (default "
        f"{DEFAULT_MAX_XML_BYTES // 2**20:,})",
    )


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (the usage itself is in --help)."""

    def error(self, message: str):
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def _add_run(sub) -> None:
    """The ``run`` command and its options."""
    r = sub.add_parser("run", help="run every notebook in order into a run folder")
    r.add_argument("--params", help="YAML file of notebook parameters")
    r.add_argument(
        "--out",
        default=None,
        help="run folder: a new path, an empty folder or an earlier run folder (default: "
        "reports/demo of the project); anything else is refused",
    )
    r.add_argument(
        "-p",
        nargs=2,
        action="append",
        metavar=("KEY", "VALUE"),
        help="one parameter (JSON value or text); repeatable",
    )
    r.add_argument(
        "--notebook",
        action="append",
        metavar="NAME",
        help="rerun only this notebook (repeatable; default: all four); in an earlier run folder "
        "the others are kept as they were",
    )
    r.add_argument(
        "--force",
        action="store_true",
        help="execute every notebook, even those whose source, parameters and inputs are unchanged "
        "since the last good run in --out (which are otherwise reused)",
    )
    r.add_argument(
        "--reuse-from",
        default=None,
        metavar="FOLDER",
        help="another good run folder whose unchanged notebooks are taken over (hard-linked, "
        "read-only) when --out's own previous run has none",
    )
    r.set_defaults(func=_cmd_run)


def _add_batch(sub) -> None:
    """The ``batch`` command and its options (timeout in seconds)."""
    b = sub.add_parser("batch", help="one run per parameter set of a grid file, locally or on Dask")
    b.add_argument("--grid", required=True, help="YAML grid file (see analysis.run.batch)")
    b.add_argument("--out", default="reports", help="parent folder of the batch folder")
    b.add_argument(
        "--scheduler",
        default=None,
        help="Dask scheduler address, e.g. tcp://host:8786 (default: local processes)",
    )
    b.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        help="seconds to wait for the Dask scheduler (default 10)",
    )
    b.add_argument("--workers", type=int, default=2, help="local runs at a time")
    b.set_defaults(func=_cmd_batch)


def _add_clean(sub) -> None:
    """The ``clean`` command and its options."""
    c = sub.add_parser(
        "clean", help="clean registers into projects.parquet, rejected.csv, cleaning_report.json"
    )
    c.add_argument("inputs", nargs="+", help="register files (.csv, .tsv, .txt, .xlsx, .xls)")
    c.add_argument("--out", required=True, help="folder for the three outputs (created)")
    c.add_argument(
        "--encoding", default=None, help="text encoding of CSV inputs (default: detected)"
    )
    c.add_argument("--sheet", default=None, help="workbook sheet (default: every sheet)")
    c.add_argument("--aliases", default=None, help="CSV of extra header aliases (canonical,alias)")
    _limit_options(c)
    c.set_defaults(func=_cmd_clean)


def _add_inspect(sub) -> None:
    """The ``inspect`` command and its options."""
    i = sub.add_parser("inspect", help="show how a register would be read; writes nothing")
    i.add_argument("input", help="one register file")
    i.add_argument("--encoding", default=None, help="text encoding of a CSV (default: detected)")
    i.add_argument("--sheet", default=None, help="workbook sheet (default: every sheet)")
    i.add_argument("--aliases", default=None, help="CSV of extra header aliases (canonical,alias)")
    _limit_options(i)
    i.set_defaults(func=_cmd_inspect)


def _add_demo(sub) -> None:
    """The ``demo-data`` command and its options (the default seed is looked up only when the command
    runs: importing the simulator would load pandas for every ``--help``)."""
    d = sub.add_parser(
        "demo-data", help="regenerate the SIMULATED demo register and its truth file"
    )
    d.add_argument("--out", default=None, help="folder (default: data/raw of the project)")
    d.add_argument("--seed", type=int, default=None, help="random seed (default: the demo's own)")
    d.set_defaults(func=_cmd_demo)


def _parser() -> argparse.ArgumentParser:
    """The ``analysis`` command line: run, batch, clean, inspect, demo-data."""
    p = _Parser(prog="analysis", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in (_add_run, _add_batch, _add_clean, _add_inspect, _add_demo):
        add(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """The ``analysis`` command; returns the exit code (0, 2 for an expected problem, 3 internal,
    130 interrupted)."""
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 must still print
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = _parser().parse_args(argv)
    prefix = f"analysis {args.command}: error:"
    # A notice (a skipped sheet) is one line too, not the message and its source line.
    warnings.formatwarning = lambda message, *_a, **_k: (
        f"analysis {args.command}: warning: {_one_line(message)}\n"
    )
    try:
        return args.func(args)
    except AnalysisError as exc:
        print(f"{prefix} {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, a read-only folder, a vanished file: name it
        where = f": {display_path(exc.filename)}" if exc.filename else ""
        print(f"{prefix} {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"analysis {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("ANALYSIS_DEBUG"):
            raise
        print(
            f"analysis {args.command}: internal error: {exc.__class__.__name__}: "
            f"{_one_line(exc)} (rerun with ANALYSIS_DEBUG=1 for the traceback, and please report it)",
            file=sys.stderr,
        )
        return 3


def _one_line(exc: BaseException) -> str:
    """An error's message on one line, at most 1,000 characters."""
    text = " ".join(str(exc).split())
    return text[:1000]


def console_main() -> None:
    """The ``analysis`` command: :func:`main`, then the process ends at once with its exit code.

    Ending with ``os._exit`` once the output is flushed skips the interpreter's teardown, where Arrow's
    native thread pools can abort the process (SIGABRT, "terminate called without an active exception",
    apache/arrow#34314) after the work is done and its one line printed; seen once here in
    `analysis clean` of a register without a required column (exit -6 instead of 2). Every file the
    command writes is closed and renamed into place before :func:`main` returns."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    console_main()
