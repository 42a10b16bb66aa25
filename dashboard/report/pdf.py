"""The bulletin's document order: cover, contents, summary, one section per chapter of the regulation, the
league ranking, the data-quality annex and the methodology annex — laid out from an assembled `Report` and
its rendered chart images (no database access here).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dashboard import numbers, sensitivity
from dashboard.report import tables
from dashboard.report.content import ChapterSection, Report, period_zh
from dashboard.report.document import FONT, GREY, MARK, BulletinPDF
from indicators.base.catalogue import Catalogue
from indicators.engine import supervision
from indicators.engine.composite import rank_ranges
from indicators.engine.progress import STATUSES, status_label
from indicators.engine.query import tied

REGULATION = "《内蒙古自治区数字经济促进条例》"
MAX_LISTED = 25


def render(report: Report, cat: Catalogue, images: Mapping[str, bytes], out: Path) -> Path:
    """Write the PDF to `out` atomically (a reader never sees half a file)."""
    pdf = BulletinPDF(f"{report.title} · {report.spec.period_label()}", report.synthetic,
                      subject=f"{REGULATION}第九条 监测分析结果")
    _cover(pdf, report)
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


def _cover(pdf: BulletinPDF, report: Report) -> None:
    pdf.add_page()
    pdf.set_y(48)
    pdf.paragraph("北疆数字经济监测", size=12, colour=GREY, gap=6)
    with pdf.local_context(font_family=FONT, font_style="B", font_size_pt=26):
        pdf.multi_cell(0, 13, report.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.paragraph(f"报告期：{report.spec.period_label()}", size=14, gap=2)
    pdf.paragraph(f"范围：{report.region.name_zh}" + ("（自治区，含12个盟市比较）" if not report.is_league
                                                   else "（与全区12个盟市比较）"), size=11, gap=14)
    pdf.paragraph(f"依据{REGULATION}第九条“建立健全数字经济统计和监测体系，开展数字经济监测分析，"
                  "定期向社会公布统计结果和监测分析结果”编制。", size=10, gap=4)
    pdf.paragraph(f"数据截至：{_data_date(report)}（数据仓库发布时间，UTC）", size=10, gap=1)
    pdf.paragraph(f"报告生成：{report.generated_at:%Y-%m-%d %H:%M}（UTC）", size=10, gap=10)
    if report.synthetic:
        with pdf.local_context(text_color=MARK, draw_color=MARK, line_width=0.5, font_size_pt=11):
            pdf.multi_cell(0, 6.5, "示例数据：本报告使用了示例（合成）数据，相关数值不是真实统计结果，仅用于演示系统功能，"
                                   "不得作为统计数据引用。含示例数据的页面均在页眉标注“示例数据”。",
                           border=1, padding=3, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(-40)
    pdf.paragraph("本报告由北疆数字经济监测系统根据数据仓库中已入库的报送数据自动生成；数值以所注数据仓库发布版本为准。"
                  "指标定义、计算方法与目标出处见附件二。", size=8.5, colour=GREY)


def _contents(pdf: BulletinPDF, outline) -> None:
    pdf.set_y(pdf.t_margin)
    with pdf.local_context(font_family=FONT, font_style="B", font_size_pt=16):
        pdf.cell(0, 10, "目录", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for section in outline:
        if section.level > 0:
            continue
        link = pdf.add_link(page=section.page_number)
        with pdf.local_context(font_size_pt=10.5):
            pdf.cell(pdf.epw - 16, 7.5, section.name, link=link)
            pdf.cell(16, 7.5, str(section.page_number), align="R", link=link, new_x="LMARGIN", new_y="NEXT")


def _summary(pdf: BulletinPDF, report: Report, cat: Catalogue, images: Mapping[str, bytes]) -> None:
    spec = report.spec
    pdf.heading("摘要")
    scope = "12个盟市" if not report.is_league else f"{report.region.name_zh}及全区12个盟市比较"
    text = (f"本报告依据{REGULATION}第九条，报告{report.region.name_zh}{spec.period_label()}数字经济发展监测结果，"
            f"覆盖条例各章的{len(cat.indicators)}项监测指标（{scope}）。")
    if spec.quarter:
        text += (f"季度和月度指标为{spec.period_label()}数值（累计指标为1月至季末累计），年度指标、目标进度和综合指数为"
                 f"{spec.annual_year}年数值。")
    pdf.paragraph(text)
    pdf.heading("需关注", level=1)
    who = "本盟市及所辖旗县（市、区）" if report.is_league else "各盟市"
    needing = tables.attention(report, cat)
    if needing.rows:
        pdf.draw_table(needing, f"{who}在综合指数核心指标上需加快推进、进展有限或出现倒退的情况（{spec.annual_year}年，"
                                "落后指标多者在前；原因为进度评估的依据）")
    else:
        pdf.paragraph(f"{spec.annual_year}年{who}在综合指数核心指标上没有需加快推进、进展有限或倒退的情况。")
    pdf.heading("主要指标", level=1)
    pdf.draw_table(tables.headline(report, cat), "各章重点指标（同比：比上年同期；占比类指标为百分点变化）")
    pdf.heading("目标进度", level=1)
    pdf.paragraph(_progress_sentence(report))
    if "status" in images:
        pdf.figure(images["status"], f"图：{report.region.name_zh}各章指标进度状态（{spec.annual_year}年）")
    pdf.heading("综合指数", level=1)
    pdf.paragraph(_index_sentence(report))
    if "index" in images:
        pdf.figure(images["index"], "图：综合指数及各章贡献（括号内为得分和排名）")


def _progress_sentence(report: Report) -> str:
    prog = report.progress
    assessed = prog[prog["status"] != "not_assessed"] if len(prog) else prog
    if assessed.empty:
        return "暂无可评估的指标。"
    counts = assessed["status"].value_counts()
    parts = [f"{status_label(s)}{int(counts[s])}项" for s in STATUSES if s in counts]
    return (f"{report.spec.annual_year}年{report.region.name_zh}共评估{len(assessed)}项指标：" + "，".join(parts)
            + "。有本地区目标的指标按目标所需增速评估，其余按年均增速评估（方法见附件二）。")


def _index_sentence(report: Report) -> str:
    total = report.index[report.index["chapter"] == 0].dropna(subset=["score"]).sort_values("rank")
    year = report.spec.annual_year
    if total.empty:
        return f"{year}年数据不足，未能计算综合指数。"
    if report.is_league:
        mine = total[total["region_code"] == report.region.code]
        if mine.empty:
            return f"{year}年{report.region.name_zh}数据不足，未计算综合指数。"
        r, shared = mine.iloc[0], bool(tied(total["rank"]).loc[mine.index[0]])
        return (f"{year}年{report.region.name_zh}数字经济综合指数为{numbers.score(r['score'])}，"
                f"居{len(total)}个盟市第{int(r['rank'])}位{'（并列）' if shared else ''}"
                f"（指标覆盖率{r['coverage']:.0%}）{_rank_range_clause(report)}。")
    top = "、".join(f"{r.region_name}（{numbers.score(r.score)}）" for r in total.head(3).itertuples())
    last = total.iloc[-1]
    return (f"{year}年{len(total)}个盟市数字经济综合指数前三位依次为{top}；末位为{last['region_name']}"
            f"（{numbers.score(last['score'])}）。综合指数为各章分项指数的加权合成。")


def _rank_range_clause(report: Report) -> str:
    """'；逐一去掉一章或指标等权时，名次在1–4位之间' — how much the league's rank depends on the weights."""
    ranges = rank_ranges(report.robustness.runs).set_index("region_code")
    if report.region.code not in ranges.index or not numbers.finite(ranges.loc[report.region.code, "rank_min"]):
        return ""
    r = ranges.loc[report.region.code]
    if r["rank_min"] == r["rank_max"]:
        return "；逐一去掉一章或指标等权时，名次不变"
    return f"；逐一去掉一章或指标等权时，名次在{int(r['rank_min'])}–{int(r['rank_max'])}位之间"


