"""The DuckDB warehouse: schema, short read-only connections for readers, and publish-by-rename for the writer.

DuckDB lets one process hold a file read-write and then nobody else may open it, not even read-only. So the
published file is never opened for writing: a writer takes an exclusive lock file, copies the published file to
a staging file, works there (one transaction per submission file), checkpoints, closes, fsyncs and atomically
renames the staging file over the published one. Readers (dashboard, reports, exports) open the published file
read-only for a moment; a reader that still holds the old file keeps reading the old inode until it closes.
A writer killed at any moment leaves the published file intact; the next writer removes the stale staging file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from indicators.base.errors import BusyError, ConfigError, DataError, StorageError

SCHEMA_VERSION = 5  # the numbered migrations below bring every earlier file to it (see MIGRATIONS)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS batch_ids START 1;
CREATE TABLE IF NOT EXISTS batches (
    batch_id INTEGER PRIMARY KEY,
    file_name VARCHAR NOT NULL,
    file_path VARCHAR,
    sha256 VARCHAR NOT NULL,
    size_bytes BIGINT,
    received_at TIMESTAMP,            -- UTC: when the file was last modified / handed in
    loaded_at TIMESTAMP NOT NULL,     -- UTC: when this batch was processed
    status VARCHAR NOT NULL,          -- loaded | partial | rejected
    file_format VARCHAR,              -- csv | tsv | xlsx
    encoding VARCHAR,
    layout VARCHAR,                   -- long | wide
    rows_total INTEGER,               -- observations in the file (after melting a wide table)
    rows_new INTEGER,                 -- keys seen for the first time
    rows_revised INTEGER,             -- keys whose current value changed (a new vintage)
    rows_unchanged INTEGER,           -- same value as the current vintage: nothing written
    rows_not_reported INTEGER,        -- marked not reported (-, —, …, /, NA) and skipped
    rows_rejected INTEGER,            -- rows with errors (left out under --partial; all rows when rejected)
    n_errors INTEGER,
    n_warnings INTEGER,
    submitter_region VARCHAR,         -- the lowest region containing every row of the file
    synthetic BOOLEAN,                -- any row flagged synthetic (示例数据)
    message VARCHAR,
    submitter VARCHAR                 -- the account that handed the file in (portal, API); NULL for the inbox
);
CREATE TABLE IF NOT EXISTS observations (OBSERVATION_COLUMNS);
CREATE TABLE IF NOT EXISTS problems (
    batch_id INTEGER,
    file_name VARCHAR,
    line INTEGER,
    "column" VARCHAR,
    value VARCHAR,
    rule VARCHAR,
    severity VARCHAR,                 -- error | warning
    message_zh VARCHAR,
    message_en VARCHAR
);
REJECTED_KEYS
RELEASES
CREATE OR REPLACE VIEW current_observations AS
    SELECT * FROM observations WHERE superseded_by IS NULL;
"""


