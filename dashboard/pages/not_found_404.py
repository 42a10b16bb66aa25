"""The page for an unknown address (Dash pages looks this module up by name)."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import components as c
from dashboard.i18n import lang_of, t

dash.register_page(__name__, path="/404", name="404", title="北疆数字经济监测 · 404")


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = lang_of(lang)
    return c.page("", lang, "/404", {"lang": lang}, t("not_found", lang).format(what=""),
                  html.P(dcc.Link(t("overview", lang), href=c.href("/", lang))))
