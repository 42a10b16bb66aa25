"""示例数据 series: each simulator turns the panel's bases into one indicator's units at the levels that report it.

sum (intensity × driver, anchored on real totals), ratio (another series × a drifting factor: the parts of the
ratios the engine derives, e.g. a part never more than its whole, total electricity = IT electricity × PUE), fixed (a
stock split once: villages, coal mines), rate (own value per level, for rates published only as rates), incidents
(small counts) and latency (distance to the 京津冀 hub). `observations` flattens the panel into
one row per value, without the keys that have a real value, and applies the documented gaps and discrepancies.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from etl.demo.panel import (
    BEIJING,
    DISCREPANCIES,
    HISTORY,
    MISSING_QUARTER,
    NOT_REPORTED,
    OMITTED,
    SPECS,
    YEARS,
    Panel,
    Series,
    Spec,
    allocate,
    cap_changes,
    expand,
    period_code,
    periods_of,
    reference_values,
)
from indicators.base.catalogue import Catalogue, Indicator


def reports_region(ind: Indicator) -> bool:
    """The region reports its own value where nothing is added up, or where counties do not report."""
    return ind.aggregation == "none" or "county" not in ind.levels


def store(p: Panel, ind: Indicator, periods: list[tuple[int, int]], units: np.ndarray, at_county: bool) -> None:
    league = p.to_leagues(units) if at_county else units
    region = league.sum(axis=0, keepdims=True) if reports_region(ind) else None
    p.series[ind.code] = Series(ind.code, periods, SPECS[ind.code].exp, units if at_county else None, league, region)


def rows_under(p: Panel, region: str, at_county: bool) -> np.ndarray:
    n = len(p.counties) if at_county else len(p.leagues)
    if region == p.root:
        return np.arange(n)
    if region in p.leagues:
        i = p.leagues.index(region)
        return np.flatnonzero(p.parent == i) if at_county else np.array([i])
    return np.array([p.counties.index(region)])


def anchored_units(p: Panel, ind: Indicator, values: np.ndarray, at_county: bool) -> tuple[np.ndarray, set[int]]:
    """Scale the rows under each real value so they add up to it: exactly in its period, and by a log-linearly
    interpolated factor in the others, so growth stays smooth (DI-01: 20 163 at 2021Q4, about 60 000 at 2023Q4)."""
    periods, quantum = periods_of(ind), 10.0 ** -SPECS[ind.code].exp
    by_region: dict[str, list[tuple[int, float]]] = {}
    for region, t, value in p.anchors(ind, periods):
        by_region.setdefault(region, []).append((t, value))
    scale = np.ones_like(values)
    for region, points in by_region.items():
        rows, points = rows_under(p, region, at_county), sorted(points)
        logs = [math.log(v / values[rows, t].sum()) for t, v in points]
        scale[rows] *= np.exp(np.interp(np.arange(len(periods)), [t for t, _ in points], logs))
    units = np.round(values * scale * quantum)
    for region, points in by_region.items():
        rows = rows_under(p, region, at_county)
        for t, value in points:
            units[rows, t] = allocate(round(value * quantum), values[rows, t])
    return units, {t for points in by_region.values() for t, _ in points}


def simulate_sum(p: Panel, ind: Indicator, spec: Spec) -> None:
    at_county = "county" in ind.levels
    n = len(p.counties) if at_county else len(p.leagues)
    factor = p.rng.lognormal(0, spec.spread, len(p.leagues))
    if at_county:
        factor = factor[p.parent] * p.rng.lognormal(0, spec.spread, n)
    noise = p.rng.lognormal(0, 0.03, (n, len(HISTORY)))
    years = np.array(HISTORY) - 2020
    annual = p.driver(spec.driver, at_county) * spec.level * spec.growth ** years * factor[:, None] * noise
    p.annual[ind.code] = annual
    units, fixed = anchored_units(p, ind, expand(annual, ind), at_county)
    if spec.smooth:
        units = cap_changes(units, len(periods_of(ind)) // len(YEARS), fixed)
    store(p, ind, periods_of(ind), units, at_county)


def simulate_ratio(p: Panel, ind: Indicator, spec: Spec) -> None:
    """This series = the driver series × a factor per row and year, in this series' own unit: a part of a whole
    (villages reached of all villages, never more) or a quantity per unit of another (IT electricity per rack,
    total electricity = IT electricity × PUE). Counties report it when they report the driver, else leagues."""
    whole = p.series[spec.driver]
    at_county = whole.county is not None and "county" in ind.levels
    base = (whole.county if at_county else whole.league) * 10.0 ** (whole.exp - spec.exp)
    years = np.array([y for y, _ in whole.periods]) - YEARS[0]
    low, high = spec.bounds or (0.0, spec.cap)
    level = spec.level * p.rng.lognormal(0, spec.spread, base.shape[0])
    units = np.floor(base * np.clip(level[:, None] * spec.growth ** years, low, high) + 0.5)
    if spec.smooth:
        units = np.minimum(cap_changes(units, 1, set()), np.floor(base * high + 0.5))
    store(p, ind, whole.periods, units, at_county)


def simulate_fixed(p: Panel, ind: Indicator, spec: Spec) -> None:
    at_county = "county" in ind.levels
    if spec.driver == "units":  # the league itself and its counties: the region tree, not a sample
        units = np.bincount(p.parent, minlength=len(p.leagues)) + 1.0
    else:
        units = allocate(int(spec.level), p.weights(spec.driver)).astype(float)
        units = units if at_county else p.to_leagues(units)
    store(p, ind, periods_of(ind), np.repeat(units[:, None], len(periods_of(ind)), axis=1), at_county)


def simulate_incidents(p: Panel, ind: Indicator, spec: Spec) -> None:
    """Small counts (2–8 a quarter per county) that move by at most one from a year earlier: 2 → 3 is +50 %,
    exactly the ETL's threshold, so the random walk never triggers a YoY warning."""
    n, periods = len(p.counties), periods_of(ind)
    units = np.zeros((n, len(periods)))
    start = p.rng.integers(2, 6, n) + p.urban
    for q in range(4):
        value = np.clip(start + p.rng.integers(-1, 2, n), 2, 8)
        for k in range(len(YEARS)):
            value = value if k == 0 else np.clip(value + p.rng.integers(-1, 2, n), 2, 8)
            units[:, k * 4 + q] = value
    store(p, ind, periods, units, True)


