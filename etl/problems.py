"""Problems found in a submission: one row each — file, line, column, value, rule and a bilingual message.

Line numbers are what the submitter sees in the file: the header is line 1 in a CSV, Excel row numbers in an
XLSX. Messages say what failed, where, and what to do: 第7行 “统计期”列：“2023-13” 不是可识别的统计期 …
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from typing import Any

from indicators.engine.export import neutralise

ERROR, WARNING = "error", "warning"

# rule id → (severity, Chinese template, English template). Templates see {value} and the rule's parameters.
RULES: dict[str, tuple[str, str, str]] = {
    "encoding": (ERROR, "文件既不是UTF-8也不是GB18030编码：{detail}。请另存为“CSV UTF-8”或GB18030后重新报送",
                 "the file is neither UTF-8 nor GB18030: {detail_en}. Save it as “CSV UTF-8” and resubmit"),
    "utf8_invalid": (ERROR, "文件是UTF-8编码，但第{offset}字节处有无效字节（{bytes}），全文共{count}处无效字节；"
                     "文件可能混入了其他编码的内容或已损坏。请用原软件另存为“CSV UTF-8”后重新报送",
                     "the file is UTF-8 but has an invalid byte at offset {offset} (bytes {bytes}), {count} invalid "
                     "byte sequence(s) in all; part of it is in another encoding or damaged. Save it again as “CSV "
                     "UTF-8” and resubmit"),
    "file_not_text": (ERROR, "无法读取为表格：{detail}", "cannot be read as a table: {detail_en}"),
    "not_a_file": (ERROR, "不是普通文件（{detail}），未读取", "not a regular file ({detail_en}); not read"),
    "file_unreadable": (ERROR, "无法读取文件：{detail}", "the file cannot be read: {detail_en}"),
    "file_changed": (ERROR, "读取期间文件被修改（可能仍在复制中），未载入；请在文件写完后重新报送",
                     "the file changed while it was being read (still being copied?); nothing was loaded — deliver "
                     "it again once it is complete"),
    "file_too_large": (ERROR, "文件有{detail}字节，超过上限{limit}字节（设置[limits] max_file_bytes）；请拆分为多个文件报送",
                       "the file has {detail} bytes, more than the limit of {limit} ([limits] max_file_bytes); split "
                       "it into several files"),
    "too_many_rows": (ERROR, "文件行数（{detail}）超过上限{limit}行（设置[limits] max_rows）；请拆分为多个文件报送",
                      "the file has {detail_en} rows, more than the limit of {limit} ([limits] max_rows); split it "
                      "into several files"),
    "too_many_columns": (ERROR, "本行有{detail}列，超过上限{limit}列（设置[limits] max_columns）",
                         "the row has {detail} columns, more than the limit of {limit} ([limits] max_columns)"),
    "cell_too_long": (ERROR, "单元格有{detail}个字符，超过上限{limit}个（设置[limits] max_cell_chars）",
                      "the cell has {detail} characters, more than the limit of {limit} ([limits] max_cell_chars)"),
    "unbalanced_quote": (ERROR, "本行的单元格以引号开头，但{detail}。多余或缺少的引号会把后面的行并入这个单元格；"
                         "请检查该单元格的引号（单元格内的引号应写作两个引号 \"\"）",
                         "the cell opens a quote on this line, but {detail_en}. A stray or missing quote joins the "
                         "following lines into this cell; check its quotes (a quote inside a cell is written twice: "
                         "\"\")"),
    "xlsx_member_too_large": (ERROR, "XLSX文件中的“{member}”解压后有{detail}字节，超过上限{limit}字节"
                              "（设置[limits] max_xlsx_member_bytes），未解析",
                              "the part {member!r} of the XLSX file inflates to {detail} bytes, more than the limit "
                              "of {limit} ([limits] max_xlsx_member_bytes); not parsed"),
    "xlsx_compression_ratio": (ERROR, "XLSX文件中的“{member}”压缩比为{detail}:1，超过上限{limit}:1"
                               "（设置[limits] max_xlsx_ratio），疑似压缩炸弹，未解析",
                               "the part {member!r} of the XLSX file is compressed {detail}:1, beyond the limit of "
                               "{limit}:1 ([limits] max_xlsx_ratio): a likely zip bomb; not parsed"),
    "control_character": (ERROR, "单元格含不可见的控制字符（{detail}），不能入库；请删除后重新报送",
                          "the cell holds an invisible control character ({detail}); remove it and resubmit"),
    "file_empty": (ERROR, "文件没有数据行", "the file has no data rows"),
    "missing_columns": (ERROR, "缺少必需的列：{detail}（表头可用中文或英文，见填报说明）",
                        "missing required columns: {detail_en} (Chinese or English headers; see the submission format)"),
    "ragged_row": (ERROR, "本行有{detail}个字段，与表头的{expected}列不一致；含千分位逗号的数值请加引号（\"1,234.5\"）或去掉逗号",
                   "the row has {detail} fields but the header has {expected} columns; quote numbers with thousands "
                   "separators (\"1,234.5\") or drop the commas"),
    "unknown_indicator": (ERROR, "“{value}”不是指标体系中的指标代码或名称",
                          "{value!r} is not an indicator code or name of the catalogue"),
    "derived_indicator": (ERROR, "指标{value}由系统根据{detail}计算，不需报送；请报送这些分项指标",
                          "indicator {value} is computed from {detail_en}; submit those instead"),
    "unknown_region": (ERROR, "“{value}”不是内蒙古自治区的地区代码、名称或简称",
                       "{value!r} is not a region code, name or alias of Inner Mongolia"),
    "ambiguous_region": (ERROR, "地区“{value}”有多个匹配（{detail}），请填写6位地区代码",
                         "region {value!r} matches several ({detail_en}); use the 6-digit code"),
    "level_not_reported": (ERROR, "指标{indicator}不在{level_zh}层级报送（报送层级：{detail}）",
                           "indicator {indicator} is not reported at {level} level (levels: {detail_en})"),
    "bad_period": (ERROR, "“{value}”不是可识别的统计期（示例：2023、2023Q1、2023年第一季度、2023-03、2023年3月）",
                   "{value!r} is not a period (e.g. 2023, 2023Q1, 2023年第一季度, 2023-03, 2023年3月)"),
    "wrong_frequency": (ERROR, "指标{indicator}按{freq_zh}报送，统计期“{value}”不是{freq_zh}期",
                        "indicator {indicator} is {frequency}; period {value!r} is not {a_frequency} period"),
    "future_period": (ERROR, "统计期{value}尚未结束（截至{today}），不能报送",
                      "period {value} has not ended yet (today is {today})"),
    "non_numeric": (ERROR, "“{value}”不是数值（未报送请留空或填“-”）",
                    "{value!r} is not a number (leave empty or write '-' for not reported)"),
    "out_of_range": (ERROR, "数值{value}超出指标{indicator}的有效范围{detail}",
                     "value {value} is outside the valid range {detail} of {indicator}"),
    "implausible_value": (ERROR, "数值{value}不可信：指标{indicator}的数值不会超出{detail} {unit}（按计量单位推定的合理范围），"
                          "请检查计量单位和小数点",
                          "value {value} is implausible: {indicator} cannot lie outside {detail} {unit} (the plausible "
                          "range of its unit); check the unit and the decimal point"),
    "conflicting_duplicate": (ERROR, "与第{detail}行是同一指标、地区和统计期，但数值不同",
                              "same indicator, region and period as line {detail}, with a different value"),
    "unknown_unit": (ERROR, "“{value}”不是已知的计量单位", "{value!r} is not a known unit"),
    "unit_mismatch": (ERROR, "计量单位“{unit}”不能换算为指标{indicator}的单位“{detail}”",
                      "unit {unit!r} cannot be converted to {detail!r}, the unit of {indicator}"),
    "ytd_decreasing": (ERROR, "1月至当月累计值从{detail}的{from_value}降至{later}的{to_value}，累计数不应下降，请核实",
                       "the year-to-date value falls from {from_value} in {detail_en} to {to_value} in {later_en}; "
                       "cumulative values cannot fall"),
    "not_reported": (WARNING, "{shown}表示未报送，已跳过", "{shown_en} means not reported; skipped"),
    "duplicate_row": (WARNING, "与第{detail}行完全相同，只计一次", "identical to line {detail}; counted once"),
    "yoy_change": (WARNING, "数值{value_text}较上年同期（{detail}）变动{change}，超过预警阈值{threshold}，请核实",
                   "value {value_text_en} changed {change} from last year ({detail}), beyond the {threshold} threshold; "
                   "please check"),
    "reconciliation": (WARNING, "盟市数值{value_text}与所辖旗县合计{detail}相差{change}，超过容差{threshold}",
                       "league value {value_text_en} differs from the sum of its counties {detail} by {change}, "
                       "beyond {threshold}"),
    "internal_error": (ERROR, "处理本文件时发生内部错误（{detail}），文件已隔离；请联系系统管理员（日志 {log}）",
                       "an internal error occurred while processing this file ({detail_en}); it is quarantined — "
                       "contact the system administrator (log {log})"),
}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    column: str
    value: str
    rule: str
    severity: str
    message_zh: str
    message_en: str

    def location_zh(self) -> str:
        where = f"第{self.line}行" if self.line else "文件"
        return f"{where} “{self.column}”列" if self.column else where

    def location_en(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}, column {self.column}" if self.column else where

    def text(self) -> str:
        return f"{self.location_zh()}：{self.message_zh} | {self.location_en()}: {self.message_en}"


class FileRejected(Exception):
    """The file cannot be read (or must not be read further); carries the problems to report."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message_en for p in problems))


