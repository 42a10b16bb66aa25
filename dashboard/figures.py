"""Figure builders: pure functions DataFrame → plotly Figure, shared by the dashboard and the PDF report.

graph_objects only (plotly.express costs ~100 ms per figure in a callback). Missing values stay missing:
lines break at gaps (connectgaps=False) and map areas without a value are drawn grey and labelled 未报送.
Frames come from `indicators.query.values(...)` passed through `indicators.query.label(...)`.
"""

from __future__ import annotations

import json
import math
from functools import cache

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard import numbers
from dashboard.i18n import t
from dashboard.style import (
    FONT_FAMILY,
    MISSING_COLOUR,
    OKABE_ITO,
    REGION_COLOUR,
    SEQUENTIAL,
    STATUS_ORDER,
    STATUS_STYLE,
)
from indicators.base import status as obs_status
from indicators.base.regulation import chinese_numeral
from indicators.base.resources import bundled
from indicators.engine.progress import status_label

GEO = {"league": "inner_mongolia_leagues.geojson", "county": "inner_mongolia_counties.geojson"}
MAP_CENTER = {"lat": 44.3, "lon": 113.5}
HIGHLIGHT = "#ffecd6"  # the report's own league in a ranking (the PDF's highlighted table rows)
BADGE_MARGIN = 36  # px above the plot for the synthetic badge (11 px text, padding, border, 2 % of the plot)


@cache
def template() -> go.layout.Template:
    """plotly_white with the trace defaults of only the trace types drawn here (bar, scatter, heatmap; it has none
    for choroplethmap): the same pictures, pixel for pixel, but applying it costs a figure ~5 ms instead of ~10 and
    it weighs 3.6 KB instead of 7.2 KB in every figure sent to the browser."""
    white = pio.templates["plotly_white"]
    drawn = {k: v for k, v in white.data.to_plotly_json().items() if k in ("bar", "scatter", "heatmap")}
    return go.layout.Template(layout=white.layout, data=drawn)


def base_layout(fig: go.Figure, title: str = "", height: int = 380) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}} if title else None,
                      font={"family": FONT_FAMILY, "size": 12}, height=height, template=template(),
                      margin={"l": 48, "r": 16, "t": 48 if title else 16, "b": 40},
                      legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0},
                      hoverlabel={"font": {"family": FONT_FAMILY}})
    return fig


def synthetic_badge(fig: go.Figure, lang: str) -> go.Figure:
    """A visible corner mark on figures that include synthetic data (it survives in PNG exports); above the plot,
    so a figure without a title gets a top margin tall enough to hold it (else it is cut off at the top)."""
    if (fig.layout.margin.t or 0) < BADGE_MARGIN:
        fig.update_layout(margin_t=BADGE_MARGIN)
    inset = 3 if fig.layout.margin.r == 0 else 0  # a plot reaching the right edge (the map) would cut its frame
    fig.add_annotation(text=f"{t('synthetic_mark', 'zh')} · synthetic" if lang == "zh" else "synthetic data",
                       xref="paper", yref="paper", x=1, y=1.02, xanchor="right", yanchor="bottom", showarrow=False,
                       xshift=-inset,
                       font={"size": 11, "color": "#8B0000"}, bordercolor="#8B0000", borderwidth=1, borderpad=2)
    return fig


