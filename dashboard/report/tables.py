"""The report's tables as plain rows of formatted text: every number through dashboard.numbers, as the dashboard
shows it — values with the catalogue's decimals and thousands separators, YoY as % (or percentage points for
shares), index scores with one decimal, shared ranks as "3=" — and statuses as symbol + word (never colour alone).

Example: a row of the headline table ['第二章', '5G基站数', '2024年', '24,627', '个', '+10.0%', '▲ 进展顺利'].
Layout (widths in mm, alignment) travels with the rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from dashboard import numbers, sensitivity
from dashboard.i18n import t
from dashboard.numbers import finite
from dashboard.report.content import Report, period_zh, target_for
from dashboard.report.methods import SIGN, provenance_label
from dashboard.style import status_symbol
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


def progress_cell(status: str | None) -> str:
    if not status or (isinstance(status, float) and math.isnan(status)):
        return DASH
    return f"{status_symbol(status)} {status_label(status)}"


def coverage_cell(n, total) -> str:
    return f"{int(n)}/{int(total)}" if finite(n) and finite(total) else ""


def _status_of(progress: pd.DataFrame) -> dict[str, str]:
    return dict(zip(progress["indicator_code"], progress["status"], strict=True)) if len(progress) else {}


def headline(report: Report, cat: Catalogue) -> Table:
    """The key indicator of every chapter at the report region: value, YoY and progress status."""
    status = _status_of(report.progress)
    table = Table(["章节", "指标", "统计期", "数值", "单位", "同比", "进度"], [16, 56, 22, 22, 16, 22, 24], "LLLRLRL")
    cur = report.current.set_index("indicator_code")
    for section in report.chapters:
        if section.key_code is None or section.key_code not in cur.index:
            continue
        r, ind = cur.loc[section.key_code], cat.indicator(section.key_code)
        table.rows.append([f"第{chinese_numeral(section.number)}章", ind.name_zh, period_zh(r["period"], ind.measure),
                           numbers.value(r["value"], ind.decimals), ind.unit,
                           numbers.change(r["value"], r.get("previous"), ind.unit), progress_cell(status.get(ind.code))])
    return table


def attention(report: Report, cat: Catalogue) -> Table:
    """需关注: unit, indicator, status (symbol + word) and the reason, most behind units first."""
    table = Table(["地区", "指标", "进度", "原因"], [24, 44, 24, 88], "LLLL", font_size=7.5)
    names = {r.code: r.name_zh for r in cat.regions.regions}
    for r in (report.attention if report.attention is not None else pd.DataFrame()).to_dict("records"):
        table.rows.append([names.get(r["region_code"], r["region_code"]), f"{r['indicator_code']} "
                           f"{cat.indicator(r['indicator_code']).name_zh}", progress_cell(r["status"]), r["reason"]])
    return table


def status_matrix(statuses: pd.DataFrame | None, units: list, codes: list[str]) -> Table:
    """Units × indicators, each cell the status symbol (a legend gives the words; — no status), with the number
    of indicators each unit is behind on: a league's counties in its bulletin and its evaluation."""
    records = statuses.to_dict("records") if statuses is not None else []
    cells = {(r["region_code"], r["indicator_code"]): r["status"] for r in records}
    width = max(9.0, 132 / max(len(codes), 1))
    table = Table(["旗县（市、区）", "落后", *codes], [34, 12, *[width] * len(codes)], "LR" + "C" * len(codes),
                  font_size=7)
    for unit in units:
        found = [cells.get((unit.code, c)) for c in codes]
        table.rows.append([unit.name_zh, str(sum(s in BEHIND for s in found)),
                           *[status_symbol(s) if s else DASH for s in found]])
    return table


def status_legend() -> str:
    return "　".join(f"{status_symbol(s)} {status_label(s)}" for s in STATUSES) + "；— 无数值"


def county_values(report: Report, cat: Catalogue, codes: list[str]) -> Table:
    """A league's counties' annual values of `codes` (a league's bulletin), 未报送 where a county has none."""
    titles = ["旗县（市、区）"] + [f"{c} {cat.indicator(c).name_zh}（{cat.indicator(c).unit}）" for c in codes]
    table = Table(titles, [30] + [30] * len(codes), "L" + "R" * len(codes), font_size=7.5)
    frame = report.county_values if report.county_values is not None else pd.DataFrame(
        columns=["indicator_code", "region_code", "value"])
    found = frame.set_index(["region_code", "indicator_code"])["value"].to_dict()
    for county in cat.regions.counties(report.region.code):
        cells = [county.name_zh]
        for code in codes:
            v = found.get((county.code, code))
            cells.append(numbers.value(v, cat.indicator(code).decimals) if finite(v) else t("not_reported", "zh"))
        table.rows.append(cells)
    return table


def _flag(value) -> bool:
    return bool(value) if finite(value) else False


