"""Logging, configured once per process from settings [logging], and the system's own log files kept bounded.

Every logger of the project sits below `dem` (dem.etl, dem.dashboard, dem.portal, dem.api …). `configure` puts one
handler on the root logger, writing to standard error (the journal under systemd) as text —
`2026-11-30T13:00:00Z WARNING dem.etl run finished: files=3 loaded=2 rejected=1` — or one JSON object per line
(`{"time": "2026-11-30T13:00:00Z", "level": "WARNING", "logger": "dem.etl", "message": …}`); the `dem` loggers log
from the configured level up, other libraries from warning up. Configuring again replaces that handler, never adds
a second. gunicorn's error and access logs take the same formatter (dashboard/server.py).

The files under [paths] logs are either one per run (`prune` keeps the newest N) or appended to (`append` rotates
them by size: name → name.1 → … → name.<backups>, like logging.handlers.RotatingFileHandler, mode 0600 kept).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from indicators.base.settings import Logging

ROOT = "dem"
_MARK = "_dem_handler"  # the attribute that tells our handler on the root logger from anyone else's
FILE_MODE, DIR_MODE = 0o600, 0o700  # tracebacks and run logs name files and values: for the service user only


def stamp(created: float) -> str:
    """A record's time, UTC, ISO 8601 to the second: 1796043600.4 → '2026-11-30T13:00:00Z'."""
    return datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TextFormatter(logging.Formatter):
    """`2026-11-30T13:00:00Z WARNING dem.etl message`, a traceback (if any) on the lines below."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{stamp(record.created)} {record.levelname} {record.name} {record.getMessage()}"
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        return f"{line}\n{record.exc_text}" if record.exc_text else line


class JsonFormatter(logging.Formatter):
    """One JSON object per record and line: time, level, logger, message, process, the record's `fields` (passed as
    `extra={"fields": {...}}`, e.g. an access log line's status and path) and the traceback as `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": stamp(record.created), "level": record.levelname, "logger": record.name,
                 "message": record.getMessage(), "process": record.process}
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter()


class _Stderr(logging.StreamHandler):
    """Writes to sys.stderr as it is at each record (a redirected or captured stream), never to one since closed."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):  # the stream of the moment, as logging's own last-resort handler does
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(config: Logging) -> logging.Handler:
    """Log to standard error in the configured format: the `dem` loggers from `config.level`, every other logger
    from warning (or the level, if higher). Called by the `dem` command and by each dashboard worker; idempotent."""
    level = logging.getLevelNamesMapping()[config.level.upper()]
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
    handler = _Stderr()
    setattr(handler, _MARK, True)
    handler.setFormatter(formatter(config.format))
    root.addHandler(handler)
    root.setLevel(max(level, logging.WARNING))
    logging.getLogger(ROOT).setLevel(level)
    return handler


def active_formatter() -> logging.Formatter:
    """The formatter `configure` installed in this process (text when it was not called)."""
    mine = [h for h in logging.getLogger().handlers if getattr(h, _MARK, False)]
    return mine[-1].formatter if mine and mine[-1].formatter else TextFormatter()


def append(path: Path, text: str, config: Logging) -> Path:
    """Append `text` to a log file, first rotating the file when the text would take it beyond `max_bytes`:
    etl-errors.log → etl-errors.log.1 → … → etl-errors.log.<backups>, the oldest dropped. So a file that grows with
    every internal error or run stays within (backups + 1) × max_bytes, a single longer text aside."""
    data = text.encode("utf-8")
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        size = path.stat().st_size
        if size and size + len(data) > config.max_bytes:
            _rotate(path, config.backups)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    with os.fdopen(fd, "ab") as f:
        f.write(data)
    return path


def _rotate(path: Path, backups: int) -> None:
    for n in range(backups - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            os.replace(older, path.with_name(f"{path.name}.{n + 1}"))
    os.replace(path, path.with_name(f"{path.name}.1"))


def prune(folder: Path, pattern: str, keep: int) -> list[Path]:
    """Delete all but the newest `keep` files matching `pattern`, oldest first; returns those deleted. The names
    sort by time: etl-run-20261130T130000123456.json is newer than etl-run-20261129T013000000000.json."""
    found = sorted(p for p in folder.glob(pattern) if p.is_file() and not p.is_symlink())
    doomed = found[:max(0, len(found) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
