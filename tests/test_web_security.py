"""Web security over plain HTTP, as a script would probe it: CSRF on forms and Dash callbacks, no open redirect,
the security headers on pages and assets, the public/internal line (quality page, status, provenance, the
navigation, PDF renders) and user names shown escaped."""

from __future__ import annotations

import json

import pytest
from helpers import add_user, browser_like, log_in

from dashboard import data, ids
from indicators.storage.warehouse import public_path

DISPATCH = "/_dash-update-component"


def route(path: str, search: str = "") -> dict:
    return {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": search}],
            "state": [], "changedPropIds": []}


def explain(key: str) -> dict:
    from dash import get_app

    name = next(k for k, v in get_app().callback_map.items() if v["inputs"][0]["id"].startswith('{"key"'))
    button = {"type": ids.EXPLAIN, "key": key}
    return {"output": name, "outputs": {"id": ids.PROVENANCE, "property": name.split(".", 1)[1]},
            "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
            "state": [{"id": ids.LANG, "property": "data", "value": "zh"}],
            "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"]}


# ── CSRF ─────────────────────────────────────────────────────────────────────────────────────────────────────

def test_a_dash_callback_without_the_csrf_token_is_refused_and_with_it_answered(auth_app):
    app, _ = auth_app
    client = app.server.test_client()
    assert client.post(DISPATCH, json=route("/catalogue")).status_code == 400
    assert client.post(DISPATCH, json=route("/catalogue"), headers={"X-CSRFToken": "forged"}).status_code == 400
    browser_like(client)
    assert client.post(DISPATCH, json=route("/catalogue")).status_code == 200  # anonymous, with the token


def test_the_login_form_without_its_csrf_token_is_refused(auth_app):
    app, settings = auth_app
    add_user(settings.paths.app_db, "qin")
    client = app.server.test_client()
    response = client.post("/login", data={"username": "qin", "password": "correct horse battery"})
    assert response.status_code == 400 and client.get_cookie("dem_session") is None or \
        "_user_id" not in (client.get_cookie("dem_session").value or "")


def test_the_csrf_cookie_is_readable_by_the_page_script_and_samesite(auth_app):
    app, _ = auth_app
    response = app.server.test_client().get("/")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("_csrf_token="))
    assert "SameSite=Lax" in cookie and "HttpOnly" not in cookie


# ── redirects ────────────────────────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com/x", "/\\evil.com", "\\\\evil.com",
                                    "javascript:alert(1)", "evil.com", "/%0d%0aSet-Cookie:x", "\x00/"])
def test_next_never_leaves_the_site(auth_app, target):
    app, settings = auth_app
    add_user(settings.paths.app_db, "han")
    response = log_in(app.server.test_client(), "han", next_=target)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location == "/" or (location.startswith("/") and not location.startswith("//") and "evil" not in
                               location.split("?")[0].split("/")[1])


def test_the_quality_page_sends_anonymous_visitors_to_the_login_and_shows_staff_the_matrix(auth_app):
    app, settings = auth_app
    add_user(settings.paths.app_db, "cao")
    client = browser_like(app.server.test_client())
    page = json.dumps(client.post(DISPATCH, json=route("/quality")).json)
    assert '"href": "/login?next=%2Fquality"' in page and ids.QUALITY_MATRIX not in page
    english = json.dumps(client.post(DISPATCH, json=route("/quality", "?lang=en")).json)
    assert "/login?next=%2Fquality%3Flang%3Den" in english
    log_in(client, "cao", next_="/quality")
    browser_like(client)
    page = json.dumps(client.post(DISPATCH, json=route("/quality")).json)
    assert ids.QUALITY_MATRIX in page and "/login?next" not in page


# ── headers ──────────────────────────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("path", ["/", "/login", "/assets/style.css", "/_dem/status", "/geo/league.json",
                                  "/_dash-layout", "/no/such/page"])
def test_security_headers_are_on_pages_assets_and_routes(auth_app, path):
    app, _ = auth_app
    response = app.server.test_client().get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "worker-src 'self' blob:" in csp
    assert "'unsafe-eval'" not in csp and "script-src 'self' 'sha256-" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_every_inline_script_of_the_index_page_is_allowed_by_its_hash(auth_app):
    import base64
    import hashlib
    import re

    app, _ = auth_app
    response = app.server.test_client().get("/")
    page = re.sub(r"<!--.*?-->", "", response.get_data(as_text=True), flags=re.S)  # e.g. Dash's <!--[if IE]> note
    scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", page, re.S)
    assert scripts
    csp = response.headers["Content-Security-Policy"]
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp


# ── public and internal ──────────────────────────────────────────────────────────────────────────────────────

def test_status_tells_anonymous_callers_only_whether_it_is_up_and_analysts_everything(auth_app, demo_warehouse):
    app, settings = auth_app
    add_user(settings.paths.app_db, "ma")
    client = app.server.test_client()
    assert client.get("/_dem/status").json == {"available": True}
    log_in(client, "ma")
    body = client.get("/_dem/status").json
    assert body["warehouse"] == str(public_path(demo_warehouse)) and body["layer"] == "public"
    assert body["published_at"] and body["reason"] is None


def test_status_gives_analysts_the_reason_of_a_broken_warehouse(auth_app, tmp_path):
    app, settings = auth_app
    add_user(settings.paths.app_db, "gao")
    client = app.server.test_client()
    log_in(client, "gao")
    data.configure(settings.with_overrides(paths_warehouse=tmp_path / "missing.duckdb"))
    response = client.get("/_dem/status")
    assert response.status_code == 503 and response.json["reason"] == "missing" and response.json["detail"]
    assert app.server.test_client().get("/_dem/status").json == {"available": False}


