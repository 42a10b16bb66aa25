"""Statistical periods: as people write them, their canonical codes (2023 | 2023Q1 | 2023M03) and their ends —
the one place of the system that knows how a period is written (the ETL parses with it, the engine codes and
dates periods with it).

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
KIND_OF = {frequency: kind for kind, frequency in FREQUENCY_OF.items()}


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
    def sdmx(self) -> str:
        """The SDMX (ISO 8601) spelling: 2023 → 2023, 2023Q1 → 2023-Q1, 2023M03 → 2023-03."""
        return {"A": f"{self.year}", "Q": f"{self.year}-Q{self.sub}", "M": f"{self.year}-{self.sub:02d}"}[self.kind]

    @property
    def end(self) -> date:
        """Last day of the period: 2023Q1 → 2023-03-31."""
        month = {"A": 12, "Q": self.sub * 3, "M": self.sub}[self.kind]
        if month == 12:
            return date(self.year, 12, 31)
        return date.fromordinal(date(self.year, month + 1, 1).toordinal() - 1)



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


def of(year: int, sub: int, frequency: str) -> Period:
    """The period of a year and quarter/month number at a frequency: of(2023, 2, 'quarterly') is 2023Q2."""
    return Period(int(year), int(sub), KIND_OF[frequency])


def code(year: int, sub: int, frequency: str) -> str:
    """code(2023, 3, 'monthly') → '2023M03'; code(2023, 0, 'annual') → '2023'."""
    return of(year, sub, frequency).code


def end(year: int, sub: int, frequency: str) -> date:
    """Last day: end(2023, 2, 'quarterly') → 2023-06-30; end(2023, 2, 'monthly') → 2023-02-28."""
    return of(year, sub, frequency).end


QUARTER_ZH = ("第一季度", "第二季度", "第三季度", "第四季度")


def label_zh(code: str, measure: str = "stock") -> str:
    """A canonical period as Chinese text: '2024' → 2024年 · '2024Q3' → 2024年第三季度 · '2024M09' → 2024年9月; a
    year-to-date month reads as the range it covers: label_zh('2024M09', 'ytd') → 2024年1–9月."""
    p = from_code(str(code))
    if p.kind == "Q":
        return f"{p.year}年{QUARTER_ZH[p.sub - 1]}"
    if p.kind == "M":
        return f"{p.year}年1–{p.sub}月" if measure == "ytd" else f"{p.year}年{p.sub}月"
    return f"{p.year}年"


MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def label_en(code: str, measure: str = "stock") -> str:
    """A canonical period as English text: '2024' → 2024 · '2024Q3' → 2024 Q3 · '2024M09' → Sep 2024; a year-to-date
    month reads as the range it covers: label_en('2024M09', 'ytd') → Jan–Sep 2024."""
    p = from_code(str(code))
    if p.kind == "Q":
        return f"{p.year} Q{p.sub}"
    if p.kind == "M":
        month = MONTHS_EN[p.sub - 1]
        return (f"Jan–{month} {p.year}" if p.sub > 1 else f"Jan {p.year}") if measure == "ytd" else f"{month} {p.year}"
    return f"{p.year}"


def label(code: str, measure: str = "stock", lang: str = "zh") -> str:
    """label_en or label_zh by language."""
    return label_en(code, measure) if lang == "en" else label_zh(code, measure)


def from_code(code: str) -> Period:
    """Canonical code back to a Period: '2023M03' → Period(2023, 3, 'M')."""
    if len(code) == 4:
        return Period(int(code), 0, "A")
    return Period(int(code[:4]), int(code[5:]), code[4])
