"""The report's data-quality annex: coverage, late and missing submissions, revisions since the last report,
open warnings — read with the engine's quality queries (the same the dashboard's quality page shows).

Deadlines are the engine's (`indicators.quality.deadline`: end of period + 90 / 45 / 20 days for annual /
quarterly / monthly series). "Since the last report" defaults to the deadline of the previous period, when
that report could first have been published; `ReportSpec.since` overrides it.
Example: the 2024 annual report lists revisions released on or after 2024-03-30 (2023's deadline), with the release
and its reason (indicators.engine.quality.revisions_since).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from indicators.base.catalogue import Catalogue
from indicators.base.settings import Quality as QualitySettings
from indicators.engine import quality as engine
from indicators.engine import query


@dataclass
class Quality:
    since: date
    coverage: pd.DataFrame  # per chapter: indicators with a value at the report region, league and county cells
    submissions: pd.DataFrame  # per league: expected, received, late, missing, missing codes
    revisions: pd.DataFrame  # values replaced by a later vintage since `since`
    outliers: pd.DataFrame  # open year-on-year warnings in scope
    reconciliation: pd.DataFrame  # reported totals that differ from their parts
    rejected: pd.DataFrame  # files rejected since `since`
    synthetic: bool
    deadline_days: dict[str, int]


def previous_deadline(year: int, quarter: int | None, q: QualitySettings) -> date:
    """When the previous bulletin could first appear: the deadline of the period before this one."""
    if quarter is None:
        return engine.deadline(year - 1, 0, "annual", q)
    prev_year, prev_q = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return engine.deadline(prev_year, prev_q, "quarterly", q)


def scope_regions(cat: Catalogue, code: str) -> list[str]:
    """The report region, its leagues and counties (a league: itself and its counties)."""
    region = cat.regions.by_code[code]
    if region.level == "league":
        return [code] + [c.code for c in cat.regions.counties(code)]
    return [r.code for r in cat.regions.regions]


def assemble(con: duckdb.DuckDBPyConnection, cat: Catalogue, report, q: QualitySettings) -> Quality:
    spec = report.spec
    since = spec.since or previous_deadline(spec.year, spec.quarter, q)
    scope = scope_regions(cat, report.region.code)
    years = (spec.annual_year, spec.year)
    outliers = engine.outliers(con, cat)
    outliers = outliers[outliers["region_code"].isin(scope) & outliers["period"].str[:4].astype(int).between(*years)]
    recon = engine.reconciliation(con, cat)
    recon = recon[recon["region_code"].isin(scope) & recon["period"].str[:4].astype(int).between(*years)]
    revisions = _by_level(engine.revisions_since(con, since, scope), cat, report.lang)
    return Quality(since=since, coverage=_coverage(con, cat, report), submissions=_submissions(con, cat, report, q),
                   revisions=revisions, outliers=_by_level(outliers, cat, report.lang),
                   reconciliation=_by_level(recon, cat, report.lang),
                   rejected=_rejected(con, cat, scope, since, include_unknown=not report.is_league, lang=report.lang),
                   synthetic=bool(revisions["synthetic"].any()) if len(revisions) else False,
                   deadline_days=engine.deadline_days(q))


def _by_level(frame: pd.DataFrame, cat: Catalogue, lang: str = "zh") -> pd.DataFrame:
    """Region first, then leagues, then counties (the rows a reader of the report acts on come first)."""
    order = {"region": 0, "league": 1, "county": 2}
    level = frame["region_code"].map(lambda c: order[cat.regions.by_code[c].level])
    frame = frame.assign(_level=level).sort_values(["_level", "indicator_code", "region_code", "period"], kind="stable")
    return query.label(frame.drop(columns="_level").reset_index(drop=True), cat, lang)


def _coverage(con: duckdb.DuckDBPyConnection, cat: Catalogue, report) -> pd.DataFrame:
    """Per chapter: values present over values expected, at the report region, the leagues and the counties."""
    year = report.spec.annual_year
    counties = [c.code for c in cat.regions.counties(report.region.code if report.is_league else None)]
    county = query.values(con, regions=counties, level="county", years=(year, year))
    county = county[county["complete"]]
    rows = []
    for number, label in report.chapter_labels.items():
        inds = cat.by_chapter(number)
        if not inds:
            continue
        cur = report.current[report.current["indicator_code"].isin([i.code for i in inds])]
        at_league = [i.code for i in inds if "league" in i.levels]
        at_county = [i.code for i in inds if "county" in i.levels]
        lv = report.league_values
        rows.append({
            "chapter": label, "indicators": len(inds),
            "region_have": int(cur["value"].notna().sum()), "region_total": len(inds),
            "league_have": int(lv["indicator_code"].isin(at_league).sum()),
            "league_total": len(at_league) * len(report.leagues),
            "county_have": int(county["indicator_code"].isin(at_county).sum()),
            "county_total": len(at_county) * len(counties)})
    return pd.DataFrame(rows)


def _submissions(con: duckdb.DuckDBPyConnection, cat: Catalogue, report, q: QualitySettings) -> pd.DataFrame:
    """Per league, for the report period: indicators expected, received in time, received late, missing.
    A league's value counts as received when it has one (its own or aggregated from all its counties);
    late when any observation behind it arrived after its period's deadline."""
    spec = report.spec
    expected = [i for i in cat.indicators.values() if not i.is_derived and "league" in i.levels]
    periods = {i.code: spec.native_period(i.frequency if spec.quarter else "annual") for i in expected}
    frequency = {i.code: (i.frequency if spec.quarter else "annual") for i in expected}
    facts = query.values(con, [i.code for i in expected], level="league", frequency=None,
                         years=(spec.annual_year, spec.year))
    facts = facts[facts["complete"] & (facts["frequency"] == facts["indicator_code"].map(frequency))
                  & (facts["period"] == facts["indicator_code"].map(periods))]
    have = set(zip(facts["indicator_code"], facts["region_code"], strict=True))
    late = _late(con, cat, spec, {i.code: i.frequency for i in expected}, q)
    rows = []
    for league in report.leagues:
        missing = [i.code for i in expected if (i.code, league.code) not in have]
        n_late = sum(1 for i in expected if (i.code, league.code) in have and (i.code, league.code) in late)
        rows.append({"region_code": league.code, "region_name": league.name(report.lang), "expected": len(expected),
                     "received": len(expected) - len(missing) - n_late, "late": n_late, "missing": len(missing),
                     "missing_codes": missing})
    return pd.DataFrame(rows)


