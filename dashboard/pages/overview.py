"""总览 Overview: first, who is behind on what (the leagues × headline indicators progress matrix,
dashboard/matrix.py); then headline cards for the key indicators, the composite index of the 12 leagues with chapter
sub-indices, a small map of the index, and what the last load changed."""

from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html

from dashboard import components as c
from dashboard import data, downloads, ids, inputs, matrix, numbers, warming
from dashboard.figures import chapter_labels, choropleth, index_bars
from dashboard.i18n import lang_of, t
from indicators.engine.composite import SCORE_DECIMALS

dash.register_page(__name__, path="/", name="总览 Overview", title="北疆数字经济监测 · 总览")



def layout(lang: str | None = None, year: str | None = None, rows: str | None = None, sort: str | None = None,
           **_query) -> html.Div:
    lang = lang_of(lang)
    years = data.data_years() if data.available() else []
    chosen = c.as_int(year, data.default_year() if years else 0, years or None)
    controls = [c.labelled(t("select_year", lang), ids.OVERVIEW_YEAR,
                           dcc.Dropdown(id=ids.OVERVIEW_YEAR, options=c.year_options(), value=chosen, clearable=False))]
    body = [
        downloads.pdf_control("overview", lang, data.catalogue().regions.root.code),
        html.Section(className="panel", id="matrix", children=[
            html.H2(t("matrix_title", lang)), html.P(t("matrix_hint", lang), className="hint"),
            html.Div(matrix.controls(ids.OVERVIEW_ROWS, ids.OVERVIEW_SORT, rows, sort, lang), className="controls"),
            c.status_legend(lang), html.Div(id=ids.OVERVIEW_MATRIX, **{"aria-live": "polite"})]),
        html.Section([html.H2(t("key_indicators", lang)), c.status_legend(lang),
                      html.Div(id=ids.OVERVIEW_CARDS, className="cards")], **{"aria-label": t("key_indicators", lang)}),
        html.Div(className="grid", children=[
            html.Section(className="panel", children=[
                html.H2(t("index_title", lang)),
                c.graph(ids.OVERVIEW_INDEX, label=t("index_title", lang))]),
            html.Section(className="panel", children=[
                html.H2(t("index_map", lang)), html.Div(c.missing_legend(lang), className="legend"),
                c.graph(ids.OVERVIEW_MAP, label=t("index_map", lang))]),
        ]),
        html.Section(id=ids.OVERVIEW_CHANGES, className="panel", children=[
            # the public warehouse's latest batch is the latest *released* one: say so
            html.H2(t("changes" if data.preliminary() else "changes_released", lang)),
            changes_table(lang) if years else None]),
    ]
    return c.page("overview", lang, "/", {"year": year, "lang": lang, "rows": rows, "sort": sort}, t("overview", lang),
                  *body, controls=controls)


def key_indicators() -> list[str]:
    """The indicators of the composite index: the catalogue marks them with an index weight."""
    return [i.code for i in data.catalogue().indicators.values() if i.in_index]


def cards(year: int, lang: str) -> list[html.Div]:
    """One card per key indicator: the region's latest value up to `year`, YoY, progress status, provenance."""
    cat, codes = data.catalogue(), key_indicators()
    frame = data.labelled(tuple(codes), (data.root(),), None, lang)
    frame = frame[(frame["year"] <= year) & frame["complete"]].sort_values("year")
    latest = frame.groupby("indicator_code").tail(1).set_index("indicator_code")
    status = data.progress(year, (data.root(),), tuple(codes))
    status = {r["indicator_code"]: r for r in status.to_dict("records")} if len(status) else {}
    out = []
    for code in codes:
        ind = cat.indicator(code)
        if code not in latest.index:
            out.append(html.Div([html.H3(ind.name(lang)), html.P(t("not_reported", lang), className="missing-value")],
                                className="card"))
            continue
        row = latest.loc[code]
        out.append(html.Div(className="card", children=[
            c.explain_button(code, data.root(), str(row["period"]), lang),
            html.H3(ind.name(lang)),
            html.Div([html.Span(numbers.value(row["value"], ind.decimals), className="value"),
                      html.Span(ind.unit_label(lang), className="unit")]),
            html.Div(f"{int(row['year'])} · {t('yoy', lang)} {numbers.change(row['value'], row['previous'], ind.unit, lang)}",
                     className="meta"),
            html.Div(c.status_badge(status[code]["status"], lang, data.status_sentence(status[code], lang))
                     if code in status else c.status_badge("insufficient_data", lang), className="meta"),
            c.target_caution(status.get(code), lang),
            c.synthetic_tag(lang) if row["synthetic"] else None,
        ]))
    return out


