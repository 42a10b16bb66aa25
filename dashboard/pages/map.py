"""地图 Map: choropleth of the 12 leagues or the 103 counties for any indicator and year, on a blank background
(bundled boundaries, no tiles). Hover tells value, unit, rank and status; a click opens the provenance."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update

from dashboard import components as c
from dashboard import data, ids, inputs, search, warming
from dashboard.figures import choropleth
from dashboard.i18n import lang_of, t
from indicators.engine import query

dash.register_page(__name__, path="/map", name="地图 Map", title="北疆数字经济监测 · 地图")

DEFAULT_INDICATOR = "DI-01"


def levels_of(code: str) -> list[str]:
    ind = data.catalogue().indicators.get(code)
    return [lv for lv in ("league", "county") if ind is not None and lv in ind.levels]


def level_options(code: str, lang: str) -> list[dict]:
    have = levels_of(code)
    return [{"label": t(f"{lv}s" if lv == "league" else "counties", lang), "value": lv, "disabled": lv not in have}
            for lv in ("league", "county")]


def year_slider(years: list[int], value: int) -> dcc.Slider:
    return dcc.Slider(id=ids.MAP_YEAR, min=years[0], max=years[-1], step=1, value=value,
                      marks={y: str(y) for y in years}, included=False, updatemode="mouseup")


def layout(lang: str | None = None, indicator: str | None = None, level: str | None = None, year: str | None = None,
           **_query) -> html.Div:
    lang = lang_of(lang)
    cat = data.catalogue()
    code = indicator if indicator in cat.indicators else DEFAULT_INDICATOR
    years = (data.data_years() if data.available() else []) or [2024]
    chosen_level = level if level in levels_of(code) else "league"
    chosen_year = c.as_int(year, years[-1], years)
    controls = [
        c.labelled(t("select_indicator", lang), ids.MAP_INDICATOR,
                   dcc.Dropdown(id=ids.MAP_INDICATOR, options=search.indicator_options(lang), value=code, clearable=False)),
        html.Div([html.Span(t("level", lang), className="label", id="level-label"),
                  dcc.RadioItems(id=ids.MAP_LEVEL, options=level_options(code, lang), value=chosen_level, inline=True,
                                 inputStyle={"marginRight": "4px", "marginLeft": "10px"})],
                 className="control", role="radiogroup", **{"aria-labelledby": "level-label"}),
        html.Div([html.Label(t("period", lang), htmlFor=ids.MAP_YEAR), year_slider(years, chosen_year),
                  html.Span(id=ids.MAP_PERIOD_LABEL, className="sr-only", **{"aria-live": "polite"})],
                 className="control wide"),
    ]
    body = [html.Div(className="legend", children=[c.missing_legend(lang), html.Span(t("map_hint", lang))]),
            html.Div(className="panel", children=c.graph(ids.MAP_GRAPH, label=t("map", lang)))]
    return c.page("map", lang, "/map", {"lang": lang, "indicator": indicator, "level": level, "year": year},
                  t("map", lang), *body, controls=controls)


def map_frame(code: str, level: str, year: int, lang: str) -> tuple[pd.DataFrame, pd.Series]:
    """Values of one indicator at one level and year, labelled, with ranks (1 = best by the polarity, of the
    values as published: equal shown values share a rank)."""
    frame = query.label(data.values((code,), (), (), level, "annual", (year, year)), data.catalogue(), lang)
    ind = data.catalogue().indicator(code)
    ranks = query.ranks(frame.set_index("region_code")["value"], ind.decimals, ind.polarity == "lower_is_better")
    return frame, ranks.dropna()


@dash.callback(Output(ids.MAP_LEVEL, "options"), Output(ids.MAP_LEVEL, "value"), Input(ids.MAP_INDICATOR, "value"),
               State(ids.MAP_LEVEL, "value"), State(ids.LANG, "data"), prevent_initial_call=True)
def update_levels(code, level, lang):
    code = inputs.indicator(code)
    return level_options(code, inputs.lang(lang)), level if level in levels_of(code) else "league"


@dash.callback(Output(ids.MAP_GRAPH, "figure"), Output(ids.MAP_PERIOD_LABEL, "children"),
               Input(ids.MAP_INDICATOR, "value"), Input(ids.MAP_LEVEL, "value"), Input(ids.MAP_YEAR, "value"),
               State(ids.LANG, "data"))
def update(code, level, year, lang):
    code, level = inputs.indicator(code), inputs.choice(level, ("league", "county"), "level")
    # the level of an indicator without county values falls back, as the level control does
    return view(code, level if level in levels_of(code) else "league", inputs.year(year), inputs.lang(lang))


@data.memo
def view(code: str, level: str, year: int, lang: str):
    """The map figure and its title, memoised per warehouse."""
    ind = data.catalogue().indicator(code)
    frame, ranks = map_frame(code, level, year, lang)
    title = f"{ind.name(lang)} · {year} · {t('leagues' if level == 'league' else 'counties', lang)}"
    fig = choropleth(frame, level, ind.unit_label(lang), lang, lower_is_better=ind.polarity == "lower_is_better", title=title, height=560, ranks=ranks, geojson_url=c.geo_url(level),
                     names=data.catalogue().regions.names(lang),
                     decimals=ind.decimals)
    return fig, title


@dash.callback(Output(ids.PROVENANCE, "children", allow_duplicate=True), Input(ids.MAP_GRAPH, "clickData"),
               State(ids.MAP_INDICATOR, "value"), State(ids.MAP_YEAR, "value"), State(ids.LANG, "data"),
               prevent_initial_call=True)
def explain_click(click, code, year, lang):
    point = inputs.point(click)
    if point is None:
        return no_update
    code, region, year = inputs.indicator(code), inputs.region(point.get("location")), inputs.year(year)
    return c.provenance(code, region, str(year), inputs.lang(lang))


c.sync_url(ids.MAP_INDICATOR, ids.MAP_LEVEL, ids.MAP_YEAR)
warming.warm_with(first=lambda: [layout, lambda: view(DEFAULT_INDICATOR, "league", data.default_year(), "zh")],
                  rest=lambda: [lambda y=y, level=level: view(DEFAULT_INDICATOR, level, y, "zh")
                                for y in reversed(data.data_years()) for level in levels_of(DEFAULT_INDICATOR)])
