"""Console output shared by the CLI commands: tables aligned for Chinese text, CSV and JSON on stdout."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

FORMATS = ("table", "csv", "json")


def display_width(text: str) -> int:
    """Terminal columns: a CJK character takes two ('数据' → 4)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else f"{value:.0f}"
    return str(value)


def _exact(value: Any) -> str:
    """Machine output keeps full precision: 111.749995 stays 111.749995 (the table rounds for reading)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None, max_width: int = 48) -> str:
    if not rows:
        return "(无记录 | no rows)"
    columns = list(columns or rows[0].keys())
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    cells = [[v if display_width(v) <= max_width else _clip(v, max_width) for v in row] for row in cells]
    widths = [max(display_width(c), *(display_width(row[i]) for row in cells)) for i, c in enumerate(columns)]

    def line(values: Iterable[str]) -> str:
        return "  ".join(v + " " * (w - display_width(v)) for v, w in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(columns), line("-" * w for w in widths), *(line(row) for row in cells)])


def _clip(text: str, width: int) -> str:
    out, used = "", 0
    for ch in text:
        w = display_width(ch)
        if used + w > width - 1:
            return out + "…"
        out, used = out + ch, used + w
    return out


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    columns = list(columns or (rows[0].keys() if rows else []))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({c: _exact(r.get(c)) for c in columns} for r in rows)
    return buf.getvalue()


def to_json(rows: Sequence[dict[str, Any]] | dict[str, Any]) -> str:
    """Rows (or one object) as JSON: NaN, at any depth, becomes null (JSON has no NaN); timestamps, dates and
    paths become text."""
    def clean(v: Any) -> Any:
        if isinstance(v, float) and math.isnan(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        return v

    return json.dumps(clean(rows), ensure_ascii=False, indent=2, default=str)


def render(rows: Sequence[dict[str, Any]], fmt: str, columns: Sequence[str] | None = None) -> str:
    """The rows as a table, CSV (one header row) or JSON, without a final line end (the caller's echo adds it)."""
    if fmt == "csv":
        return to_csv(rows, columns).removesuffix("\n")
    if fmt == "json":
        return to_json([{c: r.get(c) for c in columns} for r in rows] if columns else rows)
    return table(rows, columns)


def operator() -> str:
    """Who ran a command, for the audit trail: the operating-system account (the CLI has no login of its own)."""
    import getpass

    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a container)
        return f"os:uid {os.getuid()}"
