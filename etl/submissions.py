"""Submissions queued by the portal and the API, loaded by the scheduled run: each stored original goes through the
same pipeline as an inbox file, with its submitter (scope checked, name recorded with the batch), and its outcome —
loaded as batch N, rejected with the check report, failed — is written back to the application database.

Order of work, chosen so that a crash at any point loses nothing: under the writer's lock (1) submissions left
'loading' by a run that died are queued again, (2) queued ones are claimed oldest first ('loading') and loaded into
one staging copy, which is published, (3) only then are their outcomes recorded. A run that dies before (3) leaves
them 'loading'; the next run queues them again and finds them "already loaded" (or rejected before).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from etl import problems as P
from etl.pipeline import (
    DUPLICATE,
    FAILED,
    LOADED,
    PARTIAL,
    REJECTED,
    FileResult,
    load_guarded,
    log_internal_error,
    writing,
)
from etl.problems import FileRejected
from etl.source import SourceFile
from etl.submitter import Submitter
from indicators.base.catalogue import Catalogue
from indicators.base.errors import BusyError
from indicators.base.settings import Settings
from indicators.storage import appdb
from indicators.storage.warehouse import Staging, exclusive_lock, warehouse_id

STATUS = {LOADED: "loaded", PARTIAL: "loaded", DUPLICATE: "loaded", REJECTED: "rejected", FAILED: "failed"}
HIDDEN = ("file", "sha256")  # the server's path and the hash: not in a report the submitter reads


@dataclass(frozen=True)
class Outcome:
    """What became of one submission: status loaded | rejected | failed, the batch that loaded it (for a file
    already loaded, the batch that did), and the report stored with it."""

    submission_id: int
    filename: str
    username: str
    status: str
    batch_id: int | None
    report: dict

    def line(self) -> str:
        mark = "✓" if self.status == "loaded" else "✗"
        return (f"{mark} 报送 #{self.submission_id}（{self.username}）{self.report.get('message_zh', '')}\n"
                f"  submission #{self.submission_id} ({self.username}) {self.report.get('message_en', '')}")


def report(result: FileResult, filename: str) -> dict:
    """The check report of a submission as stored in the application database and shown in the portal: the
    summary and the problems `dem etl check --format json` prints, naming the file by the client's name (never
    the path it is stored under), with n_errors and n_warnings."""
    summary = {k: v for k, v in result.summary().items() if k not in HIDDEN}
    for key in ("message_zh", "message_en"):
        summary[key] = str(summary[key]).replace(result.path.name, filename)
    summary = json.loads(json.dumps(summary, default=str))  # plain JSON types, as stored
    problems = [{**record, "file": filename} for record in P.to_records(result.problems)]
    return {**summary, "filename": filename, "n_errors": result.n_errors, "n_warnings": result.n_warnings,
            "problems": problems}


def load_queued(cat: Catalogue, settings: Settings, locked: bool = False) -> list[Outcome]:
    """Load every queued submission, oldest first, into one staging copy of the warehouse, publish it, and record
    each outcome. Takes the writer's lock unless the caller holds it (`locked`: `dem etl run`). One bad
    submission never stops the others. Without an application database (no portal in use) there is nothing to do."""
    if not settings.paths.app_db.exists():
        return []
    with contextlib.nullcontext() if locked else exclusive_lock(settings.paths.warehouse), \
            appdb.opened(settings.paths.app_db) as con:
        appdb.requeue_stale(con)  # we hold the lock: whatever is 'loading' was left by a run that died
        claimed = appdb.claim_queued(con)
        if claimed is None:
            return []
        outcomes = []
        with writing(settings, cat, locked=True) as stage:
            appdb.bind_warehouse(con, warehouse_id(stage.con))  # its batch numbers are this warehouse's
            while claimed is not None:
                outcomes.append(_load(stage, con, claimed, cat, settings))
                claimed = appdb.claim_queued(con)
        for o in outcomes:  # only once the warehouse holding them is published
            appdb.finish_submission(con, o.submission_id, o.status, o.batch_id, o.report)
    return outcomes


def load_submission_now(submission_id: int, cat: Catalogue, settings: Settings) -> Outcome | None:
    """For [portal] load_at_once: load the queue now (this submission and any queued before it) and return this
    one's outcome. When another run holds the writer's lock, nothing is done and None is returned: the submission
    stays queued and the next run loads it. None also when it was not queued any more (a run took it)."""
    try:
        with exclusive_lock(settings.paths.warehouse):
            outcomes = load_queued(cat, settings, locked=True)
    except BusyError:
        return None
    return next((o for o in outcomes if o.submission_id == submission_id), None)


def _load(stage: Staging, con: sqlite3.Connection, sub: appdb.Submission, cat: Catalogue,
          settings: Settings) -> Outcome:
    path = settings.paths.submissions / Path(sub.stored_name).name  # a name the server made; never a path
    user = appdb.user_by_id(con, sub.user_id)
    if user is None or user.disabled:
        result = FileResult(path, REJECTED, counts={"rows": 0}, submitter=sub.username, problems=[
            P.make("account_disabled", path.name, None, "", "", detail=sub.username)])
    else:
        source = _read(path, settings)
        result = source if isinstance(source, FileResult) else load_guarded(
            stage, path, cat, settings, partial=False, source=source,
            submitter=Submitter.of(user.username, user.role, user.region))
    return Outcome(sub.id, sub.filename, sub.username, STATUS[result.status], result.batch_id,
                   report(result, sub.filename))


def _read(path: Path, settings: Settings) -> SourceFile | FileResult:
    """The stored original's bytes, never through a link. Too large: the submitter's file is rejected. Missing,
    unreadable or changing: the server's fault, not the submitter's — failed, and logged."""
    try:
        return SourceFile.open(path, settings.limits.max_file_bytes, follow_symlinks=False)
    except FileRejected as exc:
        if exc.problems[0].rule == "file_too_large":
            return FileResult(path, REJECTED, problems=exc.problems, counts={"rows": 0})
        log_internal_error(settings, f"stored submission {path}", exc)
        return FileResult(path, FAILED, problems=exc.problems, counts={"rows": 0})
