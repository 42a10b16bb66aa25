"""Application state: users, API tokens, submissions and the login audit — written at any time, by any request,
so never in the published warehouse (which only the locked writer writes, and every reader opens read-only).

An embedded SQLite database (stdlib sqlite3) at settings.paths.app_db, in WAL mode: readers never block the one
writer, a writer waits up to BUSY_SECONDS for another. Each write is one short transaction (`BEGIN IMMEDIATE`).
The schema is versioned like the warehouse's: numbered migrations (MIGRATIONS) bring any earlier file to
SCHEMA_VERSION when it is opened.

Portable on purpose: every statement is plain SQL (no SQLite-only functions, no AUTOINCREMENT, no upsert dialect
beyond what PostgreSQL shares), and this module is the only one that connects. A bureau that wants PostgreSQL
swaps connect() for a DB-API connection to it and maps the `?` placeholders to `%s` (docs/accounts.md).

Only the storage layer's data types live here (User, Submission); what a password or a token is (Argon2id
hashes, random tokens) is the web app's business (dashboard/auth), and what a submission's rows may be is the
ETL's (etl/submissions.py), which also writes the submission's outcome.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from indicators.base.errors import DataError, StorageError

SCHEMA_VERSION = 5
BUSY_SECONDS = 10.0  # how long a writer waits for another before it gives up (sqlite3.OperationalError)
ROLES = ("admin", "analyst", "officer")
STATUSES = ("queued", "loading", "loaded", "rejected", "failed")
DECISIONS = ("approve", "return", "accept")  # a review step's decision (docs/review.md)
REVIEW_STATES = ("submitted", "approved", "accepted", "returned", "superseded")


def utc_now() -> str:
    """A timestamp as stored: UTC, ISO 8601 to the second, with a Z."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


# ── schema ───────────────────────────────────────────────────────────────────────────────────────────────────

