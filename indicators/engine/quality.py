"""Read-side data-quality queries: who submitted what for the latest period, recent batches and their problems,
open warnings (outliers, reconciliation differences), freshness of each indicator, and what the last load changed.

Pure SELECTs on the published warehouse (facts, observations, batches, problems), like indicators.query.
Submission states of a league × indicator cell for the indicator's latest period are the league's obligations
(indicators.engine.obligations: one definition of what is owed, by when, and its state): received · late ·
rejected · missing (nothing in: the calendar's overdue or, before the deadline, due).
Deadline = end of the period + settings [quality] deadline_days_<frequency>: 2023Q2 ends 2023-06-30, due 2023-08-14.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import duckdb
import pandas as pd

from indicators.base import periods
from indicators.base.catalogue import Catalogue
from indicators.base.settings import Quality, Settings
from indicators.engine import obligations, release
from indicators.engine.obligations import deadline  # the one definition, also used by the report's annex

STATES = ("received", "late", "rejected", "missing")
MATRIX_STATE = {"received": "received", "late": "late", "rejected": "rejected", "overdue": "missing",
                "due": "missing"}
NEEDS_SETTINGS = {"submission_matrix", "freshness"}  # the queries that need deadlines or the clock


def deadline_days(q: Quality) -> dict[str, int]:
    """{'annual': 90, 'quarterly': 45, 'monthly': 20} as configured (settings [quality])."""
    return {f: q.deadline_days(f) for f in ("annual", "quarterly", "monthly")}



def _latest_native(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The latest submitted (native-frequency) period of every indicator, over all regions."""
    return con.execute("""
        SELECT indicator_code, frequency, arg_max(period, year * 100 + sub) AS period,
               max(year * 100 + sub) AS yearsub
        FROM facts WHERE basis = 'native' AND status <> 'derived' AND value IS NOT NULL
        GROUP BY indicator_code, frequency""").df().assign(
        year=lambda d: d["yearsub"] // 100, sub=lambda d: d["yearsub"] % 100).drop(columns="yearsub")


def submission_matrix(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings,
                      lang: str = "zh") -> pd.DataFrame:
    """One row per league × submitted indicator for the indicator's latest period: period, state (STATES),
    received_at, batch_id — the leagues' obligations (indicators.obligations), with nothing in read as missing
    whether its deadline has passed or not."""
    latest = _latest_native(con)
    owed = obligations.obligations(con, cat, settings, keys=latest) if len(latest) else pd.DataFrame()
    if owed.empty:
        return pd.DataFrame(columns=["region_code", "region_name", "indicator_code", "period", "state",
                                     "received_at", "batch_id"])
    leagues = owed[owed["region_level"] == "league"]
    return pd.DataFrame({
        "region_code": leagues["region_code"],
        "region_name": leagues["region_code"].map({r.code: r.name(lang) for r in cat.regions.leagues()}),
        "indicator_code": leagues["indicator_code"], "period": leagues["period"],
        "state": leagues["status"].map(MATRIX_STATE), "received_at": leagues["received_at"],
        "batch_id": leagues["batch_id"]}).reset_index(drop=True)


def recent_batches(con: duckdb.DuckDBPyConnection, cat: Catalogue, limit: int = 20) -> pd.DataFrame:
    """The latest batches, newest first, with their counts (the report of each load)."""
    frame = con.execute("""
        SELECT batch_id, file_name, status, received_at, loaded_at, submitter_region, rows_total, rows_new,
               rows_revised, rows_unchanged, rows_not_reported, rows_rejected, n_errors, n_warnings, synthetic, message
        FROM batches ORDER BY loaded_at DESC, batch_id DESC LIMIT ?""", [limit]).df()
    frame["submitter_name"] = frame["submitter_region"].map(
        lambda c: cat.regions.by_code[c].name_zh if c in cat.regions.by_code else "")
    return frame


def batch_problems(con: duckdb.DuckDBPyConnection, cat: Catalogue, batch_id: int, limit: int = 500) -> pd.DataFrame:
    """The problem rows of one batch (errors first), as the submitter's report lists them."""
    return con.execute("""
        SELECT batch_id, file_name, line, "column", value, rule, severity, message_zh, message_en FROM problems
        WHERE batch_id = ? ORDER BY severity = 'warning', line NULLS FIRST LIMIT ?""", [batch_id, limit]).df()


def outliers(con: duckdb.DuckDBPyConnection, cat: Catalogue) -> pd.DataFrame:
    """Open year-on-year warnings: flagged at load and the flagged value is still the current one."""
    return con.execute("""
        SELECT o.indicator_code, o.region_code, o.period, o.value, p.message_zh, p.message_en, p.batch_id, p.file_name,
               p.line
        FROM problems p JOIN current_observations o ON o.batch_id = p.batch_id AND o.line = p.line
        WHERE p.rule = 'yoy_change' ORDER BY o.indicator_code, o.region_code, o.period""").df()


def reconciliation(con: duckdb.DuckDBPyConnection, cat: Catalogue) -> pd.DataFrame:
    """Reported values that differ from the sum (or weighted mean) of the level below beyond the tolerance."""
    return con.execute("""
        SELECT indicator_code, region_code, region_level, period, reported_value, aggregated_value,
               reconciliation_diff, reconciliation_diff / nullif(abs(aggregated_value), 0) AS relative_diff,
               coverage_n, coverage_total, synthetic, batch_id
        FROM facts WHERE reconciliation_ok = false ORDER BY indicator_code, region_code, year, sub""").df()


def _due_period(frequency: str, on: date, q: Quality) -> tuple[int, int]:
    """The latest period whose deadline has passed on `on`."""
    if frequency == "annual":
        year = on.year - 1
        return (year, 0) if deadline(year, 0, "annual", q) <= on else (year - 1, 0)
    n = 4 if frequency == "quarterly" else 12
    year, sub = on.year, n
    while deadline(year, sub, frequency, q) > on:
        year, sub = (year, sub - 1) if sub > 1 else (year - 1, n)
    return year, sub


def freshness(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings) -> pd.DataFrame:
    """Per submitted indicator: latest period received, regions reporting it, last load, the period due by now,
    and how many periods behind the data are (0 = current)."""
    latest = _latest_native(con).set_index("indicator_code")
    loads = con.execute("""SELECT o.indicator_code, max(b.loaded_at) AS last_loaded, count(DISTINCT o.region_code) AS regions
                           FROM current_observations o JOIN batches b USING (batch_id) GROUP BY 1""").df()
    loads = loads.set_index("indicator_code")
    now, rows = settings.today, []
    for ind in cat.indicators.values():
        if ind.is_derived:
            continue
        due_year, due_sub = _due_period(ind.frequency, now, settings.quality)
        per_year = {"annual": 1, "quarterly": 4, "monthly": 12}[ind.frequency]
        row = {"indicator_code": ind.code, "frequency": ind.frequency, "latest_period": None, "last_loaded": None,
               "regions": 0, "due_period": periods.code(due_year, due_sub, ind.frequency), "behind": None}
        if ind.code in latest.index:
            item = latest.loc[ind.code]
            behind = (due_year - int(item["year"])) * per_year + (due_sub - int(item["sub"]))
            row.update(latest_period=item["period"], behind=max(behind, 0))
        if ind.code in loads.index:
            row.update(last_loaded=loads.loc[ind.code, "last_loaded"], regions=int(loads.loc[ind.code, "regions"]))
        rows.append(row)
    return pd.DataFrame(rows)


def last_load_changes(con: duckdb.DuckDBPyConnection, cat: Catalogue, limit: int = 200) -> pd.DataFrame:
    """What the latest accepted batch changed: new and revised values (with the value they replaced)."""
    return con.execute("""
        WITH last AS (SELECT max(batch_id) AS batch_id FROM batches WHERE status IN ('loaded', 'partial'))
        SELECT o.batch_id, b.file_name, b.loaded_at, o.indicator_code, o.region_code, o.period, o.value,
               p.value AS previous, CASE WHEN p.value IS NULL THEN 'new' ELSE 'revised' END AS change, o.synthetic
        FROM observations o JOIN last USING (batch_id) JOIN batches b USING (batch_id)
        LEFT JOIN observations p ON p.superseded_by = o.batch_id AND p.indicator_code = o.indicator_code
             AND p.region_code = o.region_code AND p.period = o.period
        ORDER BY change DESC, o.indicator_code, o.region_code, o.period LIMIT ?""", [limit]).df()


# ── what the bulletin's annexes list (the report reads the warehouse only through these) ──────────────

def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def arrivals(con: duckdb.DuckDBPyConnection, codes: Sequence[str], year: int) -> pd.DataFrame:
    """When each current value of these indicators in `year` arrived (the file's delivery time, else its load)."""
    return con.execute("""
        SELECT o.indicator_code, o.region_code, o.period, o.year, o.sub, coalesce(b.received_at, b.loaded_at) AS at
        FROM current_observations o JOIN batches b USING (batch_id)
        WHERE o.year = $year AND list_contains($codes, o.indicator_code)""",
                       {"year": year, "codes": list(codes)}).df()


def revisions_since(con: duckdb.DuckDBPyConnection, since: date, regions: Sequence[str]) -> pd.DataFrame:
    """Released values that a release on or after `since` replaced, in these regions (old → new, the release and
    the reason, newest first) — the bulletin's annex, as /revisions."""
    return release.revisions(con, _midnight(since), list(regions))


def rejected_since(con: duckdb.DuckDBPyConnection, since: date) -> pd.DataFrame:
    """Files rejected or loaded only in part on or after `since`, newest first."""
    return con.execute("""
        SELECT batch_id, file_name, status, loaded_at, submitter_region, n_errors, rows_rejected, message
        FROM batches WHERE status IN ('rejected', 'partial') AND loaded_at >= $since
        ORDER BY loaded_at DESC""", {"since": _midnight(since)}).df()


def sources(con: duckdb.DuckDBPyConnection, regions: Sequence[str], years: tuple[int, int]) -> pd.DataFrame:
    """The data sources named by the current values of these regions and years, most used first (source, n,
    synthetic)."""
    return con.execute("""
        SELECT coalesce(nullif(trim(source), ''), '（未注明来源）') AS source, count(*) AS n, bool_or(synthetic) AS synthetic
        FROM current_observations
        WHERE list_contains($regions, region_code) AND year BETWEEN $lo AND $hi
        GROUP BY 1 ORDER BY n DESC, source""", {"regions": list(regions), "lo": years[0], "hi": years[1]}).df()
