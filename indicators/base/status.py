"""Observation status: whether a value is final, provisional, estimated or a forecast — as the SDMX code list
CL_OBS_STATUS codes it (A, P, E, F), kept with every value from the submission to the exports.

A submission says it in a `status` / 数据状态 column; an empty cell is a normal value. The words statistical
tables use are mapped: '快报' → P · '预计数' → E · '约数' → E · '下限值' → E · '预测' → F. A lower bound (下限值,
“at least”) has no code of its own in CL_OBS_STATUS: it is an estimate here, and its note (备注) keeps the words.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

NORMAL = "A"


@dataclass(frozen=True)
class Status:
    code: str
    zh: str
    en: str
    shown: str  # the words a message suggests: '初步数/快报'
    words: tuple[str, ...]  # what a submission may write for it, besides the code itself


# The order is the roll-up's: a total, an annual sum or a derived value is as final as its least final input —
# a sum of one forecast and eleven final values is a forecast (F after E after P after A).
STATUSES: dict[str, Status] = {s.code: s for s in (
    Status("A", "正式数", "normal", "正式数", ("正式", "正式数", "最终", "最终数", "normal", "final")),
    Status("P", "初步数", "provisional", "初步数/快报", ("初步", "初步数", "快报", "快报数", "初步核算", "provisional", "preliminary")),
    Status("E", "估计数", "estimated", "估计数/预计数/约数/下限值", (
        "估计", "估计数", "估算", "估算数", "预计", "预计数", "约数", "约", "下限值", "下限", "estimated", "estimate")),
    Status("F", "预测数", "forecast", "预测数", ("预测", "预测数", "forecast")),
)}
CODES = list(STATUSES)


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip().casefold().replace(" ", "")


_LOOKUP = {_key(word): s.code for s in STATUSES.values() for word in (s.code, *s.words)}


def parse(text: str | None) -> str | None:
    """The status code of a cell, or None when it names none: '' → 'A' · 'ｅ' → 'E' · '快报' → 'P' · 'maybe' → None."""
    if text is None or not _key(text):
        return NORMAL
    return _LOOKUP.get(_key(text))


def weakest_sql(column: str) -> str:
    """SQL aggregate: the least final status among the group's rows (NULL counts as A):
    ['A', 'E', 'P'] → 'E'."""
    codes = ", ".join(f"'{c}'" for c in CODES)
    return f"[{codes}][max(list_position([{codes}], coalesce({column}, '{NORMAL}')))]"


def flag(code: str | None) -> str:
    """The letter a printed table puts after a value, as Eurostat's tables do: 'P' → 'p', 'E' → 'e', 'F' → 'f';
    '' for a normal value."""
    return "" if not code or code == NORMAL or code not in STATUSES else code.lower()


def flag_legend(lang: str = "zh") -> str:
    """'p 初步数 · e 估计数 · f 预测数' | 'p provisional · e estimated · f forecast'."""
    return " · ".join(f"{flag(s.code)} {s.zh if lang == 'zh' else s.en}" for s in STATUSES.values() if flag(s.code))


def change(old: str | None, new: str | None, lang: str = "zh") -> str:
    """A status that changed between two vintages, in words: ('P', 'A') → '初步数 → 正式数' | 'provisional → normal';
    '' when it did not."""
    if (old or NORMAL) == (new or NORMAL):
        return ""
    names = [STATUSES.get(c or NORMAL) for c in (old, new)]
    return " → ".join((s.zh if lang == "zh" else s.en) if s else "?" for s in names)


def label(code: str | None, lang: str = "zh") -> str:
    """'E' → '估计数' | 'estimated'; '' for a normal value (nothing to say) and None."""
    if not code or code == NORMAL or code not in STATUSES:
        return ""
    return STATUSES[code].zh if lang == "zh" else STATUSES[code].en
