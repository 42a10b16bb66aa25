"""盟市画像 League profile (like DESI's country profile): first its counties × headline indicators progress matrix
(dashboard/matrix.py), then every indicator by chapter with the league's value, year,
the region's value, the league average, rank, target and progress status, a trend sparkline, and its counties."""

from __future__ import annotations

import math

import dash
import pandas as pd
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import components as c
from dashboard import data, downloads, ids, inputs, matrix, numbers, search, warming
from dashboard.figures import chapter_labels, ranking, spark_text
from dashboard.i18n import lang_of, t
from indicators.base import status as obs_status
from indicators.engine import query

dash.register_page(__name__, path_template="/league/<code>", name="盟市画像 League profile",
                   title="北疆数字经济监测 · 盟市画像")



def resolve(code: str | None) -> str | None:
    """A league code, or a name or alias people type ('锡盟' → 152500); None when it is not a league."""
    regions = data.catalogue().regions
    found = [x for x in regions.candidates(code or "") if regions.by_code[x].level == "league"]
    return found[0] if len(found) == 1 else None


def layout(code: str | None = None, lang: str | None = None, year: str | None = None, county: str | None = None,
           **_query) -> html.Div:
    lang = lang_of(lang)
    league = resolve(code)
    path = f"/league/{code}"
    if league is None or not data.available():
        return c.page("league", lang, path, {"lang": lang}, t("league", lang),
                      html.P(t("not_found", lang).format(what=code), className="warning"), league_links(None, lang))
    region = data.catalogue().regions.by_code[league]
    years = data.data_years()
    chosen = c.as_int(year, years[-1], years)
    county_codes = county_indicators()
    chosen_county = county if county in county_codes else county_codes[0]
    controls = [c.labelled(t("select_year", lang), ids.LEAGUE_YEAR, dcc.Dropdown(
        id=ids.LEAGUE_YEAR, options=c.year_options(), value=chosen, clearable=False))]
    body = [
        html.Div(league_links(league, lang, chosen), id=ids.LEAGUE_LINKS),
        html.Div(id=ids.LEAGUE_PDF, children=downloads.pdf_control("league", lang, league)),
        c.status_legend(lang),
        html.Section(className="panel", id="matrix", children=[
            html.H2(f"{t('matrix_counties_title', lang)} · {region.name(lang)}"),
            html.P(t("matrix_hint", lang), className="hint"), html.Div(id=ids.LEAGUE_MATRIX)]),
        html.P(t("sparkline_note", lang), className="hint"),
        html.Div(id=ids.LEAGUE_TABLES),
        html.Section(className="panel", children=[
            html.H2(f"{t('counties_of', lang)} · {region.name(lang)}"),
            c.labelled(t("county_indicator", lang), ids.LEAGUE_COUNTY, dcc.Dropdown(
                id=ids.LEAGUE_COUNTY, options=search.indicator_options(lang, [data.catalogue().indicator(x) for x in
                                                                           county_codes]),
                value=chosen_county, clearable=False)),
            c.graph(ids.LEAGUE_COUNTIES, label=t("counties_of", lang))]),
        dcc.Store(id="league-code", data=league),
    ]
    return c.page("league", lang, path, {"lang": lang, "year": year, "county": county},
                  f"{t('league', lang)} · {region.name(lang)}", *body, controls=controls)


def county_indicators() -> list[str]:
    """The indicators reported by counties (the first is the county chart's default)."""
    return [i.code for i in data.catalogue().indicators.values() if "county" in i.levels]


def league_links(current: str | None, lang: str, year: int | None = None) -> html.Nav:
    """The other leagues' pages, keeping the language and the year chosen here."""
    links = [dcc.Link(r.name(lang), href=c.href(f"/league/{r.code}", lang, year=year), className="chip" +
                      (" active" if r.code == current else "")) for r in data.catalogue().regions.leagues()]
    return html.Nav([html.Span(t("other_leagues", lang))] + links, className="chips",
                    **{"aria-label": t("other_leagues", lang)})


