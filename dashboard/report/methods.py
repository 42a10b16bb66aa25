"""The report's methodology annex: indicator definitions and rules, the methods — aggregation and roll-ups,
progress, the composite index, how numbers are shown — in the words of indicators.engine.methods (the same text the
dashboard and docs/methods.md give) with the parameters actually used, targets and benchmarks with their
provenance, and the data sources.

Honesty rules: an official target cites its source (S-number and address, and says when it is confirmed only
through a secondary source); an illustrative target is labelled 示例目标（非官方）; a national figure is a
benchmark, never the region's target.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from dashboard import numbers
from dashboard.i18n import t
from indicators.base.catalogue import Catalogue, Indicator, Target
from indicators.base.settings import Settings
from indicators.engine import methods as method
from indicators.engine import quality
from indicators.engine.audit import RULE_TEXT

POLARITY_ZH = {"higher_is_better": "越高越好", "lower_is_better": "越低越好", "context": "背景指标"}
MAX_SOURCES = 30
SIGN = {">=": "≥", "<=": "≤"}


@dataclass
class Methods:
    definitions: pd.DataFrame
    rollup_text: list[str]
    progress_text: list[str]
    index_text: list[str]
    presentation_text: list[str]
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
    if not target.is_target:  # a national figure, a rule for a part (new data centres, a cluster), “作参照”
        return "基准（仅作参照，不判定进度）"
    if not target.is_official:
        return t("illustrative_target", "zh")
    label = t("official_target", "zh")
    return label + ("（仅经二手文献转述，发布前须核对原文）" if target.verification == "R*" else "")


def assemble(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings, report) -> Methods:
    sources, total = _sources(con, report)
    return Methods(definitions=_definitions(cat), rollup_text=method.rollup_method(settings, "zh"),
                   progress_text=method.progress_method(settings, "zh"),
                   index_text=method.index_method(settings, cat, "zh"),
                   presentation_text=method.presentation_method("zh"), targets=_targets(cat, report),
                   sources=sources, sources_total=total)


def _definitions(cat: Catalogue) -> pd.DataFrame:
    return pd.DataFrame([{
        "code": i.code, "name": i.name_zh, "unit": i.unit, "chapter": i.chapter, "definition": i.definition_zh,
        "rule": rule_text(i), "polarity": POLARITY_ZH.get(i.polarity, i.polarity), "department": i.department,
        "frequency": {"annual": "年", "quarterly": "季", "monthly": "月"}[i.frequency],
    } for i in cat.indicators.values()])


def _targets(cat: Catalogue, report) -> pd.DataFrame:
    """Targets and benchmarks relevant to the report: the report region's own, the region's, and benchmarks."""
    keep = {report.region.code, cat.regions.root.code}
    rows = []
    for tg in cat.targets:
        if report.is_league and tg.region_code not in keep:
            continue
        ind = cat.indicators.get(tg.indicator_code)
        source = tg.citation("zh") if tg.is_official else "—（演示用，无出处）"  # issuer first; a repost says 转载
        rows.append({"indicator_code": tg.indicator_code, "indicator_name": ind.name_zh if ind else "",
                     "region_name": cat.regions.by_code[tg.region_code].name_zh, "year": tg.year,
                     "target": f"{SIGN.get(tg.comparison, tg.comparison)}"
                               f"{numbers.value(tg.value, ind.decimals if ind else 2)}{ind.unit if ind else ''}",
                     "label": provenance_label(tg), "source": source, "note": tg.note_zh})
    return pd.DataFrame(rows)


def _sources(con: duckdb.DuckDBPyConnection, report) -> tuple[pd.DataFrame, int]:
    """The data sources named by the submissions behind the report (most used first)."""
    regions = [report.region.code] + [r.code for r in report.leagues]
    frame = quality.sources(con, regions, (report.spec.annual_year - 5, report.spec.year))
    return frame.head(MAX_SOURCES), len(frame)