def _chapter(pdf: BulletinPDF, report: Report, cat: Catalogue, section: ChapterSection,
             images: Mapping[str, bytes]) -> None:
    if not section.codes:  # e.g. 第九章 附则: a short section, no page of its own
        pdf.heading(section.heading, new_page=False)
        pdf.paragraph("本章不设监测指标。")
        return
    pdf.heading(section.heading)
    if cat.regulation.chapters[section.number].heading_missing:
        pdf.caption("注：条例原文本章标题缺失，此处按现存条文内容标注，未补写标题。")
    pdf.paragraph("条例依据：第九条（统计监测）及本章指标所引条文：", size=9, gap=0.5)
    pdf.bullets([f"{head}　{text}" for head, text in section.articles], size=8.5)
    pdf.heading(f"{report.region.name_zh}指标一览", level=1)
    pdf.draw_table(tables.indicators(report, cat, section.codes),
                   "统计期为各指标实际采用的最近一期；同比为比上年同期；取得方式：本级报送／下级汇总／公式计算")
    if section.key_code:
        ind = cat.indicator(section.key_code)
        pdf.heading(f"重点指标：{ind.name_zh}", level=1)
        pdf.figure(images[f"trend{section.number}"], f"图：{report.region.name_zh}{ind.name_zh}历年变化（空缺为未报送）")
        pdf.figure(images[f"rank{section.number}"], f"图：{ind.name_zh}盟市比较（虚线为盟市平均）")
    pdf.heading("盟市比较", level=1)
    pdf.draw_table(tables.leagues(report, cat, section.compared, section.number),
                   f"{report.spec.annual_year}年各盟市数值与本章分项指数（0–100）")
    progress = tables.progress(report, cat, section.codes)
    if progress.rows:
        pdf.heading("目标进度", level=1)
        pdf.draw_table(progress, "年份为基期→最新年份；年均增速为基期以来的年均增长率；所需增速为按期达到目标所需的年均增长率；目标性质见附件二")
    pdf.heading("数据缺失说明", level=1)
    pdf.bullets(section.notes or ["本章指标在报告期均有数值。"], size=8.5)