OBSERVATION_COLUMNS = """
    indicator_code VARCHAR NOT NULL,
    region_code VARCHAR NOT NULL,
    period VARCHAR NOT NULL,          -- canonical: 2023 | 2023Q1 | 2023M03
    year INTEGER NOT NULL,
    sub INTEGER NOT NULL,             -- quarter or month number; 0 for a year
    value DOUBLE NOT NULL CHECK (isfinite(value)),  -- in the catalogue unit; never inf or NaN (last line of defence)
    unit_submitted VARCHAR,
    note VARCHAR,
    source VARCHAR,
    synthetic BOOLEAN NOT NULL,
    batch_id INTEGER NOT NULL,
    line INTEGER,                     -- line in the submitted file (header = line 1)
    superseded_by INTEGER,            -- batch that replaced this vintage; NULL = current
    obs_status VARCHAR NOT NULL DEFAULT 'A'  -- SDMX CL_OBS_STATUS: A normal, P provisional, E estimated, F forecast
        CHECK (obs_status IN ('A', 'P', 'E', 'F'))
"""
# The observations as versions 2–4 had them, frozen: the version-2 step rebuilds the table to this, and the
# version-5 step adds obs_status to it.
OBSERVATION_COLUMNS_V2 = """
    indicator_code VARCHAR NOT NULL, region_code VARCHAR NOT NULL, period VARCHAR NOT NULL, year INTEGER NOT NULL,
    sub INTEGER NOT NULL, value DOUBLE NOT NULL CHECK (isfinite(value)), unit_submitted VARCHAR, note VARCHAR,
    source VARCHAR, synthetic BOOLEAN NOT NULL, batch_id INTEGER NOT NULL, line INTEGER, superseded_by INTEGER
"""
REJECTED_KEYS = """
CREATE TABLE IF NOT EXISTS rejected_keys (  -- what a rejected file tried to submit, for the quality matrix
    batch_id INTEGER,
    indicator_code VARCHAR,
    league_code VARCHAR,              -- the league of the row's region (a county's league; the league itself)
    period VARCHAR
);"""
RELEASES = """
CREATE TABLE IF NOT EXISTS releases (  -- releases carried out (the calendar is config/releases.csv; docs/releases.md)
    release_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,            -- release (from the calendar) | correction (a revision released at once)
    title_zh VARCHAR,
    title_en VARCHAR,
    scheduled_at TIMESTAMP,           -- UTC: the announced time; NULL for a correction
    released_at TIMESTAMP NOT NULL,   -- UTC: when it was carried out
    released_by VARCHAR NOT NULL,     -- the account, os:<user>, or "schedule" (dem release due)
    note VARCHAR                      -- a correction's reason
);
CREATE TABLE IF NOT EXISTS released (  -- the public vintages: one batch's observations of one period, by release
    batch_id INTEGER NOT NULL,
    period VARCHAR NOT NULL,
    release_id VARCHAR NOT NULL,
    reason VARCHAR                    -- for values revising released ones: why (the review's comments)
);"""
SCHEMA = (SCHEMA.replace("OBSERVATION_COLUMNS", OBSERVATION_COLUMNS).replace("REJECTED_KEYS", REJECTED_KEYS)
          .replace("RELEASES", RELEASES))


def quote_ident(name: str) -> str:
    """Identifiers cannot be bound as parameters; quote them in one place ('a"b' → '"a""b"')."""
    return '"' + name.replace('"', '""') + '"'


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query, with the result fully consumed: DuckDB ≥ 2 refuses register() and other work
    on a connection whose previous result was only partly fetched (fetchone() of a longer result)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# ── readers ──────────────────────────────────────────────────────────────────────────────────────────

def require(path: Path) -> None:
    if not path.exists():
        raise DataError(f"数据仓库不存在：{path}（请先运行 dem demo build 或 dem etl load）",
                        f"warehouse not found: {path} (run `dem demo build` or `dem etl load` first)")


def connect_readonly(path: Path) -> duckdb.DuckDBPyConnection:
    require(path)
    return duckdb.connect(str(path), read_only=True)


