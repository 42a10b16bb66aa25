"""The submission portal and its API: templates, uploads checked at once with the ETL's own rules, the queue of
submissions (the scheduled `dem etl run` loads them), each officer's list of submissions, and
`/api/v1/submissions`. The one part of the web app that calls the ETL (submission → etl: the data's direction).

Layers: store (the bytes on disk) → checks (the ETL's verdict as a report) → intake (who may submit what; the
queue) → routes and api (Flask) and the pages submit and submissions (Dash). Texts: dashboard/portal/texts.py.
"""

from __future__ import annotations

import dash

from dashboard.portal import api, routes, texts  # noqa: F401 — texts registers the portal's interface texts


def install(app: dash.Dash) -> None:
    """The portal's routes (template downloads, uploads) and /api/v1 on the app's server."""
    prefix = app.config.routes_pathname_prefix.rstrip("/")
    routes.install(app.server, prefix)
    api.install(app.server, prefix)
