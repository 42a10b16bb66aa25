"""The progress matrix — who is behind, on what: one row per unit (the 12 leagues, or one league's counties), one
column per headline indicator (the composite index's, grouped by chapter of the regulation), each cell the progress
status as symbol, colour and word (on hover and for screen readers, with its one-sentence reason). Rows can be
limited to the units behind on something and sorted by how many indicators they are behind on. On a phone the same
content is a list: each unit with the indicators it is behind on.

    frame(2024, ("150100", …)) → one row per (region, indicator) with status and reason
    behind_counts(frame) → {"150200": 3, …}
"""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from dashboard import components as c
from dashboard import data
from dashboard.figures import chapter_labels
from dashboard.i18n import add, t
from dashboard.style import STATUS_STYLE
from indicators.engine.progress import BEHIND, status_label

SORTS = ("behind", "code")  # most indicators behind first | the catalogue's order of the units

add({
    "matrix_title": ("谁在哪些指标上落后", "Who is behind, on what"),
    "matrix_counties_title": ("旗县（市、区）进展", "Progress of the counties"),
    "matrix_hint": ("每格为该地区该指标的目标进展状态；悬停或点按查看原因。列为综合指数的核心指标，按条例章节分组。",
                    "Each cell is the unit's progress status on the indicator; hover or tap for the reason. Columns are "
                    "the composite index's headline indicators, grouped by chapter of the regulation."),
    "matrix_behind_only": ("只看落后", "Behind only"),
    "matrix_sort": ("排序", "Sort"),
    "matrix_sort_behind": ("落后指标最多在前", "Most indicators behind first"),
    "matrix_sort_code": ("按行政区划代码", "By region code"),
    "matrix_behind": ("落后", "behind"),
    "matrix_none_behind": ("没有落后的指标。", "Behind on nothing."),
    "matrix_no_data": ("该年份没有可评估的进展。", "No progress can be assessed for this year."),
    "matrix_unit": ("地区", "Unit"),
    "all": ("全部", "All"),
})


def controls(rows_id: str, sort_id: str, rows: str | None, sort: str | None, lang: str) -> list:
    """The row filter (all | behind) and the sort (behind | code), their values from the URL."""
    return [c.labelled(t("matrix_behind_only", lang), rows_id, dcc.RadioItems(
                id=rows_id, value=rows if rows in ("all", "behind") else "all", inline=True,
                options=[{"label": t("all", lang), "value": "all"},
                         {"label": t("matrix_behind_only", lang), "value": "behind"}])),
            c.labelled(t("matrix_sort", lang), sort_id, dcc.RadioItems(
                id=sort_id, value=sort if sort in SORTS else "behind", inline=True,
                options=[{"label": t(f"matrix_sort_{s}", lang), "value": s} for s in SORTS]))]


def headline(cat, level: str | None = None) -> list:
    """The headline indicators in chapter order (then code): the composite index's — with `level`, those units of
    that level report (a county matrix has no column a county cannot have)."""
    return sorted((i for i in cat.indicators.values() if i.in_index and (level is None or level in i.levels)),
                  key=lambda i: (i.chapter, i.code))


def frame(year: int, regions: tuple[str, ...], lang: str, level: str | None = None) -> pd.DataFrame:
    """Every (region, headline indicator) status of `year`, with its reason in `lang`."""
    cat = data.catalogue()
    codes = tuple(i.code for i in headline(cat, level))
    found = data.progress(year, regions, codes)
    if found.empty:
        return pd.DataFrame(columns=["region_code", "indicator_code", "status", "reason"])
    rows = found.to_dict("records")
    return pd.DataFrame({"region_code": [r["region_code"] for r in rows],
                         "indicator_code": [r["indicator_code"] for r in rows],
                         "status": [r["status"] for r in rows],
                         "reason": [data.status_sentence(r, lang) for r in rows]})


def behind_counts(found: pd.DataFrame) -> dict[str, int]:
    """How many headline indicators each unit is behind on: {"150200": 3, "150100": 0, …}."""
    counts = found.assign(behind=found["status"].isin(BEHIND)).groupby("region_code")["behind"].sum()
    return {str(k): int(v) for k, v in counts.items()}


