"""Validation: pandera schemas generated from the catalogue, run lazily; every failure becomes a report row.

The normalised frame is joined with the catalogue attributes of each row's indicator (frequency, range,
levels, measure) and with what the warehouse already holds (last year's value, neighbouring months of a
year-to-date series, the league's counties), so that every rule is one vectorised pandera check named by its
rule id. Errors reject the file (or, with --partial, the row); warnings are recorded and shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pandera.pandas as pa

from etl import problems as P
from etl.layout import LongTable
from etl.normalize import FREQUENCIES
from indicators.base.catalogue import Catalogue

LEVEL_ZH = {"region": "自治区", "league": "盟市", "county": "旗县"}
FREQ_ZH = {"annual": "年度", "quarterly": "季度", "monthly": "月度"}

# rule → which submitted field the report's column and value come from
RULE_FIELD = {
    "unknown_indicator": "indicator", "derived_indicator": "indicator",
    "unknown_region": "region", "ambiguous_region": "region", "level_not_reported": "region",
    "bad_period": "period", "wrong_frequency": "period", "future_period": "period",
    "unknown_unit": "unit", "unit_mismatch": "unit",
    "non_numeric": "value", "out_of_range": "value", "implausible_value": "value", "conflicting_duplicate": "value",
    "ytd_decreasing": "value",
    "not_reported": "value", "duplicate_row": "value", "yoy_change": "value", "reconciliation": "value",
}


@dataclass(frozen=True)
class Thresholds:
    today: date
    yoy_warning_ratio: float = 0.5
    reconciliation_tolerance: float = 0.01


def _attributes(frame: pd.DataFrame, cat: Catalogue) -> dict[str, np.ndarray | pd.Categorical]:
    """Per-row catalogue attributes of the row's indicator (NaN, or False, where the indicator is unknown).
    Typed columns, not object ones: pandera looks for missing values in every column after every check."""
    inds = list(cat.indicators.values())
    attrs = {
        "_frequency": [i.frequency for i in inds], "_min": [np.nan if i.min is None else i.min for i in inds],
        "_max": [np.nan if i.max is None else i.max for i in inds], "_derived": [i.is_derived for i in inds],
        "_plausible_min": [cat.plausible_range(i.code)[0] for i in inds],
        "_plausible_max": [cat.plausible_range(i.code)[1] for i in inds],
        "_league_sum_of_counties": [i.aggregation == "sum" and "county" in i.levels for i in inds],
        **{f"_at_{level}": [level in i.levels for i in inds] for level in LEVEL_ZH},
    }
    # an unknown indicator (position -1) picks the padding appended at the end: NaN, or False for flags
    positions = pd.Index([i.code for i in inds]).get_indexer(frame["indicator_code"])
    positions[positions < 0] = len(inds)
    columns = {}
    for name, values in attrs.items():
        if isinstance(values[0], bool):
            columns[name] = np.array(values + [False])[positions]
        elif isinstance(values[0], str):  # the frequency: categorical like the file's, so the two compare
            codes = pd.Index(FREQUENCIES).get_indexer(values + [None])
            columns[name] = pd.Categorical.from_codes(codes[positions], categories=pd.Index(FREQUENCIES, dtype="str"))
        else:
            columns[name] = np.array(values + [np.nan], dtype="float64")[positions]
    return columns


def _level_ok(d: pd.DataFrame) -> pd.Series:
    """The row's region level is among its indicator's levels (vectorised: one column per level)."""
    ok = pd.Series(False, index=d.index)
    for level in LEVEL_ZH:
        ok |= d["region_level"].eq(level) & d[f"_at_{level}"].eq(True)
    return ok


def _keys_ok(d: pd.DataFrame) -> pd.Series:
    return d["indicator_code"].notna() & d["region_code"].notna() & d["period"].notna()


def _check(test, rule: str) -> pa.Check:
    """A pandera check named by its rule id. ignore_na=False: every row has a line number, so pandera's
    pass-through for rows whose cells are all missing never applies, and it costs a whole-frame isna() per check."""
    return pa.Check(test, name=rule, ignore_na=False)


def build_schemas(cat: Catalogue, limits: Thresholds) -> tuple[pa.DataFrameSchema, pa.DataFrameSchema]:
    """(errors, warnings). Each check is named by its rule id and returns True for rows that pass."""
    today = pd.Timestamp(limits.today)

    def known_indicator(d):
        return d["indicator_code"].notna()

    def value_ok(d):
        return d["value_state"].eq("ok") & d["unit_state"].eq("ok")

    errors = pa.DataFrameSchema(
        columns={
            "line": pa.Column(int),
            "value": pa.Column(float, nullable=True),
        },
        checks=[
            _check(lambda d: known_indicator(d), "unknown_indicator"),
            _check(lambda d: ~(known_indicator(d) & d["_derived"].eq(True)), "derived_indicator"),
            _check(lambda d: d["region_state"].ne("unknown"), "unknown_region"),
            _check(lambda d: d["region_state"].ne("ambiguous"), "ambiguous_region"),
            _check(lambda d: ~(known_indicator(d) & d["region_code"].notna()) | _level_ok(d), "level_not_reported"),
            _check(lambda d: d["period"].notna(), "bad_period"),
            _check(lambda d: ~(known_indicator(d) & d["period"].notna()) | d["frequency"].eq(d["_frequency"]),
                   "wrong_frequency"),
            _check(lambda d: ~d["period"].notna() | (d["period_end"] < today), "future_period"),
            _check(lambda d: d["value_state"].ne("bad"), "non_numeric"),
            _check(lambda d: d["unit_state"].ne("unknown"), "unknown_unit"),
            _check(lambda d: d["unit_state"].ne("incompatible"), "unit_mismatch"),
            _check(lambda d: ~(known_indicator(d) & value_ok(d)) | ~(
                (d["value"] < d["_min"]) | (d["value"] > d["_max"])), "out_of_range"),
            # the last word on any number: finite and within its unit's plausible bounds (1e308 亿元 is not a GDP)
            _check(lambda d: ~(known_indicator(d) & value_ok(d)) | (
                (d["value"] >= d["_plausible_min"]) & (d["value"] <= d["_plausible_max"])), "implausible_value"),
            _check(lambda d: ~d["_conflict_with"].notna(), "conflicting_duplicate"),
            _check(lambda d: ~d["_ytd_breaks"].notna(), "ytd_decreasing"),
        ],
    )
    warnings = pa.DataFrameSchema(checks=[
        _check(lambda d: d["value_state"].ne("missing"), "not_reported"),
        _check(lambda d: ~d["_same_as"].notna(), "duplicate_row"),
        _check(lambda d: ~(d["_yoy_change"].abs() > limits.yoy_warning_ratio).fillna(False), "yoy_change"),
        _check(lambda d: ~(d["_recon_gap"].abs() > limits.reconciliation_tolerance).fillna(False), "reconciliation"),
    ])
    return errors, warnings


# ── cross-row context ────────────────────────────────────────────────────────────────────────────────
# The cross-row rules compare rows by key (indicator, region, period). Keys are packed into one int64 per row,
# so that duplicates, last year's value, the month before and the league's counties are integer lookups:
# key = ((indicator × n_regions + region) × n_years + year − first_year) × 17 + slot, where slot is 0 for a
# year, 1–4 for a quarter and 5–16 for a month. Last year's key is key − 17; key // 17 is (indicator, region, year).

SLOTS = 17
FIRST_MONTH_SLOT = 5


class KeyPacker:
    """Packs (indicator, region, year, slot) into one int64 and back, for the years the rows at hand span."""

    def __init__(self, cat: Catalogue, first_year: int, last_year: int):
        self.indicators = pd.Index([i.code for i in cat.indicators.values()], dtype="str")
        self.regions = pd.Index([r.code for r in cat.regions.regions], dtype="str")
        self.monthly = np.array([i.frequency == "monthly" for i in cat.indicators.values()] + [False])
        self.first_year, self.n_years = first_year, last_year - first_year + 1

    def positions(self, index: pd.Index, column: pd.Series) -> np.ndarray:
        if isinstance(column.dtype, pd.CategoricalDtype):  # look up the few categories, not every row
            codes = column.cat.codes.to_numpy()
            looked_up = np.append(index.get_indexer(column.cat.categories), -1).astype("int64")
            return looked_up[codes]
        return index.get_indexer(column.astype("str")).astype("int64", copy=False)

    def pack(self, indicator_code: pd.Series, region_code: pd.Series, year: pd.Series, sub: pd.Series,
             monthly: np.ndarray | None = None) -> np.ndarray:
        """One packed key per row, -1 where a part is unknown. Built in place: every temporary array of a
        million rows costs its pages being faulted in."""
        key = self.positions(self.indicators, indicator_code)
        is_monthly = self.monthly[key] if monthly is None else monthly
        known = key >= 0
        region = self.positions(self.regions, region_code)
        known &= region >= 0
        key *= len(self.regions)
        key += region
        del region
        years = year.array
        known &= ~years.isna() if hasattr(years, "isna") else ~pd.isna(years)
        key *= self.n_years
        key += np.asarray(years.to_numpy(dtype="int64", na_value=self.first_year)) - self.first_year
        key *= SLOTS
        subs = sub.to_numpy(dtype="int64", na_value=0)
        key += subs
        key += (FIRST_MONTH_SLOT - 1) * (is_monthly & (subs > 0))
        key[~known] = -1
        return key

    # the parts back from packed keys (of valid rows)
    def indicator_of(self, key: np.ndarray) -> np.ndarray:
        return key // (len(self.regions) * self.n_years * SLOTS)

    def region_of(self, key: np.ndarray) -> np.ndarray:
        return key // (self.n_years * SLOTS) % len(self.regions)

    def year_of(self, key: np.ndarray) -> np.ndarray:
        return self.first_year + key // SLOTS % self.n_years

    @staticmethod
    def sub_of(key: np.ndarray) -> np.ndarray:
        slot = key % SLOTS
        return np.where(slot >= FIRST_MONTH_SLOT, slot - FIRST_MONTH_SLOT + 1, slot)


def _packer(d: pd.DataFrame, current: pd.DataFrame, cat: Catalogue) -> KeyPacker:
    years = pd.concat([d["year"].dropna(), current["year"].dropna()]) if len(current) else d["year"].dropna()
    first = int(years.min()) - 1 if len(years) else 2000
    last = int(years.max()) + 1 if len(years) else 2000
    return KeyPacker(cat, first, last)


def _file_keys(d: pd.DataFrame, packer: KeyPacker) -> np.ndarray:
    """Keys of the file's rows. A period of the wrong frequency keeps its own slot (2023Q1 of a monthly
    indicator is slot 1, not January), so it never meets the rows it was not meant to be."""
    monthly = d["frequency"].eq("monthly").to_numpy()
    keys = packer.pack(d["indicator_code"], d["region_code"], d["year"], d["sub"], monthly=monthly)
    keys[~(d["period"].notna().to_numpy())] = -1
    return keys


@dataclass
class Sorted:
    """The file's rows with a complete key and a number, sorted by key (file order within a key)."""

    rows: np.ndarray  # positions in d
    key: np.ndarray
    first: np.ndarray  # True on the first row of each key


