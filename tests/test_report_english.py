"""The English edition of the monitoring bulletin and of a league's evaluation (Art. 71), read back with poppler:
English titles, headings, names, units, page furniture and the synthetic mark — and no Chinese anywhere but in the
regulation's text (quoted as supplied) and in what sources call themselves.

The region's edition is built once through the CLI under its default English name (`dem report pdf --lang en`),
the 锡林郭勒盟 edition once in-process (`build_report(..., lang="en")`, as the dashboard calls it), recording
fpdf2's warnings, and 锡林郭勒盟's evaluation once through the CLI (`dem report evaluation --lang en`); the layout
checks of tests/test_report_layout.py run on all three.
"""

from __future__ import annotations

import base64
import logging
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
import test_report_layout as layout
from helpers import pinned_today, run_dem

from dashboard.report import build_report, default_name
from dashboard.report.build import read_reports, resolve_settings
from dashboard.report.content import ReportSpec
from dashboard.report.document import BulletinPDF
from dashboard.report.evaluation import default_name as evaluation_name
from indicators.base.catalogue import default_catalogue
from indicators.storage.warehouse import public_path

pytestmark = pytest.mark.slow
YEAR, LEAGUE, TODAY = 2024, "152500", "2026-11-27"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")  # ideographs and Chinese punctuation
MARKER = "(Chinese text as supplied)"


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def editions(demo_warehouse, tmp_path_factory, artifacts):
    """name → (report, PDF path, fpdf2 warnings) of the English region and league bulletins."""
    folder = tmp_path_factory.mktemp("english")
    result = run_dem("report", "pdf", "--year", str(YEAR), "--lang", "en", db=demo_warehouse, today=TODAY,
                     DEM_EXPORTS=str(folder))
    assert result.returncode == 0, result.stderr
    region = folder / "monitoring_bulletin_150000_2024.pdf"
    assert str(region) in result.stdout and region.exists()
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("fpdf").addHandler(handler)
    try:
        with pinned_today(TODAY):
            league = build_report(public_path(demo_warehouse), YEAR, region="锡盟", out=folder / "league.pdf",
                                  lang="en")
    finally:
        logging.getLogger("fpdf").removeHandler(handler)
    with pinned_today(TODAY):  # what the two PDFs were made from (the sources they list, the running titles)
        reports = read_reports(resolve_settings(public_path(demo_warehouse)), default_catalogue(),
                               [ReportSpec(YEAR, lang="en"), ReportSpec(YEAR, region=LEAGUE, lang="en")])
    for name, path in (("region", region), ("league", league)):
        subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "80", "-png", "-singlefile", str(path),
                        str(artifacts / f"report-english-{name}-page1")], check=True)
    return {"region": (reports[0], region, []), "league": (reports[1], league, records)}


def test_the_cli_names_the_english_edition_stably_and_the_chinese_name_stays(editions):
    assert default_name("150000", YEAR, lang="en") == "monitoring_bulletin_150000_2024.pdf"
    assert default_name(LEAGUE, YEAR, 3, lang="en") == "monitoring_bulletin_152500_2024Q3.pdf"
    assert default_name(LEAGUE, YEAR, 3) == "监测分析报告_152500_2024Q3.pdf"


def test_the_region_edition_has_english_title_headings_and_contents(editions):
    report, path, _ = editions["region"]
    text, cat = _flat(_text(path)), default_catalogue()
    assert _flat("Inner Mongolia Autonomous Region: Digital Economy Monitoring Bulletin") in text
    assert "Reportingperiod:2024" in text and "Contents" in text
    for part in ("Summary", "Needs attention", "Key indicators", "League ranking on the composite index",
                 "Coverage and robustness of the index", "Annex 1 Data quality", "Annex 2 Methods",
                 "Progress against targets: method", "Indicator definitions"):
        assert _flat(part) in text, part
    for chapter in cat.regulation.chapters.values():
        assert _flat(chapter.label_en) in text, chapter.label_en
    assert _flat("Chapter 3 (heading missing in source") in text  # the flag kept, no title invented
    assert _flat("Article 11:") in text and _flat("Article 3 (Chapter 1):") in text
    for league in cat.regions.leagues():
        assert _flat(league.name_en) in text, league.name_en


