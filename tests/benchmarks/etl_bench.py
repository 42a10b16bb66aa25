"""The ETL load benchmark: a valid long-layout submission of N rows, DuckDB's bare read_csv of it, and the ETL load.

Generation and both measurements run in child processes, so that each one's peak resident memory is its own (the
child reports getrusage(RUSAGE_SELF).ru_maxrss; RUSAGE_CHILDREN in the parent would be the maximum over all children
so far) and neither warms the other's caches. The parent stays small, because Linux counts the memory of the parent
a child was forked from in the child's peak. Heavy imports stay inside functions so the DuckDB child loads only
DuckDB.
The generated file is valid: every indicator at its own levels and frequency, periods in the past, values inside
their ranges, year-to-date series rising within each year, leagues equal to the sum of their counties and small
year-on-year changes, so the ETL does its full work (every rule is evaluated) without producing problems.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FREQ_SUBS = {"annual": [0], "quarterly": [1, 2, 3, 4], "monthly": list(range(1, 13))}


def _series(cat):
    """One row per (indicator, region, sub-period) a year holds: what one year of a complete submission covers."""
    import pandas as pd

    rows = []
    for ind in cat.indicators.values():
        if ind.is_derived:
            continue
        for level in ind.levels:
            for region in cat.regions.at_level(level):
                for sub in FREQ_SUBS[ind.frequency]:
                    rows.append((ind.code, region.code, region.level, region.parent_code, ind.frequency, sub))
    return pd.DataFrame(rows, columns=["indicator_code", "region_code", "level", "parent", "frequency", "sub"])


def _period(year, sub, frequency):
    import numpy as np

    y = year.astype(str)
    s = sub.astype(str)
    return np.where(frequency == "annual", y,
                    np.where(frequency == "quarterly", np.char.add(np.char.add(y, "Q"), s),
                             np.char.add(np.char.add(y, "M"), np.char.zfill(s, 2))))


def generate(path: Path, rows: int, last_year: int = 2024, seed: int = 7) -> Path:
    """Write a valid submission of exactly `rows` data rows (years counted back from last_year)."""
    import numpy as np
    import pandas as pd

    from indicators.base.catalogue import load_catalogue

    cat = load_catalogue()
    one_year = _series(cat)
    years = math.ceil(rows / len(one_year))
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(years):  # oldest first, like a yearbook
        year = last_year - years + 1 + k
        f = one_year.assign(year=year)
        frames.append(f)
    f = pd.concat(frames, ignore_index=True)
    f = f.iloc[len(f) - rows:].reset_index(drop=True)  # drop the oldest surplus rows
    inds = {i.code: i for i in cat.indicators.values()}
    lo = f["indicator_code"].map(lambda c: inds[c].min if inds[c].min is not None else 0.0).to_numpy(float)
    hi = f["indicator_code"].map(lambda c: inds[c].max if inds[c].max is not None else 1e4).to_numpy(float)
    # a smooth level per (indicator, region), growing 3 % a year, inside the valid range
    series_id = pd.factorize(f["indicator_code"] + f["region_code"] + f["sub"].astype(str))[0]
    base = lo + (hi - lo) * (0.2 + 0.6 * rng.random(series_id.max() + 1)[series_id])
    grow = 1.03 ** np.maximum(f["year"].to_numpy() - last_year, -30)  # flat before 30 years back: no 0.00 values
    value = np.where(hi > 1e3, base * grow, base)  # bounded indicators (%, PUE, grades) stay level
    ytd = f["indicator_code"].map(lambda c: inds[c].measure == "ytd").to_numpy()
    value = np.where(ytd, 10.0 * f["sub"].to_numpy() * grow, value)
    f["value"] = np.round(value, 2)
    f = _reconcile(f, cat)
    f["period"] = _period(f["year"].to_numpy(), f["sub"].to_numpy(), f["frequency"].to_numpy())
    f["unit"] = f["indicator_code"].map(lambda c: inds[c].unit)
    f = f[["indicator_code", "region_code", "period", "value", "unit"]]
    f.to_csv(path, index=False, float_format="%.2f")
    return path


def _reconcile(f, cat):
    """Leagues of additive indicators equal the sum of their counties, so the reconciliation rule stays quiet."""
    additive = {i.code for i in cat.indicators.values() if i.aggregation == "sum" and "county" in i.levels}
    counties = f[(f["level"] == "county") & f["indicator_code"].isin(additive)]
    sums = counties.groupby(["indicator_code", "parent", "year", "sub"])["value"].sum().rename("total").reset_index()
    sums = sums.rename(columns={"parent": "region_code"})
    merged = f.merge(sums, on=["indicator_code", "region_code", "year", "sub"], how="left")
    merged["value"] = merged["total"].fillna(merged["value"]).round(2)
    return merged.drop(columns="total")


# ── measurements (each in its own child process) ─────────────────────────────────────────────────────

@dataclass
class Measurement:
    wall: float  # seconds: the whole child process (interpreter start, imports, work)
    work: float  # seconds: the work alone, timed inside the child
    peak_mib: float  # peak resident memory of the child (its own getrusage(RUSAGE_SELF).ru_maxrss)
    detail: dict


def _run_child(*args: str, env: dict[str, str] | None = None) -> Measurement:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, cwd=ROOT,
                          env={**os.environ, **(env or {})})
    wall = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"{args} failed ({proc.returncode}):\n{proc.stderr.decode(errors='replace')[-3000:]}")
    detail = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    return Measurement(wall, detail.pop("work"), detail.pop("peak_kib") / 1024, detail)


def generate_in_child(path: Path, rows: int) -> Path:
    """Generate in a child process. The parent must stay small: a child's peak RSS as the kernel counts it
    includes the memory of the parent it was forked from, so a parent holding a 4-million-row frame would
    inflate every measurement after it."""
    _run_child("generate", str(path), str(rows))
    return path


def measure_duckdb(csv: Path, workdir: Path) -> Measurement:
    """(a) DuckDB's own CSV reader into a table of a database file, checkpointed: the floor for any loader."""
    _remove(workdir / "bare.duckdb")
    return _run_child("duckdb", str(csv), str(workdir / "bare.duckdb"))


