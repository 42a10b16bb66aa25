"""Security headers on every response: a Content-Security-Policy Dash works under, no MIME sniffing, no framing,
referrers only to this site.

The policy, and why each part is what it is:
- everything from the app's own origin ('self'): the JS bundles, CSS, boundary files, callbacks;
- script-src: 'self' plus the sha256 of each inline script Dash writes into its index page (app.csp_hashes():
  the renderer's start-up and the inline clientside callbacks) — no 'unsafe-inline', no 'unsafe-eval';
- style-src 'unsafe-inline': Dash components and plotly set style attributes, plotly and the tables' grid (AG Grid's
  theme, dash-ag-grid) inject <style> elements; the grid's cell texts and renderers are lookups dash-ag-grid reads
  with its own expression reader (dashboard.components.table), never eval, so they need no 'unsafe-eval';
- worker-src / child-src blob: plotly's maps (MapLibre) run their tiles in workers made from blob: URLs;
- img-src data: blob:, font-src data:: plotly's mode-bar icons and the map's sprites;
- frame-ancestors 'none' (with X-Frame-Options DENY for old browsers), form-action 'self', base-uri 'self',
  object-src 'none'.
"""

from __future__ import annotations

import dash
import flask


def policy(script_hashes: list[str]) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "child-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


STATIC = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
          "Cross-Origin-Opener-Policy": "same-origin"}


def install(app: dash.Dash) -> None:
    @app.server.after_request
    def secure(response: flask.Response) -> flask.Response:
        # hashed per response: cheap (a few small strings), and right even for callbacks defined after start-up
        response.headers["Content-Security-Policy"] = policy(app.csp_hashes())
        for name, value in STATIC.items():
            response.headers.setdefault(name, value)
        return response
