"""What the review of loaded batches reads from the warehouse (docs/review.md): the batches waiting, what each
changed (new values, revised ones old → new), its warnings, and which later batch corrected a returned one.
Read-only: the review's decisions live in the application database, never here."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

REVIEWED = ("loaded", "partial")  # a rejected file wrote nothing: nothing to review


def loaded_batches(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every batch that wrote to the warehouse, oldest first, with its counts, unit and submitter."""
    return con.execute("""
        SELECT batch_id, file_name, status, received_at, loaded_at, submitter_region, submitter, rows_total,
               rows_new, rows_revised, rows_unchanged, n_warnings, synthetic
        FROM batches WHERE list_contains($reviewed, status) ORDER BY loaded_at, batch_id""",
                       {"reviewed": list(REVIEWED)}).df()


def batch_changes(con: duckdb.DuckDBPyConnection, batch_id: int, limit: int = 500) -> pd.DataFrame:
    """The values a batch wrote: new ones, and revised ones with the value they replaced (old → new)."""
    return con.execute("""
        SELECT o.indicator_code, o.region_code, o.period, p.value AS old_value, o.value AS new_value,
               CASE WHEN p.value IS NULL THEN 'new' ELSE 'revised' END AS change, o.line
        FROM observations o
        LEFT JOIN observations p ON p.superseded_by = o.batch_id AND p.indicator_code = o.indicator_code
             AND p.region_code = o.region_code AND p.period = o.period
        WHERE o.batch_id = $batch
        ORDER BY change DESC, o.indicator_code, o.region_code, o.year, o.sub LIMIT $limit""",
                       {"batch": batch_id, "limit": limit}).df()


def batch_warnings(con: duckdb.DuckDBPyConnection, batch_ids: Sequence[int]) -> pd.DataFrame:
    """The validation warnings of these batches, by batch and line."""
    return con.execute("""
        SELECT batch_id, line, "column", value, rule, message_zh, message_en FROM problems
        WHERE severity = 'warning' AND list_contains($batches, batch_id) ORDER BY batch_id, line NULLS FIRST, rule""",
                       {"batches": [int(b) for b in batch_ids]}).df()


def corrections(con: duckdb.DuckDBPyConnection, batch_ids: Sequence[int]) -> dict[int, int]:
    """For each of these (returned) batches, the first later batch of the same unit (submitter_region) that wrote
    at least one of its keys (indicator, region, period) again — the corrected file. Batches not yet corrected are
    left out: corrections(con, [11]) → {11: 15}."""
    if not batch_ids:
        return {}
    rows = con.execute("""
        SELECT r.batch_id, min(n.batch_id) AS corrected_by
        FROM batches r JOIN batches n ON n.submitter_region = r.submitter_region AND n.batch_id > r.batch_id
             AND list_contains($reviewed, n.status)
        WHERE list_contains($batches, r.batch_id) AND EXISTS (
            SELECT 1 FROM observations a JOIN observations b ON a.indicator_code = b.indicator_code
                   AND a.region_code = b.region_code AND a.period = b.period
            WHERE a.batch_id = r.batch_id AND b.batch_id = n.batch_id)
        GROUP BY r.batch_id""", {"batches": [int(b) for b in batch_ids], "reviewed": list(REVIEWED)}).fetchall()
    return {int(b): int(n) for b, n in rows}


def batch_periods(con: duckdb.DuckDBPyConnection, batch_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """The periods each of these batches wrote, in order — what /review selects "every batch of a period" by:
    batch_periods(con, [12]) → {12: ('2022Q1', '2023Q1')}."""
    if not batch_ids:
        return {}
    rows = con.execute("""
        SELECT batch_id, list(DISTINCT period ORDER BY period) FROM observations
        WHERE list_contains($batches, batch_id) GROUP BY batch_id""",
                       {"batches": [int(b) for b in batch_ids]}).fetchall()
    return {int(b): tuple(periods) for b, periods in rows}
