"""The `dem` command: a thin shell that parses options, calls one package function, and maps errors to exit codes.

Sub-command groups of the other packages (etl, dashboard) register through the `dem.commands` entry points
in pyproject.toml, so this base package never imports them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path

import click

from indicators import console
from indicators.base import logs
from indicators.base.catalogue import load_catalogue
from indicators.base.errors import EXIT_INTERNAL, EXIT_IO, EXIT_USAGE, DemError
from indicators.base.regulation import MISSING
from indicators.base.settings import Logging, Settings, from_cwd, load_settings
from indicators.storage.warehouse import utc_now


def with_settings(func):
    """Pass the resolved Settings as `settings`, adding no option: for commands that never open a warehouse
    (the catalogue, the template, demo files, accounts, the audit trail)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, settings=load_settings(), **kwargs)

    return wrapper


def settings_options(func):
    """Add --db (env DEM_DB) to a command that opens a warehouse and pass the resolved Settings as `settings`."""

    @click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Warehouse file (DuckDB). Default: settings.toml [paths] warehouse, or $DEM_DB.")
    @functools.wraps(func)
    def wrapper(*args, db: Path | None = None, **kwargs):
        settings = load_settings().with_overrides(paths_warehouse=db)
        return func(*args, settings=settings, **kwargs)

    return wrapper


def released(settings: Settings) -> Settings:
    """The settings a public output reads with: the public warehouse (released values only) in place of the working
    one — bulletins, CSV/XLSX exports (docs/releases.md)."""
    from indicators.storage.warehouse import public_path

    return settings.with_overrides(paths_warehouse=public_path(settings.paths.warehouse))


class _Formats(click.Choice):
    """table|csv|json; `text`, the earlier name of table on `dem etl check/load`, is still accepted (not shown)."""

    def convert(self, value, param, ctx):
        return super().convert("table" if value == "text" else value, param, ctx)


format_option = click.option("--format", "fmt", type=_Formats(console.FORMATS), default="table",
                             show_default=True, help="Output format: table (for reading), csv (one header row) or "
                                                     "json (shapes in docs/cli-json.md).")
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress on standard error.")


class Progress:
    """Progress of long work on standard error, never on standard output (which carries the results); nothing
    with --quiet. A terminal gets one line rewritten in place (a bar for counted items, click.progressbar);
    anything else — a log file, cron, a test — gets plain lines with the seconds since the start:

        [  4.2 s] 载入 12 个文件 | loading 12 files
        [  9.8 s] 3/13 监测分析报告_150200_2024.pdf
    """

    def __init__(self, quiet: bool, live: bool | None = None) -> None:
        self.quiet, self.started = quiet, time.perf_counter()
        self.live = sys.stderr.isatty() if live is None else live
        self._bar = None  # click's bar while counted items are shown on a terminal
        self._open = False  # a rewritten line waits for its newline

    def __call__(self, text: str) -> None:
        """One step of the work."""
        if self.quiet:
            return
        self._end_bar()
        line = f"[{time.perf_counter() - self.started:6.1f} s] {text}"
        if self.live:
            click.echo("\r\x1b[K" + line, err=True, nl=False, color=True)  # \x1b[K: clear the rest of the line
            self._open = True
        else:
            click.echo(line, err=True)

    def item(self, index: int, total: int, name: str) -> None:
        """Item `index` (1-based) of `total` (a file, a bulletin): a plain line, or on a terminal the bar moved to it."""
        if self.quiet:
            return
        if not self.live:
            self(f"{index}/{total} {name}")
            return
        if self._bar is None:
            self._end_line()
            self._bar = click.progressbar(length=total, file=sys.stderr, show_pos=True, width=24,
                                          item_show_func=lambda n: n)
            self._bar.__enter__()
        self._bar.update(index - self._bar.pos, current_item=name)
        if index >= total:  # the last one started: the bar ends its line, so a log line of the work stays off it
            self._end_bar()

    def close(self) -> None:
        """End the terminal's line (or bar) so that what follows starts on a line of its own."""
        self._end_bar()
        self._end_line()

    def _end_bar(self) -> None:
        if self._bar is not None:
            bar, self._bar = self._bar, None
            bar.__exit__(None, None, None)

    def _end_line(self) -> None:
        if self._open:
            click.echo("", err=True)
            self._open = False


