"""The house rules, enforced: imports point down the layers (import-linter, contracts in pyproject.toml),
no private name crosses a module, no module over 500 lines and no function over 60, and the names a
run writes are declared once (analysis.schema). Each rule is shown to fail on a deliberate break."""

from __future__ import annotations

import ast
import importlib.util
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


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a name inside a module, not a module
        return False


def _imported(tree: ast.AST) -> tuple[list[str], set[str]]:
    """Private names imported by name from the package, and the names bound to its modules (by
    ``import analysis.x as y`` or ``from analysis.x import module``)."""
    found, aliases = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("analysis"):
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
            aliases |= {
                a.asname or a.name for a in node.names if _is_module(f"{node.module}.{a.name}")
            }
        elif isinstance(node, ast.Import):
            bound = [a.asname or a.name.split(".")[0] for a in node.names]
            aliases |= {
                b for a, b in zip(node.names, bound, strict=True) if a.name.startswith("analysis")
            }
    return found, aliases


def _private_attribute(node: ast.AST, aliases: set[str]) -> str | None:
    """``module._name`` read from a module of the package, or named by ``setattr``/``getattr``."""
    if (
        isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ):
        base = node.value
        while isinstance(base, ast.Attribute):
            base = base.value
        return ast.unparse(node) if isinstance(base, ast.Name) and base.id in aliases else None
    if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in {
        "setattr",
        "getattr",
    }:
        if len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
            name, target = str(node.args[1].value), ast.unparse(node.args[0])
            if name.startswith("_") and not name.startswith("__") and target in aliases:
                return f"{target}.{name}"
    return None


# A dotted private path in any text, strings included: "analysis.run.runner._to_log" (a monkeypatch
# target) or code run in a subprocess ("from analysis.x import _y").
_DOTTED_PRIVATE = re.compile(r"\banalysis(?:\.\w+)*\.(_[A-Za-z]\w*)\b")
_FROM_PRIVATE = re.compile(r"from analysis[\w.]* import [^\n]*?\b(_[A-Za-z]\w*)")


def private_imports(source: str) -> list[str]:
    """Private names (leading underscore) taken from another module of the package: imported by name,
    read, got or monkeypatched as an attribute of one of its modules, or named in a string."""
    tree = ast.parse(source)
    found, aliases = _imported(tree)
    found += [hit for node in ast.walk(tree) if (hit := _private_attribute(node, aliases))]
    found += [m.group(0) for m in _DOTTED_PRIVATE.finditer(source)]
    found += [f"from-import {m.group(1)}" for m in _FROM_PRIVATE.finditer(source)]
    return sorted(set(found))


def test_the_private_name_check_finds_each_kind_of_crossing():
    source = (
        "from analysis.registers.read import _secret, read_register\n"
        "import analysis.registers.read as reading\n"
        "from analysis.estimate import costs\n"
        "reading._helper()\n"
        "costs._check()\n"
        "getattr(costs, '_other')\n"
        "monkeypatch.setattr(reading, '_other', None)\n"
        "monkeypatch.setattr('analysis.run.runner._to_log', None)\n"
        "code = 'from analysis.run.runner import worker_init, _hidden'\n"
        "from analysis.schema import RAW_META\n"
        "x.__class__\n"
    )
    assert private_imports(source) == [
        "analysis.registers.read._secret",
        "analysis.run.runner._to_log",
        "costs._check",
        "costs._other",
        "from-import _hidden",
        "from-import _secret",
        "reading._helper",
        "reading._other",
    ]


def _notebook_code(path: Path) -> str:
    """The Python of a notebook's code cells, IPython's line magics (``%matplotlib inline``) left out."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return "\n".join(line for line in code.splitlines() if not line.lstrip().startswith("%"))


def test_no_private_name_crosses_into_a_notebook():
    crossings = {
        p.name: found
        for p in sorted((ROOT / "notebooks").glob("*.ipynb"))
        if (found := private_imports(_notebook_code(p)))
    }
    assert not crossings, crossings


def dynamic_imports(source: str) -> list[str]:
    """Imports of the package that the import graph cannot see: the package itself (its names are
    loaded lazily, so ``an.run_notebooks`` hides the module it comes from) and import_module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name == "analysis"]
        elif isinstance(node, ast.ImportFrom) and node.module == "analysis" and node.level == 0:
            found.append("from analysis import ...")
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            found.append(ast.unparse(node))
    return found


def test_the_dynamic_import_check_finds_each_kind():
    source = (
        "import analysis as an\nfrom analysis import run_notebooks\nimportlib.import_module('x')\n"
    )
    assert dynamic_imports(source) == [
        "analysis",
        "from analysis import ...",
        "importlib.import_module('x')",
    ]


def test_no_module_of_the_package_imports_around_the_import_graph():
    """Inside the package every import names its module, so the contracts see every one (the package's
    ``__init__`` alone loads its public names lazily, by module name)."""
    found = {
        str(p.relative_to(ROOT)): hits
        for p in _python_files(SRC)
        if p != SRC / "__init__.py" and (hits := dynamic_imports(p.read_text(encoding="utf-8")))
    }
    assert not found, found


@pytest.mark.parametrize("folder", ["src", "tests", "benchmarks", "scripts"])
def test_no_private_name_crosses_a_module(folder):
    crossings = {
        str(p.relative_to(ROOT)): found
        for p in _python_files(ROOT / folder)
        if p != Path(__file__).resolve()  # its own examples of crossings, in strings
        and (found := private_imports(p.read_text(encoding="utf-8")))
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
    """The tables a notebook writes: ``write_table``/``write_text(..., f"{tables_dir}/NAME.EXT")``."""
    pattern = r"write_(?:table|text)\([^\n]*\{tables_dir\}/([\w.]+)\"\)"
    return set(re.findall(pattern, _notebook_code(notebook)))


def test_the_tables_a_run_writes_are_declared_once():
    """Each notebook writes exactly the tables analysis.schema.RUN_TABLES gives it, and the README
    names every one of them."""
    for name in NOTEBOOKS:
        written = _written_tables(ROOT / "notebooks" / f"{name}.ipynb")
        declared = {t for t, nb in RUN_TABLES.items() if nb == name}
        assert written == declared, name
    readme = (ROOT / "README.md").read_text(encoding="utf-8").replace("{html,tex}", "html .tex")
    missing = [t for t in RUN_TABLES if t.removesuffix(".tex") not in readme]
    assert not missing, missing


@pytest.mark.xdist_group("group_check")
def test_groups_are_honoured(request):
    """Tests that share a costly fixture are grouped on one xdist worker (``--dist loadgroup``, as
    `make test` runs); pytest-xdist marks a grouped test by its node id, which pytest 9.2 ignores
    (pytest-xdist issue 1386), so constraints.txt pins a pytest on which it works."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("only under --dist loadgroup (make test)")
    assert request.node.nodeid.endswith("@group_check"), request.node.nodeid