def indicators(report: Report, cat: Catalogue, codes: list[str]) -> Table:
    """The chapter's indicators at the report region, each with its period, YoY, provenance, coverage and a
    示例 column saying whether the value is synthetic (so real and demo figures are never confused)."""
    table = Table(["代码", "指标", "统计期", "数值", "单位", "同比", "取得方式", "覆盖", "示例"],
                  [13, 48, 22, 21, 15, 22, 16, 11, 8], "LLLRLRLCC", font_size=7.5)
    cur = report.current.set_index("indicator_code")
    for code in codes:
        r, ind = cur.loc[code], cat.indicator(code)
        have = finite(r["value"])
        how = t(r["status"], "zh") if have and isinstance(r.get("status"), str) else DASH
        table.rows.append([code, ind.name_zh, period_zh(r["period"], ind.measure),
                           numbers.value(r["value"], ind.decimals) if have else t("not_reported", "zh"),
                           ind.unit, numbers.change(r["value"], r.get("previous"), ind.unit), how,
                           coverage_cell(r.get("coverage_n"), r.get("coverage_total")),
                           "是" if have and _flag(r.get("synthetic")) else ""])
    return table


def goal_text(target, benchmark, decimals: int) -> str:
    """'≥30,000（2022年，官方目标）' · '无本地区目标（基准 26.0，仅作参照）' · '—' (values with the indicator's decimals)."""
    if target is not None:
        return (f"{SIGN.get(target.comparison, target.comparison)}{numbers.value(target.value, decimals)}"
                f"（{target.year}年，{provenance_label(target)}）")
    if benchmark is not None:
        return f"无本地区目标（基准 {numbers.value(benchmark.value, decimals)}，仅作参照）"
    return DASH


def progress(report: Report, cat: Catalogue, codes: list[str]) -> Table:
    """Progress against targets of the chapter's assessed indicators (targets labelled by provenance)."""
    table = Table(["指标", "年份", "基期值", "最新值", "目标（性质）", "年均增速", "所需增速", "进度"],
                  [38, 20, 19, 19, 40, 14, 14, 21], "LCRRLRRL", font_size=7.5)
    frame = report.progress[report.progress["indicator_code"].isin(codes)] if len(report.progress) else report.progress
    for r in frame.itertuples():
        if r.status == "not_assessed":
            continue
        ind = cat.indicator(r.indicator_code)
        target, benchmark = target_for(cat, r.indicator_code, report.region.code, int(r.latest_year))
        years = f"{int(r.latest_year)}" if not finite(r.base_year) else f"{int(r.base_year)}→{int(r.latest_year)}"
        table.rows.append([f"{r.indicator_code} {ind.name_zh}", years, numbers.value(r.base_value, ind.decimals),
                           numbers.value(r.latest_value, ind.decimals), goal_text(target, benchmark, ind.decimals),
                           numbers.percent(r.cagr_observed), numbers.percent(r.cagr_required), progress_cell(r.status)])
    return table


def leagues(report: Report, cat: Catalogue, codes: list[str], chapter: int) -> Table:
    """The 12 leagues side by side on the chapter's compared indicators, with the chapter sub-index and rank."""
    widths = [26] + [32] * len(codes) + [20, 12]
    titles = ["盟市"] + [f"{c} {cat.indicator(c).name_zh}（{cat.indicator(c).unit}）" for c in codes] + ["分项指数", "排名"]
    table = Table(titles, widths, "L" + "R" * len(codes) + "RC", font_size=7.5)
    lv = report.league_values.set_index(["indicator_code", "region_code"])
    idx = report.index[report.index["chapter"] == chapter].set_index("region_code")
    ranks = numbers.rank_labels(idx["rank"])
    order = sorted(report.leagues, key=lambda r: (idx["rank"].get(r.code) if r.code in idx.index
                                                  and pd.notna(idx["rank"].get(r.code)) else 99, r.code))
    for i, league in enumerate(order):
        cells = [league.name_zh]
        for code in codes:
            v = lv["value"].get((code, league.code)) if (code, league.code) in lv.index else None
            cells.append(numbers.value(v, cat.indicator(code).decimals) if finite(v) else t("not_reported", "zh"))
        score = idx["score"].get(league.code) if league.code in idx.index else None
        cells += [numbers.score(score), ranks.get(league.code, DASH)]
        table.rows.append(cells)
        if league.code == report.region.code:
            table.highlight.add(i)
    return table


