"""What the bulletin says: every number, table and note of one report, read through the engine API in one go.

`assemble(con, cat, settings, spec)` runs while a short read-only connection is open and returns a plain
`Report`; charts and layout come afterwards, with the connection closed (a report never holds the warehouse
while Chromium renders). Periods: an annual report shows year Y; a quarterly report shows quarterly series at
YQn, monthly series at the quarter's last month (YTD where cumulative) and annual series, progress and the
composite index for the last full year Y−1 — each row carries its own period, so nothing is mislabelled.
Names (indicators, regions, chapters) and every sentence are in the spec's language (zh, or en for the English
edition); the regulation's article text is Chinese in both, quoted as supplied.
Example: ReportSpec(2024, region="152500") → the 锡林郭勒盟 report for 2024, compared with the other 11 leagues.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb
import numpy as np
import pandas as pd

from dashboard.figures import chapter_labels
from dashboard.i18n import t
from dashboard.report import methods as methods_annex
from dashboard.report import quality as quality_annex
from dashboard.report.texts import quoted, say
from indicators.base import periods
from indicators.base.catalogue import Catalogue, Indicator
from indicators.base.regions import Region
from indicators.base.regulation import MISSING, chinese_numeral
from indicators.base.settings import Settings
from indicators.engine import composite, precompute, query, supervision
from indicators.engine import progress as progress_engine
from indicators.engine.progress import choose_target
from indicators.storage.warehouse import publication_time

MAX_COMPARED = 4  # indicators per chapter in the league comparison table (A4 portrait width)
TREND_YEARS = 6


@dataclass(frozen=True)
class ReportSpec:
    year: int
    quarter: int | None = None
    region: str | None = None  # a league code; None: the region (the root of the region tree)
    since: date | None = None  # revisions loaded on or after this day; default: previous period's deadline
    lang: str = "zh"  # the edition: zh, or en (the English bulletin)

    @property
    def annual_year(self) -> int:
        return self.year if self.quarter is None else self.year - 1

    def period_label(self) -> str:
        """2024年 · 2024年第三季度 (en: 2024 · 2024 Q3)."""
        return periods.label(f"{self.year}" + (f"Q{self.quarter}" if self.quarter else ""), lang=self.lang)

    def native_period(self, frequency: str) -> str:
        """The period shown for a series of this frequency: 2024 · 2024Q3 · 2024M09."""
        if self.quarter is None or frequency == "annual":
            return str(self.annual_year)
        return periods.code(self.year, self.quarter if frequency == "quarterly" else 3 * self.quarter, frequency)


@dataclass
class ChapterSection:
    number: int
    heading: str  # as in the regulation; Chapter 3 keeps its "heading missing" label
    articles: list[tuple[str, str]]  # (第十一条 | Article 11, excerpt as supplied or 原文缺失)
    codes: list[str]  # indicators of the chapter
    key_code: str | None  # charted indicator
    compared: list[str]  # indicators in the league comparison table
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IndexRobustness:
    """How fragile the index of a year is: the chapters and how many indicators each rests on, the chapters'
    coverage by league and year, and the ranks under the sensitivity scenarios (indicators.composite)."""

    basis: pd.DataFrame
    coverage: pd.DataFrame
    runs: pd.DataFrame
    min_chapter_indicators: int


@dataclass
class Report:
    spec: ReportSpec
    region: Region
    leagues: list[Region]
    published_at: str | None
    generated_at: datetime
    synthetic: bool
    current: pd.DataFrame  # one row per indicator at the report region: the shown value, YoY, provenance
    league_values: pd.DataFrame  # annual values of the 12 leagues in annual_year
    trends: pd.DataFrame  # annual series (report region, and the region for comparison) for charts
    progress: pd.DataFrame  # progress assessment per indicator at the report region
    index: pd.DataFrame  # composite index and chapter sub-indices of the 12 leagues
    chapters: list[ChapterSection]
    robustness: IndexRobustness
    chapter_labels: dict[int, str]
    quality: quality_annex.Quality | None = None
    methods: methods_annex.Methods | None = None
    attention: pd.DataFrame | None = None  # who is behind on which headline indicator, with the reason (需关注)
    counties: pd.DataFrame | None = None  # a league's report: its counties' statuses on the headline indicators
    county_values: pd.DataFrame | None = None  # … and their annual values of those indicators in annual_year

    @property
    def is_league(self) -> bool:
        return self.region.level == "league"

    @property
    def lang(self) -> str:
        return self.spec.lang

    @property
    def title(self) -> str:
        return say("rp_title", self.lang, region=self.region.name(self.lang))


def assemble(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings, spec: ReportSpec,
             index: pd.DataFrame | None = None, robustness: IndexRobustness | None = None) -> Report:
    """Everything the report shows, from one open read-only connection (`index` and `robustness` may be shared
    across a run)."""
    region = cat.regions.by_code[spec.region or cat.regions.root.code]
    leagues = cat.regions.leagues()
    scope = list(dict.fromkeys([region.code, cat.regions.root.code] + [r.code for r in leagues]))
    facts = query.values(con, regions=scope, frequency=None, years=(0, spec.year))
    current = _current(facts, cat, spec, region.code)
    prog = precompute.progress(con, cat, spec.annual_year, settings.progress, regions=[region.code])
    if index is None:
        index = league_index(con, cat, settings, spec.annual_year, spec.lang)
    if robustness is None:
        robustness = index_robustness(con, cat, settings, spec.annual_year)
    annual = facts[(facts["frequency"] == "annual") & facts["complete"]]
    league_values = query.label(annual[(annual["region_level"] == "league") & (annual["year"] == spec.annual_year)],
                                cat, spec.lang)
    trend_regions = [region.code] + ([cat.regions.root.code] if region.level == "league" else [])
    trends = query.label(annual[annual["region_code"].isin(trend_regions)
                                & (annual["year"] > spec.annual_year - TREND_YEARS)], cat, spec.lang)
    report = Report(spec, region, leagues, publication_time(con), datetime.now(UTC).replace(microsecond=0),
                    synthetic=_uses_synthetic(current, league_values, trends, index),
                    current=current, league_values=league_values, trends=trends, progress=prog, index=index,
                    chapters=[], robustness=robustness, chapter_labels=chapter_labels(cat, spec.lang))
    report.chapters = [_chapter(cat, report, n) for n in cat.regulation.chapters]
    report.attention = attention(con, cat, settings, report)
    if report.is_league:
        report.counties, report.county_values = county_section(con, cat, settings, report)
    report.quality = quality_annex.assemble(con, cat, report, settings.quality)
    report.methods = methods_annex.assemble(con, cat, settings, report)
    report.synthetic = report.synthetic or report.quality.synthetic
    return report


def attention(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings, report: Report) -> pd.DataFrame:
    """需关注: the headline indicators (the composite index's) on which the 12 leagues — for a league's bulletin,
    the league and its counties — are behind (progress.BEHIND), most behind units first, each with the one-sentence
    reason of its status; the dashboard's progress matrix shows the same statuses."""
    units = ([report.region.code] + [r.code for r in cat.regions.counties(report.region.code)]) if report.is_league \
        else [r.code for r in report.leagues]
    codes = [i.code for i in cat.indicators.values() if i.in_index]
    found = precompute.progress(con, cat, report.spec.annual_year, settings.progress, regions=units, indicators=codes)
    if found.empty:
        return found.assign(reason=pd.Series(dtype=str))
    behind = found[found["status"].isin(progress_engine.BEHIND)].copy()
    behind["reason"] = [progress_engine.status_sentence(r, cat, settings.progress, report.lang)
                        for r in behind.to_dict("records")]
    counts = behind["region_code"].value_counts()
    behind["unit_behind"] = behind["region_code"].map(counts)
    behind["order"] = behind["region_code"].map({u: n for n, u in enumerate(units)})
    return behind.sort_values(["unit_behind", "order", "indicator_code"], ascending=[False, True, True]) \
        .drop(columns=["unit_behind", "order"]).reset_index(drop=True)


def county_section(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings,
                   report: Report) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A league's counties on the headline indicators counties report: their progress statuses (with the reason)
    and their complete annual values in annual_year."""
    counties = [r.code for r in cat.regions.counties(report.region.code)]
    codes = supervision.headline_codes(cat, "county")
    found = precompute.progress(con, cat, report.spec.annual_year, settings.progress, regions=counties,
                                indicators=codes)
    found["reason"] = [progress_engine.status_sentence(r, cat, settings.progress, report.lang)
                       for r in found.to_dict("records")] if len(found) else []
    values = query.values(con, indicators=codes, regions=counties, frequency="annual",
                          years=(report.spec.annual_year, report.spec.annual_year))
    values = values[values["complete"]] if len(values) else values
    return found, values


def league_index(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings, year: int,
                 lang: str = "zh") -> pd.DataFrame:
    frame = precompute.index_scores(con, cat, year, settings.index)
    return frame.assign(region_name=frame["region_code"].map({c: r.name(lang) for c, r in cat.regions.by_code.items()}))


def index_robustness(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings,
                     year: int) -> IndexRobustness:
    """The index's fragility in `year` under the settings' chapter weights (the bulletin's own)."""
    p = settings.index
    return IndexRobustness(composite.chapter_basis(cat, p), precompute.coverage(con, cat),
                           precompute.sensitivity(con, cat, year, p), p.min_chapter_indicators)


def _uses_synthetic(*frames: pd.DataFrame) -> bool:
    return any(bool(f["synthetic"].fillna(False).astype(bool).any()) for f in frames if "synthetic" in f and len(f))


def _current(facts: pd.DataFrame, cat: Catalogue, spec: ReportSpec, code: str) -> pd.DataFrame:
    """The value shown for each indicator: its native period in quarterly reports, else the annual value;
    the latest complete one up to the report period when that period itself has no value (stale = True)."""
    grown = query.with_growth(facts, cat)
    rows = []
    for ind in cat.indicators.values():
        frequency = ind.frequency if spec.quarter else "annual"
        wanted = spec.native_period(frequency)
        series = grown[(grown["indicator_code"] == ind.code) & (grown["region_code"] == code)
                       & (grown["frequency"] == frequency) & grown["complete"]]
        series = series[series["period"] <= wanted].sort_values(["year", "sub"])
        if series.empty:
            rows.append({"indicator_code": ind.code, "region_code": code, "period": wanted, "value": np.nan,
                         "stale": False, "wanted": wanted})
            continue
        row = series.iloc[-1].to_dict()
        rows.append({**row, "stale": row["period"] != wanted, "wanted": wanted})
    frame = query.label(pd.DataFrame(rows), cat, spec.lang)
    frame["chapter"] = frame["indicator_code"].map({c: i.chapter for c, i in cat.indicators.items()})
    return frame


def key_indicator(inds: list[Indicator]) -> Indicator | None:
    """The chapter's charted indicator: the heaviest in the composite index, else its first assessed one."""
    ranked = sorted((i for i in inds if i.in_index and "league" in i.levels), key=lambda i: -(i.index_weight or 0))
    if ranked:
        return ranked[0]
    assessed = [i for i in inds if "league" in i.levels and i.aggregation != "none"]
    return assessed[0] if assessed else (inds[0] if inds else None)


def _compared(inds: list[Indicator], key: Indicator | None) -> list[str]:
    """Up to MAX_COMPARED league-level indicators, the key one first, index indicators before others."""
    pool = [i for i in inds if "league" in i.levels and i.polarity != "context"] or \
        [i for i in inds if "league" in i.levels]
    pool.sort(key=lambda i: (key is None or i.code != key.code, not i.in_index))
    return [i.code for i in pool[:MAX_COMPARED]]


def _articles(cat: Catalogue, number: int, inds: list[Indicator], lang: str = "zh") -> list[tuple[str, str]]:
    """The chapter's articles that its indicators cite (Art. 9, the monitoring mandate, is cited once up front):
    an excerpt of the Chinese text as supplied (the English edition says so), or the note that it is missing."""
    cited = sorted({a for i in inds for a in i.articles if a != 9})
    out = []
    for n in cited:
        art = cat.regulation.article(n)
        note = art.note_en if lang == "en" else art.note_zh
        if art.status == MISSING:
            out.append((art.title(lang), say("rp_article_missing", lang, note=t("article_missing", lang))))
            continue
        text = art.text.replace("\n", "")
        excerpt = text[:70] + ("……" if len(text) > 70 else "")
        where = "" if art.chapter == number or art.chapter is None else \
            say("rp_article_elsewhere", lang, numeral=chinese_numeral(art.chapter), number=art.chapter)
        out.append((art.title(lang) + where, quoted(excerpt, lang) + (say("rp_article_note", lang, note=note)
                                                                       if note else "")))
    return out


def _chapter(cat: Catalogue, report: Report, number: int) -> ChapterSection:
    chapter = cat.regulation.chapters[number]
    inds = cat.by_chapter(number)
    key = key_indicator(inds)
    heading = chapter.label_en if report.lang == "en" else chapter.label_zh
    section = ChapterSection(number, heading, _articles(cat, number, inds, report.lang), [i.code for i in inds],
                             key.code if key else None, _compared(inds, key))
    section.notes = _missing_notes(report, section)
    return section


def _missing_notes(report: Report, section: ChapterSection) -> list[str]:
    """Plain-language notes on gaps: no value, an older period shown, an incomplete year, leagues not reporting."""
    cur = report.current[report.current["indicator_code"].isin(section.codes)]
    lang, year = report.lang, report.spec.annual_year
    sep = say("rp_sep", lang)
    notes = []
    absent = cur[cur["value"].isna()]
    if len(absent):
        notes.append(say("rp_note_absent", lang, name=report.region.name(lang), period=report.spec.period_label(),
                         listed=sep.join(f"{r.indicator_code} {r.indicator_name}" for r in absent.itertuples())))
    stale = cur[cur["value"].notna() & cur["stale"].astype(bool)]
    for r in stale.itertuples():
        notes.append(say("rp_note_stale", lang, code=r.indicator_code, name=r.indicator_name,
                         wanted=period_label(r.wanted, lang=lang), period=period_label(r.period, lang=lang)))
    leagues = report.league_values
    for code in section.compared:
        have = set(leagues.loc[leagues["indicator_code"] == code, "region_code"])
        missing = [r.name(lang) for r in report.leagues if r.code not in have]
        if missing and len(missing) < len(report.leagues):
            notes.append(say("rp_note_leagues_missing", lang, code=code, year=year, n=len(missing),
                             names=sep.join(missing)))
        elif missing:
            notes.append(say("rp_note_no_league", lang, code=code, year=year))
    return notes


def period_zh(period: str, measure: str = "stock") -> str:
    """'2024Q3' → 2024年第三季度; a year-to-date month as its range: 2024M09 → 2024年1–9月 (periods.label_zh)."""
    return periods.label_zh(period, measure)


def period_label(period: str, measure: str = "stock", lang: str = "zh") -> str:
    """period_zh, or in English: '2024Q3' → 2024 Q3; 2024M09 year-to-date → Jan–Sep 2024 (periods.label_en)."""
    return periods.label(period, measure, lang)


def target_for(cat: Catalogue, code: str, region: str, year: int):
    """(target, benchmark) shown beside an indicator: the region's own target and a national benchmark."""
    targets = cat.targets_for(code, region)
    benchmark = next((t for t in cat.targets_for(code, cat.regions.root.code) if t.kind == "benchmark"), None)
    return choose_target(targets, year), benchmark
