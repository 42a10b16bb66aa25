"""Progress against targets — the Statistics Canada / Open SDG method, polarity-aware.

Observed growth CAGR_o = (y_t / y_0)^(1/(t − t_0)) − 1 from the base year; with a target T for year t_T the
required growth is CAGR_r = (T / y_0)^(1/(t_T − t_0)) − 1 and R = CAGR_o / CAGR_r:
achieved (target met) · on_track R ≥ 0.95 · needs_acceleration 0.6 ≤ R < 0.95 · limited_progress 0 ≤ R < 0.6 ·
deteriorating R < 0. Without a target the CAGR in the desired direction is banded at 1.5 % / 0.5 % / 0.
Fewer than two data points → insufficient_data; context indicators → not_assessed. Thresholds: settings.toml.
Worked example: y_0 = 100 (2020), y_t = 121 (2022), T = 150 (2025): CAGR_o = 10 %, CAGR_r = 8.4 %, R = 1.19 →
on_track.

Natural limits (Indicator.natural_limit: 100 % for a share, the top grade, PUE's floor of 1): a value at the limit
is achieved, and without a target the growth bands shrink as the base nears the limit, as Open SDG does —
thresholds × (1 − (y_0 / L)^4.44), so a share that rose from 99.5 % to 99.8 % is judged on the 0.5 point that was
left, not against 1.5 % a year (99.5 % → coefficient 0.022). Only `kind = target` rows set a status; benchmarks
(national figures, rules for a part such as new data centres) are shown for reference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from indicators.base.catalogue import Catalogue, Target
from indicators.base.settings import Progress
from indicators.engine.query import cagr, endpoints

STATUSES = ("achieved", "on_track", "needs_acceleration", "limited_progress", "deteriorating", "insufficient_data",
            "not_assessed")
BEHIND = ("needs_acceleration", "limited_progress", "deteriorating")  # statuses that need attention
STATUS_ZH = {"achieved": "已实现", "on_track": "进展顺利", "needs_acceleration": "需加快", "limited_progress": "进展有限",
             "deteriorating": "趋势恶化", "insufficient_data": "数据不足", "not_assessed": "不评估（背景指标）"}
STATUS_EN = {"achieved": "Achieved", "on_track": "On track", "needs_acceleration": "Needs acceleration",
             "limited_progress": "Limited progress", "deteriorating": "Deteriorating",
             "insufficient_data": "Insufficient data", "not_assessed": "Not assessed (context)"}


def status_label(status: str, lang: str = "zh") -> str:
    return (STATUS_EN if lang == "en" else STATUS_ZH).get(status, status)


LIMIT_EXPONENT = 4.44  # Open SDG's shape of the threshold reduction near a natural limit


@dataclass(frozen=True)
class Assessment:
    status: str
    ratio: float = math.nan  # R
    cagr_observed: float = math.nan
    cagr_required: float = math.nan
    reason: str = ""
    coefficient: float = 1.0  # the growth bands' scale near a natural limit (1: no limit, or far from it)


def limit_coefficient(y0: float, limit: float | None) -> float:
    """Open SDG: 1 − (y_0/L)^4.44 below the limit (1 − ((2L − y_0)/L)^4.44 between L and 2L, for a floor approached
    from above such as PUE's 1.0); 1 without a limit or far from it. Example: y_0 = 99.5, L = 100 → 0.022."""
    if limit is None or limit == 0 or math.isnan(y0):
        return 1.0
    base, bound = abs(y0), abs(limit)
    if base <= bound:
        return 1 - (base / bound) ** LIMIT_EXPONENT
    if base <= 2 * bound:
        return 1 - ((2 * bound - base) / bound) ** LIMIT_EXPONENT
    return 1.0


def at_limit(yt: float, limit: float | None, polarity: str, tolerance: float = 0.0) -> bool:
    """The latest value has reached the natural limit in the desired direction (within the display rounding)."""
    if limit is None or math.isnan(yt):
        return False
    return yt >= limit - tolerance if polarity == "higher_is_better" else yt <= limit + tolerance


def _band(r: float, p: Progress) -> str:
    if r >= p.on_track:
        return "on_track"
    if r >= p.needs_acceleration:
        return "needs_acceleration"
    return "limited_progress" if r >= 0 else "deteriorating"


def assess(y0: float, t0: int, yt: float, t: int, polarity: str, target: Target | None, p: Progress,
           limit: float | None = None, tolerance: float = 0.0) -> Assessment:
    """The status of one series; a pure function, hand-checkable against the worked examples above. `limit` is
    the indicator's natural limit, `tolerance` half a unit of its last shown decimal (100.00 % is at the limit)."""
    if polarity == "context":
        return Assessment("not_assessed", reason="context indicator")
    lower = polarity == "lower_is_better"
    if target is not None:
        lower = target.comparison == "<="
        met = yt <= target.value if lower else yt >= target.value
        if met:
            return Assessment("achieved", cagr_observed=cagr(y0, yt, t - t0), reason="target met")
    if at_limit(yt, limit, polarity, tolerance):
        return Assessment("achieved", cagr_observed=cagr(y0, yt, t - t0), reason="at the natural limit")
    if any(math.isnan(v) for v in (y0, yt)) or t <= t0:
        return Assessment("insufficient_data", reason="fewer than two data points")
    observed = cagr(y0, yt, t - t0)
    if math.isnan(observed):
        return Assessment("insufficient_data", reason="growth undefined for non-positive values")
    if target is None:
        k = limit_coefficient(y0, limit)
        desired = -observed if lower else observed
        status = ("on_track" if desired >= p.no_target_high * k else "needs_acceleration"
                  if desired >= p.no_target_mid * k else "limited_progress" if desired >= 0 else "deteriorating")
        return Assessment(status, cagr_observed=observed, coefficient=k,
                          reason="no target: CAGR bands" + (" scaled to the distance left to the natural limit"
                                                            if k < 1 else ""))
    required = cagr(y0, target.value, target.year - t0)
    if math.isnan(required) or required == 0 or (required < 0) != lower:
        # the target is no further from the base than the base itself in the desired direction, yet not met now
        return Assessment("deteriorating", cagr_observed=observed, cagr_required=required,
                          reason="moved away from a target that the base year already met")
    ratio = observed / required
    return Assessment(_band(ratio, p), ratio=ratio, cagr_observed=observed, cagr_required=required)


def choose_target(targets: list[Target], year: int) -> Target | None:
    """The nearest target year at or after the evaluation year, else the latest one (kind 'target' only)."""
    own = sorted((t for t in targets if t.is_target), key=lambda t: t.year)
    ahead = [t for t in own if t.year >= year]
    return ahead[0] if ahead else (own[-1] if own else None)


def compute(con: duckdb.DuckDBPyConnection, cat: Catalogue, year: int, p: Progress,
            regions: Sequence[str] = (), indicators: Sequence[str] = (), level: str | None = None) -> pd.DataFrame:
    """One row per indicator and region: base and latest values, target, CAGRs, R and status in `year`."""
    return assess_all(endpoints(con, [year], p.base_year, indicators, regions, level), cat, p, with_year=False)


def compute_years(con: duckdb.DuckDBPyConnection, cat: Catalogue, years: Sequence[int], p: Progress,
                  indicators: Sequence[str] = ()) -> pd.DataFrame:
    """compute() for several years at once, with a `year` column (what precompute stores)."""
    return assess_all(endpoints(con, years, p.base_year, indicators), cat, p, with_year=True)


COLUMNS = ("indicator_code", "region_code", "region_level", "chapter", "polarity", "base_year", "base_value",
           "latest_year", "latest_value", "latest_status", "synthetic", "target_year", "target_value",
           "target_comparison", "target_provenance", "benchmark_value", "cagr_observed", "cagr_required", "ratio",
           "status", "reason", "coefficient", "target_verification")


def assess_all(ends: list[tuple], cat: Catalogue, p: Progress, with_year: bool) -> pd.DataFrame:
    """assess() for every row of query.endpoints(): the method looks at the base year onwards (a series that stopped
    before it has nothing to assess), choosing each series' target and benchmark. One row per series (COLUMNS)."""
    targets: dict[tuple[str, str], list[Target]] = {}
    for t in cat.targets:
        targets.setdefault((t.indicator_code, t.region_code), []).append(t)
    out: dict[str, list] = {name: [] for name in (("year",) if with_year else ()) + COLUMNS}
    for (year, code, region, region_level, latest_year, latest_value, latest_status, base_year, base_value,
         synthetic) in ends:
        ind = cat.indicators.get(code)
        if ind is None:
            continue
        own = targets.get((code, region), [])
        target = choose_target(own, latest_year) if own else None
        benchmark = next((t for t in own if t.kind == "benchmark"), None)
        has_base = base_year is not None and base_year < latest_year
        a = assess(base_value if has_base else math.nan, base_year if has_base else 0, latest_value, latest_year,
                   ind.polarity, target, p, limit=ind.natural_limit, tolerance=0.5 * 10 ** -ind.decimals)
        row = (code, region, region_level, ind.chapter, ind.polarity, base_year, base_value, latest_year, latest_value,
               latest_status, bool(synthetic), target.year if target else None, target.value if target else None,
               target.comparison if target else None, target.provenance if target else None,
               benchmark.value if benchmark else None, a.cagr_observed, a.cagr_required, a.ratio, a.status, a.reason,
               a.coefficient, target.verification if target else None)
        if with_year:
            out["year"].append(year)
        for name, value in zip(COLUMNS, row, strict=True):
            out[name].append(value)
    if not out["indicator_code"]:
        return pd.DataFrame()
    frame = pd.DataFrame(out)
    frame["base_year"] = frame["base_year"].astype("Int64")  # a year, absent where no value since the base year
    return frame


# ── one sentence per status ──────────────────────────────────────────────────────────────────────────

NEAR_LIMIT = 0.95  # a coefficient below this is worth saying (the bands are noticeably narrower)


def _number(value: float, decimals: int, unit: str) -> str:
    shown = f"{value:,.{decimals}f}"
    return f"{shown}{unit}" if unit == "%" else shown if unit == "ratio" else f"{shown} {unit}".rstrip()


def status_sentence(row, cat: Catalogue, p: Progress, lang: str = "zh") -> str:
    """Why a status is what it is, in one sentence: base value and year, latest value, observed and required
    growth, the target and who set it (or the bands used without a target, scaled near a natural limit).
    `row` is a row of progress() as a mapping. Example (en): 'On track: from 62.3 in 2020 to 98.1 in 2024, +12.0 %
    a year; the 2025 target ≥ 120 (…; source: S18 … (a repost of a report)) needs +11.3 % a year, R = 1.06 ≥ 0.95.'"""
    get = row.get if hasattr(row, "get") else lambda k, d=None: getattr(row, k, d)
    ind = cat.indicator(get("indicator_code"))
    zh = lang != "en"
    status, label = get("status"), status_label(get("status"), lang)
    latest = _number(float(get("latest_value")), ind.decimals, ind.unit_label(lang))
    latest_year = int(get("latest_year"))
    if status == "not_assessed":
        return f"{label}：背景指标，只作分母和参照。" if zh else f"{label}: a context indicator (a denominator)."
    base_year, base_value = get("base_year"), get("base_value")
    has_base = base_year is not None and not pd.isna(base_year) and int(base_year) < latest_year
    base = _number(float(base_value), ind.decimals, ind.unit_label(lang)) if has_base else ""
    growth = get("cagr_observed")
    path = ((f"自{int(base_year)}年的{base}到{latest_year}年的{latest}，年均" + _pct(growth, zh)) if zh else
            f"from {base} in {int(base_year)} to {latest} in {latest_year}, {_pct(growth, zh)} a year") if has_base \
        else (f"{latest_year}年为{latest}" if zh else f"{latest} in {latest_year}")
    if status == "insufficient_data":
        return (f"{label}：{p.base_year}年以来只有一个可比数据点（{path}）。" if zh else
                f"{label}: only one comparable value since {p.base_year} ({path}).")
    target = _target_of(get, cat)
    if status == "achieved" and get("reason") == "at the natural limit":
        limit = _number(ind.natural_limit, ind.decimals, ind.unit_label('zh' if zh else 'en'))
        return (f"{label}：{latest_year}年为{latest}，已达到自然极限{limit}。" if zh else
                f"{label}: {latest} in {latest_year}, at its natural limit of {limit}.")
    sentence = (_with_target(label, status, path, target, ind, get, p, zh) if target is not None
                else _without_target(label, status, path, ind, get, p, zh))
    return sentence + _benchmark(get, cat, ind, zh)


def _benchmark(get, cat: Catalogue, ind, zh: bool) -> str:
    """A benchmark is named after the status, never used for it."""
    mark = next((t for t in cat.targets_for(get("indicator_code"), get("region_code")) if not t.is_target), None)
    if mark is None:
        return ""
    sign = {">=": "≥", "<=": "≤"}.get(mark.comparison, mark.comparison)
    value = _number(mark.value, ind.decimals, ind.unit_label('zh' if zh else 'en'))
    note = mark.note_zh if zh else mark.note_en
    return (f"参照（不判定进度）：{mark.year}年{sign}{value}，{note}。" if zh else
            f" For reference (not used for the status): {sign} {value} by {mark.year}; {note}.")


def _pct(value, zh: bool) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value:+.1%}"


