"""/login and /logout: a small server-rendered form (Jinja, escaped) in the dashboard's look, throttled per user
name and per address, every outcome written to the login audit.

Throttling: settings.auth.login_limit failed logins ("5 per 15 minutes") per user name and per client address;
after that every login of that name or from that address is refused, right password or not, with the same message
whether the name exists or not. Two counts: flask-limiter's in the worker's memory (cheap, refuses a flood before it
reaches the database), and the failed logins of the last window in the audit trail (appdb.failed_logins), which
every worker and process shares and a restart does not forget — so N workers give an attacker the limit, not N
times it (docs/accounts.md).
"""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime, timedelta

import dash
import flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse_many

from dashboard import data
from dashboard.auth import accounts, sessions
from dashboard.i18n import t
from indicators.base.errors import ConfigError
from indicators.storage import appdb

PAGE = """<!DOCTYPE html>
<html lang="{{ 'en' if lang == 'en' else 'zh-CN' }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t('login_title', lang) }} · {{ t('app_title', lang) }}</title>
<link rel="stylesheet" href="{{ css }}"></head>
<body><div class="page">
<header class="site-header"><div class="brand-row">
<a class="brand" href="{{ home }}">{{ t('app_title', lang) }}</a>
<a class="lang-toggle" href="{{ toggle }}" lang="{{ other }}">{{ t('language', lang) }}</a>
</div></header>
<main id="main" class="login">
<h1>{{ t('login_title', lang) }} <span lang="{{ other }}" class="hint">{{ t('login_title', other) }}</span></h1>
<p>{{ t('login_intro', lang) }}</p>
{% if message %}<p class="warning" role="alert" id="login-message">{{ t(message, lang) }}
<span lang="{{ other }}">{{ t(message, other) }}</span></p>{% endif %}
{% if user %}<p>{{ t('signed_in_as', lang) }}<strong>{{ user }}</strong></p>{% endif %}
<form method="post" action="{{ action }}" class="panel login-form">
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<input type="hidden" name="next" value="{{ next }}">
<div class="control"><label for="username">{{ t('username', lang) }} · {{ t('username', other) }}</label>
<input id="username" name="username" autocomplete="username" required maxlength="64" value="{{ username }}"></div>
<div class="control"><label for="password">{{ t('password', lang) }} · {{ t('password', other) }}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"></div>
<p><button type="submit" class="primary" id="login-submit">{{ t('login', lang) }} · {{ t('login', other) }}</button></p>
</form>
<p><a href="{{ home }}">{{ t('back_to_dashboard', lang) }}</a></p>
</main></div></body></html>
"""


def safe_next(value: str | None) -> str:
    """Where to go after the login: a path on this site only (no scheme, no host, no '//' or '\\' tricks that
    browsers read as another host), else the home page. safe_next('//evil.com') → '/'."""
    home = dash.get_relative_path("/")
    if not value or len(value) > 2000 or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return home
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return home
    parts = urllib.parse.urlsplit(value)
    if parts.scheme or parts.netloc:
        return home
    return value


def _lang() -> str:
    return "en" if flask.request.values.get("lang") == "en" else "zh"


def render(message: str | None = None, status: int = 200, username: str = ""):
    from dashboard.auth.access import current_user

    lang = _lang()
    other = "zh" if lang == "en" else "en"
    user = current_user()
    next_ = safe_next(flask.request.values.get("next"))
    query = {"next": next_, **({"lang": "en"} if other == "en" else {})}
    body = flask.render_template_string(
        PAGE, t=t, lang=lang, other=other, message=message, username=username[:accounts.MAX_USERNAME_LENGTH],
        user=user.username if user else None, next=next_, home=dash.get_relative_path("/"),
        action=dash.get_relative_path("/login") + ("?lang=en" if lang == "en" else ""),
        toggle=dash.get_relative_path("/login") + "?" + urllib.parse.urlencode(query),
        css=dash.get_relative_path("/assets/style.css"))
    return body, status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


def _username_key() -> str:
    return "user:" + flask.request.form.get("username", "").strip().casefold()[:accounts.MAX_USERNAME_LENGTH]


