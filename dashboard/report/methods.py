"""The report's methodology annex: indicator definitions and rules, the methods — aggregation and roll-ups,
progress, the composite index, how numbers are shown — in the words of indicators.engine.methods (the same text the
dashboard and docs/methods.md give) with the parameters actually used, targets and benchmarks with their
provenance, and the data sources.

Honesty rules: an official target cites its source (S-number and address, and says when it is confirmed only
through a secondary source); an illustrative target is labelled 示例目标（非官方）; a national figure is a
benchmark, never the region's target. The English edition gives the catalogue's English names, definitions,
issuers and notes; the sources named by the submissions are quoted as supplied.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from dashboard import numbers
from dashboard.i18n import t
from dashboard.report.texts import say
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


def rule_text(ind: Indicator, lang: str = "zh") -> str:
    """How the indicator is obtained above the reporting level: 'DI-02 = …' · 下级合计 · 按DI-05加权平均."""
    if ind.is_derived:
        return say("rp_formula", lang, formula=ind.formula)
    if ind.aggregation in RULE_TEXT:
        return RULE_TEXT[ind.aggregation][1 if lang == "en" else 0].format(weight=ind.weight)
    return say("rp_not_aggregated", lang)


def provenance_label(target: Target, lang: str = "zh") -> str:
    if not target.is_target:  # a national figure, a rule for a part (new data centres, a cluster), “作参照”
        return say("rp_benchmark_label", lang)
    if not target.is_official:
        return t("illustrative_target", lang)
    label = t("official_target", lang)
    return label + (say("rp_secondary", lang) if target.verification == "R*" else "")


def assemble(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings, report) -> Methods:
    sources, total = _sources(con, report)
    lang = report.lang
    return Methods(definitions=_definitions(cat, lang), rollup_text=method.rollup_method(settings, lang),
                   progress_text=method.progress_method(settings, lang),
                   index_text=method.index_method(settings, cat, lang),
                   presentation_text=method.presentation_method(lang), targets=_targets(cat, report),
                   sources=sources, sources_total=total)


def _polarity(polarity: str, lang: str) -> str:
    if lang != "en":
        return POLARITY_ZH.get(polarity, polarity)
    return say("rp_context", lang) if polarity == "context" else t(polarity, lang)


def _definitions(cat: Catalogue, lang: str = "zh") -> pd.DataFrame:
    return pd.DataFrame([{
        "code": i.code, "name": i.name(lang), "unit": i.unit_label(lang), "chapter": i.chapter,
        "definition": i.definition(lang), "rule": rule_text(i, lang), "polarity": _polarity(i.polarity, lang),
        "department": i.department_label(lang), "frequency": say(f"rp_freq_{i.frequency}", lang),
    } for i in cat.indicators.values()])


def _target_value(tg: Target, ind: Indicator | None, lang: str) -> str:
    """'≥200,000PFLOPS' (en: '≥ 200,000 PFLOPS'), with the indicator's decimals."""
    sign, shown = SIGN.get(tg.comparison, tg.comparison), numbers.value(tg.value, ind.decimals if ind else 2)
    if lang != "en":
        return f"{sign}{shown}{ind.unit if ind else ''}"
    return f"{sign} {shown} {ind.unit_label(lang) if ind else ''}".rstrip()


def _targets(cat: Catalogue, report) -> pd.DataFrame:
    """Targets and benchmarks relevant to the report: the report region's own, the region's, and benchmarks."""
    keep, lang = {report.region.code, cat.regions.root.code}, report.lang
    rows = []
    for tg in cat.targets:
        if report.is_league and tg.region_code not in keep:
            continue
        ind = cat.indicators.get(tg.indicator_code)
        source = tg.citation(lang) if tg.is_official else say("rp_no_source", lang)  # issuer first; a repost says so
        rows.append({"indicator_code": tg.indicator_code, "indicator_name": ind.name(lang) if ind else "",
                     "region_name": cat.regions.by_code[tg.region_code].name(lang), "year": tg.year,
                     "target": _target_value(tg, ind, lang), "label": provenance_label(tg, lang), "source": source,
                     "note": tg.note_en if lang == "en" else tg.note_zh})
    return pd.DataFrame(rows)


def _sources(con: duckdb.DuckDBPyConnection, report) -> tuple[pd.DataFrame, int]:
    """The data sources named by the submissions behind the report (most used first)."""
    regions = [report.region.code] + [r.code for r in report.leagues]
    frame = quality.sources(con, regions, (report.spec.annual_year - 5, report.spec.year))
    return frame.head(MAX_SOURCES), len(frame)
