"""WSGI entry point for servers other than `dem serve`: `gunicorn 'dashboard.wsgi:create()'` builds one app per
worker from settings.toml and DEM_* (e.g. DEM_DB), and configures the worker's logging (settings [logging]);
`--logger-class dashboard.server.GunicornLogger` gives gunicorn's own logs the same format. `dem serve` does all
this through gunicorn's API."""

from __future__ import annotations

from pathlib import Path

from indicators.base import logs
from indicators.base.settings import Settings, load_settings


def create(settings: Settings | None = None, db: str | Path | None = None):
    """The Flask server of a new dashboard app (called in each worker, after the fork)."""
    from dashboard.app import create_app

    settings = settings or load_settings()
    logs.configure(settings.logging)  # again in a worker of `dem serve` (the same handler, replaced), first otherwise
    return create_app(settings, Path(db) if db else None, warm=True).server
