"""A submission before interpretation: the exact bytes that were read (SourceFile) and their cells (Sheet).

The bytes are read once, through one file descriptor, and everything after works on them: the hash that
identifies the batch, the parse, and the copy that is archived are all of the same bytes. A file that is not a
regular file, is larger than the limit, or changes while it is read is refused before anything is parsed.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from etl import problems as P
from etl.problems import FileRejected


@dataclass(frozen=True)
class Identity:
    """What a file was when it was read: a later stat that differs means it was changed or replaced."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    uid: int = -1

    @classmethod
    def of(cls, st: os.stat_result) -> Identity:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_uid)


@dataclass(frozen=True)
class SourceFile:
    path: Path
    data: bytes
    sha256: str
    modified: datetime  # UTC
    identity: Identity | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def size(self) -> int:
        return len(self.data)

    @classmethod
    def open(cls, path: Path, max_bytes: int | None = None, follow_symlinks: bool = True) -> SourceFile:
        """Read the file's bytes through one descriptor. Refused (FileRejected): not a regular file (a FIFO or a
        device would block or never end), a symbolic link when follow_symlinks is False, larger than max_bytes
        (checked before reading), or changed while it was read."""
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        if not follow_symlinks:
            flags |= os.O_NOFOLLOW
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise FileRejected([P.make("not_a_file", path.name, None, "", "", detail="符号链接",
                                           detail_en="a symbolic link")]) from None
            raise _unreadable(path, exc) from None
        try:
            before = os.fstat(fd)
            if not stat.S_ISREG(before.st_mode):
                raise FileRejected([P.make("not_a_file", path.name, None, "", "", detail=_kind(before.st_mode),
                                           detail_en=_kind(before.st_mode, "en"))])
            if max_bytes is not None and before.st_size > max_bytes:
                raise FileRejected([P.make("file_too_large", path.name, None, "", "", detail=f"{before.st_size:,}",
                                           limit=f"{max_bytes:,}")])
            data = _read_all(fd, before.st_size, path)
            after = os.fstat(fd)
        finally:
            os.close(fd)
        if Identity.of(before) != Identity.of(after) or len(data) != before.st_size:
            raise FileRejected([P.make("file_changed", path.name, None, "", "")])
        modified = datetime.fromtimestamp(before.st_mtime, UTC).replace(tzinfo=None)
        return cls(path, data, hashlib.sha256(data).hexdigest(), modified, Identity.of(before))


def _read_all(fd: int, size: int, path: Path) -> bytes:
    """Exactly `size` bytes, or what there is if the file shrank (the caller compares the two)."""
    try:
        data = os.read(fd, size) if size else b""  # one read into one buffer: no joined copy of a large file
        while len(data) < size:  # (a short read: rare for a regular file)
            chunk = os.read(fd, size - len(data))
            if not chunk:
                break
            data += chunk
        if os.read(fd, 1):  # it grew while we read: still being written
            data += b"\0"
    except OSError as exc:
        raise _unreadable(path, exc) from None
    return data


def _unreadable(path: Path, exc: OSError) -> FileRejected:
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return FileRejected([P.make("file_unreadable", path.name, None, "", "", detail=reason)])


def _kind(mode: int, lang: str = "zh") -> str:
    kinds = ((stat.S_ISDIR, "目录", "a directory"), (stat.S_ISFIFO, "命名管道", "a named pipe"),
             (stat.S_ISSOCK, "套接字", "a socket"), (stat.S_ISCHR, "字符设备", "a character device"),
             (stat.S_ISBLK, "块设备", "a block device"), (stat.S_ISLNK, "符号链接", "a symbolic link"))
    for test, zh, en in kinds:
        if test(mode):
            return zh if lang == "zh" else en
    return "特殊文件" if lang == "zh" else "a special file"


@dataclass
class Sheet:
    """All cells as text. `cells` has columns 0..n-1 and the physical line (CSV) or row (XLSX) as index.

    `lines` is the number of physical lines (rows of a sheet); `spans` lists the cells that hold line breaks as
    (line where the cell starts, lines it spans), the reason a file has fewer records than lines. `deferred` are
    problems found while reading that are reported once the header is known (so they can name their column):
    (problem, column position)."""

    file_format: str  # csv | tsv | xlsx
    encoding: str | None
    cells: pd.DataFrame
    lines: int = 0
    spans: list[tuple[int, int]] | None = None
    deferred: list[tuple[P.Problem, int | None]] | None = None
    control_bytes: bool = True  # False: the reader saw no control character anywhere (no per-cell search needed)

    @property
    def records(self) -> int:
        return len(self.cells)
