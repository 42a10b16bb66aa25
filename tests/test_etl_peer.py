"""The peer check (peer_outlier): a value far from the other units of its level — the modified z-score
0.6745 × (x − median) / MAD of the same indicator and period, the file's values on top of the warehouse's — is a
warning on its own line; small groups and groups whose MAD is 0 are not compared, and the file still loads.
"""

from __future__ import annotations

from pathlib import Path

from helpers import SUBMISSIONS, load, make_warehouse, settings_for

from etl.pipeline import check_files
from indicators.base.catalogue import default_catalogue
from indicators.storage import warehouse

PEER_OUTLIER = SUBMISSIONS / "warn" / "peer-outlier.csv"  # eleven leagues at 1000…1400 个, Baotou at 60000
LEAGUES = ("150100", "150200", "150300", "150400", "150500", "150600", "150700", "150800", "150900", "152200",
           "152500", "152900")
HEADER = "indicator_code,region_code,period,value,unit\n"


def _file(tmp_path: Path, name: str, rows: list[tuple[str, str, str, object, str]]) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(",".join(map(str, row)) + "\n" for row in rows), encoding="utf-8")
    return path


def _check(db: Path, path: Path, **overrides):
    [result] = check_files([path], default_catalogue(), settings_for(db).with_overrides(**overrides))
    return result


def _counties(n: int) -> list[str]:
    return [r.code for r in default_catalogue().regions.at_level("county")][:n]


def test_a_league_fifty_times_its_peers_is_the_one_row_warned_with_its_line_and_modified_z_score(tmp_path):
    result = _check(make_warehouse(tmp_path), PEER_OUTLIER)

    assert result.errors == []
    [warning] = result.warnings
    assert (warning.rule, warning.line, warning.column, warning.value) == ("peer_outlier", 3, "value", "60000")
    # median 1200, MAD 100: z = 0.6745 × (60000 − 1200) / 100 = 396.6
    assert warning.message_zh == ("2023Q2的数值60000 个远离12个同级盟市的中位数1200 个（修正z值+396.6，超过阈值±3.5），"
                                  "请核实")
    assert warning.message_en == ("value 60000 for 2023Q2 lies far from the median 1200 of the 12 leagues "
                                  "reporting it (modified z-score +396.6, beyond the ±3.5 threshold); please check")


def test_the_threshold_comes_from_the_settings(tmp_path):
    db = make_warehouse(tmp_path)
    assert _check(db, PEER_OUTLIER, etl_peer_z_threshold=400.0).warnings == []
    # 1000 and 1400: z = ∓0.6745 × 200 / 100 = ∓1.35; 1050 and 1350: ∓1.01
    assert [w.line for w in _check(db, PEER_OUTLIER, etl_peer_z_threshold=1.0).warnings] == [2, 3, 4, 12, 13]


def test_fewer_units_than_peer_min_units_are_not_compared(tmp_path):
    db = make_warehouse(tmp_path)
    few = _file(tmp_path, "four-leagues.csv", [("DI-01", code, "2023Q2", value, "个") for code, value in
                                               zip(LEAGUES, (1000, 60000, 1100, 1200), strict=False)])

    assert _check(db, few).warnings == []
    assert [(w.rule, w.line) for w in _check(db, few, etl_peer_min_units=4).warnings] == [("peer_outlier", 3)]


def test_a_group_whose_mad_is_zero_is_not_compared(tmp_path):
    """Seven of twelve leagues report 100 %: the median deviation is 0 and a deviation from an identical majority
    has no scale, so neither 20 % nor anything else is flagged (the mean absolute deviation is not used instead)."""
    values = (100, 100, 100, 100, 100, 100, 100, 95, 90, 85, 80, 20)
    path = _file(tmp_path, "coverage.csv", [("DG-01", code, "2023", value, "%")
                                            for code, value in zip(LEAGUES, values, strict=True)])

    assert _check(make_warehouse(tmp_path), path).warnings == []


