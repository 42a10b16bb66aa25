"""Write one validated submission into the (staging) warehouse in a single transaction, keeping every vintage.

A key (indicator, region, period) seen for the first time is new. If its current value differs — or its source,
note, synthetic flag or observation status (a provisional value confirmed as final is a new vintage) — the current row is marked superseded by this batch and the new row becomes current;
the old vintage stays queryable with its batch. An identical value writes nothing and is counted unchanged.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa

from etl.problems import Problem
from indicators.storage.warehouse import first_row, registered, transaction, utc_now

OBSERVATION_COLUMNS = ["indicator_code", "region_code", "period", "year", "sub", "value", "unit_submitted", "note",
                       "source", "synthetic", "line", "obs_status"]


@dataclass
class BatchInfo:
    file_name: str
    file_path: str
    sha256: str
    size_bytes: int
    received_at: object
    status: str  # loaded | partial | rejected
    file_format: str | None
    encoding: str | None
    layout: str | None
    rows_total: int
    rows_not_reported: int
    rows_rejected: int
    n_errors: int
    n_warnings: int
    submitter_region: str | None
    synthetic: bool
    message: str
    submitter: str | None = None  # the account that handed the file in; None for the inbox and the command line


def loaded_batch(con: duckdb.DuckDBPyConnection, sha256: str) -> int | None:
    """The batch that already loaded these exact bytes, if any."""
    row = first_row(con, "SELECT min(batch_id) FROM batches WHERE sha256 = ? AND status IN ('loaded', 'partial')",
                    [sha256])
    return row[0] if row else None


def rejected_before(con: duckdb.DuckDBPyConnection, sha256: str) -> int | None:
    row = first_row(con, "SELECT max(batch_id) FROM batches WHERE sha256 = ? AND status = 'rejected'", [sha256])
    return row[0] if row else None


def reserve_batch_id(con: duckdb.DuckDBPyConnection) -> int:
    """The next batch number, taken now (DuckDB does not give sequence numbers back on rollback, so a
    reserved number must be used by whichever batch row the file ends up with)."""
    return first_row(con, "SELECT nextval('batch_ids')")[0]


def _insert_batch(con: duckdb.DuckDBPyConnection, info: BatchInfo, counts: dict[str, int],
                  batch_id: int | None = None) -> int:
    batch_id = reserve_batch_id(con) if batch_id is None else batch_id
    con.execute(
        """INSERT INTO batches (batch_id, file_name, file_path, sha256, size_bytes, received_at, loaded_at, status,
               file_format, encoding, layout, rows_total, rows_new, rows_revised, rows_unchanged, rows_not_reported,
               rows_rejected, n_errors, n_warnings, submitter_region, synthetic, message, submitter)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [batch_id, info.file_name, info.file_path, info.sha256, info.size_bytes, info.received_at, utc_now(),
         info.status, info.file_format, info.encoding, info.layout, info.rows_total, counts.get("new", 0),
         counts.get("revised", 0), counts.get("unchanged", 0), info.rows_not_reported, info.rows_rejected,
         info.n_errors, info.n_warnings, info.submitter_region, info.synthetic, info.message, info.submitter])
    return batch_id


def _insert_problems(con: duckdb.DuckDBPyConnection, batch_id: int, problems: list[Problem]) -> None:
    if not problems:
        return
    frame = pd.DataFrame([{"batch_id": batch_id, "file_name": p.file, "line": p.line, "column": p.column,
                           "value": p.value, "rule": p.rule, "severity": p.severity, "message_zh": p.message_zh,
                           "message_en": p.message_en} for p in problems])
    frame["line"] = frame["line"].astype("Int64")
    with registered(con, frame, "_problems") as table:
        con.execute(f"INSERT INTO problems SELECT * FROM {table}")


def record_rejection(con: duckdb.DuckDBPyConnection, info: BatchInfo, problems: list[Problem],
                     batch_id: int | None = None, keys: pd.DataFrame | None = None) -> int:
    """The batch row and its problems; `keys` (indicator_code, league_code, period) are what the file tried to
    submit, where it could be read that far."""
    with transaction(con):
        batch_id = _insert_batch(con, info, {}, batch_id)
        _insert_problems(con, batch_id, problems)
        if keys is not None and len(keys):
            with registered(con, keys[["indicator_code", "league_code", "period"]], "_rejected_keys") as table:
                con.execute(f"INSERT INTO rejected_keys SELECT ?, indicator_code, league_code, period FROM {table}",
                            [batch_id])
    return batch_id