def ordered(regions: tuple[str, ...], counts: dict[str, int], behind_only: bool, sort: str) -> list[str]:
    """The rows: ordered([a, b, c], {a: 0, b: 2, c: 1}, True, "behind") → [b, c]."""
    rows = [r for r in regions if not behind_only or counts.get(r, 0) > 0]
    if sort == "behind":
        rows.sort(key=lambda r: (-counts.get(r, 0), regions.index(r)))
    return rows


def view(year: int, regions: tuple[str, ...], behind_only: bool, sort: str, lang: str, region_path: str = "",
         level: str | None = None) -> html.Div:
    """The matrix (wide screens) and the same content as a list (phones); `region_path` (e.g. "/league/") links each
    unit's name to its page, keeping the year and the language; `level` = "county" for one league's counties."""
    found = frame(year, regions, lang, level)
    if found.empty:
        return html.Div(html.P(t("matrix_no_data", lang), className="hint"))
    cat = data.catalogue()
    counts = behind_counts(found)
    cells = {(r["region_code"], r["indicator_code"]): r for r in found.to_dict("records")}
    rows = ordered(regions, counts, behind_only, sort)
    names = {r: cat.regions.by_code[r].name(lang) for r in regions}
    indicators = headline(cat, level)
    return html.Div([_table(indicators, rows, names, cells, counts, year, lang, region_path),
                     _list(indicators, rows, names, cells, counts, lang)])


def _unit(code: str, names: dict, year: int, lang: str, region_path: str):
    if not region_path:
        return names[code]
    return dcc.Link(names[code], href=c.href(region_path + code, lang, year=year))


def _cell(row: dict | None, unit: str, ind, lang: str) -> html.Td:
    status = row["status"] if row else "not_assessed"
    colour, symbol, _ = STATUS_STYLE.get(status, ("#999", "?", ""))
    label = f"{unit} · {ind.code} {ind.name(lang)}: {status_label(status, lang)}"
    if row and row.get("reason"):
        label += f" — {row['reason']}"
    return html.Td(html.Span(symbol, style={"color": colour}), title=label, className=f"matrix-cell status-{status}",
                   tabIndex="0", **{"aria-label": label, "data-status": status})


def _table(indicators, rows, names, cells, counts, year, lang, region_path) -> html.Div:
    chapters: list[tuple[int, int]] = []
    for ind in indicators:
        if chapters and chapters[-1][0] == ind.chapter:
            chapters[-1] = (ind.chapter, chapters[-1][1] + 1)
        else:
            chapters.append((ind.chapter, 1))
    labels = chapter_labels(data.catalogue(), lang)
    head = [html.Tr([html.Th("", colSpan=2)] + [html.Th(labels.get(n, str(n)), colSpan=span, scope="colgroup",
                                                         className="matrix-chapter") for n, span in chapters]),
            html.Tr([html.Th(t("matrix_unit", lang), scope="col"), html.Th(t("matrix_behind", lang), scope="col")]
                    + [html.Th(ind.code, scope="col", title=ind.name(lang), className="matrix-indicator")
                       for ind in indicators])]
    body = [html.Tr([html.Th(_unit(r, names, year, lang, region_path), scope="row"),
                     html.Td(str(counts.get(r, 0)), className="matrix-count")]
                    + [_cell(cells.get((r, ind.code)), names[r], ind, lang) for ind in indicators]) for r in rows]
    return html.Div(html.Table([html.Thead(head), html.Tbody(body)], className="matrix"), className="matrix-wide")


def _list(indicators, rows, names, cells, counts, lang) -> html.Ul:
    items = []
    for r in rows:
        behind = [cells[(r, ind.code)] | {"ind": ind} for ind in indicators
                  if (r, ind.code) in cells and cells[(r, ind.code)]["status"] in BEHIND]
        detail = [html.Li([c.status_badge(b["status"], lang, b["reason"]), f" {b['ind'].code} {b['ind'].name(lang)}"])
                  for b in behind] or [html.Li(t("matrix_none_behind", lang))]
        items.append(html.Li([html.Strong(f"{names[r]} · {t('matrix_behind', lang)} {counts.get(r, 0)}"),
                              html.Ul(detail)]))
    return html.Ul(items, className="matrix-narrow")
