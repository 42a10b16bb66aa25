"""The public read API /api/v1 (issue 16 §1, docs/api.md): open data for scripts and other systems, read-only, from
the same process and the same cached engine calls as the pages. Layers: params (what a request may ask) → http
(layer, pages, JSON/CSV, ETag, CORS, errors) → read (the endpoints) and openapi (the one description of /api/v1,
with the submission API's paths, and its page) → install(app). It never imports the submission portal: the portal
adds its part of the description through server.extensions["dem_openapi"].
"""

from __future__ import annotations

import dash
import flask
from flask_limiter import Limiter
from limits import parse_many
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from dashboard import data, errors
from dashboard.api import http, openapi, read
from dashboard.api.params import ApiError, shown
from dashboard.auth import sessions
from dashboard.i18n import t
from indicators.base.errors import ConfigError

PREFIX = "/api/v1"
OPENAPI_PARTS = "dem_openapi"  # server.extensions: descriptions of other /api/v1 routes to merge (the portal's)


def checked_rate_limit(text: str) -> str:
    """[api] rate_limit, refused at start when it does not parse (flask-limiter would otherwise not throttle)."""
    try:
        parse_many(text)
    except ValueError as exc:
        raise ConfigError(f"settings.toml [api] rate_limit: {text!r} is not a rate limit such as "
                          f"'300 per minute' ({exc})") from exc
    return text


def _rate_limit() -> str:
    return data.settings().api.rate_limit


def _throttled(_limit):
    return http.problem(429, "请求过于频繁，请稍后再试", "too many requests; try again later")


def _failure(exc: Exception):
    """Every error of a read endpoint as JSON in both languages; a bug is logged (never a traceback out)."""
    if isinstance(exc, ApiError):
        return http.cors(http.problem(exc.status, exc.message_zh, exc.message_en))
    if isinstance(exc, HTTPException):
        return http.cors(http.problem(exc.code or 500, t("bad_request", "zh") if exc.code == 400 else exc.name,
                                      t("bad_request", "en") if exc.code == 400 else exc.name))
    where = f"{flask.request.method} {flask.request.path[:80]}"
    if errors.warehouse_error(exc):
        errors.unavailable(exc, where)
        response = http.problem(503, t("warehouse_unavailable", "zh"), t("warehouse_unavailable", "en"))
    else:
        errors.unexpected(exc, where)
        response = http.problem(500, t("server_error", "zh"), t("server_error", "en"))
    return http.cors(response)


blueprint = read.blueprint


@blueprint.get("/openapi.json")
def description():
    response = flask.jsonify(openapi.document(flask.current_app.extensions.get(OPENAPI_PARTS, [])))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@blueprint.get("/")
def documentation():
    doc = openapi.document(flask.current_app.extensions.get(OPENAPI_PARTS, []))
    body = openapi.page(doc, dash.get_relative_path("/assets/style.css"))
    return body, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "public, max-age=300"}


@blueprint.route("/<path:rest>", methods=["GET", "HEAD"])
def not_found(rest: str):
    raise ApiError(404, f"{t('not_found_path', 'zh')}：/api/v1/{shown(rest)}（见 /api/v1/）",
                   f"{t('not_found_path', 'en')}: /api/v1/{shown(rest)} (see /api/v1/)")


blueprint.after_request(http.cors)
blueprint.register_error_handler(Exception, _failure)


def _method_not_allowed(exc: MethodNotAllowed, root: str):
    """A POST to a read endpoint is refused before any view runs (routing): JSON under /api/v1, as before elsewhere."""
    if not flask.request.path.startswith(root + "/"):
        return exc
    response = http.problem(405, f"不支持的请求方法 {flask.request.method[:10]}（只读接口：GET）",
                            f"method {flask.request.method[:10]} not allowed (a read-only API: GET)")
    response.headers["Allow"] = ", ".join(exc.valid_methods or ["GET", "HEAD", "OPTIONS"])
    return http.cors(response)


def install(app: dash.Dash) -> None:
    """The read endpoints, /api/v1/openapi.json, the page /api/v1/ and a JSON 404 for other /api/v1 paths, throttled
    per client address ([api] rate_limit)."""
    server = app.server
    checked_rate_limit(_rate_limit())
    limiter = Limiter(sessions.client_address, app=server, storage_uri="memory://", headers_enabled=False)
    server.extensions["dem_api_limiter"] = limiter  # tests reset it
    limiter.limit(_rate_limit, on_breach=_throttled)(blueprint)
    root = app.config.routes_pathname_prefix.rstrip("/") + PREFIX
    server.register_blueprint(blueprint, url_prefix=root)
    server.register_error_handler(MethodNotAllowed, lambda exc: _method_not_allowed(exc, root))
