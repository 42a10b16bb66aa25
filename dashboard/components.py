"""Layout pieces shared by the pages: the header (navigation, language toggle, synthetic banner), the provenance
panel, the status legend, accessible tables and labelled controls. Pure functions of their arguments."""

from __future__ import annotations

import json
import re
import unicodedata
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import pandas as pd
from dash import ClientsideFunction, Input, Output, dcc, html
from flask_wtf.csrf import generate_csrf

from dashboard import data, ids, numbers, search
from dashboard import provenance as readable
from dashboard.auth import access
from dashboard.i18n import t
from dashboard.review import texts as _review_texts  # noqa: F401 — "review_title" for the navigation
from dashboard.review import trail
from dashboard.style import FONT_FAMILY, MISSING_COLOUR, STATUS_ORDER, STATUS_STYLE
from indicators.engine.progress import status_label

PAGES = (("/", "overview"), ("/map", "map"), ("/league/150100", "league"), ("/indicator/DI-01", "indicator"),
         ("/chapter/2", "chapter"), ("/index", "index"), ("/quality", "quality"), ("/catalogue", "catalogue"),
         ("/releases", "releases"))
# shown to logged-in users only (Art. 9: the statistics are public, the office's workings are not)
INTERNAL_PAGES = ("quality", "calendar", "evaluation", "submit", "submissions", "review")
# the review's texts name its link; importing them registers them (dashboard/review/texts.py imports i18n and appdb)
NAV_TEXT = {"calendar": "calendar_nav", "submit": "submit_nav", "submissions": "submissions_nav",
            "review": "review_title"}
# pages that show no statistic: no 示例数据 banner there (the catalogue defines indicators, it shows no value)
NO_DATA_PATHS = ("/catalogue", "/releases", "/calendar", "/submit", "/submissions", "/404")
INTERNAL_LINKS = (("/calendar", "calendar"), ("/evaluation", "evaluation"), ("/submit", "submit"),
                  ("/submissions", "submissions"), ("/review", "review"))


def nav_target(key: str) -> str:
    """What the navigation opens of a page with a path parameter: nav_target("league") → "150100"."""
    return next(path for path, page in PAGES if page == key).rsplit("/", 1)[-1]


def dom_id(component_id) -> str:
    """The DOM id Dash gives a component: a pattern-matching dict id becomes its JSON with sorted keys."""
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return str(component_id)


def href(path: str, lang: str, **query: object) -> str:
    """A link that keeps the language: href('/map', 'en', year=2023) → '/map?lang=en&year=2023'."""
    params = {k: v for k, v in {"lang": lang if lang == "en" else None, **query}.items() if v not in (None, "")}
    return path + ("?" + urlencode(params) if params else "")


def header(active: str, lang: str, path: str, query: dict) -> html.Header:
    """Title, navigation, language toggle and (when the warehouse holds synthetic data) the 示例数据 banner."""
    other = "zh" if lang == "en" else "en"
    toggle_query = {k: v for k, v in query.items() if k != "lang" and v not in (None, "")}
    # dcc.Link (no full reload) has no aria props: the current page is told by a visually hidden word
    internal = access.is_internal()
    links = [(p, key) for p, key in PAGES + (INTERNAL_LINKS if internal else ()) if internal or key not in INTERNAL_PAGES]
    nav = [dcc.Link([t(NAV_TEXT.get(key, key), lang)] + ([html.Span(t("current_page", lang), className="sr-only")]
                                                        if key == active else []),
                    href=href(p, lang), className="nav-link" + (" active" if key == active else ""))
           for p, key in links]
    return html.Header(className="site-header", children=[
        html.Div(className="brand-row", children=[
            html.A(t("app_title", lang), href=href("/", lang), className="brand"),
            site_search(lang),
            html.A(t("language", lang), id=ids.LANG_TOGGLE, href=href(path, other, **toggle_query),
                   className="lang-toggle", lang=other, hrefLang=other,
                   **{"aria-label": "Switch to English" if lang == "zh" else "切换为中文"}),
            account(lang, href(path, lang, **{k: v for k, v in query.items() if k != "lang"})),
        ]),
        html.Nav(nav, id=ids.NAV, className="nav", **{"aria-label": "主导航 main navigation"}),
        preliminary_banner(lang),
        synthetic_banner(lang) if path not in NO_DATA_PATHS else None,
    ])


