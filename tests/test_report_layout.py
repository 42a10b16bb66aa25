"""What a reader sees on every page of the bulletins: no text outside the page's margins or over other text, no
heading left at the foot of a page, no caption parted from its figure, no page but the last left nearly empty —
and, in the charts, the synthetic badge inside the picture, the official target's label whole, the league average
labelled above the bars and every league named on the ranking map.

The region's and 锡林郭勒盟's bulletins are laid out once per module from the demo warehouse with one browser, and
锡林郭勒盟's evaluation (Art. 71; tables only, about a second) beside them; all are read back with poppler: `pdftotext -bbox-layout` gives the box of every word on every page (in pt).
"""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from helpers import pinned_today
from PIL import Image

from dashboard.report import maplabels
from dashboard.report.build import read_reports, resolve_settings, write_reports
from dashboard.report.charts import report_charts
from dashboard.report.content import ReportSpec
from dashboard.report.document import BulletinPDF
from dashboard.report.evaluation import build_evaluation
from dashboard.report.renderer import SCALE, WIDTH_PX, Chart, ChartRenderer
from indicators.base.catalogue import default_catalogue

pytestmark = pytest.mark.slow
YEAR, LEAGUE, TODAY = 2024, "152500", "2026-11-27"
PT = 72 / 25.4  # points per mm
HEADING_PT = 17  # a word box this tall is set in a heading's size (12.5 pt and up; body text is 9.5 pt at most)
BADGE_RED = (139, 0, 0)


@dataclass
class Page:
    number: int
    width: float
    height: float
    words: list[str]
    boxes: np.ndarray  # one row per word: x0, y0, x1, y1 in pt from the top left corner


def read_pages(pdf: Path) -> list[Page]:
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    pages = []
    for n, page in enumerate(re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', xml, re.S), 1):
        found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
                           page.group(3))
        boxes = np.array([[float(v) for v in w[:4]] for w in found]).reshape(-1, 4)
        pages.append(Page(n, float(page.group(1)), float(page.group(2)), [w[4] for w in found], boxes))
    return pages


@pytest.fixture(scope="module")
def renderer():
    with ChartRenderer() as chart_renderer:
        yield chart_renderer


@pytest.fixture(scope="module")
def bulletins(demo_warehouse, tmp_path_factory, renderer):
    """name → (report, its PDF's pages), for the region's and a league's bulletin, and (None, its pages) for the
    league's evaluation."""
    cat, folder = default_catalogue(), tmp_path_factory.mktemp("layout")
    with pinned_today(TODAY):
        settings = resolve_settings(demo_warehouse)
        reports = read_reports(settings, cat, [ReportSpec(YEAR, region=cat.regions.root.code),
                                               ReportSpec(YEAR, region=LEAGUE)])
        evaluation = build_evaluation(settings, YEAR, LEAGUE, folder / "evaluation.pdf", cat)
    paths = write_reports(reports, cat, [folder / "region.pdf", folder / "league.pdf"], renderer)
    found = {name: (report, read_pages(path)) for name, report, path in zip(("region", "league"), reports, paths,
                                                                           strict=True)}
    return found | {"evaluation": (None, read_pages(evaluation))}


@pytest.fixture(scope="module")
def page_geometry():
    """The margins and the point where pages break (mm), as the bulletin sets them."""
    return BulletinPDF("", synthetic=False)


def _body(page: Page) -> np.ndarray:
    """Which words are in the body: below the header's rule (15 mm) and above the footer (282 mm)."""
    return (page.boxes[:, 1] > 15 * PT) & (page.boxes[:, 3] < 282 * PT)


def _where(page: Page, i: int) -> str:
    return f"page {page.number}: “{page.words[i]}” at {np.round(page.boxes[i] / PT, 1).tolist()} mm"


BULLETINS = ["region", "league", "evaluation"]  # the English editions: tests/test_report_english.py


@pytest.mark.parametrize("name", BULLETINS)
def test_no_text_leaves_the_page_its_side_margins_or_the_body(bulletins, page_geometry, name):
    """Every word between the side margins and between the header's top and the footer's bottom; body text between
    the top margin and the point where pages break (glyph boxes reach up to 2 mm above a heading's cell)."""
    outside = []
    for page in bulletins[name][1]:
        x0, y0, x1, y1 = page.boxes.T
        body = _body(page)
        bad = (x0 < page_geometry.l_margin * PT - 0.5) | (x1 > page.width - page_geometry.r_margin * PT + 0.5) \
            | (y0 < 8 * PT) | (y1 > page.height - 6 * PT) \
            | body & ((y0 < (page_geometry.t_margin - 2) * PT) | (y1 > (page_geometry.page_break_trigger + 1) * PT))
        outside += [_where(page, i) for i in np.flatnonzero(bad)]
    assert not outside, outside[:10]