def progress(quiet: bool) -> Progress:
    """A Progress for the running command, closed with it (an error message after it starts on its own line)."""
    shown = Progress(quiet)
    with contextlib.suppress(RuntimeError):  # outside a click command: the caller closes it
        click.get_current_context().call_on_close(shown.close)
    return shown


class RootGroup(click.Group):
    """Loads the sub-command groups registered under the `dem.commands` entry points when first asked."""

    def _registered(self) -> dict:
        return {ep.name: ep for ep in entry_points(group="dem.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._registered()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self._registered():
            self.add_command(self._registered()[name].load(), name)
        return super().get_command(ctx, name)


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="beijiang-dem")
@click.option("--config", "config", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              metavar="DIR", help="Configuration folder (settings.toml, indicators.yaml, …). Default: $DEM_CONFIG, "
                                  "$DEM_HOME/config, the checkout's config/, the packaged default.")
def dem(config: Path | None) -> None:
    """北疆数字经济监测 — Inner Mongolia Digital Economy Monitor.

    Exit codes: 0 success · 1 data problems · 2 usage or configuration error · 70 internal error (traceback in
    the log) · 74 a file or folder could not be read or written · 75 busy (another run holds the lock).
    """
    if config is not None:
        # through the environment, not an argument: every sub-command, gunicorn's workers and background jobs read it
        os.environ["DEM_CONFIG"] = str(from_cwd(config))
    if click.get_current_context().obj is CONSOLE:  # the `dem` command itself, not a test's CliRunner
        logs.configure(load_settings().logging)  # once, with the configuration chosen above; exit 2 if invalid


@click.group()
def catalogue() -> None:
    """指标体系 — the reference catalogue: indicators, regions, regulation, targets."""


@catalogue.command("check")
@with_settings
def catalogue_check(settings: Settings) -> None:
    """Cross-check config/ and list every problem (exit 0 consistent, 1 problems)."""
    cat = load_catalogue(strict=False)
    if cat.problems:
        for problem in cat.problems:
            click.echo(f"✗ {problem}")
        click.echo(f"{len(cat.problems)} 个问题 | {len(cat.problems)} problem(s)")
        sys.exit(1)
    n_missing = sum(1 for a in cat.regulation.articles.values() if a.status == MISSING)
    click.echo(f"✓ 指标体系一致 | catalogue consistent: {len(cat.indicators)} indicators, "
               f"{len(cat.regions.regions)} regions, {len(cat.targets)} targets, "
               f"{len(cat.regulation.articles)} articles ({n_missing} missing in the source)")


@catalogue.command("indicators")
@click.option("--chapter", type=click.IntRange(1, 9), default=None,
              help="Only indicators of this chapter of the regulation (1–9).")
@format_option
@with_settings
def catalogue_indicators(chapter: int | None, fmt: str, settings: Settings) -> None:
    """List indicators with every catalogue attribute."""
    cat = load_catalogue()
    rows = [i.as_record() for i in cat.by_chapter(chapter)]
    columns = None if fmt != "table" else ["code", "name_zh", "chapter", "articles", "unit", "frequency", "measure",
                                           "aggregation", "polarity", "levels"]
    click.echo(console.render(rows, fmt, columns))


REGION_COLUMNS = ["code", "name_zh", "name_en", "level", "kind", "parent_code", "aliases", "lon", "lat"]


@catalogue.command("regions")
@click.option("--level", type=click.Choice(["region", "league", "county"]), default=None)
@click.option("--parent", default=None, help="Only the children of this code or name (e.g. 锡盟).")
@format_option
@with_settings
def catalogue_regions(level: str | None, parent: str | None, fmt: str, settings: Settings) -> None:
    """List the official units (GB/T 2260) with level, kind, parent and aliases."""
    cat = load_catalogue()
    parent_code = cat.regions.resolve(parent).code if parent else None
    rows = [{"code": r.code, "name_zh": r.name_zh, "name_en": r.name_en, "level": r.level, "kind": r.kind,
             "parent_code": r.parent_code or "", "aliases": ";".join(r.aliases), "lon": r.lon, "lat": r.lat}
            for r in cat.regions.regions
            if (level is None or r.level == level) and (parent_code is None or r.parent_code == parent_code)]
    click.echo(console.render(rows, fmt, REGION_COLUMNS))


@catalogue.command("article")
@click.argument("number", type=int)
@with_settings
def catalogue_article(number: int, settings: Settings) -> None:
    """Print an article of the regulation and the indicators that cite it."""
    cat = load_catalogue()
    art = cat.regulation.article(number)
    chapter = cat.regulation.chapters.get(art.chapter) if art.chapter else None
    click.echo(f"{art.heading}（{chapter.label_zh if chapter else '所属章节不明 | chapter unknown'}）")
    if art.status == MISSING:
        click.echo("【原文缺失 | missing in the source】")
    else:
        if art.note_zh:
            click.echo(f"【{art.note_zh} | {art.note_en}】")
        click.echo(art.text)
    features = cat.regulation.features_for(number)
    if features:
        click.echo(f"\n本系统落实本条的功能 | what this system does for this article: {len(features)}")
        for feature in features:
            click.echo(f"  {feature.name_zh} | {feature.name_en}\n    {feature.where_zh} | {feature.where_en}")
    citing = cat.citing(number)
    click.echo(f"\n引用本条的指标 | indicators citing this article: {len(citing)}")
    for ind in citing:
        click.echo(f"  {ind.code}  {ind.name_zh} ({ind.name_en})")


@catalogue.command("targets")
@format_option
@with_settings
def catalogue_targets(fmt: str, settings: Settings) -> None:
    """List targets and benchmarks with their provenance (official targets cite their source)."""
    cat = load_catalogue()
    rows = [vars(t) for t in cat.targets]
    columns = None if fmt != "table" else ["indicator_code", "region_code", "year", "comparison", "value", "kind",
                                           "provenance", "verification", "source_id"]
    click.echo(console.render(rows, fmt, columns))


@catalogue.command("metadata")
@click.option("--indicator", "indicators", multiple=True, help="Indicator code; repeatable. Default: every indicator.")
@format_option
@with_settings
def catalogue_metadata(indicators: tuple[str, ...], fmt: str, settings: Settings) -> None:
    """Indicator reference metadata named by SDMX concepts (definition, unit, periodicity, source, method of
    computation, limitations, release calendar, contact): docs/sdmx.md."""
    from indicators.base.releases import load_calendar
    from indicators.engine import sdmx

    cat = load_catalogue()
    for code in indicators:
        cat.indicator(code)  # an unknown code is a usage error naming it
    rows = sdmx.reference_metadata(cat, load_calendar(), indicators)
    columns = None if fmt != "table" else ["INDICATOR", "INDICATOR_NAME", "UNIT_MEASURE", "FREQ", "SOURCE_TYPE",
                                           "DATA_SOURCE"]
    click.echo(console.render(rows, fmt, columns))


@click.group()
def data() -> None:
    """数据 — export observations and list load batches (reads the published warehouse read-only)."""


@data.command("export")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output file (.csv: UTF-8 with BOM; .xlsx: with a 说明 metadata sheet).")
@click.option("--indicator", "indicators", multiple=True, help="Indicator code; repeatable.")
@click.option("--region", "regions", multiple=True, help="Region code or name; repeatable.")
@click.option("--period", "periods", multiple=True, help="Period (2023, 2023Q1, 2023M03); repeatable.")
@click.option("--history", is_flag=True, help="Every vintage, not only current values.")
@click.option("--derived", is_flag=True,
              help="Also derived indicators, spatial aggregates and annual roll-ups (status, coverage columns).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "sdmx-csv"]), default=None,
              help="csv (with a <name>.metadata.csv sidecar), xlsx (with a 说明 sheet) or sdmx-csv (SDMX-CSV 2.0, "
                   "docs/sdmx.md; with the sidecar). Default: from --out's suffix.")
@click.option("--preliminary", is_flag=True,
              help="Every loaded value, released or not (the working warehouse); the metadata says 初步/未发布. "
                   "Default: the released values only (the public warehouse).")
@settings_options
def data_export(out: Path, indicators: tuple[str, ...], regions: tuple[str, ...], periods: tuple[str, ...],
                history: bool, derived: bool, fmt: str | None, preliminary: bool, settings: Settings) -> None:
    """Export observations as tidy CSV or XLSX (formula-injection safe) with their metadata: the released values,
    or with --preliminary every loaded one."""
    from indicators.engine import export
    from indicators.storage import warehouse

    if fmt == "sdmx-csv" and (history or derived):
        raise click.UsageError("--format sdmx-csv exports the current observations: without --history and --derived")
    cat = load_catalogue()
    codes = [cat.regions.resolve(r).code for r in regions]
    source = settings if preliminary else released(settings)
    with warehouse.reader(source.paths.warehouse) as con:
        if derived:
            frame = export.facts(con, cat, indicators, codes, periods)
        else:
            frame = export.observations(con, cat, indicators, codes, periods, history=history)
        published = warehouse.publication_time(con)
    if fmt == "sdmx-csv":
        from indicators.engine import sdmx

        meta = export.metadata(frame, cat, published, "dem data export --format sdmx-csv" + (
            " --preliminary: 初步数据，含未发布值 preliminary, includes unreleased values" if preliminary else ""))
        written = [export.write_bytes(sdmx.to_csv_bytes(sdmx.observations(frame, cat)), out),
                   export.write_csv(meta, export.sidecar_path(out))]
        click.echo(f"已导出 {len(frame)} 行 → {out} | exported {len(frame)} rows to {out} (SDMX-CSV 2.0)"
                   f"\n说明 metadata → {written[1]}")
        return
    written = export.write_export(frame, out, cat, fmt, published,
                                  description="dem data export" + (" --derived" if derived else "")
                                  + (" --history" if history else "")
                                  + (" --preliminary: 初步数据，含未发布值 preliminary, includes unreleased values"
                                     if preliminary else ""))
    click.echo(f"已导出 {len(frame)} 行 → {out} | exported {len(frame)} rows to {out}"
               + "".join(f"\n说明 metadata → {p}" for p in written[1:]))


@data.command("publish-parquet")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write (replaced only when the new publication is complete, and only if it is an earlier "
                   "publication or empty).")
@settings_options
def data_publish_parquet(out: Path, settings: Settings) -> None:
    """Publish the released observations and facts as Hive-partitioned Parquet (indicator=…/year=…/) with _metadata
    files and a README, for DuckDB, Spark, Trino and pyarrow: docs/open-data.md."""
    from indicators.engine import parquet
    from indicators.storage import warehouse

    cat = load_catalogue()
    with warehouse.reader(released(settings).paths.warehouse) as con:
        manifest = parquet.publish(con, cat, out)
    sets = manifest["datasets"]
    click.echo(f"已发布 {sets['observations']['rows']} 条观测值、{sets['facts']['rows']} 条事实 → {out} | published "
               f"{sets['observations']['rows']} observations and {sets['facts']['rows']} facts to {out} "
               f"(release {manifest['release_id'] or '—'})")


@data.command("batches")
@click.option("--limit", type=int, default=20, show_default=True)
@format_option
@settings_options
def data_batches(limit: int, fmt: str, settings: Settings) -> None:
    """Recent load batches with status and counts."""
    from indicators.storage import warehouse

    with warehouse.reader(settings.paths.warehouse) as con:
        # the account that submitted through the portal or the API (schema 3; a file no writer of this version
        # has touched yet has none)
        who = "submitter" if (warehouse.schema_version(con) or 0) >= 3 else "NULL AS submitter"
        rows = con.execute(
            f"""SELECT batch_id, file_name, status, loaded_at, rows_total, rows_new, rows_revised, rows_unchanged,
                       rows_not_reported, rows_rejected, n_errors, n_warnings, submitter_region, {who}, synthetic
                FROM batches ORDER BY batch_id DESC LIMIT ?""", [limit]).df().to_dict("records")
    click.echo(console.render(rows, fmt))


@data.command("rebuild")
@settings_options
def data_rebuild(settings: Settings) -> None:
    """Recompute the derived layer (facts) and the precomputed progress and index results from all current
    observations, and publish; then the public warehouse from the released values, when there is one. Loads do this
    incrementally (only what they can change); a rebuild is the full computation, e.g. after restoring a warehouse
    by hand. Exit 75 while an ETL run holds the lock."""
    from indicators.engine import publish
    from indicators.storage import warehouse

    warehouse.require(settings.paths.warehouse)
    cat = load_catalogue()
    with warehouse.writer(settings.paths.warehouse, on_publish=publish.step(cat, settings, full=True),
                          memory_mb=settings.limits.writer_memory_mb) as stage:
        stage.changed = True
    click.echo(f"已重算派生层并发布 | rebuilt the derived layer and published {settings.paths.warehouse}")
    if warehouse.public_path(settings.paths.warehouse).exists():  # the released values' own derived layer
        from indicators.engine import release

        public = release.rebuild_public(settings, cat)
        click.echo(f"已重建公开数据仓库 | rebuilt the public warehouse {public}")


@click.group("indicators")
def indicators_group() -> None:
    """指标计算 — progress against targets, the composite index, and the audit trail of any value."""


@indicators_group.command("progress")
@click.option("--year", type=int, required=True,
              help="The year assessed: its latest value against the target path from the base year (settings "
                   "[progress] base_year).")
@click.option("--region", "region", default=None, help="Region code or name; default: the region and 12 leagues.")
@format_option
@settings_options
def indicators_progress(year: int, region: str | None, fmt: str, settings: Settings) -> None:
    """Progress status per indicator (Open SDG method): achieved, on_track, needs_acceleration, …"""
    from indicators.engine import precompute
    from indicators.storage import warehouse

    cat = load_catalogue()
    regions = [cat.regions.resolve(region).code] if region else [cat.regions.root.code] + [
        r.code for r in cat.regions.leagues()]
    with warehouse.reader(settings.paths.warehouse) as con:
        frame = precompute.progress(con, cat, year, settings.progress, regions=regions)
    columns = None if fmt != "table" else ["indicator_code", "region_code", "base_year", "base_value", "latest_year",
                                           "latest_value", "target_year", "target_value", "ratio", "status"]
    click.echo(console.render(frame.to_dict("records"), fmt, columns))


@indicators_group.command("index")
@click.option("--year", type=int, required=True,
              help="The year scored, on bounds fixed up to the base year (settings [index] base_year).")
@format_option
@settings_options
def indicators_index(year: int, fmt: str, settings: Settings) -> None:
    """The composite index (0–100) of the 12 leagues with chapter sub-indices and ranks."""
    from indicators.engine import precompute
    from indicators.storage import warehouse

    cat = load_catalogue()
    with warehouse.reader(settings.paths.warehouse) as con:
        frame = precompute.index_scores(con, cat, year, settings.index)
    frame["region_name"] = frame["region_code"].map({c: r.name_zh for c, r in cat.regions.by_code.items()})
    if fmt == "table":
        total = frame[frame["chapter"] == 0].set_index("region_code")
        wide = frame[frame["chapter"] > 0].pivot(index="region_code", columns="chapter", values="score").round(1)
        wide.columns = [f"ch{c}" for c in wide.columns]
        table = total[["rank", "region_name", "score", "coverage"]].join(wide).reset_index().sort_values("rank")
        table["score"] = table["score"].round(1)  # as published: the ranks follow the one-decimal scores
        click.echo(console.render(table.round({"coverage": 3}).to_dict("records"), fmt))
    else:
        click.echo(console.render(frame.to_dict("records"), fmt))


@indicators_group.command("explain")
@click.argument("code")
@click.argument("region")
@click.argument("period")
@settings_options
def indicators_explain(code: str, region: str, period: str, settings: Settings) -> None:
    """How one value was obtained: inputs with batches, rule or formula, coverage, vintages."""
    from indicators.engine import audit
    from indicators.storage import warehouse

    cat = load_catalogue()
    with warehouse.reader(settings.paths.warehouse) as con:
        explanation = audit.explain(con, cat, cat.indicator(code).code, cat.regions.resolve(region).code, period,
                                    settings.progress)
    click.echo("\n".join(explanation.lines(cat)))


CONSOLE = object()  # the context object of a run through main(): only then is the process's logging configured


def main(argv: list[str] | None = None) -> None:
    try:
        dem.main(args=argv, prog_name="dem", standalone_mode=False, obj=CONSOLE)
    except click.exceptions.Abort:
        sys.exit(1)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code if exc.exit_code else EXIT_USAGE)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except DemError as exc:
        click.echo(f"错误：{exc.message_zh}\nerror: {exc.message_en}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as exc:  # permissions, a full disk, a read-only folder: the system's, not the data's
        where = exc.filename or ""
        click.echo(f"错误：无法读写 {where}：{exc.strerror or exc}\nerror: cannot read or write {where}: "
                   f"{exc.strerror or exc}", err=True)
        sys.exit(EXIT_IO)
    except Exception as exc:  # noqa: BLE001 — a bug: a short message here, the traceback in the log
        log = _log_traceback(exc)
        click.echo(f"内部错误：{type(exc).__name__}: {str(exc)[:300]}（详情见 {log}）\n"
                   f"internal error: {type(exc).__name__}: {str(exc)[:300]} (traceback in {log})", err=True)
        sys.exit(EXIT_INTERNAL)


def _log_traceback(exc: BaseException) -> str:
    """Append the traceback to <logs>/dem-errors.log, rotated by size ([logging] max_bytes, backups); where that is
    impossible, to a file in the temp folder."""
    import tempfile
    import traceback

    text = f"{utc_now().isoformat()}Z dem {' '.join(sys.argv[1:])}\n" + "".join(traceback.format_exception(exc))
    config, candidates = Logging(), []
    with contextlib.suppress(DemError):
        settings = load_settings()
        config = settings.logging
        candidates.append(settings.paths.logs / "dem-errors.log")
    candidates.append(Path(tempfile.gettempdir()) / f"dem-errors-{os.getuid()}.log")
    for path in candidates:
        try:
            return str(logs.append(path, text + "\n", config))
        except OSError:
            continue
    return "(no writable log)"


@click.group()
def calendar() -> None:
    """The reporting calendar: what each unit owes for each period, and what is overdue."""


def _calendar_options(func):
    """The options `dem calendar` commands share: the unit, the clock and how many periods back."""
    for option in reversed([
        click.option("--region", "region", default=None,
                     help="Only this unit and the units below it (code or name, e.g. 锡盟); default: every unit."),
        click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                     help="Judge deadlines on this day (YYYY-MM-DD) instead of today ($DEM_TODAY)."),
        click.option("--periods", "periods_back", type=click.IntRange(0, 120), default=3, show_default=True,
                     help="Periods before the latest ended one (of each frequency) to include."),
        format_option, settings_options]):
        func = option(func)
    return func


