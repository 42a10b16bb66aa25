"""A small load into a small and into a large warehouse: does publishing cost what the load changes, or what the
warehouse holds?

The submission: 2 000 rows of one league (呼伦贝尔市 150700) and its counties — revisions of their latest periods
(every value × 0.995), made from each warehouse's own current values so that it is valid against both. The
warehouses: the demo warehouse (≈ 54 000 observations) and the 1 M-row benchmark file loaded by the production
loader. Each measurement runs `etl.pipeline.load_files` in a child process on a fresh copy of the warehouse
(median of 3) and splits the time into the staging copy, the load, the publish step and the rest (checkpoint,
fsync, rename). The same load with a full publish (what every load did before the incremental step) is measured
beside it as the baseline.

Goal (the core issue): load-and-publish on the large warehouse ≤ 1.5 × on the demo.

    .venv/bin/python tests/benchmarks/publish_bench.py --demo DEMO.duckdb --large LARGE.duckdb
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import etl_bench  # noqa: E402

GOAL_RATIO = 1.5
LEAGUE, ROWS, FACTOR = "150700", 2000, 0.995
TODAY = {"demo": "2026-11-27", "large": "2025-06-01"}  # the clocks the two warehouses were built with


def revision_file(db: Path, out: Path) -> Path:
    """ROWS rows of LEAGUE and its counties, their latest periods first, each value × FACTOR."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("""
            SELECT o.indicator_code, o.region_code, o.period, o.value, o.source, o.synthetic, i.unit
            FROM current_observations o JOIN regions r ON r.code = o.region_code
                 JOIN indicators i ON i.code = o.indicator_code
            WHERE o.region_code = ? OR r.parent_code = ?
            ORDER BY o.year DESC, o.sub DESC, o.indicator_code, o.region_code LIMIT ?""",
                           [LEAGUE, LEAGUE, ROWS]).fetchall()
    if len(rows) < ROWS:
        raise SystemExit(f"{db} holds only {len(rows)} observations of {LEAGUE} and its counties")
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["indicator_code", "region_code", "period", "value", "unit", "source", "synthetic"])
        for code, region, period, value, source, synthetic, unit in rows:
            w.writerow([code, region, period, f"{value * FACTOR:.6g}", unit, source or "", "是" if synthetic else "否"])
    return out


def measure(db: Path, submission: Path, workdir: Path, today: str, full: bool, repeat: int) -> etl_bench.Measurement:
    def once() -> etl_bench.Measurement:
        copy = workdir / f"small-load-{db.stem}.duckdb"
        for leftover in workdir.glob(copy.name + "*"):
            leftover.unlink()
        shutil.copyfile(db, copy)
        m = etl_bench.measure_small_load(copy, submission, today, full)
        if m.detail["status"] != "loaded" or m.detail["errors"]:
            raise SystemExit(f"the benchmark submission did not load into {db}: {m.detail}")
        return m

    runs = sorted((once() for _ in range(repeat)), key=lambda m: m.work)
    return runs[len(runs) // 2]


def _describe(db: Path) -> tuple[int, float]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        n = con.execute("SELECT count(*) FROM current_observations").fetchone()[0]
    return n, db.stat().st_size / 2**20


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", type=Path, required=True)
    parser.add_argument("--large", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dem-bench-small-") as tmp:
        workdir = Path(tmp)
        print(f"a {ROWS:,}-row submission of {LEAGUE} and its counties (revisions of their latest periods), "
              f"median of {args.repeat}")
        print(f"  {'warehouse':<10} {'observations':>12} {'file':>8}  {'load+publish':>12}  {'staging copy':>12}  "
              f"{'load':>6}  {'publish':>8}  {'rest':>6}  {'peak':>8}   with a full publish instead")
        work = {}
        for name, db in (("demo", args.demo), ("large", args.large)):
            submission = revision_file(db, workdir / f"revision-{name}.csv")
            inc = measure(db, submission, workdir, TODAY[name], full=False, repeat=args.repeat)
            full = measure(db, submission, workdir, TODAY[name], full=True, repeat=args.repeat)
            n, mib = _describe(db)
            d = inc.detail
            print(f"  {name:<10} {n:>12,} {mib:6.0f} MiB  {inc.work:10.2f} s  {d['copy']:10.2f} s  {d['load']:5.2f} s"
                  f"  {d['publish']:6.2f} s  {d['rest']:5.2f} s  {inc.peak_mib:5.0f} MiB   {full.work:.2f} s "
                  f"(publish {full.detail['publish']:.2f} s) · step: {d['kind']}")
            work[name] = (inc.work, full.work)
    ratio, before = work["large"][0] / work["demo"][0], work["large"][1] / work["demo"][1]
    print(f"  large / demo: {ratio:.2f} (with a full publish: {before:.2f})   goal ≤ {GOAL_RATIO}: "
          f"{'met' if ratio <= GOAL_RATIO else 'NOT met'}")


if __name__ == "__main__":
    main()