def make(rule: str, file: str, line: int | None, column: str, value: Any, **params: Any) -> Problem:
    severity, zh, en = RULES[rule]
    value = "" if value is None else str(value)
    params.setdefault("detail", "")
    params.setdefault("shown", f"“{value}”" if value else "空白单元格")
    params.setdefault("shown_en", repr(value) if value else "an empty cell")
    params.setdefault("detail_en", params["detail"])
    return Problem(file, line, column, value, rule, severity, zh.format(value=value, **params),
                   en.format(value=value, **params))


COLUMNS = ("file", "line", "column", "value", "rule", "severity", "message_zh", "message_en")


def to_csv(problems: list[Problem]) -> str:
    """UTF-8 with BOM when written to disk, so Excel opens the Chinese text correctly; text that Excel would take
    for a formula is neutralised as in every export."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for p in problems:  # the cells are the submitter's text: '=cmd|…' must not become a formula in Excel
        writer.writerow([neutralise(x) for x in (p.file, p.line or "", p.column, p.value, p.rule, p.severity,
                                                 p.message_zh, p.message_en)])
    return buf.getvalue()


def to_records(problems: list[Problem]) -> list[dict[str, Any]]:
    return [asdict(p) for p in problems]


def to_json(summary: dict[str, Any], problems: list[Problem]) -> str:
    return json.dumps({**summary, "problems": to_records(problems)}, ensure_ascii=False, indent=2, default=str)
