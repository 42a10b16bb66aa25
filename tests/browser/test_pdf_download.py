"""The 'download the report (PDF)' buttons: built in the background while the button is disabled and a status line
says so, then downloaded (for a logged-in user) — a real PDF of the region or of the league, with no request leaving the machine."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path,region", [("/league/152500?year=2024", "152500"), ("/?year=2024", "150000")])
def test_pdf_button_builds_the_bulletin_in_the_background_and_downloads_it(page, app_url, log_in, tmp_path, path,
                                                                          region):
    log_in(page)  # rendering on demand is for logged-in users (anonymous visitors get cached files)
    page.goto(app_url + path)
    button = page.locator("button[id^='pdf-button__']")
    button.wait_for()
    page.wait_for_selector(".ag-cell")  # the page drawn (its tables) before the click
    page.wait_for_load_state("networkidle")
    with page.expect_download(timeout=120_000) as info:
        button.click()
        page.wait_for_selector("[id^='pdf-running__']:has-text('正在生成报告')", timeout=30_000)
        assert button.is_disabled()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.name == f"监测分析报告_{region}_2024.pdf"
    assert target.read_bytes().startswith(b"%PDF") and target.stat().st_size > 50_000
    page.wait_for_selector("[id^='pdf-result__']:has-text('报告已生成')", timeout=30_000)
    assert not button.is_disabled()
    assert page.recorder.errors == [] and page.recorder.foreign() == []
