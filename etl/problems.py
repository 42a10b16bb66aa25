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

ERROR, WARNING = "error", "warning"

# rule id → (severity, Chinese template, English template). Templates see {value} and the rule's parameters.
RULES: dict[str, tuple[str, str, str]] = {
    "encoding": (ERROR, "文件既不是UTF-8也不是GB18030编码：{detail}。请另存为“CSV UTF-8”或GB18030后重新报送",
                 "the file is neither UTF-8 nor GB18030: {detail_en}. Save it as “CSV UTF-8” and resubmit"),
    "file_not_text": (ERROR, "无法读取为表格：{detail}", "cannot be read as a table: {detail_en}"),
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
    """UTF-8 with BOM when written to disk, so Excel opens the Chinese text correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for p in problems:
        writer.writerow([p.file, p.line or "", p.column, p.value, p.rule, p.severity, p.message_zh, p.message_en])
    return buf.getvalue()


def to_records(problems: list[Problem]) -> list[dict[str, Any]]:
    return [asdict(p) for p in problems]


def to_json(summary: dict[str, Any], problems: list[Problem]) -> str:
    return json.dumps({**summary, "problems": to_records(problems)}, ensure_ascii=False, indent=2, default=str)