def simulate_latency(p: Panel, ind: Indicator, spec: Spec) -> None:
    """Round-trip time grows with the fibre distance to the 京津冀 hub (about 1.2 ms per 100 km) and falls
    a little each year as routes are straightened."""
    def distance_km(region) -> float:
        lat1, lat2 = math.radians(region.lat), math.radians(BEIJING[1])
        dlon = math.radians(region.lon - BEIJING[0])
        return 6371 * math.acos(min(1.0, math.sin(lat1) * math.sin(lat2) + math.cos(lat1) * math.cos(lat2) *
                                    math.cos(dlon)))
    regions = [p.cat.regions.by_code[c] for c in (*p.leagues, p.root)]
    base = np.array([spec.level + distance_km(r) / 100 * 1.2 for r in regions])
    years = np.array([y for y, _ in periods_of(ind)]) - YEARS[0]
    values = base[:, None] * spec.growth ** years * p.rng.lognormal(0, 0.02, (len(regions), len(years)))
    units = np.round(values * 10.0 ** -spec.exp)
    p.series[ind.code] = Series(ind.code, periods_of(ind), spec.exp, None, units[:-1], units[-1:])


def simulate_rate(p: Panel, ind: Indicator, spec: Spec) -> None:
    """Each level reports its own rate (a rate published only as a rate, aggregation none): the region's path plus
    a fixed offset per league (and per county within it) and a little noise."""
    periods, at_county = periods_of(ind), "county" in ind.levels
    t = np.array([y + (s - 1) / 4 if ind.frequency == "quarterly" else y for y, s in periods]) - YEARS[0]
    path = spec.level + (spec.growth - spec.level) * t / (YEARS[-1] - YEARS[0])
    for region, k, value in p.anchors(ind, periods):
        if region == p.root:
            path = path + value - path[k]
    league = p.rng.normal(0, spec.spread, len(p.leagues))
    county = league[p.parent] + p.rng.normal(0, spec.spread / 2, len(p.counties))
    offsets = np.concatenate([county, league, [0.0]])
    values = path + offsets[:, None] + p.rng.normal(0, spec.spread / 8, (len(offsets), len(periods)))
    low, high = spec.bounds or (0.7 * min(spec.level, spec.growth), ind.max if ind.max is not None else np.inf)
    units = np.round(np.clip(values, max(low, ind.min or 0), high) * 10.0 ** -spec.exp)
    n = len(p.counties)
    p.series[ind.code] = Series(ind.code, periods, spec.exp, units[:n] if at_county else None, units[n:-1],
                                units[-1:])


