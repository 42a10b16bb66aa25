"""Logging in as a person does: the quality page sends an anonymous visitor to the login form and back, the
internal navigation appears after the login and goes away after the logout — under the Content-Security-Policy,
with CSRF tokens on the form and on every Dash callback, no console error and no request leaving the machine."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_log_in_through_the_form_see_the_internal_pages_and_log_out(page, app_url, staff):
    name, password = staff
    page.goto(app_url + "/")
    page.wait_for_selector("#overview-cards .card .value")
    assert page.locator("#nav a[href='/quality']").count() == 0  # anonymous: public pages only
    page.goto(app_url + "/quality")
    page.wait_for_url("**/login?next=%2Fquality")
    page.fill("#username", name)
    page.fill("#password", "not the password")
    page.click("#login-submit")
    assert "Wrong user name or password." in page.locator("#login-message").inner_text()
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_url(app_url + "/quality")
    page.wait_for_selector("#quality-matrix .heatmaplayer .hm")
    assert page.locator("#account-name").inner_text() == name
    for path in ("/quality", "/calendar", "/submit", "/submissions"):
        assert page.locator(f"#nav a[href='{path}']").count() == 1, path
    page.goto(app_url + "/map")  # a page with callbacks: each carries the CSRF token of the new session
    page.wait_for_selector("#map-graph .js-plotly-plot canvas")
    page.click("#logout")
    page.wait_for_url(app_url + "/")
    page.wait_for_selector("#login-link")
    assert page.locator("#nav a[href='/quality']").count() == 0
    page.wait_for_load_state("networkidle")
    assert page.recorder.errors == [] and page.recorder.foreign() == []