def test_a_peer_outlier_does_not_stop_the_load_and_is_recorded_with_the_batch(tmp_path):
    db = make_warehouse(tmp_path)

    [result] = load(db, [PEER_OUTLIER])

    assert result.status == "loaded" and result.counts["new"] == 12
    with warehouse.reader(db) as con:
        assert con.execute("SELECT n_warnings FROM batches WHERE batch_id = ?", [result.batch_id]).fetchall() == [(1,)]
        assert con.execute("SELECT line, \"column\", value, rule, severity FROM problems WHERE batch_id = ?",
                           [result.batch_id]).fetchall() == [(3, "value", "60000", "peer_outlier", "warning")]


def test_a_county_file_is_compared_with_the_county_peers_in_the_warehouse_and_warned_only_on_its_own_rows(tmp_path):
    """Twenty counties in the warehouse near 50 个, one of them at 5000 (an old mistake): a file for two more
    counties is compared with all twenty-two; its 4800 is warned, the warehouse's 5000 is not (not the file's row)."""
    counties = _counties(22)
    stored = [("DI-01", code, "2023Q3", 40 + i, "个") for i, code in enumerate(counties[:20])]
    stored[7] = ("DI-01", counties[7], "2023Q3", 5000, "个")
    db = make_warehouse(tmp_path, files=[_file(tmp_path, "stored.csv", stored)])
    path = _file(tmp_path, "two-counties.csv", [("DI-01", counties[20], "2023Q3", 55, "个"),
                                                ("DI-01", counties[21], "2023Q3", 4800, "个")])

    [warning] = _check(db, path).warnings

    assert (warning.rule, warning.line, warning.value) == ("peer_outlier", 3, "4800")
    assert "远离22个同级旗县的中位数51.5 个" in warning.message_zh and "of the 22 counties reporting it" in warning.message_en


def test_the_file_value_replaces_the_warehouse_value_of_the_same_unit(tmp_path):
    """The warehouse's 5000 corrected to 47 by the file: the corrected value is a peer, the old one is not, and a
    correction is not warned; the same county's 5000 sent again is (against twenty units, not twenty-one)."""
    counties = _counties(20)
    stored = [("DI-01", code, "2023Q3", 40 + i, "个") for i, code in enumerate(counties)]
    stored[7] = ("DI-01", counties[7], "2023Q3", 5000, "个")
    db = make_warehouse(tmp_path, files=[_file(tmp_path, "stored.csv", stored)])

    corrected = _file(tmp_path, "corrected.csv", [("DI-01", counties[7], "2023Q3", 47, "个")])
    assert _check(db, corrected).warnings == []
    again = _file(tmp_path, "again.csv", [("DI-01", counties[7], "2023Q3", 5000, "个")])
    [warning] = _check(db, again).warnings
    assert warning.rule == "peer_outlier" and "of the 20 counties reporting it" in warning.message_en


def test_a_row_both_far_from_last_year_and_from_its_peers_is_reported_once_as_the_year_on_year_change(tmp_path):
    db = make_warehouse(tmp_path, files=[_file(tmp_path, "last-year.csv", [("DI-01", LEAGUES[1], "2022Q2", 1200, "个")])])

    [warning] = _check(db, PEER_OUTLIER).warnings

    assert (warning.rule, warning.line) == ("yoy_change", 3)


def test_warehouse_values_alone_raise_no_warning_and_other_levels_are_not_peers(tmp_path):
    """A file of one league is compared with the eleven others stored; the region's own value (another level) is
    not a peer, however large."""
    stored = [("DI-01", code, "2023Q2", value, "个") for code, value in
              zip(LEAGUES[2:], (1000, 1050, 1100, 1150, 1200, 1200, 1200, 1250, 1300, 1350), strict=True)]
    db = make_warehouse(tmp_path, files=[_file(tmp_path, "stored.csv", stored + [
        ("DI-01", "150000", "2023Q2", 900000, "个"), ("DI-01", LEAGUES[1], "2023Q2", 90000, "个")])])

    usual = _file(tmp_path, "hohhot.csv", [("DI-01", LEAGUES[0], "2023Q2", 1400, "个")])
    assert _check(db, usual).warnings == []
    odd = _file(tmp_path, "hohhot-odd.csv", [("DI-01", LEAGUES[0], "2023Q2", 14000, "个")])
    assert [w.rule for w in _check(db, odd).warnings] == ["peer_outlier"]