_V1 = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'officer')),
    region TEXT,                              -- an officer's scope: a league or county code (and all below it)
    password_hash TEXT,                       -- Argon2id. NULL: no password login (single sign-on or token only)
    disabled INTEGER NOT NULL DEFAULT 0,
    demo INTEGER NOT NULL DEFAULT 0,          -- made by dem demo build: never for production use
    generation INTEGER NOT NULL DEFAULT 0,    -- +1 at disable and password change: older sessions stop at once
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,          -- sha256 of the token (the token itself is shown once, never stored)
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    username TEXT NOT NULL,
    region TEXT NOT NULL,                     -- the unit it was submitted for (the ETL enforces the user's scope)
    period TEXT,                              -- the period picked in the portal, if any
    filename TEXT NOT NULL,                   -- the name the client gave (shown escaped, never used as a path)
    stored_name TEXT NOT NULL UNIQUE,         -- the original's name under paths.submissions (made by the server)
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    via TEXT NOT NULL CHECK (via IN ('portal', 'api')),
    submitted_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'loading', 'loaded', 'rejected', 'failed')),
    batch_id INTEGER,                         -- the warehouse batch that loaded it
    n_errors INTEGER NOT NULL DEFAULT 0,
    n_warnings INTEGER NOT NULL DEFAULT 0,
    report TEXT,                              -- the check report (JSON) of the last check or load
    updated_at TEXT NOT NULL
);
CREATE INDEX submissions_by_user ON submissions (user_id, submitted_at);
CREATE INDEX submissions_by_status ON submissions (status, id);
CREATE TABLE explanations (
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    line INTEGER NOT NULL,                    -- the line of the file the warning names
    rule TEXT NOT NULL,                       -- the warning's rule (etl/rules.py)
    text TEXT NOT NULL,                       -- the submitter's explanation
    PRIMARY KEY (submission_id, line, rule)
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT,                               -- the user name given (also for a failed login of an unknown name)
    address TEXT,
    action TEXT NOT NULL,                     -- login, login_failed, login_throttled, logout, user_added, …
    detail TEXT
);
CREATE TABLE schema_version (version INTEGER NOT NULL);
"""

# version n → the statements bringing a file from n to n + 1. A schema change is a new entry and SCHEMA_VERSION + 1.
# Version 2: the events are the audit trail — who, when, from where, what (action, target, detail) and why (reason),
# append-only (triggers refuse UPDATE and DELETE) and hash-chained: each row holds the sha256 of its own content and
# of its predecessor's hash (GENESIS for the first), so `dem audit verify` finds an edited or deleted row even when
# someone with the file dropped the triggers. Rows of version 1 are chained in order by the migration.
CHAIN = "-- the rows of version 1 are chained here (_chain)"
_V2 = (
    "ALTER TABLE events ADD COLUMN target TEXT",
    "ALTER TABLE events ADD COLUMN reason TEXT",
    "ALTER TABLE events ADD COLUMN prev_hash TEXT",
    "ALTER TABLE events ADD COLUMN hash TEXT",
    CHAIN,
    "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
    "CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
)
# Version 3: the review of loaded batches (docs/review.md). One row per decision, never changed: a batch's state is
# read from its decisions in order (review_state). batch_id names a warehouse batch (no foreign key: another database).
_V3 = (
    "CREATE TABLE reviews ("
    " id INTEGER PRIMARY KEY,"
    " batch_id INTEGER NOT NULL,"                # the warehouse batch reviewed
    " step INTEGER NOT NULL,"                    # the step's index in settings.review.steps(level), from 0
    " step_name TEXT NOT NULL,"                  # league | bureau
    " decision TEXT NOT NULL CHECK (decision IN ('approve', 'return', 'accept')),"
    " actor TEXT NOT NULL,"
    " at TEXT NOT NULL,"
    " reason TEXT)",                             # a return's reason; an approval's or acceptance's comment
    "CREATE INDEX reviews_by_batch ON reviews (batch_id, id)",
    "CREATE TRIGGER reviews_append_only_update BEFORE UPDATE ON reviews "
    "BEGIN SELECT RAISE(ABORT, 'review decisions are never changed'); END",
    "CREATE TRIGGER reviews_append_only_delete BEFORE DELETE ON reviews "
    "BEGIN SELECT RAISE(ABORT, 'review decisions are never changed'); END",
)
# Version 4: the warehouse this database's batch numbers refer to (bind_warehouse): submissions and review decisions
# name warehouse batches by number, and a warehouse rebuilt from scratch numbers its batches anew.
_V4 = ("CREATE TABLE bound (key TEXT PRIMARY KEY, value TEXT NOT NULL)",)
# Version 5: the failed logins of a window are counted from the trail by every worker (failed_logins): an index.
_V5 = ("CREATE INDEX events_by_action ON events (action, at)",)
MIGRATIONS: dict[int, tuple[str, ...]] = {0: tuple(_V1.split(";")), 1: _V2, 2: _V3, 3: _V4, 4: _V5}  # (no ';' inside a statement of _V1)
GENESIS = "0" * 64
AUDIT_FIELDS = ("id", "at", "actor", "address", "action", "target", "detail", "reason", "prev_hash")


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the application database at `path`, created and migrated if need be. Rows come back as
    sqlite3.Row (by name). Autocommit: writes go through transaction()."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
        con.row_factory = sqlite3.Row
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA synchronous = NORMAL")  # with WAL: durable at checkpoints, never corrupt
        _migrate(con)
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"应用数据库 {path} 无法打开：{exc}", f"cannot open the application database {path}: {exc}") \
            from exc
    return con


def opened(path: Path) -> contextlib.closing[sqlite3.Connection]:
    """connect(), closed at the end of the with-block."""
    return contextlib.closing(connect(path))


@contextlib.contextmanager
def transaction(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (BEGIN IMMEDIATE: no deadlock between two readers turning writers);
    committed at the end of the block, rolled back on any exception."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def version(con: sqlite3.Connection) -> int:
    if not con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone():
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def _migrate(con: sqlite3.Connection) -> None:
    with transaction(con):  # taken before the version is read: two processes opening a new file migrate once
        current = version(con)
        if current > SCHEMA_VERSION:
            raise StorageError(f"应用数据库的结构版本 {current} 比本软件的 {SCHEMA_VERSION} 新，请升级软件",
                               f"the application database's schema version {current} is newer than this "
                               f"software's ({SCHEMA_VERSION}); upgrade the software")
        for step in range(current, SCHEMA_VERSION):
            for statement in MIGRATIONS[step]:
                if statement == CHAIN:
                    _chain(con)
                elif statement.strip():
                    con.execute(statement)
            con.execute("DELETE FROM schema_version")
            con.execute("INSERT INTO schema_version VALUES (?)", [step + 1])


def bind_warehouse(con: sqlite3.Connection, warehouse_id: str | None) -> None:
    """The first warehouse whose batches this database refers to is recorded; another one is refused (StorageError):
    batch 5 of a rebuilt warehouse is not the batch 5 the decisions here were made on. None (a warehouse written
    before identities existed) is let through."""
    if not warehouse_id:
        return
    with transaction(con):
        row = con.execute("SELECT value FROM bound WHERE key = 'warehouse_id'").fetchone()
        if row is None:
            con.execute("INSERT INTO bound VALUES ('warehouse_id', ?)", [warehouse_id])
            return
    if row[0] != warehouse_id:
        raise StorageError(
            f"应用数据库记录的是另一个数据仓库（{row[0]}）的批次，当前数据仓库为 {warehouse_id}：审核与报送记录不能对应。"
            "请将 [paths] app_db 指向该数据仓库的应用数据库，或为重建的数据仓库使用新的应用数据库",
            f"the application database refers to the batches of another warehouse ({row[0]}), not of this one "
            f"({warehouse_id}): its submissions and review decisions would name the wrong batches. Point [paths] "
            "app_db at that warehouse's application database, or use a new one for the rebuilt warehouse")


def bound_warehouse(con: sqlite3.Connection) -> str | None:
    row = con.execute("SELECT value FROM bound WHERE key = 'warehouse_id'").fetchone()
    return row[0] if row else None


# ── users and tokens ─────────────────────────────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    region: str | None
    disabled: bool
    demo: bool
    generation: int
    created_at: str

    @classmethod
    def of(cls, row: sqlite3.Row) -> User:
        return cls(row["id"], row["username"], row["role"], row["region"], bool(row["disabled"]), bool(row["demo"]),
                   row["generation"], row["created_at"])


_USER = "SELECT id, username, role, region, disabled, demo, generation, created_at FROM users"


def add_user(con: sqlite3.Connection, username: str, role: str, region: str | None, password_hash: str | None,
             demo: bool = False) -> User:
    if role not in ROLES:
        raise DataError(f"未知角色 {role}（可用：{', '.join(ROLES)}）", f"unknown role {role} (one of {', '.join(ROLES)})")
    if (role == "officer") != bool(region):
        raise DataError("报送员（officer）必须且只有报送员可以指定地区范围 --region",
                        "an officer needs a region scope (--region), and only an officer has one")
    now = utc_now()
    with transaction(con):
        if con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise DataError(f"用户 {username} 已存在", f"user {username} already exists")
        con.execute("INSERT INTO users (username, role, region, password_hash, disabled, demo, generation, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, 0, ?, ?)",
                    [username, role, region, password_hash, int(demo), now, now])
    return user(con, username)


def user(con: sqlite3.Connection, username: str) -> User | None:
    row = con.execute(f"{_USER} WHERE username = ?", [username]).fetchone()
    return User.of(row) if row else None


def user_by_id(con: sqlite3.Connection, user_id: int) -> User | None:
    row = con.execute(f"{_USER} WHERE id = ?", [user_id]).fetchone()
    return User.of(row) if row else None


def users(con: sqlite3.Connection) -> list[User]:
    return [User.of(r) for r in con.execute(f"{_USER} ORDER BY username")]


def password_hash(con: sqlite3.Connection, username: str) -> str | None:
    row = con.execute("SELECT password_hash FROM users WHERE username = ?", [username]).fetchone()
    return row[0] if row else None


def _existing(con: sqlite3.Connection, username: str) -> User:
    found = user(con, username)
    if found is None:
        raise DataError(f"用户 {username} 不存在", f"no user {username}")
    return found


def set_password_hash(con: sqlite3.Connection, username: str, password_hash: str, rotate: bool = True) -> None:
    """Store a new hash; `rotate` ends the user's other sessions (a changed password), a rehash does not."""
    _existing(con, username)
    with transaction(con):
        con.execute(f"UPDATE users SET password_hash = ?, updated_at = ?{', generation = generation + 1' if rotate else ''}"
                    " WHERE username = ?", [password_hash, utc_now(), username])