def _remove(db: Path) -> None:
    for path in db.parent.glob(db.name + "*"):
        path.unlink()


def measure_etl(csv: Path, workdir: Path, today: str, derived: bool = True, early: bool = True) -> Measurement:
    """(b) the production loader, etl.pipeline.load_files, into an empty warehouse (as `dem etl load` does).
    derived=False skips the indicator engine's refresh of the derived layer at publish, to time the ETL alone;
    early=False keeps a first load from being inserted while it is validated (etl.load.InsertWhileValidating), to see what
    that overlap saves."""
    db = workdir / f"warehouse-{'full' if derived else 'etl'}{'' if early else '-serial'}.duckdb"
    _remove(db)  # into an empty warehouse every time
    return _run_child("etl", str(csv), str(db), "1" if derived else "0", "1" if early else "0",
                      env={"DEM_TODAY": today})


def measure_small_load(db: Path, csv: Path, today: str, full: bool) -> Measurement:
    """load_files of one submission into the (already published) warehouse `db`, incremental or full publish."""
    return _run_child("small", str(db), str(csv), "1" if full else "0", env={"DEM_TODAY": today})


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child_duckdb(csv: str, db: str) -> dict:
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect(db)
    con.execute("CREATE TABLE submission AS SELECT * FROM read_csv(?)", [csv])
    rows = con.execute("SELECT count(*) FROM submission").fetchall()[0][0]
    con.execute("CHECKPOINT")
    con.close()
    return {"work": time.perf_counter() - start, "rows": rows}


def _child_generate(path: str, rows: str) -> dict:
    start = time.perf_counter()
    generate(Path(path), int(rows))
    return {"work": time.perf_counter() - start}


def _child_etl(csv: str, db: str, derived: str, early: str = "1") -> dict:
    from etl import pipeline
    from etl.pipeline import load_files
    from indicators.base.catalogue import load_catalogue
    from indicators.base.settings import load_settings
    from indicators.engine import publish

    if early == "0":  # validation without the hook that starts inserting a first load while it runs
        validate_file = pipeline.validate_file

        def serial(*args, before_rules=None, **kwargs):
            return validate_file(*args, **kwargs)

        pipeline.validate_file = serial

    refresh = publish.refresh
    spent = {"derived": 0.0}

    def timed_refresh(*args, **kwargs):  # the engine's derived layer runs at publish; report it separately
        t = time.perf_counter()
        if derived == "1":
            refresh(*args, **kwargs)
        spent["derived"] += time.perf_counter() - t

    publish.refresh = timed_refresh
    start = time.perf_counter()
    settings = load_settings().with_overrides(paths_warehouse=Path(db))
    [result] = load_files([Path(csv)], load_catalogue(), settings)
    work = time.perf_counter() - start
    return {"work": work, "derived": spent["derived"], "status": result.status, "rows": result.counts.get("rows", 0),
            "new": result.counts.get("new", 0), "errors": result.n_errors, "warnings": result.n_warnings}


def _child_small(db: str, csv: str, full: str) -> dict:
    """Time the parts of a small load: the staging copy, the load, the publish step, the rest (connect, schema
    check, checkpoint, fsync, rename)."""
    import duckdb

    from etl import pipeline
    from indicators.base.catalogue import load_catalogue
    from indicators.base.settings import load_settings
    from indicators.engine import publish
    from indicators.storage import warehouse

    spent = {"copy": 0.0, "publish": 0.0}
    copy, step = warehouse._stage_copy, publish.step

    def timed_copy(*args):
        t = time.perf_counter()
        copy(*args)
        spent["copy"] += time.perf_counter() - t

    def timed_step(cat, settings, full_=False):
        inner = step(cat, settings, full=full == "1")

        def run(con):
            t = time.perf_counter()
            inner(con)
            spent["publish"] += time.perf_counter() - t
        return run

    warehouse._stage_copy, pipeline.publish.step = timed_copy, timed_step
    cat, settings = load_catalogue(), load_settings().with_overrides(paths_warehouse=Path(db))
    start = time.perf_counter()
    with pipeline.writing(settings, cat) as stage:
        t = time.perf_counter()
        result = pipeline.load_one(stage, Path(csv), cat, settings, partial=False)
        load = time.perf_counter() - t
    work = time.perf_counter() - start
    with duckdb.connect(db, read_only=True) as con:
        kind = con.execute("SELECT value FROM meta WHERE key = 'facts_refresh'").fetchone()[0]
    return {"work": work, "copy": spent["copy"], "load": load, "publish": spent["publish"],
            "rest": work - spent["copy"] - load - spent["publish"], "kind": kind, "status": result.status,
            "errors": result.n_errors, "warnings": result.n_warnings}


if __name__ == "__main__":
    kind, *rest = sys.argv[1:]
    sys.path.insert(0, str(ROOT))
    out = {"duckdb": _child_duckdb, "etl": _child_etl, "generate": _child_generate, "small": _child_small}[kind](*rest)
    print(json.dumps({**out, "peak_kib": _peak_kib()}))
