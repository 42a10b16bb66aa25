"""Observation status (indicators.base.status, docs/submission-format.md): a submission's `status` / 数据状态 column
is validated and kept with each value (A normal, P provisional, E estimated, F forecast); a status change is a new
vintage; totals, annual roll-ups and derived values take the least final status of their inputs; the exports, the
Parquet publication, SDMX-CSV and the API carry it.
"""

from __future__ import annotations

import csv
import io

import duckdb
import pyarrow.dataset as pads
import pytest
from helpers import load, make_warehouse, run_dem

from indicators.base import status
from indicators.storage import warehouse

LEAGUES = ["150100", "150200", "150300", "150400", "150500", "150600", "150700", "150800", "150900", "152200",
           "152500", "152900"]


def _file(tmp_path, name: str, rows: list[str], header: str = "indicator_code,region_code,period,value,status") -> str:
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _current(db, *where: str) -> list[tuple]:
    with warehouse.reader(db) as con:
        return con.execute("SELECT region_code, period, value, obs_status FROM current_observations "
                           f"WHERE {' AND '.join(where) or 'true'} ORDER BY region_code, period").fetchall()


def _fact(db, indicator: str, region: str, period: str) -> str:
    with warehouse.reader(db) as con:
        return con.execute("SELECT obs_status FROM facts WHERE indicator_code = ? AND region_code = ? AND period = ?",
                           [indicator, region, period]).fetchone()[0]


@pytest.mark.parametrize(("written", "code"), [
    ("", "A"), ("A", "A"), ("正式数", "A"), ("final", "A"), ("p", "P"), ("快报", "P"), ("初步数", "P"),
    ("Ｅ", "E"), ("估计数", "E"), ("预计数", "E"), ("约数", "E"), ("下限值", "E"), ("F", "F"), ("预测", "F"),
    ("Forecast", "F")])
def test_a_status_word_or_code_is_stored_as_its_sdmx_code(tmp_path, written, code):
    assert status.parse(written) == code
    db = tmp_path / "warehouse" / "dem.duckdb"
    [result] = load(db, [_file(tmp_path, "s.csv", [f"CX-01,150100,2023,3801.2,{written}"])])
    assert result.status == "loaded"
    assert _current(db) == [("150100", "2023", 3801.2, code)]


def test_the_status_column_is_recognised_by_its_chinese_header_in_a_wide_table(tmp_path):
    db = tmp_path / "warehouse" / "dem.duckdb"
    path = _file(tmp_path, "wide.csv", ["CX-01,呼市,亿元,快报,3500,3801.2"], header="指标代码,地区,单位,数据状态,2022年,2023年")
    [result] = load(db, [path])
    assert result.status == "loaded"
    assert _current(db) == [("150100", "2022", 3500.0, "P"), ("150100", "2023", 3801.2, "P")]


def test_an_unknown_status_rejects_the_file_naming_line_column_value_and_the_allowed_codes(tmp_path):
    db = make_warehouse(tmp_path, files=[])
    [result] = load(db, [_file(tmp_path, "s.csv", ["CX-01,150100,2023,3801.2,E", "CX-01,150200,2023,4000,待定"])])
    assert result.status == "rejected"
    [problem] = result.errors
    assert (problem.rule, problem.line, problem.column, problem.value) == ("bad_status", 3, "status", "待定")
    assert "A 正式数、P 初步数/快报、E 估计数/预计数/约数/下限值、F 预测数" in problem.message_zh
    assert "allowed: A normal, P provisional, E estimated, F forecast" in problem.message_en
    assert _current(db) == []


def test_the_same_value_twice_with_different_statuses_is_a_conflict_not_a_duplicate(tmp_path):
    db = tmp_path / "warehouse" / "dem.duckdb"
    [result] = load(db, [_file(tmp_path, "s.csv", ["CX-01,150100,2023,3801.2,P", "CX-01,150100,2023,3801.2,A"])])
    assert result.status == "rejected"
    assert [p.rule for p in result.errors] == ["conflicting_duplicate"]


