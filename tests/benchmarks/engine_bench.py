"""Benchmark of the indicator engine on the full demo warehouse (issue: Indicator engine).

Prints the median time of the API calls the dashboard makes and the time to rebuild the derived layer.
Goals: each call under 50 ms median; the derived layer refreshed in under 10 s after a load.
Run: .venv/bin/python tests/benchmarks/engine_bench.py [--db PATH]   (builds a demo warehouse if none given)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import demo_warehouse  # noqa: E402 — this folder is on sys.path when benchmarks run
import duckdb

from indicators.base.catalogue import default_catalogue
from indicators.base.settings import load_settings
from indicators.engine import derive, precompute, publish, query
from indicators.storage import warehouse


def median_ms(func, repeat: int = 30) -> float:
    func()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args(argv)
    db = args.db
    if db is None:
        db = demo_warehouse.build(Path(tempfile.mkdtemp()) / "demo.duckdb")
    cat, settings = default_catalogue(), load_settings()
    cache = warehouse.Snapshot(db)
    with cache.cursor() as con:
        n_obs = con.execute("SELECT count(*) FROM current_observations").fetchall()[0][0]
        n_facts = con.execute("SELECT count(*) FROM facts").fetchall()[0][0]
        year = max(query.data_years(con))
    print(f"warehouse: {n_obs:,} current observations, {n_facts:,} facts, latest year {year}")

    copy = Path(tempfile.mkdtemp()) / "copy.duckdb"
    shutil.copyfile(db, copy)
    with duckdb.connect(str(copy)) as con:
        start = time.perf_counter()
        n = derive.refresh(con, cat, settings.today, settings.etl.reconciliation_tolerance)
        print(f"facts computed and stored: {time.perf_counter() - start:.2f} s for {n:,} facts")
        start = time.perf_counter()
        publish.refresh(con, cat, settings, full=True)
        print(f"the full publish step (facts + precomputed progress and index scores): "
              f"{time.perf_counter() - start:.2f} s (goal < 10 s)")

    leagues = [r.code for r in cat.regions.leagues()]

    def call(fn):
        def run():
            with cache.cursor() as con:
                return fn(con)
        return run

    calls = {
        "one indicator × all leagues × all years": call(lambda con: query.values(con, ["DI-02"], level="league")),
        "one league × all indicators × one year": call(lambda con: query.values(con, regions=["150100"],
                                                                                 years=(year, year))),
        "index for one year": call(lambda con: precompute.index_scores(con, cat, year, settings.index)),
        "progress, region + 12 leagues, one year": call(lambda con: precompute.progress(
            con, cat, year, settings.progress, regions=["150000", *leagues])),
    }
    print(f"{'API call':45s} {'median ms':>10s}  goal 50 ms")
    for name, fn in calls.items():
        ms = median_ms(fn)
        print(f"{name:45s} {ms:10.1f}  {'ok' if ms < 50 else 'SLOW'}")


if __name__ == "__main__":
    main()
