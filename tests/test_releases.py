"""Releases and the embargo (docs/releases.md): a loaded value stays out of the public warehouse until the review
accepted it and a release covering its period was carried out; revisions of released values go out with the next
release (or at once as a correction) with their reason; the calendar is checked; every release is in the audit
trail. Real warehouses through the production loader, the real application database, the `dem` CLI."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pytest
from helpers import SUBMISSIONS, make_warehouse, run_dem, settings_for

from etl import release as etl_release
from etl.pipeline import load_files
from indicators.base.catalogue import default_catalogue
from indicators.base.errors import ConfigError, DataError, UsageError
from indicators.base.releases import Release, load_calendar, parse_time
from indicators.engine import release
from indicators.storage import appdb, warehouse

GOOD = SUBMISSIONS / "good" / "long-utf8-en-formA-plain-lf.csv"
HOHHOT_GDP = ("CX-01", "150100", "2023")


def public_value(db, key=HOHHOT_GDP):
    """The current value of a key in the public warehouse (None: not public), and in its derived layer."""
    public = warehouse.public_path(db)
    if not public.exists():
        return None
    with warehouse.reader(public) as con:
        row = warehouse.first_row(con, "SELECT value FROM current_observations WHERE indicator_code = ? AND "
                                       "region_code = ? AND period = ?", list(key))
    return row[0] if row else None


def revise(db, tmp_path, value: str, reason: str, name: str = "revision.csv") -> int:
    """Load a revision of Hohhot's 2023 GDP and accept it with `reason` (the bureau's comment); its batch."""
    path = tmp_path / name
    path.write_text("indicator_code,region_code,period,value,unit,note,source\n"
                    f"CX-01,150100,2023,{value},亿元,核实,统计局\n", encoding="utf-8")
    [result] = load_files([path], default_catalogue(), settings_for(db))
    assert result.accepted, result.errors
    with appdb.opened(settings_for(db).paths.app_db) as con:
        appdb.record_review(con, result.batch_id, 0, "bureau", "accept", "analyst", "test", reason)
    return result.batch_id


def carry_out(db, periods=("*",), release_id="R1", when=None):
    when = when or warehouse.utc_now()
    rel = Release(release_id, when, periods, "发布", "release")
    return etl_release.publish_release(rel, default_catalogue(), settings_for(db), "admin", "test", now=when)


def test_a_loaded_value_is_not_public_until_the_review_accepted_it_and_a_release_covered_its_period(tmp_path):
    db = make_warehouse(tmp_path, files=[GOOD], release=False)
    assert not warehouse.public_path(db).exists()
    nothing = carry_out(db, release_id="R1")  # nothing accepted yet: a release makes nothing public
    assert nothing.vintages == 0 and public_value(db) is None
    etl_release.accept_unreviewed(default_catalogue(), settings_for(db), "analyst", "checked")
    assert carry_out(db, periods=("2022*",), release_id="R2").vintages == 0  # accepted, but another period
    assert public_value(db) is None
    done = carry_out(db, periods=("2023",), release_id="R3")
    assert done.vintages > 0 and done.revising == 0
    assert public_value(db) == 3801.2
    with warehouse.reader(warehouse.public_path(db)) as con:
        periods = {p for (p,) in con.execute("SELECT DISTINCT period FROM current_observations").fetchall()}
        derived = con.execute("SELECT count(*) FROM facts WHERE period = '2023'").fetchone()[0]
    assert periods == {"2023"} and derived > 0  # only the released period, with its own derived layer
    with warehouse.reader(db) as con:  # the working warehouse keeps every period
        assert con.execute("SELECT count(DISTINCT period) FROM current_observations").fetchone()[0] >= len(periods)


def test_the_scheduled_job_releases_nothing_before_its_time_and_everything_due_after(tmp_path, config_copy,
                                                                                  monkeypatch):
    monkeypatch.setenv("DEM_CONFIG", str(config_copy))
    (config_copy / "releases.csv").write_text(
        "release_id,release_at,periods,title_zh,title_en\n"
        "R2023,2025-06-30 09:30,2023*,2023年数据,Data 2023\n", encoding="utf-8")
    db = make_warehouse(tmp_path, files=[GOOD], release=False)
    settings = settings_for(db)
    etl_release.accept_unreviewed(default_catalogue(), settings, "analyst", "checked")
    before, after = parse_time("2025-06-30 09:29"), parse_time("2025-06-30 09:30")
    assert etl_release.due(default_catalogue(), settings, now=before) == []
    assert public_value(db) is None  # the job made the (empty) public warehouse, nothing in it
    [done] = etl_release.due(default_catalogue(), settings, now=after)
    assert done.release_id == "R2023" and public_value(db) is not None
    assert etl_release.due(default_catalogue(), settings, now=after + timedelta(days=1)) == []  # once only
    with pytest.raises(UsageError, match="carried out already"):
        etl_release.publish_release(etl_release.find("R2023"), default_catalogue(), settings, "admin")


def test_a_revision_of_a_released_value_goes_out_with_the_next_release_with_its_reason(tmp_path):
    db = make_warehouse(tmp_path, files=[GOOD])  # everything accepted and released (T1)
    first = public_value(db)
    batch = revise(db, tmp_path, "3850", "统计局核实后更正 verified by the bureau")
    assert public_value(db) == first  # accepted, not released yet
    outcome = carry_out(db, periods=("2030",), release_id="R2")  # the next release, of another period
    assert outcome.batches == [batch] and outcome.revising == 1
    assert public_value(db) == 3850.0
    with warehouse.reader(warehouse.public_path(db)) as con:
        [row] = release.revisions(con).to_dict("records")
        history = con.execute("SELECT value FROM observations WHERE indicator_code = 'CX-01' AND region_code = "
                              "'150100' AND period = '2023' ORDER BY batch_id").fetchall()
    assert (row["old_value"], row["new_value"], row["release_id"]) == (first, 3850.0, "R2")
    assert row["reason"] == "统计局核实后更正 verified by the bureau"
    assert [v for (v,) in history] == [first, 3850.0]  # the old value stays in the history


def test_a_correction_is_public_at_once_needs_a_reason_and_an_accepted_batch(tmp_path):
    db = make_warehouse(tmp_path, files=[GOOD])
    cat, settings = default_catalogue(), settings_for(db)
    batch = revise(db, tmp_path, "3700", "录入错误 typing error")
    with pytest.raises(UsageError, match="reason"):
        etl_release.correct(batch, " ", cat, settings, "admin")
    path = tmp_path / "unaccepted.csv"
    path.write_text("indicator_code,region_code,period,value,unit\nCX-01,150100,2023,3710,亿元\n", encoding="utf-8")
    [pending] = load_files([path], cat, settings)
    with pytest.raises(DataError, match="not accepted"):
        etl_release.correct(pending.batch_id, "why", cat, settings, "admin")
    outcome = etl_release.correct(batch, "录入错误 typing error", cat, settings, "admin")
    assert outcome.release_id.startswith(f"C{batch}-") and outcome.revising == 1
    assert public_value(db) == 3700.0  # the later, unaccepted 3710 stays internal
    with warehouse.reader(warehouse.public_path(db)) as con:
        [row] = release.revisions(con).to_dict("records")
    assert (row["kind"], row["reason"]) == ("correction", "录入错误 typing error")


def test_releases_are_in_the_audit_trail_which_still_verifies(tmp_path):
    db = make_warehouse(tmp_path, files=[GOOD])
    with appdb.opened(settings_for(db).paths.app_db) as con:
        [event] = [e for e in appdb.events(con) if e["action"] == "release"]
        assert appdb.verify_events(con) == []
    assert event["target"] == "release T1" and event["actor"] == "test" and "vintages" in event["detail"]


def test_a_public_warehouse_left_behind_by_a_crash_is_rebuilt_by_the_next_scheduled_run(tmp_path):
    db = make_warehouse(tmp_path, files=[GOOD])
    warehouse.public_path(db).unlink()
    assert etl_release.lagging(settings_for(db), default_catalogue())
    etl_release.due(default_catalogue(), settings_for(db), now=datetime(2000, 1, 1))
    assert public_value(db) is not None and not etl_release.lagging(settings_for(db), default_catalogue())


def test_a_public_warehouse_derived_with_other_settings_is_rebuilt_by_the_next_scheduled_run(tmp_path):
    db = make_warehouse(tmp_path, files=[GOOD])
    changed = settings_for(db).with_overrides(progress_on_track=0.9)  # e.g. the settings were edited
    assert not etl_release.lagging(settings_for(db), default_catalogue())
    assert etl_release.lagging(changed, default_catalogue())
    assert etl_release.due(default_catalogue(), changed, now=datetime(2000, 1, 1)) == []  # no release due …
    assert not etl_release.lagging(changed, default_catalogue())  # … but the public layer was derived again


def test_dem_data_rebuild_rebuilds_the_public_warehouse_too(tmp_path):
    db = make_warehouse(tmp_path, files=[GOOD])
    before = warehouse.public_path(db).stat().st_ino
    assert run_dem("data", "rebuild", db=db).returncode == 0
    assert warehouse.public_path(db).stat().st_ino != before and public_value(db) == 3801.2


@pytest.mark.parametrize(("line", "expected"), [
    ("R1,2025-13-01 09:30,2024,标题,Title", "column release_at: '2025-13-01 09:30'"),
    ("R1,2025-06-30 09:30,2024Q5,标题,Title", "column periods: ['2024Q5']"),
    ("R 1,2025-06-30 09:30,2024,标题,Title", "column release_id: 'R 1'"),
    ("R1,2025-06-30 09:30,2024,,Title", "needs title_zh and title_en"),
])
def test_a_bad_calendar_row_is_a_configuration_error_naming_line_column_and_value(tmp_path, line, expected):
    path = tmp_path / "releases.csv"
    path.write_text("release_id,release_at,periods,title_zh,title_en\n" + line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_calendar(path)
    assert f"releases.csv line 2, {expected}" in str(caught.value) or expected in str(caught.value)


@pytest.mark.parametrize("content", ["foo,bar\n", ""], ids=["garbage-header", "empty"])
def test_a_calendar_without_its_columns_is_a_configuration_error_not_an_empty_calendar(tmp_path, content):
    path = tmp_path / "releases.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="releases.csv: missing column release_id"):
        load_calendar(path)


def test_the_shipped_calendar_loads_and_covers_periods_as_documented():
    calendar = load_calendar()
    assert [r.release_id for r in calendar][-1] == "R2024M12"
    year = Release("X", parse_time("2025-01-01 00:00"), ("2023*",), "x", "x")
    assert year.covers("2023") and year.covers("2023Q4") and year.covers("2023M12") and not year.covers("2024")
    assert not Release("Y", year.at, ("2023",), "x", "x").covers("2023Q1")
    assert parse_time("2025-06-30 09:30") == datetime(2025, 6, 30, 1, 30)


def test_dem_data_export_writes_released_values_unless_asked_for_preliminary_ones(tmp_path):
    db = make_warehouse(tmp_path, files=[GOOD])
    revise(db, tmp_path, "3999", "test")
    public, preliminary = tmp_path / "public.csv", tmp_path / "preliminary.csv"
    assert run_dem("data", "export", "--out", str(public), db=db).returncode == 0
    assert run_dem("data", "export", "--out", str(preliminary), "--preliminary", db=db).returncode == 0
    assert "3999" not in public.read_text(encoding="utf-8-sig")
    assert "3999" in preliminary.read_text(encoding="utf-8-sig")
    assert "preliminary" in preliminary.with_name("preliminary.metadata.csv").read_text(encoding="utf-8-sig")


def test_release_commands_list_publish_and_refuse_an_unknown_release(tmp_path):
    db = make_warehouse(tmp_path, files=[GOOD], release=False)
    listed = run_dem("release", "list", "--format", "csv", db=db)
    assert listed.returncode == 0 and "R2024M12" in listed.stdout
    unknown = run_dem("release", "publish", "NOPE", db=db)
    assert unknown.returncode == 2 and "no release NOPE" in unknown.stderr + unknown.stdout
    done = run_dem("release", "publish", "R2023", db=db)
    assert done.returncode == 0 and "release R2023" in done.stdout
    again = run_dem("release", "list", "--format", "csv", db=db)
    assert any(line.startswith("R2023,") for line in again.stdout.splitlines())
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT released_by FROM releases").fetchone()[0].startswith("os:")
    assert public_value(db) is None  # nothing was accepted: the release made nothing public
