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
from scipy import stats

from analysis.errors import ParameterError
from analysis.reference import cpi_index

__all__ = [
    "COST_COLUMNS",
    "cost_sensitivity",
    "cost_tables",
    "estimate_cost_per_beneficiary",
    "published_benchmarks",
    "ratio_interval_analytic",
    "to_constant_prices",
    "to_international_dollars",
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
    "delta_low",
    "delta_high",
    "fieller_low",
    "fieller_high",
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


PRICE_ORDERS = ("deflate_then_convert", "convert_then_deflate")


def to_international_dollars(
    data: pd.DataFrame,
    ppp: pd.DataFrame,
    *,
    base_year: int | None = None,
    order: str = "deflate_then_convert",
) -> tuple[pd.DataFrame, str]:
    """Turn ``expenditure_yuan`` into international dollars with a PPP table the user supplies.

    ``ppp`` has columns ``year`` and ``yuan_per_international_dollar`` (and ``dollar_price_level`` for
    ``convert_then_deflate`` with a base year). No PPP series ships with the toolkit. Orders:
    ``deflate_then_convert`` (constant yuan of ``base_year`` by the CPI, then the PPP of ``base_year``)
    or ``convert_then_deflate`` (each year's PPP, then the dollar price level to ``base_year``; without a
    base year, current international dollars). Returns the converted table (``price_factor`` holds the
    factor from nominal yuan) and the ``price_basis`` text.
    """
    if order not in PRICE_ORDERS:
        raise ParameterError(f"price_order must be one of {PRICE_ORDERS}, got {order!r}")
    if not {"year", "yuan_per_international_dollar"} <= set(ppp.columns):
        raise ParameterError("the PPP table needs columns year and yuan_per_international_dollar")
    rate = ppp.set_index(ppp["year"].astype(int))["yuan_per_international_dollar"].astype(float)
    years = set(data["year"]) | ({base_year} if base_year is not None else set())
    missing = sorted(years - set(rate.index))
    if missing:
        raise ParameterError(f"the PPP table has no rate for year(s) {missing}")
    if order == "deflate_then_convert":
        if base_year is None:
            raise ParameterError("deflate_then_convert needs a base_year")
        out = to_constant_prices(data, int(base_year))
        out["expenditure_yuan"] = out["expenditure_yuan"] / rate[base_year]
        out["price_factor"] = out["price_factor"] / rate[base_year]
        return out, f"constant {base_year} international dollars (CPI, then PPP of {base_year})"
    out = data.copy()
    out["price_factor"] = 1.0 / out["year"].map(rate)
    if base_year is not None:
        if "dollar_price_level" not in ppp.columns:
            raise ParameterError("convert_then_deflate with a base_year needs dollar_price_level")
        level = ppp.set_index(ppp["year"].astype(int))["dollar_price_level"].astype(float)
        out["price_factor"] *= level[base_year] / out["year"].map(level)
        basis = f"constant {base_year} international dollars (PPP of each year, then dollar prices)"
    else:
        basis = "current international dollars (PPP of each year)"
    out["expenditure_yuan"] = out["expenditure_yuan"] * out["price_factor"]
    return out, basis


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


def _bootstrap_draws(
    num: np.ndarray, den: np.ndarray, reps: int, rng, chunk: int = 256
) -> np.ndarray:
    """Replicates of sum(num)/sum(den) with clusters resampled with replacement.

    Vectorized: each chunk of replicates draws a (chunk x G) matrix of cluster indices and sums the
    cluster totals along it; no frame is copied. Memory stays at chunk * G indices.
    """
    g = len(num)
    out = np.empty(reps)
    for start in range(0, reps, chunk):
        n = min(chunk, reps - start)
        idx = rng.integers(0, g, size=(n, g), dtype=np.int32 if g < 2**31 else np.int64)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[start : start + n] = num[idx].sum(axis=1) / den[idx].sum(axis=1)
    return out


def _ratio_se(num: np.ndarray, den: np.ndarray) -> float:
    """Cluster-robust (linearization) standard error of sum(num)/sum(den)."""
    g = len(num)
    r = num.sum() / den.sum()
    return float(np.sqrt(g / (g - 1) * np.sum((num - r * den) ** 2)) / den.sum())


def _bootstrap_t(num, den, est, reps, rng, chunk: int = 256) -> np.ndarray:
    """Studentized replicates (R* - R) / se* with the linearization se of each replicate."""
    g = len(num)
    ss, sb, bb = num * num, num * den, den * den
    out = np.empty(reps)
    for start in range(0, reps, chunk):
        n = min(chunk, reps - start)
        idx = rng.integers(0, g, size=(n, g), dtype=np.int32 if g < 2**31 else np.int64)
        s_tot, b_tot = num[idx].sum(axis=1), den[idx].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = s_tot / b_tot
            resid = ss[idx].sum(axis=1) - 2 * r * sb[idx].sum(axis=1) + r * r * bb[idx].sum(axis=1)
            se = np.sqrt(g / (g - 1) * np.maximum(resid, 0.0)) / b_tot
            out[start : start + n] = (r - est) / se
    return out


def _jackknife(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Leave-one-cluster-out ratios of totals."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (num.sum() - num) / (den.sum() - den)


def _interval(num, den, reps, rng, alpha, method) -> tuple[float, float]:
    """Percentile or BCa interval of the ratio of totals from a cluster bootstrap."""
    g = len(num)
    if reps == 0 or g < 2:
        return np.nan, np.nan
    lo_q, hi_q = alpha / 2, 1 - alpha / 2
    if method == "studentized":
        est = num.sum() / den.sum()
        se = _ratio_se(num, den)
        t_draws = _bootstrap_t(num, den, est, reps, rng)
        t_lo, t_hi = np.quantile(t_draws[np.isfinite(t_draws)], [lo_q, hi_q])
        return float(est - t_hi * se), float(est - t_lo * se)
    draws = _bootstrap_draws(num, den, reps, rng)
    draws = draws[np.isfinite(draws)]
    if method == "bca":
        est = num.sum() / den.sum()
        prop = (np.sum(draws < est) + 0.5 * np.sum(draws == est)) / len(draws)
        prop = min(max(prop, 1.0 / (len(draws) + 1)), len(draws) / (len(draws) + 1))
        z0 = stats.norm.ppf(prop)
        jack = _jackknife(num, den)
        jack = jack[np.isfinite(jack)]
        d = jack.mean() - jack
        denom = 6.0 * np.sum(d**2) ** 1.5
        acc = np.sum(d**3) / denom if denom > 0 else 0.0
        z = stats.norm.ppf([lo_q, hi_q])
        adj = stats.norm.cdf(z0 + (z0 + z) / (1 - acc * (z0 + z)))
        lo_q, hi_q = float(adj[0]), float(adj[1])
    lo, hi = np.quantile(draws, [lo_q, hi_q])
    return float(lo), float(hi)


def ratio_interval_analytic(
    num: np.ndarray, den: np.ndarray, *, ci: float = 0.95
) -> dict[str, float]:
    """Delta-method and Fieller intervals for sum(num)/sum(den) with cluster totals num, den.

    Uses the cluster-robust variance of the totals (G/(G-1) times the sum of squared deviations) and
    the t distribution with G-1 degrees of freedom. Fieller's interval is unbounded (NaN) when the
    denominator is not significantly different from zero.
    """
    g = len(num)
    if g < 2:
        return {
            "delta_low": np.nan,
            "delta_high": np.nan,
            "fieller_low": np.nan,
            "fieller_high": np.nan,
        }
    s, b = num.sum(), den.sum()
    r = s / b
    f = g / (g - 1)
    v_ss = f * np.sum((num - num.mean()) ** 2)
    v_bb = f * np.sum((den - den.mean()) ** 2)
    v_sb = f * np.sum((num - num.mean()) * (den - den.mean()))
    t = stats.t.ppf(1 - (1 - ci) / 2, g - 1)
    se = np.sqrt(max(v_ss - 2 * r * v_sb + r**2 * v_bb, 0.0)) / b
    qa = b**2 - t**2 * v_bb
    qb = -2 * (s * b - t**2 * v_sb)
    qc = s**2 - t**2 * v_ss
    disc = qb**2 - 4 * qa * qc
    if qa > 0 and disc >= 0:
        roots = sorted(((-qb - np.sqrt(disc)) / (2 * qa), (-qb + np.sqrt(disc)) / (2 * qa)))
    else:
        roots = [np.nan, np.nan]
    return {
        "delta_low": r - t * se,
        "delta_high": r + t * se,
        "fieller_low": float(roots[0]),
        "fieller_high": float(roots[1]),
    }


def estimate_cost_per_beneficiary(
    data: pd.DataFrame,
    *,
    by: list[str] | str | None = None,
    base_year: int | None = None,
    bootstrap_reps: int = 999,
    seed: int = 0,
    ci: float = 0.95,
    interval: str = "percentile",
    cluster: str = "org_name",
    person_times: str = "exclude",
    ppp: pd.DataFrame | None = None,
    price_order: str = "deflate_then_convert",
) -> pd.DataFrame:
    """Cost per beneficiary by group, as one tidy table (columns ``COST_COLUMNS``).

    Parameters
    ----------
    data : the canonical project table (docs/data.md).
    by : column(s) to group by (year, sector, province, deep_poverty_area, org_type, or a user column);
        None gives one national row.
    base_year : None for nominal yuan (each year's own prices); a year for constant yuan of that year
        (CPI; the table's ``price_basis`` says which).
    bootstrap_reps : organization-bootstrap replicates for the interval (0: no bootstrap interval).
    seed : seed of the bootstrap.
    ci : coverage of the intervals.
    interval : "percentile" (the default), "bca" (bias-corrected and accelerated) or "studentized"
        (bootstrap-t with the linearization standard error) bootstrap interval
        in ``ci_low``/``ci_high``; delta-method and Fieller intervals are in their own columns.
    cluster : the resampling unit (organizations by default).
    person_times : rows whose beneficiaries are person-times (flag ``person_times``) are excluded from
        the per-person estimators by default; "include" keeps them.
    ppp, price_order : a PPP table to report international dollars instead of yuan, and the order of
        deflation and conversion (see :func:`to_international_dollars`); written into ``price_basis``.

    Estimators (``estimator`` column): ``ratio_of_totals`` (headline, yuan per person),
    ``ratio_of_totals_per_household`` (yuan per registered poor household), ``mean_of_ratios`` and
    ``median_of_ratios`` (secondary), ``spending_per_project`` (yuan per project).
    """
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    _check(data, by, base_year, bootstrap_reps, ci, cluster, person_times)
    if interval not in {"bca", "percentile", "studentized"}:
        raise ParameterError(
            f"interval must be 'studentized', 'percentile' or 'bca', got {interval!r}"
        )
    alpha = 1 - ci
    rng = np.random.default_rng(seed)
    if ppp is not None:
        df, price_basis = to_international_dollars(
            data, ppp, base_year=base_year, order=price_order
        )
    elif base_year is None:
        df, price_basis = data, "nominal yuan"
    else:
        df, price_basis = (
            to_constant_prices(data, int(base_year)),
            f"constant {int(base_year)} yuan (CPI)",
        )
    df = df[df[cluster].notna()]
    flags = df["flags"].fillna("") if "flags" in df.columns else pd.Series("", index=df.index)
    person_ok = ~flags.str.contains("person_times") if person_times == "exclude" else True
    spent = df["expenditure_yuan"] > 0
    persons = df[spent & (df["beneficiaries"].fillna(0) > 0) & person_ok]
    persons = persons.assign(_b=persons["beneficiaries"].astype(float))
    if "poor_households" in df.columns:
        households = df[spent & (df["poor_households"].fillna(0) > 0)]
        households = households.assign(_b=households["poor_households"].astype(float))
    else:
        households = persons.iloc[0:0]
    projects = df[df["expenditure_yuan"] >= 0].assign(_b=1.0)
    group_name = "+".join(by) if by else "all"
    boot = f"{interval}, organization bootstrap, {bootstrap_reps} reps"

    def groups(frame):
        if frame.empty:
            return []
        if not by:
            return [("all", frame)]
        return [  # a missing value (三区三州 unknown) is a level of its own, never dropped
            (
                "/".join(
                    "unknown" if pd.isna(k) else str(k)
                    for k in (key if isinstance(key, tuple) else (key,))
                ),
                g,
            )
            for key, g in frame.groupby(by, observed=True, sort=True, dropna=False)
        ]

    def ratio_row(level, g, estimator, denominator, num_col="expenditure_yuan", den_col="_b"):
        ct = g.groupby(cluster, observed=True)[[num_col, den_col]].sum()
        num, den = ct[num_col].to_numpy(float), ct[den_col].to_numpy(float)
        lo, hi = _interval(num, den, bootstrap_reps, rng, alpha, interval)
        row = {
            "group": group_name,
            "level": level,
            "estimator": estimator,
            "estimate": num.sum() / den.sum(),
            "ci_low": lo,
            "ci_high": hi,
            "n_projects": len(g),
            "total_expenditure_yuan": g["expenditure_yuan"].sum(),
            "total_beneficiaries": g["_b"].sum() if denominator != "projects" else np.nan,
            "price_basis": price_basis,
            "denominator": denominator,
            "n_clusters": len(ct),
            "ci_method": boot if bootstrap_reps else "none",
        }
        if estimator.startswith("ratio_of_totals"):
            row.update(ratio_interval_analytic(num, den, ci=ci))
        return row

    rows = []
    for level, g in groups(persons):
        if g[cluster].nunique() < 10:
            warnings.warn(
                f"cost per beneficiary for {group_name}={level}: only "
                f"{g[cluster].nunique()} organizations, the interval is unreliable",
                stacklevel=2,
            )
        rows.append(ratio_row(level, g, "ratio_of_totals", "persons"))
        g = g.assign(_ratio=g["expenditure_yuan"] / g["_b"], _one=1.0)
        mean_row = ratio_row(level, g, "mean_of_ratios", "persons", "_ratio", "_one")
        mean_row["total_expenditure_yuan"] = g["expenditure_yuan"].sum()
        mean_row["total_beneficiaries"] = g["_b"].sum()
        rows.append(mean_row)
        rows.append(
            {
                **mean_row,
                "estimator": "median_of_ratios",
                "estimate": g["_ratio"].median(),
                "ci_low": np.nan,
                "ci_high": np.nan,
                "ci_method": "none (secondary estimator)",
            }
        )
    for level, g in groups(households):
        rows.append(ratio_row(level, g, "ratio_of_totals_per_household", "households"))
    for level, g in groups(projects):
        rows.append(ratio_row(level, g, "spending_per_project", "projects"))
    out = pd.DataFrame(rows, columns=COST_COLUMNS)
    order = {
        "ratio_of_totals": 0,
        "ratio_of_totals_per_household": 1,
        "mean_of_ratios": 2,
        "median_of_ratios": 3,
        "spending_per_project": 4,
    }
    out = out.assign(_o=out["estimator"].map(order)).sort_values(["level", "_o"], kind="stable")
    return out.drop(columns="_o").reset_index(drop=True)


def cost_tables(
    data: pd.DataFrame,
    *,
    base_year: int,
    bootstrap_reps: int = 999,
    seed: int = 0,
    interval: str = "percentile",
    cluster: str = "org_name",
) -> pd.DataFrame:
    """The standard cost table of a run (tables/cost_per_beneficiary.csv): by year, by year and sector,
    and by year and 三区三州, in nominal yuan and in constant yuan of ``base_year``; then by sector and by
    三区三州 over all years in constant yuan. Each call gets its own seed (seed, seed+1, ...)."""
    specs = [
        (by, base)
        for by in (["year"], ["year", "sector"], ["year", "deep_poverty_area"])
        for base in (None, base_year)
    ]
    specs += [(["sector"], base_year), (["deep_poverty_area"], base_year)]
    from tqdm import tqdm  # a bar on a terminal only (disable=None): rendered notebooks stay stable

    parts = []
    for k, (by, base) in enumerate(
        tqdm(specs, desc="cost tables", delay=2, leave=False, disable=None)
    ):
        parts.append(
            estimate_cost_per_beneficiary(
                data,
                by=by,
                base_year=base,
                cluster=cluster,
                bootstrap_reps=bootstrap_reps,
                seed=seed + k,
                interval=interval,
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


SENSITIVITY_COLUMNS = [
    "assumption",
    "evidence",
    "setting_low",
    "setting_high",
    "low",
    "high",
    "baseline",
    "price_basis",
]


def cost_sensitivity(
    data: pd.DataFrame,
    *,
    year: int = 2018,
    person_times_share: float = 0.5,
    visits_per_person: float = 2.0,
    trim_shares: tuple[float, float] = (0.01, 0.05),
    base_years: tuple[int, int] = (2016, 2020),
    household_size: float = 3.0,
) -> pd.DataFrame:
    """One-way sensitivity of the headline (ratio of totals, yuan per person, one year).

    Each row changes one assumption and reports the headline at two settings (``low``/``high`` are the
    smaller and larger of the two estimates, ``baseline`` the headline itself, nominal yuan of ``year``
    unless the row is about prices). docs/assumptions.md rates the evidence for each (red, amber, green).

    - person-times: a share ``person_times_share`` of the recorded beneficiaries are visits, each person
      counted ``visits_per_person`` times, so persons = beneficiaries * (1 - share + share / visits);
    - flagged outliers (cpb_high, cpb_low) excluded;
    - registered poor households times ``household_size`` persons as the denominator instead of the
      recorded persons (the size is an assumption, not a published figure);
    - constant prices of another base year (CPI);
    - the largest projects (by spending) trimmed, at two shares.
    """
    for name, value in (
        ("person_times_share", person_times_share),
        ("trim_shares", max(trim_shares)),
    ):
        if not 0 <= value < 1:
            raise ParameterError(f"{name} must be in [0, 1), got {value}")
    if visits_per_person < 1 or household_size <= 0:
        raise ParameterError("visits_per_person must be >= 1 and household_size > 0")
    d = data[
        (data["year"] == year)
        & (data["expenditure_yuan"] > 0)
        & (data["beneficiaries"].fillna(0) > 0)
    ]
    if d.empty:
        raise ParameterError(f"no projects with spending and beneficiaries in {year}")
    flags = d["flags"].fillna("") if "flags" in d.columns else pd.Series("", index=d.index)
    d = d[~flags.str.contains("person_times")]

    def ratio(frame, denominator=None):
        den = frame["beneficiaries"].astype(float) if denominator is None else denominator
        return float(frame["expenditure_yuan"].sum() / den.sum())

    base = ratio(d)
    rows = []

    def add(assumption, evidence, s_low, s_high, v_low, v_high, basis="nominal yuan"):
        lo, hi = sorted((v_low, v_high))
        rows.append(
            {
                "assumption": assumption,
                "evidence": evidence,
                "setting_low": s_low,
                "setting_high": s_high,
                "low": lo,
                "high": hi,
                "baseline": base,
                "price_basis": basis,
            }
        )

    factor = 1 - person_times_share + person_times_share / visits_per_person
    add(
        "beneficiaries partly person-times",
        "red",
        "0% visits",
        f"{person_times_share:.0%} visits, {visits_per_person:g} per person",
        base,
        base / factor,
    )
    outliers = d["flags"].fillna("").str.contains("cpb_high|cpb_low") if "flags" in d else False
    add("flagged outliers", "amber", "kept", "excluded", base, ratio(d[~outliers]))
    hh = d[d["poor_households"].fillna(0) > 0]
    add(
        "denominator",
        "red",
        "persons recorded",
        f"registered poor households x {household_size:g}",
        base,
        ratio(hh, hh["poor_households"].astype(float) * household_size),
    )
    priced = [ratio(to_constant_prices(d, y)) for y in base_years]
    add(
        "price base year",
        "green",
        f"constant {base_years[0]} yuan",
        f"constant {base_years[1]} yuan",
        priced[0],
        priced[1],
        basis="constant yuan (CPI)",
    )
    trimmed = []
    for share in trim_shares:
        cut = d["expenditure_yuan"].quantile(1 - share)
        trimmed.append(ratio(d[d["expenditure_yuan"] <= cut]))
    add(
        "largest projects trimmed",
        "amber",
        f"top {trim_shares[0]:.0%} dropped",
        f"top {trim_shares[1]:.0%} dropped",
        trimmed[0],
        trimmed[1],
    )
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