def empty_figure(lang: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=t("no_data", lang), x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font={"size": 16, "color": "#666"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return base_layout(fig, height=260)


def _hover(unit: str, decimals: int, lang: str) -> str:
    """Region, year, value with its decimals, year-on-year change (customdata[1]) and status (customdata[0])."""
    return ("%{fullData.name}<br>%{x}: %{y:" + numbers.d3(decimals) + "} " + unit + "<br>" + t("yoy", lang)
            + " %{customdata[1]}<br>%{customdata[0]}<extra></extra>")


def _status_text(row: pd.Series, lang: str) -> str:
    parts = [t(row["status"], lang)] if row["status"] in ("reported", "aggregated", "derived") else [row["status"]]
    if row.get("synthetic"):
        parts.append(t("synthetic_mark", lang))
    if row.get("revised"):
        parts.append(t("revised", lang))
    if obs_status.label(row.get("obs_status"), lang):  # provisional, estimated, forecast: a normal value is silent
        parts.append(obs_status.label(row.get("obs_status"), lang))
    if not row.get("complete", True):
        parts.append(("截至" if lang == "zh" else "to ") + str(row.get("ytd_through") or ""))
    return " · ".join(parts)


def _changes(series: pd.DataFrame, unit: str, lang: str) -> list[str]:
    """Year-on-year change of each year of a series indexed by consecutive years (the row above is the previous
    year); none where either year is incomplete (a year-to-date value is no year)."""
    complete = series["complete"].fillna(False).astype(bool) if "complete" in series else pd.Series(True, series.index)
    usable = series["value"].where(complete)
    return [numbers.change(v, p, unit, lang) for v, p in zip(usable, usable.shift(1), strict=True)]


def trend(frame: pd.DataFrame, unit: str, lang: str = "zh", title: str = "", region_code: str | None = None,
          target: tuple[int, float, str] | None = None, benchmark: float | None = None, height: int = 380,
          decimals: int = 2) -> go.Figure:
    """Time series of one indicator for several regions; the region in black; gaps stay gaps. Values, the target
    and the benchmark are labelled with the indicator's `decimals`; the hover adds the year-on-year change.
    `target` = (year, value, label) draws a marker and a dashed guide to the target year."""
    if frame.empty:
        return empty_figure(lang)
    years = list(range(int(frame["year"].min()), int(frame["year"].max()) + 1))
    fig = go.Figure()
    for i, (code, series) in enumerate(frame.groupby("region_code", sort=False)):
        series = series.set_index("year").reindex(years)  # missing years become gaps, never zeros
        name = series["region_name"].dropna().iloc[0] if series["region_name"].notna().any() else code
        is_region = code == region_code
        # customdata: [status text, year-on-year change, region code for the dashboard's provenance click]
        custom = [[_status_text(r, lang) if pd.notna(r["value"]) else t("not_reported", lang), change, code]
                  for (_, r), change in zip(series.reset_index().iterrows(), _changes(series, unit, lang), strict=True)]
        fig.add_trace(go.Scatter(
            x=years, y=series["value"], name=name, mode="lines+markers", connectgaps=False, customdata=custom,
            hovertemplate=_hover(unit, decimals, lang),
            line={"color": REGION_COLOUR if is_region else OKABE_ITO[i % len(OKABE_ITO)], "width": 3 if is_region else 2,
                  "dash": "solid"},
            marker={"symbol": ["circle-open" if s else "circle" for s in series["synthetic"].fillna(False)], "size": 7}))
    synthetic = frame["synthetic"].fillna(False).astype(bool)
    if synthetic.any():  # the legend says what a hollow marker means (never an unexplained encoding)
        for hollow in ([False] if not synthetic.all() else []) + [True]:
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", hoverinfo="skip",
                                     name=t("legend_synthetic" if hollow else "legend_real", lang),
                                     marker={"symbol": "circle-open" if hollow else "circle", "size": 8,
                                             "color": "#555"}))
    if target is not None:
        year, value, label = target
        # beyond the last year the label reads leftwards, into the free space before the star (centred on a star at
        # the axis' end it was cut off: "官方目标 202")
        place = "middle left" if year > years[-1] else ("top left" if year == years[-1] else "top center")
        fig.add_trace(go.Scatter(x=[year], y=[value], name=label, mode="markers+text", text=[label],
                                 textposition=place, cliponaxis=False,
                                 marker={"symbol": "star", "size": 14, "color": "#009E73"},
                                 hovertemplate=f"{label}: {numbers.value(value, decimals)} {unit}<extra></extra>"))
        fig.update_xaxes(range=[years[0] - 0.3, max(years[-1], year) + 0.3])
    if benchmark is not None:
        fig.add_hline(y=benchmark, line_dash="dot", line_color="#555",
                      annotation_text=f"{t('benchmark', lang)} {numbers.value(benchmark, decimals)}",
                      annotation_position="top left")
    fig.update_xaxes(dtick=1, title=None)
    fig.update_yaxes(title=None, rangemode="tozero" if frame["value"].min() >= 0 else "normal")
    titled(fig, title, unit, lang, height)
    return synthetic_badge(fig, lang) if frame["synthetic"].any() else fig


