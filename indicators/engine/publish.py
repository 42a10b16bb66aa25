"""The engine's publish step: what a writer runs on its staging file before it publishes it. The ETL hands it to
the storage layer's writer (warehouse.writer(on_publish=…)), so storage never calls up into the engine.

Order: the reference tables (the catalogue beside the data), the derived layer (facts), then the progress and
index results precomputed from it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable

import duckdb

from indicators.base.catalogue import Catalogue
from indicators.base.settings import Settings
from indicators.engine import derive, precompute
from indicators.storage.warehouse import first_row, write_reference

# Raised whenever what the derived layer computes from the same inputs changes (a new rule of derive, progress or
# the index): a warehouse published by older code is then rebuilt in full at its next publish.
ENGINE_VERSION = "5"


def step(cat: Catalogue, settings: Settings, full: bool = False) -> Callable[[duckdb.DuckDBPyConnection], None]:
    """The publish step for this catalogue and these settings (clock and tolerances included); `full` rebuilds
    everything instead of what the loads since the last publish can have changed."""

    def publish(con: duckdb.DuckDBPyConnection) -> None:
        refresh(con, cat, settings, full=full)

    return publish


def refresh(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings, full: bool = True) -> str:
    """Bring the reference tables, the derived layer and the precomputed results up to date inside `con`
    (read-write). Incremental when it can be: the facts record the last batch they reflect and the fingerprint of
    what they were computed with (catalogue, settings, calendar year, engine version); the observations of later
    batches name the (indicator, year) slices to redo. Anything else — another fingerprint, no record, `full` —
    rebuilds everything. Returns 'full', 'incremental' or 'unchanged'."""
    write_reference(con, cat)
    current = fingerprint(cat, settings)
    last = _meta(con, "facts_batch")
    latest = first_row(con, "SELECT coalesce(max(batch_id), 0) FROM observations")[0]
    if full or last is None or _meta(con, "facts_fingerprint") != current or not _has_facts(con):
        derive.refresh(con, cat, settings.today, settings.etl.reconciliation_tolerance)
        precompute.refresh(con, cat, settings)
        kind = "full"
    else:
        touched = {(code, int(year)) for code, year in con.execute(
            "SELECT DISTINCT indicator_code, year FROM observations WHERE batch_id > ?", [int(last)]).fetchall()}
        slices = derive.update(con, cat, settings.today, settings.etl.reconciliation_tolerance, touched)
        changed: dict[str, int] = {}
        for code, year in slices:
            changed[code] = min(year, changed.get(code, year))
        precompute.update(con, cat, settings, changed)
        kind = "incremental" if slices else "unchanged"
    con.execute("INSERT OR REPLACE INTO meta VALUES ('facts_batch', ?), ('facts_fingerprint', ?), ('facts_refresh', ?)",
                [str(latest), current, kind])
    return kind


def fingerprint(cat: Catalogue, settings: Settings) -> str:
    """What the derived layer and the precomputed results depend on besides the observations."""
    parts = {"engine": ENGINE_VERSION, "year": settings.today.year,
             "tolerance": settings.etl.reconciliation_tolerance,
             "progress": dataclasses.asdict(settings.progress), "index": dataclasses.asdict(settings.index),
             "indicators": [i.as_record() for i in cat.indicators.values()],
             "regions": [[r.code, r.parent_code, r.level] for r in cat.regions.regions],
             "targets": [dataclasses.asdict(t) for t in cat.targets]}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = first_row(con, "SELECT value FROM meta WHERE key = ?", [key])
    return row[0] if row else None


def _has_facts(con: duckdb.DuckDBPyConnection) -> bool:
    try:
        con.execute("SELECT 1 FROM facts LIMIT 0")
    except duckdb.CatalogException:
        return False
    return True
