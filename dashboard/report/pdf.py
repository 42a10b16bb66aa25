"""The bulletin's document order: cover, contents, summary, one section per chapter of the regulation, the
league ranking, the data-quality annex and the methodology annex — laid out from an assembled `Report` and
its rendered chart images (no database access here). One layout for both editions: every text is looked up in
the report's language (dashboard.report.texts); the regulation's text is quoted in Chinese, as supplied.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dashboard import numbers, sensitivity
from dashboard.i18n import t
from dashboard.report import tables
from dashboard.report.content import ChapterSection, Report, period_label
from dashboard.report.document import FONT, GREY, MARK, BulletinPDF
from dashboard.report.texts import ART9_QUOTE, quoted, say
from indicators.base import status as obs_status
from indicators.base.catalogue import Catalogue
from indicators.engine import supervision
from indicators.engine.composite import rank_ranges
from indicators.engine.progress import STATUSES, status_label
from indicators.engine.query import tied

MAX_LISTED = 25


def regulation_name(cat: Catalogue, lang: str) -> str:
    """《内蒙古自治区数字经济促进条例》 · Regulation of the Inner Mongolia Autonomous Region on Promoting …"""
    return say("rp_regulation", lang, zh=cat.regulation.title_zh, en=cat.regulation.title_en)


def render(report: Report, cat: Catalogue, images: Mapping[str, bytes], out: Path) -> Path:
    """Write the PDF to `out` atomically (a reader never sees half a file)."""
    pdf = BulletinPDF(f"{report.title} · {report.spec.period_label()}", report.synthetic,
                      subject=say("rp_subject", report.lang, regulation=regulation_name(cat, report.lang)),
                      lang=report.lang)
    _cover(pdf, report, cat)
    pdf.add_page()
    pdf.insert_toc_placeholder(_contents, pages=1)
    _summary(pdf, report, cat, images)
    for section in report.chapters:
        _chapter(pdf, report, cat, section, images)
    if report.is_league:
        _counties(pdf, report, cat)
    _ranking(pdf, report, images)
    _quality(pdf, report, cat)
    _methods(pdf, report)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    pdf.output(str(partial))
    os.replace(partial, out)
    return out


def _data_date(report: Report) -> str:
    return (report.published_at or "")[:16].replace("T", " ") or "—"


def _cover(pdf: BulletinPDF, report: Report, cat: Catalogue) -> None:
    lang, name = report.lang, report.region.name(report.lang)
    pdf.add_page()
    pdf.set_y(48)
    pdf.paragraph(t("app_title", lang), size=12, colour=GREY, gap=6)
    with pdf.local_context(font_family=FONT, font_style="B", font_size_pt=26):
        pdf.multi_cell(0, 13, report.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.paragraph(say("rp_period", lang, period=report.spec.period_label()), size=14, gap=2)
    pdf.paragraph(say("rp_scope_league" if report.is_league else "rp_scope_region", lang, name=name), size=11, gap=14)
    pdf.paragraph(say("rp_mandate", lang, regulation=regulation_name(cat, lang), quote=quoted(ART9_QUOTE, lang)),
                  size=10, gap=4)
    pdf.paragraph(say("rp_data_date", lang, date=_data_date(report)), size=10, gap=1)
    pdf.paragraph(say("rp_generated", lang, date=f"{report.generated_at:%Y-%m-%d %H:%M}"), size=10, gap=10)
    if report.synthetic:
        with pdf.local_context(text_color=MARK, draw_color=MARK, line_width=0.5, font_size_pt=11):
            pdf.multi_cell(0, 6.5, say("rp_synthetic_box", lang), border=1, padding=3, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(-40)
    pdf.paragraph(say("rp_cover_note", lang), size=8.5, colour=GREY)


def _contents(pdf: BulletinPDF, outline) -> None:
    pdf.set_y(pdf.t_margin)
    with pdf.local_context(font_family=FONT, font_style="B", font_size_pt=16):
        pdf.cell(0, 10, say("rp_contents", pdf.lang), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for section in outline:
        if section.level > 0:
            continue
        link = pdf.add_link(page=section.page_number)
        with pdf.local_context(font_size_pt=10.5):
            pdf.cell(pdf.epw - 16, 7.5, section.name, link=link)
            pdf.cell(16, 7.5, str(section.page_number), align="R", link=link, new_x="LMARGIN", new_y="NEXT")


def _summary(pdf: BulletinPDF, report: Report, cat: Catalogue, images: Mapping[str, bytes]) -> None:
    spec, lang, name = report.spec, report.lang, report.region.name(report.lang)
    pdf.heading(say("rp_summary", lang))
    scope = say("rp_summary_scope_league", lang, name=name) if report.is_league else say("rp_summary_scope_region", lang)
    text = say("rp_summary_text", lang, regulation=regulation_name(cat, lang), name=name, period=spec.period_label(),
               n=len(cat.indicators), scope=scope)
    if spec.quarter:
        text += say("rp_summary_quarter", lang, period=spec.period_label(), year=spec.annual_year)
    pdf.paragraph(text)
    pdf.heading(say("rp_attention", lang), level=1)
    who = say("rp_who_league" if report.is_league else "rp_who_region", lang)
    needing = tables.attention(report, cat)
    if needing.rows:
        pdf.draw_table(needing, say("rp_attention_caption", lang, who=who, year=spec.annual_year))
    else:
        pdf.paragraph(say("rp_attention_none", lang, who=who, year=spec.annual_year))
    pdf.heading(say("rp_key_indicators", lang), level=1)
    pdf.draw_table(tables.headline(report, cat), say("rp_key_caption", lang, flags=obs_status.flag_legend(lang)))
    pdf.heading(say("rp_progress", lang), level=1)
    pdf.paragraph(_progress_sentence(report))
    if "status" in images:
        pdf.figure(images["status"], say("rp_status_figure", lang, name=name, year=spec.annual_year))
    pdf.heading(say("rp_index", lang), level=1)
    pdf.paragraph(_index_sentence(report))
    if "index" in images:
        pdf.figure(images["index"], say("rp_index_figure", lang))


def _progress_sentence(report: Report) -> str:
    prog, lang = report.progress, report.lang
    assessed = prog[prog["status"] != "not_assessed"] if len(prog) else prog
    if assessed.empty:
        return say("rp_nothing_assessed", lang)
    counts = assessed["status"].value_counts()
    parts = [say("rp_status_count", lang, label=status_label(s, lang), n=int(counts[s])) for s in STATUSES if s in counts]
    return say("rp_progress_sentence", lang, year=report.spec.annual_year, name=report.region.name(lang),
               n=len(assessed), parts=say("rp_list_sep", lang).join(parts))


def _index_sentence(report: Report) -> str:
    total = report.index[report.index["chapter"] == 0].dropna(subset=["score"]).sort_values("rank")
    year, lang, name = report.spec.annual_year, report.lang, report.region.name(report.lang)
    if total.empty:
        return say("rp_index_none", lang, year=year)
    if report.is_league:
        mine = total[total["region_code"] == report.region.code]
        if mine.empty:
            return say("rp_index_none_league", lang, year=year, name=name)
        r, shared = mine.iloc[0], bool(tied(total["rank"]).loc[mine.index[0]])
        return say("rp_index_league", lang, year=year, name=name, score=numbers.score(r["score"]), n=len(total),
                   rank=int(r["rank"]), shared=say("rp_shared", lang) if shared else "",
                   coverage=f"{r['coverage']:.0%}", clause=_rank_range_clause(report))
    top = say("rp_sep", lang).join(say("rp_index_top_item", lang, name=r.region_name, score=numbers.score(r.score))
                                   for r in total.head(3).itertuples())
    last = total.iloc[-1]
    return say("rp_index_region", lang, year=year, n=len(total), top=top, last=last["region_name"],
               score=numbers.score(last["score"]))


def _rank_range_clause(report: Report) -> str:
    """'；逐一去掉一章或指标等权时，名次在1–4位之间' — how much the league's rank depends on the weights."""
    ranges = rank_ranges(report.robustness.runs).set_index("region_code")
    if report.region.code not in ranges.index or not numbers.finite(ranges.loc[report.region.code, "rank_min"]):
        return ""
    r = ranges.loc[report.region.code]
    if r["rank_min"] == r["rank_max"]:
        return say("rp_rank_same", report.lang)
    return say("rp_rank_range", report.lang, low=int(r["rank_min"]), high=int(r["rank_max"]))


