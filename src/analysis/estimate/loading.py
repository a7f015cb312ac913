"""What the money is: cost categories, and full loading with the organization's overhead (管理费用).

A register's ``expenditure_yuan`` is what a project spent: a "sticker price" that leaves out the share
of its organization's management costs (staff of the head office, rent, audit, governance) that the
project used. Full loading allocates them in proportion to project spending: with ``admin_share`` the
organization's 管理费用 as a share of its total annual expenditure,

    overhead ratio  = admin_share / (1 - admin_share)   (management yuan per yuan of activity spending)
    fully loaded    = expenditure_yuan x (1 + overhead ratio) = expenditure_yuan / (1 - admin_share).

Project management costs charged to the project (travel, meetings, audits of a project) are activity
spending under the 2016 standard and stay in ``expenditure_yuan``; only the organization's own 管理费用
is added, so nothing is counted twice.

The overhead table is supplied by the user (from annual reports; ``registers.read_overhead`` reads it):
columns ``org_name``, ``year`` (empty: every year), ``admin_share`` in [0, 1), ``source``,
``simulated``. Without one, every organization gets a share from the documented default range
(:data:`DEFAULT_ADMIN_SHARE_RANGE`), whose upper end is the legal cap for most large organizations.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.estimate.costs import COST_COLUMNS, estimate_cost_per_beneficiary
from analysis.estimate.notes import quietly
from analysis.schema import is_simulated, require_columns

# The default range of admin_share (管理费用 / total annual expenditure) when no overhead table is
# given: 0 (the sticker price) to 10%, the cap of 《基金会管理条例》(2004) art. 29 (staff pay and
# office spending of a foundation at most 10% of its annual expenditure), of the Charity Law (2016)
# art. 60 and of the 2016 MCA/MOF/SAT standard 《关于慈善组织开展慈善活动年度支出和管理费用的
# 规定》 for foundations with public fundraising status. The same standard allows 13% to 20% to other
# charities (by status and net assets; no cap where management costs are under 200,000 yuan), so 10%
# is a cap for some organizations and not a ceiling for all: docs/assumptions.md rates it amber.
DEFAULT_ADMIN_SHARE_RANGE = (0.0, 0.10)
DEFAULT_ADMIN_SHARE = DEFAULT_ADMIN_SHARE_RANGE[1]
# The highest cap of the 2016 standard (smallest organizations): a sensitivity setting, not a default.
LEGAL_CAP_HIGHEST = 0.20

CATEGORY_COLUMNS = ("direct_cost_yuan", "admin_cost_yuan", "in_kind_yuan")
CATEGORY_TABLE_COLUMNS = [
    "group",
    "level",
    "category",
    "total_yuan",
    "share",
    "n_rows",
    "n_rows_categorised",
    "n_rows_not_adding_up",
]
REMAINDER = "remainder (categorised rows)"
NO_BREAKDOWN = "no breakdown recorded"
ADDS_UP_TOLERANCE = 0.01  # categories within 1% of expenditure_yuan add up
FULLY_LOADED_COLUMNS = [*COST_COLUMNS, "cost_basis", "note"]
DIRECT = "direct"
LOADED_TABLE = "fully loaded (overhead table)"


def is_simulated_table(overhead: pd.DataFrame | None) -> bool:
    """Whether an overhead table is marked simulated (the demo's: column ``simulated`` true)."""
    return (
        overhead is not None
        and "simulated" in overhead.columns
        and bool(overhead["simulated"].fillna(False).astype(bool).any())
    )


def usable_overhead(
    overhead: pd.DataFrame | None,
    data: pd.DataFrame,
    *,
    default_admin_share: float = DEFAULT_ADMIN_SHARE,
) -> tuple[pd.DataFrame | None, str]:
    """The overhead table to load ``data`` with, and a sentence saying what was done.

    A simulated table (the demo's, the notebooks' default) on data that are not simulated is not
    applied: the table returned is None, so every organization gets ``default_admin_share``, and the
    sentence says so (a scheduled run on a real register goes on, and says it). Otherwise the table
    as given, and the sentence counts the organizations it covers."""
    share = _check_share(default_admin_share, "default_admin_share")
    if overhead is None:
        return None, f"No overhead table: every organization gets an admin share of {share:.0%}."
    if is_simulated_table(overhead) and not is_simulated(data):
        return None, (
            "The overhead table given is the simulated demo's and these data are not simulated: it "
            f"is not applied, and every organization gets an admin share of {share:.0%}. Give your "
            "own table from annual reports as overhead_path."
        )
    orgs = data["org_name"].dropna().astype(str).unique()
    known = set(overhead["org_name"].dropna().astype(str))
    covered = sum(o in known for o in orgs)
    return overhead, (
        f"The overhead table covers {covered} of the {len(orgs)} organizations; the others get an "
        f"admin share of {share:.0%}."
    )


def _check_share(value, what: str) -> float:
    """A share in [0, 1), or one line saying what is wrong."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ParameterError(f"{what} must be a number in [0, 1), got {value!r}")
    if not 0 <= float(value) < 1:
        raise ParameterError(f"{what} must be in [0, 1), got {value}")
    return float(value)


def _overhead_table(overhead: pd.DataFrame, data: pd.DataFrame) -> pd.DataFrame:
    """The overhead table checked (columns, shares, duplicates, simulated) and normalised to
    org_name, year (Int64, NA = every year), admin_share."""
    require_columns(overhead, ["org_name", "admin_share"], "the overhead table")
    if is_simulated_table(overhead):
        if not is_simulated(data):
            raise ParameterError(
                "the overhead table is simulated (the demo's) and the data are not: "
                "a real register must not be loaded with simulated overheads"
            )
    ov = pd.DataFrame(
        {
            "org_name": overhead["org_name"].astype("string"),
            "year": (
                pd.to_numeric(overhead["year"], errors="raise").astype("Int64")
                if "year" in overhead.columns
                else pd.array([pd.NA] * len(overhead), dtype="Int64")
            ),
            "admin_share": pd.to_numeric(overhead["admin_share"], errors="coerce"),
        }
    )
    if ov["org_name"].isna().any():
        raise ParameterError(
            f"the overhead table has {int(ov['org_name'].isna().sum())} row(s) without org_name"
        )
    bad = ov["admin_share"].isna() | (ov["admin_share"] < 0) | (ov["admin_share"] >= 1)
    if bad.any():
        first = overhead.loc[bad.to_numpy(), "admin_share"].iloc[0]
        raise ParameterError(
            f"the overhead table: admin_share must be in [0, 1) ({int(bad.sum())} row(s) are not, "
            f"first {first!r})"
        )
    dup = ov.duplicated(["org_name", "year"], keep=False)
    if dup.any():
        first = ov[dup].iloc[0]
        raise ParameterError(
            f"the overhead table has {int(dup.sum())} rows for the same organization and year "
            f"(first {first['org_name']!r}, {first['year']})"
        )
    return ov


def _matched_shares(data: pd.DataFrame, ov: pd.DataFrame) -> pd.Series:
    """admin_share of each data row: the exact org-year row, else the org's every-year row, else NaN."""
    keys = pd.DataFrame(
        {"org_name": data["org_name"].astype("string").to_numpy(), "year": data["year"].to_numpy()}
    ).astype({"year": "Int64"})
    exact = ov[ov["year"].notna()]
    every = ov[ov["year"].isna()].drop(columns="year")
    by_year = keys.merge(exact, on=["org_name", "year"], how="left")["admin_share"]
    any_year = keys.merge(every, on="org_name", how="left")["admin_share"]
    return pd.Series(by_year.fillna(any_year).to_numpy(), index=data.index, dtype=float)


def load_overhead(
    data: pd.DataFrame,
    overhead: pd.DataFrame | None = None,
    *,
    default_admin_share: float = DEFAULT_ADMIN_SHARE,
) -> pd.DataFrame:
    """The project table with its overhead: ``overhead_ratio`` (管理费用 yuan per yuan of project
    spending), ``overhead_source`` ("table" or "default") and ``loaded_expenditure_yuan`` =
    expenditure_yuan x (1 + overhead_ratio), in the prices of ``expenditure_yuan``.

    ``overhead`` rows match on org_name and year; a row with an empty year applies to every year of
    its organization, and an exact org-year row wins over it. Rows of organizations (or years) the
    table lacks get ``default_admin_share`` and a warning says how many. Without a table every row
    gets ``default_admin_share`` (no warning: the cost basis says so). A simulated overhead table
    (column ``simulated`` true) is refused on data that are not simulated.
    """
    require_columns(data, ["expenditure_yuan", "year", "org_name"])
    default = _check_share(default_admin_share, "default_admin_share")
    if overhead is None:
        share = pd.Series(default, index=data.index)
        source = pd.Series("default", index=data.index)
    else:
        share = _matched_shares(data, _overhead_table(overhead, data))
        missing = share.isna()
        if missing.any():
            n_orgs = data.loc[missing, "org_name"].nunique(dropna=False)
            warnings.warn(
                f"overhead table: {n_orgs} organization(s) ({int(missing.sum())} of {len(data)} "
                f"rows) have no admin share for their year; the default {default:.0%} was used",
                stacklevel=2,
            )
        source = pd.Series(np.where(missing, "default", "table"), index=data.index)
        share = share.fillna(default)
    ratio = share / (1.0 - share)
    return data.assign(
        overhead_ratio=ratio.astype(float),
        overhead_source=source.astype("string"),
        loaded_expenditure_yuan=data["expenditure_yuan"].astype(float) * (1.0 + ratio),
    )


def _category_rows(g: pd.DataFrame, cats: list[str], group: str, level: str) -> list[dict]:
    """Rows of one level: each category's yuan and share of the level's expenditure_yuan, the
    remainder of categorised rows and the spending of rows without a breakdown."""
    exp = g["expenditure_yuan"].astype(float)
    values = g[cats].astype(float)
    categorised = values.notna().any(axis=1)
    summed = values.fillna(0.0).sum(axis=1)
    off = categorised & ((summed - exp).abs() > ADDS_UP_TOLERANCE * exp.abs())
    totals = {c: values.loc[categorised, c].fillna(0.0).sum() for c in cats}
    totals[REMAINDER] = exp[categorised].sum() - summed[categorised].sum()
    totals[NO_BREAKDOWN] = exp[~categorised].sum()
    whole = exp.sum()
    common = {
        "group": group,
        "level": level,
        "n_rows": len(g),
        "n_rows_categorised": int(categorised.sum()),
        "n_rows_not_adding_up": int(off.sum()),
    }
    return [
        {**common, "category": c, "total_yuan": t, "share": t / whole if whole else np.nan}
        for c, t in totals.items()
    ]


def cost_categories(data: pd.DataFrame, *, by: list[str] | str | None = None) -> pd.DataFrame:
    """Spending by cost category (yuan, and share of the level's ``expenditure_yuan``), one row per
    (level, category): direct, admin, in-kind (those of :data:`CATEGORY_COLUMNS` the data carry),
    the remainder of rows with a breakdown (expenditure minus their categories: negative when the
    categories exceed it) and the spending of rows with none. ``n_rows_not_adding_up`` counts rows
    whose categories differ from expenditure_yuan by more than 1%.

    Without any category column the table is empty and ``attrs["note"]`` says why (the columns are
    optional: a register may lack them).
    """
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    require_columns(data, ["expenditure_yuan", *by])
    cats = [c for c in CATEGORY_COLUMNS if c in data.columns]
    if not cats:
        out = pd.DataFrame(columns=CATEGORY_TABLE_COLUMNS)
        out.attrs["note"] = f"no cost-category column ({', '.join(CATEGORY_COLUMNS)}) in the data"
        return out
    group = "+".join(by) if by else "all"
    levels = (
        [("all", data)]
        if not by
        else [
            (
                "/".join(
                    "unknown" if pd.isna(k) else str(k)
                    for k in (key if isinstance(key, tuple) else (key,))
                ),
                g,
            )
            for key, g in data.groupby(by, observed=True, sort=True, dropna=False)
        ]
    )
    rows = [r for level, g in levels for r in _category_rows(g, cats, group, level)]
    return pd.DataFrame(rows, columns=CATEGORY_TABLE_COLUMNS)


def _default_label(share: float) -> str:
    """cost_basis text of loading at one default share for every organization."""
    which = " upper" if share == DEFAULT_ADMIN_SHARE_RANGE[1] else ""
    return f"fully loaded, admin share {share:.0%} (default{which})"


def fully_loaded_costs(
    data: pd.DataFrame,
    overhead: pd.DataFrame | None = None,
    *,
    by: list[str] | str | None = None,
    base_year: int | None = None,
    bootstrap_reps: int = 999,
    seed: int = 0,
    default_admin_share: float = DEFAULT_ADMIN_SHARE,
    **options,
) -> pd.DataFrame:
    """Cost per beneficiary as recorded (``cost_basis`` "direct") and fully loaded with the
    organizations' overhead, side by side: the table of :func:`estimate_cost_per_beneficiary` twice
    (columns ``FULLY_LOADED_COLUMNS``), the second on ``loaded_expenditure_yuan``
    (:func:`load_overhead`).

    Both use the same seed, so the bootstrap resamples the same organizations for both: with one
    admin share a for every organization the fully loaded row is the direct row times 1 / (1 - a),
    interval included. Loading multiplies spending, so it commutes with CPI deflation and PPP
    conversion (``base_year`` and ``options`` such as ``ppp``, ``ci``, ``interval``, ``cluster``,
    ``person_times`` go to the estimator unchanged, and so does its ``price_basis``).
    ``cost_basis`` of the loaded rows: "fully loaded (overhead table)" with a table, else
    "fully loaded, admin share 10% (default upper)" (or the share given). ``note``: what the
    loading warned about (organizations the overhead table lacks), on the loaded rows.
    """
    loaded, said = quietly(load_overhead, data, overhead, default_admin_share=default_admin_share)
    kwargs = dict(by=by, base_year=base_year, bootstrap_reps=bootstrap_reps, seed=seed, **options)
    direct = estimate_cost_per_beneficiary(data, **kwargs)
    full = estimate_cost_per_beneficiary(
        loaded.assign(expenditure_yuan=loaded["loaded_expenditure_yuan"]), **kwargs
    )
    label = LOADED_TABLE if overhead is not None else _default_label(float(default_admin_share))
    out = pd.concat(
        [direct.assign(cost_basis=DIRECT, note=""), full.assign(cost_basis=label, note=said)],
        ignore_index=True,
    )
    return out[FULLY_LOADED_COLUMNS]
