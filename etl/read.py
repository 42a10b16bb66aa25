"""Read a submitted file into a table of strings keyed by the line numbers the submitter sees.

CSV/TSV in UTF-8 (with or without BOM), GB18030 (covers GBK/GB2312) or UTF-16 with BOM (Excel's “Unicode
text”) — the encoding decided by etl.encoding — and XLSX (first sheet, etl.xlsx). Every cell is kept as text;
numbers, periods and units are interpreted later, so “007” and “2023年” survive as typed.

A file is read completely and exactly or not at all: every record is read, and a quote that swallows what looks
like further records, runs to the end of the file or spans more lines than a note would (a stray `"` in a note)
rejects the file, naming the line where the quote opened. Limits (settings [limits]) are checked before the
expensive work: lines, columns and cell length.
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from etl import problems as P
from etl.encoding import as_utf8
from etl.problems import FileRejected
from etl.source import Sheet, SourceFile
from indicators.base.settings import Limits

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .et
MAX_REPORTED = 20  # quote and cell problems reported per file (the first ones say enough)


class _Irregular(Exception):
    """The fast CSV path cannot map rows to lines exactly (ragged rows, line breaks inside cells)."""


def read_sheet(source: SourceFile, limits: Limits | None = None) -> Sheet:
    limits = limits or Limits()
    data = source.data
    if not data or data.isspace():  # (no stripped copy of a large file)
        raise FileRejected([P.make("file_empty", source.name, None, "", "")])
    if data.startswith(ZIP_MAGIC):
        from etl.xlsx import read_xlsx

        return read_xlsx(source, limits)
    if data.startswith(OLE_MAGIC):
        raise FileRejected([P.make("file_not_text", source.name, None, "", "",
                                   detail="旧版Excel（.xls/.et）格式，请另存为.xlsx或CSV",
                                   detail_en="legacy Excel (.xls) format; save as .xlsx or CSV")])
    utf8, text, encoding = as_utf8(source)
    if b"\x00" in utf8[:65536]:
        raise FileRejected([P.make("file_not_text", source.name, None, "", "", detail="文件含二进制内容",
                                   detail_en="the file contains binary data")])
    lines = utf8.count(b"\n") + (0 if utf8.endswith(b"\n") else 1)
    if lines > limits.max_rows:
        raise FileRejected([P.make("too_many_rows", source.name, None, "", "", detail=f"{lines:,}",
                                   limit=f"{limits.max_rows:,}")])
    delimiter = _delimiter(source.path, _first_line(utf8))
    try:
        cells, deferred = _csv_fast(utf8, delimiter, lines, limits, source.name)
        spans = []
    except _Irregular:
        del text  # the exact reader decodes the UTF-8 bytes one line at a time
        cells, spans, deferred = _csv_exact(utf8, delimiter, lines, limits, source.name)
    return Sheet("tsv" if delimiter == "\t" else "csv", encoding, cells, lines, spans, deferred,
                 control_bytes=_has_control_bytes(utf8))


_CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])


def _has_control_bytes(utf8: bytes, chunk: int = 1 << 24) -> bool:
    """Any C0 control character but tab, LF and CR, or DEL, in UTF-8 bytes (a multi-byte sequence never holds a
    byte below 0x80, so bytes are enough): a chunk that loses bytes when they are deleted holds one. In C, one
    chunk at a time (a few hundredths of a second for 30 MB, no file-sized temporary)."""
    view = memoryview(utf8)
    return any(len(bytes(view[i:i + chunk]).translate(None, _CONTROL_BYTES)) != len(view[i:i + chunk])
               for i in range(0, len(view), chunk))


# ── CSV ──────────────────────────────────────────────────────────────────────────────────────────────

def _first_line(utf8: bytes) -> str:
    end = utf8.find(b"\n", 0, 1 << 20)  # a first line longer than 1 MiB is not a header: look at its start
    return utf8[:end if end >= 0 else min(len(utf8), 1 << 20)].decode("utf-8", "replace")


def _delimiter(path: Path, text: str) -> str:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    if path.suffix.lower() in (".tsv", ".txt") or first.count("\t") > first.count(","):
        return "\t"
    return ","


@contextlib.contextmanager
def _field_limit(chars: int) -> Iterator[None]:
    """Python's csv module refuses fields over its (process-wide) limit; make the refusal our cell limit."""
    before = csv.field_size_limit()
    csv.field_size_limit(chars)
    try:
        yield
    finally:
        csv.field_size_limit(before)


