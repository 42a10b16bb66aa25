"""数据审核 /review: the batches waiting for the signed-in reviewer (a league officer: its counties' batches at the
league step; analysts and admins: the bureau step), oldest first; a click shows what a batch changed (old → new)
and its warnings with the submitter's explanations; approve, accept or return it with a comment (a return needs a
reason). Several batches at once: tick rows (or pick a period, which ticks every row that wrote it) and approve /
accept or return them in one click. Every decision goes through the policy (dashboard/review/policy.py), batch by
batch, and lands in the audit trail."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, ctx, dcc, html, no_update

from dashboard import components as c
from dashboard import data, inputs
from dashboard import ids as shell
from dashboard.auth import access, sessions
from dashboard.i18n import lang_of, t
from dashboard.review import ids as rid
from dashboard.review import policy, queue
from dashboard.review.texts import state_text, step_label
from indicators.storage.appdb import ReviewState

dash.register_page(__name__, path="/review", name="数据审核 Review", title="北疆数字经济监测 · 数据审核")

DECISIONS = {rid.APPROVE: "approve", rid.ACCEPT: "accept", rid.RETURN: "return"}
BULK = {rid.BULK_APPROVE: "approve", rid.BULK_RETURN: "return"}  # approve: each batch's step's approve or accept


def may_review(user) -> bool:
    """League officers (a league's scope), analysts and admins; a county's officer has nothing to review."""
    if access.has_role(user, "analyst", "admin"):
        return True
    region = data.catalogue().regions.by_code.get(user.region or "") if user else None
    return access.has_role(user, "officer") and region is not None and region.level == "league"


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = lang_of(lang)
    user = access.current_user()
    if user is None:
        return access.login_redirect("/review")
    if not may_review(user):
        return c.page("review", lang, "/review", {"lang": lang}, t("review_title", lang),
                      html.P(t("review_not_allowed", lang), className="warning", role="alert"))
    frame = rows(user, lang)
    return c.page("review", lang, "/review", {"lang": lang}, t("review_title", lang), html.Section(className="panel", children=[
        html.H2(t("review_queue", lang)),
        html.P(t("review_pick", lang), className="hint"),
        html.P(t("review_bulk_hint", lang), className="hint"),
        c.labelled(t("review_select_period", lang), rid.PERIOD,
                   dcc.Dropdown(id=rid.PERIOD, options=period_options(frame), value=None, clearable=True)),
        c.table(rid.QUEUE, frame, columns(lang), page_size=25, hidden=("id",), row_selectable="multi",
                lang=lang),
        html.P(t("review_none", lang), className="hint") if frame.empty else None,
        dcc.Store(id=rid.SELECTED),
        html.Div(id=rid.DETAIL, role="region", **{"aria-live": "polite"}),
        c.labelled(t("review_comment", lang), rid.COMMENT,
                   dcc.Textarea(id=rid.COMMENT, value="", maxLength=policy.MAX_REASON, style={"width": "100%"})),
        html.Div([html.Button(t("review_approve", lang), id=rid.APPROVE, className="button"), " ",
                  html.Button(t("review_accept", lang), id=rid.ACCEPT, className="button"), " ",
                  html.Button(t("review_return", lang), id=rid.RETURN, className="button")]),
        html.Div([html.Button(t("review_bulk_approve", lang), id=rid.BULK_APPROVE, className="button"), " ",
                  html.Button(t("review_bulk_return", lang), id=rid.BULK_RETURN, className="button")]),
        html.Div(id=rid.RESULT, role="status")]))


def columns(lang: str) -> dict[str, str]:
    return {"batch_id": t("review_batch", lang), "file_name": t("review_file", lang), "unit": t("review_unit", lang),
            "submitter": t("review_submitter", lang), "loaded_at": t("review_loaded_at", lang),
            "periods": t("review_periods", lang), "step": t("review_step", lang), "rows_new": t("review_new", lang),
            "rows_revised": t("review_revised", lang), "rows_unchanged": t("review_unchanged", lang),
            "n_warnings": t("review_warnings", lang), "unexplained": t("review_unexplained", lang)}


def states_by_batch() -> dict[int, tuple[ReviewState, tuple[str, ...]]]:
    """For /submissions: each loaded batch's review state and steps (read once per listing)."""
    return {i.batch.batch_id: (i.state, i.batch.steps) for i in queue.listed()}


def review_text(reviewed: dict, batch_id: int | None, lang: str) -> str:
    """The review state of a submission's batch as the submitter reads it ('' before it is loaded)."""
    found = reviewed.get(batch_id) if batch_id is not None else None
    return state_text(found[0], found[1], lang) if found else ""


def rows(user, lang: str) -> pd.DataFrame:
    names = {r.code: r.name(lang) for r in data.catalogue().regions.regions}
    records = [{"id": i.batch.batch_id, "batch_id": i.batch.batch_id, "file_name": i.row["file_name"],
                "unit": f"{i.batch.region or ''} {names.get(i.batch.region or '', '')}".strip(),
                "submitter": i.batch.submitter or "", "loaded_at": str(i.row["loaded_at"])[:19],
                "periods": ", ".join(i.periods),
                "step": f"{i.state.step + 1} {step_label(i.batch.steps[i.state.step], lang)}",
                "rows_new": i.row["rows_new"], "rows_revised": i.row["rows_revised"],
                "rows_unchanged": i.row["rows_unchanged"], "n_warnings": len(i.batch.flags),
                "unexplained": len(i.unexplained)} for i in queue.queue(user)]
    return pd.DataFrame(records, columns=["id", *columns(lang)])


def period_options(frame: pd.DataFrame) -> list[dict]:
    """The periods the queue's batches wrote, newest first."""
    found = {p for text in frame["periods"] for p in str(text).split(", ") if p}
    return [{"label": p, "value": p} for p in sorted(found, reverse=True)]


def detail(found: queue.Item, lang: str) -> html.Div:
    """A batch's state, counts, changes (old → new), warnings with explanations, and the decisions so far."""
    changed = queue.changes(found.batch.batch_id)
    changed["change"] = changed["change"].map(lambda v: t(f"review_change_{v}", lang))
    change_columns = {"indicator_code": t("review_indicator", lang), "region_code": t("review_region", lang),
                      "period": t("review_period", lang), "old_value": t("review_old", lang),
                      "new_value": t("review_value", lang), "change": t("review_change", lang)}
    row = found.row
    counts = (f"{t('review_new', lang)} {row['rows_new']} · {t('review_revised', lang)} {row['rows_revised']} · "
              f"{t('review_unchanged', lang)} {row['rows_unchanged']}")
    return html.Div([
        html.H2(f"{t('review_batch', lang)} {found.batch.batch_id} · {row['file_name']} · "
                f"{state_text(found.state, found.batch.steps, lang)}"),
        html.P(counts),
        html.H3(t("review_changes", lang)),
        c.table(rid.CHANGES, changed, change_columns, page_size=20, lang=lang) if not changed.empty
        else html.P(t("review_no_changes", lang), className="hint"),
        html.H3(t("review_warnings", lang)),
        warnings_list(found, lang),
        html.H3(t("review_history", lang)),
        html.Ul([html.Li(f"{r.at.replace('T', ' ').rstrip('Z')} · {r.actor} · {step_label(r.step_name, lang)} · "
                         f"{r.decision}{' · ' + r.reason if r.reason else ''}") for r in found.state.decisions])
        if found.state.decisions else html.P(t("none", lang), className="hint")])


def warnings_list(found: queue.Item, lang: str) -> html.Component:
    if not found.batch.flags:
        return html.P(t("review_no_warnings", lang), className="hint")
    items = []
    for f in found.batch.flags:
        text = (found.explanations.get((f.line, f.rule)) or "").strip()
        message = f.message_en if lang == "en" else f.message_zh
        items.append(html.Li([f"{t('review_line', lang)} {f.line} · {f.rule} · "
                              f"{message}", html.Br(),
                              html.Em(f"{t('review_explanation', lang)}: {text}") if text
                              else html.Strong(t("review_no_explanation", lang), className="warning")]))
    return html.Ol(items)


@dash.callback(Output(rid.DETAIL, "children"), Output(rid.SELECTED, "data"), Input(rid.QUEUE, "cellClicked"),
               State(shell.LANG, "data"), prevent_initial_call=True)
def show(cell, lang):
    """The clicked batch (only one of the user's queue: a hand-made request for another batch shows nothing)."""
    row_id = inputs.cell(cell)
    if row_id is None:
        return no_update, no_update
    lang, batch_id = inputs.lang(lang), inputs.batch(inputs.row_number(row_id, "batch"))
    found = next((i for i in queue.queue(access.current_user()) if i.batch.batch_id == batch_id), None)
    if found is None:
        return html.P(f"{t('review_batch', lang)} {batch_id}: {t('none', lang)}"), None
    return detail(found, lang), batch_id


@dash.callback(Output(rid.RESULT, "children"), Output(rid.QUEUE, "rowData"), Output(rid.DETAIL, "children",
                                                                               allow_duplicate=True),
               Input(rid.APPROVE, "n_clicks"), Input(rid.ACCEPT, "n_clicks"), Input(rid.RETURN, "n_clicks"),
               State(rid.SELECTED, "data"), State(rid.COMMENT, "value"), State(shell.LANG, "data"),
               prevent_initial_call=True)
def decide(_approve, _accept, _return, selected, comment, lang):
    """Record the decision the policy allows; refusals are shown with their reason and change nothing."""
    lang, user = inputs.lang(lang), access.current_user()
    decision = DECISIONS.get(ctx.triggered_id)
    if decision is None or selected is None:
        return html.P(t("review_pick", lang), className="hint"), no_update, no_update
    batch_id, reason = inputs.batch(selected), inputs.text(comment or "", policy.MAX_REASON + 1)
    outcome = queue.decide(user, batch_id, decision, reason, sessions.client_address())
    if isinstance(outcome, policy.Refusal):
        return html.P(outcome.text(lang), className="warning", role="alert"), no_update, no_update
    done = t(f"review_done_{decision}", lang).format(batch=batch_id, step=outcome.step,
                                                     name=step_label(outcome.decisions[-1].step_name, lang),
                                                     reason=outcome.reason or "")
    return html.P(done), rows(user, lang).to_dict("records"), None


@dash.callback(Output(rid.QUEUE, "selectedRows"), Input(rid.PERIOD, "value"), State(rid.QUEUE, "rowData"),
               prevent_initial_call=True)
def tick_period(period, shown):
    """Picking a period ticks every row of the queue that wrote it, by row id (clearing it unticks them all);
    what is then decided is checked again on the server, batch by batch."""
    if period is None:
        return []
    period = inputs.period(period)
    rows_ = shown if isinstance(shown, list) else []
    return {"ids": [str(r.get("id")) for r in rows_
                    if isinstance(r, dict) and period in str(r.get("periods", "")).split(", ")]}


@dash.callback(Output(rid.QUEUE, "selectedRows", allow_duplicate=True), Input(rid.QUEUE, "rowData"),
               prevent_initial_call=True)
def untick(_shown):
    """A decision changed the queue: the person starts again from no ticks."""
    return []


@dash.callback(Output(rid.RESULT, "children", allow_duplicate=True),
               Output(rid.QUEUE, "rowData", allow_duplicate=True),
               Output(rid.QUEUE, "selectedRows", allow_duplicate=True),
               Output(rid.DETAIL, "children", allow_duplicate=True),
               Input(rid.BULK_APPROVE, "n_clicks"), Input(rid.BULK_RETURN, "n_clicks"),
               State(rid.QUEUE, "selectedRows"), State(rid.COMMENT, "value"),
               State(shell.LANG, "data"), prevent_initial_call=True)
def decide_ticked(_approve, _return, ticked, comment, lang):
    """One click for every ticked batch: each goes through the policy on its own; the refused ones are listed
    with their reasons, the others recorded (one reviews row and one audit row each)."""
    lang, user = inputs.lang(lang), access.current_user()
    decision = BULK.get(ctx.triggered_id)
    batch_ids = ticked_batches(ticked)
    if decision is None or not batch_ids:
        return html.P(t("review_bulk_none", lang), className="hint"), no_update, no_update, no_update
    reason = inputs.text(comment or "", policy.MAX_REASON + 1)
    outcomes = queue.decide_many(user, batch_ids, decision, reason, sessions.client_address())
    return bulk_result(outcomes, lang), rows(user, lang).to_dict("records"), [], None


def ticked_batches(ticked: object) -> list[int]:
    """The batch ids of the ticked rows, as the grid's selectedRows has them: the ticked rows themselves
    ([{"id": 11, …}, {"id": 15, …}] → [11, 15]), or the row ids a callback ticked ({"ids": ["11", "15"]}).
    Anything else the browser could send (rows without a batch id, ids that are no number) is refused as bad
    input; whether the person may decide each batch is the policy's question."""
    if isinstance(ticked, dict) and isinstance(ticked.get("ids"), list):
        return [inputs.batch(_row_id(i)) for i in ticked["ids"]]
    if not isinstance(ticked, list):
        return []
    for row in ticked:
        if not isinstance(row, dict):
            raise inputs.InvalidInput("row", row, "a row of the queue")
    return [inputs.batch(row.get("id")) for row in ticked]


def _row_id(value: object) -> int:
    if not isinstance(value, str):
        raise inputs.InvalidInput("row", value, "a row id")
    return inputs.row_number(value, "row")


def bulk_result(outcomes: list[queue.Outcome], lang: str) -> html.Div:
    """N decisions recorded (which), and the refused batches each with its reason."""
    done = [o for o in outcomes if o.refusal is None]
    refused = [o for o in outcomes if o.refusal is not None]
    return html.Div([
        html.P(t("review_bulk_done", lang).format(n=len(done)) + (": " + ", ".join(
            f"{t('review_batch', lang)} {o.batch_id} {t(f'review_{o.decision}', lang)}" for o in done) if done else "")),
        html.Div([html.P(t("review_bulk_refused", lang).format(n=len(refused)), className="warning", role="alert"),
                  html.Ul([html.Li(f"{t('review_batch', lang)} {o.batch_id}: {o.refusal.text(lang)}")
                           for o in refused])]) if refused else None])
