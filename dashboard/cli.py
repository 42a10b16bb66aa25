"""`dem serve` and `dem report …`: thin wrappers over the dashboard app and the report builders."""

from __future__ import annotations

import click

from indicators.cli import settings_options
from indicators.settings import Settings


@click.command()
@click.option("--host", default=None, help="Address to listen on. Default: settings [server] host, or $DEM_HOST.")
@click.option("--port", type=int, default=None, help="Port. Default: settings [server] port, or $DEM_PORT.")
@click.option("--workers", type=int, default=None, help="Worker processes. Default: settings [server] workers.")
@click.option("--threads", type=int, default=4, show_default=True, help="Threads per worker.")
@click.option("--dev", is_flag=True, help="Dash development server (debug, reload) instead of gunicorn.")
@settings_options
def serve(settings: Settings, host: str | None, port: int | None, workers: int | None, threads: int,
          dev: bool) -> None:
    """Serve the dashboard (production WSGI server; --dev for the Dash development server)."""
    from dashboard import server

    settings = settings.with_overrides(server_host=host, server_port=port, server_workers=workers)
    if not settings.paths.warehouse.exists():
        click.echo(f"提示：数据仓库 {settings.paths.warehouse} 尚不存在，页面将提示先运行 dem demo build | "
                   f"warning: no warehouse at {settings.paths.warehouse} yet (run `dem demo build`)", err=True)
    click.echo(f"北疆数字经济监测 · http://{settings.server.host}:{settings.server.port}/ "
               f"({'development' if dev else f'{settings.server.workers} workers × {threads} threads'})")
    server.run(settings, dev=dev, threads=threads)


@click.group()
def report() -> None:
    """监测分析报告 — the monitoring bulletin as PDF, and tidy CSV/XLSX exports."""