def _sort_by_key(key: np.ndarray, rows: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(key, row) sorted by key, then row (file order within a key). Sorting the packed number key × n + row
    is several times faster than a stable argsort; the stable sort is kept for keys too large to pack."""
    if not len(key) or int(key.max()) < (2**62) // max(n, 1):
        packed = np.sort(key * n + rows)
        key = packed // n
        return key, packed - key * n  # (np.divmod is several times slower than the two)
    order = np.argsort(key, kind="stable")
    return key[order], rows[order]


def _add_duplicates(d: pd.DataFrame, keys: np.ndarray) -> Sorted:
    """Same key twice: identical value → warning on the later line; different value → error naming the first.
    Every line of a key with conflicting values is marked `_conflicted`: which one is right is unknown, so
    --partial loads none of them."""
    n = len(d)
    same_as = np.full(n, -1, dtype="int64")
    conflict_with = np.full(n, -1, dtype="int64")
    conflicted = np.zeros(n, dtype=bool)
    ok = np.flatnonzero((keys >= 0) & d["value_state"].eq("ok").to_numpy())
    k, rows = _sort_by_key(keys[ok], ok, n)
    starts = np.r_[True, k[1:] != k[:-1]] if len(k) else np.zeros(0, dtype=bool)
    if not starts.all():
        first = rows[np.maximum.accumulate(np.where(starts, np.arange(len(rows)), 0))]
        values = d["value"].to_numpy(dtype="float64")
        lines = d["line"].to_numpy(dtype="int64")
        later = ~starts
        same = later & np.isclose(values[rows], values[first], rtol=1e-12, atol=0)
        same_as[rows[same]] = lines[first[same]]
        differs = later & ~same
        conflict_with[rows[differs]] = lines[first[differs]]
        group = np.cumsum(starts) - 1
        bad_group = np.bincount(group, weights=differs, minlength=group[-1] + 1) > 0
        conflicted[rows[bad_group[group]]] = True
    d["_conflict_with"] = pd.arrays.IntegerArray(conflict_with, conflict_with < 0)
    d["_same_as"] = pd.arrays.IntegerArray(same_as, same_as < 0)
    d["_conflicted"] = conflicted
    return Sorted(rows, k, starts)


@dataclass
class Series:
    """The file's usable values on top of the warehouse's current ones (the file wins for the same key), as
    parallel arrays sorted by key. `row` is the file row's position in d (-1 for a warehouse value). Unique per
    key: a repeated identical line (`_same_as`) is left out, and so are conflicting ones."""

    key: np.ndarray
    value: np.ndarray
    row: np.ndarray

    def lookup(self, key: np.ndarray) -> np.ndarray:
        """Position of each key in the series, -1 where absent."""
        if not len(self.key):
            return np.full(len(key), -1, dtype="int64")
        pos = np.minimum(np.searchsorted(self.key, key), len(self.key) - 1)
        return np.where((key >= 0) & (self.key[pos] == key), pos, -1)


def _series(d: pd.DataFrame, by_key: Sorted, current: pd.DataFrame, packer: KeyPacker) -> Series:
    usable = (d["frequency"].eq(d["_frequency"]).to_numpy() & d["unit_state"].eq("ok").to_numpy()
              & ~d["_conflicted"].to_numpy())
    pick = by_key.first & usable[by_key.rows]
    rows, key = by_key.rows[pick], by_key.key[pick]
    value = d["value"].to_numpy(dtype="float64")[rows]
    if not len(current):
        return Series(key, value, rows)  # sorted already
    theirs = packer.pack(current["indicator_code"], current["region_code"], current["year"], current["sub"])
    keep = (theirs >= 0) & ~np.isin(theirs, key)
    key = np.concatenate([key, theirs[keep]])
    value = np.concatenate([value, current["value"].to_numpy(dtype="float64")[keep]])
    rows = np.concatenate([rows, np.full(int(keep.sum()), -1, dtype="int64")])
    order = np.argsort(key)
    return Series(key[order], value[order], rows[order])


def _add_ytd(d: pd.DataFrame, series: Series, packer: KeyPacker, cat: Catalogue) -> None:
    """A year-to-date series must not fall within a year. Each value is compared with the month before it
    (file or warehouse); a file value is also compared with the warehouse's month after it. The row reported
    is the file's side of the fall: March 100 then April 90 in one file → April's line."""
    d["_ytd_breaks"] = pd.Series(pd.NA, index=d.index, dtype="object")
    ytd = np.array([i.measure == "ytd" for i in cat.indicators.values()])
    pick = np.flatnonzero(ytd[packer.indicator_of(series.key)])
    if not len(pick):
        return
    key, value, row = series.key[pick], series.value[pick], series.row[pick]
    sub = packer.sub_of(key)
    group = key // SLOTS  # (indicator, region, year); sorted by key, so months are in order within a group
    same_prev = np.r_[False, group[1:] == group[:-1]]
    same_next = np.r_[group[:-1] == group[1:], False]
    prev_value = np.where(same_prev, np.r_[np.nan, value[:-1]], np.nan)
    next_value = np.where(same_next, np.r_[value[1:], np.nan], np.nan)
    next_from_file = np.where(same_next, np.r_[row[1:] >= 0, True], True)
    falls_here = value < prev_value
    falls_after = (value > next_value) & ~next_from_file
    bad = np.flatnonzero((row >= 0) & (falls_here | falls_after))
    if not len(bad):
        return
    here = falls_here[bad]
    prev_sub = np.r_[0, sub[:-1]][bad]
    next_sub = np.r_[sub[1:], 0][bad]
    before = np.where(here, prev_sub, sub[bad])
    after = np.where(here, sub[bad], next_sub)
    from_value = np.where(here, prev_value[bad], value[bad])
    to_value = np.where(here, value[bad], next_value[bad])
    years = packer.year_of(key[bad])
    positions = row[bad]
    breaks = pd.Series(list(zip(years.tolist(), before.tolist(), from_value.tolist(), after.tolist(),
                                to_value.tolist(), strict=True)), index=d.index[positions], dtype=object)
    d.loc[breaks.index, "_ytd_breaks"] = breaks


def _add_yoy(d: pd.DataFrame, series: Series) -> None:
    """Change against the same period of the previous year, wherever that value is known. Only the file's usable
    values can raise the warning, so they are the ones looked up (as a sorted query: a quick search)."""
    mine = series.row >= 0
    positions = series.lookup(series.key[mine] - SLOTS)
    prev = np.append(series.value, np.nan)[positions]
    prev_value = np.full(len(d), np.nan)
    prev_value[series.row[mine]] = prev
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(prev_value > 0, d["value"].to_numpy(dtype="float64") / prev_value - 1, np.nan)
    d["_prev_value"], d["_yoy_change"] = prev_value, change


def _add_reconciliation(d: pd.DataFrame, keys: np.ndarray, series: Series, packer: KeyPacker,
                        cat: Catalogue) -> None:
    """A league's value against the sum of its counties, when every county has a value for that period."""
    n = len(d)
    d["_recon_sum"], d["_recon_gap"] = np.full(n, np.nan), np.full(n, np.nan)
    league_rows = np.flatnonzero(d["region_level"].eq("league").to_numpy() & d["_league_sum_of_counties"].to_numpy()
                                 & (keys >= 0))
    if not len(league_rows):
        return
    regions = cat.regions.regions
    parent = np.array([packer.regions.get_loc(r.parent_code) if r.level == "county" else -1 for r in regions] + [-1])
    n_counties = np.bincount(parent[parent >= 0], minlength=len(regions))
    additive = np.array([i.aggregation == "sum" and "county" in i.levels for i in cat.indicators.values()] + [False])
    region = packer.region_of(series.key)
    county = np.flatnonzero((parent[region] >= 0) & additive[packer.indicator_of(series.key)])
    if not len(county):
        return
    # the same key with the county swapped for its league: the league row's own key
    league_key = series.key[county] + (parent[region[county]] - region[county]) * packer.n_years * SLOTS
    group, distinct = pd.factorize(league_key)
    sums, sizes = np.bincount(group, weights=series.value[county]), np.bincount(group)
    positions = pd.Index(distinct).get_indexer(keys[league_rows])
    total = np.append(sums, np.nan)[positions]
    size = np.append(sizes, 0)[positions]
    total = np.where(size == n_counties[packer.region_of(keys[league_rows])], total, np.nan)
    value = d["value"].to_numpy(dtype="float64")[league_rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = (value - total) / np.abs(value)
    recon_sum, recon_gap = d["_recon_sum"].to_numpy(copy=True), d["_recon_gap"].to_numpy(copy=True)
    recon_sum[league_rows], recon_gap[league_rows] = total, gap
    d["_recon_sum"], d["_recon_gap"] = recon_sum, recon_gap


def prepare(frame: pd.DataFrame, cat: Catalogue, current: pd.DataFrame) -> pd.DataFrame:
    d = frame  # the caller's frame gains the attribute and cross-row columns (no million-row copy)
    for name, column in _attributes(frame, cat).items():
        d[name] = column
    packer = _packer(d, current, cat)
    keys = _file_keys(d, packer)
    by_key = _add_duplicates(d, keys)
    series = _series(d, by_key, current, packer)
    _add_ytd(d, series, packer, cat)
    _add_yoy(d, series)
    _add_reconciliation(d, keys, series, packer, cat)
    return d


# ── failures → problems ──────────────────────────────────────────────────────────────────────────────

def _failed(schema: pa.DataFrameSchema, d: pd.DataFrame) -> pd.DataFrame:
    """(rule, index) of every failing row, from pandera's lazy failure cases."""
    try:
        schema.validate(d, lazy=True, inplace=True)  # read-only checks: no copy of a million-row frame
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        crashed = fc[fc["index"].isna()]
        if not crashed.empty:  # a check that raised instead of answering would otherwise vanish from the report
            raise RuntimeError(f"validation check failed to run: {crashed.iloc[0].to_dict()}") from exc
        out = pd.DataFrame({"rule": fc["check"].astype(str), "index": fc["index"].astype("int64")})
        return out.drop_duplicates()
    return pd.DataFrame({"rule": pd.Series(dtype="str"), "index": pd.Series(dtype="int64")})


def _fmt(x: float) -> str:
    if abs(x) >= 1e6:  # 10,000,000 rather than 1e+07, while a number is still readable in full
        return f"{x:,.0f}" if x.is_integer() and abs(x) < 1e15 else f"{x:,.6g}"
    return f"{x:.6g}"


def _params(rule: str, row: pd.Series, cat: Catalogue, limits: Thresholds, raw: str = "") -> dict:
    code = row["indicator_code"]
    if rule == "derived_indicator":
        inputs = cat.indicator(code).inputs
        return {"detail": "、".join(inputs), "detail_en": ", ".join(inputs)}
    if rule == "ambiguous_region":
        return {"detail": row["region_candidates"], "detail_en": row["region_candidates"].replace("、", ", ")}
    if rule == "level_not_reported":
        levels = cat.indicator(code).levels
        return {"indicator": code, "level": row["region_level"], "level_zh": LEVEL_ZH.get(row["region_level"], ""),
                "detail": "、".join(LEVEL_ZH[lv] for lv in levels), "detail_en": ", ".join(levels)}
    if rule == "wrong_frequency":
        return {"indicator": code, "frequency": row["_frequency"], "freq_zh": FREQ_ZH.get(row["_frequency"], ""),
                "a_frequency": ("an " if row["_frequency"] == "annual" else "a ") + row["_frequency"]}
    if rule == "future_period":
        return {"today": limits.today.isoformat()}
    if rule == "out_of_range":
        lo = "−∞" if pd.isna(row["_min"]) else _fmt(row["_min"])
        hi = "+∞" if pd.isna(row["_max"]) else _fmt(row["_max"])
        return {"indicator": code, "detail": f"[{lo}, {hi}]"}
    if rule == "implausible_value":
        return {"indicator": code, "unit": cat.indicator(code).unit,
                "detail": f"[{_fmt(row['_plausible_min'])}, {_fmt(row['_plausible_max'])}]"}
    if rule == "unit_mismatch":
        return {"indicator": code, "detail": row["catalogue_unit"], "unit": row["unit_submitted"]}
    if rule == "conflicting_duplicate":
        return {"detail": int(row["_conflict_with"])}
    if rule == "duplicate_row":
        return {"detail": int(row["_same_as"])}
    if rule == "ytd_decreasing":
        year, before, from_value, after, to_value = row["_ytd_breaks"]
        return {"detail": f"{year}年{before}月", "detail_en": f"{year}-{before:02d}", "later": f"{year}年{after}月",
                "later_en": f"{year}-{after:02d}", "from_value": _fmt(from_value), "to_value": _fmt(to_value)}
    if rule in ("yoy_change", "reconciliation"):
        # compared in the catalogue unit: say so when the file used another one (487619 万元 = 48.76 亿元)
        unit, submitted = row["catalogue_unit"], row["unit_submitted"]
        shown = _fmt(row["value"])
        same = not submitted or submitted == unit
        value_text = f"{shown} {unit}" if same else f"{raw} {submitted}（= {shown} {unit}）"
        value_text_en = f"{shown} {unit}" if same else f"{raw} {submitted} (= {shown} {unit})"
        other, gap, limit = (("_prev_value", "_yoy_change", limits.yoy_warning_ratio) if rule == "yoy_change"
                             else ("_recon_sum", "_recon_gap", limits.reconciliation_tolerance))
        return {"value_text": value_text, "value_text_en": value_text_en, "detail": f"{_fmt(row[other])} {unit}",
                "change": f"{row[gap]:+.1%}" if rule == "yoy_change" else f"{row[gap]:+.2%}",
                "threshold": f"±{limit:.0%}"}
    return {}


# A row failing an earlier rule is not also reported for rules that depend on the same field.
PRECEDENCE = list(RULE_FIELD)


def _problems(failed: pd.DataFrame, d: pd.DataFrame, table: LongTable, file: str, cat: Catalogue,
              limits: Thresholds, cap: int) -> tuple[list[P.Problem], dict[str, int]]:
    order = {rule: i for i, rule in enumerate(PRECEDENCE)}
    failed = failed.assign(order=failed["rule"].map(order), field=failed["rule"].map(RULE_FIELD))
    failed = failed.sort_values(["index", "order"]).drop_duplicates(["index", "field"])
    counts = failed["rule"].value_counts().to_dict()
    failed = failed.groupby("rule", sort=False).head(cap)
    raw = table.frame
    headers = {"indicator": table.columns.header(
        "indicator_code" if "indicator_code" in table.columns.positions else "indicator_name"),
        "region": table.columns.header("region_code" if "region_code" in table.columns.positions else "region_name"),
        "period": table.columns.header("period"), "unit": table.columns.header("unit")}
    out = []
    for rule, index in zip(failed["rule"], failed["index"], strict=True):
        row = d.loc[index]
        field = RULE_FIELD[rule]
        value_col = raw.at[index, "value_column"]
        if field == "value" or (table.layout == "wide" and field == "period"):
            column = value_col
        elif field == "unit" and ("unit" not in table.columns.positions or bool(row["had_percent"])):
            column = value_col  # the unit came from the header (“数值（亿元）”) or a % sign on the value
        else:
            column = headers[field]
        value = raw.at[index, field if field != "indicator" else "indicator"]
        if rule == "unit_mismatch" and bool(row["had_percent"]):
            value = raw.at[index, "value"]
        value = str(value).strip()  # the cell as typed, without the padding around it
        out.append(P.make(rule, file, int(row["line"]), column, value, **_params(rule, row, cat, limits, str(value))))
    return out, counts


def validate(table: LongTable, frame: pd.DataFrame, cat: Catalogue, current: pd.DataFrame, limits: Thresholds,
             file: str, cap: int = 1000) -> tuple[pd.DataFrame, list[P.Problem], pd.Series, dict[str, int]]:
    """Returns (prepared frame, problems, per-row error mask, counts of every rule before capping)."""
    d = prepare(frame, cat, current)
    error_schema, warning_schema = build_schemas(cat, limits)
    errors = _failed(error_schema, d)
    # A cell marked not reported carries nothing to check: an empty 2025 column of a yearbook table is not a
    # future period, an empty quarterly column beside annual ones not a wrong frequency. It is counted instead.
    errors = errors[~errors["index"].isin(d.index[d["value_state"].eq("missing")])]
    warnings = _failed(warning_schema, d)
    warnings = warnings[~warnings["index"].isin(errors["index"])]
    error_problems, error_counts = _problems(errors, d, table, file, cat, limits, cap)
    warning_problems, warning_counts = _problems(warnings, d, table, file, cat, limits, cap)
    bad_rows = pd.Series(d.index.isin(errors["index"]) | d["_conflicted"].to_numpy(), index=d.index)
    return d, error_problems + warning_problems, bad_rows, {**error_counts, **warning_counts}
