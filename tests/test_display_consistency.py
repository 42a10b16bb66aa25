"""One number, one way of showing it: a value has its catalogue decimals, a year-on-year change is in percentage
points for shares and in per cent otherwise, in the dashboard's cards, tables, hover texts and downloads and in the
bulletin's tables and charts alike; and the method texts (annex, dashboard, docs/methods.md) come from one source
that writes in the settings in force. Real demo warehouse; the dashboard's functions called in-process."""

from __future__ import annotations

import base64
import io
import math
import os
import re

import pandas as pd
import pytest

from dashboard import data, numbers
from dashboard.report import tables
from dashboard.report.build import read_reports, resolve_settings
from dashboard.report.charts import report_charts
from dashboard.report.content import ReportSpec
from indicators.base.catalogue import default_catalogue
from indicators.base.settings import load_settings, project_root
from indicators.engine import composite, methods, query
from indicators.storage import warehouse
from indicators.storage.warehouse import public_path

YEAR = 2024
NAN = float("nan")


def process_app(db):
    """The process's one app (pages register their callbacks into the first app created), on warehouse `db`."""
    import dash
    from dash.exceptions import AppNotFoundError

    os.environ.setdefault("DEM_TODAY", "2026-11-27")
    try:
        app = dash.get_app()
    except AppNotFoundError:
        from dashboard.app import create_app

        app = create_app(db=db)
    data.configure(db=db)
    assert app.server.test_client().get("/").status_code == 200  # registers the callbacks
    return app


@pytest.fixture(scope="module")
def app(demo_warehouse):
    """The process's app on the demo warehouse: the pages register their callbacks once, into the first app
    created (another test module may have created it already)."""
    yield process_app(demo_warehouse)
    data.configure(db=demo_warehouse)


@pytest.fixture(scope="module")
def report(demo_warehouse):
    # the bulletin is a public output: it reads the public warehouse, like the pages an anonymous visitor sees
    (report,) = read_reports(resolve_settings(public_path(demo_warehouse)), default_catalogue(), [ReportSpec(YEAR)])
    return report


# ── the formatter ────────────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("value", "previous", "unit", "lang", "shown"), [
    (121.0, 110.0, "亿元", "zh", "+10.0%"),
    (48.0, 45.0, "%", "zh", "+3.0个百分点"),
    (48.0, 45.0, "%", "en", "+3.0 pp"),
    (90.0, 100.0, "个", "en", "-10.0%"),
    (45.0, 48.0, "%", "zh", "-3.0个百分点"),
    (5.0, 0.0, "个", "zh", "—"),  # no per cent of nothing
    (NAN, 3.0, "个", "zh", "—"),
    (None, 3.0, "%", "en", "—"),
])
def test_a_change_is_in_percentage_points_for_shares_and_in_per_cent_otherwise(value, previous, unit, lang, shown):
    assert numbers.change(value, previous, unit, lang) == shown


@pytest.mark.parametrize(("value", "decimals", "shown"), [
    (24627, 0, "24,627"), (4.627258896434006, 1, "4.6"), (38.9808, 2, "38.98"), (2404.9155, 2, "2,404.92"),
    (None, 1, "—"), (NAN, 2, "—"), (math.inf, 1, "—"),
])
def test_a_value_has_the_catalogue_decimals_and_thousands_separators(value, decimals, shown):
    assert numbers.value(value, decimals) == shown


@pytest.mark.parametrize(("values", "decimals", "labels"), [
    ([90.0, 81.94, 81.91, 70.0], 1, ["1", "2=", "2=", "4"]),  # 81.9 and 81.9 as shown: a tie
    ([90.0, 81.94, 81.91, 70.0], 2, ["1", "2", "3", "4"]),
    ([100.0, 100.0, NAN], 1, ["1=", "1=", "—"]),
])
def test_ranks_follow_the_published_values_and_mark_ties(values, decimals, labels):
    assert list(numbers.rank_labels(query.ranks(pd.Series(values), decimals))) == labels


def test_no_display_code_formats_numbers_its_own_way():
    """Every value shown goes through dashboard.numbers: no significant-digit formats (38.9808 beside 38.98)."""
    own = re.compile(r"~g\}|[:,]\.\d+g\}|\.round\(1\)|:\+\.1%")
    found = [f"{path.name}: {line.strip()}" for path in (project_root() / "dashboard").rglob("*.py")
             if path.name != "numbers.py" for line in path.read_text(encoding="utf-8").splitlines() if own.search(line)]
    assert found == []


