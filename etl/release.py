"""Releases carried out by the locked writer (docs/releases.md): the review's accepted batches (application database)
→ the vintages a release makes public (recorded in the working warehouse) → the public warehouse rebuilt from them
→ one audit row. `dem release due` (the scheduled job) carries out every release of the calendar whose time has
come; `dem release publish ID` one release now (an admin's decision: it may be before its announced time);
`dem release correct BATCH --reason …` releases a batch's revisions of released values at once.

Order, so that a crash loses nothing: the working warehouse records the release first (published by rename), then
the public warehouse is rebuilt from it — a run that dies in between leaves a public warehouse one release behind,
and the next `dem release due` sees it (meta 'released_at' differs) and rebuilds it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from indicators.base.catalogue import Catalogue
from indicators.base.errors import DataError, UsageError
from indicators.base.releases import Release, by_id, load_calendar
from indicators.base.settings import Settings
from indicators.engine import publish, release, review
from indicators.storage import appdb, warehouse
from indicators.storage.warehouse import utc_now


@dataclass
class Outcome:
    release_id: str
    vintages: int = 0  # (batch, period) pairs made public
    revising: int = 0  # … of which replace released values
    batches: list[int] = field(default_factory=list)

    def line(self) -> str:
        return (f"发布 {self.release_id}：{self.vintages} 组数据（批次×统计期），其中修订 {self.revising} 组 | "
                f"release {self.release_id}: {self.vintages} vintage(s) (batch × period) made public, "
                f"{self.revising} revising released values")


def states(batches, decisions: dict, cat: Catalogue, settings: Settings):
    """(batch id, its review steps, its review state) for each row of review.loaded_batches."""
    for batch_id, region in zip(batches["batch_id"], batches["submitter_region"], strict=True):
        unit = cat.regions.by_code.get(region) if region else None
        steps = settings.review.steps(unit.level if unit else "league")
        yield int(batch_id), steps, appdb.review_state(int(batch_id), decisions.get(int(batch_id), []), len(steps))


def accepted(con: duckdb.DuckDBPyConnection, app: sqlite3.Connection, cat: Catalogue, settings: Settings) -> set[int]:
    """The loaded batches whose every review step is done (appdb.review_state 'accepted')."""
    appdb.bind_warehouse(app, warehouse.warehouse_id(con))
    return {batch_id for batch_id, _, state in states(review.loaded_batches(con), appdb.reviews(app), cat, settings)
            if state.status == "accepted"}


def reasons(app: sqlite3.Connection, batch_ids: list[int]) -> dict[int, str]:
    """Why a batch revises values: its review's comments and, for a portal submission, the submitter's
    explanations — what /revisions and the bulletin's annex show beside old → new."""
    decided = appdb.reviews(app, batch_ids)
    out = {}
    for batch_id in batch_ids:
        texts = [r.reason for r in decided.get(batch_id, []) if r.reason]
        submission = appdb.submission_of_batch(app, batch_id)
        if submission is not None:
            texts += [e["text"] for e in appdb.explanations(app, submission.id) if e.get("text")]
        if texts:
            out[batch_id] = "；".join(dict.fromkeys(texts))
    return out


def publish_release(rel: Release, cat: Catalogue, settings: Settings, actor: str, address: str | None = None,
                    now: datetime | None = None, rebuild: bool = True) -> Outcome:
    """Carry out `rel` now: its accepted vintages (and every accepted revision or late value of a period released
    before) become public. UsageError when it was carried out already; BusyError while another writer runs.
    `rebuild=False` leaves the public warehouse to the caller (several releases in a row: rebuild once)."""
    return _carry_out(rel.release_id, "release", rel, None, None, cat, settings, actor, address, now, rebuild)


def correct(batch_id: int, reason: str, cat: Catalogue, settings: Settings, actor: str, address: str | None = None,
            now: datetime | None = None) -> Outcome:
    """Release an accepted batch's values of released periods at once (a correction), with its reason."""
    reason = (reason or "").strip()
    if not reason:
        raise UsageError("更正需要说明原因（--reason）", "a correction needs a reason (--reason)")
    now = now or utc_now()
    return _carry_out(f"C{batch_id}-{now:%Y%m%dT%H%M%S}", release.CORRECTION, None, batch_id, reason, cat, settings,
                      actor, address, now)


def _carry_out(release_id: str, kind: str, rel: Release | None, batch_id: int | None, note: str | None,
               cat: Catalogue, settings: Settings, actor: str, address: str | None, now: datetime | None,
               rebuild: bool = True) -> Outcome:
    now = now or utc_now()
    working = settings.paths.warehouse
    warehouse.require(working)
    outcome = Outcome(release_id)
    with warehouse.exclusive_lock(working), appdb.opened(settings.paths.app_db) as app:
        with warehouse.writer(working, on_publish=publish.step(cat, settings), locked=True,
                              memory_mb=settings.limits.writer_memory_mb) as stage:
            if release.is_released(stage.con, release_id):
                raise UsageError(f"发布 {release_id} 已于此前完成", f"release {release_id} was carried out already")
            ok = accepted(stage.con, app, cat, settings)
            if batch_id is not None and batch_id not in ok:
                raise DataError(f"批次 {batch_id} 尚未通过审核接收，不能更正发布",
                                f"batch {batch_id} is not accepted by the review; it cannot be released")
            pairs = release.pending(stage.con, {batch_id} if batch_id is not None else ok, rel)
            if batch_id is not None and pairs.empty:
                raise DataError(f"批次 {batch_id} 没有已发布统计期的数据，请随下一次发布公布",
                                f"batch {batch_id} has no value of a released period; it goes out with the next "
                                "release")
            why = reasons(app, sorted({int(b) for b in pairs["batch_id"]}))
            if note:
                why = {b: note for b in pairs["batch_id"]}
            outcome.vintages = release.record(stage.con, release_id, kind, pairs, why, actor, now, rel, note)
            outcome.revising = int(pairs["revises"].sum()) if not pairs.empty else 0
            outcome.batches = sorted({int(b) for b in pairs["batch_id"]})
            stage.changed = True
        if rebuild:
            release.rebuild_public(settings, cat, locked=True)
        appdb.log_event(app, "release" if kind == "release" else "release_correction", actor, address,
                        detail=f"{outcome.vintages} vintages, {outcome.revising} revising; batches "
                               f"{','.join(map(str, outcome.batches)) or '-'}",
                        target=f"release {release_id}", reason=note)
    return outcome


