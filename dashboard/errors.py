"""What the server answers when something goes wrong, and what it logs — never a traceback to the client.

- A callback request no page sends (inputs.check_request) → 400; a well-formed one with an impossible value
  (inputs.InvalidInput raised in a callback) → 204, nothing changes on the page; an unknown script of a
  component package → 404. One INFO line each.
- The warehouse missing or unreadable → the page router answers the friendly hint, other callbacks 204,
  other routes 503. One WARNING line per distinct reason and process, later ones at DEBUG.
- Anything else is a bug → 500 with a short bilingual text (the page router: a friendly page). The traceback
  is logged the first time a distinct error (type and place) occurs in a process, later ones as one line;
  at DEBUG level every time.
"""

from __future__ import annotations

import logging
import traceback

import dash
import duckdb
from dash import html
from dash.exceptions import DependencyException, PreventUpdate
from flask import request
from werkzeug.exceptions import HTTPException, InternalServerError

from dashboard import data, inputs
from dashboard.i18n import t
from indicators.base.errors import DataError

LOG = logging.getLogger("dem.dashboard")
ROUTER = ".._pages_content.children..._pages_store.data.."  # Dash's page router (use_pages)
MAX_SEEN = 512  # distinct errors remembered per process


def first_time(key: tuple) -> bool:
    """True the first time `key` is seen in this process (the memory, data.state().seen, is bounded: it forgets
    when full)."""
    seen = data.state().seen
    if key in seen:
        return False
    if len(seen) >= MAX_SEEN:
        seen.clear()
    seen.add(key)
    return True


def first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [""])[0][:200] or type(exc).__name__


def rejected(exc: inputs.InvalidInput, where: str) -> None:
    LOG.info("%s: rejected %s", where, exc)


def unavailable(exc: BaseException, where: str) -> None:
    problem = data.health()
    reason = f"{problem[0]}: {problem[1]}" if problem else first_line(exc)
    level = logging.WARNING if first_time(("warehouse", reason)) else logging.DEBUG
    LOG.log(level, "%s: warehouse unavailable (%s)", where, reason)


def unexpected(exc: BaseException, where: str) -> None:
    """A bug: its traceback once per distinct error (type, file, line) and process, then one line."""
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    place = (frames[-1].filename, frames[-1].lineno) if frames else ("", 0)
    if first_time((type(exc).__name__, *place)) or LOG.isEnabledFor(logging.DEBUG):
        LOG.error("%s: unexpected %s: %s", where, type(exc).__name__, first_line(exc), exc_info=exc)
    else:
        LOG.error("%s: unexpected %s: %s (traceback logged before)", where, type(exc).__name__, first_line(exc))


def warehouse_error(exc: BaseException) -> bool:
    """A failure because the warehouse is missing or unreadable (checked now, not from the cached verdict)."""
    return isinstance(exc, duckdb.Error | DataError) and data.check() is not None


def _bilingual(key: str) -> str:
    return f"{t(key, 'zh')} | {t(key, 'en')}"


# ── callbacks: Dash's app-level on_error ───────────────────────────────────────────────────────────────

def _callback_outputs() -> list[str]:
    """The outputs of the callback being handled, as 'id.property'."""
    outputs = dash.callback_context.outputs_list or []
    flat = []
    for item in outputs if isinstance(outputs, list) else [outputs]:
        flat.extend(item if isinstance(item, list) else [item])
    return [f"{inputs.canonical_id(o.get('id'))}.{o.get('property')}" for o in flat if isinstance(o, dict)]


def on_callback_error(exc: Exception):
    """Dash calls this for an exception raised in any callback (including a background job's, when its result
    is collected). Returns the outputs to send, or raises PreventUpdate (204) or an HTTP error."""
    outputs = _callback_outputs()
    where = "callback " + (outputs[0] if outputs else "?")
    if isinstance(exc, inputs.InvalidInput):
        rejected(exc, where)
        raise PreventUpdate
    warehouse = warehouse_error(exc)
    if warehouse:
        unavailable(exc, where)
    else:
        unexpected(exc, where)
    if "_pages_content.children" in outputs:
        return [router_page(), {"title": t("app_title")}]
    if warehouse:
        raise PreventUpdate
    raise InternalServerError(_bilingual("server_error"))


def router_page():
    """The page shown instead of one that failed: the usual frame with the warehouse hint (page() shows it when
    the warehouse is missing or unreadable) or a bilingual 'could not be shown'."""
    from dashboard import components

    search = dash.callback_context.inputs.get("_pages_location.search")
    lang = inputs.lang("en" if isinstance(search, str) and "lang=en" in search else None)
    message = html.P([t("page_failed", lang), html.Br(), t("page_failed", "zh" if lang == "en" else "en")],
                     className="warning")
    try:
        return components.page("", lang, "/", {"lang": lang}, t("app_title", lang), message)
    except Exception:  # the frame itself reads the warehouse; fall back to the bare message
        return html.Div(html.Main(message, id="main"), className="page")


# ── everything else: Flask ─────────────────────────────────────────────────────────────────────────────

def on_flask_error(exc: Exception):
    """Flask's handler for every exception a view raises (HTTP errors pass through unchanged)."""
    if isinstance(exc, HTTPException):
        return exc
    where = f"{request.method} {request.path[:80]}"
    if isinstance(exc, inputs.InvalidInput):
        rejected(exc, where)
        return _text("bad_request", 400)
    if isinstance(exc, DependencyException):  # a script path of a component package that does not exist
        LOG.info("%s: not found", where)
        return _text("not_found_path", 404)
    if warehouse_error(exc):
        unavailable(exc, where)
        return _text("warehouse_unavailable", 503)
    unexpected(exc, where)
    return _text("server_error", 500)


def _text(key: str, status: int):
    return _bilingual(key) + "\n", status, {"Content-Type": "text/plain; charset=utf-8"}


def install(app: dash.Dash) -> None:
    """Refuse malformed callback requests before Dash dispatches them; answer every error as above."""
    dispatch = app.config.routes_pathname_prefix + "_dash-update-component"

    @app.server.before_request
    def check_callback_request():
        if request.method == "POST" and request.path == dispatch:
            inputs.check_request(request.get_json(), app.callback_map, poll="cacheKey" in request.args)

    app.server.register_error_handler(Exception, on_flask_error)
    inputs.guard(ROUTER, _router_values)


def _router_values(values: list) -> None:
    pathname, search = values
    if not isinstance(pathname, str):
        raise inputs.InvalidInput("pathname", pathname, "a path")
    if search is not None and not isinstance(search, str):
        raise inputs.InvalidInput("search", search, "a query string")

