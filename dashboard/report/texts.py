"""The bulletin's words in Chinese and English, registered with dashboard.i18n (keys `rp_…`): one layout code path,
the texts looked up by the report's language. `say("rp_period", "en", period="2024 Q3")` → "Reporting period: 2024 Q3".

Column heads are one text with the columns separated by "|" (`columns("rp_cols_headline", "en")` → a list).
The regulation's article text exists only in Chinese: the English edition quotes it as supplied and says so
(`quoted`), and never translates it.
"""

from __future__ import annotations

from dashboard import i18n

# Art. 9's monitoring mandate as the cover quotes it (the regulation's own words)
ART9_QUOTE = "建立健全数字经济统计和监测体系，开展数字经济监测分析，定期向社会公布统计结果和监测分析结果"

TEXTS: dict[str, tuple[str, str]] = {
    "rp_title": ("{region}数字经济监测分析报告", "{region}: Digital Economy Monitoring Bulletin"),
    "rp_regulation": ("《{zh}》", "{en}"),
    "rp_subject": ("{regulation}第九条 监测分析结果", "{regulation}, Article 9: monitoring results"),
    "rp_creator": ("北疆数字经济监测 dem report", "Inner Mongolia Digital Economy Monitor (dem report)"),
    "rp_mark": ("示例数据 · 非真实统计", "Synthetic data · not official statistics"),
    "rp_page": ("第 {page} 页 / 共 {total} 页", "Page {page} of {total}"),
    "rp_no_rows": ("无数据。", "no data."),
    "rp_caption_sep": ("：", ": "),
    "rp_sep": ("、", ", "),
    "rp_list_sep": ("，", ", "),
    "rp_quoted": ("{text}", "{text} (Chinese text as supplied)"),
    "rp_article_item": ("{head}　{text}", "{head}: {text}"),
    "rp_article_elsewhere": ("（第{numeral}章）", " (Chapter {number})"),
    "rp_article_missing": ("【{note}】", "[{note}]"),
    "rp_article_note": ("【{note}】", " [{note}]"),
    # ── cover and contents ──
    "rp_period": ("报告期：{period}", "Reporting period: {period}"),
    "rp_scope_region": ("范围：{name}（自治区，含12个盟市比较）", "Scope: {name} (the whole region, its 12 leagues compared)"),
    "rp_scope_league": ("范围：{name}（与全区12个盟市比较）", "Scope: {name} (compared with the region's 12 leagues)"),
    "rp_mandate": ("依据{regulation}第九条“{quote}”编制。",
                   "Compiled under Article 9 of the {regulation}, the monitoring mandate — Article 9: {quote}."),
    "rp_data_date": ("数据截至：{date}（数据仓库发布时间，UTC）", "Data as of: {date} (the warehouse's publication time, UTC)"),
    "rp_generated": ("报告生成：{date}（UTC）", "Generated: {date} (UTC)"),
    "rp_synthetic_box": ("示例数据：本报告使用了示例（合成）数据，相关数值不是真实统计结果，仅用于演示系统功能，"
                         "不得作为统计数据引用。含示例数据的页面均在页眉标注“示例数据”。",
                         "Synthetic data: this bulletin uses synthetic (made-up) data. Those values are not real "
                         "statistics; they only demonstrate the system and must not be quoted as statistics. Every "
                         "page with synthetic data is marked “Synthetic data” in its header."),
    "rp_cover_note": ("本报告由北疆数字经济监测系统根据数据仓库中已入库的报送数据自动生成；数值以所注数据仓库发布版本为准。"
                      "指标定义、计算方法与目标出处见附件二。",
                      "Generated automatically by the Inner Mongolia Digital Economy Monitor from the submissions "
                      "loaded into the data warehouse; the values are those of the warehouse version stated above. "
                      "Indicator definitions, methods and the sources of targets: Annex 2."),
    "rp_contents": ("目录", "Contents"),
    # ── summary ──
    "rp_summary": ("摘要", "Summary"),
    "rp_summary_scope_region": ("12个盟市", "the 12 leagues"),
    "rp_summary_scope_league": ("{name}及全区12个盟市比较", "{name}, compared with the region's 12 leagues"),
    "rp_summary_text": ("本报告依据{regulation}第九条，报告{name}{period}数字经济发展监测结果，覆盖条例各章的{n}项监测指标"
                        "（{scope}）。",
                        "Under Article 9 of the {regulation}, this bulletin reports the monitoring results of the "
                        "digital economy of {name} for {period}: {n} indicators across the chapters of the "
                        "Regulation ({scope})."),
    "rp_summary_quarter": ("季度和月度指标为{period}数值（累计指标为1月至季末累计），年度指标、目标进度和综合指数为"
                           "{year}年数值。",
                           " Quarterly and monthly indicators are shown for {period} (cumulative ones from January "
                           "to the end of the quarter); annual indicators, progress against targets and the composite "
                           "index for {year}."),
    "rp_attention": ("需关注", "Needs attention"),
    "rp_who_league": ("本盟市及所辖旗县（市、区）", "the league and its counties"),
    "rp_who_region": ("各盟市", "the leagues"),
    "rp_attention_caption": ("{who}在综合指数核心指标上需加快推进、进展有限或出现倒退的情况（{year}年，落后指标多者在前；"
                             "原因为进度评估的依据）",
                             "Where {who} need acceleration, make limited progress or deteriorate on the composite "
                             "index's headline indicators ({year}; units behind on more indicators first; the reason "
                             "is the basis of the assessment)"),
    "rp_attention_none": ("{year}年{who}在综合指数核心指标上没有需加快推进、进展有限或倒退的情况。",
                          "In {year} none of {who} needs acceleration, makes limited progress or deteriorates on "
                          "the composite index's headline indicators."),
    "rp_key_indicators": ("主要指标", "Key indicators"),
    "rp_key_caption": ("各章重点指标（同比：比上年同期；占比类指标为百分点变化；{flags}）",
                       "The key indicator of each chapter (YoY: against the same period of the previous year; for "
                       "shares in percentage points; {flags})"),
    "rp_progress": ("目标进度", "Progress against targets"),
    "rp_status_figure": ("图：{name}各章指标进度状态（{year}年）",
                         "Figure: progress of the indicators of {name} by chapter ({year})"),
    "rp_index": ("综合指数", "Composite index"),
    "rp_index_figure": ("图：综合指数及各章贡献（括号内为得分和排名）",
                        "Figure: the composite index and each chapter's contribution (score and rank beside each bar)"),
    "rp_nothing_assessed": ("暂无可评估的指标。", "No indicator can be assessed yet."),
    "rp_status_count": ("{label}{n}项", "{label} {n}"),
    "rp_progress_sentence": ("{year}年{name}共评估{n}项指标：{parts}。有本地区目标的指标按目标所需增速评估，"
                             "其余按年均增速评估（方法见附件二）。",
                             "In {year}, {n} indicators of {name} were assessed: {parts}. Indicators with a target "
                             "of their own are judged by the growth the target requires, the others by their average "
                             "annual growth (methods: Annex 2)."),
    "rp_index_none": ("{year}年数据不足，未能计算综合指数。", "Too few data to compute the composite index for {year}."),
    "rp_index_none_league": ("{year}年{name}数据不足，未计算综合指数。",
                             "Too few data to compute the composite index of {name} for {year}."),
    "rp_index_league": ("{year}年{name}数字经济综合指数为{score}，居{n}个盟市第{rank}位{shared}（指标覆盖率{coverage}）"
                        "{clause}。",
                        "In {year} the composite digital-economy index of {name} is {score}, rank {rank}{shared} of "
                        "the {n} leagues (indicator coverage {coverage}){clause}."),
    "rp_shared": ("（并列）", " (shared)"),
    "rp_index_top_item": ("{name}（{score}）", "{name} ({score})"),
    "rp_index_region": ("{year}年{n}个盟市数字经济综合指数前三位依次为{top}；末位为{last}（{score}）。"
                        "综合指数为各章分项指数的加权合成。",
                        "In {year} the top three of the {n} leagues on the composite digital-economy index are "
                        "{top}; the last is {last} ({score}). The composite index combines the chapters' "
                        "sub-indices by their weights."),
    "rp_rank_same": ("；逐一去掉一章或指标等权时，名次不变",
                     "; the rank stays the same with each chapter left out in turn or equal indicator weights"),
    "rp_rank_range": ("；逐一去掉一章或指标等权时，名次在{low}–{high}位之间",
                      "; with each chapter left out in turn or equal indicator weights, the rank lies between "
                      "{low} and {high}"),
    # ── chapters ──
    "rp_no_indicators": ("本章不设监测指标。", "This chapter has no monitoring indicators."),
    "rp_heading_missing": ("注：条例原文本章标题缺失，此处按现存条文内容标注，未补写标题。",
                           "Note: this chapter's heading is missing in the source text of the Regulation; it is "
                           "labelled by the content of its surviving articles, and no title has been supplied."),
    "rp_basis": ("条例依据：第九条（统计监测）及本章指标所引条文：",
                 "Legal basis: Article 9 (statistics and monitoring) and the articles this chapter's indicators cite "
                 "(the Regulation exists in Chinese only):"),
    "rp_indicators_of": ("{name}指标一览", "Indicators of {name}"),
    "rp_indicators_caption": ("统计期为各指标实际采用的最近一期；同比为比上年同期；取得方式：本级报送／下级汇总／公式计算；"
                              "{flags}",
                              "Period: the latest period each indicator has; YoY: against the same period of the "
                              "previous year; source: reported / aggregated / derived; {flags}"),
    "rp_key_indicator": ("重点指标：{name}", "Key indicator: {name}"),
    "rp_trend_figure": ("图：{region}{name}历年变化（空缺为未报送）",
                        "Figure: {name}, {region}, over the years (gaps: not reported)"),
    "rp_rank_figure": ("图：{name}盟市比较（虚线为盟市平均）",
                       "Figure: {name}, the leagues compared (dashed line: the leagues' average)"),
    "rp_rank_chart_title": ("{name}：{year}年盟市比较", "{name}: the leagues in {year}"),
    "rp_leagues": ("盟市比较", "League comparison"),
    "rp_leagues_caption": ("{year}年各盟市数值与本章分项指数（0–100）",
                           "The leagues' values in {year} and the chapter's sub-index (0–100)"),
    "rp_progress_caption": ("年份为基期→最新年份；年均增速为基期以来的年均增长率；所需增速为按期达到目标所需的年均增长率；"
                            "目标性质见附件二",
                            "Years: base year → latest year; growth: the average annual growth since the base year; "
                            "required: the average annual growth that meets the target in time; kinds of target: "
                            "Annex 2"),
    "rp_missing_data": ("数据缺失说明", "Missing data"),
    "rp_all_present": ("本章指标在报告期均有数值。", "Every indicator of this chapter has a value for the reporting period."),
    "rp_note_absent": ("{name}以下指标在{period}及以前均无数值（未报送）：{listed}。",
                       "{name} has no value up to {period} for these indicators (not reported): {listed}."),
    "rp_note_stale": ("{code} {name}：{wanted}未报送，表中为最近一期（{period}）数值。",
                      "{code} {name}: not reported for {wanted}; the table shows the latest earlier value ({period})."),
    "rp_note_leagues_missing": ("{code}：{year}年{n}个盟市未报送（{names}），盟市比较中标为“未报送”。",
                                "{code}: {n} leagues did not report for {year} ({names}); marked “not reported” in "
                                "the league comparison."),
    "rp_note_no_league": ("{code}：{year}年各盟市均无数值。", "{code}: no league has a value for {year}."),
    # ── counties, ranking, robustness ──
    "rp_counties": ("旗县（市、区）情况", "Counties"),
    "rp_counties_text": ("{name}所辖{n}个旗县（市、区）在综合指数核心指标中旗县报送的{k}项指标上的目标进度和{year}年数值；"
                         "落后指标的原因见摘要“需关注”。",
                         "Progress and {year} values of the {n} counties of {name} on the {k} headline indicators "
                         "of the composite index that counties report; why an indicator is behind: “Needs "
                         "attention” in the summary."),
    "rp_counties_status": ("{year}年旗县核心指标进度（{legend}）",
                           "The counties' progress on the headline indicators, {year} ({legend})"),
    "rp_counties_values": ("{year}年旗县数值（{n}）", "The counties' values, {year} ({n})"),
    "rp_legend_none": ("；— 无数值", "; — no value"),
    "rp_ranking": ("盟市综合指数排名", "League ranking on the composite index"),
    "rp_ranking_caption": ("{year}年综合指数与各章分项指数（0–100；覆盖率为有数值的指标占比）",
                           "The composite index and the chapters' sub-indices, {year} (0–100; coverage: the share "
                           "of indicators with a value)"),
    "rp_ranking_note": ("名次按公布的得分（1位小数）排列，得分相同者并列（标为“=”）。各章分项指数的构成与权重见附件二“综合指数方法”；"
                        "各章盟市比较表列出分项指数所用的主要指标。",
                        "Ranks follow the published scores (one decimal); equal scores share a rank (marked “=”). How "
                        "the sub-indices are built and weighted: Annex 2, “Composite index method”; each chapter's "
                        "league comparison lists the main indicators of its sub-index."),
    "rp_map_figure": ("图：{year}年各盟市数字经济综合指数（括号内为排名；灰色为无法计算）",
                      "Figure: the leagues' composite digital-economy index, {year} (rank in brackets; grey: cannot "
                      "be computed)"),
    "rp_map_unit": ("综合指数", "Composite index"),
    "rp_map_label": ("{name}<br>{score}（{rank}）", "{name}<br>{score} ({rank})"),
    "rp_robustness": ("指数的覆盖与稳健性", "Coverage and robustness of the index"),
    "rp_coverage_caption": ("各章所依据的指标数、权重，以及各年有数值的“盟市×指标”数／应有数",
                            "The indicators and weight of each chapter, and the league × indicator values present / "
                            "expected in each year"),
    "rp_sensitivity_caption": ("{year}年名次的敏感性：所选权重下的名次、名次范围（含所选权重），以及逐一去掉一章（其余按原权重"
                               "比例重新加权）和全部指标等权时的名次（参照JRC/OECD《构建综合指数手册》）",
                               "How sensitive the {year} ranks are: the rank under the chosen weights, the rank range "
                               "(the chosen weights included), and the rank with each chapter left out in turn (the "
                               "others reweighted in proportion) and with all indicators weighted equally (after the "
                               "JRC/OECD Handbook on Constructing Composite Indicators)"),
    # ── annex 1: data quality ──
    "rp_quality": ("附件一 数据质量", "Annex 1 Data quality"),
    "rp_coverage": ("数据覆盖", "Data coverage"),
    "rp_coverage_of": ("{year}年（年度值）有数值的指标与地区", "Indicators and regions with a value in {year} (annual values)"),
    "rp_late": ("逾期与未报送", "Late and missing submissions"),
    "rp_late_text": ("报送期限为统计期结束后：年度{annual}天、季度{quarterly}天、月度{monthly}天。按{period}统计各盟市应报指标"
                     "（不含公式计算的派生指标）；盟市数值可由其全部旗县汇总得到。",
                     "Deadlines after the end of a period: {annual} days for annual, {quarterly} for quarterly and "
                     "{monthly} for monthly series. Counted for {period}: the indicators each league owes (derived "
                     "indicators, computed by formula, excluded); a league's value may also be the sum of all its "
                     "counties."),
    "rp_listed": ("共{total}条", "{total} in all"),
    "rp_listed_first": ("，下表列出前{n}条", "; the first {n} are listed"),
    "rp_revisions": ("{since}以来的数据修订", "Revisions since {since}"),
    "rp_revisions_none": ("{since}（上期报告可发布之日）以来没有修订。",
                          "No revisions since {since} (when the previous bulletin could first be published)."),
    "rp_outliers": ("同比异常预警（未处理）", "Open year-on-year warnings"),
    "rp_outliers_none": ("报告期内没有未处理的同比异常预警。", "No open year-on-year warnings in the reporting period."),
    "rp_reconciliation": ("上下级数值不一致", "Reported totals that differ from their parts"),
    "rp_reconciliation_none": ("报告期内本级报送数与下级汇总数一致（在容差内）。",
                               "In the reporting period every reported total agrees with the sum of its parts (within "
                               "the tolerance)."),
    "rp_rejected": ("退回或部分入库的报送文件", "Files rejected or loaded in part"),
    "rp_rejected_none": ("{since}以来没有退回的报送文件。", "No file rejected since {since}."),
    # ── annex 2: methods ──
    "rp_methods": ("附件二 方法说明", "Annex 2 Methods"),
    "rp_m_rollup": ("汇总、频率折算与派生指标", "Aggregation, frequency roll-ups and derived indicators"),
    "rp_m_progress": ("目标进度评估方法", "Progress against targets: method"),
    "rp_m_index": ("综合指数方法", "Composite index method"),
    "rp_m_presentation": ("数值的显示", "How numbers are shown"),
    "rp_m_targets": ("目标与基准的出处", "Where targets and benchmarks come from"),
    "rp_m_targets_text": ("官方目标先注明发布机构，再注明所据页面（S编号为研究资料来源编号；“转载”为转载他处报道的页面；"
                          "“仅经二手文献转述”者发布前须核对原文）；示例目标（非官方）仅用于演示；基准（全国数值、只约束一部分的规定、"
                          "原文注明“作参照”的目标）仅作参照，不用于判定进度。",
                          "An official target names its issuer first, then the page it was read on (S-numbers "
                          "identify the research sources; “a repost of a report” is a page reposting a report "
                          "published elsewhere; a target “confirmed only through a secondary source” must be checked "
                          "against the original before publishing); illustrative targets (not official) only "
                          "demonstrate the method; benchmarks (national figures, rules that bind only a part, goals "
                          "their source gives as a reference) are for reference only and never set a status. Issuers "
                          "and notes are given in English where the catalogue has them; addresses as published."),
    "rp_m_sources": ("数据来源", "Data sources"),
    "rp_m_sources_more": ("（共{total}个来源，列出条数最多的{n}个）", " ({total} sources; the {n} with the most values)"),
    "rp_m_sources_caption": ("报告所用数值的来源，按报送文件中注明的来源统计{more}",
                             "The sources of the bulletin's values as the submitted files name them, quoted as "
                             "supplied{more}"),
    "rp_m_definitions": ("指标定义", "Indicator definitions"),
    "rp_m_ratios": ("比率类指标由分子、分母在各级分别计算，不对下级比率求平均。",
                    "Ratios are computed from their numerator and denominator at every level, never averaged from "
                    "the ratios below."),
    # ── table columns ("|" between columns) and cells ──
    "rp_cols_headline": ("章节|指标|统计期|数值|单位|同比|进度", "Chapter|Indicator|Period|Value|Unit|YoY|Progress"),
    "rp_cols_attention": ("地区|指标|进度|原因", "Region|Indicator|Progress|Reason"),
    "rp_cols_status": ("旗县（市、区）|落后", "County|Behind"),
    "rp_cols_county": ("旗县（市、区）", "County"),
    "rp_cols_indicators": ("代码|指标|统计期|数值|单位|同比|取得方式|覆盖|示例",
                           "Code|Indicator|Period|Value|Unit|YoY|Source|Coverage|Synthetic"),
    "rp_cols_progress": ("指标|年份|基期值|最新值|目标（性质）|年均增速|所需增速|进度",
                         "Indicator|Years|Base|Latest|Target (kind)|Growth|Required|Progress"),
    "rp_cols_leagues": ("盟市|分项指数|排名", "League|Sub-index|Rank"),
    "rp_cols_ranking": ("排名|盟市|综合指数|覆盖率", "Rank|League|Index|Coverage"),
    "rp_cols_coverage": ("章节|指标数|本级有值|盟市有值|旗县有值", "Chapter|Indicators|Own value|Leagues|Counties"),
    "rp_cols_coverage_league": ("章节|指标数|本级有值|盟市有值|所辖旗县有值",
                                "Chapter|Indicators|Own value|Leagues|Its counties"),
    "rp_cols_submissions": ("盟市|应报|按时|逾期|未报送|未报送指标", "League|Owed|On time|Late|Missing|Indicators missing"),
    "rp_cols_revisions": ("指标|地区|统计期|原值|新值|发布|修订原因", "Indicator|Region|Period|Old|New|Release|Reason"),
    "rp_cols_outliers": ("指标|地区|统计期|说明", "Indicator|Region|Period|Note"),
    "rp_cols_reconciliation": ("指标|地区|统计期|报送值|下级汇总|相对差异",
                               "Indicator|Region|Period|Reported|Sum of parts|Difference"),
    "rp_cols_rejected": ("文件|结果|入库时间|报送单位|错误数|说明", "File|Outcome|Loaded|Submitted by|Errors|Message"),
    "rp_cols_definitions": ("代码|指标|单位|频率|方向|定义|汇总／计算|报送部门",
                            "Code|Indicator|Unit|Freq.|Direction|Definition|Aggregation / formula|Department"),
    "rp_cols_targets": ("指标|地区|年份|目标值|性质|出处", "Indicator|Region|Year|Target|Kind|Source"),
    "rp_cols_sources": ("来源（报送文件所注）|数值条数|示例数据", "Source (as the files name it)|Values|Synthetic"),
    "rp_chapter_short": ("第{numeral}章", "Ch. {number}"),
    "rp_yes": ("是", "yes"),
    "rp_no": ("否", "no"),
    "rp_more_codes": (" 等{n}项", " … ({n} in all)"),
    "rp_share": ("{have}/{total}（{share}）", "{have}/{total} ({share})"),
    "rp_goal": ("{sign}{value}（{year}年，{label}）", "{sign} {value} ({year}, {label})"),
    "rp_goal_benchmark": ("无本地区目标（基准 {value}，仅作参照）", "no target of its own (benchmark {value}, for reference only)"),
    "rp_file_rejected": ("退回", "rejected"),
    "rp_file_partial": ("部分入库", "loaded in part"),
    "rp_benchmark_label": ("基准（仅作参照，不判定进度）", "benchmark (for reference only, never sets a status)"),
    "rp_secondary": ("（仅经二手文献转述，发布前须核对原文）",
                     " (confirmed only through a secondary source; check the original before publishing)"),
    "rp_formula": ("公式：{formula}", "formula: {formula}"),
    "rp_not_aggregated": ("不汇总（各级自报）", "not aggregated (each level reports)"),
    "rp_context": ("背景指标", "context"),
    "rp_no_source": ("—（演示用，无出处）", "— (for the demonstration; no source)"),
    "rp_freq_annual": ("年", "year"),
    "rp_freq_quarterly": ("季", "quarter"),
    "rp_freq_monthly": ("月", "month"),
    # ── the league's evaluation (Art. 71, dashboard/report/evaluation.py) ──
    "rp_ev_title": ("{league}数字经济发展评估报告", "{league}: Digital Economy Evaluation Report"),
    "rp_ev_running": ("{title} · {year}年", "{title} · {year}"),
    "rp_ev_subject": ("{regulation}第七十一条 评估与监督", "{regulation}, Article 71: evaluation and supervision"),
    "rp_ev_kicker": ("北疆数字经济监测 · 内部资料", "Inner Mongolia Digital Economy Monitor · internal document"),
    "rp_ev_scope": ("评估年度：{year}年　　范围：{league}及所辖{n}个旗县（市、区）",
                    "Year evaluated: {year}    Scope: {league} and its {n} counties"),
    "rp_ev_basis": ("依据{regulation}{article}：{text}", "Under {article} of the {regulation}: {text}."),
    "rp_ev_sources": ("指数与进展取自已发布数据（发布时间 {published} UTC）；旗县报送及时性与数据质量记录取自全部报送文件"
                      "（截至 {as_of}）。本报告生成于 {generated} UTC。",
                      "Index and progress come from the released data (released {published} UTC); the counties' "
                      "reporting timeliness and data-quality records from every file that arrived (as of {as_of}). "
                      "Generated {generated} UTC."),
    "rp_ev_synthetic": ("本报告使用示例（合成）数据，非真实统计，仅供演示。",
                        "This report uses synthetic (made-up) data: not official statistics, for demonstration only."),
    "rp_ev_index": ("一、发展水平：综合指数", "1 Development: the composite index"),
    "rp_ev_index_none": ("{year}年{league}没有可计算的综合指数。",
                         "No composite index of {league} can be computed for {year}."),
    "rp_ev_index_text": ("{year}年{league}综合指数为{score}，在12个盟市中居第{rank}位（盟市平均{average}）。"
                         "分章节得分如下（各章节按指标标准化得分加权，方法见监测分析报告附录）。",
                         "In {year} {league} scores {score} on the composite index, rank {rank} of the 12 leagues "
                         "(average {average}). The chapters' scores follow (each chapter weights the normalised "
                         "scores of its indicators; method: the monitoring bulletin's Annex 2)."),
    "rp_ev_index_caption": ("表1 综合指数及分章节得分", "Table 1 The composite index and the chapters' scores"),
    "rp_ev_progress": ("二、规划目标进展", "2 Progress against the plan targets"),
    "rp_ev_progress_text": ("综合指数核心指标的目标进展状态，与全区12个盟市合计对照；落后（{behind}）的指标逐项列出原因。",
                            "The progress of the composite index's headline indicators against their targets, beside "
                            "all 12 leagues together; each indicator behind ({behind}) is listed with its reason."),
    "rp_ev_status_caption": ("表2 核心指标进展状态分布", "Table 2 The headline indicators by progress status"),
    "rp_ev_behind_caption": ("表3 需关注的指标", "Table 3 Indicators behind"),
    "rp_ev_none_behind": ("{league}没有落后的核心指标。", "{league} is behind on no headline indicator."),
    "rp_ev_counties": ("三、对旗县（市、区）的监督", "3 Supervision of the counties"),
    "rp_ev_county_progress": ("（一）目标进展", "3.1 Progress against targets"),
    "rp_ev_matrix_caption": ("表4 旗县核心指标进展（{legend}）",
                             "Table 4 The counties' progress on the headline indicators ({legend})"),
    "rp_ev_county_behind_caption": ("表5 旗县需关注的指标", "Table 5 The counties' indicators behind"),
    "rp_ev_reporting": ("（二）报送及时性", "3.2 Reporting on time"),
    "rp_ev_reporting_text": ("{year}年各期（截至{as_of}已结束的期）旗县应报的指标值：截止日前收到为按时，截止日后收到为逾期报送，"
                             "文件被拒且无数值为被退回，截止日已过仍无数值为逾期未报；按时率 = 按时 ÷（应报 − 未到期）。",
                             "The values the counties owe for the periods of {year} that ended by {as_of}: on time when "
                             "received by the deadline, late when received after it, rejected when a file was "
                             "rejected and no value is in, overdue when the deadline has passed and no value is in; "
                             "on-time share = on time ÷ (owed − not yet due)."),
    "rp_ev_reporting_caption": ("表6 旗县报送及时性", "Table 6 The counties' reporting on time"),
    "rp_ev_quality": ("（三）数据质量记录", "3.3 Data-quality record"),
    "rp_ev_quality_text": ("{year}年各期的数值：载入文件为载有该旗县数值的已载入文件数（含盟市汇总报送的文件）；被修订的值为后来被"
                           "新版本替换的数值；自报被拒文件为该旗县自行报送而被拒收的文件；未消除的同比预警与汇总不符见数据质量页。",
                           "The values of the periods of {year}: files loaded counts the loaded files carrying the "
                           "county's values (its league's files included); values revised, those later replaced by a "
                           "new version; own files rejected, the files the county handed in itself that were "
                           "rejected; open year-on-year warnings and totals that differ from their parts: see the "
                           "data-quality page."),
    "rp_ev_quality_caption": ("表7 旗县数据质量记录", "Table 7 The counties' data-quality record"),
    "rp_ev_cols_index": ("章节|本盟市得分|排名|盟市平均|最高", "Part|Score|Rank|Leagues' average|Best"),
    "rp_ev_cols_status": ("进展状态|本盟市（项）|12个盟市合计（项）", "Progress status|This league|All 12 leagues"),
    "rp_ev_cols_reporting": ("旗县（市、区）|应报|按时|逾期报送|被退回|逾期未报|未到期|按时率",
                             "County|Owed|On time|Late|Rejected|Overdue|Not yet due|On-time share"),
    "rp_ev_cols_quality": ("旗县（市、区）|载入文件|被修订的值|自报被拒文件|未消除的同比预警|汇总不符",
                           "County|Files loaded|Values revised|Own files rejected|Open YoY warnings|Totals that differ"),
}

i18n.add(TEXTS)


def say(key: str, lang: str, **values: object) -> str:
    """The text of `key` in `lang`, with `values` filled in."""
    text = i18n.t(key, lang)
    return text.format(**values) if values else text


def columns(key: str, lang: str) -> list[str]:
    """A table's column heads: 'Code|Indicator|…' → ['Code', 'Indicator', …]."""
    return i18n.t(key, lang).split("|")


def quoted(text: str, lang: str) -> str:
    """Chinese text of the regulation as supplied; the English edition says that it is."""
    return say("rp_quoted", lang, text=text)