SIMULATORS = {"sum": simulate_sum, "ratio": simulate_ratio, "fixed": simulate_fixed, "rate": simulate_rate,
              "incidents": simulate_incidents, "latency": simulate_latency}


def simulate(cat: Catalogue, seed: int, reference: dict[tuple[str, str, str], float] | None = None) -> Panel:
    """Every series of SPECS, in order (a series is simulated after the ones it is driven or weighted by)."""
    panel = Panel(cat, seed, reference_values(cat) if reference is None else reference)
    for code, spec in SPECS.items():
        if spec.kind == "base":
            panel.make_base(code)
        else:
            SIMULATORS[spec.kind](panel, cat.indicator(code), spec)
    return panel


def observations(p: Panel) -> pd.DataFrame:
    """One row per simulated value (code, region, period, year, sub, units, exp, text, note), after removing the
    keys that have a real value, the years before an indicator starts, and the documented gaps; with the
    documented league-vs-county discrepancies applied."""
    columns: dict[str, list[np.ndarray]] = {c: [] for c in ("code", "region", "period", "year", "sub", "units", "exp")}
    for code, s in p.series.items():
        ind = p.cat.indicator(code)
        codes = np.array([period_code(ind, y, sub) for y, sub in s.periods], dtype=object)
        for regions, units in ((p.counties, s.county), (p.leagues, s.league), ([p.root], s.region)):
            if units is None:
                continue
            n = len(regions) * len(codes)
            columns["code"].append(np.full(n, code, dtype=object))
            columns["region"].append(np.repeat(np.array(regions, dtype=object), len(codes)))
            columns["period"].append(np.tile(codes, len(regions)))
            columns["year"].append(np.tile([y for y, _ in s.periods], len(regions)))
            columns["sub"].append(np.tile([sub for _, sub in s.periods], len(regions)))
            columns["units"].append(units.reshape(-1).astype("float64"))
            columns["exp"].append(np.full(n, s.exp))
    frame = pd.DataFrame({c: np.concatenate(parts) for c, parts in columns.items()})  # one frame, not one per part
    key = frame["code"] + "|" + frame["region"] + "|" + frame["period"]
    start = frame["code"].map({c: s.start for c, s in SPECS.items()})
    keep = frame["units"].notna() & (frame["year"] >= start) & ~key.isin({"|".join(k) for k in p.ref})
    frame = frame[keep].assign(units=frame.loc[keep, "units"].astype("int64"))
    return deliberate_edits(p, frame.reset_index(drop=True), key[keep].reset_index(drop=True))


def deliberate_edits(p: Panel, frame: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    """The documented discrepancies, gaps and not-reported cells; `key` is code|region|period of each row."""
    frame = frame.assign(text="", note="")
    for code, region, period, factor in DISCREPANCIES:
        hit = key == f"{code}|{region}|{period}"
        frame.loc[hit, "units"] = np.round(frame.loc[hit, "units"] * factor).astype("int64")
    code, league, period = MISSING_QUARTER
    family = {league, *(c for c in p.counties if p.cat.regions.league_of(c) == league)}
    dropped = key.isin([f"{c}|{r}|{y}" for c, r, y in OMITTED])
    dropped |= frame["code"].eq(code) & frame["period"].eq(period) & frame["region"].isin(family)
    blank = key.isin([f"{c}|{r}|{y}" for c, r, y in NOT_REPORTED])
    frame.loc[blank, ["text", "note"]] = ["—", "数据暂缺，待补报"]
    return frame[~dropped].reset_index(drop=True)
