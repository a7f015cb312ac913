"""Duplicate rows of a register: rows whose substantive fields agree are one project unless their project
names differ; identical repeats are rejected as duplicates, rows that agree on everything but the name
are kept and flagged possible duplicates. Stable project ids from the row's content.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa

# Fields that make two rows the same project (with the project name rule of find_duplicates).
SUBSTANTIVE = (
    "org_name",
    "project_name",
    "year",
    "province",
    "prefecture",
    "county",
    "_amount",
    "beneficiaries",
    "poor_households",
)


def duplicated_rows(frame: pd.DataFrame, columns, rows: np.ndarray) -> np.ndarray:
    """Among ``rows`` (a mask), which repeat an earlier row's values in ``columns``. Each column is
    factorized whole and the codes combined (:func:`_group_key`), so no strings are copied. Missing
    values (None, NaN, NA) are one value, as in a groupby with dropna=False."""
    return pd.Series(_group_key(frame, columns, rows)).duplicated().to_numpy()


def keep_rows(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """The rows of ``mask``, column by column; pyarrow-backed strings go through pyarrow's filter,
    which copies them many times faster than pandas' row take."""
    if mask.all():
        return frame
    arrow_mask = pa.array(mask)
    out = {}
    for name in frame.columns:
        values = frame[name].array
        if isinstance(values, pd.arrays.ArrowStringArray):
            out[name] = pd.array(pa.array(values).filter(arrow_mask), dtype=values.dtype)
        elif isinstance(values, pd.arrays.NumpyExtensionArray) and values.dtype != object:
            out[name] = values.to_numpy()[mask]
        else:
            out[name] = values[mask]
    kept = pd.DataFrame(out, index=frame.index[mask])
    return kept.astype(frame.dtypes.to_dict())


def _group_key(frame: pd.DataFrame, columns, rows: np.ndarray) -> np.ndarray:
    """A code per row of ``rows`` (a mask) for its values in ``columns`` (missing values are one
    value); equal codes mean equal values."""
    key = np.zeros(int(rows.sum()), dtype=np.int64)
    for name in columns:
        codes, distinct = pd.factorize(frame[name], use_na_sentinel=False)
        key, _ = pd.factorize(key * (len(distinct) + 1) + codes[rows])
    return key


def find_duplicates(frame: pd.DataFrame, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rejected as duplicate, kept but flagged possible_duplicate), as masks over every row.

    Rows whose substantive fields (:data:`SUBSTANTIVE`) agree are one project unless their project
    ids differ: in each such group one row is kept per distinct given id (one row when none has an
    id), the earliest; a row without id in a group with ids repeats one of them. Rows with different
    non-empty ids are never duplicates, so the kept total does not depend on the order of the rows,
    on how they are split into files, or on whether the ids are there at all. Kept rows that share
    organization, name, year and amount, or a given id and year, with another kept row are flagged.
    """
    n = len(frame)
    dup = np.zeros(n, dtype=bool)
    possible = np.zeros(n, dtype=bool)
    if not ok.any():
        return dup, possible
    idx = np.flatnonzero(ok)
    group = _group_key(frame, SUBSTANTIVE, ok)
    given = frame["_pid_given"].to_numpy(dtype=bool)[idx]
    pid = pd.factorize(frame["project_id"].to_numpy(dtype=object)[idx])[0]
    pid = np.where(given, pid, -1)
    table = pd.DataFrame({"group": group, "pid": pid, "given": given})
    has_id = table.groupby("group")["given"].transform("any").to_numpy()
    repeat = table.duplicated(["group", "pid"]).to_numpy()
    dup[idx] = np.where(given, repeat, has_id | repeat)
    kept = ok & ~dup
    for columns in (("org_name", "project_name", "year", "_amount"), ("project_id", "year")):
        key = _group_key(frame, columns, kept)
        if columns[0] == "project_id":  # only ids from the register say anything
            key = np.where(
                frame["_pid_given"].to_numpy(dtype=bool)[kept], key, -1 - np.arange(len(key))
            )
        shared = pd.Series(key).duplicated(keep=False).to_numpy()  # every member, not the later
        possible[np.flatnonzero(kept)[shared]] = True
    return dup, possible


def hash_ids(frame: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """Synthetic ids for rows without one: a hash of every substantive field, so that distinct rows
    never share an id (rows equal in all of them are duplicates of one another)."""
    parts = []
    for name in SUBSTANTIVE:
        values = frame.loc[rows, name]
        parts.append(["" if pd.isna(v) else str(v) for v in values])
    return [
        "h" + hashlib.sha1("|".join(fields).encode("utf-8", "surrogatepass")).hexdigest()[:16]
        for fields in zip(*parts, strict=True)
    ]
