"""示例数据: a synthetic panel of every submittable indicator for the 12 leagues and 103 counties, 2019–2024.

Magnitudes are anchored on the real figures in data/reference/, read through the ETL's own reader (a fact lives
in one place): league GDP and population fill the years the references leave open, counties split their league's
value, and the other series are intensities per resident or per 亿元 of GDP with modest growth. A real value's key
is never generated, but the synthetic parts add up to it (the counties' 2020 population sums to the league's census
count). Values are integers of a quantum (10**exp catalogue units), so county values sum to the league value
exactly. Same seed → same panel; nothing reads the clock. `etl.demo.series` simulates each indicator on these
bases; `etl.demo.files` writes the result as submission files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from etl.layout import to_long
from etl.normalize import normalise
from etl.read import read_sheet
from etl.source import SourceFile
from indicators.base import periods
from indicators.base.catalogue import Catalogue, Indicator
from indicators.base.resources import bundled

YEARS = tuple(range(2019, 2025))
HISTORY = (2018, *YEARS)  # 2018 only to interpolate the 2019 quarters of stocks
DEFAULT_SEED = 2024
SEASON = np.array([0.21, 0.24, 0.25, 0.30])  # quarterly flows: share of the year's total
MONTHS = np.array([0.045, 0.055, 0.07, 0.08, 0.085, 0.085, 0.085, 0.085, 0.09, 0.10, 0.10, 0.12])
# Year-to-date share at the end of M02 … M12: January and February are published together (1–2月), so no M01.
YTD = np.cumsum(MONTHS)[1:] / MONTHS.sum()
BEIJING = (116.40, 39.90)  # the 京津冀 hub that DI-11 latency is measured to


def reference_dir() -> Path:
    return bundled("reference")


@dataclass(frozen=True)
class Spec:
    """How one indicator is simulated.
    sum:   annual value = driver × level × growth**(year − 2020) × regional factors (sd `spread` in logs)
    rate:  a path from `level` (2019) to `growth` (2024) plus regional offsets of sd `spread` (a rate reported only
           as a rate: its parts are not catalogued)
    ratio: `driver`'s value × clip(level × growth**(year − 2019) × a regional factor, *bounds*), in this series' own
           unit: the numerator or denominator of a derived ratio, so the ratio the engine computes follows the path
           (bounds default to 0 … cap: a part never exceeds its whole; PUE 1.12 … 1.65: total ≥ IT electricity)
    fixed: a total of `level` split once by the `driver` weights (villages, coal mines), constant over the years;
           driver "units": the league itself and its counties (DG-06b)
    """

    kind: str
    driver: str = "gdp"
    level: float = 0.0
    growth: float = 1.0
    spread: float = 0.3
    exp: int = -2
    smooth: bool = False  # small counts: keep each value within ±50 % of a year earlier (the ETL's YoY rule)
    start: int = YEARS[0]  # first year reported (DG-04 and DR-06 are 2024 initiatives)
    cap: float = 0.95
    bounds: tuple[float, float] | None = None  # rate: clip to these (default: 0.7 × the lower end … catalogue max)
    #                                            ratio: clip the factor to these (default: 0 … cap)


SPECS: dict[str, Spec] = {
    "CX-01": Spec("base", exp=-2),
    "CX-02": Spec("base", exp=-4),  # 1 person = 0.0001 万人: census counts stay exact
    "DI-01": Spec("sum", "pop", 6.2, 1.35, 0.25, 0),
    "DI-03b": Spec("fixed", "rural", 11000, exp=0),
    "DI-03a": Spec("ratio", "DI-03b", 0.25, 1.38, 0.12, 0, smooth=True, cap=0.98),
    "ID-12a": Spec("ratio", "DI-03b", 0.81, 1.065, 0.06, 0, cap=0.995),  # the 2022 target (95 %) is met in 2022
    "DI-04": Spec("sum", "pop", 0.02, 1.3, 0.3, -2),
    # Data centres: racks in use (DI-05) drive deliverable racks, computing power and electricity, so the derived
    # utilisation (DI-08 ≈ 41 → 58 % for the region, 2019 → 2024), PUE (DI-09 ≈ 1.46 → 1.28), green share
    # (DI-10 ≈ 20 → 66 %) and price (SM-05 ≈ 0.37 → 0.30 元/kWh) follow plausible paths at every level.
    "DI-05": Spec("sum", "dc", 8.0, 1.12, 0.05, -2),
    "DI-08b": Spec("ratio", "DI-05", 2.4, 0.93, 0.12, -2, bounds=(1 / 0.68, 1 / 0.32)),  # deliverable per rack in use
    # PFLOPS per 万架, growing with AI: about 16 000 (2020) → 78 000 (2024) against the 200 000 target for 2025
    "DI-06": Spec("sum", "DI-05", 2300.0, 1.32, 0.2, 0, smooth=True),
    "DI-07a": Spec("ratio", "DI-06", 0.32, 1.05, 0.1, 0, smooth=True, cap=0.9),
    # IT electricity, 万kWh per 万架 in use: 2.5 kW × 8760 h at about half load
    "DI-09b": Spec("ratio", "DI-05", 11000, 1.02, 0.05, 0, smooth=True, bounds=(8000, 16000)),
    "DI-09a": Spec("ratio", "DI-09b", 1.45, 0.974, 0.03, 0, bounds=(1.12, 1.65)),  # × PUE
    "DI-10a": Spec("ratio", "DI-09a", 0.19, 1.30, 0.15, 0, smooth=True, bounds=(0.21, 0.9)),  # × green share
    "DI-11": Spec("latency", level=4.0, growth=0.97, exp=-1),
    "DR-01": Spec("rate", level=62, growth=92, spread=5, exp=-1),
    "DR-02": Spec("sum", "pop", 0.3, 1.2, 0.4, 0, smooth=True),
    "DR-03": Spec("sum", "gdp", 0.00012, 1.2, 0.6, -4),
    "DR-04": Spec("sum", "gdp", 0.005, 1.15, 0.4, -2),
    "DR-05": Spec("sum", "gdp", 0.004, 1.25, 0.5, 0, smooth=True),
    "DR-06": Spec("sum", "gdp", 0.0015, 1.0, 0.5, 0, smooth=True, start=2024),
    "DP-01": Spec("sum", "gdp", 0.0195, 1.10, 0.3, -2),  # DP-02 1.8 % (2020) → 2.46 % (2024): target 2.5 % (2025)
    "DP-04": Spec("sum", "gdp", 0.6, 1.06, 0.3, 0, smooth=True),
    "DP-05": Spec("sum", "gdp", 0.025, 1.08, 0.3, -4),
    "DP-06": Spec("sum", "gdp", 3.7, 1.05, 0.3, 0, smooth=True),
    "DP-07": Spec("sum", "gdp", 0.004, 1.1, 0.5, -2),
    "DP-08": Spec("sum", "DI-05", 45.0, 1.15, 0.2, -2),  # 亿元 per 万架 of the league's data centres
    "DP-09": Spec("sum", "gdp", 0.007, 1.15, 0.8, 0, smooth=True),
    "ID-01": Spec("rate", level=23.5, growth=31, spread=4, exp=-1),
    "ID-02b": Spec("sum", "gdp", 0.85, 1.03, 0.2, 0),  # above-scale enterprises per 亿元
    "ID-02a": Spec("ratio", "ID-02b", 0.32, 1.126, 0.12, 0, cap=0.95),
    "ID-03": Spec("sum", "gdp", 0.7, 1.18, 0.4, 0, smooth=True),
    "ID-04": Spec("sum", "gdp", 0.0007, 1.15, 0.5, 0, smooth=True),
    "ID-05": Spec("rate", level=45, growth=60, spread=5, exp=-1),
    "ID-06b": Spec("fixed", "coal", 300, exp=0),
    "ID-06a": Spec("ratio", "ID-06b", 0.12, 1.45, 0.15, 0, smooth=True, cap=0.85),
    "ID-07": Spec("sum", "gdp", 0.004, 1.2, 0.6, 0, smooth=True),
    "ID-08": Spec("rate", level=22, growth=45, spread=5, exp=-1),
    "ID-10": Spec("sum", "gdp", 0.025, 1.1, 0.4, -4),
    "ID-11": Spec("sum", "gdp", 0.16, 1.1, 0.3, -2),
    "ID-13": Spec("sum", "gdp", 0.012, 1.15, 0.3, -2),
    "ID-14b": Spec("sum", "pop", 1.08, 0.99, 0.15, 0, smooth=True),  # schools per 万人
    "ID-14a": Spec("ratio", "ID-14b", 0.62, 1.087, 0.08, 0, smooth=True, cap=0.99),
    "ID-15": Spec("rate", level=2.8, growth=4.2, spread=0.4, exp=-2),
    "ID-16b": Spec("sum", "pop", 0.18, 1.02, 0.3, 0, smooth=True),  # A-grade scenic spots per 万人
    "ID-16a": Spec("ratio", "ID-16b", 0.32, 1.186, 0.2, 0, smooth=True, cap=0.98),
    "ID-17": Spec("sum", "pop", 0.00075, 1.1, 0.3, -4),
    "DG-01": Spec("rate", level=82, growth=98, spread=3, exp=-1),
    "DG-02": Spec("rate", level=42, growth=85, spread=6, exp=-1),
    "DG-03": Spec("sum", "pop", 0.22, 1.22, 0.1, -2),
    "DG-04": Spec("rate", level=12, growth=22, spread=4, exp=0, start=2024),
    "DG-05": Spec("rate", level=98.2, growth=99.6, spread=0.3, exp=-2),
    "DG-06b": Spec("fixed", "units", exp=0),
    "DG-06a": Spec("ratio", "DG-06b", 0.45, 1.173, 0.2, 0, smooth=True, cap=1.0),
    "DS-01b": Spec("sum", "gdp", 0.17, 1.06, 0.3, 0, smooth=True),  # filed level-3+ systems per 亿元
    "DS-01a": Spec("ratio", "DS-01b", 0.72, 1.062, 0.06, 0, cap=0.995),
    "DS-02": Spec("incidents", exp=0),
    "DS-03b": Spec("sum", "gdp", 0.035, 1.03, 0.3, 0, smooth=True),
    "DS-03a": Spec("ratio", "DS-03b", 0.38, 1.175, 0.15, 0, smooth=True, cap=0.98),
    "DS-04b": Spec("sum", "gdp", 0.045, 1.08, 0.3, 0, smooth=True),
    "DS-04a": Spec("ratio", "DS-04b", 0.32, 1.218, 0.18, 0, smooth=True, cap=0.98),
    "DS-05b": Spec("sum", "gdp", 0.012, 1.06, 0.3, -2),  # IT spending, 亿元 per 亿元 of GDP
    "DS-05a": Spec("ratio", "DS-05b", 0.06, 1.129, 0.2, -2, cap=0.3),
    "DS-06b": Spec("sum", "gdp", 0.25, 1.15, 0.4, 0, smooth=True),
    "DS-06a": Spec("ratio", "DS-06b", 0.42, 1.154, 0.12, 0, smooth=True, cap=0.99),
    "SM-01": Spec("sum", "pop", 0.02, 1.08, 0.3, -4),
    "SM-02": Spec("sum", "gdp", 0.001, 1.1, 0.4, -4),
    "SM-03": Spec("sum", "gdp", 0.02, 1.1, 0.3, -2),
    "SM-04": Spec("sum", "gdp", 0.012, 1.1, 0.5, -4),
    "SM-05a": Spec("ratio", "DI-09a", 0.38, 0.96, 0.05, 0, bounds=(0.25, 0.5)),  # 万元 = 万kWh × 元/kWh
    "SM-06": Spec("sum", "gdp", 0.2, 1.05, 0.5, 0),
    "SM-07a": Spec("sum", "gdp", 0.08, 1.12, 0.8, 0, smooth=True),
    "SM-08": Spec("sum", "gdp", 0.01, 1.06, 0.4, 0, smooth=True),
}
# Demo assumptions, not statistics: where data centres and coal mines are (relative weight per league).
DATA_CENTRES = {"150100": 35, "150900": 35, "150600": 10, "150200": 8, "150400": 3, "150500": 3, "150700": 2,
                "150800": 2, "152200": 1, "152500": 2, "150300": 1, "152900": 1}
COAL_MINES = {"150600": 40, "152500": 12, "150700": 12, "150500": 6, "150300": 8, "152900": 5, "150200": 3,
              "150400": 5, "150900": 2, "150100": 1, "150800": 2, "152200": 1}
# League values that deliberately differ from the sum of their counties (the ETL warns: reconciliation).
DISCREPANCIES = (("SM-06", "150200", "2022", 1.04), ("DP-05", "150500", "2021", 0.97),
                 ("SM-02", "150800", "2023", 1.05))
OMITTED = (("ID-08", "150125", "2021"),)  # a county leaves an indicator out for a year
NOT_REPORTED = (("SM-06", "150781", "2022"),)  # a county writes “—” (the ETL warns: not_reported)
MISSING_QUARTER = ("DI-04", "152200", "2023Q2")  # a league and its counties skip one quarter


def reference_values(cat: Catalogue, paths: list[Path] | None = None) -> dict[tuple[str, str, str], float]:
    """(indicator, region, period) → value in catalogue units, from the real-figure files via the ETL's reader."""
    out = {}
    for path in paths if paths is not None else sorted(reference_dir().glob("*.csv")):
        frame = normalise(to_long(read_sheet(SourceFile.open(path)), path.name), cat)
        for code, region, period, value in frame[["indicator_code", "region_code", "period", "value"]].itertuples(
                index=False):
            out[(code, region, period)] = float(value)
    return out


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer total in proportion to weights, exactly (largest remainder): 10 by [1, 1, 1] → [4, 3, 3]."""
    w = np.asarray(weights, dtype="float64")
    w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1 / len(w))
    raw = total * w
    base = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - base), kind="stable")
    base[order[: int(total - base.sum())]] += 1
    return base


def interpolate(points: dict[int, float], growth: float) -> np.ndarray:
    """Values over HISTORY: log-linear between known years, `growth` per year beyond them."""
    years = sorted(points)
    out = []
    for y in HISTORY:
        if y <= years[0]:
            out.append(points[years[0]] / growth ** (years[0] - y))
        elif y >= years[-1]:
            out.append(points[years[-1]] * growth ** (y - years[-1]))
        else:
            a = max(k for k in years if k <= y)
            b = min(k for k in years if k >= y)
            out.append(points[a] if a == b else points[a] * (points[b] / points[a]) ** ((y - a) / (b - a)))
    return np.array(out)


@dataclass
class Series:
    """Units (whole numbers, NaN = not reported) of one indicator per period at each level that reports it."""

    code: str
    periods: list[tuple[int, int]]
    exp: int
    county: np.ndarray | None = None
    league: np.ndarray | None = None
    region: np.ndarray | None = None


class Panel:
    """The regions, the league and county bases (GDP, population) and every simulated series."""

    def __init__(self, cat: Catalogue, seed: int, reference: dict[tuple[str, str, str], float]):
        self.cat, self.ref, self.rng = cat, reference, np.random.default_rng(seed)
        self.root = cat.regions.root.code
        self.leagues = [r.code for r in cat.regions.leagues()]
        self.counties = [r.code for r in cat.regions.counties()]
        self.parent = np.array([self.leagues.index(r.parent_code) for r in cat.regions.counties()])
        self.urban = urban = np.array([r.kind == "区" for r in cat.regions.counties()])
        self.pop_weight = self.rng.lognormal(0, 0.5, len(urban)) * np.where(urban, 1.5, 1.0)
        self.productivity = self.rng.lognormal(0, 0.3, len(urban)) * np.where(urban, 1.4, 1.0)
        self.drift = self.rng.normal(np.where(urban, 0.008, -0.008), 0.004)
        self.series: dict[str, Series] = {}
        self._weights: dict[str, np.ndarray] = {}
        self.annual: dict[str, np.ndarray] = {}  # continuous annual values over HISTORY, counties or leagues

    # ── bases ──
    def league_base(self, code: str, growth: float) -> np.ndarray:
        """League values over HISTORY: real where known, interpolated between, and where the region's real total
        is known the unknown leagues share what the known ones leave (so leagues add up to the region)."""
        spec = SPECS[code]
        out = np.zeros((len(self.leagues), len(HISTORY)))
        known = np.zeros_like(out, dtype=bool)
        for i, league in enumerate(self.leagues):
            points = {y: self.ref[(code, league, str(y))] for y in HISTORY if (code, league, str(y)) in self.ref}
            out[i] = interpolate(points, growth)
            known[i] = [y in points for y in HISTORY]
        shared = np.zeros(len(HISTORY), dtype=bool)
        for j, y in enumerate(HISTORY):
            total, free = self.ref.get((code, self.root, str(y))), ~known[:, j]
            if total is not None and free.any():
                out[free, j] *= (total - out[~free, j].sum()) / out[free, j].sum()
                shared[j] = True
        for i in range(len(self.leagues)):  # years open on both counts extend from the shared-out values too
            points = {y: out[i, j] for j, y in enumerate(HISTORY) if known[i, j] or shared[j]}
            out[i] = np.where(known[i] | shared, out[i], interpolate(points, growth))
        published = 10 ** max(-spec.exp - 2, 0)  # synthetic league figures carry 2 decimals, like real ones
        units = np.round(out * 10 ** -spec.exp / published) * published
        units = np.where(known, np.round(out * 10 ** -spec.exp), units).astype(np.int64)
        for j in np.flatnonzero(shared):  # rounding must not break the real total: CX-02 2024 is 2388, not 2388.01
            total, free = round(self.ref[(code, self.root, str(HISTORY[j]))] * 10 ** -spec.exp), ~known[:, j]
            rest = total - units[~free, j].sum()
            quantum = published if rest % published == 0 else 1
            units[free, j] = allocate(rest // quantum, out[free, j]) * quantum
        return units

    def county_shares(self, code: str) -> np.ndarray:
        """Each county's share of its league by year: population drifts to the districts (区)."""
        t = np.array(HISTORY) - 2020
        weight = self.pop_weight[:, None] * (1 + self.drift[:, None]) ** t
        if code == "CX-01":
            weight = weight * self.productivity[:, None]
        totals = np.zeros((len(self.leagues), len(HISTORY)))
        np.add.at(totals, self.parent, weight)
        return weight / totals[self.parent]

    def make_base(self, code: str) -> None:
        league = self.league_base(code, 1.04 if code == "CX-01" else 0.997)
        shares = self.county_shares(code)
        county = np.zeros((len(self.counties), len(HISTORY)), dtype=np.int64)
        for i in range(len(self.leagues)):
            rows = np.flatnonzero(self.parent == i)
            for j in range(len(HISTORY)):
                county[rows, j] = allocate(int(league[i, j]), shares[rows, j])
        self.annual[code] = county * 10.0 ** SPECS[code].exp
        self.series[code] = Series(code, [(y, 0) for y in YEARS], SPECS[code].exp, county[:, 1:].astype(float),
                                   league[:, 1:].astype(float))

    # ── helpers ──
    def to_leagues(self, values: np.ndarray) -> np.ndarray:
        out = np.zeros((len(self.leagues), *values.shape[1:]), dtype=values.dtype)
        np.add.at(out, self.parent, values)
        return out

    def driver(self, name: str, at_county: bool) -> np.ndarray:
        """Annual driver over HISTORY at county (or league) level."""
        if name == "gdp":  # the trend, not the year: digital series do not follow a coal boom (鄂尔多斯 2021 +33 %)
            values = trend(self.annual["CX-01"])
        elif name == "pop":
            values = self.annual["CX-02"]
        elif name == "dc":
            values = np.repeat(self.weights("dc")[:, None], len(HISTORY), axis=1)
        else:
            values = self.annual[name]
        return values if at_county else self.to_leagues(values)

    def weights(self, name: str) -> np.ndarray:
        """County weights of the fixed stocks: villages (rural population), data centres and coal mines."""
        if name == "rural":
            return self.pop_weight * np.where(self.urban, 0.15, 1.0)
        if name in self._weights:
            return self._weights[name]
        table = DATA_CENTRES if name == "dc" else COAL_MINES
        out = np.zeros(len(self.counties))
        for i, league in enumerate(self.leagues):
            rows = np.flatnonzero(self.parent == i)
            gdp = self.pop_weight[rows] * self.productivity[rows]
            chosen = rows[np.argsort(-gdp, kind="stable")[:2]] if name == "dc" else \
                rows[self.rng.permutation(len(rows))[: max(1, len(rows) // 2)]]
            out[chosen] = table[league] * self.rng.dirichlet(np.ones(len(chosen)))
        self._weights[name] = out / out.sum()
        return self._weights[name]

    def anchors(self, ind: Indicator, periods: list[tuple[int, int]]) -> list[tuple[str, int, float]]:
        """Real values of this indicator within the simulated periods: (region, period index, value)."""
        codes = [period_code(ind, y, s) for y, s in periods]
        return [(region, codes.index(period), value) for (code, region, period), value in self.ref.items()
                if code == ind.code and period in codes]


def trend(values: np.ndarray) -> np.ndarray:
    """Each row's log-linear least-squares trend over HISTORY."""
    t = np.array(HISTORY) - np.mean(HISTORY)
    logs = np.log(values)
    slope = (logs - logs.mean(axis=1, keepdims=True)) @ t / (t @ t)
    return np.exp(logs.mean(axis=1, keepdims=True) + slope[:, None] * t)


def period_code(ind: Indicator, year: int, sub: int) -> str:
    return periods.code(year, sub, ind.frequency)


def periods_of(ind: Indicator) -> list[tuple[int, int]]:
    subs = {"annual": [0], "quarterly": [1, 2, 3, 4], "monthly": list(range(2, 13))}[ind.frequency]
    return [(y, s) for y in YEARS for s in subs]


def expand(annual: np.ndarray, ind: Indicator) -> np.ndarray:
    """Annual values over HISTORY → values per period: stocks interpolate between year ends, flows take a seasonal
    share of the year, year-to-date series the cumulative share up to the month."""
    columns = []
    for y, s in periods_of(ind):
        now, before = annual[:, y - HISTORY[0]], annual[:, y - 1 - HISTORY[0]]
        if ind.frequency == "annual":
            columns.append(now)
        elif ind.measure == "stock":
            columns.append(before ** (1 - s / 4) * now ** (s / 4))
        elif ind.measure == "flow":
            columns.append(now * SEASON[s - 1])
        else:
            columns.append(now * YTD[s - 2])
    return np.column_stack(columns)


def cap_changes(units: np.ndarray, per_year: int, fixed: set[int]) -> np.ndarray:
    """Keep small counts within ±50 % of the same period a year earlier, outside the anchored periods."""
    out = units.copy()
    for t in range(per_year, out.shape[1]):
        if t in fixed:
            continue
        prev = out[:, t - per_year]
        high = np.where(prev > 0, np.floor(prev * 1.5), out[:, t])
        out[:, t] = np.clip(out[:, t], np.ceil(prev * 0.5), np.maximum(high, np.ceil(prev * 0.5)))
    return out