def test_a_provisional_value_confirmed_as_final_is_a_new_vintage_and_the_old_one_stays(tmp_path):
    db = tmp_path / "warehouse" / "dem.duckdb"
    load(db, [_file(tmp_path, "first.csv", ["CX-01,150100,2023,3801.2,快报"])])
    [result] = load(db, [_file(tmp_path, "final.csv", ["CX-01,150100,2023,3801.2,"])])
    assert result.counts.get("revised") == 1
    with warehouse.reader(db) as con:
        vintages = con.execute("SELECT obs_status, superseded_by IS NULL FROM observations ORDER BY batch_id").fetchall()
    assert vintages == [("P", False), ("A", True)]
    [again] = load(db, [_file(tmp_path, "same.csv", ["CX-01,150100,2023,3801.2,正式数"])])
    assert again.counts.get("unchanged") == 1 and not again.counts.get("revised")


def test_totals_rollups_and_derived_values_take_the_least_final_status_of_their_inputs(tmp_path):
    rows = [f"DP-01,{code},2023,{10 + k},{'估计数' if code == '150200' else ''}" for k, code in enumerate(LEAGUES)]
    rows += [f"CX-01,{code},2023,{1000 + k},{'F' if code == '150300' else ''}" for k, code in enumerate(LEAGUES)]
    rows += ["DR-03,150100,2023Q1,1,", "DR-03,150100,2023Q2,1,快报", "DR-03,150100,2023Q3,1,", "DR-03,150100,2023Q4,1,",
             "DI-01,150100,2023Q3,5,E", "DI-01,150100,2023Q4,6,P"]
    db = make_warehouse(tmp_path, files=[_file(tmp_path, "inputs.csv", rows)], release=False)

    assert _fact(db, "DP-01", "150000", "2023") == "E"  # one estimated league: the region's sum is estimated
    assert _fact(db, "CX-01", "150000", "2023") == "F"  # a forecast outweighs everything
    assert _fact(db, "DP-02", "150200", "2023") == "E"  # DP-01 / CX-01: estimated numerator
    assert _fact(db, "DP-02", "150300", "2023") == "F"
    assert _fact(db, "DP-02", "150100", "2023") == "A"
    assert _fact(db, "DR-03", "150100", "2023") == "P"  # a flow's annual sum: one provisional quarter
    assert _fact(db, "DI-01", "150100", "2023") == "P"  # a stock's annual value is its Q4 value, with its status


@pytest.fixture(scope="module")
def released_with_statuses(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("statuses")
    rows = ["CX-01,150100,2023,3801.2,快报", "CX-01,150200,2023,4000,", "DI-01,150100,2023Q4,12000,预计数"]
    return make_warehouse(tmp_path, files=[_file(tmp_path, "s.csv", rows)])


def test_csv_export_sdmx_csv_and_parquet_carry_the_status(released_with_statuses, tmp_path):
    db = released_with_statuses
    out = tmp_path / "obs.csv"
    assert run_dem("data", "export", "--out", str(out), db=db).returncode == 0
    exported = {(r["region_code"], r["period"]): r["obs_status"]
                for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))}
    assert exported == {("150100", "2023"): "P", ("150200", "2023"): "A", ("150100", "2023Q4"): "E"}

    sdmx_out = tmp_path / "sdmx.csv"
    assert run_dem("data", "export", "--format", "sdmx-csv", "--out", str(sdmx_out), db=db).returncode == 0
    rows = list(csv.DictReader(io.StringIO(sdmx_out.read_text(encoding="utf-8"))))
    assert {(r["REF_AREA"], r["TIME_PERIOD"]): r["OBS_STATUS"] for r in rows} == {
        ("150100", "2023"): "P", ("150200", "2023"): "A", ("150100", "2023-Q4"): "E"}

    folder = tmp_path / "parquet"
    assert run_dem("data", "publish-parquet", "--out", str(folder), db=db).returncode == 0
    table = pads.dataset(folder / "observations", partitioning="hive").to_table().to_pylist()
    assert {(r["region_code"], r["period"]): r["obs_status"] for r in table} == exported
    facts = pads.dataset(folder / "facts", partitioning="hive").to_table().to_pylist()
    by_key = {(r["indicator_code"], r["region_code"], r["period"]): r["obs_status"] for r in facts}
    assert by_key[("DI-01", "150100", "2023")] == "E"  # the annual value rolled up from the estimated Q4