def site_search(lang: str) -> html.Div:
    """The header's search box: indicators and places by name, code, pinyin or initials (dashboard/search.py); it
    starts with the region and the leagues, and what is typed asks the server for its matches (dashboard/app.py,
    which also opens the page picked)."""
    label = t("site_search", lang)
    return html.Div(dcc.Dropdown(id=ids.SITE_SEARCH, options=search.site_matches(lang, ""), value=None,
                                 placeholder=label, clearable=False, optionHeight=44, maxHeight=320),
                    className="site-search", role="search", **{"aria-label": label})


DROPDOWN_LABELS = {"select_all": "dd_select_all", "deselect_all": "dd_deselect_all",  # Dropdown label → text key
                   "selected_count": "dd_selected_count", "search": "dd_search", "clear_search": "dd_clear_search",
                   "clear_selection": "dd_clear_selection", "no_options_found": "dd_no_options_found"}


def localise_dropdowns(component, lang: str) -> None:
    """Give every dropdown of a page its texts in the page's language ("已选 3 项", not "3 selected" on a Chinese
    page): Dash's Dropdown has English defaults only. Walks the page's tree once, when the page is built."""
    if isinstance(component, list | tuple):
        for child in component:
            localise_dropdowns(child, lang)
        return
    if isinstance(component, dcc.Dropdown) and getattr(component, "labels", None) is None:
        component.labels = {label: t(key, lang) for label, key in DROPDOWN_LABELS.items()}
    children = getattr(component, "children", None)
    if children is not None and not isinstance(children, str | int | float):
        localise_dropdowns(children, lang)


def account(lang: str, here: str) -> html.Div:
    """A login link (back to this page afterwards), or the user's name and a logout button (a POST form carrying
    the CSRF token: logging out is a state change, never a link a third-party page could make you follow)."""
    user = access.current_user()
    if user is None:
        return html.Div(html.A(t("login", lang), href=access.login_url(here), id=ids.LOGIN_LINK, className="login-link"),
                        className="account")
    return html.Div(className="account", children=[
        html.Span(user.username, id=ids.ACCOUNT_NAME, className="account-name"),
        preliminary_switch(lang, here) if access.may_see_preliminary(user) else None,
        html.Form(action=dash.get_relative_path("/logout"), method="POST", className="logout-form", children=[
            dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
            html.Button(t("logout", lang), type="submit", id=ids.LOGOUT, className="logout")]),
    ])


def provenance(code: str, region: str, period: str, lang: str) -> list:
    """The ⓘ panel of one value: how it was obtained, in the page's language (dashboard/provenance.py), file names
    and batches only for signed-in users; for analysts and admins followed by the trail of the batches that
    supplied it (submitter, review decisions, releases)."""
    found = data.explain(code, region, period)
    body = readable.story(found, data.catalogue(), lang, internal=access.is_internal())
    if access.has_role(access.current_user(), "analyst", "admin"):
        lines = trail.lines(trail.supplying_batches(found))
        if lines:
            body.append(html.Pre("\n".join(lines), className="provenance-body provenance-trail"))
    return [_panel_head(lang), *body]


def _panel_head(lang: str) -> html.Div:
    return html.Div(className="provenance-head", children=[
        html.H2(t("provenance", lang)),
        html.Button("×", id=ids.PROVENANCE_CLOSE, className="close", **{"aria-label": t("close", lang)})])