def titled(fig: go.Figure, title: str, unit: str, lang: str, height: int) -> go.Figure:
    """The base layout with the unit beside the title, or above the plot's top left corner when there is no title
    — never as an axis title (a rotated 个 reads like an arrow; under the plot it collided with the legend)."""
    base_layout(fig, with_unit(title, unit, lang), height)
    if unit and not title:
        fig.add_annotation(text=unit, xref="paper", yref="paper", x=0, y=1.02, xanchor="left", yanchor="bottom",
                           showarrow=False, font={"size": 11, "color": "#555"})
        if (fig.layout.margin.t or 0) < 24:
            fig.update_layout(margin_t=24)
    return fig


def with_unit(title: str, unit: str, lang: str) -> str:
    """The unit read beside the title, not as a y-axis title that Plotly turns on its side (a rotated 个 reads like
    an arrow): with_unit("5G基站数", "个", "zh") → "5G基站数（个）"."""
    if not title or not unit or title.endswith((f"（{unit}）", f"({unit})")):  # a title that names it already
        return title
    return f"{title} ({unit})" if lang == "en" else f"{title}（{unit}）"


SPARK_BLOCKS = "▁▂▃▄▅▆▇█"


def spark_text(values: list[float]) -> str:
    """A text sparkline for tables: [1, 2, nan, 4] → '▁▃·█'; a gap stays a gap ('·'), never a zero."""
    have = [v for v in values if v is not None and not math.isnan(v)]
    if not have:
        return ""
    lo, hi = min(have), max(have)
    span = (hi - lo) or 1.0
    return "".join("·" if v is None or math.isnan(v) else SPARK_BLOCKS[round((v - lo) / span * 7)] for v in values)


def ranking(frame: pd.DataFrame, unit: str, lang: str = "zh", title: str = "", average: float | None = None,
            lower_is_better: bool = False, height: int = 420, decimals: int = 2) -> go.Figure:
    """Leagues ranked on one value (best on top); missing leagues listed at the bottom as 未报送; labels, hover and
    the average with the indicator's `decimals`."""
    if frame.empty:
        return empty_figure(lang)
    have = frame[frame["value"].notna()].sort_values("value", ascending=lower_is_better)
    missing = frame[frame["value"].isna()]
    names = list(missing["region_name"]) + list(have["region_name"][::-1])
    fig = go.Figure(go.Bar(
        x=list(have["value"][::-1]), y=list(have["region_name"][::-1]), orientation="h",
        marker={"color": [OKABE_ITO[5] if s else OKABE_ITO[0] for s in have["synthetic"][::-1]],
                "pattern": {"shape": ["/" if s else "" for s in have["synthetic"][::-1]]}},
        text=[numbers.value(v, decimals) for v in have["value"][::-1]], textposition="outside", cliponaxis=False,
        hovertemplate="%{y}: %{x:" + numbers.d3(decimals) + "} " + unit + "<extra></extra>", name=t("value", lang),
        showlegend=False))
    if len(missing):
        fig.add_trace(go.Bar(x=[0] * len(missing), y=list(missing["region_name"]), orientation="h",
                             marker={"color": MISSING_COLOUR}, name=t("not_reported", lang),
                             text=[t("not_reported", lang)] * len(missing), textposition="outside",
                             hovertemplate="%{y}: " + t("not_reported", lang) + "<extra></extra>"))
    fig.update_yaxes(categoryorder="array", categoryarray=names, title=None)
    if average is not None and not math.isnan(average):
        # the label sits in an empty row above the top bar (drawn over the bars it hid the top one's value), on the
        # side of the line with more room; the synthetic badge is above the plot
        low, high = min(0.0, float(have["value"].min())), max(0.0, float(have["value"].max()))
        side = "right" if average - low < 0.5 * (high - low) else "left"
        fig.add_vline(x=average, line_dash="dash", line_color="#555",
                      annotation_text=f"{t('league_average', lang)} {numbers.value(average, decimals)}",
                      annotation_position=f"top {side}")
        fig.update_yaxes(range=[-0.5, len(names) + 0.5])
    synthetic = bool(have["synthetic"].fillna(False).astype(bool).any())
    if synthetic:  # the legend says what the hatching means
        fig.add_trace(go.Bar(x=[None], y=[None], orientation="h", name=t("legend_synthetic", lang), hoverinfo="skip",
                             marker={"color": OKABE_ITO[5], "pattern": {"shape": "/"}}))
    titled(fig, title, unit, lang, height)
    fig.update_layout(showlegend=bool(len(missing)) or synthetic, bargap=0.25)
    return synthetic_badge(fig, lang) if synthetic else fig


