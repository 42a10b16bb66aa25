"""The league's evaluation (Art. 71: evaluate one's own digital-economy development and supervise the level below):
its composite index and progress against the other leagues, then a section per county — the progress matrix, the
reporting timeliness and the data-quality record its supervision needs. An internal document: the counties'
reporting and quality records come from the working warehouse (every file that arrived); index and progress from
the published one.

    build_evaluation(settings, 2024, "152900") → data/exports/评估报告_152900_2024.pdf
    build_evaluation(settings, 2024, "152900", lang="en") → data/exports/evaluation_report_152900_2024.pdf

One layout for both editions, its texts looked up in the language (dashboard.report.texts, keys rp_ev_…); the
English edition quotes Art. 71 in Chinese as supplied, as the English bulletin quotes the regulation.

No charts (tables and sentences only), so no browser is started: a league's evaluation takes about a second.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from dashboard import numbers
from dashboard.figures import chapter_labels
from dashboard.report.content import league_index
from dashboard.report.document import GREY, MARK, BulletinPDF
from dashboard.report.pdf import regulation_name
from dashboard.report.tables import DASH, Table, progress_cell, status_legend, status_matrix
from dashboard.report.texts import columns, quoted, say
from indicators.base.catalogue import Catalogue
from indicators.base.errors import DataError, UsageError
from indicators.base.regions import Region
from indicators.base.settings import Progress, Settings
from indicators.engine import precompute, query, supervision
from indicators.engine.progress import BEHIND, STATUSES, status_label, status_sentence
from indicators.storage import warehouse

NAME = "评估报告"
NAME_EN = "evaluation_report"  # as the English bulletin is monitoring_bulletin_…
ARTICLE = 71


@dataclass
class Evaluation:
    league: Region
    year: int
    published_at: str | None
    generated_at: datetime
    as_of: str  # settings.today: the day reporting is judged on
    index: pd.DataFrame  # the 12 leagues' composite (chapter 0) and chapter sub-indices
    progress: pd.DataFrame  # the 12 leagues' statuses on the headline indicators
    counties: pd.DataFrame  # the league's counties' statuses on the headline indicators counties report
    record: pd.DataFrame  # supervision.record: one row per county
    chapter_labels: dict[int, str]
    synthetic: bool
    method: Progress  # settings.progress: the reasons of the statuses are written with it, in either language

    def title(self, lang: str = "zh") -> str:
        return say("rp_ev_title", lang, league=self.league.name(lang))


def default_name(league: str, year: int, lang: str = "zh") -> str:
    """评估报告_152900_2024.pdf; the English edition evaluation_report_152900_2024.pdf."""
    return f"{NAME_EN if lang == 'en' else NAME}_{league}_{year}.pdf"


def evaluation_league(cat: Catalogue, region: str | None) -> Region:
    """The league evaluated, by code, name or alias (a county or the region is refused: Art. 71 asks each level
    to evaluate itself and supervise the one below; this document is the league's)."""
    if not region:
        raise UsageError("请用 --region 指定盟市", "name the league with --region")
    found = cat.regions.resolve(region)
    if found.level != "league":
        raise UsageError(f"{found.name_zh}不是盟市：评估报告按盟市编制", f"{found.code} is not a league")
    return found


@dataclass
class Published:
    """What the published warehouse says of a league's year: index, progress of the leagues and of its counties."""

    published_at: str | None
    index: pd.DataFrame
    progress: pd.DataFrame
    counties: pd.DataFrame
    county_counts: pd.DataFrame  # supervision.progress_counts of the counties
    synthetic: bool


def published_part(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings, league: Region,
                   year: int) -> Published:
    years = query.data_years(con)
    if year not in years:
        shown = f"{years[0]}–{years[-1]}" if years else "无"
        raise DataError(f"已发布的数据中没有{year}年（现有年份：{shown}）",
                        f"the released data has no {year} (years: {shown or 'none'})")
    leagues = [r.code for r in cat.regions.leagues()]
    counties = [r.code for r in cat.regions.counties(league.code)]
    p = settings.progress
    progress = precompute.progress(con, cat, year, p, regions=leagues,
                                   indicators=supervision.headline_codes(cat, "league"))
    county_progress = precompute.progress(con, cat, year, p, regions=counties,
                                          indicators=supervision.headline_codes(cat, "county"))
    index = league_index(con, cat, settings, year)
    synthetic = any(bool(f["synthetic"].fillna(False).astype(bool).any())
                    for f in (index, progress, county_progress) if "synthetic" in f and len(f))
    return Published(warehouse.publication_time(con), index, progress, county_progress,
                     supervision.progress_counts(con, cat, settings, counties, year, "county"), synthetic)


def combine(part: Published, working: pd.DataFrame, demo: bool, cat: Catalogue, settings: Settings, league: Region,
            year: int) -> Evaluation:
    """The evaluation from the published part and the working warehouse's record of the counties."""
    return Evaluation(league, year, part.published_at, datetime.now(UTC).replace(microsecond=0),
                      settings.today.isoformat(), part.index, part.progress, part.counties,
                      supervision.combined(part.county_counts, working), chapter_labels(cat), part.synthetic or demo,
                      settings.progress)


def assemble(published: duckdb.DuckDBPyConnection, working: duckdb.DuckDBPyConnection, cat: Catalogue,
             settings: Settings, league: Region, year: int) -> Evaluation:
    counties = [r.code for r in cat.regions.counties(league.code)]
    return combine(published_part(published, cat, settings, league, year),
                   supervision.working_record(working, cat, settings, counties, year), demo(working), cat, settings,
                   league, year)


def demo(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any loaded batch carries synthetic data (the counties' records then describe demo files)."""
    row = con.execute("SELECT bool_or(synthetic) FROM batches").fetchone()
    return bool(row and row[0])


# ── tables ────────────────────────────────────────────────────────────────────────────────────────────────

def index_rows(ev: Evaluation, composite: str = "综合指数", labels: dict[int, str] | None = None) -> pd.DataFrame:
    """The composite, then each chapter: the league's score and rank ("3=" when shared), the leagues' average and
    best score, as text."""
    labels = labels or ev.chapter_labels
    rows = []
    for chapter, found in ev.index.groupby("chapter", sort=True):
        own = found[found["region_code"] == ev.league.code]
        if own.empty:
            continue
        rank = numbers.rank_labels(found.set_index("region_code")["rank"]).get(ev.league.code, DASH)
        rows.append({"part": composite if chapter == 0 else labels.get(int(chapter), str(chapter)),
                     "score": numbers.score(own["score"].iloc[0]), "rank": str(rank),
                     "average": numbers.score(found["score"].mean()), "best": numbers.score(found["score"].max())})
    return pd.DataFrame(rows, columns=["part", "score", "rank", "average", "best"])


def index_table(ev: Evaluation, cat: Catalogue, lang: str = "zh") -> Table:
    table = Table(columns("rp_ev_cols_index", lang), [62, 26, 20, 26, 26], "LRRRR")
    table.rows = index_rows(ev, say("rp_index", lang), chapter_labels(cat, lang)).values.tolist()
    return table


def status_counts(ev: Evaluation) -> pd.DataFrame:
    """How many headline indicators are in each status (those any league is in): the league's (`own`) beside all
    12 leagues' together (`all`), in the order of progress.STATUSES."""
    found = ev.progress if len(ev.progress) else pd.DataFrame(columns=["region_code", "status"])
    own = found[found["region_code"] == ev.league.code]["status"].value_counts()
    every = found["status"].value_counts()
    return pd.DataFrame([{"status": s, "own": int(own.get(s, 0)), "all": int(every[s])}
                         for s in STATUSES if every.get(s, 0)], columns=["status", "own", "all"])


def share_text(value) -> str:
    """An on-time share as published: 0.458 → '46%'; none (nothing settled yet) → '—'."""
    return DASH if pd.isna(value) else f"{100 * value:.0f}%"


def status_table(ev: Evaluation, lang: str = "zh") -> Table:
    """How many headline indicators are in each status: the league beside all 12 leagues together."""
    table = Table(columns("rp_ev_cols_status", lang), [60, 34, 40], "LRR")
    table.rows = [[progress_cell(r["status"], lang), str(r["own"]), str(r["all"])]
                  for r in status_counts(ev).to_dict("records")]
    return table


def behind_table(frame: pd.DataFrame, cat: Catalogue, method: Progress, lang: str = "zh",
                 unit_column: bool = False) -> Table:
    """The indicators behind (progress.BEHIND), with the one-sentence reason of each (progress.status_sentence)."""
    behind = frame[frame["status"].isin(BEHIND)] if len(frame) else frame
    titles, widths = columns("rp_cols_attention", lang), [24, 44, 24, 88]
    if not unit_column:
        titles, widths = titles[1:], [48, 24, 108]
    table = Table(titles, widths, "L" * len(titles), font_size=7.5)
    names = {r.code: r.name(lang) for r in cat.regions.regions}
    for r in behind.to_dict("records"):
        row = [f"{r['indicator_code']} {cat.indicator(r['indicator_code']).name(lang)}",
               progress_cell(r["status"], lang), status_sentence(r, cat, method, lang)]
        table.rows.append(([names.get(r["region_code"], r["region_code"])] if unit_column else []) + row)
    return table


def reporting_table(ev: Evaluation, cat: Catalogue, lang: str = "zh") -> Table:
    table = Table(columns("rp_ev_cols_reporting", lang), [34, 16, 16, 20, 18, 20, 18, 20], "LRRRRRRR")
    for r in _named(ev.record, cat, lang):
        table.rows.append([r["name"], *(str(int(r[k])) for k in ("owed", "on_time", "late", "rejected", "missing",
                                                                   "due")), share_text(r["on_time_share"])])
    return table


def quality_table(ev: Evaluation, cat: Catalogue, lang: str = "zh") -> Table:
    table = Table(columns("rp_ev_cols_quality", lang), [34, 22, 24, 26, 30, 22], "LRRRRR")
    for r in _named(ev.record, cat, lang):
        table.rows.append([r["name"], *(str(int(r[k])) for k in ("files", "revised", "files_rejected", "warnings",
                                                                   "reconciliation"))])
    return table


def _named(record: pd.DataFrame, cat: Catalogue, lang: str = "zh") -> list[dict]:
    return record.assign(name=record["region_code"].map({r.code: r.name(lang) for r in cat.regions.regions})) \
        .to_dict("records")


# ── the document ──────────────────────────────────────────────────────────────────────────────────────────

def render(ev: Evaluation, cat: Catalogue, out: Path, lang: str = "zh") -> Path:
    """Write the PDF, in `lang`, to `out` atomically."""
    league, regulation = ev.league.name(lang), regulation_name(cat, lang)
    pdf = BulletinPDF(say("rp_ev_running", lang, title=ev.title(lang), year=ev.year), ev.synthetic,
                      subject=say("rp_ev_subject", lang, regulation=regulation), lang=lang)
    pdf.add_page()
    pdf.set_y(40)
    pdf.paragraph(say("rp_ev_kicker", lang), size=12, colour=GREY, gap=6)
    pdf.paragraph(ev.title(lang), size=22, gap=4)
    pdf.paragraph(say("rp_ev_scope", lang, year=ev.year, league=league, n=len(ev.record)), size=11, gap=8)
    article = cat.regulation.articles[ARTICLE]
    pdf.paragraph(say("rp_ev_basis", lang, regulation=regulation, article=article.title(lang),
                      text=quoted(article.text.replace("\n", ""), lang)), size=9.5, gap=6)
    pdf.paragraph(say("rp_ev_sources", lang, published=(ev.published_at or DASH)[:16].replace("T", " "),
                      as_of=ev.as_of, generated=f"{ev.generated_at:%Y-%m-%d %H:%M}"), size=9, colour=GREY, gap=4)
    if ev.synthetic:
        pdf.paragraph(say("rp_ev_synthetic", lang), size=10, colour=MARK)

    pdf.heading(say("rp_ev_index", lang))
    own = ev.index[(ev.index["chapter"] == 0) & (ev.index["region_code"] == ev.league.code)]
    if own.empty:
        pdf.paragraph(say("rp_ev_index_none", lang, year=ev.year, league=league))
    else:
        composite = ev.index[ev.index["chapter"] == 0]
        rank = numbers.rank_labels(composite.set_index("region_code")["rank"]).get(ev.league.code, DASH)
        pdf.paragraph(say("rp_ev_index_text", lang, year=ev.year, league=league,
                          score=numbers.score(own["score"].iloc[0]), rank=rank,
                          average=numbers.score(composite["score"].mean())))
        pdf.draw_table(index_table(ev, cat, lang), caption=say("rp_ev_index_caption", lang))

    pdf.heading(say("rp_ev_progress", lang), new_page=False)
    pdf.paragraph(say("rp_ev_progress_text", lang,
                      behind=say("rp_sep", lang).join(status_label(s, lang) for s in BEHIND)))
    pdf.draw_table(status_table(ev, lang), caption=say("rp_ev_status_caption", lang))
    behind = behind_table(ev.progress[ev.progress["region_code"] == ev.league.code], cat, ev.method, lang)
    if behind.rows:
        pdf.draw_table(behind, caption=say("rp_ev_behind_caption", lang))
    else:
        pdf.paragraph(say("rp_ev_none_behind", lang, league=league))

    pdf.heading(say("rp_ev_counties", lang))
    pdf.heading(say("rp_ev_county_progress", lang), level=1)
    pdf.draw_table(status_matrix(ev.counties, cat.regions.counties(ev.league.code),
                                 supervision.headline_codes(cat, "county"), lang),
                   caption=say("rp_ev_matrix_caption", lang, legend=status_legend(lang)))
    county_behind = behind_table(ev.counties, cat, ev.method, lang, unit_column=True)
    if county_behind.rows:
        pdf.draw_table(county_behind, caption=say("rp_ev_county_behind_caption", lang))
    pdf.heading(say("rp_ev_reporting", lang), level=1)
    pdf.paragraph(say("rp_ev_reporting_text", lang, year=ev.year, as_of=ev.as_of))
    pdf.draw_table(reporting_table(ev, cat, lang), caption=say("rp_ev_reporting_caption", lang))
    pdf.heading(say("rp_ev_quality", lang), level=1)
    pdf.paragraph(say("rp_ev_quality_text", lang, year=ev.year))
    pdf.draw_table(quality_table(ev, cat, lang), caption=say("rp_ev_quality_caption", lang))
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    pdf.output(str(partial))
    os.replace(partial, out)
    return out


def build_evaluation(settings: Settings, year: int, region: str | None, out: Path | str | None = None,
                     cat: Catalogue | None = None, lang: str = "zh") -> Path:
    """The league's evaluation as a PDF in `lang` (default: <exports>/评估报告_<code>_<year>.pdf, in English
    <exports>/evaluation_report_<code>_<year>.pdf); reads the published and the working warehouse through short
    read-only connections, closed before the layout."""
    from indicators.base.catalogue import default_catalogue

    cat = cat or default_catalogue()
    league = evaluation_league(cat, region)
    public = warehouse.public_path(settings.paths.warehouse)
    if not public.exists():
        raise DataError("尚未发布任何数据，无法评估", "nothing has been released yet: there is nothing to evaluate")
    with warehouse.reader(public) as published, warehouse.reader(settings.paths.warehouse) as working:
        ev = assemble(published, working, cat, settings, league, year)
    return render(ev, cat, Path(out) if out else settings.paths.exports / default_name(league.code, year, lang), lang)
