"""Test helpers: real warehouses built through the production loader, and the `dem` CLI run as a subprocess.

    db = make_warehouse(tmp_path, files=[SUBMISSIONS / "base" / "base.csv"])
    result = run_dem("etl", "load", str(path), db=db)        # a real process: exit code, stdout, stderr
    result = invoke_dem("etl", "check", str(path), db=db)    # the same command in-process (click's runner)

The ETL clock is pinned to TODAY (DEM_TODAY) everywhere here, so "a period in the future" never depends on the
day the tests run. Paths the CLI writes to (inbox, archive, quarantine, logs, exports) are pointed into the
test's own directory, never into data/ of the checkout.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

from click.testing import CliRunner, Result

from etl.pipeline import FileResult, load_files
from indicators.base.catalogue import default_catalogue
from indicators.base.settings import Settings, load_settings
from indicators.cli import dem
from indicators.engine import export
from indicators.storage import warehouse

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = Path(__file__).resolve().parent / "fixtures" / "submissions"
TODAY = "2025-06-01"


@contextlib.contextmanager
def pinned_today(today: str = TODAY) -> Iterator[None]:
    """Set DEM_TODAY for in-process calls that load their own settings (load_settings reads it) and restore it."""
    before = os.environ.get("DEM_TODAY")
    os.environ["DEM_TODAY"] = today
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("DEM_TODAY", None)
        else:
            os.environ["DEM_TODAY"] = before


def settings_for(db: Path, today: str = TODAY) -> Settings:
    """The shipped settings with the warehouse (and everything the ETL writes) beside `db`, the clock at `today`."""
    base = db.parent
    return load_settings().with_overrides(paths_warehouse=db, paths_inbox=base / "inbox", paths_archive=base / "archive",
                                          paths_quarantine=base / "quarantine", paths_logs=base / "logs",
                                          paths_exports=base / "exports", paths_app_db=base / "app" / "dem-app.sqlite",
                                          paths_submissions=base / "submissions",
                                          paths_secret_key=base / "app" / "secret_key").at(date.fromisoformat(today))


def load(db: Path, files: Iterable[Path], partial: bool = False, today: str = TODAY) -> list[FileResult]:
    """Load files into the warehouse at `db` with the production loader (etl.pipeline.load_files)."""
    return load_files(list(files), default_catalogue(), settings_for(db, today), partial=partial)


def make_warehouse(tmp_path: Path, files: Iterable[Path] = (), partial: bool = False, today: str = TODAY,
                   name: str = "dem.duckdb", release: bool = True) -> Path:
    """A real, published warehouse under tmp_path/warehouse/, built from `files` in order; every file must load
    (an empty warehouse when no files are given). With `release` (the default) every batch is accepted and
    released (release_all), so the public warehouse beside it holds the same values; without it nothing is public."""
    db = tmp_path / "warehouse" / name
    results = load(db, files, partial=partial, today=today)
    refused = [f"{r.path.name}: {p.text()}" for r in results if not r.accepted for p in r.errors]
    assert not refused, "fixture did not load:\n" + "\n".join(refused)
    if release:
        release_all(db, today)
    return db


def release_all(db: Path, today: str = TODAY) -> str:
    """Accept every batch not decided yet (etl.release.accept_unreviewed) and carry out a release of every period
    (`*`) now, through the production code: the state of a warehouse whose values are all public. Returns the
    release id (T1, T2, … per warehouse)."""
    from etl.release import accept_unreviewed, publish_release
    from indicators.base.releases import Release
    from indicators.engine.release import carried_out

    settings = settings_for(db, today)
    if not db.exists():
        with warehouse.writer(db):
            pass
    with warehouse.reader(db) as con:
        release_id = f"T{len(carried_out(con)) + 1}"
    accept_unreviewed(default_catalogue(), settings, "test", "fixture")
    now = warehouse.utc_now()
    publish_release(Release(release_id, now, ("*",), "测试发布", "test release"), default_catalogue(), settings, "test",
                    now=now)
    return release_id


def revised_warehouse(tmp_path: Path, note: str = "核实后", synthetic: str = "否") -> Path:
    """The good fixture (released as T1), then a revision of Hohhot's 2023 GDP (3850 亿元, source 统计局) with `note`,
    released as T2: a warehouse whose current value has an earlier, released vintage (a revision on /revisions)."""
    revision = tmp_path / "revision.csv"
    revision.write_text("指标代码,地区,统计期,数值,计量单位,备注,数据来源,示例数据\n"
                        f"CX-01,呼市,2023年,3850,亿元,{note},统计局,{synthetic}\n", encoding="utf-8")
    db = make_warehouse(tmp_path, files=[SUBMISSIONS / "good" / "long-utf8-en-formA-plain-lf.csv"])
    load(db, [revision])
    release_all(db)
    return db


def dem_env(db: Path, today: str = TODAY, **extra: str) -> dict[str, str]:
    """Environment for a `dem` run against `db`: pinned clock, every writable path beside the warehouse."""
    base = db.parent
    env = {**os.environ, "DEM_DB": str(db), "DEM_TODAY": today, "DEM_INBOX": str(base / "inbox"),
           "DEM_ARCHIVE": str(base / "archive"), "DEM_QUARANTINE": str(base / "quarantine"),
           "DEM_EXPORTS": str(base / "exports"), "DEM_PATHS_LOGS": str(base / "logs"),
           "DEM_PATHS_APP_DB": str(base / "app" / "dem-app.sqlite"), "DEM_PATHS_SUBMISSIONS": str(base / "submissions"),
           "DEM_PATHS_SECRET_KEY": str(base / "app" / "secret_key")}
    return {**env, **extra}


def run_dem(*args: str, db: Path, today: str = TODAY, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """Run `dem ARGS…` as a real process (`python -m indicators` is the `dem` console script) with DEM_DB=db."""
    return subprocess.run([sys.executable, "-m", "indicators", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=dem_env(db, today, **env))


def run_dem_measured(*args: str, db: Path, today: str = TODAY, timeout: float = 300,
                     **env: str) -> tuple[subprocess.CompletedProcess, int]:
    """run_dem, and the peak resident memory of the process in bytes (its rusage, read by os.wait4)."""
    import tempfile

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "indicators", *args], stdout=out, stderr=err, text=True,
                                cwd=ROOT, env=dem_env(db, today, **env))
        try:
            _, status, usage = _wait4(proc.pid, timeout)
        except TimeoutError:
            proc.kill()
            proc.wait()
            raise
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), err.read())
    return done, usage.ru_maxrss * 1024  # ru_maxrss is in KiB on Linux


def _wait4(pid: int, timeout: float):
    import time

    deadline = time.monotonic() + timeout
    while True:
        waited, status, usage = os.wait4(pid, os.WNOHANG)
        if waited:
            return waited, status, usage
        if time.monotonic() > deadline:
            raise TimeoutError(f"process {pid} still running after {timeout} s")
        time.sleep(0.02)


def start_dem(*args: str, db: Path, today: str = TODAY, **env: str) -> subprocess.Popen:
    """Start `dem ARGS…` without waiting (for tests that kill it or run something beside it)."""
    return subprocess.Popen([sys.executable, "-m", "indicators", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=dem_env(db, today, **env))


def invoke_dem(*args: str, db: Path, today: str = TODAY, **env: str) -> Result:
    """The same `dem` command in-process through click's test runner: fast enough to run per fixture file."""
    base = db.parent
    overrides = {"DEM_DB": str(db), "DEM_TODAY": today, "DEM_INBOX": str(base / "inbox"),
                 "DEM_ARCHIVE": str(base / "archive"), "DEM_QUARANTINE": str(base / "quarantine"),
                 "DEM_EXPORTS": str(base / "exports"), "DEM_PATHS_LOGS": str(base / "logs"), **env}
    return CliRunner().invoke(dem, list(args), env=overrides, catch_exceptions=False)