def _late(con: duckdb.DuckDBPyConnection, cat: Catalogue, spec, native: dict[str, str],
          q: QualitySettings) -> set[tuple[str, str]]:
    """(indicator, league) pairs with an observation in the report period that arrived after its deadline."""
    obs = engine.arrivals(con, list(native), spec.year if spec.quarter else spec.annual_year)
    if spec.quarter:
        wanted = {c: spec.native_period(f) for c, f in native.items()}
        obs = obs[obs["period"] == obs["indicator_code"].map(wanted)]
    if obs.empty:
        return set()
    due = [engine.deadline(int(y), int(s), native[c], q) for c, y, s in zip(obs["indicator_code"], obs["year"],
                                                                             obs["sub"], strict=True)]
    obs = obs[pd.to_datetime(obs["at"]).dt.date.to_numpy() > pd.Series(due).to_numpy()]
    leagues = {r.code: cat.regions.league_of(r.code) for r in cat.regions.regions if r.level != "region"}
    return {(c, leagues[r]) for c, r in zip(obs["indicator_code"], obs["region_code"], strict=True) if r in leagues}


def _rejected(con: duckdb.DuckDBPyConnection, cat: Catalogue, scope: list[str], since: date,
              include_unknown: bool, lang: str = "zh") -> pd.DataFrame:
    """Files rejected (or loaded only in part) since `since` from the scope; files whose region could not be
    told (unreadable) belong to the region-wide report."""
    frame = engine.rejected_since(con, since)
    frame = frame[frame["submitter_region"].isin(scope) | (frame["submitter_region"].isna() & include_unknown)]
    names = {c: r.name(lang) for c, r in cat.regions.by_code.items()}
    return frame.assign(submitter_name=frame["submitter_region"].map(names).fillna("—"))


def english_units(message: str, cat: Catalogue) -> str:
    """A warning's English text on an English page: the ETL writes the unit after a number as the catalogue spells it
    ("value 10814 个 changed +58.8% from last year (6809 个)"); here it reads as units.yaml's English name
    ("value 10814 changed …", 亿元 → 100m yuan; a bare count has none). Longest names first (万元 before 元)."""
    names = {alias: unit.name_en for unit in cat.units.values() for alias in (unit.name, *unit.aliases)}
    for name in sorted(names, key=len, reverse=True):
        english = names[name]
        message = re.sub(rf"(?<=\d) {re.escape(name)}(?=$|[\s),;:])", f" {english}" if english else "", message)
    return message
