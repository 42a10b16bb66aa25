"""One bad file per validation rule: the rule, line and column reported, the exit code, and a warehouse whose
export is byte-identical before and after. Files with only warnings load, and say why they were flagged.

Every bad file is checked against the same warehouse (base/base.csv: a later month of a year-to-date series,
last year's value of a series, the three counties of Wuhai), so the rules that compare with stored data fire.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from helpers import (
    SUBMISSIONS,
    batches,
    export_bytes,
    invoke_dem,
    make_warehouse,
    pinned_today,
    run_dem,
    settings_for,
)

from etl import problems as P
from etl.pipeline import check_files
from etl.rules import RULES, Thresholds
from etl.validate import build_schemas
from indicators.base.catalogue import default_catalogue

BAD = SUBMISSIONS / "bad"
WARN = SUBMISSIONS / "warn"

# file → (rule, line as the submitter sees it (None: the whole file), column, value)
REJECTED = {
    "encoding-invalid-utf8.csv": ("utf8_invalid", None, "", ""),
    "encoding-latin1.csv": ("encoding", None, "", ""),
    "binary-with-nul-bytes.csv": ("file_not_text", None, "", ""),
    "legacy-excel.xls": ("file_not_text", None, "", ""),
    "corrupt.xlsx": ("file_not_text", None, "", ""),
    "empty.csv": ("file_empty", None, "", ""),
    "header-only.csv": ("file_empty", None, "", ""),
    "missing-region-column.csv": ("missing_columns", 1, "", ""),
    "missing-value-column.csv": ("missing_columns", 1, "", ""),
    "ragged-unquoted-thousands.csv": ("ragged_row", 3, "", "CX-01,150200,2023,4,012.5,亿元"),
    "unknown-indicator.csv": ("unknown_indicator", 3, "indicator_code", "XX-99"),
    "derived-indicator.csv": ("derived_indicator", 2, "indicator_code", "DI-03"),
    "unknown-region.csv": ("unknown_region", 3, "region_code", "159999"),
    "gb18030-unknown-region-crlf.csv": ("unknown_region", 4, "地区", "青岛市"),
    "xlsx-unknown-region-row6.xlsx": ("unknown_region", 6, "地区", "Atlantis"),
    "ambiguous-region.csv": ("ambiguous_region", 3, "地区", "土旗"),
    "level-not-reported.csv": ("level_not_reported", 3, "region_code", "150102"),
    "bad-period.csv": ("bad_period", 3, "period", "2023-13"),
    "utf8bom-title-rows-bad-period.csv": ("bad_period", 5, "统计期", "二〇二三年"),
    "wide-unreadable-period-header.csv": ("bad_period", 1, "2023年度", "2023年度"),
    "wrong-frequency.csv": ("wrong_frequency", 3, "period", "2023Q1"),
    "future-period.csv": ("future_period", 3, "period", "2025Q2"),
    "non-numeric.csv": ("non_numeric", 3, "value", "约4000"),
    "multiline-note-then-bad-value.csv": ("non_numeric", 4, "value", "n.a."),
    "out-of-range-negative-count.csv": ("out_of_range", 2, "value", "-5"),
    "out-of-range-percent-above-100.csv": ("out_of_range", 3, "value", "101%"),
    "out-of-range-grade-above-8.csv": ("out_of_range", 3, "value", "9"),
    "conflicting-duplicate.csv": ("conflicting_duplicate", 4, "value", "3900"),
    "unknown-unit.csv": ("unknown_unit", 2, "unit", "公斤"),
    "bad-status.csv": ("bad_status", 3, "数据状态", "待定"),
    "unit-mismatch.csv": ("unit_mismatch", 3, "unit", "万人"),
    "unit-mismatch-percent-sign.csv": ("unit_mismatch", 2, "value", "45%"),
    "ytd-decreasing.csv": ("ytd_decreasing", 4, "value", "20"),
    "ytd-decreasing-against-warehouse.csv": ("ytd_decreasing", 2, "value", "118"),
}
ACCEPTED_WITH_WARNING = {
    "not-reported.csv": ("not_reported", 3, "value", "—"),
    "duplicate-identical-row.csv": ("duplicate_row", 3, "value", "4000"),
    "yoy-change.csv": ("yoy_change", 2, "value", "7000"),
    "reconciliation.csv": ("reconciliation", 2, "value", "700"),
    "peer-outlier.csv": ("peer_outlier", 3, "value", "60000"),
}
# The exact words a data officer reads, pinned (zh | en).
MESSAGES = {
    "encoding-invalid-utf8.csv": (
        "文件是UTF-8编码，但第95字节处有无效字节（ff fe 34 30），全文共2处无效字节；文件可能混入了其他编码的内容或已损坏。"
        "请用原软件另存为“CSV UTF-8”后重新报送",
        "the file is UTF-8 but has an invalid byte at offset 95 (bytes ff fe 34 30), 2 invalid byte sequence(s) in "
        "all; part of it is in another encoding or damaged. Save it again as “CSV UTF-8” and resubmit"),
    "encoding-latin1.csv": (
        "文件既不是UTF-8也不是GB18030编码：按UTF-8解码在第79字节处失败（字节 e9 2c 0a）；按GB18030解码在第79字节处失败"
        "（字节 e9 2c 0a）。请另存为“CSV UTF-8”或GB18030后重新报送",
        "the file is neither UTF-8 nor GB18030: UTF-8 fails at byte offset 79 (bytes e9 2c 0a); GB18030 fails at "
        "byte offset 79 (bytes e9 2c 0a). Save it as “CSV UTF-8” and resubmit"),
    "ragged-unquoted-thousands.csv": (
        '本行有6个字段，与表头的5列不一致；含千分位逗号的数值请加引号（"1,234.5"）或去掉逗号',
        'the row has 6 fields but the header has 5 columns; quote numbers with thousands separators ("1,234.5") or '
        "drop the commas"),
    "level-not-reported.csv": ("指标DR-01不在旗县层级报送（报送层级：自治区、盟市）",
                               "indicator DR-01 is not reported at county level (levels: region, league)"),
    "bad-period.csv": ("“2023-13”不是可识别的统计期（示例：2023、2023Q1、2023年第一季度、2023-03、2023年3月）",
                       "'2023-13' is not a period (e.g. 2023, 2023Q1, 2023年第一季度, 2023-03, 2023年3月)"),
    "wrong-frequency.csv": ("指标CX-01按年度报送，统计期“2023Q1”不是年度期",
                            "indicator CX-01 is annual; period '2023Q1' is not an annual period"),
    "future-period.csv": ("统计期2025Q2尚未结束（截至2025-06-01），不能报送",
                          "period 2025Q2 has not ended yet (today is 2025-06-01)"),
    "out-of-range-grade-above-8.csv": ("数值9超出指标ID-15的有效范围[0, 8]",
                                       "value 9 is outside the valid range [0, 8] of ID-15"),
    "conflicting-duplicate.csv": ("与第2行是同一指标、地区和统计期，但数值或数据状态不同",
                                  "same indicator, region and period as line 2, with a different value or status"),
    "unit-mismatch.csv": ("计量单位“万人”不能换算为指标CX-01的单位“亿元”",
                          "unit '万人' cannot be converted to '亿元', the unit of CX-01"),
    "ytd-decreasing-against-warehouse.csv": (
        "1月至当月累计值从2023年4月的120.5降至2023年5月的118，累计数不应下降，请核实",
        "the year-to-date value falls from 120.5 in 2023-04 to 118 in 2023-05; cumulative values cannot fall"),
    "derived-indicator.csv": ("指标DI-03由系统根据DI-03a、DI-03b计算，不需报送；请报送这些分项指标",
                              "indicator DI-03 is computed from DI-03a, DI-03b; submit those instead"),
}
# Warnings, pinned the same way; the catalogue's unit in the message's language: 亿元 is “100m yuan” in English.
WARNING_MESSAGES = {
    "yoy-change.csv": ("数值7000 亿元较上年同期（3500 亿元）变动+100.0%，超过预警阈值±50%，请核实",
                       "value 7000 in 100m yuan changed +100.0% from last year (3500 in 100m yuan), beyond the ±50% "
                       "threshold; please check"),
    # a bare count (个) has no English unit word: “7,630”, not “7,630 个”
    "reconciliation.csv": ("盟市数值700 个与所辖旗县合计600 个相差+14.29%，超过容差±1%",
                           "league value 700 differs from the sum of its counties 600 by +14.29%, beyond ±1%"),
}


@pytest.fixture(scope="module")
def base_warehouse(tmp_path_factory) -> Path:
    return make_warehouse(tmp_path_factory.mktemp("rules"), files=[SUBMISSIONS / "base" / "base.csv"])


@pytest.fixture(scope="module")
def base_export(base_warehouse) -> bytes:
    """The export every rejected file must leave exactly as it was."""
    return export_bytes(base_warehouse)


@pytest.fixture
def ambiguous_config(config_copy: Path) -> Path:
    """The shipped catalogue with one more alias, 土旗, typed for both 土默特左旗 and 土默特右旗."""
    regions = config_copy / "regions.csv"
    text = regions.read_text(encoding="utf-8")
    for alias in ("土左旗", "土右旗"):
        assert f",{alias}\n" in text
        text = text.replace(f",{alias}\n", f",{alias};土旗\n")
    regions.write_text(text, encoding="utf-8")
    return config_copy


def _report(output: str) -> dict:
    [report] = json.loads(output)
    return report


def _located(problems: list[dict]) -> list[tuple]:
    return [(p["rule"], p["line"], p["column"], p["value"]) for p in problems]


def test_there_is_a_bad_file_for_every_error_rule_and_a_warning_file_for_every_warning_rule():
    import hostile
    import test_etl_hostile
    import test_etl_scope
    import test_etl_submissions

    assert len(REJECTED) >= 25
    assert {f.name for f in BAD.iterdir()} == set(REJECTED)
    # rules that need more than a file (a limit, a named pipe, a submitter's scope, a disabled account) are made
    # to fire by a named test of another module
    elsewhere = (test_etl_hostile, test_etl_scope, test_etl_submissions)
    covered = ({rule for rule, *_ in REJECTED.values()} | {c.rule for c in hostile.CASES.values()}
               | {rule for module in elsewhere for rule in module.TESTED_ELSEWHERE})
    assert covered == {r.id for r in RULES.values() if r.severity == P.ERROR}
    for module in elsewhere:
        for test in module.TESTED_ELSEWHERE.values():
            assert callable(getattr(module, test))
    assert {rule for rule, *_ in ACCEPTED_WITH_WARNING.values()} == {
        r.id for r in RULES.values() if r.severity == P.WARNING}


def test_the_pandera_checks_are_the_rules_of_the_table_that_name_a_field_with_their_severity():
    errors, warnings = build_schemas(default_catalogue(), Thresholds(date(2025, 6, 1)))
    for schema, severity in ((errors, P.ERROR), (warnings, P.WARNING)):
        names = [check.name for check in schema.checks]
        assert sorted(names) == sorted(r.id for r in RULES.values() if r.field and r.severity == severity)


@pytest.mark.parametrize("name", REJECTED, ids=list(REJECTED))
def test_bad_file_is_rejected_with_rule_line_and_column_and_the_warehouse_export_is_unchanged(
        name, base_warehouse, base_export, request):
    env = {"DEM_CONFIG": str(request.getfixturevalue("ambiguous_config"))} if name == "ambiguous-region.csv" else {}

    loaded = invoke_dem("etl", "load", "--format", "json", str(BAD / name), db=base_warehouse, **env)

    assert loaded.exit_code == 1
    report = _report(loaded.output)
    assert report["status"] == "rejected"
    assert _located([p for p in report["problems"] if p["severity"] == P.ERROR]) == [REJECTED[name]]
    assert all(p["file"] == name for p in report["problems"])
    assert export_bytes(base_warehouse) == base_export
    if name in MESSAGES:
        [error] = [p for p in _report(loaded.output)["problems"] if p["severity"] == P.ERROR]
        assert (error["message_zh"], error["message_en"]) == MESSAGES[name]


@pytest.mark.parametrize("name", ACCEPTED_WITH_WARNING, ids=list(ACCEPTED_WITH_WARNING))
def test_file_with_a_warning_loads_and_the_warning_names_rule_line_and_column(name, base_warehouse, tmp_path):
    db = tmp_path / "dem.duckdb"
    shutil.copyfile(base_warehouse, db)
    before = export_bytes(db)

    result = invoke_dem("etl", "load", "--format", "json", str(WARN / name), db=db)

    assert result.exit_code == 0, result.output
    report = _report(result.output)
    assert report["status"] == "loaded"
    assert _located(report["problems"]) == [ACCEPTED_WITH_WARNING[name]]
    assert export_bytes(db) != before


def test_a_rejected_file_is_recorded_once_however_often_it_is_loaded(tmp_path):
    db = make_warehouse(tmp_path)
    for _ in range(2):
        assert invoke_dem("etl", "load", str(BAD / "unknown-region.csv"), db=db).exit_code == 1
    assert batches(db) == [(1, "unknown-region.csv", "rejected")]


def test_check_of_every_bad_file_reports_the_same_problem_as_load(base_warehouse):
    names = [n for n in REJECTED if n != "ambiguous-region.csv"]
    with pinned_today():
        results = check_files([BAD / n for n in names], default_catalogue(), settings_for(base_warehouse))
    for name, result in zip(names, results, strict=True):
        assert [(p.rule, p.line, p.column, p.value) for p in result.errors] == [REJECTED[name]]


def test_check_and_load_of_all_bad_files_in_real_processes_exit_1_and_change_no_observation(
        base_warehouse, base_export, tmp_path):
    db = tmp_path / "dem.duckdb"
    shutil.copyfile(base_warehouse, db)
    files = [str(BAD / n) for n in REJECTED if n != "ambiguous-region.csv"]

    checked = run_dem("etl", "check", *files, db=db)
    loaded = run_dem("etl", "load", *files, db=db)

    assert (checked.returncode, loaded.returncode) == (1, 1), checked.stderr + loaded.stderr
    for name in files:
        assert f"✗ {Path(name).name}：校验未通过" in checked.stdout
        assert f"✗ {Path(name).name}：退回" in loaded.stdout
    assert export_bytes(db) == base_export


def test_check_of_a_clean_file_exits_0_in_a_real_process(base_warehouse):
    result = run_dem("etl", "check", str(SUBMISSIONS / "good" / "long-utf8-en-formA-plain-lf.csv"), db=base_warehouse)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "校验通过" in result.stdout and "check passes" in result.stdout


def _assert_pinned(folder, messages: dict, severity: str, db) -> list:
    """Check each file of `messages` and compare its one problem of `severity` with the pinned (zh, en) words."""
    with pinned_today():
        results = check_files([folder / n for n in messages], default_catalogue(), settings_for(db))
    for name, result in zip(messages, results, strict=True):
        [problem] = result.warnings if severity == P.WARNING else result.errors
        assert (problem.message_zh, problem.message_en) == messages[name], name
    return results


def test_warnings_name_the_catalogue_unit_in_the_language_of_each_half(base_warehouse):
    _assert_pinned(WARN, WARNING_MESSAGES, P.WARNING, base_warehouse)


def test_messages_say_what_failed_where_and_what_to_do_in_chinese_and_english(base_warehouse):
    results = _assert_pinned(BAD, MESSAGES, P.ERROR, base_warehouse)
    problem = results[list(MESSAGES).index("bad-period.csv")].errors[0]
    assert problem.text() == ("第3行 “period”列：“2023-13”不是可识别的统计期（示例：2023、2023Q1、2023年第一季度、2023-03、"
                              "2023年3月） | line 3, column period: '2023-13' is not a period (e.g. 2023, 2023Q1, "
                              "2023年第一季度, 2023-03, 2023年3月)")
