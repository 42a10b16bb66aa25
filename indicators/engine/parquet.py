"""The Parquet publication (docs/open-data.md): the released observations and facts as Hive-partitioned Parquet
datasets, `DIR/observations/indicator=CX-01/year=2023/part-0.parquet`, with `_metadata` and `_common_metadata`
files and a README — how users who outgrow one machine take the data to DuckDB, Spark, Trino or pyarrow.

The rows and columns are those of `dem data export` (observations) and `dem data export --derived` (facts), read from
the same query functions; the partition columns `indicator` (= indicator_code) and `year` live in the paths only.
The folder is built beside DIR and renamed into place: an existing publication is replaced only once the new one is
complete, and a folder that is not a publication of this command is never replaced.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from indicators.base.catalogue import Catalogue
from indicators.base.errors import StorageError, UsageError
from indicators.engine import export, release
from indicators.storage import warehouse

MANIFEST = "_publication.json"  # marks a folder as a publication of this command (and says what it holds)
PARTITIONS = ["indicator", "year"]
STRING = pa.string()
OBSERVATION_SCHEMA = pa.schema([
    ("indicator_code", STRING), ("indicator_name", STRING), ("region_code", STRING), ("region_name", STRING),
    ("region_level", STRING), ("period", STRING), ("value", pa.float64()), ("unit", STRING), ("obs_status", STRING),
    ("synthetic", pa.bool_()), ("source", STRING), ("note", STRING), ("batch_id", pa.int64()),
    ("revised", pa.bool_())])
FACT_SCHEMA = pa.schema([
    ("indicator_code", STRING), ("indicator_name", STRING), ("region_code", STRING), ("region_name", STRING),
    ("region_level", STRING), ("period", STRING), ("value", pa.float64()), ("unit", STRING), ("obs_status", STRING),
    ("status", STRING),
    ("coverage", STRING), ("complete", pa.bool_()), ("ytd_through", STRING), ("rolled_up_from", STRING),
    ("synthetic", pa.bool_()), ("revised", pa.bool_()), ("source", STRING), ("batch_id", pa.int64())])
assert OBSERVATION_SCHEMA.names == export.OBSERVATION_COLUMNS and FACT_SCHEMA.names == export.FACT_COLUMNS


@dataclass(frozen=True)
class Provenance:
    """What release the publication reflects: the public warehouse's identity, publication time and last release."""
    warehouse_id: str | None
    published_at: str | None
    release_id: str | None
    released_at: str | None
    release_title: str | None


def provenance(con: duckdb.DuckDBPyConnection) -> Provenance:
    done = release.carried_out(con)
    last = done.iloc[-1] if len(done) else None
    return Provenance(warehouse.warehouse_id(con), warehouse.publication_time(con),
                      None if last is None else str(last["release_id"]),
                      None if last is None else pd.Timestamp(last["released_at"]).isoformat(),
                      None if last is None else f"{last['title_zh'] or ''} | {last['title_en'] or ''}")


def _table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """The export frame with the partition columns added: indicator = indicator_code, year = the period's year."""
    columns = {name: frame[name].astype(object).where(frame[name].notna(), None).tolist() for name in schema.names}
    table = pa.table(columns, schema=schema)
    indicator = pa.array(frame["indicator_code"].astype(object).tolist(), STRING)
    year = pa.array([int(str(p)[:4]) for p in frame["period"]], pa.int32())
    return table.append_column("indicator", indicator).append_column("year", year)


def write_dataset(table: pa.Table, schema: pa.Schema, root: Path, meta: dict[bytes, bytes]) -> int:
    """One Hive-partitioned dataset: data files, `_common_metadata` (the schema) and `_metadata` (the schema and
    every file's row groups, so a reader plans without opening each file). Returns the number of data files."""
    collected: list[pq.FileMetaData] = []

    def visit(written) -> None:
        written.metadata.set_file_path(Path(written.path).relative_to(root).as_posix())
        collected.append(written.metadata)

    root.mkdir(parents=True)
    file_schema = schema.with_metadata(meta)
    if table.num_rows:
        partitioning = pads.partitioning(pa.schema([("indicator", STRING), ("year", pa.int32())]), flavor="hive")
        pads.write_dataset(table.replace_schema_metadata(meta), root, format="parquet", partitioning=partitioning,
                           basename_template="part-{i}.parquet", file_visitor=visit,
                           existing_data_behavior="error")
    pq.write_metadata(file_schema, root / "_common_metadata")
    pq.write_metadata(file_schema, root / "_metadata", metadata_collector=collected)
    return len(collected)


def _replaceable(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).exists())):
        raise UsageError(f"{out} 已存在且不是本命令发布的Parquet目录，不会覆盖；请指定新的或空的目录",
                         f"{out} exists and is not a Parquet publication of this command; it is not replaced — "
                         "give a new or empty folder")


