"""The monitoring bulletin as a real PDF, built from the demo warehouse and read back with poppler.

The region report is built once per module through the CLI (`dem report pdf`), the league report once in-process
(`build_report`, as the dashboard calls it); every assertion reads those two files. Page 1 of each is kept as a
PNG in test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

import pytest
from helpers import run_dem

from dashboard import numbers
from dashboard.report import build_report
from indicators.base.catalogue import default_catalogue
from indicators.engine import query
from indicators.storage import warehouse

pytestmark = pytest.mark.slow
YEAR = 2024
LEAGUE = "152500"  # 锡林郭勒盟
TODAY = "2026-11-27"


def _text(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", *pages, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _flat(text: str) -> str:
    """Whitespace and line breaks removed: a heading wrapped over two lines still matches."""
    return re.sub(r"\s+", "", text)


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


@pytest.fixture(scope="module")
def region_pdf(demo_warehouse, tmp_path_factory, artifacts) -> Path:
    out = tmp_path_factory.mktemp("report") / "监测分析报告_150000_2024.pdf"
    result = run_dem("report", "pdf", "--year", str(YEAR), "--out", str(out), db=demo_warehouse, today=TODAY)
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    _keep_page_one(out, artifacts / "report-region-page1")
    return out


@pytest.fixture(scope="module")
def league_pdf(demo_warehouse, tmp_path_factory, artifacts):
    """Built in-process, recording fpdf2's warnings (a glyph missing from the font would be one)."""
    out = tmp_path_factory.mktemp("report") / "league.pdf"
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("fpdf").addHandler(handler)
    try:
        path = build_report(demo_warehouse, YEAR, region="锡盟", out=out)
    finally:
        logging.getLogger("fpdf").removeHandler(handler)
    _keep_page_one(path, artifacts / "report-league-page1")
    return path, records


def _keep_page_one(pdf: Path, stem: Path) -> None:
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "80", "-png", "-singlefile", str(pdf), str(stem)],
                   check=True)


def test_region_report_names_its_title_region_period_and_every_league(region_pdf):
    text = _flat(_text(region_pdf))
    assert "内蒙古自治区数字经济监测分析报告" in text and "报告期：2024年" in text
    for league in default_catalogue().regions.leagues():
        assert league.name_zh in text, league.name_zh


def test_every_chapter_is_headed_as_in_the_regulation_and_chapter_3_keeps_its_missing_heading_label(region_pdf):
    text = _flat(_text(region_pdf))
    chapters = default_catalogue().regulation.chapters
    assert "第二章数字基础设施建设" in text
    for chapter in chapters.values():
        assert _flat(chapter.label_zh) in text, chapter.label_zh
    assert chapters[3].heading_missing and "原文本章标题缺失" in chapters[3].label_zh
    assert "条例原文本章标题缺失，此处按现存条文内容标注，未补写标题" in text


def test_the_contents_list_the_parts_with_page_numbers(region_pdf):
    contents = _text(region_pdf, page=2)
    assert "目录" in contents
    for part in ("摘要", "第二章 数字基础设施建设", "盟市综合指数排名", "附件一 数据质量", "附件二 方法说明"):
        assert re.search(re.escape(part) + r"\s+\d+\n", contents), part


def test_warehouse_values_appear_formatted_in_their_table_rows(region_pdf, demo_warehouse):
    """The region's own values on their indicator's row, and every league's DI-02 on the league's row of the
    chapter 2 comparison, formatted with the catalogue's decimals and thousands separators."""
    cat = default_catalogue()
    leagues = {r.code: r.name_zh for r in cat.regions.leagues()}
    with warehouse.reader(demo_warehouse) as con:
        own = query.values(con, ["DI-01", "DI-02", "DP-02"], ["150000"], [str(YEAR)])
        compared = query.values(con, ["DI-02"], list(leagues), [str(YEAR)])
    assert len(own) == 3 and len(compared) == 12
    rows = subprocess.run(["pdftotext", "-layout", str(region_pdf), "-"], capture_output=True, text=True,
                          check=True).stdout.splitlines()
    for row in own.itertuples():
        shown = numbers.value(row.value, cat.indicator(row.indicator_code).decimals)
        assert any(line.lstrip().startswith(row.indicator_code + " ") and f" {shown} " in line for line in rows), shown
    for row in compared.itertuples():
        shown = numbers.value(row.value, cat.indicator("DI-02").decimals)
        assert any(line.lstrip().startswith(leagues[row.region_code]) and f" {shown} " in line for line in rows), shown