def ranking(report: Report) -> Table:
    """The composite index of the 12 leagues with every chapter sub-index (0–100) and coverage."""
    chapters = sorted(c for c in report.index["chapter"].unique() if c > 0)
    table = Table(["排名", "盟市", "综合指数"] + [f"第{c}章" for c in chapters] + ["覆盖率"],
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
    names = {r.code: r.name_zh for r in report.leagues}
    frame, columns = sensitivity.sensitivity_frame(report.robustness.runs, names, "zh")
    scenarios = len(columns) - 4
    table = Table(list(columns.values()), [8, 19, 13, 13] + [15] * scenarios, "CLRC" + "C" * scenarios, font_size=7)
    for i, row in enumerate(frame.itertuples(index=False)):
        table.rows.append([str(cell) for cell in row[1:]])  # the first column is the region code
        if row.region_code == report.region.code:
            table.highlight.add(i)
    return table


def index_coverage(report: Report, years: list[int]) -> Table:
    """Per chapter of the index: indicators, weight, fragility flag and values present per year."""
    frame, columns = sensitivity.coverage_frame(report.robustness.coverage, report.robustness.basis,
                                                report.chapter_labels, years, "zh")
    table = Table(list(columns.values()), [52, 12, 10, 16] + [16] * len(years), "LRRL" + "R" * len(years),
                  font_size=7)
    table.rows = [[str(v) for v in row] for row in frame.itertuples(index=False)]
    return table


# ── annexes ────────────────────────────────────────────────────────────────────────────────────────────

def _share(have: int, total: int) -> str:
    return DASH if not total else f"{have}/{total}（{have / total:.0%}）"


def coverage(quality, is_league: bool) -> Table:
    county = "所辖旗县有值" if is_league else "旗县有值"
    table = Table(["章节", "指标数", "本级有值", "盟市有值", county], [62, 14, 30, 32, 32], "LRRRR")
    for r in quality.coverage.itertuples():
        table.rows.append([r.chapter, str(r.indicators), _share(r.region_have, r.region_total),
                           _share(r.league_have, r.league_total), _share(r.county_have, r.county_total)])
    return table


def submissions(quality, region_code: str) -> Table:
    table = Table(["盟市", "应报", "按时", "逾期", "未报送", "未报送指标"], [24, 12, 12, 12, 14, 100], "LRRRRL", font_size=7.5)
    for i, r in enumerate(quality.submissions.itertuples()):
        codes = list(r.missing_codes)
        listed = "、".join(codes[:12]) + (f" 等{len(codes)}项" if len(codes) > 12 else "")
        table.rows.append([r.region_name, str(r.expected), str(r.received), str(r.late), str(r.missing), listed or DASH])
        if r.region_code == region_code:
            table.highlight.add(i)
    return table


def revisions(quality, cat: Catalogue, limit: int) -> Table:
    table = Table(["指标", "地区", "统计期", "原值", "新值", "发布", "修订原因"], [40, 22, 16, 20, 20, 22, 40],
                  "LLLRRLL", font_size=7)
    for r in quality.revisions.head(limit).itertuples():
        d = cat.indicator(r.indicator_code).decimals
        table.rows.append([f"{r.indicator_code} {r.indicator_name}", r.region_name, r.period, numbers.value(r.old_value, d),
                           numbers.value(r.new_value, d), r.release_id, r.reason or DASH])
    return table


def outliers(quality, limit: int) -> Table:
    table = Table(["指标", "地区", "统计期", "说明"], [36, 24, 16, 104], "LLLL", font_size=7)
    for r in quality.outliers.head(limit).itertuples():
        table.rows.append([f"{r.indicator_code} {r.indicator_name}", r.region_name, r.period, r.message_zh])
    return table


def reconciliation(quality, cat: Catalogue, limit: int) -> Table:
    table = Table(["指标", "地区", "统计期", "报送值", "下级汇总", "相对差异"], [44, 26, 18, 26, 26, 20], "LLLRRR",
                  font_size=7)
    for r in quality.reconciliation.head(limit).itertuples():
        d = cat.indicator(r.indicator_code).decimals
        table.rows.append([f"{r.indicator_code} {r.indicator_name}", r.region_name, r.period,
                           numbers.value(r.reported_value, d), numbers.value(r.aggregated_value, d),
                           numbers.percent(r.relative_diff)])
    return table


def rejected(quality, limit: int) -> Table:
    table = Table(["文件", "结果", "入库时间", "报送单位", "错误数", "说明"], [44, 14, 26, 24, 14, 58], "LLLLRL", font_size=7)
    for r in quality.rejected.head(limit).itertuples():
        status = {"rejected": "退回", "partial": "部分入库"}.get(r.status, r.status)
        table.rows.append([r.file_name, status, str(r.loaded_at)[:16], r.submitter_name,
                           str(int(r.n_errors)) if finite(r.n_errors) else DASH, r.message or ""])
    return table


def definitions(methods) -> Table:
    table = Table(["代码", "指标", "单位", "频率", "方向", "定义", "汇总／计算", "报送部门"],
                  [12, 30, 13, 8, 14, 60, 26, 24], "LLLCLLLL", font_size=6.5)
    for r in methods.definitions.itertuples():
        table.rows.append([r.code, r.name, r.unit, r.frequency, r.polarity, r.definition, r.rule, r.department])
    return table


def targets(methods) -> Table:
    table = Table(["指标", "地区", "年份", "目标值", "性质", "出处"], [34, 20, 10, 22, 34, 60], "LLCRLL", font_size=6.5)
    for r in methods.targets.itertuples():
        table.rows.append([f"{r.indicator_code} {r.indicator_name}", r.region_name, str(r.year), r.target, r.label,
                           r.source])
    return table


def sources(methods) -> Table:
    table = Table(["来源（报送文件所注）", "数值条数", "示例数据"], [140, 20, 20], "LRC", font_size=7)
    for r in methods.sources.itertuples():
        table.rows.append([r.source, f"{int(r.n):,}", "是" if r.synthetic else "否"])
    return table
