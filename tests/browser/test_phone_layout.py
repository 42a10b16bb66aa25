"""Every page on a phone (390 × 844, touch): nothing wider than the screen, no text drawn over other text (each text
run's boxes, HTML and the charts' own titles, legends and labels), maps inside the screen, no chart toolbar over the
titles; the header's search finds a place by its pinyin initials; each weight slider has its number box."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PUBLIC = ["/", "/map", "/league/150100", "/indicator/DI-02", "/chapter/2", "/index", "/catalogue", "/releases",
          "/revisions", "/?lang=en", "/league/152900?lang=en"]
INTERNAL = ["/quality", "/calendar", "/evaluation", "/review", "/submissions", "/submit"]

# Every text run's rectangles (Range.getClientRects of each text node, HTML and SVG), then every pair of runs whose
# rectangles overlap by more than 2 px across and by more than a quarter of a line's height down (a line box is
# taller than its glyphs). A run inside an element that scrolls (a grid, the matrix) is measured as drawn. Skipped:
# hidden runs (display:none, visibility, 0 opacity, clipped screen-reader text, the inside of a closed <details>,
# which Chromium lays out but does not draw), a chart's text outside its figure, rotated labels (their box is not
# where their glyphs are).
OVERLAPS = """() => {
  const runs = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const parent = node.parentElement;
    if (!parent || parent.closest('script,style,option,.sr-only,.ag-aria-description-container,.hovertext,' +
                                   '.modebar-container')) continue;
    const fold = parent.closest('details:not([open])');  // a closed fold shows its summary only
    if (fold && !parent.closest('summary')) continue;
    if (parent.closest('[transform*="rotate"]')) continue;  // a rotated label's box is not where its glyphs are
    const style = getComputedStyle(parent);
    if (style.visibility === 'hidden' || style.opacity === '0') continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    let rects = [...range.getClientRects()].filter(r => r.width > 2 && r.height > 2);
    const svg = parent.closest('svg.main-svg');  // a chart's text beyond its figure is clipped (a scrolled legend)
    if (svg) {
      const box = svg.getBoundingClientRect();
      rects = rects.filter(r => r.left < box.right && r.right > box.left && r.top < box.bottom && r.bottom > box.top);
    }
    if (rects.length) runs.push({text: node.textContent.trim().slice(0, 40), rects});
  }
  const found = [];
  for (let i = 0; i < runs.length; i++) for (let j = i + 1; j < runs.length; j++)
    for (const a of runs[i].rects) for (const b of runs[j].rects) {
      const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      // a line box is taller than its glyphs: rows of labels may share a quarter of it without touching
      if (x > 2 && y > 0.25 * Math.min(a.height, b.height)) found.push(runs[i].text + ' × ' + runs[j].text);
    }
  return [...new Set(found)].slice(0, 20);
}"""


def settle(tab, url: str) -> None:
    tab.goto(url)
    tab.wait_for_selector("main h1")
    tab.wait_for_load_state("networkidle")
    tab.wait_for_timeout(800)  # the maps' fit to the width and the grids' row heights run after the first paint
    grids = tab.locator(".ag-root")
    if grids.count():  # rows of wrapped text reach their heights a while after they are drawn: until they are still
        last = None
        for _ in range(30):
            heights = tab.evaluate("() => [...document.querySelectorAll('.ag-row')].map(r => r.style.transform "
                                   "+ r.style.height).join()")
            if heights == last:
                break
            last = heights
            tab.wait_for_timeout(250)


def check_layout(tab, where: str) -> None:
    width = tab.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 391, (where, width)
    overlaps = tab.evaluate(OVERLAPS)
    assert not overlaps, (where, overlaps)
    toolbars = tab.locator(".modebar-container")
    for i in range(toolbars.count()):
        assert toolbars.nth(i).is_hidden(), where  # no chart toolbar on a touch screen
    maps = tab.locator(".js-plotly-plot .maplibregl-canvas, .js-plotly-plot .mapboxgl-canvas")
    for i in range(maps.count()):
        box = maps.nth(i).bounding_box()
        assert box["x"] >= -1 and box["x"] + box["width"] <= 391, (where, box)


@pytest.mark.parametrize("path", PUBLIC)
def test_every_public_page_fits_a_phone_and_no_text_covers_other_text(phone, app_url, path):
    settle(phone, app_url + path)
    check_layout(phone, path)


def test_every_internal_page_fits_a_phone_and_no_text_covers_other_text(phone, app_url, log_in):
    log_in(phone)
    for path in INTERNAL:
        settle(phone, app_url + path)
        check_layout(phone, path)


def test_the_header_search_finds_a_banner_by_its_pinyin_initials_and_opens_its_leagues_page(phone, app_url):
    settle(phone, app_url + "/?lang=en")
    phone.locator(".site-search .dash-dropdown").click()
    phone.keyboard.type("alszq")
    option = phone.get_by_role("option", name="Alxa Left Banner · Alxa League")
    expect(option).to_be_visible()
    option.click()
    phone.wait_for_url("**/league/152900?lang=en")
    expect(phone.locator("main h1")).to_contain_text("Alxa League")


def test_every_weight_slider_of_the_index_has_its_number_box(browser, app_url):
    for width in (1366, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        tab = context.new_page()
        settle(tab, app_url + "/index")
        boxes = tab.locator(".sliders .dash-range-slider-input")
        assert boxes.count() == 7
        for i in range(7):
            assert boxes.nth(i).is_visible(), (width, i)
        context.close()
