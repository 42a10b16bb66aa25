"""`dem etl run` at the trust boundary: links, hidden and temporary files, files still being written, other
owners, poison files and names too long for their reports — each ends up in one known place with a line in the
run log; reports are safe to open and readable by their owner only; the job survives a kill at every step of
filing; the warehouse lock belongs to the file, not to the name it is reached by.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import hostile
import pytest
from helpers import ROOT, SUBMISSIONS, dem_env, export_bytes, make_warehouse, run_dem

from indicators.storage import warehouse

GOOD = SUBMISSIONS / "good" / "long-gb18030-zh2-formA-fancy-lf.csv"
GOOD_XLSX = SUBMISSIONS / "good" / "long-zh-numbers.xlsx"
BAD = SUBMISSIONS / "bad" / "gb18030-unknown-region-crlf.csv"
OLD = 1_700_000_000  # a delivery time long settled


def _deliver(folder: Path, name: str, data: bytes, when: float = OLD) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    os.utime(path, (when, when))
    return path


def _places(base: Path) -> dict[str, list[str]]:
    return {where: sorted(str(p.relative_to(base / where)) for p in (base / where).rglob("*")
                          if p.is_file() or p.is_symlink())
            for where in ("inbox", "archive", "quarantine") if (base / where).exists()}


def _log(base: Path) -> dict:
    [path] = sorted((base / "logs").glob("etl-run-*.json"))[-1:]
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_kind_of_inbox_entry_ends_up_in_one_known_place_with_a_line_in_the_run_log(tmp_path):
    db = make_warehouse(tmp_path)
    base, inbox = db.parent, db.parent / "inbox"
    secret = tmp_path / "secret.csv"
    secret.write_text("indicator_code,region_code,period,value\nTOP-SECRET,150100,2023,1\n", encoding="utf-8")
    long_name = "报送" + "x" * 244 + ".csv"  # 246 characters, 250 bytes: <name>.errors.csv would not fit
    _deliver(inbox, GOOD.name, GOOD.read_bytes())
    _deliver(inbox, long_name, BAD.read_bytes(), OLD + 1)
    _deliver(inbox, "poison.csv", hostile.unbalanced_quote_270kb(tmp_path).read_bytes(), OLD + 2)
    _deliver(inbox, ".hidden.csv", GOOD.read_bytes())
    _deliver(inbox, "upload.csv.part", GOOD.read_bytes())
    _deliver(inbox, "fresh.csv", GOOD.read_bytes(), time.time())  # still being copied
    (inbox / "link.csv").symlink_to(secret)

    result = run_dem("etl", "run", db=db, DEM_INBOX_SETTLE_SECONDS="30")

    assert result.returncode == 1, result.stdout + result.stderr  # rejected files and a refused link
    assert "Traceback" not in result.stdout + result.stderr
    places = _places(base)
    assert places["inbox"] == sorted([".hidden.csv", "fresh.csv", "link.csv", "upload.csv.part"])
    assert [Path(p).name for p in places["archive"]] == [GOOD.name]
    quarantined = places["quarantine"]
    assert "poison.csv" in quarantined and "poison.csv.errors.csv" in quarantined
    assert long_name in quarantined
    assert all(len(name.encode()) <= 255 for name in quarantined)
    assert sum(name.startswith("报送xxx") and name.endswith(".report.json") for name in quarantined) == 1
    report = json.loads(next((base / "quarantine").glob("报送*.report.json")).read_text(encoding="utf-8"))
    assert report["original_name"] == long_name and report["problems"][0]["rule"] == "unknown_region"
    poison = json.loads((base / "quarantine" / "poison.csv.report.json").read_text(encoding="utf-8"))
    assert poison["problems"][0]["rule"] == "unbalanced_quote"
    assert "TOP-SECRET" not in export_bytes(db).decode("utf-8-sig")
    assert not any("TOP-SECRET" in (base / "quarantine" / q).read_text(errors="replace") for q in quarantined)
    skipped = {s["name"]: s["kind"] for s in _log(base)["skipped"]}
    assert skipped == {".hidden.csv": "ignored", "upload.csv.part": "ignored", "fresh.csv": "waiting",
                       "link.csv": "refused"}
    assert "link.csv：是符号链接，不读取" in result.stdout and "link.csv: a symbolic link: not followed" in result.stdout
    assert "fresh.csv: modified" in result.stdout and "waiting until it has settled" in result.stdout
    assert (inbox / "link.csv").is_symlink() and secret.read_text(encoding="utf-8").startswith("indicator_code")


def test_a_file_of_another_owner_is_refused_and_left_where_it_is(tmp_path):
    db = make_warehouse(tmp_path)
    path = _deliver(db.parent / "inbox", GOOD.name, GOOD.read_bytes())

    result = run_dem("etl", "run", db=db, DEM_INBOX_OWNER=str(os.geteuid() + 1))

    assert result.returncode == 1
    assert path.exists() and not (db.parent / "archive").exists()
    assert f"owned by user {os.geteuid()}, not the expected user {os.geteuid() + 1}" in result.stdout


def test_quarantine_reports_neutralise_formulas_and_are_readable_by_their_owner_only(tmp_path):
    db = make_warehouse(tmp_path)
    payload = "indicator_code,region_code,period,value\n=cmd|' /C calc'!A0,150100,2023,1\n"
    _deliver(db.parent / "inbox", "formula.csv", payload.encode())

    assert run_dem("etl", "run", db=db).returncode == 1

    folder = db.parent / "quarantine"
    rows = list(csv.DictReader(io.StringIO((folder / "formula.csv.errors.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0]["value"] == "'=cmd|' /C calc'!A0"
    assert all(not value.startswith("=") for row in rows for value in row.values())
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_missing_inbox_is_an_error_not_an_empty_run(tmp_path):
    db = make_warehouse(tmp_path)

    result = run_dem("etl", "run", "--inbox", str(tmp_path / "no-such-inbox"), db=db)

    assert result.returncode == 2
    assert "the inbox does not exist or is not a folder" in result.stderr and "收件箱不存在" in result.stderr


def test_relative_paths_on_the_command_line_are_relative_to_the_current_directory(tmp_path):
    db = make_warehouse(tmp_path)
    work = tmp_path / "work"
    _deliver(work / "in", GOOD.name, GOOD.read_bytes())
    env = dem_env(db)

    result = subprocess.run([sys.executable, "-m", "indicators", "etl", "run", "--inbox", "in", "--archive", "done",
                             "--quarantine", "bad"], capture_output=True, text=True, cwd=work, env=env, timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    assert [p.name for p in (work / "done").rglob("*.csv")] == [GOOD.name]
    assert list((work / "in").iterdir()) == []


def test_a_warehouse_reached_through_a_link_has_the_same_lock_as_its_target(tmp_path):
    db = make_warehouse(tmp_path, files=[GOOD])
    link = tmp_path / "link.duckdb"
    link.symlink_to(db)

    with warehouse.exclusive_lock(db):  # what an active run on the real path holds
        busy = run_dem("etl", "load", str(GOOD_XLSX), db=link)

    assert busy.returncode == 75, busy.stdout + busy.stderr
    loaded = run_dem("etl", "load", str(GOOD_XLSX), db=link)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert link.is_symlink() and link.resolve() == db  # published onto the target, the link kept


def test_an_archive_that_cannot_be_written_gives_a_clean_error_and_keeps_the_file_in_the_inbox(tmp_path):
    db = make_warehouse(tmp_path)
    inbox = db.parent / "inbox"
    path = _deliver(inbox, GOOD.name, GOOD.read_bytes())
    blocked = tmp_path / "archive-is-a-file"
    blocked.write_text("not a folder")

    first = run_dem("etl", "run", "--archive", str(blocked / "archive"), db=db)  # a folder that cannot be made

    assert first.returncode == 74, first.stdout + first.stderr
    assert "Traceback" not in first.stdout + first.stderr
    assert "cannot be filed" in first.stdout and "the file stays in the inbox" in first.stdout
    assert path.read_bytes() == GOOD.read_bytes()
    assert _log(db.parent)["storage_errors"]
    second = run_dem("etl", "run", db=db)  # the archive fixed: the loaded file is recognised and archived
    assert second.returncode == 0 and "already loaded (batch 1)" in second.stdout
    assert list(inbox.iterdir()) == [] and [p.name for p in (db.parent / "archive").rglob("*.csv")] == [GOOD.name]


def test_a_staging_copy_that_fails_leaves_no_partial_file_and_says_why(tmp_path, monkeypatch):
    """The disk fills up halfway through copying the warehouse to its staging file."""
    import shutil

    from indicators.base.errors import StorageError

    db = make_warehouse(tmp_path, files=[GOOD])
    before = export_bytes(db)

    def full_disk(src, dst):
        Path(dst).write_bytes(Path(src).read_bytes()[:4096])
        raise OSError(28, "No space left on device", str(dst))

    monkeypatch.setattr(shutil, "copyfile", full_disk)
    with pytest.raises(StorageError, match="No space left on device"), warehouse.writer(db):
        pass
    monkeypatch.undo()

    assert list(db.parent.glob("*.staging-*")) == []
    assert export_bytes(db) == before


# ── kill at every step of filing ─────────────────────────────────────────────────────────────────────

KILLER = """
import os, signal, sys
from etl import filing
from indicators.storage import warehouse

