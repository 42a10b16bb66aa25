"""指标体系 Catalogue: a searchable table of every indicator (chapter, articles, unit, frequency, department,
definition), the regulation browsable by chapter, with the lost passage shown as missing, and the methods
(aggregation and roll-ups, progress, the composite index, how numbers are shown) in the bulletin's words."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html

from dashboard import components as c
from dashboard import data, ids, inputs
from dashboard.figures import chapter_labels
from dashboard.i18n import lang_of, t
from dashboard.pages.chapter import articles
from indicators.engine import methods

dash.register_page(__name__, path="/catalogue", name="指标体系 Catalogue", title="北疆数字经济监测 · 指标体系")


def layout(lang: str | None = None, search: str | None = None, chapter: str | None = None, **_query) -> html.Div:
    lang = lang_of(lang)
    cat = data.catalogue()
    labels = chapter_labels(cat, lang, short=False)
    controls = [
        c.labelled(t("search", lang), ids.CATALOGUE_SEARCH, dcc.Input(id=ids.CATALOGUE_SEARCH, type="search", value=search or "",
                                                             debounce=0.3, placeholder="DI-01 / 5G / 工信")),
        c.labelled(t("regulation", lang), ids.CATALOGUE_CHAPTER, dcc.Dropdown(
            id=ids.CATALOGUE_CHAPTER, options=[{"label": v, "value": k} for k, v in labels.items()],
            value=c.as_int(chapter, 1, list(labels)), clearable=False)),
    ]
    body = [html.Section(className="panel", children=[html.Div(id=ids.CATALOGUE_TABLE)]),
            html.Section(className="panel", children=[html.H2(t("regulation", lang)),
                                                      html.Div(id=ids.REGULATION_TEXT)]),
            duties_panel(lang), methods_panel(lang)]
    return c.page("catalogue", lang, "/catalogue", {"lang": lang, "search": search, "chapter": chapter},
                  t("catalogue", lang), *body, controls=controls)


def duties_panel(lang: str) -> html.Section:
    """Arts. 9, 70 and 71 — statistics and publication, tracking the plans, evaluating one's own level and
    supervising the level below — and the features of this system that serve each (config/regulation.yaml)."""
    reg = data.catalogue().regulation
    items = []
    for number in sorted({a for f in reg.features for a in f.articles}):
        art = reg.articles[number]
        items.append(html.Div(className="article", children=[
            html.H3(art.title(lang), title=art.text), html.P(art.text, className="article-text"),
            html.Ul([html.Li([html.Strong(f.name(lang)), " — ", f.where(lang)]) for f in reg.features_for(number)])]))
    return html.Section(className="panel", id="duties", children=[html.H2(t("serves_articles", lang)), *items])


def methods_panel(lang: str) -> html.Section:
    """Every method as the bulletin's annex and docs/methods.md state it (indicators.methods), one fold-out each."""
    folds = [html.Details([html.Summary(methods.TITLES[name][1 if lang == "en" else 0]), *[html.P(x) for x in texts]])
             for name, texts in methods.sections(data.settings(), data.catalogue(), lang).items()]
    return html.Section(className="panel", id="methods", children=[html.H2(t("methods", lang)), *folds])


def catalogue_frame(lang: str) -> pd.DataFrame:
    cat = data.catalogue()
    rows = [{"id": i.code, "code": i.code, "name": i.name(lang), "chapter": i.chapter,
             "articles": "、".join(cat.regulation.articles[a].heading for a in i.articles) if lang == "zh"
             else ", ".join(f"Art. {a}" for a in i.articles),
             "unit": i.unit_label(lang), "frequency": t(i.frequency, lang), "department": i.department_label(lang),
             "definition": i.definition(lang),
             "link": f"[{t('details', lang)}]({c.href('/indicator/' + i.code, lang)})"} for i in cat.indicators.values()]
    return pd.DataFrame(rows)


def search_frame(frame: pd.DataFrame, text: str) -> pd.DataFrame:
    """Rows whose code, name, unit, department or definition contain every word typed (case-insensitive)."""
    words = [w.casefold() for w in (text or "").split()]
    if not words:
        return frame
    hay = (frame["code"] + " " + frame["name"] + " " + frame["unit"] + " " + frame["department"] + " "
           + frame["definition"]).str.casefold()
    keep = pd.Series(True, index=frame.index)
    for w in words:
        keep &= hay.str.contains(w, regex=False)
    return frame[keep]


@dash.callback(Output(ids.CATALOGUE_TABLE, "children"), Input(ids.CATALOGUE_SEARCH, "value"), State(ids.LANG, "data"))
def update_table(text, lang):
    lang = inputs.lang(lang)
    frame = search_frame(catalogue_frame(lang), inputs.text(text))
    table = c.table("catalogue-grid", frame, {
        "code": t("code", lang), "name": t("indicator_name", lang), "chapter": t("chapter", lang),
        "articles": t("articles", lang), "unit": t("unit", lang), "frequency": t("frequency", lang),
        "department": t("department", lang), "definition": t("definition", lang), "link": t("details", lang)},
        page_size=80, hidden=("id",), markdown=("link",), lang=lang)
    return [html.P(f"{len(frame)} / {len(data.catalogue().indicators)}", role="status"), table]


@dash.callback(Output(ids.REGULATION_TEXT, "children"), Input(ids.CATALOGUE_CHAPTER, "value"), State(ids.LANG, "data"))
def update_regulation(chapter, lang):
    lang, number = inputs.lang(lang), inputs.chapter(chapter)
    ch = data.catalogue().regulation.chapters[number]
    flag = html.Span(t("heading_missing", lang), className="flag") if ch.heading_missing else None
    return [html.H3([ch.label_en if lang == "en" else ch.label_zh, flag]), *articles(number, lang)]


c.sync_url(ids.CATALOGUE_SEARCH, ids.CATALOGUE_CHAPTER)
