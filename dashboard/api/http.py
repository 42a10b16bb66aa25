"""How the read API answers: which warehouse layer a caller reads, pages of a table as JSON or CSV, conditional GET
(ETag and Last-Modified from the identity of the published file read), Cache-Control, CORS and errors as JSON in
both languages.

    answer(query, fetch) → 200 with one page of fetch()'s frame, or 304 when the caller's copy is current.

The ETag is a hash of the layer, the file's identity (inode, mtime) and the request's path and query: a new publish
is a new tag, and a caller revalidating an unchanged answer gets 304 without the warehouse being queried.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

import flask
import pandas as pd

from dashboard import data
from dashboard.api.params import FORMATS, LAYERS, ApiError, Query
from dashboard.auth import access
from dashboard.i18n import t
from indicators.engine.export import to_csv_bytes

VERSION = "1"  # in every ETag: a change of the answers' shape invalidates the copies callers hold
EXPOSED = "ETag, Last-Modified, Link, X-Total-Count"


def problem(status: int, zh: str, en: str) -> flask.Response:
    """{"error": 400, "message_zh": …, "message_en": …} — the shape of the submission API's errors."""
    body = json.dumps({"error": status, "message_zh": zh, "message_en": en}, ensure_ascii=False)
    response = flask.Response(body, status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="dem"'
    return response


def caller_layer(query: Query) -> str:
    """PUBLIC for everyone; PRELIMINARY when asked (?layer=preliminary) by the holder of a valid API token of an
    analyst or administrator. A token that is sent must be valid (401), even for public values: a script whose
    token was revoked should learn it, not silently read less."""
    asked = query.choice("layer", LAYERS, "public")
    sent = bool(flask.request.headers.get("Authorization"))
    user = access.user_from_bearer() if sent else None
    if sent and user is None:
        raise ApiError(401, "无效的 API 令牌（Authorization: Bearer TOKEN）",
                       "invalid API token (Authorization: Bearer TOKEN)")
    if asked == "preliminary":
        if user is None:
            raise ApiError(401, "初步数据需要分析员或管理员的 API 令牌（Authorization: Bearer TOKEN）",
                           "preliminary values need an analyst's or administrator's API token "
                           "(Authorization: Bearer TOKEN)")
        if not access.may_see_preliminary(user):
            raise ApiError(403, "此账户无权查看未发布的初步数据（仅分析员和管理员）",
                           "this account may not read unreleased preliminary values (analysts and administrators only)")
        return data.PRELIMINARY
    return data.PUBLIC


def answer(query: Query, fetch: Callable[[], pd.DataFrame], name: str) -> flask.Response:
    """One page of the table fetch() returns (read from the caller's layer), as ?format=json (default) or csv."""
    settings = data.settings().api
    fmt = query.choice("format", FORMATS, "json")
    page = query.page(settings.page_size, settings.max_page_size)
    layer = caller_layer(query)
    with data.reading(layer), data.state().snapshots.reading() as snapshot:
        tag, modified = etag(layer, snapshot.identity), datetime.fromtimestamp(snapshot.identity[1] / 1e9, UTC)
        if current(tag, modified):
            response = flask.Response(status=304)
        else:
            frame = fetch()
            meta = _meta(layer, frame, page.limit, page.offset)
            rows = frame.iloc[page.offset:page.offset + page.limit]
            links = _links(page, len(frame))
            response = _csv(rows, name) if fmt == "csv" else _json(rows, meta, links)
            response.headers["X-Total-Count"] = str(len(frame))
            if links.get("next"):
                response.headers["Link"] = f'<{links["next"]}>; rel="next"'
    response.set_etag(tag)
    response.last_modified = modified.replace(microsecond=0)
    response.headers["Cache-Control"] = _cache_control(layer)
    response.vary.add("Authorization")
    return response


def etag(layer: str, identity: tuple[int, int]) -> str:
    request = flask.request
    key = json.dumps([VERSION, layer, list(identity), request.path, sorted(request.args.items(multi=True))])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def current(tag: str, modified: datetime) -> bool:
    """The caller's copy is current: its If-None-Match names this tag, or (without one) its If-Modified-Since is
    not older than the file (HTTP dates have whole seconds)."""
    request = flask.request
    if request.if_none_match:
        return request.if_none_match.contains_weak(tag)
    since = request.if_modified_since
    return since is not None and modified.replace(microsecond=0) <= since


def _cache_control(layer: str) -> str:
    if layer == data.PRELIMINARY:
        return "private, no-store"  # unreleased values: kept by no cache
    if flask.request.headers.get("Authorization"):
        return "private, no-cache"
    return f"public, max-age={data.settings().api.max_age}"


def _meta(layer: str, frame: pd.DataFrame, limit: int, offset: int) -> dict:
    meta = {"layer": layer, "released_only": layer == data.PUBLIC, "total": len(frame), "limit": limit,
            "offset": offset, "published_at": _published_at()}
    if layer == data.PRELIMINARY:
        meta.update(note_zh=t("preliminary_note", "zh"), note_en=t("preliminary_note", "en"))
    if "synthetic" in frame and bool(frame["synthetic"].fillna(False).astype(bool).any()):
        meta.update(synthetic=True, synthetic_note_zh=t("synthetic_note", "zh"),
                    synthetic_note_en=t("synthetic_note", "en"))
    return meta


def _published_at() -> str | None:
    found = data.published_at()
    return None if found is None else str(found)


def _links(page, total: int) -> dict:
    def at(offset: int) -> str:
        args = [(k, v) for k, v in flask.request.args.items(multi=True) if k != "offset"] + [("offset", str(offset))]
        return flask.request.script_root + flask.request.path + "?" + urlencode(args)

    links = {"self": at(page.offset)}
    if page.offset + page.limit < total:
        links["next"] = at(page.offset + page.limit)
    if page.offset > 0:
        links["prev"] = at(max(0, page.offset - page.limit))
    return links


def _json(rows: pd.DataFrame, meta: dict, links: dict) -> flask.Response:
    records = rows.to_json(orient="records", force_ascii=False, double_precision=10, date_format="iso")
    body = ('{"data":' + records + ',"meta":' + json.dumps(meta, ensure_ascii=False) + ',"links":'
            + json.dumps(links, ensure_ascii=False) + "}")
    return flask.Response(body, 200, mimetype="application/json")


def _csv(rows: pd.DataFrame, name: str) -> flask.Response:
    """UTF-8 with BOM (Excel opens the Chinese names), formula-safe, lists joined with ';' like the CLI's CSV."""
    flat = rows.copy()
    for column in flat.columns:
        if flat[column].map(lambda v: isinstance(v, list | tuple)).any():
            flat[column] = flat[column].map(lambda v: ";".join(map(str, v)) if isinstance(v, list | tuple) else v)
    response = flask.Response(to_csv_bytes(flat), 200, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def cors(response: flask.Response) -> flask.Response:
    """Access-Control-Allow-Origin only for an origin of [api] cors_origins (none by default)."""
    allowed = data.settings().api.origins()
    origin = flask.request.headers.get("Origin")
    response.vary.add("Origin")
    if origin and ("*" in allowed or origin in allowed):
        response.headers["Access-Control-Allow-Origin"] = "*" if "*" in allowed else origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED
        if flask.request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Authorization, If-None-Match, If-Modified-Since"
            response.headers["Access-Control-Max-Age"] = "600"
    return response
