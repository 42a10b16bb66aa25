"""A bulletin is produced while the warehouse is in use: another process holds a read-only connection (the
dashboard) and a writer is in the middle of a load (it holds the lock and its staging copy is open), and then
while a real `dem etl load` runs beside a report export. Readers and the writer never wait for each other.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from helpers import ROOT, run_dem, start_dem

from dashboard.report import build_report
from indicators.storage import warehouse

pytestmark = pytest.mark.slow
TODAY = "2026-11-27"

HOLD_READER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SELECT count(*) FROM facts").fetchall()
print("ready", flush=True)
sys.stdin.readline()  # hold the connection until the test says so
print(con.execute("SELECT count(*) FROM facts").fetchall()[0][0], flush=True)
"""

# A writer mid-load: the lock is taken, the staging copy is open and changed, nothing is published yet.
HOLD_WRITER = """
import sys
from pathlib import Path
from indicators.storage import warehouse
from indicators.engine import publish
from indicators.base.catalogue import default_catalogue
from indicators.base.settings import load_settings
with warehouse.writer(Path(sys.argv[1]), publish.step(default_catalogue(), load_settings())) as stage:
    stage.con.execute("INSERT INTO meta VALUES ('report_test', 'mid-load')")
    stage.changed = True
    print("ready", flush=True)
    sys.stdin.readline()
print("published", flush=True)
"""


def _start(script: str, db: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), str(db)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    line = proc.stdout.readline()
    assert line.strip() == "ready", proc.stderr.read()
    return proc


def _finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate("go\n", timeout=120)
    assert proc.returncode == 0, err
    return out


@pytest.fixture
def busy_copy(demo_warehouse, tmp_path) -> Path:
    """A private copy of the demo warehouse and of its public warehouse (this test publishes into it)."""
    db = tmp_path / "warehouse" / "dem.duckdb"
    db.parent.mkdir()
    shutil.copyfile(demo_warehouse, db)
    shutil.copyfile(warehouse.public_path(demo_warehouse), warehouse.public_path(db))
    return db


def test_pdf_is_built_while_a_reader_holds_the_warehouse_and_a_writer_is_mid_load(busy_copy, tmp_path):
    reader = _start(HOLD_READER, busy_copy)
    writer = _start(HOLD_WRITER, busy_copy)
    try:
        assert warehouse.lock_path(busy_copy).exists()
        started = time.monotonic()
        out = build_report(busy_copy, 2024, region="150100", out=tmp_path / "hohhot.pdf")
        assert out.stat().st_size > 100_000 and time.monotonic() - started < 120
    finally:
        published = _finish(writer)
        counted = _finish(reader)
    assert "published" in published and int(counted.strip().splitlines()[-1]) > 0
    with warehouse.reader(busy_copy) as con:  # the writer published after the report had read what it needed
        assert con.execute("SELECT value FROM meta WHERE key = 'report_test'").fetchall() == [("mid-load",)]


def test_report_data_export_runs_beside_a_real_load(busy_copy, tmp_path):
    small = tmp_path / "late.csv"
    small.write_text("指标代码,地区,统计期,数值,计量单位,示例数据\nDP-08,150100,2024,321.5,亿元,是\n", encoding="utf-8")
    load = start_dem("etl", "load", str(small), db=busy_copy, today=TODAY)
    export = run_dem("report", "csv", "--year", "2024", "--out", str(tmp_path / "data.csv"), db=busy_copy, today=TODAY)
    out, err = load.communicate(timeout=300)
    assert load.returncode == 0, out + err
    assert export.returncode == 0, export.stderr
    assert (tmp_path / "data.csv").stat().st_size > 0 and (tmp_path / "data.metadata.csv").exists()
