"""Hostile and broken submission files, generated at test time (several are large): the cases the hardening of
the intake was measured on. Each builder writes one file into `folder` and returns its path; CASES says what
the ETL must answer (rule, line, column, start of the value), and which builders are slow.

Real offices produce most of these by accident (a stray quote in a note, a file saved with a stale sheet size,
two bytes of another encoding pasted into a note); an attacker produces the rest (zip bombs, 100 000 columns,
row numbers in the billions).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HEAD = "indicator_code,region_code,period,value,unit,note,source\n"


def _rows(n: int, note: str = "", source: str = "统计局") -> list[str]:
    """n valid rows of county GDP: CX-01 for Hohhot's and Baotou's districts over the years."""
    from indicators.base.catalogue import default_catalogue

    counties = [r.code for r in default_catalogue().regions.regions if r.level == "county"]
    out = []
    for i in range(n):
        year = 2000 + i // len(counties)
        out.append(f"CX-01,{counties[i % len(counties)]},{year},{100 + i % 97}.5,亿元,{note},{source}\n")
    return out


def _write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


# ── CSV ──────────────────────────────────────────────────────────────────────────────────────────────

def unbalanced_quote_719_lines(folder: Path) -> Path:
    """One stray quote in the note of line 3: a lenient reader joins lines 3–719 into one 55 000-character note."""
    rows = _rows(718)
    rows[1] = rows[1].replace(",,统计局", ',"核实中,统计局')
    return _write(folder / "unbalanced-quote-719-lines.csv", HEAD + "".join(rows))


def quote_runs_to_end(folder: Path) -> Path:
    """The last record opens a quote that is never closed; the lines after it are prose, not records."""
    rows = _rows(3)
    rows[-1] = rows[-1].replace(",,统计局", ',"口径说明：\n按新口径统计\n与上年不可比,统计局')
    return _write(folder / "quote-runs-to-end.csv", HEAD + "".join(rows))


def quoted_note_150_lines(folder: Path) -> Path:
    rows = _rows(3)
    note = "\n".join(f"第{i}段说明文字" for i in range(150))
    rows[1] = rows[1].replace(",,统计局", f',"{note}",统计局')
    return _write(folder / "quoted-note-150-lines.csv", HEAD + "".join(rows))


def unbalanced_quote_270kb(folder: Path) -> Path:
    """A realistic 270 KB file whose stray quote makes one field larger than any cell may be (Python's csv
    module raised on it, ending the whole run)."""
    rows = _rows(2600, note="按统一核算口径，与自治区数据衔接，已经过盟市统计局审核并确认无误")
    rows[3] = rows[3].replace(",按统一", ',"按统一', 1)
    return _write(folder / "unbalanced-quote-270kb.csv", HEAD + "".join(rows))


def multiline_note_ok(folder: Path) -> Path:
    """A legitimate note over two lines: loads, and the summary says why 5 lines are 4 records."""
    rows = _rows(3)
    rows[1] = rows[1].replace(",,统计局", ',"口径调整，\n详见说明",统计局')
    return _write(folder / "multiline-note-ok.csv", HEAD + "".join(rows))


def utf8_two_stray_bytes(folder: Path) -> Path:
    """UTF-8 with Chinese notes and sources and two bytes of GB2312 (啊) pasted in: as GB18030 it would decode
    into nonsense without a complaint."""
    text = HEAD + "".join(_rows(40, note="已审核", source="内蒙古统计年鉴2024"))
    data = text.encode("utf-8")
    at = data.index("已审核".encode(), 2000)
    return _write(folder / "utf8-two-stray-bytes.csv", data[:at] + b"\xb0\xa1" + data[at:])


def implausible_1e308(folder: Path) -> Path:
    return _write(folder / "implausible-1e308.csv", HEAD + "CX-01,150100,2023,1e308,亿元,,\n")


def nul_after_64k(folder: Path) -> Path:
    rows = _rows(2000)
    rows[1900] = rows[1900].replace(",,统计局", ",备注\x00\x00,统计局")
    return _write(folder / "nul-after-64k.csv", HEAD + "".join(rows))


def escape_in_note(folder: Path) -> Path:
    rows = _rows(3)
    rows[1] = rows[1].replace(",,统计局", ",\x1b[31m红字,统计局")
    return _write(folder / "escape-in-note.csv", HEAD + "".join(rows))


def columns_100000(folder: Path) -> Path:
    return _write(folder / "columns-100000.csv", HEAD.rstrip("\n") + "," + ",".join(f"c{i}" for i in range(100_000))
                  + "\n" + "".join(_rows(2)))


def cell_40000_chars(folder: Path) -> Path:
    rows = _rows(3)
    rows[0] = rows[0].replace(",,统计局", "," + "长" * 40_000 + ",统计局")
    return _write(folder / "cell-40000-chars.csv", HEAD + "".join(rows))


def single_line_200mb(folder: Path) -> Path:
    """A header, then one 200 MB line (a note that never ends): slow."""
    path = folder / "single-line-200mb.csv"
    with path.open("wb") as f:
        f.write(HEAD.encode() + b"CX-01,150100,2023,1,\xe4\xba\xbf\xe5\x85\x83,")
        block = b"x" * (1 << 20)
        for _ in range(200):
            f.write(block)
        f.write(b",\n")
    return path


# ── XLSX ─────────────────────────────────────────────────────────────────────────────────────────────

def _workbook(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _replace_part(xlsx: bytes, name: str, edit: Callable[[bytes], bytes] | None = None,
                  content: Callable[[], object] | None = None, level: int = 6) -> bytes:
    """The same workbook with one part edited (or written from `content`, an iterable of chunks)."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as out:
        for info in src.infolist():
            if info.filename != name:
                out.writestr(info, src.read(info))
            elif content is not None:
                with out.open(name, "w", force_zip64=True) as part:
                    for chunk in content():
                        part.write(chunk)
            else:
                out.writestr(info, edit(src.read(info)))
    return buf.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