def profile(league: str, year: int, lang: str) -> pd.DataFrame:
    """One row per indicator: the league's latest value up to `year` and its context in that year.
    Computed frame-wise (one groupby per column, not one filter per indicator): this is a callback."""
    cat = data.catalogue()
    leagues = data.values((), (), (), "league", "annual", (0, year))
    leagues = leagues[leagues["complete"]]
    region = data.values((), (data.root(),), (), "region", "annual", (0, year))
    mine = leagues[leagues["region_code"] == league].sort_values("year")
    latest = mine.groupby("indicator_code").tail(1).set_index("indicator_code")
    previous = dict(zip(zip(mine["indicator_code"], mine["year"], strict=True), mine["value"], strict=True))
    context = _context(league, latest, leagues, region).to_dict("index")
    progress = data.progress(year, (), (), "league")  # every league's, read once per year for all 12 profiles
    progress = progress[progress["region_code"] == league] if len(progress) else progress
    progress = progress.set_index("indicator_code").to_dict("index") if len(progress) else {}
    span = list(range(int(leagues["year"].min()), year + 1)) if len(leagues) else []
    trends = mine.pivot_table(index="indicator_code", columns="year", values="value", aggfunc="first").reindex(
        columns=span) if len(mine) else pd.DataFrame()
    trends = dict(zip(trends.index, trends.to_numpy(dtype=float).tolist(), strict=True))
    latest = latest.to_dict("index")  # rows by indicator: a dict lookup per indicator, not a pandas one
    shown = [ind for ind in cat.indicators.values() if "league" in ind.levels and ind.code in latest]
    yoy = dict(zip((ind.code for ind in shown), numbers.changes(
        [latest[ind.code]["value"] for ind in shown],
        [previous.get((ind.code, int(latest[ind.code]["year"]) - 1)) for ind in shown],
        [ind.unit for ind in shown], lang), strict=True))
    rows = []
    for ind in cat.indicators.values():
        if "league" not in ind.levels:
            continue
        row = {"indicator_code": ind.code, "chapter": ind.chapter, "indicator_name": ind.name(lang), "unit": ind.unit_label(lang),
               "trend": spark_text(trends.get(ind.code, [math.nan] * len(span)))}
        if ind.code in latest:
            fact, ctx = latest[ind.code], context[ind.code]
            row.update({"value": numbers.value(fact["value"], ind.decimals), "year": int(fact["year"]),
                        "period": str(fact["period"]), "yoy": yoy[ind.code],
                        "region_value": numbers.value(ctx["region_value"], ind.decimals),
                        "league_average": numbers.value(ctx["average"], ind.decimals),
                        "rank": t("rank_of", lang).format(rank=numbers.rank(ctx["rank"], ctx["tied"]), n=int(ctx["n"])),
                        "kind": " · ".join(x for x in (t(fact["status"], lang), obs_status.label(
                            fact.get("obs_status"), lang), t("synthetic_mark", lang) if fact["synthetic"] else "") if x)})
        if ind.code in progress:
            row.update(_target(progress[ind.code], ind.decimals, lang))
        rows.append(row)
    return pd.DataFrame(rows)


def _context(league: str, latest: pd.DataFrame, leagues: pd.DataFrame, region: pd.DataFrame) -> pd.DataFrame:
    """Per indicator, in the year of the league's latest value: its rank among the leagues reporting that year
    (1 = best, by polarity, of the values as published: equal shown values share a rank), whether the rank is
    shared, how many reported, their average, and the region's value."""
    cat = data.catalogue()
    when = latest["year"].rename("year").reset_index()
    peers = leagues.merge(when, on=["indicator_code", "year"])
    code = peers["indicator_code"]
    peers["rank"] = query.ranks(peers["value"], code.map(lambda x: cat.indicator(x).decimals),
                                code.map(lambda x: cat.indicator(x).polarity == "lower_is_better"), by=code)
    peers["tied"] = query.tied(peers["rank"], by=code)
    stats = peers.groupby("indicator_code").agg(n=("value", "size"), average=("value", "mean"))
    own = peers[peers["region_code"] == league].set_index("indicator_code")
    stats["rank"], stats["tied"] = own["rank"], own["tied"].reindex(stats.index).fillna(False).astype(bool)
    own = region.merge(when, on=["indicator_code", "year"]).set_index("indicator_code")["value"]
    return stats.assign(region_value=own.reindex(stats.index))


