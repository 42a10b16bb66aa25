"""Progress of long commands goes to standard error only: plain timed lines for logs and cron, a bar or a line
rewritten in place on a terminal, nothing with --quiet (indicators.cli.Progress)."""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import ROOT, SUBMISSIONS, dem_env, make_warehouse

from indicators.cli import Progress

FILES = [SUBMISSIONS / "good" / "long-utf8-en-formA-plain-lf.csv", SUBMISSIONS / "bad" / "gb18030-unknown-region-crlf.csv",
         SUBMISSIONS / "good" / "long-zh-numbers.xlsx"]


def test_progress_off_a_terminal_is_plain_lines_with_the_seconds_since_the_start(capsys):
    shown = Progress(quiet=False, live=False)
    shown("载入 | loading")
    shown.item(1, 2, "a.csv")
    shown.item(2, 2, "b.csv")
    shown.close()
    out, err = capsys.readouterr()
    assert out == ""
    assert re.fullmatch(r"\[ +\d+\.\d s\] 载入 \| loading\n\[ +\d+\.\d s\] 1/2 a\.csv\n\[ +\d+\.\d s\] 2/2 b\.csv\n",
                        err), err


def test_progress_on_a_terminal_rewrites_one_line_and_ends_it(capsys):
    shown = Progress(quiet=False, live=True)
    shown("reading")
    shown("rendering")
    shown.close()
    _, err = capsys.readouterr()
    assert re.fullmatch(r"\r\x1b\[K\[ +\d+\.\d s\] reading\r\x1b\[K\[ +\d+\.\d s\] rendering\n", err), repr(err)


def test_quiet_progress_prints_nothing(capsys):
    shown = Progress(quiet=True, live=True)
    shown("reading")
    shown.item(1, 1, "a.csv")
    shown.close()
    assert capsys.readouterr() == ("", "")


def _stderr_on_a_terminal(args: list[str], db: Path) -> tuple[int, str, str]:
    """Run `dem ARGS` with standard error on a pseudo-terminal (standard output a pipe); (exit, stdout, stderr)."""
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "indicators", *args], stdout=subprocess.PIPE, stderr=slave,
                               cwd=ROOT, env=dem_env(db))
    os.close(slave)
    stdout = process.stdout.read().decode()
    process.wait(timeout=300)
    err = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    return process.returncode, stdout, err.decode()


def test_etl_run_shows_a_bar_per_file_on_a_terminal_and_keeps_standard_output_for_results(tmp_path):
    db = make_warehouse(tmp_path)
    inbox = db.parent / "inbox"
    inbox.mkdir()
    for n, path in enumerate(FILES):
        shutil.copyfile(path, inbox / path.name)
        os.utime(inbox / path.name, (1_700_000_000 + n, 1_700_000_000 + n))
    code, stdout, stderr = _stderr_on_a_terminal(["etl", "run"], db)
    assert code == 1, stdout + stderr
    assert re.search(r"\[#+-*\] +1/3 +long-utf8-en-formA-plain-lf\.csv", stderr), repr(stderr)
    assert re.search(r"\[#+\] +3/3 +long-zh-numbers\.xlsx", stderr), repr(stderr)
    assert not re.search(r"\[ +\d+\.\d s\] \d/3", stderr)  # no plain lines on a terminal
    # the bar has ended its line before the run's log line: the two never share one
    assert re.search(r"3/3 +long-zh-numbers\.xlsx[^\n]*\n(.*\n)*.*WARNING dem\.etl run finished", stderr), repr(stderr)
    assert not re.search(r"#[^\n]*WARNING dem\.etl", stderr), repr(stderr)
    assert "processed 3 file(s), 1 rejected" in stdout and "3/3" not in stdout