step = {"n": 0}
target, mode = int(sys.argv[1]), sys.argv[2]

def killing(fn):
    def wrapper(*args, **kwargs):
        step["n"] += 1
        mine = step["n"]
        if mine == target and mode == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = fn(*args, **kwargs)
        if mine == target and mode == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    return wrapper

filing.put = killing(filing.put)
filing.remove_original = killing(filing.remove_original)
warehouse.os.replace = killing(warehouse.os.replace)  # the publish
from indicators.cli import main
try:
    main(sys.argv[3:])
finally:
    print(f"steps={step['n']}", file=sys.stderr)
"""


def _deliver_all(inbox: Path) -> dict[str, bytes]:
    files = {GOOD.name: GOOD.read_bytes(), BAD.name: BAD.read_bytes(), GOOD_XLSX.name: GOOD_XLSX.read_bytes(),
             "legacy.xls": (SUBMISSIONS / "bad" / "legacy-excel.xls").read_bytes()}
    for n, (name, data) in enumerate(files.items()):
        _deliver(inbox, name, data, OLD + n)
    return files


def _contents(db: Path) -> tuple[list, list]:
    """What the warehouse holds, without the times of loading."""
    with warehouse.reader(db) as con:
        return (con.execute("SELECT indicator_code, region_code, period, value, batch_id, superseded_by "
                            "FROM observations ORDER BY ALL").fetchall(),
                con.execute("SELECT batch_id, file_name, sha256, status FROM batches ORDER BY ALL").fetchall())


def _run_killed(db: Path, at: int, mode: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", KILLER, str(at), mode, "etl", "run"], capture_output=True,
                          text=True, cwd=ROOT, env=dem_env(db), timeout=180)


@pytest.mark.slow
def test_a_run_killed_at_any_step_of_filing_is_completed_by_the_next_run_with_nothing_lost_or_doubled(tmp_path):
    reference = make_warehouse(tmp_path / "reference")
    files = _deliver_all(reference.parent / "inbox")
    clean = _run_killed(reference, 0, "none")
    assert clean.returncode == 1, clean.stderr
    steps = int(clean.stderr.rsplit("steps=", 1)[1].split()[0])
    assert steps >= 8  # the publish, reports, copies, removals and the run log
    expected = _contents(reference)

    for at in range(1, steps + 1):
        for mode in ("before", "after"):
            db = make_warehouse(tmp_path / f"{at}-{mode}")
            base = db.parent
            _deliver_all(base / "inbox")
            killed = _run_killed(db, at, mode)
            assert killed.returncode == -signal.SIGKILL, (at, mode, killed.stderr[-1000:])

            rerun = run_dem("etl", "run", db=db)

            assert rerun.returncode in (0, 1), (at, mode, rerun.stdout + rerun.stderr)  # 0: nothing left to do
            where = f"killed {mode} step {at}"
            places = _places(base)
            assert places.get("inbox", []) == [], where
            archived = {Path(p).name: (base / "archive" / p).read_bytes() for p in places["archive"]}
            quarantined = set(places["quarantine"])
            for name, data in files.items():
                if name in archived:
                    assert archived[name] == data, where
                else:
                    assert (base / "quarantine" / name).read_bytes() == data, where
                    assert {f"{name}.errors.csv", f"{name}.report.json"} <= quarantined, where
            originals = [q for q in quarantined if not q.endswith((".errors.csv", ".report.json"))]
            assert sorted([*archived, *originals]) == sorted(files), (where, places)
            assert not [p for p in base.rglob(".dem-tmp-*")], where
            assert _contents(db) == expected, where


HOOKED = """
import sys
from pathlib import Path
from etl import filing, pipeline
from indicators.cli import main