def _obligations(settings: Settings, region: str | None, as_of, periods_back: int):
    """The obligations in the unit's scope on the chosen day, with names (zh), and the catalogue."""
    from indicators.engine import obligations
    from indicators.storage import warehouse

    cat = load_catalogue()
    settings = settings.at(as_of.date()) if as_of else settings
    scope = cat.regions.within(cat.regions.resolve(region).code) if region else None
    with warehouse.reader(settings.paths.warehouse) as con:
        frame = obligations.obligations(con, cat, settings, periods_back)
    return obligations.labelled(obligations.in_scope(frame, scope), cat)


CALENDAR_COLUMNS = ["region_code", "region_name", "indicator_code", "indicator_name", "period", "due", "status"]


@calendar.command("overdue")
@_calendar_options
def calendar_overdue(region: str | None, as_of, periods_back: int, fmt: str, settings: Settings) -> None:
    """What is still owed after its deadline (overdue, or rejected with nothing in), most overdue first:
    unit, indicator, period, due date, days overdue, status."""
    from indicators.engine import obligations

    frame = obligations.overdue(_obligations(settings, region, as_of, periods_back))
    click.echo(console.render(frame.to_dict("records"), fmt, CALENDAR_COLUMNS[:-1] + ["days_overdue", "status"]))


