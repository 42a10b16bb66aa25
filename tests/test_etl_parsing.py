"""How cells are read: periods, numbers, not-reported markers, headers and units — and that
docs/submission-format.md documents every spelling and rule the code accepts."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml
from helpers import ROOT

from etl.layout import ALIASES, recognise, to_long
from etl.normalize import NOT_REPORTED, TRUE_TEXT, normalise, parse_numbers
from etl.read import read_sheet
from etl.rules import ERROR, RULES, WARNING
from etl.source import SourceFile
from indicators.base.catalogue import default_catalogue
from indicators.base.periods import parse_period
from indicators.base.settings import config_dir

DOC = (ROOT / "docs" / "submission-format.md").read_text(encoding="utf-8")

PERIODS = [
    ("2023", "2023"), ("2023年", "2023"), ("２０２３年", "2023"), (" 2023 ", "2023"),
    ("2023Q1", "2023Q1"), ("2023-Q1", "2023Q1"), ("2023 Q2", "2023Q2"), ("2023q3", "2023Q3"), ("2023年Q4", "2023Q4"),
    ("2023年第一季度", "2023Q1"), ("2023年1季度", "2023Q1"), ("2023年一季度", "2023Q1"), ("2023年第4季度", "2023Q4"),
    ("2023-03", "2023M03"), ("2023-3", "2023M03"), ("2023/3", "2023M03"), ("2023.03", "2023M03"),
    ("2023M03", "2023M03"), ("2023m12", "2023M12"), ("2023年3月", "2023M03"), ("2023年12月份", "2023M12"),
    ("202303", "2023M03"),
]
NOT_PERIODS = ["二〇二三年", "2023年度", "2023H1", "2023-13", "2023M00", "2023Q5", "23年", "FY2023", "2023/24", ""]


@pytest.mark.parametrize("text,code", PERIODS, ids=[t for t, _ in PERIODS])
def test_accepted_period_forms_become_canonical_codes(text, code):
    assert parse_period(text).code == code


@pytest.mark.parametrize("text", NOT_PERIODS)
def test_text_that_is_not_a_period_is_not_guessed(text):
    assert parse_period(text) is None


NUMBERS = [
    ("12345.6", 12345.6, "ok", False), ("12,345.6", 12345.6, "ok", False), ("１２３４５.６", 12345.6, "ok", False),
    (" 12 345 ", 12345.0, "ok", False), ("12\u00a0345", 12345.0, "ok", False), ("45.3%", 45.3, "ok", True),
    ("４５.３％", 45.3, "ok", True), ("-5", -5.0, "ok", False), ("1e5", 100000.0, "ok", False),
    ("约4000", None, "bad", False), ("n.a.", None, "bad", False), ("inf", None, "bad", False),
    ("1e999", None, "bad", False), ("nan", None, "bad", False), ("12.3.4", None, "bad", False),
]


@pytest.mark.parametrize("text,value,state,percent", NUMBERS, ids=[n[0] for n in NUMBERS])
def test_numbers_are_normalised_and_anything_else_is_named_not_a_number(text, value, state, percent):
    values, states, percents = parse_numbers(pd.Series([text, "1"], dtype="str"))
    assert (states[0], bool(percents[0])) == (state, percent)
    assert (pd.isna(values[0]) if value is None else values[0] == value)


@pytest.mark.parametrize("marker", sorted(NOT_REPORTED) + ["NA", "N/A", "NULL", "－"])
def test_not_reported_markers_are_missing_not_bad(marker):
    _, states, _ = parse_numbers(pd.Series([marker, "1"], dtype="str"))
    assert states[0] == "missing"


@pytest.mark.parametrize("field,alias", [(f, a) for f, names in ALIASES.items() for a in names])
def test_every_header_spelling_is_recognised(field, alias):
    assert recognise([alias]).positions == {field: 0}


@pytest.mark.parametrize("header", ["Indicator Code", "ＩＮＤＩＣＡＴＯＲ_CODE", "\ufeffindicator-code", " 指标代码 "])
def test_header_comparison_ignores_case_width_spaces_and_separators(header):
    assert recognise([header]).positions == {"indicator_code": 0}


def test_a_unit_in_the_value_header_applies_to_the_column_and_periods_make_wide_columns():
    cols = recognise(["指标代码", "地区", "数值（万元）", "2022年", "2023Q1", "2023年度"])
    assert cols.header_unit == "万元"
    assert cols.period_columns == {3: "2022年", 4: "2023Q1"}
    assert cols.unreadable_periods == {5: "2023年度"}


CONVERSIONS = [  # (unit submitted, indicator, value submitted, value stored)
    ("人", "CX-02", "24049155", 2404.9155), ("万元", "CX-01", "12345", 1.2345), ("万个", "DI-01", "1.25", 12500.0),
    ("EFLOPS", "DI-06", "2", 2000.0), ("E", "DI-06", "2.5", 2500.0), ("公顷", "SM-06", "10", 150.0),
    ("元/千瓦时", "SM-05", "0.35", 0.35), ("", "CX-01", "3801.2", 3801.2), ("万 人", "CX-02", "1", 1.0),
]


def _normalised(tmp_path, rows: list[tuple]) -> pd.DataFrame:
    path = tmp_path / "units.csv"
    path.write_text("indicator_code,region_code,period,value,unit\n"
                    + "".join(f"{c},150000,2023,{v},{u}\n" for c, v, u in rows), encoding="utf-8")
    return normalise(to_long(read_sheet(SourceFile.open(path)), path.name), default_catalogue())


@pytest.mark.parametrize("unit,code,text,stored", CONVERSIONS, ids=[f"{c[2]} {c[0]}→{c[1]}" for c in CONVERSIONS])
def test_values_convert_exactly_into_the_catalogue_unit(tmp_path, unit, code, text, stored):
    row = _normalised(tmp_path, [(code, text, unit)]).iloc[0]
    assert (row["unit_state"], row["value"]) == ("ok", stored)


@pytest.mark.parametrize("unit,code,state", [("公斤", "CX-01", "unknown"), ("万人", "CX-01", "incompatible"),
                                             ("%", "CX-01", "incompatible"), ("亿元", "DI-01", "incompatible")])
def test_unknown_and_incompatible_units_are_recorded(tmp_path, unit, code, state):
    assert _normalised(tmp_path, [(code, "1", unit)]).iloc[0]["unit_state"] == state


# ── the documentation lists what the code accepts ────────────────────────────────────────────────────

def _documented(text: str) -> bool:
    return f"`{text}`" in DOC or f"`{text.upper()}`" in DOC


def test_docs_list_every_header_spelling_not_reported_marker_and_synthetic_flag():
    for names in ALIASES.values():
        for alias in names:
            assert _documented(alias), f"header spelling {alias!r} is not in docs/submission-format.md"
    for marker in NOT_REPORTED - {""}:
        assert _documented(marker), f"not-reported marker {marker!r} is not documented"
    assert "空单元格" in DOC and "empty" in DOC
    for flag in TRUE_TEXT:
        assert _documented(flag), f"synthetic flag {flag!r} is not documented"


DOCUMENTED_PERIODS = ["2023", "2023年", "2023Q1", "2023-Q1", "2023 Q1", "2023年Q1", "2023年第一季度", "2023年1季度",
                      "2023年一季度", "2023年第1季度", "2023-03", "2023-3", "2023/3", "2023.03", "2023M03", "2023年3月",
                      "2023年3月份", "202303"]


@pytest.mark.parametrize("text", DOCUMENTED_PERIODS)
def test_every_documented_period_form_is_accepted_and_documented(text):
    assert parse_period(text) is not None
    assert f"`{text}`" in DOC


def test_docs_list_every_rule_with_an_example_message_in_both_languages():
    for rule in RULES:
        rows = [line for line in DOC.splitlines() if line.startswith(f"| `{rule}` |")]
        assert len(rows) == 2, f"rule {rule} needs one row in the Chinese and one in the English table"
        assert re.search(r"[\u4e00-\u9fff]{4}", rows[0].split("|")[-2]), f"no Chinese example message for {rule}"


def test_docs_list_the_rules_in_order_of_precedence_with_their_severity():
    zh, en = {ERROR: "错误", WARNING: "警告"}, {ERROR: "error", WARNING: "warning"}
    rows = [[cell.strip() for cell in line.split("|")[1:3]] for line in DOC.splitlines() if line.startswith("| `")
            and line.split("|")[1].strip().strip("`") in RULES]
    half = len(rows) // 2
    assert [r[0] for r in rows[:half]] == [r[0] for r in rows[half:]] == [f"`{rule}`" for rule in RULES]
    assert [r[1] for r in rows[:half]] == [zh[rule.severity] for rule in RULES.values()]
    assert [r[1] for r in rows[half:]] == [en[rule.severity] for rule in RULES.values()]


def test_docs_list_every_unit_and_its_spellings():
    units = yaml.safe_load((config_dir() / "units.yaml").read_text(encoding="utf-8"))["units"]
    for name, spec in units.items():
        for spelling in (name, *spec.get("aliases", [])):
            assert f"`{spelling}`" in DOC, f"unit {spelling!r} is not documented"


def test_docs_state_the_exit_codes():
    for code in ("**0**", "**1**", "**2**", "**70**", "**74**", "**75**"):
        assert DOC.count(code) == 2, f"exit code {code} should be explained in both languages"
