"""Read API over the derived layer: tidy DataFrames for the dashboard, the reports and the CLI.

Every function takes an open (read-only) connection and returns plain columns; nothing here writes.
Example: values(con, ["DI-02"], level="league") → one row per league and year with value, status
(reported | aggregated | derived), coverage, synthetic and revision flags.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from indicators.catalogue import Catalogue

COLUMNS = ("indicator_code, region_code, region_level, period, year, sub, frequency, value, amount, status, basis, "
           "reported_value, aggregated_value, reconciliation_diff, reconciliation_ok, coverage_n, coverage_total, "
           "complete, ytd_through, synthetic, revised, batch_id, source, rolled_up_from")


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


def latest(con: duckdb.DuckDBPyConnection, indicators: Sequence[str] = (), regions: Sequence[str] = (),
           level: str | None = None, up_to_year: int | None = None, complete_only: bool = True) -> pd.DataFrame:
    """The latest annual value per indicator and region (complete years only, unless asked otherwise)."""
    frame = values(con, indicators, regions, level=level, years=(0, up_to_year or 9999))
    if complete_only:
        frame = frame[frame["complete"]]
    return frame.sort_values("year").groupby(["indicator_code", "region_code"], as_index=False).tail(1)


def with_growth(frame: pd.DataFrame) -> pd.DataFrame:
    """Add year-on-year change (absolute and %) against the same period of the previous year."""
    key = ["indicator_code", "region_code", "frequency", "sub"]
    prev = frame[key + ["year", "value"]].assign(year=frame["year"] + 1).rename(columns={"value": "previous"})
    out = frame.merge(prev, on=key + ["year"], how="left")
    out["yoy_abs"] = out["value"] - out["previous"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["yoy_pct"] = np.where(out["previous"] > 0, out["value"] / out["previous"] - 1, np.nan)
    return out


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
