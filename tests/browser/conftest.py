"""One dashboard server (`dem serve` in a subprocess, on a copy of the demo warehouse) and one headless
Chromium for the browser tests of a module. The system browser is used; nothing is downloaded."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ENV = {"DEM_TODAY": "2026-11-27"}
STAFF, STAFF_PASSWORD = "analyst-li", "a long browser test secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Poll the server until it answers (startup time varies); fail with its output if it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dem serve exited with {process.returncode}: {log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"dem serve did not answer at {url} within {timeout} s")


@pytest.fixture(scope="session")
def dem_env(tmp_path_factory) -> dict[str, str]:
    """The environment of the server and of any `dem` run beside it (the demo warehouse's pinned clock; the
    application database and session key in a temporary folder, with one analyst: STAFF, STAFF_PASSWORD)."""
    state = tmp_path_factory.mktemp("app-state")
    env = {**os.environ, **ENV, "DEM_PATHS_APP_DB": str(state / "dem-app.sqlite"),
           "DEM_PATHS_SECRET_KEY": str(state / "secret_key"), "DEM_PATHS_SUBMISSIONS": str(state / "submissions"),
           "DEM_PATHS_LOGS": str(state / "logs"), "DEM_ARCHIVE": str(state / "archive"),
           "DEM_QUARANTINE": str(state / "quarantine"), "DEM_EXPORTS": str(state / "exports")}
    dem = Path(sys.executable).with_name("dem")
    subprocess.run([str(dem), "users", "add", STAFF, "--role", "analyst", "--password-stdin"], input=STAFF_PASSWORD,
                   env=env, check=True, capture_output=True, text=True, timeout=60)
    return env


@pytest.fixture(scope="session")
def staff() -> tuple[str, str]:
    """The analyst the server knows (made by dem_env): (user name, password)."""
    return STAFF, STAFF_PASSWORD


@pytest.fixture
def log_in(app_url):
    """log_in(page): log in as STAFF through the login form, as a person does, and land on the home page."""

    def fill_in(page, next_: str = "/") -> None:
        page.goto(f"{app_url}/login?next={next_}")
        page.fill("#username", STAFF)
        page.fill("#password", STAFF_PASSWORD)
        page.click("#login-submit")
        page.wait_for_selector("#account-name")

    return fill_in


@pytest.fixture(scope="module")
def served_warehouse(demo_warehouse, tmp_path_factory) -> Path:
    """A private copy (the working warehouse and the public one beside it), so that a test may publish a new
    warehouse over it while the server runs."""
    from indicators.storage.warehouse import public_path

    target = tmp_path_factory.mktemp("served") / "dem.duckdb"
    shutil.copyfile(demo_warehouse, target)
    shutil.copyfile(public_path(demo_warehouse), public_path(target))
    return target


@pytest.fixture(scope="module")
def app_url(served_warehouse, dem_env) -> str:
    port = free_port()
    dem = Path(sys.executable).with_name("dem")
    scratch = served_warehouse.parent / "tmp"  # the job cache and rendered PDFs: removed with the test's folder
    scratch.mkdir(exist_ok=True)
    log_path = served_warehouse.parent / "serve.log"  # a file, not a pipe nobody reads (it would fill up and block)
    log = log_path.open("w")
    process = subprocess.Popen([str(dem), "serve", "--db", str(served_warehouse), "--host", "127.0.0.1",
                                "--port", str(port), "--workers", "1"],
                               stdout=log, stderr=subprocess.STDOUT, text=True,
                               env={**dem_env, "TMPDIR": str(scratch)})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url + "/", process, log_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Recorder:
    """Console errors and every request URL of a page, for the closing assertions of each test."""

    def __init__(self, page, origin: str):
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.origin = origin
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

    def foreign(self) -> list[str]:
        """Requests to anything but the app's own origin (plotly's map workers are blob: URLs of the origin)."""
        return [u for u in self.requests if not (u.startswith(self.origin + "/") or
                                                 u.startswith("blob:" + self.origin + "/") or u.startswith("data:"))]


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True, locale="zh-CN")
    tab = context.new_page()
    tab.recorder = Recorder(tab, app_url)
    yield tab
    context.close()


@pytest.fixture
def phone(browser, app_url):
    """A phone: 390 × 844 CSS px, touch, no hover (the toolbar rule), Chinese locale."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    tab = context.new_page()
    yield tab
    context.close()
