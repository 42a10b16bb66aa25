"""Read API over the derived layer: tidy DataFrames for the dashboard, the reports and the CLI.

Every function takes an open (read-only) connection and returns plain columns; nothing here writes.
Example: values(con, ["DI-02"], level="league") → one row per league and year with value, status
(reported | aggregated | derived), coverage, synthetic and revision flags, observation status (A, P, E, F).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from indicators.base.catalogue import Catalogue

COLUMNS = ("indicator_code, region_code, region_level, period, year, sub, frequency, value, amount, status, basis, "
           "reported_value, aggregated_value, reconciliation_diff, reconciliation_ok, coverage_n, coverage_total, "
           "complete, ytd_through, synthetic, revised, batch_id, source, rolled_up_from, obs_status")


def values(con: duckdb.DuckDBPyConnection, indicators: Sequence[str] = (), regions: Sequence[str] = (),
           periods: Sequence[str] = (), level: str | None = None, frequency: str | None = "annual",
           years: tuple[int, int] | None = None, include_missing: bool = False) -> pd.DataFrame:
    """Facts filtered by indicator, region, period, level, frequency and year span (empty filter = all)."""
    lo, hi = years or (0, 9999)
    return con.execute(
        f"""SELECT {COLUMNS} FROM facts
            WHERE (len($ind) = 0 OR list_contains($ind, indicator_code))
              AND (len($reg) = 0 OR list_contains($reg, region_code))
              AND (len($per) = 0 OR list_contains($per, period))
              AND ($level IS NULL OR region_level = $level)
              AND ($freq IS NULL OR frequency = $freq)
              AND year BETWEEN $lo AND $hi
              AND ($missing OR value IS NOT NULL)
            ORDER BY indicator_code, region_code, year, sub""",
        {"ind": list(indicators), "reg": list(regions), "per": list(periods), "level": level, "freq": frequency,
         "lo": lo, "hi": hi, "missing": include_missing}).df()


def endpoints(con: duckdb.DuckDBPyConnection, years: Sequence[int], base_year: int, indicators: Sequence[str] = (),
              regions: Sequence[str] = (), level: str | None = None) -> list[tuple]:
    """What progress looks at, for each evaluation year Y: per indicator and region, over the complete annual values
    from min(base_year, Y) to Y — the latest value (its year, value, status), the first value at or after the base
    year (year, value), and whether any of them is synthetic. Rows (year, indicator_code, region_code,
    region_level, latest_year, latest_value, latest_status, base_year, base_value, synthetic), ordered by year,
    indicator and region."""
    return con.execute(
        """SELECT y.year, f.indicator_code, f.region_code, any_value(f.region_level), max(f.year),
                  arg_max(f.value, f.year), arg_max(f.status, f.year),
                  min(f.year) FILTER (WHERE f.year >= $base), arg_min(f.value, f.year) FILTER (WHERE f.year >= $base),
                  bool_or(f.synthetic)
           FROM facts f JOIN (SELECT unnest($years) AS year) y ON f.year BETWEEN least($base, y.year) AND y.year
           WHERE f.frequency = 'annual' AND f.complete AND f.value IS NOT NULL
             AND (len($ind) = 0 OR list_contains($ind, f.indicator_code))
             AND (len($reg) = 0 OR list_contains($reg, f.region_code))
             AND ($level IS NULL OR f.region_level = $level)
           GROUP BY y.year, f.indicator_code, f.region_code
           ORDER BY y.year, f.indicator_code, f.region_code""",
        {"years": [int(y) for y in years], "base": base_year, "ind": list(indicators), "reg": list(regions),
         "level": level}).fetchall()


def league_values(con: duckdb.DuckDBPyConnection, codes: Sequence[str]) -> pd.DataFrame:
    """The complete annual league values of these indicators, every year (what the composite index uses)."""
    frame = values(con, codes, level="league")
    return frame[frame["complete"]]


def latest(con: duckdb.DuckDBPyConnection, indicators: Sequence[str] = (), regions: Sequence[str] = (),
           level: str | None = None, up_to_year: int | None = None, complete_only: bool = True) -> pd.DataFrame:
    """The latest annual value per indicator and region (complete years only, unless asked otherwise)."""
    frame = values(con, indicators, regions, level=level, years=(0, up_to_year or 9999))
    if complete_only:
        frame = frame[frame["complete"]]
    return frame.sort_values("year").groupby(["indicator_code", "region_code"], as_index=False).tail(1)


PERCENT = "%"  # the catalogue unit of shares and rates: their change is in percentage points


def in_points(unit: str) -> bool:
    """True when a change of this unit is stated in percentage points (a share: 45 % → 48 % is +3 points, not
    +6.7 %); any other unit changes in per cent of the previous value."""
    return unit == PERCENT


def yoy_change(value, previous, unit):
    """The year-on-year change as every output states it: percentage points for a share (unit "%"), else per cent
    of the previous value (undefined unless that is positive); NaN where undefined. Scalars or arrays alike.
    yoy_change(48.0, 45.0, "%") → 3.0 (points); yoy_change(121, 110, "亿元") → 10.0 (per cent)."""
    scalar = np.ndim(value) == 0 and np.ndim(previous) == 0 and np.ndim(unit) == 0
    v, p = _floats(value), _floats(previous)
    points = np.atleast_1d(np.asarray(unit, dtype=object)) == PERCENT
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(points, v - p, np.where(p > 0, (v / p - 1) * 100, np.nan))
    return float(change[0]) if scalar else change


def _floats(x) -> np.ndarray:
    """Numbers as a float array; None, pd.NA and text become NaN."""
    items = pd.Series(np.atleast_1d(np.asarray(x, dtype=object)))
    return pd.to_numeric(items, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def with_growth(frame: pd.DataFrame, cat: Catalogue) -> pd.DataFrame:
    """Add the value of the same period of the previous year (`previous`; a complete one only: a year-to-date
    total is no year) and the year-on-year change `yoy` as yoy_change states it: percentage points for shares,
    per cent otherwise (`yoy_points` says which)."""
    key = ["indicator_code", "region_code", "frequency", "sub"]
    complete = frame[frame["complete"].astype(bool)] if "complete" in frame else frame
    prev = complete[key + ["year", "value"]].assign(year=complete["year"] + 1).rename(columns={"value": "previous"})
    out = frame.merge(prev, on=key + ["year"], how="left")
    units = out["indicator_code"].map({c: i.unit for c, i in cat.indicators.items()}).fillna("")
    out["yoy"] = yoy_change(out["value"].to_numpy(), out["previous"].to_numpy(), units.to_numpy())
    out["yoy_points"] = units.map(in_points).astype(bool)
    return out


def ranks(values: pd.Series, decimals, lower_is_better=False, by: pd.Series | None = None) -> pd.Series:
    """Ranks (1 = best) of values as they are published, i.e. rounded to `decimals`: what a reader sees as equal
    is ranked equal ("3=", never 3 and 4 for two values shown as 81.9); missing values get no rank. `decimals` and
    `lower_is_better` may be given per row (Series like `values`), and `by` ranks within groups (per indicator).
    ranks([81.94, 81.91, 90.0], 1) → [2, 2, 1]."""
    scale = 10.0 ** pd.Series(decimals, index=values.index).astype(float)
    shown = (values.astype(float) * scale).round()
    key = shown.where(pd.Series(lower_is_better, index=values.index).astype(bool), -shown)
    ranked = key.groupby(by).rank(method="min") if by is not None else key.rank(method="min")
    return ranked.astype("Int64")


def tied(ranks_: pd.Series, by: pd.Series | None = None) -> pd.Series:
    """True where a rank is shared with another row of the same ranking: [1, 2, 2, 4] → [F, T, T, F]."""
    keys = pd.DataFrame({"rank": ranks_, "group": by if by is not None else 0})
    return ranks_.notna() & keys.duplicated(keep=False)


def cagr(first: float, last: float, years: float) -> float:
    """Compound annual growth rate; NaN where undefined (non-positive values, no elapsed time).
    cagr(100, 121, 2) → 0.10."""
    if years <= 0 or not (first > 0 and last > 0):
        return float("nan")
    return (last / first) ** (1 / years) - 1


def label(frame: pd.DataFrame, cat: Catalogue, lang: str = "zh") -> pd.DataFrame:
    """Add indicator_name, unit and region_name in the given language (for tables and hover text)."""
    return frame.assign(
        indicator_name=frame["indicator_code"].map({c: i.name(lang) for c, i in cat.indicators.items()}),
        unit=frame["indicator_code"].map({c: i.unit for c, i in cat.indicators.items()}),
        region_name=frame["region_code"].map({c: r.name(lang) for c, r in cat.regions.by_code.items()}))


def data_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [r[0] for r in con.execute("SELECT DISTINCT year FROM facts WHERE value IS NOT NULL ORDER BY year").fetchall()]


def has_synthetic(con: duckdb.DuckDBPyConnection, indicators: Sequence[str] = (), regions: Sequence[str] = ()) -> bool:
    rows = con.execute("""SELECT count(*) FROM facts WHERE synthetic AND value IS NOT NULL
                          AND (len($ind) = 0 OR list_contains($ind, indicator_code))
                          AND (len($reg) = 0 OR list_contains($reg, region_code))""",
                       {"ind": list(indicators), "reg": list(regions)}).fetchall()
    return rows[0][0] > 0