def test_indicator_names_and_units_come_from_the_catalogue_in_english(editions):
    _, path, _ = editions["region"]
    text, cat = _flat(_text(path)), default_catalogue()
    for code in ("DI-02", "DI-06", "CX-01", "ID-01"):
        ind = cat.indicator(code)
        assert _flat(ind.name_en) in text, ind.name_en
        assert _flat(ind.definition_en) in text, code
    assert _flat(cat.indicator("CX-01").unit_label("en")) == "100myuan" and "100myuan" in text
    for word in ("▲Ontrack", "aggregated", "derived", "officialtarget", "illustrativetarget(notofficial)"):
        assert word in text, word  # status words, provenance and target labels in English


def test_every_page_is_numbered_in_english_and_carries_the_synthetic_mark(editions):
    for name in ("region", "league"):
        _, path, _ = editions[name]
        pages = _text(path).split("\f")[:-1]
        for number, page in enumerate(pages, 1):
            assert "Synthetic data · not official statistics" in page, (name, number)
            if number > 1:
                assert f"Page {number} of {len(pages)}" in page, (name, number)
        assert "Page 1 of" not in pages[0] and "Page 2 of" in pages[1]


def test_a_leagues_county_section_names_its_banners_officially_in_english(editions):
    _, path, records = editions["league"]
    text, cat = _flat(_text(path)), default_catalogue()
    assert _flat("Xilingol League: Digital Economy Monitoring Bulletin") in text
    assert "Counties" in text and _flat("The counties' progress on the headline indicators, 2024") in text
    assert re.search(r"compositedigital-economyindexofXilingolLeagueis\d+\.\d,rank\d+(\(shared\))?ofthe12leagues",
                     text)
    counties = cat.regions.counties(LEAGUE)
    assert any(c.name_en.endswith("Banner") for c in counties)
    for county in counties:
        assert text.count(_flat(county.name_en)) >= 3, county.name_en  # status matrix and both value tables
    missing = [r.getMessage() for r in records if "missing" in r.getMessage().lower()]
    assert not missing, missing  # a glyph missing from the font would print as an empty box


def _regulation_quotes_removed(flat: str) -> tuple[str, int]:
    """The text without each quotation of the regulation: the run just before a "(Chinese text as supplied)" that
    is, character for character, part of one article as supplied (an excerpt ends in ……)."""
    articles = [_flat(a.text) for a in default_catalogue().regulation.articles.values() if a.paragraphs]
    out, start, count = [], 0, 0
    for m in re.finditer(re.escape(_flat(MARKER)), flat):
        end = m.start() - (2 if flat[:m.start()].endswith("……") else 0)
        begin = end
        while begin > start and any(flat[begin - 1:end] in a for a in articles):
            begin -= 1
        assert end - begin >= 20, flat[max(0, end - 80):m.end()]  # a quotation, not a stray marker
        out.append(flat[start:begin])
        start, count = m.end(), count + 1
    return "".join(out) + flat[start:], count


def _supplied(report=None) -> list[str]:
    """What the English edition shows as its sources give it: the sources named by the submissions (a bulletin's
    `report`), the targets' citations and notes (issuers' document numbers such as 呼政发〔2025〕11), and the
    catalogue's English texts that keep a Chinese proper name (蒙速办, 统一核算)."""
    cat = default_catalogue()
    texts = list(report.methods.sources["source"]) if report is not None else []
    texts += [t.citation("en") for t in cat.targets] + [t.note_en for t in cat.targets]
    texts += [text for i in cat.indicators.values() for text in (i.name_en, i.definition_en) if CJK.search(text)]
    return sorted((_flat(t) for t in texts if CJK.search(t)), key=len, reverse=True)


