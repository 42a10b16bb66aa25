"""The product as a package: the search order of config/ and DEM_HOME, and the built wheel installed into a fresh
environment outside the checkout — `dem catalogue check`, `dem demo build` and `dem serve` answering `/` there."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from indicators.base import resources
from indicators.base.settings import config_dir, project_root

ROOT = Path(__file__).resolve().parent.parent
# what the wheel must carry besides the Python modules (README "Installing from a wheel")
WHEEL_DATA = ("dashboard/assets/style.css", "dashboard/assets/dem.js", "indicators/_bundled/config/settings.toml",
              "indicators/_bundled/config/indicators.yaml", "indicators/_bundled/config/regulation_seed.txt",
              "indicators/_bundled/config/regions.csv", "indicators/_bundled/config/targets.csv",
              "indicators/_bundled/geo/README.md", "indicators/_bundled/geo/inner_mongolia_counties.geojson",
              "indicators/_bundled/reference/gdp_population.csv")


def test_config_is_searched_in_dem_config_then_dem_home_then_the_checkout(monkeypatch, tmp_path):
    monkeypatch.delenv("DEM_CONFIG", raising=False)
    monkeypatch.delenv("DEM_HOME", raising=False)
    assert config_dir() == ROOT / "config" and project_root() == ROOT
    monkeypatch.setenv("DEM_HOME", str(tmp_path))  # a home without config/: the checkout's still applies
    assert config_dir() == ROOT / "config" and project_root() == tmp_path
    (tmp_path / "config").mkdir()
    assert config_dir() == tmp_path / "config"
    monkeypatch.setenv("DEM_CONFIG", str(tmp_path / "elsewhere"))
    assert config_dir() == tmp_path / "elsewhere"


def test_bundled_folders_of_a_checkout_are_its_own():
    assert {name: resources.bundled(name) for name in resources.BUNDLED} == {
        "config": ROOT / "config", "geo": ROOT / "data" / "geo", "reference": ROOT / "data" / "reference"}


def test_config_option_of_dem_wins_over_dem_config_and_a_missing_folder_is_a_usage_error(config_copy, tmp_path):
    dem = str(Path(sys.executable).with_name("dem"))
    targets = config_copy / "targets.csv"  # the copy keeps only the header line: no targets
    targets.write_text(targets.read_text(encoding="utf-8-sig").splitlines()[0] + "\n", encoding="utf-8")
    env = {**os.environ, "DEM_CONFIG": str(ROOT / "config")}
    chosen = subprocess.run([dem, "--config", str(config_copy), "catalogue", "check"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert chosen.returncode == 0 and " 0 targets," in chosen.stdout
    missing = subprocess.run([dem, "--config", str(tmp_path / "nowhere"), "catalogue", "check"], capture_output=True,
                             text=True, env=env, timeout=120)
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def _source_tree(target: Path) -> Path:
    """The files a clean clone would have (tracked, and new ones not ignored), copied: the build leaves the
    checkout untouched (no build/ or egg-info written into it while others work there)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True, timeout=60).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def _run(args: list, env: dict, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    assert result.returncode == 0, f"{args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 — loopback only
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_wheel_installed_outside_the_checkout_checks_builds_and_serves(tmp_path):
    # build the wheel from a copy of the source (setuptools of .venv: nothing is downloaded)
    source = _source_tree(tmp_path / "src")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist",
          source], os.environ, tmp_path)
    wheel = next((tmp_path / "dist").glob("beijiang_dem-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert not [name for name in WHEEL_DATA if name not in names]
    # any other file beside the code (a template, a schema) must be in the wheel too: setup.py package_data
    beside_code = [path.relative_to(source).as_posix() for package in ("indicators", "etl", "dashboard")
                   for path in (source / package).rglob("*") if path.is_file() and path.suffix != ".py"]
    assert not [name for name in beside_code if name not in names], "add these to package_data in setup.py"

    # a fresh environment: the wheel installed into it, its dependencies borrowed from .venv by a .pth line (a path
    # line only: .venv's own .pth files, among them the editable install's finder, are not run there)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], os.environ, tmp_path)
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], os.environ,
                     tmp_path).stdout.strip())
    (site / "zz_project_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel],
         os.environ, tmp_path)

    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEM_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(DEM_HOME=str(home), DEM_TODAY="2026-11-27", PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    where = _run([python, "-c", "import indicators, dashboard, etl; from indicators.base.settings import config_dir;"
                  "print(indicators.__file__, dashboard.__file__, etl.__file__, config_dir(), sep='\\n')"], env, home)
    assert all(Path(line).is_relative_to(site) for line in where.stdout.split()), where.stdout

    dem = venv / "bin" / "dem"
    check = _run([dem, "catalogue", "check"], env, home)
    assert "catalogue consistent" in check.stdout
    _run([dem, "demo", "build"], env, home, timeout=300)
    assert (home / "data" / "warehouse" / "dem.public.duckdb").is_file()
    assert not list(site.glob("**/*.duckdb")) and not (site / "data").exists()  # nothing written into the package

    port = _free_port()
    log = tmp_path / "serve.log"  # a file, not a pipe nobody reads: a full pipe would stall the server
    with log.open("wb") as out:
        server = subprocess.Popen([str(dem), "serve", "--port", str(port), "--workers", "1"], cwd=home, env=env,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status = _get(base + "/")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        assert status == 200, f"GET / → {status}; server exit {server.poll()}\n{log.read_text(errors='replace')}"
        assert _get(base + "/assets/style.css") == 200 and _get(base + "/geo/county.json") == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
    for folder in (venv, home, source):  # passed: nothing worth keeping for a post-mortem
        shutil.rmtree(folder, ignore_errors=True)
