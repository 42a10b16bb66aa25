"""Submission templates: the long table one unit fills in for one period — every indicator it reports at its level
and at the period's frequency, code, name, region, period and unit filled in, the value column empty — as XLSX (the
table on the first sheet, which the ETL reads, and a 说明 sheet with instructions in Chinese and English) or as CSV
(UTF-8 with BOM, for Excel). A filled template loads with no edits; a row left empty is "not reported".

    build_template(cat, "150200", "2024Q1")  # 包头市, 2024年第一季度: the quarterly indicators a league reports
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from indicators.base import status
from indicators.base.catalogue import Catalogue, Indicator
from indicators.base.errors import UsageError
from indicators.base.periods import Period, label_zh, parse_period
from indicators.base.regions import AmbiguousRegion, Region, UnknownRegion

FORMATS = ("xlsx", "csv")
# the headers of the long layout (etl.layout.ALIASES), in Chinese as the officers write them
HEADER = ("指标代码", "指标名称", "地区代码", "地区名称", "统计期", "数值", "计量单位", "备注", "数据来源", "数据状态")
VALUE_COLUMN = HEADER.index("数值")
STATUS_COLUMN = HEADER.index("数据状态")
LEVEL_ZH = {"region": "自治区", "league": "盟市", "county": "旗县"}
FREQUENCY_ZH = {"annual": "年度", "quarterly": "季度", "monthly": "月度"}
MEASURE = {"stock": ("期末数", "end-of-period level"), "flow": ("本期发生数", "amount of the period"),
           "ytd": ("1月至当月累计数", "cumulative from January (year to date)")}
INSTRUCTIONS = (
    ("填写", "只填写“数值”列（可选填“备注”“数据来源”“数据状态”）；不要改动其他列，不要增删列，不要改表头。",
     "Fill in the 数值 (value) column only (备注 note, 数据来源 source and 数据状态 status are optional); leave the other columns, "
     "the headers and the column order as they are."),
    ("计量单位", "数值按“计量单位”列的单位填写。也可改为同一量纲的其他单位（如 亿元 → 万元），系统会精确换算；"
     "不能换算的单位是错误。百分比指标可写 45.3 或 45.3%。",
     "Give each value in the unit of its 计量单位 (unit) column; another unit of the same dimension (亿元 → 万元) "
     "is converted exactly, an incompatible one is an error. Percentages may be written 45.3 or 45.3%."),
    ("数据状态", "正式数留空；初步数（快报）、估计数（预计数、约数、下限值）、预测数请在“数据状态”列注明（可从下拉列表选择，"
     "也可填 P、E、F）。数值由初步数改为正式数时，重新报送该行并清空或改为“正式数”。",
     "Leave 数据状态 (status) empty for a normal value; mark provisional (初步数, 快报), estimated (估计数, 预计数, 约数, "
     "下限值) and forecast (预测数) values there (pick from the list, or write P, E, F). When a provisional value "
     "becomes final, submit the row again with the status empty or 正式数."),
    ("未报送", "没有数据的行请留空或填“-”：该行计为“未报送”（提醒，不是错误），不入库。整张表都未填写时，文件可以通过校验，"
     "但不会载入任何数值。",
     "Leave a row empty (or write '-') when there is no figure: it counts as not reported (a warning, not an error) "
     "and nothing is stored. A template with no value at all passes the check but loads nothing."),
    ("报送范围", "只能报送本账号报送范围内的地区（盟市账号：本盟市及所辖旗县；旗县账号：本旗县）。范围外的行是错误"
     "（out_of_scope），整份文件退回。",
     "Submit only units within your account's scope (a league account: the league and its counties; a county "
     "account: the county). A row outside it is an error (out_of_scope) and the whole file is rejected."),
    ("统计期", "统计期结束后才能报送；年度指标填年度，季度指标填季度，月度指标填月度（本模板已按统计期列出）。",
     "A period can be submitted once it has ended; the template lists the indicators of the period's frequency."),
    ("派生指标", "由系统计算的派生指标（比率、人均等）不在模板中，请填写其分项指标。",
     "Derived indicators (ratios, per-capita values) are computed and not in the template; fill in their inputs."),
    ("报送", "在报送门户上传，或放入收件箱。系统逐行校验，报告列出每个问题的行号、列名和原因；有错误的文件整体退回，"
     "数据仓库不变。",
     "Upload it in the submission portal or deliver it to the inbox. Every row is checked; the report names the "
     "line, column and reason of each problem. A file with errors is rejected as a whole; the warehouse is unchanged."),
)


def resolve(cat: Catalogue, region: str, period: str) -> tuple[Region, Period]:
    """The unit (code, name or alias) and the period (any accepted spelling), or a bilingual usage error."""
    try:
        unit = cat.regions.resolve(str(region).strip())
    except UnknownRegion:
        raise UsageError(f"“{region}”不是内蒙古自治区的地区代码、名称或简称（见 dem catalogue regions）",
                         f"{region!r} is not a region code, name or alias of Inner Mongolia (see dem catalogue "
                         "regions)") from None
    except AmbiguousRegion as exc:
        raise UsageError(f"{exc.message_zh}，请填写6位地区代码", f"{exc.message_en}; use the 6-digit code") from None
    parsed = parse_period(period)
    if parsed is None:
        raise UsageError(f"“{period}”不是可识别的统计期（示例：2024、2024Q1、2024年第一季度、2024-03、2024年3月）",
                         f"{period!r} is not a period (e.g. 2024, 2024Q1, 2024年第一季度, 2024-03, 2024年3月)")
    return unit, parsed


def owed(cat: Catalogue, unit: Region, period: Period) -> list[Indicator]:
    """The indicators a unit reports for a period: reported (not derived) at its level, at the period's frequency,
    in catalogue order."""
    return [i for i in cat.indicators.values()
            if not i.is_derived and unit.level in i.levels and i.frequency == period.frequency]


def rows(cat: Catalogue, unit: Region, period: Period) -> list[list[str]]:
    """The table's rows under HEADER, value, note, source and status empty."""
    return [[i.code, i.name_zh, unit.code, unit.name_zh, period.code, "", i.unit, "", "", ""]
            for i in owed(cat, unit, period)]


