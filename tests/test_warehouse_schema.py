"""The warehouse schema is versioned: every earlier version a published file may have is migrated by the next
writer, step by step, inside its staging copy; a file written by newer software is refused; readers compare the
version instead of probing for tables.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from helpers import SUBMISSIONS, batches, export_bytes, load, make_warehouse, run_dem

from indicators.storage import warehouse

# The schema as version 1 wrote it (observations without the CHECK; rejected_keys was added later without a
# version of its own, so some version-1 files have it and some do not).
VERSION_1 = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE batch_ids START 1;
CREATE TABLE batches (batch_id INTEGER PRIMARY KEY, file_name VARCHAR NOT NULL, file_path VARCHAR,
    sha256 VARCHAR NOT NULL, size_bytes BIGINT, received_at TIMESTAMP, loaded_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL, file_format VARCHAR, encoding VARCHAR, layout VARCHAR, rows_total INTEGER,
    rows_new INTEGER, rows_revised INTEGER, rows_unchanged INTEGER, rows_not_reported INTEGER, rows_rejected INTEGER,
    n_errors INTEGER, n_warnings INTEGER, submitter_region VARCHAR, synthetic BOOLEAN, message VARCHAR);
CREATE TABLE observations (indicator_code VARCHAR NOT NULL, region_code VARCHAR NOT NULL, period VARCHAR NOT NULL,
    year INTEGER NOT NULL, sub INTEGER NOT NULL, value DOUBLE NOT NULL, unit_submitted VARCHAR, note VARCHAR,
    source VARCHAR, synthetic BOOLEAN NOT NULL, batch_id INTEGER NOT NULL, line INTEGER, superseded_by INTEGER);
CREATE TABLE problems (batch_id INTEGER, file_name VARCHAR, line INTEGER, "column" VARCHAR, value VARCHAR,
    rule VARCHAR, severity VARCHAR, message_zh VARCHAR, message_en VARCHAR);
CREATE VIEW current_observations AS SELECT * FROM observations WHERE superseded_by IS NULL;
INSERT INTO meta VALUES ('schema_version', '1');
"""
REJECTED_KEYS_1 = "CREATE TABLE rejected_keys (batch_id INTEGER, indicator_code VARCHAR, league_code VARCHAR, period VARCHAR);"
OBSERVATION = ("INSERT INTO batches (batch_id, file_name, sha256, loaded_at, status) VALUES (1, 'old.csv', 'x', "
               "now(), 'loaded'); SELECT nextval('batch_ids');"
               "INSERT INTO observations VALUES ('CX-01', '150100', '2022', 2022, 0, 3500, '亿元', NULL, '统计局', false, 1,"
               " 2, NULL)")


def version_1(path: Path, with_rejected_keys: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(VERSION_1 + (REJECTED_KEYS_1 if with_rejected_keys else ""))
    con.execute(OBSERVATION)
    con.close()
    return path


def at_version(path: Path, version: int) -> Path:
    """Exactly what `version` wrote: a version-1 file taken through the migration steps before it."""
    version_1(path, with_rejected_keys=True)
    con = duckdb.connect(str(path))
    for step_from in range(1, version):
        number, _, step = warehouse.MIGRATIONS[step_from]
        step(con)
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(number)])
    con.close()
    return path


@pytest.mark.parametrize("with_rejected_keys", [True, False], ids=["with-rejected_keys", "without-rejected_keys"])
def test_a_version_1_file_is_migrated_to_the_current_schema_by_the_next_load_and_keeps_its_data(
        tmp_path, with_rejected_keys):
    db = version_1(tmp_path / "warehouse" / "dem.duckdb", with_rejected_keys)

    [result] = load(db, [SUBMISSIONS / "warn" / "yoy-change.csv"])

    assert result.status == "loaded"
    with warehouse.reader(db) as con:
        assert warehouse.schema_version(con) == warehouse.SCHEMA_VERSION
        assert con.execute("SELECT value, batch_id FROM observations WHERE period = '2022'").fetchall() == [(3500, 1)]
        assert con.execute("SELECT count(*) FROM rejected_keys").fetchone() == (0,)
        sql = con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'observations'").fetchone()[0]
    assert 'CHECK(isfinite("value"))' in sql
    assert [b[0] for b in batches(db)] == [1, 2]  # the sequence went on from where version 1 left it


