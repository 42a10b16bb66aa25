"""Read the first sheet of an .xlsx submission: every row that exists, whatever the file declares, within limits.

An .xlsx file is a zip of XML parts, so a few MB can inflate to gigabytes. Before anything is parsed, every
part's inflated size and compression ratio are checked against [limits] (Python's zipfile never inflates a part
beyond its declared size, so the declared sizes bound the work), and the rows of the sheet are counted in the
inflated stream. openpyxl's read-only reader trusts the sheet's declared `<dimension>` (a stale `A1:E2` would hide
every later row), and fills gaps in row numbers one empty row at a time (`<row r="2000000000">` would never end);
so rows are taken straight from its sheet parser, by the row numbers the file gives.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

import pandas as pd

from etl import problems as P
from etl.problems import FileRejected
from etl.source import Sheet, SourceFile
from indicators.base.settings import Limits

EXCEL_MAX_ROWS = 1_048_576  # an .xlsx sheet cannot hold more rows (the format's limit, not ours)
RATIO_FLOOR = 1 << 20  # parts inflating to less than this are harmless whatever their ratio
ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")


def read_xlsx(source: SourceFile, limits: Limits) -> Sheet:
    try:
        archive = zipfile.ZipFile(io.BytesIO(source.data))
        _check_parts(archive, limits, source.name)
        book, part = _open_workbook(source.data)
        max_rows = min(limits.max_rows, EXCEL_MAX_ROWS)
        if _count_rows(archive, part, max_rows) > max_rows:
            raise FileRejected([P.make("too_many_rows", source.name, None, "", "", detail=f"至少{max_rows + 1:,}",
                                       detail_en=f"at least {max_rows + 1:,}", limit=f"{max_rows:,}")])
        numbers, texts = _rows(archive, book, part, limits, source.name, max_rows)
    except FileRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError, EOFError, IndexError,
            TypeError, AttributeError) as exc:
        raise _not_xlsx(source, exc) from exc
    if not texts:
        raise FileRejected([P.make("file_empty", source.name, None, "", "")])
    width = max(len(r) for r in texts)
    frame = pd.DataFrame([r + [""] * (width - len(r)) for r in texts], index=numbers, dtype="str")
    return Sheet("xlsx", None, frame, lines=max(numbers), spans=[])


def _open_workbook(data: bytes):
    """The workbook's shared strings, styles and the part of its first worksheet — without openpyxl's
    load_workbook, which opens every sheet and, for a sheet that declares no size, parses it whole to find one."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    reader.read_manifest()
    reader.read_strings()
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)
    for _sheet, rel in reader.parser.find_sheets():
        if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
            reader.wb.shared_strings = reader.shared_strings
            return reader.wb, rel.target
    raise ValueError("the workbook has no worksheet")


def _not_xlsx(source: SourceFile, exc: BaseException) -> FileRejected:
    return FileRejected([P.make("file_not_text", source.name, None, "", "", detail=f"不是有效的XLSX文件（{exc}）",
                                detail_en=f"not a valid XLSX file ({exc})")])


def _check_parts(archive: zipfile.ZipFile, limits: Limits, file: str) -> None:
    for part in archive.infolist():
        if part.file_size > limits.max_xlsx_member_bytes:
            raise FileRejected([P.make("xlsx_member_too_large", file, None, "", "", member=part.filename,
                                       detail=f"{part.file_size:,}", limit=f"{limits.max_xlsx_member_bytes:,}")])
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FLOOR and ratio > limits.max_xlsx_ratio:
            raise FileRejected([P.make("xlsx_compression_ratio", file, None, "", "", member=part.filename,
                                       detail=f"{ratio:,.0f}", limit=f"{limits.max_xlsx_ratio:,.0f}")])


def _count_rows(archive: zipfile.ZipFile, part: str, limit: int) -> int:
    """Rows of the sheet, counted as `<row` tags in the inflated XML (a few hundred MB/s), stopping past limit."""
    count, carry = 0, b""
    with archive.open(part.lstrip("/")) as stream:
        while chunk := stream.read(1 << 24):
            block = carry + chunk
            count += len(ROW_TAG.findall(block))
            carry = block[-64:]
            count -= len(ROW_TAG.findall(carry))  # counted again with the next chunk
            if count > limit:
                break
    return count + len(ROW_TAG.findall(carry))


def _rows(archive: zipfile.ZipFile, book, part: str, limits: Limits, file: str,
          max_rows: int) -> tuple[list[int], list[list[str]]]:
    """(row numbers, texts) of the rows holding something, by the row numbers the sheet's XML gives."""
    from openpyxl.worksheet._reader import WorkSheetParser

    numbers, texts = [], []
    with archive.open(part) as src:
        parser = WorkSheetParser(src, book.shared_strings, data_only=True, epoch=book.epoch,
                                 date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
        for number, cells in parser.parse():
            if number > max_rows:
                raise FileRejected([P.make("too_many_rows", file, number, "", "", detail=f"至少{number:,}",
                                           detail_en=f"at least {number:,}", limit=f"{max_rows:,}")])
            filled = [c for c in cells if c.get("value") is not None]
            if not filled:
                continue
            width = max(c["column"] for c in filled)
            if width > limits.max_columns:
                raise FileRejected([P.make("too_many_columns", file, number, "", "", detail=f"{width:,}",
                                           limit=f"{limits.max_columns:,}")])
            row = [""] * width
            for c in filled:
                text = _excel_text(c["value"], _number_format(book, c.get("style_id") or 0))
                if len(text) > limits.max_cell_chars:
                    raise FileRejected([P.make("cell_too_long", file, number, "", text[:40] + "…",
                                               detail=f"{len(text):,}", limit=f"{limits.max_cell_chars:,}")])
                row[c["column"] - 1] = text
            numbers.append(number)
            texts.append(row)
    return numbers, texts


def _number_format(book, style_id: int) -> str:
    """The number format of a cell style, as openpyxl's ReadOnlyCell.number_format finds it."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE

    if not style_id:
        return "General"
    format_id = book._cell_styles[style_id].numFmtId
    if format_id < BUILTIN_FORMATS_MAX_SIZE:
        return BUILTIN_FORMATS.get(format_id, "General")
    return book._number_formats[format_id - BUILTIN_FORMATS_MAX_SIZE]


def _excel_text(value, number_format: str) -> str:
    """An Excel cell as the submitter sees it: 2023 → '2023', 0.453 in a % format → '45.3%', a date → '2023-03'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime | date):
        return f"{value:%Y-%m}" if value.day == 1 else f"{value:%Y-%m-%d}"
    if isinstance(value, int | float):
        fmt = (number_format or "").lower()
        if "%" in fmt:
            return f"{round(value * 100, 10):g}%"
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value) if isinstance(value, float) else str(value)
    return str(value)
