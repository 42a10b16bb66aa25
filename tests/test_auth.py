"""Accounts and sessions: the `dem users` commands, Argon2id hashes, login and logout with rotated sessions and
cookie flags, throttling that tells nothing about which names exist, disabled users and idle sessions stopping
at once, API tokens, single sign-on only from the trusted proxy, and the access functions other packages use."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time

import pytest
from helpers import add_user, browser_like, dem_env, invoke_dem, log_in

from dashboard.auth import access, accounts
from indicators.base.errors import DataError
from indicators.storage import appdb

PASSWORD = "correct horse battery"


def app_env(tmp_path) -> dict[str, str]:
    return {"DEM_PATHS_APP_DB": str(tmp_path / "app" / "dem-app.sqlite")}


def dem_users(tmp_path, *args: str, stdin: str | None = None):
    from click.testing import CliRunner

    from indicators.cli import dem

    env = {"DEM_DB": str(tmp_path / "dem.duckdb"), **app_env(tmp_path)}
    return CliRunner().invoke(dem, ["users", *args], env=env, input=stdin, catch_exceptions=False)


# ── the CLI ──────────────────────────────────────────────────────────────────────────────────────────────────

def test_users_add_stores_an_argon2id_hash_never_the_password_and_lists_without_it(tmp_path):
    result = dem_users(tmp_path, "add", "wang", "--role", "officer", "--region", "150100", "--password-stdin",
                       stdin=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "added user wang (officer)" in result.output
    raw = (tmp_path / "app" / "dem-app.sqlite").read_bytes()
    assert PASSWORD.encode() not in raw
    with sqlite3.connect(tmp_path / "app" / "dem-app.sqlite") as con:
        stored = con.execute("SELECT password_hash FROM users WHERE username = 'wang'").fetchone()[0]
    assert stored.startswith("$argon2id$")
    listed = json.loads(dem_users(tmp_path, "list", "--format", "json").output)
    assert listed == [{"username": "wang", "role": "officer", "region": "150100", "disabled": False, "demo": False,
                       "created_at": listed[0]["created_at"]}]
    assert "argon2" not in dem_users(tmp_path, "list", "--format", "csv").output


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["--role", "admin"], "short\n", "password too short: at least 12 characters"),
    (["--role", "admin"], "aaaaaaaaaaaaaaaa\n", "password too easy to guess"),
    (["--role", "admin"], "li-password-of-li\n", "password too easy to guess"),
    (["--role", "officer"], PASSWORD + "\n", "an officer needs a league or county code as --region (none given)"),
    (["--role", "officer", "--region", "150000"], PASSWORD + "\n", "an officer needs a league or county code"),
    (["--role", "officer", "--region", "999999"], PASSWORD + "\n", "an officer needs a league or county code"),
    (["--role", "analyst", "--region", "150100"], PASSWORD + "\n", "only an officer has a region scope"),
], ids=["short", "repetitive", "contains-name", "officer-without-region", "region-root", "unknown-region",
        "analyst-with-region"])
def test_users_add_refuses_weak_passwords_and_wrong_scopes_with_bilingual_errors(tmp_path, args, stdin, message):
    result = subprocess.run([sys.executable, "-m", "indicators", "users", "add", "li", *args, "--password-stdin"],
                            input=stdin, capture_output=True, text=True, timeout=120,
                            env=dem_env(tmp_path / "dem.duckdb", **app_env(tmp_path)))
    assert result.returncode == 2
    assert message in result.stderr and "错误：" in result.stderr
    assert "Traceback" not in result.stderr


def test_users_disable_set_password_and_token_change_the_account(tmp_path):
    dem_users(tmp_path, "add", "zhao", "--role", "analyst", "--password-stdin", stdin=PASSWORD + "\n")
    token = dem_users(tmp_path, "token", "zhao").output.strip()
    assert len(token) >= 40
    db = tmp_path / "app" / "dem-app.sqlite"
    with appdb.opened(db) as con:
        assert appdb.user_by_token(con, accounts.token_hash(token)).username == "zhao"
        assert token not in json.dumps([dict(r) for r in con.execute("SELECT * FROM tokens")])
        before = appdb.user(con, "zhao").generation
    assert dem_users(tmp_path, "set-password", "zhao", "--password-stdin", stdin="another long secret\n").exit_code == 0
    with appdb.opened(db) as con:
        assert appdb.user(con, "zhao").generation == before + 1
        assert accounts.authenticate(con, "zhao", "another long secret") is not None
        assert accounts.authenticate(con, "zhao", PASSWORD) is None
    assert dem_users(tmp_path, "disable", "zhao").exit_code == 0
    with appdb.opened(db) as con:
        assert appdb.user_by_token(con, accounts.token_hash(token)) is None
        assert accounts.authenticate(con, "zhao", "another long secret") is None
    with pytest.raises(DataError, match="no user nobody"):
        dem_users(tmp_path, "token", "nobody")


def test_users_list_of_an_empty_database_prints_the_header(tmp_path):
    result = invoke_dem("users", "list", "--format", "csv", db=tmp_path / "dem.duckdb", **app_env(tmp_path))
    assert result.exit_code == 0 and result.output == "username,role,region,disabled,demo,created_at\n"


def test_demo_accounts_are_flagged_and_their_passwords_printed_once_and_working(tmp_path):
    from dashboard.auth import accounts
    from indicators.storage import appdb

    first = dem_users(tmp_path, "demo")
    lines = [line.split("\t") for line in first.output.splitlines() if "\t" in line]
    assert first.exit_code == 0 and [line[0] for line in lines] == ["demo-analyst", "demo-baotou", "demo-donghe"]
    again = dem_users(tmp_path, "demo")
    assert again.exit_code == 0 and "\t" not in again.output and "exists (left as it is)" in again.output
    with appdb.opened(tmp_path / "app" / "dem-app.sqlite") as con:
        assert all(u.demo for u in appdb.users(con))
        assert [(u.role, u.region) for u in appdb.users(con)] == [("analyst", None), ("officer", "150200"),
                                                                   ("officer", "150202")]
        for username, password, *_ in lines:
            assert accounts.authenticate(con, username, password).username == username


def test_an_old_hash_is_replaced_at_the_next_login_without_ending_other_sessions(tmp_path):
    from argon2 import PasswordHasher

    db = tmp_path / "app.sqlite"
    with appdb.opened(db) as con:
        appdb.add_user(con, "qian", "analyst", None, PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD))
        assert accounts.authenticate(con, "qian", PASSWORD).generation == 0
        stored = appdb.password_hash(con, "qian")
    assert not accounts.hasher().check_needs_rehash(stored) and "m=8192" not in stored


# ── login, sessions, throttling ──────────────────────────────────────────────────────────────────────────────

def test_login_sets_an_httponly_samesite_session_and_a_new_session_id(auth_app):
    app, settings = auth_app
    add_user(settings.paths.app_db, "sun")
    client = browser_like(app.server.test_client())
    anonymous = client.get_cookie("dem_session").value
    response = log_in(client, "sun", next_="/map?year=2023")
    assert response.status_code == 303 and response.headers["Location"] == "/map?year=2023"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("dem_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get_cookie("dem_session").value != anonymous
    page = client.get("/login").get_data(as_text=True)
    assert "sun" in page  # "signed in as sun"
    with appdb.opened(settings.paths.app_db) as con:
        assert [(e["action"], e["actor"], e["address"]) for e in appdb.events(con)][0] == ("login", "sun", "127.0.0.1")


def test_the_session_cookie_is_secure_when_configured(auth_app):
    from dashboard import data

    app, settings = auth_app
    data.configure(settings.with_overrides(auth_cookie_secure=True))
    add_user(settings.paths.app_db, "zhou")
    client = app.server.test_client()
    response = log_in(client, "zhou")
    cookies = response.headers.getlist("Set-Cookie")
    assert all("Secure" in c for c in cookies if c.startswith(("dem_session=", "_csrf_token=")))


def test_wrong_passwords_are_throttled_with_the_same_message_for_unknown_users(auth_app):
    app, settings = auth_app
    add_user(settings.paths.app_db, "wu")
    answers = {}
    for name, address in (("wu", "10.0.0.1"), ("nobody-here", "10.0.0.2")):  # the address is counted too
        app.server.extensions["dem_login_limiter"].reset()
        client = app.server.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        failed = [log_in(client, name, "wrong password 123") for _ in range(5)]
        assert {r.status_code for r in failed} == {200}
        assert "Wrong user name or password." in failed[0].get_data(as_text=True)
        locked = log_in(client, name, PASSWORD if name == "wu" else "wrong password 123")
        assert locked.status_code == 429
        answers[name] = re.sub(r'name="csrf_token" value="[^"]*"', "", locked.get_data(as_text=True).replace(name, "NAME"))
        assert "Too many failed logins; try again later." in answers[name]
    assert answers["wu"] == answers["nobody-here"]
    with appdb.opened(settings.paths.app_db) as con:
        actions = [e["action"] for e in appdb.events(con)]
    assert actions.count("login_failed") == 10 and actions.count("login_throttled") == 2


def test_the_count_is_shared_by_every_worker_and_survives_a_restart(auth_app):
    """Each attempt as if on another worker, or after a restart (the worker's in-memory count forgotten): the failed
    logins in the audit trail still lock the name out after the limit — for the right password too."""
    app, settings = auth_app
    add_user(settings.paths.app_db, "qin")
    limiter = app.server.extensions["dem_login_limiter"]
    statuses = []
    for i in range(6):
        limiter.reset()
        client = app.server.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.1.{i}"  # and from another address each time
        statuses.append(log_in(client, "QIN", "wrong password 123").status_code)  # the name in any case
    assert statuses == [200] * 5 + [429]
    limiter.reset()
    assert log_in(app.server.test_client(), "qin").status_code == 429  # the right password: still locked out


def test_failed_logins_from_one_address_are_throttled_across_user_names(auth_app):
    app, _ = auth_app
    client = app.server.test_client()
    statuses = [log_in(client, f"guess{i}", "wrong password 123").status_code for i in range(6)]
    assert statuses == [200] * 5 + [429]


def test_logout_is_a_post_with_csrf_and_ends_the_session(auth_app):
    app, settings = auth_app
    add_user(settings.paths.app_db, "zheng")
    client = app.server.test_client()
    log_in(client, "zheng")
    client.get("/logout")  # a link (or an <img> on another site) cannot log anyone out: Dash's page, nothing more
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert _whoami(client) == "internal"
    token = client.get_cookie("_csrf_token").value
    assert client.post("/logout", headers={"X-CSRFToken": token}).status_code == 303
    assert _whoami(client) is None
    with appdb.opened(settings.paths.app_db) as con:
        assert appdb.events(con)[0]["action"] == "logout"


def _whoami(client) -> str | None:
    """Who the server thinks the client is (access.current_user in a request carrying the client's cookies)."""
    response = client.get("/_dem/status")
    return "internal" if "warehouse" in response.json else None


def test_a_disabled_user_or_a_changed_password_ends_the_session_at_the_next_request(auth_app):
    app, settings = auth_app
    add_user(settings.paths.app_db, "feng")
    add_user(settings.paths.app_db, "chen")
    feng, chen = app.server.test_client(), app.server.test_client()
    log_in(feng, "feng")
    log_in(chen, "chen")
    assert _whoami(feng) == _whoami(chen) == "internal"
    with appdb.opened(settings.paths.app_db) as con:
        appdb.disable_user(con, "feng")
        accounts.set_password(con, "chen", "a brand new secret", 12)
    assert _whoami(feng) is None and _whoami(chen) is None
    assert log_in(chen, "chen", "a brand new secret").status_code == 303
    assert _whoami(chen) == "internal"


def test_an_idle_session_ends(auth_app):
    app, settings = auth_app
    add_user(settings.paths.app_db, "yang")
    client = app.server.test_client()
    log_in(client, "yang")
    assert _whoami(client) == "internal"
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - settings.auth.session_idle_minutes * 60 - 5
    assert _whoami(client) is None


def test_api_tokens_identify_the_user_until_disabled(auth_app):
    app, settings = auth_app
    add_user(settings.paths.app_db, "he", role="officer", region="150100")
    with appdb.opened(settings.paths.app_db) as con:
        token = accounts.new_token(con, "he")
    with app.server.test_request_context(headers={"Authorization": f"Bearer {token}"}):
        assert access.user_from_bearer().username == "he"
    for header in ("Bearer wrong", "Basic abc", f"bearer {token}x", ""):
        with app.server.test_request_context(headers={"Authorization": header}):
            assert access.user_from_bearer() is None
    with appdb.opened(settings.paths.app_db) as con:
        appdb.disable_user(con, "he")
    with app.server.test_request_context(headers={"Authorization": f"Bearer {token}"}):
        assert access.user_from_bearer() is None


def test_the_trusted_header_signs_in_only_from_the_trusted_proxy(auth_app):
    from dashboard import data

    app, settings = auth_app
    add_user(settings.paths.app_db, "lv")
    data.configure(settings.with_overrides(auth_trusted_header="X-Remote-User", auth_trusted_proxies="10.0.0.5"))
    client = app.server.test_client()
    header = {"X-Remote-User": "lv"}
    assert "warehouse" in client.get("/_dem/status", headers=header, environ_base={"REMOTE_ADDR": "10.0.0.5"}).json
    assert "warehouse" not in client.get("/_dem/status", headers=header,
                                         environ_base={"REMOTE_ADDR": "10.0.0.6"}).json
    assert "warehouse" not in client.get("/_dem/status", headers={"X-Remote-User": "ghost"},
                                         environ_base={"REMOTE_ADDR": "10.0.0.5"}).json


# ── access ───────────────────────────────────────────────────────────────────────────────────────────────────

def test_scopes_follow_the_region_tree(auth_app):
    def user(role, region=None):
        return appdb.User(1, "x", role, region, False, False, 0, "")

    league = user("officer", "150100")
    assert access.in_scope(league, "150100") and access.in_scope(league, "150102")
    assert not access.in_scope(league, "150200") and not access.in_scope(league, "150000")
    county = user("officer", "150102")
    assert access.scope_codes(county) == {"150102"}
    assert access.scope_codes(user("analyst")) is None and access.in_scope(user("admin"), "150000")
    assert access.scope_codes(None) == set() and not access.has_role(None, "admin")
    assert access.has_role(user("admin"), "admin", "analyst") and not access.has_role(league, "admin")
    assert access.login_url("/quality?lang=en") == "/login?next=%2Fquality%3Flang%3Den"


@pytest.mark.parametrize("text", ["garbage", "5 per fortnight", ""])
def test_a_login_limit_that_does_not_parse_stops_the_start_instead_of_throttling_nothing(text):
    from dashboard.auth import login
    from indicators.base.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[auth\] login_limit"):
        login.checked_limit(text)
    assert login.checked_limit("5 per 15 minutes") == "5 per 15 minutes"
