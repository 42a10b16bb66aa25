"""The submission portal as an officer uses it, in the real browser under the Content-Security-Policy: the login
first, then a file dropped on /submit is checked at once (a row of another league is out_of_scope on its line and
cannot be submitted; a clean file can), the submission appears queued on /submissions, and a `dem etl run` loads it
while the page is open — the status changes without a reload."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

OFFICER, PASSWORD = "baotou-officer", "a passphrase for baotou"
HEADER = "indicator_code,region_code,period,value,unit\n"
BAOTOU = HEADER + "DI-01,150200,2024Q1,12000,个\n"
WITH_HOHHOT = BAOTOU + "DI-01,150100,2024Q1,9000,个\n"


@pytest.fixture(scope="module")
def officer(dem_env) -> None:
    """An officer of 包头市 in the server's application database (made once per session's database)."""
    dem = Path(sys.executable).with_name("dem")
    listed = subprocess.run([str(dem), "users", "list", "--format", "csv"], env=dem_env, check=True,
                            capture_output=True, text=True).stdout
    if OFFICER not in listed:
        subprocess.run([str(dem), "users", "add", OFFICER, "--role", "officer", "--region", "150200",
                        "--password-stdin"], input=PASSWORD, env=dem_env, check=True, capture_output=True, text=True)


def drop(page, path: Path) -> None:
    page.set_input_files("#portal-upload input[type=file]", str(path))


def test_an_officer_checks_submits_and_sees_the_submission_loaded(page, app_url, officer, dem_env, served_warehouse,
                                                                  tmp_path):
    page.goto(app_url + "/submit")
    page.wait_for_url("**/login?next=%2Fsubmit")  # anonymous: the portal needs a login
    page.fill("#username", OFFICER)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(app_url + "/submit")
    page.wait_for_selector("#portal-upload")
    assert "150200" in page.locator("#portal-unit").inner_text()

    wrong = tmp_path / "包头含呼市.csv"
    wrong.write_text(WITH_HOHHOT, encoding="utf-8")
    drop(page, wrong)
    page.wait_for_selector("#portal-errors-table .ag-cell")
    errors = page.locator("#portal-errors-table").inner_text()
    assert "out_of_scope" in errors and "3" in errors and "150100" in errors
    assert page.locator("#portal-submit").is_disabled()

    right = tmp_path / "<img src=x onerror=alert(1)>包头.csv"
    right.write_text(BAOTOU, encoding="utf-8")
    drop(page, right)
    page.wait_for_selector("#portal-report .verdict")
    page.wait_for_selector("#portal-submit:not([disabled])")  # (no wait_for_function: the CSP forbids eval)
    page.click("#portal-submit")
    page.wait_for_selector("#portal-result .success")
    assert "排队待入库" in page.locator("#portal-result").inner_text()

    page.click("#portal-result a")  # 查看报送记录
    page.wait_for_url("**/submissions**")
    page.wait_for_selector("#portal-list .ag-cell")
    listing = page.locator("#portal-list").inner_text()
    assert "<img src=x onerror=alert(1)>包头.csv" in listing and "排队待入库" in listing  # as text, not markup

    dem = Path(sys.executable).with_name("dem")
    (tmp_path / "inbox").mkdir()  # an empty inbox: the run loads only the queued submission
    run = subprocess.run([str(dem), "etl", "run", "--db", str(served_warehouse), "--inbox",
                          str(tmp_path / "inbox")], env=dem_env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    page.locator("#portal-list", has_text="已入库").wait_for(timeout=30_000)  # refreshed without a reload
    page.wait_for_load_state("networkidle")
    assert page.recorder.errors == [] and page.recorder.foreign() == []