def preliminary_switch(lang: str, here: str) -> html.Form:
    """Analysts and admins: include the values not yet released (a POST with the CSRF token, kept in the session),
    or go back to the released ones."""
    on = data.preliminary()
    return html.Form(action=dash.get_relative_path("/_dem/preliminary"), method="POST", className="layer-form",
                     children=[dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
                               dcc.Input(type="hidden", name="on", value="0" if on else "1"),
                               dcc.Input(type="hidden", name="next", value=here),
                               html.Button(t("preliminary_off" if on else "preliminary_on", lang), type="submit",
                                           id=ids.PRELIMINARY_SWITCH, className="layer-switch")])


def preliminary_banner(lang: str) -> html.Div | None:
    """On every page read from the working warehouse: its values include ones not yet released (初步/未发布)."""
    if not data.preliminary():
        return None
    return html.Div([html.Strong(t("preliminary_mark", lang), className="preliminary-mark"), " ",
                     t("preliminary_note", lang)], id=ids.PRELIMINARY_BANNER, className="preliminary-banner",
                    role="note")


def synthetic_banner(lang: str) -> html.Div | None:
    if not (data.available() and data.has_synthetic()):
        return None
    return html.Div([html.Strong("示例数据 · synthetic", className="synthetic-mark"), " ", t("synthetic_note", lang)],
                    className="synthetic-banner", role="note")


def page(active: str, lang: str, path: str, query: dict, title: str, *body, controls=None) -> html.Div:
    """The frame of every page: header, title, controls, body, provenance panel, URL sync target, footer."""
    if not data.available():
        body = (warehouse_hint(lang),)
    frame = html.Div(lang="en" if lang == "en" else "zh-CN", className="page", children=[
        html.A(t("skip_to_content", lang), href="#main", className="skip-link"),
        header(active, lang, path, query),
        html.Main(id="main", tabIndex="-1", children=[
            html.H1(title),
            html.Div(controls, className="controls") if controls else None,
            *body,
            provenance_panel(lang),
        ]),
        dcc.Store(id=ids.URL_SYNC),
        dcc.Store(id=ids.LANG, data=lang),
        footer(lang),
    ])
    localise_dropdowns(frame, lang)
    return frame


def warehouse_hint(lang: str) -> html.Div:
    """Why there is nothing to show — no warehouse yet, one that cannot be read, or one an older version wrote — in
    both languages, the page's own first."""
    problem = data.health()
    key = {data.UNREADABLE: "unreadable_warehouse", data.OUTDATED: "outdated_warehouse"}.get(
        problem[0] if problem else "", "no_warehouse")
    if key == "no_warehouse" and not data.preliminary() and data.path(data.PRELIMINARY).exists():
        key = "nothing_released"  # loaded, but no release yet: the public warehouse does not exist
    path = data.path() if access.is_internal() else "…"  # a server path is internal
    other = "zh" if lang == "en" else "en"
    return html.Div([html.P(t(key, lang).format(path=path)), html.P(t(key, other).format(path=path), lang=other)],
                    className="warning", role="alert")


def footer(lang: str) -> html.Footer:
    stamp = data.published_at() if data.available() else None
    return html.Footer(className="site-footer", children=[
        html.Span(f"{t('published_at', lang)}: {stamp[:19].replace('T', ' ') if stamp else '—'} UTC"),
        html.Span(t("footer_note", lang)),
    ])


def provenance_panel(lang: str) -> html.Aside:
    return html.Aside(id=ids.PROVENANCE, className="provenance", role="region", **{
        "aria-live": "polite", "aria-label": t("provenance", lang)},
        children=html.P(t("provenance_hint", lang), className="hint"))


def explain_button(code: str, region: str, period: str, lang: str) -> html.Button:
    """A small ⓘ button that opens the provenance of one value (keyboard reachable, labelled)."""
    return html.Button("ⓘ", id={"type": ids.EXPLAIN, "key": f"{code}|{region}|{period}"}, className="explain",
                       title=t("show_provenance", lang), **{"aria-label": f"{t('show_provenance', lang)} {code} {period}"})


