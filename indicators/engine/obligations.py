"""The reporting calendar: what each unit owes for each period, by when, and where it stands — the one definition of
'what is owed and its state' (the calendar page and `dem calendar`, and the quality page's league matrix).

Who owes what follows from the catalogue: every league owes the submitted (non-derived) indicators whose `levels`
include 'league', every county those that include 'county' (the region's own figure is the bureau's, compiled from
the leagues', and owes nothing). Each indicator is owed at its own frequency, for every period once it has ended.
Deadline (due) = end of the period + settings [quality] deadline_days_<frequency>: 2025Q2 ends 2025-06-30 and is due
2025-08-14 with 45 days (the deadline day itself is on time). On settings.today an obligation is
received (a current value arrived by the deadline) · late (it arrived after) · rejected (no value, and a rejected
file held this unit's key — see _rejected) · overdue (no value, the deadline has passed) · due (no value yet, the
deadline has not passed).
A league's value is there when the warehouse has one for it (its own, or the sum of all its counties); it arrived
when its last piece did (its own or any county's observation): a league figure is complete only then.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd

from indicators.base import periods
from indicators.base.catalogue import Catalogue
from indicators.base.settings import Quality, Settings
from indicators.storage.warehouse import schema_version

STATUSES = ("received", "late", "rejected", "overdue", "due")
UNITS = ("league", "county")  # the levels that submit
COLUMNS = ["region_code", "region_level", "league_code", "indicator_code", "frequency", "period", "year", "sub",
           "due", "status", "received_at", "batch_id", "days_overdue"]
PER_YEAR = {"annual": 1, "quarterly": 4, "monthly": 12}


def deadline(year: int, sub: int, frequency: str, q: Quality) -> date:
    """End of the period + the configured grace days: deadline(2023, 2, 'quarterly', Quality()) → 2023-08-14."""
    return periods.end(year, sub, frequency) + timedelta(days=q.deadline_days(frequency))


def recent_periods(frequency: str, on: date, back: int) -> list[tuple[int, int]]:
    """The latest period that has ended by `on` and the `back` before it, newest first:
    recent_periods('quarterly', 2025-06-01, 2) → [(2025, 1), (2024, 4), (2024, 3)]."""
    n = PER_YEAR[frequency]
    if n == 1:
        return [(on.year - 1 - i, 0) for i in range(back + 1)]
    # periods counted from year 0 (2025Q1 → 2025·4 + 0); the one before the period containing `on` has ended
    current = on.year * n + (on.month - 1) * n // 12
    return [(k // n, k % n + 1) for k in range(current - 1, current - 2 - back, -1)]


def owed(cat: Catalogue, settings: Settings, periods_back: int = 3, keys: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every (unit, indicator, period) owed, with its due date: the recent periods of each indicator (or the
    (indicator_code, period) pairs in `keys`)."""
    rows = [(ind.code, ind.frequency, level) for ind in cat.indicators.values() if not ind.is_derived
            for level in UNITS if level in ind.levels]
    owing = pd.DataFrame(rows, columns=["indicator_code", "frequency", "region_level"])
    if keys is None:
        spans = pd.DataFrame([(f, y, s) for f in PER_YEAR for y, s in recent_periods(f, settings.today, periods_back)],
                             columns=["frequency", "year", "sub"])
        owing = owing.merge(spans, on="frequency")
    else:
        wanted = keys[["indicator_code", "period"]].drop_duplicates()
        parsed = [periods.from_code(p) for p in wanted["period"]]
        wanted = wanted.assign(year=[p.year for p in parsed], sub=[p.sub for p in parsed])
        owing = owing.merge(wanted.drop(columns="period"), on="indicator_code")
    units = pd.DataFrame([(r.code, r.level, cat.regions.league_of(r.code)) for r in cat.regions.regions
                          if r.level in UNITS], columns=["region_code", "region_level", "league_code"])
    owing = units.merge(owing, on="region_level")
    # a few dozen distinct periods: date them once each, not per row
    spans = owing[["frequency", "year", "sub"]].drop_duplicates()
    spans["period"] = [periods.code(y, s, f) for f, y, s in spans.itertuples(index=False)]
    spans["end"] = [periods.end(y, s, f) for f, y, s in spans[["frequency", "year", "sub"]].itertuples(index=False)]
    spans["due"] = [deadline(y, s, f, settings.quality) for f, y, s in
                    spans[["frequency", "year", "sub"]].itertuples(index=False)]
    return owing.merge(spans, on=["frequency", "year", "sub"])


