"""The review as people do it, in the real browser under the Content-Security-Policy: a county officer of 东河区
submits a file whose value jumps against the demo warehouse's a year before (one yoy_change warning, no error),
`dem etl run` loads it; the league officer of 包头市 selects the batch on /review and is refused approval while the
warning is unexplained; the county officer explains it on /submissions; the league officer approves, an analyst of
the bureau accepts, and /submissions shows the batch accepted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

COUNTY, COUNTY_PASSWORD = "donghe-officer", "a passphrase for donghe"
LEAGUE, LEAGUE_PASSWORD = "baotou-reviewer", "a passphrase for the baotou review"
# the demo warehouse has DI-01 of 150202 for 2024Q1 = 744: 2232 is +200 % (beyond ±50 %), line 2's only problem
DONGHE = "indicator_code,region_code,period,value,unit\nDI-01,150202,2025Q1,2232,个\n"
FILENAME = "东河区_2025Q1.csv"


@pytest.fixture(scope="module")
def officers(dem_env) -> None:
    """An officer of 东河区 (150202, a county of 包头市) and one of 包头市 (150200) in the server's database."""
    dem = Path(sys.executable).with_name("dem")
    listed = subprocess.run([str(dem), "users", "list", "--format", "csv"], env=dem_env, check=True,
                            capture_output=True, text=True).stdout
    for name, region, password in ((COUNTY, "150202", COUNTY_PASSWORD), (LEAGUE, "150200", LEAGUE_PASSWORD)):
        if name not in listed:
            subprocess.run([str(dem), "users", "add", name, "--role", "officer", "--region", region,
                            "--password-stdin"], input=password, env=dem_env, check=True, capture_output=True,
                           text=True)


@pytest.fixture
def person(browser, app_url, page):
    """person(name, password, path): a browser of its own for each person (the first one's is `page`), signed in
    and on `path`, recording console errors and requests as `page` does."""
    tabs, contexts = [], []

    def sign_in(name: str, password: str, path: str):
        tab = page
        if tabs:
            context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            contexts.append(context)
            tab = context.new_page()
            tab.recorder = type(page.recorder)(tab, app_url)
        tabs.append(tab)
        tab.goto(f"{app_url}/login?next={path}")
        tab.fill("#username", name)
        tab.fill("#password", password)
        tab.click("#login-submit")
        tab.wait_for_url(app_url + path)
        return tab

    yield sign_in
    for context in contexts:
        context.close()


def open_batch(tab) -> None:
    """Click the batch's row on /review, the only one of 东河区 (the queue is oldest first: the new batch is on its
    last page; the warehouse knows the file by its stored name, the unit names the row)."""
    tab.wait_for_selector("#review-queue .ag-cell")
    last = tab.locator("#review-queue .ag-paging-button[aria-label='末页']")
    if last.count() and last.get_attribute("aria-disabled") != "true":
        last.click()
    tab.locator("#review-queue .ag-cell", has_text="150202").first.click()
    tab.wait_for_selector("#review-detail h2")


def decide(tab, button: str) -> str:
    tab.click(button)
    tab.wait_for_selector("#review-result p")
    return tab.locator("#review-result").inner_text()


def clean(*tabs) -> None:
    for tab in tabs:
        tab.wait_for_load_state("networkidle")
        assert tab.recorder.errors == [] and tab.recorder.foreign() == [], (tab.recorder.errors,
                                                                            tab.recorder.foreign())


