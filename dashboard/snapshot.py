"""The published warehouse as the dashboard reads it: snapshots of the file, one serving the requests and, right
after a publish, a newer one whose common views are being built.

`dem etl` publishes by renaming a new file over the old one. A Snapshot keeps reading the file it opened (a file
renamed over stays readable while it is open), so the dashboard can go on answering from the previous warehouse,
whose views are cached, while the warmer builds the new one's, and switch when they are ready: the hand-over
(Snapshots.handover, on when a warmer runs). Without a warmer the newest file is served at once. Either way the
requests after a publish notice it by the file's identity (inode, mtime), one stat per request.

A snapshot (indicators.storage.warehouse.Snapshot) is closed when it has been replaced and the last request reading
it is done, never under a running query.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from indicators.storage.warehouse import Snapshot, file_identity

HANDOVER_SECONDS = 20.0  # the longest the previous file is served once a newer one was seen (a stuck warmer)


class Snapshots:
    """The snapshot serving the requests and, after a publish, the newest one; which one a thread reads."""

    def __init__(self, path: Path):
        self.path = path
        self.handover = False  # keep serving the previous file until the warmer promotes the new one
        self.noticed = threading.Event()  # set when a file newer than the one served is seen (wakes the warmer)
        self.serving: Snapshot | None = None
        self._newest: Snapshot | None = None  # opened, its views being built, not serving yet
        self._newer_since: float | None = None
        self._lock = threading.Lock()
        self._local = threading.local()

    def published(self) -> tuple[int, int]:
        """The identity of the file published now (a stat); DataError when there is none."""
        return file_identity(self.path)

    @contextlib.contextmanager
    def reading(self, latest: bool = False) -> Iterator[Snapshot]:
        """The snapshot this thread reads, held until the block ends: the one already held by this thread (a view
        reading several engine results reads them from one file), else the serving one — or with `latest` the
        file published now, opened if need be (the health check and the warmer)."""
        held = getattr(self._local, "snapshot", None)
        if held is not None and not latest:
            yield held
            return
        with self._lock:
            snapshot = self._latest() if latest else self._current()
            snapshot.acquire()
        self._local.snapshot = snapshot
        try:
            yield snapshot
        finally:
            self._local.snapshot = held
            snapshot.release()

    def _current(self) -> Snapshot:
        published = self.published()
        serving = self.serving
        if serving is not None and serving.identity == published:
            return serving
        if serving is not None and self.handover:
            now = time.monotonic()
            if self._newer_since is None:
                self._newer_since = now
                self.noticed.set()
            if now - self._newer_since < HANDOVER_SECONDS:
                return serving
        return self._serve(self._latest())

    def _latest(self) -> Snapshot:
        published = self.published()
        for snapshot in (self.serving, self._newest):
            if snapshot is not None and snapshot.identity == published:
                return snapshot
        if self._newest is not None:
            self._newest.retire()
        self._newest = Snapshot(self.path)
        return self._newest

    def _serve(self, snapshot: Snapshot) -> Snapshot:
        previous, self.serving, self._newer_since = self.serving, snapshot, None
        if self._newest is snapshot:
            self._newest = None
        if previous is not None and previous is not snapshot:
            previous.retire()
        return snapshot

    def promote(self, snapshot: Snapshot) -> None:
        """The warmer has built the first views of `snapshot`: serve it from now on."""
        with self._lock:
            if snapshot is self._newest or snapshot is self.serving:
                self._serve(snapshot)

    def close(self) -> None:
        with self._lock:
            for snapshot in (self.serving, self._newest):
                if snapshot is not None:
                    snapshot.retire()
            self.serving = self._newest = None