def _arrivals(con: duckdb.DuckDBPyConnection, owing: pd.DataFrame, cat: Catalogue) -> pd.DataFrame:
    """For every owed key with an observation: when it arrived (the file's delivery time, else its load) and in
    which batch — a county's own observation, a league's latest piece (its own or any of its counties')."""
    own = con.execute("""
        SELECT o.indicator_code, o.region_code, o.period, coalesce(b.received_at, b.loaded_at) AS received_at,
               o.batch_id
        FROM current_observations o JOIN batches b USING (batch_id)
        WHERE list_contains($keys, o.indicator_code || '|' || o.period)""",
                      {"keys": _keys(owing)}).df()
    leagues = {r.code: cat.regions.league_of(r.code) for r in cat.regions.regions}
    pieces = own.assign(region_code=own["region_code"].map(leagues)).dropna(subset=["region_code"])
    pieces = pieces.groupby(["indicator_code", "region_code", "period"], as_index=False).agg(
        received_at=("received_at", "max"), batch_id=("batch_id", "max"))
    counties = own[own["region_code"].map({r.code: r.level for r in cat.regions.regions}).eq("county")]
    return pd.concat([pieces, counties], ignore_index=True)


def _keys(owing: pd.DataFrame) -> list[str]:
    return list(set(owing["indicator_code"] + "|" + owing["period"]))


def _present(con: duckdb.DuckDBPyConnection, owing: pd.DataFrame) -> pd.DataFrame:
    """The owed keys the warehouse has a value for: a county's observation, a league's own or complete sum."""
    return con.execute("""
        SELECT DISTINCT f.indicator_code, f.region_code, f.period FROM facts f
        WHERE f.region_level IN ('league', 'county') AND f.value IS NOT NULL AND f.basis = 'native'
          AND list_contains($keys, f.indicator_code || '|' || f.period)""",
                       {"keys": _keys(owing)}).df()


