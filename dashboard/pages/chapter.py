"""章节 Chapter: the chapter's articles as supplied (gaps marked, never filled) and all its indicators with the
region's latest value and progress status at a glance. Chapter 3's lost heading is shown as a flag."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update

from dashboard import components as c
from dashboard import data, ids, inputs, numbers, warming
from dashboard.figures import chapter_labels
from dashboard.i18n import lang_of, t
from dashboard.style import status_symbol
from indicators.base.regulation import MISSING, PARTIAL
from indicators.engine.progress import status_label

dash.register_page(__name__, path_template="/chapter/<n>", name="章节 Chapter", title="北疆数字经济监测 · 章节")



def layout(n: str | None = None, lang: str | None = None, year: str | None = None, **_query) -> html.Div:
    lang = lang_of(lang)
    reg = data.catalogue().regulation
    number = c.as_int(n, 0, list(reg.chapters))
    if not number:
        return c.page("chapter", lang, f"/chapter/{n}", {"lang": lang}, t("chapter", lang),
                      html.P(t("not_found", lang).format(what=n), className="warning"), chapter_links(0, lang))
    chapter = reg.chapters[number]
    title = chapter.label_en if lang == "en" else chapter.label_zh
    flag = html.Span(t("heading_missing", lang), className="flag") if chapter.heading_missing else None
    years = data.data_years() if data.available() else []
    controls = [c.labelled(t("select_year", lang), ids.CHAPTER_YEAR, dcc.Dropdown(
        id=ids.CHAPTER_YEAR, options=c.year_options(), value=c.as_int(year, years[-1] if years else 0, years or None),
        clearable=False))] if years else None
    body = [chapter_links(number, lang), html.P(flag) if flag else None,
            html.Section(className="panel", children=[html.H2(t("indicators_of_chapter", lang)),
                                                      c.status_legend(lang), html.Div(id=ids.CHAPTER_TABLE)]),
            html.Section(className="panel", children=[html.H2(t("articles_of_chapter", lang)),
                                                      *articles(number, lang)]),
            dcc.Store(id="chapter-number", data=number)]
    return c.page("chapter", lang, f"/chapter/{number}", {"lang": lang, "year": year}, title, *body,
                  controls=controls)


def chapter_links(current: int, lang: str) -> html.Nav:
    labels = chapter_labels(data.catalogue(), lang)
    return html.Nav([dcc.Link(labels[n], href=c.href(f"/chapter/{n}", lang),
                              className="chip" + (" active" if n == current else ""))
                     for n in data.catalogue().regulation.chapters], className="chips",
                    **{"aria-label": t("chapter", lang)})


def articles(number: int, lang: str) -> list:
    """The chapter's articles as supplied; partial ones flagged; the lost run 13–23 (chapter unknowable) is shown
    on the chapters on either side of the gap, as missing."""
    reg = data.catalogue().regulation
    numbers = reg.chapters[number].articles
    out = []
    for k in numbers:
        art = reg.articles[k]
        note = art.note_en if lang == "en" else art.note_zh
        out.append(html.Div(className="article" + (" partial" if art.status == PARTIAL else ""), children=[
            html.H3([art.title(lang), html.Span(note, className="flag") if note else None]),
            *[html.P(p) for p in art.paragraphs]]))
    lost = [k for k, a in reg.articles.items() if a.status == MISSING and a.chapter is None]
    if lost and numbers and (min(lost) - 1 in numbers or max(lost) + 1 in numbers):
        first, last = reg.articles[min(lost)].title(lang), reg.articles[max(lost)].title(lang)
        out.insert(0 if max(lost) + 1 in numbers else len(out), html.Div(className="article missing", children=[
            html.H3(f"{first}—{last}", className="missing-heading"),
            html.P(t("article_missing", lang) + " · " + t("missing_articles", lang))]))
    return out


@data.memo
def status_table(number: int, year: int, lang: str):
    """The chapter's indicators with the region's latest value up to `year` and its progress status."""
    cat = data.catalogue()
    codes = tuple(i.code for i in cat.by_chapter(number))
    if not codes:
        return html.P(t("no_data", lang))
    progress = data.progress(year, (data.root(),), codes)
    progress = progress.set_index("indicator_code") if len(progress) else pd.DataFrame()
    rows = []
    for code in codes:
        ind = cat.indicator(code)
        row = {"id": code, "code": code, "indicator_name": ind.name(lang), "unit": ind.unit_label(lang), "value": t("not_reported", lang),
               "year": None, "status": f"{status_symbol('insufficient_data')} {status_label('insufficient_data', lang)}"}
        if code in progress.index:
            p = progress.loc[code]
            row.update(value=numbers.value(p["latest_value"], ind.decimals), year=int(p["latest_year"]),
                       status=c.status_text(p.to_dict(), lang))
        row["link"] = f"[{t('indicator', lang)} →]({c.href('/indicator/' + code, lang)})"
        rows.append(row)
    frame = pd.DataFrame(rows)
    return c.table("chapter-status", frame, {
        "code": t("code", lang), "indicator_name": t("indicator_name", lang), "value": t("value", lang),
        "unit": t("unit", lang), "year": t("year", lang), "status": t("status", lang), "link": t("details", lang)},
        page_size=40, hidden=("id",), markdown=("link",), statuses=("status",), lang=lang)


@dash.callback(Output(ids.CHAPTER_TABLE, "children"), Input(ids.CHAPTER_YEAR, "value"), State("chapter-number", "data"),
               State(ids.LANG, "data"))
def update(year, number, lang):
    return status_table(inputs.chapter(number), inputs.year(year), inputs.lang(lang))


@dash.callback(Output(ids.PROVENANCE, "children", allow_duplicate=True), Input("chapter-status", "cellClicked"),
               State(ids.CHAPTER_YEAR, "value"), State(ids.LANG, "data"), prevent_initial_call=True)
def explain_cell(cell, year, lang):
    row_id = inputs.cell(cell)
    if not row_id:
        return no_update
    code, year = inputs.indicator(row_id), inputs.year(year)
    found = data.values((code,), (data.root(),), (), None, "annual", (0, year))
    if found.empty:
        return no_update
    period = str(found.sort_values("year")["period"].iloc[-1])
    return c.provenance(code, data.root(), period, inputs.lang(lang))


c.sync_url(ids.CHAPTER_YEAR)


def _first_views() -> list:
    """What the navigation's chapter link opens: the page and its status table, in the latest year."""
    number = int(c.nav_target("chapter"))
    return [lambda: layout(str(number)), lambda: status_table(number, data.default_year(), "zh")]


warming.warm_with(first=_first_views, rest=lambda: [lambda n=n: status_table(n, data.default_year(), "zh")
                                                    for n in data.catalogue().regulation.chapters])
