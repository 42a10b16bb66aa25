"""The real figures in data/reference/: ordinary submission files that load cleanly, are never synthetic,
cite a source with a URL, and keep the census arithmetic (12 leagues add up to the region's 24 049 155)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from etl.pipeline import check_files, load_files
from indicators.base.settings import load_settings, project_root
from indicators.storage import warehouse

REFERENCE = sorted((project_root() / "data" / "reference").glob("*.csv"))


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def settings(tmp_path):
    return load_settings().with_overrides(paths_warehouse=tmp_path / "w.duckdb")


def test_reference_directory_holds_the_gdp_population_and_digital_files():
    assert {p.name for p in REFERENCE} == {"gdp_population.csv", "digital_indicators.csv"}


# Real figures the peer check flags, correctly: Ordos's GDP is four times the leagues' median (z 4.5 and 4.8 > 3.5)
TRUE_PEER_OUTLIERS = {"gdp_population.csv": [("peer_outlier", 21, "4715.7"), ("peer_outlier", 23, "5849.86")]}


@pytest.mark.parametrize("path", REFERENCE, ids=lambda p: p.name)
def test_reference_file_passes_the_etl_check_without_errors_or_warnings_but_its_true_peer_outliers(
        path, catalogue, settings):
    [result] = check_files([path], catalogue, settings)
    assert result.errors == []
    assert [(w.rule, w.line, w.value) for w in result.warnings] == TRUE_PEER_OUTLIERS.get(path.name, [])
    assert (result.encoding, result.layout) == ("utf-8-sig", "long")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("path", REFERENCE, ids=lambda p: p.name)
def test_no_reference_row_is_synthetic_and_every_row_quotes_a_source_with_a_url(path):
    for row in rows(path):
        assert row["示例数据"] in ("", "0")
        assert "http://" in row["数据来源"] or "https://" in row["数据来源"]
        assert row["备注"].strip()


def test_reference_files_hold_exactly_one_row_per_indicator_region_and_period():
    keys = [(r["指标代码"], r["地区代码"], r["统计期"]) for path in REFERENCE for r in rows(path)]
    assert len(keys) == len(set(keys))


def test_preliminary_lower_bound_and_approximate_figures_say_so_in_the_note():
    notes = {(r["指标代码"], r["地区代码"], r["统计期"]): r["备注"] for path in REFERENCE for r in rows(path)}
    assert notes[("ID-17", "150000", "2018")].startswith("预计数")
    assert notes[("ID-17", "150000", "2020")].startswith("预计数")
    assert notes[("ID-17", "150000", "2022")].startswith("下限值")
    assert notes[("DI-01", "150000", "2023Q4")].startswith("约数")
    assert notes[("CX-01", "150900", "2022")].startswith("约数")
    assert notes[("ID-01", "150000", "2020")].startswith("第三方测算")


# the caveat a note starts with → the observation status the row carries (data/reference/README.md)
CAVEATS = {"初步核算": "P", "预计数": "E", "下限值": "E", "约数": "E", "第三方测算": "E"}


def test_each_rows_status_follows_the_caveat_of_its_note_and_is_kept_by_the_load(settings, catalogue):
    expected = {}
    for path in REFERENCE:
        for row in rows(path):
            caveat = next((code for word, code in CAVEATS.items() if row["备注"].startswith(word)), "")
            assert row["数据状态"] == caveat, row
            expected[(row["指标代码"], row["地区代码"], row["统计期"])] = caveat or "A"
    assert sorted(set(expected.values())) == ["A", "E", "P"]
    load_files(REFERENCE, catalogue, settings)
    with warehouse.reader(settings.paths.warehouse) as con:
        stored = con.execute("SELECT indicator_code, region_code, period, obs_status FROM current_observations").fetchall()
    assert {(i, r, p): s for i, r, p, s in stored} == expected


def test_leagues_census_population_sums_to_the_region_count_after_loading(catalogue, settings):
    results = load_files(REFERENCE, catalogue, settings)
    assert [r.status for r in results] == ["loaded"] * len(REFERENCE)
    leagues = [r.code for r in catalogue.regions.leagues()]
    with warehouse.reader(settings.paths.warehouse) as con:
        total, n = con.execute(
            """SELECT sum(value), count(*) FROM current_observations
               WHERE indicator_code = 'CX-02' AND period = '2020' AND list_contains(?, region_code)""",
            [leagues]).fetchall()[0]
        region = con.execute("""SELECT value, unit_submitted FROM current_observations
                                WHERE indicator_code = 'CX-02' AND period = '2020' AND region_code = '150000'""")
        region_value, unit = region.fetchall()[0]
        synthetic = con.execute("SELECT count(*) FROM current_observations WHERE synthetic").fetchall()[0][0]
    assert n == 12 and total == pytest.approx(2404.9155, abs=1e-9)
    assert region_value == pytest.approx(2404.9155, abs=1e-9) and unit == "人"
    assert synthetic == 0


def test_industrial_cloud_enterprises_submitted_in_wan_hu_are_stored_in_hu(catalogue, settings):
    load_files(REFERENCE, catalogue, settings)
    with warehouse.reader(settings.paths.warehouse) as con:
        value = con.execute("""SELECT value FROM current_observations
                               WHERE indicator_code = 'ID-03' AND region_code = '150000' AND period = '2021'""")
        assert value.fetchall()[0][0] == pytest.approx(16000)
