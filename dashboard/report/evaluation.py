"""The league's evaluation (Art. 71: evaluate one's own digital-economy development and supervise the level below):
its composite index and progress against the other leagues, then a section per county — the progress matrix, the
reporting timeliness and the data-quality record its supervision needs. An internal document: the counties'
reporting and quality records come from the working warehouse (every file that arrived); index and progress from
the published one.

    build_evaluation(settings, 2024, "152900") → data/exports/评估报告_152900_2024.pdf

No charts (tables and sentences only), so no browser is started: a league's evaluation takes about a second.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from dashboard import numbers
from dashboard.figures import chapter_labels
from dashboard.report.content import league_index
from dashboard.report.document import GREY, MARK, BulletinPDF
from dashboard.report.tables import DASH, Table, progress_cell, status_legend, status_matrix
from indicators.base.catalogue import Catalogue
from indicators.base.errors import DataError, UsageError
from indicators.base.regions import Region
from indicators.base.settings import Settings
from indicators.engine import precompute, query, supervision
from indicators.engine.progress import BEHIND, STATUSES, status_sentence
from indicators.storage import warehouse

NAME = "评估报告"
ARTICLE = 71
REGULATION = "《内蒙古自治区数字经济促进条例》"


@dataclass
class Evaluation:
    league: Region
    year: int
    published_at: str | None
    generated_at: datetime
    as_of: str  # settings.today: the day reporting is judged on
    index: pd.DataFrame  # the 12 leagues' composite (chapter 0) and chapter sub-indices
    progress: pd.DataFrame  # the 12 leagues' statuses on the headline indicators
    counties: pd.DataFrame  # the league's counties' statuses on the headline indicators counties report
    record: pd.DataFrame  # supervision.record: one row per county
    chapter_labels: dict[int, str]
    synthetic: bool

    @property
    def title(self) -> str:
        return f"{self.league.name_zh}数字经济发展评估报告"


def default_name(league: str, year: int) -> str:
    return f"{NAME}_{league}_{year}.pdf"


def evaluation_league(cat: Catalogue, region: str | None) -> Region:
    """The league evaluated, by code, name or alias (a county or the region is refused: Art. 71 asks each level
    to evaluate itself and supervise the one below; this document is the league's)."""
    if not region:
        raise UsageError("请用 --region 指定盟市", "name the league with --region")
    found = cat.regions.resolve(region)
    if found.level != "league":
        raise UsageError(f"{found.name_zh}不是盟市：评估报告按盟市编制", f"{found.code} is not a league")
    return found


@dataclass
class Published:
    """What the published warehouse says of a league's year: index, progress of the leagues and of its counties."""

    published_at: str | None
    index: pd.DataFrame
    progress: pd.DataFrame
    counties: pd.DataFrame
    county_counts: pd.DataFrame  # supervision.progress_counts of the counties
    synthetic: bool


def published_part(con: duckdb.DuckDBPyConnection, cat: Catalogue, settings: Settings, league: Region,
                   year: int) -> Published:
    years = query.data_years(con)
    if year not in years:
        shown = f"{years[0]}–{years[-1]}" if years else "无"
        raise DataError(f"已发布的数据中没有{year}年（现有年份：{shown}）",
                        f"the released data has no {year} (years: {shown or 'none'})")
    leagues = [r.code for r in cat.regions.leagues()]
    counties = [r.code for r in cat.regions.counties(league.code)]
    p = settings.progress
    progress = precompute.progress(con, cat, year, p, regions=leagues,
                                   indicators=supervision.headline_codes(cat, "league"))
    county_progress = precompute.progress(con, cat, year, p, regions=counties,
                                          indicators=supervision.headline_codes(cat, "county"))
    for frame in (progress, county_progress):
        frame["reason"] = [status_sentence(r, cat, p) for r in frame.to_dict("records")] if len(frame) else []
    index = league_index(con, cat, settings, year)
    synthetic = any(bool(f["synthetic"].fillna(False).astype(bool).any())
                    for f in (index, progress, county_progress) if "synthetic" in f and len(f))
    return Published(warehouse.publication_time(con), index, progress, county_progress,
                     supervision.progress_counts(con, cat, settings, counties, year, "county"), synthetic)


def combine(part: Published, working: pd.DataFrame, demo: bool, cat: Catalogue, settings: Settings, league: Region,
            year: int) -> Evaluation:
    """The evaluation from the published part and the working warehouse's record of the counties."""
    return Evaluation(league, year, part.published_at, datetime.now(UTC).replace(microsecond=0),
                      settings.today.isoformat(), part.index, part.progress, part.counties,
                      supervision.combined(part.county_counts, working), chapter_labels(cat), part.synthetic or demo)


def assemble(published: duckdb.DuckDBPyConnection, working: duckdb.DuckDBPyConnection, cat: Catalogue,
             settings: Settings, league: Region, year: int) -> Evaluation:
    counties = [r.code for r in cat.regions.counties(league.code)]
    return combine(published_part(published, cat, settings, league, year),
                   supervision.working_record(working, cat, settings, counties, year), demo(working), cat, settings,
                   league, year)


def demo(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any loaded batch carries synthetic data (the counties' records then describe demo files)."""
    row = con.execute("SELECT bool_or(synthetic) FROM batches").fetchone()
    return bool(row and row[0])


# ── tables ────────────────────────────────────────────────────────────────────────────────────────────────

def index_rows(ev: Evaluation, composite: str = "综合指数", labels: dict[int, str] | None = None) -> pd.DataFrame:
    """The composite, then each chapter: the league's score and rank ("3=" when shared), the leagues' average and
    best score, as text."""
    labels = labels or ev.chapter_labels
    rows = []
    for chapter, found in ev.index.groupby("chapter", sort=True):
        own = found[found["region_code"] == ev.league.code]
        if own.empty:
            continue
        rank = numbers.rank_labels(found.set_index("region_code")["rank"]).get(ev.league.code, DASH)
        rows.append({"part": composite if chapter == 0 else labels.get(int(chapter), str(chapter)),
                     "score": numbers.score(own["score"].iloc[0]), "rank": str(rank),
                     "average": numbers.score(found["score"].mean()), "best": numbers.score(found["score"].max())})
    return pd.DataFrame(rows, columns=["part", "score", "rank", "average", "best"])


def index_table(ev: Evaluation) -> Table:
    table = Table(["章节", "本盟市得分", "排名", "盟市平均", "最高"], [62, 26, 20, 26, 26], "LRRRR")
    table.rows = index_rows(ev).values.tolist()
    return table


def status_counts(ev: Evaluation) -> pd.DataFrame:
    """How many headline indicators are in each status (those any league is in): the league's (`own`) beside all
    12 leagues' together (`all`), in the order of progress.STATUSES."""
    found = ev.progress if len(ev.progress) else pd.DataFrame(columns=["region_code", "status"])
    own = found[found["region_code"] == ev.league.code]["status"].value_counts()
    every = found["status"].value_counts()
    return pd.DataFrame([{"status": s, "own": int(own.get(s, 0)), "all": int(every[s])}
                         for s in STATUSES if every.get(s, 0)], columns=["status", "own", "all"])


def share_text(value) -> str:
    """An on-time share as published: 0.458 → '46%'; none (nothing settled yet) → '—'."""
    return DASH if pd.isna(value) else f"{100 * value:.0f}%"


def status_table(ev: Evaluation) -> Table:
    """How many headline indicators are in each status: the league beside all 12 leagues together."""
    table = Table(["进展状态", "本盟市（项）", "12个盟市合计（项）"], [60, 34, 40], "LRR")
    table.rows = [[progress_cell(r["status"]), str(r["own"]), str(r["all"])]
                  for r in status_counts(ev).to_dict("records")]
    return table


def behind_table(frame: pd.DataFrame, cat: Catalogue, unit_column: bool = False) -> Table:
    """The indicators behind (progress.BEHIND), with the one-sentence reason of each."""
    behind = frame[frame["status"].isin(BEHIND)] if len(frame) else frame
    titles, widths = ["指标", "进度", "原因"], [48, 24, 108]
    if unit_column:
        titles, widths = ["地区", *titles], [24, 44, 24, 88]
    table = Table(titles, widths, "L" * len(titles), font_size=7.5)
    names = {r.code: r.name_zh for r in cat.regions.regions}
    for r in behind.to_dict("records"):
        row = [f"{r['indicator_code']} {cat.indicator(r['indicator_code']).name_zh}", progress_cell(r["status"]),
               r["reason"]]
        table.rows.append(([names.get(r["region_code"], r["region_code"])] if unit_column else []) + row)
    return table


def reporting_table(ev: Evaluation, cat: Catalogue) -> Table:
    table = Table(["旗县（市、区）", "应报", "按时", "逾期报送", "被退回", "逾期未报", "未到期", "按时率"],
                  [34, 16, 16, 20, 18, 20, 18, 20], "LRRRRRRR")
    for r in _named(ev.record, cat):
        table.rows.append([r["name"], *(str(int(r[k])) for k in ("owed", "on_time", "late", "rejected", "missing",
                                                                   "due")), share_text(r["on_time_share"])])
    return table


def quality_table(ev: Evaluation, cat: Catalogue) -> Table:
    table = Table(["旗县（市、区）", "载入文件", "被修订的值", "自报被拒文件", "未消除的同比预警", "汇总不符"],
                  [34, 22, 24, 26, 30, 22], "LRRRRR")
    for r in _named(ev.record, cat):
        table.rows.append([r["name"], *(str(int(r[k])) for k in ("files", "revised", "files_rejected", "warnings",
                                                                   "reconciliation"))])
    return table


def _named(record: pd.DataFrame, cat: Catalogue) -> list[dict]:
    return record.assign(name=record["region_code"].map({r.code: r.name_zh for r in cat.regions.regions})) \
        .to_dict("records")


# ── the document ──────────────────────────────────────────────────────────────────────────────────────────

def render(ev: Evaluation, cat: Catalogue, out: Path) -> Path:
    """Write the PDF to `out` atomically."""
    pdf = BulletinPDF(f"{ev.title} · {ev.year}年", ev.synthetic, subject=f"{REGULATION}第七十一条 评估与监督")
    pdf.add_page()
    pdf.set_y(40)
    pdf.paragraph("北疆数字经济监测 · 内部资料", size=12, colour=GREY, gap=6)
    pdf.paragraph(ev.title, size=22, gap=4)
    pdf.paragraph(f"评估年度：{ev.year}年　　范围：{ev.league.name_zh}及所辖{len(ev.record)}个旗县（市、区）", size=11, gap=8)
    article = cat.regulation.articles[ARTICLE]
    pdf.paragraph(f"依据{REGULATION}{article.heading}：" + article.text.replace("\n", ""), size=9.5, gap=6)
    pdf.paragraph(f"指数与进展取自已发布数据（发布时间 {(ev.published_at or '—')[:16].replace('T', ' ')} UTC）；"
                  f"旗县报送及时性与数据质量记录取自全部报送文件（截至 {ev.as_of}）。"
                  f"本报告生成于 {ev.generated_at:%Y-%m-%d %H:%M} UTC。", size=9, colour=GREY, gap=4)
    if ev.synthetic:
        pdf.paragraph("本报告使用示例（合成）数据，非真实统计，仅供演示。", size=10, colour=MARK)

    pdf.heading("一、发展水平：综合指数")
    own = ev.index[(ev.index["chapter"] == 0) & (ev.index["region_code"] == ev.league.code)]
    if own.empty:
        pdf.paragraph(f"{ev.year}年{ev.league.name_zh}没有可计算的综合指数。")
    else:
        composite = ev.index[ev.index["chapter"] == 0]
        rank = numbers.rank_labels(composite.set_index("region_code")["rank"]).get(ev.league.code, DASH)
        pdf.paragraph(f"{ev.year}年{ev.league.name_zh}综合指数为{numbers.score(own['score'].iloc[0])}，"
                      f"在12个盟市中居第{rank}位（盟市平均{numbers.score(composite['score'].mean())}）。"
                      "分章节得分如下（各章节按指标标准化得分加权，方法见监测分析报告附录）。")
        pdf.draw_table(index_table(ev), caption="表1 综合指数及分章节得分")

    pdf.heading("二、规划目标进展", new_page=False)
    pdf.paragraph("综合指数核心指标的目标进展状态，与全区12个盟市合计对照；落后（需加快、进展有限、趋势恶化）的指标逐项列出原因。")
    pdf.draw_table(status_table(ev), caption="表2 核心指标进展状态分布")
    behind = behind_table(ev.progress[ev.progress["region_code"] == ev.league.code], cat)
    if behind.rows:
        pdf.draw_table(behind, caption="表3 需关注的指标")
    else:
        pdf.paragraph(f"{ev.league.name_zh}没有落后的核心指标。")

    pdf.heading("三、对旗县（市、区）的监督")
    pdf.heading("（一）目标进展", level=1)
    pdf.draw_table(status_matrix(ev.counties, cat.regions.counties(ev.league.code), supervision.headline_codes(
        cat, "county")), caption="表4 旗县核心指标进展（" + status_legend() + "）")
    county_behind = behind_table(ev.counties, cat, unit_column=True)
    if county_behind.rows:
        pdf.draw_table(county_behind, caption="表5 旗县需关注的指标")
    pdf.heading("（二）报送及时性", level=1)
    pdf.paragraph(f"{ev.year}年各期（截至{ev.as_of}已结束的期）旗县应报的指标值：截止日前收到为按时，截止日后收到为逾期报送，"
                  "文件被拒且无数值为被退回，截止日已过仍无数值为逾期未报；按时率 = 按时 ÷（应报 − 未到期）。")
    pdf.draw_table(reporting_table(ev, cat), caption="表6 旗县报送及时性")
    pdf.heading("（三）数据质量记录", level=1)
    pdf.paragraph(f"{ev.year}年各期的数值：载入文件为载有该旗县数值的已载入文件数（含盟市汇总报送的文件）；被修订的值为后来被新版本"
                  "替换的数值；自报被拒文件为该旗县自行报送而被拒收的文件；未消除的同比预警与汇总不符见数据质量页。")
    pdf.draw_table(quality_table(ev, cat), caption="表7 旗县数据质量记录")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    pdf.output(str(partial))
    os.replace(partial, out)
    return out


def build_evaluation(settings: Settings, year: int, region: str | None, out: Path | str | None = None,
                     cat: Catalogue | None = None) -> Path:
    """The league's evaluation as a PDF (default: <exports>/评估报告_<code>_<year>.pdf); reads the published and
    the working warehouse through short read-only connections, closed before the layout."""
    from indicators.base.catalogue import default_catalogue

    cat = cat or default_catalogue()
    league = evaluation_league(cat, region)
    public = warehouse.public_path(settings.paths.warehouse)
    if not public.exists():
        raise DataError("尚未发布任何数据，无法评估", "nothing has been released yet: there is nothing to evaluate")
    with warehouse.reader(public) as published, warehouse.reader(settings.paths.warehouse) as working:
        ev = assemble(published, working, cat, settings, league, year)
    return render(ev, cat, Path(out) if out else settings.paths.exports / default_name(league.code, year))
