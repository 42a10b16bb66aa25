"""Sessions: Flask-Login over the application database, the signing key, cookie flags, the idle timeout, single
sign-on from a trusted proxy, and CSRF protection of every state-changing request (Dash callbacks included).

The session is Flask's signed cookie. What it holds of a login is "<user id>:<generation>": the user is read from
the application database on every request, and a disabled account or a changed generation (password changed,
account disabled) ends the session at that request. A login clears the session and starts a new one (new random
id, new CSRF token), so a session fixed before the login is worth nothing after it.

CSRF: flask-wtf checks every POST/PUT/PATCH/DELETE. Forms carry the token in a hidden `csrf_token` field; Dash's
renderer sends the `X-CSRFToken` header, read from the `_csrf_token` cookie that every HTML page sets (not
HttpOnly: the renderer's script reads it). Anonymous visitors' callbacks are POSTs too and carry the token the
same way; a request without it is refused with 400 before Dash sees it.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

import dash
import flask
import flask_login
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect, generate_csrf

from dashboard import data
from dashboard.auth import accounts
from indicators.base.errors import StorageError
from indicators.storage import appdb

SESSION_COOKIE = "dem_session"
CSRF_COOKIE = "_csrf_token"  # the name Dash's renderer reads (dash.Dash(csrf_token_name=…) by default)
LOGIN_KEYS = ("_user_id", "_fresh", "_id", "seen")  # what Flask-Login and the idle check keep in the session


class SessionUser(flask_login.UserMixin):
    """Flask-Login's view of an appdb.User. Its id carries the generation: "12:3"."""

    def __init__(self, user: appdb.User):
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.generation}"


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions; the Secure flag follows the settings in force (data.configure)."""

    def get_cookie_secure(self, app: flask.Flask) -> bool:
        return data.settings().auth.cookie_secure


def secret_key(path: Path) -> bytes:
    """The key in `path`, made on first use (64 random hex digits, mode 0600). Every gunicorn worker reads the same
    file; two starting at once make it once (O_EXCL), the other reads it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
        for _ in range(50):  # the other worker may still be writing it
            key = path.read_text().strip()
            if key:
                return key.encode()
            time.sleep(0.02)
    except OSError as exc:
        raise StorageError(f"会话密钥文件 {path} 无法读写：{exc}", f"cannot read or write the session key {path}: {exc}") \
            from exc
    raise StorageError(f"会话密钥文件 {path} 是空的，请删除后重启", f"the session key {path} is empty; delete it and restart")


def _addresses(text: str) -> set[str]:
    return {a.strip() for a in text.split(",") if a.strip()}


def from_trusted_proxy() -> bool:
    """The request came from one of settings.auth.trusted_proxies (the reverse proxy)."""
    return (flask.request.remote_addr or "") in _addresses(data.settings().auth.trusted_proxies)


def client_address() -> str:
    """Who is asking: the peer address, or — when the peer is a trusted proxy — the address that proxy appended to
    X-Forwarded-For (its last entry; earlier entries are the client's own claims and are not believed)."""
    peer = flask.request.remote_addr or "?"
    forwarded = flask.request.headers.get("X-Forwarded-For", "")
    if forwarded and from_trusted_proxy():
        last = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            return peer
    return peer


def audit(action: str, actor: str | None, detail: str | None = None) -> None:
    """Append to the login audit (appdb events): who, from where, what."""
    appdb.log_event(accounts.db(), action, actor[:accounts.MAX_USERNAME_LENGTH] if actor else actor, client_address(),
                    detail)


def _load_session_user(session_id: str) -> SessionUser | None:
    """Flask-Login's user_loader: the session's user if it is still enabled and of the same generation."""
    user_id, _, generation = session_id.partition(":")
    try:
        found = appdb.user_by_id(accounts.db(), int(user_id))
    except ValueError:
        found = None
    if found is None or found.disabled or str(found.generation) != generation:
        for key in LOGIN_KEYS:
            flask.session.pop(key, None)
        if found is not None:
            audit("session_ended", found.username, "disabled" if found.disabled else "password changed or logged out")
        return None
    return SessionUser(found)


def _load_trusted_user(request: flask.Request) -> SessionUser | None:
    """Single sign-on: the user named in settings.auth.trusted_header, only when the request comes from a trusted
    proxy (anyone else could send the header) and the user exists and is enabled."""
    header = data.settings().auth.trusted_header
    if not header or not from_trusted_proxy():
        return None
    name = request.headers.get(header, "").strip()
    if not name or len(name) > accounts.MAX_USERNAME_LENGTH:
        return None
    found = appdb.user(accounts.db(), name)
    return SessionUser(found) if found is not None and not found.disabled else None


def _end_idle_session() -> None:
    """A login unused for settings.auth.session_idle_minutes ends (also enforced by the cookie's signed time stamp,
    which Flask checks against PERMANENT_SESSION_LIFETIME)."""
    session = flask.session
    if "_user_id" not in session:
        return
    now = int(time.time())
    if now - int(session.get("seen", 0)) > data.settings().auth.session_idle_minutes * 60:
        for key in LOGIN_KEYS:
            session.pop(key, None)
        flask.g.pop("_login_user", None)
        return
    session["seen"] = now


def start(user: appdb.User) -> None:
    """A new session for a user who just proved who they are: everything before it (including its CSRF token) is
    dropped, a new random session id is drawn."""
    flask.session.clear()
    flask.session["sid"] = secrets.token_urlsafe(16)
    flask_login.login_user(SessionUser(user))
    flask.session.permanent = True
    flask.session["seen"] = int(time.time())


def end() -> None:
    flask_login.logout_user()
    flask.session.clear()


def _set_csrf_cookie(response: flask.Response) -> flask.Response:
    """Every HTML page carries a CSRF token in the cookie Dash's renderer sends back as X-CSRFToken."""
    if response.mimetype == "text/html":
        response.set_cookie(CSRF_COOKIE, generate_csrf(), path=dash.get_relative_path("/"), samesite="Lax",
                            secure=data.settings().auth.cookie_secure, httponly=False)
    return response


def install(app: dash.Dash) -> None:
    server = app.server
    settings = data.settings()
    server.secret_key = secret_key(settings.paths.secret_key)
    server.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_REFRESH_EACH_REQUEST=True,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.auth.session_idle_minutes),
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session: a dashboard stays open for hours
        WTF_CSRF_SSL_STRICT=True)
    server.session_interface = SessionInterface()
    manager = flask_login.LoginManager()
    manager.init_app(server)
    manager.user_loader(_load_session_user)
    manager.request_loader(_load_trusted_user)
    server.before_request(_end_idle_session)
    CSRFProtect(server)
    server.after_request(_set_csrf_cookie)
    server.teardown_appcontext(accounts.close_db)