# ── the same change in the dashboard and the bulletin ───────────────────────────────────────────────────

def _texts(component) -> list[str]:
    """Every string inside a Dash component tree."""
    if isinstance(component, str):
        return [component]
    children = getattr(component, "children", None)
    items = children if isinstance(children, list) else [children] if children is not None else []
    return [text for item in items for text in _texts(item)]


def test_every_key_indicator_card_states_its_change_as_the_bulletin_does(app, report):
    from dashboard.i18n import t
    from dashboard.pages import overview

    cat = default_catalogue()
    codes, shares = overview.key_indicators(), 0
    for code, card in zip(codes, overview.cards(YEAR, "zh"), strict=True):
        meta = [text for text in _texts(card) if f"{t('yoy', 'zh')} " in text]
        if not meta:
            continue  # not reported: no change to state
        shown = meta[0].split(f"{t('yoy', 'zh')} ", 1)[1]
        assert shown == tables.indicators(report, cat, [code]).rows[0][5], code
        if cat.indicator(code).unit == "%" and shown != numbers.DASH:
            assert shown.endswith("个百分点"), (code, shown)
            shares += 1
    assert shares  # shares were compared (a share stated in per cent was the finding)


def test_a_year_on_year_change_of_a_share_is_in_points_at_the_source(demo_warehouse):
    cat = default_catalogue()
    with warehouse.reader(demo_warehouse) as con:
        frame = query.with_growth(query.values(con, ["DI-03", "DI-02"], ["150000"]), cat)
    row = frame[(frame["indicator_code"] == "DI-03") & frame["previous"].notna()].iloc[-1]
    assert row["yoy"] == pytest.approx(row["value"] - row["previous"]) and row["yoy_points"]
    per_cent = frame[(frame["indicator_code"] == "DI-02") & frame["previous"].notna()].iloc[-1]
    assert per_cent["yoy"] == pytest.approx((per_cent["value"] / per_cent["previous"] - 1) * 100)


# ── tables, downloads, hover texts and chart labels carry the catalogue decimals ─────────────────────

CODE, LEAGUE = "DI-02", "150100"  # a derived ratio: its full-precision values have many decimals


def _rounded(values, decimals: int) -> bool:
    return all(v is None or (isinstance(v, float) and math.isnan(v)) or round(float(v), decimals) == float(v)
               for v in values)


def test_the_indicator_pages_table_shows_values_at_the_catalogue_decimals(app, demo_warehouse):
    from dashboard.pages import indicator

    decimals = default_catalogue().indicator(CODE).decimals
    with warehouse.reader(demo_warehouse) as con:
        raw = query.values(con, [CODE], [LEAGUE])["value"]
    assert not _rounded(raw, decimals)  # there is something to round
    grid = indicator.table_tab(CODE, [LEAGUE], "zh")
    assert _rounded([row["value"] for row in grid.rowData], decimals)  # the number the column sorts by
    column = next(c for c in grid.columnDefs if c["field"] == "value")
    # what the cell shows is a lookup of the text dashboard.numbers wrote (no code for the browser to evaluate)
    shown = re.fullmatch(r'params\.data\["(\w+)"\]', column["valueFormatter"]["function"]).group(1)
    assert [row[shown] for row in grid.rowData] == [numbers.value(row["value"], decimals) for row in grid.rowData]


def test_the_dashboards_downloads_are_rounded_and_say_so(app):
    from dashboard.pages import indicator

    decimals = default_catalogue().indicator(CODE).decimals
    path = f"/indicator/{CODE}"
    csv = indicator.download(1, [LEAGUE], path, "zh")
    frame = pd.read_csv(io.BytesIO(base64.b64decode(csv["content"])), encoding="utf-8-sig")
    assert csv["filename"] == f"{CODE}.csv" and _rounded(frame["value"], decimals)
    assert frame["rounding"].str.contains(f"保留{decimals}位小数").all()
    assert frame["rounding"].str.contains("dem data export").all()
    xlsx = indicator.download_xlsx(1, [LEAGUE], path, "en")
    sheets = pd.read_excel(io.BytesIO(base64.b64decode(xlsx["content"])), sheet_name=None)
    assert xlsx["filename"] == f"{CODE}.xlsx" and _rounded(sheets["data"]["value"], decimals)
    assert f"rounded to {decimals} decimal place(s)" in sheets["说明"]["description"].iloc[0]


