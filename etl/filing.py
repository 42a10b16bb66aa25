"""Filing originals after a run: the exact bytes that were loaded go to the archive, rejected ones with their
reports to quarantine. Every file is written to a temporary name, synced and renamed into place, readable by
its owner only; an inbox original is removed only if it is still the file that was read.

Names stay within the file system's limit (255 bytes): `<name>.errors.csv` for a 246-character name does not
fit, so a long name is shortened and made unique with the start of the file's hash (the report says the
original name).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from etl.source import Identity
from indicators.storage.warehouse import fsync_path

TEMP_PREFIX = ".dem-tmp-"  # a file of this name in archive/ or quarantine/ was left by a killed run
FILE_MODE, DIR_MODE = 0o600, 0o700


def folder(path: Path) -> Path:
    """Create a folder (and its parents) readable by the owner only, if it does not exist."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return path


def name_limit(directory: Path) -> int:
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def fitted(name: str, suffix: str, sha256: str, limit: int = 255) -> str:
    """name + suffix if it fits in `limit` bytes; otherwise the start of the name, '…', the first 12 hex digits
    of the file's hash and the name's own extension, then the suffix."""
    if len((name + suffix).encode()) <= limit:
        return name + suffix
    stem, dot, extension = name.rpartition(".")
    extension = dot + extension if dot and len(extension) <= 8 else ""
    tail = f"…{sha256[:12]}{extension}{suffix}"
    room = limit - len(tail.encode())
    start = (stem if extension else name).encode()[:max(room, 0)].decode("utf-8", "ignore")
    return start + tail


def put(target: Path, data: bytes) -> Path:
    """Write `data` as `target` atomically: a reader (or a crash) sees the old state or the whole new file."""
    temp = target.with_name(f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    fsync_path(target.parent)
    return target


def same_bytes(target: Path, sha256: str) -> bool:
    import hashlib

    try:
        return hashlib.sha256(target.read_bytes()).hexdigest() == sha256
    except OSError:
        return False


def free_name(directory: Path, name: str, sha256: str) -> Path:
    """Never overwrite a filed original: a different file of the same name gets the start of its hash in the
    name. The very same bytes keep the name they were filed under (the caller then has nothing to write)."""
    limit = name_limit(directory)
    target = directory / fitted(name, "", sha256, limit)
    if not target.exists() or same_bytes(target, sha256):
        return target
    stem, dot, extension = name.rpartition(".")
    other = f"{stem}.{sha256[:12]}{dot}{extension}" if dot else f"{name}.{sha256[:12]}"
    return directory / fitted(other, "", sha256, limit)


def remove_original(path: Path, identity: Identity | None) -> bool:
    """Unlink the inbox file if it is still the one that was read (same inode, size and time); a file that was
    replaced or written to since stays for the next run. Returns whether it was removed."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return True
    if identity is not None and Identity.of(st) != identity:
        return False
    path.unlink()
    fsync_path(path.parent)
    return True


def leftovers(*folders: Path) -> list[Path]:
    """Temporary files a killed run left in these folders (and their subfolders)."""
    found = []
    for base in folders:
        if base.is_dir():
            found += [p for p in base.rglob(f"{TEMP_PREFIX}*") if p.is_file() and not p.is_symlink()]
    return found