XLSX_ROWS = [["指标代码", "地区", "统计期", "数值", "计量单位"]] + [
    ["CX-01", code, 2023, 100 + i, "亿元"] for i, code in enumerate(["150100", "150200", "150300", "150400",
                                                                     "150500", "150600"])]


def _dimension(xlsx: bytes, ref: str) -> bytes:
    return _replace_part(xlsx, SHEET, lambda xml: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(),
                                                         xml))


def xlsx_stale_dimension(folder: Path) -> Path:
    """Declares A1:E2 but holds 7 rows: every row must load."""
    return _write(folder / "xlsx-stale-dimension.xlsx", _dimension(_workbook(XLSX_ROWS), "A1:E2"))


def xlsx_dimension_a1(folder: Path) -> Path:
    return _write(folder / "xlsx-dimension-a1.xlsx", _dimension(_workbook(XLSX_ROWS), "A1"))


def xlsx_row_number_2e9(folder: Path) -> Path:
    """A row numbered 2 000 000 000: the read-only reader would yield two billion empty rows before it."""
    xml = _replace_part(_workbook(XLSX_ROWS[:2]), SHEET,
                        lambda x: x.replace(b'<row r="2"', b'<row r="2000000000"').replace(b'r="A2"', b'r="A2000000000"')
                        .replace(b'r="B2"', b'r="B2000000000"').replace(b'r="C2"', b'r="C2000000000"')
                        .replace(b'r="D2"', b'r="D2000000000"').replace(b'r="E2"', b'r="E2000000000"'))
    return _write(folder / "xlsx-row-number-2e9.xlsx", xml)


def xlsx_cell_in_column_xfd(folder: Path) -> Path:
    """A cell in the sheet's last column (16 384): a row 16 384 cells wide."""
    xml = _replace_part(_workbook(XLSX_ROWS[:3]), SHEET,
                        lambda x: x.replace(b"</row></sheetData>", b'<c r="XFD3" t="inlineStr"><is><t>x</t></is></c>'
                                                                   b"</row></sheetData>"))
    return _write(folder / "xlsx-cell-in-column-xfd.xlsx", xml)


def _bloated_sheet(inflated: int) -> Callable[[], object]:
    """A valid sheet part padded with whitespace to `inflated` bytes (whitespace compresses about 1000:1)."""
    def chunks():
        head = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                b'spreadsheetml/2006/main"><sheetData>')
        tail = b"</sheetData></worksheet>"
        yield head
        left, block = inflated - len(head) - len(tail), b" " * (1 << 24)
        while left > 0:
            yield block[:min(left, len(block))]
            left -= len(block)
        yield tail
    return chunks


