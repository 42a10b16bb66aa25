"""Running the dashboard: gunicorn through its BaseApplication API (production), or Dash's server (--dev).

Each gunicorn worker builds its own app after the fork (no preload), so every process has its own read-only
connection cache; nothing is opened in the master. gunicorn refuses oversized request lines and headers itself
(it has no body limit: Flask refuses bodies over settings.server.max_request_bytes with 413).

Both of gunicorn's logs go to standard output/error ("-"), i.e. to the journal under systemd: the access log has
one line per request (address, time, request line, status, size, referrer, user agent — never a cookie, an
Authorization header or a form body), the error log warnings and errors. docs/accounts.md has the details.
"""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from indicators.base.settings import Settings


class Gunicorn(BaseApplication):
    def __init__(self, settings: Settings, options: dict):
        self.settings, self.options = settings, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from dashboard.wsgi import create

        return create(self.settings)


# The longest request line the app needs is a background job's poll (/_dash-update-component?cacheKey=…&job=…
# &endId=…, signed handles: ~400 bytes) or a page address with its whole state (~200 bytes); browsers send ~15
# headers, a reverse proxy adds a few; the largest header is a cookie.
REQUEST_LIMITS = {"limit_request_line": 4094, "limit_request_fields": 50, "limit_request_field_size": 8190}


def options(settings: Settings, threads: int = 4) -> dict:
    s = settings.server
    return {"bind": f"{s.host}:{s.port}", "workers": max(1, s.workers), "threads": max(1, threads),
            "worker_class": "gthread" if threads > 1 else "sync", "timeout": 60, "graceful_timeout": 20,
            "accesslog": "-", "errorlog": "-", "loglevel": "warning", "preload_app": False,
            "proc_name": "dem-dashboard", **REQUEST_LIMITS}


def run(settings: Settings, dev: bool = False, threads: int = 4) -> None:
    if dev:
        from dashboard.app import create_app

        create_app(settings, warm=True).run(host=settings.server.host, port=settings.server.port, debug=True)
        return
    Gunicorn(settings, options(settings, threads)).run()
