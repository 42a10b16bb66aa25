"""评估与监督 Evaluation (Art. 71): a league's composite index and progress against the other leagues, and for each
of its counties the progress matrix, reporting timeliness and data-quality record — on screen and as a PDF
(dashboard/report/evaluation.py, the same content as `dem report evaluation`). Signed-in users only: analysts and
admins for every league, a league's officers for their own league. The counties' records read the working warehouse
(every file that arrived), index and progress the published one."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import quote

import dash
import flask
import pandas as pd
from dash import Input, Output, State, dcc, html

from dashboard import components as c
from dashboard import data, ids, inputs, matrix
from dashboard.auth import access
from dashboard.i18n import LANGS, add, lang_of, t
from dashboard.report import evaluation as document
from indicators.base.regions import Region
from indicators.engine import supervision
from indicators.engine.progress import BEHIND

dash.register_page(__name__, path="/evaluation", name="评估与监督 Evaluation", title="北疆数字经济监测 · 评估与监督")

LEAGUE = ids.control("league", "evaluation")
YEAR = ids.control("year", "evaluation")
BODY = "evaluation-body"
PDF_PATH = "/_dem/evaluation/{league}/{year}.pdf"  # ?lang=en: the English edition

add({
    "evaluation": ("评估与监督", "Evaluation"),
    "ev_intro": ("依据《内蒙古自治区数字经济促进条例》第七十一条：本盟市发展水平的评估与对所辖旗县（市、区）的监督。"
                 "指数与进展取自已发布数据；旗县报送及时性与数据质量取自全部报送文件（判定日期 {today}）。",
                 "Under Art. 71 of the regulation: the league's own development and its supervision of its counties. "
                 "Index and progress from the released data; the counties' timeliness and data quality from every "
                 "file that arrived (judged on {today})."),
    "ev_league": ("盟市", "League"),
    "ev_pdf": ("下载评估报告（PDF）", "Download the evaluation (PDF)"),
    "ev_index": ("发展水平：综合指数", "Development: the composite index"),
    "ev_index_sentence": ("{year}年{league}综合指数为{score}，在12个盟市中居第{rank}位（盟市平均{average}）。",
                          "In {year} {league} scores {score} on the composite index, rank {rank} of the 12 leagues "
                          "(average {average})."),
    "ev_no_index": ("该年度没有可计算的综合指数。", "No composite index can be computed for this year."),
    "ev_part": ("章节", "Part"),
    "ev_score": ("本盟市得分", "Score"),
    "ev_average": ("盟市平均", "Leagues' average"),
    "ev_best": ("最高", "Best"),
    "ev_progress": ("规划目标进展", "Progress against the plan targets"),
    "ev_status_count": ("本盟市（项）", "This league"),
    "ev_status_all": ("12个盟市合计（项）", "All 12 leagues"),
    "ev_behind": ("需关注的指标", "Indicators behind"),
    "ev_counties": ("对旗县（市、区）的监督", "Supervision of the counties"),
    "ev_reporting": ("报送及时性", "Reporting on time"),
    "ev_reporting_note": ("{year}年各期（已结束的期）应报的指标值：截止日前收到为按时，之后收到为逾期报送；文件被拒且无数值为被退回；"
                          "截止日已过仍无数值为逾期未报。按时率 = 按时 ÷（应报 − 未到期）。",
                          "The values owed for the ended periods of {year}: on time when received by the deadline, late "
                          "after it; rejected when a rejected file held the key and nothing is in; overdue when nothing "
                          "is in after the deadline. On-time share = on time ÷ (owed − not yet due)."),
    "ev_quality": ("数据质量记录", "Data-quality record"),
    "ev_quality_note": ("{year}年各期的数值：载有该旗县数值的已载入文件（含盟市汇总报送的文件）、后来被修订的值、该旗县自行报送而被拒的文件、"
                        "未消除的同比预警和与下级合计不符的上报值。",
                        "For the periods of {year}: the loaded files carrying the county's values (the league's files "
                        "included), its values later revised, the files it handed in itself that were rejected, its open "
                        "year-on-year warnings and reported totals that differ from their parts."),
    "ev_owed": ("应报", "Owed"), "ev_on_time": ("按时", "On time"), "ev_late": ("逾期报送", "Late"),
    "ev_rejected": ("被退回", "Rejected"), "ev_missing": ("逾期未报", "Overdue"), "ev_due": ("未到期", "Not yet due"),
    "ev_share": ("按时率", "On-time share"), "ev_files": ("载入文件", "Files loaded"),
    "ev_revised": ("被修订的值", "Values revised"), "ev_files_rejected": ("自报被拒文件", "Own files rejected"),
    "ev_warnings": ("未消除的同比预警", "Open warnings"), "ev_reconciliation": ("汇总不符", "Totals that differ"),
    "ev_no_league": ("评估按盟市进行：您的账户没有盟市范围。", "Evaluations are per league: your account has no league."),
    "ev_none_behind": ("没有落后的核心指标。", "No headline indicator is behind."),
})


def leagues_for(user) -> list[Region]:
    """The leagues this user may evaluate: every league for analysts and admins, an officer's own league."""
    scope = access.scope_codes(user)
    return [r for r in data.catalogue().regions.leagues() if scope is None or r.code in scope]


