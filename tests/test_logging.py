"""Logging is configured once per process from settings [logging] (indicators/base/logs.py): text or JSON lines on
standard error with UTC times, the level respected, an invalid value a configuration error (exit 2); the run logs
of `dem etl run` and the traceback logs stay bounded; gunicorn writes its access log in the same format."""

from __future__ import annotations

import json
import logging
import re
import stat
from datetime import UTC, datetime, timedelta

import pytest
from gunicorn.config import Config
from helpers import make_warehouse, run_dem, settings_for

from dashboard import server
from etl.inbox import run_inbox
from etl.pipeline import log_internal_error
from indicators.base import logs
from indicators.base.catalogue import default_catalogue
from indicators.base.settings import Logging, load_settings

TEXT_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+) (.*)$")


@pytest.fixture(autouse=True)
def pristine_logging():
    """Each test configures the process's logging; put back what was there (pytest's own handlers)."""
    root, dem = logging.getLogger(), logging.getLogger(logs.ROOT)
    saved = root.handlers[:], root.level, dem.level
    gunicorn = {name: logging.getLogger(name).handlers[:] for name in ("gunicorn.error", "gunicorn.access")}
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    dem.setLevel(saved[2])
    for name, handlers in gunicorn.items():
        logging.getLogger(name).handlers[:] = handlers


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_text_lines_carry_the_utc_time_the_level_the_logger_and_the_message(capsys):
    logs.configure(Logging(format="text"))
    logging.getLogger("dem.etl").warning("run finished: files=%d", 3)

    [line] = _lines(capsys.readouterr().err)
    when, level, name, message = TEXT_LINE.match(line).groups()
    assert (level, name, message) == ("WARNING", "dem.etl", "run finished: files=3")
    assert abs(datetime.strptime(when, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(
        minutes=1)  # UTC, not the machine's local time
    assert logs.stamp(1796043600.4) == "2026-11-30T13:00:00Z"


def test_json_lines_parse_one_object_each_with_fields_and_the_traceback(capsys):
    logs.configure(Logging(format="json"))
    log = logging.getLogger("dem.dashboard")
    log.info("served %s", "/", extra={"fields": {"status": 200}})
    try:
        raise ZeroDivisionError("a bug")
    except ZeroDivisionError:
        log.exception("unexpected")

    first, second = (json.loads(line) for line in _lines(capsys.readouterr().err))
    assert {k: first[k] for k in ("level", "logger", "message", "status")} == {
        "level": "INFO", "logger": "dem.dashboard", "message": "served /", "status": 200}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first["time"])
    assert second["level"] == "ERROR" and "ZeroDivisionError: a bug" in second["exception"]


def test_the_level_applies_to_the_dem_loggers_and_other_libraries_log_from_warning_up(capsys):
    logs.configure(Logging(level="warning"))
    logging.getLogger("dem.etl").info("hidden")
    logging.getLogger("dem.etl").warning("shown")
    assert [TEXT_LINE.match(line).group(4) for line in _lines(capsys.readouterr().err)] == ["shown"]

    logs.configure(Logging(level="debug"))
    logging.getLogger("dem.portal").debug("dem detail")
    logging.getLogger("some.library").info("library chatter")
    logging.getLogger("some.library").warning("library warning")
    assert [TEXT_LINE.match(line).group(4) for line in _lines(capsys.readouterr().err)] == [
        "dem detail", "library warning"]


def test_configuring_twice_keeps_one_handler_in_the_latest_format(capsys):
    logs.configure(Logging(format="text"))
    logs.configure(Logging(format="json"))
    logging.getLogger("dem.etl").warning("once")

    [line] = _lines(capsys.readouterr().err)
    assert json.loads(line)["message"] == "once"
    assert len([h for h in logging.getLogger().handlers if isinstance(h.formatter, logs.JsonFormatter)]) == 1


@pytest.mark.parametrize(("environ", "message"), [
    ({"DEM_LOG_FORMAT": "xml"}, "[logging]: format = 'xml': one of text, json"),
    ({"DEM_LOG_LEVEL": "verbose"}, "[logging]: level = 'verbose': one of debug, info, warning, error"),
    ({"DEM_LOGGING_KEEP_RUN_LOGS": "0"}, "keep_run_logs (0) and backups (5) must be ≥ 1"),
])
def test_an_invalid_logging_setting_stops_the_cli_with_exit_2_naming_the_allowed_values(tmp_path, environ, message):
    result = run_dem("catalogue", "check", db=tmp_path / "dem.duckdb", **environ)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_level_and_format_accept_upper_case_from_the_environment():
    assert load_settings(environ={"DEM_LOG_LEVEL": "WARNING", "DEM_LOG_FORMAT": "JSON"}).logging == Logging(
        format="json", level="warning")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_dem_etl_run_logs_its_outcome_on_standard_error_in_the_chosen_format(tmp_path, fmt):
    db = make_warehouse(tmp_path)
    (db.parent / "inbox").mkdir()

    result = run_dem("etl", "run", db=db, DEM_LOG_FORMAT=fmt)

    assert result.returncode == 0, result.stdout + result.stderr
    [line] = [line for line in _lines(result.stderr) if "run finished" in line]
    if fmt == "json":
        entry = json.loads(line)
        assert (entry["level"], entry["logger"]) == ("INFO", "dem.etl") and "files=0" in entry["message"]
    else:
        assert TEXT_LINE.match(line).group(2, 3) == ("INFO", "dem.etl") and "files=0" in line
    assert "run finished" not in result.stdout  # standard output keeps the command's own report


def test_run_logs_beyond_the_kept_number_are_deleted_oldest_first(tmp_path):
    db = make_warehouse(tmp_path)
    settings = settings_for(db).with_overrides(logging_keep_run_logs=2)
    folder = settings.paths.logs
    folder.mkdir(parents=True)
    old = [folder / f"etl-run-2025010{d}T013000000000.json" for d in (1, 2, 3)]
    for path in old:
        path.write_text("{}", encoding="utf-8")
    (db.parent / "inbox").mkdir()

    summary = run_inbox(default_catalogue(), settings, db.parent / "inbox", db.parent / "archive",
                        db.parent / "quarantine")

    assert sorted(folder.glob("etl-run-*.json")) == [old[2], summary.log_path]
    assert json.loads(summary.log_path.read_text(encoding="utf-8"))["files"] == []


def test_prune_keeps_the_newest_by_name_and_leaves_other_files(tmp_path):
    names = ["etl-run-20260101T000000000000.json", "etl-run-20261130T130000000000.json",
             "etl-run-20250601T120000000000.json"]
    for name in [*names, "etl-runs.log", "etl-errors.log"]:
        (tmp_path / name).write_text("x", encoding="utf-8")

    deleted = logs.prune(tmp_path, "etl-run-*.json", keep=1)

    assert [p.name for p in deleted] == [names[2], names[0]]  # oldest first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["etl-errors.log", names[1], "etl-runs.log"]


def test_an_appended_log_is_rotated_by_size_and_keeps_only_its_backups(tmp_path):
    config = Logging(max_bytes=4096, backups=2)
    path = tmp_path / "logs" / "dem-errors.log"
    for n in range(40):
        logs.append(path, f"entry {n:02d} " + "x" * 500 + "\n", config)

    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["dem-errors.log", "dem-errors.log.1", "dem-errors.log.2"]
    assert all((path.parent / f).stat().st_size <= 4096 for f in files)
    assert "entry 39" in path.read_text() and "entry 00" not in "".join((path.parent / f).read_text() for f in files)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_traceback_logs_of_dem_and_of_the_etl_stay_bounded(tmp_path, monkeypatch):
    from indicators.cli import _log_traceback

    monkeypatch.setenv("DEM_PATHS_LOGS", str(tmp_path / "logs"))
    monkeypatch.setenv("DEM_LOGGING_MAX_BYTES", "4096")
    monkeypatch.setenv("DEM_LOGGING_BACKUPS", "1")
    settings = load_settings()
    for n in range(30):
        try:
            raise RuntimeError(f"bug number {n} " + "y" * 400)
        except RuntimeError as exc:
            assert _log_traceback(exc) == str(tmp_path / "logs" / "dem-errors.log")
            assert log_internal_error(settings, f"file {n}.csv", exc) == str(tmp_path / "logs" / "etl-errors.log")

    for name in ("dem-errors.log", "etl-errors.log"):
        files = sorted((tmp_path / "logs").glob(name + "*"))
        assert [p.name for p in files] == [name, name + ".1"]
        assert all(p.stat().st_size <= 4096 for p in files)
        assert "bug number 29" in files[0].read_text() and "Traceback" in files[0].read_text()


def test_an_internal_error_of_the_etl_is_one_log_line_without_its_traceback(tmp_path, caplog):
    settings = settings_for(tmp_path / "dem.duckdb")
    with caplog.at_level(logging.INFO, logger="dem.etl"):
        try:
            raise ZeroDivisionError("a bug met on this file")
        except ZeroDivisionError as exc:
            where = log_internal_error(settings, "file crash.csv", exc)
    [record] = [r for r in caplog.records if r.name == "dem.etl"]
    assert record.levelno == logging.ERROR and record.exc_info is None
    assert record.getMessage() == (f"internal error in file crash.csv: ZeroDivisionError: a bug met on this file "
                                   f"(traceback in {where})")


# ── gunicorn ─────────────────────────────────────────────────────────────────────────────────────────

def test_gunicorn_options_carry_the_access_log_the_level_and_the_logger_class():
    options = server.options(load_settings(environ={"DEM_LOG_LEVEL": "debug"}))
    assert options["accesslog"] == "-" and options["errorlog"] == "-"
    assert options["loglevel"] == "debug" and options["logger_class"] is server.GunicornLogger
    assert "%(s)s" in options["access_log_format"] and "%(r)s" in options["access_log_format"]
    assert "cookie" not in options["access_log_format"].lower() and "%(t)s" not in options["access_log_format"]


class _Response:
    status, sent, headers = "200 OK", 5120, [("Content-Type", "text/html")]


class _Request:
    headers = [("COOKIE", "session=secret-cookie"), ("AUTHORIZATION", "Bearer secret-token")]


ENVIRON = {"REQUEST_METHOD": "GET", "RAW_URI": "/league/152500?year=2023", "SERVER_PROTOCOL": "HTTP/1.1",
           "PATH_INFO": "/league/152500", "QUERY_STRING": "year=2023", "REMOTE_ADDR": "10.0.0.7",
           "HTTP_USER_AGENT": "Mozilla/5.0", "HTTP_REFERER": "-"}


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_gunicorns_access_log_is_written_in_the_configured_format_without_secrets(capsys, fmt):
    settings = load_settings(environ={"DEM_LOG_FORMAT": fmt})
    logs.configure(settings.logging)
    cfg = Config()
    for key, value in server.options(settings).items():
        cfg.set(key, value)
    gunicorn_log = cfg.logger_class(cfg)  # what the arbiter makes; its handlers write to standard output

    gunicorn_log.access(_Response(), _Request(), ENVIRON, timedelta(milliseconds=41))

    [line] = _lines(capsys.readouterr().out)
    assert "secret" not in line
    if fmt == "json":
        entry = json.loads(line)
        assert entry["logger"] == "gunicorn.access" and entry["status"] == 200 and entry["path"] == "/league/152500"
        assert (entry["remote"], entry["bytes"], entry["duration_ms"]) == ("10.0.0.7", 5120, 41)
    else:
        when, level, name, message = TEXT_LINE.match(line).groups()
        assert (level, name) == ("INFO", "gunicorn.access")
        assert message == '10.0.0.7 "GET /league/152500?year=2023 HTTP/1.1" 200 5120 41ms "-" "Mozilla/5.0"'


def test_gunicorns_error_log_follows_the_level_setting(capsys):
    settings = load_settings(environ={"DEM_LOG_LEVEL": "warning"})
    logs.configure(settings.logging)
    cfg = Config()
    for key, value in server.options(settings).items():
        cfg.set(key, value)
    gunicorn_log = cfg.logger_class(cfg)

    gunicorn_log.info("Booting worker with pid: 1")
    gunicorn_log.warning("Worker timeout (pid: 1)")

    [line] = _lines(capsys.readouterr().err)
    assert TEXT_LINE.match(line).group(2, 3, 4) == ("WARNING", "gunicorn.error", "Worker timeout (pid: 1)")
