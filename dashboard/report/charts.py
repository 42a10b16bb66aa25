"""The report's charts: the dashboard's own figure builders (dashboard.figures) applied to the report's data,
each named for the layout and keyed for the renderer (a chart identical in every report of a run, like the
league map, is rendered once). Rendering itself is dashboard.report.renderer. Every chart is drawn in the report's
language (the builders' `lang`), and the language is part of every picture's key.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import figures, numbers
from dashboard.i18n import t
from dashboard.report import maplabels
from dashboard.report.content import Report, target_for
from dashboard.report.renderer import WIDTH_PX, Chart
from dashboard.report.texts import say
from dashboard.style import FONT_FAMILY
from indicators.base.catalogue import Catalogue
from indicators.engine.composite import SCORE_DECIMALS

MAP_HEIGHT = 660  # CSS px at WIDTH_PX wide: room for the whole region, its labels and the colour bar


def report_charts(report: Report, cat: Catalogue) -> dict[str, Chart]:
    """Every chart of one report by name, in the order the document places them ('status', 'index', 'trend<n>',
    'rank<n>', 'map'), each with the key of its picture: the index chart and the map are the same in every report
    of a run, so they render once."""
    lang = report.lang
    data = f"{report.published_at}|{report.spec.year}|{report.spec.quarter}|{report.spec.annual_year}|{lang}"
    mine = f"{data}|{report.region.code}"
    out: dict[str, Chart] = {}
    if len(report.progress):
        assessed = report.progress[report.progress["status"] != "not_assessed"]
        out["status"] = Chart(f"status|{mine}", lambda: figures.status_summary(assessed, report.chapter_labels, lang,
                                                                               height=300))
    if len(report.index):
        own = report.region.code if report.is_league else None  # a league's bulletin: its row highlighted
        out["index"] = Chart(f"index|{data}|{own}", lambda: figures.index_bars(report.index, report.chapter_labels,
                                                                                lang, height=430, highlight=own),
                             shared=own is None)
    for section in report.chapters:
        code = section.key_code
        if code is None:
            continue
        out[f"trend{section.number}"] = Chart(f"trend|{code}|{mine}", lambda c=code: _trend(report, cat, c))
        out[f"rank{section.number}"] = Chart(f"rank|{code}|{mine if report.is_league else data}",
                                             lambda c=code: _ranking(report, cat, c), shared=not report.is_league)
    if len(report.index):  # last: the slowest chart, and the last one the document places
        out["map"] = Chart(f"map|{data}", lambda: _index_map(report), shared=True)
    return out


def _index_map(report: Report) -> go.Figure:
    """The composite index on the league map, fitted to the picture, every league named with its score and rank
    (annotations: the printed map has no hover)."""
    frame, ranks, lang = _index_map_frame(report), _ranks(report), report.lang
    fig = figures.choropleth(frame, "league", say("rp_map_unit", lang), lang, height=MAP_HEIGHT, ranks=ranks,
                             decimals=SCORE_DECIMALS)
    features = figures.geojson("league")["features"]
    view = maplabels.fit(features, WIDTH_PX, MAP_HEIGHT - fig.layout.margin.b - fig.layout.margin.t)
    shown = numbers.rank_labels(ranks)
    scores = frame.set_index("region_code")["value"]
    own = {r.code: r.name(lang) for r in report.leagues}
    names = {f["properties"]["code"]: own.get(f["properties"]["code"], f["properties"]["name_zh"]) for f in features}
    texts = {code: say("rp_map_label", lang, name=name, score=numbers.score(scores[code]), rank=shown[code])
             if code in shown.index else name for code, name in names.items()}
    fig.update_layout(map={"center": {"lon": view.lon, "lat": view.lat}, "zoom": view.zoom},
                      annotations=[*fig.layout.annotations,
                                   *maplabels.annotations(maplabels.labels(features, texts, view), view, FONT_FAMILY)])
    return fig


def _index_map_frame(report: Report) -> pd.DataFrame:
    total = report.index[report.index["chapter"] == 0]
    return total.assign(value=total["score"], status="derived", complete=True)[
        ["region_code", "region_name", "value", "status", "synthetic", "complete"]]


def _ranks(report: Report) -> pd.Series:
    total = report.index[report.index["chapter"] == 0].dropna(subset=["rank"])
    return total.set_index("region_code")["rank"]


def _trend(report: Report, cat: Catalogue, code: str) -> go.Figure:
    ind = cat.indicator(code)
    frame = report.trends[report.trends["indicator_code"] == code]
    if ind.aggregation == "sum" and report.is_league:  # a league's total beside the region's is a flat line
        frame = frame[frame["region_code"] == report.region.code]
    target, benchmark = target_for(cat, code, report.region.code, report.spec.annual_year)
    mark = None
    if target is not None:
        label = t("official_target" if target.is_official else "illustrative_target", report.lang)
        mark = (target.year, target.value, f"{label} {target.year}")
    return figures.trend(frame, ind.unit_label(report.lang), report.lang, title=ind.name(report.lang),
                         region_code=report.region.code,  # trend adds the unit
                         target=mark, benchmark=benchmark.value if benchmark is not None else None, height=300,
                         decimals=ind.decimals)


def _ranking(report: Report, cat: Catalogue, code: str) -> go.Figure:
    ind, lang = cat.indicator(code), report.lang
    have = report.league_values[report.league_values["indicator_code"] == code].set_index("region_code")
    frame = pd.DataFrame({"region_code": [r.code for r in report.leagues],
                          "region_name": [r.name(lang) for r in report.leagues]})
    frame["value"] = frame["region_code"].map(have["value"])
    frame["synthetic"] = frame["region_code"].map(have["synthetic"]).eq(True)  # no value: not synthetic
    average = frame["value"].mean() if frame["value"].notna().any() else None
    unit = ind.unit_label(lang)
    title = figures.with_unit(say("rp_rank_chart_title", lang, name=ind.name(lang), year=report.spec.annual_year),
                              unit, lang)
    fig = figures.ranking(frame, unit, lang, title=title, average=average,
                          lower_is_better=ind.polarity == "lower_is_better", height=380, decimals=ind.decimals)
    if report.is_league:
        fig = figures.highlight_region(fig, report.region.name(lang))
    return fig
