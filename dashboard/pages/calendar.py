"""报送日历 Reporting calendar: what each unit owes for the current and recent periods, by when, and where it
stands (received on time, late, rejected, overdue, due) — an officer sees their region and the units below it,
the bureau (analyst, admin) every unit. Counts per status, the units behind, the obligations, and the overdue
list as CSV. Reads indicators.engine.obligations (the same definition the quality matrix uses) through the
dashboard's cache; signed-in users only."""

from __future__ import annotations

from datetime import date

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update

from dashboard import components as c
from dashboard import data, ids, inputs
from dashboard.auth import access
from dashboard.i18n import add, lang_of, t
from indicators.engine import export, obligations

dash.register_page(__name__, path="/calendar", name="报送日历 Calendar", title="北疆数字经济监测 · 报送日历")

STATUS = ids.control("status", "calendar")  # ?status=overdue
UNIT = ids.control("unit", "calendar")  # ?unit=152500: that unit and the units below it
COUNTS, UNITS, TABLE = "calendar-counts", "calendar-units", "calendar-table"
DOWNLOAD_BUTTON, DOWNLOAD = "calendar-download-button", "calendar-download"
PERIODS_BACK = 3  # the latest ended period of each frequency and the three before it
MAX_ROWS = 1000  # obligations sent to the browser at once (the bureau's scope holds ~18 000): the CSV has them all
ORDER = ("overdue", "rejected", "due", "late", "received")  # what needs acting on first

add({
    "calendar": ("报送日历", "Reporting calendar"),
    "cal_received": ("按时报送", "received on time"),
    "cal_late": ("逾期报送", "received late"),
    "cal_rejected": ("已退回", "rejected"),
    "cal_overdue": ("逾期未报", "overdue"),
    "cal_due": ("待报送（未到期）", "due (deadline ahead)"),
    "cal_all_statuses": ("全部状态", "all statuses"),
    "cal_all_units": ("全部单位", "all units"),
    "cal_intro": ("各盟市、旗县应报指标由指标体系（报送层级、频率）确定；截止日期为统计期结束后 {annual} / {quarterly} / {monthly} 天"
                  "（年度 / 季度 / 月度）。判定日期：{today}。",
                  "What each league and county owes follows from the catalogue (reporting levels, frequency); the "
                  "deadline is {annual} / {quarterly} / {monthly} days after the end of the period (annual / "
                  "quarterly / monthly). Judged on {today}."),
    "cal_by_unit": ("各单位情况", "By unit"),
    "cal_obligations": ("应报事项", "Obligations"),
    "cal_unit": ("单位", "Unit"),
    "cal_due_date": ("截止日期", "Due"),
    "cal_days_overdue": ("逾期天数", "Days overdue"),
    "cal_received_at": ("报送时间（UTC）", "Received (UTC)"),
    "cal_download": ("下载逾期清单（CSV）", "Download the overdue list (CSV)"),
    "cal_shown": ("显示前 {shown} 条，共 {total} 条；请选择单位或状态，或下载清单。",
                  "Showing the first {shown} of {total}; choose a unit or a status, or download the list."),
    "cal_no_scope": ("您的账户未关联有效地区，无可显示的报送事项。",
                     "Your account is not linked to a known region: there are no obligations to show."),
})


def layout(lang: str | None = None, status: str | None = None, unit: str | None = None, **_query) -> html.Div:
    lang = lang_of(lang)
    user = access.current_user()
    if user is None:
        return access.login_redirect("/calendar")
    query = {"lang": lang, "status": status, "unit": unit}
    with data.working():  # about every arrival, released or not: the working warehouse
        return _layout(user, lang, query, status, unit)


def _layout(user, lang: str, query: dict, status: str | None, unit: str | None) -> html.Div:
    if not data.available():
        return c.page("calendar", lang, "/calendar", query, t("calendar", lang))
    scope = access.scope_codes(user)
    units = unit_options(scope, lang)
    controls = [
        c.labelled(t("state", lang), STATUS, dcc.Dropdown(
            id=STATUS, options=[{"label": t("cal_all_statuses", lang), "value": ""}]
            + [{"label": t("cal_" + s, lang), "value": s} for s in ORDER],
            value=status if status in ORDER else "", clearable=False)),
        c.labelled(t("cal_unit", lang), UNIT, dcc.Dropdown(
            id=UNIT, options=units, value=unit if unit in {o["value"] for o in units} else "", clearable=False)),
    ]
    settings = data.settings()
    intro = t("cal_intro", lang).format(today=settings.today.isoformat(), **obligations_days(settings))
    body = [html.P(intro, className="note"),
            html.Section(className="panel", children=[html.Div(id=COUNTS, role="status")]),
            html.Section(className="panel", children=[html.H2(t("cal_by_unit", lang)), html.Div(id=UNITS)]),
            html.Section(className="panel", children=[
                html.H2(t("cal_obligations", lang)),
                html.Button(t("cal_download", lang), id=DOWNLOAD_BUTTON, className="button"),
                dcc.Download(id=DOWNLOAD), html.Div(id=TABLE)])]
    if scope == set():
        body = [html.P(t("cal_no_scope", lang), className="warning", role="alert")]
    return c.page("calendar", lang, "/calendar", query, t("calendar", lang), *body, controls=controls)


def obligations_days(settings) -> dict[str, int]:
    return {f: settings.quality.deadline_days(f) for f in ("annual", "quarterly", "monthly")}


