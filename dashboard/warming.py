"""Warming: after each publish, build the views people open first, hand the new warehouse over to the requests,
then build the other common views — so that the first visitors after a load are answered from the cache.

Order: what a first visitor of each page opens (the landing page first, then the navigation's order; the latest
year, Chinese), registered by the pages as `first`; then the hand-over (dashboard/snapshot.py: until now the
previous warehouse, whose views are cached, answered the requests); then the pages' `rest` in turns, one view of
each page at a time, each page's list most likely first (the latest year first; every year, both languages,
every league). A publish is noticed at the next request (a stat) or within POLL_SECONDS; a newer publish while
warming starts over with it. The requests share the interpreter (its lock) with the warmer, so before each view
and each engine call it makes, the warmer lets the requests being answered finish first (pause()).
"""

from __future__ import annotations

import atexit
import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

import duckdb

from dashboard.cache import ViewCache
from dashboard.snapshot import Snapshots
from indicators.base.errors import DataError

Tasks = Callable[[], list[Callable[[], Any]]]
YIELD_SECONDS = 0.25  # the longest the warmer waits for a gap between requests at one pause
POLL_SECONDS = 2.0  # how often the warmer looks for a new file when no request has seen one
LOG = logging.getLogger("dem.dashboard")


@dataclass(frozen=True)
class WarmSet:
    first: Tasks  # the views a first visitor of the page opens
    rest: Tasks  # the page's other common views


_registry: list[WarmSet] = []  # code, not state: filled once when the page modules are imported, like Dash's pages


def warm_with(first: Tasks, rest: Tasks = lambda: []) -> None:
    """Register a page's common views: functions returning zero-argument calls of its memoised builders."""
    _registry.append(WarmSet(first, rest))


class InFlight:
    """How many requests the process is answering now (counted by the app around each request)."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self._count += 1

    def leave(self) -> None:
        with self._lock:
            self._count -= 1

    def __bool__(self) -> bool:
        return self._count > 0


class Warmer:
    """A daemon thread per process that warms every newly published warehouse (start()); warm_once() does it
    now, on the calling thread."""

    def __init__(self, snapshots: Snapshots, views: ViewCache, available: Callable[[], bool], requests: InFlight):
        self.snapshots, self.views, self.available, self.requests = snapshots, views, available, requests
        self.warmed: tuple[int, int] | None = None  # the warehouse whose common views are all in the cache
        self.failed: tuple[int, int] | None = None  # the one whose list of views could not be read (reported)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def warm(self) -> bool:
        """True when the published warehouse is the one served and all its common views are cached."""
        try:
            published = self.snapshots.published()
        except DataError:
            return False
        serving = self.snapshots.serving
        return self.warmed == published and serving is not None and serving.identity == published

    def start(self) -> None:
        """From now on keep serving the previous warehouse until the new one's first views are built."""
        if self._thread is not None:
            return
        self.snapshots.handover = True
        self._thread = threading.Thread(target=self._loop, name="dem-warm", daemon=True)
        self._thread.start()
        atexit.register(self.stop)

    def stop(self) -> None:
        """Let the thread finish the view it is building: a thread still inside DuckDB when the interpreter shuts
        down aborts the process (SIGABRT, 'FATAL: exception not rethrown')."""
        self._stop.set()
        self.snapshots.noticed.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=15)

    def pause(self) -> None:
        """On the warmer's thread: wait (at most YIELD_SECONDS) until no request is being answered. Elsewhere a
        no-op. Called before each view and each engine call the warmer makes."""
        if threading.current_thread() is not self._thread:
            return
        deadline = time.monotonic() + YIELD_SECONDS
        while self.requests and time.monotonic() < deadline and not self._stop.is_set():
            time.sleep(0.002)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.available() and not self.warm():
                    self.warm_once()
            except (DataError, duckdb.Error):
                pass  # the warehouse went away or broke meanwhile: health() says so on the next round
            self.snapshots.noticed.wait(POLL_SECONDS)
            self.snapshots.noticed.clear()

    def warm_once(self) -> None:
        """Build the common views of the file published now, handing it over once the first ones are built."""
        with self.snapshots.reading(latest=True) as snapshot:
            target = snapshot.identity
            try:  # the lists themselves read the warehouse (its years): tried again, reported once
                first = [task for views in list(_registry) for task in views.first()]
                rest = [task for turn in zip_longest(*(views.rest() for views in list(_registry)))
                        for task in turn if task is not None]
            except Exception as exc:
                if self.failed != target:
                    LOG.warning("warming failed: %s", (str(exc).splitlines() or [type(exc).__name__])[0][:200])
                self.failed = target
                return
            if not all(self._build(task, target) for task in first):
                return
            self.snapshots.promote(snapshot)
            self.views.drop_others(target)
            if not all(self._build(task, target) for task in rest):
                return
            self.warmed = target
        # The cache now holds many long-lived objects; move them out of the collector's generations so that a full
        # collection during a request does not scan them all (such pauses were the slowest responses).
        gc.collect()
        gc.freeze()

    def _build(self, task: Callable[[], Any], target: tuple[int, int]) -> bool:
        """Build one view; False when warming should stop: the process is exiting or a newer file is published."""
        self.pause()
        try:
            if self._stop.is_set() or self.snapshots.published() != target:
                return False
        except DataError:
            return False
        try:
            task()
        except Exception as exc:  # a view that fails is reported when someone opens it, not here
            LOG.warning("warming %s failed: %s", getattr(task, "__qualname__", task), exc)
        return True
