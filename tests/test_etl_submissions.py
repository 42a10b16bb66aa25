"""Submissions queued by the portal are loaded by the scheduled run (etl.submissions): each stored original through
the production pipeline with its submitter's scope, the outcome written back to a real application database —
loaded with its batch, rejected with its report (the warehouse unchanged), failed — one never stopping the others.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from helpers import SUBMISSIONS, export_bytes, make_warehouse, run_dem, settings_for

from etl.submissions import load_queued, load_submission_now
from indicators.base.catalogue import default_catalogue
from indicators.storage import appdb, warehouse

# rule → the test (in this module) that makes it fire; read by test_etl_rules' coverage check
TESTED_ELSEWHERE = {"account_disabled": "test_a_disabled_accounts_queued_submission_is_rejected_with_a_clear_reason"}

IN_SCOPE = "indicator_code,region_code,period,value,unit\nCX-01,150200,2023,4000,亿元\nCX-01,150202,2023,500,亿元\n"
OUT_OF_SCOPE = "indicator_code,region_code,period,value,unit\nCX-01,150200,2023,4000,亿元\nCX-01,150100,2023,3800,亿元\n"


@pytest.fixture
def db(tmp_path) -> Path:
    return make_warehouse(tmp_path, files=[SUBMISSIONS / "base" / "base.csv"])


@pytest.fixture
def app(db):
    """The application database beside the warehouse, with an officer of Baotou and an analyst."""
    with appdb.opened(settings_for(db).paths.app_db) as con:
        appdb.add_user(con, "baotou", "officer", "150200", None)
        appdb.add_user(con, "analyst", "analyst", None, None)
        yield con


def queue(db: Path, con, username: str, text: str | bytes, filename: str = "报送.csv") -> appdb.Submission:
    """Store an original as the portal does (under a server-made name) and queue it."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    sha = hashlib.sha256(data).hexdigest()
    folder = settings_for(db).paths.submissions
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{len(list(folder.iterdir())):032x}-{sha[:12]}.csv"
    (folder / stored).write_bytes(data)
    user = appdb.user(con, username)
    return appdb.add_submission(con, user, user.region or "150000", "2023", filename, stored, sha, len(data), "portal")


def test_a_queued_submission_is_loaded_with_its_batch_and_the_batch_names_its_submitter(db, app):
    sub = queue(db, app, "baotou", IN_SCOPE)

    [outcome] = load_queued(default_catalogue(), settings_for(db))

    stored = appdb.submission(app, sub.id)
    assert (outcome.status, stored.status, stored.batch_id) == ("loaded", "loaded", outcome.batch_id)
    assert stored.report["n_errors"] == 0 and stored.report["filename"] == "报送.csv"
    assert stored.report["message_en"].startswith("报送.csv: loaded as batch")
    assert "file" not in stored.report and "sha256" not in stored.report  # no server path in the officer's report
    with warehouse.reader(db) as con:
        assert con.execute("SELECT submitter, status FROM batches WHERE batch_id = ?",
                           [outcome.batch_id]).fetchone() == ("baotou", "loaded")
        assert con.execute("SELECT count(*) FROM current_observations WHERE batch_id = ?",
                           [outcome.batch_id]).fetchone() == (2,)


def test_an_out_of_scope_submission_is_rejected_with_its_report_and_the_warehouse_is_unchanged(db, app):
    sub = queue(db, app, "baotou", OUT_OF_SCOPE)
    before = export_bytes(db)

    [outcome] = load_queued(default_catalogue(), settings_for(db))

    stored = appdb.submission(app, sub.id)
    assert (stored.status, stored.n_errors) == ("rejected", 1)
    [problem] = stored.report["problems"]
    assert (problem["rule"], problem["line"], problem["value"], problem["file"]) == ("out_of_scope", 3, "150100", "报送.csv")
    assert stored.report["message_zh"] == "报送.csv：退回，1 个错误，数据仓库未改动"
    assert export_bytes(db) == before