def test_only_embedded_subsetted_cjk_fonts_are_used(region_pdf):
    lines = subprocess.run(["pdffonts", str(region_pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert lines, "no fonts listed"
    for line in lines:
        name, emb, sub = line.split()[0], line.split()[-5], line.split()[-4]
        assert "NotoSansCJK" in name and emb == "yes" and sub == "yes", line


def test_page_count_is_plausible_and_charts_are_embedded_images(region_pdf):
    assert 20 <= _pages(region_pdf) <= 80
    listing = subprocess.run(["pdfimages", "-list", str(region_pdf)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    images = [line for line in listing if line.split()[2] == "image"]
    assert len(images) >= 15  # summary charts and a trend and a ranking per chapter


def test_every_page_carries_the_synthetic_mark_and_a_page_number(region_pdf):
    pages = _pages(region_pdf)
    for page in range(1, pages + 1):
        text = _text(region_pdf, page)
        assert "示例数据" in text, f"page {page} lacks the synthetic mark"
        if page > 1:
            assert f"第 {page} 页 / 共 {pages} 页" in text, f"page {page} lacks its number"


def test_targets_say_where_they_come_from(region_pdf):
    text = _flat(_text(region_pdf))
    assert "示例目标（非官方）" in text  # illustrative targets are labelled as such
    assert "基准（仅作参照，不判定进度）" in text  # national figures and partial rules are benchmarks
    assert "S18" in text and "仅经二手文献转述" in text  # official targets cite their source and its strength
    assert "内蒙古自治区政务服务与数据管理局（中国新闻网报道）；来源：S18" in text  # the issuer first …
    assert "48536.html（转载）" in text  # … and a repost says so


def test_the_real_5g_figures_are_real_and_their_sources_are_listed_in_the_annex(region_pdf):
    text = _flat(_text(region_pdf))
    assert "呼伦贝尔新闻" in text and "21spv.com" in text  # the real 2021Q4 and 2023Q4 counts, with their sources


def test_annexes_report_quality_and_methods(region_pdf):
    text = _flat(_text(region_pdf))
    for part in ("数据覆盖", "逾期与未报送", "以来的数据修订", "同比异常预警", "目标进度评估方法", "综合指数方法",
                 "目标与基准的出处", "数据来源", "指标定义", "CAGR_o"):
        assert part in text, part


def test_the_index_section_says_how_fragile_the_index_is_and_shows_ties(region_pdf):
    """Chapters resting on too few indicators are named, coverage is given by year, every league has a rank range
    over leave-one-chapter-out and equal indicator weights, shared ranks read "1=", and the annex states the
    reference period as the code pools it (every year up to the base year)."""
    from indicators.base.settings import load_settings
    from indicators.engine import composite

    settings, cat = load_settings(), default_catalogue()
    text = _flat(_text(region_pdf))
    assert "指数的覆盖与稳健性" in text and "名次范围" in text and "指标等权" in text
    basis = composite.chapter_basis(cat, settings.index)
    for row in basis[basis["fragile"]].itertuples():
        assert f"第{row.chapter}章（{row.indicators}项指标）" in text
    assert re.search(r"去掉第\d+章", text) and "1=" in text
    assert f"{settings.index.base_year}年及以前各年" in text


def test_league_report_ranks_the_league_among_the_12_and_uses_every_glyph_of_its_font(league_pdf):
    path, records = league_pdf
    text = _flat(_text(path))
    assert "锡林郭勒盟数字经济监测分析报告" in text
    assert re.search(r"锡林郭勒盟数字经济综合指数为\d+\.\d，居12个盟市第\d+位", text)
    missing = [r.getMessage() for r in records if "missing" in r.getMessage().lower()]
    assert not missing, missing  # a glyph missing from Noto Sans CJK would print as an empty box


def test_a_leagues_report_has_a_county_section_and_the_regions_has_none(league_pdf, region_pdf):
    from indicators.base.catalogue import default_catalogue

    path, _ = league_pdf
    text = _flat(_text(path))
    assert "旗县（市、区）情况" in text and "旗县核心指标进度" in text and "2024年旗县数值（1）" in text
    for county in default_catalogue().regions.counties(LEAGUE):
        assert text.count(county.name_zh) >= 3  # in the progress matrix and both value tables at least
    assert "旗县（市、区）情况" not in _flat(_text(region_pdf))


def test_league_report_is_named_stably_by_default(demo_warehouse):
    from dashboard.report import default_name

    assert default_name(LEAGUE, YEAR) == "监测分析报告_152500_2024.pdf"
    assert default_name("150000", YEAR, 3) == "监测分析报告_150000_2024Q3.pdf"


def test_report_for_a_county_or_a_year_without_data_fails_with_a_clear_message(demo_warehouse, tmp_path):
    county = run_dem("report", "pdf", "--year", "2024", "--region", "152502", "--out", str(tmp_path / "x.pdf"),
                     db=demo_warehouse, today=TODAY)
    assert county.returncode == 2 and "报告只按全区或盟市编制" in county.stderr
    empty = run_dem("report", "pdf", "--year", "1999", "--out", str(tmp_path / "y.pdf"), db=demo_warehouse,
                    today=TODAY)
    assert empty.returncode == 1 and "没有1999年的数据" in empty.stderr
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.pdf").exists()
