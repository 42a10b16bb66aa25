"""Settings: settings.toml defaults, DEM_* environment overrides, CLI options win over both."""

from __future__ import annotations

from pathlib import Path

import pytest

from indicators.base.errors import ConfigError
from indicators.base.settings import load_settings, project_root


def test_defaults_are_typed_and_relative_to_the_project():
    s = load_settings(environ={})
    assert s.paths.warehouse == project_root() / "data/warehouse/dem.duckdb"
    assert isinstance(s.server.port, int) and s.server.port == 8050
    assert s.progress.on_track == 0.95 and s.index.chapter_weights[2] == 1.0


def test_environment_overrides_settings_file():
    s = load_settings(environ={"DEM_DB": "/srv/dem/a.duckdb", "DEM_SERVER_PORT": "9001", "DEM_ETL_YOY_WARNING_RATIO": "0.8"})
    assert s.paths.warehouse == Path("/srv/dem/a.duckdb")
    assert s.server.port == 9001 and s.etl.yoy_warning_ratio == 0.8


def test_cli_override_wins_over_environment():
    s = load_settings(environ={"DEM_DB": "/srv/dem/a.duckdb"}).with_overrides(paths_warehouse="/tmp/b.duckdb")
    assert s.paths.warehouse == Path("/tmp/b.duckdb")


def test_bad_values_are_configuration_errors():
    with pytest.raises(ConfigError, match=r"\[server\] port: 'eighty' is not a valid int"):
        load_settings(environ={"DEM_PORT": "eighty"})
    with pytest.raises(ConfigError, match=r"unknown keys \['colour'\]"):
        load_settings(environ={"DEM_SERVER_COLOUR": "red"})


@pytest.mark.parametrize("environ,message", [
    ({"DEM_REVIEW_COUNTY_STEPS": "leauge,bureau"}, r"\[review\]: county_steps = 'leauge,bureau': one or more of"),
    ({"DEM_REVIEW_LEAGUE_STEPS": " "}, r"\[review\]: league_steps = ' '"),
    ({"DEM_REVIEW_COUNTY_STEPS": "bureau,bureau"}, r"each once"),
    ({"DEM_ETL_PEER_Z_THRESHOLD": "0"}, r"\[etl\]: peer_z_threshold \(0.0\) must be > 0"),
    ({"DEM_ETL_PEER_MIN_UNITS": "1"}, r"peer_min_units \(1\) at least 3"),
    ({"DEM_INDEX_MISSING": "bogus"}, r"\[index\]: missing = 'bogus': one of reweight, zero, exclude_region"),
    ({"DEM_INDEX_MIN_COVERAGE": "1.5"}, r"\[index\]: min_coverage \(1.5\) must lie in 0–1"),
])
def test_review_steps_and_peer_check_settings_are_checked_when_loaded(environ, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=environ)


@pytest.mark.parametrize(("args", "message"), [
    (["catalogue", "indicators", "--chapter", "12"], "12 is not in the range 1<=x<=9"),
    (["indicators", "progress", "--year", "2024", "--region", "foo"], "unknown region 'foo'"),
])
def test_a_wrong_option_value_is_a_usage_error_exit_2_naming_what_is_allowed(tmp_path, args, message):
    from helpers import run_dem

    result = run_dem(*args, db=tmp_path / "dem.duckdb")
    assert result.returncode == 2 and message in result.stdout + result.stderr


def test_a_misspelt_setting_stops_the_cli_with_exit_2_and_the_allowed_values(tmp_path):
    from helpers import run_dem

    result = run_dem("catalogue", "check", db=tmp_path / "dem.duckdb", DEM_INDEX_MISSING="bogus")
    assert result.returncode == 2 and "one of reweight, zero, exclude_region" in result.stderr


def test_progress_goes_to_standard_error_with_the_seconds_and_nowhere_with_quiet(capsys):
    from indicators.cli import progress

    progress(False)("载入 3 个文件 | loading 3 files")
    progress(True)("never shown")
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("[") and "s] 载入 3 个文件 | loading 3 files" in err and "never" not in err
