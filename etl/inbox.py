"""The scheduled job: process every file in the inbox, oldest first; archive accepted, quarantine rejected.

Order of work, chosen so that a crash at any point loses nothing: (1) take the lock, (2) load every file into a
staging copy and publish it, (3) only then move the originals — accepted ones to archive/<yyyy>/<mm>/,
rejected ones byte-identical to quarantine/ with <name>.errors.csv and <name>.report.json beside them.
If the process dies before (3), the files are still in the inbox and a rerun finds them "already loaded".
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from etl import problems as P
from etl.pipeline import REJECTED, FileResult, load_one, writing
from indicators.catalogue import Catalogue
from indicators.settings import Settings
from indicators.warehouse import exclusive_lock, utc_now

# .xls/.et are not readable, but taking them up puts them in quarantine with "save as .xlsx or CSV" beside them,
# instead of leaving them in the inbox unanswered.
SUBMISSION_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xls", ".et"}


@dataclass
class RunSummary:
    started_at: datetime
    finished_at: datetime | None = None
    results: list[FileResult] = field(default_factory=list)
    moved: dict[str, str] = field(default_factory=dict)  # original path → where it went
    log_path: Path | None = None

    @property
    def rejected(self) -> list[FileResult]:
        return [r for r in self.results if r.status == REJECTED]

    def as_dict(self) -> dict:
        return {"started_at": self.started_at.isoformat(), "finished_at": self.finished_at and self.finished_at.isoformat(),
                "files": [{**r.summary(), "moved_to": self.moved.get(str(r.path))} for r in self.results]}


def pending(inbox: Path) -> list[Path]:
    """Submission files in the inbox, oldest first (then by name); reports and hidden files are ignored."""
    files = [p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")
             and p.suffix.lower() in SUBMISSION_SUFFIXES] if inbox.exists() else []
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))


def _free_name(target: Path, sha256: str) -> Path:
    """Never overwrite an archived original: a different file of the same name gets a suffix. The very same bytes
    keep the name they were archived under (the caller then drops the re-delivered copy)."""
    if not target.exists() or hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
        return target
    return target.with_name(f"{target.stem}.{sha256[:12]}{target.suffix}")


def _archive(result: FileResult, archive: Path) -> Path:
    when = utc_now()
    folder = archive / f"{when:%Y}" / f"{when:%m}"
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder / result.path.name, result.sha256)
    if target.exists():  # the very same bytes were archived before (a re-delivered file)
        result.path.unlink()
        return target
    shutil.move(str(result.path), target)
    return target


def _quarantine(result: FileResult, quarantine: Path) -> Path:
    quarantine.mkdir(parents=True, exist_ok=True)
    target = _free_name(quarantine / result.path.name, result.sha256)
    if target.exists():
        result.path.unlink()
    else:
        shutil.move(str(result.path), target)
    errors = target.with_name(target.name + ".errors.csv")
    errors.write_text(P.to_csv(result.problems), encoding="utf-8-sig")
    report = target.with_name(target.name + ".report.json")
    report.write_text(P.to_json(result.summary(), result.problems), encoding="utf-8")
    return target


def run_inbox(cat: Catalogue, settings: Settings, inbox: Path, archive: Path, quarantine: Path) -> RunSummary:
    summary = RunSummary(started_at=utc_now())
    with exclusive_lock(settings.paths.warehouse):
        files = pending(inbox)
        if files:
            with writing(settings, cat, locked=True) as stage:
                summary.results = [load_one(stage, p, cat, settings, partial=False) for p in files]
            for result in summary.results:  # only after the new warehouse is published
                mover = _quarantine if result.status == REJECTED else _archive
                summary.moved[str(result.path)] = str(mover(result, quarantine if result.status == REJECTED else archive))
        summary.finished_at = utc_now()
        summary.log_path = _write_log(settings.paths.logs, summary)
    return summary


def _write_log(logs: Path, summary: RunSummary) -> Path:
    logs.mkdir(parents=True, exist_ok=True)
    path = logs / f"etl-run-{summary.started_at:%Y%m%dT%H%M%S%f}.json"
    path.write_text(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    with (logs / "etl-runs.log").open("a", encoding="utf-8") as f:
        counts = {s: sum(1 for r in summary.results if r.status == s) for s in ("loaded", "partial", "duplicate", REJECTED)}
        f.write(f"{summary.started_at.isoformat()}Z files={len(summary.results)} "
                + " ".join(f"{k}={v}" for k, v in counts.items()) + f" log={path.name}\n")
    return path