def title(unit: Region, period: Period) -> str:
    return (f"{unit.name_zh}{label_zh(period.code)}数字经济监测指标报送表 | {unit.name_en}, {period.code}: "
            "digital economy indicators")


def build_template(cat: Catalogue, region: str, period: str, fmt: str = "xlsx") -> bytes:
    """The template of `region` (code, name or alias) for `period` as XLSX or CSV bytes."""
    if fmt not in FORMATS:
        raise UsageError(f"格式须为 {'、'.join(FORMATS)}", f"the format must be one of {', '.join(FORMATS)}")
    unit, parsed = resolve(cat, region, period)
    table = rows(cat, unit, parsed)
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows([HEADER, *table])  # Excel writes CRLF
        return buffer.getvalue().encode("utf-8-sig")  # the BOM: Excel opens the Chinese text correctly
    return _xlsx(cat, unit, parsed, table)


def _xlsx(cat: Catalogue, unit: Region, period: Period, table: list[list[str]]) -> bytes:
    """First sheet: a title row, the header, one row per indicator (the ETL finds the header below the title).
    Second sheet 说明: the instructions and the indicators with their definitions."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "报送表"
    sheet.append([title(unit, period)])
    sheet.append(list(HEADER))
    for row in table:
        sheet.append(row)
    sheet["A1"].font = Font(bold=True)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A3"
    for column, width in zip("ABCDEFGHIJ", (10, 36, 10, 16, 10, 14, 10, 24, 24, 10), strict=True):
        sheet.column_dimensions[column].width = width
    if table:  # a drop-down of the status words; anything else typed is still checked by the ETL (bad_status)
        words = DataValidation(type="list", allow_blank=True, showErrorMessage=False,
                               formula1='"' + ",".join(s.zh for s in status.STATUSES.values()) + '"')
        column = "ABCDEFGHIJ"[STATUS_COLUMN]
        words.add(f"{column}3:{column}{len(table) + 2}")
        sheet.add_data_validation(words)
    for (cell,) in sheet.iter_rows(min_row=3, min_col=VALUE_COLUMN + 1, max_col=VALUE_COLUMN + 1):
        cell.number_format = "General"

    notes = book.create_sheet("说明")
    notes.append(["项目", "说明", "Instructions"])
    for item in INSTRUCTIONS:
        notes.append(list(item))
    notes.append([])
    notes.append(["指标代码", "指标名称", "计量单位", "统计口径", "定义", "Definition", "Measure"])
    for i in owed(cat, unit, period):
        zh, en = MEASURE.get(i.measure, ("", ""))
        notes.append([i.code, i.name_zh, i.unit, zh, i.definition_zh, i.definition_en, en])
    notes.append([])
    notes.append(["模板", f"{unit.code} {unit.name_zh}（{LEVEL_ZH[unit.level]}）{label_zh(period.code)}，"
                          f"{FREQUENCY_ZH[period.frequency]}指标 {len(table)} 项",
                  f"{unit.code} {unit.name_en} ({unit.level}), {period.code}: {len(table)} {period.frequency} "
                  "indicator(s)"])
    for column, width in zip("ABCDEFG", (12, 60, 60, 14, 50, 50, 30), strict=True):
        notes.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def default_name(cat: Catalogue, region: str, period: str, fmt: str) -> str:
    """报送模板_150200_包头市_2024Q1.xlsx"""
    unit, parsed = resolve(cat, region, period)
    return f"报送模板_{unit.code}_{unit.name_zh}_{parsed.code}.{fmt}"


def write_template(path: Path, data: bytes) -> Path:
    """Write beside `path` and rename: a template being replaced is never seen half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path