def test_a_version_2_file_gains_the_batch_submitter_and_its_earlier_batches_have_none(tmp_path):
    db = at_version(tmp_path / "warehouse" / "dem.duckdb", 2)

    [result] = load(db, [SUBMISSIONS / "warn" / "yoy-change.csv"])

    assert result.status == "loaded"
    with warehouse.reader(db) as con:
        assert warehouse.schema_version(con) == warehouse.SCHEMA_VERSION
        assert con.execute("SELECT batch_id, submitter FROM batches ORDER BY batch_id").fetchall() == [(1, None),
                                                                                                      (2, None)]
        assert con.execute("SELECT value FROM observations WHERE period = '2022'").fetchall() == [(3500,)]


def test_a_version_3_file_gains_the_release_tables_and_an_identity_and_nothing_of_it_is_public(tmp_path):
    db = at_version(tmp_path / "warehouse" / "dem.duckdb", 3)

    [result] = load(db, [SUBMISSIONS / "warn" / "yoy-change.csv"])

    assert result.status == "loaded"
    with warehouse.reader(db) as con:
        assert warehouse.schema_version(con) == warehouse.SCHEMA_VERSION and len(warehouse.warehouse_id(con)) == 36
        assert con.execute("SELECT count(*) FROM releases").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM released").fetchone() == (0,)  # an upgrade publishes nothing
    assert not warehouse.public_path(db).exists()


def test_a_version_4_file_gains_the_observation_status_and_its_earlier_values_are_normal(tmp_path):
    db = at_version(tmp_path / "warehouse" / "dem.duckdb", 4)

    [result] = load(db, [SUBMISSIONS / "warn" / "yoy-change.csv"])

    assert result.status == "loaded"
    with warehouse.reader(db) as con:
        assert warehouse.schema_version(con) == warehouse.SCHEMA_VERSION == 5
        assert con.execute("SELECT value, obs_status FROM observations WHERE period = '2022'").fetchall() == [
            (3500, "A")]
        sql = con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'observations'").fetchone()[0]
    assert 'CHECK((obs_status IN (\'A\', \'P\', \'E\', \'F\')))' in sql
    assert 'CHECK(isfinite("value"))' in sql


def test_every_migration_step_leads_to_the_next_version_up_to_the_current_one():
    versions = sorted(warehouse.MIGRATIONS)
    assert versions == list(range(1, warehouse.SCHEMA_VERSION))
    assert [warehouse.MIGRATIONS[v][0] for v in versions] == list(range(2, warehouse.SCHEMA_VERSION + 1))


def test_a_file_written_by_newer_software_is_refused_and_left_as_it_is(tmp_path):
    db = make_warehouse(tmp_path, files=[SUBMISSIONS / "base" / "base.csv"])
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    before = export_bytes(db)

    result = run_dem("etl", "load", str(SUBMISSIONS / "warn" / "yoy-change.csv"), db=db)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "warehouse schema version 99 is newer than this software's" in result.stderr
    assert export_bytes(db) == before


def test_the_quality_page_reads_a_version_1_file_without_probing_for_tables(tmp_path, catalogue):
    from indicators.engine import obligations

    db = version_1(tmp_path / "v1.duckdb", with_rejected_keys=False)
    with warehouse.reader(db) as con:
        assert warehouse.schema_version(con) == 1
        held, unread = obligations.rejections(con, catalogue)
    assert held.empty and unread.empty


def test_a_failed_migration_rolls_back_and_publishes_nothing(tmp_path):
    db = version_1(tmp_path / "warehouse" / "dem.duckdb", with_rejected_keys=True)
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO observations VALUES ('CX-01', '150200', '2022', 2022, 0, 'inf'::DOUBLE, NULL, NULL, "
                "NULL, false, 1, 3, NULL)")
    con.close()
    before = db.read_bytes()

    result = run_dem("etl", "load", str(SUBMISSIONS / "warn" / "yoy-change.csv"), db=db)

    assert result.returncode == 2
    assert "holds 1 observation(s) that are not finite numbers" in result.stderr
    assert db.read_bytes() == before and not list(db.parent.glob("*.staging-*"))


def test_the_writer_bounds_duckdb_memory_and_leaves_no_spill_folder(tmp_path):
    db = make_warehouse(tmp_path, files=[SUBMISSIONS / "base" / "base.csv"])
    stale = db.with_name(db.name + ".staging-999999.tmp")  # a killed writer's spill folder
    stale.mkdir()
    (stale / "duckdb_temp_block-1.block").write_bytes(b"x" * 100)
    with warehouse.writer(db, memory_mb=64) as stage:
        assert not stale.exists()
        limit, folder = stage.con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchall()[0]
        assert limit == "61.0 MiB"  # 64 MB
        assert Path(folder) == stage.path.with_name(stage.path.name + ".tmp")
        stage.changed = True
    assert sorted(p.name for p in db.parent.iterdir() if p.name.startswith(db.name)) == [db.name, db.name + ".lock"]
