"""What a printed table is made of: its columns (:class:`Col`) and its entry (:class:`TableSpec`), as
data. :mod:`analysis.present.publish` renders the entries; the entries live beside the tables they
print (publish.py and costing_tables.py)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Col:
    """One printed column: its header's label key, its kind, the tidy column(s) it is made of
    (default: the column named like the key without its ``col_`` prefix). An interval kind takes
    (low, high) and optionally a third, boolean column: where it is False the cell says "not
    bounded" (label ``not_bounded``)."""

    key: str
    kind: str
    source: tuple[str, ...] = ()

    def sources(self) -> tuple[str, ...]:
        return self.source or (self.key.removeprefix("col_"),)


@dataclass(frozen=True)
class TableSpec:
    """A table of the report: ``rows`` {column: values kept} (compared as text), ``columns`` in
    order (the first is the row label), ``sort`` columns, ``last`` {column: values} rows printed
    after the others of their group (a summary row under the rows it summarises), ``notes`` label
    keys (each printed once), ``empty`` the label key of the sentence printed instead of the table
    when it has no rows (without it, no rows is an error)."""

    title: str
    columns: tuple[Col, ...]
    rows: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sort: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    last: dict[str, tuple[str, ...]] = field(default_factory=dict)
    empty: str = ""
