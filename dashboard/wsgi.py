"""WSGI entry point for servers other than `dem serve`: `gunicorn 'dashboard.wsgi:create()'` builds one app per
worker from settings.toml and DEM_* (e.g. DEM_DB). `dem serve` does the same through gunicorn's API."""

from __future__ import annotations

from pathlib import Path

from indicators.base.settings import Settings


def create(settings: Settings | None = None, db: str | Path | None = None):
    """The Flask server of a new dashboard app (called in each worker, after the fork)."""
    from dashboard.app import create_app

    return create_app(settings, Path(db) if db else None, warm=True).server
