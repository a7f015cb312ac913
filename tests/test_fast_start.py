"""A fast start: importing the run package keeps jsonschema's IRI checker (rfc3987_syntax, about 1 s of
lark grammars) out of the process that imports papermill."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import analysis

SRC = str(Path(analysis.__file__).resolve().parents[1])

REPORT = (
    "import json, sys; print(json.dumps({name: name in sys.modules and sys.modules[name] is not None"
    " for name in ('rfc3987_syntax', 'lark', 'jsonschema', 'nbformat')}))"
)


def loaded_after(code: str) -> dict:
    """Which modules a fresh interpreter holds after running ``code`` (this checkout's package)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\n{REPORT}"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_run_package_then_papermill_leaves_out_rfc3987_syntax():
    loaded = loaded_after("import analysis.run.cli\nimport papermill")
    assert loaded == {"rfc3987_syntax": False, "lark": False, "jsonschema": True, "nbformat": True}


def test_jsonschema_still_checks_the_formats_a_notebook_could_use():
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import analysis.run, jsonschema; c = jsonschema.FormatChecker();"
            "print(c.conforms('not a date', 'date'), c.conforms('2026-01-31', 'date'))",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("rfc3987_syntax") is None, reason="rfc3987_syntax is not installed"
)
def test_without_the_run_package_papermill_does_import_rfc3987_syntax():
    # The control: the check above would see the slow import if the run package did not stop it.
    loaded = loaded_after("import papermill")
    assert loaded["rfc3987_syntax"] and loaded["lark"]