COUNTY_COLUMNS = 5  # county values per table (A4 portrait width)


def _counties(pdf: BulletinPDF, report: Report, cat: Catalogue) -> None:
    """A league's counties on the headline indicators counties report: progress statuses, then their values."""
    year, name = report.spec.annual_year, report.region.name_zh
    codes = supervision.headline_codes(cat, "county")
    counties = cat.regions.counties(report.region.code)
    pdf.heading("旗县（市、区）情况")
    pdf.paragraph(f"{name}所辖{len(counties)}个旗县（市、区）在综合指数核心指标中旗县报送的{len(codes)}项指标上的目标进度和"
                  f"{year}年数值；落后指标的原因见摘要“需关注”。")
    pdf.draw_table(tables.status_matrix(report.counties, counties, codes),
                   f"{year}年旗县核心指标进度（{tables.status_legend()}）")
    for start in range(0, len(codes), COUNTY_COLUMNS):
        part = codes[start:start + COUNTY_COLUMNS]
        pdf.draw_table(tables.county_values(report, cat, part), f"{year}年旗县数值（{start // COUNTY_COLUMNS + 1}）")


def _ranking(pdf: BulletinPDF, report: Report, images: Mapping[str, bytes]) -> None:
    pdf.heading("盟市综合指数排名")
    pdf.paragraph(_index_sentence(report), size=9)
    pdf.draw_table(tables.ranking(report), f"{report.spec.annual_year}年综合指数与各章分项指数（0–100；覆盖率为有数值的指标占比）")
    pdf.caption("名次按公布的得分（1位小数）排列，得分相同者并列（标为“=”）。各章分项指数的构成与权重见附件二“综合指数方法”；"
                "各章盟市比较表列出分项指数所用的主要指标。")
    _robustness(pdf, report)
    if "map" in images:  # placed last in the document, so the slowest chart (WebGL) renders while chapters are laid out
        pdf.figure(images["map"], f"图：{report.spec.annual_year}年各盟市数字经济综合指数（括号内为排名；灰色为无法计算）")


def _robustness(pdf: BulletinPDF, report: Report) -> None:
    """How fragile the index is: chapters resting on too few indicators, coverage by year, rank ranges."""
    robust, year = report.robustness, report.spec.annual_year
    pdf.heading("指数的覆盖与稳健性", level=1)
    warning = sensitivity.fragile_warning(robust.basis, robust.min_chapter_indicators, "zh")
    if warning:
        pdf.paragraph(warning, size=9)
    years = sorted(y for y in robust.coverage["year"].unique() if y <= year)[-5:]
    pdf.draw_table(tables.index_coverage(report, years), "各章所依据的指标数、权重，以及各年有数值的“盟市×指标”数／应有数")
    pdf.draw_table(tables.sensitivity_ranks(report),
                   f"{year}年名次的敏感性：所选权重下的名次、名次范围（含所选权重），以及逐一去掉一章（其余按原权重比例重新加权）"
                   "和全部指标等权时的名次（参照JRC/OECD《构建综合指数手册》）")