def index_bars(scores: pd.DataFrame, chapter_labels: dict[int, str], lang: str = "zh", title: str = "",
               height: int = 440, highlight: str | None = None) -> go.Figure:
    """Composite index per league (ranked), split into the weighted contributions of the chapter sub-indices;
    `highlight` (a league's code: its own bulletin) shades that league's row and writes its name in bold."""
    total = scores[scores["chapter"] == 0].dropna(subset=["score"]).sort_values("score")
    if total.empty:
        return empty_figure(lang)
    chapters = scores[scores["chapter"] > 0]
    weights = chapters["chapter_weight"].where(chapters["score"].notna(), 0).groupby(chapters["region_code"]).sum()
    fig = go.Figure()
    for i, (chapter, part) in enumerate(chapters.groupby("chapter")):
        part = part.set_index("region_code").reindex(total["region_code"])
        contribution = part["score"].fillna(0) * part["chapter_weight"] / weights.reindex(total["region_code"]).values
        fig.add_trace(go.Bar(y=total["region_name"], x=contribution, orientation="h", name=chapter_labels.get(chapter, str(chapter)),
                             marker={"color": OKABE_ITO[i % len(OKABE_ITO)]},
                             customdata=[numbers.score(s) for s in part["score"]],
                             hovertemplate="%{y} · %{fullData.name}: %{customdata}<extra></extra>"))
    ranks = numbers.rank_labels(total["rank"])
    fig.add_trace(go.Scatter(y=total["region_name"], x=total["score"], mode="text", showlegend=False,
                             text=[f"{numbers.score(s)}（{r}）" if lang == "zh" else f"{numbers.score(s)} (#{r})"
                                   for s, r in zip(total["score"], ranks, strict=True)],
                             textposition="middle right", hoverinfo="skip"))
    fig.update_layout(barmode="stack")
    if highlight in set(total["region_code"]):
        row = list(total["region_code"]).index(highlight)
        names = list(total["region_name"])
        fig.add_shape(type="rect", xref="paper", x0=0, x1=1, yref="y", y0=row - 0.5, y1=row + 0.5, layer="below",
                      fillcolor=HIGHLIGHT, line_width=0)
        fig.update_yaxes(tickmode="array", tickvals=names,
                         ticktext=[f"<b>{n}</b>" if i == row else n for i, n in enumerate(names)])
    fig.update_xaxes(range=[0, max(100, float(total["score"].max())) * 1.18])
    titled(fig, title, "0–100", lang, height)
    # Plotly lists the traces of stacked bars last first; the chapters read in the regulation's order
    fig.update_layout(legend={"traceorder": "normal"})
    return synthetic_badge(fig, lang) if scores["synthetic"].fillna(False).any() else fig


