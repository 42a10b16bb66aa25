"""数据报送 /submit: pick the unit (within one's scope) and the period, download its template, drop a file — it is
checked at once with the ETL's rules (bilingual report: every problem with line and column; the problems as CSV)
— explain warnings if you like, and submit: the original is stored and queued for loading.

The file goes from the browser to POST /portal/upload (assets/portal.js), never inside a Dash callback; the page
keeps only the upload's token."""

from __future__ import annotations

import dash
import pandas as pd
from dash import ALL, ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update
from flask_wtf.csrf import generate_csrf

from dashboard import components as c
from dashboard import data, inputs
from dashboard import ids as shell
from dashboard.auth import access
from dashboard.i18n import lang_of, t
from dashboard.portal import checks, intake, routes
from dashboard.portal import ids as pid

dash.register_page(__name__, path="/submit", name="数据报送 Submit data", title="北疆数字经济监测 · 数据报送")

MAX_EXPLAINED = 200  # warnings offered an explanation box (a file with more is better corrected than explained)


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = lang_of(lang)
    user = access.current_user()
    if user is None:
        return access.login_redirect("/submit")
    if not intake.may_submit(user):
        return c.page("submit", lang, "/submit", {"lang": lang}, t("portal_submit", lang),
                      html.P(t("portal_not_allowed", lang), className="warning", role="alert"))
    cat, settings = data.catalogue(), data.settings()
    units = intake.units(user, cat)
    unit = user.region if user.region in {u.code for u in units} else (units[0].code if units else None)
    config = {"url": dash.get_relative_path(routes.UPLOAD), "csrf": generate_csrf()}
    controls = [
        c.labelled(t("portal_unit", lang), pid.UNIT, dcc.Dropdown(
            id=pid.UNIT, value=unit, clearable=False,
            options=[{"label": f"{u.code} {u.name(lang)}", "value": u.code} for u in units])),
        c.labelled(t("portal_period", lang), pid.PERIOD, dcc.Input(
            id=pid.PERIOD, value=str(settings.today.year - 1), type="text", maxLength=8, debounce=True,
            placeholder=t("portal_period_hint", lang))),
        html.Div([html.Span(t("portal_template", lang) + "："),
                  html.A(t("portal_template_xlsx", lang), id=pid.TEMPLATE_XLSX, href=""), " · ",
                  html.A(t("portal_template_csv", lang), id=pid.TEMPLATE_CSV, href="")], className="control"),
    ]
    return c.page("submit", lang, "/submit", {"lang": lang}, t("portal_submit", lang), html.Section(className="panel", children=[
        dcc.Upload(id=pid.UPLOAD, accept=".csv,.tsv,.txt,.xlsx", multiple=False, className="upload",
                   children=html.Div(t("portal_drop", lang)),
                   style={"border": "2px dashed #8a94a6", "padding": "2rem", "textAlign": "center",
                          "cursor": "pointer"}),
        dcc.Store(id=pid.UPLOAD_CONFIG, data=config),
        dcc.Store(id=pid.UPLOADED),
        dcc.Loading(html.Div(id=pid.REPORT, role="region", **{"aria-live": "polite",
                                                               "aria-label": t("portal_report", lang)})),
        html.Button(t("portal_submit_button", lang), id=pid.SUBMIT, disabled=True, className="button"),
        html.Div(id=pid.RESULT, role="status"),
    ]), controls=controls)


def template_href(region: str | None, period: str | None, fmt: str) -> str:
    query = {"region": region or "", "period": period or "", "format": fmt}
    return dash.get_relative_path("/portal/template") + "?" + "&".join(f"{k}={v}" for k, v in query.items())


@dash.callback(Output(pid.TEMPLATE_XLSX, "href"), Output(pid.TEMPLATE_CSV, "href"),
               Input(pid.UNIT, "value"), Input(pid.PERIOD, "value"))
def template_links(region, period):
    region = inputs.region(region)
    period = period.strip() if isinstance(period, str) and intake.PERIOD.fullmatch(period.strip()) else ""
    return template_href(region, period, "xlsx"), template_href(region, period, "csv")


dash.clientside_callback(ClientsideFunction("portal", "upload"), Output(pid.UPLOADED, "data"),
                         Input(pid.UPLOAD, "contents"), State(pid.UPLOAD, "filename"), State(pid.UNIT, "value"),
                         State(pid.PERIOD, "value"), State(pid.UPLOAD_CONFIG, "data"), prevent_initial_call=True)


@dash.callback(Output(pid.REPORT, "children"), Output(pid.SUBMIT, "disabled"), Output(pid.RESULT, "children"),
               Input(pid.UPLOADED, "data"), State(shell.LANG, "data"), prevent_initial_call=True)
def show_report(answer, lang):
    """The upload route's answer: its refusal (403, 413 …) or the report of the checked file."""
    lang = inputs.lang(lang)
    if not isinstance(answer, dict):
        return no_update, True, None
    if answer.get("error") is not None or not answer.get("token"):
        return refusal(answer, lang), True, None
    found = intake.pending(access.current_user(), answer["token"], data.settings())
    if found is None:
        return html.P(t("portal_expired", lang), className="warning", role="alert"), True, None
    report = found[1]["report"]
    return report_view(report, lang, dash.get_relative_path(f"/portal/uploads/{answer['token']}/problems.csv"),
                       explain=True), not checks.passed(report), None