def load_batch(con: duckdb.DuckDBPyConnection, info: BatchInfo, rows: pd.DataFrame, problems: list[Problem],
               all_new: bool = False, batch_id: int | None = None) -> tuple[int, dict[str, int]]:
    """All or nothing: the batch row, its observations (new vintages) and its problems in one transaction.
    `rows` hold one row per key. all_new: the caller knows the warehouse has no current value for any of
    them (a first load), so nothing needs comparing."""
    # handed over as Arrow: DuckDB scans it in parallel without looking at a Python object per cell
    incoming = pa.Table.from_pandas(rows[OBSERVATION_COLUMNS], preserve_index=False)
    with transaction(con), registered(con, incoming, "_incoming"):
        if all_new:
            source, counts = "_incoming", {"new": incoming.num_rows} if incoming.num_rows else {}
        else:
            con.execute("""
                CREATE OR REPLACE TEMP TABLE _classified AS
                SELECT i.*,
                       CASE WHEN c.value IS NULL THEN 'new'
                            WHEN c.value = i.value AND c.synthetic = i.synthetic AND c.obs_status = i.obs_status
                                 AND c.source IS NOT DISTINCT FROM i.source AND c.note IS NOT DISTINCT FROM i.note
                            THEN 'unchanged' ELSE 'revised' END AS change
                FROM _incoming i
                LEFT JOIN current_observations c USING (indicator_code, region_code, period)""")
            source = "(SELECT * FROM _classified WHERE change IN ('new', 'revised'))"
            counts = dict(con.execute("SELECT change, count(*) FROM _classified GROUP BY change").fetchall())
        batch_id = _insert_batch(con, info, counts, batch_id)
        if counts.get("revised"):
            con.execute("""
                UPDATE observations AS o SET superseded_by = ?
                FROM _classified AS k
                WHERE k.change = 'revised' AND o.superseded_by IS NULL AND o.indicator_code = k.indicator_code
                  AND o.region_code = k.region_code AND o.period = k.period""", [batch_id])
        _insert_observations(con, source, batch_id)
        _insert_problems(con, batch_id, problems)
        con.execute("DROP TABLE IF EXISTS _classified")
    return batch_id, counts


def _insert_observations(con: duckdb.DuckDBPyConnection, source: str, batch_id: int) -> None:
    con.execute(f"""
        INSERT INTO observations (indicator_code, region_code, period, year, sub, value, unit_submitted, note,
                                  source, synthetic, batch_id, line, superseded_by, obs_status)
        SELECT indicator_code, region_code, period, year, sub, value, unit_submitted, note, source, synthetic,
               ?, line, NULL, obs_status
        FROM {source}""", [batch_id])


class InsertWhileValidating:
    """Writes the observations of a file while it is still being validated: DuckDB inserts on one core while
    pandas validates on the other. Only for a file that cannot revise anything (the warehouse has no current
    value for any of its keys), and inside a transaction that is committed only when validation accepts
    exactly the rows written — otherwise it is rolled back, and the file takes the ordinary path. Either way
    the warehouse never holds a row that validation did not pass.

    The caller owns the connection: it must not use it between construction and commit/abandon, and must call
    one of the two exactly once."""

    def __init__(self, con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, batch_id: int):
        self.con, self.batch_id, self.rows = con, batch_id, rows.index
        self._error: BaseException | None = None
        table = pa.Table.from_pandas(rows[OBSERVATION_COLUMNS], preserve_index=False)  # here, not in the thread
        self._thread = threading.Thread(target=self._insert, args=(table,), name="dem-early-insert", daemon=True)
        self._thread.start()

    def _insert(self, table: pa.Table) -> None:
        try:
            self.con.execute("BEGIN TRANSACTION")
            self.con.register("_early", table)
            _insert_observations(self.con, "_early", self.batch_id)
            self.con.unregister("_early")
        except BaseException as exc:  # handed to the main thread by commit()
            self._error = exc

    def commit(self, info: BatchInfo, problems: list[Problem]) -> dict[str, int]:
        self._thread.join()
        try:
            if self._error is not None:
                raise self._error
            counts = {"new": len(self.rows)} if len(self.rows) else {}
            _insert_batch(self.con, info, counts, self.batch_id)
            _insert_problems(self.con, self.batch_id, problems)
            self.con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
            raise
        return counts

    def abandon(self) -> None:
        self._thread.join()
        with contextlib.suppress(duckdb.Error):
            self.con.unregister("_early")
        with contextlib.suppress(duckdb.Error):
            self.con.execute("ROLLBACK")
