"""Cost per beneficiary: ratio of totals (the headline), with a bootstrap over organizations.

The headline is the ratio of totals, sum of spending / sum of beneficiaries (yuan per person reached),
over projects with positive spending and beneficiaries. The mean and median of project ratios are shown
beside it as secondary estimators: they weight a 10,000-yuan project like a 100-million-yuan one, so
they answer a different question (the typical project, not what the money bought).

Projects of one organization are not independent, so intervals come from a bootstrap that resamples
organizations (clusters), vectorized: cluster totals are reweighted with multinomial counts, no frame
is copied in a loop.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.reference import cpi_index

__all__ = [
    "COST_COLUMNS",
    "cost_tables",
    "estimate_cost_per_beneficiary",
    "published_benchmarks",
    "to_constant_prices",
]

COST_COLUMNS = [
    "group",
    "level",
    "estimator",
    "estimate",
    "ci_low",
    "ci_high",
    "n_projects",
    "total_expenditure_yuan",
    "total_beneficiaries",
    "price_basis",
    "denominator",
    "n_clusters",
    "ci_method",
]
_GROUPABLE = {"year", "sector", "province", "deep_poverty_area", "org_type", "joint_funded"}


def to_constant_prices(data: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """Add ``price_factor`` and turn ``expenditure_yuan`` into constant yuan of ``base_year`` (CPI).

    The factor for each row's year is kept in ``price_factor`` (constant = nominal * factor).
    """
    level = cpi_index(base_year)
    missing = sorted(set(data["year"]) - set(level.index))
    if missing:
        raise ParameterError(
            f"no CPI for year(s) {missing}; the shipped series covers "
            f"{level.index.min()}-{level.index.max()}"
        )
    out = data.copy()
    out["price_factor"] = 1.0 / out["year"].map(level).astype(float)
    out["expenditure_yuan"] = out["expenditure_yuan"] * out["price_factor"]
    return out


def _check(data, by, base_year, bootstrap_reps, ci, cluster, person_times):
    if not isinstance(data, pd.DataFrame):
        raise ParameterError("data must be a pandas DataFrame (the cleaned project table)")
    need = {"expenditure_yuan", "beneficiaries", "year", cluster, *by}
    missing = sorted(need - set(data.columns))
    if missing:
        raise ParameterError(f"data lacks column(s) {missing}")
    if not 0 < ci < 1:
        raise ParameterError(f"ci must be between 0 and 1, got {ci}")
    if not isinstance(bootstrap_reps, int | np.integer) or bootstrap_reps < 0:
        raise ParameterError(
            f"bootstrap_reps must be a non-negative integer, got {bootstrap_reps!r}"
        )
    if person_times not in {"exclude", "include"}:
        raise ParameterError(f"person_times must be 'exclude' or 'include', got {person_times!r}")
    if base_year is not None and not isinstance(base_year, int | np.integer):
        raise ParameterError(f"base_year must be a year (int) or None, got {base_year!r}")
    unknown = [b for b in by if b not in _GROUPABLE and b not in data.columns]
    if unknown:
        raise ParameterError(f"cannot group by {unknown}")


def _bootstrap_ratio(num: np.ndarray, den: np.ndarray, reps: int, rng, alpha: float):
    """Percentile interval of sum(num)/sum(den) resampling clusters; num, den are cluster totals."""
    g = len(num)
    if reps == 0 or g < 2:
        return np.nan, np.nan
    counts = rng.multinomial(g, np.full(g, 1.0 / g), size=reps).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        draws = (counts @ num) / (counts @ den)
    draws = draws[np.isfinite(draws)]
    lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def estimate_cost_per_beneficiary(
    data: pd.DataFrame,
    *,
    by: list[str] | str | None = None,
    base_year: int | None = None,
    bootstrap_reps: int = 999,
    seed: int = 0,
    ci: float = 0.95,
    cluster: str = "org_name",
    person_times: str = "exclude",
) -> pd.DataFrame:
    """Cost per beneficiary by group, as one tidy table (columns ``COST_COLUMNS``).

    Parameters
    ----------
    data : the canonical project table (docs/data.md).
    by : column(s) to group by (year, sector, province, deep_poverty_area, org_type, or a user column);
        None gives one national row.
    base_year : None for nominal yuan (each year's own prices); a year for constant yuan of that year
        (CPI, factor recorded through ``price_basis``).
    bootstrap_reps : organization-bootstrap replicates for the interval (0: no interval).
    seed : seed of the bootstrap.
    ci : coverage of the interval.
    cluster : the resampling unit (organizations by default).
    person_times : rows whose beneficiaries are person-times (flag ``person_times``) are excluded from
        the per-person estimators by default; "include" keeps them.

    Estimators (``estimator`` column): ``ratio_of_totals`` (headline, yuan per person),
    ``ratio_of_totals_per_household`` (yuan per registered poor household), ``mean_of_ratios`` and
    ``median_of_ratios`` (secondary), ``spending_per_project`` (yuan per project).
    """
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    _check(data, by, base_year, bootstrap_reps, ci, cluster, person_times)
    alpha = 1 - ci
    rng = np.random.default_rng(seed)
    df = data if base_year is None else to_constant_prices(data, int(base_year))
    price_basis = "nominal yuan" if base_year is None else f"constant {int(base_year)} yuan (CPI)"
    df = df[df[cluster].notna()]
    flags = df["flags"].fillna("") if "flags" in df.columns else pd.Series("", index=df.index)
    person_ok = ~flags.str.contains("person_times") if person_times == "exclude" else True

    persons = df[(df["expenditure_yuan"] > 0) & (df["beneficiaries"].fillna(0) > 0) & person_ok]
    persons = persons.assign(_b=persons["beneficiaries"].astype(float))
    households = df[
        (df["expenditure_yuan"] > 0)
        & (df.get("poor_households", pd.Series(0, index=df.index)).fillna(0) > 0)
    ]
    households = (
        households.assign(_b=households["poor_households"].astype(float))
        if len(households)
        else households
    )

    group_name = "+".join(by) if by else "all"
    rows = []

    def level_of(key):
        key = key if isinstance(key, tuple) else (key,)
        return "/".join(str(k) for k in key) if by else "all"

    def groups(frame):
        if not by:
            return [((), frame)]
        return list(frame.groupby(by, observed=True, sort=True))

    for key, g in groups(persons):
        ct = g.groupby(cluster, observed=True)[["expenditure_yuan", "_b"]].sum()
        n_cl = len(ct)
        if n_cl < 10:
            warnings.warn(
                f"cost per beneficiary for {group_name}={level_of(key)}: only {n_cl} "
                "organizations, the interval is unreliable",
                stacklevel=2,
            )
        total_s, total_b = g["expenditure_yuan"].sum(), g["_b"].sum()
        lo, hi = _bootstrap_ratio(
            ct["expenditure_yuan"].to_numpy(), ct["_b"].to_numpy(), bootstrap_reps, rng, alpha
        )
        base = {
            "group": group_name,
            "level": level_of(key),
            "n_projects": len(g),
            "total_expenditure_yuan": total_s,
            "total_beneficiaries": total_b,
            "price_basis": price_basis,
            "n_clusters": n_cl,
        }
        rows.append(
            {
                **base,
                "estimator": "ratio_of_totals",
                "estimate": total_s / total_b,
                "ci_low": lo,
                "ci_high": hi,
                "denominator": "persons",
                "ci_method": f"percentile, organization bootstrap, {bootstrap_reps} reps",
            }
        )
        ratio = g["expenditure_yuan"] / g["_b"]
        cl_ratio = ratio.groupby(g[cluster], observed=True).agg(["sum", "count"])
        mlo, mhi = _bootstrap_ratio(
            cl_ratio["sum"].to_numpy(),
            cl_ratio["count"].to_numpy(float),
            bootstrap_reps,
            rng,
            alpha,
        )
        rows.append(
            {
                **base,
                "estimator": "mean_of_ratios",
                "estimate": ratio.mean(),
                "ci_low": mlo,
                "ci_high": mhi,
                "denominator": "persons",
                "ci_method": f"percentile, organization bootstrap, {bootstrap_reps} reps",
            }
        )
        rows.append(
            {
                **base,
                "estimator": "median_of_ratios",
                "estimate": ratio.median(),
                "ci_low": np.nan,
                "ci_high": np.nan,
                "denominator": "persons",
                "ci_method": "none (secondary estimator)",
            }
        )
    for key, g in groups(households):
        ct = g.groupby(cluster, observed=True)[["expenditure_yuan", "_b"]].sum()
        total_s, total_b = g["expenditure_yuan"].sum(), g["_b"].sum()
        lo, hi = _bootstrap_ratio(
            ct["expenditure_yuan"].to_numpy(), ct["_b"].to_numpy(), bootstrap_reps, rng, alpha
        )
        rows.append(
            {
                "group": group_name,
                "level": level_of(key),
                "estimator": "ratio_of_totals_per_household",
                "estimate": total_s / total_b,
                "ci_low": lo,
                "ci_high": hi,
                "n_projects": len(g),
                "total_expenditure_yuan": total_s,
                "total_beneficiaries": total_b,
                "price_basis": price_basis,
                "denominator": "households",
                "n_clusters": len(ct),
                "ci_method": f"percentile, organization bootstrap, {bootstrap_reps} reps",
            }
        )
    spend = df[df["expenditure_yuan"] >= 0]
    for key, g in groups(spend):
        ct = g.groupby(cluster, observed=True)["expenditure_yuan"].agg(["sum", "count"])
        lo, hi = _bootstrap_ratio(
            ct["sum"].to_numpy(), ct["count"].to_numpy(float), bootstrap_reps, rng, alpha
        )
        rows.append(
            {
                "group": group_name,
                "level": level_of(key),
                "estimator": "spending_per_project",
                "estimate": g["expenditure_yuan"].sum() / len(g),
                "ci_low": lo,
                "ci_high": hi,
                "n_projects": len(g),
                "total_expenditure_yuan": g["expenditure_yuan"].sum(),
                "total_beneficiaries": np.nan,
                "price_basis": price_basis,
                "denominator": "projects",
                "n_clusters": len(ct),
                "ci_method": f"percentile, organization bootstrap, {bootstrap_reps} reps",
            }
        )
    out = pd.DataFrame(rows, columns=COST_COLUMNS)
    order = {
        "ratio_of_totals": 0,
        "ratio_of_totals_per_household": 1,
        "mean_of_ratios": 2,
        "median_of_ratios": 3,
        "spending_per_project": 4,
    }
    out = out.sort_values(
        ["level", "estimator"],
        key=lambda s: s.map(order) if s.name == "estimator" else s,
        kind="stable",
    ).reset_index(drop=True)
    return out


def cost_tables(
    data: pd.DataFrame,
    *,
    base_year: int,
    bootstrap_reps: int = 999,
    seed: int = 0,
    cluster: str = "org_name",
) -> pd.DataFrame:
    """The standard cost table of a run (tables/cost_per_beneficiary.csv): by year, by year and sector,
    and by year and 三区三州, in nominal yuan and in constant yuan of ``base_year``; then by sector and by
    三区三州 over all years in constant yuan."""
    parts = []
    for i, by in enumerate((["year"], ["year", "sector"], ["year", "deep_poverty_area"])):
        for j, base in enumerate((None, base_year)):
            parts.append(
                estimate_cost_per_beneficiary(
                    data,
                    by=by,
                    base_year=base,
                    cluster=cluster,
                    bootstrap_reps=bootstrap_reps,
                    seed=seed + 10 * i + j,
                )
            )
    for k, by in enumerate((["sector"], ["deep_poverty_area"])):
        parts.append(
            estimate_cost_per_beneficiary(
                data,
                by=by,
                base_year=base_year,
                cluster=cluster,
                bootstrap_reps=bootstrap_reps,
                seed=seed + 100 + k,
            )
        )
    return pd.concat(parts, ignore_index=True)


def published_benchmarks() -> pd.DataFrame:
    """Cost per beneficiary implied by published figures (yuan per person), each with scope and source.

    Different scopes: national social organizations' own spending (2018), central funds of the support
    programme (2012; 2012 to 2021-09), all of Jiangsu's social organizations (2018).
    """
    from analysis.reference import load_reference

    pub = load_reference("published_totals")
    pub["value"] = pub["value"].astype(float)

    def get(scope, period, measure):
        hit = pub[(pub["scope"] == scope) & (pub["period"] == period) & (pub["measure"] == measure)]
        return hit.iloc[0]

    specs = [
        (
            "national social organizations",
            "2018",
            "expenditure",
            "registered poor persons reached",
            "all spending of national social organizations / registered poor persons reached",
        ),
        (
            "central support to social organizations (all areas)",
            "2012",
            "central funds",
            "direct beneficiaries",
            "central funds only / direct beneficiaries",
        ),
        (
            "central support to social organizations (all areas)",
            "2012",
            "total investment",
            "direct beneficiaries",
            "central and matching funds / direct beneficiaries",
        ),
        (
            "central support to social organizations (all areas)",
            "2012 to 2021-09",
            "central funds",
            "direct beneficiaries",
            "cumulative central funds / at least 13 million beneficiaries (an upper bound)",
        ),
        (
            "Jiangsu social organizations (all levels)",
            "2018",
            "funds invested",
            "beneficiaries",
            "all levels of Jiangsu's social organizations",
        ),
    ]
    rows = []
    for scope, period, num, den, note in specs:
        n, d = get(scope, period, num), get(scope, period, den)
        rows.append(
            {
                "scope": scope,
                "period": period,
                "yuan_per_person": n["value"] / d["value"],
                "numerator": f"{num} ({n['value']:,.0f} {n['unit']})",
                "denominator": f"{den} ({d['value']:,.0f} {d['unit']})",
                "price_basis": "nominal yuan",
                "note": note,
                "source": n["source"],
            }
        )
    return pd.DataFrame(rows)