def _chapter(pdf: BulletinPDF, report: Report, cat: Catalogue, section: ChapterSection,
             images: Mapping[str, bytes]) -> None:
    lang, name = report.lang, report.region.name(report.lang)
    if not section.codes:  # e.g. 第九章 附则: a short section, no page of its own
        pdf.heading(section.heading, new_page=False)
        pdf.paragraph(say("rp_no_indicators", lang))
        return
    pdf.heading(section.heading)
    if cat.regulation.chapters[section.number].heading_missing:
        pdf.caption(say("rp_heading_missing", lang))
    pdf.paragraph(say("rp_basis", lang), size=9, gap=0.5)
    pdf.bullets([say("rp_article_item", lang, head=head, text=text) for head, text in section.articles], size=8.5)
    pdf.heading(say("rp_indicators_of", lang, name=name), level=1)
    pdf.draw_table(tables.indicators(report, cat, section.codes),
                   say("rp_indicators_caption", lang, flags=obs_status.flag_legend(lang)))
    if section.key_code:
        key = cat.indicator(section.key_code).name(lang)
        pdf.heading(say("rp_key_indicator", lang, name=key), level=1)
        pdf.figure(images[f"trend{section.number}"], say("rp_trend_figure", lang, region=name, name=key))
        pdf.figure(images[f"rank{section.number}"], say("rp_rank_figure", lang, name=key))
    pdf.heading(say("rp_leagues", lang), level=1)
    pdf.draw_table(tables.leagues(report, cat, section.compared, section.number),
                   say("rp_leagues_caption", lang, year=report.spec.annual_year))
    progress = tables.progress(report, cat, section.codes)
    if progress.rows:
        pdf.heading(say("rp_progress", lang), level=1)
        pdf.draw_table(progress, say("rp_progress_caption", lang))
    pdf.heading(say("rp_missing_data", lang), level=1)
    pdf.bullets(section.notes or [say("rp_all_present", lang)], size=8.5)


