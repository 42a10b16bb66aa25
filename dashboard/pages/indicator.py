"""指标 Indicator: definition, unit, cited articles (text on hover and in a fold-out), department and targets;
a chart tab (selected leagues vs the region, with the target), a map tab and a table tab; CSV of the view."""

from __future__ import annotations

import tempfile
from pathlib import Path

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update

from dashboard import components as c
from dashboard import data, ids, inputs, numbers, search, warming
from dashboard.figures import choropleth, trend
from dashboard.i18n import lang_of, t
from indicators.base import status as obs_status
from indicators.engine import export, query
from indicators.engine.progress import choose_target

dash.register_page(__name__, path_template="/indicator/<code>", name="指标 Indicator", title="北疆数字经济监测 · 指标")

TABS = ("chart", "map", "table")
CSV_COLUMNS = ["indicator_code", "indicator_name", "region_code", "region_name", "period", "value", "unit", "obs_status",
               "status", "coverage", "complete", "synthetic", "revised", "source", "batch_id"]


def layout(code: str | None = None, lang: str | None = None, leagues: str | None = None, tab: str | None = None,
           year: str | None = None, **_query) -> html.Div:
    lang = lang_of(lang)
    cat = data.catalogue()
    path = f"/indicator/{code}"
    if code not in cat.indicators or not data.available():
        return c.page("indicator", lang, path, {"lang": lang}, t("indicator", lang),
                      html.P(t("not_found", lang).format(what=code), className="warning"))
    ind = cat.indicator(code)
    years = data.data_years()
    league_codes = [r.code for r in cat.regions.leagues()]
    chosen = [x for x in c.as_list(leagues) if x in league_codes] or default_leagues(code)
    picker = {"type": ids.GO, "key": "indicator"}
    controls = [
        c.labelled(t("pick_indicator", lang), c.dom_id(picker), dcc.Dropdown(
            id=picker, options=search.indicator_options(lang, paths=True), value=path, clearable=False)),
        c.labelled(t("select_leagues", lang), ids.INDICATOR_LEAGUES, dcc.Dropdown(
            id=ids.INDICATOR_LEAGUES, multi=True, value=chosen, placeholder=t("select_leagues", lang),
            options=[{"label": r.name(lang), "value": r.code} for r in cat.regions.leagues()])),
        c.labelled(t("select_year", lang) + " (" + t("map", lang) + ")", ids.INDICATOR_YEAR, dcc.Dropdown(
            id=ids.INDICATOR_YEAR, options=c.year_options(), value=c.as_int(year, years[-1], years), clearable=False)),
        html.Div([html.Button(t("download_csv", lang), id=ids.DOWNLOAD_BUTTON, className="primary"), " ",
                  html.Button(t("download_xlsx", lang), id=ids.DOWNLOAD_XLSX_BUTTON, className="primary"),
                  dcc.Download(id=ids.DOWNLOAD), dcc.Download(id=ids.DOWNLOAD_XLSX),
                  html.Div(t("download_note", lang), className="hint")], className="control"),
    ]
    body = [definition(ind, lang),
            dcc.Tabs(id=ids.INDICATOR_TAB, value=tab if tab in TABS else "chart", children=[
                dcc.Tab(label=t(x, lang), value=x) for x in TABS]),
            html.Div(id=ids.INDICATOR_TAB_BODY, className="panel")]
    return c.page("indicator", lang, path, {"lang": lang, "leagues": leagues, "tab": tab, "year": year},
                  f"{ind.code} {ind.name(lang)}", *body, controls=controls)


def default_leagues(code: str) -> list[str]:
    """The three leagues with the highest latest value (a starting point; the URL keeps any other choice)."""
    frame = data.values((code,), (), (), "league", "annual", None)
    latest = frame.sort_values("year").groupby("region_code").tail(1)
    return list(latest.sort_values("value", ascending=False)["region_code"][:3])


def definition(ind, lang: str) -> html.Section:
    """What the indicator is, where the regulation asks for it (article text on hover and fold-out), who reports."""
    reg = data.catalogue().regulation
    articles = []
    for article_no in ind.articles:
        art = reg.articles[article_no]
        text = art.text or t("article_missing", lang)
        articles.append(html.Details([html.Summary(art.title(lang), title=text),
                                      html.P(text, className="article-text")], className="article-ref"))
    targets = [html.Li([f"{tg.year}: {tg.comparison} {numbers.value(tg.value, ind.decimals)} {ind.unit_label(lang)} · "
                        + target_kind(tg, lang),
                        html.Br(), html.Small(tg.citation(lang) + (" · " + tg.verification_note(lang)
                                                                   if tg.verification_note(lang) else "")),
                        html.Br(), html.Small(tg.note_en if lang == "en" else tg.note_zh)])
               for tg in data.catalogue().targets_for(ind.code, data.root())]
    rows = [("definition", ind.definition(lang)), ("unit", ind.unit_label(lang) or "—"), ("frequency", t(ind.frequency, lang)),
            ("department", ind.department_label(lang))]
    return html.Section(className="panel", children=[
        html.Dl([el for key, value in rows for el in (html.Dt(t(key, lang)), html.Dd(value))]
                + [html.Dt(t("chapter", lang)), html.Dd(dcc.Link(f"{t('chapter', lang)} {ind.chapter}",
                                                                href=c.href(f"/chapter/{ind.chapter}", lang)))]
                + [html.Dt(t("articles", lang)), html.Dd(articles)]
                + ([html.Dt(t("target", lang)), html.Dd(html.Ul(targets))] if targets else []),
                className="definition")])


