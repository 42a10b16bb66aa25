"""Interpret the text of a long table: indicator and region codes, canonical periods, numbers in catalogue units.

Nothing is decided here about validity; each interpretation records its state (ok / unknown / ambiguous / …)
so that the validation step can report every problem. Work is done once per distinct text (a file of a million
rows has a few hundred distinct regions and periods), and numbers are parsed with vectorised Arrow kernels.
Examples: '锡盟' → 152500 · '２０２３年第一季度' → 2023Q1 · '12,345.6' → 12345.6 · '45.3%' → 45.3 ·
24 049 155 人 → 2 404.9155 万人.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from etl.layout import LongTable
from etl.periods import parse_period
from indicators.catalogue import Catalogue
from indicators.regions import AmbiguousRegion, UnknownRegion

NOT_REPORTED = {"", "-", "--", "—", "——", "…", "……", "...", "/", "na", "n/a", "null", "none", "无", "空", "－"}
TRUE_TEXT = {"1", "true", "yes", "y", "是", "示例", "合成", "synthetic", "t"}


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip()


def _map_unique(series: pd.Series, func) -> pd.Series:
    """Apply func once per distinct value and broadcast the results back (a dict lookup per row)."""
    codes, uniques = pd.factorize(series, sort=False)
    results = np.empty(len(uniques), dtype=object)
    for i, u in enumerate(uniques):
        results[i] = func(u)  # element-wise, so tuples stay tuples
    return pd.Series(results[codes] if len(codes) else [], index=series.index, dtype=object)


def _indicator_lookup(cat: Catalogue) -> dict[str, str]:
    lookup = {}
    for ind in cat.indicators.values():
        for name in (ind.code, ind.name_zh, ind.name_en):
            lookup[_nfkc(name).casefold().replace(" ", "")] = ind.code
    return lookup


def _resolve_region(cat: Catalogue, text: str) -> tuple[str | None, str, str]:
    """(code, state, detail): state ok | unknown | ambiguous; detail lists the candidates."""
    try:
        return cat.regions.resolve(_nfkc(text)).code, "ok", ""
    except AmbiguousRegion:
        codes = sorted(cat.regions.candidates(_nfkc(text)))
        return None, "ambiguous", "、".join(f"{c} {cat.regions.by_code[c].name_zh}" for c in codes)
    except UnknownRegion:
        return None, "unknown", ""


def parse_numbers(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Text → (value, state, had_percent). state: ok | missing (not reported) | bad.
    Stage 1 parses plain numbers; stage 2 folds full-width forms, drops thousands separators and a % sign."""
    arrow = pa.array(raw.to_numpy(dtype=object), type=pa.string())
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype="float64", copy=True)
    todo = np.isnan(values)
    had_percent = np.zeros(len(raw), dtype=bool)
    if todo.any():
        idx = np.flatnonzero(todo)
        sub = pc.take(arrow, pa.array(idx))
        folded = pc.utf8_trim_whitespace(pc.utf8_normalize(sub, "NFKC"))
        percent = pc.ends_with(folded, "%").to_numpy(zero_copy_only=False)
        cleaned = pc.replace_substring(pc.replace_substring(folded, ",", ""), "%", "")
        cleaned = pc.replace_substring(cleaned, " ", "")
        parsed = pd.to_numeric(pd.Series(cleaned.to_pandas(), dtype="str"), errors="coerce").to_numpy(dtype="float64")
        values[idx] = parsed
        had_percent[idx] = percent & ~np.isnan(parsed)
    state = np.where(np.isnan(values), "bad", "ok").astype(object)
    bad = np.flatnonzero(state == "bad")
    if len(bad):
        lowered = pc.utf8_lower(pc.utf8_trim_whitespace(pc.utf8_normalize(pc.take(arrow, pa.array(bad)), "NFKC")))
        missing = pc.is_in(lowered, value_set=pa.array(sorted(NOT_REPORTED))).to_numpy(zero_copy_only=False)
        state[bad[missing]] = "missing"
    index = raw.index
    return pd.Series(values, index=index), pd.Series(state, index=index), pd.Series(had_percent, index=index)


