"""Line breaking for mixed Chinese and Latin text, with the Chinese rules for punctuation (禁则).

A Chinese character is a unit of its own; a run of Latin letters, digits and their punctuation ("DI-01",
"15,010", "https://…") stays together unless it alone is wider than the line. A line never starts with a closing
mark (，。、；：！？）》」…) and never ends with an opening one (（《「“): the last unit moves down with it.
Example: wrap("依据第九条，定期公布", 4 chars wide) → ["依据第", "九条，", "定期公", "布"] — not a line "，定期公".
"""

from __future__ import annotations

import re
from collections.abc import Callable

NO_START = set("，。、；：！？）》」』】〕〉…％%,.;:!?)]}’”·—")
NO_END = set("（《「『【〔〈([{‘“")
LATIN_RUN = re.compile(r"[A-Za-z0-9_.,:;/%+\-=@#&?~'()\[\]<>|\\*]+")


def units(text: str) -> list[str]:
    """'DI-01 5G基站数' → ['DI-01', ' ', '5G', '基', '站', '数']: Latin runs whole, CJK one by one."""
    out: list[str] = []
    i = 0
    while i < len(text):
        m = LATIN_RUN.match(text, i)
        if m:
            out.append(m.group())
            i = m.end()
        else:
            out.append(text[i])
            i += 1
    return out


def _split_long(unit: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """A unit wider than the line (a long URL) is cut by characters."""
    parts, current = [], ""
    for ch in unit:
        if current and measure(current + ch) > width:
            parts.append(current)
            current = ch
        else:
            current += ch
    return parts + ([current] if current else [])


def wrap_line(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Break one paragraph (no newlines) into lines no wider than `width` (in `measure`'s units)."""
    lines: list[list[str]] = [[]]
    used = 0.0
    for unit in units(text):
        pieces = _split_long(unit, width, measure) if measure(unit) > width else [unit]
        for piece in pieces:
            w = measure(piece)
            line = lines[-1]
            if used + w <= width or not line:
                if piece.isspace() and not line:
                    continue  # no leading space on a wrapped line
                line.append(piece)
                used += w
                continue
            carry: list[str] = []
            if piece[0] in NO_START:  # oidashi: the previous unit goes down with the closing mark(s)
                while len(line) > 1 and line[-1][0] in NO_START:
                    carry.insert(0, line.pop())
                if len(line) > 1:
                    carry.insert(0, line.pop())
            while len(line) > 1 and line[-1] and line[-1][-1] in NO_END:
                carry.insert(0, line.pop())
            while line and line[-1].isspace():
                line.pop()
            lines.append([*carry, piece] if not piece.isspace() else carry)
            used = sum(measure(u) for u in lines[-1])
    return ["".join(line).rstrip() for line in lines]


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Every paragraph of `text` (split at newlines) broken into lines; an empty text gives one empty line."""
    out: list[str] = []
    for paragraph in str(text).split("\n"):
        out += wrap_line(paragraph, width, measure)
    return out or [""]