def test_a_submission_left_loading_by_a_crashed_run_is_queued_again_and_loaded(db, app):
    sub = queue(db, app, "baotou", IN_SCOPE)
    assert appdb.claim_queued(app).id == sub.id  # a run took it, then died before recording the outcome

    [outcome] = load_queued(default_catalogue(), settings_for(db))

    assert outcome.submission_id == sub.id
    assert appdb.submission(app, sub.id).status == "loaded"


def test_a_disabled_accounts_queued_submission_is_rejected_with_a_clear_reason(db, app):
    sub = queue(db, app, "baotou", IN_SCOPE)
    appdb.disable_user(app, "baotou")
    before = export_bytes(db)

    load_queued(default_catalogue(), settings_for(db))

    stored = appdb.submission(app, sub.id)
    assert stored.status == "rejected"
    [problem] = stored.report["problems"]
    assert problem["rule"] == "account_disabled"
    assert problem["message_zh"] == "报送账号baotou已停用或不存在，本次报送未载入；请使用有效账号重新报送"
    assert problem["message_en"].startswith("the account baotou that submitted this file is disabled")
    assert export_bytes(db) == before


def test_one_bad_submission_never_stops_the_others_oldest_first(db, app):
    missing = queue(db, app, "baotou", IN_SCOPE.replace("4000", "4001"))
    (settings_for(db).paths.submissions / missing.stored_name).unlink()  # lost from the server's folder
    rejected = queue(db, app, "baotou", OUT_OF_SCOPE)
    loaded = queue(db, app, "analyst", OUT_OF_SCOPE)  # the bureau may submit Hohhot

    outcomes = load_queued(default_catalogue(), settings_for(db))

    assert [(o.submission_id, o.status) for o in outcomes] == [(missing.id, "failed"), (rejected.id, "rejected"),
                                                               (loaded.id, "loaded")]
    assert [appdb.submission(app, s.id).status for s in (missing, rejected, loaded)] == ["failed", "rejected", "loaded"]
    assert "stored submission" in (settings_for(db).paths.logs / "etl-errors.log").read_text(encoding="utf-8")
    with warehouse.reader(db) as con:
        assert con.execute("SELECT submitter FROM batches WHERE batch_id = ?", [outcomes[2].batch_id]).fetchone() == (
            "analyst",)


def test_loading_at_once_leaves_the_submission_queued_while_another_run_holds_the_lock(db, app):
    sub = queue(db, app, "baotou", IN_SCOPE)

    with warehouse.exclusive_lock(db):
        assert load_submission_now(sub.id, default_catalogue(), settings_for(db)) is None
    assert appdb.submission(app, sub.id).status == "queued"

    outcome = load_submission_now(sub.id, default_catalogue(), settings_for(db))
    assert outcome is not None and outcome.status == "loaded"
    assert appdb.submission(app, sub.id).status == "loaded"


def test_without_an_application_database_there_is_nothing_to_load_and_none_is_created(tmp_path):
    db = make_warehouse(tmp_path, files=[SUBMISSIONS / "base" / "base.csv"], release=False)
    assert load_queued(default_catalogue(), settings_for(db)) == []
    assert not settings_for(db).paths.app_db.exists()


def test_dem_etl_run_loads_the_queue_after_the_inbox_and_counts_it_in_the_run_log(db, app):
    (db.parent / "inbox").mkdir()
    queue(db, app, "baotou", IN_SCOPE)
    queue(db, app, "baotou", OUT_OF_SCOPE, filename="wrong.csv")

    result = run_dem("etl", "run", db=db, DEM_PATHS_APP_DB=str(settings_for(db).paths.app_db),
                     DEM_PATHS_SUBMISSIONS=str(settings_for(db).paths.submissions))

    assert result.returncode == 1, result.stdout + result.stderr  # a submission was rejected
    assert "2 queued submission(s): 1 loaded, 1 rejected or failed" in result.stdout
    assert "wrong.csv: rejected, 1 error(s)" in result.stdout
    runs = (db.parent / "logs" / "etl-runs.log").read_text(encoding="utf-8")
    assert "submissions_loaded=1 submissions_rejected=1 submissions_failed=0" in runs
    [log] = (db.parent / "logs").glob("etl-run-*.json")
    assert [s["status"] for s in json.loads(log.read_text(encoding="utf-8"))["submissions"]] == ["loaded", "rejected"]
