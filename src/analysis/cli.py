"""The ``analysis`` command: run, clean, inspect, demo-data. Expected errors print one line, exit 2."""

from __future__ import annotations

import argparse
import json
import sys

from analysis.errors import AnalysisError

__all__ = ["main"]


def _value(text: str):
    """A -p value: JSON when it parses (numbers, lists, true/false), else the text itself."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _cmd_run(args) -> int:
    import yaml

    from analysis.errors import ParameterError
    from analysis.runner import run_notebooks

    params = {}
    if args.params:
        try:
            with open(args.params, encoding="utf-8") as fh:
                loaded = yaml.safe_load(fh) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ParameterError(
                f"{args.params}: cannot read parameters ({exc.__class__.__name__})"
            ) from None
        if not isinstance(loaded, dict):
            raise ParameterError(f"{args.params}: parameters must be a mapping of name: value")
        params.update(loaded)
    for key, value in args.p or []:
        params[key] = _value(value)
    kwargs = {"notebooks": tuple(args.notebook)} if args.notebook else {}
    manifest = run_notebooks(args.out, parameters=params, **kwargs)
    print(
        f"run {manifest['run']}: {manifest['status']} ({len(manifest['notebooks'])} notebooks) -> {args.out}"
    )
    return 0


def _cmd_batch(args) -> int:
    from analysis.batch import read_grid, run_batch

    summary = run_batch(
        read_grid(args.grid), out=args.out, scheduler=args.scheduler, workers=args.workers
    )
    failed = summary[summary["status"] != "succeeded"]
    print(f"batch: {len(summary) - len(failed)} of {len(summary)} runs succeeded")
    for row in failed.itertuples():
        print(f"analysis batch: run {row.run} failed: {row.error}", file=sys.stderr)
    return 1 if len(failed) else 0


def _cmd_clean(args) -> int:
    from analysis.cleaning import clean_registers
    from analysis.io import read_aliases, read_registers, write_clean_outputs

    aliases = read_aliases(args.aliases) if args.aliases else None
    frames = read_registers(
        args.inputs, encoding=args.encoding, sheet=args.sheet, extra_aliases=aliases
    )
    result = clean_registers(frames, extra_aliases=aliases)
    write_clean_outputs(result, args.out)
    r = result.report
    print(
        f"rows in {r['rows_in']}, clean {r['rows_clean']}, rejected {r['rows_rejected']} "
        f"{json.dumps(r['rejected_by_reason'], ensure_ascii=False)} -> {args.out}"
    )
    return 0


def _cmd_inspect(args) -> int:
    from analysis.inspection import inspect_register
    from analysis.io import read_aliases

    aliases = read_aliases(args.aliases) if args.aliases else None
    print(
        inspect_register(
            args.input, encoding=args.encoding, sheet=args.sheet, extra_aliases=aliases
        )
    )
    return 0


def _cmd_demo(args) -> int:
    from analysis.demo import write_demo_register

    paths = write_demo_register(args.out, seed=args.seed)
    print(f"wrote {paths['register']} and {paths['truth']} (SIMULATED data, seed {args.seed})")
    return 0


def _parser() -> argparse.ArgumentParser:
    from analysis.demo import DEMO_SEED

    p = argparse.ArgumentParser(prog="analysis", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run every notebook in order into a run folder")
    r.add_argument("--params", help="YAML file of notebook parameters")
    r.add_argument("--out", default="reports/demo", help="run folder (default reports/demo)")
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
        help="run only this notebook (repeatable; default: all four)",
    )
    r.set_defaults(func=_cmd_run)
    b = sub.add_parser("batch", help="one run per parameter set of a grid file, locally or on Dask")
    b.add_argument("--grid", required=True, help="YAML grid file (see analysis.batch)")
    b.add_argument("--out", default="reports", help="parent folder of the batch folder")
    b.add_argument(
        "--scheduler", default=None, help="Dask scheduler address (default: local processes)"
    )
    b.add_argument("--workers", type=int, default=2, help="local runs at a time")
    b.set_defaults(func=_cmd_batch)
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
    c.set_defaults(func=_cmd_clean)
    i = sub.add_parser("inspect", help="show how a register would be read; writes nothing")
    i.add_argument("input", help="one register file")
    i.add_argument("--encoding", default=None, help="text encoding of a CSV (default: detected)")
    i.add_argument("--sheet", default=None, help="workbook sheet (default: every sheet)")
    i.add_argument("--aliases", default=None, help="CSV of extra header aliases (canonical,alias)")
    i.set_defaults(func=_cmd_inspect)
    d = sub.add_parser(
        "demo-data", help="regenerate the SIMULATED demo register and its truth file"
    )
    d.add_argument("--out", default="data/raw", help="folder (default data/raw)")
    d.add_argument("--seed", type=int, default=DEMO_SEED, help=f"random seed (default {DEMO_SEED})")
    d.set_defaults(func=_cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except AnalysisError as exc:
        print(f"analysis {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"analysis {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
