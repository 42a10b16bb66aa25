"""The PDF page furniture: A4 pages with an embedded, subsetted Noto Sans CJK, running header, page numbers,
the 示例数据 mark on every page when synthetic data is used, headings that feed the contents and the outline,
tables and chart images.

The page furniture speaks the bulletin's language (`lang`: the mark, "Page 3 of 34", the document language).
The font is found through fontconfig (`fc-match "Noto Sans CJK SC"`), never a hard-coded path; fpdf2 embeds
only the glyphs used. Two dingbats of the shared status symbols are not in Noto Sans CJK (✔ ✖): they are
printed as ✓ and ×, which are, so no glyph ever falls back to an empty box.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from dashboard.report.tables import Table
from dashboard.report.texts import say
from dashboard.report.wrap import wrap
from indicators.base.errors import ConfigError

FONT = "NotoSansCJK"
FONT_PATTERN = "Noto Sans CJK SC:style={style}"
INSTALL_HINT = "sudo apt-get install -y fonts-noto-cjk"
GLYPH_SUBSTITUTES = str.maketrans({"✔": "✓", "✖": "×", "✗": "×"})
INK, GREY, RULE, MARK = (33, 37, 41), (110, 110, 110), (190, 190, 190), (139, 0, 0)
HEAD_FILL, ROW_FILL, HIGHLIGHT_FILL = (226, 233, 241), (247, 248, 250), (255, 236, 214)
HEADING_SIZES, HEADING_GAPS = {0: 16, 1: 12.5, 2: 10.5}, {0: 4, 1: 2, 2: 1}  # pt; mm below
CAPTION_SIZE = 8
CELL_PAD_X, CELL_PAD_Y = 1.2, 0.9  # mm
FIRST_ROWS = 3  # a table starts on a page with at least its header and this many rows (or all it has)
SHORT_TAIL = 1 / 3  # of a page: a part's tail no longer than this shares its page with the next part
SHRINK = 0.85  # a figure is shrunk to no less than this to stay on the page that holds what precedes it
MARK_WIDTH, MARK_SIZE, RUNNING_SIZE = 40, 8, 8  # mm, pt, pt: the synthetic mark's box (at least) and the header


class FontMissing(ConfigError):
    """The CJK font needed for Chinese text in the PDF is not installed."""


@dataclass(frozen=True)
class FontFile:
    path: Path
    index: int  # face number inside a .ttc collection


@functools.cache
def cjk_font(style: str = "Regular") -> FontFile:
    """Noto Sans CJK SC as fontconfig resolves it; FontMissing with the install command when it is absent."""
    missing = (f"未找到中文字体 Noto Sans CJK（报告需要嵌入它）。请运行：{INSTALL_HINT} | "
               f"font Noto Sans CJK not found (the report embeds it). Run: {INSTALL_HINT}")
    if shutil.which("fc-match") is None:
        raise FontMissing(missing.replace(INSTALL_HINT, INSTALL_HINT + " fontconfig"))
    result = subprocess.run(["fc-match", "-f", "%{file}\t%{index}\t%{family}", FONT_PATTERN.format(style=style)],
                            capture_output=True, text=True, timeout=20, check=False)
    parts = result.stdout.split("\t")
    if result.returncode != 0 or len(parts) != 3 or "Noto Sans CJK" not in parts[2] or not Path(parts[0]).is_file():
        if style != "Regular":
            return cjk_font("Regular")  # bold is optional: headings then use the regular face
        raise FontMissing(missing)
    return FontFile(Path(parts[0]), int(parts[1] or 0))


class BulletinPDF(FPDF):
    """A4 portrait, 18 mm side margins; header and footer on every page but the cover's number."""

    def __init__(self, running_title: str, synthetic: bool, subject: str = "", lang: str = "zh"):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.running_title, self.synthetic, self.lang = running_title, synthetic, lang
        self._held: list[tuple[str, int]] = []  # headings waiting for the start of what follows them
        self._in_part = False  # a part (level 0) has begun: the cover or the contents are behind
        regular, bold = cjk_font("Regular"), cjk_font("Bold")
        self.add_font(FONT, "", str(regular.path), collection_font_number=regular.index)
        self.add_font(FONT, "B", str(bold.path), collection_font_number=bold.index)
        for font in self.fonts.values():
            # Keep the full font's bounding box in the subset: recomputing it walks every CFF glyph outline in
            # pure Python (~1 s per face); a larger-than-needed FontBBox is valid PDF.
            font.ttfont.recalcBBoxes = False
        self.set_margins(18, 22, 18)
        self.set_auto_page_break(True, margin=18)
        self.set_font(FONT, size=10)
        self.set_text_color(*INK)
        self.set_title(running_title)
        self.set_subject(subject)
        self.set_creator(say("rp_creator", lang))
        self.set_lang("en" if lang == "en" else "zh-CN")
        mark = self.measure(MARK_SIZE)(say("rp_mark", lang)) + 4
        self.mark_width = max(MARK_WIDTH, mark) if synthetic else 0

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(text.translate(GLYPH_SUBSTITUTES))

    # ── every page ──
    def header(self) -> None:
        if self.synthetic:
            self._synthetic_mark()
        if self.page_no() > 1:
            room = self.epw - max(self.mark_width, MARK_WIDTH) - 4
            # a long (English) title is set smaller rather than run under the mark
            size = min(RUNNING_SIZE, RUNNING_SIZE * room / max(self.measure(RUNNING_SIZE)(self.running_title), 1))
            with self.local_context(font_size_pt=size, text_color=GREY):
                self.set_xy(self.l_margin, 9)
                self.cell(room, 5, self.running_title)
            self.set_draw_color(*RULE)
            self.line(self.l_margin, 15, self.w - self.r_margin, 15)
        self.set_xy(self.l_margin, self.t_margin)

    def _synthetic_mark(self) -> None:
        with self.local_context(font_size_pt=MARK_SIZE, text_color=MARK, draw_color=MARK, line_width=0.3):
            self.set_xy(self.w - self.r_margin - self.mark_width, 8.5)
            self.cell(self.mark_width, 5.5, say("rp_mark", self.lang), border=1, align="C")

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        with self.local_context(font_size_pt=8, text_color=GREY):
            self.set_y(-12)
            self.cell(0, 5, say("rp_page", self.lang, page=self.page_no(), total="{nb}"), align="C")

    # ── text ──
    def heading(self, text: str, level: int = 0, new_page: bool = True) -> None:
        """A part of the report: level 0 enters the contents and starts a page — unless new_page=False (a short
        part), or the page holds no more than the tail of the previous part (a third of it at most; the part then
        follows after a gap instead of leaving the page nearly empty). A heading is held and drawn with the start
        of what follows it (the next paragraph, list, table or figure), on the next page if both do not fit: no
        heading stands alone at the foot of a page."""
        if level == 0 and (not self.page or self.y > self.t_margin + 0.5):  # not on the fresh page after the contents
            short_tail = self._in_part and self.y <= self.t_margin + self.eph * SHORT_TAIL
            if not self.page or (new_page and not short_tail):
                self.add_page()
            else:
                self.ln(8)
        self._in_part = self._in_part or level == 0
        self._held.append((text, level))

    def _heading_height(self, text: str, level: int) -> float:
        size = HEADING_SIZES[level]
        lines = wrap(text, self.epw - 2 * self.c_margin, self.measure(size, bold=True))
        return len(lines) * size * 0.55 + HEADING_GAPS[level]

    def keep(self, height: float) -> None:
        """Before a block whose first `height` mm must not be parted from the headings held for it: a new page
        if they do not fit together on this one, then the headings."""
        needed = sum(self._heading_height(text, level) for text, level in self._held) + height
        if self.will_page_break(needed) and self.y > self.t_margin + 0.5:
            self.add_page()
        for text, level in self._held:
            self.start_section(text, level=level, strict=False)
            size = HEADING_SIZES[level]
            with self.local_context(font_family=FONT, font_style="B", font_size_pt=size):
                self.multi_cell(0, size * 0.55, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(HEADING_GAPS[level])
        self._held = []

    def measure(self, size: float, bold: bool = False) -> Callable[[str], float]:
        """The width in mm of a text at `size` pt, without switching the current font."""
        font = self.fonts[FONT.lower() + ("B" if bold else "")]
        return lambda text: font.get_text_width(self.normalize_text(text), size, None)[1] / self.k

    def _wrapped(self, text: str, size: float, indent: float = 0) -> list[str]:
        return wrap(text, self.epw - indent - 2 * self.c_margin - 0.01, self.measure(size))

    def paragraph_height(self, text: str, size: float = 9.5, gap: float = 1.5, indent: float = 0,
                         lines: int | None = None) -> float:
        """The height of paragraph(text, …), or of its first `lines` lines."""
        count = len(self._wrapped(text, size, indent))
        return min(count, lines or count) * size * 0.5 + (gap if lines is None or lines >= count else 0)

    def paragraph(self, text: str, size: float = 9.5, colour: tuple = INK, gap: float = 1.5, indent: float = 0) -> None:
        """Wrapped text; a long one flows onto the next page, but never leaves a single line behind (font and
        colour are restored by hand, since a page break inside local_context() unbalances the PDF graphics state)."""
        self.keep(self.paragraph_height(text, size, gap, indent, lines=2))
        before = self.font_size_pt
        self.set_font_size(size)
        self.set_text_color(*colour)
        body = "\n".join(self._wrapped(text, size, indent))
        self.set_x(self.l_margin + indent)
        self.multi_cell(self.epw - indent, size * 0.5, body, new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                        wrapmode=WrapMode.CHAR)
        self.set_font_size(before)
        self.set_text_color(*INK)
        self.ln(gap)

    def bullets(self, items: list[str], size: float = 9) -> None:
        for item in items:
            self.keep(self.paragraph_height(item, size, 0, 4, lines=2))
            with self.local_context(font_size_pt=size):
                self.set_x(self.l_margin + 1)
                self.cell(4, size * 0.5, "·")
            self.set_x(self.l_margin)
            self.paragraph(item, size=size, gap=0, indent=4)
        self.ln(1.5)

    def caption(self, text: str) -> None:
        self.paragraph(text, size=CAPTION_SIZE, colour=GREY, gap=1)

    # ── tables and images ──
    def _column_widths(self, table: Table) -> list[float]:
        return [w * self.epw / sum(table.widths) for w in table.widths]

    def _cell_lines(self, cells: list[str], widths: list[float], size: float, bold: bool) -> list[list[str]]:
        measure = self.measure(size, bold)
        return [wrap(c, w - 2 * CELL_PAD_X, measure) for c, w in zip(cells, widths, strict=True)]

    def table_height(self, table: Table, caption: str = "", rows: int | None = None) -> float:
        """The height of draw_table(table, caption) up to its first `rows` rows (all by default)."""
        widths, line_h = self._column_widths(table), table.font_size * 0.45
        height = self.paragraph_height(caption, CAPTION_SIZE, 1) if caption else 0
        for i, cells in enumerate([table.titles] + [[str(c) for c in r] for r in table.rows[:rows]]):
            lines = self._cell_lines(cells, widths, table.font_size, bold=i == 0 or i - 1 in table.highlight)
            height += max(len(cell) for cell in lines) * line_h + 2 * CELL_PAD_Y
        return height

    def draw_table(self, table: Table, caption: str = "") -> None:
        """Rows with wrapped cells, header repeated after a page break, alternate rows shaded, the report's own
        region in bold on a highlight; the caption, the header and the first rows start on one page. Drawn here
        rather than with fpdf2's table(): that one breaks lines without the Chinese punctuation rules, and loops
        forever on a column narrower than one character."""
        if not table.rows:
            self.caption((caption + say("rp_caption_sep", self.lang) if caption else "") + say("rp_no_rows", self.lang))
            return
        widths = self._column_widths(table)
        line_h = table.font_size * 0.45
        self.keep(self.table_height(table, caption, rows=FIRST_ROWS))
        if caption:
            self.caption(caption)
        # no local_context here: a page break inside one unbalances the PDF graphics state (q/Q)
        size = self.font_size_pt
        self.set_font_size(table.font_size)
        heads = table.aligns.replace("C", "L")
        self._table_row(table.titles, widths, heads, line_h, fill=HEAD_FILL, bold=True, check=True)
        for i, cells in enumerate(table.rows):
            fill = HIGHLIGHT_FILL if i in table.highlight else (ROW_FILL if i % 2 else None)
            self._table_row([str(c) for c in cells], widths, table.aligns, line_h, fill, i in table.highlight,
                            check=True, repeat=(table.titles, heads))
        self.set_font_size(size)
        self.ln(3)

    def _table_row(self, cells: list[str], widths: list[float], aligns: str, line_h: float, fill=None,
                   bold: bool = False, check: bool = False, repeat: tuple[list[str], str] | None = None) -> None:
        """One row; with `check`, a row that does not fit starts a new page (after the header again)."""
        self.set_font(style="B" if bold else "")
        wrapped = self._cell_lines(cells, widths, self.font_size_pt, bold)
        height = max(len(lines) for lines in wrapped) * line_h + 2 * CELL_PAD_Y
        if check and self.y + height > self.page_break_trigger:
            self.add_page()
            if repeat is not None:
                self._table_row(repeat[0], widths, repeat[1], line_h, HEAD_FILL, bold=True)
            self.set_font(style="B" if bold else "")
        x0, y0 = self.l_margin, self.y
        if fill is not None:
            self.set_fill_color(*fill)
            self.rect(x0, y0 + 0.1, sum(widths), height - 0.1, style="F")  # leave the rule above visible
        x = x0
        for lines, w, align in zip(wrapped, widths, aligns, strict=True):
            for k, line in enumerate(lines):
                self.set_xy(x + CELL_PAD_X - self.c_margin, y0 + CELL_PAD_Y + k * line_h)
                self.cell(w - 2 * CELL_PAD_X + 2 * self.c_margin, line_h, line, align=align)
            x += w
        self.set_draw_color(*RULE)
        self.set_line_width(0.15)
        self.line(x0, y0 + height, x0 + sum(widths), y0 + height)
        self.set_font(style="")
        self.set_xy(self.l_margin, y0 + height)

    def figure(self, png: bytes, caption: str = "", width: float | None = None) -> None:
        """A chart image at text width (or `width` mm), never parted from its caption: on this page if it fits
        there — shrunk to no less than SHRINK of its size if that is what it takes — else on the next, full size."""
        from PIL import Image

        with Image.open(io.BytesIO(png)) as img:
            px_w, px_h = img.size
        w = width or self.epw
        h = w * px_h / px_w
        below = self.paragraph_height(caption, CAPTION_SIZE, 1) if caption else 2
        room = self.page_break_trigger - self.y - sum(self._heading_height(*held) for held in self._held) - below
        scale = room / h if SHRINK * h <= room < h else 1
        w, h = w * scale, h * scale
        self.keep(h + below)
        self.image(io.BytesIO(png), x=self.l_margin + (self.epw - w) / 2, w=w, h=h, alt_text=caption or None)
        if caption:
            self.caption(caption)
        else:
            self.ln(2)
