"""报送记录 /submissions: one's own submissions (analysts and admins: everyone's) with their status — queued,
loading, loaded as batch N, rejected (its report shown on a click), failed — refreshed every few seconds without
reloading the page. A click on one's own loaded submission still under review also offers a box per warning of its
batch to add or change the explanation the reviewers need (dashboard/portal/explanations.py)."""

from __future__ import annotations

import dash
import pandas as pd
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import components as c
from dashboard import data, inputs
from dashboard import ids as shell
from dashboard.auth import access, sessions
from dashboard.i18n import lang_of, t
from dashboard.portal import explanations as late
from dashboard.portal import ids as pid
from dashboard.portal.intake import MAX_EXPLANATION
from dashboard.portal.submit import report_view
from dashboard.review import page as review_page
from dashboard.review import policy
from indicators.storage import appdb

dash.register_page(__name__, path="/submissions", name="报送记录 Submissions", title="北疆数字经济监测 · 报送记录")

REFRESH_MS = 5000
SHOWN = 500


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = lang_of(lang)
    user = access.current_user()
    if user is None:
        return access.login_redirect("/submissions")
    frame = rows(user, lang)
    return c.page("submissions", lang, "/submissions", {"lang": lang}, t("portal_submissions", lang),
                  html.Section(className="panel", children=[
                      dcc.Link(t("portal_submit", lang), href=c.href("/submit", lang)),
                      html.P(t("portal_show_report", lang), className="hint"),
                      c.table(pid.LIST, frame, columns(lang), page_size=25, hidden=("id",), lang=lang),
                      html.P(t("portal_none", lang), className="hint") if frame.empty else None,
                      dcc.Interval(id=pid.TICK, interval=REFRESH_MS),
                      html.Div(id=pid.DETAIL, role="region", **{"aria-live": "polite"})]))


def columns(lang: str) -> dict[str, str]:
    return {"submission_id": t("portal_id", lang), "filename": t("portal_file", lang),
            "region": t("portal_unit", lang), "period": t("portal_period", lang),
            "username": t("portal_submitter", lang), "submitted_at": t("portal_submitted_at", lang),
            "status": t("portal_status", lang), "n_errors": t("portal_errors", lang),
            "n_warnings": t("portal_warnings", lang), "via": t("portal_via", lang), "review": t("review_state", lang)}


def visible(user: appdb.User | None) -> list[appdb.Submission]:
    """The user's own submissions; every submission for analysts and admins."""
    if user is None:
        return []
    everyone = access.has_role(user, "analyst", "admin")
    with appdb.opened(data.settings().paths.app_db) as con:
        return appdb.submissions(con, username=None if everyone else user.username, limit=SHOWN)


def status_text(found: appdb.Submission, lang: str) -> str:
    return t(f"portal_status_{found.status}", lang).format(batch=found.batch_id)


def rows(user: appdb.User | None, lang: str) -> pd.DataFrame:
    names = {r.code: r.name(lang) for r in data.catalogue().regions.regions}
    reviewed = review_page.states_by_batch()  # the review state and return reason of each loaded batch
    records = [{"id": s.id, "submission_id": s.id, "filename": s.filename,
                "region": f"{s.region} {names.get(s.region, '')}".strip(), "period": s.period or "",
                "username": s.username, "submitted_at": s.submitted_at.replace("T", " ").rstrip("Z"),
                "status": status_text(s, lang), "n_errors": s.n_errors, "n_warnings": s.n_warnings, "via": s.via,
                "review": review_page.review_text(reviewed, s.batch_id, lang)} for s in visible(user)]
    return pd.DataFrame(records, columns=["id", *columns(lang)])


@dash.callback(Output(pid.LIST, "rowData"), Input(pid.TICK, "n_intervals"), State(shell.LANG, "data"),
               prevent_initial_call=True)
def refresh(_ticks, lang):
    """The statuses now (a load may have finished since the page opened)."""
    frame = rows(access.current_user(), inputs.lang(lang))
    return frame.to_dict("records")


