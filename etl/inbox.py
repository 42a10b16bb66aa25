"""The scheduled job: process every settled file in the inbox, oldest first; archive accepted, quarantine rejected.

The inbox is a trust boundary. Only regular files owned by the expected user are read, never through a link;
a file modified less than `[inbox] settle_seconds` ago (still being copied), a temporary file (`*.part`, `*.tmp`,
`~$*`) or a hidden one waits or is skipped — each with a line in the run log, never silently.

Order of work, chosen so that a crash at any point loses nothing: (1) take the lock and repair what a killed
run left (temporary files, a quarantined file without its report), (2) read each file's bytes once, load them
into a staging copy and publish it, (3) only then file the bytes that were read — accepted ones to
archive/<yyyy>/<mm>/, rejected ones to quarantine/ after their <name>.errors.csv and <name>.report.json — and
remove each inbox original if it is still the file that was read. If the process dies before (3), the files are
still in the inbox and a rerun finds them "already loaded"; if it dies during (3), the rerun files them again.
Then, under the same lock, the submissions queued by the portal and the API are loaded (etl.submissions).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import os
import pwd
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from etl import filing, submissions
from etl import problems as P
from etl.pipeline import FAILED, REJECTED, FileResult, check_files, load_guarded, log_internal_error, writing
from etl.problems import FileRejected
from etl.source import SourceFile
from indicators.base import logs
from indicators.base.catalogue import Catalogue
from indicators.base.errors import EXIT_INTERNAL, EXIT_IO, ConfigError, DemError, UsageError
from indicators.base.settings import Settings
from indicators.storage.warehouse import exclusive_lock, fsync_path, utc_now

TEMPORARY = ("*.part", "*.tmp", "*.crdownload", "~$*")  # being written by a copy tool or held open by Excel
REPORT_SUFFIXES = (".errors.csv", ".report.json")
LOG = logging.getLogger("dem.etl")


@dataclass(frozen=True)
class Skipped:
    """An inbox entry that was not processed this run, and why: waiting (not settled yet), ignored (hidden or
    temporary), refused (a link, not a regular file, another owner — someone must look at it)."""

    name: str
    kind: str  # waiting | ignored | refused
    reason_zh: str
    reason_en: str

    def line(self) -> str:
        mark = {"waiting": "…", "ignored": "-", "refused": "✗"}[self.kind]
        return f"{mark} {self.name}：{self.reason_zh}\n  {self.name}: {self.reason_en}"


@dataclass
class RunSummary:
    started_at: datetime
    finished_at: datetime | None = None
    results: list[FileResult] = field(default_factory=list)
    moved: dict[str, str] = field(default_factory=dict)  # original path → where it went
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # repairs and originals kept in the inbox
    storage_errors: list[str] = field(default_factory=list)  # could not archive or quarantine (exit 74)
    error: str | None = None  # what ended the run early, if anything
    log_path: Path | None = None
    submissions: list[submissions.Outcome] = field(default_factory=list)  # queued by the portal and the API

    @property
    def submissions_rejected(self) -> list[submissions.Outcome]:
        return [o for o in self.submissions if o.status != "loaded"]

    @property
    def rejected(self) -> list[FileResult]:
        return [r for r in self.results if r.status in (REJECTED, FAILED)]

    @property
    def refused(self) -> list[Skipped]:
        return [s for s in self.skipped if s.kind == "refused"]

    def exit_code(self) -> int:
        """70 an internal error on a file · 74 an original could not be filed · 1 a file (or a queued submission)
        rejected or refused · 0."""
        if any(r.status == FAILED for r in self.results) or any(o.status == "failed" for o in self.submissions):
            return EXIT_INTERNAL
        if self.storage_errors:
            return EXIT_IO
        return 1 if self.rejected or self.refused or self.submissions_rejected else 0

    def as_dict(self) -> dict:
        return {"started_at": self.started_at.isoformat(), "finished_at": self.finished_at and self.finished_at.isoformat(),
                "files": [{**r.summary(), "moved_to": self.moved.get(str(r.path))} for r in self.results],
                "skipped": [vars(s) for s in self.skipped], "notes": self.notes,
                "storage_errors": self.storage_errors, "error": self.error,
                "submissions": [{"submission_id": o.submission_id, "filename": o.filename, "username": o.username,
                                 "status": o.status, "batch_id": o.batch_id, "n_errors": o.report.get("n_errors"),
                                 "n_warnings": o.report.get("n_warnings")} for o in self.submissions]}


# ── what is in the inbox ─────────────────────────────────────────────────────────────────────────────

def expected_owner(settings: Settings) -> int:
    owner = settings.inbox.owner.strip()
    if not owner:
        return os.geteuid()
    if owner.isdigit():
        return int(owner)
    try:
        return pwd.getpwnam(owner).pw_uid
    except KeyError:
        raise ConfigError(f"[inbox] owner: no user named {owner!r}") from None


def survey(inbox: Path, settings: Settings, now: float | None = None) -> tuple[list[Path], list[Skipped]]:
    """(settled submission files, oldest first; every other entry with the reason it is skipped)."""
    now = now if now is not None else datetime.now().timestamp()
    owner = expected_owner(settings)
    ready: list[tuple[int, str, Path]] = []
    skipped: list[Skipped] = []
    with os.scandir(inbox) as entries:
        for entry in entries:
            st = entry.stat(follow_symlinks=False)
            verdict = _verdict(entry, st, owner, now, settings.inbox.settle_seconds)
            if verdict is None:
                ready.append((st.st_mtime_ns, entry.name, Path(entry.path)))
            else:
                skipped.append(verdict)
    return [p for *_, p in sorted(ready)], sorted(skipped, key=lambda s: s.name)


def _verdict(entry: os.DirEntry, st: os.stat_result, owner: int, now: float, settle: float) -> Skipped | None:
    name = entry.name
    if entry.is_symlink():
        return Skipped(name, "refused", "是符号链接，不读取（请放入文件本身）",
                       "a symbolic link: not followed (deliver the file itself)")
    if name.startswith("."):
        return Skipped(name, "ignored", "隐藏文件，跳过", "a hidden file: skipped")
    if any(fnmatch.fnmatch(name, pattern) for pattern in TEMPORARY):
        return Skipped(name, "ignored", "临时文件（仍在写入或被打开），跳过；写完后请改为正式文件名",
                       "a temporary file (still being written or open): skipped; rename it when it is complete")
    if entry.is_dir(follow_symlinks=False):
        return Skipped(name, "ignored", "是文件夹，跳过", "a folder: skipped")
    if not entry.is_file(follow_symlinks=False):
        return Skipped(name, "refused", "不是普通文件，不读取", "not a regular file: not read")
    if st.st_uid != owner:
        return Skipped(name, "refused", f"文件属于用户 {st.st_uid}，不是预期的用户 {owner}（设置[inbox] owner），不读取",
                       f"owned by user {st.st_uid}, not the expected user {owner} ([inbox] owner): not read")
    age = now - st.st_mtime
    if age < settle:
        return Skipped(name, "waiting", f"{age:.0f}秒前仍在修改，等待其写完（设置[inbox] settle_seconds = {settle:g}）",
                       f"modified {age:.0f} s ago: waiting until it has settled ([inbox] settle_seconds = {settle:g})")
    return None


def _read(path: Path, settings: Settings, owner: int) -> SourceFile | Skipped | FileResult:
    """The file's bytes, read once without following links; or why it is left alone (changed while read, no
    longer a regular file, another owner); or the rejection of a file too large to read."""
    try:
        source = SourceFile.open(path, settings.limits.max_file_bytes, follow_symlinks=False)
    except FileRejected as exc:
        problem = exc.problems[0]
        if problem.rule == "file_changed":
            return Skipped(path.name, "waiting", "读取期间仍在变化，下次运行再处理",
                           "changed while it was read: left for the next run")
        if problem.rule == "file_too_large":
            return FileResult(path, REJECTED, problems=exc.problems, counts={"rows": 0})
        return Skipped(path.name, "refused", problem.message_zh, problem.message_en)
    if source.identity is not None and source.identity.uid != owner:
        return Skipped(path.name, "refused", f"文件属于用户 {source.identity.uid}，不是预期的用户 {owner}，不读取",
                       f"owned by user {source.identity.uid}, not the expected user {owner}: not read")
    return source


# ── the run ──────────────────────────────────────────────────────────────────────────────────────────

def run_inbox(cat: Catalogue, settings: Settings, inbox: Path, archive: Path, quarantine: Path,
              on_file: Callable[[int, int, Path], None] | None = None) -> RunSummary:
    """Process the inbox under the warehouse's lock; `on_file(index, total, path)` is told as each settled file
    (1-based, of `total`) is started — the CLI's progress."""
    if not inbox.is_dir():
        raise UsageError(f"收件箱不存在或不是文件夹：{inbox}（检查 --inbox、DEM_INBOX 或设置[paths] inbox）",
                         f"the inbox does not exist or is not a folder: {inbox} (check --inbox, DEM_INBOX or "
                         "[paths] inbox)")
    summary = RunSummary(started_at=utc_now())
    with exclusive_lock(settings.paths.warehouse):
        try:
            _repair(cat, settings, archive, quarantine, summary)
            _process(cat, settings, inbox, archive, quarantine, summary, on_file)
            summary.submissions = submissions.load_queued(cat, settings, locked=True)
        except DemError as exc:
            summary.error = f"{exc.message_zh} | {exc.message_en}"
            raise
        except Exception as exc:  # a bug outside any one file: logged, then reported by the CLI (exit 70)
            summary.error = f"internal error: {type(exc).__name__}: {exc} (log {log_internal_error(settings, 'run', exc)})"
            raise
        finally:
            summary.finished_at = utc_now()
            summary.log_path = _write_log(settings, summary)
    return summary