def layout(lang: str | None = None, league: str | None = None, year: str | None = None, **_query) -> html.Div:
    lang = lang_of(lang)
    user = access.current_user()
    if user is None:
        return access.login_redirect(c.href("/evaluation", lang))
    query = {"lang": lang, "league": league, "year": year}
    allowed = leagues_for(user)
    if not data.available() or not allowed:
        note = [html.P(t("ev_no_league", lang), className="warning")] if not allowed else []
        return c.page("evaluation", lang, "/evaluation", query, t("evaluation", lang), *note)
    codes = [r.code for r in allowed]
    chosen = league if league in codes else codes[0]
    years = data.data_years()
    shown = c.as_int(year, years[-1], years)
    controls = [
        c.labelled(t("ev_league", lang), LEAGUE, dcc.Dropdown(
            id=LEAGUE, options=[{"label": r.name(lang), "value": r.code} for r in allowed], value=chosen,
            clearable=False)),
        c.labelled(t("select_year", lang), YEAR, dcc.Dropdown(id=YEAR, options=c.year_options(), value=shown,
                                                              clearable=False))]
    intro = html.P(t("ev_intro", lang).format(today=data.settings().today.isoformat()), className="note")
    return c.page("evaluation", lang, "/evaluation", query, t("evaluation", lang), intro,
                  html.Div(body(chosen, shown, lang), id=BODY), controls=controls)


c.sync_url(LEAGUE, YEAR)


@dash.callback(Output(BODY, "children"), Input(LEAGUE, "value"), Input(YEAR, "value"), State(ids.LANG, "data"),
               prevent_initial_call=True)
def update(league, year, lang):
    league, year, lang = inputs.league(league), inputs.year(year), inputs.lang(lang)
    if league not in {r.code for r in leagues_for(access.current_user())}:
        raise inputs.InvalidInput("league", league, "a league the user may evaluate")
    return body(league, year, lang)  # (an anonymous caller may evaluate no league: refused above)


# ── data: the published part cached per warehouse, the counties' records per working warehouse and day ──────

@data.cached
def _published(con, league: str, year: int) -> document.Published:
    cat = data.catalogue()
    return document.published_part(con, cat, data.settings(), cat.regions.by_code[league], year)


@data.cached
def _working(con, league: str, year: int, today: str) -> tuple[pd.DataFrame, bool]:
    cat, settings = data.catalogue(), data.settings().at(date.fromisoformat(today))
    counties = [r.code for r in cat.regions.counties(league)]
    return supervision.working_record(con, cat, settings, counties, year), document.demo(con)


def evaluation(league: str, year: int) -> document.Evaluation:
    cat, settings = data.catalogue(), data.settings()
    part = _published(league, year)
    with data.working():
        record, demo = _working(league, year, settings.today.isoformat())
    return document.combine(part, record, demo, cat, settings, cat.regions.by_code[league], year)


# ── the view ──────────────────────────────────────────────────────────────────────────────────────────────

def body(league: str, year: int, lang: str) -> list:
    ev = evaluation(league, year)
    cat = data.catalogue()
    pdf = dash.get_relative_path(PDF_PATH.format(league=league, year=year)) + ("?lang=en" if lang == "en" else "")
    counties = tuple(r.code for r in cat.regions.counties(league))
    return [
        html.A(t("ev_pdf", lang), href=pdf, className="button primary",
               download=document.default_name(league, year, lang)),
        html.Section(className="panel", children=[html.H2(t("ev_index", lang)), *index_view(ev, lang)]),
        html.Section(className="panel", children=[html.H2(t("ev_progress", lang)), *progress_view(ev, lang)]),
        html.Section(className="panel", children=[
            html.H2(t("ev_counties", lang)), html.H3(t("matrix_counties_title", lang)), c.status_legend(lang),
            matrix.view(year, counties, False, "code", lang, level="county"),
            html.H3(t("ev_reporting", lang)), html.P(t("ev_reporting_note", lang).format(year=year), className="hint"),
            record_table(ev, lang, "reporting", ("owed", "on_time", "late", "rejected", "missing", "due", "share")),
            html.H3(t("ev_quality", lang)), html.P(t("ev_quality_note", lang).format(year=year), className="hint"),
            record_table(ev, lang, "quality", ("files", "revised", "files_rejected", "warnings", "reconciliation"))]),
    ]