@cache
def geojson(level: str) -> dict:
    return json.loads((bundled("geo") / GEO[level]).read_text(encoding="utf-8"))


def choropleth(frame: pd.DataFrame, level: str, unit: str, lang: str = "zh", title: str = "", height: int = 520,
               ranks: pd.Series | None = None, geojson_url: str | None = None, zoom: float = 3.6,
               decimals: int = 2, lower_is_better: bool = False, names: dict[str, str] | None = None) -> go.Figure:
    """Leagues or counties coloured by value on a blank background (no tiles, no network); the hover gives the
    value with `decimals` and the rank (ranks: region code → rank; a shared rank reads "3=").
    Darker is always better: for a lower-is-better indicator (PUE) the scale is reversed and its bar says so.
    Areas without a value are grey and say 未报送 — never the bottom of the colour scale.
    With `geojson_url` (the dashboard) the trace refers to the boundary file by URL, which the browser fetches
    once and caches, instead of carrying it in every figure (the county file is ~280 KB)."""
    gj = geojson(level)
    source = geojson_url or gj
    codes = [f["properties"]["code"] for f in gj["features"]]
    data = frame.set_index("region_code").reindex(codes)
    # areas without a value are named from `names` (the page's language), else the boundary file's Chinese names
    names = names or {f["properties"]["code"]: f["properties"]["name_zh"] for f in gj["features"]}
    data["region_name"] = data["region_name"].fillna(pd.Series(names))
    have = data[data["value"].notna()]
    missing = data[data["value"].isna()]
    fig = go.Figure()
    labels = numbers.rank_labels(ranks.dropna()) if ranks is not None else pd.Series(dtype=object)
    if len(have):
        text = [f"{r['region_name']}<br>{numbers.value(r['value'], decimals)} {unit}"
                + (f"<br>{t('rank', lang)} {labels[c]}" if c in labels.index else "")
                + f"<br>{_status_text(r, lang)}" for c, r in have.iterrows()]
        fig.add_trace(go.Choroplethmap(
            geojson=source, featureidkey="properties.code", locations=list(have.index), z=have["value"],
            colorscale=SEQUENTIAL, reversescale=lower_is_better, marker={"line": {"color": "white", "width": 0.8}},
            text=text, hovertemplate="%{text}<extra></extra>", name=t("value", lang),
            # under the map, never over it (on a phone a vertical bar covered the east of the region)
            colorbar={"title": {"text": " · ".join(x for x in (unit, t(
                "lower_is_better" if lower_is_better else "higher_is_better", lang)) if x), "side": "top"},
                      "orientation": "h", "x": 0.5, "xanchor": "center", "y": 0, "yanchor": "top", "len": 0.8,
                      "thickness": 10}))
    if len(missing):
        fig.add_trace(go.Choroplethmap(
            geojson=source, featureidkey="properties.code", locations=list(missing.index), z=[0] * len(missing),
            colorscale=[[0, MISSING_COLOUR], [1, MISSING_COLOUR]], showscale=False,
            marker={"line": {"color": "white", "width": 0.8}},
            text=[f"{n}<br>{t('not_reported', lang)}" for n in missing["region_name"]],
            hovertemplate="%{text}<extra></extra>", name=t("not_reported", lang)))
    fig.update_layout(map={"style": "white-bg", "center": MAP_CENTER, "zoom": zoom})
    base_layout(fig, title, height)
    fig.update_layout(margin={"l": 0, "r": 0, "t": 40 if title else 0, "b": 64})  # room for the colour bar
    return synthetic_badge(fig, lang) if frame["synthetic"].fillna(False).any() else fig


