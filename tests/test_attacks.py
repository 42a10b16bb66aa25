"""Attacks over plain HTTP, as an outsider or another officer would try them: reaching someone else's uploads and
submissions, traversal and injection through parameters and file names, script in data and file names, session
tricks (fixation, replay after logout, tampering, forged proxies), API token misuse, oversized bodies, leaks in
error answers, and the security headers on every kind of answer. Each test asserts the safe behaviour."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess

import dash
import pytest
from helpers import SUBMISSIONS
from portal_support import (
    BAOTOU_FILE,
    DISPATCH,
    HOHHOT_ROWS,
    PASSWORD,
    callback,
    login,
    portal_app,
    submit_key,
    upload,
)
from werkzeug.test import EnvironBuilder, run_wsgi_app

from dashboard import data
from dashboard import ids as shell
from dashboard.auth import accounts
from dashboard.portal import ids as pid
from indicators.storage import appdb

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
FILE_NAME = f'<script>alert(1){IMG}.csv'  # what a file system allows: no "/" (so no "</script>")
UPLOAD_NAME = f"{SCRIPT}<img src=x onerror=alert(1)>.csv"  # a '"' would end the test client's multipart filename
WARNED = b"indicator_code,region_code,period,value,unit\nDI-01,150200,2023Q1,12000,\xe4\xb8\xaa\n" \
         b"DI-01,150200,2023Q2,,\xe4\xb8\xaa\n"  # a row not reported: a warning one may explain


def hostile_file(folder) -> object:
    """A revision of Hohhot's 2023 GDP whose note and source carry script, in a file whose name carries some."""
    path = folder / FILE_NAME
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["指标代码", "地区", "统计期", "数值", "计量单位", "备注", "数据来源", "示例数据"])
    writer.writerow(["CX-01", "呼市", "2023年", "3850", "亿元", SCRIPT + IMG, SCRIPT + IMG, "否"])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def attack(tmp_path_factory):
    """The process's app on a warehouse holding the hostile file, with two officers, an analyst and tokens."""
    folder = tmp_path_factory.mktemp("attack")
    return portal_app(folder, [SUBMISSIONS / "good" / "long-utf8-en-formA-plain-lf.csv", hostile_file(folder)])


@pytest.fixture
def portal(attack):
    app, settings, _ = attack
    data.configure(settings=settings)  # another module's app may have been configured in between
    app.server.extensions["dem_login_limiter"].reset()
    return attack


def client_of(portal):
    return portal[0].server.test_client()


def signed_in(portal, username: str):
    client = client_of(portal)
    return client, login(client, username)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def api_post(client, token: str, content: bytes, filename: str = "baotou.csv", **fields):
    return client.post("/api/v1/submissions", data={"file": (io.BytesIO(content), filename), **fields},
                       headers=bearer(token), content_type="multipart/form-data")


def is_signed_in(client) -> bool:
    """Anonymous visitors are sent to the login page; a signed-in user gets 404 for a submission that is not."""
    return client.get("/portal/submissions/999999/problems.csv").status_code == 404


def submit_upload(portal, client, csrf, uploaded: dict, texts=()):
    states = [{"type": pid.EXPLAIN, "key": key} for key, _ in texts]
    return callback(client, csrf, [(pid.RESULT, "children@x"), (pid.SUBMIT, "disabled@y")],
                    [(pid.SUBMIT, "n_clicks", 1)],
                    [(pid.UPLOADED, "data", uploaded), (states, "value", [text for _, text in texts]),
                     (shell.LANG, "data", "en")], key=submit_key(portal[0]))


def submissions_of(settings, username: str) -> list[appdb.Submission]:
    with appdb.opened(settings.paths.app_db) as con:
        return appdb.submissions(con, username=username)


# ── IDOR: another officer's uploads and submissions ──────────────────────────────────────────────────────────

