"""Interface texts in Chinese (default) and English. `t("overview", "en")` → "Overview"."""

from __future__ import annotations

LANGS = ("zh", "en")

TEXTS: dict[str, tuple[str, str]] = {
    "app_title": ("北疆数字经济监测", "Inner Mongolia Digital Economy Monitor"),
    "overview": ("总览", "Overview"),
    "map": ("地图", "Map"),
    "league": ("盟市画像", "League profile"),
    "indicator": ("指标", "Indicator"),
    "chapter": ("章节", "Chapter"),
    "index": ("综合指数", "Composite index"),
    "quality": ("数据质量", "Data quality"),
    "catalogue": ("指标体系", "Catalogue"),
    "synthetic_mark": ("示例数据", "synthetic"),
    "synthetic_note": ("本页含示例（合成）数据，非真实统计，仅供演示。",
                       "This page includes synthetic demo data, not real statistics."),
    "not_reported": ("未报送", "not reported"),
    "reported": ("本级报送", "reported"),
    "aggregated": ("下级汇总", "aggregated"),
    "derived": ("公式计算", "derived"),
    "revised": ("已修订", "revised"),
    "year": ("年份", "Year"),
    "period": ("统计期", "Period"),
    "value": ("数值", "Value"),
    "unit": ("单位", "Unit"),
    "rank": ("排名", "Rank"),
    "region_value": ("全区", "Region"),
    "league_average": ("盟市平均", "League average"),
    "target": ("目标", "Target"),
    "benchmark": ("全国基准", "National benchmark"),
    "official_target": ("官方目标", "official target"),
    "illustrative_target": ("示例目标（非官方）", "illustrative target (not official)"),
    "status": ("进度", "Progress"),
    "coverage": ("覆盖", "Coverage"),
    "source": ("来源", "Source"),
    "download_csv": ("下载本视图数据（CSV）", "Download this view (CSV)"),
    "download_pdf": ("下载监测分析报告（PDF）", "Download the report (PDF)"),
    "language": ("English", "中文"),
    "leagues": ("盟市", "Leagues"),
    "counties": ("旗县", "Counties"),
    "yoy": ("同比", "YoY"),
    "latest": ("最新值", "Latest"),
    "no_data": ("暂无数据", "No data"),
    "heading_missing": ("原文本章标题缺失", "heading missing in source"),
    "article_missing": ("原文缺失", "missing in the source"),
}


def t(key: str, lang: str = "zh") -> str:
    zh, en = TEXTS[key]
    return en if lang == "en" else zh


def lang_of(value: str | None) -> str:
    return value if value in LANGS else "zh"