def _target(p: dict, decimals: int, lang: str) -> dict:
    """The target and progress status of a row of data.progress (as a dict)."""
    target = "—"
    if numbers.finite(p["target_value"]):
        kind = t("official_target" if p["target_provenance"] == "official" else "illustrative_target", lang)
        target = f"{p['target_comparison']} {numbers.value(p['target_value'], decimals)} ({int(p['target_year'])}, {kind})"
    return {"target": target, "status": c.status_text(p, lang)}


COLUMNS = ("indicator_name", "value", "unit", "year", "yoy", "kind", "region_value", "league_average", "rank",
           "target", "status", "trend")


def tables(frame: pd.DataFrame, lang: str) -> list:
    labels = chapter_labels(data.catalogue(), lang, short=False)
    headers = {"indicator_name": t("indicator_name", lang), "value": t("league_value", lang), "unit": t("unit", lang),
               "year": t("year", lang), "yoy": t("yoy", lang), "kind": t("source", lang),
               "region_value": t("region_value", lang),
               "league_average": t("league_average", lang), "rank": t("rank", lang), "target": t("target", lang),
               "status": t("status", lang), "trend": t("trend", lang)}
    for col in (*COLUMNS, "period"):  # a year in which the league has no value yet has none of them
        if col not in frame.columns:
            frame[col] = None
    out = []
    for chapter, part in frame.groupby("chapter", sort=True):
        out.append(html.Section([html.H2(labels.get(chapter, str(chapter))), html.Div(c.table(
            {"type": ids.LEAGUE_TABLE, "chapter": int(chapter)},
            part.fillna({"value": t("not_reported", lang)}).assign(id=part["indicator_code"] + "|" +
                                                                     part["period"].fillna("")),
            {k: headers[k] for k in COLUMNS}, page_size=50, hidden=("id",), statuses=("status",), lang=lang),
            className="league-wide"),
            cards(part, headers, lang)], className="panel"))
    return out


def cards(part: pd.DataFrame, headers: dict, lang: str) -> html.Details:
    """The chapter on a phone: folded; unfolded, one card per indicator — name, value and unit, status first — with
    its details (year, YoY, rank, target) beneath, instead of an 11-column table that wraps one character a line."""
    items = []
    for row in part.to_dict("records"):
        value = row.get("value")
        shown = f"{value} {row['unit'] or ''}".strip() if isinstance(value, str) else t("not_reported", lang)
        details = [f"{headers[k]}: {row[k]}" for k in ("year", "yoy", "rank", "target")
                   if isinstance(row.get(k), str | int) and str(row.get(k)) not in ("", "—")]
        items.append(html.Li([html.Strong(row["indicator_name"]), html.Div(shown, className="card-value"),
                              html.Div(row["status"]) if isinstance(row.get("status"), str) else None,
                              html.Small(" · ".join(details)) if details else None], className="league-card"))
    return html.Details([html.Summary(t("show_indicators", lang).format(n=len(items))), html.Ul(items)],
                        className="league-narrow")


@dash.callback(Output(ids.LEAGUE_TABLES, "children"), Input(ids.LEAGUE_YEAR, "value"), State("league-code", "data"),
               State(ids.LANG, "data"))
def update(year, league, lang):
    return view(inputs.league(league), inputs.year(year), inputs.lang(lang))