def _csv_fast(utf8: bytes, delimiter: str, lines: int, limits: Limits, file: str):
    """pyarrow reads every cell as a string; row i is physical line i+1 when no cell spans lines."""
    try:
        with _field_limit(limits.max_cell_chars + 1):
            width = len(next(csv.reader([_first_line(utf8)], delimiter=delimiter), [])) or 1
    except csv.Error:
        raise _Irregular from None
    if width > limits.max_columns:
        raise FileRejected([P.make("too_many_columns", file, 1, "", "", detail=f"{width:,}",
                                   limit=f"{limits.max_columns:,}")])
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
    if ragged or table.num_rows != lines:
        raise _Irregular
    deferred = _long_cells(table, limits, file)
    frame = table.to_pandas()
    frame.columns = range(width)
    frame.index = pd.RangeIndex(1, table.num_rows + 1)
    return frame, deferred


def _long_cells(table: pa.Table, limits: Limits, file: str) -> list[tuple[P.Problem, int]]:
    """Cells longer than the limit, found with Arrow kernels (row i is line i+1 on this path)."""
    found = []
    for position, column in enumerate(table.columns):
        lengths = pc.utf8_length(column)
        if (pc.max(lengths).as_py() or 0) <= limits.max_cell_chars:
            continue
        rows = np.flatnonzero(lengths.to_numpy() > limits.max_cell_chars)[:MAX_REPORTED]
        for row in rows:
            n = int(lengths[int(row)].as_py())
            found.append((P.make("cell_too_long", file, int(row) + 1, "", column[int(row)].as_py()[:40] + "…",
                                 detail=f"{n:,}", limit=f"{limits.max_cell_chars:,}"), position))
    return found


def _lines(utf8: bytes) -> Iterator[str]:
    """The physical lines of UTF-8 bytes, endings kept, decoded one at a time: a whole decoded copy in a
    StringIO would cost four bytes per character (800 MB for a 200 MB file)."""
    view, start, end_of_data = memoryview(utf8), 0, len(utf8)
    while start < end_of_data:
        end = utf8.find(b"\n", start)
        end = end_of_data if end < 0 else end + 1
        yield str(view[start:end], "utf-8")
        start = end


def _csv_exact(utf8: bytes, delimiter: str, lines: int, limits: Limits, file: str):
    """Slow but exact: Python's csv module tracks the line on which each record starts. Records that span
    lines are checked for stray quotes."""
    reader = csv.reader(_lines(utf8), delimiter=delimiter)
    rows, starts, spans, deferred = [], [], [], []
    start, complete = 1, True
    try:
        with _field_limit(limits.max_cell_chars + 1):
            for record in reader:
                if len(record) > limits.max_columns:
                    raise FileRejected([P.make("too_many_columns", file, start, "", "", detail=f"{len(record):,}",
                                               limit=f"{limits.max_columns:,}")])
                if reader.line_num > start:
                    width = len(rows[0]) if rows else len(record)
                    _check_spans(record, start, width, delimiter, limits, file, spans, deferred)
                rows.append(record)
                starts.append(start)
                start = reader.line_num + 1
    except csv.Error:  # a field over the limit in the record starting on `start`: the rows before it are kept,
        # so that the header is found and the problem can name its column; the file is rejected all the same
        deferred.append(_oversized_field(utf8, start, delimiter, limits, file))
        complete = False
    if complete and rows and spans and spans[-1][0] + spans[-1][1] - 1 >= lines and \
            _open_at_end(utf8, starts[-1], lines, delimiter):
        line, n = spans[-1][0], lines - spans[-1][0] + 1  # (a trailing line break is not a line of its own)
        spans[-1] = (line, n)
        position = _cell_at(rows[-1], line - starts[-1])
        deferred[:] = [d for d in deferred if d[0].line != line]  # the quote never closes: that says it all
        deferred.append((P.make("unbalanced_quote", file, line, "", _shown(rows[-1], position),
                                detail=f"引号直到文件末尾都没有闭合，后面的{n - 1}行都被并入了这个单元格",
                                detail_en=f"the quote is never closed: the {n - 1} line(s) after it, to the end "
                                          "of the file, were joined into this cell"), position))
    width = max((len(r) for r in rows), default=0)
    frame = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], index=starts, dtype="str")
    return frame, spans, deferred


