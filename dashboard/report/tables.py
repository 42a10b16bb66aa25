"""The report's tables as plain rows of formatted text: every number through dashboard.numbers, as the dashboard
shows it — values with the catalogue's decimals and thousands separators, YoY as % (or percentage points for
shares), index scores with one decimal, shared ranks as "3=" — and statuses as symbol + word (never colour alone).

Example: a row of the headline table ['第二章', '5G基站数', '2024年', '24,627', '个', '+10.0%', '▲ 进展顺利'];
in the English edition ['Ch. 2', 'Number of 5G base stations', '2024', '24,627', '', '+10.0%', '▲ On track'].
Layout (widths in mm, alignment) travels with the rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from dashboard import numbers, sensitivity
from dashboard.figures import with_unit
from dashboard.i18n import t
from dashboard.numbers import finite
from dashboard.report.content import Report, period_label, target_for
from dashboard.report.methods import SIGN, provenance_label
from dashboard.report.quality import english_units
from dashboard.report.texts import columns, say
from dashboard.style import status_symbol
from indicators.base import status as obs_status
from indicators.base.catalogue import Catalogue
from indicators.base.regulation import chinese_numeral
from indicators.engine.progress import BEHIND, STATUSES, status_label

DASH = "—"


@dataclass
class Table:
    titles: list[str]
    widths: list[float]  # mm; the layout scales them to the text width
    aligns: str  # one letter per column: L, C or R
    rows: list[list[str]] = field(default_factory=list)
    highlight: set[int] = field(default_factory=set)  # row indices drawn bold (the report's own league)
    font_size: float = 8


def symbol(status: str, lang: str = "zh") -> str:
    """The shared status symbol; in the English edition its full-width ？ (insufficient data) is a plain ?."""
    shown = status_symbol(status)
    return shown.replace("？", "?") if lang == "en" else shown


def progress_cell(status: str | None, lang: str = "zh") -> str:
    if not status or (isinstance(status, float) and math.isnan(status)):
        return DASH
    return f"{symbol(status, lang)} {status_label(status, lang)}"


def coverage_cell(n, total) -> str:
    return f"{int(n)}/{int(total)}" if finite(n) and finite(total) else ""


def _status_of(progress: pd.DataFrame) -> dict[str, str]:
    return dict(zip(progress["indicator_code"], progress["status"], strict=True)) if len(progress) else {}


def headline(report: Report, cat: Catalogue) -> Table:
    """The key indicator of every chapter at the report region: value, YoY and progress status."""
    status, lang = _status_of(report.progress), report.lang
    table = Table(columns("rp_cols_headline", lang), [16, 56, 22, 22, 16, 22, 24], "LLLRLRL")
    cur = report.current.set_index("indicator_code")
    for section in report.chapters:
        if section.key_code is None or section.key_code not in cur.index:
            continue
        r, ind = cur.loc[section.key_code], cat.indicator(section.key_code)
        table.rows.append([chapter_cell(section.number, lang), ind.name(lang),
                           period_label(r["period"], ind.measure, lang), flagged(r, ind.decimals),
                           ind.unit_label(lang), numbers.change(r["value"], r.get("previous"), ind.unit, lang),
                           progress_cell(status.get(ind.code), lang)])
    return table


def flagged(row, decimals: int) -> str:
    """The value with its status flag when it is not a normal one: '3,801.2 p' (provisional), '60,000 e'."""
    mark = obs_status.flag(row.get("obs_status"))
    return numbers.value(row["value"], decimals) + (f" {mark}" if mark else "")


def chapter_cell(number: int, lang: str = "zh") -> str:
    """第二章 · Ch. 2"""
    return say("rp_chapter_short", lang, numeral=chinese_numeral(number), number=number)


def indicator_title(ind, lang: str = "zh") -> str:
    """A column head: 'DI-02 5G基站数（个）' · 'DI-02 5G base stations' (a bare count has no English unit)."""
    return with_unit(f"{ind.code} {ind.name(lang)}", ind.unit_label(lang), lang)


def attention(report: Report, cat: Catalogue) -> Table:
    """需关注: unit, indicator, status (symbol + word) and the reason, most behind units first."""
    lang = report.lang
    table = Table(columns("rp_cols_attention", lang), [24, 44, 24, 88], "LLLL", font_size=7.5)
    names = {r.code: r.name(lang) for r in cat.regions.regions}
    for r in (report.attention if report.attention is not None else pd.DataFrame()).to_dict("records"):
        table.rows.append([names.get(r["region_code"], r["region_code"]), f"{r['indicator_code']} "
                           f"{cat.indicator(r['indicator_code']).name(lang)}", progress_cell(r["status"], lang),
                           r["reason"]])
    return table


def status_matrix(statuses: pd.DataFrame | None, units: list, codes: list[str], lang: str = "zh") -> Table:
    """Units × indicators, each cell the status symbol (a legend gives the words; — no status), with the number
    of indicators each unit is behind on: a league's counties in its bulletin and its evaluation."""
    records = statuses.to_dict("records") if statuses is not None else []
    cells = {(r["region_code"], r["indicator_code"]): r["status"] for r in records}
    width = max(9.0, 132 / max(len(codes), 1))
    table = Table([*columns("rp_cols_status", lang), *codes], [34, 12, *[width] * len(codes)],
                  "LR" + "C" * len(codes), font_size=7)
    for unit in units:
        found = [cells.get((unit.code, c)) for c in codes]
        table.rows.append([unit.name(lang), str(sum(s in BEHIND for s in found)),
                           *[symbol(s, lang) if s else DASH for s in found]])
    return table