def _listing(pdf: BulletinPDF, title: str, table: tables.Table, total: int, empty: str) -> None:
    pdf.heading(title, level=1)
    if total == 0:
        pdf.paragraph(empty, size=9)
        return
    shown = f"，下表列出前{MAX_LISTED}条" if total > MAX_LISTED else ""
    pdf.draw_table(table, f"共{total}条{shown}")


def _quality(pdf: BulletinPDF, report: Report, cat: Catalogue) -> None:
    q, spec = report.quality, report.spec
    pdf.heading("附件一 数据质量")
    pdf.heading("数据覆盖", level=1)
    pdf.draw_table(tables.coverage(q, report.is_league), f"{spec.annual_year}年（年度值）有数值的指标与地区")
    pdf.heading("逾期与未报送", level=1)
    days = q.deadline_days
    pdf.paragraph(f"报送期限为统计期结束后：年度{days['annual']}天、季度{days['quarterly']}天、月度{days['monthly']}天。"
                  f"按{period_zh(spec.native_period('quarterly' if spec.quarter else 'annual'))}统计各盟市应报指标"
                  "（不含公式计算的派生指标）；盟市数值可由其全部旗县汇总得到。", size=8.5)
    pdf.draw_table(tables.submissions(q, report.region.code))
    _listing(pdf, f"{q.since:%Y-%m-%d}以来的数据修订", tables.revisions(q, cat, MAX_LISTED), len(q.revisions),
             f"{q.since:%Y-%m-%d}（上期报告可发布之日）以来没有修订。")
    _listing(pdf, "同比异常预警（未处理）", tables.outliers(q, MAX_LISTED), len(q.outliers), "报告期内没有未处理的同比异常预警。")
    _listing(pdf, "上下级数值不一致", tables.reconciliation(q, cat, MAX_LISTED), len(q.reconciliation),
             "报告期内本级报送数与下级汇总数一致（在容差内）。")
    _listing(pdf, "退回或部分入库的报送文件", tables.rejected(q, MAX_LISTED), len(q.rejected),
             f"{q.since:%Y-%m-%d}以来没有退回的报送文件。")


def _methods(pdf: BulletinPDF, report: Report) -> None:
    m = report.methods
    pdf.heading("附件二 方法说明")
    pdf.heading("汇总、频率折算与派生指标", level=1)
    for text in m.rollup_text:
        pdf.paragraph(text, size=8.5, gap=1)
    pdf.heading("目标进度评估方法", level=1)
    for text in m.progress_text:
        pdf.paragraph(text, size=8.5, gap=1)
    pdf.heading("综合指数方法", level=1)
    for text in m.index_text:
        pdf.paragraph(text, size=8.5, gap=1)
    pdf.heading("数值的显示", level=1)
    for text in m.presentation_text:
        pdf.paragraph(text, size=8.5, gap=1)
    pdf.heading("目标与基准的出处", level=1)
    pdf.paragraph("官方目标先注明发布机构，再注明所据页面（S编号为研究资料来源编号；“转载”为转载他处报道的页面；"
                  "“仅经二手文献转述”者发布前须核对原文）；示例目标（非官方）仅用于演示；基准（全国数值、只约束一部分的规定、"
                  "原文注明“作参照”的目标）仅作参照，不用于判定进度。", size=8.5)
    pdf.draw_table(tables.targets(m))
    pdf.heading("数据来源", level=1)
    more = f"（共{m.sources_total}个来源，列出条数最多的{len(m.sources)}个）" if m.sources_total > len(m.sources) else ""
    pdf.draw_table(tables.sources(m), f"报告所用数值的来源，按报送文件中注明的来源统计{more}")
    pdf.heading("指标定义", level=1)
    pdf.paragraph("比率类指标由分子、分母在各级分别计算，不对下级比率求平均。", size=8.5)
    pdf.draw_table(tables.definitions(m))
