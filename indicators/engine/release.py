"""Releases in the warehouse (docs/releases.md): which vintages a release makes public, the public warehouse built
from them, and the revisions of released values.

The working warehouse records releases (`releases`) and the released vintages (`released`: one batch's observations
of one period). A release makes public the accepted (batch, period) pairs not yet released whose period it covers
— or whose period an earlier release covered: a revision or a late value of a released period goes out with the
next release (or at once as a correction). The public warehouse beside it (warehouse.public_path) holds the released
observations only, with the vintage chain recomputed among them, and its own derived layer from the publish step:
a value derived from released inputs only. Which batches are accepted is the review's (the application database);
the caller hands it in.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from indicators.base.catalogue import Catalogue
from indicators.base.releases import Release
from indicators.base.settings import Settings
from indicators.engine import publish
from indicators.storage import warehouse
from indicators.storage.warehouse import first_row, registered

CORRECTION = "correction"


def carried_out(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The releases carried out, oldest first, with how many vintages (batch × period) each made public."""
    return con.execute("""
        SELECT r.release_id, r.kind, r.title_zh, r.title_en, r.scheduled_at, r.released_at, r.released_by, r.note,
               count(x.batch_id) AS vintages
        FROM releases r LEFT JOIN released x USING (release_id)
        GROUP BY ALL ORDER BY r.released_at, r.release_id""").df()


def pending(con: duckdb.DuckDBPyConnection, accepted: set[int], release: Release | None) -> pd.DataFrame:
    """The (batch, period) pairs `release` would make public: accepted, not released yet, and of a period the
    release covers or an earlier release made public (None: the latter only — a correction). With `revises`: the
    pair replaces at least one released value."""
    earlier = {p for (p,) in con.execute("SELECT DISTINCT period FROM released").fetchall()}
    pairs = con.execute("""
        SELECT DISTINCT o.batch_id, o.period FROM observations o
        WHERE list_contains($accepted, o.batch_id)
          AND NOT EXISTS (SELECT 1 FROM released r WHERE r.batch_id = o.batch_id AND r.period = o.period)
        ORDER BY o.batch_id, o.period""", {"accepted": sorted(int(b) for b in accepted)}).df()
    covered = [p in earlier or (release is not None and release.covers(p)) for p in pairs["period"]]
    pairs = pairs.loc[pd.Series(covered, index=pairs.index, dtype=bool)].reset_index(drop=True)
    pairs["revises"] = _revising(con, pairs)
    return pairs


def _revising(con: duckdb.DuckDBPyConnection, pairs: pd.DataFrame) -> pd.Series:
    """For each pair: does the batch write a key of that period whose earlier vintage is public already?"""
    hits = revising(con, sorted({int(b) for b in pairs["batch_id"]}))
    return pd.Series([(int(b), p) in hits for b, p in zip(pairs["batch_id"], pairs["period"], strict=True)],
                     index=pairs.index, dtype=bool)


def revising(con: duckdb.DuckDBPyConnection, batch_ids: list[int]) -> set[tuple[int, str]]:
    """The (batch, period) pairs of these batches that replace a released value: revising(con, [57]) →
    {(57, '2023')} when batch 57 wrote a 2023 value released before."""
    if not batch_ids:
        return set()
    return {(int(b), p) for b, p in con.execute("""
        SELECT DISTINCT n.batch_id, n.period FROM observations n
        JOIN observations o ON o.indicator_code = n.indicator_code AND o.region_code = n.region_code
             AND o.period = n.period AND o.batch_id < n.batch_id
        JOIN released r ON r.batch_id = o.batch_id AND r.period = o.period
        WHERE list_contains($batches, n.batch_id)""", {"batches": [int(b) for b in batch_ids]}).fetchall()}


def record(con: duckdb.DuckDBPyConnection, release_id: str, kind: str, pairs: pd.DataFrame, reasons: Mapping[int, str],
           actor: str, now: datetime, release: Release | None = None, note: str | None = None) -> int:
    """Record a release carried out at `now` and the pairs it makes public (inside the writer's transaction); a
    revising pair keeps its batch's reason. Returns the number of pairs."""
    con.execute("INSERT INTO releases VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [release_id, kind, release.title_zh if release else None, release.title_en if release else None,
                 release.at if release else None, now, actor, note])
    if pairs.empty:
        return 0
    rows = pairs.assign(release_id=release_id, reason=[
        (reasons.get(int(b)) or None) if revises else None
        for b, revises in zip(pairs["batch_id"], pairs["revises"], strict=True)])
    with registered(con, rows[["batch_id", "period", "release_id", "reason"]], "_released") as table:
        con.execute(f"INSERT INTO released SELECT batch_id, period, release_id, reason FROM {table}")
    return len(rows)


def is_released(con: duckdb.DuckDBPyConnection, release_id: str) -> bool:
    return first_row(con, "SELECT 1 FROM releases WHERE release_id = ?", [release_id]) is not None


