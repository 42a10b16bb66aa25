"""`dem serve` and `dem report …`: thin wrappers over the dashboard app and the report builders."""

from __future__ import annotations

from pathlib import Path

import click

from indicators.base.settings import Settings
from indicators.cli import settings_options


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


year_option = click.option("--year", type=int, required=True, help="Report year (e.g. 2024).")
quarter_option = click.option("--quarter", type=click.IntRange(1, 4), default=None,
                              help="Quarterly bulletin: quarterly series at YQn, annual ones for the year before.")
region_option = click.option("--region", default=None,
                             help="A league's code or name (e.g. 152500, 锡林郭勒盟, 锡盟). Default: the whole region.")
since_option = click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
                            help="List revisions loaded on or after this day. Default: the previous period's deadline.")


@report.command("pdf")
@year_option
@quarter_option
@region_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="PDF file. Default: <exports>/监测分析报告_<code>_<year>[Q<n>].pdf")
@since_option
@settings_options
def report_pdf(year: int, quarter: int | None, region: str | None, out: Path | None, since, settings: Settings) -> None:
    """Write the monitoring bulletin (监测分析报告) of the region or a league as PDF."""
    from dashboard.report.renderer import ChartRenderer

    with ChartRenderer() as renderer:  # Chromium starts now, while the report modules load and the data is read
        from dashboard.report import build_report

        path = build_report(settings, year, quarter, region, out, since.date() if since else None, renderer)
    click.echo(f"已生成 {path} | written {path}")


@report.command("all")
@year_option
@quarter_option
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory. Default: settings [paths] exports (data/exports).")
@since_option
@settings_options
def report_all(year: int, quarter: int | None, out_dir: Path | None, since, settings: Settings) -> None:
    """Write the region's and all 12 leagues' bulletins with stable names, with one browser for all charts."""
    from dashboard.report import build_all

    paths = build_all(settings, year, quarter, out_dir, since.date() if since else None)
    for path in paths:
        click.echo(f"已生成 {path} | written {path}")


@report.command("csv")
@year_option
@quarter_option
@region_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (.csv with a .metadata.csv sidecar, or .xlsx with a 说明 sheet). "
                   "Default: <exports>/监测分析报告_<code>_<year>[Q<n>].csv")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None,
              help="Default: from --out's suffix (csv when there is none).")
@settings_options
def report_csv(year: int, quarter: int | None, region: str | None, out: Path | None, fmt: str | None,
               settings: Settings) -> None:
    """Write the bulletin's data as tidy CSV (UTF-8 with BOM) or XLSX with its metadata."""
    from dashboard.report.build import build_data

    for path in build_data(settings, year, quarter, region, out, fmt):
        click.echo(f"已导出 {path} | written {path}")