def refusal(answer: dict, lang: str) -> html.Div:
    first, second = ("message_en", "message_zh") if lang == "en" else ("message_zh", "message_en")
    return html.Div([html.Strong(t("portal_upload_failed", lang)), html.P(str(answer.get(first, ""))),
                     html.P(str(answer.get(second, "")), lang="zh" if lang == "en" else "en")],
                    className="warning", role="alert")


def report_view(report: dict, lang: str, csv_href: str | None, explain: bool = False,
                explained: dict | None = None) -> html.Div:
    """A check report: the headline in both languages, the errors (line, column, value, rule, both messages),
    the warnings (with an explanation box each when `explain`), and the problems as CSV."""
    other = "zh" if lang == "en" else "en"
    first, second = f"message_{lang}", f"message_{other}"
    head = [html.H2(t("portal_report", lang)), html.P(report.get(first, ""), className="verdict"),
            html.P(report.get(second, ""), lang=other, className="hint")]
    if report.get(f"reading_{lang}"):
        head.append(html.P(report[f"reading_{lang}"], className="hint"))
    errors, warnings = checks.errors(report), checks.warnings(report)
    body = []
    if errors:
        body += [html.H3(f"{t('portal_errors', lang)} ({report.get('n_errors', len(errors))})"),
                 problems_table("portal-errors-table", errors, lang)]
    if warnings:
        body += [html.H3(f"{t('portal_warnings', lang)} ({report.get('n_warnings', len(warnings))})"),
                 html.P(t("portal_explain_hint", lang), className="hint") if explain else None,
                 warnings_list(warnings, lang, explain, explained or {})]
    if not errors and not warnings:
        body.append(html.P(t("portal_no_problems", lang)))
    if csv_href and (errors or warnings):
        body.append(html.A(t("portal_download_problems", lang), href=csv_href, className="download"))
    return html.Div(head + body, className="report")


def problems_table(table_id: str, problems: list[dict], lang: str):
    frame = pd.DataFrame(problems)
    return c.table(table_id, frame, {
        "line": t("portal_line", lang), "column": t("portal_column", lang), "value": t("portal_value", lang),
        "rule": t("portal_rule", lang), "message_zh": "说明", "message_en": "Message"},
        page_size=20, lang=lang)


def warnings_list(warnings: list[dict], lang: str, explain: bool, explained: dict) -> html.Ol:
    items = []
    for i, p in enumerate(warnings):
        where = f"{t('portal_line', lang)} {p.get('line') or '—'} · {p.get('column') or '—'} · {p.get('rule')}"
        item = [html.Span(where, className="where"), html.Br(), p.get("message_zh", ""), html.Br(),
                html.Span(p.get("message_en", ""), lang="en")]
        key = f"{p.get('line')}|{p.get('rule')}"
        if explain and p.get("line") and i < MAX_EXPLAINED:
            box = {"type": pid.EXPLAIN, "key": key}
            item += [html.Br(), html.Label(t("portal_explain", lang), htmlFor=c.dom_id(box)),
                     dcc.Input(id=box, type="text", maxLength=intake.MAX_EXPLANATION, debounce=True,
                               style={"width": "100%"})]
        elif key in explained:
            item += [html.Br(), html.Em(f"{t('portal_explanations', lang)}: {explained[key]}")]
        items.append(html.Li(item))
    return html.Ol(items, className="warnings")


@dash.callback(Output(pid.RESULT, "children", allow_duplicate=True), Output(pid.SUBMIT, "disabled", allow_duplicate=True),
               Input(pid.SUBMIT, "n_clicks"), State(pid.UPLOADED, "data"),
               State({"type": pid.EXPLAIN, "key": ALL}, "value"), State(shell.LANG, "data"),
               prevent_initial_call=True)
def submit(clicks, answer, texts, lang):
    """Queue the checked upload (only one without errors) with the explanations given."""
    lang = inputs.lang(lang)
    if not inputs.clicks(clicks) or not isinstance(answer, dict):
        return no_update, no_update
    user, settings = access.current_user(), data.settings()
    found = intake.pending(user, answer.get("token"), settings) if user else None
    if found is None:
        return html.P(t("portal_expired", lang), className="warning", role="alert"), True
    if not checks.passed(found[1]["report"]):
        return html.P(t("portal_fix_first", lang), className="warning", role="alert"), True
    explanations = explanation_texts(ctx.states_list[1], texts, found[1]["report"])
    queued = intake.submit(user, found[0], found[1], "portal", settings, data.catalogue(), explanations)
    return html.Div([html.P(t("portal_queued", lang).format(id=queued.id)),
                     dcc.Link(t("portal_view_submissions", lang), href=c.href("/submissions", lang))],
                    className="success"), True


def explanation_texts(states: list, texts: list, report: dict) -> dict[tuple[int, str], str]:
    """{(line, rule): text} of the boxes filled in, for warnings the report really has."""
    allowed = set(intake.explanation_keys(report))
    out = {}
    for state, text in zip(states or [], texts or [], strict=False):
        line, _, rule = str(state.get("id", {}).get("key", "")).partition("|")
        key = (int(line), rule) if line.isdigit() else None
        if key in allowed and isinstance(text, str) and text.strip():
            out[key] = text
    return out