def fill_public(con: duckdb.DuckDBPyConnection, working: Path) -> None:
    """Make the public warehouse on `con` (a writer's staging file) hold the released vintages of `working` only:
    their batches, observations (the chain of vintages recomputed among them: a value superseded only by an
    unreleased one is current here), warnings and the release records. The caller's publish step then derives."""
    con.execute("ATTACH ? AS src (READ_ONLY)", [str(working)])
    try:
        for table in ("observations", "problems", "rejected_keys", "batches", "released", "releases"):
            con.execute(f"DELETE FROM {table}")
        con.execute("INSERT INTO releases SELECT * FROM src.releases")
        con.execute("INSERT INTO released SELECT * FROM src.released")
        con.execute("INSERT INTO batches SELECT * FROM src.batches WHERE batch_id IN (SELECT batch_id FROM released)")
        con.execute("""
            INSERT INTO observations BY NAME SELECT o.* REPLACE (CAST(NULL AS INTEGER) AS superseded_by)
            FROM src.observations o SEMI JOIN released r ON r.batch_id = o.batch_id AND r.period = o.period""")
        con.execute("""
            UPDATE observations SET superseded_by = n.next_batch FROM (
                SELECT indicator_code, region_code, period, batch_id,
                       lead(batch_id) OVER (PARTITION BY indicator_code, region_code, period ORDER BY batch_id)
                           AS next_batch
                FROM observations) n
            WHERE n.next_batch IS NOT NULL AND observations.batch_id = n.batch_id
              AND observations.indicator_code = n.indicator_code AND observations.region_code = n.region_code
              AND observations.period = n.period""")
        con.execute("""INSERT INTO problems SELECT * FROM src.problems
                       WHERE batch_id IN (SELECT batch_id FROM released)""")
        latest = first_row(con, "SELECT max(released_at) FROM releases")[0]
        con.execute("INSERT OR REPLACE INTO meta VALUES ('released_at', ?)",
                    [latest.isoformat() if latest is not None else None])
    finally:
        con.execute("DETACH src")


def rebuild_public(settings: Settings, cat: Catalogue, locked: bool = False) -> Path:
    """Write the public warehouse from the working one's released vintages and derive its layer in full (a release
    is rare; the full computation keeps it simple and exact). The caller holds the working warehouse's lock when
    `locked`: one writer for both files."""
    working = settings.paths.warehouse
    warehouse.require(working)
    target = warehouse.public_path(working)
    with contextlib.nullcontext() if locked else warehouse.exclusive_lock(working), \
            warehouse.writer(target, on_publish=publish.step(cat, settings, full=True), locked=True,
                             memory_mb=settings.limits.writer_memory_mb) as stage:
        fill_public(stage.con, Path(os.path.realpath(working)))
        stage.changed = True
    return target


def revisions(con: duckdb.DuckDBPyConnection, since: datetime | None = None,
              regions: list[str] | None = None) -> pd.DataFrame:
    """Released values that a later release replaced: old → new (value and observation status: a provisional
    value confirmed as final is a revision too), the reason and the release that carried the new one, newest first (/revisions; with `since` and `regions` the bulletin's annex). Two vintages made public by the
    same release are not a revision (nobody saw the first), nor is an older submission released after a newer one."""
    return con.execute("""
        SELECT n.indicator_code, n.region_code, n.period, o.value AS old_value, n.value AS new_value,
               o.obs_status AS old_status, n.obs_status AS new_status, rn.reason, rn.release_id, rel.kind, rel.released_at, ro.release_id AS old_release_id, n.synthetic
        FROM observations o
        JOIN observations n ON n.batch_id = o.superseded_by AND n.indicator_code = o.indicator_code
             AND n.region_code = o.region_code AND n.period = o.period
        JOIN released ro ON ro.batch_id = o.batch_id AND ro.period = o.period
        JOIN released rn ON rn.batch_id = n.batch_id AND rn.period = n.period
        JOIN releases rel ON rel.release_id = rn.release_id
        JOIN releases relo ON relo.release_id = ro.release_id
        WHERE relo.released_at < rel.released_at AND ($since IS NULL OR rel.released_at >= $since)
          AND ($regions IS NULL OR list_contains($regions, n.region_code))
        ORDER BY rel.released_at DESC, n.indicator_code, n.region_code, n.year, n.sub""",
                       {"since": since, "regions": regions}).df()


def releases_of(con: duckdb.DuckDBPyConnection, batch_ids: list[int]) -> dict[int, list[tuple]]:
    """For each of these batches, the releases that made some of its periods public, in order:
    {12: [('R2023', datetime(2024, 3, 29, 1, 30), '2023;2023Q1')]}."""
    rows = con.execute("""
        SELECT r.batch_id, r.release_id, s.released_at, string_agg(r.period, ';' ORDER BY r.period)
        FROM released r JOIN releases s USING (release_id)
        WHERE list_contains($batches, r.batch_id)
        GROUP BY ALL ORDER BY r.batch_id, s.released_at""", {"batches": [int(b) for b in batch_ids]}).fetchall()
    out: dict[int, list[tuple]] = {}
    for batch_id, release_id, at, periods in rows:
        out.setdefault(int(batch_id), []).append((release_id, at, periods))
    return out


