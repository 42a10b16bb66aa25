"""Statistical periods as people write them, and their canonical forms: 2023 | 2023Q1 | 2023M03.

Accepted: 2023, 2023年 · 2023Q1, 2023-Q1, 2023 Q1, 2023年第一季度, 2023年1季度, 2023年一季度 ·
2023-03, 2023/3, 2023.03, 2023M03, 2023年3月, 202303. Full-width digits are folded first (NFKC).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

QUARTER_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
ANNUAL = re.compile(r"^(\d{4})\s*年?$")
QUARTERLY = (re.compile(r"^(\d{4})\s*[-_/ ]?\s*[Qq]([1-4])$"), re.compile(r"^(\d{4})年\s*[Qq]([1-4])$"),
             re.compile(r"^(\d{4})年\s*第?([一二三四1-4])季度?$"))
MONTHLY = (re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})$"), re.compile(r"^(\d{4})\s*[Mm](\d{1,2})$"),
           re.compile(r"^(\d{4})年\s*(\d{1,2})\s*月(份)?$"), re.compile(r"^(\d{4})(\d{2})$"))
FREQUENCY_OF = {"A": "annual", "Q": "quarterly", "M": "monthly"}
CANONICAL = re.compile(r"^\d{4}(Q[1-4]|M(0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class Period:
    year: int
    sub: int  # quarter or month; 0 for a year
    kind: str  # A | Q | M

    @property
    def code(self) -> str:
        return {"A": f"{self.year}", "Q": f"{self.year}Q{self.sub}", "M": f"{self.year}M{self.sub:02d}"}[self.kind]

    @property
    def frequency(self) -> str:
        return FREQUENCY_OF[self.kind]

    @property
    def end(self) -> date:
        """Last day of the period: 2023Q1 → 2023-03-31."""
        month = {"A": 12, "Q": self.sub * 3, "M": self.sub}[self.kind]
        if month == 12:
            return date(self.year, 12, 31)
        return date.fromordinal(date(self.year, month + 1, 1).toordinal() - 1)

    def previous_year(self) -> Period:
        return Period(self.year - 1, self.sub, self.kind)

    def label(self, lang: str = "zh") -> str:
        if lang == "en":
            return {"A": f"{self.year}", "Q": f"{self.year} Q{self.sub}", "M": f"{self.year}-{self.sub:02d}"}[self.kind]
        if self.kind == "Q":
            return f"{self.year}年第{'一二三四'[self.sub - 1]}季度"
        return f"{self.year}年{self.sub}月" if self.kind == "M" else f"{self.year}年"


def parse_period(text: str) -> Period | None:
    """'2023年第一季度' → Period(2023, 1, 'Q'); '2023-13' → None (not a month)."""
    s = unicodedata.normalize("NFKC", str(text)).strip()
    if m := ANNUAL.match(s):
        return Period(int(m.group(1)), 0, "A")
    for rx in QUARTERLY:
        if m := rx.match(s):
            return Period(int(m.group(1)), QUARTER_WORDS[m.group(2)], "Q")
    for rx in MONTHLY:
        if m := rx.match(s):
            month = int(m.group(2))
            return Period(int(m.group(1)), month, "M") if 1 <= month <= 12 else None
    return None


def from_code(code: str) -> Period:
    """Canonical code back to a Period: '2023M03' → Period(2023, 3, 'M')."""
    if len(code) == 4:
        return Period(int(code), 0, "A")
    return Period(int(code[:4]), int(code[5:]), code[4])