def _address_key() -> str:
    return "address:" + sessions.client_address()


def _failed(_response) -> bool:
    return bool(flask.g.get("dem_login_failed"))


def _throttled(_limit):
    """on_breach: the lockout page (429), audited once per request; it says nothing of whether the name exists."""
    if not flask.g.get("dem_login_throttled"):
        flask.g.dem_login_throttled = True
        sessions.audit("login_throttled", flask.request.form.get("username", "").strip() or None)
    body, status, headers = render("login_throttled", 429, flask.request.form.get("username", ""))
    return flask.Response(body, status, headers)


def locked_out(limit: str, username: str, address: str) -> bool:
    """Whether the audit trail holds `limit`'s number of failed logins of this name, or from this address, within
    its window ('5 per 15 minutes': 5 in the last 15 minutes) — whichever worker saw them."""
    item = parse_many(limit)[0]
    since = (datetime.now(UTC) - timedelta(seconds=item.get_expiry())).replace(tzinfo=None)
    by_name, by_address = appdb.failed_logins(accounts.db(), since.isoformat(timespec="seconds") + "Z",
                                              username[:accounts.MAX_USERNAME_LENGTH], address)
    return by_name >= item.amount or by_address >= item.amount


def checked_limit(text: str) -> str:
    """The [auth] login_limit, refused at start when it does not parse: flask-limiter would otherwise log the bad
    limit at each login and not throttle at all."""
    try:
        parse_many(text)
    except ValueError as exc:
        raise ConfigError(f"settings.toml [auth] login_limit: {text!r} is not a rate limit such as "
                          f"'5 per 15 minutes' ({exc})") from exc
    return text


def install(app: dash.Dash) -> None:
    server = app.server
    limit = checked_limit(data.settings().auth.login_limit)
    limiter = Limiter(get_remote_address, app=server, storage_uri="memory://", headers_enabled=False)
    server.extensions["dem_login_limiter"] = limiter  # tests reset it
    throttle = {"methods": ["POST"], "deduct_when": _failed, "on_breach": _throttled}

    @server.route(app.config.routes_pathname_prefix + "login", methods=["GET", "POST"])
    @limiter.limit(limit, key_func=_address_key, **throttle)
    @limiter.limit(limit, key_func=_username_key, **throttle)
    def login():
        if flask.request.method == "GET":
            return render()
        username = flask.request.form.get("username", "").strip()
        password = flask.request.form.get("password", "")
        if locked_out(limit, username, sessions.client_address()):
            return _throttled(None)
        user = accounts.authenticate(accounts.db(), username, password)
        if user is None:
            flask.g.dem_login_failed = True
            sessions.audit("login_failed", username or None)
            return render("login_failed", 200, username)  # a page to try again (401 would be a console error)
        sessions.start(user)
        sessions.audit("login", user.username)
        return flask.redirect(safe_next(flask.request.form.get("next")), 303)

    @server.route(app.config.routes_pathname_prefix + "_dem/preliminary", methods=["POST"])
    def preliminary():
        """Switch preliminary values on or off for this session (a POST with the CSRF token, like the logout);
        refused (403) to anyone who may not see them."""
        from dashboard.auth.access import PRELIMINARY_KEY, current_user, may_see_preliminary

        user = current_user()
        if not may_see_preliminary(user):
            flask.abort(403)
        on = flask.request.form.get("on") == "1"
        flask.session[PRELIMINARY_KEY] = on
        sessions.audit("preliminary_on" if on else "preliminary_off", user.username)
        return flask.redirect(safe_next(flask.request.form.get("next")), 303)

    @server.route(app.config.routes_pathname_prefix + "logout", methods=["POST"])
    def logout():
        from dashboard.auth.access import current_user

        user = current_user()
        sessions.end()
        if user is not None:
            # the cookie is only signed, not remembered: a copy taken before the logout (a shared computer, a
            # stolen cookie) would stay valid, so the logout ends every session of the account (its generation)
            appdb.end_sessions(accounts.db(), user.username)
            sessions.audit("logout", user.username)
        return flask.redirect(dash.get_relative_path("/"), 303)