def status_legend(lang: str = "zh") -> str:
    return ("  " if lang == "en" else "　").join(f"{symbol(s, lang)} {status_label(s, lang)}" for s in STATUSES) \
        + say("rp_legend_none", lang)


def county_values(report: Report, cat: Catalogue, codes: list[str]) -> Table:
    """A league's counties' annual values of `codes` (a league's bulletin), 未报送 where a county has none."""
    lang = report.lang
    titles = columns("rp_cols_county", lang) + [indicator_title(cat.indicator(c), lang) for c in codes]
    table = Table(titles, [30] + [30] * len(codes), "L" + "R" * len(codes), font_size=7.5)
    frame = report.county_values if report.county_values is not None else pd.DataFrame(
        columns=["indicator_code", "region_code", "value"])
    found = frame.set_index(["region_code", "indicator_code"])["value"].to_dict()
    for county in cat.regions.counties(report.region.code):
        cells = [county.name(lang)]
        for code in codes:
            v = found.get((county.code, code))
            cells.append(numbers.value(v, cat.indicator(code).decimals) if finite(v) else t("not_reported", lang))
        table.rows.append(cells)
    return table


def _flag(value) -> bool:
    return bool(value) if finite(value) else False


def indicators(report: Report, cat: Catalogue, codes: list[str]) -> Table:
    """The chapter's indicators at the report region, each with its period, YoY, provenance, coverage and a
    示例 column saying whether the value is synthetic (so real and demo figures are never confused)."""
    lang = report.lang
    widths = [13, 48, 22, 21, 15, 22, 16, 11, 8] if lang != "en" else [12, 40, 18, 19, 15, 17, 18, 16, 17]
    table = Table(columns("rp_cols_indicators", lang), widths, "LLLRLRLCC", font_size=7.5)
    cur = report.current.set_index("indicator_code")
    for code in codes:
        r, ind = cur.loc[code], cat.indicator(code)
        have = finite(r["value"])
        how = t(r["status"], lang) if have and isinstance(r.get("status"), str) else DASH
        table.rows.append([code, ind.name(lang), period_label(r["period"], ind.measure, lang),
                           flagged(r, ind.decimals) if have else t("not_reported", lang),
                           ind.unit_label(lang), numbers.change(r["value"], r.get("previous"), ind.unit, lang), how,
                           coverage_cell(r.get("coverage_n"), r.get("coverage_total")),
                           say("rp_yes", lang) if have and _flag(r.get("synthetic")) else ""])
    return table


def goal_text(target, benchmark, decimals: int, lang: str = "zh") -> str:
    """'≥30,000（2022年，官方目标）' · '无本地区目标（基准 26.0，仅作参照）' · '—' (values with the indicator's decimals)."""
    if target is not None:
        return say("rp_goal", lang, sign=SIGN.get(target.comparison, target.comparison),
                   value=numbers.value(target.value, decimals), year=target.year,
                   label=provenance_label(target, lang))
    if benchmark is not None:
        return say("rp_goal_benchmark", lang, value=numbers.value(benchmark.value, decimals))
    return DASH


def progress(report: Report, cat: Catalogue, codes: list[str]) -> Table:
    """Progress against targets of the chapter's assessed indicators (targets labelled by provenance)."""
    lang = report.lang
    table = Table(columns("rp_cols_progress", lang), [38, 20, 19, 19, 40, 14, 14, 21], "LCRRLRRL", font_size=7.5)
    frame = report.progress[report.progress["indicator_code"].isin(codes)] if len(report.progress) else report.progress
    for r in frame.itertuples():
        if r.status == "not_assessed":
            continue
        ind = cat.indicator(r.indicator_code)
        target, benchmark = target_for(cat, r.indicator_code, report.region.code, int(r.latest_year))
        years = f"{int(r.latest_year)}" if not finite(r.base_year) else f"{int(r.base_year)}→{int(r.latest_year)}"
        table.rows.append([f"{r.indicator_code} {ind.name(lang)}", years, numbers.value(r.base_value, ind.decimals),
                           numbers.value(r.latest_value, ind.decimals),
                           goal_text(target, benchmark, ind.decimals, lang), numbers.percent(r.cagr_observed),
                           numbers.percent(r.cagr_required), progress_cell(r.status, lang)])
    return table


