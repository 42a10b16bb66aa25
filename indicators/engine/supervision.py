"""Supervision of the level below (Art. 71): each county's record in one year — how it progresses on the headline
indicators, whether it reported on time, and the quality of what it sent.

    record(con_public, con_working, cat, settings, "152900", 2024) → one row per county of 阿拉善盟:
        assessed 9 · behind 2 · achieved or on track 6 · owed 72 · on time 33 · late 37 · rejected 0 · missing 2 ·
        files 3 · values revised 4 · own files rejected 1 · open warnings 1 · reconciliation differences 0

Progress comes from the published warehouse (what the public saw); reporting and quality from the working
warehouse (every file that arrived, loaded or rejected, released or not). Reporting counts the obligations of the
year's periods that have ended by settings.today (obligations.py: received on time · late · rejected · overdue ·
due), so a year still running is counted as far as it is owed.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from indicators.base import periods
from indicators.base.catalogue import Catalogue
from indicators.base.settings import Settings
from indicators.engine import obligations, precompute
from indicators.engine import quality as quality_engine
from indicators.engine.progress import BEHIND

GOOD = ("achieved", "on_track")
COLUMNS = ["region_code", "assessed", "behind", "good", "owed", "on_time", "late", "rejected", "missing", "due",
           "on_time_share", "files", "revised", "files_rejected", "warnings", "reconciliation"]


def headline_codes(cat: Catalogue, level: str) -> list[str]:
    """The composite index's indicators that units of `level` report (the progress matrix's columns)."""
    return [i.code for i in sorted(cat.indicators.values(), key=lambda i: (i.chapter, i.code))
            if i.in_index and level in i.levels]


def year_keys(cat: Catalogue, level: str, year: int, settings: Settings) -> pd.DataFrame:
    """(indicator_code, period) of every period of `year` that has ended by settings.today, for the indicators
    units of `level` submit: annual 2024; quarterly 2024Q1…; monthly 2024M01…."""
    rows = []
    for ind in cat.indicators.values():
        if ind.is_derived or level not in ind.levels:
            continue
        count = obligations.PER_YEAR[ind.frequency]
        for sub in ([0] if count == 1 else range(1, count + 1)):
            if periods.end(year, sub, ind.frequency) < settings.today:
                rows.append((ind.code, periods.code(year, sub, ind.frequency)))
    return pd.DataFrame(rows, columns=["indicator_code", "period"])


def progress_counts(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings, units: Sequence[str],
                    year: int, level: str) -> pd.DataFrame:
    """Per unit: headline indicators assessed (a status other than insufficient data / not assessed), behind
    (progress.BEHIND), achieved or on track."""
    found = precompute.progress(con, cat, year, settings.progress, regions=list(units),
                                indicators=headline_codes(cat, level))
    status = found["status"] if len(found) else pd.Series(dtype=str)
    frame = pd.DataFrame({"region_code": found.get("region_code", pd.Series(dtype=str)),
                          "assessed": ~status.isin(("insufficient_data", "not_assessed")),
                          "behind": status.isin(BEHIND), "good": status.isin(GOOD)})
    counts = frame.groupby("region_code")[["assessed", "behind", "good"]].sum()
    return counts.reindex(list(units), fill_value=0).astype(int)


def reporting_counts(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings, units: Sequence[str],
                     year: int, level: str) -> pd.DataFrame:
    """Per unit: obligations of the year owed so far and their states; the share received by the deadline."""
    keys = year_keys(cat, level, year, settings)
    owed = obligations.obligations(con, cat, settings, keys=keys) if len(keys) else pd.DataFrame(
        columns=obligations.COLUMNS)
    owed = owed[owed["region_code"].isin(units)]
    counts = pd.crosstab(owed["region_code"], owed["status"]).reindex(
        index=list(units), columns=list(obligations.STATUSES), fill_value=0)
    out = pd.DataFrame({"owed": counts.sum(axis=1), "on_time": counts["received"], "late": counts["late"],
                        "rejected": counts["rejected"], "missing": counts["overdue"], "due": counts["due"]})
    settled = out["owed"] - out["due"]  # obligations whose deadline has passed (or that arrived early)
    out["on_time_share"] = (out["on_time"] / settled.where(settled > 0)).round(3)
    return out


def quality_counts(con: duckdb.DuckDBPyConnection, cat: Catalogue, units: Sequence[str], year: int) -> pd.DataFrame:
    """Per unit, for the periods of `year`: the loaded files that carried its values (its own or its league's
    file), its values later replaced by a revision, the files it handed in itself that were rejected (a rejected
    file's rows are kept by league only), its open year-on-year warnings and its reported totals that differ from
    the sum of their parts."""
    values = con.execute("""
        SELECT region_code, count(DISTINCT batch_id) AS files, count(*) FILTER (WHERE superseded_by IS NOT NULL)
               AS revised
        FROM observations WHERE list_contains($units, region_code) AND year = $year GROUP BY 1""",
                         {"units": list(units), "year": year}).df().set_index("region_code")
    # a rejected file counts for the year of the periods it tried to submit; one that could not be read that far,
    # for the year it was handed in
    rejected = con.execute("""
        SELECT b.submitter_region AS region_code, count(DISTINCT b.batch_id) AS files_rejected
        FROM batches b LEFT JOIN rejected_keys k USING (batch_id)
        WHERE b.status = 'rejected' AND list_contains($units, b.submitter_region)
          AND (starts_with(k.period, $year::VARCHAR)
               OR (k.batch_id IS NULL AND year(coalesce(b.received_at, b.loaded_at)) = $year))
        GROUP BY 1""", {"units": list(units), "year": year}).df().set_index("region_code")
    warnings = quality_engine.outliers(con, cat)
    recon = quality_engine.reconciliation(con, cat)
    out = pd.concat([values, rejected], axis=1).reindex(list(units)).fillna(0).astype(int)
    for name, found in (("warnings", warnings), ("reconciliation", recon)):
        found = found[found["region_code"].isin(units) & found["period"].str.startswith(str(year))]
        out[name] = found["region_code"].value_counts().reindex(out.index, fill_value=0).astype(int)
    return out[["files", "revised", "files_rejected", "warnings", "reconciliation"]]


def working_record(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings, units: Sequence[str],
                   year: int) -> pd.DataFrame:
    """The part of the record the working warehouse answers: reporting and quality, one row per unit."""
    return pd.concat([reporting_counts(con, cat, settings, units, year, "county"),
                      quality_counts(con, cat, units, year)], axis=1)


def combined(progress: pd.DataFrame, working: pd.DataFrame) -> pd.DataFrame:
    frame = pd.concat([progress, working], axis=1)
    frame.index.name = "region_code"
    return frame.reset_index()[COLUMNS]


def record(published: duckdb.DuckDBPyConnection, working: duckdb.DuckDBPyConnection, cat: Catalogue,
           settings: Settings, league: str, year: int) -> pd.DataFrame:
    """One row per county of `league` (COLUMNS), in the catalogue's order."""
    units = [r.code for r in cat.regions.counties(league)]
    return combined(progress_counts(published, cat, settings, units, year, "county"),
                    working_record(working, cat, settings, units, year))
