"""`dem serve`, `dem report …` and `dem users …`: thin wrappers over the dashboard app, the report builders and the
accounts."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from indicators import console
from indicators.base.settings import Settings
from indicators.cli import format_option, progress, quiet_option, released, settings_options, with_settings


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
    from indicators.storage.warehouse import public_path

    settings = settings.with_overrides(server_host=host, server_port=port, server_workers=workers)
    if not settings.paths.warehouse.exists():
        click.echo(f"提示：数据仓库 {settings.paths.warehouse} 尚不存在，页面将提示先运行 dem demo build | "
                   f"warning: no warehouse at {settings.paths.warehouse} yet (run `dem demo build`)", err=True)
    elif not public_path(settings.paths.warehouse).exists():
        click.echo("提示：尚未发布任何数据，公众页面暂无数据（dem release due 按发布日程发布） | warning: nothing has been "
                   "released yet: the public pages have no data (`dem release due` carries out the release calendar)",
                   err=True)
    click.echo(f"北疆数字经济监测 · http://{settings.server.host}:{settings.server.port}/ "
               f"({'development' if dev else f'{settings.server.workers} workers × {threads} threads'})")
    server.run(settings, dev=dev, threads=threads)


@click.group()
def report() -> None:
    """监测分析报告 — the monitoring bulletin as PDF, and tidy CSV/XLSX exports."""


year_option = click.option("--year", type=int, required=True,
                           help="Report year (e.g. 2024): its annual values, or with --quarter its quarter.")
quarter_option = click.option("--quarter", type=click.IntRange(1, 4), default=None,
                              help="Quarterly bulletin: quarterly series at YQn, annual ones for the year before.")
region_option = click.option("--region", default=None,
                             help="A league's code or name (e.g. 152500, 锡林郭勒盟, 锡盟). Default: the whole region.")
since_option = click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
                            help="List revisions released on or after this day. Default: the previous period's deadline.")
lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                           help="Edition: zh (监测分析报告) or en (the English bulletin, monitoring_bulletin_… .pdf).")


def _written(paths: list[Path], fmt: str) -> None:
    """The files a report command wrote: a line each (table), or one record each ({"path": …}: csv, json)."""
    if fmt == "table":
        for path in paths:
            click.echo(f"已生成 {path} | written {path}")
    else:
        click.echo(console.render([{"path": str(p)} for p in paths], fmt, ["path"]))


@report.command("pdf")
@year_option
@quarter_option
@region_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="PDF file. Default: <exports>/监测分析报告_<code>_<year>[Q<n>].pdf "
                   "(--lang en: monitoring_bulletin_<code>_<year>[Q<n>].pdf)")
@since_option
@lang_option
@format_option
@settings_options
def report_pdf(year: int, quarter: int | None, region: str | None, out: Path | None, since, lang: str, fmt: str,
               settings: Settings) -> None:
    """Write the monitoring bulletin (监测分析报告) of the region or a league as PDF, from the released values."""
    from dashboard.report.renderer import ChartRenderer

    with ChartRenderer() as renderer:  # Chromium starts now, while the report modules load and the data is read
        from dashboard.report import build_report

        path = build_report(released(settings), year, quarter, region, out, since.date() if since else None, renderer,
                            lang=lang)
    _written([path], fmt)


@report.command("evaluation")
@year_option
@click.option("--region", required=True, help="The league evaluated: code or name (e.g. 152900, 阿拉善盟, 阿盟).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="PDF file. Default: <exports>/评估报告_<code>_<year>.pdf "
                   "(--lang en: evaluation_report_<code>_<year>.pdf)")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Edition: zh (评估报告) or en (the English evaluation, evaluation_report_… .pdf).")
@format_option
@settings_options
def report_evaluation(year: int, region: str, out: Path | None, lang: str, fmt: str, settings: Settings) -> None:
    """Write a league's evaluation (Art. 71) as PDF: its index and progress against the other leagues, and each
    county's progress, reporting timeliness and data-quality record. Internal: it reads every file that arrived."""
    from dashboard.report.evaluation import build_evaluation

    _written([build_evaluation(settings, year, region, out, lang=lang)], fmt)


@report.command("all")
@year_option
@quarter_option
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory. Default: settings [paths] exports (data/exports).")
@since_option
@lang_option
@format_option
@quiet_option
@settings_options
def report_all(year: int, quarter: int | None, out_dir: Path | None, since, lang: str, fmt: str, quiet: bool,
               settings: Settings) -> None:
    """Write the region's and all 12 leagues' bulletins with stable names, with one browser for all charts.
    Progress on standard error, one line per bulletin written (none with --quiet)."""
    from dashboard.report import build_all
    from indicators.base.catalogue import load_catalogue

    shown, done, total = progress(quiet), [], 1 + len(load_catalogue().regions.leagues())
    shown("读取数据、启动浏览器 | reading the data, starting the browser")

    def written(path: Path) -> None:
        done.append(path)
        shown.item(len(done), total, path.name)

    paths = build_all(released(settings), year, quarter, out_dir, since.date() if since else None, lang,
                      on_written=written)
    shown.close()
    _written(paths, fmt)


@report.command("csv")
@year_option
@quarter_option
@region_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (.csv with a .metadata.csv sidecar, or .xlsx with a 说明 sheet). "
                   "Default: <exports>/监测分析报告_<code>_<year>[Q<n>].csv (English: monitoring_bulletin_…).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None,
              help="Default: from --out's suffix (csv when there is none).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the indicator and region names (codes, units and statuses are the same).")