def due(cat: Catalogue, settings: Settings, now: datetime | None = None, actor: str = "schedule") -> list[Outcome]:
    """The scheduled job: carry out, in time order, every release of the calendar whose time has come and that was
    not carried out yet; rebuild the public warehouse when it lags behind the working one (a run that died between
    the two, a first start) or was derived with other configuration (targets, catalogue, settings, a new calendar
    year: the derived layer's fingerprint)."""
    now = now or utc_now()
    calendar = load_calendar()
    working = settings.paths.warehouse
    warehouse.require(working)
    with warehouse.reader(working) as con:  # a file older than the release tables has carried out nothing
        done = set(release.carried_out(con)["release_id"]) if (warehouse.schema_version(con) or 0) >= 4 else set()
    # catching up several releases: each is recorded on its own, the public warehouse rebuilt once after them
    outcomes = [publish_release(r, cat, settings, actor, now=now, rebuild=False) for r in calendar
                if r.due(now) and r.release_id not in done]
    if outcomes or lagging(settings, cat):
        release.rebuild_public(settings, cat)
    return outcomes


def lagging(settings: Settings, cat: Catalogue) -> bool:
    """The public warehouse is missing, reflects fewer releases than the working one records, or its derived layer
    was computed with another configuration than today's."""
    working, public = settings.paths.warehouse, warehouse.public_path(settings.paths.warehouse)
    if not public.exists():
        return True
    with warehouse.reader(working) as con:
        if (warehouse.schema_version(con) or 0) < 4:
            return True
        want = warehouse.first_row(con, "SELECT max(released_at) FROM releases")[0]
    with warehouse.reader(public) as con:
        have = warehouse.first_row(con, "SELECT value FROM meta WHERE key = 'released_at'")
        derived = warehouse.first_row(con, "SELECT value FROM meta WHERE key = 'facts_fingerprint'")
    if (derived[0] if derived else None) != publish.fingerprint(cat, settings):
        return True
    return (want.isoformat() if want is not None else None) != (have[0] if have else None)


def find(release_id: str) -> Release:
    rel = by_id(load_calendar(), release_id)
    if rel is None:
        raise UsageError(f"发布日程 config/releases.csv 中没有 {release_id}",
                         f"no release {release_id} in the calendar config/releases.csv")
    return rel


def schedule(settings: Settings) -> list[dict]:
    """The calendar beside what was carried out (corrections included), in time order — `dem release list`."""
    done = {}
    if settings.paths.warehouse.exists():
        with warehouse.reader(settings.paths.warehouse) as con:
            if (warehouse.schema_version(con) or 0) >= 4:
                done = {r["release_id"]: r for r in release.carried_out(con).to_dict("records")}
    rows = []
    for rel in load_calendar():
        carried = done.pop(rel.release_id, None)
        rows.append({"release_id": rel.release_id, "release_at": rel.local_time, "periods": ";".join(rel.periods),
                     "title": rel.title_zh, "released_at": carried["released_at"] if carried else None,
                     "released_by": carried["released_by"] if carried else None,
                     "vintages": carried["vintages"] if carried else None})
    for carried in done.values():  # corrections, and releases since removed from the calendar
        rows.append({"release_id": carried["release_id"], "release_at": None, "periods": None,
                     "title": carried["note"] or carried["title_zh"], "released_at": carried["released_at"],
                     "released_by": carried["released_by"], "vintages": carried["vintages"]})
    return rows


def accept_unreviewed(cat: Catalogue, settings: Settings, actor: str, reason: str) -> list[int]:
    """Record every remaining review step as done for the loaded batches nobody decided on yet or left half-way
    (never a returned one) — for the demo build, whose files nobody reviews; each decision is in the audit trail
    under `actor` with `reason`. Returns the batches accepted."""
    with warehouse.reader(settings.paths.warehouse) as con:
        batches = review.loaded_batches(con)
        identity = warehouse.warehouse_id(con)
    done = []
    with appdb.opened(settings.paths.app_db) as app:
        appdb.bind_warehouse(app, identity)
        for batch_id, steps, state in states(batches, appdb.reviews(app), cat, settings):
            if not state.open:
                continue
            for step in range(state.step, len(steps)):
                appdb.record_review(app, batch_id, step, steps[step],
                                    "accept" if step == len(steps) - 1 else "approve", actor, "cli", reason)
            done.append(batch_id)
    return done