def target_kind(target, lang: str) -> str:
    """A national benchmark is not the region's target; an illustrative target says so."""
    if not target.is_target:
        return t("benchmark_reference", lang)
    label = t("official_target" if target.is_official else "illustrative_target", lang)
    return label + (f" ({t('target_secondary', lang)})" if target.verification == "R*" else "")


def view(code: str, leagues: list[str], lang: str) -> pd.DataFrame:
    """The data of the current view: the region and the selected leagues, every year, labelled."""
    frame = data.values((code,), tuple([data.root(), *leagues]), (), None, "annual", None)
    return query.label(frame, data.catalogue(), lang)


def chart(code: str, leagues: list[str], lang: str):
    cat, ind = data.catalogue(), data.catalogue().indicator(code)
    frame = view(code, leagues, lang)
    own = [tg for tg in cat.targets_for(code, data.root())]
    target = choose_target(own, int(frame["year"].max())) if len(frame) and own else None
    mark = None
    if target is not None:
        mark = (target.year, target.value, f"{t('target', lang)} {target.year}" +
                ("" if target.is_official else f" ({t('illustrative_target', lang)})"))
    bench = next((tg.value for tg in own if not tg.is_target), None)
    return c.graph(ids.INDICATOR_CHART, trend(frame, ind.unit_label(lang), lang, title=ind.name(lang), region_code=data.root(),
                                              target=mark, benchmark=bench, decimals=ind.decimals),
                   label=ind.name(lang))


def map_tab(code: str, year: int, lang: str):
    ind = data.catalogue().indicator(code)
    frame = query.label(data.values((code,), (), (), "league", "annual", (year, year)), data.catalogue(), lang)
    values = frame.set_index("region_code")["value"]
    ranks = query.ranks(values, ind.decimals, ind.polarity == "lower_is_better").dropna()
    fig = choropleth(frame, "league", ind.unit_label(lang), lang, lower_is_better=ind.polarity == "lower_is_better", title=f"{ind.name(lang)} · {year}", ranks=ranks,
                     names=data.catalogue().regions.names(lang),
                     geojson_url=c.geo_url("league"), decimals=ind.decimals)
    return [html.Div(c.missing_legend(lang), className="legend"), c.graph(ids.INDICATOR_MAP, fig, label=t("map", lang))]


def table_tab(code: str, leagues: list[str], lang: str):
    frame = csv_frame(code, leagues, lang)
    return c.table(ids.INDICATOR_TABLE, frame.assign(
        synthetic=frame["synthetic"].map(lambda s: t("synthetic_mark", lang) if s else ""),
        status=frame["status"].map(lambda s: t(s, lang)),
        obs_status=frame["obs_status"].map(lambda s: obs_status.label(s, lang))), {
        "region_name": t("region_name", lang), "period": t("period", lang), "value": t("value", lang),
        "unit": t("unit", lang), "obs_status": t("obs_status", lang), "status": t("source", lang), "coverage": t("coverage", lang),
        "synthetic": t("synthetic_mark", lang)}, page_size=30,
        decimals={"value": data.catalogue().indicator(code).decimals}, lang=lang)


def csv_frame(code: str, leagues: list[str], lang: str) -> pd.DataFrame:
    """The view as a tidy table, values rounded to the catalogue's decimals (as the page shows them)."""
    frame = view(code, leagues, lang)
    frame["coverage"] = [f"{n}/{m}" if pd.notna(n) else "" for n, m in
                         zip(frame["coverage_n"], frame["coverage_total"], strict=True)]
    frame = numbers.rounded(frame, data.catalogue())
    return frame[CSV_COLUMNS].sort_values(["region_code", "period"]).reset_index(drop=True)


@dash.callback(Output(ids.INDICATOR_TAB_BODY, "children"), Input(ids.INDICATOR_TAB, "value"), Input(ids.INDICATOR_LEAGUES, "value"),
               Input(ids.INDICATOR_YEAR, "value"), State("_pages_location", "pathname"), State(ids.LANG, "data"))
def update(tab, leagues, year, pathname, lang):
    lang, code, tab = inputs.lang(lang), inputs.page_code(pathname), inputs.choice(tab, TABS, "tab")
    year = inputs.year(year) if tab == "map" else 0  # only the map has a year
    return tab_view(tab, code, inputs.leagues(leagues), year, lang)