COUNTY_COLUMNS = 5  # county values per table (A4 portrait width)


def _counties(pdf: BulletinPDF, report: Report, cat: Catalogue) -> None:
    """A league's counties on the headline indicators counties report: progress statuses, then their values."""
    year, lang = report.spec.annual_year, report.lang
    codes = supervision.headline_codes(cat, "county")
    counties = cat.regions.counties(report.region.code)
    pdf.heading(say("rp_counties", lang))
    pdf.paragraph(say("rp_counties_text", lang, name=report.region.name(lang), n=len(counties), k=len(codes), year=year))
    pdf.draw_table(tables.status_matrix(report.counties, counties, codes, lang),
                   say("rp_counties_status", lang, year=year, legend=tables.status_legend(lang)))
    for start in range(0, len(codes), COUNTY_COLUMNS):
        part = codes[start:start + COUNTY_COLUMNS]
        pdf.draw_table(tables.county_values(report, cat, part),
                       say("rp_counties_values", lang, year=year, n=start // COUNTY_COLUMNS + 1))


def _ranking(pdf: BulletinPDF, report: Report, images: Mapping[str, bytes]) -> None:
    year, lang = report.spec.annual_year, report.lang
    pdf.heading(say("rp_ranking", lang))
    pdf.paragraph(_index_sentence(report), size=9)
    pdf.draw_table(tables.ranking(report), say("rp_ranking_caption", lang, year=year))
    pdf.caption(say("rp_ranking_note", lang))
    _robustness(pdf, report)
    if "map" in images:  # placed last in the document, so the slowest chart (WebGL) renders while chapters are laid out
        pdf.figure(images["map"], say("rp_map_figure", lang, year=year))


def _robustness(pdf: BulletinPDF, report: Report) -> None:
    """How fragile the index is: chapters resting on too few indicators, coverage by year, rank ranges."""
    robust, year, lang = report.robustness, report.spec.annual_year, report.lang
    pdf.heading(say("rp_robustness", lang), level=1)
    warning = sensitivity.fragile_warning(robust.basis, robust.min_chapter_indicators, lang)
    if warning:
        pdf.paragraph(warning, size=9)
    years = sorted(y for y in robust.coverage["year"].unique() if y <= year)[-5:]
    pdf.draw_table(tables.index_coverage(report, years), say("rp_coverage_caption", lang))
    pdf.draw_table(tables.sensitivity_ranks(report), say("rp_sensitivity_caption", lang, year=year))


def _listing(pdf: BulletinPDF, title: str, table: tables.Table, total: int, empty: str) -> None:
    pdf.heading(title, level=1)
    if total == 0:
        pdf.paragraph(empty, size=9)
        return
    shown = say("rp_listed_first", pdf.lang, n=MAX_LISTED) if total > MAX_LISTED else ""
    pdf.draw_table(table, say("rp_listed", pdf.lang, total=total) + shown)


def _quality(pdf: BulletinPDF, report: Report, cat: Catalogue) -> None:
    q, spec, lang = report.quality, report.spec, report.lang
    since = f"{q.since:%Y-%m-%d}"
    pdf.heading(say("rp_quality", lang))
    pdf.heading(say("rp_coverage", lang), level=1)
    pdf.draw_table(tables.coverage(q, report.is_league, lang), say("rp_coverage_of", lang, year=spec.annual_year))
    pdf.heading(say("rp_late", lang), level=1)
    period = period_label(spec.native_period("quarterly" if spec.quarter else "annual"), lang=lang)
    pdf.paragraph(say("rp_late_text", lang, **q.deadline_days, period=period), size=8.5)
    pdf.draw_table(tables.submissions(q, report.region.code, lang))
    _listing(pdf, say("rp_revisions", lang, since=since), tables.revisions(q, cat, MAX_LISTED, lang),
             len(q.revisions), say("rp_revisions_none", lang, since=since))
    _listing(pdf, say("rp_outliers", lang), tables.outliers(q, MAX_LISTED, lang, cat), len(q.outliers),
             say("rp_outliers_none", lang))
    _listing(pdf, say("rp_reconciliation", lang), tables.reconciliation(q, cat, MAX_LISTED, lang),
             len(q.reconciliation), say("rp_reconciliation_none", lang))
    _listing(pdf, say("rp_rejected", lang), tables.rejected(q, MAX_LISTED, lang), len(q.rejected),
             say("rp_rejected_none", lang, since=since))


def _methods(pdf: BulletinPDF, report: Report) -> None:
    m, lang = report.methods, report.lang
    pdf.heading(say("rp_methods", lang))
    for key, texts in (("rp_m_rollup", m.rollup_text), ("rp_m_progress", m.progress_text),
                       ("rp_m_index", m.index_text), ("rp_m_presentation", m.presentation_text)):
        pdf.heading(say(key, lang), level=1)
        for text in texts:
            pdf.paragraph(text, size=8.5, gap=1)
    pdf.heading(say("rp_m_targets", lang), level=1)
    pdf.paragraph(say("rp_m_targets_text", lang), size=8.5)
    pdf.draw_table(tables.targets(m, lang))
    pdf.heading(say("rp_m_sources", lang), level=1)
    more = say("rp_m_sources_more", lang, total=m.sources_total, n=len(m.sources)) \
        if m.sources_total > len(m.sources) else ""
    pdf.draw_table(tables.sources(m, lang), say("rp_m_sources_caption", lang, more=more))
    pdf.heading(say("rp_m_definitions", lang), level=1)
    pdf.paragraph(say("rp_m_ratios", lang), size=8.5)
    pdf.draw_table(tables.definitions(m, lang))
