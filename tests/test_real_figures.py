"""Real stays real: a real figure keeps its real label, batch and source through roll-ups, totals and formulas —
in the derived layer, in `dem indicators explain` and in `dem data export --derived` — and only what actually
rests on synthetic data is marked synthetic.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from helpers import make_warehouse, run_dem

from indicators.storage import warehouse

HEAD = "指标代码,地区代码,统计期,数值,计量单位,数据来源,示例数据\n"


def _file(path: Path, rows: str) -> Path:
    path.write_text(HEAD + rows, encoding="utf-8")
    return path


def _fact(db: Path, code: str, region: str, period: str) -> dict:
    with warehouse.reader(db) as con:
        frame = con.execute("SELECT * FROM facts WHERE indicator_code = ? AND region_code = ? AND period = ?",
                            [code, region, period]).df()
    assert len(frame) == 1, frame
    return frame.iloc[0].to_dict()


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    """Region-level quarterly series: synthetic Q1–Q3 with a real Q4 (a stock), a flow with one synthetic quarter,
    a flow all real from two sources; and population (real) for the derived DI-02."""
    folder = tmp_path_factory.mktemp("mixed")
    synthetic = _file(folder / "synthetic.csv", "".join(
        f"DI-01,150000,2023Q{q},{40000 + q * 5000},个,示例,是\n" for q in (1, 2, 3)) +
        "DS-02,150000,2023Q1,10,起,示例,是\n")
    real = _file(folder / "real.csv",
                 "DI-01,150000,2023Q4,60000,个,呼伦贝尔新闻 2024-01-14,否\n"
                 + "".join(f"DS-02,150000,2023Q{q},{q},起,公安厅通报,否\n" for q in (2, 3, 4))
                 + "".join(f"SM-01,150000,2023Q{q},{q * 100},万人次,{'文旅厅' if q < 3 else '统计局'},否\n"
                           for q in (1, 2, 3, 4))
                 + "CX-02,150000,2023,2396,万人,统计公报,否\n")
    return make_warehouse(folder, files=[synthetic, real])


def test_a_stock_year_is_its_last_quarter_with_that_quarters_label_batch_and_source(mixed):
    fact = _fact(mixed, "DI-01", "150000", "2023")

    assert (fact["value"], fact["status"], fact["basis"], fact["rolled_up_from"]) == (60000, "reported", "rollup",
                                                                                      "2023Q4")
    assert not fact["synthetic"] and fact["batch_id"] == 2 and fact["source"] == "呼伦贝尔新闻 2024-01-14"


def test_a_flow_sum_is_synthetic_when_one_of_its_quarters_is_and_names_only_the_real_sources(mixed):
    mixed_flow, real_flow = _fact(mixed, "DS-02", "150000", "2023"), _fact(mixed, "SM-01", "150000", "2023")

    assert mixed_flow["synthetic"] and mixed_flow["value"] == 10 + 2 + 3 + 4
    assert mixed_flow["source"] == "公安厅通报" and mixed_flow["rolled_up_from"] == "2023Q1–2023Q4"
    assert mixed_flow["status"] == "reported" and pd.isna(mixed_flow["batch_id"])  # two batches: none of them
    assert not real_flow["synthetic"] and real_flow["source"] == "文旅厅；统计局" and real_flow["batch_id"] == 2


def test_a_derived_value_is_real_when_every_input_is_and_lists_every_source(mixed):
    fact = _fact(mixed, "DI-02", "150000", "2023")

    assert fact["status"] == "derived" and not fact["synthetic"]
    assert fact["value"] == pytest.approx(60000 / 2396)
    assert fact["source"] == "呼伦贝尔新闻 2024-01-14；统计公报"


def test_explain_shows_a_rolled_up_real_value_as_real_with_its_batch_period_and_source(mixed):
    result = run_dem("indicators", "explain", "DI-01", "150000", "2023", db=mixed)

    assert result.returncode == 0, result.stderr
    assert "reported (rollup) · 取自 from 2023Q4 · 批次 batch 2 · 真实数据 real" in result.stdout
    assert "来源 sources:\n  呼伦贝尔新闻 2024-01-14" in result.stdout


def test_the_derived_export_carries_the_real_label_the_period_and_every_source(mixed, tmp_path):
    out = tmp_path / "derived.csv"
    result = run_dem("data", "export", "--derived", "--indicator", "DI-02", "--indicator", "DI-01",
                     "--region", "150000", "--period", "2023", "--out", str(out), db=mixed)

    assert result.returncode == 0, result.stderr
    rows = {r["indicator_code"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))}
    assert rows["DI-01"]["synthetic"] == "False" and rows["DI-01"]["rolled_up_from"] == "2023Q4"
    assert rows["DI-02"]["synthetic"] == "False" and rows["DI-02"]["source"] == "呼伦贝尔新闻 2024-01-14；统计公报"


def test_the_real_5g_figures_of_the_demo_are_real_and_sourced_in_the_derived_layer(demo_warehouse):
    for period in ("2021", "2023"):
        fact = _fact(demo_warehouse, "DI-01", "150000", period)
        assert not fact["synthetic"] and fact["status"] == "reported" and fact["rolled_up_from"] == f"{period}Q4"
        assert "http" in fact["source"] and fact["batch_id"] is not None
    derived = _fact(demo_warehouse, "DI-02", "150000", "2021")
    assert not derived["synthetic"] and derived["source"].count("http") == 2
