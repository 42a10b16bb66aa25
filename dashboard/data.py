"""The dashboard's only way to the warehouse: one DashboardState per process, and the engine calls the pages make,
cached.

configure() (called by create_app; tests call it with their own file) creates the state: the snapshots of the
published file (dashboard/snapshot.py), the cache of engine results and views (dashboard/cache.py), the health
verdict and the warmer (dashboard/warming.py). Engine results (`cached`) and views (`memo`) are keyed on the
identity (inode, mtime) of the snapshot they were read from: a newly published warehouse is a new key, so the
next request sees the new data without a restart (with a warmer running, once its first views are built).
Callbacks validate their values first (dashboard/inputs.py); unbounded arguments and empty results are
computed but not stored.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from dashboard.cache import ViewCache, bounded, empty
from dashboard.snapshot import Snapshots
from dashboard.warming import InFlight, Warmer
from indicators.base.catalogue import Catalogue, default_catalogue
from indicators.base.errors import DataError
from indicators.base.settings import Settings, load_settings
from indicators.engine import audit, precompute, query, release
from indicators.engine import progress as progress_mod
from indicators.engine import quality as quality_mod
from indicators.storage.warehouse import SCHEMA_VERSION, public_path, publication_time, schema_version

MISSING, UNREADABLE, OUTDATED = "missing", "unreadable", "outdated"


class Building(threading.local):
    """Per thread, while a memoised view is built: how many engine frames it read and how many were empty; and
    whether results are transient (computed, never stored: see transient())."""

    def __init__(self) -> None:
        self.calls: list[int] | None = None
        self.transient = False


@dataclass
class DashboardState:
    """Everything the dashboard process keeps between requests. Made by configure(), never at import; a new
    configure() makes a new one and closes the old, so nothing is shared by accident between two apps or tests."""

    settings: Settings
    layers: dict[str, Snapshots]  # PUBLIC: the released values (warehouse.public_path); PRELIMINARY: every value
    views: ViewCache = field(default_factory=ViewCache)
    building: Building = field(default_factory=Building)
    requests: InFlight = field(default_factory=InFlight)
    # per layer: (identity of the file judged, None or (MISSING | UNREADABLE, detail))
    health: dict = field(default_factory=dict)
    seen: set = field(default_factory=set)  # distinct errors whose traceback was logged (dashboard/errors.py)
    warmer: Warmer = field(init=False)

    def __post_init__(self) -> None:
        # the warmer keeps the public layer's views ready: what most visitors see
        self.warmer = Warmer(self.layers[PUBLIC], self.views, available, self.requests)

    @property
    def snapshots(self) -> Snapshots:
        """The snapshots of the layer this request reads (layer())."""
        return self.layers[layer()]

    def close(self) -> None:
        self.warmer.stop()
        for snapshots in self.layers.values():
            snapshots.close()


_state: DashboardState | None = None  # the process's state, set by configure()

PUBLIC, PRELIMINARY = "public", "preliminary"


def _public() -> str:
    return PUBLIC


_layer_of: Callable[[], str] = _public  # which layer a request reads; the auth package registers its rule


def choose_layer(rule: Callable[[], str]) -> None:
    """Register who reads which layer (dashboard.auth.access.layer: preliminary for a signed-in analyst or admin
    who asked for it, public for everyone else). Without a rule every request reads the public layer."""
    global _layer_of
    _layer_of = rule


class _Forced(threading.local):
    layer: str | None = None


_forced = _Forced()


@contextlib.contextmanager
def working() -> Iterator[None]:
    """Read the working warehouse inside, whatever the request's layer: the internal pages about the intake (the
    quality page, the reporting calendar) are about every loaded and rejected batch, released or not."""
    before, _forced.layer = _forced.layer, PRELIMINARY
    try:
        yield
    finally:
        _forced.layer = before


@contextlib.contextmanager
def reading(layer_name: str) -> Iterator[None]:
    """Read this layer inside, whatever the session says: the read API decides the layer from the caller's token
    and its ?layer= parameter (dashboard/api), never from a browser session's switch."""
    before, _forced.layer = _forced.layer, layer_name
    try:
        yield
    finally:
        _forced.layer = before


def layer() -> str:
    """PUBLIC (released values only: every anonymous visitor, and by default everyone) or PRELIMINARY."""
    return _forced.layer or _layer_of()


def preliminary() -> bool:
    """This request reads every loaded value, released or not (marked 初步/未发布 on the page)."""
    return layer() == PRELIMINARY


def configure(settings: Settings | None = None, db: Path | None = None) -> DashboardState:
    """Point the dashboard at a warehouse with a fresh state (create_app calls it; so do tests, with their file)."""
    global _state
    settings = settings or load_settings()
    if db is not None:
        settings = settings.with_overrides(paths_warehouse=db)
    if _state is not None:
        _state.close()
    working = settings.paths.warehouse
    _state = DashboardState(settings, {PUBLIC: Snapshots(public_path(working)), PRELIMINARY: Snapshots(working)})
    return _state


def state() -> DashboardState:
    return _state or configure()


def settings() -> Settings:
    return state().settings


def catalogue() -> Catalogue:
    return default_catalogue()


def root() -> str:
    """The code of the region itself (the root of the region tree: 150000), never typed in a page."""
    return catalogue().regions.root.code