def _target_of(get, cat: Catalogue) -> Target | None:
    if get("target_value") is None or pd.isna(get("target_value")):
        return None
    return next((t for t in cat.targets_for(get("indicator_code"), get("region_code"))
                 if t.is_target and t.year == get("target_year") and t.value == get("target_value")), None)


def _with_target(label: str, status: str, path: str, target: Target, ind, get, p: Progress, zh: bool) -> str:
    sign = {">=": "≥", "<=": "≤"}.get(target.comparison, target.comparison)
    goal = f"{target.year}年目标{sign}{_number(target.value, ind.decimals, ind.unit_label('zh' if zh else 'en'))}" if zh else \
        f"the {target.year} target {sign} {_number(target.value, ind.decimals, ind.unit_label('zh' if zh else 'en'))}"
    caution = target.verification_note("zh" if zh else "en")
    who = target.citation("zh" if zh else "en") + (f"，{caution}" if zh and caution else f", {caution}" if caution else "")
    if status == "achieved":
        return f"{label}：{path}，已达到{goal}（{who}）。" if zh else f"{label}: {path}, meeting {goal} ({who})."
    ratio, required = get("ratio"), get("cagr_required")
    if ratio is None or pd.isna(ratio):
        return (f"{label}：{path}；基期已满足{goal}，其后偏离（{who}）。" if zh else
                f"{label}: {path}; the base year already met {goal} and the series moved away from it ({who}).")
    band = _band_text(float(ratio), p, zh)
    return (f"{label}：{path}；实现{goal}需年均{_pct(required, zh)}，R = {ratio:.2f}{band}（{who}）。" if zh else
            f"{label}: {path}; {goal} needs {_pct(required, zh)} a year, R = {ratio:.2f}{band} ({who}).")


