"""The engine's publish step: what a writer runs on its staging file before it publishes it. The ETL hands it to
the storage layer's writer (warehouse.writer(on_publish=…)), so storage never calls up into the engine.

Order: the reference tables (the catalogue beside the data), the derived layer (facts), then the progress and
index results precomputed from it.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from indicators.base.catalogue import Catalogue
from indicators.base.settings import Settings
from indicators.engine import derive, precompute
from indicators.storage.warehouse import write_reference


def step(cat: Catalogue, settings: Settings) -> Callable[[duckdb.DuckDBPyConnection], None]:
    """The publish step for this catalogue and these settings (clock and tolerances included)."""

    def publish(con: duckdb.DuckDBPyConnection) -> None:
        refresh(con, cat, settings)

    return publish


def refresh(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings) -> None:
    """Rebuild the reference tables, the derived layer and the precomputed results inside `con` (read-write)."""
    write_reference(con, cat)
    derive.refresh(con, cat, settings.today, settings.etl.reconciliation_tolerance)
    precompute.refresh(con, cat, settings)
