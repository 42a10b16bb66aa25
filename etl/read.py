"""Read a submitted file into a table of strings keyed by the line numbers the submitter sees.

CSV/TSV in UTF-8 (with or without BOM), GB18030 (covers GBK/GB2312) or UTF-16 with BOM (Excel's “Unicode
text”), and XLSX (first sheet). The encoding is detected, never guessed: a file that decodes as neither UTF-8
nor GB18030 is rejected with the byte offset where each decoding failed. Every cell is kept as text; numbers,
periods and units are interpreted later, so “007” and “2023年” survive as typed.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from etl import problems as P

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .et


class FileRejected(Exception):
    """The file cannot be read at all; carries the problems to report."""

    def __init__(self, problems: list[P.Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message_en for p in problems))


class _Irregular(Exception):
    """The fast CSV path cannot map rows to lines exactly (ragged rows, line breaks inside cells)."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    data: bytes
    sha256: str
    modified: datetime  # UTC

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def size(self) -> int:
        return len(self.data)

    @classmethod
    def open(cls, path: Path) -> SourceFile:
        data = path.read_bytes()
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
        return cls(path, data, hashlib.sha256(data).hexdigest(), modified)


@dataclass
class Sheet:
    """All cells as text. `cells` has columns 0..n-1 and the physical line (CSV) or row (XLSX) as index."""

    file_format: str  # csv | tsv | xlsx
    encoding: str | None
    cells: pd.DataFrame


def read_sheet(source: SourceFile) -> Sheet:
    data = source.data
    if not data or data.isspace():  # (no stripped copy of a large file)
        raise FileRejected([P.make("file_empty", source.name, None, "", "")])
    if data.startswith(ZIP_MAGIC):
        return _read_xlsx(source)
    if data.startswith(OLE_MAGIC):
        raise FileRejected([P.make("file_not_text", source.name, None, "", "",
                                   detail="旧版Excel（.xls/.et）格式，请另存为.xlsx或CSV",
                                   detail_en="legacy Excel (.xls) format; save as .xlsx or CSV")])
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not utf16 and _valid_utf8(data):
        # UTF-8, the usual case and that of every large file: parsed from the bytes, with no decoded copy
        text, encoding = None, "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
        utf8 = data[len(codecs.BOM_UTF8):] if encoding == "utf-8-sig" else data
    else:
        text, encoding = _decode(source)
        utf8 = text.encode("utf-8")
    if b"\x00" in utf8[:65536]:
        raise FileRejected([P.make("file_not_text", source.name, None, "", "", detail="文件含二进制内容",
                                   detail_en="the file contains binary data")])
    delimiter = _delimiter(source.path, _first_line(utf8))
    try:
        cells = _csv_fast(utf8, delimiter)
    except _Irregular:
        cells = _csv_exact(text if text is not None else utf8.decode("utf-8"), delimiter)
    return Sheet("tsv" if delimiter == "\t" else "csv", encoding, cells)


def _valid_utf8(data: bytes) -> bool:
    """Arrow's UTF-8 validation of the bytes in place (no decoded copy, several times faster than decoding)."""
    offsets = pa.array([0, len(data)], type=pa.int64()).buffers()[1]
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _first_line(utf8: bytes) -> str:
    end = utf8.find(b"\n")
    return utf8[:end if end >= 0 else len(utf8)].decode("utf-8", "replace")


def _decode(source: SourceFile) -> tuple[str, str]:
    data = source.data
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    failures = []
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            failures.append((encoding, exc.start, data[exc.start:exc.start + 4].hex(" ")))
    detail = "；".join(f"按{enc.upper()}解码在第{offset}字节处失败（字节 {hx}）" for enc, offset, hx in failures)
    detail_en = "; ".join(f"{enc.upper()} fails at byte offset {offset} (bytes {hx})" for enc, offset, hx in failures)
    raise FileRejected([P.make("encoding", source.name, None, "", "", detail=detail, detail_en=detail_en)])


def _delimiter(path: Path, text: str) -> str:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    if path.suffix.lower() in (".tsv", ".txt") or first.count("\t") > first.count(","):
        return "\t"
    return ","


def _csv_fast(utf8: bytes, delimiter: str) -> pd.DataFrame:
    """pyarrow reads every cell as a string; row i is physical line i+1 when no cell spans lines."""
    first_line = _first_line(utf8)
    width = len(next(csv.reader([first_line], delimiter=delimiter), [])) or 1
    names = [str(i) for i in range(width)]
    ragged = []

    def irregular(row) -> str:
        # An exception raised here would be printed by pyarrow as "Exception ignored"; note the row, skip it
        # and let the exact reader take over.
        ragged.append(row.number)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(utf8)),  # zero-copy, read natively by Arrow
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False,
                                              invalid_row_handler=irregular),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.large_string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        raise _Irregular from exc
    lines = utf8.count(b"\n") + (0 if utf8.endswith(b"\n") else 1)
    if ragged or table.num_rows != lines:
        raise _Irregular
    frame = table.to_pandas()
    frame.columns = range(width)
    frame.index = pd.RangeIndex(1, table.num_rows + 1)
    return frame


def _csv_exact(text: str, delimiter: str) -> pd.DataFrame:
    """Slow but exact: Python's csv module tracks the line on which each record starts."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    rows, lines = [], []
    start = 1
    for record in reader:
        rows.append(record)
        lines.append(start)
        start = reader.line_num + 1
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], index=lines, dtype="str")


def _excel_text(cell) -> str:
    """An Excel cell as the submitter sees it: 2023 → '2023', 0.453 in a % format → '45.3%', a date → '2023-03'."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime | date):
        return f"{value:%Y-%m}" if value.day == 1 else f"{value:%Y-%m-%d}"
    if isinstance(value, int | float):
        fmt = (cell.number_format or "").lower()
        if "%" in fmt:
            return f"{round(value * 100, 10):g}%"
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value) if isinstance(value, float) else str(value)
    return str(value)


def _read_xlsx(source: SourceFile) -> Sheet:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(source.data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRejected([P.make("file_not_text", source.name, None, "", "", detail=f"不是有效的XLSX文件（{exc}）",
                                   detail_en=f"not a valid XLSX file ({exc})")]) from exc
    sheet = book.worksheets[0]
    rows, numbers = [], []
    for row in sheet.iter_rows():
        cells = [c for c in row if getattr(c, "row", None) is not None]
        if not cells:
            continue
        numbers.append(cells[0].row)
        rows.append([_excel_text(c) for c in row])
    book.close()
    width = max((len(r) for r in rows), default=0)
    if not rows:
        raise FileRejected([P.make("file_empty", source.name, None, "", "")])
    frame = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], index=numbers, dtype="str")
    return Sheet("xlsx", None, frame)
