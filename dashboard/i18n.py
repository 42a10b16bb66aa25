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
    "download_xlsx": ("下载（XLSX，含说明）", "Download (XLSX with metadata)"),
    "rounded_note": ("数值已按指标体系保留{d}位小数；全精度数据请用 dem data export 导出",
                     "values rounded to {d} decimal place(s) as in the catalogue; full precision: dem data export"),
    "download_pdf": ("下载监测分析报告（PDF）", "Download the report (PDF)"),
    "language": ("English", "中文"),
    "leagues": ("盟市", "Leagues"),
    "counties": ("旗县", "Counties"),
    "target_secondary": ("目标仅经二手文献转述，待核", "target confirmed only through a secondary source"),
    "benchmark_reference": ("基准，仅作参照，不判定进度", "benchmark: for reference, never used for the status"),
    "serves_articles": ("本系统落实监测条款的功能", "What this system does for the regulation's monitoring duties"),
    "yoy": ("同比", "YoY"),
    "no_data": ("暂无数据", "No data"),
    "heading_missing": ("原文本章标题缺失", "heading missing in source"),
    "article_missing": ("原文缺失", "missing in the source"),
    # ── dashboard shell ──
    "no_warehouse": ("尚无数据仓库：{path}（请先运行 dem demo build 或 dem etl load）",
                     "No warehouse at {path} (run `dem demo build` or `dem etl load` first)."),
    "unreadable_warehouse": ("数据仓库无法读取：{path}（文件可能已损坏；请重新发布数据仓库或从备份恢复）",
                             "The warehouse at {path} cannot be read (the file may be damaged; publish it again "
                             "or restore it from a backup)."),
    "page_failed": ("本页暂时无法显示，请稍后重试。", "This page could not be shown; please try again later."),
    "bad_request": ("请求无效", "bad request"),
    "not_found_path": ("未找到", "not found"),
    "server_error": ("服务器内部错误，已记录", "internal server error (logged)"),
    "warehouse_unavailable": ("数据仓库暂不可用", "the warehouse is unavailable"),
    "skip_to_content": ("跳到正文", "Skip to content"),
    "current_page": ("（当前页）", " (current page)"),
    "published_at": ("数据发布时间", "Data published"),
    "footer_note": ("数据来源：各盟市、旗县报送及自治区统计部门；依据《内蒙古自治区数字经济促进条例》第九条。",
                    "Sources: submissions of the leagues and counties and the regional statistics bureau; "
                    "Art. 9 of the Regulation."),
    "provenance": ("数据来源与计算", "Provenance"),
    "provenance_hint": ("点击图表中的数值、表格中的单元格或 ⓘ 按钮，可查看该数值的来源（报送/汇总/计算、批次、修订）。",
                        "Click a value in a chart, a table cell or an ⓘ button to see where it comes from "
                        "(reported/aggregated/derived, batch, revisions)."),
    "show_provenance": ("查看来源", "Show provenance"),
    "close": ("关闭", "Close"),
    "status_legend": ("目标进度：", "Progress towards target:"),
    "region_name": ("地区", "Region"),
    "indicator_name": ("指标", "Indicator"),
    "code": ("代码", "Code"),
    "definition": ("定义", "Definition"),
    "department": ("责任部门", "Department"),
    "frequency": ("报送频率", "Frequency"),
    "articles": ("条例条款", "Articles"),
    "annual": ("年度", "annual"),
    "quarterly": ("季度", "quarterly"),
    "monthly": ("月度", "monthly"),
    "level": ("层级", "Level"),
    "select_year": ("年份", "Year"),
    "select_indicator": ("指标", "Indicator"),
    "select_leagues": ("对比盟市", "Compare leagues"),
    "key_indicators": ("主要指标（全区）", "Key indicators (region)"),
    "index_title": ("盟市数字经济综合指数", "Composite digital-economy index of the leagues"),
    "index_map": ("综合指数地图", "Composite index map"),
    "changes": ("最近一次入库的变化", "What changed in the last load"),
    "no_changes": ("最近一次入库没有新增或修订的数值。", "The last load added or revised no values."),
    "new": ("新增", "new"),
    "previous": ("原值", "Previous"),
    "change": ("变化", "Change"),
    "file": ("文件", "File"),
    "batch": ("批次", "Batch"),
    "chart": ("图表", "Chart"),
    "table": ("表格", "Table"),
    "league_value": ("本盟市", "League"),
    "counties_of": ("所辖旗县", "Counties"),
    "county_indicator": ("旗县指标", "County indicator"),
    "pdf_running": ("正在生成报告，约需10秒…", "Building the report, about 10 s…"),
    "pdf_ready": ("报告已生成并开始下载。", "The report is ready and downloading."),
    "pdf_failed": ("报告生成失败", "The report could not be built"),
    "pdf_queued": ("排队中，前面还有 {n} 个", "queued, {n} ahead"),
    "pdf_try_later": ("请稍后重试。", "Please try again later."),
    "chapter_weights": ("各章权重（拖动滑块，排名即时更新）", "Chapter weights (move a slider to re-rank)"),
    "weight": ("权重", "weight"),
    "score": ("得分", "Score"),
    "missing_articles": ("第十三条至第二十三条原文缺失，所属章节无法确定。",
                         "Articles 13–23 are missing in the source; their chapter cannot be known."),
    "indicators_of_chapter": ("本章指标", "Indicators of this chapter"),
    "articles_of_chapter": ("本章条款", "Articles of this chapter"),
    "search": ("搜索指标（代码、名称、定义、部门）", "Search indicators (code, name, definition, department)"),
    "regulation": ("条例原文", "The regulation"),
    "matrix": ("报送情况（各指标最新统计期）", "Submissions (latest period of each indicator)"),
    "recent_batches": ("最近入库批次", "Recent batches"),
    "batch_report": ("批次问题报告（点击上表中的批次）", "Batch report (click a batch above)"),
    "outliers": ("异常值预警（同比变动超阈值，仍为当前值）", "Open outlier warnings (year-on-year change beyond the threshold)"),
    "reconciliation": ("汇总差异（本级报送与下级合计不符）", "Reconciliation differences (reported vs sum of the level below)"),
    "freshness": ("数据时效", "Freshness"),
    "behind": ("滞后期数", "Periods behind"),
    "due_period": ("应报至", "Due up to"),
    "latest_period": ("最新统计期", "Latest period"),
    "last_loaded": ("最近入库", "Last loaded"),
    "regions_reporting": ("报送地区数", "Regions reporting"),
    "none": ("无", "None"),
    "message": ("说明", "Message"),
    "state": ("状态", "State"),
    "received": ("已报送", "received"),
    "late": ("逾期", "late"),
    "rejected": ("退回", "rejected"),
    "missing": ("未报送", "missing"),
    "coverage_note": ("覆盖：参与计算的指标数 / 应有指标数", "Coverage: indicators available / indicators in the index"),
    "download_note": ("CSV 为 UTF-8（含BOM），可直接用 Excel 打开；含“示例数据”列。数值按指标体系的小数位数舍入，"
                      "与页面显示一致；全精度数据请用 dem data export 导出。",
                      "UTF-8 CSV with BOM (opens in Excel); includes a synthetic column. Values are rounded to the "
                      "catalogue's decimals, as shown; dem data export gives full precision."),
    "not_found": ("未找到：{what}", "Not found: {what}"),
    "map_hint": ("悬停查看数值、单位、排名与数据类型；点击地区查看来源与计算。",
                 "Hover for value, unit, rank and status; click an area for its provenance."),
    "other_leagues": ("其他盟市：", "Other leagues:"),
    "trend": ("趋势", "Trend"),
    "sparkline_note": ("趋势为各年数值（▁低 █高，· 未报送）。", "Trend: yearly values (▁ low, █ high, · not reported)."),
    "rank_of": ("{rank}/{n}", "{rank} of {n}"),
    "details": ("详情", "Details"),
    "composite": ("综合指数", "Composite"),
    # ── how fragile the index is ──
    "robustness": ("排名的稳健性", "How robust the ranking is"),
    "sensitivity_note": ("名次范围：依次去掉一章（其余各章按原权重比例重新加权）和全部指标等权时的最好与最差名次（含所选权重）。"
                         "范围越宽，排名越取决于权重的选择。名次相同者标为“=”。",
                         "Rank range: the best and worst rank when each chapter is left out in turn (the others "
                         "reweighted) and when every indicator weighs the same, the chosen weights included. The "
                         "wider it is, the more the rank depends on the weighting. “=” marks a shared rank."),
    "rank_range": ("名次范围", "Rank range"),
    "chosen_weights": ("所选权重", "chosen weights"),
    "without_chapter": ("去掉第{n}章", "without ch. {n}"),
    "equal_weights": ("指标等权", "equal indicator weights"),
    "fragile": ("依据单薄", "fragile"),
    "fragile_warning": ("注意：{chapters}的分项指数所依据的指标少于{minimum}项，一个盟市的一个数值即可决定该章得分，"
                        "排名对这些章的权重较敏感（见下表）。",
                        "Caution: the sub-indices of {chapters} rest on fewer than {minimum} indicators; one value of "
                        "one league decides such a chapter, and the ranking is sensitive to its weight (see below)."),
    "chapter_n_indicators": ("第{n}章（{k}项指标）", "chapter {n} ({k} indicator(s))"),
    "chapter_coverage": ("各章指标覆盖（有数值 / 应有：盟市 × 指标）",
                         "Coverage by chapter (values present / expected: leagues × indicators)"),
    "indicator_count": ("指标数", "Indicators"),
    "note": ("说明", "Note"),
    "methods": ("方法说明", "Methods"),
    "index_method": ("综合指数的计算方法", "How the index is computed"),
}


def add(texts: dict[str, tuple[str, str]]) -> None:
    """A package's own texts (dashboard/auth, dashboard/portal, …), registered when it is imported; a key may be
    defined once only."""
    clash = set(texts) & set(TEXTS)
    if clash:
        raise ValueError(f"interface texts defined twice: {sorted(clash)}")
    TEXTS.update(texts)


def t(key: str, lang: str = "zh") -> str:
    zh, en = TEXTS[key]
    return en if lang == "en" else zh


def lang_of(value: str | None) -> str:
    return value if value in LANGS else "zh"