def labelled(label: str, control_id: str, control) -> html.Div:
    """A control with a visible <label for>: screen readers announce the label, clicks focus the control."""
    return html.Div([html.Label(label, htmlFor=control_id), control], className="control")


def status_badge(status: str, lang: str, reason: str = "") -> html.Span:
    """Symbol, colour and word of a status; `reason` (its one sentence) is shown on hover and read by screen
    readers."""
    colour, symbol, _ = STATUS_STYLE.get(status, ("#999", "?", ""))
    extra = {"title": reason, "aria-label": f"{status_label(status, lang)}: {reason}"} if reason else {}
    return html.Span([html.Span(symbol, className="status-symbol", style={"color": colour}, **{"aria-hidden": "true"}),
                      " " + status_label(status, lang)], className="status-badge", **extra)


def status_text(row, lang: str) -> str:
    """A status as table text: '▲ 进展顺利', with a caution when its target is confirmed only through a secondary
    source (R*) and the synthetic mark when it rests on synthetic data."""
    text = f"{STATUS_STYLE.get(row['status'], ('', '?', ''))[1]} {status_label(row['status'], lang)}"
    if row.get("target_verification") == "R*":
        text += " · " + t("target_secondary", lang)
    if row.get("synthetic"):
        text += " · " + t("synthetic_mark", lang)
    return text


def target_caution(row, lang: str) -> html.Small | None:
    """On a card: the target behind the status is confirmed only through a secondary source (R*)."""
    if row is None or row.get("target_verification") != "R*":
        return None
    return html.Small(t("target_secondary", lang), className="caution")


def status_legend(lang: str) -> html.Div:
    """Every progress status with its symbol, colour and word (never colour alone)."""
    items = [html.Li(status_badge(s, lang)) for s in STATUS_ORDER]
    return html.Div([html.Span(t("status_legend", lang), className="legend-title"), html.Ul(items)],
                    className="legend", role="note")


def missing_legend(lang: str) -> html.Span:
    return html.Span([html.Span(className="swatch", style={"background": MISSING_COLOUR}), " " + t("not_reported", lang)],
                     className="legend-item")


# The grid's own words in the page's language, AG Grid's localeText key → text key (dashboard/i18n.py): what it
# shows (pages "页码 1 / 3" / "Page 1 of 3", rows "1 – 25 / 36" / "1 to 25 of 36", an empty table) and what it
# tells screen readers (the paging buttons, how to sort, the review queue's tick boxes and their state)
GRID_LABELS = {"page": "grid_page", "of": "grid_of", "to": "grid_to", "more": "grid_more",
               "firstPage": "grid_first_page", "previousPage": "grid_previous_page",
               "nextPage": "grid_next_page", "lastPage": "grid_last_page", "noRowsToShow": "grid_no_rows",
               "loadingOoo": "grid_loading", "ariaSortableColumn": "grid_sortable",
               "ariaRowToggleSelection": "grid_select_row", "ariaRowSelect": "grid_row_select",
               "ariaRowDeselect": "grid_row_deselect", "ariaHeaderSelection": "grid_select_page",
               "ariaRowSelectAll": "grid_page_select", "ariaChecked": "grid_checked",
               "ariaUnchecked": "grid_unchecked", "ariaIndeterminate": "grid_indeterminate"}


def grid_texts(lang: str) -> dict[str, str]:
    """A grid's localeText in `lang`: {"firstPage": "首页", …} or {"firstPage": "First page", …}."""
    return {key: t(text, lang) for key, text in GRID_LABELS.items()}


