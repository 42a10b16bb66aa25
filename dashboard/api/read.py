"""The read endpoints of /api/v1 (docs/api.md): the catalogue, the regions, observations, progress, the composite
index and the release calendar — each a table read through the dashboard's cached engine calls (dashboard.data),
from the public warehouse unless an analyst's token asks for preliminary values.

    GET /api/v1/observations?indicator=DI-01,DI-02&level=league&from=2022&to=2023&format=csv&limit=500
"""

from __future__ import annotations

import flask
import numpy as np
import pandas as pd

from dashboard import data
from dashboard.api import http
from dashboard.api.params import FREQUENCIES, LEVELS, ApiError, Query, period_span
from indicators.base.releases import BEIJING, load_calendar

blueprint = flask.Blueprint("api_read", __name__)

OBSERVATION_COLUMNS = ["indicator_code", "region_code", "region_level", "period", "frequency", "year", "value",
                       "unit", "obs_status", "status", "coverage_n", "coverage_total", "complete", "ytd_through", "synthetic",
                       "revised", "source"]
PROGRESS_COLUMNS = ["year", "indicator_code", "region_code", "region_level", "chapter", "polarity", "status",
                    "reason", "base_year", "base_value", "latest_year", "latest_value", "target_year",
                    "target_value", "target_comparison", "target_provenance", "benchmark_value", "cagr_observed",
                    "cagr_required", "ratio", "synthetic"]
INDEX_COLUMNS = ["year", "region_code", "region_name_zh", "region_name_en", "chapter", "kind", "score", "rank",
                 "coverage", "n", "n_total", "synthetic"]
RELEASE_COLUMNS = ["release_id", "status", "kind", "title_zh", "title_en", "periods", "scheduled_at", "released_at"]
FREQUENCY_ORDER = {f: i for i, f in enumerate(FREQUENCIES)}


@blueprint.get("/indicators")
def indicators():
    query = Query(flask.request.args, ("indicator", "chapter", "frequency"))
    cat = data.catalogue()
    codes = set(query.indicators(cat))
    chapter = query.integer("chapter", 0, 0, 99) or None
    frequency = query.choice("frequency", FREQUENCIES)
    rows = [{"code": i.code, "name_zh": i.name_zh, "name_en": i.name_en, "unit_zh": i.unit,
             "unit_en": i.unit_label("en"), "chapter": i.chapter, "articles": list(i.articles),
             "frequency": i.frequency, "measure": i.measure, "polarity": i.polarity, "decimals": i.decimals,
             "aggregation": i.aggregation, "levels": list(i.levels), "department_zh": i.department,
             "department_en": i.department_label("en"), "definition_zh": i.definition_zh,
             "definition_en": i.definition_en, "min": i.min, "max": i.max, "in_index": i.in_index}
            for i in cat.indicators.values()
            if (not codes or i.code in codes) and chapter in (None, i.chapter)
            and frequency in (None, i.frequency)]
    return http.answer(query, lambda: pd.DataFrame(rows), "indicators")


@blueprint.get("/regions")
def regions():
    query = Query(flask.request.args, ("region", "level", "parent"))
    cat = data.catalogue()
    codes = set(query.regions(cat))
    level = query.choice("level", LEVELS)
    parent = (query.regions(cat, "parent") or (None,))[0]
    rows = [{"code": r.code, "name_zh": r.name_zh, "name_en": r.name_en, "level": r.level, "kind": r.kind,
             "parent": r.parent_code, "lon": r.lon, "lat": r.lat}
            for r in cat.regions.by_code.values()
            if (not codes or r.code in codes) and level in (None, r.level) and parent in (None, r.parent_code)]
    return http.answer(query, lambda: pd.DataFrame(rows), "regions")


