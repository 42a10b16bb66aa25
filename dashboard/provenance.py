"""The ⓘ panel as a person reads it: a short account, in the page's language, of one value — what it is, how it
was obtained (reported by the unit; summed or averaged from the level below, with coverage; computed by a formula
from its inputs; taken from the year's periods), its sources (a link where the source names one), its revisions,
and why its progress status is what it is. File names, lines and batches only for signed-in users.
`indicators.engine.audit.Explanation` holds the facts; this module only words them.

    story(explain("DI-02", "150200", "2024"), "zh", internal=False)
    → 每万人拥有5G基站数 · 包头市 · 2024年 / 数值：27.8 个/万人（示例数据） / 按公式计算：5G基站数 ÷ 常住人口 … / …
"""

from __future__ import annotations

import re

import pandas as pd
from dash import html

from dashboard import numbers
from dashboard.i18n import add, t
from indicators.base import periods
from indicators.base import status as obs_status
from indicators.base.catalogue import Catalogue
from indicators.engine.audit import Explanation

URL = re.compile(r"https?://[^\s<>\"']+")
MAX_INPUTS = 16  # listed one by one; beyond, "and N more"

add({
    "prov_value": ("数值", "Value"),
    "prov_no_value": ("无数值：该地区该期未报送（或尚未发布）。", "No value: not reported for this unit and period (or not released yet)."),
    "prov_synthetic": ("示例数据", "synthetic"),
    "prov_real": ("真实数据", "real data"),
    "prov_reported": ("由{region}本级报送。", "Reported by {region} itself."),
    "prov_file": ("文件 {file}，第 {line} 行，批次 {batch}。", "File {file}, line {line}, batch {batch}."),
    "prov_aggregated": ("由下级{n}个地区得出（{rule}；{covered}个有数值）：",
                        "From {n} units of the level below ({rule}; {covered} with a value):"),
    "prov_derived": ("按公式计算：{formula}，输入：", "Computed by the formula {formula} from:"),
    "prov_rollup": ("由{year}年各期数值得出：{rule}。", "From the periods of {year}: {rule}."),
    "prov_sources": ("来源", "Sources"),
    "prov_no_source_synthetic": ("示例数据，没有来源。", "Synthetic demo data: no source."),
    "prov_no_source": ("未注明来源。", "No source stated."),
    "prov_revised": ("已修订：先后报送 {n} 个版本，", "Revised: {n} versions were submitted,"),
    "prov_status": ("进度", "Progress"),
    "prov_reconciled": ("核对：本级报送值与下级合计一致。", "Check: the reported value equals the sum of the level below."),
    "prov_not_reconciled": ("核对：本级报送值 {reported} 与下级合计 {aggregated} 相差 {diff}。",
                            "Check: the reported value {reported} differs from the sum of the level below "
                            "{aggregated} by {diff}."),
    "prov_more": ("……另有 {n} 项", "… and {n} more"),
    "prov_missing": ("未报送", "not reported"),
})


def story(e: Explanation, cat: Catalogue, lang: str, internal: bool) -> list:
    """The account of one value as Dash components (title first)."""
    ind = cat.indicator(e.indicator_code)
    region = cat.regions.by_code.get(e.region_code)
    where = region.name(lang) if region else e.region_code
    title = html.P(f"{ind.name(lang)} · {where} · {_period(e.period, lang)}", className="provenance-title")
    if not e.fact:
        return [title, html.P(t("prov_no_value", lang))]
    f = e.fact
    kind = t("prov_synthetic", lang) if f["synthetic"] else t("prov_real", lang)
    value = numbers.value(f["value"], ind.decimals) if pd.notna(f["value"]) else numbers.DASH
    # “(真实数据，初步数)” | “(real data, provisional)”; a normal value's status says nothing
    about = ("，" if lang == "zh" else ", ").join(x for x in (kind, obs_status.label(f.get("obs_status"), lang)) if x)
    out = [title, html.P([html.Strong(f"{t('prov_value', lang)}: {value} {ind.unit_label(lang)}".rstrip()),
                          f" ({about})"]),
           *_how(e, cat, lang, internal, where)]
    out += _sources(e, lang)
    if len(e.vintages) > 1:
        out.append(_revisions(e, ind, lang, internal))
    if pd.notna(f.get("aggregated_value")) and f["status"] == "reported":
        out.append(_reconciliation(f, ind, lang))
    status = e.status_en if lang == "en" else e.status_zh
    if status:
        out.append(html.P([html.Strong(f"{t('prov_status', lang)}: "), status]))
    return out


def _period(code: str, lang: str) -> str:
    return code if lang == "en" else periods.label_zh(code)


