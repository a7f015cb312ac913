"""Shared fixtures: the cleaned demo register (once per session) and a fixture that closes figures."""

from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "raw" / "demo_register.csv"


@pytest.fixture(scope="session")
def demo_clean():
    from analysis.registers.cleaning import clean_registers
    from analysis.registers.read import read_register

    return clean_registers(read_register(DEMO))


@pytest.fixture(scope="session")
def demo_data(demo_clean):
    return demo_clean.data


@pytest.fixture(scope="session")
def demo_truth():
    return json.loads((ROOT / "data" / "raw" / "demo_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")
