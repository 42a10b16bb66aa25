"""The Dash application: pages register themselves (dashboard/pages), everything is served from this process.

serve_locally=True and no external scripts or stylesheets: the JS bundles, CSS (assets/) and the boundary files
(/geo/<level>.json, cached by the browser) all come from the app's own origin, so no request leaves the machine.
Request bodies are limited to settings.server.max_request_bytes (413), callback requests are checked before Dash
dispatches them and every error is answered without a traceback (dashboard/errors.py).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import dash
from dash import ALL, Input, Output, State, ctx, html, no_update
from flask import abort, g, send_file

from dashboard import api, auth, components, data, downloads, errors, ids, inputs, portal, search
from dashboard.auth import access
from dashboard.figures import GEO
from dashboard.i18n import t
from indicators.base.resources import bundled
from indicators.base.settings import Settings

HERE = Path(__file__).resolve().parent
PAGES_LOCATION = "_pages_location"  # the dcc.Location of dash.page_container: writing its href navigates
PAGE_MODULES = ("overview", "map", "league", "indicator", "chapter", "index", "quality", "catalogue", "calendar",
                "evaluation", "releases", "revisions", "not_found_404")
PORTAL_PAGE_MODULES = ("dashboard.portal.submit", "dashboard.portal.submissions")  # the officers' pages
REVIEW_PAGE_MODULES = ("dashboard.review.page",)  # the reviewers' page (docs/review.md)


def create_app(settings: Settings | None = None, db: Path | None = None, warm: bool = False) -> dash.Dash:
    """Build the app for a warehouse, with a fresh process state (data.configure). One app per process: pages
    register their callbacks globally and read the state configured last."""
    settings = data.configure(settings, db).settings
    app = dash.Dash(__name__, use_pages=True, pages_folder="", assets_folder=str(HERE / "assets"),
                    background_callback_manager=downloads.manager(), on_error=errors.on_callback_error,
                    serve_locally=True, suppress_callback_exceptions=True, title=t("app_title"), update_title=None,
                    meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}])
    pages_with_routes = []
    for name in [f"dashboard.pages.{n}" for n in PAGE_MODULES] + list(PORTAL_PAGE_MODULES) + list(REVIEW_PAGE_MODULES):
        module = importlib.import_module(name)
        # Dash fills this in when it imports pages_folder itself; we import the modules by their package
        # names (so that tests and the app share one module object) and hand over the layout function.
        dash.page_registry[module.__name__].setdefault("layout", module.layout)
        if hasattr(module, "install"):
            pages_with_routes.append(module)  # e.g. the evaluation's PDF route, installed after auth
    app.layout = html.Div([dash.page_container])
    app.server.config["MAX_CONTENT_LENGTH"] = settings.server.max_request_bytes
    _count_requests(app)
    auth.install(app)  # sessions, CSRF, throttling, headers, the login page; before any route answers
    portal.install(app)  # uploads and /api/v1/submissions
    api.install(app)  # the read API /api/v1 (open data), its OpenAPI description and page
    errors.install(app)
    downloads.install(app)  # bulletins on demand for logged-in users only
    for module in pages_with_routes:
        module.install(app)
    _geo_route(app)
    _status_route(app)
    if warm:
        data.start_warming()
    app.server.config["SEND_FILE_MAX_AGE_DEFAULT"] = 86400
    return app


def _count_requests(app: dash.Dash) -> None:
    """Tell the warmer how many requests are being answered: it builds its next view in a gap between them."""

    @app.server.before_request
    def enter():
        g.dem_requests = data.state().requests  # left on the same counter even if a test reconfigures meanwhile
        g.dem_requests.enter()

    @app.server.teardown_request
    def leave(_exc):
        if "dem_requests" in g:
            g.pop("dem_requests").leave()


def _geo_route(app: dash.Dash) -> None:
    """The bundled boundaries, fetched once by the browser and cached, instead of inside every map figure
    (the county file is ~280 KB)."""

    @app.server.route(app.config.routes_pathname_prefix + "geo/<level>.json")
    def geo(level: str):
        if level not in GEO:
            abort(404)
        return send_file(bundled("geo") / GEO[level], mimetype="application/geo+json",
                         max_age=86400)


def _status_route(app: dash.Dash) -> None:
    """A health check for nginx, systemd and the benchmark: whether the warehouse opens and answers a query now
    (through the same reader cache as the pages). 200 when available, 503 when not. Anonymous callers learn only
    that; analysts and admins also which warehouse is served, why it is not available, when it was published and
    whether the common views are already cached."""

    @app.server.route(app.config.routes_pathname_prefix + "_dem/status")
    def status():
        problem = data.check()
        code = 200 if problem is None else 503
        if not access.has_role(access.current_user() or access.user_from_bearer(), "admin", "analyst"):
            return {"available": problem is None}, code
        body = {"warehouse": str(data.path()), "layer": data.layer(), "available": problem is None,
                "reason": problem[0] if problem else None, "detail": problem[1] if problem else None,
                "published_at": data.published_at() if problem is None else None,
                "warm": problem is None and data.warm()}
        return body, code


# ── shell callbacks shared by every page ─────────────────────────────────────────────────────────────

@dash.callback(Output(ids.PROVENANCE, "children", allow_duplicate=True),
               Input({"type": ids.EXPLAIN, "key": ALL}, "n_clicks"), State(ids.LANG, "data"),
               prevent_initial_call=True)
def show_explanation(clicks, lang):
    """An ⓘ button was pressed: show audit.explain for its indicator, region and period."""
    if not ctx.triggered_id or not any(clicks or []):
        return no_update
    code, region, period = inputs.explain_key(ctx.triggered_id["key"])
    lang = inputs.lang(lang)
    return components.provenance(code, region, period, lang)


@dash.callback(Output(PAGES_LOCATION, "href"), Input({"type": ids.GO, "key": ALL}, "value"),
               State(ids.LANG, "data"), State(PAGES_LOCATION, "search"), prevent_initial_call=True)
def go(values, lang, query):
    """A page was picked in a search box or picker: open it (without reloading the app). The header's search keeps
    the language only; the indicator picker keeps the page's query (year, leagues, tab)."""
    if not ctx.triggered_id or ctx.triggered[0]["value"] is None:
        return no_update
    path = inputs.target(ctx.triggered[0]["value"])
    if ctx.triggered_id["key"] == "indicator":
        return dash.get_relative_path(path) + (query if isinstance(query, str) and query.startswith("?") else "")
    return dash.get_relative_path(components.href(path, inputs.lang(lang)))


@dash.callback(Output(ids.SITE_SEARCH, "options"), Input(ids.SITE_SEARCH, "search_value"), State(ids.LANG, "data"),
               prevent_initial_call=True)
def site_search(typed, lang):
    """What is typed in the header's search box → its matches (dashboard/search.py)."""
    return search.site_matches(inputs.lang(lang), inputs.text(typed, inputs.MAX_TYPED))


@dash.callback(Output(ids.PROVENANCE, "children", allow_duplicate=True), Input(ids.PROVENANCE_CLOSE, "n_clicks"),
               State(ids.LANG, "data"), prevent_initial_call=True)
def close_explanation(clicks, lang):
    if not inputs.clicks(clicks):
        return no_update
    return html.P(t("provenance_hint", inputs.lang(lang)), className="hint")