def xlsx_ratio_bomb(folder: Path) -> Path:
    """100 MB of sheet in about 100 KB: rejected by its compression ratio before parsing."""
    return _write(folder / "xlsx-ratio-bomb.xlsx",
                  _replace_part(_workbook(XLSX_ROWS), SHEET, content=_bloated_sheet(100 << 20), level=9))


def xlsx_bomb_4gb(folder: Path) -> Path:
    """About 4 MB that inflates to 4 GB (slow to build: 4 GB are compressed)."""
    return _write(folder / "xlsx-bomb-4gb.xlsx",
                  _replace_part(_workbook(XLSX_ROWS), SHEET, content=_bloated_sheet(4 << 30), level=9))


def xlsx_3m_rows(folder: Path) -> Path:
    """Three million rows (an .xlsx holds at most 1 048 576): slow to build."""
    def chunks():
        yield (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
               b'spreadsheetml/2006/main"><sheetData>')
        for start in range(1, 3_000_001, 100_000):
            yield "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>CX-01</t></is></c><c r="B{r}"><v>150100'
                          f'</v></c><c r="C{r}"><v>{r}</v></c></row>' for r in range(start, start + 100_000)).encode()
        yield b"</sheetData></worksheet>"
    return _write(folder / "xlsx-3m-rows.xlsx", _replace_part(_workbook(XLSX_ROWS[:1]), SHEET, content=chunks))


@dataclass(frozen=True)
class Case:
    build: Callable[[Path], Path]
    rule: str | None  # None: the file loads
    line: int | None
    column: str
    value: str  # the start of the reported value
    slow: bool = False


CASES: dict[str, Case] = {
    "unbalanced-quote-719-lines.csv": Case(unbalanced_quote_719_lines, "unbalanced_quote", 3, "note", "核实中"),
    "quote-runs-to-end.csv": Case(quote_runs_to_end, "unbalanced_quote", 4, "note", "口径说明："),
    "quoted-note-150-lines.csv": Case(quoted_note_150_lines, "unbalanced_quote", 3, "note", "第0段说明文字"),
    "unbalanced-quote-270kb.csv": Case(unbalanced_quote_270kb, "unbalanced_quote", 5, "note", "按统一核算口径"),
    "utf8-two-stray-bytes.csv": Case(utf8_two_stray_bytes, "utf8_invalid", None, "", ""),
    "implausible-1e308.csv": Case(implausible_1e308, "implausible_value", 2, "value", "1e308"),
    "nul-after-64k.csv": Case(nul_after_64k, "control_character", 1902, "note", "备注\\x00"),
    "escape-in-note.csv": Case(escape_in_note, "control_character", 3, "note", "\\x1b[31m"),
    "columns-100000.csv": Case(columns_100000, "too_many_columns", 1, "", ""),
    "cell-40000-chars.csv": Case(cell_40000_chars, "cell_too_long", 2, "note", "长长长"),
    "xlsx-row-number-2e9.xlsx": Case(xlsx_row_number_2e9, "too_many_rows", 2_000_000_000, "", ""),
    "xlsx-cell-in-column-xfd.xlsx": Case(xlsx_cell_in_column_xfd, "too_many_columns", 3, "", ""),
    "xlsx-ratio-bomb.xlsx": Case(xlsx_ratio_bomb, "xlsx_compression_ratio", None, "", ""),
    "single-line-200mb.csv": Case(single_line_200mb, "cell_too_long", 2, "", "", slow=True),
    "xlsx-bomb-4gb.xlsx": Case(xlsx_bomb_4gb, "xlsx_member_too_large", None, "", "", slow=True),
    "xlsx-3m-rows.xlsx": Case(xlsx_3m_rows, "too_many_rows", None, "", "", slow=True),
}
ACCEPTED = {"multiline-note-ok.csv": multiline_note_ok, "xlsx-stale-dimension.xlsx": xlsx_stale_dimension,
            "xlsx-dimension-a1.xlsx": xlsx_dimension_a1}
