"""Open formats of the released data (docs/open-data.md, docs/sdmx.md): the Parquet publication read back by DuckDB
and pyarrow equals `dem data export`; SDMX-CSV 2.0 observations; indicator reference metadata."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from helpers import load, revised_warehouse, run_dem

from indicators.base import periods
from indicators.base.catalogue import default_catalogue
from indicators.base.errors import StorageError
from indicators.engine import export, parquet, sdmx
from indicators.storage import warehouse

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def released_and_pending(tmp_path_factory):
    """The good fixture and a revision of Hohhot's GDP (3850), both released; then a later revision (3999) loaded
    but not released: public outputs must show 3850."""
    base = tmp_path_factory.mktemp("open")
    db = revised_warehouse(base)
    late = base / "late.csv"
    late.write_text("指标代码,地区,统计期,数值,计量单位\nCX-01,呼市,2023年,3999,亿元\n", encoding="utf-8")
    assert all(r.accepted for r in load(db, [late]))
    return db


@pytest.fixture(scope="module")
def published(released_and_pending, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pub") / "parquet"
    result = run_dem("data", "publish-parquet", "--out", str(out), db=released_and_pending)
    assert result.returncode == 0, result.stderr
    assert "published 7 observations and 8 facts" in result.stdout and "(release T2)" in result.stdout
    return out


def _export_rows(db: Path, tmp_path: Path, *args: str) -> list[dict]:
    out = tmp_path / "export.csv"
    result = run_dem("data", "export", "--out", str(out), *args, db=db)
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))


def _as_export_rows(frame, columns: list[str]) -> list[dict]:
    """A frame read back from Parquet written as the export writes CSV, so both sides compare as the same text."""
    return list(csv.DictReader(io.StringIO(frame[columns].to_csv(index=False))))


def _key(row: dict) -> tuple:
    return row["indicator_code"], row["region_code"], row["period"], row["batch_id"]


def _duckdb(dataset: Path):
    con = duckdb.connect()
    try:
        return con.execute("SELECT * FROM read_parquet(?, hive_partitioning = true)",
                           [str(dataset / "*" / "*" / "*.parquet")]).df()
    finally:
        con.close()


def _pyarrow(dataset: Path):
    return pads.dataset(dataset, format="parquet", partitioning="hive").to_table().to_pandas()


@pytest.mark.parametrize("reader", [_duckdb, _pyarrow], ids=["duckdb", "pyarrow"])
@pytest.mark.parametrize("name,args,columns", [("observations", (), export.OBSERVATION_COLUMNS),
                                               ("facts", ("--derived",), export.FACT_COLUMNS)])
def test_parquet_read_back_equals_dem_data_export_row_for_row(published, released_and_pending, tmp_path, reader,
                                                              name, args, columns):
    frame = reader(published / name)
    expected = sorted(_export_rows(released_and_pending, tmp_path, *args), key=_key)
    assert sorted(_as_export_rows(frame, columns), key=_key) == expected
    assert len(expected) == {"observations": 7, "facts": 8}[name]
    assert list(frame["indicator"]) == list(frame["indicator_code"])
    assert [int(y) for y in frame["year"]] == [int(p[:4]) for p in frame["period"]]


def test_parquet_holds_the_released_value_not_the_later_unreleased_one(published):
    frame = _duckdb(published / "observations")
    gdp = frame[(frame["indicator_code"] == "CX-01") & (frame["region_code"] == "150100")]
    assert list(gdp["value"]) == [3850.0] and list(gdp["revised"]) == [True] and list(gdp["source"]) == ["统计局"]


def test_parquet_has_metadata_files_manifest_and_a_readme_naming_the_release(published):
    for name, rows in (("observations", 7), ("facts", 8)):
        meta = pq.read_metadata(published / name / "_metadata")
        assert meta.num_rows == rows
        assert meta.schema.to_arrow_schema().names == (export.OBSERVATION_COLUMNS if name == "observations"
                                                       else export.FACT_COLUMNS)
        schema = pq.read_schema(published / name / "_common_metadata")
        assert schema.metadata[b"dem.release_id"] == b"T2"
        assert (published / name / "indicator=CX-01" / "year=2023" / "part-0.parquet").exists()
    manifest = json.loads((published / "_publication.json").read_text(encoding="utf-8"))
    assert manifest["release_id"] == "T2" and manifest["datasets"]["facts"]["rows"] == 8
    readme = (published / "README.md").read_text(encoding="utf-8")
    assert "last release: T2" in readme and "hive_partitioning = true" in readme and "pyarrow.dataset" in readme


def test_publishing_again_replaces_the_previous_publication_and_leaves_nothing_beside_it(released_and_pending,
                                                                                         tmp_path):
    out = tmp_path / "pub"
    for _ in range(2):
        assert run_dem("data", "publish-parquet", "--out", str(out), db=released_and_pending).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pub"]
    assert len(_duckdb(out / "observations")) == 7


def test_a_folder_that_is_not_a_publication_is_not_replaced_and_the_command_exits_2(released_and_pending, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("keep me", encoding="utf-8")
    result = run_dem("data", "publish-parquet", "--out", str(out), db=released_and_pending)
    assert result.returncode == 2
    assert "不会覆盖" in result.stderr and "is not a Parquet publication of this command" in result.stderr
    assert [p.name for p in out.iterdir()] == ["thesis.docx"]


def test_a_failed_publication_keeps_the_previous_one_and_removes_its_partial_folder(released_and_pending, tmp_path,
                                                                                    monkeypatch):
    out = tmp_path / "pub"
    cat = default_catalogue()
    with warehouse.reader(warehouse.public_path(released_and_pending)) as con:
        parquet.publish(con, cat, out)
        before = sorted(p.relative_to(out) for p in out.rglob("*"))

        def full_disk(table, schema, root, meta):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(parquet, "write_dataset", full_disk)
        with pytest.raises(StorageError, match="No space left on device"):
            parquet.publish(con, cat, out)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pub"]


# ── SDMX-CSV ───────────────────────────────────────────────────────────────────────────────────────────

@pytest.fixture(scope="module")
def sdmx_export(released_and_pending, tmp_path_factory) -> tuple[bytes, list[list[str]]]:
    out = tmp_path_factory.mktemp("sdmx") / "dem.csv"
    result = run_dem("data", "export", "--format", "sdmx-csv", "--out", str(out), db=released_and_pending)
    assert result.returncode == 0, result.stderr
    assert out.with_name("dem.metadata.csv").exists()
    raw = out.read_bytes()
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))


def test_sdmx_csv_has_the_2_0_header_and_is_utf8_without_bom_with_crlf(sdmx_export):
    raw, rows = sdmx_export
    assert not raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == len(rows)
    assert rows[0] == ["STRUCTURE", "STRUCTURE_ID", "ACTION", "REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE",
                       "UNIT_MEASURE", "UNIT_MULT", "OBS_STATUS", "CONF_STATUS", "DECIMALS"]
    assert {tuple(r[:3]) for r in rows[1:]} == {("dataflow", "BJDEM:DF_DIGITAL_ECONOMY(1.0)", "I")}
    assert len(rows) == 1 + 7


def test_sdmx_csv_holds_the_released_value_with_its_unit_multiplier_and_attributes(sdmx_export):
    _, rows = sdmx_export
    data = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    gdp = next(r for r in data if (r["REF_AREA"], r["INDICATOR"], r["TIME_PERIOD"]) == ("150100", "CX-01", "2023"))
    assert (gdp["OBS_VALUE"], gdp["UNIT_MEASURE"], gdp["UNIT_MULT"]) == ("3850.0", "CNY", "8")  # 亿元 = CNY × 10^8
    assert (gdp["OBS_STATUS"], gdp["CONF_STATUS"], gdp["DECIMALS"]) == ("A", "F", "2")
    share = next(r for r in data if r["INDICATOR"] == "ID-08")
    assert (share["UNIT_MEASURE"], share["UNIT_MULT"], share["DECIMALS"]) == ("PC", "0", "1")
    assert sorted({r["TIME_PERIOD"] for r in data}) == ["2023", "2023-03", "2023-04", "2023-Q1", "2023-Q2"]


@pytest.mark.parametrize("args", [("--history",), ("--derived",)])
def test_sdmx_csv_refuses_history_and_derived_with_exit_2(released_and_pending, tmp_path, args):
    result = run_dem("data", "export", "--format", "sdmx-csv", "--out", str(tmp_path / "x.csv"), *args,
                     db=released_and_pending)
    assert result.returncode == 2 and "without --history and --derived" in result.stderr
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("code,expected", [("2023", "2023"), ("2023Q1", "2023-Q1"), ("2023M03", "2023-03"),
                                           ("2024M12", "2024-12")])
def test_periods_are_written_as_sdmx_periods(code, expected):
    assert sdmx.time_period(code) == expected == periods.from_code(code).sdmx


@pytest.mark.parametrize("unit,expected", [("亿元", ("CNY", 8)), ("万元", ("CNY", 4)), ("万人", ("PERS", 4)),
                                           ("万kWh", ("KWH", 4)), ("个", ("NUM", 0)), ("%", ("PC", 0)),
                                           ("EFLOPS", ("PFLOPS", 3)), ("公顷", ("MU_X15", 0))])
def test_units_map_to_a_code_and_a_power_of_ten(unit, expected):
    assert sdmx.unit_code(default_catalogue(), unit) == expected


def test_every_unit_code_is_documented_in_docs_sdmx():
    text = (ROOT / "docs" / "sdmx.md").read_text(encoding="utf-8")
    cat = default_catalogue()
    for dimension, code in sdmx.UNIT_CODES.items():
        assert f"`{code}`" in text and dimension in text, f"docs/sdmx.md lacks unit code {code} ({dimension})"
    assert {u.dimension for u in cat.units.values()} <= set(sdmx.UNIT_CODES)
    for field in [*sdmx.HEADER, *sdmx.METADATA_FIELDS]:
        assert f"`{field}`" in text, f"docs/sdmx.md does not document {field}"


# ── reference metadata ─────────────────────────────────────────────────────────────────────────────────

def test_catalogue_metadata_gives_sdmx_concepts_for_each_indicator(released_and_pending):
    result = run_dem("catalogue", "metadata", "--indicator", "CX-01", "--indicator", "DI-01", "--format", "json",
                     db=released_and_pending)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["INDICATOR"] for r in rows] == ["CX-01", "DI-01"] and list(rows[0]) == sdmx.METADATA_FIELDS
    gdp = rows[0]
    assert (gdp["UNIT_MEASURE"], gdp["UNIT_MEASURE_SDMX"], gdp["UNIT_MULT"], gdp["FREQ"]) == ("亿元", "CNY", 8, "A")
    assert gdp["DATA_SOURCE"] == "统计局" and gdp["CONTACT_ORGANISATION_EN"] == "Bureau of Statistics"
    assert gdp["STAT_CONC_DEF"] and "sums of the level below" in gdp["DATA_COMP"]
    assert "R2022 2023-06-30" in gdp["REL_CAL_POLICY"] and rows[1]["FREQ"] == "Q"


def test_catalogue_metadata_as_csv_lists_every_indicator(released_and_pending):
    result = run_dem("catalogue", "metadata", "--format", "csv", db=released_and_pending)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(default_catalogue().indicators) and list(rows[0]) == sdmx.METADATA_FIELDS


def test_catalogue_metadata_of_an_unknown_indicator_exits_2_naming_it(released_and_pending):
    result = run_dem("catalogue", "metadata", "--indicator", "XX-99", db=released_and_pending)
    assert result.returncode == 2 and "unknown indicator XX-99" in result.stderr
