"""Figure builders and the read-side quality queries, without a browser: gaps stay gaps, missing areas are grey,
the dashboard's maps refer to the boundary file by URL, and the quality states follow the deadline rule."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from dashboard import figures
from indicators.base import periods
from indicators.base.catalogue import default_catalogue
from indicators.base.settings import Quality, load_settings
from indicators.engine import quality
from indicators.storage.warehouse import reader


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["region_code", "region_name", "year", "value", "status", "synthetic"]).assign(
        indicator_code="DI-01", complete=True, revised=False, ytd_through=None)


@pytest.mark.parametrize(("values", "expected"), [
    ([1, 2, math.nan, 4], "▁▃·█"),
    ([5, 5, 5], "▁▁▁"),
    ([math.nan, math.nan], ""),
])
def test_spark_text_keeps_gaps_as_gaps_never_zero(values, expected):
    assert figures.spark_text(values) == expected


def test_trend_breaks_lines_at_missing_years_and_carries_the_region_for_provenance():
    fig = figures.trend(frame([("150000", "全区", 2020, 10.0, "aggregated", False),
                               ("150000", "全区", 2022, 12.0, "aggregated", True)]), "个")
    trace = fig.data[0]
    assert list(trace.x) == [2020, 2021, 2022]
    assert math.isnan(trace.y[1]) and trace.connectgaps is False
    assert trace.customdata[1][0] == "未报送" and trace.customdata[0][-1] == "150000"
    assert any("示例数据" in (a.text or "") for a in fig.layout.annotations)


def test_choropleth_by_url_draws_missing_leagues_grey_and_labelled():
    fig = figures.choropleth(frame([("150100", "呼和浩特市", 2023, 5.0, "reported", False)]), "league", "个",
                             geojson_url="/geo/league.json")
    have, missing = fig.data
    assert have.geojson == "/geo/league.json" and list(have.locations) == ["150100"]
    assert len(missing.locations) == 11 and all("未报送" in text for text in missing.text)
    assert missing.colorscale[0][1] == figures.MISSING_COLOUR
    assert fig.layout.map.style == "white-bg"  # no tiles: nothing is fetched


def test_choropleth_for_reports_embeds_the_boundaries():
    fig = figures.choropleth(frame([("150100", "呼和浩特市", 2023, 5.0, "reported", False)]), "league", "个")
    assert isinstance(fig.data[0].geojson, dict)


@pytest.mark.parametrize(("year", "sub", "frequency", "end", "due"), [
    (2023, 0, "annual", date(2023, 12, 31), date(2024, 3, 30)),
    (2023, 2, "quarterly", date(2023, 6, 30), date(2023, 8, 14)),
    (2024, 2, "monthly", date(2024, 2, 29), date(2024, 3, 20)),
])
def test_deadline_is_the_end_of_the_period_plus_the_grace_days(year, sub, frequency, end, due):
    assert periods.end(year, sub, frequency) == end
    assert quality.deadline(year, sub, frequency, Quality()) == due


def test_quality_queries_on_the_demo_warehouse(demo_warehouse, monkeypatch):
    monkeypatch.setenv("DEM_TODAY", "2026-11-27")
    cat = default_catalogue()
    with reader(demo_warehouse) as con:
        matrix = quality.submission_matrix(con, cat, load_settings())
        outliers = quality.outliers(con, cat)
        recon = quality.reconciliation(con, cat)
        fresh = quality.freshness(con, cat, load_settings())
        batches = quality.recent_batches(con, cat, limit=5)
        changes = quality.last_load_changes(con, cat)
    assert set(matrix["state"]) <= set(quality.STATES)
    assert matrix["region_code"].nunique() == 12
    assert len(outliers) and set(outliers["indicator_code"]) <= set(cat.indicators)
    assert (recon["reconciliation_diff"].abs() > 0).all()
    assert fresh["behind"].dropna().ge(0).all() and not fresh["indicator_code"].isin(
        [i.code for i in cat.indicators.values() if i.is_derived]).any()
    assert len(batches) == 5 and batches["loaded_at"].is_monotonic_decreasing
    assert set(changes["change"]) <= {"new", "revised"} and changes["batch_id"].nunique() == 1


def test_a_cell_is_rejected_only_when_a_rejected_file_of_that_league_held_it(tmp_path):
    """The quality matrix keeps what each rejected file tried to submit (rejected_keys): Xilingol's county file
    with Hohhot-style GDP for 2023 and one bad row marks Xilingol × CX-01 rejected — not Baotou, and not Xilingol's
    other indicators."""
    from helpers import SUBMISSIONS, load, make_warehouse

    db = make_warehouse(tmp_path, files=[SUBMISSIONS / "good" / "long-utf8-en-formA-plain-lf.csv"])
    bad = tmp_path / "xilinhot.csv"
    bad.write_text("indicator_code,region_code,period,value,unit\nCX-01,152502,2023,120.5,亿元\n"
                   "CX-01,159999,2023,1,亿元\n", encoding="utf-8")
    [result] = load(db, [bad])
    assert result.status == "rejected"
    with reader(db) as con:
        matrix = quality.submission_matrix(con, default_catalogue(), load_settings())
        kept = con.execute("SELECT indicator_code, league_code, period FROM rejected_keys").fetchall()
    state = matrix.set_index(["region_code", "indicator_code"])["state"]
    assert kept == [("CX-01", "152500", "2023")]  # the unknown region 159999 belongs to no league
    assert state[("152500", "CX-01")] == "rejected"
    assert state[("152500", "ID-08")] in ("received", "late")
    assert state[("152500", "DI-01")] == "missing"  # not in the rejected file (the old rule said rejected)
    assert state[("150200", "CX-01")] == "missing"
    assert state[("150100", "CX-01")] in ("received", "late")


def test_chapter_labels_write_every_chapter_number_in_chinese_and_the_index_legend_keeps_their_order():
    from dashboard.figures import chapter_labels, index_bars
    from indicators.base.catalogue import default_catalogue

    labels = chapter_labels(default_catalogue(), "zh")
    assert labels[3].startswith("第三章") and all(not label.startswith(f"第{n}章") for n, label in labels.items())
    scores = pd.DataFrame({"region_code": ["150100"] * 3, "region_name": ["呼和浩特市"] * 3, "chapter": [0, 2, 3],
                           "score": [60.0, 55.0, 65.0], "chapter_weight": [None, 0.5, 0.5], "rank": [1, 1, 1],
                           "synthetic": [False] * 3})
    figure = index_bars(scores, labels, "zh")
    assert figure.layout.legend.traceorder == "normal" and [t.name for t in figure.data[:2]] == [labels[2], labels[3]]


def test_a_lower_is_better_map_reverses_its_scale_and_says_so_so_darker_is_always_better():
    from dashboard.figures import choropleth

    frame = pd.DataFrame({"region_code": ["150100", "150200"], "region_name": ["呼和浩特市", "包头市"],
                          "value": [1.3, 1.5], "synthetic": [False, False], "status": ["reported"] * 2})
    pue = choropleth(frame, "league", "", "en", lower_is_better=True)
    share = choropleth(frame, "league", "%", "zh")
    assert pue.data[0].reversescale is True and "lower is better" in pue.data[0].colorbar.title.text
    assert not share.data[0].reversescale and share.data[0].colorbar.title.text == "% · 越高越好"
    assert share.data[0].colorbar.orientation == "h"  # under the map, never over it


def test_a_trends_unit_is_read_beside_its_title_never_turned_on_its_side():
    from dashboard.figures import trend

    frame = pd.DataFrame({"region_code": ["150100"] * 2, "region_name": ["呼和浩特市"] * 2, "year": [2022, 2023],
                          "value": [10.0, 12.0], "synthetic": [False, False], "status": ["reported"] * 2})
    titled = trend(frame, "个", "zh", title="5G基站数")
    assert titled.layout.title.text == "5G基站数（个）" and titled.layout.yaxis.title.text is None
    untitled = trend(frame, "100m yuan", "en")
    assert [a.text for a in untitled.layout.annotations] == ["100m yuan"]


def test_the_index_chart_of_a_leagues_bulletin_shades_its_row_and_writes_its_name_in_bold():
    scores = pd.DataFrame({"region_code": ["150100", "150200", "150100", "150200"], "chapter": [0, 0, 2, 2],
                           "score": [60.0, 70.0, 60.0, 70.0], "rank": [2, 1, 2, 1], "chapter_weight": [None, None, 1, 1],
                           "region_name": ["呼和浩特市", "包头市", "呼和浩特市", "包头市"], "synthetic": False})
    plain = figures.index_bars(scores, {2: "第二章"})
    marked = figures.index_bars(scores, {2: "第二章"}, highlight="150100")
    assert not plain.layout.shapes and len(marked.layout.shapes) == 1
    assert "<b>呼和浩特市</b>" in marked.layout.yaxis.ticktext and "包头市" in marked.layout.yaxis.ticktext
    assert (marked.layout.shapes[0].y0, marked.layout.shapes[0].y1) == (-0.5, 0.5)  # the lowest bar: the smaller score


def _series(synthetic: list[bool]) -> pd.DataFrame:
    n = len(synthetic)
    return pd.DataFrame({"region_code": ["150100"] * n, "region_name": ["呼和浩特市"] * n, "year": range(2020, 2020 + n),
                         "value": [1.0 + i for i in range(n)], "synthetic": synthetic, "status": "reported",
                         "complete": True, "period": [str(2020 + i) for i in range(n)]})


@pytest.mark.parametrize(("synthetic", "keys"), [([False, False], []),
                                                 ([True, True], ["示例数据（空心／斜线）"]),
                                                 ([False, True], ["实际数据（实心）", "示例数据（空心／斜线）"])])
def test_a_trends_legend_says_what_hollow_markers_mean_whenever_it_has_them(synthetic, keys):
    fig = figures.trend(_series(synthetic), "个", "zh")
    assert [tr.name for tr in fig.data if tr.x == (None,)] == keys


def test_a_rankings_legend_says_what_hatched_bars_mean():
    frame = _series([True, False]).assign(region_code=["150100", "150200"], region_name=["呼和浩特市", "包头市"])
    fig = figures.ranking(frame, "个", "en")
    key = [tr for tr in fig.data if tr.x == (None,)]
    assert len(key) == 1 and key[0].name == "synthetic value (hollow / hatched)" and key[0].marker.pattern.shape == "/"
    assert fig.layout.showlegend and not figures.ranking(frame.assign(synthetic=False), "个").layout.showlegend


def test_a_maps_areas_without_a_value_are_named_in_the_pages_language():
    frame = pd.DataFrame({"region_code": ["150100"], "region_name": ["Hohhot"], "value": [1.0], "status": "reported",
                          "synthetic": False, "complete": True})
    names = default_catalogue().regions.names("en")
    fig = figures.choropleth(frame, "league", "units", "en", names=names)
    missing = [tr for tr in fig.data if "Alxa League" in str(tr.text) or "Alxa League" in str(tr.hovertext)]
    assert missing and "阿拉善盟" not in str([tr.text for tr in fig.data])  # (the embedded boundaries name it)


def test_a_rankings_and_the_index_charts_unit_is_beside_the_title_never_an_axis_title_under_the_legend():
    frame = _series([False, False]).assign(region_code=["150100", "150200"], region_name=["呼和浩特市", "包头市"])
    titled = figures.ranking(frame, "亿元", "zh", title="地区生产总值")
    assert titled.layout.title.text == "地区生产总值（亿元）" and not titled.layout.xaxis.title.text
    assert figures.ranking(frame, "亿元", title="地区生产总值（亿元）").layout.title.text == "地区生产总值（亿元）"
    bare = figures.ranking(frame, "亿元")
    assert [a.text for a in bare.layout.annotations] == ["亿元"]