@pytest.mark.parametrize("name", BULLETINS)
def test_no_two_words_overlap(bulletins, name):
    """Glyph boxes are a little taller than the line spacing (Noto Sans CJK: 1.45 em), so each box is trimmed by
    15 % of its height at the top and the bottom: consecutive lines touch, text drawn over text still overlaps."""
    overlapping = []
    for page in bulletins[name][1]:
        b = page.boxes.copy()
        trim = (b[:, 3] - b[:, 1]) * 0.15
        b[:, 0] += 0.3
        b[:, 2] -= 0.3
        b[:, 1] += trim
        b[:, 3] -= trim
        hit = (b[:, None, 0] < b[None, :, 2]) & (b[None, :, 0] < b[:, None, 2]) \
            & (b[:, None, 1] < b[None, :, 3]) & (b[None, :, 1] < b[:, None, 3])
        for i, j in zip(*np.nonzero(np.triu(hit, k=1)), strict=True):
            overlapping.append(f"{_where(page, i)} over “{page.words[j]}”")
    assert not overlapping, overlapping[:10]


@pytest.mark.parametrize("name", BULLETINS)
def test_no_heading_ends_a_page_and_no_caption_starts_one(bulletins, page_geometry, name):
    """A heading is kept with the start of what follows it, a figure's caption with its figure (a caption is the
    first text of a page below a figure at its top, but never at the top itself)."""
    stranded = []
    for page in bulletins[name][1][1:]:
        body = np.flatnonzero(_body(page))
        if not len(body):
            continue
        last = body[np.argmax(page.boxes[body, 3])]
        if page.boxes[last, 3] - page.boxes[last, 1] >= HEADING_PT:
            stranded.append(f"heading at the foot of {_where(page, last)}")
        first = body[np.argmin(page.boxes[body, 1])]
        if page.words[first].startswith("图：") and page.boxes[first, 1] < (page_geometry.t_margin + 3) * PT:
            stranded.append(f"caption at the top of {_where(page, first)}")
    assert not stranded, stranded


@pytest.mark.parametrize("name", BULLETINS)
def test_no_page_but_the_cover_the_contents_and_the_last_is_left_nearly_empty(bulletins, page_geometry, name):
    """Every page from the summary to the one before the last is filled at least a quarter of the way down."""
    pages = bulletins[name][1]
    empty = []
    for page in pages[2:-1]:
        bottom = page.boxes[_body(page), 3].max(initial=0) / PT
        filled = (bottom - page_geometry.t_margin) / (page_geometry.page_break_trigger - page_geometry.t_margin)
        if filled < 0.25:
            empty.append(f"page {page.number} is filled {filled:.0%} of the way down")
    assert not empty, empty


