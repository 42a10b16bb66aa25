"""The one table wrapper (dashboard.components.table, a dash-ag-grid grid): what every table of the dashboard
keeps — numbers of one indicator rounded and shown as dashboard.numbers writes them while sorting as numbers,
hidden columns carried in the rows, row ids for clicks, paging, wrapping — and that nothing it sends the browser
is code to evaluate (the Content-Security-Policy has no 'unsafe-eval')."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from dashboard import components as c
from dashboard import i18n, inputs, numbers
from dashboard.style import STATUS_STYLE

FRAME = pd.DataFrame({"id": [11, 12, 13], "name": ["呼和浩特市", "包头市", "锡林郭勒盟"],
                      "value": [12345.678, None, -3.04], "status": ["▲ 进展顺利", "✖ 趋势恶化 · 示例数据", None],
                      "link": ["[详情](/indicator/DI-01)", "[详情](/indicator/DI-02)", "[详情](/indicator/DI-03)"],
                      "secret": ["x", "y", "z"]})
COLUMNS = {"name": "地区", "value": "数值", "status": "进度", "link": "详情"}


def grid(lang: str = "zh", **kwargs):
    return c.table("t", FRAME, COLUMNS, page_size=2, hidden=("id",), decimals={"value": 1}, markdown=("link",),
                   statuses=("status",), lang=lang, **kwargs)


def shown_text(table, column: str) -> list[str]:
    """What the cells of a number column show: the row field its value formatter looks up."""
    formatter = next(d for d in table.columnDefs if d["field"] == column)["valueFormatter"]["function"]
    field = re.fullmatch(r'params\.data\["(\w+)"\]', formatter).group(1)
    return [row[field] for row in table.rowData]


def test_a_number_column_sorts_by_the_rounded_number_and_shows_the_text_of_dashboard_numbers():
    table = grid()
    assert [row["value"] for row in table.rowData] == [12345.7, None, -3.0]
    assert shown_text(table, "value") == ["12,345.7", numbers.DASH, "-3.0"]
    assert next(d for d in table.columnDefs if d["field"] == "value")["type"] == "rightAligned"


def test_hidden_columns_travel_in_the_rows_unshown_and_the_id_is_the_row_id_a_click_reports():
    table = grid()
    assert [d["field"] for d in table.columnDefs] == list(COLUMNS)
    assert [row["id"] for row in table.rowData] == [11, 12, 13]
    assert all("secret" not in row for row in table.rowData)  # neither shown nor hidden: not sent at all
    assert table.getRowId == "'' + params.data.id"  # AG Grid's row ids are text
    assert not hasattr(c.table("u", FRAME, {"name": "地区"}, lang="zh"), "getRowId")  # no id column: the grid numbers rows


def test_the_grid_pages_sorts_wraps_and_keeps_missing_cells_empty():
    table = grid()
    options, defaults = table.dashGridOptions, table.defaultColDef
    assert (options["pagination"], options["paginationPageSize"], options["domLayout"]) == (True, 2, "autoHeight")
    assert defaults["sortable"] and defaults["wrapHeaderText"] and defaults["autoHeaderHeight"]
    assert table.rowData[2]["status"] is None and "rowSelection" not in options
    assert grid(row_selectable="multi").dashGridOptions["rowSelection"]["mode"] == "multiRow"


def test_links_and_statuses_have_their_renderers_and_the_status_colours_are_the_styles():
    defs = {d["field"]: d for d in grid().columnDefs}
    assert defs["link"]["cellRenderer"] == "markdown"
    assert defs["status"]["cellRenderer"] == "DemStatus"
    assert defs["status"]["cellRendererParams"]["colours"] == {s: colour for colour, s, _ in STATUS_STYLE.values()}
    assert defs["status"]["cellRendererParams"]["colours"]["▲"] == STATUS_STYLE["on_track"][0]


def test_a_long_text_column_gets_more_of_the_width_and_no_column_is_narrower_than_its_longest_number():
    defs = {d["field"]: d for d in c.table("t", pd.DataFrame({
        "code": ["DI-01"], "definition": ["年末5G基站数除以年末常住人口（万人）；各级均由本级基站数与人口重新计算。"],
        "value": [1234567.891]}), {"code": "代码", "definition": "定义", "value": "数值"}, decimals={"value": 2},
        lang="zh").columnDefs}
    assert defs["definition"]["flex"] > defs["code"]["flex"]
    assert defs["definition"]["wrapText"] and defs["definition"]["autoHeight"]  # a long text wraps, the row grows
    assert "wrapText" not in defs["code"] and "wrapText" not in defs["value"]  # what fits one line is not measured
    assert defs["value"]["minWidth"] >= 8 * len("1,234,567.89")
    assert all(56 <= d["minWidth"] <= 200 for d in defs.values())


CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


@pytest.mark.parametrize("row_selectable", [None, "multi"])
def test_the_grids_own_words_are_in_the_pages_language_only_and_every_one_is_in_both(row_selectable):
    """Paging ("页码 1 / 3" / "Page 1 of 3"), an empty table and the labels a screen reader reads (the review
    queue's tick boxes): a Chinese page's grid says them in Chinese only, an English page's in English only."""
    zh = grid(row_selectable=row_selectable).dashGridOptions["localeText"]
    en = grid(row_selectable=row_selectable, lang="en").dashGridOptions["localeText"]
    assert set(zh) == set(en) == set(c.GRID_LABELS) >= {"page", "of", "to", "firstPage", "lastPage", "noRowsToShow",
                                                         "ariaRowToggleSelection", "ariaHeaderSelection",
                                                         "ariaRowSelectAll", "ariaChecked", "ariaUnchecked"}
    assert all(i18n.TEXTS[key][0].strip() and i18n.TEXTS[key][1].strip() for key in c.GRID_LABELS.values())
    assert [text for text in zh.values() if re.search(r"[A-Za-z]", text)] == []
    assert [text for text in en.values() if CJK.search(text)] == []
    assert (zh["page"], zh["of"], zh["firstPage"], zh["noRowsToShow"]) == ("页码", "/", "首页", "无数据")
    assert (en["page"], en["of"], en["to"], en["lastPage"]) == ("Page", "of", "to", "Last page")
    assert (zh["ariaHeaderSelection"], en["ariaHeaderSelection"]) == ("全选本页", "Select all on this page")


@pytest.mark.parametrize("kwargs", [{}, {"row_selectable": "multi"}])
def test_nothing_sent_to_the_browser_is_code_to_evaluate_only_lookups_and_calls_of_the_grids_names(kwargs):
    """dash-ag-grid reads {"function": …} with its own expression reader (no eval; a function literal would need
    one) and refuses plain strings AG Grid would evaluate: every function here is a lookup or a call."""
    sent = json.dumps(grid(**kwargs).to_plotly_json(), default=str, ensure_ascii=False)
    functions = re.findall(r'"function": "((?:[^"\\]|\\.)*)"', sent)
    assert len(functions) == 2  # the theme and the number column's text
    assert all("=>" not in f and not re.search(r"\bfunction\b", f) for f in functions)
    assert "dangerously_allow_code" not in sent


def test_a_click_reports_its_rows_id_as_text_and_a_click_on_a_tick_box_opens_nothing():
    assert inputs.cell({"rowIndex": 0, "colId": "file_name", "rowId": "12"}) == "12"
    assert inputs.cell({"rowIndex": 0, "colId": inputs.TICK_COLUMN, "rowId": "12"}) is None
    assert inputs.cell(None) is None and inputs.row_number("12", "batch") == 12
    for bad in ("abc", {"rowId": 12}, {"rowId": ["12"]}):
        with pytest.raises(inputs.InvalidInput):
            inputs.cell(bad)
    for bad in ("-1", "1e3", "12; DROP", "", "١٢", "9" * 11):
        with pytest.raises(inputs.InvalidInput):
            inputs.row_number(bad, "batch")
