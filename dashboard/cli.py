"""`dem serve` and `dem report …`: thin wrappers over the dashboard app and the report builders."""

from __future__ import annotations

import click

from indicators.cli import settings_options
from indicators.settings import Settings


@click.command()
@settings_options
def serve(settings: Settings) -> None:
    """Serve the dashboard (production WSGI server; --dev for the Dash development server)."""
    raise click.ClickException("not implemented yet")


@click.group()
def report() -> None:
    """监测分析报告 — the monitoring bulletin as PDF, and tidy CSV/XLSX exports."""