def rejections(con: duckdb.DuckDBPyConnection, cat: Catalogue) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(keys held by rejected files: indicator_code, league_code, period, submitter_region;
    rejected files none of whose rows could be read: batch_id, submitter_region, league, received_at)."""
    if (schema_version(con) or 0) < 2:  # a warehouse not yet migrated: rejected files' keys may not have been kept
        held = pd.DataFrame(columns=["indicator_code", "league_code", "period", "submitter_region"])
        known = "FALSE"
    else:
        held = con.execute("""SELECT DISTINCT k.indicator_code, k.league_code, k.period, b.submitter_region
                              FROM rejected_keys k LEFT JOIN batches b USING (batch_id)""").df()
        known = "EXISTS (SELECT 1 FROM rejected_keys k WHERE k.batch_id = b.batch_id)"
    unread = con.execute(f"""SELECT batch_id, submitter_region, coalesce(received_at, loaded_at) AS received_at
                             FROM batches b
                             WHERE status = 'rejected' AND submitter_region IS NOT NULL AND NOT {known}""").df()
    leagues = {r.code: cat.regions.league_of(r.code) for r in cat.regions.regions}
    unread["league"] = unread["submitter_region"].map(leagues)
    return held, unread.dropna(subset=["league"])


def _rejected(owing: pd.DataFrame, held: pd.DataFrame, unread: pd.DataFrame) -> pd.Series:
    """Whether a rejected file stood for each owed key. The warehouse keeps a rejected row's league, not its
    county, so: a league's key when any rejected file held it (its own or a county's file); a county's key when a
    rejected file of that county alone held it. A file that could not be read that far stands for every key its
    submitter owes whose period had ended when it arrived (a league's keys also stand for its counties' such files)."""
    by_league = held[["indicator_code", "league_code", "period"]].drop_duplicates().assign(_held=True)
    by_county = (held[["indicator_code", "submitter_region", "period"]].dropna().drop_duplicates()
                 .rename(columns={"submitter_region": "region_code"}).assign(_held_c=True))
    frame = owing[["region_code", "region_level", "league_code", "indicator_code", "period", "end"]]
    frame = frame.merge(by_league, how="left", on=["indicator_code", "league_code", "period"])
    frame = frame.merge(by_county, how="left", on=["indicator_code", "region_code", "period"])
    is_league = frame["region_level"].eq("league").to_numpy()
    tried = (frame["_held"].eq(True).to_numpy() & is_league) | (frame["_held_c"].eq(True).to_numpy() & ~is_league)
    last_by_league = unread.groupby("league")["received_at"].max().to_dict()
    last_by_unit = unread.groupby("submitter_region")["received_at"].max().to_dict()
    last = frame["league_code"].map(last_by_league).where(is_league, frame["region_code"].map(last_by_unit))
    end = pd.to_datetime(frame["end"])
    unreadable = (pd.to_datetime(last) >= end).fillna(False).to_numpy(dtype=bool)
    return pd.Series(tried | unreadable, index=owing.index)


def obligations(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings, periods_back: int = 3,
                keys: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (unit, indicator, period) owed on settings.today, for the latest ended period of each
    frequency and `periods_back` before it (or for the (indicator_code, period) pairs in `keys`): COLUMNS, with
    status one of STATUSES and days_overdue (0 unless nothing is in and the deadline has passed)."""
    owing = owed(cat, settings, periods_back, keys)
    if owing.empty:
        return pd.DataFrame(columns=COLUMNS)
    on = ["indicator_code", "region_code", "period"]
    arrived = _arrivals(con, owing, cat)
    present = _present(con, owing).assign(_present=True)
    frame = owing.merge(arrived, how="left", on=on).merge(present, how="left", on=on)
    frame.index = owing.index
    have = frame["_present"].eq(True).to_numpy()
    arrived_date = pd.to_datetime(frame["received_at"]).dt.normalize()
    due = pd.to_datetime(frame["due"])
    after = (arrived_date > due).fillna(False).to_numpy(dtype=bool)
    rejected = _rejected(frame, *rejections(con, cat)).to_numpy()
    today = pd.Timestamp(settings.today)
    passed = (due < today).to_numpy()
    frame["status"] = "due"
    frame.loc[passed, "status"] = "overdue"
    frame.loc[~have & rejected, "status"] = "rejected"
    frame.loc[have, "status"] = "received"
    frame.loc[have & after, "status"] = "late"
    frame["days_overdue"] = ((today - due).dt.days.clip(lower=0)).where(~have, 0).astype(int)
    frame["batch_id"] = frame["batch_id"].astype("Int64")
    order = {"league": 0, "county": 1}
    frame = frame.assign(_level=frame["region_level"].map(order)).sort_values(
        ["_level", "league_code", "region_code", "indicator_code", "year", "sub"], kind="stable")
    return frame[COLUMNS].reset_index(drop=True)


def overdue(frame: pd.DataFrame) -> pd.DataFrame:
    """What is still owed after its deadline (overdue, or rejected with nothing in), most overdue first."""
    late = frame[frame["status"].isin(("overdue", "rejected")) & (frame["days_overdue"] > 0)]
    return late.sort_values(["days_overdue", "region_code", "indicator_code"], ascending=[False, True, True],
                            kind="stable").reset_index(drop=True)


def in_scope(frame: pd.DataFrame, codes: set[str] | None) -> pd.DataFrame:
    """Only the units in `codes` (None: all)."""
    return frame if codes is None else frame[frame["region_code"].isin(codes)].reset_index(drop=True)


def counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many obligations are in each status (every status present, 0 when none)."""
    found = frame["status"].value_counts()
    return {s: int(found.get(s, 0)) for s in STATUSES}


def labelled(frame: pd.DataFrame, cat: Catalogue, lang: str = "zh") -> pd.DataFrame:
    """Unit and indicator names in the given language beside their codes."""
    return frame.assign(
        region_name=frame["region_code"].map({c: r.name(lang) for c, r in cat.regions.by_code.items()}),
        indicator_name=frame["indicator_code"].map({c: i.name(lang) for c, i in cat.indicators.items()}))

