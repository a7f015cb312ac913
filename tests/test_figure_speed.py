"""Figures in seconds: labels are read from the label table once per process, with the same text as a
lookup in the table."""

from __future__ import annotations

import pytest

import analysis.present.style as style
from analysis.errors import ParameterError
from analysis.present.style import LANGS, label
from analysis.reference import load_reference


def test_every_label_is_the_table_cell_for_every_key_and_language():
    table = load_reference("labels").set_index("key")
    assert table.index.is_unique  # one text per key: a dictionary holds the same table
    for lang in LANGS:
        for key in table.index:
            assert label(key, lang) == table.loc[key, lang]


def test_an_unknown_key_is_its_own_label_and_fields_are_filled():
    assert label("no such key", "zh") == "no such key"
    assert label("policy_year", "en", year=2017) == "2017: support steered to 三区三州"


def test_label_reads_the_table_once(monkeypatch):
    label("yes", "en")

    def refuse(name):
        raise AssertionError(f"the {name} table was read again")

    monkeypatch.setattr(style, "load_reference", refuse)
    assert [label("yes", "en"), label("yes", "zh")] == ["Yes", "是"]


def test_label_still_refuses_an_unknown_language():
    with pytest.raises(ParameterError, match="lang must be one of"):
        label("yes", "fr")