def export_bytes(db: Path, history: bool = True) -> bytes:
    """What `dem data export --out x.csv [--history]` writes, produced by the same functions in-process."""
    with warehouse.reader(db) as con:
        frame = export.observations(con, default_catalogue(), history=history)
    return export.to_csv_bytes(frame)


def batches(db: Path) -> list[tuple]:
    with warehouse.reader(db) as con:
        return con.execute("SELECT batch_id, file_name, status FROM batches ORDER BY batch_id").fetchall()


def browser_like(client):
    """A Flask test client that behaves like the dashboard's browser page: it has loaded a page (which sets the
    `_csrf_token` cookie) and sends that token as X-CSRFToken with every request, as Dash's renderer does."""
    client.get("/")
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get_cookie("_csrf_token").value
    return client


def add_user(app_db: Path, username: str, role: str = "analyst", region: str | None = None,
             password: str = "correct horse battery") -> None:
    """An account in the application database at `app_db` (through dashboard.auth.accounts, as `dem users add`)."""
    from dashboard.auth import accounts
    from indicators.storage import appdb

    with appdb.opened(app_db) as con:
        accounts.add_user(con, default_catalogue().regions, username, role, region, password, 12)


def log_in(client, username: str, password: str = "correct horse battery", next_: str = "/"):
    """POST the login form as a browser does (with the form's CSRF token); returns the response."""
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": username, "password": password, "next": next_,
                                       "csrf_token": token})
