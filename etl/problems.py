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

from etl.rules import ERROR as ERROR  # re-exported: etl.pipeline reads the severities here
from etl.rules import RULES
from etl.rules import WARNING as WARNING
from indicators.engine.export import neutralise


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
    """The problem `rule` found at (file, line, column) in the cell `value`, its message in both languages made
    from the rule's templates (etl.rules) and `params`."""
    spec = RULES[rule]
    value = "" if value is None else str(value)
    params.setdefault("detail", "")
    params.setdefault("shown", f"“{value}”" if value else "空白单元格")
    params.setdefault("shown_en", repr(value) if value else "an empty cell")
    params.setdefault("detail_en", params["detail"])
    return Problem(file, line, column, value, rule, spec.severity, spec.zh.format(value=value, **params),
                   spec.en.format(value=value, **params))


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
