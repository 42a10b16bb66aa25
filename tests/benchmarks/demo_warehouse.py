"""The demo warehouse the engine, dashboard and report benchmarks measure against, built by the production CLI
(`dem demo build`) with its generated files beside it, never into the checkout's data/demo/."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ENV = {**os.environ, "DEM_TODAY": "2026-11-27"}  # the clock the demo data was made for


def build(db: Path) -> Path:
    start = time.perf_counter()
    db.parent.mkdir(parents=True, exist_ok=True)
    dem = Path(sys.executable).with_name("dem")
    # its own application database (the review decisions the build records), never the checkout's
    subprocess.run([str(dem), "demo", "build", "--db", str(db), "--out", str(db.parent / "demo-files")],
                   env={**ENV, "DEM_PATHS_APP_DB": str(db.parent / "dem-app.sqlite")}, check=True, capture_output=True)
    print(f"demo warehouse built at {db} in {time.perf_counter() - start:.1f} s", flush=True)
    return db
