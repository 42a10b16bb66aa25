"""Submission templates (etl.template, `dem template`): every indicator a unit reports at its level and the period's
frequency, ready to fill in; a template filled with values loads through the production pipeline with no edits,
an empty one passes the check with one not_reported warning per row and loads nothing.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from helpers import invoke_dem, make_warehouse, settings_for
from openpyxl import load_workbook

from etl.pipeline import check_files, load_files
from etl.submitter import Submitter
from etl.template import HEADER, STATUS_COLUMN, VALUE_COLUMN, build_template
from indicators.base.catalogue import default_catalogue
from indicators.storage import warehouse

CASES = [  # region, period, format, the level and frequency it is for
    ("150200", "2023", "xlsx"),  # a league, annual
    ("150200", "2023Q2", "csv"),  # a league, quarterly
    ("150200", "2023M03", "xlsx"),  # a league, monthly (year to date)
    ("150202", "2023", "csv"),  # a county, annual
    ("150202", "2023Q4", "xlsx"),  # a county, quarterly
    ("150000", "2024M01", "csv"),  # the region, monthly
]


def value_for(code: str) -> float:
    """A value every rule accepts: inside the indicator's range and its unit's plausible bounds."""
    ind = default_catalogue().indicator(code)
    low = ind.min if ind.min is not None else 0.0
    return (low + ind.max) / 2 if ind.max is not None else low + 1.5


def filled(data: bytes, fmt: str, tmp_path: Path, name: str = "filled") -> Path:
    """The template with its value column filled in, as an officer's spreadsheet program would save it."""
    path = tmp_path / f"{name}.{fmt}"
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        for row in rows[1:]:
            row[VALUE_COLUMN] = str(value_for(row[0]))
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        path.write_bytes(out.getvalue().encode("utf-8-sig"))
        return path
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    for row in sheet.iter_rows(min_row=3):
        row[VALUE_COLUMN].value = value_for(row[0].value)
    book.save(path)
    return path


def owed(region: str, period: str) -> set[str]:
    cat = default_catalogue()
    level = cat.regions.by_code[region].level
    frequency = {4: "annual", 6: "quarterly", 7: "monthly"}[len(period)]
    return {i.code for i in cat.indicators.values() if level in i.levels and i.frequency == frequency
            and not i.is_derived}


@pytest.mark.parametrize("region,period,fmt", CASES, ids=[f"{r}-{p}-{f}" for r, p, f in CASES])
def test_a_filled_template_loads_with_no_edits_one_row_per_indicator_owed(tmp_path, region, period, fmt):
    db = make_warehouse(tmp_path)
    path = filled(build_template(default_catalogue(), region, period, fmt), fmt, tmp_path)
    scope = default_catalogue().regions.league_of(region) if region != "150000" else None

    [result] = load_files([path], default_catalogue(), settings_for(db), submitter=Submitter("officer", scope))

    assert result.status == "loaded", [p.text() for p in result.problems]
    assert not result.problems
    with warehouse.reader(db) as con:
        stored = con.execute("SELECT indicator_code, region_code, period, value FROM current_observations").fetchall()
    assert {code for code, *_ in stored} == owed(region, period) and len(stored) == len(owed(region, period))
    assert {(r, p) for _, r, p, _ in stored} == {(region, period)}
    assert all(value == pytest.approx(value_for(code)) for code, _, _, value in stored)


def test_an_empty_template_passes_the_check_with_a_not_reported_warning_per_row_and_loads_nothing(tmp_path):
    db = make_warehouse(tmp_path)
    path = tmp_path / "empty.xlsx"
    path.write_bytes(build_template(default_catalogue(), "150200", "2023"))
    n = len(owed("150200", "2023"))

    [checked] = check_files([path], default_catalogue(), settings_for(db))
    [loaded] = load_files([path], default_catalogue(), settings_for(db))

    assert checked.accepted and not checked.errors
    assert {p.rule for p in checked.warnings} == {"not_reported"} and checked.n_warnings == n
    assert checked.warnings[0].line == 3  # below the title row and the header, as Excel numbers them
    assert (loaded.status, loaded.counts.get("new", 0), loaded.counts["not_reported"]) == ("loaded", 0, n)


def test_the_xlsx_template_has_the_table_first_and_a_bilingual_instructions_sheet(catalogue):
    book = load_workbook(io.BytesIO(build_template(catalogue, "锡盟", "2023年第一季度")))

    assert book.sheetnames == ["报送表", "说明"]
    table = book["报送表"]
    assert [c.value for c in table[2]] == list(HEADER)
    first = [c.value for c in table[3]]
    assert first[2:5] == ["152500", "锡林郭勒盟", "2023Q1"] and first[VALUE_COLUMN] is None
    assert first[1] == catalogue.indicator(first[0]).name_zh and first[6] == catalogue.indicator(first[0]).unit
    notes = [[c for c in row if c] for row in book["说明"].iter_rows(values_only=True)]
    assert ["未报送" in " ".join(map(str, r)) for r in notes].count(True) >= 1
    assert any("not reported" in str(cell) for row in notes for cell in row)
    assert any(row and row[0] == first[0] for row in notes)  # the indicators with their definitions


def test_the_status_column_offers_the_status_words_and_a_marked_row_loads_with_its_status(tmp_path, catalogue):
    data = build_template(catalogue, "150200", "2023")
    book = load_workbook(io.BytesIO(data))
    [choices] = book["报送表"].data_validations.dataValidation
    column = "ABCDEFGHIJ"[STATUS_COLUMN]
    assert choices.formula1 == '"正式数,初步数,估计数,预测数"' and str(choices.sqref).startswith(f"{column}3:")
    path = filled(data, "xlsx", tmp_path)
    book = load_workbook(path)
    book.worksheets[0].cell(row=3, column=STATUS_COLUMN + 1, value="初步数")
    book.save(path)
    db = make_warehouse(tmp_path)

    [result] = load_files([path], catalogue, settings_for(db))

    assert result.status == "loaded", [p.text() for p in result.problems]
    with warehouse.reader(db) as con:
        statuses = dict(con.execute("SELECT indicator_code, obs_status FROM current_observations").fetchall())
    first = book.worksheets[0].cell(row=3, column=1).value
    assert statuses.pop(first) == "P" and set(statuses.values()) == {"A"}


def test_dem_template_writes_the_file_and_infers_the_format_from_its_suffix(tmp_path):
    db = tmp_path / "dem.duckdb"
    out = tmp_path / "模板.csv"

    result = invoke_dem("template", "--region", "150202", "--period", "2023", "--out", str(out), db=db)

    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith("\ufeff指标代码,指标名称,地区代码".encode())
    assert not db.exists()  # a template reads the catalogue only


@pytest.mark.parametrize("args,zh,en", [
    (["--region", "青岛市", "--period", "2023"], "“青岛市”不是内蒙古自治区的地区代码、名称或简称",
     "'青岛市' is not a region code, name or alias of Inner Mongolia"),
    (["--region", "150200", "--period", "2023-13"], "“2023-13”不是可识别的统计期",
     "'2023-13' is not a period"),
], ids=["unknown-region", "malformed-period"])
def test_dem_template_refuses_an_unknown_region_or_a_malformed_period_with_a_usage_error(tmp_path, args, zh, en):
    from helpers import run_dem

    result = run_dem("template", *args, "--out", str(tmp_path / "t.xlsx"), db=tmp_path / "dem.duckdb")

    assert result.returncode == 2
    assert zh in result.stderr and en in result.stderr
    assert not (tmp_path / "t.xlsx").exists()
