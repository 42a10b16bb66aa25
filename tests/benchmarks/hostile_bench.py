"""Rejecting hostile files: `dem etl check` of each case of tests/hostile.py (stray quotes, zip bombs, a 200 MB
line, 3 million xlsx rows, 100 000 columns, …) in its own process — wall time and peak memory — beside the same
command on a small valid file in the same run (the baseline: interpreter start, imports, catalogue).

Goal (the hardening issue): every rejection within a few seconds of the baseline and under 1 GiB of memory.

    .venv/bin/python tests/benchmarks/hostile_bench.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))

GOAL_SECONDS, GOAL_MIB = 5.0, 1024
GOOD = ROOT / "tests" / "fixtures" / "submissions" / "good" / "long-utf8-en-formA-plain-lf.csv"


def measure(path: Path) -> tuple[float, float, int]:
    """(wall seconds, peak MiB, exit code) of `dem etl check PATH` in a child process."""
    env = {**os.environ, "DEM_TODAY": "2025-06-01", "DEM_DB": str(Path(tempfile.gettempdir()) / "dem-bench-none.duckdb")}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "indicators", "etl", "check", str(path)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main(argv: list[str] | None = None) -> None:
    import hostile

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, default=None, help="build the files here (default: a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dem-hostile-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        base_wall, base_mib, code = measure(GOOD)
        print(f"  {'baseline: a valid 9-line file':<34} {base_wall:6.2f} s {base_mib:7.0f} MiB   exit {code}")
        worst = (0.0, 0.0)
        for name, case in hostile.CASES.items():
            path = case.build(folder)
            wall, mib, code = measure(path)
            worst = (max(worst[0], wall - base_wall), max(worst[1], mib))
            size = path.stat().st_size
            print(f"  {name:<34} {wall:6.2f} s {mib:7.0f} MiB   exit {code}   {size / 2**20:8.1f} MiB file · "
                  f"{case.rule}")
            path.unlink()
    verdict = "met" if worst[0] <= GOAL_SECONDS and worst[1] < GOAL_MIB else "NOT met"
    print(f"Goal (each rejection ≤ baseline + {GOAL_SECONDS:.0f} s, < {GOAL_MIB} MiB): {verdict} "
          f"(worst: baseline + {worst[0]:.1f} s, {worst[1]:.0f} MiB)")


if __name__ == "__main__":
    main()