def publish(con: duckdb.DuckDBPyConnection, cat: Catalogue, out: Path) -> dict:
    """Write the publication of the warehouse on `con` to `out` (built beside it, then renamed into place) and return
    its manifest."""
    _replaceable(out)
    source = provenance(con)
    frames = {"observations": (export.observations(con, cat), OBSERVATION_SCHEMA),
              "facts": (export.facts(con, cat), FACT_SCHEMA)}
    meta = {f"dem.{k}".encode(): (v or "").encode("utf-8") for k, v in vars(source).items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        manifest = {**vars(source), "format": "parquet (hive partitioning: indicator, year)", "datasets": {}}
        for name, (frame, schema) in frames.items():
            files = write_dataset(_table(frame, schema), schema, partial / name, meta)
            manifest["datasets"][name] = {"rows": len(frame), "files": files, "columns": schema.names,
                                          "partitions": PARTITIONS}
        (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (partial / "README.md").write_text(README.format(**_readme_fields(manifest)), encoding="utf-8")
        _swap(partial, out)
    except OSError as exc:
        raise StorageError(f"无法写入Parquet目录 {out}: {exc}", f"cannot write the Parquet folder {out}: {exc}") from exc
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return manifest


def _swap(partial: Path, out: Path) -> None:
    """Rename the finished folder into place; a previous publication is moved aside first and removed after (a
    folder cannot be renamed over a non-empty one), so DIR is missing for the moment between two renames only."""
    old = out.with_name(f".{out.name}.{os.getpid()}.old")
    if out.exists():
        os.replace(out, old)
    try:
        os.replace(partial, out)
    except OSError:
        if old.exists():
            os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _readme_fields(manifest: dict) -> dict:
    sets = manifest["datasets"]
    return {"release_id": manifest["release_id"] or "—（尚无发布 no release yet）",
            "released_at": manifest["released_at"] or "—", "release_title": manifest["release_title"] or "—",
            "published_at": manifest["published_at"] or "—", "warehouse_id": manifest["warehouse_id"] or "—",
            "observation_rows": sets["observations"]["rows"], "fact_rows": sets["facts"]["rows"]}


README = """# 北疆数字经济监测 — 已发布数据 (Parquet) | Released data of the Inner Mongolia Digital Economy Monitor

Written by `dem data publish-parquet`; do not edit — the next publication replaces this folder.

## Release | 发布

- last release: {release_id} ({release_title}), carried out {released_at} UTC
- public warehouse published {published_at} UTC; warehouse id {warehouse_id}
- released values only (数据发布前须经审核与发布): what `dem data export` gives for the same release
- `_publication.json` repeats this and lists each dataset's rows, files and columns

## Datasets | 数据集

| folder | rows | what | same as |
|---|---|---|---|
| `observations/` | {observation_rows} | the current released observations as reported (one row per indicator, region, period) | `dem data export` |
| `facts/` | {fact_rows} | reported, aggregated (league/region sums), rolled-up (annual from quarterly or monthly) and derived values | `dem data export --derived` |

Partitioned Hive-style by `indicator=<indicator code>/year=<calendar year of the period>/`; the two partition
columns are in the paths, not in the files (`indicator` equals `indicator_code`). Each dataset has `_common_metadata`
(the schema) and `_metadata` (the schema and every file's row groups). The schema's key-value metadata
`dem.release_id`, `dem.released_at`, `dem.published_at`, `dem.warehouse_id` say which release the files reflect.

## Columns | 字段

| column | type | meaning |
|---|---|---|
| `indicator_code` | string | indicator code of the catalogue (`dem catalogue indicators`), e.g. CX-01 |
| `indicator_name` | string | its Chinese name |
| `region_code` | string | GB/T 2260 code of the region, league or county (`dem catalogue regions`) |
| `region_name` | string | its Chinese name |
| `region_level` | string | region, league or county |
| `period` | string | 2023 (year), 2023Q1 (quarter) or 2023M03 (month) |
| `value` | double | the value in `unit`, full precision |
| `unit` | string | the catalogue unit (亿元 = 10^8 yuan, 万人 = 10^4 persons, %) |
| `synthetic` | boolean | true: 示例数据, synthetic demonstration data, not a statistic |
| `source` | string | the data source named in the submission (facts: the sources of its inputs) |
| `note` | string | the submitter's remark (备注); observations only |
| `batch_id` | int64 | the load batch (submitted file) the value came from (facts: the newest input's) |
| `revised` | boolean | an earlier released vintage of this value was replaced |
| `status` | string | facts only: reported, aggregated or derived (`dem indicators explain`) |
| `coverage` | string | facts only: units reporting / units expected for an aggregate, e.g. 11/12 |
| `complete` | boolean | facts only: every unit (or sub-period) below reported |
| `ytd_through` | string | facts only: the last period a year-to-date value covers |
| `rolled_up_from` | string | facts only: the sub-periods a rolled-up value was added up from, e.g. 2023Q1–2023Q4 |
| `indicator` | string | partition: the indicator code |
| `year` | int32 | partition: the year of `period` |

## Reading | 读取

DuckDB:

    SELECT * FROM read_parquet('observations/*/*/*.parquet', hive_partitioning = true)
    WHERE indicator = 'CX-01' AND year >= 2022;

Python (pyarrow):

    import pyarrow.dataset as ds
    table = ds.dataset("observations", format="parquet", partitioning="hive").to_table()

Spark:

    spark.read.option("basePath", "observations").parquet("observations")

Trino/Presto (Hive connector): an external table over `observations/` partitioned by (indicator, year).
"""