@pytest.mark.parametrize("name", ["region", "league"])
def test_no_chinese_is_left_but_the_regulations_text_and_the_sources_own_words(editions, name):
    report, path, _ = editions[name]
    furniture = [f"{report.title} · {report.spec.period_label()}", "Synthetic data · not official statistics"]
    flat = _flat(_text(path))
    for text in furniture:  # a quotation running over a page break has the header and footer inside it
        flat = flat.replace(_flat(text), "")
    flat = re.sub(r"Page\d+of\d+", "", flat)
    flat, quotes = _regulation_quotes_removed(flat)
    assert quotes >= (10 if name == "region" else 5)  # Art. 9 on the cover and the articles of every chapter
    for text in _supplied(report):
        flat = flat.replace(text, "")
    left = [flat[max(0, m.start() - 40):m.end() + 40] for m in CJK.finditer(flat)]
    assert left == [], left[:5]


@pytest.mark.parametrize("name", ["region", "league"])
def test_the_english_edition_passes_the_layout_checks(editions, name):
    """Every word inside the margins, no two words over each other, no heading at a page's foot, no page left
    nearly empty — tests/test_report_layout.py's checks on the English PDFs."""
    report, path, _ = editions[name]
    bulletins, geometry = {name: (report, layout.read_pages(path))}, BulletinPDF("", synthetic=False)
    layout.test_no_text_leaves_the_page_its_side_margins_or_the_body(bulletins, geometry, name)
    layout.test_no_two_words_overlap(bulletins, name)
    layout.test_no_heading_ends_a_page_and_no_caption_starts_one(bulletins, geometry, name)
    layout.test_no_page_but_the_cover_the_contents_and_the_last_is_left_nearly_empty(bulletins, geometry, name)
    for page in bulletins[name][1][1:]:  # nor a caption at the top of a page (the layout module looks for “图：”)
        body = [i for i in range(len(page.words)) if layout._body(page)[i]]
        first = min(body, key=lambda i: page.boxes[i, 1], default=None)
        assert first is None or not (page.words[first] == "Figure:"
                                     and page.boxes[first, 1] < (geometry.t_margin + 3) * layout.PT), page.number


# ── the dashboard's download ─────────────────────────────────────────────────────────────────────────────

def test_the_english_page_downloads_the_english_edition_under_its_own_name(demo_warehouse, tmp_path, monkeypatch):
    """The render cache keeps one file per language: the English request renders the English bulletin, the Chinese
    one then renders (and names) its own instead of receiving the English file."""
    from dashboard import data, downloads

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # an empty render queue
    data.configure(db=demo_warehouse)
    year, rendered = data.data_years()[-1], []

    def stand_in(request, out: Path) -> None:
        rendered.append(request)
        out.write_bytes(f"%PDF-1.4 {request.lang} {request.region} {request.year}".encode())

    english, message = downloads.bulletin(year, "150000", "en", render=stand_in)
    assert message == "The report is ready and downloading."
    assert english["filename"] == f"monitoring_bulletin_150000_{year}.pdf"
    assert base64.b64decode(english["content"]) == f"%PDF-1.4 en 150000 {year}".encode()
    chinese, message = downloads.bulletin(year, "150000", "zh", render=stand_in)
    assert message == "报告已生成并开始下载。" and chinese["filename"] == f"监测分析报告_150000_{year}.pdf"
    assert base64.b64decode(chinese["content"]) == f"%PDF-1.4 zh 150000 {year}".encode()
    assert [r.lang for r in rendered] == ["en", "zh"]
    again, _ = downloads.bulletin(year, "150000", "en", render=stand_in)  # from the cache, still English
    assert again["filename"] == english["filename"] and len(rendered) == 2
    assert downloads.rendered(year, "150000", "en").name == f"monitoring_bulletin_150000_{year}.pdf"


# ── the league's evaluation (Art. 71) ──────────────────────────────────────────────────────────────────────

@pytest.fixture(scope="module")
def evaluation(demo_warehouse, tmp_path_factory) -> Path:
    """锡林郭勒盟's English evaluation, written through the CLI under its default name (about two seconds)."""
    folder = tmp_path_factory.mktemp("evaluation")
    result = run_dem("report", "evaluation", "--year", str(YEAR), "--region", "锡盟", "--lang", "en",
                     db=demo_warehouse, today=TODAY, DEM_EXPORTS=str(folder))
    assert result.returncode == 0, result.stderr
    path = folder / "evaluation_report_152500_2024.pdf"
    assert str(path) in result.stdout and path.exists()
    return path