def leagues(report: Report, cat: Catalogue, codes: list[str], chapter: int) -> Table:
    """The 12 leagues side by side on the chapter's compared indicators, with the chapter sub-index and rank."""
    lang = report.lang
    widths = [26] + [32] * len(codes) + [20, 12]
    heads = columns("rp_cols_leagues", lang)
    titles = heads[:1] + [indicator_title(cat.indicator(c), lang) for c in codes] + heads[1:]
    table = Table(titles, widths, "L" + "R" * len(codes) + "RC", font_size=7.5)
    lv = report.league_values.set_index(["indicator_code", "region_code"])
    idx = report.index[report.index["chapter"] == chapter].set_index("region_code")
    ranks = numbers.rank_labels(idx["rank"])
    order = sorted(report.leagues, key=lambda r: (idx["rank"].get(r.code) if r.code in idx.index
                                                  and pd.notna(idx["rank"].get(r.code)) else 99, r.code))
    for i, league in enumerate(order):
        cells = [league.name(lang)]
        for code in codes:
            v = lv["value"].get((code, league.code)) if (code, league.code) in lv.index else None
            cells.append(numbers.value(v, cat.indicator(code).decimals) if finite(v) else t("not_reported", lang))
        score = idx["score"].get(league.code) if league.code in idx.index else None
        cells += [numbers.score(score), ranks.get(league.code, DASH)]
        table.rows.append(cells)
        if league.code == report.region.code:
            table.highlight.add(i)
    return table


def ranking(report: Report) -> Table:
    """The composite index of the 12 leagues with every chapter sub-index (0–100) and coverage."""
    chapters = sorted(c for c in report.index["chapter"].unique() if c > 0)
    heads = columns("rp_cols_ranking", report.lang)
    chapter_heads = [f"第{c}章" if report.lang != "en" else f"Ch. {c}" for c in chapters]
    table = Table(heads[:3] + chapter_heads + heads[3:],
                  [10, 26, 16] + [13] * len(chapters) + [14], "CLR" + "R" * len(chapters) + "R")
    wide = report.index.pivot(index="region_code", columns="chapter", values="score")
    total = report.index[report.index["chapter"] == 0].sort_values(["rank", "region_code"], na_position="last")
    ranks = numbers.rank_labels(total["rank"])
    for i, r in enumerate(total.itertuples()):
        table.rows.append([ranks[r.Index], r.region_name, numbers.score(r.score)]
                          + [numbers.score(wide.loc[r.region_code].get(c)) for c in chapters]
                          + [f"{r.coverage:.0%}" if finite(r.coverage) else DASH])
        if r.region_code == report.region.code:
            table.highlight.add(i)
    return table


def sensitivity_ranks(report: Report) -> Table:
    """Each league's rank under the bulletin's weights, its rank range, and its rank with each chapter left out
    and with every indicator weighted equally (dashboard.sensitivity: the index page's table)."""
    names = {r.code: r.name(report.lang) for r in report.leagues}
    frame, heads = sensitivity.sensitivity_frame(report.robustness.runs, names, report.lang)
    scenarios = len(heads) - 4
    widths = [8, 19, 13, 13] + [15] * scenarios if report.lang != "en" else [10, 20, 16, 14] + [14] * scenarios
    table = Table(list(heads.values()), widths, "CLRC" + "C" * scenarios, font_size=7)
    for i, row in enumerate(frame.itertuples(index=False)):
        table.rows.append([str(cell) for cell in row[1:]])  # the first column is the region code
        if row.region_code == report.region.code:
            table.highlight.add(i)
    return table


def index_coverage(report: Report, years: list[int]) -> Table:
    """Per chapter of the index: indicators, weight, fragility flag and values present per year."""
    frame, heads = sensitivity.coverage_frame(report.robustness.coverage, report.robustness.basis,
                                              report.chapter_labels, years, report.lang)
    widths = [52, 12, 10, 16] if report.lang != "en" else [46, 16, 12, 14]
    table = Table(list(heads.values()), widths + [16] * len(years), "LRRL" + "R" * len(years), font_size=7)
    table.rows = [[str(v) for v in row] for row in frame.itertuples(index=False)]
    return table


# ── annexes ────────────────────────────────────────────────────────────────────────────────────────────

def _share(have: int, total: int, lang: str = "zh") -> str:
    return DASH if not total else say("rp_share", lang, have=have, total=total, share=f"{have / total:.0%}")


