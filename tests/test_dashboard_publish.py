"""A warehouse published under the running dashboard (real demo warehouse, the writer's rename simulated): the
process state is one object per configure(); with a warmer, the previous warehouse answers until the new one's
first views are built, then the new one; a snapshot being read is never closed under a query."""

from __future__ import annotations

import os
import shutil
import threading

import duckdb
import pytest

from dashboard import data, snapshot, warming
from indicators.storage.warehouse import public_path, publication_time


@pytest.fixture(scope="module")
def app(demo_warehouse):
    """The process's app (pages register their views and callbacks once; another module may have made it)."""
    os.environ.setdefault("DEM_TODAY", "2026-11-27")
    import dash
    from dash.exceptions import AppNotFoundError

    from dashboard.app import create_app

    try:
        dash_app = dash.get_app()
    except AppNotFoundError:
        dash_app = create_app(db=demo_warehouse)
    yield dash_app
    data.configure(db=demo_warehouse)


@pytest.fixture
def published(app, demo_warehouse, tmp_path):
    """A private copy of the demo warehouse (the working file and the public one beside it), served by a fresh
    state."""
    db = tmp_path / "dem.duckdb"
    shutil.copyfile(demo_warehouse, db)
    shutil.copyfile(public_path(demo_warehouse), public_path(db))
    data.configure(db=db)
    return db


def republish(db, stamp: str) -> None:
    """What a release does to the public warehouse the pages read: a new file (here a copy with another publication
    time) renamed over the published one."""
    db = public_path(db)
    staging = db.with_name(db.name + ".staging")
    shutil.copyfile(db, staging)
    with duckdb.connect(str(staging)) as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'published_at'", [stamp])
    os.replace(staging, db)


def served_to_a_request() -> str:
    """The publication time a request thread reads now (the warmer's own thread reads the file it warms)."""
    seen = []
    thread = threading.Thread(target=lambda: seen.append(data.published_at()))
    thread.start()
    thread.join(30)
    return seen[0]


def test_each_configure_makes_a_fresh_state_and_closes_the_previous_one(published):
    first = data.state()
    assert data.data_years() and len(first.views) > 0 and first.snapshots.serving is not None
    second = data.configure(db=published)
    assert data.state() is second is not first
    assert len(second.views) == 0 and second.seen == set() and second.health == {}
    assert first.snapshots.serving is None  # its file closed


def test_the_previous_warehouse_answers_until_the_first_views_of_the_new_one_are_built(published, monkeypatch):
    from dashboard.pages import overview

    seen = {"first": [], "rest": []}
    year = data.default_year()
    monkeypatch.setattr(warming, "_registry", [warming.WarmSet(
        first=lambda: [lambda: overview.view(year, "zh"), lambda: seen["first"].append(served_to_a_request())],
        rest=lambda: [lambda: seen["rest"].append(served_to_a_request())])])
    state = data.state()
    state.snapshots.handover = True  # what the warmer's start() turns on (its thread is not needed here)
    state.warmer.warm_once()
    before = data.published_at()
    assert data.warm() and before != "republished"

    republish(published, "republished")
    assert data.published_at() == before and not data.warm()  # requests still read the previous file
    assert state.snapshots.noticed.is_set()  # … and the warmer is woken
    state.warmer.warm_once()

    assert seen == {"first": [before, before], "rest": [before, "republished"]}
    assert data.published_at() == "republished" and data.warm()
    assert {key[0] for key in state.views} == {data.identity()}  # the previous file's entries are gone


def test_without_a_warmer_the_new_warehouse_is_served_at_once_and_with_one_at_the_latest_after_the_hand_over_time(published, monkeypatch):
    state = data.state()
    first = data.published_at()
    republish(published, "second")
    assert data.published_at() == "second"  # no warmer: no hand-over
    state.snapshots.handover = True
    republish(published, "third")
    assert data.published_at() == "second"
    monkeypatch.setattr(snapshot, "HANDOVER_SECONDS", 0.0)  # a warmer that never finishes
    assert data.published_at() == "third" != first


def test_a_snapshot_being_read_stays_open_until_its_reader_is_done(published):
    state = data.state()
    with state.snapshots.reading() as old:
        stamp = data.published_at()
        republish(published, "newer")
        assert served_to_a_request() == "newer"  # another thread reads the new file at once…
        with old.cursor() as con:
            assert publication_time(con) == stamp  # …while this one finishes reading the old one
    with pytest.raises(duckdb.ConnectionException), old.cursor():
        pass  # closed once its last reader was done


def test_a_view_reads_one_warehouse_throughout_even_if_a_newer_one_is_published_meanwhile(published, monkeypatch):
    from dashboard.pages import overview

    state, year, stamps = data.state(), data.default_year(), []
    original = overview.cards

    def cards_then_publish(*args):
        stamps.append(data.published_at())
        republish(published, "during the build")
        stamps.append(data.published_at())
        return original(*args)

    monkeypatch.setattr(overview, "cards", cards_then_publish)
    overview.view(year, "zh")
    assert stamps[0] == stamps[1] != "during the build"
    assert data.published_at() == "during the build"
    assert all(key[0] != data.identity() for key in state.views if key[1].endswith("overviewview"))
