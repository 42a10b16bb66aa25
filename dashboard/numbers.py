"""Numbers as every output shows them — dashboard cards, tables, hover texts, downloads and the PDF bulletin alike.

A value has the catalogue's decimals (Indicator.decimals) and thousands separators; a year-on-year change is in
percentage points for shares (unit "%") and in per cent otherwise (indicators.query.yoy_change decides); an index
score has one decimal; a rank shared with another league reads "3=".

    value(2404.9155, 2) → '2,404.92'     change(48.0, 45.0, '%') → '+3.0个百分点'    change(121, 110, '亿元') → '+10.0%'
    rank(3, tied=True) → '3='            d3(1) → ',.1f' (plotly's hover and text templates)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from indicators.base.catalogue import Catalogue
from indicators.engine.composite import SCORE_DECIMALS
from indicators.engine.query import in_points, tied, yoy_change

DASH = "—"
POINTS = {"zh": "个百分点", "en": " pp"}


def finite(x: object) -> bool:
    """A number that can be shown: not None, NaN, pd.NA, ±inf or text."""
    if x is None or isinstance(x, bool | str):
        return False
    try:
        return not pd.isna(x) and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def value(x: object, decimals: int) -> str:
    """A value with its indicator's decimals and thousands separators; '—' when there is none."""
    return f"{float(x):,.{decimals}f}" if finite(x) else DASH


def score(x: object) -> str:
    """An index score (0–100) as published: 82.006 → '82.0'."""
    return value(x, SCORE_DECIMALS)


def change(current: object, previous: object, unit: str, lang: str = "zh") -> str:
    """Year-on-year change: '+3.0个百分点' / '+3.0 pp' for a share, '+10.0%' otherwise; '—' where undefined."""
    return _change_text(yoy_change(current, previous, unit), unit, lang)


def changes(current: list, previous: list, units: list[str], lang: str = "zh") -> list[str]:
    """change() of many values at once (one computation for a whole table)."""
    if not len(units):
        return []
    amounts = yoy_change(np.asarray(current, dtype=object), np.asarray(previous, dtype=object),
                         np.asarray(units, dtype=object))
    return [_change_text(a, u, lang) for a, u in zip(amounts, units, strict=True)]


def _change_text(amount: object, unit: str, lang: str) -> str:
    if not finite(amount):
        return DASH
    return f"{amount:+.1f}" + (POINTS["en" if lang == "en" else "zh"] if in_points(unit) else "%")


def percent(x: object) -> str:
    """A ratio as a signed percentage (growth rates, relative differences): 0.084 → '+8.4%'."""
    return f"{float(x) * 100:+.1f}%" if finite(x) else DASH


def rank(r: object, is_tied: bool = False) -> str:
    """A rank, '3=' when another league shares it; '—' when there is none."""
    return f"{int(r)}=" if finite(r) and is_tied else (str(int(r)) if finite(r) else DASH)


def rank_labels(ranks: pd.Series) -> pd.Series:
    """Every rank of one ranking as text, ties marked: [1, 2, 2, 4] → ['1', '2=', '2=', '4']."""
    shared = tied(ranks)
    return pd.Series([rank(r, bool(s)) for r, s in zip(ranks, shared, strict=True)], index=ranks.index, dtype=object)


def d3(decimals: int) -> str:
    """The d3 format plotly's templates use for a value with these decimals: '%{y:' + d3(1) + '}'."""
    return f",.{decimals}f"


def rounded(frame: pd.DataFrame, cat: Catalogue) -> pd.DataFrame:
    """A copy with `value` rounded to each row's indicator decimals (downloads and tables carry what is shown);
    a column of one indicator with 0 decimals becomes whole numbers."""
    decimals = frame["indicator_code"].map({c: i.decimals for c, i in cat.indicators.items()})
    out = frame.copy()
    numbers = pd.to_numeric(out["value"], errors="coerce").astype(float)
    out["value"] = [round(v, int(d)) if finite(v) and finite(d) else v for v, d in zip(numbers, decimals, strict=True)]
    if len(out) and set(decimals.dropna().astype(int)) == {0}:
        out["value"] = pd.array([int(v) if finite(v) else None for v in out["value"]], dtype="Int64")
    return out


def indicator_value(x: object, code: str, cat: Catalogue) -> str:
    """value() with the decimals of indicator `code`."""
    return value(x, cat.indicator(code).decimals)