def unit_options(scope: set[str] | None, lang: str) -> list[dict]:
    """'All units' and every league and county the user may see, leagues first, each county under its league."""
    regions = data.catalogue().regions
    shown = [r for r in regions.leagues() if scope is None or r.code in scope]
    options = [{"label": t("cal_all_units", lang), "value": ""}]
    for league in regions.leagues():
        counties = [r for r in regions.counties(league.code) if scope is None or r.code in scope]
        if league in shown:
            options.append({"label": f"{league.code} {league.name(lang)}", "value": league.code})
        options += [{"label": f"{r.code} {r.name(lang)}", "value": r.code} for r in counties]
    return options


@data.cached
def owed(con, today: str, periods_back: int) -> pd.DataFrame:
    """Every unit's obligations on `today` (the cache key: a server running past midnight judges anew)."""
    settings = data.settings().at(date.fromisoformat(today))
    return obligations.obligations(con, data.catalogue(), settings, periods_back)


def visible(user, unit: str) -> pd.DataFrame:
    """The obligations this user may see, of `unit` and the units below it ('' = all of them)."""
    scope = access.scope_codes(user)
    with data.working():  # what arrived, released or not
        frame = obligations.in_scope(owed(data.settings().today.isoformat(), PERIODS_BACK), scope)
    if unit:
        if scope is not None and unit not in scope:
            raise inputs.InvalidInput("unit", unit, "a unit in the user's scope")
        frame = obligations.in_scope(frame, data.catalogue().regions.within(unit))
    return frame


def unit_value(value: object) -> str:
    """'' (all units) or a league or county code."""
    if value in (None, ""):
        return ""
    return inputs.code(value, {r.code for r in data.catalogue().regions.regions if r.level != "region"}, "unit")


def status_value(value: object) -> str:
    if value in (None, ""):
        return ""
    if value not in ORDER:
        raise inputs.InvalidInput("status", value, "one of " + ", ".join(ORDER))
    return value


def counts_view(frame: pd.DataFrame, lang: str) -> html.Ul:
    found = obligations.counts(frame)
    return html.Ul([html.Li([html.Strong(f"{found[s]:,}"), " ", t("cal_" + s, lang)], className=f"count {s}")
                    for s in ORDER], className="counts")


def units_table(frame: pd.DataFrame, lang: str):
    """One row per unit: how many obligations in each status, the units with the most overdue first."""
    wide = pd.crosstab(frame["region_code"], frame["status"]).reindex(columns=list(ORDER), fill_value=0)
    wide = wide.sort_values(["overdue", "rejected"], ascending=False, kind="stable").reset_index()
    names = {r.code: r.name(lang) for r in data.catalogue().regions.regions}
    wide["region_name"] = wide["region_code"].map(names)
    return c.table(UNITS + "-table", wide, {"region_code": t("code", lang), "region_name": t("cal_unit", lang),
                                            **{s: t("cal_" + s, lang) for s in ORDER}},
                   page_size=15, lang=lang)


def obligations_table(frame: pd.DataFrame, lang: str) -> list:
    order = {s: i for i, s in enumerate(ORDER)}
    frame = frame.assign(_order=frame["status"].map(order)).sort_values(
        ["_order", "days_overdue", "region_code", "indicator_code", "period"], ascending=[True, False, True, True, True],
        kind="stable")
    total, frame = len(frame), obligations.labelled(frame.head(MAX_ROWS), data.catalogue(), lang)
    frame = frame.assign(status=frame["status"].map(lambda s: t("cal_" + s, lang)),
                         due=frame["due"].astype(str),
                         received_at=frame["received_at"].astype(str).str[:16].replace({"NaT": "", "None": ""}))
    note = [html.P(t("cal_shown", lang).format(shown=MAX_ROWS, total=f"{total:,}"), role="note")] \
        if total > MAX_ROWS else []
    return [*note, c.table(TABLE + "-grid", frame, {
        "region_code": t("code", lang), "region_name": t("cal_unit", lang), "indicator_code": t("code", lang),
        "indicator_name": t("indicator_name", lang), "period": t("period", lang), "due": t("cal_due_date", lang),
        "status": t("state", lang), "days_overdue": t("cal_days_overdue", lang),
        "received_at": t("cal_received_at", lang)}, page_size=25, lang=lang)]


@dash.callback(Output(COUNTS, "children"), Output(UNITS, "children"), Output(TABLE, "children"),
               Input(STATUS, "value"), Input(UNIT, "value"), State(ids.LANG, "data"))
def update(status, unit, lang):
    """Counts and the units table for the chosen unit; the obligations table also for the chosen status."""
    user = access.current_user()
    if user is None:
        return no_update, no_update, no_update
    lang, status, unit = inputs.lang(lang), status_value(status), unit_value(unit)
    frame = visible(user, unit)
    shown = frame[frame["status"] == status] if status else frame
    return counts_view(frame, lang), units_table(frame, lang), obligations_table(shown, lang)


def overdue_csv(frame: pd.DataFrame, lang: str) -> bytes:
    """The overdue list as the CLI's `dem calendar overdue --format csv` has it: UTF-8 with BOM, formula safe."""
    late = obligations.labelled(obligations.overdue(frame), data.catalogue(), lang)
    return export.to_csv_bytes(late[["region_code", "region_name", "indicator_code", "indicator_name", "period",
                                     "due", "days_overdue", "status"]])


@dash.callback(Output(DOWNLOAD, "data"), Input(DOWNLOAD_BUTTON, "n_clicks"), State(UNIT, "value"),
               State(ids.LANG, "data"), prevent_initial_call=True)
def download(clicks, unit, lang):
    user = access.current_user()
    if user is None or not clicks:
        return no_update
    lang, unit = inputs.lang(lang), unit_value(unit)
    name = f"overdue_{unit or 'all'}_{data.settings().today.isoformat()}.csv"
    return dcc.send_bytes(overdue_csv(visible(user, unit), lang), name)


c.sync_url(STATUS, UNIT)
