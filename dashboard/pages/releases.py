"""发布日程 Releases: the release calendar (config/releases.csv) — upcoming releases with their time and periods,
releases carried out with when — and a link to the revisions of released values. Public (Art. 9: 定期向社会公布):
what is released when is announced in advance."""

from __future__ import annotations

import dash
import pandas as pd
from dash import dcc, html

from dashboard import components as c
from dashboard import data, ids
from dashboard.i18n import add, lang_of, t
from indicators.base.releases import BEIJING, load_calendar

dash.register_page(__name__, path="/releases", name="发布日程 Releases", title="北疆数字经济监测 · 发布日程")

add({
    "releases_title": ("发布日程", "Release calendar"),
    "releases_intro": ("数据经审核接收后，按下列日程（北京时间）向社会公布；公布前为初步数据，不对外提供。已公布数据的修订随下一次发布"
                       "公布，更正即时公布，均列于修订记录。",
                       "Values accepted by the review become public on the dates below (Beijing time); before that they "
                       "are preliminary and not public. Revisions of released values go out with the next release, "
                       "corrections at once; both are listed under revisions."),
    "releases_upcoming": ("即将发布", "Upcoming"),
    "releases_past": ("已发布", "Released"),
    "releases_none_upcoming": ("日程中暂无待发布项。", "No release is scheduled."),
    "releases_none_past": ("尚未发布任何数据。", "Nothing has been released yet."),
    "release_at": ("发布时间（北京时间）", "Release time (Beijing)"),
    "released_at": ("实际发布时间", "Released at"),
    "release_periods": ("统计期", "Periods"),
    "release_title": ("名称", "Title"),
    "release_id": ("编号", "Release"),
    "release_kind": ("类型", "Kind"),
    "kind_release": ("定期发布", "scheduled release"),
    "kind_correction": ("更正", "correction"),
    "revisions_link": ("已发布数据的修订记录 →", "Revisions of released values →"),
})


def local(ts) -> str | None:
    """A UTC timestamp of the warehouse as Beijing time: 2025-06-30 01:30 → '2025-06-30 09:30'."""
    if ts is None or pd.isna(ts):
        return None
    return pd.Timestamp(ts).tz_localize("UTC").tz_convert(BEIJING).strftime("%Y-%m-%d %H:%M")


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = lang_of(lang)
    done = data.releases_done() if data.available() else pd.DataFrame(columns=["release_id"])
    carried = set(done["release_id"])
    upcoming = pd.DataFrame([{"release_id": r.release_id, "release_at": r.local_time, "periods": "；".join(r.periods),
                              "title": r.title_en if lang == "en" else r.title_zh}
                             for r in load_calendar() if r.release_id not in carried])
    past = pd.DataFrame([{"release_id": row["release_id"],
                          "title": (row["title_en"] if lang == "en" else row["title_zh"]) or row["note"] or "",
                          "kind": t(f"kind_{row['kind']}", lang), "release_at": local(row["scheduled_at"]),
                          "released_at": local(row["released_at"])}
                         for row in done.iloc[::-1].to_dict("records")])
    columns_up = {"release_at": t("release_at", lang), "title": t("release_title", lang),
                  "periods": t("release_periods", lang), "release_id": t("release_id", lang)}
    columns_past = {"released_at": t("released_at", lang), "title": t("release_title", lang),
                    "kind": t("release_kind", lang), "release_at": t("release_at", lang),
                    "release_id": t("release_id", lang)}
    body = [html.P(t("releases_intro", lang), className="hint"),
            html.Section(className="panel", children=[
                html.H2(t("releases_upcoming", lang)),
                c.table(ids.RELEASES_TABLE + "-upcoming", upcoming, columns_up, lang=lang)
                if not upcoming.empty else html.P(t("releases_none_upcoming", lang))]),
            html.Section(className="panel", children=[
                html.H2(t("releases_past", lang)),
                c.table(ids.RELEASES_TABLE, past, columns_past, lang=lang) if not past.empty
                else html.P(t("releases_none_past", lang)),
                dcc.Link(t("revisions_link", lang), href=c.href("/revisions", lang), id="revisions-link")])]
    return c.page("releases", lang, "/releases", {"lang": lang}, t("releases_title", lang), *body)