def identity() -> tuple[int, int]:
    """The identity of the public warehouse published now (the PDF bulletins are read from it: always the released
    values, whoever asks)."""
    return state().layers[PUBLIC].published()


def path(layer_name: str | None = None) -> Path:
    """The file of a layer (this request's by default): the public warehouse or the working one."""
    return state().layers[layer_name or layer()].path


def _store(key: tuple, result: Any) -> None:
    s = state()
    if not s.building.transient:
        s.views.store(key, result)


@contextlib.contextmanager
def transient(active: bool = True) -> Iterator[None]:
    """Views built inside are answered from the cache when they are there but never stored: for the many valid
    variants nobody shares (every combination of the index's weight sliders), which would otherwise push the
    common views out of the LRU."""
    building = state().building
    before, building.transient = building.transient, active or building.transient
    try:
        yield
    finally:
        building.transient = before


def _count(result: Any) -> None:
    """Count a data frame answered during a view build (data_years and the like are not the view's data)."""
    calls = state().building.calls
    if calls is not None and isinstance(result, pd.DataFrame):
        calls[0] += 1
        calls[1] += empty(result)


def cached(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run fn(con, *args) on a cursor of the warehouse this thread reads, memoised on (its identity, fn, args).
    Arguments must be hashable (tuples, not lists); unbounded ones and empty results are not stored."""

    def wrapper(*args: Any) -> Any:
        s = state()
        s.warmer.pause()
        with s.snapshots.reading() as snapshot:
            key = (snapshot.identity, fn.__name__, args)
            found, result = s.views.lookup(key)
            if not found:
                with snapshot.cursor() as con:
                    result = fn(con, *args)
                if bounded(args) and not empty(result):
                    _store(key, result)
        _count(result)
        return result

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def memo(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Memoise a view builder (figures, tables) on (warehouse identity, fn, args): a page seen before is answered
    without rebuilding; a newly published warehouse is a new key. Arguments must be hashable. A view all of
    whose engine calls came back empty (a year without data) is not stored. The view reads one snapshot
    throughout, even if a newer warehouse is handed over meanwhile."""
    name = "view:" + fn.__module__ + fn.__name__

    def wrapper(*args: Any) -> Any:
        s = state()
        s.warmer.pause()
        with s.snapshots.reading() as snapshot:
            key = (snapshot.identity, name, args)
            found, result = s.views.lookup(key)
            if found:
                return result
            outer, s.building.calls = s.building.calls, [0, 0]
            try:
                result = fn(*args)
                calls, empties = s.building.calls
            finally:
                s.building.calls = outer
            if outer is not None:
                outer[0], outer[1] = outer[0] + calls, outer[1] + empties
            if bounded(args) and (calls == 0 or empties < calls):
                _store(key, result)
        return result

    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper


# ── warming and health ─────────────────────────────────────────────────────────────────────────────────

def start_warming() -> None:
    """Warm every published warehouse in the background from now on (dashboard/warming.py)."""
    state().warmer.start()


def warm() -> bool:
    """True when the published warehouse is served and its common views are cached."""
    return state().warmer.warm()


def check() -> tuple[str, str] | None:
    """Open the published warehouse and run a trivial query, now. None when that works; else (MISSING,
    UNREADABLE or OUTDATED, a one-line detail such as DuckDB's 'not a valid DuckDB database file'). OUTDATED: a file
    written by an older version of this software (its schema lacks what the queries read, e.g. obs_status) until
    a writer migrates it — `dem data rebuild` after an upgrade (docs/deployment.md)."""
    s = state()
    try:
        ident = s.snapshots.published()
    except DataError:
        return MISSING, str(s.snapshots.path)
    try:
        with s.snapshots.reading(latest=True) as snapshot, snapshot.cursor() as con:
            publication_time(con)
            version = schema_version(con)
        problem = None if version is None or version >= SCHEMA_VERSION else (
            OUTDATED, f"schema version {version}, this software reads {SCHEMA_VERSION}: run dem data rebuild")
    except (duckdb.Error, OSError, DataError) as exc:  # garbage bytes, a truncated file, a file without meta
        problem = (UNREADABLE, (str(exc).splitlines() or [type(exc).__name__])[0][:200])
    s.health[layer()] = (ident, problem)
    return problem


def health() -> tuple[str, str] | None:
    """Like check(), but the query runs once per published file: later calls compare the file's identity."""
    s = state()
    try:
        ident = s.snapshots.published()
    except DataError:
        return MISSING, str(s.snapshots.path)
    judged, problem = s.health.get(layer(), (None, None))
    return problem if ident == judged else check()


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
def labelled(con, indicators: tuple = (), regions: tuple = (), level: str | None = None,
             lang: str = "zh") -> pd.DataFrame:
    """Annual values with names, the previous year's value and the YoY change, for tables and hover texts."""
    frame = query.values(con, indicators, regions, level=level, frequency="annual")
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


@cached
def releases_done(con) -> pd.DataFrame:
    """The releases carried out (the /releases page)."""
    return release.carried_out(con)


@cached
def revisions(con) -> pd.DataFrame:
    """Released values replaced by a later release (the /revisions page, the bulletin's annex)."""
    return release.revisions(con)