hook = sys.argv[1]
if hook == "append-before-filing":  # the sender writes to the file after it was read and loaded
    real_put, done = filing.put, []
    def put(target, data):
        for original in Path(sys.argv[2]).iterdir():
            if not done:
                with original.open("ab") as f:
                    f.write("CX-01,150300,2023,900,亿元\\n".encode())
                done.append(original)
        return real_put(target, data)
    filing.put = put
elif hook == "memory-error":  # reading one file exhausts the memory
    real_read = pipeline.read_sheet
    def read(source, limits=None):
        if source.name == "huge.csv":
            raise MemoryError()
        return real_read(source, limits)
    pipeline.read_sheet = read
main(sys.argv[3:])
"""


def _run_hooked(db: Path, hook: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", HOOKED, hook, str(db.parent / "inbox"), *args], capture_output=True,
                          text=True, cwd=ROOT, env=dem_env(db), timeout=180)


def test_a_file_written_to_after_it_was_read_is_archived_as_read_and_the_new_version_waits_in_the_inbox(tmp_path):
    db = make_warehouse(tmp_path)
    data = "indicator_code,region_code,period,value,unit\nCX-01,150100,2023,3801.2,亿元\n".encode()
    path = _deliver(db.parent / "inbox", "gdp.csv", data)

    result = _run_hooked(db, "append-before-filing", "etl", "run")

    assert result.returncode == 0, result.stdout + result.stderr
    [archived] = (db.parent / "archive").rglob("gdp.csv")
    assert archived.read_bytes() == data  # exactly what was loaded
    assert path.read_bytes() == data + "CX-01,150300,2023,900,亿元\n".encode()  # the newer version, for the next run
    assert "gdp.csv: changed after it was read; the version read is filed as gdp.csv" in result.stdout
    with warehouse.reader(db) as con:
        assert con.execute("SELECT count(*) FROM observations").fetchone() == (1,)
    again = run_dem("etl", "run", db=db, DEM_INBOX_SETTLE_SECONDS="0")  # the newer version, once settled
    assert again.returncode == 0 and "loaded as batch 2: 1 new, 0 revised, 1 unchanged" in again.stdout
    names = sorted(p.name for p in (db.parent / "archive").rglob("gdp*.csv"))
    assert len(names) == 2 and "gdp.csv" in names  # the second under a name with the start of its hash


def test_a_poison_file_is_quarantined_with_a_report_and_the_run_goes_on_with_the_next_file(tmp_path):
    db = make_warehouse(tmp_path)
    _deliver(db.parent / "inbox", "huge.csv", GOOD.read_bytes().replace(b"2023", b"2022"))
    _deliver(db.parent / "inbox", GOOD.name, GOOD.read_bytes(), OLD + 1)

    result = _run_hooked(db, "memory-error", "etl", "run")

    assert result.returncode == 70, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "huge.csv：内部错误，未载入" in result.stdout and f"{GOOD.name}: loaded as batch 1" in result.stdout
    report = json.loads((db.parent / "quarantine" / "huge.csv.report.json").read_text(encoding="utf-8"))
    assert report["status"] == "failed" and report["problems"][0]["rule"] == "internal_error"
    assert "MemoryError" in report["problems"][0]["message_en"]
    assert "MemoryError" in (db.parent / "logs" / "etl-errors.log").read_text(encoding="utf-8")
    assert _log(db.parent)["files"][0]["status"] == "failed"
