"""CSV and XLSX exports with their metadata: `dem report csv` on the demo warehouse and `dem data export --format`
on a warehouse whose notes try formula injection. Round trips equal the warehouse query; text that a spreadsheet
would run as a formula is neutralised (OWASP) while numbers stay numbers; CSV is UTF-8 with BOM and CRLF.
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest
from helpers import SUBMISSIONS, make_warehouse, run_dem

from indicators.base.catalogue import default_catalogue
from indicators.engine import export
from indicators.storage import warehouse

TODAY = "2026-11-27"
HEAD = "指标代码,地区,统计期,数值,计量单位,备注,数据来源,示例数据\n"
# Through the ETL (which trims leading whitespace, so tab and CR are tested on the writer directly below).
HOSTILE_NOTES = ["=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3"]


@pytest.fixture(scope="module")
def report_csv(demo_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "监测分析报告_150000_2024.csv"
    result = run_dem("report", "csv", "--year", "2024", "--out", str(out), db=demo_warehouse, today=TODAY)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A warehouse whose notes and sources start like spreadsheet formulas."""
    tmp = tmp_path_factory.mktemp("hostile")
    rows = "".join(f'CX-01,{code},2023年,{3000 + i},亿元,"{note}",统计局,否\n'
                   for i, (code, note) in enumerate(zip(["150100", "150200", "150300", "150400"],
                                                        HOSTILE_NOTES, strict=True)))
    path = tmp / "notes.csv"
    path.write_text(HEAD + rows + 'CX-02,150100,2023年,344.61,万人,ok,"=HYPERLINK(""http://x"")",否\n', encoding="utf-8")
    return make_warehouse(tmp, files=[SUBMISSIONS / "good" / "long-utf8-en-formA-plain-lf.csv", path])


def _read_csv(path) -> tuple[bytes, pd.DataFrame]:
    raw = path.read_bytes()
    return raw, pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str, keep_default_na=False)


def test_report_csv_is_excel_compatible_utf8_with_bom_and_crlf(report_csv):
    raw, frame = _read_csv(report_csv)
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and len(frame) > 1000
    assert "呼和浩特市" in raw.decode("utf-8-sig")


def test_report_csv_round_trip_equals_the_warehouse_query(report_csv, demo_warehouse):
    cat = default_catalogue()
    scope = ["150000"] + [r.code for r in cat.regions.leagues()]
    with warehouse.reader(warehouse.public_path(demo_warehouse)) as con:  # a report reads the released values
        expected = export.facts(con, cat, regions=scope)
    expected = expected[expected["period"].str[:4].astype(int).between(2019, 2024)].reset_index(drop=True)
    _, got = _read_csv(report_csv)
    assert list(got.columns) == export.FACT_COLUMNS and len(got) == len(expected)
    values = pd.to_numeric(got["value"].replace("", None))
    assert ((values - expected["value"]).abs().fillna(0) < 1e-9).all()
    for col in ("indicator_code", "region_code", "period", "status", "unit", "coverage"):
        assert list(got[col]) == [export.neutralise(str(v)) if pd.notna(v) else "" for v in expected[col]], col


def test_report_csv_has_a_metadata_sidecar_with_definitions_sources_time_and_synthetic_flag(report_csv):
    sidecar = report_csv.with_name("监测分析报告_150000_2024.metadata.csv")
    raw, meta = _read_csv(sidecar)
    assert raw.startswith(b"\xef\xbb\xbf") and list(meta.columns) == export.METADATA_COLUMNS
    di01 = meta[meta["indicator_code"] == "DI-01"].iloc[0]
    assert (di01["indicator_name"], di01["unit"]) == ("5G基站数", "个") and di01["definition"]
    assert di01["synthetic"] == "True" and di01["file_synthetic"] == "True" and int(di01["synthetic_rows"]) > 0
    assert di01["generated_at"].endswith("Z") and di01["warehouse_published_at"]
    assert meta["sources"].str.len().gt(0).any()


def test_report_csv_in_english_names_indicators_and_regions_in_english_with_the_same_values(report_csv,
                                                                                           demo_warehouse, tmp_path):
    result = run_dem("report", "csv", "--year", "2024", "--lang", "en", "--out",
                     str(tmp_path / "x.csv"), db=demo_warehouse, today=TODAY)
    assert result.returncode == 0, result.stderr
    _, english = _read_csv(tmp_path / "x.csv")
    _, chinese = _read_csv(report_csv)
    assert english.drop(columns=["indicator_name", "region_name"]).equals(
        chinese.drop(columns=["indicator_name", "region_name"]))
    cat = default_catalogue()
    assert set(english["indicator_name"]) == {cat.indicator(c).name_en for c in english["indicator_code"]}
    assert set(english["region_name"]) == {cat.regions.by_code[c].name_en for c in english["region_code"]}
    default = run_dem("report", "csv", "--year", "2024", "--lang", "en", db=demo_warehouse, today=TODAY,
                      DEM_PATHS_EXPORTS=str(tmp_path / "exports"))
    assert default.returncode == 0 and (tmp_path / "exports" / "monitoring_bulletin_150000_2024.csv").is_file()


