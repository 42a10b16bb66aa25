"""Visual constants shared by the dashboard and the PDF report: colour-blind-safe palettes, status marks, fonts.

Colours follow Okabe & Ito (2008), distinguishable with the common colour-vision deficiencies; every status
also has a symbol and a word, so no chart or legend relies on colour alone.
"""

from __future__ import annotations

# System fonts only (no web fonts: the product runs on a closed network). Noto Sans CJK comes from fonts-noto-cjk.
FONT_FAMILY = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
SEQUENTIAL = "Cividis"  # perceptually uniform and colour-blind safe, for maps
MISSING_COLOUR = "#D9D9D9"  # 未报送: light grey, never the low end of the scale
REGION_COLOUR = "#000000"  # the region's own line, drawn black and thicker

STATUS_STYLE = {  # status → (colour, symbol for text, plotly marker symbol)
    "achieved": ("#009E73", "✔", "star"),
    "on_track": ("#0072B2", "▲", "triangle-up"),
    "needs_acceleration": ("#E69F00", "◆", "diamond"),
    "limited_progress": ("#D55E00", "▼", "triangle-down"),
    "deteriorating": ("#7F0000", "✖", "x"),
    "insufficient_data": ("#999999", "？", "circle-open"),
    "not_assessed": ("#BBBBBB", "—", "line-ew"),
}

STATUS_ORDER = list(STATUS_STYLE)


def status_symbol(status: str) -> str:
    return STATUS_STYLE.get(status, ("#999999", "?", "circle"))[1]
