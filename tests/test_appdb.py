"""The application database (indicators/storage/appdb.py): a real SQLite file in WAL mode, created and migrated
when opened, written in short transactions by several connections at once."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from indicators.base.errors import DataError, DemError, StorageError
from indicators.storage import appdb


@pytest.fixture
def con(tmp_path):
    connection = appdb.connect(tmp_path / "app" / "dem-app.sqlite")
    yield connection
    connection.close()


def test_a_new_file_is_created_at_the_current_schema_version_in_wal_mode(tmp_path):
    path = tmp_path / "new" / "app.sqlite"
    with appdb.opened(path) as con:
        assert appdb.version(con) == appdb.SCHEMA_VERSION
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with appdb.opened(path) as con:  # opening again migrates nothing
        assert con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 1


def test_a_file_of_a_newer_version_is_refused_in_both_languages(tmp_path):
    path = tmp_path / "app.sqlite"
    with appdb.opened(path) as con:
        con.execute("UPDATE schema_version SET version = ?", [appdb.SCHEMA_VERSION + 1])
    with pytest.raises(StorageError) as error:
        appdb.connect(path)
    assert "比本软件" in error.value.message_zh and "newer than this software" in error.value.message_en


def test_something_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "app.sqlite"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(StorageError, match="cannot open the application database"):
        appdb.connect(path)


def test_users_roles_and_scopes(con):
    officer = appdb.add_user(con, "baotou", "officer", "150200", "hash")
    assert (officer.role, officer.region, officer.disabled, officer.generation) == ("officer", "150200", False, 0)
    with pytest.raises(DataError, match="already exists"):
        appdb.add_user(con, "baotou", "analyst", None, "hash")
    with pytest.raises(DataError, match="unknown role"):
        appdb.add_user(con, "x", "root", None, "hash")
    with pytest.raises(DataError, match="needs a region scope"):
        appdb.add_user(con, "y", "officer", None, "hash")
    with pytest.raises(DataError, match="only an officer"):
        appdb.add_user(con, "z", "analyst", "150200", "hash")
    appdb.set_password_hash(con, "baotou", "new")
    appdb.disable_user(con, "baotou")
    after = appdb.user(con, "baotou")
    assert after.disabled and after.generation == 2 and appdb.password_hash(con, "baotou") == "new"
    appdb.set_password_hash(con, "baotou", "rehashed", rotate=False)
    assert appdb.user(con, "baotou").generation == 2


def test_a_token_works_only_while_its_user_is_enabled(con):
    appdb.add_user(con, "api", "analyst", None, None)
    appdb.add_token(con, "api", "sha-of-token")
    assert appdb.user_by_token(con, "sha-of-token").username == "api"
    assert appdb.user_by_token(con, "other") is None
    appdb.disable_user(con, "api")
    assert appdb.user_by_token(con, "sha-of-token") is None


def test_a_failed_transaction_leaves_nothing_behind(con):
    with pytest.raises(RuntimeError), appdb.transaction(con):
        con.execute("INSERT INTO events (at, actor, address, action) VALUES ('t', 'a', 'b', 'login')")
        raise RuntimeError("boom")
    assert appdb.events(con) == []


def test_submissions_move_from_queued_to_an_outcome(con):
    user = appdb.add_user(con, "hohhot", "officer", "150100", "hash")
    first = appdb.add_submission(con, user, "150100", "2024", "a.csv", "1-a.csv", "ab" * 32, 10, "portal",
                                 {"n_errors": 0, "n_warnings": 2})
    second = appdb.add_submission(con, user, "150100", None, "b.csv", "2-b.csv", "cd" * 32, 11, "api")
    assert (first.status, first.n_warnings, second.report) == ("queued", 2, None)
    claimed = appdb.claim_queued(con)
    assert (claimed.id, claimed.status) == (first.id, "loading")
    appdb.finish_submission(con, claimed.id, "loaded", 7, {"n_errors": 0, "n_warnings": 1})
    done = appdb.submission(con, first.id)
    assert (done.status, done.batch_id, done.n_warnings) == ("loaded", 7, 1)
    assert appdb.claim_queued(con).id == second.id
    assert appdb.requeue_stale(con) == 1  # the run that took it died: queued again
    assert [s.id for s in appdb.submissions(con, username="hohhot", status="queued")] == [second.id]
    appdb.explain(con, second.id, 12, "yoy_change", "新建数据中心投产")
    appdb.explain(con, second.id, 12, "yoy_change", "新建数据中心投产（更正）")
    assert appdb.explanations(con, second.id) == [{"line": 12, "rule": "yoy_change", "text": "新建数据中心投产（更正）"}]
    with pytest.raises(sqlite3.IntegrityError):  # a status the schema does not know
        con.execute("UPDATE submissions SET status = 'lost' WHERE id = ?", [second.id])


def test_two_runs_never_claim_the_same_submission(tmp_path):
    path = tmp_path / "app.sqlite"
    with appdb.opened(path) as con:
        user = appdb.add_user(con, "u", "analyst", None, "hash")
        for i in range(40):
            appdb.add_submission(con, user, "150000", None, f"{i}.csv", f"{i}.csv", "00", 1, "api")
    claimed: list[int] = []

    def run() -> None:
        with appdb.opened(path) as mine:
            while (taken := appdb.claim_queued(mine)) is not None:
                claimed.append(taken.id)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(claimed) == list(range(1, 41))


# ── the audit trail ──────────────────────────────────────────────────────────────────────────────────────────

def test_the_audit_trail_is_append_only_and_hash_chained(con):
    appdb.log_event(con, "login", "baotou", "10.0.0.7")
    appdb.log_event(con, "user_disabled", "root", "cli", target="baotou", reason="left the office")
    rows = appdb.events(con, since="2000-01-01")
    assert [r["id"] for r in rows] == [1, 2] and rows[0]["prev_hash"] == appdb.GENESIS
    assert rows[1]["prev_hash"] == rows[0]["hash"] and rows[1]["reason"] == "left the office"
    assert appdb.verify_events(con) == []
    for statement in ("UPDATE events SET actor = 'x' WHERE id = 1", "DELETE FROM events WHERE id = 2"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(statement)


@pytest.mark.parametrize("tamper,found", [
    ("UPDATE events SET reason = 'none' WHERE id = 2", ["row 2 was edited"]),
    ("UPDATE events SET at = '2020-01-01T00:00:00Z' WHERE id = 1", ["row 1 was edited"]),
    ("DELETE FROM events WHERE id = 2", ["rows 2–2 are missing"]),
    ("DELETE FROM events WHERE id = 2; UPDATE events SET id = 2 WHERE id = 3",  # renumbered to hide the gap
     ["the row before row 2 was deleted or changed", "row 2 was edited"]),
    ("DELETE FROM events WHERE id = 3", []),  # the newest row: found only against a head noted earlier (below)
    ("DELETE FROM events WHERE id = 1", ["rows 1–1 are missing"]),
])
def test_verify_finds_an_edited_or_deleted_row_even_without_the_triggers(con, tamper, found):
    for i in range(3):
        appdb.log_event(con, "login", f"user{i}", "10.0.0.1", reason="r")
    con.execute("DROP TRIGGER events_append_only_update")  # what someone with the file could do
    con.execute("DROP TRIGGER events_append_only_delete")
    con.executescript(tamper)
    problems = appdb.verify_events(con)
    assert [p for p in problems if any(f in p for f in found)] == problems and len(problems) == len(found)


def test_login_events_of_version_1_are_chained_by_the_migration(tmp_path):
    path = tmp_path / "v1.sqlite"
    old = sqlite3.connect(path)
    for statement in appdb._V1.split(";"):
        if statement.strip():
            old.execute(statement)
    old.execute("INSERT INTO schema_version VALUES (1)")
    old.execute("INSERT INTO events (at, actor, address, action) VALUES ('2026-11-01T08:00:00Z', 'a', '1.1.1.1', "
                "'login')")
    old.commit()
    old.close()
    with appdb.opened(path) as con:
        assert appdb.version(con) == appdb.SCHEMA_VERSION and appdb.verify_events(con) == []
        appdb.log_event(con, "logout", "a", "1.1.1.1")
        assert appdb.verify_events(con) == [] and len(appdb.events(con)) == 2


def test_dem_audit_verify_and_export(tmp_path):
    from helpers import invoke_dem

    path = tmp_path / "app" / "dem-app.sqlite"
    env = {"DEM_PATHS_APP_DB": str(path)}
    with appdb.opened(path) as con:
        for i in range(3):
            appdb.log_event(con, "login_failed", f'=HYPERLINK("x"){i}', "10.0.0.9")
    ok = invoke_dem("audit", "verify", db=tmp_path / "dem.duckdb", **env)
    head = ok.output.rsplit("head ", 1)[1].strip()
    assert ok.exit_code == 0 and "intact: 3 rows" in ok.output and len(head) == 64
    exported = invoke_dem("audit", "export", "--since", "2000-01-01", "--out", str(tmp_path / "trail.csv"),
                          db=tmp_path / "dem.duckdb", **env)
    text = (tmp_path / "trail.csv").read_text(encoding="utf-8-sig")
    assert exported.exit_code == 0 and text.splitlines()[0] == ",".join(
        ["id", "at", "actor", "address", "action", "target", "detail", "reason", "prev_hash", "hash"])
    assert "'=HYPERLINK" in text and head in text  # a name typed at the login is never a formula in Excel
    with appdb.opened(path) as con:
        con.execute("DROP TRIGGER events_append_only_delete")
        con.execute("DELETE FROM events WHERE id = 3")  # the newest row: the chain alone cannot tell
    assert invoke_dem("audit", "verify", db=tmp_path / "dem.duckdb", **env).exit_code == 0
    with pytest.raises(DemError) as found:  # the CLI prints both messages and exits 1
        invoke_dem("audit", "verify", "--head", head, db=tmp_path / "dem.duckdb", **env)
    assert found.value.exit_code == 1 and "is no longer in the trail" in found.value.message_en
    assert "已不在审计记录中" in found.value.message_zh and "|" not in found.value.message_zh