def disable_user(con: sqlite3.Connection, username: str) -> None:
    """Disable the account: its sessions and tokens stop working at their next request."""
    _existing(con, username)
    with transaction(con):
        con.execute("UPDATE users SET disabled = 1, generation = generation + 1, updated_at = ? WHERE username = ?",
                    [utc_now(), username])


def end_sessions(con: sqlite3.Connection, username: str) -> None:
    """Every session of the user ends at its next request (a logout). A session is a signed cookie the server
    keeps no copy of: without this, a copy of the cookie taken before the logout would stay valid."""
    _existing(con, username)
    with transaction(con):
        con.execute("UPDATE users SET generation = generation + 1, updated_at = ? WHERE username = ?",
                    [utc_now(), username])


def add_token(con: sqlite3.Connection, username: str, token_hash: str) -> None:
    found = _existing(con, username)
    with transaction(con):
        con.execute("INSERT INTO tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)",
                    [found.id, token_hash, utc_now()])


def user_by_token(con: sqlite3.Connection, token_hash: str) -> User | None:
    """The enabled user holding this live token, else None."""
    row = con.execute("SELECT user_id FROM tokens JOIN users ON users.id = tokens.user_id WHERE tokens.token_hash = ? "
                      "AND tokens.revoked_at IS NULL AND users.disabled = 0", [token_hash]).fetchone()
    return user_by_id(con, row[0]) if row else None