@dash.callback(Output(pid.DETAIL, "children"), Input(pid.LIST, "cellClicked"), State(shell.LANG, "data"),
               prevent_initial_call=True)
def show(cell, lang):
    """The report of the clicked submission (and the submitter's explanations of its warnings)."""
    row_id = inputs.cell(cell)
    if row_id is None:
        return no_update
    lang, submission_id = inputs.lang(lang), inputs.row_number(row_id, "submission")
    user = access.current_user()
    found = next((s for s in visible(user) if s.id == submission_id), None)
    if found is None or found.report is None:
        return html.P(f"{t('portal_id', lang)} {submission_id}: {t('none', lang)}")
    with appdb.opened(data.settings().paths.app_db) as con:
        explained = {f"{e['line']}|{e['rule']}": e["text"] for e in appdb.explanations(con, found.id)}
    href = dash.get_relative_path(f"/portal/submissions/{found.id}/problems.csv")
    open_item = late.editable(user, found.id)
    return html.Div([html.H2(f"{t('portal_id', lang)} {found.id} · {found.filename} · {status_text(found, lang)}"),
                     report_view(found.report, lang, href, explained=explained),
                     explain_form(found.id, open_item, lang) if open_item and late.flags(open_item) else None])


def explain_form(submission_id: int, item, lang: str) -> html.Section:
    """A box per warning of the batch (prefilled with its explanation, if any) and a Save button."""
    entries = []
    for f in late.flags(item):
        box = {"type": pid.EXPLAIN_LATER, "key": f"{f.line}|{f.rule}"}
        given = item.explanations.get((f.line, f.rule)) or ""
        message = f.message_en if lang == "en" else f.message_zh
        entries.append(html.Li([
            html.Span(f"{t('portal_line', lang)} {f.line} · {f.rule}", className="where"), html.Br(), message,
            html.Br(), html.Label(t("portal_explain_later", lang) if given.strip()
                                  else f"{t('portal_explain_later', lang)}（{t('portal_explain_missing', lang)}）",
                                  htmlFor=c.dom_id(box)),
            dcc.Input(id=box, type="text", value=given, maxLength=MAX_EXPLANATION, style={"width": "100%"})]))
    return html.Section([html.H3(t("portal_explain_later", lang)),
                         html.P(t("portal_explain_later_hint", lang), className="hint"),
                         dcc.Store(id=pid.EXPLAINING, data=submission_id),
                         html.Ol(entries, className="warnings"),
                         html.Button(t("portal_explain_save", lang), id=pid.EXPLAIN_SAVE, className="button"),
                         html.Div(id=pid.EXPLAIN_RESULT, role="status")], className="explain")


@dash.callback(Output(pid.EXPLAIN_RESULT, "children"), Input(pid.EXPLAIN_SAVE, "n_clicks"),
               State(pid.EXPLAINING, "data"), State({"type": pid.EXPLAIN_LATER, "key": ALL}, "value"),
               State(shell.LANG, "data"), prevent_initial_call=True)
def save(clicks, submission_id, texts, lang):
    """Store the explanations typed in (re-checked on the server: one's own batch, its own warnings only)."""
    lang = inputs.lang(lang)
    if not inputs.clicks(clicks) or submission_id is None:
        return no_update
    given = typed(ctx.states_list[1], texts)
    outcome = late.save(access.current_user(), inputs.integer(submission_id, "submission"), given,
                        sessions.client_address())
    if isinstance(outcome, policy.Refusal):
        return html.P(outcome.text(lang), className="warning", role="alert")
    return html.P(t("portal_explain_saved", lang).format(n=outcome), className="success")


def typed(states: list, texts: list) -> dict[tuple[int, str], str]:
    """{(line, rule): text} of the boxes as the browser sent them (which of them are the batch's: late.save)."""
    out = {}
    for state, text in zip(states or [], texts or [], strict=False):
        line, _, rule = str(state.get("id", {}).get("key", "") if isinstance(state, dict) else "").partition("|")
        if line.isdigit() and rule and isinstance(text, str):
            out[(int(line), rule)] = text[:MAX_EXPLANATION + 1]
    return out
