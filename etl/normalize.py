"""Interpret the text of a long table: indicator and region codes, canonical periods, numbers in catalogue units.

Nothing is decided here about validity; each interpretation records its state (ok / unknown / ambiguous / …)
so that the validation step can report every problem. Work is done once per distinct text (a file of a million
rows has a few hundred distinct regions and periods), and numbers are parsed with vectorised Arrow kernels.
Examples: '锡盟' → 152500 · '２０２３年第一季度' → 2023Q1 · '12,345.6' → 12345.6 · '45.3%' → 45.3 ·
24 049 155 人 → 2 404.9155 万人 · status '快报' → P (indicators.base.status).
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from etl.layout import LongTable
from indicators.base import status
from indicators.base.catalogue import Catalogue
from indicators.base.periods import parse_period
from indicators.base.regions import AmbiguousRegion, UnknownRegion

NOT_REPORTED = {"", "-", "--", "—", "——", "…", "……", "...", "/", "na", "n/a", "null", "none", "无", "空", "－"}
# compared after the same NFKC folding as the cell: '……' folds to '......', '－' to '-'
NOT_REPORTED_FOLDED = sorted({unicodedata.normalize("NFKC", m).casefold() for m in NOT_REPORTED})
VALUE_STATES = ["ok", "missing", "bad"]
FREQUENCIES = ["annual", "quarterly", "monthly"]
UNIT_STATES = ["ok", "unknown", "incompatible"]
TRUE_TEXT = {"1", "true", "yes", "y", "是", "示例", "合成", "synthetic", "t"}


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip()


def _factorize(series: pd.Series) -> tuple[np.ndarray, list]:
    """(one code per row, the distinct texts): work is done per distinct text, then broadcast by code.
    Arrow's dictionary encoding, straight on the column's Arrow buffers."""
    data = series.array
    if isinstance(data, pd.Categorical):  # a constant column from the layout step: already factorised
        return data.codes, list(data.categories)
    arrow = data.__arrow_array__() if hasattr(data, "__arrow_array__") else pa.array(data, type=pa.large_string())
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks() if arrow.num_chunks != 1 else arrow.chunk(0)
    encoded = pc.dictionary_encode(arrow, null_encoding="encode")
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


def _per_row(codes: np.ndarray, per_text: list, dtype: str = "str", categories: list[str] | None = None):
    """One result per distinct text → one per row, without Python per row. Text results become a categorical
    column (the distinct results once, a small integer per row): a million-row string column would cost a string
    copy per row and every comparison a string comparison. `categories` fixes them, so that two columns can be
    compared (frequency against the catalogue's)."""
    if dtype != "str":
        return np.asarray(per_text, dtype=dtype)[codes] if len(per_text) else np.empty(0, dtype=dtype)
    result_codes, distinct = pd.factorize(pd.Series(per_text, dtype=object), use_na_sentinel=True)
    if categories is not None:  # a None result (code -1) stays missing, not the last category's position
        if len(distinct):
            result_codes = np.where(result_codes < 0, -1, pd.Index(categories).get_indexer(distinct)[result_codes])
        distinct = categories
    small = result_codes.astype("int8" if len(distinct) < 127 else "int32")
    return pd.Categorical.from_codes(small[codes] if len(codes) else small[:0],
                                     categories=pd.Index(list(distinct), dtype="str"), validate=False)


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


def parse_numbers(raw: pd.Series) -> tuple[np.ndarray, pd.Categorical, np.ndarray]:
    """Text → (value, state, had_percent). state: ok | missing (not reported) | bad.
    Stage 1 parses plain numbers; stage 2 folds full-width forms, drops thousands separators and a % sign.
    Infinity and NaN are not numbers a statistics office reports: '1e999' and 'inf' are bad."""
    try:  # Arrow's cast is several times faster than pandas when every cell is a plain number
        values = pc.cast(pa.array(raw.array), pa.float64()).to_numpy(zero_copy_only=False).copy()
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype="float64", copy=True)
    todo = np.flatnonzero(~np.isfinite(values))
    had_percent = np.zeros(len(raw), dtype=bool)
    state = np.zeros(len(raw), dtype="int8")  # index into VALUE_STATES
    if len(todo):
        sub = pa.array(raw.iloc[todo].to_numpy(dtype=object), type=pa.string())
        folded = pc.utf8_trim_whitespace(pc.utf8_normalize(sub, "NFKC"))
        percent = pc.ends_with(folded, "%").to_numpy(zero_copy_only=False)
        cleaned = pc.replace_substring(pc.replace_substring(folded, ",", ""), "%", "")
        cleaned = pc.replace_substring(cleaned, " ", "")
        parsed = pd.to_numeric(pd.Series(cleaned.to_pandas(), dtype="str"), errors="coerce")
        parsed = parsed.to_numpy(dtype="float64", copy=True)
        parsed[~np.isfinite(parsed)] = np.nan
        values[todo] = parsed
        had_percent[todo] = percent & ~np.isnan(parsed)
        bad = np.isnan(parsed)
        lowered = pc.utf8_lower(folded).to_numpy(zero_copy_only=False)
        missing = np.isin(lowered, NOT_REPORTED_FOLDED)
        state[todo[bad & ~missing]] = VALUE_STATES.index("bad")
        state[todo[bad & missing]] = VALUE_STATES.index("missing")
    return values, pd.Categorical.from_codes(state, categories=pd.Index(VALUE_STATES, dtype="str")), had_percent