def _check_spans(record: list[str], start: int, width: int, delimiter: str, limits: Limits, file: str,
                 spans: list, deferred: list) -> None:
    """A quoted cell with line breaks is legitimate (a note over two lines); one that spans more lines than the
    limit, or holds a line that looks like a record of its own, is a stray quote."""
    line = start
    for position, cell in enumerate(record):
        breaks = cell.count("\n")
        if not breaks:
            continue
        spans.append((line, breaks + 1))
        if len(deferred) < MAX_REPORTED:
            inner = cell.split("\n")[1:]
            recordlike = next((k for k, part in enumerate(inner, 1) if _looks_like_record(part, width, delimiter)),
                              None)
            shown = cell.split("\n", 1)[0][:40] + "…"
            if breaks + 1 > limits.max_cell_lines:
                deferred.append((P.make("unbalanced_quote", file, line, "", shown,
                                        detail=f"引号内跨越{breaks + 1}行，超过上限{limits.max_cell_lines}行"
                                               "（设置[limits] max_cell_lines）",
                                        detail_en=f"the quoted cell spans {breaks + 1} lines, more than the limit "
                                                  f"of {limits.max_cell_lines} ([limits] max_cell_lines)"), position))
            elif recordlike is not None:
                deferred.append((P.make("unbalanced_quote", file, line, "", shown,
                                        detail=f"引号内的第{line + recordlike}行看起来是一条独立的数据记录"
                                               f"（该单元格跨越{breaks + 1}行）",
                                        detail_en=f"line {line + recordlike} inside the quotes looks like a record "
                                                  f"of its own (the cell spans {breaks + 1} lines)"), position))
        line += breaks


_NUMBER_LIKE = re.compile(r"^\s*[-+]?[\d.,%０-９．]+\s*$")


def _looks_like_record(text: str, width: int, delimiter: str) -> bool:
    """A line inside a quoted cell that has the table's shape: as many fields as the header (or one fewer),
    two of them numbers (a region code, a year, a value). Prose with commas rarely has both."""
    fields = text.rstrip("\r").split(delimiter)
    if width < 3 or len(fields) < width - 1:
        return False
    return sum(1 for f in fields if _NUMBER_LIKE.match(f)) >= 2


def _oversized_field(utf8: bytes, start: int, delimiter: str, limits: Limits,
                     file: str) -> tuple[P.Problem, int | None]:
    """A field beyond the cell limit in the record starting on line `start`. When a quote opens a field on the
    record's first lines, it is almost always a stray quote that swallowed the rest of the file: say so, at the
    line and in the column where it opened."""
    pos = 0
    for _ in range(start - 1):
        pos = utf8.find(b"\n", pos) + 1
    opens = re.compile(rf'(?:^|{re.escape(delimiter)})[ \t]*"')
    for k, line in enumerate(utf8[pos:pos + (1 << 20)].decode("utf-8", "replace").split("\n")[:5]):
        if m := opens.search(line):
            quoted = line[m.end():]
            position = line[:m.start()].count(delimiter) + (1 if m.group(0).startswith(delimiter) else 0)
            return P.make("unbalanced_quote", file, start + k, "", quoted[:40] + "…",
                          detail=f"引号内的内容超过{limits.max_cell_chars:,}个字符（设置[limits] max_cell_chars），"
                                 "引号没有在应有的位置闭合",
                          detail_en=f"the quoted cell grows beyond {limits.max_cell_chars:,} characters ([limits] "
                                    "max_cell_chars): the quote is not closed where it should be"), position
    return P.make("cell_too_long", file, start, "", "", detail=f"> {limits.max_cell_chars:,}",
                  limit=f"{limits.max_cell_chars:,}"), None


def _open_at_end(utf8: bytes, start: int, lines: int, delimiter: str) -> bool:
    """True when the last record, which starts on line `start`, ends inside an open quote (the lenient reader
    takes everything up to the end of the file into the cell and says nothing)."""
    pos = len(utf8) - (1 if utf8.endswith(b"\n") else 0)
    for _ in range(lines - start + 1):
        pos = utf8.rfind(b"\n", 0, pos)
    try:
        for _ in csv.reader(_lines(utf8[pos + 1:]), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _cell_at(record: list[str], offset: int) -> int | None:
    """The position of the record's cell with line breaks that starts `offset` lines into the record."""
    seen = 0
    for position, cell in enumerate(record):
        if seen == offset and "\n" in cell:
            return position
        seen += cell.count("\n")
    return None


def _shown(record: list[str], position: int | None) -> str:
    return "" if position is None else record[position].split("\n", 1)[0][:40] + "…"
