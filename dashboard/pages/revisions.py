"""修订记录 Revisions: every released value a later release replaced — indicator, unit, period, old → new, the reason
and the release that carried the new value (the bulletin's annex lists the same). Public: a revision of a published
figure is itself published, with its reason."""

from __future__ import annotations

import dash
import pandas as pd
from dash import dcc, html

from dashboard import components as c
from dashboard import data, ids
from dashboard.i18n import add, lang_of, t
from dashboard.pages.releases import local
from indicators.base import status as obs_status

dash.register_page(__name__, path="/revisions", name="修订记录 Revisions", title="北疆数字经济监测 · 修订记录")

add({
    "revisions_title": ("修订记录", "Revisions of released values"),
    "revisions_intro": ("已发布数据的每一次修订：原值 → 新值、原因及公布修订的发布。",
                        "Every change to a released value: old → new, why, and the release that published it."),
    "revisions_none": ("已发布的数据尚无修订。", "No released value has been revised."),
    "old_value": ("原值", "Old value"),
    "new_value": ("新值", "New value"),
    "revision_reason": ("修订原因", "Reason"),
    "region": ("地区", "Region"),
    "releases_back": ("← 发布日程", "← Release calendar"),
})


def revision_rows(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Names instead of codes, Beijing times: what the page and the bulletin's annex show."""
    cat = data.catalogue()
    en = lang == "en"
    rows = []
    for row in frame.to_dict("records"):
        ind = cat.indicators.get(row["indicator_code"])
        region = cat.regions.by_code.get(row["region_code"])
        rows.append({"indicator": f"{row['indicator_code']} {(ind.name_en if en else ind.name_zh) if ind else ''}",
                     "unit": (ind.unit_label(lang) if ind else ""),
                     "region": (region.name_en if en else region.name_zh) if region else row["region_code"],
                     "period": row["period"], "old_value": row["old_value"], "new_value": row["new_value"],
                     "obs_status": obs_status.change(row.get("old_status"), row.get("new_status"), lang),
                     "reason": row["reason"] or "—", "release": row["release_id"],
                     "released_at": local(row["released_at"])})
    return pd.DataFrame(rows)


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = lang_of(lang)
    found = data.revisions() if data.available() else pd.DataFrame()
    columns = {"indicator": t("indicator", lang), "region": t("region", lang), "period": t("period", lang),
               "old_value": t("old_value", lang), "new_value": t("new_value", lang), "unit": t("unit", lang),
               "obs_status": t("obs_status", lang),
               "reason": t("revision_reason", lang), "release": t("release_id", lang),
               "released_at": t("released_at", lang)}
    table = (c.table(ids.REVISIONS_TABLE, revision_rows(found, lang), columns, lang=lang) if not found.empty
             else html.P(t("revisions_none", lang), id=ids.REVISIONS_TABLE))
    body = [html.P(t("revisions_intro", lang), className="hint"),
            html.Section(className="panel", children=[table]),
            dcc.Link(t("releases_back", lang), href=c.href("/releases", lang))]
    return c.page("releases", lang, "/revisions", {"lang": lang}, t("revisions_title", lang), *body)
