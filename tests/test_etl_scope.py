"""The ETL enforces who may submit what: an officer's file may hold only its own unit and the units below it (rule
out_of_scope, an error that rejects the file and leaves the warehouse as it was); the bureau may submit anything;
files without a submitter (the inbox, `dem etl load`) are not scope-checked. The batch records the submitter.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SUBMISSIONS, batches, export_bytes, make_warehouse, settings_for

from etl.pipeline import check_files, load_files
from etl.submitter import Submitter
from indicators.base.catalogue import default_catalogue
from indicators.storage import warehouse

# rule → the test (in this module) that makes it fire; read by test_etl_rules' coverage check
TESTED_ELSEWHERE = {"out_of_scope": "test_an_officer_of_baotou_submitting_hohhot_is_rejected_on_that_line_and_nothing_is_loaded"}

BAOTOU, HOHHOT, DONGHE = "150200", "150100", "150202"  # 包头市, 呼和浩特市, 东河区 (a county of Baotou)


def _file(tmp_path: Path, rows: list[str], name: str = "submission.csv") -> Path:
    path = tmp_path / name
    path.write_text("indicator_code,region_code,period,value,unit\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _submitted(db: Path) -> list[tuple]:
    with warehouse.reader(db) as con:
        return con.execute("SELECT batch_id, status, submitter FROM batches ORDER BY batch_id").fetchall()


@pytest.fixture
def db(tmp_path) -> Path:
    return make_warehouse(tmp_path, files=[SUBMISSIONS / "base" / "base.csv"])


def test_an_officer_of_baotou_submitting_hohhot_is_rejected_on_that_line_and_nothing_is_loaded(tmp_path, db):
    path = _file(tmp_path, [f"CX-01,{BAOTOU},2023,4000,亿元", f"CX-01,{HOHHOT},2023,3800,亿元",
                            f"CX-01,{DONGHE},2023,500,亿元"])
    before = export_bytes(db)

    [result] = load_files([path], default_catalogue(), settings_for(db), submitter=Submitter("baotou", BAOTOU))

    assert result.status == "rejected"
    [problem] = result.errors
    assert (problem.rule, problem.line, problem.column, problem.value) == ("out_of_scope", 3, "region_code", HOHHOT)
    assert problem.message_zh == ("地区“150100”（呼和浩特市）不在报送账号baotou的报送范围（包头市及所辖地区）内，"
                                  "不能由该账号报送")
    assert problem.message_en == ("region '150100' (Hohhot) is outside the scope of the account baotou (Baotou and "
                                  "the units below it); it cannot be submitted from this account")
    assert export_bytes(db) == before
    assert _submitted(db)[-1][1:] == ("rejected", "baotou")
    with warehouse.reader(db) as con:  # Hohhot's quality cell does not turn "rejected" for another league's file
        assert con.execute("SELECT DISTINCT league_code FROM rejected_keys").fetchall() == [(BAOTOU,)]


def test_the_check_reports_out_of_scope_for_every_such_line_and_the_same_file_passes_for_the_bureau(tmp_path, db):
    path = _file(tmp_path, [f"CX-01,{HOHHOT},2023,3800,亿元", "CX-01,呼市,2022,3600,亿元", f"CX-01,{BAOTOU},2023,4000,亿元"])

    [officer] = check_files([path], default_catalogue(), settings_for(db), submitter=Submitter("baotou", BAOTOU))
    [bureau] = check_files([path], default_catalogue(), settings_for(db), submitter=Submitter("analyst", None))

    assert [(p.rule, p.line, p.value) for p in officer.errors] == [("out_of_scope", 2, HOHHOT),
                                                                   ("out_of_scope", 3, "呼市")]
    assert officer.summary()["submitter"] == "baotou"
    assert bureau.accepted and not bureau.errors


def test_a_league_officer_may_submit_its_counties_and_the_batch_records_the_submitter(tmp_path, db):
    path = _file(tmp_path, [f"CX-01,{BAOTOU},2023,4000,亿元", f"CX-01,{DONGHE},2023,500,亿元",
                            f"DI-01,{DONGHE},2023Q1,40,个"])

    [result] = load_files([path], default_catalogue(), settings_for(db), submitter=Submitter("baotou", BAOTOU))

    assert result.status == "loaded", [p.text() for p in result.errors]
    assert result.counts["new"] == 3
    assert _submitted(db)[-1] == (result.batch_id, "loaded", "baotou")


def test_a_county_officer_may_not_submit_its_league(tmp_path, db):
    path = _file(tmp_path, [f"CX-01,{DONGHE},2023,500,亿元", f"CX-01,{BAOTOU},2023,4000,亿元"])

    [result] = check_files([path], default_catalogue(), settings_for(db), submitter=Submitter("donghe", DONGHE))

    assert [(p.rule, p.line) for p in result.errors] == [("out_of_scope", 3)]
    assert "（东河区）" in result.errors[0].message_zh


def test_the_bureau_may_submit_any_unit(tmp_path, db):
    path = _file(tmp_path, [f"CX-01,{HOHHOT},2023,3800,亿元", f"CX-01,{DONGHE},2023,500,亿元", "CX-01,150000,2023,24000,亿元"])

    [result] = load_files([path], default_catalogue(), settings_for(db), submitter=Submitter("admin", None))

    assert result.status == "loaded"
    assert _submitted(db)[-1][1:] == ("loaded", "admin")


def test_an_unknown_region_is_reported_as_unknown_not_as_out_of_scope(tmp_path, db):
    path = _file(tmp_path, [f"CX-01,{BAOTOU},2023,4000,亿元", "CX-01,159999,2023,1,亿元"])

    [result] = check_files([path], default_catalogue(), settings_for(db), submitter=Submitter("baotou", BAOTOU))

    assert [(p.rule, p.line) for p in result.errors] == [("unknown_region", 3)]


def test_out_of_scope_comes_before_level_not_reported_on_the_region(tmp_path, db):
    """DR-01 is not reported by counties, and 150102 is not Baotou's: the one thing to say is the scope."""
    path = _file(tmp_path, ["DR-01,150102,2023Q1,50,%"])

    [result] = check_files([path], default_catalogue(), settings_for(db), submitter=Submitter("baotou", BAOTOU))

    assert [p.rule for p in result.errors] == ["out_of_scope"]


def test_an_officer_without_a_region_may_submit_nothing_and_files_of_the_inbox_are_not_scope_checked(tmp_path, db):
    path = _file(tmp_path, [f"CX-01,{BAOTOU},2023,4000,亿元"])

    [officer] = check_files([path], default_catalogue(), settings_for(db),
                            submitter=Submitter.of("nobody", "officer", None))
    [inbox] = load_files([path], default_catalogue(), settings_for(db))

    assert [p.rule for p in officer.errors] == ["out_of_scope"] and "未指定地区" in officer.errors[0].message_zh
    assert inbox.status == "loaded" and _submitted(db)[-1][1:] == ("loaded", None)
    assert [b[2] for b in batches(db)] == ["loaded", "loaded"]


def test_an_account_maps_to_its_submitter():
    assert Submitter.of("u", "officer", BAOTOU) == Submitter("u", BAOTOU)
    assert Submitter.of("a", "analyst", None) == Submitter("a", None)
    assert Submitter.of("root", "admin", None).scope is None
    assert default_catalogue().regions.within(DONGHE) == {DONGHE}
    assert len(default_catalogue().regions.within("150000")) == 116
