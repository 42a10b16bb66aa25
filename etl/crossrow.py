"""Cross-row context: what each row of a file is compared with — the same key elsewhere in the file (duplicates),
the month before (year-to-date series), last year's value (year-on-year), the league's counties (reconciliation)
and the other units of its level (peers).

Each is added to the frame as a column that a pandera check of etl.validate reads: `_conflict_with`/`_same_as`
(the line of the first row of the key), `_ytd_breaks`, `_prev_value`/`_yoy_change`, `_recon_sum`/`_recon_gap`,
`_peer_median`/`_peer_z`/`_peer_units`.
Rows are compared by packed integer key (etl.keys), the file's values on top of the warehouse's current ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from etl.keys import SLOTS, KeyPacker, file_keys, packer_for, sort_by_key
from indicators.base.catalogue import Catalogue
from indicators.base.regions import LEVELS


@dataclass
class Sorted:
    """The file's rows with a complete key and a number, sorted by key (file order within a key)."""

    rows: np.ndarray  # positions in d
    key: np.ndarray
    first: np.ndarray  # True on the first row of each key


def _add_duplicates(d: pd.DataFrame, keys: np.ndarray) -> Sorted:
    """Same key twice: identical value (and status) → warning on the later line; different value or status → error
    naming the first.
    Every line of a key with conflicting values is marked `_conflicted`: which one is right is unknown, so
    --partial loads none of them."""
    n = len(d)
    same_as = np.full(n, -1, dtype="int64")
    conflict_with = np.full(n, -1, dtype="int64")
    conflicted = np.zeros(n, dtype=bool)
    ok = np.flatnonzero((keys >= 0) & d["value_state"].eq("ok").to_numpy())
    k, rows = sort_by_key(keys[ok], ok, n)
    starts = np.r_[True, k[1:] != k[:-1]] if len(k) else np.zeros(0, dtype=bool)
    if not starts.all():
        first = rows[np.maximum.accumulate(np.where(starts, np.arange(len(rows)), 0))]
        values = d["value"].to_numpy(dtype="float64")
        lines = d["line"].to_numpy(dtype="int64")
        later = ~starts
        same = later & np.isclose(values[rows], values[first], rtol=1e-12, atol=0)
        status = d["obs_status"].cat.codes.to_numpy()  # one number as provisional and as final: which is meant?
        same &= status[rows] == status[first]
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


def _group_medians(group: np.ndarray, value: np.ndarray, n_groups: int) -> np.ndarray:
    """The median of each group's values (group: ids 0…n_groups−1, each present). Given as categorical codes,
    pandas' grouped median needs no hashing: a counting sort and a selection per group, in C."""
    codes = pd.Categorical.from_codes(group, categories=pd.RangeIndex(n_groups))
    return pd.Series(value).groupby(codes, observed=False).median().to_numpy()


def _add_peers(d: pd.DataFrame, series: Series, packer: KeyPacker, cat: Catalogue, min_units: int) -> None:
    """A value against the other units of its level: the modified z-score 0.6745 × (x − median) / MAD
    (Iglewicz–Hoaglin) among every unit of that level with a value for the same indicator and period — the file's
    values on top of the warehouse's. Computed for the file's rows of groups with at least `min_units` units; a
    group whose MAD is 0 (most units report the very same value, e.g. 100 % or 0) is left out, since a deviation
    from an identical majority has no scale to be measured in. Derived indicators are computed, never compared.
    Eleven leagues at 1000…1400 and one at 60000: median 1200, MAD 100 → z = 0.6745 × 58800 / 100 ≈ 397."""
    n = len(d)
    median, z, units = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    submitted = np.array([not i.is_derived for i in cat.indicators.values()])
    level = np.array([LEVELS.index(r.level) for r in cat.regions.regions])
    # the key with its region replaced by the region's level: (indicator, level, year, slot); key = (indicator ×
    # n_regions + region) × per_region + (year, slot), taken apart with as few int64 divisions as possible
    per_region, n_regions = packer.n_years * SLOTS, len(packer.regions)
    above = series.key // per_region
    indicator = above // n_regions
    pick = np.flatnonzero(submitted[indicator])
    peers = ((indicator[pick] * len(LEVELS) + level[above[pick] - indicator[pick] * n_regions]) * per_region
             + series.key[pick] - above[pick] * per_region)
    if len(peers) and peers.max() > 4 * len(peers) + 1024:  # years far apart: number the groups by hashing
        peers = pd.factorize(peers)[0]
    size = np.bincount(peers)
    wanted = (size >= min_units) & (np.bincount(peers, weights=series.row[pick] >= 0, minlength=len(size)) > 0)
    keep = wanted[peers]
    if keep.any():
        group, n_groups = (np.cumsum(wanted) - 1)[peers[keep]], int(wanted.sum())  # renumbered 0…n_groups−1
        value, row, size = series.value[pick[keep]], series.row[pick[keep]], size[wanted]
        med = _group_medians(group, value, n_groups)
        mad = _group_medians(group, np.abs(value - med[group]), n_groups)
        mine = np.flatnonzero((row >= 0) & (mad[group] > 0))
        g, rows = group[mine], row[mine]
        median[rows], units[rows] = med[g], size[g]
        z[rows] = 0.6745 * (value[mine] - med[g]) / mad[g]
    d["_peer_median"], d["_peer_z"], d["_peer_units"] = median, z, units


def add_context(d: pd.DataFrame, cat: Catalogue, current: pd.DataFrame, peer_min_units: int = 5) -> None:
    """Add the cross-row columns to d in place (no million-row copy). d is the normalised file with the catalogue
    attributes of etl.validate (`_frequency`, `_league_sum_of_counties`); `current` holds the warehouse's current
    values the rules need (indicator_code, region_code, year, sub, value); `peer_min_units`: the fewest units of a
    level for the peer comparison ([etl] peer_min_units)."""
    packer = packer_for(d, current, cat)
    keys = file_keys(d, packer)
    by_key = _add_duplicates(d, keys)
    series = _series(d, by_key, current, packer)
    _add_ytd(d, series, packer, cat)
    _add_yoy(d, series)
    _add_reconciliation(d, keys, series, packer, cat)
    _add_peers(d, series, packer, cat, peer_min_units)