def test_another_officer_gets_404_for_someone_elses_upload_submission_and_api_status(portal):
    _, settings, tokens = portal
    owner, csrf = signed_in(portal, "baotou")
    pending = upload(owner, csrf, BAOTOU_FILE + b"DI-01,150200,2023-13,1,\xe4\xb8\xaa\n")
    token = pending.json["token"]
    assert owner.get(f"/portal/uploads/{token}/problems.csv").status_code == 200
    queued = api_post(client_of(portal), tokens["baotou"], BAOTOU_FILE).json["id"]
    assert owner.get(f"/portal/submissions/{queued}/problems.csv").status_code == 200

    other, _ = signed_in(portal, "hohhot")
    assert other.get(f"/portal/uploads/{token}/problems.csv").status_code == 404
    assert other.get(f"/portal/submissions/{queued}/problems.csv").status_code == 404
    assert client_of(portal).get(f"/api/v1/submissions/{queued}", headers=bearer(tokens["hohhot"])).status_code == 404
    analyst, _ = signed_in(portal, "analyst")
    assert analyst.get(f"/portal/submissions/{queued}/problems.csv").status_code == 200


def test_submitting_someone_elses_pending_upload_through_the_submit_callback_queues_nothing(portal):
    _, settings, _ = portal
    owner, csrf = signed_in(portal, "baotou")
    answer = upload(owner, csrf, WARNED)
    assert answer.status_code == 200 and answer.json["n_errors"] == 0 and answer.json["n_warnings"] >= 1
    before = len(submissions_of(settings, "hohhot")) + len(submissions_of(settings, "baotou"))

    other, other_csrf = signed_in(portal, "hohhot")
    done = submit_upload(portal, other, other_csrf, {"status": 200, **answer.json}, texts=[("3|not_reported", "x")])
    assert done.status_code == 200 and "expired" in json.dumps(done.json)  # as for a spent or unknown token
    assert len(submissions_of(settings, "hohhot")) + len(submissions_of(settings, "baotou")) == before
    shown = callback(other, other_csrf, [(pid.REPORT, "children"), (pid.SUBMIT, "disabled"), (pid.RESULT, "children")],
                     [(pid.UPLOADED, "data", {"status": 200, **answer.json})], [(shell.LANG, "data", "en")])
    assert shown.json["response"][pid.SUBMIT]["disabled"] is True and "not_reported" not in json.dumps(shown.json)


def test_explanations_go_only_to_ones_own_upload_and_only_for_warnings_it_has(portal):
    _, settings, _ = portal
    owner, csrf = signed_in(portal, "baotou")
    answer = upload(owner, csrf, WARNED, filename="warned.csv")
    done = submit_upload(portal, owner, csrf, {"status": 200, **answer.json},
                         texts=[("3|not_reported", "closed for renovation"), ("2|yoy_change", "invented"),
                                ("99|not_reported", "invented")])
    assert done.status_code == 200
    queued = next(s for s in submissions_of(settings, "baotou") if s.filename == "warned.csv")
    with appdb.opened(settings.paths.app_db) as con:
        assert [(e["line"], e["rule"], e["text"]) for e in appdb.explanations(con, queued.id)] == \
            [(3, "not_reported", "closed for renovation")]
    other, other_csrf = signed_in(portal, "hohhot")  # the submissions page's detail of it: nothing for another
    shown = callback(other, other_csrf, [(pid.DETAIL, "children")],
                     [(pid.LIST, "cellClicked", {"rowIndex": 0, "colId": "filename", "rowId": str(queued.id)})],
                     [(shell.LANG, "data", "en")])
    assert "closed for renovation" not in json.dumps(shown.json) and "warned.csv" not in json.dumps(shown.json)


# ── traversal and injection ──────────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("region, period", [
    ("../../etc", "2023"), ("150200", "../../etc/passwd"), ("150200\r\nSet-Cookie: x=1", "2023"),
    ("150200", "2023\nX-Injected: 1"), ("150200' OR '1'='1", "2023"), ("150200; DROP TABLE users", "2023"),
    ("1" * 5000, "2023"), ("150200", "2" * 5000), ("150100", "2023"),  # the last: another officer's unit
])
def test_the_template_route_refuses_traversal_injection_and_other_units_with_a_json_error(portal, region, period):
    client, _ = signed_in(portal, "baotou")
    response = client.get("/portal/template", query_string={"region": region, "period": period, "format": "csv"})
    assert response.status_code in (400, 403) and response.mimetype == "application/json"
    assert "Set-Cookie: x" not in str(response.headers) and "X-Injected" not in str(response.headers)
    assert client.get("/portal/template?region=150200&period=2023&format=../../x").status_code == 400
    with appdb.opened(portal[1].paths.app_db) as con:  # the users table is still there
        assert appdb.user(con, "baotou") is not None


