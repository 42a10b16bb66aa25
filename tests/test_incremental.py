"""The incremental publish equals the full computation.

A load publishes by recomputing only the (indicator, year) slices its observations touched, what derives from
them, and the progress and index rows those can move (indicators.engine.publish). These tests revise, add and
re-send random observations (seeded, so a failure reproduces) and after every load compare the published facts,
progress and index tables with a full rebuild (`dem data rebuild`) of a copy of the same warehouse.
"""

from __future__ import annotations

import csv
import random
import shutil
from pathlib import Path

import pandas as pd
import pytest
from helpers import SUBMISSIONS, batches, invoke_dem, load, make_warehouse, run_dem, settings_for

from indicators.base.catalogue import Catalogue
from indicators.engine import precompute, publish
from indicators.storage import warehouse

DEMO_TODAY = "2026-11-27"  # the clock the demo_warehouse fixture was built with
TABLES = ("facts", precompute.PROGRESS_TABLE, precompute.SCORES_TABLE)
KEYS = {"facts": ["indicator_code", "region_code", "year", "frequency", "period", "sub"],
        precompute.PROGRESS_TABLE: ["year", "indicator_code", "region_code"],
        precompute.SCORES_TABLE: ["year", "indicator_code", "region_code"]}


def table(db: Path, name: str) -> pd.DataFrame:
    with warehouse.reader(db) as con:
        frame = con.execute(f"SELECT * FROM {name}").df()
    keys = [k for k in KEYS[name] if k in frame.columns]
    return frame.sort_values(keys, na_position="first").reset_index(drop=True)[sorted(frame.columns)]


def meta(db: Path, key: str) -> str | None:
    with warehouse.reader(db) as con:
        row = warehouse.first_row(con, "SELECT value FROM meta WHERE key = ?", [key])
    return row[0] if row else None


def assert_same_as_rebuild(db: Path, tmp_path: Path, today: str) -> None:
    """Every derived table of `db` equals what a full rebuild of a copy computes."""
    copy = tmp_path / "rebuilt" / db.name
    shutil.rmtree(copy.parent, ignore_errors=True)
    copy.parent.mkdir(parents=True)
    shutil.copy2(db, copy)
    result = invoke_dem("data", "rebuild", db=copy, today=today)
    assert result.exit_code == 0, result.output
    for name in TABLES:
        pd.testing.assert_frame_equal(table(db, name), table(copy, name), check_exact=False, rtol=1e-12,
                                      obj=name)


