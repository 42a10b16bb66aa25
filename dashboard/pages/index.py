"""综合指数 Composite index (DESI-style): chapter weights as sliders, the 12 leagues re-ranked live, with the
chapter sub-indices, each league's index over the years beside the leagues' average and its rank change, how much of the index each league's data covers, which chapters rest on too few indicators,
how far each league's rank moves when a chapter is left out or every indicator weighs the same, and the method."""

from __future__ import annotations

import dash
import pandas as pd
from dash import ALL, Input, Output, State, dcc, html

from dashboard import components as c
from dashboard import data, ids, inputs, numbers, sensitivity, warming
from dashboard.figures import chapter_labels, index_bars, trend
from dashboard.i18n import lang_of, t
from indicators.engine import composite, methods

dash.register_page(__name__, path="/index", name="综合指数 Composite index", title="北疆数字经济监测 · 综合指数")


def chapters() -> list[int]:
    """The chapters that carry a weight in settings.toml [index.chapter_weights]."""
    return sorted(data.settings().index.chapter_weights)


def weight_value(raw: object, default: float) -> float:
    """A weight from the URL (?w3=1.5) as the slider can show it: 0–3 in steps of 1/2; 'abc', nan → default."""
    try:
        value = float(str(raw))
    except (TypeError, ValueError):
        return default
    if value != value:  # nan
        return default
    return round(min(max(value, 0.0), 3.0) * inputs.WEIGHT_STEPS) / inputs.WEIGHT_STEPS


def layout(lang: str | None = None, year: str | None = None, **query) -> html.Div:
    lang = lang_of(lang)
    labels = chapter_labels(data.catalogue(), lang)
    years = (data.data_years() if data.available() else []) or [2024]
    defaults = data.settings().index.chapter_weights
    sliders = [html.Div([html.Label(f"{labels[n]} · {t('weight', lang)}", htmlFor=c.dom_id(ids.weight(n))),
                         dcc.Slider(id=ids.weight(n), min=0, max=3, step=0.5,
                                    value=weight_value(query.get(f"w{n}"), defaults[n]),
                                    marks={v: str(v) for v in (0, 1, 2, 3)}, updatemode="mouseup")],
                        className="control") for n in chapters()]
    controls = [c.labelled(t("select_year", lang), ids.INDEX_YEAR, dcc.Dropdown(
        id=ids.INDEX_YEAR, options=c.year_options(), value=c.as_int(year, years[-1], years), clearable=False))]
    body = [html.Section(className="panel", children=[html.H2(t("chapter_weights", lang)),
                                                      html.Div(sliders, className="controls sliders")]),
            html.Section(className="panel", children=[c.graph(ids.INDEX_GRAPH, label=t("index_title", lang))]),
            html.Section(className="panel", children=[html.H2(t("index_history", lang)),
                                                      html.P(t("index_history_note", lang), className="hint"),
                                                      html.Div(id=ids.INDEX_HISTORY)]),
            html.Section(className="panel", children=[html.H2(t("robustness", lang)),
                                                      html.P(t("sensitivity_note", lang), className="hint"),
                                                      html.Div(id=ids.INDEX_ROBUSTNESS)]),
            html.Section(className="panel", children=[html.H2(t("coverage", lang)), html.P(t("coverage_note", lang)),
                                                      html.Div(id=ids.INDEX_COVERAGE)]),
            method_panel(lang)]
    return c.page("index", lang, "/index", {"lang": lang, "year": year, **query}, t("index_title", lang), *body,
                  controls=controls)


def coverage_table(scores, lang: str):
    """League × chapter: the sub-index score with the share of indicators available ("72.4 (3/4)")."""
    labels = chapter_labels(data.catalogue(), lang)
    cells = scores.assign(cell=[numbers.score(s) + f" ({int(n)}/{int(m)})"
                                for s, n, m in zip(scores["score"], scores["n"], scores["n_total"], strict=True)])
    wide = cells.pivot(index="region_name", columns="chapter", values="cell")
    total = scores[scores["chapter"] == 0].set_index("region_name")
    wide = wide.assign(order=total["rank"].reindex(wide.index), rank=numbers.rank_labels(total["rank"]).reindex(
        wide.index)).sort_values("order").drop(columns="order").reset_index()
    columns = {"rank": t("rank", lang), "region_name": t("region_name", lang), 0: t("composite", lang)}
    columns.update({n: labels[n] for n in chapters() if n in wide.columns})
    wide.columns = [str(col) for col in wide.columns]
    return c.table(ids.INDEX_COVERAGE + "-table", wide, {str(k): v for k, v in columns.items()}, page_size=12,
                   lang=lang)


@dash.callback(Output(ids.INDEX_GRAPH, "figure"), Output(ids.INDEX_COVERAGE, "children"), Input(ids.INDEX_YEAR, "value"),
               Input(ids.weight(ALL), "value"), State(ids.weight(ALL), "id"), State(ids.LANG, "data"))
def update(year, weights, slider_ids, lang):
    chosen = inputs.weights(weights, slider_ids, chapters())
    with data.transient(chosen != _default_weights()):  # only the default weights' views are kept in the cache
        return view(inputs.year(year), chosen, inputs.lang(lang))


@data.memo
def view(year: int, weights: tuple, lang: str):
    scores = data.index_scores(year, weights, lang)
    title = f"{t('index_title', lang)} · {year}"
    return index_bars(scores, chapter_labels(data.catalogue(), lang), lang, title=title), coverage_table(scores, lang)


