"""Tidy exports of the warehouse: CSV (UTF-8 with BOM, so Excel opens Chinese text) and XLSX, both safe from
formula injection: a text cell starting with = + - @ tab or CR is prefixed with an apostrophe (OWASP), while
numbers stay numbers. Example: a note "=1+1" is written as "'=1+1"; the value -3.5 stays -3.5.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from indicators.catalogue import Catalogue

OBSERVATION_COLUMNS = ["indicator_code", "indicator_name", "region_code", "region_name", "region_level", "period",
                       "value", "unit", "synthetic", "source", "note", "batch_id", "revised"]
HISTORY_COLUMNS = OBSERVATION_COLUMNS + ["superseded_by", "loaded_at"]
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: object) -> object:
    """'=1+1' → "'=1+1"; non-strings (numbers, None) pass through unchanged."""
    if isinstance(text, str) and text.startswith(DANGEROUS_PREFIXES):
        return "'" + text
    return text


def observations(con: duckdb.DuckDBPyConnection, cat: Catalogue, indicators: Sequence[str] = (),
                 regions: Sequence[str] = (), periods: Sequence[str] = (), history: bool = False) -> pd.DataFrame:
    """Current observations (or every vintage with history=True) with names, units and provenance."""
    frame = con.execute(
        f"""SELECT o.indicator_code, o.region_code, o.period, o.year, o.sub, o.value, o.synthetic, o.source, o.note,
                  o.batch_id, o.superseded_by, b.loaded_at,
                  EXISTS (SELECT 1 FROM observations p WHERE p.indicator_code = o.indicator_code
                          AND p.region_code = o.region_code AND p.period = o.period
                          AND p.superseded_by = o.batch_id) AS revised
           FROM {'observations' if history else 'current_observations'} o
           JOIN batches b USING (batch_id)
           WHERE (len(?) = 0 OR list_contains(?, o.indicator_code))
             AND (len(?) = 0 OR list_contains(?, o.region_code))
             AND (len(?) = 0 OR list_contains(?, o.period))
           ORDER BY o.indicator_code, o.region_code, o.year, o.sub, o.batch_id""",
        [list(indicators), list(indicators), list(regions), list(regions), list(periods), list(periods)]).df()
    names = {c: i.name_zh for c, i in cat.indicators.items()}
    units = {c: i.unit for c, i in cat.indicators.items()}
    frame["indicator_name"] = frame["indicator_code"].map(names)
    frame["unit"] = frame["indicator_code"].map(units)
    frame["region_name"] = frame["region_code"].map({c: r.name_zh for c, r in cat.regions.by_code.items()})
    frame["region_level"] = frame["region_code"].map({c: r.level for c, r in cat.regions.by_code.items()})
    frame["superseded_by"] = frame["superseded_by"].astype("Int64")
    return frame[HISTORY_COLUMNS if history else OBSERVATION_COLUMNS].reset_index(drop=True)


FACT_COLUMNS = ["indicator_code", "indicator_name", "region_code", "region_name", "region_level", "period", "value",
                "unit", "status", "coverage", "complete", "ytd_through", "synthetic", "revised", "source", "batch_id"]


def facts(con: duckdb.DuckDBPyConnection, cat: Catalogue, indicators: Sequence[str] = (), regions: Sequence[str] = (),
          periods: Sequence[str] = ()) -> pd.DataFrame:
    """Reported, aggregated and derived values with status and coverage ("11/12"), at every frequency."""
    from indicators.query import label, values

    frame = label(values(con, indicators, regions, periods, frequency=None), cat)
    frame["coverage"] = [f"{n}/{t}" if pd.notna(n) else "" for n, t in
                         zip(frame["coverage_n"], frame["coverage_total"], strict=True)]
    frame["region_level"] = frame["region_code"].map({c: r.level for c, r in cat.regions.by_code.items()})
    return frame[FACT_COLUMNS].reset_index(drop=True)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    safe_frame(frame).to_csv(buf, index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue().encode("utf-8-sig")


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(to_csv_bytes(frame))
    return path


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> Path:
    """One sheet per frame (e.g. data + 说明 metadata); strings neutralised, numbers written as numbers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            safe_frame(frame).to_excel(writer, sheet_name=name[:31], index=False)
    return path
