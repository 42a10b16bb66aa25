"""The PDF page furniture: A4 pages with an embedded, subsetted Noto Sans CJK, running header, page numbers,
the 示例数据 mark on every page when synthetic data is used, headings that feed the contents and the outline,
tables and chart images.

The font is found through fontconfig (`fc-match "Noto Sans CJK SC"`), never a hard-coded path; fpdf2 embeds
only the glyphs used. Two dingbats of the shared status symbols are not in Noto Sans CJK (✔ ✖): they are
printed as ✓ and ×, which are, so no glyph ever falls back to an empty box.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from dashboard.report.tables import Table
from dashboard.report.wrap import wrap
from indicators.base.errors import ConfigError

FONT = "NotoSansCJK"
FONT_PATTERN = "Noto Sans CJK SC:style={style}"
INSTALL_HINT = "sudo apt-get install -y fonts-noto-cjk"
GLYPH_SUBSTITUTES = str.maketrans({"✔": "✓", "✖": "×", "✗": "×"})
INK, GREY, RULE, MARK = (33, 37, 41), (110, 110, 110), (190, 190, 190), (139, 0, 0)
HEAD_FILL, ROW_FILL, HIGHLIGHT_FILL = (226, 233, 241), (247, 248, 250), (255, 236, 214)


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

    def __init__(self, running_title: str, synthetic: bool, subject: str = ""):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.running_title, self.synthetic = running_title, synthetic
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
        self.set_creator("北疆数字经济监测 dem report")
        self.set_lang("zh-CN")

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(text.translate(GLYPH_SUBSTITUTES))

    # ── every page ──
    def header(self) -> None:
        if self.synthetic:
            self._synthetic_mark()
        if self.page_no() > 1:
            with self.local_context(font_size_pt=8, text_color=GREY):
                self.set_xy(self.l_margin, 9)
                self.cell(self.epw - 44, 5, self.running_title)
            self.set_draw_color(*RULE)
            self.line(self.l_margin, 15, self.w - self.r_margin, 15)
        self.set_xy(self.l_margin, self.t_margin)

    def _synthetic_mark(self) -> None:
        with self.local_context(font_size_pt=8, text_color=MARK, draw_color=MARK, line_width=0.3):
            self.set_xy(self.w - self.r_margin - 40, 8.5)
            self.cell(40, 5.5, "示例数据 · 非真实统计", border=1, align="C")

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        with self.local_context(font_size_pt=8, text_color=GREY):
            self.set_y(-12)
            self.cell(0, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")

    # ── text ──
    def heading(self, text: str, level: int = 0, new_page: bool = True) -> None:
        """A part of the report: level 0 enters the contents and starts a page (unless new_page=False and the
        part is short); levels 1–2 never stand alone at the foot of a page."""
        if level == 0 and new_page:
            if self.page == 0 or self.y > self.t_margin + 0.5:  # not on the fresh page after the contents
                self.add_page()
        elif self.will_page_break(30):
            self.add_page()
        self.start_section(text, level=level, strict=False)
        size = {0: 16, 1: 12.5, 2: 10.5}[level]
        with self.local_context(font_family=FONT, font_style="B", font_size_pt=size):
            self.multi_cell(0, size * 0.55, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln({0: 4, 1: 2, 2: 1}[level])

    def lines(self, text: str, width: float) -> list[str]:
        """`text` broken into lines of at most `width` mm in the current font (Chinese punctuation rules)."""
        return wrap(text, width, self.get_string_width)

    def paragraph(self, text: str, size: float = 9.5, colour: tuple = INK, gap: float = 1.5, indent: float = 0) -> None:
        """Wrapped text; a long one flows onto the next page (font and colour are restored by hand, since a page
        break inside local_context() unbalances the PDF graphics state)."""
        before = self.font_size_pt
        self.set_font_size(size)
        self.set_text_color(*colour)
        width = self.epw - indent
        body = "\n".join(self.lines(text, width - 2 * self.c_margin - 0.01))
        self.set_x(self.l_margin + indent)
        self.multi_cell(width, size * 0.5, body, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=WrapMode.CHAR)
        self.set_font_size(before)
        self.set_text_color(*INK)
        self.ln(gap)

    def bullets(self, items: list[str], size: float = 9) -> None:
        for item in items:
            if self.will_page_break(size * 0.5):
                self.add_page()
            with self.local_context(font_size_pt=size):
                self.set_x(self.l_margin + 1)
                self.cell(4, size * 0.5, "·")
            self.set_x(self.l_margin)
            self.paragraph(item, size=size, gap=0, indent=4)
        self.ln(1.5)

    def caption(self, text: str) -> None:
        self.paragraph(text, size=8, colour=GREY, gap=1)

    # ── tables and images ──
    def draw_table(self, table: Table, caption: str = "") -> None:
        """Rows with wrapped cells, header repeated after a page break, alternate rows shaded, the report's own
        region in bold on a highlight. Drawn here rather than with fpdf2's table(): that one breaks lines without
        the Chinese punctuation rules, and loops forever on a column narrower than one character."""
        if not table.rows:
            self.caption((caption + "：" if caption else "") + "无数据。")
            return
        widths = [w * self.epw / sum(table.widths) for w in table.widths]
        line_h = table.font_size * 0.45
        if caption:
            if self.will_page_break(20):
                self.add_page()
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
        pad_x, pad_y = 1.2, 0.9
        self.set_font(style="B" if bold else "")
        wrapped = [self.lines(c, w - 2 * pad_x) for c, w in zip(cells, widths, strict=True)]
        height = max(len(lines) for lines in wrapped) * line_h + 2 * pad_y
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
                self.set_xy(x + pad_x - self.c_margin, y0 + pad_y + k * line_h)
                self.cell(w - 2 * pad_x + 2 * self.c_margin, line_h, line, align=align)
            x += w
        self.set_draw_color(*RULE)
        self.set_line_width(0.15)
        self.line(x0, y0 + height, x0 + sum(widths), y0 + height)
        self.set_font(style="")
        self.set_xy(self.l_margin, y0 + height)

    def figure(self, png: bytes, caption: str = "", width: float | None = None) -> None:
        """A chart image at text width (or `width` mm), moved to the next page rather than split."""
        from PIL import Image

        with Image.open(io.BytesIO(png)) as img:
            px_w, px_h = img.size
        w = width or self.epw
        h = w * px_h / px_w
        if self.will_page_break(h + 6):
            self.add_page()
        self.image(io.BytesIO(png), x=self.l_margin + (self.epw - w) / 2, w=w, h=h, alt_text=caption or None)
        if caption:
            self.caption(caption)
        else:
            self.ln(2)