def test_the_english_evaluation_is_named_like_the_english_bulletin_and_the_chinese_name_stays():
    assert evaluation_name(LEAGUE, YEAR, lang="en") == "evaluation_report_152500_2024.pdf"
    assert evaluation_name(LEAGUE, YEAR) == "评估报告_152500_2024.pdf"


def test_the_english_evaluation_has_english_title_headings_tables_statuses_and_names(evaluation):
    text, cat = _flat(_text(evaluation)), default_catalogue()
    for part in ("Xilingol League: Digital Economy Evaluation Report", "Inner Mongolia Digital Economy Monitor · "
                 "internal document", "Year evaluated: 2024", "Scope: Xilingol League and its 12 counties",
                 "Under Article 71 of the Regulation of the Inner Mongolia Autonomous Region on Promoting the Digital "
                 "Economy:", "This report uses synthetic (made-up) data", "1 Development: the composite index",
                 "2 Progress against the plan targets", "3 Supervision of the counties",
                 "3.1 Progress against targets", "3.2 Reporting on time", "3.3 Data-quality record",
                 "Table 1 The composite index and the chapters' scores", "Table 4 The counties' progress",
                 "Table 5 The counties' indicators behind", "Table 6 The counties' reporting on time",
                 "Table 7 The counties' data-quality record", "Leagues' average", "On-time share",
                 "Own files rejected", "Totals that differ", "Composite index", "Ch.2 Digital infrastructure"):
        assert _flat(part) in text, part
    assert re.search(r"In2024XilingolLeaguescores\d+\.\donthecompositeindex,rank\d+=?ofthe12leagues", text)
    for word in ("▲Ontrack", "▼Limitedprogress", "×Deteriorating", "Limitedprogress:notarget"):
        assert word in text, word  # status words and the reasons in English
    for county in cat.regions.counties(LEAGUE):
        assert text.count(_flat(county.name_en)) >= 3, county.name_en  # the matrix and both record tables


def test_every_page_of_the_english_evaluation_is_numbered_in_english_and_marked_synthetic(evaluation):
    pages = _text(evaluation).split("\f")[:-1]
    assert len(pages) >= 3
    for number, page in enumerate(pages, 1):
        assert "Synthetic data · not official statistics" in page, number
        assert (f"Page {number} of {len(pages)}" in page) == (number > 1), number
        if number > 1:
            assert _flat("Xilingol League: Digital Economy Evaluation Report · 2024") in _flat(page), number


def test_the_english_evaluation_has_no_chinese_but_article_71_as_supplied(evaluation):
    flat = _flat(_text(evaluation))
    for text in ("Xilingol League: Digital Economy Evaluation Report · 2024", "Synthetic data · not official "
                 "statistics"):
        flat = flat.replace(_flat(text), "")
    flat, quotes = _regulation_quotes_removed(re.sub(r"Page\d+of\d+", "", flat))
    assert quotes == 1  # Art. 71 on the cover
    for text in _supplied():  # a reason may cite a target's issuer as the catalogue gives it
        flat = flat.replace(text, "")
    left = [flat[max(0, m.start() - 40):m.end() + 40] for m in CJK.finditer(flat)]
    assert left == [], left[:5]


def test_the_english_evaluation_passes_the_layout_checks(evaluation):
    pages, geometry = {"evaluation": (None, layout.read_pages(evaluation))}, BulletinPDF("", synthetic=False)
    layout.test_no_text_leaves_the_page_its_side_margins_or_the_body(pages, geometry, "evaluation")
    layout.test_no_two_words_overlap(pages, "evaluation")
    layout.test_no_heading_ends_a_page_and_no_caption_starts_one(pages, geometry, "evaluation")
    layout.test_no_page_but_the_cover_the_contents_and_the_last_is_left_nearly_empty(pages, geometry, "evaluation")
