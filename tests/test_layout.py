"""The house rules, enforced: imports point down the layers (import-linter, contracts in pyproject.toml),
no private name crosses a module, no module over 500 lines and no function over 60, and the names a
run writes are declared once (analysis.schema). Each rule is shown to fail on a deliberate break."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.schema import NOTEBOOKS, RUN_TABLES

from conftest import ROOT

SRC = ROOT / "src" / "analysis"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def _python_files(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.py"))


def _lint_imports(src_parent: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(src_parent), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
    )


def test_the_import_contracts_hold():
    done = _lint_imports(ROOT / "src", ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.slow
def test_a_forbidden_import_breaks_the_contracts(tmp_path):
    """A deliberate break: an estimator importing the writers, a figure calling an estimator, and a
    register module importing the runner each break their contract."""
    copy = tmp_path / "src" / "analysis"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "data"))
    with open(copy / "estimate" / "costs.py", "a", encoding="utf-8") as f:
        f.write("\nimport analysis.outputs  # deliberate break\n")
    with open(copy / "present" / "figures.py", "a", encoding="utf-8") as f:
        f.write("\nimport analysis.estimate.costs  # deliberate break\n")
    with open(copy / "registers" / "places.py", "a", encoding="utf-8") as f:
        f.write("\nimport analysis.run.runner  # deliberate break\n")
    done = _lint_imports(tmp_path / "src", tmp_path)
    assert done.returncode != 0
    assert "3 broken" in done.stdout, done.stdout
    for link in (
        "analysis.estimate.costs -> analysis.outputs",
        "analysis.present.figures -> analysis.estimate.costs",
        "analysis.registers.places -> analysis.run.runner",
    ):
        assert link in done.stdout, done.stdout


def _imported(tree: ast.AST) -> tuple[list[str], set[str]]:
    """Private names imported by name from the package, and the names bound to its modules."""
    found, aliases = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("analysis"):
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Import):
            bound = [a.asname or a.name.split(".")[0] for a in node.names]
            aliases |= {
                b for a, b in zip(node.names, bound, strict=True) if a.name.startswith("analysis")
            }
    return found, aliases


def _private_attribute(node: ast.AST, aliases: set[str]) -> str | None:
    """``module._name`` read from a module of the package, or set on it by ``setattr(module, "_name")``."""
    if (
        isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ):
        base = node.value
        while isinstance(base, ast.Attribute):
            base = base.value
        return ast.unparse(node) if isinstance(base, ast.Name) and base.id in aliases else None
    if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "setattr":
        if len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
            name, target = str(node.args[1].value), ast.unparse(node.args[0])
            if name.startswith("_") and (target in aliases or target.startswith("analysis")):
                return f"{target}.{name}"
    return None


def private_imports(source: str) -> list[str]:
    """Private names (leading underscore) taken from another module of the package: imported by name,
    or read or monkeypatched as an attribute of a module bound by ``import analysis.x as y``."""
    tree = ast.parse(source)
    found, aliases = _imported(tree)
    found += [hit for node in ast.walk(tree) if (hit := _private_attribute(node, aliases))]
    return sorted(found)


def test_the_private_name_check_finds_each_kind_of_crossing():
    source = (
        "from analysis.registers.read import _secret, read_register\n"
        "import analysis.registers.read as reading\n"
        "reading._helper()\n"
        "monkeypatch.setattr(reading, '_other', None)\n"
        "from analysis.schema import RAW_META\n"
        "x.__class__\n"
    )
    assert private_imports(source) == [
        "analysis.registers.read._secret",
        "reading._helper",
        "reading._other",
    ]


@pytest.mark.parametrize("folder", ["src", "tests", "benchmarks", "scripts"])
def test_no_private_name_crosses_a_module(folder):
    crossings = {
        str(p.relative_to(ROOT)): found
        for p in _python_files(ROOT / folder)
        if (found := private_imports(p.read_text(encoding="utf-8")))
    }
    assert not crossings, crossings


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int]]:
    """(name, lines) of every function longer than ``limit`` lines, ``def`` to its last line."""
    return [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > limit
    ]


def test_the_size_check_finds_a_long_function():
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    assert long_functions(f"def short():\n    pass\n\ndef long():\n{body}") == [
        ("long", MAX_FUNCTION_LINES + 1)
    ]


def test_no_module_over_500_lines_and_no_function_over_60():
    big = {}
    for path in _python_files(SRC):
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            big[str(path.relative_to(ROOT))] = f"{lines} lines"
        if found := long_functions(text):
            big[str(path.relative_to(ROOT))] = found
    assert not big, big


def test_complexity_is_within_ruffs_limit():
    ruff = Path(sys.executable).with_name("ruff")
    done = subprocess.run(
        [str(ruff), "check", "--select", "C901", "src"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout


def _written_tables(notebook: Path) -> set[str]:
    """The tables a notebook writes: ``write_table(..., f"{tables_dir}/NAME.csv")``."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return set(re.findall(r"write_table\([^\n]*\{tables_dir\}/(\w+)\.csv", code))


def test_the_tables_a_run_writes_are_declared_once():
    """Each notebook writes exactly the tables analysis.schema.RUN_TABLES gives it, and the README
    names every one of them."""
    for name in NOTEBOOKS:
        written = _written_tables(ROOT / "notebooks" / f"{name}.ipynb")
        declared = {t for t, nb in RUN_TABLES.items() if nb == name}
        assert written == declared, name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [t for t in RUN_TABLES if f"{t}.csv" not in readme]
    assert not missing, missing