# ── the login audit ──────────────────────────────────────────────────────────────────────────────────────────

def event_hash(row: dict) -> str:
    """The sha256 of an audit row's content and its predecessor's hash (canonical JSON of AUDIT_FIELDS)."""
    content = json.dumps([row.get(k) for k in AUDIT_FIELDS], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _append(con: sqlite3.Connection, row: dict) -> None:
    """Inside a write transaction: the row numbered and chained to the last one."""
    last = con.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    row = {**row, "id": (last[0] + 1) if last else 1, "prev_hash": last[1] if last else GENESIS}
    con.execute(f"INSERT INTO events ({', '.join(AUDIT_FIELDS)}, hash) VALUES ({', '.join('?' * len(AUDIT_FIELDS))}, ?)",
                [row[k] for k in AUDIT_FIELDS] + [event_hash(row)])


def _chain(con: sqlite3.Connection) -> None:
    """Migration to version 2: chain the rows written before the trail was chained, in their order."""
    previous = GENESIS
    for found in con.execute("SELECT * FROM events ORDER BY id").fetchall():
        row = {**dict(found), "prev_hash": previous}
        previous = event_hash(row)
        con.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?", [row["prev_hash"], previous, row["id"]])


def log_event(con: sqlite3.Connection, action: str, actor: str | None, address: str | None,
              detail: str | None = None, target: str | None = None, reason: str | None = None) -> None:
    """Append to the audit trail: who (actor) from where (address) did what (action, to target, detail) and why."""
    with transaction(con):
        _append(con, {"at": utc_now(), "actor": actor, "address": address, "action": action, "target": target,
                      "detail": detail, "reason": reason})


def failed_logins(con: sqlite3.Connection, since: str, username: str, address: str) -> tuple[int, int]:
    """(failed logins of this user name — any case —, failed logins from this address) since `since` (a stored
    timestamp): the count every worker and process shares, read from the audit trail."""
    row = con.execute("""SELECT coalesce(sum(lower(actor) = lower(?)), 0), coalesce(sum(address = ?), 0) FROM events
                         WHERE action = 'login_failed' AND at >= ?""", [username, address, since]).fetchone()
    return int(row[0]), int(row[1])


def events(con: sqlite3.Connection, limit: int = 1000, since: str | None = None) -> list[dict]:
    """The newest `limit` rows (with `since`, a day YYYY-MM-DD: every row from that day on, oldest first)."""
    if since is not None:
        return [dict(r) for r in con.execute("SELECT * FROM events WHERE at >= ? ORDER BY id", [since])]
    return [dict(r) for r in con.execute("SELECT * FROM events ORDER BY id DESC LIMIT ?", [limit])]


def verify_events(con: sqlite3.Connection) -> list[str]:
    """What is wrong with the audit trail (empty: intact), in both languages: a row whose content no longer matches
    its hash (edited), a row whose predecessor's hash is not the one it holds or a gap in the numbers (a row
    deleted), in the order met."""
    problems, previous, expected = [], GENESIS, 1
    for found in con.execute("SELECT * FROM events ORDER BY id"):
        row = dict(found)
        if row["id"] != expected:
            problems.append(f"第 {expected}–{row['id'] - 1} 条记录缺失（已被删除） | rows {expected}–{row['id'] - 1} "
                            f"are missing (deleted)")
        elif row["prev_hash"] != previous:
            problems.append(f"第 {row['id']} 条记录之前的记录被删除或改动 | the row before row {row['id']} was deleted "
                            f"or changed")
        if event_hash(row) != row["hash"]:
            problems.append(f"第 {row['id']} 条记录的内容被改动 | row {row['id']} was edited")
        previous, expected = row["hash"], row["id"] + 1
    return problems


# ── submissions ──────────────────────────────────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class Submission:
    id: int
    user_id: int
    username: str
    region: str
    period: str | None
    filename: str
    stored_name: str
    sha256: str
    size: int
    via: str
    submitted_at: str
    status: str
    batch_id: int | None
    n_errors: int
    n_warnings: int
    report: dict | None
    updated_at: str

    @classmethod
    def of(cls, row: sqlite3.Row) -> Submission:
        values = dict(row)
        values["report"] = json.loads(values["report"]) if values["report"] else None
        return cls(**values)


def add_submission(con: sqlite3.Connection, submitter: User, region: str, period: str | None, filename: str,
                   stored_name: str, sha256: str, size: int, via: str, report: dict | None = None) -> Submission:
    """Queue a stored original for the next load."""
    now = utc_now()
    errors = (report or {}).get("n_errors", 0)
    warnings = (report or {}).get("n_warnings", 0)
    with transaction(con):
        cursor = con.execute(
            "INSERT INTO submissions (user_id, username, region, period, filename, stored_name, sha256, size, via, "
            "submitted_at, status, n_errors, n_warnings, report, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)",
            [submitter.id, submitter.username, region, period, filename, stored_name, sha256, size, via, now,
             errors, warnings, json.dumps(report, ensure_ascii=False) if report is not None else None, now])
        new_id = cursor.lastrowid
    return submission(con, new_id)


def submission(con: sqlite3.Connection, submission_id: int) -> Submission | None:
    row = con.execute("SELECT * FROM submissions WHERE id = ?", [submission_id]).fetchone()
    return Submission.of(row) if row else None


def submissions(con: sqlite3.Connection, username: str | None = None, status: str | None = None,
                limit: int = 500) -> list[Submission]:
    """Newest first; of one user and/or in one status when given."""
    where, args = [], []
    if username is not None:
        where.append("username = ?")
        args.append(username)
    if status is not None:
        where.append("status = ?")
        args.append(status)
    sql = f"SELECT * FROM submissions{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY id DESC LIMIT ?"
    return [Submission.of(r) for r in con.execute(sql, [*args, limit])]


def claim_queued(con: sqlite3.Connection) -> Submission | None:
    """The oldest queued submission, marked 'loading' in the same transaction (two runs never take the same one)."""
    with transaction(con):
        row = con.execute("SELECT * FROM submissions WHERE status = 'queued' ORDER BY id LIMIT 1").fetchone()
        if row is None:
            return None
        con.execute("UPDATE submissions SET status = 'loading', updated_at = ? WHERE id = ?", [utc_now(), row["id"]])
    return submission(con, row["id"])


def finish_submission(con: sqlite3.Connection, submission_id: int, status: str, batch_id: int | None,
                      report: dict | None) -> None:
    """Record a load's outcome: loaded as batch N, rejected (with its report) or failed (an internal error)."""
    if status not in STATUSES:
        raise ValueError(status)
    with transaction(con):
        con.execute("UPDATE submissions SET status = ?, batch_id = ?, n_errors = ?, n_warnings = ?, report = ?, "
                    "updated_at = ? WHERE id = ?",
                    [status, batch_id, (report or {}).get("n_errors", 0), (report or {}).get("n_warnings", 0),
                     json.dumps(report, ensure_ascii=False) if report is not None else None, utc_now(),
                     submission_id])


def requeue_stale(con: sqlite3.Connection) -> int:
    """Submissions left 'loading' by a run that died are queued again (called under the writer's lock, so no run
    is loading them now); returns how many."""
    with transaction(con):
        return con.execute("UPDATE submissions SET status = 'queued', updated_at = ? WHERE status = 'loading'",
                           [utc_now()]).rowcount


def explain(con: sqlite3.Connection, submission_id: int, line: int, rule: str, text: str) -> None:
    """The submitter's explanation of a warning (kept with the submission; the review uses it)."""
    with transaction(con):
        con.execute("DELETE FROM explanations WHERE submission_id = ? AND line = ? AND rule = ?",
                    [submission_id, line, rule])
        con.execute("INSERT INTO explanations VALUES (?, ?, ?, ?)", [submission_id, line, rule, text])


def explanations(con: sqlite3.Connection, submission_id: int) -> list[dict]:
    return [dict(r) for r in con.execute("SELECT line, rule, text FROM explanations WHERE submission_id = ? "
                                         "ORDER BY line, rule", [submission_id])]


# ── the review of loaded batches (docs/review.md) ────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class Review:
    """One decision of a review step on a warehouse batch."""

    id: int
    batch_id: int
    step: int
    step_name: str
    decision: str
    actor: str
    at: str
    reason: str | None


@dataclass(frozen=True)
class ReviewState:
    """Where a batch's review stands. status: submitted (no decision yet) | approved (steps before `step` approved,
    `step` next) | accepted (every step done) | returned (with `reason`; waits for a corrected file) | superseded
    (returned, and a later batch of the same unit corrected it: `superseded_by`)."""

    batch_id: int
    status: str
    step: int  # the next step to decide (== len(steps) when accepted)
    reason: str | None = None
    superseded_by: int | None = None
    decisions: tuple[Review, ...] = ()

    @property
    def open(self) -> bool:
        """Still waiting for a decision."""
        return self.status in ("submitted", "approved")


def reviews(con: sqlite3.Connection, batch_ids: list[int] | None = None) -> dict[int, list[Review]]:
    """The decisions on these batches (all batches: None), oldest first, by batch."""
    rows = con.execute("SELECT id, batch_id, step, step_name, decision, actor, at, reason FROM reviews ORDER BY id")
    wanted = None if batch_ids is None else set(batch_ids)
    found: dict[int, list[Review]] = {}
    for row in rows:
        if wanted is None or row["batch_id"] in wanted:
            found.setdefault(row["batch_id"], []).append(Review(*row))
    return found


def review_state(batch_id: int, decisions: list[Review], n_steps: int, superseded_by: int | None = None) -> ReviewState:
    """The state the decisions lead to: [] → submitted; approve at step 0 of 2 → approved, step 1 next; accept at
    the last step → accepted; return → returned with its reason (superseded once `superseded_by` names the batch
    that corrected it)."""
    step, decided = 0, tuple(decisions)
    for review in decisions:
        if review.decision == "return":
            if superseded_by is not None:
                return ReviewState(batch_id, "superseded", step, review.reason, superseded_by, decided)
            return ReviewState(batch_id, "returned", step, review.reason, None, decided)
        step = review.step + 1
    if step >= n_steps:
        return ReviewState(batch_id, "accepted", n_steps, decisions=decided)
    return ReviewState(batch_id, "approved" if step else "submitted", step, decisions=decided)


def record_review(con: sqlite3.Connection, batch_id: int, step: int, step_name: str, decision: str, actor: str,
                  address: str | None, reason: str | None = None, expected: int | None = None) -> Review:
    """Record a decision and append it to the audit trail, in one transaction (action review_approve,
    review_return or review_accept; target "batch N"). `expected`: the number of decisions the caller saw — when
    another reviewer decided in the meantime nothing is written (DataError), so two clicks never both count."""
    if decision not in DECISIONS:
        raise ValueError(decision)
    now = utc_now()
    with transaction(con):
        seen = con.execute("SELECT count(*) FROM reviews WHERE batch_id = ?", [batch_id]).fetchone()[0]
        if expected is not None and seen != expected:
            raise DataError(f"批次 {batch_id} 已由他人审核，请刷新后再看", f"batch {batch_id} was reviewed by someone "
                            "else in the meantime; reload and look again")
        cursor = con.execute("INSERT INTO reviews (batch_id, step, step_name, decision, actor, at, reason) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", [batch_id, step, step_name, decision, actor, now, reason])
        _append(con, {"at": now, "actor": actor, "address": address, "action": f"review_{decision}",
                      "target": f"batch {batch_id}", "detail": f"step {step + 1} {step_name}", "reason": reason})
        new_id = cursor.lastrowid
    return next(r for r in reviews(con, [batch_id])[batch_id] if r.id == new_id)


def submission_of_batch(con: sqlite3.Connection, batch_id: int) -> Submission | None:
    """The portal or API submission a batch loaded (the latest, when a resubmitted duplicate names it too)."""
    row = con.execute("SELECT * FROM submissions WHERE batch_id = ? ORDER BY id DESC LIMIT 1", [batch_id]).fetchone()
    return Submission.of(row) if row else None