def test_report_xlsx_has_data_and_a_说明_sheet_with_numbers_as_numbers(demo_warehouse, tmp_path):
    out = tmp_path / "report.xlsx"
    result = run_dem("report", "csv", "--year", "2024", "--region", "锡盟", "--out", str(out), db=demo_warehouse,
                     today=TODAY)
    assert result.returncode == 0, result.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["data", "说明"]
    header = [c.value for c in book["data"][1]]
    value_col = header.index("value")
    cells = [row[value_col] for row in book["data"].iter_rows(min_row=2) if row[value_col].value is not None]
    assert cells and all(c.data_type == "n" for c in cells)
    assert [c.value for c in book["说明"][1]] == export.METADATA_COLUMNS


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_like_text_is_neutralised_and_numbers_stay_numbers(hostile, tmp_path, fmt):
    out = tmp_path / f"notes.{fmt}"
    result = run_dem("data", "export", "--format", fmt, "--indicator", "CX-01", "--indicator", "CX-02",
                     "--out", str(out), db=hostile)
    assert result.returncode == 0, result.stderr
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
        notes = {r["region_code"]: r["note"] for r in rows if r["indicator_code"] == "CX-01" and r["note"]}
        mine = [r for r in rows if (r["indicator_code"], r["region_code"], r["period"]) == ("CX-02", "150100", "2023")]
        sources, values = [r["source"] for r in mine], [r["value"] for r in mine]
        assert values == ["344.61"]
    else:
        sheet = openpyxl.load_workbook(out)["data"]
        header = [c.value for c in sheet[1]]
        rows = [{h: c for h, c in zip(header, row, strict=True)} for row in sheet.iter_rows(min_row=2)]
        assert all(r[k].data_type != "f" for r in rows for k in header)  # no cell is a formula
        notes = {r["region_code"].value: r["note"].value for r in rows
                 if r["indicator_code"].value == "CX-01" and r["note"].value}
        mine = [r for r in rows if (r["indicator_code"].value, r["region_code"].value, r["period"].value)
                == ("CX-02", "150100", "2023")]
        sources, value = [r["source"].value for r in mine], mine[0]["value"]
        assert value.data_type == "n" and value.value == 344.61
    assert sorted(notes.values()) == sorted("'" + n for n in HOSTILE_NOTES)
    assert sources == ["'=HYPERLINK(\"http://x\")"]


def test_data_export_keeps_its_csv_default_and_adds_the_metadata_sidecar(hostile, tmp_path):
    out = tmp_path / "all.csv"
    result = run_dem("data", "export", "--out", str(out), db=hostile)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    _, meta = _read_csv(tmp_path / "all.metadata.csv")
    assert set(meta["indicator_code"]) >= {"CX-01", "CX-02"} and (meta["file_synthetic"] == "False").all()


def test_metadata_lists_the_most_used_sources_first_and_counts_the_rest():
    frame = pd.DataFrame({"indicator_code": ["DI-01"] * 8, "synthetic": [False] * 8,
                          "source": ["a", "a", "b", "c", "d", "e", "f", None]})
    meta = export.metadata(frame, default_catalogue())
    assert meta.loc[0, "sources"].startswith("a; ") and "另有1个来源" in meta.loc[0, "sources"]
    assert meta.loc[0, "rows"] == 8 and not meta.loc[0, "synthetic"]


def test_negative_numbers_stay_numbers_while_the_same_text_is_neutralised():
    frame = export.safe_frame(pd.DataFrame({"value": [-3.5, 2.0], "note": ["-3.5", "ok"]}))
    assert frame["value"].tolist() == [-3.5, 2.0] and frame["note"].tolist() == ["'-3.5", "ok"]
    assert export.to_csv_bytes(frame).decode("utf-8-sig").splitlines()[1] == "-3.5,'-3.5"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tTAB", "\rCR"])
def test_the_writers_neutralise_every_dangerous_first_character(tmp_path, text):
    frame = pd.DataFrame({"note": [text, "plain"], "value": [1.5, 2.0]})
    assert export.to_csv_bytes(frame).decode("utf-8-sig").split("\r\n")[1].lstrip('"').startswith("'")
    sheet = openpyxl.load_workbook(export.write_xlsx({"data": frame}, tmp_path / "x.xlsx"))["data"]
    cell = sheet["A2"]  # (XML stores a CR as a line break: compare what follows it)
    assert cell.data_type == "s" and cell.value.startswith("'") and cell.value[1:].strip() == text.strip()
    assert sheet["B2"].data_type == "n" and sheet["B2"].value == 1.5