@settings_options
def report_csv(year: int, quarter: int | None, region: str | None, out: Path | None, fmt: str | None, lang: str,
               settings: Settings) -> None:
    """Write the bulletin's data as tidy CSV (UTF-8 with BOM) or XLSX with its metadata."""
    from dashboard.report.build import build_data

    for path in build_data(released(settings), year, quarter, region, out, fmt, lang):
        click.echo(f"已导出 {path} | written {path}")


@click.group()
def users() -> None:
    """Accounts of the web app: admins, analysts and officers with a region scope (docs/accounts.md)."""


password_stdin_option = click.option("--password-stdin", is_flag=True, required=True,
                                     help="Read the password from the first line of standard input (never an "
                                          "argument: it would show in the process list and the shell history).")


def _password_from_stdin() -> str:
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "analyst", "officer"]), required=True,
              help="admin: everything and the accounts; analyst: everything internal; officer: submits for a region.")
@click.option("--region", default=None, help="An officer's scope: a league or county code (e.g. 150100, 150102).")
@password_stdin_option
@with_settings
def users_add(username: str, role: str, region: str | None, password_stdin: bool, settings: Settings) -> None:
    """Add an account (the password is read from standard input and stored as an Argon2id hash)."""
    from dashboard.auth import accounts
    from indicators.base.catalogue import default_catalogue
    from indicators.storage import appdb

    password = _password_from_stdin()
    with appdb.opened(settings.paths.app_db) as con:
        user = accounts.add_user(con, default_catalogue().regions, username, role, region, password,
                                 settings.auth.min_password_length)
        appdb.log_event(con, "user_added", console.operator(), "cli", f"role={role} region={region or ''}", target=user.username)
    click.echo(f"已添加用户 {user.username}（{user.role}） | added user {user.username} ({user.role})")


@users.command("list")
@format_option
@with_settings
def users_list(fmt: str, settings: Settings) -> None:
    """List the accounts: name, role, region, disabled, demo, created (never a hash)."""
    from indicators.storage import appdb

    with appdb.opened(settings.paths.app_db) as con:
        rows = [{"username": u.username, "role": u.role, "region": u.region or "", "disabled": u.disabled,
                 "demo": u.demo, "created_at": u.created_at} for u in appdb.users(con)]
    click.echo(console.render(rows, fmt, ["username", "role", "region", "disabled", "demo", "created_at"]))


@users.command("disable")
@click.argument("username")
@with_settings
def users_disable(username: str, settings: Settings) -> None:
    """Disable an account: its sessions and API tokens stop working at their next request."""
    from indicators.storage import appdb

    with appdb.opened(settings.paths.app_db) as con:
        appdb.disable_user(con, username)
        appdb.log_event(con, "user_disabled", console.operator(), "cli", target=username)
    click.echo(f"已停用用户 {username} | disabled user {username}")


@users.command("set-password")
@click.argument("username")
@password_stdin_option
@with_settings
def users_set_password(username: str, password_stdin: bool, settings: Settings) -> None:
    """Set a new password (from standard input): the user's open sessions end."""
    from dashboard.auth import accounts
    from indicators.storage import appdb

    password = _password_from_stdin()
    with appdb.opened(settings.paths.app_db) as con:
        accounts.set_password(con, username, password, settings.auth.min_password_length)
        appdb.log_event(con, "password_set", console.operator(), "cli", target=username)
    click.echo(f"已更新用户 {username} 的密码 | password of {username} changed")


@users.command("token")
@click.argument("username")
@with_settings
def users_token(username: str, settings: Settings) -> None:
    """Make a new API token for the user and print it once (only its hash is kept): Authorization: Bearer TOKEN."""
    from dashboard.auth import accounts
    from indicators.storage import appdb

    with appdb.opened(settings.paths.app_db) as con:
        token = accounts.new_token(con, username)
        appdb.log_event(con, "token_added", console.operator(), "cli", target=username)
    click.echo(token)


DEMO_ACCOUNTS = (("demo-analyst", "analyst", None), ("demo-baotou", "officer", "150200"),  # 包头市
                 ("demo-donghe", "officer", "150202"))  # 东河区, a county of 包头市


@users.command("demo")
@with_settings
def users_demo(settings: Settings) -> None:
    """Demo accounts to try the portal: an analyst, the officer of a league and of one of its counties, each with
    a random password printed once; flagged demo (`dem users list`). Never for a production server."""
    import secrets

    from dashboard.auth import accounts
    from indicators.base.catalogue import default_catalogue
    from indicators.storage import appdb

    regions = default_catalogue().regions
    with appdb.opened(settings.paths.app_db) as con:
        for username, role, region in DEMO_ACCOUNTS:
            if appdb.user(con, username) is not None:
                click.echo(f"已存在 {username}（未改动） | {username} exists (left as it is)")
                continue
            password = secrets.token_urlsafe(12)
            accounts.add_user(con, regions, username, role, region, password, settings.auth.min_password_length,
                              demo=True)
            appdb.log_event(con, "user_added", console.operator(), "cli", f"role={role} region={region or ''} demo",
                            target=username)
            where = f" {region} {regions.by_code[region].name_zh}" if region else ""
            click.echo(f"{username}\t{password}\t{role}{where}")
    click.echo("示例账户，仅供演示；密码只显示这一次 | demo accounts for trying the portal; passwords are shown only once")
