"""`dem data export` and `dem data batches` on a warehouse loaded from fixture submissions."""

from __future__ import annotations

import csv
import io

import pytest
from helpers import revised_warehouse, run_dem

REQUIRED = ["indicator_code", "indicator_name", "region_code", "region_name", "period", "value", "unit", "synthetic",
            "source", "batch_id"]


@pytest.fixture(scope="module")
def two_vintages(tmp_path_factory):
    """The good fixture, then a revision of Hohhot's GDP with a note, a source and the synthetic flag."""
    return revised_warehouse(tmp_path_factory.mktemp("export"), note="=1+1 核实后", synthetic="是")


def _export(db, tmp_path, *args) -> tuple[bytes, list[dict]]:
    out = tmp_path / "export.csv"
    result = run_dem("data", "export", "--out", str(out), *args, db=db)
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    return raw, list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_export_is_utf8_bom_csv_with_the_documented_columns_in_order(two_vintages, tmp_path):
    raw, rows = _export(two_vintages, tmp_path)
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw.decode("utf-8-sig").splitlines()[0].split(",")
    assert [c for c in header if c in REQUIRED] == REQUIRED
    assert len(rows) == 7
    gdp = next(r for r in rows if r["indicator_code"] == "CX-01")
    assert (gdp["indicator_name"], gdp["region_name"], gdp["value"], gdp["unit"]) == ("地区生产总值", "呼和浩特市",
                                                                                     "3850.0", "亿元")
    assert (gdp["synthetic"], gdp["source"], gdp["batch_id"]) == ("True", "统计局", "2")


def test_text_cells_starting_like_a_formula_are_neutralised(two_vintages, tmp_path):
    _, rows = _export(two_vintages, tmp_path, "--indicator", "CX-01")
    assert rows[0]["note"] == "'=1+1 核实后"


def test_filters_select_indicator_region_and_period(two_vintages, tmp_path):
    _, rows = _export(two_vintages, tmp_path, "--indicator", "DI-01", "--region", "包头", "--period", "2023Q2")
    assert [(r["indicator_code"], r["region_code"], r["period"], r["value"]) for r in rows] == [
        ("DI-01", "150200", "2023Q2", "12500.0")]


def test_history_lists_every_vintage_with_the_batch_that_replaced_it(two_vintages, tmp_path):
    _, rows = _export(two_vintages, tmp_path, "--history", "--indicator", "CX-01")
    assert [(r["value"], r["batch_id"], r["superseded_by"]) for r in rows] == [("3801.2", "1", "2"),
                                                                               ("3850.0", "2", "")]


def test_batches_lists_loads_newest_first(two_vintages):
    result = run_dem("data", "batches", "--format", "csv", db=two_vintages)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["batch_id"], r["file_name"], r["status"], r["rows_new"], r["rows_revised"], r["rows_not_reported"])
            for r in rows] == [("2", "revision.csv", "loaded", "0", "1", "0"),
                               ("1", "long-utf8-en-formA-plain-lf.csv", "loaded", "7", "0", "1")]
    assert rows[0]["synthetic"] == "True" and rows[1]["synthetic"] == "False"


def test_export_without_a_warehouse_exits_1_and_says_how_to_make_one(tmp_path):
    result = run_dem("data", "export", "--out", str(tmp_path / "x.csv"), db=tmp_path / "missing.duckdb")
    assert result.returncode == 1
    assert "数据仓库不存在" in result.stderr and "warehouse not found" in result.stderr