@contextlib.contextmanager
def reader(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short read-only connection to the published warehouse."""
    con = connect_readonly(path)
    try:
        yield con
    finally:
        con.close()


def file_identity(path: Path) -> tuple[int, int]:
    """(inode, mtime_ns) of the published file: a new file renamed into place is a new identity."""
    try:
        st = path.stat()
    except FileNotFoundError:
        require(path)  # the bilingual "warehouse not found"
        raise
    return st.st_ino, st.st_mtime_ns


SNAPSHOT_ALIAS = "warehouse"


class Snapshot:
    """One published file, read-only, as it was when opened — for a long-running reader (the dashboard), which
    keeps reading it while a writer renames a new file into place (a file renamed over stays readable while it is
    open) and opens the new one when it chooses. Readers hold it (acquire/release) while they read; retire() closes
    it once the last one has released it, never under a running query. Holding it never blocks the ETL.

    DuckDB quirk: duckdb.connect(path) hands back the database the process already has open under that (real)
    path, so a second connection to a republished file would read the old one; a snapshot is therefore an
    in-memory database with the file ATTACHed read-only, and each cursor starts with USE."""

    def __init__(self, path: Path):
        while True:  # the identity must be the file's that was attached, even if a publish lands meanwhile
            before = file_identity(path)
            con = duckdb.connect(":memory:")
            try:
                con.execute(f"ATTACH ? AS {SNAPSHOT_ALIAS} (READ_ONLY)", [str(path)])
            except BaseException:
                con.close()
                raise
            if file_identity(path) == before:
                break
            con.close()
        self.identity = before
        self._con: duckdb.DuckDBPyConnection | None = con
        self._lock = threading.Lock()
        self._users = 0
        self._retired = False

    def acquire(self) -> None:
        with self._lock:
            self._users += 1

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            self._close_if_done()

    def retire(self) -> None:
        """No new readers will be given this snapshot: close it as soon as nobody reads it."""
        with self._lock:
            self._retired = True
            self._close_if_done()

    def _close_if_done(self) -> None:
        if self._retired and self._users == 0 and self._con is not None:
            self._con.close()
            self._con = None

    @contextlib.contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the file, safe to use from one thread (hold the snapshot meanwhile when others may retire
        it)."""
        with self._lock:
            if self._con is None:
                raise duckdb.ConnectionException("snapshot closed")
            cur = self._con.cursor()
        try:
            cur.execute(f"USE {SNAPSHOT_ALIAS}")
            yield cur
        finally:
            cur.close()


# ── the writer ───────────────────────────────────────────────────────────────────────────────────────

@dataclass
class Staging:
    """The writer's private copy of the warehouse; `con` is read-write."""

    con: duckdb.DuckDBPyConnection
    path: Path
    published: Path
    changed: bool = False  # set by callers when something was written, so that publishing is worth it


def public_path(working: Path) -> Path:
    """The public warehouse beside the working one (dem.duckdb → dem.public.duckdb): the released vintages only,
    with their own derived layer, written at releases under the working warehouse's lock (etl/release.py). Every
    public output reads it."""
    return working.with_name(f"{working.stem}.public{working.suffix}")


def lock_path(published: Path) -> Path:
    return published.with_name(published.name + ".lock")


@contextlib.contextmanager
def exclusive_lock(published: Path) -> Iterator[None]:
    """One writer at a time per warehouse; a second one gets BusyError (exit 75) at once. The lock belongs to
    the file itself, not to the name it was given by: a path through a symbolic link locks its target."""
    published = Path(os.path.realpath(published))
    published.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path(published), "a+")  # noqa: SIM115 — the handle must outlive this statement
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError(f"另一个入库进程正在运行（锁文件 {lock_path(published)}），请稍后重试",
                            f"another ETL run holds the lock {lock_path(published)}; try again later") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {utc_now().isoformat()}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the flock


def schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version a warehouse file was written with (None for an empty file). Readers compare it instead
    of probing for tables: a published file is at SCHEMA_VERSION once any writer of this software touched it."""
    try:
        row = first_row(con, "SELECT value FROM meta WHERE key = 'schema_version'")
    except duckdb.CatalogException:
        return None
    return int(row[0]) if row else None


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """A new file gets the current schema; an older one the numbered migrations from its version on, each in
    its own transaction with the version it reaches (inside the staging copy: the published file is untouched
    until the whole load publishes)."""
    version = schema_version(con)
    if version is None:
        con.execute(SCHEMA)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?), ('warehouse_id', ?)",
                    [str(SCHEMA_VERSION), str(uuid.uuid4())])
        return
    if version > SCHEMA_VERSION:
        raise ConfigError(f"warehouse schema version {version} is newer than this software's ({SCHEMA_VERSION}); "
                          "update the software")
    for step in range(version, SCHEMA_VERSION):
        number, _, migrate = MIGRATIONS[step]
        with transaction(con):
            migrate(con)
            con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(number)])


def _v2_finite_values_and_rejected_keys(con: duckdb.DuckDBPyConnection) -> None:
    """observations.value gains CHECK (isfinite(value)) — DuckDB cannot add a constraint to a table, so it is
    rebuilt; a warehouse that already holds inf or NaN cannot be migrated and says so — and rejected_keys, which
    some version-1 files lack (it was added without a version of its own), is created where missing."""
    bad = first_row(con, "SELECT count(*) FROM observations WHERE NOT isfinite(value)")[0]
    if bad:
        raise ConfigError(f"the warehouse holds {bad} observation(s) that are not finite numbers; rebuild it from "
                          "the archived submissions")
    con.execute(f"CREATE TABLE observations_v2 ({OBSERVATION_COLUMNS_V2})")
    con.execute("INSERT INTO observations_v2 SELECT * FROM observations")
    con.execute("DROP VIEW current_observations")
    con.execute("DROP TABLE observations")
    con.execute("ALTER TABLE observations_v2 RENAME TO observations")
    con.execute("CREATE VIEW current_observations AS SELECT * FROM observations WHERE superseded_by IS NULL")
    con.execute(REJECTED_KEYS)


def _v3_batch_submitter(con: duckdb.DuckDBPyConnection) -> None:
    """batches.submitter: the account a file came from (the submission portal); earlier batches came from the inbox
    or the command line and have none."""
    con.execute("ALTER TABLE batches ADD COLUMN submitter VARCHAR")


def _v4_releases(con: duckdb.DuckDBPyConnection) -> None:
    """releases and released: which vintages are public. A warehouse from before has released nothing: its values
    stay internal until a release (dem release publish) makes them public. And the warehouse's identity
    (meta warehouse_id), which the application database is bound to (appdb.bind_warehouse)."""
    con.execute(RELEASES)
    con.execute("INSERT OR REPLACE INTO meta VALUES ('warehouse_id', ?)", [str(uuid.uuid4())])


def _v5_observation_status(con: duckdb.DuckDBPyConnection) -> None:
    """observations.obs_status: whether a value is final, provisional, estimated or a forecast (submitted in a
    status column since schema 5). Earlier values said so in words in their note, if at all: they become A (normal),
    as they were published. Rebuilt like version 2, so that the column has its NOT NULL and CHECK."""
    con.execute(f"CREATE TABLE observations_v5 ({OBSERVATION_COLUMNS})")
    con.execute("INSERT INTO observations_v5 SELECT *, 'A' FROM observations")
    con.execute("DROP VIEW current_observations")
    con.execute("DROP TABLE observations")
    con.execute("ALTER TABLE observations_v5 RENAME TO observations")
    con.execute("CREATE VIEW current_observations AS SELECT * FROM observations WHERE superseded_by IS NULL")


# version n → (n + 1, what the step does, the step). A new schema change is a new entry here and SCHEMA_VERSION + 1;
# SCHEMA itself always describes the latest version (tests build every earlier version and migrate it).
MIGRATIONS = {
    1: (2, "observations.value must be finite (CHECK); rejected_keys", _v2_finite_values_and_rejected_keys),
    2: (3, "batches.submitter: the account a file came from", _v3_batch_submitter),
    3: (4, "releases and released: which vintages are public", _v4_releases),
    4: (5, "observations.obs_status: A normal, P provisional, E estimated, F forecast", _v5_observation_status),
}


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, or ROLLBACK when the body raises (the exception goes on)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, frame, name: str = "_frame") -> Iterator[str]:
    """A DataFrame or Arrow table visible to SQL under `name` for the body only: with registered(con, rows) as t:
    con.execute(f"INSERT INTO x SELECT * FROM {t}")."""
    con.register(name, frame)
    try:
        yield name
    finally:
        with contextlib.suppress(duckdb.Error):
            con.unregister(name)


def fsync_path(path: Path) -> None:
    """Flush a file, or a folder's entries (after a rename into it), to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def writer(published: Path, on_publish: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
           locked: bool = False, memory_mb: int | None = None) -> Iterator[Staging]:
    """Lock (unless the caller holds the lock already), copy the published warehouse to a staging file, yield it,
    then — when something changed — run `on_publish` on the staging file (the engine's publish step, handed in by
    the caller: this storage layer knows nothing above it) and publish by atomic rename.
    If the body or the step raises, the staging file is discarded and the published warehouse is untouched.
    `memory_mb` bounds DuckDB's memory in the staging connection (settings [limits] writer_memory_mb); beyond it,
    working tables spill to a folder beside the staging file, removed afterwards.
    """
    published = Path(os.path.realpath(published))  # renaming over a symbolic link would replace the link
    with contextlib.nullcontext() if locked else exclusive_lock(published):
        staging = published.with_name(f"{published.name}.staging-{os.getpid()}")
        spill = staging.with_name(staging.name + ".tmp")
        for stale in published.parent.glob(f"{published.name}.staging-*"):
            # left behind by a killed writer; we hold the lock, so nobody uses it
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale)
            else:
                stale.unlink()
        con = None
        try:
            _stage_copy(published, staging)
            con = duckdb.connect(str(staging))
            if memory_mb:
                con.execute(f"SET memory_limit = '{int(memory_mb)}MB'")
                con.execute("SET temp_directory = ?", [str(spill)])
            ensure_schema(con)
            stage = Staging(con, staging, published)
            yield stage
            if stage.changed or not published.exists():
                if on_publish is not None:
                    on_publish(con)
                con.execute("INSERT OR REPLACE INTO meta VALUES ('published_at', ?)", [utc_now().isoformat()])
                con.execute("CHECKPOINT")
                con.close()
                fsync_path(staging)
                os.replace(staging, published)  # atomic on POSIX: readers see the old or the new file
                fsync_path(published.parent)
        except (OSError, duckdb.IOException) as exc:  # a full disk, a read-only folder: nothing was published
            raise StorageError(f"数据仓库写入失败：{exc}（已发布的数据仓库未改动）",
                               f"writing the warehouse failed: {exc} (the published warehouse is unchanged)") from exc
        finally:
            if con is not None:
                with contextlib.suppress(duckdb.Error):
                    con.close()
            for leftover in (staging, staging.with_name(staging.name + ".wal")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
            shutil.rmtree(spill, ignore_errors=True)


def _stage_copy(published: Path, staging: Path) -> None:
    """Copy the published warehouse to the staging file; a copy that fails (a full disk) leaves nothing behind
    and says why."""
    if not published.exists():
        return
    try:
        shutil.copyfile(published, staging)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            staging.unlink()
        raise StorageError(f"无法复制数据仓库到暂存文件 {staging}：{exc.strerror or exc}（数据仓库未改动）",
                           f"cannot copy the warehouse to its staging file {staging}: {exc.strerror or exc} "
                           "(the warehouse is unchanged)") from exc


def write_reference(con: duckdb.DuckDBPyConnection, catalogue) -> None:
    """Copy the catalogue (config/) into reference tables so that SQL users and exports see it beside the data."""
    import pandas as pd

    regions = pd.DataFrame([{**vars(r), "aliases": ";".join(r.aliases)} for r in catalogue.regions.regions])
    indicators = pd.DataFrame([i.as_record() for i in catalogue.indicators.values()])
    targets = pd.DataFrame([vars(t) for t in catalogue.targets])
    frames = (("regions", regions), ("indicators", indicators), ("targets", targets))
    # unchanged config (the usual case) is not written again: its fingerprint is kept in meta
    fingerprint = hashlib.sha256(b"".join(f.to_json(orient="split", force_ascii=False).encode() for _, f in frames))
    row = first_row(con, "SELECT value FROM meta WHERE key = 'reference_fingerprint'")
    if row is not None and row[0] == fingerprint.hexdigest():
        return
    for name, frame in frames:
        with registered(con, frame, "_reference") as table:
            con.execute(f"CREATE OR REPLACE TABLE {quote_ident(name)} AS SELECT * FROM {table}")
    con.execute("INSERT OR REPLACE INTO meta VALUES ('reference_fingerprint', ?)", [fingerprint.hexdigest()])


def warehouse_id(con: duckdb.DuckDBPyConnection) -> str | None:
    """The identity a warehouse got when it was created (kept by every copy and publish; a rebuild from scratch is
    a new warehouse): what the application database's batch numbers are bound to."""
    row = first_row(con, "SELECT value FROM meta WHERE key = 'warehouse_id'")
    return row[0] if row else None


def publication_time(con: duckdb.DuckDBPyConnection) -> str | None:
    """When the warehouse on this connection was published (UTC, ISO 8601), as the writer recorded it."""
    row = first_row(con, "SELECT value FROM meta WHERE key = 'published_at'")
    return row[0] if row else None


def published_at(path: Path) -> str | None:
    with reader(path) as con:
        return publication_time(con)
