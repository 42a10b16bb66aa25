"""The dashboard's only way to the warehouse: one ReaderCache per process and a small LRU of engine results.

Opening a read-only DuckDB connection costs ~28 ms, so the connection is kept while the published file stays
the same and reopened when `dem etl` renames a new file into place (a new inode). Engine results are cached
keyed on that identity (inode, mtime): a new warehouse is a new key, so the next request sees the new data
without a restart and stale entries simply age out of the LRU. Cached frames are shared: treat them as
read-only (figure builders copy before they change anything).

Only bounded keys and non-empty results enter the LRU: callbacks validate their values first (dashboard/inputs.py),
an argument that is still unbounded (a long string, a big tuple) is computed but not stored, and so is an empty
result — a year or region without data costs a query each time but never evicts a view people use.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from indicators.base.catalogue import Catalogue, default_catalogue
from indicators.base.errors import DataError
from indicators.base.settings import Settings, load_settings
from indicators.engine import audit, precompute, query
from indicators.engine import progress as progress_mod
from indicators.engine import quality as quality_mod
from indicators.storage.warehouse import ReaderCache, publication_time

LRU_SIZE = 640  # the warm set (every year of the common views and the data under them) is ~280 entries
MAX_KEY_CHARS = 64  # longest string argument that may be part of a cache key (codes, periods, names of queries)
MAX_KEY_ITEMS = 128  # longest tuple argument (the 116 region codes fit)


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
    _Health.identity = _Health.problem = None
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


def root() -> str:
    """The code of the region itself (the root of the region tree: 150000), never typed in a page."""
    return catalogue().regions.root.code


def identity() -> tuple[int, int]:
    return readers().identity()


def bounded(value: Any) -> bool:
    """True for a cache key made of small scalars and short tuples of them: ('DI-01', ('150100',), 2023)."""
    if value is None or isinstance(value, bool | int | float):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_KEY_CHARS
    return isinstance(value, tuple) and len(value) <= MAX_KEY_ITEMS and all(bounded(v) for v in value)


def empty(result: Any) -> bool:
    """An empty frame, list or mapping, or None: the answer to a question about data that does not exist."""
    if isinstance(result, pd.DataFrame):
        return result.empty
    return result is None or (isinstance(result, list | tuple | dict) and not result)


class _Build(threading.local):
    """Per thread, while a memoised view is built: how many engine frames it read and how many were empty;
    and whether results are transient (computed, never stored: see transient())."""

    calls: list[int] | None = None
    transient: bool = False


_build = _Build()  # the instance is per thread; its class is not


def _lookup(key: tuple) -> tuple[bool, Any]:
    with _State.lock:
        if key in _State.lru:
            _State.lru.move_to_end(key)
            return True, _State.lru[key]
    return False, None


@contextlib.contextmanager
def transient(active: bool = True) -> Iterator[None]:
    """Views built inside are answered from the cache when they are there but never stored: for the many valid
    variants nobody shares (every combination of the index's weight sliders), which would otherwise push the
    common views out of the LRU."""
    before, _build.transient = _build.transient, active or _build.transient
    try:
        yield
    finally:
        _build.transient = before


def _store(key: tuple, result: Any) -> None:
    if _build.transient:
        return
    with _State.lock:
        _State.lru[key] = result
        while len(_State.lru) > LRU_SIZE:
            _State.lru.popitem(last=False)


def _count(result: Any) -> None:
    """Count a data frame answered during a view build (data_years and the like are not the view's data)."""
    if _build.calls is not None and isinstance(result, pd.DataFrame):
        _build.calls[0] += 1
        _build.calls[1] += empty(result)


def cached(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run fn(con, *args) on a cursor of the current warehouse, memoised on (warehouse identity, fn, args).
    Arguments must be hashable (tuples, not lists); unbounded ones and empty results are not stored."""

    def wrapper(*args: Any) -> Any:
        before = identity()
        key = (before, fn.__name__, args)
        found, result = _lookup(key)
        if not found:
            with readers().cursor() as con:
                result = fn(con, *args)
            # a publish in between: don't file the result under the old identity
            if identity() == before and bounded(args) and not empty(result):
                _store(key, result)
        _count(result)
        return result

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def memo(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Memoise a view builder (figures, tables) on (warehouse identity, fn, args): a page seen before is answered
    without rebuilding; a newly published warehouse is a new key. Arguments must be hashable. A view all of
    whose engine calls came back empty (a year without data) is not stored."""

    def wrapper(*args: Any) -> Any:
        key = (identity(), "view:" + fn.__module__ + fn.__name__, args)
        found, result = _lookup(key)
        if found:
            return result
        outer, _build.calls = _build.calls, [0, 0]
        try:
            result = fn(*args)
            calls, empties = _build.calls
        finally:
            _build.calls = outer
        if outer is not None:
            outer[0], outer[1] = outer[0] + calls, outer[1] + empties
        if bounded(args) and (calls == 0 or empties < calls):
            _store(key, result)
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
    failed: tuple[int, int] | None = None  # the warehouse whose list of views could not be read (reported)
    thread: threading.Thread | None = None
    stop = threading.Event()


def warm() -> bool:
    """True when the common views of the current warehouse are cached."""
    try:
        return _Warmth.identity == identity()
    except DataError:
        return False


def _warm_once() -> None:
    target = identity()
    log = logging.getLogger("dem.dashboard")
    try:
        calls = [task for tasks in list(_warmers) for task in tasks()]
    except Exception as exc:  # the list itself reads the warehouse (its years): tried again, reported once
        if _Warmth.failed != target:
            log.warning("warming failed: %s", (str(exc).splitlines() or [type(exc).__name__])[0][:200])
        _Warmth.failed = target
        return
    for task in calls:
        if identity() != target or _Warmth.stop.is_set():
            return  # a newer publish: start over with it; or the process is exiting
        try:
            task()
        except Exception as exc:  # a view that fails is reported when someone opens it, not here
            log.warning("warming %s failed: %s", task, exc)
    _Warmth.identity = target
    # The cache now holds many long-lived objects; move them out of the collector's generations so that a full
    # collection during a request does not scan them all (such pauses were the slowest responses).
    gc.collect()
    gc.freeze()


def start_warming(poll_seconds: float = 2.0) -> None:
    """A daemon thread per process: whenever a new warehouse is published, build the views people open first
    (every year of the overview, the index, the map and the league profiles), so that the first
    request after a load is answered from the cache. It only reads, through the same read-only connection;
    a missing or unreadable warehouse is skipped until a readable one is published."""
    if _Warmth.thread is not None:
        return

    def loop() -> None:
        while not _Warmth.stop.is_set():
            try:
                if available() and not warm():
                    _warm_once()
            except (DataError, duckdb.Error):
                pass  # the warehouse went away or broke meanwhile: health() says so on the next round
            _Warmth.stop.wait(poll_seconds)

    _Warmth.thread = threading.Thread(target=loop, name="dem-warm", daemon=True)
    _Warmth.thread.start()
    atexit.register(_stop_warming)


def _stop_warming() -> None:
    """At exit, let the thread finish the view it is building: a thread still inside DuckDB when the interpreter
    shuts down aborts the process (SIGABRT, 'FATAL: exception not rethrown')."""
    _Warmth.stop.set()
    if _Warmth.thread is not None:
        _Warmth.thread.join(timeout=15)


# ── health: is the published warehouse there and readable? ────────────────────────────────────────────

MISSING, UNREADABLE = "missing", "unreadable"


class _Health:
    """The verdict on one published file (identity), so that pages do not query for it on every element."""

    identity: tuple[int, int] | None = None
    problem: tuple[str, str] | None = None


def check() -> tuple[str, str] | None:
    """Open the published warehouse through the reader cache and run a trivial query, now. None when that works;
    else (MISSING or UNREADABLE, a one-line detail such as DuckDB's 'not a valid DuckDB database file')."""
    try:
        ident = identity()
    except DataError:
        return MISSING, str(settings().paths.warehouse)
    try:
        with readers().cursor() as con:
            publication_time(con)
        problem = None
    except (duckdb.Error, OSError, DataError) as exc:  # garbage bytes, a truncated file, a file without meta
        problem = (UNREADABLE, (str(exc).splitlines() or [type(exc).__name__])[0][:200])
    _Health.identity, _Health.problem = ident, problem
    return problem


def health() -> tuple[str, str] | None:
    """Like check(), but the query runs once per published file: later calls compare the file's identity."""
    try:
        ident = identity()
    except DataError:
        return MISSING, str(settings().paths.warehouse)
    return _Health.problem if ident == _Health.identity else check()


def available() -> bool:
    """True when the published warehouse exists and answers a query (pages show a hint instead of failing
    when it does not: missing, deleted while serving, or garbage bytes)."""
    return health() is None


# ── engine calls (all cached) ─────────────────────────────────────────────────────────────────────────

@cached
def values(con, indicators: tuple = (), regions: tuple = (), periods: tuple = (), level: str | None = None,
           frequency: str | None = "annual", years: tuple[int, int] | None = None) -> pd.DataFrame:
    return query.values(con, indicators, regions, periods, level, frequency, years)


@cached
def labelled(con, indicators: tuple = (), regions: tuple = (), level: str | None = None, lang: str = "zh",
             frequency: str | None = "annual") -> pd.DataFrame:
    """Annual values with names, the previous year's value and the YoY change, for tables and hover texts."""
    frame = query.values(con, indicators, regions, level=level, frequency=frequency)
    return query.label(query.with_growth(frame, catalogue()), catalogue(), lang)


@cached
def data_years(con) -> list[int]:
    return query.data_years(con)


@cached
def has_synthetic(con, indicators: tuple = (), regions: tuple = ()) -> bool:
    return query.has_synthetic(con, indicators, regions)


@cached
def published_at(con) -> str | None:
    return publication_time(con)


@cached
def progress(con, year: int, regions: tuple = (), indicators: tuple = (), level: str | None = None) -> pd.DataFrame:
    return precompute.progress(con, catalogue(), year, settings().progress, regions, indicators, level)


@cached
def index_scores(con, year: int, weights: tuple = (), lang: str = "zh") -> pd.DataFrame:
    """The composite index with chapter weights given as ((chapter, weight), …), labelled."""
    frame = precompute.index_scores(con, catalogue(), year, settings().index, dict(weights) or None)
    names = {c: r.name(lang) for c, r in catalogue().regions.by_code.items()}
    return frame.assign(region_name=frame["region_code"].map(names))


@cached
def index_sensitivity(con, year: int, weights: tuple = ()) -> pd.DataFrame:
    """The sensitivity scenarios of the index (composite.scenarios) for chapter weights ((chapter, weight), …)."""
    return precompute.sensitivity(con, catalogue(), year, settings().index, dict(weights) or None)


@cached
def index_coverage(con) -> pd.DataFrame:
    """Per chapter, league and year: how many of the chapter's index indicators have a value."""
    return precompute.coverage(con, catalogue())


@cached
def explain(con, code: str, region: str, period: str) -> audit.Explanation:
    """The audit trail of a value, with its progress status in one sentence when it is an annual value."""
    return audit.explain(con, catalogue(), code, region, period, settings().progress)


def status_sentence(row, lang: str) -> str:
    """Why a status is what it is, in one sentence (a row of progress())."""
    return progress_mod.status_sentence(row, catalogue(), settings().progress, lang)


@cached
def quality(con, name: str, *args: Any) -> pd.DataFrame:
    """One of the read-side data-quality queries of indicators.quality, by name."""
    extra = (settings(),) if name in quality_mod.NEEDS_SETTINGS else ()
    return getattr(quality_mod, name)(con, catalogue(), *extra, *args)


def default_year() -> int:
    """The latest year with data (the views' default period)."""
    years = data_years()
    return years[-1] if years else 2024