@pytest.mark.parametrize("filename", ["a\x00b.csv", "..", "../../../etc/passwd", "x/" * 300 + "y.csv",
                                      "C:\\windows\\..\\evil.csv", "é" * 5000 + ".csv", "\r\nX: y.csv"])
def test_hostile_file_names_never_become_paths_and_are_kept_as_bounded_display_text(portal, filename):
    _, settings, tokens = portal
    answer = api_post(client_of(portal), tokens["baotou"], BAOTOU_FILE, filename=filename)
    if "\r\n" in filename:  # breaks the multipart part's own header: the part has no file name, nothing stored
        assert answer.status_code == 400 and answer.json["message_en"] == "no file in the request (field file)"
        return
    assert answer.status_code == 202, answer.get_data(as_text=True)
    with appdb.opened(settings.paths.app_db) as con:
        queued = appdb.submission(con, answer.json["id"])
    assert re.fullmatch(r"[0-9a-f]{32}-[0-9a-f]{12}(\.[a-z0-9]{1,8})?", queued.stored_name)
    assert (settings.paths.submissions / queued.stored_name).read_bytes() == BAOTOU_FILE
    assert len(queued.filename) <= 255 and queued.filename.isprintable()
    assert not any(p.name == "passwd" or p.name == "evil.csv" for p in settings.paths.submissions.parent.rglob("*"))


def test_an_upload_without_a_multipart_file_name_is_refused_with_400(portal):
    _, _, tokens = portal
    body = b'--XyZ\r\nContent-Disposition: form-data; name="file"\r\n\r\n' + BAOTOU_FILE + b"\r\n--XyZ--\r\n"
    response = client_of(portal).post("/api/v1/submissions", data=body, headers={
        **bearer(tokens["baotou"]), "Content-Type": "multipart/form-data; boundary=XyZ"})
    assert response.status_code == 400 and response.json["message_en"] == "no file in the request (field file)"


def test_a_problems_csv_of_a_chinese_or_hostile_file_name_has_a_latin_1_header_that_cannot_be_broken(portal):
    client, csrf = signed_in(portal, "baotou")
    bad = BAOTOU_FILE + b"DI-01,150200,2023-13,1,\xe4\xb8\xaa\n"
    for name in ("报送 2023.csv", '"; filename=evil.exe; x=".csv', "a\x00b.csv"):
        token = upload(client, csrf, bad, filename=name).json["token"]
        response = client.get(f"/portal/uploads/{token}/problems.csv")
        header = response.headers["Content-Disposition"]
        header.encode("latin-1")  # a WSGI server sends headers as Latin-1: a Chinese one would fail the response
        assert response.status_code == 200 and header.count('"') == 2 and "\n" not in header and "evil.exe\"" not in header
    assert "filename*=UTF-8''%E6%8A%A5%E9%80%812023.problems.csv" in \
        client.get(f"/portal/uploads/{upload(client, csrf, bad, filename='报送2023.csv').json['token']}/problems.csv") \
        .headers["Content-Disposition"]


# ── script in data and file names ────────────────────────────────────────────────────────────────────────────

def explain_request(key: str) -> dict:
    name = next(k for k, v in dash.get_app().callback_map.items() if v["inputs"][0]["id"].startswith('{"key"'))
    button = {"type": shell.EXPLAIN, "key": key}
    return {"output": name, "outputs": {"id": shell.PROVENANCE, "property": name.split(".", 1)[1]},
            "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
            "state": [{"id": shell.LANG, "property": "data", "value": "zh"}],
            "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"]}


def route_request(path: str) -> dict:
    return {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "state": [], "changedPropIds": []}


