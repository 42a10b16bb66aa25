"""Packed keys: (indicator, region, year, slot) in one int64 per row, so the cross-row rules are integer lookups.

key = ((indicator × n_regions + region) × n_years + year − first_year) × 17 + slot, where slot is 0 for a year,
1–4 for a quarter and 5–16 for a month (2023Q1 → slot 1, 2023M03 → slot 7). Last year's key is key − 17;
key // 17 is (indicator, region, year).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.base.catalogue import Catalogue

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


def packer_for(d: pd.DataFrame, current: pd.DataFrame, cat: Catalogue) -> KeyPacker:
    """A packer for the years of the file and the warehouse rows at hand, with a year to spare either side."""
    years = pd.concat([d["year"].dropna(), current["year"].dropna()]) if len(current) else d["year"].dropna()
    first = int(years.min()) - 1 if len(years) else 2000
    last = int(years.max()) + 1 if len(years) else 2000
    return KeyPacker(cat, first, last)


def file_keys(d: pd.DataFrame, packer: KeyPacker) -> np.ndarray:
    """Keys of the file's rows. A period of the wrong frequency keeps its own slot (2023Q1 of a monthly
    indicator is slot 1, not January), so it never meets the rows it was not meant to be."""
    monthly = d["frequency"].eq("monthly").to_numpy()
    keys = packer.pack(d["indicator_code"], d["region_code"], d["year"], d["sub"], monthly=monthly)
    keys[~(d["period"].notna().to_numpy())] = -1
    return keys


def sort_by_key(key: np.ndarray, rows: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(key, row) sorted by key, then row (file order within a key). Sorting the packed number key × n + row
    is several times faster than a stable argsort; the stable sort is kept for keys too large to pack."""
    if not len(key) or int(key.max()) < (2**62) // max(n, 1):
        packed = np.sort(key * n + rows)
        key = packed // n
        return key, packed - key * n  # (np.divmod is several times slower than the two)
    order = np.argsort(key, kind="stable")
    return key[order], rows[order]
