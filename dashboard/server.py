"""Running the dashboard: gunicorn through its BaseApplication API (production), or Dash's server (--dev).

Each gunicorn worker builds its own app after the fork (no preload), so every process has its own read-only
connection cache; nothing is opened in the master. gunicorn refuses oversized request lines and headers itself
(it has no body limit: Flask refuses bodies over settings.server.max_request_bytes with 413).

Both of gunicorn's logs go to standard output/error ("-"), i.e. to the journal under systemd, in the format of the
process's other logs (settings [logging], indicators/base/logs.py: text or JSON lines, UTC times): the access log
has one line per request (address, request line, status, size, duration, referrer, user agent — never a cookie, an
Authorization header or a form body), the error log gunicorn's own messages from [logging] level up.
docs/deployment.md has the details.
"""

from __future__ import annotations

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from indicators.base import logs
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


class GunicornLogger(Logger):
    """gunicorn's error and access logs in the format `dem` configured (logs.configure, called by the `dem` command
    before gunicorn starts): `2026-11-30T13:00:00Z INFO gunicorn.access 127.0.0.1 "GET / HTTP/1.1" 200 5120 41ms
    "-" "Mozilla/5.0 …"`, or in JSON with the request's parts as fields."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(logs.active_formatter())

    def access(self, resp, req, environ, request_time) -> None:
        if not getattr(self, "access_log_enabled", True):  # (gunicorn 27; before, a log without handlers drops it)
            return
        atoms = self.atoms(resp, req, environ, request_time)
        # chosen parts only: the atoms also hold every request header, cookies and Authorization included
        status = str(atoms["s"])
        fields = {"remote": atoms["h"], "method": atoms["m"], "path": atoms["U"], "query": atoms["q"],
                  "status": int(status) if status.isdigit() else status, "bytes": atoms["B"],
                  "duration_ms": atoms["M"], "referrer": atoms["f"], "user_agent": atoms["a"]}
        try:
            self.access_log.info(self.cfg.access_log_format, self.atoms_wrapper_class(atoms), extra={"fields": fields})
        except Exception:  # noqa: BLE001 — as gunicorn does: a bad format never fails the request
            self.exception("access log")


# the time is the record's own (logs.stamp, UTC) and not %(t)s; never %({cookie}i) or %({authorization}i)
ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'


# The longest request line the app needs is a background job's poll (/_dash-update-component?cacheKey=…&job=…
# &endId=…, signed handles: ~400 bytes) or a page address with its whole state (~200 bytes); browsers send ~15
# headers, a reverse proxy adds a few; the largest header is a cookie.
REQUEST_LIMITS = {"limit_request_line": 4094, "limit_request_fields": 50, "limit_request_field_size": 8190}


def options(settings: Settings, threads: int = 4) -> dict:
    s = settings.server
    return {"bind": f"{s.host}:{s.port}", "workers": max(1, s.workers), "threads": max(1, threads),
            "worker_class": "gthread" if threads > 1 else "sync", "timeout": 60, "graceful_timeout": 20,
            "accesslog": "-", "access_log_format": ACCESS_LOG_FORMAT, "errorlog": "-",
            "loglevel": settings.logging.level, "logger_class": GunicornLogger, "preload_app": False,
            "proc_name": "dem-dashboard", **REQUEST_LIMITS}


def run(settings: Settings, dev: bool = False, threads: int = 4) -> None:
    if dev:
        from dashboard.app import create_app

        create_app(settings, warm=True).run(host=settings.server.host, port=settings.server.port, debug=True)
        return
    Gunicorn(settings, options(settings, threads)).run()
