"""`dem etl run`: every inbox file is loaded, accepted originals go to archive/<yyyy>/<mm>/ and rejected ones,
byte-identical, to quarantine/ with <name>.errors.csv and <name>.report.json beside them; a run log is kept;
a second run while one is active exits 75 and touches nothing.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from helpers import SUBMISSIONS, batches, export_bytes, make_warehouse, run_dem

from indicators.storage import warehouse

ACCEPTED = [SUBMISSIONS / "good" / "long-gb18030-zh2-formA-fancy-lf.csv", SUBMISSIONS / "good" / "long-zh-numbers.xlsx"]
REJECTED = [SUBMISSIONS / "bad" / "gb18030-unknown-region-crlf.csv", SUBMISSIONS / "bad" / "legacy-excel.xls"]


def _deliver(inbox: Path, files: list[Path]) -> None:
    """Copy files into the inbox, oldest first in the given order."""
    inbox.mkdir(parents=True, exist_ok=True)
    for n, path in enumerate(files):
        target = inbox / path.name
        shutil.copyfile(path, target)
        os.utime(target, (1_700_000_000 + n, 1_700_000_000 + n))


def _month() -> str:
    return f"{datetime.now(UTC):%Y/%m}"


def test_run_archives_accepted_and_quarantines_rejected_originals_byte_for_byte(tmp_path):
    db = make_warehouse(tmp_path)
    base = db.parent
    _deliver(base / "inbox", [ACCEPTED[0], REJECTED[0], ACCEPTED[1], REJECTED[1]])
    months = {_month()}

    result = run_dem("etl", "run", db=db)
    months.add(_month())  # the run may straddle the turn of a month

    assert result.returncode == 1, result.stdout + result.stderr
    assert list((base / "inbox").iterdir()) == []
    archived = sorted(base.glob("archive/*/*/*"))
    assert [p.name for p in archived] == sorted(p.name for p in ACCEPTED)
    for path in archived:
        assert f"{path.parent.parent.name}/{path.parent.name}" in months
        assert path.read_bytes() == (SUBMISSIONS / "good" / path.name).read_bytes()
    quarantine = base / "quarantine"
    assert sorted(p.name for p in quarantine.iterdir()) == sorted(
        [p.name for p in REJECTED] + [f"{p.name}.errors.csv" for p in REJECTED]
        + [f"{p.name}.report.json" for p in REJECTED])
    for original in REJECTED:
        assert (quarantine / original.name).read_bytes() == original.read_bytes()
    assert [b[1:] for b in batches(db)] == [(ACCEPTED[0].name, "loaded"), (REJECTED[0].name, "rejected"),
                                           (ACCEPTED[1].name, "loaded"), (REJECTED[1].name, "rejected")]
    assert "处理 4 个文件，退回 2 个" in result.stdout and "processed 4 file(s), 2 rejected" in result.stdout


def test_quarantine_reports_say_what_is_wrong_in_excel_readable_csv_and_json(tmp_path):
    db = make_warehouse(tmp_path)
    _deliver(db.parent / "inbox", REJECTED[:1])

    assert run_dem("etl", "run", db=db).returncode == 1

    folder = db.parent / "quarantine"
    raw = (folder / f"{REJECTED[0].name}.errors.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel shows the Chinese text
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["line"], r["column"], r["value"], r["rule"]) for r in rows] == [("4", "地区", "青岛市", "unknown_region")]
    assert rows[0]["message_zh"] == "“青岛市”不是内蒙古自治区的地区代码、名称或简称"
    report = json.loads((folder / f"{REJECTED[0].name}.report.json").read_text(encoding="utf-8"))
    assert report["status"] == "rejected" and report["encoding"] == "gb18030" and report["errors"] == 1
    assert report["problems"][0]["rule"] == "unknown_region"


def test_run_writes_a_log_and_an_empty_inbox_is_a_clean_run(tmp_path):
    db = make_warehouse(tmp_path)
    _deliver(db.parent / "inbox", ACCEPTED[:1])

    first = run_dem("etl", "run", db=db)
    second = run_dem("etl", "run", db=db)

    assert (first.returncode, second.returncode) == (0, 0), first.stdout + first.stderr
    assert "processed 0 file(s), 0 rejected" in second.stdout
    logs = db.parent / "logs"
    runs = sorted(logs.glob("etl-run-*.json"))
    assert len(runs) == 2
    files = json.loads(runs[0].read_text(encoding="utf-8"))["files"]
    assert [(Path(f["file"]).name, f["status"]) for f in files] == [(ACCEPTED[0].name, "loaded")]
    assert Path(files[0]["moved_to"]).read_bytes() == ACCEPTED[0].read_bytes()
    lines = (logs / "etl-runs.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and "files=1 loaded=1" in lines[0] and "files=0" in lines[1]


def test_a_redelivered_file_is_recognised_as_already_loaded_and_archived_once(tmp_path):
    db = make_warehouse(tmp_path)
    _deliver(db.parent / "inbox", ACCEPTED[:1])
    assert run_dem("etl", "run", db=db).returncode == 0
    _deliver(db.parent / "inbox", ACCEPTED[:1])

    again = run_dem("etl", "run", db=db)

    assert again.returncode == 0
    assert "already loaded (batch 1)" in again.stdout
    assert [p.name for p in db.parent.glob("archive/*/*/*")] == [ACCEPTED[0].name]
    assert list((db.parent / "inbox").iterdir()) == []


def test_a_second_run_while_one_is_active_exits_75_and_changes_nothing(tmp_path):
    db = make_warehouse(tmp_path)
    inbox = db.parent / "inbox"
    _deliver(inbox, ACCEPTED + REJECTED)
    before = export_bytes(db), sorted(p.name for p in inbox.iterdir())

    with warehouse.exclusive_lock(db):  # what an active run holds
        busy = run_dem("etl", "run", db=db)

    assert busy.returncode == 75
    assert "another ETL run holds the lock" in busy.stderr
    assert (export_bytes(db), sorted(p.name for p in inbox.iterdir())) == before
    assert not (db.parent / "archive").exists() and not (db.parent / "quarantine").exists()
