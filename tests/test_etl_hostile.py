"""Hostile and broken files (tests/hostile.py): each is rejected by `dem etl load` in a real process with the rule,
line and column that say what is wrong, exit 1, no traceback, less than 1 GiB of memory, and a warehouse whose
export is byte-identical before and after. Files that used to load only in part load completely.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import hostile
import pytest
from helpers import (
    ROOT,
    SUBMISSIONS,
    export_bytes,
    invoke_dem,
    load,
    make_warehouse,
    run_dem,
    run_dem_measured,
)

from etl.problems import FileRejected
from etl.source import SourceFile
from indicators.storage import warehouse

MEMORY_BOUND = 1 << 30  # the ETL's peak on any rejected file
# error rules without a file of their own in bad/ or hostile.CASES, and the test that produces each
TESTED_ELSEWHERE = {
    "file_too_large": "test_each_limit_comes_from_the_settings_and_is_named_in_the_message",
    "not_a_file": "test_a_named_pipe_is_refused_without_being_opened_for_long",
    "file_unreadable": "test_a_file_that_cannot_be_opened_is_reported_as_unreadable",
    "file_changed": "test_a_file_that_grows_while_it_is_read_is_refused_as_changed",
    "internal_error": "test_an_internal_error_on_one_file_gets_exit_70_a_short_message_and_the_traceback_in_the_log",
}


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, bytes]:
    db = make_warehouse(tmp_path_factory.mktemp("base"), files=[SUBMISSIONS / "base" / "base.csv"])
    return db, export_bytes(db)


def _case_params():
    return [pytest.param(name, marks=[pytest.mark.slow] if case.slow else [], id=name)
            for name, case in hostile.CASES.items()]


@pytest.mark.parametrize("name", _case_params())
def test_hostile_file_is_rejected_with_its_rule_in_bounded_memory_and_leaves_the_warehouse_unchanged(
        name, hostile_dir, base):
    case = hostile.CASES[name]
    path = case.build(hostile_dir)
    db, before = base

    result, peak = run_dem_measured("etl", "load", "--format", "json", str(path), db=db)

    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    [report] = json.loads(result.stdout)
    errors = [p for p in report["problems"] if p["severity"] == "error"]
    assert report["status"] == "rejected" and errors, report
    first = errors[0]
    assert (first["rule"], first["line"], first["column"]) == (case.rule, case.line, case.column), first
    assert first["value"].startswith(case.value), first["value"]
    assert first["message_zh"] and first["message_en"]
    assert peak < MEMORY_BOUND, f"peak memory {peak / 2**20:.0f} MiB"
    assert export_bytes(db) == before


def test_a_stray_quote_is_reported_where_it_opened_and_the_check_says_lines_against_records(hostile_dir, base):
    path = hostile.unbalanced_quote_719_lines(hostile_dir)

    checked = run_dem("etl", "check", str(path), db=base[0])

    assert checked.returncode == 1
    assert "719 line(s) read as 3 record(s); cells with line breaks: line 3 (717 lines)" in checked.stdout
    assert ("line 3, column note: the cell opens a quote on this line, but the quote is never closed: the 716 "
            "line(s) after it, to the end of the file, were joined into this cell") in checked.stdout
    assert "第3行 “note”列：本行的单元格以引号开头，但引号直到文件末尾都没有闭合" in checked.stdout


def test_a_note_over_two_lines_loads_and_the_summary_says_why_there_are_fewer_records_than_lines(tmp_path):
    path = hostile.multiline_note_ok(tmp_path)
    db = make_warehouse(tmp_path)

    loaded = run_dem("etl", "load", str(path), db=db)

    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert "5 line(s) read as 4 record(s); cells with line breaks: line 3 (2 lines)" in loaded.stdout
    assert "文件共5行，读出4条记录；单元格内含换行：第3行起2行" in loaded.stdout
    with warehouse.reader(db) as con:
        assert con.execute("SELECT note FROM observations WHERE line = 3").fetchall() == [("口径调整，\n详见说明",)]


@pytest.mark.parametrize("builder", [hostile.xlsx_stale_dimension, hostile.xlsx_dimension_a1],
                         ids=["declares-A1:E2", "declares-A1"])
def test_every_row_of_a_sheet_loads_whatever_size_the_sheet_declares(builder, tmp_path):
    path = builder(tmp_path)
    db = make_warehouse(tmp_path)

    [result] = load(db, [path])

    assert (result.status, result.counts["new"]) == ("loaded", 6), [p.text() for p in result.problems]
    with warehouse.reader(db) as con:
        lines = [r[0] for r in con.execute("SELECT line FROM observations ORDER BY line").fetchall()]
    assert lines == [2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize(("setting", "value", "rule"), [
    ("DEM_LIMITS_MAX_FILE_BYTES", "200", "file_too_large"),
    ("DEM_LIMITS_MAX_ROWS", "3", "too_many_rows"),
    ("DEM_LIMITS_MAX_COLUMNS", "4", "too_many_columns"),
    ("DEM_LIMITS_MAX_CELL_CHARS", "4", "cell_too_long"),
])
def test_each_limit_comes_from_the_settings_and_is_named_in_the_message(setting, value, rule, tmp_path):
    db = make_warehouse(tmp_path)
    good = SUBMISSIONS / "good" / "long-utf8-en-formA-plain-lf.csv"

    result = invoke_dem("etl", "check", "--format", "json", str(good), db=db, **{setting: value})

    assert result.exit_code == 1
    [report] = json.loads(result.output)
    assert [p["rule"] for p in report["problems"]][:1] == [rule]
    key = setting.removeprefix("DEM_LIMITS_").lower()
    assert f"[limits] {key}" in report["problems"][0]["message_en"]


def test_a_named_pipe_is_refused_without_being_opened_for_long(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    db = make_warehouse(tmp_path)

    result = run_dem("etl", "load", "--format", "json", str(fifo), db=db, timeout=60)

    assert result.returncode == 1 and "Traceback" not in result.stderr
    [report] = json.loads(result.stdout)
    assert [(p["rule"], p["message_en"]) for p in report["problems"]] == [
        ("not_a_file", "not a regular file (a named pipe); not read")]


def test_a_file_that_cannot_be_opened_is_reported_as_unreadable(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(FileRejected) as caught:
        SourceFile.open(blocker / "file.csv")
    [problem] = caught.value.problems
    assert (problem.rule, problem.message_en) == ("file_unreadable", "the file cannot be read: Not a directory")


def test_a_file_that_grows_while_it_is_read_is_refused_as_changed(tmp_path):
    path = tmp_path / "growing.csv"
    path.write_bytes(b"x" * (64 << 20))
    stop = threading.Event()

    def append() -> None:
        with path.open("ab") as f:
            while not stop.is_set():
                f.write(b"more,")
                f.flush()

    writer = threading.Thread(target=append)
    writer.start()
    try:
        with pytest.raises(FileRejected) as caught:
            SourceFile.open(path)
    finally:
        stop.set()
        writer.join()
    assert [p.rule for p in caught.value.problems] == ["file_changed"]


def test_an_internal_error_on_one_file_gets_exit_70_a_short_message_and_the_traceback_in_the_log(tmp_path):
    """A bug met while reading one file (here: a check that raises) is that file's verdict; the next file
    still loads, the terminal shows no traceback and the log has it."""
    db = make_warehouse(tmp_path)
    good = SUBMISSIONS / "good" / "long-utf8-en-formA-plain-lf.csv"
    crashing = tmp_path / "crash.csv"
    crashing.write_text("indicator_code,region_code,period,value\nCX-01,150100,2021,1\n", encoding="utf-8")
    script = ("import sys, etl.pipeline as p\n"
              "real = p.read_sheet\n"
              "def read(source, limits=None):\n"
              "    if source.name == 'crash.csv': raise ZeroDivisionError('a bug met on this file')\n"
              "    return real(source, limits)\n"
              "p.read_sheet = read\n"
              "from indicators.cli import main\n"
              "main(sys.argv[1:])\n")
    env = {**os.environ, "DEM_DB": str(db), "DEM_TODAY": "2025-06-01", "DEM_PATHS_LOGS": str(tmp_path / "logs")}

    result = subprocess.run([sys.executable, "-c", script, "etl", "load", str(crashing), str(good)],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)

    assert result.returncode == 70, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "crash.csv: internal error, not loaded" in result.stdout
    assert "long-utf8-en-formA-plain-lf.csv: loaded as batch" in result.stdout
    log = (tmp_path / "logs" / "etl-errors.log").read_text(encoding="utf-8")
    assert "Traceback" in log and "ZeroDivisionError: a bug met on this file" in log


def test_the_warehouse_refuses_a_value_that_is_not_finite_whatever_writes_it(tmp_path):
    db = make_warehouse(tmp_path, files=[SUBMISSIONS / "base" / "base.csv"])
    con = duckdb.connect(str(db))
    try:
        for value in ("inf", "-inf", "nan"):
            with pytest.raises(duckdb.ConstraintException):
                con.execute("INSERT INTO observations VALUES ('CX-01', '150100', '2030', 2030, 0, ?::DOUBLE, NULL, "
                            "NULL, NULL, false, 1, 2, NULL, 'A')", [value])
            with pytest.raises(duckdb.ConstraintException):
                con.execute("INSERT INTO facts (indicator_code, region_code, period, value) "
                            "VALUES ('CX-01', '150100', '2030', ?::DOUBLE)", [value])
    finally:
        con.close()


def test_the_warehouse_refuses_an_observation_status_outside_the_code_list(tmp_path):
    db = make_warehouse(tmp_path, files=[SUBMISSIONS / "base" / "base.csv"])
    con = duckdb.connect(str(db))
    try:
        for status in ("X", "估计", None):
            with pytest.raises(duckdb.ConstraintException):
                con.execute("INSERT INTO observations VALUES ('CX-01', '150100', '2030', 2030, 0, 1, NULL, NULL, NULL, "
                            "false, 1, 2, NULL, ?)", [status])
    finally:
        con.close()


def test_a_warehouse_of_schema_1_is_migrated_to_finite_observations_on_the_next_load(tmp_path):
    db = make_warehouse(tmp_path, files=[SUBMISSIONS / "base" / "base.csv"])
    before = export_bytes(db)
    con = duckdb.connect(str(db))  # make it what version 1 wrote: no CHECK on observations.value
    con.execute("CREATE TABLE old AS SELECT * EXCLUDE (obs_status) FROM observations")  # added by version 5
    con.execute("DROP VIEW current_observations")
    con.execute("DROP TABLE observations")
    con.execute("ALTER TABLE old RENAME TO observations")
    con.execute("CREATE VIEW current_observations AS SELECT * FROM observations WHERE superseded_by IS NULL")
    con.execute("ALTER TABLE batches DROP COLUMN submitter")  # added by version 3
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()

    [result] = load(db, [SUBMISSIONS / "warn" / "yoy-change.csv"])

    assert result.status == "loaded"
    with warehouse.reader(db) as con:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(warehouse.SCHEMA_VERSION),)
        sql = con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'observations'").fetchone()[0]
        assert 'CHECK(isfinite("value"))' in sql
    assert export_bytes(db).count(b"\n") == before.count(b"\n") + 1