def _how(e: Explanation, cat: Catalogue, lang: str, internal: bool, where: str) -> list:
    f, ind = e.fact, cat.indicator(e.indicator_code)
    rule = e.rule_en if lang == "en" else e.rule_zh
    if f["basis"] == "rollup":
        return [html.P(t("prov_rollup", lang).format(year=int(f["year"]), rule=rule)), _inputs(e, cat, lang, "period")]
    if f["status"] == "derived":
        formula = re.sub(r"\{([^}]+)\}", lambda m: cat.indicator(m.group(1)).name(lang) if m.group(1) in
                         cat.indicators else m.group(0), ind.formula or "").replace("/", "÷").replace("*", "×")
        return [html.P(t("prov_derived", lang).format(formula=formula)), _inputs(e, cat, lang, "indicator")]
    if f["status"] == "aggregated":
        covered = int(e.inputs["value"].notna().sum()) if not e.inputs.empty else 0
        return [html.P(t("prov_aggregated", lang).format(n=len(e.inputs), rule=rule, covered=covered)),
                _inputs(e, cat, lang, "region")]
    out = [html.P(t("prov_reported", lang).format(region=where))]
    current = e.vintages[e.vintages["superseded_by"].isna()] if not e.vintages.empty else e.vintages
    if internal and not current.empty:
        row = current.iloc[-1]
        out.append(html.P(t("prov_file", lang).format(file=row["file_name"], line=_int(row["line"]),
                                                      batch=_int(row["batch_id"])), className="internal"))
    return out


def _int(value) -> str:
    return str(int(value)) if pd.notna(value) else numbers.DASH


def _inputs(e: Explanation, cat: Catalogue, lang: str, by: str) -> html.Ul:
    """The inputs as a list: by indicator (a formula), by unit (a sum of the level below) or by period."""
    items = []
    for row in e.inputs.head(MAX_INPUTS).to_dict("records"):
        ind = cat.indicator(row["indicator_code"])
        region = cat.regions.by_code.get(row["region_code"])
        name = {"indicator": ind.name(lang), "region": region.name(lang) if region else row["region_code"],
                "period": _period(row["period"], lang)}[by]
        shown = (f"{numbers.value(row['value'], ind.decimals)} {ind.unit_label(lang)}".rstrip() if pd.notna(row["value"])
                 else t("prov_missing", lang))
        mark = f" ({t('prov_synthetic', lang)})" if row.get("synthetic") is True else ""
        items.append(html.Li(f"{name}: {shown}{mark}"))
    if len(e.inputs) > MAX_INPUTS:
        items.append(html.Li(t("prov_more", lang).format(n=len(e.inputs) - MAX_INPUTS)))
    return html.Ul(items, className="provenance-inputs")


def _sources(e: Explanation, lang: str) -> list:
    found = e.sources()
    if not found:
        key = "prov_no_source_synthetic" if e.fact["synthetic"] else "prov_no_source"
        return [html.P([html.Strong(f"{t('prov_sources', lang)}: "), t(key, lang)])]
    return [html.P(html.Strong(f"{t('prov_sources', lang)}:")), html.Ul([html.Li(_source(s)) for s in found])]


def _source(text: str) -> list:
    """'统计公报 https://tj.nmg.gov.cn/…' → the title and a link (only http and https addresses become links)."""
    match = URL.search(text)
    if not match:
        return [text]
    title = (text[:match.start()] + text[match.end():]).strip() or match.group(0)
    return [title, " ", html.A(match.group(0), href=match.group(0), rel="noopener noreferrer", target="_blank")]


def _revisions(e: Explanation, ind, lang: str, internal: bool) -> html.P:
    parts = []
    for row in e.vintages.to_dict("records"):
        when = str(row["loaded_at"])[:10]
        batch = f", {t('batch', lang)} {int(row['batch_id'])}" if internal else ""
        parts.append(f"{numbers.value(row['value'], ind.decimals)} ({when}{batch})")
    return html.P(t("prov_revised", lang).format(n=len(parts)) + " " + " → ".join(parts))


def _reconciliation(f: dict, ind, lang: str) -> html.P:
    if f.get("reconciliation_ok"):
        return html.P(t("prov_reconciled", lang))
    diff = f.get("reconciliation_diff")  # reported − aggregated, in the indicator's unit
    return html.P(t("prov_not_reconciled", lang).format(
        reported=numbers.value(f["reported_value"], ind.decimals),
        aggregated=numbers.value(f["aggregated_value"], ind.decimals),
        diff=f"{numbers.value(diff, ind.decimals)} {ind.unit_label(lang)}".rstrip() if pd.notna(diff) else numbers.DASH))
