"""Where an upload is kept: read within the size limit, hashed, written atomically under a name the server makes
(`<random>-<sha256[:12]><suffix>`), byte-identical. The client's file name is display text only — `../../x.csv`
or `a\\nb.csv` never becomes part of a path.

An upload lives in `<paths.submissions>/pending/` with a JSON note (who, which unit and period, the check report)
until its submitter submits it; then it moves beside the other originals, the name it is queued under. Pending
uploads nobody submitted are removed after PENDING_HOURS.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from indicators.base.errors import DataError, StorageError

CHUNK = 1 << 16
PENDING = "pending"
PENDING_HOURS = 24
MAX_NAME_CHARS = 255  # a displayed file name is cut here
TOKEN = re.compile(r"[0-9a-f]{32}")
SUFFIX = re.compile(r"\.[a-z0-9]{1,8}")
ACCEPTED = (".csv", ".tsv", ".txt", ".xlsx")  # what the ETL reads; other suffixes are kept so that its message
# names them (".xls" → "save as .xlsx")


class UploadTooLarge(DataError):
    """More bytes than settings.portal.max_upload_bytes: answered with HTTP 413."""

    def __init__(self, limit: int):
        super().__init__(f"文件超过上传上限 {limit:,} 字节（设置 [portal] max_upload_bytes），未保存；请拆分为多个文件报送",
                         f"the file exceeds the upload limit of {limit:,} bytes ([portal] max_upload_bytes) and was not "
                         "stored; split it into several files")
        self.limit = limit


@dataclass(frozen=True)
class Stored:
    token: str  # random, 128 bits: names the upload in the pending folder and in the page
    name: str  # the file's name on disk, made here
    filename: str  # the client's name, for display only
    sha256: str
    size: int


def display_name(filename: object) -> str:
    """The client's file name as text to show: control characters as '?', at most MAX_NAME_CHARS characters.
    display_name("a\\nb.csv") → "a?b.csv"; display_name("../../x.csv") → "../../x.csv" (shown, never a path)."""
    text = "".join(c if c.isprintable() else "?" for c in str(filename or ""))
    return text[:MAX_NAME_CHARS] or "upload"


def suffix_of(filename: str) -> str:
    """The lowercased suffix of the client's name when it is a plain one ('.csv'), else ''."""
    suffix = os.path.splitext(filename.replace("\\", "/").rsplit("/", 1)[-1])[1].lower()
    return suffix if SUFFIX.fullmatch(suffix) else ""


def pending_dir(root: Path) -> Path:
    return root / PENDING


def save(chunks: Iterable[bytes] | BinaryIO | bytes, filename: str, root: Path, limit: int) -> Stored:
    """Write the upload to the pending folder under a server-made name: streamed through a private temporary
    file (never more than `limit` bytes: UploadTooLarge), fsynced, then renamed into place."""
    folder = pending_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale(folder)
    token, shown = secrets.token_hex(16), display_name(filename)
    part = folder / f".{token}.part"
    digest, size = hashlib.sha256(), 0
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in _chunks(chunks):
                size += len(chunk)
                if size > limit:
                    raise UploadTooLarge(limit)
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        name = f"{token}-{sha[:12]}{suffix_of(str(filename or ''))}"
        os.replace(part, folder / name)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            part.unlink()
        if isinstance(exc, OSError):
            raise StorageError(f"上传的文件无法保存：{exc.strerror}", f"the upload could not be stored: {exc.strerror}") \
                from exc
        raise
    return Stored(token, name, shown, sha, size)


def _chunks(source: Iterable[bytes] | BinaryIO | bytes) -> Iterable[bytes]:
    if isinstance(source, bytes | bytearray):
        for start in range(0, len(source), CHUNK):
            yield bytes(source[start:start + CHUNK])
    elif hasattr(source, "read"):
        while chunk := source.read(CHUNK):
            yield chunk
    else:
        yield from source


def pending_path(root: Path, stored: Stored) -> Path:
    return pending_dir(root) / stored.name


def write_note(root: Path, stored: Stored, note: dict) -> None:
    """The upload's note (its submitter, unit, period and check report), written atomically beside it."""
    path = pending_dir(root) / f"{stored.token}.json"
    tmp = path.with_suffix(".json.part")
    tmp.write_text(json.dumps({"stored": asdict(stored), **note}, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def read_note(root: Path, token: object) -> tuple[Stored, dict] | None:
    """The pending upload named by `token` and its note; None for a malformed, unknown or submitted token."""
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        return None
    try:
        note = json.loads((pending_dir(root) / f"{token}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    stored = Stored(**note.pop("stored"))
    return (stored, note) if pending_path(root, stored).is_file() else None


def promote(root: Path, stored: Stored) -> str:
    """Move a pending upload beside the queued originals (same name); its note is removed. Returns the name."""
    os.replace(pending_path(root, stored), root / stored.name)
    with contextlib.suppress(OSError):
        (pending_dir(root) / f"{stored.token}.json").unlink()
    return stored.name


def discard(root: Path, stored: Stored) -> None:
    """Remove a pending upload and its note (an API upload rejected at check is not kept)."""
    for path in (pending_path(root, stored), pending_dir(root) / f"{stored.token}.json"):
        with contextlib.suppress(OSError):
            path.unlink()


def _remove_stale(folder: Path) -> None:
    """Pending uploads older than PENDING_HOURS were never submitted: removed."""
    cutoff = time.time() - PENDING_HOURS * 3600
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