def _badge(png: bytes) -> tuple[int, int, int, int] | None:
    """The bounding box (left, top, right, bottom; px) of the synthetic badge's dark red."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    red = (np.abs(pixels - BADGE_RED).sum(axis=2) < 60)
    ys, xs = np.nonzero(red)
    return (xs.min(), ys.min(), xs.max(), ys.max()) if len(xs) else None


def test_the_synthetic_badge_lies_wholly_inside_the_untitled_pictures(bulletins, renderer):
    """The index chart and the map have no title, so nothing above the plot made room for the badge: it was cut off
    at the top (the map's entirely). Its frame must now sit inside the picture on every side."""
    report, _ = bulletins["region"]
    charts = report_charts(report, default_catalogue())
    pictures = renderer.render({name: charts[name] for name in ("index", "map")})  # rendered for the PDF: cached
    for name, png in pictures.items():
        width, height = Image.open(io.BytesIO(png)).size
        box = _badge(png)
        assert box is not None, f"{name}: no badge"
        assert box[0] > 0 and box[1] > 0 and box[2] < width - 1 and box[3] < height - 1, (name, box)


def _target_chart(report, cat) -> tuple[str, object]:
    for name, chart in report_charts(report, cat).items():
        if name.startswith("trend"):
            fig = chart.build()
            if any(str(trace.name).startswith("官方目标") for trace in fig.data):
                return name, fig
    raise AssertionError("no trend chart with an official target")


def test_the_official_targets_label_is_drawn_whole_left_of_its_star(bulletins, renderer):
    """The label of a target beyond the last year was centred on a star at the end of the axis and cut at the plot's
    edge ("官方目标 202"). Rendered with and without its text, the pixels that differ are the label's: they end
    before the plot's right edge."""
    report, _ = bulletins["region"]
    cat = default_catalogue()
    name, fig = _target_chart(report, cat)
    target = next(trace for trace in fig.data if str(trace.name).startswith("官方目标"))
    assert list(target.text) == [target.name] and re.fullmatch(r"官方目标 \d{4}", target.name)
    bare = go.Figure(fig)
    bare.update_traces(mode="markers", selector={"name": target.name})
    pictures = renderer.render({"labelled": Chart(f"labelled|{name}", lambda: fig),
                                "bare": Chart(f"bare|{name}", lambda: bare)})
    labelled, plain = (np.asarray(Image.open(io.BytesIO(pictures[k])).convert("RGB")).astype(int)
                       for k in ("labelled", "bare"))
    xs = np.nonzero(np.abs(labelled - plain).sum(axis=2).any(axis=0))[0]
    assert len(xs), "the label is not drawn"
    plot_right = (WIDTH_PX - fig.layout.margin.r) * SCALE
    assert xs.max() < plot_right - 3, (xs.min(), xs.max(), plot_right)
    assert xs.max() - xs.min() > 60 * SCALE  # the whole "官方目标 2025" (about 78 px), not a sliver


def test_trend_titles_name_their_unit_once(bulletins):
    report, _ = bulletins["region"]
    cat = default_catalogue()
    for name, chart in report_charts(report, cat).items():
        if name.startswith("trend"):
            title = chart.build().layout.title.text
            unit = cat.indicator(next(s.key_code for s in report.chapters if f"trend{s.number}" == name)).unit
            assert title.count(f"（{unit}）") == (1 if unit else 0), title  # it read "地区生产总值（亿元）（亿元）"


def test_the_league_average_is_labelled_in_a_free_row_above_the_bars(bulletins):
    """The average's label hung from the top of the plot, over the top bar and its value: the y axis now leaves an
    empty row there."""
    report, _ = bulletins["league"]
    ranks = {n: c.build() for n, c in report_charts(report, default_catalogue()).items() if n.startswith("rank")}
    assert ranks
    for name, fig in ranks.items():
        average = next(a for a in fig.layout.annotations if a.text.startswith("盟市平均"))
        assert (average.yref, average.y, average.yanchor) == ("y domain", 1, "top"), name
        rows, shown = len(fig.layout.yaxis.categoryarray), fig.layout.yaxis.range
        assert shown is not None and shown[1] >= rows - 0.5 + 1, (name, shown, rows)  # one row more than the bars


def test_the_ranking_map_names_every_league_with_its_score_and_rank_and_no_two_labels_overlap(bulletins):
    report, _ = bulletins["region"]
    cat = default_catalogue()
    fig = report_charts(report, cat)["map"].build()
    labels = [a for a in fig.layout.annotations if "<br>" in (a.text or "")]
    total = report.index[report.index["chapter"] == 0].set_index("region_code")
    assert sorted(a.text.split("<br>")[0] for a in labels) == sorted(r.name_zh for r in cat.regions.leagues())
    for league in cat.regions.leagues():
        label = next(a.text for a in labels if a.text.startswith(league.name_zh + "<br>"))
        score, rank = total.loc[league.code, "score"], int(total.loc[league.code, "rank"])
        assert re.fullmatch(rf"{league.name_zh}<br>{score:.1f}（{rank}=?）", label), label
    width = WIDTH_PX
    height = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    boxes = []
    for a in labels:  # a label on a leader line is centred at the line's tail
        x, y = a.x * width + (a.ax if a.showarrow else 0), (1 - a.y) * height + (a.ay if a.showarrow else 0)
        w, h = maplabels.text_box(a.text)
        left, top, right, bottom = x - w / 2, y - h / 2, x + w / 2, y + h / 2
        assert left >= 0 and top >= 0 and right <= width and bottom <= height, a.text  # on the picture
        boxes.append((left, top, right, bottom))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
