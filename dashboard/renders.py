"""PDF bulletins rendered for the dashboard: one render at a time on the whole server, a visible queue, one file
per identical request, old files removed.

Every gunicorn worker and every background-job process of one warehouse shares a directory (RenderQueue.root):

    render.lock                      flock: held by the one process that renders (Chromium) right now
    queue/<time>-<pid>-<nonce>.ticket one per waiting or rendering job, flock-ed by its owner while it lives
    w<inode>-<mtime_ns>/监测分析报告_150100_2024.pdf   finished files, one folder per published warehouse
    w<inode>-<mtime_ns>/monitoring_bulletin_150100_2024.pdf   … the English edition beside the Chinese one

A job takes a ticket; its position is the number of live tickets before it (a ticket whose owner died — a job
killed when the user left the page — has no lock and is removed by whoever sees it, so nobody waits for it).
The first in line takes render.lock and renders; the others poll. Identical requests (same warehouse identity,
region, year and language — each edition has its own file name) share one file: a job whose file appears while it
waits is done.
Cleanup runs whenever a job starts and before every render: files older than keep_hours, folders of
warehouses no longer published and half-written files go.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO


@dataclass(frozen=True)
class RenderRequest:
    identity: tuple[int, int]  # (inode, mtime_ns) of the published warehouse the bulletin is read from
    region: str
    year: int
    lang: str = "zh"  # the edition: the Chinese bulletin, or the English one

    @property
    def folder(self) -> str:
        return f"w{self.identity[0]}-{self.identity[1]}"


Render = Callable[[RenderRequest, Path], None]  # writes the bulletin of the request to the given path
DRAFT_SECONDS = 60  # a ticket being created is locked within microseconds; older unlocked drafts are dead
POLL_SECONDS = 0.5  # how often a waiting job looks at the queue again


def _try_lock(path: Path, mode: int = fcntl.LOCK_EX, create: bool = True) -> IO | None:
    """An open handle holding a non-blocking flock on path, or None when someone else holds it.
    Without `create`, a missing file raises FileNotFoundError (a probe never recreates a ticket)."""
    handle = open(path, "a+" if create else "r")  # noqa: SIM115 — the handle is the lock; the caller closes it
    try:
        fcntl.flock(handle, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


class RenderQueue:
    def __init__(self, root: Path, keep_hours: float, render: Render):
        self.root, self.keep_seconds, self.render = Path(root), keep_hours * 3600, render
        (self.root / "queue").mkdir(parents=True, exist_ok=True)

    def path(self, request: RenderRequest, name: str) -> Path:
        return self.root / request.folder / name

    def produce(self, request: RenderRequest, name: str, progress: Callable[[int], None] = lambda ahead: None) -> Path:
        """The bulletin of `request` as a file named `name`: the cached one, or rendered when this job's turn
        comes. `progress(n)` is told how many jobs are ahead (0: rendering now) every time it is polled."""
        self.clean(request.identity)
        target = self.path(request, name)
        if target.exists():
            return target
        with self._ticket() as ticket:
            while True:
                if target.exists():  # an identical request ahead of us rendered it
                    return target
                ahead = self._ahead(ticket)
                progress(ahead)
                if ahead == 0 and self._render_if_free(request, target):
                    return target
                time.sleep(POLL_SECONDS)

    # ── the queue ──

    @contextlib.contextmanager
    def _ticket(self) -> Iterator[str]:
        """A ticket in line, locked by this job while it lives; visible only once locked (renamed into place)."""
        queue = self.root / "queue"
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}.ticket"
        draft = queue / (name + ".new")
        handle = _try_lock(draft)
        assert handle is not None  # nobody else knows this file yet
        os.replace(draft, queue / name)
        try:
            yield name
        finally:
            with contextlib.suppress(FileNotFoundError):
                (queue / name).unlink()
            handle.close()

    def _ahead(self, mine: str) -> int:
        """Live tickets before `mine`; dead ones (their owner is gone, so is its lock) are removed."""
        ahead = 0
        for ticket in sorted(p for p in (self.root / "queue").glob("*.ticket") if p.name < mine):
            if self._alive(ticket):
                ahead += 1
        return ahead

    @staticmethod
    def _alive(ticket: Path) -> bool:
        try:
            probe = _try_lock(ticket, fcntl.LOCK_SH, create=False)
        except FileNotFoundError:
            return False
        if probe is None:
            return True
        with contextlib.suppress(FileNotFoundError):
            ticket.unlink()
        probe.close()
        return False

    def _render_if_free(self, request: RenderRequest, target: Path) -> bool:
        """Render under render.lock unless another process holds it (then False: wait and poll again)."""
        lock = _try_lock(self.root / "render.lock")
        if lock is None:
            return False
        try:
            self._clean_under_lock(request.identity)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
                try:
                    self.render(request, partial)
                    os.replace(partial, target)
                finally:
                    partial.unlink(missing_ok=True)
        finally:
            lock.close()
        return True

    # ── cleanup ──

    def clean(self, current: tuple[int, int]) -> None:
        """When a job starts: the full cleanup if no render is running, else only files past their time (the
        running render cleans the rest before it starts the next one)."""
        queue = self.root / "queue"
        for ticket in queue.glob("*.ticket"):
            self._alive(ticket)
        for draft in queue.glob("*.ticket.new"):  # a job killed between creating its ticket and locking it;
            with contextlib.suppress(FileNotFoundError):  # a young draft is a job doing just that now
                if draft.stat().st_mtime < time.time() - DRAFT_SECONDS:
                    self._alive(draft)
        lock = _try_lock(self.root / "render.lock")
        if lock is None:
            self._remove_old()
            return
        try:
            self._clean_under_lock(current)
        finally:
            lock.close()

    def _clean_under_lock(self, current: tuple[int, int]) -> None:
        """Folders of warehouses no longer published and half-written files (no render runs while the lock is
        held, so every partial file is a dead render's), then files older than keep_hours."""
        keep = RenderRequest(current, "", 0).folder
        for folder in self.root.glob("w*"):
            if folder.name != keep:
                shutil.rmtree(folder, ignore_errors=True)
        for partial in self.root.glob("w*/*.partial-*"):
            partial.unlink(missing_ok=True)
        self._remove_old()

    def _remove_old(self) -> None:
        deadline = time.time() - self.keep_seconds
        for pdf in self.root.glob("w*/*.pdf"):
            with contextlib.suppress(FileNotFoundError):
                if pdf.stat().st_mtime < deadline:
                    pdf.unlink()
