"""The read API's query parameters, checked before anything reads the warehouse: each bad value becomes an ApiError
(HTTP 400) whose bilingual message names the parameter and the value, e.g. `?year=abc` →
"参数 year 的值 “abc” 无效：应为四位年份 | parameter year: 'abc' is not valid (expected a four-digit year)".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from indicators.base.catalogue import Catalogue
from indicators.base.periods import Period, parse_period

MAX_VALUE_CHARS = 64  # longer values are no code, period or number of ours (and are not echoed back whole)
MAX_ITEMS = 200  # codes in one repeatable filter (the catalogue has fewer indicators, the tree 116 units)
FORMATS = ("json", "csv")
LAYERS = ("public", "preliminary")
LEVELS = ("region", "league", "county")
FREQUENCIES = ("annual", "quarterly", "monthly")
PERIOD = re.compile(r"^\d{4}(Q[1-4]|M(0[1-9]|1[0-2]))?$")  # the stored spelling: 2023, 2023Q1, 2023M03
YEAR = re.compile(r"^\d{4}$")
COMMON = ("format", "limit", "offset", "layer")


class ApiError(Exception):
    """An answer other than the data: the HTTP status and a message in both languages."""

    def __init__(self, status: int, zh: str, en: str):
        super().__init__(en)
        self.status, self.message_zh, self.message_en = status, zh, en


def shown(value: str) -> str:
    """A caller's value as quoted back in a message: at most MAX_VALUE_CHARS characters, control characters out."""
    text = "".join(c if c.isprintable() else "?" for c in value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def invalid(name: str, value: str, expected_zh: str, expected_en: str) -> ApiError:
    return ApiError(400, f"参数 {name} 的值 “{shown(value)}” 无效：应为{expected_zh}",
                    f"parameter {name}: '{shown(value)}' is not valid (expected {expected_en})")


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


class Query:
    """The parameters of one request, read through typed getters that raise ApiError; `check_known` refuses names
    an endpoint does not take (a misspelt filter would otherwise be silently ignored and return everything)."""

    def __init__(self, args: MultiDict, known: Iterable[str]):
        self.args = args
        unknown = sorted(set(args) - set(known) - set(COMMON))
        if unknown:
            allowed = ", ".join(sorted(set(known) | set(COMMON)))
            raise ApiError(400, f"未知参数 “{shown(unknown[0])}”；可用参数：{allowed}",
                           f"unknown parameter '{shown(unknown[0])}'; parameters: {allowed}")

    def one(self, name: str) -> str | None:
        values = self.args.getlist(name)
        if len(values) > 1:
            raise ApiError(400, f"参数 {name} 只能给出一次", f"parameter {name} may be given only once")
        if not values or values[0].strip() == "":
            return None
        value = values[0].strip()
        if len(value) > MAX_VALUE_CHARS:
            raise invalid(name, value, f"不超过 {MAX_VALUE_CHARS} 个字符", f"at most {MAX_VALUE_CHARS} characters")
        return value

    def many(self, name: str) -> tuple[str, ...]:
        """A repeatable filter, also as a comma list: ?indicator=DI-01&indicator=DI-02 or ?indicator=DI-01,DI-02."""
        items = [item.strip() for value in self.args.getlist(name) for item in value.split(",") if item.strip()]
        if len(items) > MAX_ITEMS:
            raise ApiError(400, f"参数 {name} 最多 {MAX_ITEMS} 个值", f"parameter {name}: at most {MAX_ITEMS} values")
        for item in items:
            if len(item) > MAX_VALUE_CHARS:
                raise invalid(name, item, "目录中的代码", "a code of the catalogue")
        return tuple(dict.fromkeys(items))

    def choice(self, name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.one(name)
        if value is None:
            return default
        if value not in allowed:
            raise invalid(name, value, "、".join(allowed) + " 之一", "one of " + ", ".join(allowed))
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self.one(name)
        if value is None:
            return default
        if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
            raise invalid(name, value, f"{low} 至 {high} 之间的整数", f"an integer from {low} to {high}")
        return int(value)

    def year(self, name: str = "year") -> int | None:
        value = self.one(name)
        if value is None:
            return None
        if not YEAR.match(value):
            raise invalid(name, value, "四位年份，如 2023", "a four-digit year such as 2023")
        return int(value)

    def period(self, name: str) -> Period | None:
        """2023, 2023Q1 or 2023M03 (also 2023-Q1, 2023-03)."""
        value = self.one(name)
        if value is None:
            return None
        found = parse_period(value) if re.match(r"^\d{4}(-?Q[1-4]|-\d{2}|M\d{2})?$", value) else None
        if found is None:
            raise invalid(name, value, "统计期，如 2023、2023Q1 或 2023M03", "a period such as 2023, 2023Q1 or 2023M03")
        return found

    def page(self, default: int, maximum: int) -> Page:
        return Page(self.integer("limit", default, 1, maximum), self.integer("offset", 0, 0, 10**9))

    def indicators(self, cat: Catalogue) -> tuple[str, ...]:
        codes = self.many("indicator")
        for code in codes:
            if code not in cat.indicators:
                raise ApiError(400, f"未知指标 “{shown(code)}”（见 /api/v1/indicators）",
                               f"unknown indicator '{shown(code)}' (see /api/v1/indicators)")
        return codes

    def regions(self, cat: Catalogue, name: str = "region") -> tuple[str, ...]:
        codes = self.many(name)
        for code in codes:
            if code not in cat.regions.by_code:
                raise ApiError(400, f"未知地区代码 “{shown(code)}”（六位行政区划代码，见 /api/v1/regions）",
                               f"unknown region code '{shown(code)}' (a 6-digit GB/T 2260 code, see /api/v1/regions)")
        return codes


def period_span(start: Period | None, end: Period | None) -> tuple[int, int] | None:
    """The months covered from the first month of `start` to the last of `end` as year*12+month keys, or None.
    period_span(2023Q2, 2023) → (2023*12+4, 2023*12+12)."""
    if start is None and end is None:
        return None
    low = _month(start, first=True) if start else 0
    high = _month(end, first=False) if end else 10**6
    if low > high:
        raise ApiError(400, f"统计期范围无效：from（{start.code}）晚于 to（{end.code}）",
                       f"empty period range: from ({start.code}) is after to ({end.code})")
    return low, high


def _month(period: Period, first: bool) -> int:
    size = {"A": 12, "Q": 3, "M": 1}[period.kind]
    begin = 1 if period.kind == "A" else (period.sub - 1) * size + 1
    return period.year * 12 + (begin if first else begin + size - 1)