@dash.callback(Output(ids.INDEX_HISTORY, "children"), Input(ids.INDEX_YEAR, "value"), State(ids.LANG, "data"))
def update_history(year, lang):
    return history(inputs.year(year), inputs.lang(lang))


@data.memo
def history(year: int, lang: str) -> list:
    """Each league's composite index (the settings' weights) over the years up to `year`, with the leagues' average
    in black, and each league's rank change since the year before."""
    frames = []
    for y in [y for y in data.data_years() if y <= year]:
        scores = data.index_scores(y, (), lang)
        total = scores[scores["chapter"] == 0].dropna(subset=["score"])
        if total.empty:
            continue
        frames.append(total.assign(year=y))
    if not frames:
        return [html.P(t("no_data", lang), className="hint")]
    series = pd.concat(frames, ignore_index=True)
    average = series.groupby("year", as_index=False).agg(score=("score", "mean"), synthetic=("synthetic", "any"))
    average = average.assign(region_code="average", region_name=t("league_average", lang))
    shown = pd.concat([series, average], ignore_index=True).assign(value=lambda d: d["score"], status="derived")
    shown["synthetic"] = shown["synthetic"].fillna(False).astype(bool)
    figure = trend(shown[["region_code", "region_name", "year", "value", "synthetic", "status"]], "", lang,
                   title=f"{t('composite', lang)} · {t('index_history', lang)}", region_code="average",
                   decimals=composite.SCORE_DECIMALS, height=420)
    return [c.graph(ids.INDEX_HISTORY + "-graph", figure, label=t("index_history", lang)),
            c.table(ids.INDEX_HISTORY + "-ranks", rank_changes(series, year, lang),
                    {"region_name": t("region_name", lang), "rank": f"{t('rank', lang)} {year}",
                     "previous": f"{t('rank', lang)} {year - 1}", "change": t("rank_change", lang)},
                    page_size=12, lang=lang)]


def rank_changes(series: pd.DataFrame, year: int, lang: str) -> pd.DataFrame:
    """Rank in `year` and the year before, and the move: rank 5 → 3 is "↑2", 3 → 5 "↓2", unchanged "=", no rank
    the year before "—"."""
    now = series[series["year"] == year].set_index("region_code")
    before = series[series["year"] == year - 1].set_index("region_code")["rank"]
    rows = []
    for code, r in now.sort_values("rank").iterrows():
        old = before.get(code)
        move = "—" if old is None or pd.isna(old) else "=" if old == r["rank"] else \
            (f"↑{int(old - r['rank'])}" if old > r["rank"] else f"↓{int(r['rank'] - old)}")
        rows.append({"region_name": r["region_name"], "rank": numbers.rank_labels(now["rank"])[code],
                     "previous": "—" if old is None or pd.isna(old) else numbers.rank_labels(before.dropna())[code],
                     "change": move})
    return pd.DataFrame(rows, columns=["region_name", "rank", "previous", "change"])


@dash.callback(Output(ids.INDEX_ROBUSTNESS, "children"), Input(ids.INDEX_YEAR, "value"),
               Input(ids.weight(ALL), "value"), State(ids.weight(ALL), "id"), State(ids.LANG, "data"))
def update_robustness(year, weights, slider_ids, lang):
    chosen = inputs.weights(weights, slider_ids, chapters())
    with data.transient(chosen != _default_weights()):
        return robustness(inputs.year(year), chosen, inputs.lang(lang))


@data.memo
def robustness(year: int, weights: tuple, lang: str) -> list:
    """The fragile-chapter warning, the sensitivity table and the chapters' coverage by year."""
    cat, p = data.catalogue(), data.settings().index
    basis = composite.chapter_basis(cat, p, dict(weights))
    warning = sensitivity.fragile_warning(basis, p.min_chapter_indicators, lang)
    names = {r.code: r.name(lang) for r in cat.regions.leagues()}
    ranks, rank_columns = sensitivity.sensitivity_frame(data.index_sensitivity(year, weights), names, lang)
    years = [y for y in data.data_years() if y <= year][-6:]
    cover, cover_columns = sensitivity.coverage_frame(data.index_coverage(), basis, chapter_labels(cat, lang), years,
                                                      lang)
    return [html.P(warning, className="warning", role="note") if warning else None,
            c.table(ids.INDEX_ROBUSTNESS + "-table", ranks, rank_columns, page_size=12, lang=lang),
            html.H3(t("chapter_coverage", lang)),
            c.table(ids.INDEX_ROBUSTNESS + "-coverage", cover, cover_columns, page_size=12, lang=lang)]


def method_panel(lang: str) -> html.Section:
    """How the index is computed, from the same text as the bulletin's methods annex (indicators.engine.methods)."""
    texts = methods.index_method(data.settings(), data.catalogue(), lang)
    return html.Section(className="panel", children=[html.Details(
        [html.Summary(t("index_method", lang)), *[html.P(text) for text in texts]])])


c.sync_url(ids.INDEX_YEAR, ids.weight(ALL))


def _default_weights() -> tuple:
    """The sliders' starting values, as the callback receives them (chapter order of the layout)."""
    defaults = data.settings().index.chapter_weights
    return tuple((n, float(defaults[n])) for n in chapters())


def _views(year: int, lang: str) -> None:
    view(year, _default_weights(), lang)
    robustness(year, _default_weights(), lang)
    history(year, lang)


warming.warm_with(first=lambda: [layout, lambda: _views(data.default_year(), "zh")],
                  rest=lambda: [lambda y=y, lang=lang: _views(y, lang) for lang in ("zh", "en")
                                for y in reversed(data.data_years())])
