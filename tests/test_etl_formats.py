"""Every supported way of writing a submission loads to the same observations.

The good fixtures hold the same seven observations in every variation — encoding (UTF-8, UTF-8 with BOM,
GB18030) × layout (long, wide) × period form × header language × region spelling, plus TSV, TXT and XLSX — and
one value marked not reported. Each must pass `dem etl check` and load to exactly good/expected.csv.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers import SUBMISSIONS, batches, export_bytes, invoke_dem, make_warehouse, pinned_today, settings_for

from etl.pipeline import check_files
from indicators.base.catalogue import default_catalogue
from indicators.storage import warehouse

GOOD = sorted(p for p in (SUBMISSIONS / "good").iterdir() if p.name != "expected.csv")
ENCODING = {"utf8": "utf-8", "utf8bom": "utf-8-sig", "gb18030": "gb18030"}


def _expected() -> list[dict]:
    with (SUBMISSIONS / "good" / "expected.csv").open(encoding="utf-8", newline="") as f:
        return sorted(({**row, "value": float(row["value"])} for row in csv.DictReader(f)), key=_key)


def _exported(db) -> list[dict]:
    rows = csv.DictReader(io.StringIO(export_bytes(db, history=False).decode("utf-8-sig")))
    return sorted(({"indicator_code": r["indicator_code"], "region_code": r["region_code"], "period": r["period"],
                    "value": float(r["value"]), "unit": r["unit"]} for r in rows), key=_key)


def _key(row: dict) -> tuple:
    return row["indicator_code"], row["region_code"], row["period"]


def test_fixtures_cover_every_encoding_layout_and_header_language():
    names = [p.name for p in GOOD]
    for encoding in ENCODING:
        for layout in ("long", "wide"):
            for headers in ("en", "zh"):
                assert any(n.startswith(f"{layout}-{encoding}-{headers}") for n in names), (encoding, layout, headers)
    for form in "ABCD":
        assert any(f"-form{form}-" in n for n in names)
    assert {p.suffix for p in GOOD} == {".csv", ".tsv", ".txt", ".xlsx"}


@pytest.mark.parametrize("path", GOOD, ids=[p.name for p in GOOD])
def test_good_file_passes_check_and_loads_to_the_expected_observations(path, tmp_path):
    db = tmp_path / "warehouse" / "dem.duckdb"
    with pinned_today():
        [result] = check_files([path], default_catalogue(), settings_for(db))
    assert result.errors == []
    assert {p.rule for p in result.warnings} == {"not_reported"}
    db = make_warehouse(tmp_path, files=[path])
    assert _exported(db) == _expected()


@pytest.mark.parametrize("path", [p for p in GOOD if p.suffix != ".xlsx"], ids=lambda p: p.name)
def test_encoding_is_detected_and_reported(path, tmp_path):
    result = invoke_dem("etl", "check", "--format", "json", str(path), db=tmp_path / "none.duckdb")
    assert result.exit_code == 0, result.output
    declared = next((v for k, v in ENCODING.items() if f"-{k}-" in path.name), "utf-8")
    assert json.loads(result.output)[0]["encoding"] == declared


def test_not_reported_markers_are_counted_not_loaded(tmp_path):
    db = make_warehouse(tmp_path, files=[SUBMISSIONS / "good" / "long-utf8-en-formA-plain-lf.csv"])
    assert batches(db) == [(1, "long-utf8-en-formA-plain-lf.csv", "loaded")]
    with warehouse.reader(db) as con:
        assert con.execute("SELECT rows_total, rows_new, rows_not_reported FROM batches").fetchall() == [(8, 7, 1)]
        assert con.execute("SELECT count(*) FROM observations WHERE region_code = '150100' AND indicator_code = "
                           "'CX-02'").fetchall() == [(0,)]


def test_wide_yearbook_skips_title_rows_and_footnote_and_reports_lines_as_seen(tmp_path):
    path = SUBMISSIONS / "good" / "wide-utf8bom-zh-yearbook-title-footnote.csv"
    db = make_warehouse(tmp_path, files=[path])
    with warehouse.reader(db) as con:
        lines = con.execute("SELECT indicator_code, period, line FROM observations ORDER BY line, period").fetchall()
    # title on line 1, blank line 2, header line 3: the first data row is line 4
    assert lines[0] == ("CX-01", "2023", 4)
    assert ("ID-08", "2023", 9) in lines


def test_units_are_converted_to_the_catalogue_unit_exactly(tmp_path):
    db = make_warehouse(tmp_path, files=[SUBMISSIONS / "good" / "long-utf8-zh-formB-fancy-crlf.csv"])
    values = {(r["indicator_code"], r["period"]): r["value"] for r in _exported(db)}
    assert values[("CX-02", "2023")] == 2404.9155  # 24 049 155 人 → 万人, no rounding residue
    assert values[("DI-01", "2023Q2")] == 12500.0  # 1.25 万个 → 个
    assert values[("ID-08", "2023")] == 45.3  # "45.3%" for a % indicator
