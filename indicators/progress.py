"""Progress against targets — the Statistics Canada / Open SDG method, polarity-aware.

Observed growth CAGR_o = (y_t / y_0)^(1/(t − t_0)) − 1 from the base year; with a target T for year t_T the
required growth is CAGR_r = (T / y_0)^(1/(t_T − t_0)) − 1 and R = CAGR_o / CAGR_r:
achieved (target met) · on_track R ≥ 0.95 · needs_acceleration 0.6 ≤ R < 0.95 · limited_progress 0 ≤ R < 0.6 ·
deteriorating R < 0. Without a target the CAGR in the desired direction is banded at 1.5 % / 0.5 % / 0.
Fewer than two data points → insufficient_data; context indicators → not_assessed. Thresholds: settings.toml.
Worked example: y_0 = 100 (2020), y_t = 121 (2022), T = 150 (2025): CAGR_o = 10 %, CAGR_r = 8.4 %, R = 1.19 →
on_track.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from indicators.catalogue import Catalogue, Target
from indicators.query import cagr, values
from indicators.settings import Progress

STATUSES = ("achieved", "on_track", "needs_acceleration", "limited_progress", "deteriorating", "insufficient_data",
            "not_assessed")
STATUS_ZH = {"achieved": "已实现", "on_track": "进展顺利", "needs_acceleration": "需加快", "limited_progress": "进展有限",
             "deteriorating": "趋势恶化", "insufficient_data": "数据不足", "not_assessed": "不评估（背景指标）"}
STATUS_EN = {"achieved": "Achieved", "on_track": "On track", "needs_acceleration": "Needs acceleration",
             "limited_progress": "Limited progress", "deteriorating": "Deteriorating",
             "insufficient_data": "Insufficient data", "not_assessed": "Not assessed (context)"}


def status_label(status: str, lang: str = "zh") -> str:
    return (STATUS_EN if lang == "en" else STATUS_ZH).get(status, status)


@dataclass(frozen=True)
class Assessment:
    status: str
    ratio: float = math.nan  # R
    cagr_observed: float = math.nan
    cagr_required: float = math.nan
    reason: str = ""


def _band(r: float, p: Progress) -> str:
    if r >= p.on_track:
        return "on_track"
    if r >= p.needs_acceleration:
        return "needs_acceleration"
    return "limited_progress" if r >= 0 else "deteriorating"


def assess(y0: float, t0: int, yt: float, t: int, polarity: str, target: Target | None, p: Progress) -> Assessment:
    """The status of one series; a pure function, hand-checkable against the worked example above."""
    if polarity == "context":
        return Assessment("not_assessed", reason="context indicator")
    lower = polarity == "lower_is_better"
    if target is not None:
        lower = target.comparison == "<="
        met = yt <= target.value if lower else yt >= target.value
        if met:
            return Assessment("achieved", cagr_observed=cagr(y0, yt, t - t0), reason="target met")
    if any(math.isnan(v) for v in (y0, yt)) or t <= t0:
        return Assessment("insufficient_data", reason="fewer than two data points")
    observed = cagr(y0, yt, t - t0)
    if math.isnan(observed):
        return Assessment("insufficient_data", reason="growth undefined for non-positive values")
    if target is None:
        desired = -observed if lower else observed
        status = ("on_track" if desired >= p.no_target_high else "needs_acceleration" if desired >= p.no_target_mid
                  else "limited_progress" if desired >= 0 else "deteriorating")
        return Assessment(status, cagr_observed=observed, reason="no target: CAGR bands")
    required = cagr(y0, target.value, target.year - t0)
    if math.isnan(required) or required == 0 or (required < 0) != lower:
        # the target is no further from the base than the base itself in the desired direction, yet not met now
        return Assessment("deteriorating", cagr_observed=observed, cagr_required=required,
                          reason="moved away from a target that the base year already met")
    ratio = observed / required
    return Assessment(_band(ratio, p), ratio=ratio, cagr_observed=observed, cagr_required=required)


def choose_target(targets: list[Target], year: int) -> Target | None:
    """The nearest target year at or after the evaluation year, else the latest one (kind 'target' only)."""
    own = sorted((t for t in targets if t.kind == "target"), key=lambda t: t.year)
    ahead = [t for t in own if t.year >= year]
    return ahead[0] if ahead else (own[-1] if own else None)


def _endpoints(frame: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """Per indicator and region: the latest value, and the first value at or after the base year."""
    frame = frame.sort_values("year")
    key = ["indicator_code", "region_code"]
    latest = frame.groupby(key).tail(1).set_index(key)
    first = frame[frame["year"] >= base_year].groupby(key).head(1).set_index(key)
    out = latest[["region_level", "year", "value", "status"]].rename(
        columns={"year": "latest_year", "value": "latest_value", "status": "latest_status"})
    out = out.join(first[["year", "value"]].rename(columns={"year": "base_year", "value": "base_value"}))
    out["synthetic"] = frame.groupby(key)["synthetic"].any()
    return out.sort_index().reset_index()


def progress(con: duckdb.DuckDBPyConnection, cat: Catalogue, year: int, p: Progress,
             regions: Sequence[str] = (), indicators: Sequence[str] = (), level: str | None = None) -> pd.DataFrame:
    """One row per indicator and region: base and latest values, target, CAGRs, R and status for `year`.
    Read from the table precomputed at publish when it was computed with these parameters."""
    from indicators import precompute

    if precompute.stored(con, precompute.PROGRESS_TABLE, p, year):
        return con.execute(
            f"""SELECT * EXCLUDE (year) FROM {precompute.PROGRESS_TABLE}
                WHERE year = $year AND (len($ind) = 0 OR list_contains($ind, indicator_code))
                  AND (len($reg) = 0 OR list_contains($reg, region_code))
                  AND ($level IS NULL OR region_level = $level)
                ORDER BY indicator_code, region_code""",
            {"year": year, "ind": list(indicators), "reg": list(regions), "level": level}).df()
    return compute(con, cat, year, p, regions, indicators, level)


def compute(con: duckdb.DuckDBPyConnection, cat: Catalogue, year: int, p: Progress,
            regions: Sequence[str] = (), indicators: Sequence[str] = (), level: str | None = None) -> pd.DataFrame:
    # the method looks at the base year onwards: a series that stopped before it has nothing to assess
    frame = values(con, indicators, regions, level=level, years=(min(p.base_year, year), year))
    frame = frame[frame["complete"]]
    if frame.empty:
        return pd.DataFrame()
    ends = _endpoints(frame, p.base_year)
    targets: dict[tuple[str, str], list[Target]] = {}
    for t in cat.targets:
        targets.setdefault((t.indicator_code, t.region_code), []).append(t)
    rows = []
    for r in ends.itertuples(index=False):
        ind = cat.indicators.get(r.indicator_code)
        if ind is None:
            continue
        own = targets.get((r.indicator_code, r.region_code), [])
        target = choose_target(own, int(r.latest_year))
        benchmark = next((t for t in own if t.kind == "benchmark"), None)
        has_base = pd.notna(r.base_year) and r.base_year < r.latest_year
        a = assess(float(r.base_value) if has_base else math.nan, int(r.base_year) if has_base else 0,
                   float(r.latest_value), int(r.latest_year), ind.polarity, target, p)
        rows.append({
            "indicator_code": r.indicator_code, "region_code": r.region_code, "region_level": r.region_level,
            "chapter": ind.chapter, "polarity": ind.polarity,
            "base_year": int(r.base_year) if pd.notna(r.base_year) else None,
            "base_value": float(r.base_value) if pd.notna(r.base_value) else None,
            "latest_year": int(r.latest_year), "latest_value": float(r.latest_value), "latest_status": r.latest_status,
            "synthetic": bool(r.synthetic),
            "target_year": target.year if target else None, "target_value": target.value if target else None,
            "target_comparison": target.comparison if target else None,
            "target_provenance": target.provenance if target else None,
            "benchmark_value": benchmark.value if benchmark else None,
            "cagr_observed": a.cagr_observed, "cagr_required": a.cagr_required, "ratio": a.ratio,
            "status": a.status, "reason": a.reason,
        })
    return pd.DataFrame(rows)
