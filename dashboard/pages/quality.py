"""数据质量 Data quality: the submission matrix (league × indicator, latest period: received / late / rejected /
missing), recent batches with their problem reports, open warnings (outliers, reconciliation differences) and
the freshness of every indicator. Reads indicators.quality through the dashboard's cache."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import components as c
from dashboard import data, ids, inputs, numbers, warming
from dashboard.auth import access
from dashboard.figures import submission_matrix
from dashboard.i18n import lang_of, t

dash.register_page(__name__, path="/quality", name="数据质量 Data quality", title="北疆数字经济监测 · 数据质量")

STATE_SYMBOL = {"received": "✔", "late": "…", "rejected": "✖", "missing": "·"}


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = lang_of(lang)
    if not access.is_internal():  # the matrix names files, batches and late units: staff only
        return access.login_redirect(c.href("/quality", lang))
    with data.working():  # every loaded and rejected batch, released or not: the working warehouse
        if not data.available():
            return c.page("quality", lang, "/quality", {"lang": lang}, t("quality", lang))
        return c.page("quality", lang, "/quality", {"lang": lang}, t("quality", lang), *body(lang))


@data.memo
def body(lang: str) -> list:
    """The matrix and the tables, memoised per warehouse (the page has no controls: one view per language)."""
    return [
        html.Section(className="panel", children=[
            html.H2(t("matrix", lang)), state_legend(lang),
            c.graph(ids.QUALITY_MATRIX, matrix_figure(lang), label=t("matrix", lang))]),
        html.Section(className="panel", children=[html.H2(t("recent_batches", lang)), batches_table(lang),
                                                  html.H3(t("batch_report", lang)),
                                                  html.Div(id=ids.QUALITY_PROBLEMS)]),
        html.Div(className="grid", children=[
            html.Section(className="panel", children=[html.H2(t("outliers", lang)), outliers_table(lang)]),
            html.Section(className="panel", children=[html.H2(t("reconciliation", lang)),
                                                      reconciliation_table(lang)])]),
        html.Section(className="panel", children=[html.H2(t("freshness", lang)), freshness_table(lang)]),
    ]


def state_legend(lang: str) -> html.Div:
    return html.Div(html.Ul([html.Li(f"{STATE_SYMBOL[s]} {t(s, lang)}") for s in STATE_SYMBOL]), className="legend",
                    role="note")


def names(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Indicator and region names in the page language (for the quality tables)."""
    cat = data.catalogue()
    out = frame.copy()
    if "indicator_code" in out:
        out["indicator_name"] = out["indicator_code"].map({k: f"{k} {i.name(lang)}" for k, i in cat.indicators.items()})
    if "region_code" in out:
        out["region_name"] = out["region_code"].map({k: r.name(lang) for k, r in cat.regions.by_code.items()})
    return out


def matrix_figure(lang: str):
    matrix = data.quality("submission_matrix", lang)
    return submission_matrix(matrix, lang, height=max(420, 26 * matrix["region_name"].nunique() + 160)
                             if len(matrix) else 300)


def batches_table(lang: str):
    frame = data.quality("recent_batches").copy()
    frame["id"] = frame["batch_id"]
    frame["synthetic"] = frame["synthetic"].map(lambda s: t("synthetic_mark", lang) if s else "")
    frame["loaded_at"] = frame["loaded_at"].astype(str).str[:19]
    return c.table(ids.QUALITY_BATCHES, frame, {
        "batch_id": t("batch", lang), "file_name": t("file", lang), "status": t("state", lang),
        "loaded_at": t("last_loaded", lang), "submitter_name": t("region_name", lang), "rows_total": "rows",
        "rows_new": t("new", lang), "rows_revised": t("revised", lang), "rows_rejected": t("rejected", lang),
        "n_errors": "errors", "n_warnings": "warnings", "synthetic": t("synthetic_mark", lang)},
        page_size=10, hidden=("id",), lang=lang)


def outliers_table(lang: str):
    frame = names(data.quality("outliers"), lang)
    if frame.empty:
        return html.P(t("none", lang))
    frame["message"] = frame["message_en" if lang == "en" else "message_zh"]
    frame["value"] = _values(frame, "value")
    return c.table(ids.QUALITY_OUTLIERS, frame, {
        "indicator_name": t("indicator_name", lang), "region_name": t("region_name", lang),
        "period": t("period", lang), "value": t("value", lang), "message": t("message", lang),
        "batch_id": t("batch", lang)}, page_size=10, lang=lang)


def reconciliation_table(lang: str):
    frame = names(data.quality("reconciliation"), lang)
    if frame.empty:
        return html.P(t("none", lang))
    frame["relative_diff"] = frame["relative_diff"].map(numbers.percent)
    for col in ("reported_value", "aggregated_value"):
        frame[col] = _values(frame, col)
    return c.table(ids.QUALITY_RECONCILIATION, frame, {
        "indicator_name": t("indicator_name", lang), "region_name": t("region_name", lang),
        "period": t("period", lang), "reported_value": t("reported", lang),
        "aggregated_value": t("aggregated", lang), "relative_diff": t("change", lang)},
        page_size=10, lang=lang)


def _values(frame: pd.DataFrame, column: str) -> list[str]:
    """A column of values of several indicators, each with its own decimals."""
    cat = data.catalogue()
    return [numbers.indicator_value(v, k, cat) for v, k in zip(frame[column], frame["indicator_code"], strict=True)]


def freshness_table(lang: str):
    frame = names(data.quality("freshness"), lang)
    frame["frequency"] = frame["frequency"].map(lambda f: t(f, lang))
    frame["last_loaded"] = frame["last_loaded"].astype(str).str[:19].replace({"NaT": "—", "None": "—"})
    frame["latest_period"] = frame["latest_period"].fillna(t("not_reported", lang))
    return c.table(ids.QUALITY_FRESHNESS, frame, {
        "indicator_name": t("indicator_name", lang), "frequency": t("frequency", lang),
        "latest_period": t("latest_period", lang), "due_period": t("due_period", lang),
        "behind": t("behind", lang), "regions": t("regions_reporting", lang),
        "last_loaded": t("last_loaded", lang)}, page_size=20, lang=lang)


@dash.callback(Output(ids.QUALITY_PROBLEMS, "children"), Input(ids.QUALITY_BATCHES, "cellClicked"),
               State(ids.LANG, "data"), prevent_initial_call=True)
def show_batch(cell, lang):
    """The report of the batch whose row was clicked: every problem row, errors first."""
    row_id = inputs.cell(cell)
    if row_id is None:
        return no_update
    lang, batch = inputs.lang(lang), inputs.batch(inputs.row_number(row_id, "batch"))
    if not access.is_internal():  # batch reports are internal: nothing for a hand-made anonymous request
        raise PreventUpdate
    with data.working():
        frame = data.quality("batch_problems", batch)
    if frame.empty:
        return html.P(f"{t('batch', lang)} {batch}: {t('none', lang)}")
    frame = frame.assign(message=frame["message_en" if lang == "en" else "message_zh"])
    return c.table("quality-problems-table", frame, {
        "line": "line", "column": "column", "value": t("value", lang), "rule": "rule", "severity": "severity",
        "message": t("message", lang)}, page_size=15, lang=lang)


# the views, not the layout: the warmer has no signed-in user, and the layout sends anonymous visitors to the login
warming.warm_with(first=lambda: [lambda: body("zh")], rest=lambda: [lambda: body("en")])
