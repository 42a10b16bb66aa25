"""The reporting calendar (indicators.engine.obligations, `dem calendar`): what each unit owes, by when, and its
status — on real warehouses built by the production loader from files whose delivery time is set (the ETL records a
file's modification time as when it was received), the clock moved with settings.at."""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from helpers import invoke_dem, load, make_warehouse

from indicators.base.catalogue import default_catalogue
from indicators.base.settings import load_settings
from indicators.engine import obligations, quality
from indicators.storage.warehouse import reader

TODAY = date(2025, 6, 1)  # helpers.TODAY: the clock of the loads


def delivered(path: Path, text: str, at: str) -> Path:
    """A submission file handed in at `at` (UTC, ISO)."""
    path.write_text(text, encoding="utf-8")
    stamp = datetime.fromisoformat(at).replace(tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture(scope="module")
def calendar_db(tmp_path_factory) -> Path:
    """Hohhot hands in DR-02 for 2025Q1 on its deadline day (2025-05-15), Baotou five days after it; nobody else
    does. Then a Xilinhot (152502) file with CX-01 for 2024 and a row of an unknown county is rejected."""
    tmp = tmp_path_factory.mktemp("calendar")
    head = "indicator_code,region_code,period,value,unit\n"
    on_time = delivered(tmp / "hohhot.csv", head + "DR-02,150100,2025Q1,10,个\n", "2025-05-15T12:00:00")
    late = delivered(tmp / "baotou.csv", head + "DR-02,150200,2025Q1,12,个\n", "2025-05-20T09:00:00")
    db = make_warehouse(tmp, files=[on_time, late])
    bad = delivered(tmp / "xilinhot.csv", head + "CX-01,152502,2024,120.5,亿元\nCX-01,159999,2024,1,亿元\n",
                    "2025-04-02T08:00:00")
    [result] = load(db, [bad])
    assert result.status == "rejected"
    return db


def owed(db: Path, on: date = TODAY, periods_back: int = 3):
    with reader(db) as con:
        frame = obligations.obligations(con, default_catalogue(), load_settings().at(on), periods_back)
    return frame.set_index(["region_code", "indicator_code", "period"])


def test_a_value_handed_in_on_its_deadline_day_is_received_and_five_days_later_is_late(calendar_db):
    frame = owed(calendar_db)
    hohhot, baotou = frame.loc[("150100", "DR-02", "2025Q1")], frame.loc[("150200", "DR-02", "2025Q1")]
    assert hohhot["due"] == date(2025, 5, 15) and hohhot["status"] == "received" and hohhot["days_overdue"] == 0
    assert str(hohhot["received_at"])[:10] == "2025-05-15" and hohhot["batch_id"] == 1
    assert baotou["status"] == "late" and baotou["days_overdue"] == 0


def test_nothing_in_after_the_deadline_is_overdue_by_the_days_since_it(calendar_db):
    chifeng = owed(calendar_db).loc[("150400", "DR-02", "2025Q1")]
    assert chifeng["status"] == "overdue" and chifeng["days_overdue"] == 17  # 2025-05-15 → 2025-06-01


def test_a_period_whose_deadline_has_not_passed_is_due(calendar_db):
    frame = owed(calendar_db)
    may = frame.xs("2025M05", level="period")  # ended 2025-05-31, due 2025-06-20
    assert len(may) and set(may["status"]) == {"due"} and set(may["due"]) == {date(2025, 6, 20)}
    assert (may["days_overdue"] == 0).all()
    before_deadline = owed(calendar_db, on=date(2025, 5, 12)).loc[("150400", "DR-02", "2025Q1")]
    assert before_deadline["status"] == "due"


def test_a_rejected_file_marks_its_county_and_league_rejected_and_not_the_neighbours(calendar_db):
    frame = owed(calendar_db)
    assert frame.loc[("152502", "CX-01", "2024"), "status"] == "rejected"
    assert frame.loc[("152500", "CX-01", "2024"), "status"] == "rejected"  # the league's figure was held up
    assert frame.loc[("152501", "CX-01", "2024"), "status"] == "overdue"  # another county of Xilingol
    assert frame.loc[("150200", "CX-01", "2024"), "status"] == "overdue"
    assert frame.loc[("152502", "ID-08", "2024"), "status"] == "overdue"  # not in the rejected file
    assert frame.loc[("152502", "CX-01", "2024"), "days_overdue"] == 62  # due 2025-03-31


def test_units_owe_what_the_catalogue_says_at_their_frequency_and_level(calendar_db, catalogue):
    frame = owed(calendar_db, periods_back=1).reset_index()
    dr02 = frame[frame["indicator_code"] == "DR-02"]  # levels region, league: only the 12 leagues owe it
    assert set(dr02["region_level"]) == {"league"} and dr02["region_code"].nunique() == 12
    assert sorted(dr02["period"].unique()) == ["2024Q4", "2025Q1"]
    cx01 = frame[frame["indicator_code"] == "CX-01"]  # region, league, county: 12 + 103 units, 2024 and 2023
    assert cx01["region_code"].nunique() == 115 and sorted(cx01["period"].unique()) == ["2023", "2024"]
    assert not frame["indicator_code"].isin([i.code for i in catalogue.indicators.values() if i.is_derived]).any()
    assert "150000" not in set(frame["region_code"])  # the region's figure is compiled, not owed
    assert set(frame["status"]) <= set(obligations.STATUSES)


@pytest.mark.parametrize(("frequency", "on", "expected"), [
    ("annual", date(2025, 1, 1), [(2024, 0), (2023, 0)]),
    ("quarterly", date(2025, 6, 1), [(2025, 1), (2024, 4)]),
    ("quarterly", date(2025, 4, 1), [(2025, 1), (2024, 4)]),
    ("monthly", date(2025, 1, 15), [(2024, 12), (2024, 11)]),
    ("monthly", date(2025, 12, 31), [(2025, 11), (2025, 10)]),
])
def test_recent_periods_start_at_the_latest_period_that_has_ended(frequency, on, expected):
    assert obligations.recent_periods(frequency, on, 1) == expected


def test_dem_calendar_overdue_lists_a_leagues_overdue_obligations_as_csv(calendar_db):
    result = invoke_dem("calendar", "overdue", "--region", "锡盟", "--format", "csv", db=calendar_db)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert list(rows[0]) == ["region_code", "region_name", "indicator_code", "indicator_name", "period", "due",
                             "days_overdue", "status"]
    assert {r["region_code"][:4] for r in rows} == {"1525"}  # Xilingol and its counties only
    by_key = {(r["region_code"], r["indicator_code"], r["period"]): r for r in rows}
    assert by_key[("152502", "CX-01", "2024")] == {
        "region_code": "152502", "region_name": "锡林浩特市", "indicator_code": "CX-01", "indicator_name": "地区生产总值",
        "period": "2024", "due": "2025-03-31", "days_overdue": "62", "status": "rejected"}
    assert not any(r["status"] in ("due", "received", "late") for r in rows)
    days = [int(r["days_overdue"]) for r in rows]
    assert days == sorted(days, reverse=True)


def test_dem_calendar_overdue_as_of_a_day_before_a_deadline_leaves_that_period_out(calendar_db):
    result = invoke_dem("calendar", "overdue", "--as-of", "2025-05-12", "--region", "150400", "--format", "json",
                        db=calendar_db)
    assert result.exit_code == 0, result.output
    assert "2025Q1" not in result.output and '"2024Q4"' in result.output


def test_dem_calendar_show_counts_every_status(calendar_db):
    result = invoke_dem("calendar", "show", "--region", "150100", "--periods", "0", db=calendar_db)
    assert result.exit_code == 0, result.output
    assert "DR-02" in result.output and result.output.strip().splitlines()[-1].startswith("received 1 · late 0")


def test_the_quality_matrix_is_the_leagues_obligations_of_each_indicators_latest_period(calendar_db):
    cat = default_catalogue()
    with reader(calendar_db) as con:
        matrix = quality.submission_matrix(con, cat, load_settings().at(TODAY))
    state = matrix.set_index(["region_code", "indicator_code"])["state"]
    assert state[("150100", "DR-02")] == "received" and state[("150200", "DR-02")] == "late"
    assert state[("150400", "DR-02")] == "missing" and set(matrix["period"]) == {"2025Q1"}


def test_the_quality_matrix_on_the_demo_warehouse_is_unchanged_by_the_calendar(demo_warehouse):
    """Measured before the matrix was rebuilt on the obligations: 12 leagues × 73 indicators, 670 received and
    206 late on 2026-11-27 (the demo files carry their delivery times); the calendar agrees cell by cell."""
    cat, settings = default_catalogue(), load_settings().at(date(2026, 11, 27))
    with reader(demo_warehouse) as con:
        matrix = quality.submission_matrix(con, cat, settings)
        latest = quality._latest_native(con)
        owed_now = obligations.obligations(con, cat, settings, keys=latest)
    assert len(matrix) == 876 and matrix["region_code"].nunique() == 12
    assert matrix["state"].value_counts().to_dict() == {"received": 670, "late": 206}
    leagues = owed_now[owed_now["region_level"] == "league"]
    assert (leagues["status"].map(quality.MATRIX_STATE).to_numpy() == matrix["state"].to_numpy()).all()
