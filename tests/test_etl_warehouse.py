"""Loading into the warehouse: all or nothing per file, --partial on request, idempotent, every vintage kept,
one writer at a time, readers never blocked nor shown a half-load, and a writer killed with SIGKILL harmless.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from benchmarks.etl_bench import generate
from helpers import SUBMISSIONS, batches, export_bytes, invoke_dem, load, make_warehouse, run_dem, start_dem

from indicators.storage import warehouse

BASE = SUBMISSIONS / "base" / "base.csv"
GOOD = SUBMISSIONS / "good" / "long-utf8-en-formA-plain-lf.csv"
HEAD = "indicator_code,region_code,period,value,unit\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _current(db: Path) -> dict[tuple, float]:
    with warehouse.reader(db) as con:
        rows = con.execute("SELECT indicator_code, region_code, period, value FROM current_observations").fetchall()
    return {(i, r, p): v for i, r, p, v in rows}


def test_loading_the_same_bytes_again_reports_the_batch_and_changes_nothing(tmp_path):
    db = make_warehouse(tmp_path)
    first = run_dem("etl", "load", str(GOOD), db=db)
    before = export_bytes(db), warehouse.published_at(db)

    again = run_dem("etl", "load", str(GOOD), db=db)

    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    assert "loaded as batch 1: 7 new, 0 revised, 0 unchanged, 1 not reported" in first.stdout
    assert "already loaded (batch 1)" in again.stdout and "已入库（批次 1），未重复载入" in again.stdout
    assert (export_bytes(db), warehouse.published_at(db)) == before
    assert batches(db) == [(1, GOOD.name, "loaded")]


def test_a_revised_value_becomes_current_and_the_old_vintage_stays_in_the_history(tmp_path):
    v1 = _write(tmp_path / "gdp-v1.csv", HEAD + "CX-01,150100,2023,3801.2,亿元\nCX-01,150200,2023,4000,亿元\n")
    v2 = _write(tmp_path / "gdp-v2.csv", HEAD + "CX-01,150100,2023,3850,亿元\nCX-01,150200,2023,4000,亿元\n")
    db = make_warehouse(tmp_path, files=[v1])

    result = invoke_dem("etl", "load", str(v2), db=db)

    assert result.exit_code == 0
    assert "loaded as batch 2: 0 new, 1 revised, 1 unchanged, 0 not reported" in result.output
    assert _current(db)[("CX-01", "150100", "2023")] == 3850
    with warehouse.reader(db) as con:
        history = con.execute("""SELECT value, batch_id, superseded_by FROM observations
                                 WHERE region_code = '150100' ORDER BY batch_id""").fetchall()
    assert history == [(3801.2, 1, 2), (3850.0, 2, None)]


def test_a_file_with_one_bad_row_loads_nothing_unless_partial_is_asked_for(tmp_path):
    mixed = _write(tmp_path / "mixed.csv", HEAD + "CX-01,150100,2023,3801.2,亿元\n"  # line 2 good
                   "CX-01,159999,2023,1,亿元\n"  # line 3 unknown region
                   "CX-01,150200,2023,4000,亿元\n"  # line 4 good
                   "CX-01,150300,2023,500,亿元\nCX-01,乌海,2023,510,亿元\n"  # lines 5–6 conflict: neither loads
                   "CX-01,150400,2023,—,亿元\n")  # line 7 not reported
    db = make_warehouse(tmp_path)

    atomic = invoke_dem("etl", "load", str(mixed), db=db)
    assert atomic.exit_code == 1 and "rejected, 2 error(s); the warehouse is unchanged" in atomic.output
    assert _current(db) == {}

    partial = invoke_dem("etl", "load", "--partial", "--format", "json", str(mixed), db=db)
    assert partial.exit_code == 1
    [report] = json.loads(partial.output)
    assert report["status"] == "partial"
    assert report["counts"] == {"rows": 6, "lines": 7, "records": 7, "not_reported": 1, "rejected": 3, "new": 2}
    assert _current(db) == {("CX-01", "150100", "2023"): 3801.2, ("CX-01", "150200", "2023"): 4000.0}
    assert [b[2] for b in batches(db)] == ["rejected", "partial"]


def test_a_first_load_is_written_while_it_is_validated_and_kept_only_when_validation_accepts_those_rows(
        tmp_path, monkeypatch):
    """etl.load.InsertWhileValidating: a file none of whose keys the warehouse holds is inserted on another thread while
    pandas validates it. It is committed only when validation accepts exactly the rows written; otherwise it is
    rolled back and the file takes the ordinary path. Batch numbers stay consecutive either way."""
    from etl import load as load_module

    calls = []
    for name in ("commit", "abandon"):
        original = getattr(load_module.InsertWhileValidating, name)

        def spy(self, *args, _original=original, _name=name):
            calls.append(_name)
            return _original(self, *args)

        monkeypatch.setattr(load_module.InsertWhileValidating, name, spy)
    db = make_warehouse(tmp_path)
    clean = _write(tmp_path / "clean.csv", HEAD + "CX-01,150100,2023,3801.2,亿元\nCX-01,150200,2023,4000,亿元\n")
    repeated = _write(tmp_path / "repeated.csv", HEAD + "CX-01,150100,2020,3600,亿元\nCX-01,150100,2020,3600,亿元\n")
    bad = _write(tmp_path / "bad.csv", HEAD + "CX-01,150100,2021,3400,亿元\nCX-01,159999,2021,1,亿元\n")

    [first] = load(db, [clean])
    assert (calls, first.status, first.batch_id, first.counts["new"]) == (["commit"], "loaded", 1, 2)
    before = export_bytes(db)
    calls.clear()
    [second] = load(db, [bad])  # rejected: what was written is rolled back, the rejection keeps the number
    assert (calls, second.status, second.batch_id) == (["abandon"], "rejected", 2)
    assert export_bytes(db) == before
    calls.clear()
    [third] = load(db, [repeated])  # an identical repeated line is loaded once: the ordinary path
    assert (calls, third.status, third.batch_id, third.counts["new"]) == (["abandon"], "loaded", 3, 1)
    assert _current(db)[("CX-01", "150100", "2020")] == 3600
    with warehouse.reader(db) as con:
        assert con.execute("SELECT count(*) FROM observations WHERE period = '2020'").fetchone() == (1,)
    assert [b[0] for b in batches(db)] == [1, 2, 3]


def test_a_failure_during_validation_while_the_early_insert_runs_leaves_the_warehouse_as_it_was(tmp_path,
                                                                                                monkeypatch):
    from etl import pipeline

    db = make_warehouse(tmp_path, files=[GOOD])
    before = export_bytes(db), warehouse.published_at(db)
    fresh = _write(tmp_path / "fresh.csv", HEAD + "CX-01,150100,2021,3400,亿元\n")

    def broken(*args, **kwargs):
        raise RuntimeError("a check crashed")

    monkeypatch.setattr(pipeline, "validate", broken)
    [failed] = load(db, [fresh])
    monkeypatch.undo()

    assert failed.status == "failed" and [p.rule for p in failed.problems] == ["internal_error"]
    assert "RuntimeError: a check crashed" in failed.problems[0].message_en
    assert "a check crashed" in (db.parent / "logs" / "etl-errors.log").read_text(encoding="utf-8")

    assert (export_bytes(db), warehouse.published_at(db)) == before
    assert list(db.parent.glob("*.staging-*")) == []
    [again] = load(db, [fresh])
    assert (again.status, again.batch_id) == ("loaded", 2)


def test_each_file_of_one_load_is_all_or_nothing_on_its_own(tmp_path):
    db = make_warehouse(tmp_path)

    result = run_dem("etl", "load", str(GOOD), str(SUBMISSIONS / "bad" / "unknown-region.csv"), db=db)

    assert result.returncode == 1
    assert "✓ long-utf8-en-formA-plain-lf.csv：入库（批次 1）" in result.stdout
    assert "✗ unknown-region.csv：退回，1 个错误，数据仓库未改动" in result.stdout
    assert len(_current(db)) == 7
    assert batches(db) == [(1, GOOD.name, "loaded"), (2, "unknown-region.csv", "rejected")]


def test_usage_errors_exit_2_and_name_the_problem(tmp_path):
    db = make_warehouse(tmp_path)
    missing = run_dem("etl", "check", str(tmp_path / "nowhere.csv"), db=db)
    no_files = run_dem("etl", "load", db=db)
    assert (missing.returncode, no_files.returncode) == (2, 2)
    assert "nowhere.csv" in missing.stderr and "does not exist" in missing.stderr
    assert "Missing argument" in no_files.stderr


def test_a_second_writer_gets_exit_75_at_once_and_changes_nothing(tmp_path):
    db = make_warehouse(tmp_path, files=[BASE])
    before = export_bytes(db)
    with warehouse.exclusive_lock(db):
        result = run_dem("etl", "load", str(GOOD), db=db)
    assert result.returncode == 75
    assert "另一个入库进程正在运行" in result.stderr and "another ETL run holds the lock" in result.stderr
    assert export_bytes(db) == before
    assert run_dem("etl", "load", str(GOOD), db=db).returncode == 0  # the lock is free again


# ── concurrency and crashes ──────────────────────────────────────────────────────────────────────────

READER = r"""
import duckdb, json, os, sys
db, ready, stop, out = sys.argv[1:5]
states, errors = [], []
while True:
    last = os.path.exists(stop)  # read once more after the writer is done, to see the final state
    try:
        con = duckdb.connect(db, read_only=True)
        n_batches, n_obs = con.execute("SELECT (SELECT count(*) FROM batches), (SELECT count(*) FROM observations)"
                                       ).fetchall()[0]
        written = con.execute("SELECT coalesce(sum(rows_new + rows_revised), 0) FROM batches "
                              "WHERE status IN ('loaded', 'partial')").fetchall()[0][0]
        con.close()
        states.append([n_batches, n_obs, int(written)])
        if not os.path.exists(ready):
            open(ready, "w").close()
    except Exception as exc:  # a reader must never be refused or see a broken file
        errors.append(repr(exc))
    if last:
        break
