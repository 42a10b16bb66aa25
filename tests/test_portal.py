"""The submission portal: storing uploads safely, the check report, the pages' upload and submit, scope."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from portal_support import (
    BAD_PERIOD,
    BAOTOU_FILE,
    HOHHOT_ROWS,
    callback,
    login,
    portal_app,
    submit_key,
    upload,
)

from dashboard import ids as shell
from dashboard.portal import checks, store
from dashboard.portal import ids as pid
from indicators.storage import appdb

SAFE_NAME = re.compile(r"[0-9a-f]{32}-[0-9a-f]{12}(\.[a-z0-9]{1,8})?")


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    return portal_app(tmp_path_factory.mktemp("portal"))


@pytest.fixture
def client(portal):
    return portal[0].server.test_client()


@pytest.mark.parametrize("filename", ["../../x.csv", "a\nb.csv", "<script>alert(1)</script>.csv", "..", "",
                                      "C:\\temp\\y.CSV"])
def test_an_upload_is_stored_byte_identical_under_a_server_made_name_whatever_the_client_calls_it(tmp_path, filename):
    content = b"\xef\xbb\xbfindicator_code,region_code\r\n\x00\xff"
    saved = store.save(content, filename, tmp_path, limit=1000)
    path = store.pending_path(tmp_path, saved)
    assert SAFE_NAME.fullmatch(saved.name) and path.parent == tmp_path / "pending"
    assert path.read_bytes() == content and saved.sha256 == hashlib.sha256(content).hexdigest()
    assert "\n" not in saved.filename and saved.size == len(content)
    assert [p.name for p in tmp_path.rglob("*")] == ["pending", saved.name]


def test_an_upload_over_the_limit_is_refused_and_leaves_nothing_behind(tmp_path):
    with pytest.raises(store.UploadTooLarge, match="upload limit of 10 bytes"):
        store.save(b"x" * 11, "big.csv", tmp_path, limit=10)
    assert list((tmp_path / "pending").iterdir()) == []


def test_a_good_file_checks_clean_and_submitting_queues_the_byte_identical_original(portal, client):
    _, settings, _ = portal
    csrf = login(client, "baotou")
    answer = upload(client, csrf, BAOTOU_FILE)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.json["n_errors"] == 0
    uploaded = {"status": 200, **answer.json}
    shown = callback(client, csrf, [(pid.REPORT, "children"), (pid.SUBMIT, "disabled"), (pid.RESULT, "children")],
                     [(pid.UPLOADED, "data", uploaded)], [(shell.LANG, "data", "zh")])
    assert shown.status_code == 200 and "通过" in text(shown)
    assert shown.json["response"][pid.SUBMIT]["disabled"] is False
    done = callback(client, csrf, [(pid.RESULT, "children@x"), (pid.SUBMIT, "disabled@y")],
                    [(pid.SUBMIT, "n_clicks", 1)],
                    [(pid.UPLOADED, "data", uploaded), ([], "value", []), (shell.LANG, "data", "zh")], key=submit_key(portal[0]))
    assert done.status_code == 200, done.get_data(as_text=True)
    with appdb.opened(settings.paths.app_db) as con:
        queued = appdb.submissions(con, username="baotou")[0]
    assert (queued.status, queued.region, queued.period, queued.filename, queued.via) == \
        ("queued", "150200", "2023Q1", "baotou.csv", "portal")
    original = settings.paths.submissions / queued.stored_name
    assert original.read_bytes() == BAOTOU_FILE and queued.sha256 == hashlib.sha256(BAOTOU_FILE).hexdigest()
    assert f"报送编号 {queued.id}" in text(done)


def test_a_bad_file_reports_each_error_with_line_and_column_and_its_problems_as_csv(portal, client):
    csrf = login(client, "baotou")
    answer = upload(client, csrf, BAD_PERIOD, filename="bad.csv")
    assert answer.json["n_errors"] == 1
    report = checks.errors(portal_report(portal, answer.json["token"]))
    assert [(p["line"], p["column"], p["rule"]) for p in report] == [(3, "period", "bad_period")]
    assert "第3行" not in report[0]["message_zh"] and "2023-13" in report[0]["message_zh"]
    csv = client.get(f"/portal/uploads/{answer.json['token']}/problems.csv")
    text = csv.get_data().decode("utf-8-sig")
    assert csv.status_code == 200 and "bad.csv,3,period,2023-13,bad_period,error" in text


def text(response) -> str:
    """A callback's answer as readable text (Flask's JSON escapes Chinese)."""
    return json.dumps(response.json, ensure_ascii=False)


def portal_report(portal, token: str) -> dict:
    return store.read_note(portal[1].paths.submissions, token)[1]["report"]


def test_an_officer_of_baotou_uploading_rows_of_hohhot_gets_out_of_scope_on_that_line_and_nothing_queued(
        portal, client):
    csrf = login(client, "baotou")
    with appdb.opened(portal[1].paths.app_db) as con:
        before = len(appdb.submissions(con))
    answer = upload(client, csrf, HOHHOT_ROWS)
    errors = checks.errors(portal_report(portal, answer.json["token"]))
    assert [(p["line"], p["rule"]) for p in errors] == [(3, "out_of_scope")]
    uploaded = {"status": 200, **answer.json}
    done = callback(client, csrf, [(pid.RESULT, "children@x"), (pid.SUBMIT, "disabled@y")],
                    [(pid.SUBMIT, "n_clicks", 1)],
                    [(pid.UPLOADED, "data", uploaded), ([], "value", []), (shell.LANG, "data", "en")], key=submit_key(portal[0]))
    assert "cannot be submitted" in text(done)
    with appdb.opened(portal[1].paths.app_db) as con:
        assert len(appdb.submissions(con)) == before


def test_a_unit_outside_the_scope_is_refused_with_403_before_anything_is_stored(portal, client):
    csrf = login(client, "baotou")
    pending = portal[1].paths.submissions / "pending"
    before = sorted(pending.iterdir()) if pending.exists() else []
    answer = upload(client, csrf, BAOTOU_FILE, region="150100")
    assert answer.status_code == 403 and "outside the scope" in answer.json["message_en"]
    assert (sorted(pending.iterdir()) if pending.exists() else []) == before


def test_an_upload_over_the_portal_limit_gets_413_with_a_bilingual_message(portal, client):
    csrf = login(client, "baotou")
    too_big = BAOTOU_FILE + b"#" * portal[1].portal.max_upload_bytes
    answer = upload(client, csrf, too_big)
    assert answer.status_code == 413
    assert "max_upload_bytes" in answer.json["message_en"] and "上传上限" in answer.json["message_zh"]


def test_an_upload_without_the_csrf_token_or_without_a_login_is_refused(portal, client):
    assert upload(client, "", BAOTOU_FILE).status_code == 401
    login(client, "baotou")
    assert upload(client, "forged", BAOTOU_FILE).status_code == 400


def test_a_script_in_a_file_name_is_shown_as_text_on_the_submissions_page(portal, client):
    csrf = login(client, "hohhot")
    content = b"indicator_code,region_code,period,value,unit\nDI-01,150100,2023Q1,9000,\xe4\xb8\xaa\n"
    answer = upload(client, csrf, content, filename="<script>alert(1)</script>.csv", region="150100")
    uploaded = {"status": 200, **answer.json}
    callback(client, csrf, [(pid.RESULT, "children@x"), (pid.SUBMIT, "disabled@y")], [(pid.SUBMIT, "n_clicks", 1)],
             [(pid.UPLOADED, "data", uploaded), ([], "value", []), (shell.LANG, "data", "zh")],
             key=submit_key(portal[0]))
    rows = callback(client, csrf, [(pid.LIST, "rowData")], [(pid.TICK, "n_intervals", 1)], [(shell.LANG, "data", "zh")])
    assert rows.json["response"][pid.LIST]["rowData"][0]["filename"] == "<script>alert(1)</script>.csv"
    assert rows.headers["Content-Type"].startswith("application/json")  # data, rendered as text by the table


def test_the_submissions_list_shows_only_ones_own_and_the_analyst_sees_all(portal, client):
    csrf = login(client, "baotou")
    own = callback(client, csrf, [(pid.LIST, "rowData")], [(pid.TICK, "n_intervals", 1)], [(shell.LANG, "data", "en")])
    users = {r["username"] for r in own.json["response"][pid.LIST]["rowData"]}
    assert users == {"baotou"}
    assert {r["status"] for r in own.json["response"][pid.LIST]["rowData"]} <= {"queued"}
    csrf = login(client, "analyst")
    every = callback(client, csrf, [(pid.LIST, "rowData")], [(pid.TICK, "n_intervals", 1)], [(shell.LANG, "data", "en")])
    assert {"baotou", "hohhot"} <= {r["username"] for r in every.json["response"][pid.LIST]["rowData"]}


def test_anonymous_visitors_of_the_portal_pages_are_sent_to_the_login(portal, client):
    client.get("/")
    csrf = client.get_cookie("_csrf_token").value
    for path in ("/submit", "/submissions"):
        page = callback(client, csrf, [("_pages_content", "children"), ("_pages_store", "data")],
                        [("_pages_location", "pathname", path), ("_pages_location", "search", "")])
        assert page.status_code == 200 and f"login?next=%2F{path[1:]}" in text(page), text(page)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_template_of_a_unit_in_scope_downloads_and_another_leagues_is_refused(portal, client, fmt):
    login(client, "baotou")
    mine = client.get(f"/portal/template?region=150200&period=2024&format={fmt}")
    assert mine.status_code == 200 and len(mine.data) > 0
    assert client.get(f"/portal/template?region=150100&period=2024&format={fmt}").status_code == 403