# the grid's look (AG Grid's Quartz theme, its <style> elements made in the browser): the site's font and focus
GRID_THEME = {"function": "themeQuartz.withParams(" + json.dumps({
    "fontFamily": FONT_FAMILY, "fontSize": 14, "headerFontWeight": 600, "headerBackgroundColor": "#f2f4f7",
    "accentColor": "#0b5cad", "rangeSelectionBorderColor": "#0b5cad", "wrapperBorderRadius": 4,
    "cellHorizontalPadding": 10}) + ")"}
STATUS_COLOURS = {symbol: colour for colour, symbol, _ in STATUS_STYLE.values()}  # '▲' → '#0072B2'


def table(table_id, frame: pd.DataFrame, columns: dict[str, str], page_size: int = 25, hidden: tuple = (),
          decimals: dict[str, int] | None = None, row_selectable: str | None = None, markdown: tuple = (),
          statuses: tuple = (), *, lang: str, **kwargs) -> dag.AgGrid:
    """An accessible grid (dash-ag-grid) of `frame` with the given {column: header}, sorting by a click on a
    header and paged by `page_size` rows; long texts wrap. `hidden` columns travel in the rows without being shown
    (e.g. "id", the row id cellClicked reports whatever the sort order). Columns named in `decimals` are numbers of
    one indicator: rounded, they sort as numbers and show the text of dashboard.numbers (thousands separators, the
    decimals, '—' when missing), which travels beside them; columns mixing indicators are formatted text already.
    `markdown` columns hold links ('[详情](/indicator/DI-01)'); `statuses` columns progress statuses as
    status_text writes them, shown with the symbol in its colour. row_selectable="multi" adds a tick box per row
    (selectedRows) and one in the header for the rows of the page shown. The grid's own words (paging, an empty
    table, its labels for screen readers) are in the page's `lang`."""
    decimals = decimals or {}
    keep = list(columns) + [h for h in hidden if h in frame.columns and h not in columns]
    shown = frame[keep].assign(**{c: pd.to_numeric(frame[c], errors="coerce").round(d) for c, d in decimals.items()})
    # missing cells as None, row by row: for tables of tens of rows several times faster than DataFrame.where
    records = [{k: None if _missing(v) else v for k, v in row.items()} for row in shown.to_dict("records")]
    for row in records:
        row.update({_text_field(c): numbers.value(row[c], d) for c, d in decimals.items()})
    # every cell of a page is in the document, in reading order (find in page, screen readers): a page is small
    options = {"pagination": True, "paginationPageSize": page_size, "paginationPageSizeSelector": False,
               "domLayout": "autoHeight", "suppressRowVirtualisation": True, "suppressColumnVirtualisation": True,
               "ensureDomOrder": True, "enableCellTextSelection": True, "suppressFieldDotNotation": True,
               "theme": GRID_THEME, "localeText": grid_texts(lang)}
    if row_selectable == "multi":
        # the header's box ticks the rows of the page shown, which the reviewer can see — not those of other pages
        options["rowSelection"] = {"mode": "multiRow", "checkboxes": True, "headerCheckbox": True,
                                   "selectAll": "currentPage", "enableClickSelection": False}
    if "id" in keep:  # AG Grid's row ids are text: the id 12 becomes "12"
        kwargs.setdefault("getRowId", "'' + params.data.id")
    return dag.AgGrid(
        id=table_id, rowData=records, className="dem-grid", dashGridOptions=options, style={"width": "100%"},
        columnDefs=[_column(c, n, records, decimals.get(c), c in markdown, c in statuses) for c, n in columns.items()],
        defaultColDef={"sortable": True, "resizable": True, "wrapHeaderText": True, "autoHeaderHeight": True,
                       "cellDataType": False, "suppressHeaderMenuButton": True}, **kwargs)


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def _text_field(column: str) -> str:
    """Where a number column's shown text travels in a row: 'value' → 'value__text'."""
    return f"{column}__text"