def coverage(quality, is_league: bool, lang: str = "zh") -> Table:
    table = Table(columns("rp_cols_coverage_league" if is_league else "rp_cols_coverage", lang),
                  [62, 14, 30, 32, 32] if lang != "en" else [58, 18, 30, 32, 32], "LRRRR")
    for r in quality.coverage.itertuples():
        table.rows.append([r.chapter, str(r.indicators), _share(r.region_have, r.region_total, lang),
                           _share(r.league_have, r.league_total, lang), _share(r.county_have, r.county_total, lang)])
    return table


def submissions(quality, region_code: str, lang: str = "zh") -> Table:
    table = Table(columns("rp_cols_submissions", lang), [24, 12, 12, 12, 14, 100], "LRRRRL", font_size=7.5)
    for i, r in enumerate(quality.submissions.itertuples()):
        codes = list(r.missing_codes)
        listed = say("rp_sep", lang).join(codes[:12]) + (say("rp_more_codes", lang, n=len(codes))
                                                         if len(codes) > 12 else "")
        table.rows.append([r.region_name, str(r.expected), str(r.received), str(r.late), str(r.missing), listed or DASH])
        if r.region_code == region_code:
            table.highlight.add(i)
    return table


def revisions(quality, cat: Catalogue, limit: int, lang: str = "zh") -> Table:
    """Revision reasons are quoted as their authors wrote them."""
    table = Table(columns("rp_cols_revisions", lang), [40, 22, 16, 20, 20, 22, 40], "LLLRRLL", font_size=7)
    for r in quality.revisions.head(limit).itertuples():
        d = cat.indicator(r.indicator_code).decimals
        table.rows.append([f"{r.indicator_code} {r.indicator_name}", r.region_name, r.period,
                           flagged({"value": r.old_value, "obs_status": r.old_status}, d),
                           flagged({"value": r.new_value, "obs_status": r.new_status}, d),
                           r.release_id, r.reason or DASH])
    return table


def outliers(quality, limit: int, lang: str = "zh", cat: Catalogue | None = None) -> Table:
    table = Table(columns("rp_cols_outliers", lang), [36, 24, 16, 104], "LLLL", font_size=7)
    for r in quality.outliers.head(limit).itertuples():
        note = english_units(r.message_en, cat) if lang == "en" and cat is not None else r.message_zh
        table.rows.append([f"{r.indicator_code} {r.indicator_name}", r.region_name, r.period, note])
    return table


def reconciliation(quality, cat: Catalogue, limit: int, lang: str = "zh") -> Table:
    table = Table(columns("rp_cols_reconciliation", lang), [44, 26, 18, 26, 26, 20], "LLLRRR", font_size=7)
    for r in quality.reconciliation.head(limit).itertuples():
        d = cat.indicator(r.indicator_code).decimals
        table.rows.append([f"{r.indicator_code} {r.indicator_name}", r.region_name, r.period,
                           numbers.value(r.reported_value, d), numbers.value(r.aggregated_value, d),
                           numbers.percent(r.relative_diff)])
    return table


def rejected(quality, limit: int, lang: str = "zh") -> Table:
    """File names as they arrived; the message is the load's own (English for a rejected file)."""
    table = Table(columns("rp_cols_rejected", lang), [44, 14, 26, 24, 14, 58], "LLLLRL", font_size=7)
    for r in quality.rejected.head(limit).itertuples():
        status = say(f"rp_file_{r.status}", lang) if r.status in ("rejected", "partial") else r.status
        table.rows.append([r.file_name, status, str(r.loaded_at)[:16], r.submitter_name,
                           str(int(r.n_errors)) if finite(r.n_errors) else DASH, r.message or ""])
    return table


def definitions(methods, lang: str = "zh") -> Table:
    widths = [12, 30, 13, 8, 14, 60, 26, 24] if lang != "en" else [11, 27, 18, 12, 13, 54, 23, 21]
    table = Table(columns("rp_cols_definitions", lang), widths, "LLLCLLLL", font_size=6.5)
    for r in methods.definitions.itertuples():
        table.rows.append([r.code, r.name, r.unit, r.frequency, r.polarity, r.definition, r.rule, r.department])
    return table


def targets(methods, lang: str = "zh") -> Table:
    table = Table(columns("rp_cols_targets", lang), [34, 20, 10, 22, 34, 60], "LLCRLL", font_size=6.5)
    for r in methods.targets.itertuples():
        table.rows.append([f"{r.indicator_code} {r.indicator_name}", r.region_name, str(r.year), r.target, r.label,
                           r.source])
    return table


def sources(methods, lang: str = "zh") -> Table:
    """The sources as the submitted files name them (quoted as supplied, in either edition)."""
    table = Table(columns("rp_cols_sources", lang), [140, 20, 20], "LRC", font_size=7)
    for r in methods.sources.itertuples():
        table.rows.append([r.source, f"{int(r.n):,}", say("rp_yes" if r.synthetic else "rp_no", lang)])
    return table