def test_a_county_file_is_refused_until_explained_on_submissions_then_approved_and_accepted(
        person, officers, staff, dem_env, served_warehouse, tmp_path):
    county = person(COUNTY, COUNTY_PASSWORD, "/submit")
    path = tmp_path / FILENAME
    path.write_text(DONGHE, encoding="utf-8")
    county.set_input_files("#portal-upload input[type=file]", str(path))
    county.wait_for_selector("#portal-submit:not([disabled])")  # (no wait_for_function: the CSP forbids eval)
    assert "yoy_change" in county.locator("#portal-report").inner_text()
    county.click("#portal-submit")
    county.wait_for_selector("#portal-result .success")

    dem = Path(sys.executable).with_name("dem")
    (tmp_path / "inbox").mkdir()  # an empty inbox: the run loads only the queued submission
    run = subprocess.run([str(dem), "etl", "run", "--db", str(served_warehouse), "--inbox", str(tmp_path / "inbox")],
                         env=dem_env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr

    league = person(LEAGUE, LEAGUE_PASSWORD, "/review")
    open_batch(league)
    assert "尚未说明" in league.locator("#review-detail").inner_text()
    refused = decide(league, "#review-approve")
    assert "第 2 行的警告尚未说明" in refused

    county.goto(county.url.rsplit("/", 1)[0] + "/submissions")
    county.locator("#portal-list .ag-cell", has_text=FILENAME).first.click()
    box = county.locator("#portal-detail .explain input[type=text]")
    box.wait_for()
    assert box.count() == 1 and "第 2 行" not in county.locator("#portal-explain-result").inner_text()
    box.fill("新建 5G 基站 1488 个，已核实")
    county.click("#portal-explain-save")
    county.locator("#portal-explain-result", has_text="已保存 1 条说明").wait_for()

    league.reload()
    open_batch(league)
    assert "新建 5G 基站 1488 个，已核实" in league.locator("#review-detail").inner_text()
    assert "已审核通过" in decide(league, "#review-approve")

    analyst = person(*staff, "/review")
    open_batch(analyst)
    assert "已接收" in decide(analyst, "#review-accept")

    county.reload()
    county.locator("#portal-list .ag-cell", has_text="已接收").wait_for(timeout=30_000)
    county.locator("#portal-list .ag-cell", has_text=FILENAME).first.click()
    county.locator("#portal-detail", has_text=FILENAME).wait_for()
    assert county.locator("#portal-explain-save").count() == 0  # accepted: nothing left to explain
    clean(county, league, analyst)


def test_an_analyst_ticks_every_batch_of_a_period_and_decides_them_in_one_click(person, staff):
    """The bulk controls as a reviewer uses them: pick a period (every row of the queue that wrote it is ticked),
    press the bulk button — the inbox batches with warnings are refused one by one with their reason (no submitter
    to explain them: the comment must), the others accepted; with a comment, every batch of the next period is."""
    analyst = person(*staff, "/review")
    analyst.wait_for_selector("#review-queue .ag-cell")
    before = analyst.locator("#review-queue").inner_text()
    assert "2019" in before

    def pick(period: str) -> int:
        analyst.click("#review-period")
        analyst.keyboard.type(period)
        analyst.keyboard.press("Enter")
        analyst.locator("#review-queue input[type=checkbox]:checked").first.wait_for()
        return analyst.locator("#review-queue input[type=checkbox]:checked").count()

    assert pick("2019") > 1
    analyst.click("#review-bulk-approve")
    result = analyst.locator("#review-result")
    result.locator("p").first.wait_for()
    text = result.inner_text()
    assert "已记录" in text and "个批次未记录" in text and "请在审核意见中说明警告" in text

    analyst.reload()  # a fresh page: the period picker empty again
    analyst.wait_for_selector("#review-queue .ag-cell")
    tick = analyst.locator("#review-queue .ag-cell[col-id=ag-Grid-SelectionColumn] input[type=checkbox]").first
    tick.click()  # a tick by hand ticks its row and opens nothing; a second click unticks it
    analyst.locator("#review-queue input[type=checkbox]:checked").first.wait_for()
    assert analyst.locator("#review-queue input[type=checkbox]:checked").count() == 1
    tick.click()
    analyst.locator("#review-queue input[type=checkbox]:checked").first.wait_for(state="detached")
    assert analyst.locator("#review-detail h2").count() == 0
    boxes = "#review-queue .ag-cell[col-id=ag-Grid-SelectionColumn] input[type=checkbox]"
    header = analyst.locator("#review-queue .ag-header-cell[col-id=ag-Grid-SelectionColumn] input[type=checkbox]")
    header.click()  # the header's box ticks every row of the page shown, and unticks them again
    analyst.locator(boxes + ":checked").first.wait_for()
    assert analyst.locator(boxes + ":checked").count() == analyst.locator(boxes).count() > 1
    header.click()
    analyst.locator(boxes + ":checked").first.wait_for(state="detached")
    analyst.fill("#review-comment", "示例数据，警告已逐条核对")  # the comment stands in for the explanations
    assert pick("2020") >= 1
    analyst.click("#review-bulk-approve")
    analyst.locator("#review-result", has_text="已记录").wait_for()
    assert "个批次未记录" not in analyst.locator("#review-result").inner_text()
    clean(analyst)