@blueprint.get("/observations")
def observations():
    query = Query(flask.request.args, ("indicator", "region", "level", "from", "to", "frequency"))
    cat = data.catalogue()
    codes, units = query.indicators(cat), query.regions(cat)
    level, frequency = query.choice("level", LEVELS), query.choice("frequency", FREQUENCIES)
    span = period_span(query.period("from"), query.period("to"))

    def fetch() -> pd.DataFrame:
        years = None if span is None else ((span[0] - 1) // 12, min((span[1] - 1) // 12, 9999))
        frame = data.values(codes, units, (), level, frequency, years)
        if span is not None:
            start, end = _months(frame)
            frame = frame[(start >= span[0]) & (end <= span[1])]
        order = frame.assign(_f=frame["frequency"].map(FREQUENCY_ORDER))
        frame = frame.loc[order.sort_values(["indicator_code", "region_code", "year", "_f", "sub"],
                                            kind="mergesort").index]
        units_of = {c: i.unit for c, i in cat.indicators.items()}
        return frame.assign(unit=frame["indicator_code"].map(units_of))[OBSERVATION_COLUMNS].reset_index(drop=True)

    return http.answer(query, fetch, "observations")


def _months(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The first and last month of each row's period as year*12+month: 2023Q2 → (…+4, …+6)."""
    size = frame["frequency"].map({"annual": 12, "quarterly": 3, "monthly": 1}).astype(int)
    first = np.where(frame["frequency"] == "annual", 1, (frame["sub"].astype(int) - 1) * size + 1)
    start = frame["year"].astype(int) * 12 + first
    return start, start + size - 1


def _year(query: Query) -> int:
    """?year=, else the latest year with data; a year without data is a 400 naming the years there are."""
    years = data.data_years()
    year = query.year()
    if year is None:
        if not years:
            raise ApiError(404, "数据仓库中尚无数据", "the warehouse holds no data yet")
        return years[-1]
    if year not in years:
        span = f"{years[0]}–{years[-1]}" if years else "—"
        raise ApiError(400, f"{year} 年没有数据（有数据的年份：{span}）", f"no data for year {year} (years with data: {span})")
    return year


@blueprint.get("/progress")
def progress():
    query = Query(flask.request.args, ("year", "region", "indicator", "level"))
    cat = data.catalogue()
    codes, units, level = query.indicators(cat), query.regions(cat), query.choice("level", LEVELS)
    query.year()  # checked before the warehouse is read

    def fetch() -> pd.DataFrame:
        year = _year(query)
        frame = data.progress(year, units, codes, level).assign(year=year)
        frame = frame.sort_values(["indicator_code", "region_code"], kind="mergesort")
        return frame[[c for c in PROGRESS_COLUMNS if c in frame]].reset_index(drop=True)

    return http.answer(query, fetch, "progress")


@blueprint.get("/index")
def index():
    query = Query(flask.request.args, ("year",))
    query.year()

    def fetch() -> pd.DataFrame:
        year = _year(query)
        frame = data.index_scores(year, (), "zh")
        names = data.catalogue().regions.by_code
        frame = frame.assign(year=year, kind=np.where(frame["chapter"] == 0, "composite", "chapter"),
                             region_name_zh=frame["region_code"].map(lambda c: names[c].name_zh),
                             region_name_en=frame["region_code"].map(lambda c: names[c].name_en))
        frame = frame.sort_values(["chapter", "rank", "region_code"], kind="mergesort", na_position="last")
        return frame[INDEX_COLUMNS].reset_index(drop=True)

    return http.answer(query, fetch, "index")


@blueprint.get("/releases")
def releases():
    query = Query(flask.request.args, ("status",))
    status = query.choice("status", ("released", "upcoming"))

    def fetch() -> pd.DataFrame:
        done = data.releases_done()
        calendar = {r.release_id: r for r in load_calendar()}
        rows = [{"release_id": r["release_id"], "status": "released", "kind": r["kind"], "title_zh": r["title_zh"],
                 "title_en": r["title_en"], "periods": _periods(calendar.get(r["release_id"])),
                 "scheduled_at": _beijing(r["scheduled_at"]), "released_at": _beijing(r["released_at"])}
                for r in done.to_dict("records")]
        carried = set(done["release_id"])
        rows += [{"release_id": r.release_id, "status": "upcoming", "kind": "release", "title_zh": r.title_zh,
                  "title_en": r.title_en, "periods": list(r.periods), "scheduled_at": _beijing(r.at),
                  "released_at": None} for r in calendar.values() if r.release_id not in carried]
        frame = pd.DataFrame(rows, columns=RELEASE_COLUMNS)
        return frame if status is None else frame[frame["status"] == status].reset_index(drop=True)

    return http.answer(query, fetch, "releases")


def _periods(release) -> list[str]:
    return list(release.periods) if release is not None else []


def _beijing(ts) -> str | None:
    """A UTC time of the warehouse or the calendar in Beijing time, ISO 8601: '2025-06-30T09:30:00+08:00'."""
    if ts is None or pd.isna(ts):
        return None
    return pd.Timestamp(ts).tz_localize("UTC").tz_convert(BEIJING).isoformat(timespec="seconds")