def _process(cat: Catalogue, settings: Settings, inbox: Path, archive: Path, quarantine: Path,
             summary: RunSummary, on_file: Callable[[int, int, Path], None] | None = None) -> None:
    ready, summary.skipped = survey(inbox, settings)
    if not ready:
        return
    owner = expected_owner(settings)
    sources: dict[Path, SourceFile | None] = {}
    with writing(settings, cat, locked=True) as stage:
        for index, path in enumerate(ready, 1):
            if on_file is not None:
                on_file(index, len(ready), path)
            source = _read(path, settings, owner)
            if isinstance(source, Skipped):
                summary.skipped.append(source)
                continue
            if isinstance(source, FileResult):
                summary.results.append(source)
                sources[path] = None
                continue
            summary.results.append(load_guarded(stage, path, cat, settings, partial=False, source=source))
            sources[path] = source
    for result in summary.results:  # only after the new warehouse is published
        _file(result, sources[result.path], archive, quarantine, summary)


def _file(result: FileResult, source: SourceFile | None, archive: Path, quarantine: Path,
          summary: RunSummary) -> None:
    try:
        if result.status in (REJECTED, FAILED):
            target = _quarantine(result, source, quarantine)
        else:
            target = _archive(source, archive)
        summary.moved[str(result.path)] = str(target)
        if source is not None and not filing.remove_original(result.path, source.identity):
            summary.notes.append(f"{result.path.name}: changed after it was read; the version read is filed as "
                                 f"{target.name}, the changed file stays in the inbox for the next run")
    except OSError as exc:
        summary.storage_errors.append(
            f"{result.path.name}: 无法归档或隔离（{exc.strerror or exc}：{exc.filename or ''}），文件留在收件箱 | "
            f"cannot be filed ({exc.strerror or exc}: {exc.filename or ''}); the file stays in the inbox")