def _band_text(ratio: float, p: Progress, zh: bool) -> str:
    if ratio >= p.on_track:
        return f" ≥ {p.on_track:g}"
    if ratio >= p.needs_acceleration:
        return f"，介于{p.needs_acceleration:g}与{p.on_track:g}之间" if zh else \
            f", between {p.needs_acceleration:g} and {p.on_track:g}"
    return f" < {p.needs_acceleration:g}" if ratio >= 0 else " < 0"


def _without_target(label: str, status: str, path: str, ind, get, p: Progress, zh: bool) -> str:
    k = get("coefficient")
    k = 1.0 if k is None or pd.isna(k) else float(k)
    high, mid = p.no_target_high * k, p.no_target_mid * k
    direction = ("越低越好，按下降幅度判断" if zh else "lower is better, judged by the fall") \
        if ind.polarity == "lower_is_better" else ("越高越好" if zh else "higher is better")
    if zh:
        scaled = f"；接近自然极限{_number(ind.natural_limit, ind.decimals, ind.unit_label('zh' if zh else 'en'))}，阈值按剩余距离缩放（×{k:.3f}）" \
            if k < NEAR_LIMIT else ""
        return (f"{label}：无目标值（{direction}）；{path}；按年均增速分档：≥{high:.2%}进展顺利，≥{mid:.2%}需加快，"
                f"≥0进展有限{scaled}。")
    scaled = (f"; near its natural limit of {_number(ind.natural_limit, ind.decimals, ind.unit_label('zh' if zh else 'en'))}, the bands are "
              f"scaled to the distance left (×{k:.3f})") if k < NEAR_LIMIT else ""
    return (f"{label}: no target ({direction}); {path}; bands on the yearly growth: ≥ {high:.2%} on track, "
            f"≥ {mid:.2%} needs acceleration, ≥ 0 limited progress{scaled}.")