def strings(node) -> list[str]:
    """Every string of a JSON answer (the data React renders as text)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return []


def assert_only_data(response, *expected: str) -> None:
    """The answer is JSON; the hostile text is in it as plain strings; nothing asks React for raw HTML."""
    assert response.status_code == 200 and response.mimetype == "application/json"
    text = "\n".join(strings(response.json))
    for piece in expected:
        assert piece in text, piece
    raw = response.get_data(as_text=True)
    assert "dangerously" not in raw and '"Markdown"' not in raw and '"presentation": "markdown"' not in raw \
        and '"presentation":"markdown"' not in raw


def test_script_in_a_source_and_a_file_name_reaches_the_provenance_only_as_text(portal):
    client, csrf = signed_in(portal, "analyst")
    response = client.post(DISPATCH, json=explain_request("CX-01|150100|2023"), headers={"X-CSRFToken": csrf})
    assert_only_data(response, SCRIPT + IMG, FILE_NAME)


def test_script_in_a_file_name_reaches_the_quality_page_and_its_batch_report_only_as_text(portal):
    client, csrf = signed_in(portal, "analyst")
    page = client.post(DISPATCH, json=route_request("/quality"), headers={"X-CSRFToken": csrf})
    assert_only_data(page, FILE_NAME)
    batch = next(row["batch_id"] for row in _tables(page.json, shell.QUALITY_BATCHES) if row["file_name"] == FILE_NAME)
    report = callback(client, csrf, [(shell.QUALITY_PROBLEMS, "children")],
                      [(shell.QUALITY_BATCHES, "cellClicked", {"rowIndex": 0, "colId": "batch_id", "rowId": str(batch)})],
                      [(shell.LANG, "data", "zh")])
    assert report.status_code in (200, 204)
    if report.status_code == 200:
        assert_only_data(report)


def _tables(node, table_id: str) -> list[dict]:
    if isinstance(node, dict):
        props = node.get("props", {})
        if isinstance(props, dict) and props.get("id") == table_id:
            return props["rowData"]
        return [r for v in node.values() for r in _tables(v, table_id)]
    if isinstance(node, list):
        return [r for v in node for r in _tables(v, table_id)]
    return []


def test_script_in_an_uploaded_file_name_and_note_is_only_data_in_the_portal_and_the_submissions_page(portal):
    client, csrf = signed_in(portal, "baotou")
    content = ("indicator_code,region_code,period,value,unit,note\n"
               f'DI-01,150200,2023Q1,12000,个,"{SCRIPT}{IMG.replace(chr(34), chr(34) * 2)}"\n'
               f"DI-01,150200,2023-13,1,个,{SCRIPT}\n").encode()
    answer = upload(client, csrf, content, filename=UPLOAD_NAME)
    assert answer.status_code == 200 and answer.json["filename"] == UPLOAD_NAME
    shown = callback(client, csrf, [(pid.REPORT, "children"), (pid.SUBMIT, "disabled"), (pid.RESULT, "children")],
                     [(pid.UPLOADED, "data", {"status": 200, **answer.json})], [(shell.LANG, "data", "en")])
    assert_only_data(shown)
    api = api_post(client_of(portal), portal[2]["baotou"], BAOTOU_FILE, filename=UPLOAD_NAME)
    assert api.status_code == 202 and api.mimetype == "application/json"
    rows = callback(client, csrf, [(pid.LIST, "rowData")], [(pid.TICK, "n_intervals", 1)], [(shell.LANG, "data", "zh")])
    assert_only_data(rows, UPLOAD_NAME)
    detail = callback(client, csrf, [(pid.DETAIL, "children")],
                      [(pid.LIST, "cellClicked", {"rowIndex": 0, "colId": "filename", "rowId": str(api.json["id"])})],
                      [(shell.LANG, "data", "en")])
    assert_only_data(detail, UPLOAD_NAME)


def test_the_login_page_escapes_what_it_echoes(portal):
    client = client_of(portal)
    page = client.get("/login", query_string={"next": f"/{IMG}", "lang": f"en{IMG}"}).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    failed = client.post("/login", data={"username": SCRIPT + IMG, "password": "wrong wrong wrong", "next": f"/{IMG}",
                                         "csrf_token": token}).get_data(as_text=True)
    for body in (page, failed):
        assert "<script>alert" not in body and "<img src=x" not in body and 'onerror=alert(1)>"' not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in failed


@pytest.mark.slow
def test_the_pdf_bulletin_prints_script_in_a_source_and_a_revision_reason_as_literal_text(tmp_path):
    from helpers import load, make_warehouse, release_all, settings_for

    from dashboard.report.build import build_report
    from indicators.cli import released

    db = make_warehouse(tmp_path, [SUBMISSIONS / "good" / "long-utf8-en-formA-plain-lf.csv"])  # released as T1
    [revision] = load(db, [hostile_file(tmp_path)])
    with appdb.opened(settings_for(db).paths.app_db) as con:  # the reviewer's comment becomes the published reason
        appdb.record_review(con, revision.batch_id, 0, "bureau", "accept", "analyst", "test", "<b>" + SCRIPT + IMG)
    release_all(db)  # T2: the hostile file's revision of Hohhot's GDP, with that reason
    out = build_report(released(settings_for(db)), 2023, region="150100", out=tmp_path / "bulletin.pdf")
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert SCRIPT + IMG in text  # the source, whole, as written
    assert "<b><script>alert(1)" in text  # the revision's reason in the annex (wrapped in its narrow column)


# ── sessions ─────────────────────────────────────────────────────────────────────────────────────────────────

def test_a_session_cookie_planted_before_the_login_is_worth_nothing_after_it(portal):
    client = client_of(portal)
    client.get("/login")
    planted = client.get_cookie("dem_session").value
    planted_csrf = client.get_cookie("_csrf_token").value
    login(client, "analyst")
    victim_csrf = client.get_cookie("_csrf_token").value
    attacker = client_of(portal)
    attacker.set_cookie("dem_session", planted)
    assert not is_signed_in(attacker)
    assert planted_csrf != victim_csrf
    assert client.post("/logout", headers={"X-CSRFToken": planted_csrf}).status_code == 400  # the old token is dead


def test_a_cookie_copied_before_the_logout_is_worth_nothing_after_it(portal):
    client, csrf = signed_in(portal, "baotou")
    copied = client.get_cookie("dem_session").value
    elsewhere, _ = signed_in(portal, "baotou")  # the same account in another browser
    assert client.post("/logout", headers={"X-CSRFToken": csrf}).status_code == 303
    thief = client_of(portal)
    thief.set_cookie("dem_session", copied)
    assert not is_signed_in(thief) and not is_signed_in(client)
    assert not is_signed_in(elsewhere)  # a logout ends every session of the account
    assert is_signed_in(signed_in(portal, "baotou")[0])  # and the next login works


def test_a_disabled_users_cookie_and_token_stop_at_once(portal):
    _, settings, _ = portal
    with appdb.opened(settings.paths.app_db) as con:
        appdb.add_user(con, "temp", "officer", "150200", accounts.hash_password(PASSWORD))
        token = accounts.new_token(con, "temp")
    client, _ = signed_in(portal, "temp")
    assert is_signed_in(client)
    with appdb.opened(settings.paths.app_db) as con:
        appdb.disable_user(con, "temp")
    assert not is_signed_in(client)
    assert api_post(client_of(portal), token, BAOTOU_FILE).status_code == 401


def test_a_tampered_or_forged_session_cookie_is_ignored(portal):
    from flask.sessions import SecureCookieSessionInterface

    client, _ = signed_in(portal, "analyst")
    cookie = client.get_cookie("dem_session").value
    payload, stamp, signature = cookie.rsplit(".", 2)
    for forged in (f"{payload}.{stamp}.{signature[:-2]}AA", f"{payload}x.{stamp}.{signature}", "", "garbage"):
        attacker = client_of(portal)
        attacker.set_cookie("dem_session", forged)
        assert not is_signed_in(attacker), forged
    with appdb.opened(portal[1].paths.app_db) as con:
        user = appdb.user(con, "analyst")
    fake = portal[0].server.test_client()
    app = portal[0].server
    other_key = SecureCookieSessionInterface().get_signing_serializer(type("A", (), {
        "secret_key": "not the key", "config": app.config})())
    fake.set_cookie("dem_session", other_key.dumps({"_user_id": f"{user.id}:{user.generation}", "_fresh": True,
                                                    "seen": 2**31}))
    assert not is_signed_in(fake)


def test_a_csrf_token_of_another_session_is_refused(portal):
    victim, _ = signed_in(portal, "analyst")
    _, attacker_csrf = signed_in(portal, "baotou")
    assert victim.post("/logout", headers={"X-CSRFToken": attacker_csrf}).status_code == 400
    response = upload(victim, attacker_csrf, BAOTOU_FILE)
    assert response.status_code == 400 and "CSRF" in response.json["message_en"]
    assert is_signed_in(victim)


@pytest.mark.parametrize("target", ["//evil.com", "/\\evil.com", "https:evil.com", "%2F%2Fevil.com", "/%2F/evil.com",
                                    "javascript:alert(1)", "/\t/evil.com", "///evil.com", "https://evil.com"])
def test_next_after_the_login_stays_on_the_site(portal, target):
    client = client_of(portal)
    client.get("/login")
    response = client.post("/login", data={"username": "analyst", "password": PASSWORD, "next": target,
                                           "csrf_token": client.get_cookie("_csrf_token").value})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")) and "\t" not in location
    assert "evil" not in location.split("?")[0].lstrip("/").split("/")[0]


def test_the_trusted_header_from_an_address_that_is_not_the_proxy_signs_nobody_in(portal):
    app, settings, _ = portal
    data.configure(settings.with_overrides(auth_trusted_header="X-Remote-User", auth_trusted_proxies="10.0.0.5"))
    client = client_of(portal)
    header = {"X-Remote-User": "analyst", "X-Forwarded-For": "10.0.0.5"}
    for address in ("127.0.0.1", "10.0.0.6"):
        assert "warehouse" not in client.get("/_dem/status", headers=header,
                                             environ_base={"REMOTE_ADDR": address}).json
    assert "warehouse" in client.get("/_dem/status", headers=header, environ_base={"REMOTE_ADDR": "10.0.0.5"}).json


def test_x_forwarded_for_from_a_client_does_not_dodge_the_login_throttle(portal):
    client = client_of(portal)
    # an address of its own: the failed logins in the module's shared audit trail lock out the address they came from
    client.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    statuses = []
    for i in range(7):
        client.get("/login")
        statuses.append(client.post("/login", headers={"X-Forwarded-For": f"203.0.113.{i}"}, data={
            "username": f"guess{i}", "password": "wrong password 123",
            "csrf_token": client.get_cookie("_csrf_token").value}).status_code)
    assert statuses[-1] == 429 and statuses.count(200) == 5


# ── the API ──────────────────────────────────────────────────────────────────────────────────────────────────

def test_an_api_token_in_the_query_string_or_a_cookie_does_not_authenticate(portal):
    _, _, tokens = portal
    client = client_of(portal)
    assert client.get(f"/api/v1/submissions/1?access_token={tokens['analyst']}").status_code == 401
    assert client.get(f"/api/v1/submissions/1?token={tokens['analyst']}").status_code == 401
    response = client.post(f"/api/v1/submissions?access_token={tokens['analyst']}",
                           data={"file": (io.BytesIO(BAOTOU_FILE), "b.csv")}, content_type="multipart/form-data")
    assert response.status_code == 401
    signed, _ = signed_in(portal, "analyst")  # a session cookie is not an API credential (no CSRF on the API)
    assert signed.post("/api/v1/submissions", data={"file": (io.BytesIO(BAOTOU_FILE), "b.csv")},
                       content_type="multipart/form-data").status_code == 401
    for header in (f"Basic {tokens['analyst']}", f"Bearer{tokens['analyst']}", "Bearer ", f"Bearer {'x' * 10000}"):
        assert client.get("/api/v1/submissions/1", headers={"Authorization": header}).status_code == 401


def test_a_revoked_token_stops_working(portal):
    _, settings, _ = portal
    with appdb.opened(settings.paths.app_db) as con:
        token = accounts.new_token(con, "baotou")
        with appdb.transaction(con):
            con.execute("UPDATE tokens SET revoked_at = ? WHERE token_hash = ?",
                        [appdb.utc_now(), accounts.token_hash(token)])
    assert api_post(client_of(portal), token, BAOTOU_FILE).status_code == 401


def test_an_analyst_submits_for_any_unit_and_an_officer_out_of_scope_gets_403(portal):
    _, _, tokens = portal
    client = client_of(portal)
    assert api_post(client, tokens["analyst"], HOHHOT_ROWS, region="150100").status_code == 202
    refused = api_post(client, tokens["baotou"], BAOTOU_FILE, region="150100")
    assert refused.status_code == 403 and "outside the scope" in refused.json["message_en"]


def test_a_region_field_in_scope_does_not_let_rows_of_another_unit_through(portal):
    _, settings, tokens = portal
    rows_of_hohhot = b"indicator_code,region_code,period,value,unit\nDI-01,150100,2023Q1,9000,\xe4\xb8\xaa\n"
    answer = api_post(client_of(portal), tokens["baotou"], rows_of_hohhot, filename="sneaky.csv", region="150200")
    assert answer.status_code == 422
    assert [(p["line"], p["rule"]) for p in answer.json["report"]["problems"]] == [(2, "out_of_scope")]
    assert not any(s.filename == "sneaky.csv" for s in submissions_of(settings, "baotou"))


def _raw_post(app, token: str, body: bytes, terminated: bool):
    """A chunked POST without Content-Length, as a WSGI server hands it over (gunicorn marks such a stream
    terminated)."""
    environ = EnvironBuilder(path="/api/v1/submissions", method="POST", input_stream=io.BytesIO(body), headers={
        **bearer(token), "Transfer-Encoding": "chunked", "Content-Type": "multipart/form-data; boundary=XyZ"},
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    if terminated:
        environ["wsgi.input_terminated"] = True
    body_iter, status, _ = run_wsgi_app(app.server, environ, buffered=True)
    return int(status.split()[0]), environ["wsgi.input"].tell()


def test_a_huge_body_without_content_length_is_cut_at_the_limit_and_nothing_is_stored(portal):
    app, settings, tokens = portal
    limit = settings.portal.max_upload_bytes
    big = (b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n' + BAOTOU_FILE +
           b"x" * (limit + 300_000) + b"\r\n--XyZ--\r\n")
    before = {p.name for p in settings.paths.submissions.rglob("*")} if settings.paths.submissions.exists() else set()
    status, read = _raw_post(app, tokens["baotou"], big, terminated=True)
    assert status == 413 and read < limit + 200_000
    status, read = _raw_post(app, tokens["baotou"], big, terminated=False)
    assert status == 400 and read == 0  # an unterminated stream of unknown length is not read at all
    after = {p.name for p in settings.paths.submissions.rglob("*")}
    assert {n for n in after - before if not n.endswith(".json")} == set()


# ── leaks in error answers ───────────────────────────────────────────────────────────────────────────────────

def _no_leak(response) -> None:
    body = response.get_data(as_text=True)
    for leak in ("Traceback", 'File "', "/work/", ".py", "site-packages", "duckdb", "sqlite"):
        assert leak not in body, (leak, body[:300])


@pytest.mark.parametrize("method, path, body, content_type", [
    ("POST", DISPATCH, "{not json", "application/json"),
    ("POST", DISPATCH, "[1, 2, 3]", "application/json"),
    ("POST", DISPATCH, '{"output": "x", "inputs": "y"}', "application/json"),
    ("POST", DISPATCH, '{"output": "..portal-result.children@x...", "outputs": [], "inputs": [[{"id": 1}]]}',
     "application/json"),
    ("PUT", DISPATCH, "{}", "application/json"),
    ("DELETE", "/login", "", None),
    ("GET", "/logout", "", None),
    ("PATCH", "/api/v1/submissions", "", None),
    ("GET", "/api/v1/submissions/99999999999999999999", "", None),
    ("GET", "/portal/uploads/..%2F..%2Fetc%2Fpasswd/problems.csv", "", None),
    ("GET", "/geo/..%2F..%2Fconfig%2Fsettings.json", "", None),
    ("GET", "/_dash-component-suites/dash/../../../etc/passwd", "", None),
])
def test_error_answers_carry_no_traceback_or_server_path(portal, method, path, body, content_type):
    client, csrf = signed_in(portal, "analyst")
    response = client.open(path, method=method, data=body, content_type=content_type, headers={"X-CSRFToken": csrf})
    assert response.status_code < 500 or response.status_code == 503
    _no_leak(response)


def test_an_error_inside_a_callback_answers_500_without_a_traceback(portal, monkeypatch):
    from dashboard import components

    client, csrf = signed_in(portal, "analyst")
    monkeypatch.setattr(components, "provenance", lambda *a: 1 / 0)
    response = client.post(DISPATCH, json=explain_request("CX-01|150100|2023"), headers={"X-CSRFToken": csrf})
    assert response.status_code == 500
    _no_leak(response)
    assert "ZeroDivision" not in response.get_data(as_text=True)


def test_status_tells_anonymous_callers_nothing_but_availability(portal):
    _, _, tokens = portal
    client = client_of(portal)
    assert client.get("/_dem/status").json == {"available": True}
    officer, _ = signed_in(portal, "baotou")
    assert officer.get("/_dem/status").json == {"available": True}  # paths are for the bureau
    assert client.get("/_dem/status", headers=bearer(tokens["baotou"])).json == {"available": True}
    assert "warehouse" in client.get("/_dem/status", headers=bearer(tokens["analyst"])).json


def test_the_not_found_page_leaks_nothing(portal):
    client = client_of(portal)
    page = client.post(DISPATCH, json=route_request("/no/such/page"),
                       headers={"X-CSRFToken": _anonymous_csrf(client)})
    assert page.status_code == 200
    _no_leak(page)
    _no_leak(client.get("/no/such/page"))


def _anonymous_csrf(client) -> str:
    client.get("/")
    return client.get_cookie("_csrf_token").value


# ── headers on every kind of answer ──────────────────────────────────────────────────────────────────────────

def _kinds(portal) -> dict:
    app, settings, tokens = portal
    client, csrf = signed_in(portal, "baotou")
    token = upload(client, csrf, BAOTOU_FILE + b"DI-01,150200,2023-13,1,\xe4\xb8\xaa\n").json["token"]
    throttled = client_of(portal)
    for _ in range(6):
        throttled.get("/login")
        last = throttled.post("/login", data={"username": "nobody", "password": "wrong password 123",
                                              "csrf_token": throttled.get_cookie("_csrf_token").value})
    too_large = client.post(DISPATCH, data=b"{" + b" " * (settings.server.max_request_bytes + 10) + b"}",
                            content_type="application/json", headers={"X-CSRFToken": csrf})
    upload_too_large = client.post("/portal/upload", headers={"X-CSRFToken": csrf},
                                   content_type="multipart/form-data", data={
                                       "file": (io.BytesIO(b"x" * (settings.portal.max_upload_bytes + 1)), "big.csv")})
    return {
        "html page": client.get("/"),
        "login page": client.get("/login"),
        "json callback": client.post(DISPATCH, json=route_request("/"), headers={"X-CSRFToken": csrf}),
        "api json": client_of(portal).get("/api/v1/submissions/1", headers=bearer(tokens["analyst"])),
        "api 401": client_of(portal).get("/api/v1/submissions/1"),
        "csv download": client.get(f"/portal/uploads/{token}/problems.csv"),
        "template": client.get("/portal/template?region=150200&period=2023&format=xlsx"),
        "404": client.get(f"/portal/uploads/{'0' * 32}/problems.csv"),
        "405": client.put("/login"),
        "400 csrf": client_of(portal).post("/logout"),
        "413 callback": too_large,
        "413 upload": upload_too_large,
        "429": last,
        "redirect": client_of(portal).get("/portal/template"),
    }


def test_every_kind_of_answer_carries_the_security_headers(portal):
    kinds = _kinds(portal)
    expected = {"404": 404, "405": 405, "400 csrf": 400, "413 callback": 413, "413 upload": 413, "429": 429,
                "api 401": 401, "redirect": 302}
    for kind, response in kinds.items():
        assert response.status_code == expected.get(kind, 200), (kind, response.status_code)
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-eval'" not in csp, kind
        assert response.headers.get("X-Content-Type-Options") == "nosniff", kind
        assert response.headers.get("X-Frame-Options") == "DENY", kind
        assert response.headers.get("Referrer-Policy") == "same-origin", kind
        _no_leak(response) if response.mimetype != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" \
            else None