def write_rows(folder: Path, name: str, rows: list[dict]) -> Path:
    """A long-format submission with English headers and codes (one of the supported variations)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["indicator_code", "region_code", "period", "value", "unit", "source", "synthetic"])
        for r in rows:
            out.writerow([r["indicator_code"], r["region_code"], r["period"], r["value"], r["unit"], r["source"],
                          "是" if r["synthetic"] else "否"])
    return path


def random_changes(db: Path, cat: Catalogue, rng: random.Random, n: int) -> list[dict]:
    """n rows: mostly revisions of current observations by up to ±8 %, some re-sent unchanged, some new (the
    same indicator and period for a sibling region that has no value yet)."""
    with warehouse.reader(db) as con:
        obs = con.execute("""SELECT o.indicator_code, o.region_code, o.period, o.value, o.source, o.synthetic,
                                    r.level FROM current_observations o JOIN regions r ON r.code = o.region_code""").df()
    have = set(zip(obs["indicator_code"], obs["region_code"], obs["period"], strict=True))
    by_level = {level: sorted(group["region_code"].unique()) for level, group in obs.groupby("level")}
    rows = []
    for i in rng.sample(range(len(obs)), n):
        r = obs.iloc[i].to_dict()
        kind = rng.choice(["revise", "revise", "revise", "resend", "new"])
        if kind == "new":
            free = [c for c in by_level[r["level"]] if (r["indicator_code"], c, r["period"]) not in have]
            if not free:
                continue
            r["region_code"] = rng.choice(free)
            have.add((r["indicator_code"], r["region_code"], r["period"]))
        if kind != "resend":
            r["value"] = round(float(r["value"]) * rng.uniform(0.92, 1.08), 4)
        r["unit"] = cat.indicators[r["indicator_code"]].unit
        r["source"] = r["source"] if isinstance(r["source"], str) else ""
        rows.append(r)
    return rows


def load_changes(db: Path, tmp_path: Path, rows: list[dict], round_: int, today: str) -> int:
    """Each row in its own file (so that a change the rules refuse, e.g. a year-to-date value below the month
    before, costs only itself), all loaded in one run: one publish. Returns how many loaded."""
    files = [write_rows(tmp_path / f"round-{round_}", f"change-{i:03d}.csv", [r]) for i, r in enumerate(rows)]
    return sum(r.accepted for r in load(db, files, today=today))


# ── small: the test fixtures ────────────────────────────────────────────────────────────────────────

def test_a_revision_is_published_incrementally_and_equals_a_rebuild(tmp_path: Path) -> None:
    db = make_warehouse(tmp_path, files=[SUBMISSIONS / "good" / "long-utf8-en-formA-plain-lf.csv"])
    assert meta(db, "facts_batch") is not None
    revision = write_rows(tmp_path / "in", "revision.csv", [
        {"indicator_code": "CX-01", "region_code": "150100", "period": "2023", "value": 3850, "unit": "亿元",
         "source": "统计局", "synthetic": False},
        {"indicator_code": "DI-01", "region_code": "150200", "period": "2023Q2", "value": 12600, "unit": "个",
         "source": "", "synthetic": False}])
    assert all(r.accepted for r in load(db, [revision]))
    assert meta(db, "facts_refresh") == "incremental"
    assert_same_as_rebuild(db, tmp_path, "2025-06-01")
    assert meta(db, "facts_batch") == str(max(b for b, *_ in batches(db)))


def test_the_step_says_what_it_did(tmp_path: Path, catalogue: Catalogue) -> None:
    db = make_warehouse(tmp_path, files=[SUBMISSIONS / "base" / "base.csv"])
    settings = settings_for(db)
    revision = write_rows(tmp_path / "in", "revision.csv", [
        {"indicator_code": "CX-01", "region_code": "150100", "period": "2023", "value": 3850, "unit": "亿元",
         "source": "统计局", "synthetic": False}])
    with warehouse.writer(db) as stage:
        assert publish.refresh(stage.con, catalogue, settings, full=False) == "unchanged"
        from etl.pipeline import load_one
        load_one(stage, revision, catalogue, settings, partial=False)
        assert publish.refresh(stage.con, catalogue, settings, full=False) == "incremental"
        assert publish.refresh(stage.con, catalogue, settings, full=False) == "unchanged"
        assert publish.refresh(stage.con, catalogue, settings, full=True) == "full"
        # another clock year or other settings: the stored layer was computed with something else
        assert publish.refresh(stage.con, catalogue, settings.at(settings.today.replace(year=2026)),
                               full=False) == "full"
        other = settings.with_overrides(etl_reconciliation_tolerance=0.05)
        assert publish.refresh(stage.con, catalogue, other, full=False) == "full"
        # a warehouse published before the record existed
        stage.con.execute("DELETE FROM meta WHERE key = 'facts_batch'")
        assert publish.refresh(stage.con, catalogue, settings, full=False) == "full"


def test_rebuild_needs_a_warehouse(tmp_path: Path) -> None:
    result = run_dem("data", "rebuild", db=tmp_path / "missing.duckdb")
    assert result.returncode == 1, result.stderr
    assert "数据仓库不存在" in result.stderr and "missing.duckdb" in result.stderr
    assert not (tmp_path / "missing.duckdb").exists()


# ── large: random revisions of the demo warehouse ───────────────────────────────────────────────────

@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12])
def test_random_revisions_of_the_demo_equal_a_rebuild(demo_warehouse: Path, tmp_path: Path, catalogue: Catalogue,
                                                      seed: int) -> None:
    db = tmp_path / "warehouse" / "demo.duckdb"
    db.parent.mkdir()
    shutil.copy2(demo_warehouse, db)
    rng = random.Random(seed)
    loaded = 0
    for round_ in range(3):
        loaded += load_changes(db, tmp_path, random_changes(db, catalogue, rng, 12), round_, DEMO_TODAY)
        assert meta(db, "facts_refresh") == "incremental"
        assert_same_as_rebuild(db, tmp_path, DEMO_TODAY)
    assert loaded >= 12  # the rules let most changes through: the comparison is about something


@pytest.mark.slow
def test_a_first_value_of_a_new_year_recomputes_the_stored_years(demo_warehouse: Path, tmp_path: Path,
                                                                 catalogue: Catalogue) -> None:
    db = tmp_path / "warehouse" / "demo.duckdb"
    db.parent.mkdir()
    shutil.copy2(demo_warehouse, db)
    with warehouse.reader(db) as con:
        last = con.execute("SELECT max(year) FROM facts").fetchone()[0]
        code, region, value, source, synthetic = con.execute(
            """SELECT indicator_code, region_code, value, source, synthetic FROM current_observations o
               JOIN indicators i ON i.code = o.indicator_code
               WHERE o.year = ? AND i.frequency = 'annual' ORDER BY 1, 2 LIMIT 1""", [last]).fetchone()
    assert last + 1 < int(DEMO_TODAY[:4])  # a past year without data, under the same clock year
    row = {"indicator_code": code, "region_code": region, "period": str(last + 1), "value": value,
           "unit": catalogue.indicators[code].unit, "source": source or "", "synthetic": synthetic}
    assert load_changes(db, tmp_path, [row], 0, DEMO_TODAY) == 1
    assert_same_as_rebuild(db, tmp_path, DEMO_TODAY)
    with warehouse.reader(db) as con:
        assert con.execute(f"SELECT max(year) FROM {precompute.SCORES_TABLE}").fetchone()[0] == last + 1
