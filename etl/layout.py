"""Find the header, recognise the columns (Chinese or English), and turn long or wide tables into one row per value.

Long layout: indicator, region, period, value (+ unit, note, source, synthetic, status) — one observation per row.
Wide layout (yearbook style): indicator, region (+ unit …) and one column per period: 2021 | 2022年 | 2024Q1.
A header such as “数值（亿元）” carries the unit of the whole column. Title rows above the header and
footnotes (注：…) below the table are recognised and skipped; nothing else is dropped.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from etl import problems as P
from etl.problems import FileRejected
from etl.source import Sheet
from indicators.base.periods import parse_period

# field → accepted header spellings, compared after NFKC, casefold and removing spaces, '_' and '-'
ALIASES: dict[str, tuple[str, ...]] = {
    "indicator_code": ("indicator_code", "indicatorcode", "指标代码", "指标编码", "指标编号"),
    "indicator_name": ("indicator", "indicator_name", "指标", "指标名称"),
    "region_code": ("region_code", "regioncode", "地区代码", "行政区划代码", "区划代码", "地区编码"),
    "region_name": ("region", "region_name", "地区", "地区名称", "行政区划", "单位名称", "盟市", "旗县"),
    "period": ("period", "统计期", "时期", "统计时期", "报告期", "时间"),
    "value": ("value", "数值", "指标值", "数据", "值"),
    "unit": ("unit", "计量单位", "单位"),
    "note": ("note", "notes", "备注", "说明"),
    "source": ("source", "数据来源", "来源", "资料来源"),
    "synthetic": ("synthetic", "示例数据", "合成数据"),
    "status": ("status", "obs_status", "observation_status", "数据状态", "数值状态", "数据性质"),
}
FOOTNOTE_RE = re.compile(r"^(注|说明|备注|资料来源|数据来源|填报说明|note|source)\s*[:：]?", re.IGNORECASE)
UNIT_IN_HEADER_RE = re.compile(r"^(?P<name>.+?)\s*[（(]\s*(?P<unit>[^（()）]+?)\s*[)）]$")
HEADER_SCAN_ROWS = 10
YEAR_LIKE_RE = re.compile(r"^\d{4}(?!\d)")  # a header starting with a year is meant as a period column


def header_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", str(text)).lstrip("\ufeff")).casefold()


_LOOKUP = {header_key(a): f for f, names in ALIASES.items() for a in names}


@dataclass
class Columns:
    """Which sheet column holds which field, and the header text the submitter wrote for it."""

    positions: dict[str, int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    period_columns: dict[int, str] = field(default_factory=dict)  # wide layout: position → header text
    unreadable_periods: dict[int, str] = field(default_factory=dict)  # “2023-13”, “2023年度”: year-like, no period
    header_unit: str = ""  # from “数值（亿元）”

    def header(self, name: str) -> str:
        return self.headers.get(name, name)


def recognise(header: list[str]) -> Columns:
    cols = Columns()
    for pos, text in enumerate(header):
        text = str(text).strip()
        if not text:
            continue
        key = header_key(text)
        name = _LOOKUP.get(key)
        unit = ""
        if name is None and (m := UNIT_IN_HEADER_RE.match(unicodedata.normalize("NFKC", text))):
            name, unit = _LOOKUP.get(header_key(m.group("name"))), m.group("unit")
        if name is not None and name not in cols.positions:
            cols.positions[name], cols.headers[name] = pos, text
            if name == "value" and unit:
                cols.header_unit = unit
        elif name is None and parse_period(text) is not None:
            cols.period_columns[pos] = text
        elif name is None and YEAR_LIKE_RE.match(unicodedata.normalize("NFKC", text)):
            cols.unreadable_periods[pos] = text
    return cols


def _find_header(sheet: Sheet, file: str) -> tuple[int, Columns]:
    cells = sheet.cells
    for line in cells.index[:HEADER_SCAN_ROWS]:
        cols = recognise(list(cells.loc[line]))
        has_indicator = {"indicator_code", "indicator_name"} & cols.positions.keys()
        has_region = {"region_code", "region_name"} & cols.positions.keys()
        if has_indicator and has_region:
            return line, cols
    first = cells.index[0]
    cols = recognise(list(cells.loc[first]))
    missing = [label for label, names in (("指标代码 indicator_code", {"indicator_code", "indicator_name"}),
                                          ("地区 region", {"region_code", "region_name"}))
               if not names & cols.positions.keys()]
    raise FileRejected([P.make("missing_columns", file, first, "", "", detail="、".join(missing),
                               detail_en=", ".join(missing))])


@dataclass
class LongTable:
    """One row per submitted value, still as text, with the line it came from."""

    frame: pd.DataFrame  # line, indicator, region, period, value, unit, note, source, synthetic, status, value_column
    columns: Columns
    layout: str  # long | wide
    header_line: int
    footnotes: int = 0


def _constant(text: str, index: pd.Index) -> pd.Series:
    """A column holding one text: a categorical of one category (a byte per row, not a string per row)."""
    codes = np.zeros(len(index), dtype="int8")
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index([text], dtype="str"), validate=False),
                     index=index)


def _text(cells: pd.DataFrame, cols: Columns, name: str, strip: bool = False) -> pd.Series:
    """A field's column as submitted. Fields interpreted later are folded and stripped once per distinct text
    there (etl.normalize), not here once per row; free text (note, source) is stripped here."""
    if name in cols.positions:
        column = cells[cols.positions[name]]
        return column.str.strip() if strip else column
    return _constant("", cells.index)


def to_long(sheet: Sheet, file: str) -> LongTable:
    if sheet.deferred and sheet.cells.empty:
        raise FileRejected([p for p, _ in sheet.deferred])
    try:
        header_line, cols = _find_header(sheet, file)
    except FileRejected as exc:  # a stray quote may have swallowed the header: report the cause first
        raise FileRejected([p for p, _ in sheet.deferred or []] + exc.problems) from None
    header = list(sheet.cells.loc[header_line])
    if sheet.deferred:
        raise FileRejected([_in_column(p, position, header) for p, position in sheet.deferred])
    if sheet.control_bytes:
        _reject_control_characters(sheet.cells, header, file)
    body = sheet.cells.iloc[sheet.cells.index.get_loc(header_line) + 1:]
    body, footnotes = _drop_blank_and_footnotes(body)
    if body.empty:
        raise FileRejected([P.make("file_empty", file, None, "", "")])
    _reject_ragged(body, list(sheet.cells.loc[header_line]), file)
    long = "period" in cols.positions and "value" in cols.positions
    if not long and cols.unreadable_periods:  # its values would otherwise be left out without a word
        raise FileRejected([P.make("bad_period", file, header_line, text, text)
                            for text in cols.unreadable_periods.values()])
    if not long and not cols.period_columns:
        raise FileRejected([P.make("missing_columns", file, header_line, "", "",
                                   detail="统计期、数值（或按统计期分列的数值列，如“2023年”）",
                                   detail_en="period and value (or one value column per period, e.g. '2023')")])
    ident = pd.DataFrame({
        "line": body.index.to_numpy(dtype="int64"),
        "indicator": _text(body, cols, "indicator_code" if "indicator_code" in cols.positions else "indicator_name"),
        "region": _text(body, cols, "region_code" if "region_code" in cols.positions else "region_name"),
        "unit": _text(body, cols, "unit"),
        "note": _text(body, cols, "note", strip=True),
        "source": _text(body, cols, "source", strip=True),
        "synthetic": _text(body, cols, "synthetic"),
        "status": _text(body, cols, "status"),
    })
    if cols.header_unit:
        ident["unit"] = ident["unit"].astype("str").where(ident["unit"].astype("str").str.strip() != "",
                                                          cols.header_unit)
    if long:
        frame = ident.assign(period=_text(body, cols, "period"), value=_text(body, cols, "value"),
                             value_column=_constant(cols.header("value"), body.index))
    else:
        parts = [ident.assign(period=_constant(text, body.index), value=body[pos],
                              value_column=_constant(text, body.index))
                 for pos, text in cols.period_columns.items()]
        frame = pd.concat(parts, ignore_index=True)
        # one constant per part; concatenated they would fall back to Python objects: one categorical instead
        codes, distinct = pd.factorize(pd.Series(list(cols.period_columns.values()), dtype=object))
        per_row = np.repeat(codes, len(body)).astype("int32")
        for name in ("period", "value_column"):
            frame[name] = pd.Categorical.from_codes(per_row, categories=pd.Index(distinct, dtype="str"))
    frame = frame.reset_index(drop=True)
    return LongTable(frame, cols, "long" if long else "wide", int(header_line), footnotes)


def _in_column(problem: P.Problem, position: int | None, header: list[str]) -> P.Problem:
    """A problem found while reading, with the header text of its column once the header is known."""
    if position is None or position >= len(header) or not str(header[position]).strip():
        return problem
    return dataclasses.replace(problem, column=str(header[position]).strip())


# C0 control characters other than tab, line feed and carriage return, and DEL: never part of a statistic,
# a name or a note (a NUL byte, an escape sequence); they would travel into the warehouse and every export
CONTROL = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]"


def _reject_control_characters(cells: pd.DataFrame, header: list[str], file: str, cap: int = 20) -> None:
    problems = []
    for position in cells.columns:
        text = _arrow_text(cells[position])
        found = pc.match_substring_regex(text, CONTROL)
        if not pc.any(found).as_py():
            continue
        for row in np.flatnonzero(np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool))[:cap]:
            value = str(cells[position].iloc[row])
            where = next(i for i, ch in enumerate(value) if ch in _CONTROL_CHARS)
            column = str(header[position]).strip() if position < len(header) else ""
            problems.append(P.make("control_character", file, int(cells.index[row]), column,
                                   "".join(f"\\x{ord(ch):02x}" if ch in _CONTROL_CHARS else ch for ch in value[:40]),
                                   detail=f"U+{ord(value[where]):04X}", detail_en=f"U+{ord(value[where]):04X}"))
    if problems:
        raise FileRejected(problems[:cap])


_CONTROL_CHARS = {chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), 127]}


def _arrow_text(column: pd.Series) -> pa.Array:
    return pa.array(column.array, type=pa.large_string()) if not hasattr(column.array, "__arrow_array__") \
        else column.array.__arrow_array__()


def _reject_ragged(body: pd.DataFrame, header: list[str], file: str, cap: int = 1000) -> None:
    """Text to the right of the last header column has no column to go to. In a CSV it is almost always an
    unquoted thousands separator: `CX-01,150100,2023,3,801.2` is 5 fields under 4 headers, and reading it
    as 3 would be wrong by a factor of a thousand. Reject such rows rather than drop the extra text."""
    width = max((i + 1 for i, h in enumerate(header) if str(h).strip()), default=0)
    extra = [c for c in body.columns if c >= width]
    if not extra:
        return
    filled = np.zeros((len(body), len(extra)), dtype=bool)
    for j, col in enumerate(extra):
        filled[:, j] = _filled(body[col])
    rows = np.flatnonzero(filled.any(axis=1))
    if not len(rows):
        return
    problems = []
    for i in rows[:cap]:
        last = width + int(np.flatnonzero(filled[i]).max())
        fields = body.iloc[i, :last + 1].str.strip()  # the row as read, so the submitter sees where it split
        problems.append(P.make("ragged_row", file, int(body.index[i]), "", ",".join(fields), detail=last + 1,
                               expected=width))
    raise FileRejected(problems)


def _filled(column: pd.Series) -> np.ndarray:
    """True where a cell holds more than white space (Arrow kernels: no stripped copy of the column)."""
    text = _arrow_text(column)
    blank = pc.or_(pc.equal(pc.binary_length(text), 0), pc.utf8_is_space(text))
    return ~np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)


def _drop_blank_and_footnotes(body: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    if body.empty:
        return body, 0
    filled = np.zeros(len(body), dtype="int64")
    for col in body.columns:
        filled += _filled(body[col])
    footnote = filled == 1
    if footnote.any():  # only rows with a single filled cell can be footnotes; test just those
        first = body[body.columns[0]].to_numpy(dtype=object)[footnote]
        footnote[footnote] = [bool(FOOTNOTE_RE.match(str(text).strip())) for text in first]
    keep = (filled > 0) & ~footnote
    return (body if keep.all() else body.loc[keep]), int(footnote.sum())