@data.memo
def tab_view(tab: str, code: str, leagues: tuple, year: int, lang: str):
    """One tab's content, memoised per warehouse (a tab seen before comes from the cache)."""
    if tab == "map":
        return map_tab(code, year, lang)
    if tab == "table":
        return table_tab(code, list(leagues), lang)
    return chart(code, list(leagues), lang)


@dash.callback(Output(ids.DOWNLOAD, "data"), Input(ids.DOWNLOAD_BUTTON, "n_clicks"), State(ids.INDICATOR_LEAGUES, "value"),
               State("_pages_location", "pathname"), State(ids.LANG, "data"), prevent_initial_call=True)
def download(clicks, leagues, pathname, lang):
    """The current view as CSV: UTF-8 with BOM, formula-injection safe, with the synthetic flag per row and a
    `rounding` column saying that values are rounded (one file: its metadata travels in its rows)."""
    if not inputs.clicks(clicks):
        return no_update
    code = inputs.page_code(pathname)
    frame = csv_frame(code, list(inputs.leagues(leagues)), inputs.lang(lang))
    return dcc.send_bytes(export.to_csv_bytes(frame.assign(rounding=rounding_note(code))), file_name(code, "csv"))


@dash.callback(Output(ids.DOWNLOAD_XLSX, "data"), Input(ids.DOWNLOAD_XLSX_BUTTON, "n_clicks"),
               State(ids.INDICATOR_LEAGUES, "value"), State("_pages_location", "pathname"), State(ids.LANG, "data"),
               prevent_initial_call=True)
def download_xlsx(clicks, leagues, pathname, lang):
    """The current view as XLSX: the rounded data, and the 说明 sheet of every export (definitions, sources,
    synthetic flags) whose description says that values are rounded."""
    if not inputs.clicks(clicks):
        return no_update
    code = inputs.page_code(pathname)
    return dcc.send_bytes(xlsx_bytes(code, csv_frame(code, list(inputs.leagues(leagues)), inputs.lang(lang))),
                          file_name(code, "xlsx"))


def file_name(code: str, suffix: str) -> str:
    """DI-01.csv; DI-01-preliminary.csv when read from the preliminary layer (docs/releases.md)."""
    return f"{code}{'-preliminary' if data.preliminary() else ''}.{suffix}"


def rounding_note(code: str) -> str:
    """How values are rounded — and, from the preliminary layer, that unreleased values are included."""
    decimals = data.catalogue().indicator(code).decimals
    notes = [t("rounded_note", lang).format(d=decimals) for lang in ("zh", "en")]
    if data.preliminary():
        notes = [t("preliminary_mark", lang) + ": " + t("preliminary_note", lang) for lang in ("zh", "en")] + notes
    return " | ".join(notes)


def xlsx_bytes(code: str, frame: pd.DataFrame) -> bytes:
    """export.write_xlsx (formula-injection safe, with the metadata sheet) into memory."""
    meta = export.metadata(frame, data.catalogue(), data.published_at(), description=rounding_note(code))
    with tempfile.TemporaryDirectory() as folder:
        return export.write_xlsx({"data": frame, "说明": meta}, Path(folder) / f"{code}.xlsx").read_bytes()


def explain_point(code: str, click: dict | None, year: object, lang: str):
    """A clicked map area (location = region) or chart point (customdata ends with the region, x = year)."""
    point = inputs.point(click)
    if point is None:
        return no_update
    if "location" in point:
        region, period = point["location"], str(inputs.year(year))
    else:  # a line's points carry their region last in customdata; the target marker carries none
        custom = point.get("customdata")
        region, period = (custom[-1] if isinstance(custom, list) and custom else None), str(point.get("x"))
        if region is None:
            return no_update
    region, period = inputs.region(region), inputs.period(period)
    return c.provenance(code, region, period, inputs.lang(lang))


# Two callbacks, not one with two inputs: only one of the graphs exists at a time (the active tab).
@dash.callback(Output(ids.PROVENANCE, "children", allow_duplicate=True), Input(ids.INDICATOR_CHART, "clickData"),
               State("_pages_location", "pathname"), State(ids.LANG, "data"), prevent_initial_call=True)
def explain_chart(click, pathname, lang):
    return explain_point(inputs.page_code(pathname), click, None, lang)


@dash.callback(Output(ids.PROVENANCE, "children", allow_duplicate=True), Input(ids.INDICATOR_MAP, "clickData"),
               State(ids.INDICATOR_YEAR, "value"), State("_pages_location", "pathname"), State(ids.LANG, "data"),
               prevent_initial_call=True)
def explain_map(click, year, pathname, lang):
    return explain_point(inputs.page_code(pathname), click, year, lang)


c.sync_url(ids.INDICATOR_LEAGUES, ids.INDICATOR_YEAR, ids.INDICATOR_TAB)


def _first_views() -> list:
    """What the navigation's indicator link opens: the page and its chart."""
    code = c.nav_target("indicator")
    return [lambda: layout(code), lambda: tab_view("chart", code, tuple(default_leagues(code)), 0, "zh")]


warming.warm_with(first=_first_views)
