"""The portal's Flask routes for signed-in users (the pages' uploads and downloads):

- POST /portal/upload — multipart `file`, `region`, `period`; CSRF token in the X-CSRFToken header →
  {"token", "n_errors", "n_warnings"} (the page then shows the report); 403 out of scope, 413 too large.
- GET /portal/uploads/<token>/problems.csv — the problems of one's own pending upload.
- GET /portal/submissions/<id>/problems.csv — the problems of a submission (its owner, analysts, admins).
- GET /portal/template?region=…&period=…&format=xlsx|csv — the unit's template for the period.

Dash sends callback bodies of at most settings.server.max_request_bytes; an upload is a request of its own whose
limit is raised, for these routes only, to settings.portal.max_upload_bytes (plus the multipart envelope).
"""

from __future__ import annotations

from urllib.parse import quote

import flask
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import ValidationError

from dashboard import data
from dashboard.auth import access
from dashboard.portal import checks, intake, store
from etl.template import build_template
from indicators.base.errors import DemError
from indicators.storage import appdb

ENVELOPE = 64 * 1024  # multipart boundaries, headers and the small form fields around the file
CSRF_HEADER = "X-CSRFToken"
UPLOAD = "/portal/upload"


def problem(status: int, zh: str, en: str, **extra):
    """A JSON error in both languages: {"error": …, "message_zh": …, "message_en": …}."""
    return flask.jsonify({"error": status, "message_zh": zh, "message_en": en, **extra}), status


def too_large():
    limit = data.settings().portal.max_upload_bytes
    exc = store.UploadTooLarge(limit)
    return problem(413, exc.message_zh, exc.message_en)


def upload_file(field: str = "file"):
    """The uploaded file of this request, the body limit raised to the upload limit first; RequestEntityTooLarge
    when the body is larger."""
    request = flask.request
    limit = data.settings().portal.max_upload_bytes + ENVELOPE
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    return request.files.get(field)


def field(name: str) -> str | None:
    value = flask.request.form.get(name, "").strip()
    return value or None


def receive_upload(user: appdb.User):
    """Shared by the page's upload and the API: (stored, report) or an error response."""
    try:
        upload = upload_file()
        if upload is None or not upload.filename:
            return problem(400, "请求中没有文件（字段 file）", "no file in the request (field file)")
        return intake.receive(user, upload.stream, upload.filename, field("region"), field("period"),
                              data.catalogue(), data.settings())
    except RequestEntityTooLarge:
        return too_large()
    except store.UploadTooLarge as exc:
        return problem(413, exc.message_zh, exc.message_en)
    except intake.Refused as exc:
        return problem(exc.status, exc.message_zh, exc.message_en)


def install(server: flask.Flask, prefix: str = "") -> None:
    csrf = server.extensions.get("csrf")

    @server.route(prefix + UPLOAD, methods=["POST"])
    def portal_upload():
        user = access.current_user()
        if user is None:
            return problem(401, "请先登录", "sign in first")
        try:  # checked here, from the header, before the body is read (flask-wtf would parse the form first)
            validate_csrf(flask.request.headers.get(CSRF_HEADER, ""))
        except ValidationError as exc:
            return problem(400, "CSRF 令牌无效，请刷新页面后重试", f"invalid CSRF token ({exc}); reload the page")
        outcome = receive_upload(user)
        if not isinstance(outcome[0], store.Stored):
            return outcome
        stored, report = outcome
        return flask.jsonify({"token": stored.token, "filename": stored.filename, "n_errors": report["n_errors"],
                              "n_warnings": report["n_warnings"]})

    if csrf is not None:  # validated above from the header, before the upload is parsed
        csrf.exempt(portal_upload)

    @server.route(prefix + "/portal/uploads/<token>/problems.csv")
    @access.login_required
    def upload_problems(token: str):
        found = intake.pending(access.current_user(), token, data.settings())
        if found is None:
            flask.abort(404)
        return csv_response(found[1]["report"], found[0].filename)

    @server.route(prefix + "/portal/submissions/<int:submission_id>/problems.csv")
    @access.login_required
    def submission_problems(submission_id: int):
        found = visible_submission(access.current_user(), submission_id)
        if found is None or found.report is None:
            flask.abort(404)
        return csv_response(found.report, found.filename)

    @server.route(prefix + "/portal/template")
    @access.login_required
    def template():
        return template_response(access.current_user())


def visible_submission(user: appdb.User | None, submission_id: int) -> appdb.Submission | None:
    """The submission if `user` may see it (its owner, analysts, admins), else None."""
    with appdb.opened(data.settings().paths.app_db) as con:
        found = appdb.submission(con, submission_id)
    if found is None or user is None:
        return None
    return found if found.username == user.username or access.has_role(user, "analyst", "admin") else None


def csv_response(report: dict, filename: str):
    # The client's name, reduced to letters, digits, - and _, cannot close the quotes or break the header line.
    # A header is Latin-1 on the wire: a Chinese name ("报送.csv") in filename="…" makes the server fail the
    # response, so the plain name keeps ASCII letters only and the full one goes in RFC 6266's filename*.
    stem = "".join(c for c in filename.rsplit(".", 1)[0] if c.isalnum() or c in "-_")[:60] or "upload"
    plain = "".join(c for c in stem if c.isascii()) or "upload"
    return flask.Response(checks.problems_csv(report), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=\"{plain}.problems.csv\"; "
                               f"filename*=UTF-8''{quote(stem + '.problems.csv')}",
        "X-Content-Type-Options": "nosniff"})


def template_response(user: appdb.User):
    """The template of a unit in the user's scope for a period, as XLSX or CSV."""
    args = flask.request.args
    region, period, fmt = args.get("region", ""), args.get("period", "") or None, args.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        return problem(400, "格式须为 xlsx 或 csv", "format must be xlsx or csv")
    try:
        intake.authorise(user, region, period, data.catalogue())
    except intake.Refused as exc:
        return problem(exc.status, exc.message_zh, exc.message_en)
    if not period:
        return problem(400, "请填写统计期（如 2024、2024Q1、2024M03）", "give the period (e.g. 2024, 2024Q1, 2024M03)")
    try:
        body = build_template(data.catalogue(), region, period, fmt)
    except DemError as exc:
        return problem(400, exc.message_zh, exc.message_en)
    mimetype = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
                else "text/csv")
    return flask.Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename=\"template-{region}-{period or 'all'}.{fmt}\""})