def _archive(source: SourceFile, archive: Path) -> Path:
    when = utc_now()
    folder = filing.folder(archive / f"{when:%Y}" / f"{when:%m}")
    target = filing.free_name(folder, source.name, source.sha256)
    if not target.exists():  # the very same bytes may be there already (a re-delivered file)
        filing.put(target, source.data)
    return target


def _quarantine(result: FileResult, source: SourceFile | None, quarantine: Path) -> Path:
    """Reports first, then the original: a crash in between leaves the original in the inbox (the next run
    quarantines it again), never a quarantined file without its report."""
    folder = filing.folder(quarantine)
    sha = source.sha256 if source is not None else secrets.token_hex(16)  # too large to read: a unique tag
    target = filing.free_name(folder, result.path.name, sha)
    _write_reports(result, target, sha)
    if source is not None:
        if not target.exists():
            filing.put(target, source.data)
    else:  # too large to read into memory: moved as it is (it is a regular file: the link check came first)
        os.rename(result.path, target)
        fsync_path(folder)
    return target


def _write_reports(result: FileResult, target: Path, sha: str, note: str = "") -> None:
    limit = filing.name_limit(target.parent)
    summary = {**result.summary(), "original_name": result.path.name, "quarantined_as": target.name}
    if note:
        summary["note"] = note
    errors, report = (target.with_name(filing.fitted(target.name, s, sha, limit)) for s in REPORT_SUFFIXES)
    filing.put(errors, P.to_csv(result.problems).encode("utf-8-sig"))
    filing.put(report, P.to_json(summary, result.problems).encode("utf-8"))


