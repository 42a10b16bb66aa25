"""Progress and index results as readers get them: precomputed at publish time into stored tables, so that the
dashboard's first request after a load costs a SELECT instead of a computation (the API calls stay under 50 ms).

This module alone knows the stored tables: progress and composite are pure methods of their inputs, and the
readers (CLI, dashboard, reports) ask here. Each table is stored with the parameters it was computed with (in
`meta`); a reader whose settings differ (e.g. other thresholds) gets a fresh computation instead of a table that
would not match. Index chapter weights are applied at read time, so the dashboard's sliders work on the stored
indicator scores.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

import duckdb
import pandas as pd

from indicators.base.catalogue import Catalogue
from indicators.base.settings import Index, Progress
from indicators.engine import composite
from indicators.engine import progress as progress_method
from indicators.engine.query import data_years, league_values
from indicators.storage.warehouse import first_row, quote_ident, registered

PROGRESS_TABLE, SCORES_TABLE = "progress_facts", "index_indicator_scores"
RECENT_YEARS = 10  # the years people pick in the dashboard; older years are computed on request


METHOD_VERSION = 2  # raised when a method changes (2: natural limits, benchmarks never set a status), so that a
                    # table computed by older code is not read as current


def params_key(params) -> str:
    return json.dumps({**dataclasses.asdict(params), "method_version": METHOD_VERSION}, sort_keys=True, default=str)


def stored(con: duckdb.DuckDBPyConnection, table: str, params, year: int | None = None) -> bool:
    """True when `table` exists, was computed with exactly these parameters and (if given) holds `year`."""
    row = first_row(con, "SELECT value FROM meta WHERE key = ?", [f"params:{table}"])
    if row is None or row[0] != params_key(params):
        return False
    return year is None or first_row(con, f"SELECT 1 FROM {quote_ident(table)} WHERE year = ? LIMIT 1",
                                     [year]) is not None


def _write(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, params) -> None:
    with registered(con, frame, "_precomputed") as name:
        con.execute(f"CREATE OR REPLACE TABLE {quote_ident(table)} AS SELECT * FROM {name}")
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [f"params:{table}", params_key(params)])


def refresh(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings) -> None:
    """Compute progress and indicator scores for every recent year with data (inside the writer's staging file)."""
    years = data_years(con)[-RECENT_YEARS:]
    con.execute("DELETE FROM meta WHERE key LIKE 'params:%'")  # computed afresh below, never stale
    rows = progress_method.compute_years(con, cat, years, settings.progress)
    if len(rows):
        _write(con, PROGRESS_TABLE, rows, settings.progress)
    values = league_values(con, composite.index_codes(cat))
    scores = [composite.indicator_scores(values, cat, y, settings.index).assign(year=y) for y in years]
    if scores:
        _write(con, SCORES_TABLE, pd.concat(scores, ignore_index=True), settings.index)


def update(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings, changed: dict[str, int]) -> None:
    """After an incremental change of the facts (`changed`: indicator → the earliest year rewritten), recompute
    only the stored rows it can change: progress of those indicators for every stored year from that year on
    (a status looks at the values up to its year), and the index scores of those indicators for every stored year
    (their min–max bounds are pooled over the reference period, so a value in it moves every year's score). When
    the years held change (a first value of a new year) or the tables were computed with other parameters, it is
    a full refresh."""
    years = data_years(con)[-RECENT_YEARS:]
    if not changed:
        return
    if (not stored(con, PROGRESS_TABLE, settings.progress) or not stored(con, SCORES_TABLE, settings.index)
            or _stored_years(con) != set(years)):
        refresh(con, cat, settings)
        return
    redo = [y for y in years if y >= min(changed.values())]
    rows = progress_method.compute_years(con, cat, redo, settings.progress, indicators=sorted(changed))
    for year in redo:
        codes = sorted(c for c, first in changed.items() if first <= year)
        mine = rows[(rows["year"] == year) & rows["indicator_code"].isin(codes)] if len(rows) else rows
        _replace(con, PROGRESS_TABLE, mine, codes, year)
    index = sorted(set(changed) & set(composite.index_codes(cat)))
    if index:
        values = league_values(con, composite.index_codes(cat))
        for year in years:
            scores = composite.indicator_scores(values, cat, year, settings.index)
            _replace(con, SCORES_TABLE, scores[scores["indicator_code"].isin(index)].assign(year=year), index, year)


def _stored_years(con: duckdb.DuckDBPyConnection) -> set[int]:
    return {int(r[0]) for r in con.execute(f"SELECT DISTINCT year FROM {SCORES_TABLE}").fetchall()}


def _replace(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, codes: list[str], year: int) -> None:
    """The stored rows of these indicators in `year` replaced by `frame`."""
    con.execute(f"DELETE FROM {quote_ident(table)} WHERE year = ? AND list_contains(?, indicator_code)", [year, codes])
    if len(frame):
        with registered(con, frame, "_precomputed") as name:
            con.execute(f"INSERT INTO {quote_ident(table)} BY NAME SELECT * FROM {name}")


# ── reading: the stored tables when they match, else a fresh computation ──────────────────────────────

def progress(con: duckdb.DuckDBPyConnection, cat: Catalogue, year: int, p: Progress, regions: Sequence[str] = (),
             indicators: Sequence[str] = (), level: str | None = None) -> pd.DataFrame:
    """One row per indicator and region: base and latest values, target, CAGRs, R and status for `year`."""
    if stored(con, PROGRESS_TABLE, p, year):
        return con.execute(
            f"""SELECT * EXCLUDE (year) FROM {PROGRESS_TABLE}
                WHERE year = $year AND (len($ind) = 0 OR list_contains($ind, indicator_code))
                  AND (len($reg) = 0 OR list_contains($reg, region_code))
                  AND ($level IS NULL OR region_level = $level)
                ORDER BY indicator_code, region_code""",
            {"year": year, "ind": list(indicators), "reg": list(regions), "level": level}).df()
    return progress_method.compute(con, cat, year, p, regions, indicators, level)


def indicator_scores(con: duckdb.DuckDBPyConnection, cat: Catalogue, year: int, p: Index) -> pd.DataFrame:
    """Normalised score of every index indicator for every league in `year` (composite.indicator_scores)."""
    if stored(con, SCORES_TABLE, p, year):
        return con.execute(f"SELECT * EXCLUDE (year) FROM {SCORES_TABLE} WHERE year = ?", [year]).df()
    return fresh_indicator_scores(con, cat, year, p)


def fresh_indicator_scores(con: duckdb.DuckDBPyConnection, cat: Catalogue, year: int, p: Index) -> pd.DataFrame:
    return composite.indicator_scores(league_values(con, composite.index_codes(cat)), cat, year, p)


def index_scores(con: duckdb.DuckDBPyConnection, cat: Catalogue, year: int, p: Index,
                 weights: dict[int, float] | None = None) -> pd.DataFrame:
    """The composite index of `year`: chapter sub-indices and the composite (chapter 0) with ranks and coverage."""
    return composite.index_scores(indicator_scores(con, cat, year, p), p, year, weights)


def sensitivity(con: duckdb.DuckDBPyConnection, cat: Catalogue, year: int, p: Index,
                weights: dict[int, float] | None = None) -> pd.DataFrame:
    """The sensitivity scenarios of `year` (composite.scenarios)."""
    return composite.scenarios(indicator_scores(con, cat, year, p), p, weights)


def coverage(con: duckdb.DuckDBPyConnection, cat: Catalogue) -> pd.DataFrame:
    """Per chapter, league and year: how many index indicators have a value (composite.chapter_coverage)."""
    return composite.chapter_coverage(league_values(con, composite.index_codes(cat)), cat)