@calendar.command("show")
@click.option("--status", "statuses", multiple=True, type=click.Choice(["received", "late", "rejected", "overdue",
                                                                        "due"]), help="Only this status; repeatable.")
@_calendar_options
def calendar_show(statuses: tuple[str, ...], region: str | None, as_of, periods_back: int, fmt: str,
                  settings: Settings) -> None:
    """Every obligation of the recent periods (unit, indicator, period, due date, status, when it arrived), and
    the count per status on the table's last line."""
    from indicators.engine import obligations

    frame = _obligations(settings, region, as_of, periods_back)
    if statuses:
        frame = frame[frame["status"].isin(statuses)]
    frame = frame.assign(received_at=frame["received_at"].astype(str).str[:19].replace({"NaT": ""}))
    click.echo(console.render(frame.to_dict("records"), fmt, CALENDAR_COLUMNS + ["received_at"]))
    if fmt == "table":
        click.echo(" · ".join(f"{s} {n}" for s, n in obligations.counts(frame).items()))


@click.group("audit")
def audit_group() -> None:
    """审计记录 — the audit trail of the application (logins, accounts, submissions): append-only, hash-chained."""


AUDIT_COLUMNS = ("id", "at", "actor", "address", "action", "target", "detail", "reason", "prev_hash", "hash")