def test_the_api_gives_the_status_of_each_value(released_with_statuses, auth_app):
    from dashboard import data

    app, settings = auth_app
    data.configure(settings.with_overrides(paths_warehouse=released_with_statuses))
    answer = app.server.test_client().get("/api/v1/observations?indicator=CX-01&level=league")
    assert answer.status_code == 200, answer.data
    assert {r["region_code"]: r["obs_status"] for r in answer.json["data"]} == {"150100": "P", "150200": "A"}


def test_a_published_file_holds_only_codes_of_the_code_list(released_with_statuses):
    with duckdb.connect(str(warehouse.public_path(released_with_statuses)), read_only=True) as con:
        codes = {row[0] for row in con.execute("SELECT DISTINCT obs_status FROM observations").fetchall()}
    assert codes <= set(status.CODES)


def test_a_printed_value_carries_its_status_flag_and_the_caption_explains_the_letters():
    from dashboard.report import tables

    assert tables.flagged({"value": 3801.2, "obs_status": "P"}, 1) == "3,801.2 p"
    assert tables.flagged({"value": 60000.0, "obs_status": "E"}, 0) == "60,000 e"
    assert tables.flagged({"value": 3801.2, "obs_status": "A"}, 1) == "3,801.2"
    assert status.flag_legend("zh") == "p 初步数 · e 估计数 · f 预测数"
    assert status.flag_legend("en") == "p provisional · e estimated · f forecast"


def test_the_dashboards_hover_names_a_status_that_is_not_normal():
    import pandas as pd

    from dashboard.figures import _status_text

    row = {"status": "reported", "synthetic": False, "revised": False, "complete": True}
    assert _status_text(pd.Series({**row, "obs_status": "E"}), "zh") == "本级报送 · 估计数"
    assert _status_text(pd.Series({**row, "obs_status": "P"}), "en").endswith("· provisional")
    assert _status_text(pd.Series({**row, "obs_status": "A"}), "zh") == "本级报送"


def test_the_league_profile_names_the_status_of_a_real_provisional_figure(auth_app):
    from dashboard.pages import league

    # 乌海市's 2023 GDP is the city's “初步核算” (data/reference/gdp_population.csv): provisional
    rows = league.profile("150300", 2023, "zh").set_index("indicator_code")
    assert rows.loc["CX-01", "kind"] == "本级报送 · 初步数"
    assert "provisional" in league.profile("150300", 2023, "en").set_index("indicator_code").loc["CX-01", "kind"]


def test_a_released_provisional_value_confirmed_as_final_is_listed_as_a_revision_of_its_status(tmp_path):
    from helpers import release_all

    from dashboard.report import tables
    from indicators.engine import release

    db = make_warehouse(tmp_path, files=[_file(tmp_path, "first.csv", ["CX-01,150100,2023,3801.2,快报"])])
    load(db, [_file(tmp_path, "final.csv", ["CX-01,150100,2023,3801.2,"])])
    release_all(db)
    with warehouse.reader(warehouse.public_path(db)) as con:
        [row] = release.revisions(con).to_dict("records")
    assert (row["old_value"], row["old_status"], row["new_value"], row["new_status"]) == (3801.2, "P", 3801.2, "A")
    assert status.change("P", "A", "zh") == "初步数 → 正式数" and status.change("A", None, "en") == ""
    assert tables.flagged({"value": row["old_value"], "obs_status": row["old_status"]}, 2) == "3,801.20 p"