def _repair(cat: Catalogue, settings: Settings, archive: Path, quarantine: Path, summary: RunSummary) -> None:
    """Undo what a run killed while filing left behind: temporary files, and quarantined originals without
    their reports (written by older versions after the move), whose reports are rebuilt by checking them."""
    for leftover in filing.leftovers(archive, quarantine, settings.paths.logs):
        leftover.unlink()
        summary.notes.append(f"removed {leftover.name}, left by an interrupted run")
    if not quarantine.is_dir():
        return
    limit = filing.name_limit(quarantine)
    for path in sorted(quarantine.iterdir()):
        if not path.is_file() or path.is_symlink() or path.name.endswith(REPORT_SUFFIXES):
            continue
        fits = all(len((path.name + s).encode()) <= limit for s in REPORT_SUFFIXES)
        sha = "" if fits else _hash(path)  # a long name's reports carry the start of its hash
        if all(path.with_name(filing.fitted(path.name, s, sha, limit)).exists() for s in REPORT_SUFFIXES):
            continue
        sha = sha or _hash(path)
        [result] = check_files([path], cat, settings)
        result.status = result.status if result.status == FAILED else REJECTED
        _write_reports(result, path, sha, note="报告在中断的运行后重建 | report rebuilt after an interrupted run")
        summary.notes.append(f"rebuilt the reports of {path.name}, lost by an interrupted run")


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 24):
            digest.update(chunk)
    return digest.hexdigest()


def _write_log(settings: Settings, summary: RunSummary) -> Path | None:
    """The run's JSON log (the newest [logging] keep_run_logs are kept), a line in etl-runs.log (rotated by size)
    and the same line on the `dem.etl` logger — INFO, WARNING when something was rejected or refused, ERROR when a
    file met an internal error, an original could not be filed or the run stopped. A log that cannot be written
    does not hide the run's own outcome: None is returned and the CLI says so."""
    folder = settings.paths.logs
    try:
        filing.folder(folder)
        path = folder / f"etl-run-{summary.started_at:%Y%m%dT%H%M%S%f}.json"
        filing.put(path, json.dumps(summary.as_dict(), ensure_ascii=False, indent=2, default=str).encode("utf-8"))
        counts = {s: sum(1 for r in summary.results if r.status == s)
                  for s in ("loaded", "partial", "duplicate", REJECTED, FAILED)}
        skipped = {k: sum(1 for s in summary.skipped if s.kind == k) for k in ("waiting", "ignored", "refused")}
        queued = {f"submissions_{k}": sum(1 for o in summary.submissions if o.status == k)
                  for k in ("loaded", "rejected", "failed")}
        line = (f"files={len(summary.results)} "
                + " ".join(f"{k}={v}" for k, v in {**counts, **skipped, **queued}.items())
                + (f" error={summary.error!r}" if summary.error else "") + f" log={path.name}")
        logs.append(folder / "etl-runs.log", f"{summary.started_at.isoformat()}Z {line}\n", settings.logging)
        logs.prune(folder, "etl-run-*.json", settings.logging.keep_run_logs)
    except OSError:
        return None
    code = summary.exit_code() if summary.error is None else EXIT_INTERNAL
    LOG.log({0: logging.INFO, 1: logging.WARNING}.get(code, logging.ERROR), "run finished: %s", line)
    return path