@audit_group.command("verify")
@click.option("--head", default=None, help="A hash printed by an earlier verify or export: it must still be in the "
                                           "trail (finds rows deleted from the end since then).")
@with_settings
def audit_verify(head: str | None, settings: Settings) -> None:
    """Check that no row of the audit trail was edited or deleted (exit 0 intact, 1 with every problem listed)."""
    from indicators.storage import appdb

    with appdb.opened(settings.paths.app_db) as con:
        problems = appdb.verify_events(con)
        rows = con.execute("SELECT count(*), max(id) FROM events").fetchone()
        last = con.execute("SELECT hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
        if head and not con.execute("SELECT 1 FROM events WHERE hash = ?", [head]).fetchone():
            problems.append(f"记录 {head[:16]}… 已不在审计记录中（其后的记录被删除） | the row with hash {head[:16]}… "
                            f"is no longer in the trail (rows were deleted since)")
    if problems:  # each problem reads "中文 | English"
        raise DemError("审计记录被改动：\n" + "\n".join(p.split(" | ")[0] for p in problems),
                       "the audit trail was tampered with:\n" + "\n".join(p.split(" | ")[-1] for p in problems))
    click.echo(f"审计记录完好：{rows[0]} 条，最新 {last[0] if last else appdb.GENESIS} | the audit trail is intact: "
               f"{rows[0]} rows, head {last[0] if last else appdb.GENESIS}")


@audit_group.command("export")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Rows from this day on (UTC).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: standard output).")
@with_settings
def audit_export(since, fmt: str, out: Path | None, settings: Settings) -> None:
    """The audit trail from a day on, oldest first, with each row's hashes (a copy to keep elsewhere: its last hash
    is what `dem audit verify --head` checks later). CSV cells are formula-safe."""
    import pandas as pd

    from indicators.engine import export
    from indicators.storage import appdb

    with appdb.opened(settings.paths.app_db) as con:
        rows = appdb.events(con, since=since.date().isoformat())
    frame = pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))
    data = export.to_csv_bytes(frame) if fmt == "csv" else console.to_json(rows).encode("utf-8") + b"\n"
    if out is None:
        click.echo(data.decode("utf-8-sig"), nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    click.echo(f"已写出 {len(rows)} 条 → {out} | wrote {len(rows)} rows → {out}")