def index_view(ev: document.Evaluation, lang: str) -> list:
    from dashboard.figures import chapter_labels

    rows = document.index_rows(ev, t("composite", lang), chapter_labels(data.catalogue(), lang))
    if rows.empty:
        return [html.P(t("ev_no_index", lang))]
    first = rows.iloc[0]
    sentence = t("ev_index_sentence", lang).format(year=ev.year, league=ev.league.name(lang), score=first["score"],
                                                   rank=first["rank"], average=first["average"])
    return [html.P(sentence), c.table("evaluation-index", rows, {
        "part": t("ev_part", lang), "score": t("ev_score", lang), "rank": t("rank", lang),
        "average": t("ev_average", lang), "best": t("ev_best", lang)}, page_size=12, lang=lang)]


def progress_view(ev: document.Evaluation, lang: str) -> list:
    own = ev.progress[ev.progress["region_code"] == ev.league.code] if len(ev.progress) else ev.progress
    counts = document.status_counts(ev)
    table = html.Table([html.Thead(html.Tr([html.Th(t("state", lang), scope="col"),
                                            html.Th(t("ev_status_count", lang), scope="col"),
                                            html.Th(t("ev_status_all", lang), scope="col")])),
                        html.Tbody([html.Tr([html.Td(c.status_badge(r["status"], lang)), html.Td(str(r["own"])),
                                             html.Td(str(r["all"]))]) for r in counts.to_dict("records")])],
                       className="simple-table")
    cat = data.catalogue()
    behind = own[own["status"].isin(BEHIND)] if len(own) else own
    items = [html.Li([c.status_badge(r["status"], lang), f" {r['indicator_code']} "
                      f"{cat.indicator(r['indicator_code']).name(lang)} — {data.status_sentence(r, lang)}"])
             for r in behind.to_dict("records")]
    return [table, html.H3(t("ev_behind", lang)), html.Ul(items) if items else html.P(t("ev_none_behind", lang))]


def record_table(ev: document.Evaluation, lang: str, name: str, columns: tuple[str, ...]):
    cat = data.catalogue()
    frame = ev.record.assign(
        name=ev.record["region_code"].map({r.code: r.name(lang) for r in cat.regions.regions}),
        share=[document.share_text(v) for v in ev.record["on_time_share"]])
    headers = {"name": t("cal_unit", lang), **{k: t(f"ev_{k}", lang) for k in columns}}
    return c.table(f"evaluation-{name}", frame, headers, page_size=20, lang=lang)


# ── the PDF, for the same users ───────────────────────────────────────────────────────────────────────────

def install(app: dash.Dash) -> None:
    """GET /_dem/evaluation/<league>/<year>.pdf[?lang=en]: the evaluation as PDF, in Chinese or English, for a user
    who may see it (else 403; 404 for a year, league or language that does not exist), made from the same data as
    the page."""

    @app.server.route(app.config.routes_pathname_prefix + "_dem/evaluation/<league>/<int:year>.pdf")
    @access.login_required
    def evaluation_pdf(league: str, year: int):
        try:
            league, year = inputs.league(league), inputs.year(year)
            lang = inputs.code(flask.request.args.get("lang", "zh"), LANGS, "language")
        except inputs.InvalidInput:
            flask.abort(404)
        if league not in {r.code for r in leagues_for(access.current_user())}:
            flask.abort(403)
        ev = evaluation(league, year)
        with tempfile.TemporaryDirectory(prefix="dem-evaluation-") as folder:
            path = document.render(ev, data.catalogue(), Path(folder) / document.default_name(league, year, lang),
                                   lang)
            content = path.read_bytes()
        response = flask.make_response(content)
        response.headers["Content-Type"] = "application/pdf"
        response.headers["Content-Disposition"] = (
            f"attachment; filename={document.default_name(league, year, 'en')}; "
            f"filename*=UTF-8''{quote(document.default_name(league, year, lang))}")
        response.headers["Cache-Control"] = "private, no-store"
        return response
