"""The package lists in pyproject.toml and environment.yml stay in step; constraints pin them all."""

from __future__ import annotations

import re
import tomllib

import yaml

from conftest import ROOT


def _name(spec: str) -> str:
    return re.split(r"[<>=!~\[ ]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(s) for s in meta["dependencies"]}
    names |= {_name(s) for s in meta["optional-dependencies"]["dev"]}
    return names


def _conda() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            names |= {_name(s) for s in dep["pip"] if not s.startswith("-e")}
        elif not dep.startswith(("python=", "pip")) or dep.startswith("pip:"):
            names.add(_name(dep))
    return names


def test_environment_yml_lists_the_same_packages_as_pyproject():
    assert _conda() == _pyproject()


def test_constraints_pin_every_dependency():
    pinned = {
        _name(line.split("==")[0])
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    missing = _pyproject() - pinned
    assert not missing, f"not pinned in constraints.txt: {sorted(missing)}"