def normalise(table: LongTable, cat: Catalogue) -> pd.DataFrame:
    f = table.frame
    out = pd.DataFrame({"line": f["line"].to_numpy()}, index=f.index)

    lookup = _indicator_lookup(cat)
    out["indicator_code"] = _map_unique(f["indicator"], lambda t: lookup.get(_nfkc(t).casefold().replace(" ", "")))

    resolved = _map_unique(f["region"], lambda t: _resolve_region(cat, t))
    out["region_code"] = resolved.map(lambda r: r[0])
    out["region_state"] = resolved.map(lambda r: r[1])
    out["region_candidates"] = resolved.map(lambda r: r[2])
    levels = {code: r.level for code, r in cat.regions.by_code.items()}
    out["region_level"] = out["region_code"].map(levels)

    periods = _map_unique(f["period"], parse_period)
    out["period"] = periods.map(lambda p: p.code if p else None)
    out["frequency"] = periods.map(lambda p: p.frequency if p else None)
    out["year"] = periods.map(lambda p: p.year if p else None).astype("Int64")
    out["sub"] = periods.map(lambda p: p.sub if p else None).astype("Int64")
    out["period_end"] = periods.map(lambda p: p.end if p else None)

    value, state, had_percent = parse_numbers(f["value"])
    out["value"], out["value_state"], out["had_percent"] = value, state, had_percent
    _apply_units(out, f["unit"], cat)
    out["note"] = f["note"].to_numpy()
    out["source"] = f["source"].to_numpy()
    out["synthetic"] = f["synthetic"].map(lambda t: _nfkc(t).casefold() in TRUE_TEXT).astype(bool).to_numpy()
    return out


def _apply_units(out: pd.DataFrame, unit_raw: pd.Series, cat: Catalogue) -> None:
    """Convert values given in another unit of the same dimension; record unknown or incompatible units.
    A '%' sign on the value is a unit statement too: fine for % indicators, a mismatch elsewhere."""
    pairs = pd.DataFrame({"unit": unit_raw.map(_nfkc).to_numpy(), "code": out["indicator_code"].to_numpy()})
    keys = pairs["unit"].astype(str) + "\x1f" + pairs["code"].astype(str)

    def convert(key: str) -> tuple[float, float, str, str]:
        """(multiplier, divisor, state, catalogue unit). value × multiplier ÷ divisor keeps 24049155 人 ÷ 10⁴ =
        2404.9155 exact, where multiplying by 0.0001 would not."""
        unit, code = key.split("\x1f")
        if code not in cat.indicators:
            return 1.0, 1.0, "ok", ""
        target_name = cat.indicator(code).unit
        if not unit:
            return 1.0, 1.0, "ok", target_name
        source, target = cat.unit(unit), cat.unit(target_name)
        if source is None:
            return np.nan, 1.0, "unknown", target_name
        if target is None or source.dimension != target.dimension:
            return np.nan, 1.0, "incompatible", target_name
        return source.factor, target.factor, "ok", target_name

    converted = _map_unique(keys, convert)
    multiplier = converted.map(lambda c: c[0]).astype("float64").to_numpy()
    divisor = converted.map(lambda c: c[1]).astype("float64").to_numpy()
    out["unit_state"] = converted.map(lambda c: c[2]).to_numpy()
    out["catalogue_unit"] = converted.map(lambda c: c[3]).to_numpy()
    out["unit_submitted"] = pairs["unit"].to_numpy()
    is_percent_indicator = out["catalogue_unit"].to_numpy() == "%"
    percent_elsewhere = out["had_percent"].to_numpy() & ~is_percent_indicator & (out["indicator_code"].notna().to_numpy())
    out.loc[percent_elsewhere, "unit_state"] = "incompatible"
    out.loc[percent_elsewhere, "unit_submitted"] = "%"
    scale = ~np.isnan(multiplier) & ((multiplier != 1.0) | (divisor != 1.0))
    values = out["value"].to_numpy(dtype="float64", copy=True)
    values[scale] = values[scale] * multiplier[scale] / divisor[scale]
    out["value"] = values
