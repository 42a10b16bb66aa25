"""`dem etl …` and `dem demo …`: thin wrappers over etl.pipeline, etl.inbox and etl.demo."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from etl import problems as P
from etl.demo import DEFAULT_SEED, build, generate
from etl.pipeline import FAILED, FileResult, check_files, load_files
from indicators import console
from indicators.base.catalogue import load_catalogue
from indicators.base.errors import EXIT_INTERNAL
from indicators.base.settings import Settings
from indicators.cli import format_option, progress, quiet_option, settings_options, with_settings

MAX_PRINTED = 50

files_argument = click.argument("files", nargs=-1, required=True,
                                type=click.Path(exists=True, dir_okay=False, path_type=Path))


PROBLEM_COLUMNS = ["file", "status", "line", "column", "value", "rule", "severity", "message_zh", "message_en"]


def _print(results: list[FileResult], fmt: str) -> None:
    if fmt == "json":
        click.echo(console.to_json([{**r.summary(), "problems": P.to_records(r.problems)} for r in results]))
        return
    if fmt == "csv":  # one row per problem; a file without any is one row with its status alone. `file` is the
        # path as given (a problem's own `file` is the name alone)
        rows = [{**p_, "file": str(r.path), "status": r.status}
                for r in results for p_ in (P.to_records(r.problems) or [{"file": str(r.path)}])]
        click.echo(console.to_csv(rows, PROBLEM_COLUMNS), nl=False)
        return
    for r in results:
        zh, en = r.headline()
        click.echo(f"{'✓' if r.accepted else '✗'} {zh}\n  {en}")
        if r.encoding or r.file_format:
            click.echo(f"  编码 encoding: {r.encoding or '-'}; 版式 layout: {r.layout or '-'}")
        if reading := r.reading():
            click.echo(f"  {reading[0]} | {reading[1]}")
        for p in r.problems[:MAX_PRINTED]:
            click.echo(f"  [{p.rule}] {p.text()}")
        if len(r.problems) > MAX_PRINTED:
            click.echo(f"  … 另有 {len(r.problems) - MAX_PRINTED} 条 | {len(r.problems) - MAX_PRINTED} more "
                       "(use --format json or csv for all)")


@click.group()
def etl() -> None:
    """报送入库 — validate and load submission files (CSV/TSV/XLSX, UTF-8 or GB18030, long or wide)."""


@etl.command("check")
@files_argument
@format_option
@settings_options
def etl_check(files: tuple[Path, ...], fmt: str, settings: Settings) -> None:
    """Validate only; print the report. Exit 0 clean (warnings allowed), 1 errors."""
    results = check_files(list(files), load_catalogue(), settings)
    _print(results, fmt)
    sys.exit(_exit_code(results, ok=lambda r: not r.errors))


@etl.command("load")
@files_argument
@click.option("--partial", is_flag=True, help="Load the valid rows of a file with errors (reported as left out).")
@format_option
@settings_options
def etl_load(files: tuple[Path, ...], partial: bool, fmt: str, settings: Settings) -> None:
    """Validate and load; each file all or nothing (unless --partial). Files stay where they are."""
    results = load_files(list(files), load_catalogue(), settings, partial=partial)
    _print(results, fmt)
    sys.exit(_exit_code(results, ok=lambda r: r.status in ("loaded", "duplicate")))


def _exit_code(results: list[FileResult], ok) -> int:
    """0 every file fine · 1 a file rejected (or loaded partially) · 70 an internal error on some file."""
    if any(r.status == FAILED for r in results):
        return EXIT_INTERNAL
    return 0 if all(ok(r) for r in results) else 1


@etl.command("run")
@click.option("--inbox", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of submitted files to load. Default: settings [paths] inbox, or $DEM_INBOX.")
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where accepted originals are filed (<yyyy>/<mm>/). Default: settings [paths] archive, or "
                   "$DEM_ARCHIVE.")
@click.option("--quarantine", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where rejected originals go, with <name>.errors.csv and <name>.report.json. Default: settings "
                   "[paths] quarantine, or $DEM_QUARANTINE.")
@format_option
@quiet_option
@settings_options
def etl_run(inbox: Path | None, archive: Path | None, quarantine: Path | None, fmt: str, quiet: bool,
            settings: Settings) -> None:
    """The scheduled job: load every settled inbox file (oldest first), archive or quarantine it, write a run log.
    Progress on standard error, a line (on a terminal a bar) per file (none with --quiet).
    Exit 0 all accepted · 1 a file rejected or refused · 2 no inbox · 70 an internal error on a file ·
    74 a file could not be archived or quarantined · 75 another run is active."""
    from etl.inbox import run_inbox

    s = settings.with_overrides(paths_inbox=inbox, paths_archive=archive, paths_quarantine=quarantine)
    shown = progress(quiet)
    summary = run_inbox(load_catalogue(), s, s.paths.inbox, s.paths.archive, s.paths.quarantine,
                        on_file=lambda index, total, path: shown.item(index, total, path.name))
    shown.close()
    if fmt == "json":
        click.echo(console.to_json(run_record(summary)))
    elif fmt == "csv":
        click.echo(console.to_csv(run_rows(summary), RUN_COLUMNS), nl=False)
    else:
        _print_run(summary)
    sys.exit(summary.exit_code())


def run_record(summary) -> dict:
    """`dem etl run --format json`: the run as the log tells it (etl.inbox.RunSummary.as_dict), its log file and
    its exit code."""
    return {**summary.as_dict(), "log": str(summary.log_path) if summary.log_path else None,
            "exit_code": summary.exit_code()}


RUN_COLUMNS = ["kind", "name", "status", "batch_id", "errors", "warnings", "moved_to", "message_zh", "message_en"]


def run_rows(summary) -> list[dict]:
    """`dem etl run --format csv`: one row per inbox file processed (kind file) or left (skipped) and per queued
    submission (submission)."""
    rows = [{"kind": "file", "name": str(r.path), "status": r.status, "batch_id": r.batch_id, "errors": r.n_errors,
             "warnings": r.n_warnings, "moved_to": summary.moved.get(str(r.path), ""),
             "message_zh": r.headline()[0], "message_en": r.headline()[1]} for r in summary.results]
    rows += [{"kind": "skipped", "name": s.name, "status": s.kind, "message_zh": s.reason_zh,
              "message_en": s.reason_en} for s in summary.skipped]
    rows += [{"kind": "submission", "name": o.filename, "status": o.status, "batch_id": o.batch_id,
              "errors": o.report.get("n_errors"), "warnings": o.report.get("n_warnings"),
              "message_zh": o.report.get("message_zh", ""), "message_en": o.report.get("message_en", "")}
             for o in summary.submissions]
    return rows


def _print_run(summary) -> None:
    for r in summary.results:
        zh, en = r.headline()
        click.echo(f"{'✓' if r.accepted else '✗'} {zh} → {summary.moved.get(str(r.path), '（留在收件箱 stays in the inbox）')}"
                   f"\n  {en}")
    for skipped in summary.skipped:
        click.echo(skipped.line())
    for line in summary.notes + summary.storage_errors:
        click.echo(f"! {line}")
    for outcome in summary.submissions:
        click.echo(outcome.line())
    if summary.submissions:
        n, bad = len(summary.submissions), len(summary.submissions_rejected)
        click.echo(f"在线报送 {n} 份，入库 {n - bad} 份，退回或失败 {bad} 份 | "
                   f"{n} queued submission(s): {n - bad} loaded, {bad} rejected or failed")
    log = summary.log_path or "（日志无法写入 the log could not be written）"
    click.echo(f"处理 {len(summary.results)} 个文件，退回 {len(summary.rejected)} 个，跳过 {len(summary.skipped)} 个；日志 {log}\n"
               f"processed {len(summary.results)} file(s), {len(summary.rejected)} rejected, "
               f"{len(summary.skipped)} skipped; log {log}")


@click.group()
def demo() -> None:
    """示例数据 — synthetic demo submissions (always flagged 示例数据 / synthetic) and the demo warehouse."""


@demo.command("generate")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Random seed; same seed, same files.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output directory. Default: data/demo/ of the project.")
@with_settings
def demo_generate(seed: int, out: Path | None, settings: Settings) -> None:
    """Write synthetic submission files (all leagues and counties, 2019–2024), every row flagged 示例数据.
    Writes files only; no warehouse is touched."""
    paths = generate(seed, out)
    click.echo(f"已生成 {len(paths)} 个示例文件 → {paths[0].parent if paths else out} | "
               f"wrote {len(paths)} synthetic demo file(s)")


@demo.command("build")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Random seed; same seed, same files.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to (re)generate the demo files. Default: data/demo/ of the project.")
@format_option
@quiet_option
@settings_options
def demo_build(seed: int, out: Path | None, fmt: str, quiet: bool, settings: Settings) -> None:
    """Regenerate the demo files and rebuild the warehouse from scratch: data/reference/ (real figures) first,
    then the demo files, through the production loader. Progress on standard error (none with --quiet).
    Exit 0 all loaded, 1 a file was rejected."""
    shown = progress(quiet)
    report = build(seed, settings, out, on_step=shown)
    shown.close()  # on a terminal, the results start on a line of their own
    if fmt == "json":
        click.echo(console.to_json(report.as_dict()))
    elif fmt == "csv":
        click.echo(console.to_csv(report.file_rows(), BUILD_COLUMNS), nl=False)
    else:
        for line in report.lines():
            click.echo(line)
    sys.exit(1 if report.rejected else 0)


BUILD_COLUMNS = ["file", "kind", "status", "batch_id", "errors", "warnings", "message_en"]


@click.command()
@click.option("--region", required=True, help="The unit: 6-digit code, name or alias (150200, 包头市, 锡盟).")
@click.option("--period", required=True, help="The period: 2024, 2024Q1, 2024年第一季度, 2024-03, 2024年3月 …")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default=None,
              help="Default: from the --out suffix, else xlsx.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file. Default: 报送模板_<code>_<name>_<period>.<format> in the exports folder.")
@with_settings
def template(region: str, period: str, fmt: str | None, out: Path | None, settings: Settings) -> None:
    """The submission template of a unit for a period (XLSX or CSV): every indicator it reports at its level and
    the period's frequency, names and units filled in, the value column empty; a filled template loads as it is.
    Exit 0 written · 2 unknown region or malformed period · 74 the file could not be written."""
    from etl.template import build_template, default_name, write_template

    cat = load_catalogue()
    fmt = fmt or ("csv" if out is not None and out.suffix.lower() == ".csv" else "xlsx")
    path = out or settings.paths.exports / default_name(cat, region, period, fmt)
    write_template(path, build_template(cat, region, period, fmt))
    click.echo(f"已写出报送模板 → {path} | wrote the submission template to {path}")


@click.group("release")
def release_group() -> None:
    """发布 — the release calendar (config/releases.csv) and releases: accepted values become public (docs/releases.md)."""


@release_group.command("list")
@format_option
@settings_options
def release_list(fmt: str, settings: Settings) -> None:
    """The calendar with what was carried out: each release's time (Beijing), periods, title and, once carried out,
    when, by whom and how many vintages (batch × period) it made public; corrections too."""
    from etl.release import schedule

    click.echo(console.render(schedule(settings), fmt))


RELEASE_COLUMNS = ["release_id", "vintages", "revising", "batches"]


def _print_outcomes(outcomes: list, fmt: str, none: str = "") -> None:
    """Releases carried out: a line each (table), or one record each (csv: batches joined by ';')."""
    if fmt == "table":
        for outcome in outcomes:
            click.echo(outcome.line())
        if not outcomes and none:
            click.echo(none)
        return
    rows = [{"release_id": o.release_id, "vintages": o.vintages, "revising": o.revising, "batches": o.batches}
            for o in outcomes]
    if fmt == "csv":
        rows = [{**r, "batches": ";".join(str(b) for b in r["batches"])} for r in rows]
    click.echo(console.render(rows, fmt, RELEASE_COLUMNS))


@release_group.command("due")
@click.option("--at", "at", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]), default=None,
              help="Act as if it were this UTC time (catching up, tests). Default: now.")
@format_option
@settings_options
def release_due(at, fmt: str, settings: Settings) -> None:
    """The scheduled job (every few minutes, beside `dem etl run`): carry out every release whose time has come, in
    order, and rebuild the public warehouse if it lags behind. Exit 0 · 75 another writer holds the lock."""
    from etl.release import due

    _print_outcomes(due(load_catalogue(), settings, now=at), fmt, "没有到期的发布 | no release due")


@release_group.command("publish")
@click.argument("release_id")
@format_option
@settings_options
def release_publish(release_id: str, fmt: str, settings: Settings) -> None:
    """Carry out one release of the calendar now, even before its announced time (an admin's decision, recorded in
    the audit trail). Exit 0 · 2 unknown or already carried out · 75 another writer holds the lock."""
    from etl.release import find, publish_release

    _print_outcomes([publish_release(find(release_id), load_catalogue(), settings, console.operator(), "cli")], fmt)


@release_group.command("correct")
@click.argument("batch", type=int)
@click.option("--reason", required=True, help="Why the released values change (shown on /revisions).")
@format_option
@settings_options
def release_correct(batch: int, reason: str, fmt: str, settings: Settings) -> None:
    """Release an accepted batch's revisions of released values at once instead of with the next release (a
    correction of an error). Exit 0 · 1 the batch is not accepted or revises nothing released · 2 no reason."""
    from etl.release import correct

    _print_outcomes([correct(batch, reason, load_catalogue(), settings, console.operator(), "cli")], fmt)