json.dump({"states": states, "errors": errors}, open(out, "w"))
"""


def _wait_for(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.mark.slow
def test_a_reader_process_reading_in_a_loop_is_never_blocked_and_never_sees_a_half_load(tmp_path):
    db = make_warehouse(tmp_path, files=[BASE])
    files = [generate(tmp_path / f"part-{year}.csv", 12_000, last_year=year) for year in (2024, 2021, 2018)]
    ready, stop, out = tmp_path / "ready", tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(ready), str(stop), str(out)])
    try:
        _wait_for(ready.exists, "the reader's first read")
        published = [(len(batches(db)), sum(1 for _ in _all_observations(db)))]
        for path in files:
            [result] = load(db, [path])
            assert result.status == "loaded", [p.text() for p in result.errors]
            published.append((len(batches(db)), sum(1 for _ in _all_observations(db))))
        stop.touch()
        assert reader.wait(timeout=120) == 0
    finally:
        reader.kill()
    seen = json.loads(out.read_text())
    assert seen["errors"] == []
    assert all(n_obs == written for _, n_obs, written in seen["states"]), "a reader saw a half-loaded batch"
    assert {(b, n) for b, n, _ in seen["states"]} <= set(published)
    assert tuple(seen["states"][-1][:2]) == published[-1]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # published (renamed away) between glob and stat
        return 0


def _all_observations(db: Path) -> list[tuple]:
    with warehouse.reader(db) as con:
        return con.execute("SELECT * FROM observations").fetchall()


@pytest.mark.slow
def test_kill_9_during_a_large_load_leaves_the_published_warehouse_intact_and_a_rerun_completes(tmp_path):
    db = make_warehouse(tmp_path, files=[generate(tmp_path / "old.csv", 2_000, last_year=1990)])
    big = generate(tmp_path / "big.csv", 200_000, last_year=2024)
    before = export_bytes(db)
    size = db.stat().st_size
    staging = list(db.parent.glob(f"{db.name}.staging-*"))
    assert staging == []

    writer = start_dem("etl", "load", str(big), db=db)

    def writing() -> bool:  # the 200 000 observations are going into the staging copy (it grows past the original)
        staged = [f for f in db.parent.glob(f"{db.name}.staging-*") if not f.name.endswith(".wal")]
        return any(_size(f) > size for f in staged) or writer.poll() is not None
    _wait_for(writing, "the writer to start writing")
    assert writer.poll() is None, "the load finished before it could be killed: " + writer.communicate()[0]
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()

    assert writer.returncode == -signal.SIGKILL
    assert list(db.parent.glob(f"{db.name}.staging-*")), "the killed writer left no staging file behind"
    assert export_bytes(db) == before  # the published file is intact and readable
    assert [b[2] for b in batches(db)] == ["loaded"]

    rerun = run_dem("etl", "load", str(big), db=db)

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "loaded as batch 2: 200000 new" in rerun.stdout
    assert list(db.parent.glob(f"{db.name}.staging-*")) == []
    with warehouse.reader(db) as con:
        assert con.execute("SELECT count(*) FROM current_observations WHERE batch_id = 2").fetchall() == [(200_000,)]
