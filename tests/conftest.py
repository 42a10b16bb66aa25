"""Shared fixtures: the shipped catalogue, a copy of config/ to break, and a CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indicators.base.catalogue import Catalogue, load_catalogue
from indicators.base.settings import config_dir

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    """A writable copy of config/ for tests that break it on purpose."""
    target = tmp_path / "config"
    shutil.copytree(config_dir(), target)
    return target


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Path:
    """The full demo warehouse (bundled real figures + synthetic demo data), built once per test session
    through the production CLI: `dem demo build --db … --format json`, its report kept beside it in build.json
    (tests/test_cli_json.py checks its shape). Read it only (read-only connections)."""
    import os
    import subprocess
    import sys

    folder = tmp_path_factory.mktemp("demo")
    db = folder / "demo.duckdb"
    dem = Path(sys.executable).with_name("dem")
    result = subprocess.run([str(dem), "demo", "build", "--db", str(db), "--out", str(folder / "files"),
                             "--format", "json"],
                            capture_output=True, text=True,
                            timeout=600, env={**os.environ, "DEM_TODAY": "2026-11-27",
                                              "DEM_PATHS_APP_DB": str(folder / "app.sqlite")})
    assert result.returncode == 0, result.stdout + result.stderr
    # its progress goes to standard error, step by step with the time since the start; the results to standard output
    assert "s] 载入" in result.stderr and "loading" in result.stderr and "s] 载入" not in result.stdout
    (folder / "build.json").write_text(result.stdout, encoding="utf-8")
    return db


@pytest.fixture
def auth_app(demo_warehouse, tmp_path):
    """The process's dashboard app serving the demo warehouse with a fresh application database (users, login
    audit) and session key under tmp_path, login throttling counts reset. Yields (app, settings)."""
    import os

    import dash
    from dash.exceptions import AppNotFoundError
    from helpers import settings_for

    from dashboard import data

    os.environ.setdefault("DEM_TODAY", "2026-11-27")
    settings = settings_for(tmp_path / "state" / "dem.duckdb", today="2026-11-27").with_overrides(
        paths_warehouse=demo_warehouse)
    try:
        app = dash.get_app()
    except AppNotFoundError:
        from dashboard.app import create_app

        app = create_app(settings)
    data.configure(settings)
    app.server.extensions["dem_login_limiter"].reset()
    yield app, settings
    data.configure(db=demo_warehouse)