def normalise(table: LongTable, cat: Catalogue) -> pd.DataFrame:
    f = table.frame
    out: dict[str, object] = {"line": f["line"].to_numpy()}

    lookup = _indicator_lookup(cat)
    codes, texts = _factorize(f["indicator"])
    out["indicator_code"] = _per_row(codes, [lookup.get(_nfkc(t).casefold().replace(" ", "")) for t in texts])

    codes, texts = _factorize(f["region"])
    resolved = [_resolve_region(cat, t) for t in texts]
    levels = {code: r.level for code, r in cat.regions.by_code.items()}
    out["region_code"] = _per_row(codes, [r[0] for r in resolved])
    out["region_state"] = _per_row(codes, [r[1] for r in resolved])
    out["region_candidates"] = _per_row(codes, [r[2] for r in resolved])
    out["region_level"] = _per_row(codes, [levels.get(r[0]) for r in resolved])

    codes, texts = _factorize(f["period"])
    periods = [parse_period(t) for t in texts]
    known = _per_row(codes, [p is not None for p in periods], bool)
    out["period"] = _per_row(codes, [p.code if p else None for p in periods])
    out["frequency"] = _per_row(codes, [p.frequency if p else None for p in periods], categories=FREQUENCIES)
    out["year"] = pd.arrays.IntegerArray(_per_row(codes, [p.year if p else 0 for p in periods], "int64"), ~known)
    out["sub"] = pd.arrays.IntegerArray(_per_row(codes, [p.sub if p else 0 for p in periods], "int64"), ~known)
    out["period_end"] = _per_row(codes, [p.end if p else None for p in periods], "datetime64[s]")

    out["value"], out["value_state"], out["had_percent"] = parse_numbers(f["value"])
    _apply_units(out, f["unit"], cat)
    out["note"] = f["note"].array
    out["source"] = f["source"].array
    codes, texts = _factorize(f["synthetic"])
    out["synthetic"] = _per_row(codes, [_nfkc(t).casefold() in TRUE_TEXT for t in texts], bool)
    codes, texts = _factorize(f["status"])
    out["obs_status"] = _per_row(codes, [status.parse(t) for t in texts], categories=status.CODES)
    return pd.DataFrame(out, index=f.index, copy=False)


def _apply_units(out: dict, unit_raw: pd.Series, cat: Catalogue) -> None:
    """Convert values given in another unit of the same dimension; record unknown or incompatible units.
    A '%' sign on the value is a unit statement too: fine for % indicators, a mismatch elsewhere."""
    unit_codes, unit_texts = _factorize(unit_raw)
    indicators: pd.Categorical = out["indicator_code"]
    ind_uniques = [None, *indicators.categories]  # code -1 (unknown indicator) → position 0
    n = len(ind_uniques)
    pair_codes, pairs = pd.factorize(unit_codes.astype("int64") * n + (indicators.codes.astype("int64") + 1),
                                     sort=False)

    def convert(unit: str, code: str | None) -> tuple[float, float, str, str]:
        """(multiplier, divisor, state, catalogue unit): Catalogue.conversion, value × multiplier ÷ divisor
        (12345 万元 × 10⁴ ÷ 10⁸ = 1.2345 亿元 exactly)."""
        if code not in cat.indicators:
            return 1.0, 1.0, "ok", ""
        target_name = cat.indicator(code).unit
        if not unit:
            return 1.0, 1.0, "ok", target_name
        if cat.unit(unit) is None:
            return np.nan, 1.0, "unknown", target_name
        conversion = cat.conversion(unit, code)
        if conversion is None:
            return np.nan, 1.0, "incompatible", target_name
        return *conversion, "ok", target_name

    units = [_nfkc(unit_texts[p // n]) for p in pairs]
    codes = [ind_uniques[p % n] for p in pairs]
    converted = [convert(unit, code) for unit, code in zip(units, codes, strict=True)]
    # a '%' on the value of an indicator measured in something else is a unit mismatch, whatever the unit column says
    percent_elsewhere = out["had_percent"] & (indicators.codes >= 0)
    percent_elsewhere &= _per_row(pair_codes, [c[3] != "%" for c in converted], bool)
    submitted = units
    if percent_elsewhere.any():  # split those rows off as pairs of their own: (…, '%') → incompatible
        pair_codes = np.where(percent_elsewhere, pair_codes + len(pairs), pair_codes)
        converted = converted + [(np.nan, 1.0, "incompatible", c[3]) for c in converted]
        submitted = units + ["%"] * len(pairs)
    multiplier = _per_row(pair_codes, [c[0] for c in converted], "float64")
    divisor = _per_row(pair_codes, [c[1] for c in converted], "float64")
    out["unit_state"] = _per_row(pair_codes, [c[2] for c in converted], categories=UNIT_STATES)
    out["catalogue_unit"] = _per_row(pair_codes, [c[3] for c in converted])
    out["unit_submitted"] = _per_row(pair_codes, submitted)
    scale = ~np.isnan(multiplier) & ((multiplier != 1.0) | (divisor != 1.0))
    values = np.array(out["value"], dtype="float64", copy=True)
    with np.errstate(over="ignore"):  # 1e300 万亿元 overflows to inf: the implausible_value rule reports it
        values[scale] = values[scale] * multiplier[scale] / divisor[scale]
    out["value"] = values
