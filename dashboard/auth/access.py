"""Who may see and do what: the signed-in user of this request, roles, an officer's region scope, and the two ways
to send an anonymous visitor to the login page. The interface the pages, the portal and the API code against.

Public (Art. 9): statistics, progress and methods. Internal: batch ids, file names, paths, submitters, the quality
matrix, the portal. An officer's scope is the region code stored with the account and every unit below it in the
catalogue's region tree (a league → its counties); analysts and admins see every unit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import quote

import dash
import flask
import flask_login
from dash import dcc, html

from dashboard import data, ids
from dashboard.auth import accounts
from indicators.storage import appdb

LOGIN_PATH = "/login"
INTERNAL_ROLES = ("admin", "analyst")  # see everything; officers see their units and the portal


def current_user() -> appdb.User | None:
    """The signed-in (or single-sign-on) user of this request, re-read from the application database on every
    request; None for an anonymous visitor and outside a request (a background job)."""
    if not flask.has_request_context():
        return None
    try:
        user = flask_login.current_user
    except (AttributeError, RuntimeError):  # no LoginManager on this app (a bare Flask test app)
        return None
    if user is None or not user.is_authenticated:
        return None
    return user.user


def is_internal() -> bool:
    """Anyone signed in: batch ids, file names and the internal pages may be shown."""
    return current_user() is not None


PRELIMINARY_KEY = "dem_preliminary"  # in the signed session: this user asked to see preliminary values


def may_see_preliminary(user: appdb.User | None) -> bool:
    """Values not yet released are internal to the bureau: analysts and admins (officers see their own batches on
    /submissions and /review)."""
    return has_role(user, *INTERNAL_ROLES)


def layer() -> str:
    """The warehouse layer this request reads (registered with dashboard.data.choose_layer): preliminary only for an
    analyst or admin who switched it on in this session; public for everyone else and outside a request."""
    if flask.has_request_context() and flask.session.get(PRELIMINARY_KEY) and may_see_preliminary(current_user()):
        return data.PRELIMINARY
    return data.PUBLIC


def has_role(user: appdb.User | None, *roles: str) -> bool:
    """has_role(user, "admin", "analyst"): the user exists, is enabled and holds one of the roles."""
    return user is not None and not user.disabled and user.role in roles


def scope_codes(user: appdb.User | None) -> set[str] | None:
    """The region codes the user may see or submit for: None means all (analyst, admin); an officer's region and
    every unit below it; the empty set for anonymous visitors and officers whose region left the catalogue."""
    if user is None or user.disabled:
        return set()
    if user.role in INTERNAL_ROLES:
        return None
    tree = data.catalogue().regions
    if not user.region or user.region not in tree.by_code:
        return set()
    codes, frontier = {user.region}, [user.region]
    while frontier:
        children = [r.code for r in tree.children(frontier.pop())]
        codes.update(children)
        frontier.extend(children)
    return codes


def in_scope(user: appdb.User | None, region_code: str) -> bool:
    """in_scope(officer of 150100, "150102") → True (a county of the league); False for another league's."""
    codes = scope_codes(user)
    return codes is None or str(region_code) in codes


def login_url(path: str) -> str:
    """The login page, coming back to `path` (a local path) afterwards: /login?next=%2Fquality."""
    return dash.get_relative_path(LOGIN_PATH) + "?next=" + quote(path or "/", safe="")


def login_redirect(path: str) -> html.Div:
    """A Dash page layout's answer to an anonymous visitor: a dcc.Location sends the browser to the login page (a
    full load: the login page is a server-rendered Flask route, not a Dash page), which comes back to `path`;
    the link is there for the moment in between."""
    url = login_url(path)
    return html.Div([dcc.Location(id=ids.LOGIN_REDIRECT, href=url, refresh=True),
                     html.P(html.A("登录 Log in", href=url))], className="page")


def login_required(view: Callable) -> Callable:
    """A Flask route for signed-in users only: anonymous GETs are redirected to the login page, other methods get
    401 (a script has nothing to be redirected to)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_user() is None:
            if flask.request.method in ("GET", "HEAD"):
                return flask.redirect(login_url(flask.request.full_path.rstrip("?")))
            flask.abort(401)
        return view(*args, **kwargs)

    return wrapper


def user_from_bearer() -> appdb.User | None:
    """The enabled user whose API token is in `Authorization: Bearer TOKEN`, else None (no header, malformed,
    unknown or revoked token, disabled user). Looked up in the database on every call."""
    if not flask.has_request_context():
        return None
    scheme, _, token = flask.request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return accounts.user_for_token(token.strip())
