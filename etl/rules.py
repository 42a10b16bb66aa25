"""The rules a submission is checked against, described once: severity, the field a row's problem points at,
and the message in both languages. Read by the messages (etl.problems.make), the validation (which column and cell
a failure names, which failure of a row is reported) and the docs test (docs/submission-format.md lists them all).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from etl.submitter import Submitter

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Rule:
    """One rule. `field` is the submitted field (indicator, region, period, unit, value, status) whose column and cell a
    row's problem names; None for the rules found while reading the file, which name their own place. The
    templates see {value} and the rule's parameters (etl.problems.make)."""

    id: str
    severity: str
    field: str | None
    zh: str
    en: str


# The order is the precedence: a row failing several rules of one field is reported once, for the first of them
# (a value outside its indicator's range is not also implausible, nor a conflicting duplicate).
RULES: dict[str, Rule] = {rule.id: rule for rule in (
    Rule("encoding", ERROR, None,
         "文件既不是UTF-8也不是GB18030编码：{detail}。请另存为“CSV UTF-8”或GB18030后重新报送",
         "the file is neither UTF-8 nor GB18030: {detail_en}. Save it as “CSV UTF-8” and resubmit"),
    Rule("utf8_invalid", ERROR, None,
         "文件是UTF-8编码，但第{offset}字节处有无效字节（{bytes}），全文共{count}处无效字节；"
         "文件可能混入了其他编码的内容或已损坏。请用原软件另存为“CSV UTF-8”后重新报送",
         "the file is UTF-8 but has an invalid byte at offset {offset} (bytes {bytes}), {count} invalid "
         "byte sequence(s) in all; part of it is in another encoding or damaged. Save it again as “CSV "
         "UTF-8” and resubmit"),
    Rule("file_not_text", ERROR, None,
         "无法读取为表格：{detail}",
         "cannot be read as a table: {detail_en}"),
    Rule("not_a_file", ERROR, None,
         "不是普通文件（{detail}），未读取",
         "not a regular file ({detail_en}); not read"),
    Rule("file_unreadable", ERROR, None,
         "无法读取文件：{detail}",
         "the file cannot be read: {detail_en}"),
    Rule("file_changed", ERROR, None,
         "读取期间文件被修改（可能仍在复制中），未载入；请在文件写完后重新报送",
         "the file changed while it was being read (still being copied?); nothing was loaded — deliver "
         "it again once it is complete"),
    Rule("file_too_large", ERROR, None,
         "文件有{detail}字节，超过上限{limit}字节（设置[limits] max_file_bytes）；请拆分为多个文件报送",
         "the file has {detail} bytes, more than the limit of {limit} ([limits] max_file_bytes); split "
         "it into several files"),
    Rule("too_many_rows", ERROR, None,
         "文件行数（{detail}）超过上限{limit}行（设置[limits] max_rows）；请拆分为多个文件报送",
         "the file has {detail_en} rows, more than the limit of {limit} ([limits] max_rows); split it "
         "into several files"),
    Rule("too_many_columns", ERROR, None,
         "本行有{detail}列，超过上限{limit}列（设置[limits] max_columns）",
         "the row has {detail} columns, more than the limit of {limit} ([limits] max_columns)"),
    Rule("cell_too_long", ERROR, None,
         "单元格有{detail}个字符，超过上限{limit}个（设置[limits] max_cell_chars）",
         "the cell has {detail} characters, more than the limit of {limit} ([limits] max_cell_chars)"),
    Rule("unbalanced_quote", ERROR, None,
         "本行的单元格以引号开头，但{detail}。多余或缺少的引号会把后面的行并入这个单元格；"
         "请检查该单元格的引号（单元格内的引号应写作两个引号 \"\"）",
         "the cell opens a quote on this line, but {detail_en}. A stray or missing quote joins the "
         "following lines into this cell; check its quotes (a quote inside a cell is written twice: "
         "\"\")"),
    Rule("xlsx_member_too_large", ERROR, None,
         "XLSX文件中的“{member}”解压后有{detail}字节，超过上限{limit}字节"
         "（设置[limits] max_xlsx_member_bytes），未解析",
         "the part {member!r} of the XLSX file inflates to {detail} bytes, more than the limit "
         "of {limit} ([limits] max_xlsx_member_bytes); not parsed"),
    Rule("xlsx_compression_ratio", ERROR, None,
         "XLSX文件中的“{member}”压缩比为{detail}:1，超过上限{limit}:1"
         "（设置[limits] max_xlsx_ratio），疑似压缩炸弹，未解析",
         "the part {member!r} of the XLSX file is compressed {detail}:1, beyond the limit of "
         "{limit}:1 ([limits] max_xlsx_ratio): a likely zip bomb; not parsed"),
    Rule("control_character", ERROR, None,
         "单元格含不可见的控制字符（{detail}），不能入库；请删除后重新报送",
         "the cell holds an invisible control character ({detail}); remove it and resubmit"),
    Rule("file_empty", ERROR, None,
         "文件没有数据行",
         "the file has no data rows"),
    Rule("missing_columns", ERROR, None,
         "缺少必需的列：{detail}（表头可用中文或英文，见填报说明）",
         "missing required columns: {detail_en} (Chinese or English headers; see the submission format)"),
    Rule("ragged_row", ERROR, None,
         "本行有{detail}个字段，与表头的{expected}列不一致；含千分位逗号的数值请加引号（\"1,234.5\"）或去掉逗号",
         "the row has {detail} fields but the header has {expected} columns; quote numbers with thousands "
         "separators (\"1,234.5\") or drop the commas"),
    Rule("unknown_indicator", ERROR, "indicator",
         "“{value}”不是指标体系中的指标代码或名称",
         "{value!r} is not an indicator code or name of the catalogue"),
    Rule("derived_indicator", ERROR, "indicator",
         "指标{value}由系统根据{detail}计算，不需报送；请报送这些分项指标",
         "indicator {value} is computed from {detail_en}; submit those instead"),
    Rule("unknown_region", ERROR, "region",
         "“{value}”不是内蒙古自治区的地区代码、名称或简称",
         "{value!r} is not a region code, name or alias of Inner Mongolia"),
    Rule("ambiguous_region", ERROR, "region",
         "地区“{value}”有多个匹配（{detail}），请填写6位地区代码",
         "region {value!r} matches several ({detail_en}); use the 6-digit code"),
    # before level_not_reported: a region the account may not submit at all is the first thing to fix
    Rule("out_of_scope", ERROR, "region",
         "地区“{value}”（{region}）不在报送账号{user}的报送范围（{scope}）内，不能由该账号报送",
         "region {value!r} ({region_en}) is outside the scope of the account {user} ({scope_en}); it cannot be "
         "submitted from this account"),
    Rule("level_not_reported", ERROR, "region",
         "指标{indicator}不在{level_zh}层级报送（报送层级：{detail}）",
         "indicator {indicator} is not reported at {level} level (levels: {detail_en})"),
    Rule("bad_period", ERROR, "period",
         "“{value}”不是可识别的统计期（示例：2023、2023Q1、2023年第一季度、2023-03、2023年3月）",
         "{value!r} is not a period (e.g. 2023, 2023Q1, 2023年第一季度, 2023-03, 2023年3月)"),
    Rule("wrong_frequency", ERROR, "period",
         "指标{indicator}按{freq_zh}报送，统计期“{value}”不是{freq_zh}期",
         "indicator {indicator} is {frequency}; period {value!r} is not {a_frequency} period"),
    Rule("future_period", ERROR, "period",
         "统计期{value}尚未结束（截至{today}），不能报送",
         "period {value} has not ended yet (today is {today})"),
    Rule("unknown_unit", ERROR, "unit",
         "“{value}”不是已知的计量单位",
         "{value!r} is not a known unit"),
    Rule("unit_mismatch", ERROR, "unit",
         "计量单位“{unit}”不能换算为指标{indicator}的单位“{detail}”",
         "unit {unit!r} cannot be converted to {detail!r}, the unit of {indicator}"),
    Rule("non_numeric", ERROR, "value",
         "“{value}”不是数值（未报送请留空或填“-”）",
         "{value!r} is not a number (leave empty or write '-' for not reported)"),
    Rule("out_of_range", ERROR, "value",
         "数值{value}超出指标{indicator}的有效范围{detail}",
         "value {value} is outside the valid range {detail} of {indicator}"),
    Rule("implausible_value", ERROR, "value",
         "数值{value}不可信：指标{indicator}的数值不会超出{detail} {unit}（按计量单位推定的合理范围），"
         "请检查计量单位和小数点",
         "value {value} is implausible: {indicator} cannot lie outside {detail} {unit_en} (the plausible "
         "range of its unit); check the unit and the decimal point"),
    Rule("bad_status", ERROR, "status",
         "“{value}”不是可识别的数据状态（可填：{detail}；正式数可留空）",
         "{value!r} is not an observation status (allowed: {detail_en}; leave empty for a normal value)"),
    Rule("conflicting_duplicate", ERROR, "value",
         "与第{detail}行是同一指标、地区和统计期，但数值或数据状态不同",
         "same indicator, region and period as line {detail}, with a different value or status"),
    Rule("ytd_decreasing", ERROR, "value",
         "1月至当月累计值从{detail}的{from_value}降至{later}的{to_value}，累计数不应下降，请核实",
         "the year-to-date value falls from {from_value} in {detail_en} to {to_value} in {later_en}; "
         "cumulative values cannot fall"),
    Rule("not_reported", WARNING, "value",
         "{shown}表示未报送，已跳过",
         "{shown_en} means not reported; skipped"),
    Rule("duplicate_row", WARNING, "value",
         "与第{detail}行完全相同，只计一次",
         "identical to line {detail}; counted once"),
    Rule("yoy_change", WARNING, "value",
         "数值{value_text}较上年同期（{detail}）变动{change}，超过预警阈值{threshold}，请核实",
         "value {value_text_en} changed {change} from last year ({detail_en}), beyond the {threshold} threshold; "
         "please check"),
    Rule("reconciliation", WARNING, "value",
         "盟市数值{value_text}与所辖旗县合计{detail}相差{change}，超过容差{threshold}",
         "league value {value_text_en} differs from the sum of its counties {detail_en} by {change}, "
         "beyond {threshold}"),
    # last of the warnings: a unit's own history (yoy_change) or its counties (reconciliation) say more about one
    # value than the spread of its peers, which may simply be a large unit among small ones
    Rule("peer_outlier", WARNING, "value",
         "{period}的数值{value_text}远离{units}个同级{level_zh}的中位数{detail}（修正z值{z}，超过阈值{threshold}），"
         "请核实",
         "value {value_text_en} for {period} lies far from the median {detail_en} of the {units} {level_en} reporting "
         "it (modified z-score {z}, beyond the {threshold} threshold); please check"),
    Rule("account_disabled", ERROR, None,
         "报送账号{detail}已停用或不存在，本次报送未载入；请使用有效账号重新报送",
         "the account {detail} that submitted this file is disabled or no longer exists; nothing was loaded — "
         "submit it again from an active account"),
    Rule("internal_error", ERROR, None,
         "处理本文件时发生内部错误（{detail}），文件已隔离；请联系系统管理员（日志 {log}）",
         "an internal error occurred while processing this file ({detail_en}); it is quarantined — "
         "contact the system administrator (log {log})"),
)}


@dataclass(frozen=True)
class Thresholds:
    """What the rules compare with: the day periods must have ended by (future_period), the limits of the
    warnings (yoy_change: ±50 %, reconciliation: ±1 %, peer_outlier: a modified z-score beyond ±3.5 among at least
    5 units by default; settings.toml [etl]) and who submits the file (out_of_scope; None: a file of the inbox, no
    scope check)."""

    today: date
    yoy_warning_ratio: float = 0.5
    reconciliation_tolerance: float = 0.01
    submitter: Submitter | None = None
    peer_z_threshold: float = 3.5
    peer_min_units: int = 5