@data.memo
def view(league: str, year: int, lang: str) -> list:
    return tables(profile(league, year, lang), lang)


@dash.callback(Output(ids.LEAGUE_LINKS, "children"), Input(ids.LEAGUE_YEAR, "value"), State("league-code", "data"),
               State(ids.LANG, "data"), prevent_initial_call=True)
def update_links(year, league, lang):
    """A year picked here goes with the visitor to the next league's page."""
    return league_links(inputs.league(league), inputs.lang(lang), inputs.year(year))


@dash.callback(Output(ids.LEAGUE_MATRIX, "children"), Input(ids.LEAGUE_YEAR, "value"), State("league-code", "data"),
               State(ids.LANG, "data"))
def update_matrix(year, league, lang):
    return matrix_view(inputs.league(league), inputs.year(year), inputs.lang(lang))


@data.memo
def matrix_view(league: str, year: int, lang: str):
    """The league's counties × the headline indicators counties report, most indicators behind first."""
    counties = tuple(r.code for r in data.catalogue().regions.counties(league))
    return matrix.view(year, counties, False, "behind", lang, level="county")


@dash.callback(Output(ids.LEAGUE_COUNTIES, "figure"), Input(ids.LEAGUE_COUNTY, "value"), Input(ids.LEAGUE_YEAR, "value"),
               State("league-code", "data"), State(ids.LANG, "data"))
def update_counties(code, year, league, lang):
    lang, league = inputs.lang(lang), inputs.league(league)
    return county_view(league, inputs.indicator(code, "county"), inputs.year(year), lang)


@data.memo
def county_view(league: str, code: str, year: int, lang: str):
    """The league's counties ranked on one indicator in one year; counties without a value listed as 未报送."""
    ind = data.catalogue().indicator(code)
    counties = tuple(r.code for r in data.catalogue().regions.counties(league))
    frame = data.values((code,), counties, (), "county", "annual", (year, year))
    grid = pd.DataFrame({"region_code": counties}).merge(frame, on="region_code", how="left")
    grid = query.label(grid.assign(indicator_code=code), data.catalogue(), lang)
    grid["synthetic"] = grid["synthetic"].astype("boolean").fillna(False).astype(bool)
    return ranking(grid, ind.unit_label(lang), lang, title=f"{ind.name(lang)} · {year}",
                   lower_is_better=ind.polarity == "lower_is_better", height=max(260, 34 * len(counties)),
                   decimals=ind.decimals)


@dash.callback(Output(ids.PROVENANCE, "children", allow_duplicate=True),
               Input({"type": ids.LEAGUE_TABLE, "chapter": ALL}, "cellClicked"), State("league-code", "data"),
               State(ids.LANG, "data"), prevent_initial_call=True)
def explain_cell(cells, league, lang):
    if not ctx.triggered_id:
        return no_update
    i = [x["id"] for x in ctx.inputs_list[0]].index(ctx.triggered_id)
    row_id = inputs.cell(cells[i])
    code, _, period = row_id.partition("|") if isinstance(row_id, str) else ("", "", "")
    if not period:
        return no_update
    code, period, league = inputs.indicator(code), inputs.period(period), inputs.league(league)
    return c.provenance(code, league, period, inputs.lang(lang))


c.sync_url(ids.LEAGUE_YEAR, ids.LEAGUE_COUNTY)
downloads.register("league", ids.LEAGUE_YEAR)


def _first_views() -> list:
    """What the navigation's league link opens: its profile and its counties' chart, in the latest year."""
    league, year = c.nav_target("league"), data.default_year()
    return [lambda: layout(league), lambda: view(league, year, "zh"),
            lambda: county_view(league, county_indicators()[0], year, "zh")]


warming.warm_with(first=_first_views, rest=lambda: [lambda r=r.code, y=y: view(r, y, "zh")
                                                    for y in reversed(data.data_years())
                                                    for r in data.catalogue().regions.leagues()])