def _column(column: str, name: str, records: list[dict], decimals: int | None, markdown: bool = False,
            status: bool = False) -> dict:
    """One column: a share of the width after its typical cell (long texts get more), never narrower than its
    longest unbreakable word ('25,612.06' stays on one line) nor than about eight Chinese characters of a longer
    text (which wraps between any two). On a narrow screen the grid scrolls sideways inside itself, never the
    page."""
    shown = column if decimals is None else _text_field(column)
    texts = [str(r[shown]) for r in records[:200] if r.get(shown) is not None]
    if markdown:  # a link is as wide as its words: '[详情](/indicator/DI-01)' → '详情'
        texts = [LINK.sub(r"\1", x) for x in texts]
    widths = sorted(_width(x) for x in texts)
    typical = max(_width(name) // 2, widths[len(widths) // 2] if widths else 0)
    word = max([_width(w) for x in texts for w in WORD.findall(x)] + [2])
    fits = max(word, min(typical, 16))  # in its narrowest, the column holds this many half-width characters a line
    out = {"field": column, "headerName": name, "flex": min(40, max(3, typical)),
           "minWidth": min(200, max(56, 8 * fits + 34))}
    if not widths or widths[-1] > fits:  # only texts that may need several lines wrap (each such cell is measured)
        out |= {"wrapText": True, "autoHeight": True}
    if decimals is not None:  # the number sorts, its text shows (a lookup, not code: nothing is evaluated)
        out["valueFormatter"] = {"function": f"params.data[{json.dumps(_text_field(column))}]"}
        out["type"] = "rightAligned"
    if markdown:
        out["cellRenderer"] = "markdown"
    if status:
        out |= {"cellRenderer": "DemStatus", "cellRendererParams": {"colours": STATUS_COLOURS}}
    return out


LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
WORD = re.compile(r"[^\s\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+")  # text between spaces and CJK


def _width(text: str) -> int:
    """Columns a text takes in a fixed-width font: a CJK character two ('数据' → 4, 'DI-01' → 5), and so the
    signs a CJK font draws as wide ('—', '·', '▁')."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def graph(graph_id, figure=None, label: str = "", **kwargs) -> html.Div:
    """A plotly graph inside a role="figure" box that names it to screen readers (dcc.Graph takes no aria
    props); no plotly logo, no cloud links."""
    return html.Div(dcc.Graph(id=graph_id, figure=figure or {}, className="graph", **kwargs,
                              config={"displaylogo": False, "responsive": True,
                                      "modeBarButtonsToRemove": ["sendDataToCloud"]}),
                    role="figure", **({"aria-label": label} if label else {}))


def as_int(value: object, default: int, allowed: list[int] | None = None) -> int:
    """A query value as an int, falling back to the default for anything unusable ('abc', a missing year)."""
    try:
        number_ = int(str(value))
    except (TypeError, ValueError):
        return default
    return number_ if allowed is None or number_ in allowed else default


def as_list(value: object) -> list[str]:
    """'150100,150200' → ['150100', '150200']; a list passes through; None → []."""
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [v for v in str(value).split(",") if v]


def year_options() -> list[dict]:
    years = data.data_years() if data.available() else []
    return [{"label": str(y), "value": y} for y in reversed(years)]


def synthetic_tag(lang: str) -> html.Span:
    return html.Span(t("synthetic_mark", lang) + (" · synthetic" if lang == "zh" else ""), className="synthetic-tag")


def geo_url(level: str) -> str:
    """The URL of a boundary file as the browser sees it (honours a reverse-proxy prefix)."""
    return dash.get_relative_path(f"/geo/{level}.json")


def sync_url(*control_ids) -> None:
    """Mirror these controls' values into the address bar (see assets/dem.js); call once per page module."""
    dash.clientside_callback(ClientsideFunction("dem", "sync_url"),
                             Output(ids.URL_SYNC, "data", allow_duplicate=True),
                             [Input(c, "value") for c in control_ids], prevent_initial_call=True)
