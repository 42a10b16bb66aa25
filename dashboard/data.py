"""The dashboard's only way to the warehouse: one ReaderCache per process and a small LRU of engine results.

Opening a read-only DuckDB connection costs ~28 ms, so the connection is kept while the published file stays
the same and reopened when `dem etl` renames a new file into place (a new inode). Engine results are cached
keyed on that identity (inode, mtime): a new warehouse is a new key, so the next request sees the new data
without a restart and stale entries simply age out of the LRU. Cached frames are shared: treat them as
read-only (figure builders copy before they change anything).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from indicators import audit, composite, query
from indicators import progress as progress_mod
from indicators import quality as quality_mod
from indicators.catalogue import Catalogue, default_catalogue
from indicators.errors import DataError
from indicators.settings import Settings, load_settings
from indicators.warehouse import ReaderCache, first_row

LRU_SIZE = 640  # the warm set (every year of the common views and the data under them) is ~280 entries


class _State:
    """What configure() sets: the settings and the process's reader (created lazily, never at import)."""

    settings: Settings | None = None
    readers: ReaderCache | None = None
    lock = threading.Lock()
    lru: OrderedDict = OrderedDict()


def configure(settings: Settings | None = None, db: Path | None = None) -> Settings:
    """Point the dashboard at a warehouse (called by create_app; tests call it with their own file)."""
    settings = settings or load_settings()
    if db is not None:
        settings = settings.with_overrides(paths_warehouse=db)
    if _State.readers is not None:
        _State.readers.close()
    _State.settings, _State.readers = settings, ReaderCache(settings.paths.warehouse)
    with _State.lock:
        _State.lru.clear()
    return settings


def settings() -> Settings:
    return _State.settings or configure()


def readers() -> ReaderCache:
    if _State.readers is None:
        configure()
    return _State.readers


def catalogue() -> Catalogue:
    return default_catalogue()


def identity() -> tuple[int, int]:
    return readers().identity()


def cached(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run fn(con, *args) on a cursor of the current warehouse, memoised on (warehouse identity, fn, args).
    Arguments must be hashable (tuples, not lists)."""

    def wrapper(*args: Any) -> Any:
        before = identity()
        key = (before, fn.__name__, args)
        with _State.lock:
            if key in _State.lru:
                _State.lru.move_to_end(key)
                return _State.lru[key]
        with readers().cursor() as con:
            result = fn(con, *args)
        if identity() == before:  # a publish in between: don't file the result under the old identity
            with _State.lock:
                _State.lru[key] = result
                while len(_State.lru) > LRU_SIZE:
                    _State.lru.popitem(last=False)
        return result

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def memo(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Memoise a view builder (figures, tables) on (warehouse identity, fn, args): a page seen before is answered
    without rebuilding; a newly published warehouse is a new key. Arguments must be hashable."""

    def wrapper(*args: Any) -> Any:
        key = (identity(), "view:" + fn.__module__ + fn.__name__, args)
        with _State.lock:
            if key in _State.lru:
                _State.lru.move_to_end(key)
                return _State.lru[key]
        result = fn(*args)
        with _State.lock:
            _State.lru[key] = result
            while len(_State.lru) > LRU_SIZE:
                _State.lru.popitem(last=False)
        return result

    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper


# ── warming: compute the common views in the background after each publish ──────────────────────────

_warmers: list[Callable[[], list[Callable[[], Any]]]] = []


def warm_with(tasks: Callable[[], list[Callable[[], Any]]]) -> None:
    """Register a page's common views (a function returning zero-argument calls of its memoised builders)."""
    _warmers.append(tasks)


class _Warmth:
    identity: tuple[int, int] | None = None  # the warehouse whose common views are in the cache
    thread: threading.Thread | None = None


def warm() -> bool:
    """True when the common views of the current warehouse are cached."""
    try:
        return _Warmth.identity == identity()
    except DataError:
        return False


def _warm_once() -> None:
    target = identity()
    for tasks in list(_warmers):
        for task in tasks():
            if identity() != target:
                return  # a newer publish: start over with it
            try:
                task()
            except Exception as exc:  # a view that fails is reported when someone opens it, not here
                logging.getLogger("dem.dashboard").warning("warming %s failed: %s", task, exc)
    _Warmth.identity = target
    # The cache now holds many long-lived objects; move them out of the collector's generations so that a full
    # collection during a request does not scan them all (such pauses were the slowest responses).
    gc.collect()
    gc.freeze()


def start_warming(poll_seconds: float = 2.0) -> None:
    """A daemon thread per process: whenever a new warehouse is published, build the views people open first
    (every year of the overview, the index, the map and the league profiles), so that the first
    request after a load is answered from the cache. It only reads, through the same read-only connection."""
    if _Warmth.thread is not None:
        return

    def loop() -> None:
        while True:
            try:
                if not warm():
                    _warm_once()
            except DataError:
                pass  # no warehouse yet
            time.sleep(poll_seconds)

    _Warmth.thread = threading.Thread(target=loop, name="dem-warm", daemon=True)
    _Warmth.thread.start()


def available() -> bool:
    """True when the published warehouse exists (pages show a hint instead of failing when it does not)."""
    try:
        identity()
    except DataError:
        return False
    return True


# ── engine calls (all cached) ─────────────────────────────────────────────────────────────────────────

@cached
def values(con, indicators: tuple = (), regions: tuple = (), periods: tuple = (), level: str | None = None,
           frequency: str | None = "annual", years: tuple[int, int] | None = None) -> pd.DataFrame:
    return query.values(con, indicators, regions, periods, level, frequency, years)


@cached
def labelled(con, indicators: tuple = (), regions: tuple = (), level: str | None = None, lang: str = "zh",
             frequency: str | None = "annual") -> pd.DataFrame:
    """Annual values with names and YoY change, for tables and hover texts."""
    frame = query.values(con, indicators, regions, level=level, frequency=frequency)
    return query.label(query.with_growth(frame), catalogue(), lang)


@cached
def data_years(con) -> list[int]:
    return query.data_years(con)


@cached
def has_synthetic(con, indicators: tuple = (), regions: tuple = ()) -> bool:
    return query.has_synthetic(con, indicators, regions)


@cached
def published_at(con) -> str | None:
    row = first_row(con, "SELECT value FROM meta WHERE key = 'published_at'")
    return row[0] if row else None


@cached
def progress(con, year: int, regions: tuple = (), indicators: tuple = (), level: str | None = None) -> pd.DataFrame:
    return progress_mod.progress(con, catalogue(), year, settings().progress, regions, indicators, level)


@cached
def index_scores(con, year: int, weights: tuple = (), lang: str = "zh") -> pd.DataFrame:
    """The composite index with chapter weights given as ((chapter, weight), …), labelled."""
    frame = composite.index_scores(con, catalogue(), year, settings().index, dict(weights) or None)
    names = {c: r.name(lang) for c, r in catalogue().regions.by_code.items()}
    return frame.assign(region_name=frame["region_code"].map(names))


@cached
def explain(con, code: str, region: str, period: str) -> audit.Explanation:
    return audit.explain(con, catalogue(), code, region, period)


@cached
def quality(con, name: str, *args: Any) -> pd.DataFrame:
    """One of the read-side data-quality queries of indicators.quality, by name."""
    return getattr(quality_mod, name)(con, catalogue(), *args)


def default_year() -> int:
    """The latest year with data (the views' default period)."""
    years = data_years()
    return years[-1] if years else 2024
