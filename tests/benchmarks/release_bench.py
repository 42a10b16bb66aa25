"""What a release costs: every batch of a warehouse accepted and released at once (periods `*`), on the demo
warehouse and the 1 M-row benchmark file. A release records the released (batch, period) pairs in the working
warehouse (a publish of that file) and rebuilds the public warehouse whole from them: a copy of the released
observations and the full derived layer. The baseline beside it, measured in the same run on the same file:
`dem data rebuild`'s full computation of the working warehouse's derived layer — the part a release repeats.

Each measurement runs on a fresh copy with a fresh application database (median of --repeat). No goal is set by the
issue; the figures show what the design choice "rebuild the public warehouse whole at each release" costs.

    .venv/bin/python tests/benchmarks/release_bench.py --db DEMO.duckdb [--db LARGE.duckdb]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))


def once(source: Path, workdir: Path) -> tuple[float, float, float]:
    """(seconds to accept every batch, seconds to release, seconds of a full rebuild of the derived layer)."""
    from etl.release import accept_unreviewed, publish_release
    from indicators.base.catalogue import default_catalogue
    from indicators.base.releases import Release
    from indicators.base.settings import load_settings
    from indicators.engine import publish
    from indicators.storage import warehouse

    folder = Path(tempfile.mkdtemp(dir=workdir))
    db = folder / "dem.duckdb"
    shutil.copyfile(source, db)
    settings = load_settings().with_overrides(paths_warehouse=db, paths_app_db=folder / "app.sqlite")
    cat = default_catalogue()
    start = time.perf_counter()
    accept_unreviewed(cat, settings, "bench", "benchmark")
    accepted = time.perf_counter()
    now = warehouse.utc_now()
    publish_release(Release(f"B{time.time_ns()}", now, ("*",), "基准", "bench"), cat, settings, "bench", now=now)
    released = time.perf_counter()
    with warehouse.writer(db, on_publish=publish.step(cat, settings, full=True),
                          memory_mb=settings.limits.writer_memory_mb) as stage:
        stage.changed = True
    rebuilt = time.perf_counter()
    shutil.rmtree(folder, ignore_errors=True)
    return accepted - start, released - accepted, rebuilt - released


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, action="append", required=True, help="a warehouse; repeatable")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    import duckdb

    with tempfile.TemporaryDirectory(prefix="dem-release-bench-") as tmp:
        for db in args.db:
            with duckdb.connect(str(db), read_only=True) as con:
                rows, batches = con.execute("SELECT (SELECT count(*) FROM current_observations), "
                                            "(SELECT count(*) FROM batches)").fetchone()
            runs = [once(db, Path(tmp)) for _ in range(args.repeat)]
            accept, release, rebuild = (statistics.median(r[i] for r in runs) for i in range(3))
            print(f"{db.name}: {rows:,} current observations, {batches} batches — accept all {accept:.2f} s · "
                  f"release (record + public warehouse) {release:.2f} s · baseline, full derived-layer rebuild of "
                  f"the working warehouse {rebuild:.2f} s · release / baseline {release / rebuild:.1f}×")


if __name__ == "__main__":
    main()
