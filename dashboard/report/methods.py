"""The report's methodology annex: indicator definitions and rules, the progress and index methods with the
parameters actually used (from settings), targets and benchmarks with their provenance, and the data sources.

Honesty rules: an official target cites its source (S-number and address, and says when it is confirmed only
through a secondary source); an illustrative target is labelled 示例目标（非官方）; a national figure is a
benchmark, never the region's target.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from dashboard.i18n import t
from indicators.audit import RULE_TEXT
from indicators.catalogue import Catalogue, Indicator, Target
from indicators.settings import Settings

MISSING_POLICY_ZH = {
    "reweight": "缺失指标不计入，按现有指标权重重新加权，并报告覆盖率",
    "zero": "缺失指标按0分计",
    "exclude_region": "任一指标缺失的盟市不计算综合指数",
}
POLARITY_ZH = {"higher_is_better": "越高越好", "lower_is_better": "越低越好", "context": "背景指标"}
MAX_SOURCES = 30
SIGN = {">=": "≥", "<=": "≤"}


@dataclass
class Methods:
    definitions: pd.DataFrame
    progress_text: list[str]
    index_text: list[str]
    targets: pd.DataFrame
    sources: pd.DataFrame
    sources_total: int


def rule_text(ind: Indicator) -> str:
    """How the indicator is obtained above the reporting level: 'DI-02 = …' · 下级合计 · 按DI-05加权平均."""
    if ind.is_derived:
        return f"公式：{ind.formula}"
    if ind.aggregation in RULE_TEXT:
        return RULE_TEXT[ind.aggregation][0].format(weight=ind.weight)
    return "不汇总（各级自报）"


def provenance_label(target: Target) -> str:
    if target.kind == "benchmark":
        return t("benchmark", "zh") + "（非本地区目标）"
    if not target.is_official:
        return t("illustrative_target", "zh")
    label = t("official_target", "zh")
    return label + ("（仅经二手文献转述，发布前须核对原文）" if target.verification == "R*" else "")


def assemble(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings, report) -> Methods:
    sources, total = _sources(con, report)
    return Methods(definitions=_definitions(cat), progress_text=progress_text(settings),
                   index_text=index_text(settings, cat), targets=_targets(cat, report),
                   sources=sources, sources_total=total)


def _definitions(cat: Catalogue) -> pd.DataFrame:
    return pd.DataFrame([{
        "code": i.code, "name": i.name_zh, "unit": i.unit, "chapter": i.chapter, "definition": i.definition_zh,
        "rule": rule_text(i), "polarity": POLARITY_ZH.get(i.polarity, i.polarity), "department": i.department,
        "frequency": {"annual": "年", "quarterly": "季", "monthly": "月"}[i.frequency],
    } for i in cat.indicators.values()])


def progress_text(settings: Settings) -> list[str]:
    p = settings.progress
    return [
        "进度评估采用加拿大统计局及联合国可持续发展目标开放数据平台（Open SDG）的方法，按指标方向（越高越好／越低越好）判断。",
        f"观测年均增速 CAGR_o = (y_t / y_0)^(1/(t − t_0)) − 1，y_0 为基期（{p.base_year}年，或其后首个有数据的年份）数值，"
        "y_t 为评估年份数值。",
        f"有目标值 T（目标年 t_T）时，所需年均增速 CAGR_r = (T / y_0)^(1/(t_T − t_0)) − 1，R = CAGR_o / CAGR_r："
        f"已达到目标为“已实现”；R ≥ {p.on_track:g} 为“进展顺利”；{p.needs_acceleration:g} ≤ R < {p.on_track:g} 为“需加快”；"
        f"0 ≤ R < {p.needs_acceleration:g} 为“进展有限”；R < 0 为“趋势恶化”。",
        f"无目标值时，按期望方向的年均增速划分：≥ {p.no_target_high:.1%} 为“进展顺利”，≥ {p.no_target_mid:.1%} 为“需加快”，"
        "≥ 0 为“进展有限”，< 0 为“趋势恶化”。不足两个数据点为“数据不足”；背景指标（如地区生产总值）不评估。",
        "示例：y_0 = 100（2020年），y_t = 121（2022年），目标 T = 150（2025年）：CAGR_o = 10%，CAGR_r = 8.4%，"
        "R = 1.19，判为“进展顺利”。",
        "目标值只采用本地区的目标；全国基准仅作参照，不用于判定进度。示例目标（非官方）仅用于演示评估方法。",
    ]


def index_text(settings: Settings, cat: Catalogue) -> list[str]:
    p = settings.index
    weights = "、".join(f"第{c}章 {w:g}" for c, w in sorted(p.chapter_weights.items()))
    n = sum(1 for i in cat.indicators.values() if i.in_index)
    return [
        f"综合指数参照欧盟数字经济与社会指数（DESI）方法，对12个盟市计算，共纳入{n}项指标（指标体系中带指数权重者）。",
        f"各指标以{p.base_year}年（或其后首个有数据的年份）12个盟市的最小值和最大值做最小—最大标准化，边界固定于基期，"
        "因此各年得分可比，且可超出0–100；越低越好的指标取反向。",
        f"章内按指标权重加权平均得到分项指数（0–100）；各章按章节权重（{weights}）加权合成综合指数，并按得分排名。",
        f"缺失值处理：{MISSING_POLICY_ZH.get(p.missing, p.missing)}；分项指数要求本章有数值的指标权重占比不低于"
        f"{p.min_coverage:.0%}，否则不计算该分项。",
    ]


def _targets(cat: Catalogue, report) -> pd.DataFrame:
    """Targets and benchmarks relevant to the report: the report region's own, the region's, and benchmarks."""
    keep = {report.region.code, cat.regions.root.code}
    rows = []
    for tg in cat.targets:
        if report.is_league and tg.region_code not in keep:
            continue
        ind = cat.indicators.get(tg.indicator_code)
        source = f"{tg.source_id} {tg.source_url}".strip() if tg.is_official else "—（演示用，无出处）"
        rows.append({"indicator_code": tg.indicator_code, "indicator_name": ind.name_zh if ind else "",
                     "region_name": cat.regions.by_code[tg.region_code].name_zh, "year": tg.year,
                     "target": f"{SIGN.get(tg.comparison, tg.comparison)}{tg.value:,.6g}{ind.unit if ind else ''}",
                     "label": provenance_label(tg), "source": source, "note": tg.note_zh})
    return pd.DataFrame(rows)


def _sources(con: duckdb.DuckDBPyConnection, report) -> tuple[pd.DataFrame, int]:
    """The data sources named by the submissions behind the report (most used first)."""
    regions = [report.region.code] + [r.code for r in report.leagues]
    frame = con.execute("""
        SELECT coalesce(nullif(trim(source), ''), '（未注明来源）') AS source, count(*) AS n, bool_or(synthetic) AS synthetic
        FROM current_observations
        WHERE list_contains($regions, region_code) AND year BETWEEN $lo AND $hi
        GROUP BY 1 ORDER BY n DESC, source""",
                        {"regions": regions, "lo": report.spec.annual_year - 5, "hi": report.spec.year}).df()
    return frame.head(MAX_SOURCES), len(frame)