def test_provenance_shows_batches_and_files_only_to_logged_in_users(auth_app):
    app, settings = auth_app
    add_user(settings.paths.app_db, "lin")
    client = browser_like(app.server.test_client())
    public = json.dumps(client.post(DISPATCH, json=explain("DI-02|150100|2023")).json, ensure_ascii=False)
    assert "数值:" in public and "batch" not in public and "批次" not in public and ".csv" not in public
    log_in(client, "lin")
    browser_like(client)
    internal = json.dumps(client.post(DISPATCH, json=explain("DI-02|150100|2023")).json, ensure_ascii=False)
    assert "batch" in internal


def test_the_navigation_shows_internal_links_and_the_escaped_user_name_only_after_login(auth_app):
    app, settings = auth_app
    add_user(settings.paths.app_db, "<script>alert(1)</script>")
    client = browser_like(app.server.test_client())
    anonymous = json.dumps(client.post(DISPATCH, json=route("/")).json)
    assert '"/quality"' not in anonymous and '"/submit"' not in anonymous and ids.LOGIN_LINK in anonymous
    log_in(client, "<script>alert(1)</script>")
    browser_like(client)
    internal = json.dumps(client.post(DISPATCH, json=route("/")).json)
    for path in ("/quality", "/calendar", "/submit", "/submissions"):
        assert f'"{path}"' in internal, path
    assert ids.LOGOUT in internal and "<script>alert(1)</script>" in internal  # a text prop: React escapes it
    login_page = client.get("/login").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in login_page and "&lt;script&gt;alert(1)&lt;/script&gt;" in login_page


def test_anonymous_visitors_get_a_message_instead_of_a_pdf_render(auth_app, tmp_path, monkeypatch):
    from dashboard import downloads

    app, _ = auth_app
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # an empty render cache
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    client = browser_like(app.server.test_client())
    name = next(iter(downloads._CALLBACKS))
    result = downloads._CALLBACKS[name]
    spec = app.callback_map[name]
    values = [1, data.data_years()[-1], "150000", "en"]
    body = {"output": name, "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]}
                                        for o in name.strip(".").split("...")],
            "inputs": [{**i, "value": v} for i, v in zip(spec["inputs"], values[:1], strict=True)],
            "state": [{**i, "value": v} for i, v in zip(spec["state"], values[1:], strict=True)],
            "changedPropIds": [spec["inputs"][0]["id"] + ".n_clicks"]}
    response = client.post(DISPATCH, json=body)
    assert response.status_code == 200
    assert response.json == {"multi": True, "response": {result: {"children": (
        "This bulletin is being prepared; come back later, or log in to render it now.")}}}


def pdf_body(app, name: str, region: str = "150000") -> dict:
    spec = app.callback_map[name]
    values = [1, data.data_years()[-1], region, "en"]
    return {"output": name, "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]}
                                        for o in name.strip(".").split("...")],
            "inputs": [{**i, "value": v} for i, v in zip(spec["inputs"], values[:1], strict=True)],
            "state": [{**i, "value": v} for i, v in zip(spec["state"], values[1:], strict=True)],
            "changedPropIds": [spec["inputs"][0]["id"] + ".n_clicks"]}


def test_a_user_runs_one_pdf_job_at_a_time(auth_app, tmp_path, monkeypatch):
    import psutil

    from dashboard import downloads

    app, settings = auth_app
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # an empty render queue
    add_user(settings.paths.app_db, "analyst-one")
    client = browser_like(app.server.test_client())
    log_in(client, "analyst-one")
    browser_like(client)
    name = next(iter(downloads._CALLBACKS))
    with app.server.test_request_context():
        job = downloads._job_file("analyst-one")
    me = psutil.Process()
    job.write_text(f"{me.pid} {me.create_time()}")  # a job of this user still running (this very process)
    response = client.post(DISPATCH, json=pdf_body(app, name))
    assert response.json == {"multi": True, "response": {downloads._CALLBACKS[name]: {"children": (
        "A report of yours is being built; try again when it is done.")}}}
    job.write_text(f"{me.pid} {me.create_time() - 5}")  # that process id now belongs to another process
    with app.server.test_request_context():
        assert downloads._running_job("analyst-one") is None
        assert downloads._running_job("somebody-else") is None


def test_a_bulletin_exported_after_the_publish_is_handed_to_anonymous_visitors(auth_app, tmp_path, monkeypatch):
    import os

    from dashboard import downloads
    from dashboard.report.build import default_name

    app, settings = auth_app
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    year = data.data_years()[-1]
    exported = settings.paths.exports / default_name("150000", year, lang="en")  # the English page's edition
    exported.parent.mkdir(parents=True, exist_ok=True)
    exported.write_bytes(b"%PDF-1.4 the nightly bulletin")
    published = settings.paths.warehouse.stat().st_mtime
    os.utime(exported, (published - 60, published - 60))  # written before the warehouse now published
    with app.server.test_request_context():
        assert downloads.rendered(year, "150000", "en") is None
        os.utime(exported, (published + 60, published + 60))  # the scheduled run after the publish

        def never(request, out):
            raise AssertionError("rendered although a current bulletin exists")

        assert downloads.rendered(year, "150000", "en") == exported
        assert downloads.rendered(year, "150000", "zh") is None  # the Chinese edition is another file
        download, message = downloads.bulletin(year, "150000", "en", render=never)
    assert message == "The report is ready and downloading." and download["filename"] == exported.name
