"""Progress and index scores precomputed at publish time, so that the dashboard's first request after a load
costs a SELECT instead of a computation (the API calls stay under 50 ms).

Each table is stored with the parameters it was computed with (in `meta`); a reader whose settings differ
(e.g. other thresholds) computes afresh instead of using a table that would not match. Index chapter weights are
applied at read time, so the sliders of the dashboard still work on the stored indicator scores.
"""

from __future__ import annotations

import dataclasses
import json

import duckdb
import pandas as pd

from indicators.catalogue import Catalogue
from indicators.warehouse import first_row, quote_ident, registered

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
    """Compute progress and indicator scores for every year with data (inside the writer's staging file)."""
    from indicators import composite, progress
    from indicators.query import data_years

    years = data_years(con)[-RECENT_YEARS:]
    con.execute("DELETE FROM meta WHERE key LIKE 'params:%'")  # computed afresh below, never stale
    frames = [progress.compute(con, cat, y, settings.progress).assign(year=y) for y in years]
    frames = [f for f in frames if not f.empty]
    if frames:
        _write(con, PROGRESS_TABLE, pd.concat(frames, ignore_index=True), settings.progress)
    scores = [composite.compute_indicator_scores(con, cat, y, settings.index).assign(year=y) for y in years]
    if scores:
        _write(con, SCORES_TABLE, pd.concat(scores, ignore_index=True), settings.index)
