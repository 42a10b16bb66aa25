"""Tidy exports of the warehouse: CSV (UTF-8 with BOM, so Excel opens Chinese text) and XLSX, both safe from
formula injection: a text cell starting with = + - @ tab or CR is prefixed with an apostrophe (OWASP), while
numbers stay numbers. Example: a note "=1+1" is written as "'=1+1"; the value -3.5 stays -3.5.
Every export carries its metadata — indicator definitions, units, rules, sources, generation time and the
synthetic flag: a 说明 sheet in XLSX, a `<name>.metadata.csv` sidecar beside a CSV.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from indicators.base.catalogue import Catalogue

OBSERVATION_COLUMNS = ["indicator_code", "indicator_name", "region_code", "region_name", "region_level", "period",
                       "value", "unit", "obs_status", "synthetic", "source", "note", "batch_id", "revised"]
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
        f"""SELECT o.indicator_code, o.region_code, o.period, o.year, o.sub, o.value, o.obs_status, o.synthetic,
                  o.source, o.note, o.batch_id, o.superseded_by, b.loaded_at,
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
                "unit", "obs_status", "status", "coverage", "complete", "ytd_through", "rolled_up_from", "synthetic", "revised",
                "source", "batch_id"]


def facts(con: duckdb.DuckDBPyConnection, cat: Catalogue, indicators: Sequence[str] = (), regions: Sequence[str] = (),
          periods: Sequence[str] = (), lang: str = "zh") -> pd.DataFrame:
    """Reported, aggregated and derived values with status and coverage ("11/12"), at every frequency; indicator
    and region names in `lang` (codes, units and statuses are the same in both)."""
    from indicators.engine.query import label, values

    frame = label(values(con, indicators, regions, periods, frequency=None), cat, lang)
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


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """Write to a temporary name beside `path`, then rename: a scheduled export replacing a file under its stable
    name is never seen half-written by someone downloading it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_bytes(data: bytes, path: Path) -> Path:
    with _atomic(path) as partial:
        partial.write_bytes(data)
    return path


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    return write_bytes(to_csv_bytes(frame), path)


# Control characters XLSX cannot store (openpyxl refuses the whole file): removed from text cells.
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> Path:
    """One sheet per frame (e.g. data + 说明 metadata); strings neutralised, numbers written as numbers."""
    with _atomic(path) as partial, pd.ExcelWriter(partial, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            safe = safe_frame(frame)
            for col in safe.columns:
                if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
                    safe[col] = safe[col].map(lambda v: XLSX_ILLEGAL.sub("", v) if isinstance(v, str) else v)
            safe.to_excel(writer, sheet_name=name[:31], index=False)
    return path


# ── metadata (说明) ──────────────────────────────────────────────────────────────────────────────────

METADATA_COLUMNS = ["indicator_code", "indicator_name", "indicator_name_en", "unit", "chapter", "frequency", "measure",
                    "aggregation", "formula", "weight", "polarity", "department", "data_type", "definition",
                    "definition_en", "sources", "rows", "synthetic_rows", "synthetic", "file_synthetic",
                    "generated_at", "warehouse_published_at", "description"]
MAX_SOURCES = 5  # distinct sources listed per indicator; the rest are counted


def _sources(values: pd.Series) -> str:
    """'a; b; c' — distinct non-empty sources, the most used first: ['x', 'x', 'y'] → 'x; y'."""
    counts = values.dropna().astype(str).str.strip()
    counts = counts[counts != ""].value_counts()
    names = list(counts.index[:MAX_SOURCES])
    more = f"; 另有{len(counts) - MAX_SOURCES}个来源 | {len(counts) - MAX_SOURCES} more" if len(counts) > MAX_SOURCES else ""
    return "; ".join(names) + more


def metadata(frame: pd.DataFrame, cat: Catalogue, published_at: str | None = None, description: str = "",
             generated_at: datetime | None = None) -> pd.DataFrame:
    """One row per indicator in `frame`: the catalogue's definition and rule, the sources named in the rows, how
    many rows are synthetic (示例数据), and the run's generation time (UTC) and warehouse version."""
    generated = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    synthetic = frame["synthetic"].fillna(False).astype(bool) if "synthetic" in frame else pd.Series(False, frame.index)
    sources = frame["source"] if "source" in frame else pd.Series(None, frame.index, dtype=object)
    rows = []
    for code in sorted(frame["indicator_code"].unique()):
        ind, mine = cat.indicators.get(code), frame["indicator_code"] == code
        record = ind.as_record() if ind else {"code": code}
        rows.append({**{k: record.get(k) for k in ("unit", "chapter", "frequency", "measure", "aggregation", "formula",
                                                 "weight", "polarity", "department", "data_type")},
                     "indicator_code": code, "indicator_name": record.get("name_zh"),
                     "indicator_name_en": record.get("name_en"), "definition": record.get("definition_zh"),
                     "definition_en": record.get("definition_en"), "sources": _sources(sources[mine]),
                     "rows": int(mine.sum()), "synthetic_rows": int((mine & synthetic).sum()),
                     "synthetic": bool((mine & synthetic).any())})
    out = pd.DataFrame(rows, columns=METADATA_COLUMNS)
    return out.assign(file_synthetic=bool(synthetic.any()), generated_at=generated,
                      warehouse_published_at=published_at or "", description=description)


def sidecar_path(path: Path) -> Path:
    """data/exports/x.csv → data/exports/x.metadata.csv"""
    return path.with_name(f"{path.stem}.metadata.csv")


def export_format(path: Path, fmt: str | None = None) -> str:
    return fmt or ("xlsx" if path.suffix.lower() == ".xlsx" else "csv")


def write_export(frame: pd.DataFrame, path: Path, cat: Catalogue, fmt: str | None = None,
                 published_at: str | None = None, description: str = "") -> list[Path]:
    """The data and its metadata: XLSX with sheets data + 说明, or CSV plus a .metadata.csv sidecar."""
    meta = metadata(frame, cat, published_at, description)
    if export_format(path, fmt) == "xlsx":
        return [write_xlsx({"data": frame, "说明": meta}, path)]
    return [write_csv(frame, path), write_csv(meta, sidecar_path(path))]