def test_hover_texts_show_the_catalogue_decimals(app):
    from dashboard.pages import indicator
    from dashboard.pages import map as map_page

    decimals = default_catalogue().indicator(CODE).decimals
    chart = indicator.chart(CODE, [LEAGUE], "zh").children.figure
    assert all("%{y:" + numbers.d3(decimals) + "}" in tr.hovertemplate for tr in chart.data if tr.customdata)
    figure, _ = map_page.view(CODE, "league", YEAR, "zh")
    shown = [re.search(r"<br>([\d,.]+) ", text).group(1) for text in figure.data[0].text]
    assert shown and all(len(s.rpartition(".")[2]) == decimals and "." in s for s in shown)


def test_the_bulletins_chart_labels_show_the_catalogue_decimals(report):
    """The league comparison charts once labelled bars with six significant digits (38.9808 beside 39.0)."""
    cat = default_catalogue()
    checked = 0
    for name, chart in report_charts(report, cat).items():
        if not name.startswith("rank"):
            continue
        section = next(s for s in report.chapters if f"rank{s.number}" == name)
        decimals = cat.indicator(section.key_code).decimals
        labels = [text for text in chart.build().data[0].text if text != numbers.DASH]
        assert labels and all(re.fullmatch(r"-?[\d,]+" + (rf"\.\d{{{decimals}}}" if decimals else ""), x)
                              for x in labels), (name, labels[:3])
        checked += 1
    assert checked >= 5


# ── the method texts: one source, the settings in force ────────────────────────────────────────────────

def test_docs_methods_md_is_what_indicators_methods_renders_for_the_shipped_settings():
    expected = methods.markdown(load_settings(environ={}), default_catalogue())
    written = (project_root() / "docs" / "methods.md").read_text(encoding="utf-8")
    assert written == expected, "regenerate: python -m indicators.engine.methods > docs/methods.md"


@pytest.mark.parametrize(("override", "zh", "en"), [
    ({"index_base_year": 2022}, "2022年及以前各年", "every year up to 2022"),
    ({"index_min_coverage": 0.75}, "低于75%", "less than 75%"),
    ({"index_min_chapter_indicators": 3}, "少于3项指标", "fewer than 3 indicators"),
    ({"index_missing": "zero"}, "缺失指标按0分计", "a missing indicator scores 0"),
    ({"progress_on_track": 0.9}, "R ≥ 0.9 为", "R ≥ 0.9 on track"),
    ({"progress_base_year": 2019}, "基期（2019年", "base year 2019"),
    ({"etl_reconciliation_tolerance": 0.05}, "自报数的5%", "5% of the reported value"),
])
def test_the_method_texts_state_the_settings_in_force(override, zh, en):
    settings, cat = load_settings(environ={}).with_overrides(**override), default_catalogue()
    assert zh in "".join(sum(methods.sections(settings, cat, "zh").values(), []))
    assert en in "".join(sum(methods.sections(settings, cat, "en").values(), []))


def test_the_index_method_names_the_chapters_that_rest_on_too_few_indicators():
    settings, cat = load_settings(environ={}), default_catalogue()
    basis = composite.chapter_basis(cat, settings.index)
    text = "".join(methods.index_method(settings, cat, "zh"))
    for row in basis.itertuples():
        assert (f"第{row.chapter}章（{row.indicators}项）" in text) == bool(row.fragile), row.chapter


def test_the_bulletins_annex_states_the_reference_period_the_code_pools(report):
    """The annex once said the bounds were the base year's min and max; the code pools every year up to it."""
    settings, cat = resolve_settings(None), default_catalogue()
    base = settings.index.base_year
    assert report.methods.index_text == methods.index_method(settings, cat, "zh")
    assert report.methods.progress_text == methods.progress_method(settings, "zh")
    assert report.methods.rollup_text == methods.rollup_method(settings, "zh")
    assert f"{base}年及以前各年" in "".join(report.methods.index_text)
    frame = pd.DataFrame({"indicator_code": ["X"] * 3, "year": [base - 1, base, base + 1], "value": [10.0, 50.0, 90.0]})
    bounds = composite._bounds(frame, base).iloc[0]
    assert (bounds["lo"], bounds["hi"]) == (10.0, 50.0)  # every year up to the base year, not the base year alone


def test_the_dashboard_shows_the_same_method_texts(app):
    from dashboard.pages import catalogue, index

    settings, cat = data.settings(), data.catalogue()
    for lang in ("zh", "en"):
        shown = _texts(catalogue.methods_panel(lang))
        for texts in methods.sections(settings, cat, lang).values():
            assert all(text in shown for text in texts)
        assert methods.index_method(settings, cat, lang)[1] in _texts(index.method_panel(lang))
