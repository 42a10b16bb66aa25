"""Report benchmark: the region's bulletin, then all 12 leagues' bulletins in one run, on the full demo warehouse.

Each measurement runs `dem report …` in a child process and samples the proportional set size (PSS: shared
pages counted once across processes) of the whole process tree — Python and the Chromium it starts — every
250 ms; the largest single process is ru_maxrss of the waited-for children.
Goals: region report < 15 s, a league report < 8 s, all 12 league reports < 60 s (one browser for the run).

    .venv/bin/python tests/benchmarks/report_bench.py [--db PATH] [--year 2024]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import demo_warehouse  # noqa: E402 — this folder is on sys.path when benchmarks run
import psutil

ROOT = Path(__file__).resolve().parents[2]
DEM = Path(sys.executable).with_name("dem")
ENV = demo_warehouse.ENV
GOAL_REGION_S, GOAL_LEAGUE_S, GOAL_ALL_S = 15.0, 8.0, 60.0


@dataclass
class Run:
    wall: float
    peak_tree_mib: float  # Python + Chromium, sampled PSS
    peak_process_mib: float  # the largest single process (Python or a Chromium process), ru_maxrss
    pages: int = 0


def _sample_tree(proc: psutil.Process, stop: threading.Event, peak: list[float]) -> None:
    while not stop.is_set():
        try:
            tree = [proc, *proc.children(recursive=True)]
            peak[0] = max(peak[0], sum(_pss(p) for p in tree) / 2**20)
        except psutil.Error:
            pass
        stop.wait(0.25)


def _pss(proc: psutil.Process) -> int:
    """PSS in bytes from /proc/<pid>/smaps_rollup (one kernel summary: cheap enough not to slow the run down,
    unlike parsing the full smaps of every Chromium process); RSS where the rollup is unavailable."""
    try:
        with open(f"/proc/{proc.pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return proc.memory_info().rss
    except psutil.Error:  # the process just ended
        return 0


# The 12 league reports in one run, exactly as `dem report all` builds them (one read, one browser), without the
# region's report, so that the figure is the leagues' alone.
LEAGUES_ONLY = """
import sys
from pathlib import Path
from dashboard.report.build import _run, default_name, resolve_settings
from dashboard.report.content import ReportSpec
from indicators.base.catalogue import default_catalogue
settings, cat, year, out = resolve_settings(sys.argv[1]), default_catalogue(), int(sys.argv[2]), Path(sys.argv[3])
codes = [r.code for r in cat.regions.leagues()]
_run(settings, cat, [ReportSpec(year, region=c) for c in codes], [out / default_name(c, year) for c in codes], None, 2)
"""


def measure(args: list[str]) -> Run:
    """Run `args` (a `dem` command, or python code) in a child; wall time, sampled peak resident memory of the
    process tree, and the largest single process (ru_maxrss of the waited-for children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    stop, peak = threading.Event(), [0.0]
    t = time.perf_counter()
    command = [sys.executable, "-c", *args[1:]] if args[0] == "python" else [str(DEM), *args]
    child = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    sampler = threading.Thread(target=_sample_tree, args=(psutil.Process(child.pid), stop, peak), daemon=True)
    sampler.start()
    out, _ = child.communicate()
    wall = time.perf_counter() - t
    stop.set()
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"dem {' '.join(args)} failed ({child.returncode}):\n{out}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return Run(wall, peak[0], max(after, before) / 1024)


def _pages(pdf: Path) -> int:
    """Pages of a PDF, read back by poppler's pdfinfo (installed by make setup, as for the PDF tests)."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=None, help="warehouse (default: build the demo in a temp dir)")
    parser.add_argument("--year", type=int, default=2024)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dem-report-bench-") as tmp:
        work = Path(tmp)
        db = args.db or work / "demo.duckdb"
        if args.db is None:
            demo_warehouse.build(db)
        region_pdf = work / "region.pdf"
        print(f"\nReport benchmark · warehouse {db} · year {args.year} · {os.cpu_count()} CPU(s)")
        region = measure(["report", "pdf", "--db", str(db), "--year", str(args.year), "--out", str(region_pdf)])
        league = measure(["report", "pdf", "--db", str(db), "--year", str(args.year), "--region", "152500",
                          "--out", str(work / "league.pdf")])
        (work / "all").mkdir()
        every = measure(["python", LEAGUES_ONLY, str(db), str(args.year), str(work / "all")])
        pdfs = sorted((work / "all").glob("*.pdf"))
        print(f"  region report (150000)        wall {region.wall:6.1f} s   peak tree {region.peak_tree_mib:6.0f} MiB   "
              f"largest process {region.peak_process_mib:5.0f} MiB   {_pages(region_pdf)} pages  (goal < {GOAL_REGION_S:.0f} s)")
        print(f"  one league report (152500)    wall {league.wall:6.1f} s   peak tree {league.peak_tree_mib:6.0f} MiB   "
              f"largest process {league.peak_process_mib:5.0f} MiB   {_pages(work / 'league.pdf')} pages  "
              f"(goal < {GOAL_LEAGUE_S:.0f} s)")
        print(f"  all 12 league reports, 1 run  wall {every.wall:6.1f} s   peak tree {every.peak_tree_mib:6.0f} MiB   "
              f"largest process {every.peak_process_mib:5.0f} MiB   {len(pdfs)} files, "
              f"{every.wall / max(1, len(pdfs)):.1f} s per report  (goal < {GOAL_ALL_S:.0f} s)")
        met = region.wall < GOAL_REGION_S and league.wall < GOAL_LEAGUE_S and every.wall < GOAL_ALL_S
        print(f"  goals {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