def status_summary(progress: pd.DataFrame, chapter_labels: dict[int, str], lang: str = "zh",
                   height: int = 320) -> go.Figure:
    """How many indicators per chapter are in each progress status (stacked bars with symbol + word legend)."""
    if progress.empty:
        return empty_figure(lang)
    counts = progress.groupby(["chapter", "status"]).size().unstack(fill_value=0)
    fig = go.Figure()
    for status in STATUS_ORDER:
        if status not in counts.columns:
            continue
        colour, symbol, _ = STATUS_STYLE[status]
        fig.add_trace(go.Bar(y=[chapter_labels.get(c, str(c)) for c in counts.index], x=counts[status],
                             orientation="h", name=f"{symbol} {status_label(status, lang)}", marker={"color": colour},
                             hovertemplate="%{y}: %{x} · " + status_label(status, lang) + "<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    base_layout(fig, height=height)
    return fig


def submission_matrix(matrix: pd.DataFrame, lang: str = "zh", title: str = "", height: int = 460) -> go.Figure:
    """League × indicator grid of the latest submission state: received · missing · rejected · late.
    `matrix` has columns region_name, indicator_code and state."""
    states = ["received", "late", "rejected", "missing"]
    labels = {"received": ("已报送", "received"), "late": ("逾期", "late"), "rejected": ("退回", "rejected"),
              "missing": ("未报送", "missing")}
    colours = {"received": "#009E73", "late": "#E69F00", "rejected": "#D55E00", "missing": MISSING_COLOUR}
    symbols = {"received": "✔", "late": "…", "rejected": "✖", "missing": "·"}
    if matrix.empty:
        return empty_figure(lang)
    code = {s: i for i, s in enumerate(states)}
    grid = matrix.pivot(index="region_name", columns="indicator_code", values="state")
    z = grid.map(lambda s: code.get(s, 3)).to_numpy()
    text = grid.map(lambda s: symbols.get(s, "·")).to_numpy()
    scale = []
    for i, s in enumerate(states):
        scale += [[i / len(states), colours[s]], [(i + 1) / len(states), colours[s]]]
    fig = go.Figure(go.Heatmap(z=z, x=list(grid.columns), y=list(grid.index), text=text, texttemplate="%{text}",
                               colorscale=scale, zmin=-0.5, zmax=len(states) - 0.5, showscale=False,
                               hovertemplate="%{y} · %{x}<extra></extra>", xgap=1, ygap=1))
    for s in states:  # legend entries with symbol and word, not colour alone
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", marker={"color": colours[s], "size": 10,
                                                                             "symbol": "square"},
                                 name=f"{symbols[s]} {labels[s][1 if lang == 'en' else 0]}"))
    fig.update_xaxes(tickangle=-60, side="top")
    base_layout(fig, title, height)
    return fig


def chapter_labels(cat, lang: str = "zh", short: bool = True) -> dict[int, str]:
    """Chapter number → label; Chapter 3 shows its missing-heading flag rather than an invented title."""
    out = {}
    for n, ch in cat.regulation.chapters.items():
        if lang == "en":
            out[n] = f"Ch.{n} " + (ch.title_en or t("heading_missing", "en")) if short else ch.label_en
        else:
            out[n] = (ch.label_zh if not short or not ch.heading_missing
                      else f"第{chinese_numeral(n)}章（{t('heading_missing', 'zh')}）")  # 第三章, as the others
    return out


def highlight_region(fig: go.Figure, region_name: str) -> go.Figure:
    """Colour one region's bar in a ranking() figure (the league a report or profile is about), keeping the
    hatching of synthetic bars; the region's name is also set in bold on the axis, so colour is not the only cue."""
    bars = fig.data[0]
    names = list(bars.y or [])
    if region_name in names:
        colours = list(bars.marker.color) if isinstance(bars.marker.color, (list, tuple)) else [bars.marker.color] * len(names)
        colours[names.index(region_name)] = OKABE_ITO[3]
        bars.marker.color = colours
        fig.update_yaxes(ticktext=[f"<b>{n}</b>" if n == region_name else n for n in fig.layout.yaxis.categoryarray],
                         tickvals=list(fig.layout.yaxis.categoryarray))
    return fig