def changes_table(lang: str):
    changes = data.quality("last_load_changes")
    if changes.empty:
        return html.P(t("no_changes", lang))
    labelled = changes.assign(
        indicator_name=changes["indicator_code"].map({k: i.name(lang) for k, i in data.catalogue().indicators.items()}),
        region_name=changes["region_code"].map({k: r.name(lang) for k, r in data.catalogue().regions.by_code.items()}),
        change=changes["change"].map(lambda s: t(s, lang)),
        value=[numbers.indicator_value(v, k, data.catalogue()) for v, k in zip(changes["value"], changes["indicator_code"],
                                                                              strict=True)],
        previous=[numbers.indicator_value(v, k, data.catalogue()) for v, k in
                  zip(changes["previous"], changes["indicator_code"], strict=True)],
        synthetic=changes["synthetic"].map(lambda s: t("synthetic_mark", lang) if s else ""))
    head = changes.iloc[0]
    return html.Div([
        html.P(f"{t('batch', lang)} {head['batch_id']} · {head['file_name']} · {str(head['loaded_at'])[:19]} UTC"),
        c.table(ids.OVERVIEW_CHANGES + "-table", labelled, {
            "change": t("change", lang), "indicator_name": t("indicator_name", lang),
            "region_name": t("region_name", lang), "period": t("period", lang), "value": t("value", lang),
            "previous": t("previous", lang), "synthetic": t("synthetic_mark", lang)},
            page_size=10, lang=lang)])


@dash.callback(Output(ids.OVERVIEW_CARDS, "children"), Output(ids.OVERVIEW_INDEX, "figure"),
               Output(ids.OVERVIEW_MAP, "figure"), Input(ids.OVERVIEW_YEAR, "value"), State(ids.LANG, "data"))
def update(year, lang):
    return view(inputs.year(year), inputs.lang(lang))


@data.memo
def view(year: int, lang: str):
    scores = data.index_scores(year, (), lang)
    labels = chapter_labels(data.catalogue(), lang)
    composite = scores[scores["chapter"] == 0].assign(value=lambda d: d["score"], status="derived")
    ranks = composite.set_index("region_code")["rank"].dropna()
    # titles keep a top margin, where the 示例数据 badge of synthetic figures sits
    return (cards(year, lang), index_bars(scores, labels, lang, title=f"{t('composite', lang)} · {year}"),
            choropleth(composite, "league", "0–100", lang, title=f"{t('composite', lang)} · {year}", height=380,
                       names=data.catalogue().regions.names(lang),
                       ranks=ranks, geojson_url=c.geo_url("league"), zoom=3.2, decimals=SCORE_DECIMALS))


@dash.callback(Output(ids.OVERVIEW_MATRIX, "children"), Input(ids.OVERVIEW_YEAR, "value"),
               Input(ids.OVERVIEW_ROWS, "value"), Input(ids.OVERVIEW_SORT, "value"), State(ids.LANG, "data"))
def update_matrix(year, rows, sort, lang):
    return matrix_view(inputs.year(year), inputs.choice(rows, ("all", "behind"), "rows"),
                       inputs.choice(sort, matrix.SORTS, "sort"), inputs.lang(lang))


@data.memo
def matrix_view(year: int, rows: str, sort: str, lang: str):
    """The 12 leagues × the headline indicators, each league's name a link to its page."""
    leagues = tuple(r.code for r in data.catalogue().regions.leagues())
    return matrix.view(year, leagues, rows == "behind", sort, lang, region_path="/league/")


c.sync_url(ids.OVERVIEW_YEAR, ids.OVERVIEW_ROWS, ids.OVERVIEW_SORT)
downloads.register("overview", ids.OVERVIEW_YEAR)
warming.warm_with(first=lambda: [layout, lambda: view(data.default_year(), "zh"),  # the landing page
                                  lambda: matrix_view(data.default_year(), "all", "behind", "zh")],
                  rest=lambda: [lambda y=y, lang=lang: view(y, lang) for lang in ("zh", "en")
                                for y in reversed(data.data_years())])
