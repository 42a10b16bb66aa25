"""/api/v1: submissions by script, authenticated by `Authorization: Bearer TOKEN` (an API token of `dem users
token`), hence exempt from the session's CSRF check. Answers are JSON, errors in both languages.

    POST /api/v1/submissions   multipart: file, [region], [period] → 202 queued · 422 rejected at check ·
                               400 malformed · 401 no or bad token · 403 out of scope · 413 too large
    GET  /api/v1/submissions/<id>  → its status (the owner, analysts and admins; anyone else 404)
    OPENAPI                        → this description as OpenAPI 3, served with the read API's at
                                   /api/v1/openapi.json (dashboard/api merges server.extensions["dem_openapi"])
"""

from __future__ import annotations

import flask

from dashboard import data
from dashboard.auth import access
from dashboard.portal import intake, routes, store
from indicators.storage import appdb

blueprint = flask.Blueprint("api_v1", __name__, url_prefix="/api/v1")


def unauthorised():
    response, status = routes.problem(401, "缺少或无效的 API 令牌（Authorization: Bearer TOKEN）",
                                      "missing or invalid API token (Authorization: Bearer TOKEN)")
    response.headers["WWW-Authenticate"] = 'Bearer realm="dem"'
    return response, status


def status_of(found: appdb.Submission) -> dict:
    """A submission as the API shows it (no server paths)."""
    return {"id": found.id, "status": found.status, "batch_id": found.batch_id, "region": found.region,
            "period": found.period, "filename": found.filename, "sha256": found.sha256, "size": found.size,
            "via": found.via, "submitted_at": found.submitted_at, "updated_at": found.updated_at,
            "n_errors": found.n_errors, "n_warnings": found.n_warnings, "report": found.report}


@blueprint.post("/submissions")
def create_submission():
    user = access.user_from_bearer()
    if user is None:
        return unauthorised()
    outcome = routes.receive_upload(user)
    if not isinstance(outcome[0], store.Stored):
        return outcome
    stored, report = outcome
    settings = data.settings()
    found = intake.pending(user, stored.token, settings)
    if report["n_errors"]:
        store.discard(settings.paths.submissions, stored)
        return flask.jsonify({"status": "rejected", "report": report}), 422
    queued = intake.submit(user, stored, found[1], "api", settings, data.catalogue())
    response = flask.jsonify({"id": queued.id, "status": queued.status, "report": report})
    response.headers["Location"] = flask.url_for("api_v1.get_submission", submission_id=queued.id)
    return response, 202


@blueprint.get("/submissions/<int:submission_id>")
def get_submission(submission_id: int):
    user = access.user_from_bearer()
    if user is None:
        return unauthorised()
    found = routes.visible_submission(user, submission_id)
    if found is None:
        return routes.problem(404, f"没有编号为 {submission_id} 的报送", f"no submission {submission_id}")
    return flask.jsonify(status_of(found))


def install(server: flask.Flask, prefix: str = "") -> None:
    server.register_blueprint(blueprint, url_prefix=prefix + "/api/v1")
    csrf = server.extensions.get("csrf")
    if csrf is not None:  # a Bearer token, not a session cookie, authenticates these requests (flask-wtf docs)
        csrf.exempt(blueprint)
    server.extensions.setdefault("dem_openapi", []).append(OPENAPI)  # one description of /api/v1 (dashboard/api)


_ERROR = {"type": "object", "properties": {"error": {"type": "integer"}, "message_zh": {"type": "string"},
                                           "message_en": {"type": "string"}}}
_REPORT = {"type": "object", "description": "The check report: the summary of `dem etl check --format json` and "
           "every problem (line, column, value, rule, severity, message_zh, message_en).",
           "properties": {"n_errors": {"type": "integer"}, "n_warnings": {"type": "integer"},
                          "message_zh": {"type": "string"}, "message_en": {"type": "string"},
                          "problems": {"type": "array", "items": {"type": "object", "properties": {
                              "line": {"type": "integer", "nullable": True}, "column": {"type": "string"},
                              "value": {"type": "string"}, "rule": {"type": "string"},
                              "severity": {"type": "string", "enum": ["error", "warning"]},
                              "message_zh": {"type": "string"}, "message_en": {"type": "string"}}}}}}
_STATUS = {"type": "object", "properties": {
    "id": {"type": "integer"},
    "status": {"type": "string", "enum": list(appdb.STATUSES)},
    "batch_id": {"type": "integer", "nullable": True, "description": "the warehouse batch that loaded it"},
    "region": {"type": "string"}, "period": {"type": "string", "nullable": True}, "filename": {"type": "string"},
    "sha256": {"type": "string"}, "size": {"type": "integer"}, "via": {"type": "string"},
    "submitted_at": {"type": "string"}, "updated_at": {"type": "string"},
    "n_errors": {"type": "integer"}, "n_warnings": {"type": "integer"}, "report": _REPORT}}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "北疆数字经济监测 · submissions API", "version": "1",
             "description": "Submit indicator files (docs/submission-format.md) and follow their status. "
                            "See docs/portal.md."},
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                  "description": "an API token made by `dem users token NAME`"}}},
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/submissions": {"post": {
            "summary": "Check a file and queue it for loading",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary", "description": ".csv, .tsv, .txt or .xlsx"},
                    "region": {"type": "string", "description": "the unit submitted for (6-digit code); default: "
                               "the unit the file's rows belong to"},
                    "period": {"type": "string", "description": "the period submitted for: 2024, 2024Q1, 2024M03"}}}}}},
            "responses": {
                "202": _json({"type": "object", "properties": {"id": {"type": "integer"},
                                                               "status": {"type": "string", "enum": ["queued"]},
                                                               "report": _REPORT}},
                             "checked without errors and queued; Location names the submission"),
                "400": _json(_ERROR, "no file, an unknown region code or a malformed period"),
                "401": _json(_ERROR, "no token, or an unknown, revoked or disabled one"),
                "403": _json(_ERROR, "the region is outside the token user's scope, or the account may not submit"),
                "413": _json(_ERROR, "larger than [portal] max_upload_bytes"),
                "422": _json({"type": "object", "properties": {"status": {"type": "string", "enum": ["rejected"]},
                                                               "report": _REPORT}},
                             "the check found errors (out_of_scope rows among them); nothing was queued")}}},
        "/api/v1/submissions/{id}": {"get": {
            "summary": "The status of a submission",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": _json(_STATUS, "the submission"),
                          "401": _json(_ERROR, "no or bad token"),
                          "404": _json(_ERROR, "no such submission, or not the token user's")}}},
    },
}
