"""The progress matrix (dashboard/matrix.py): the 12 leagues × the headline indicators on the overview, a league's
counties × the headline indicators counties report on its page; every cell names unit, indicator, status and the
reason for screen readers and on hover; rows can be limited to the units behind and sorted by how many indicators
they are behind on; the phone list says the same. Real demo warehouse; the views built in-process."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_display_consistency import process_app

from dashboard import data, matrix
from indicators.engine.progress import status_label

YEAR = 2024


@pytest.fixture(scope="module")
def app(demo_warehouse):
    yield process_app(demo_warehouse)
    data.configure(db=demo_warehouse)


def texts(node) -> str:
    return json.dumps(node.to_plotly_json(), ensure_ascii=False, default=str)


def cells(node) -> list[dict]:
    """The matrix cells (td with a data-status) of a rendered view, as their props."""
    found = []

    def walk(x):
        if hasattr(x, "to_plotly_json"):
            props = x.to_plotly_json()["props"]
            if "data-status" in props:
                found.append(props)
            walk(props.get("children"))
        elif isinstance(x, list | tuple):
            for item in x:
                walk(item)

    walk(node)
    return found


def test_the_overview_matrix_has_every_league_and_every_headline_indicator_with_its_status_and_reason(app):
    from dashboard.pages import overview

    view = overview.matrix_view(YEAR, "all", "code", "zh")
    leagues = data.catalogue().regions.leagues()
    headline = matrix.headline(data.catalogue())
    found = cells(view)
    assert len(found) == len(leagues) * len(headline) == 12 * 16
    some = found[0]
    assert some["aria-label"].startswith(f"{leagues[0].name('zh')} · {headline[0].code} ")
    assert status_label(some["data-status"], "zh") in some["aria-label"] and some["title"] == some["aria-label"]
    assert "/league/150100?year=2024" in texts(view)  # each league's name leads to its page, keeping the year
    assert "Most indicators behind first" not in texts(view)


def test_behind_only_keeps_the_units_behind_on_something_most_first():
    regions = ("150100", "150200", "150300")
    found = pd.DataFrame({"region_code": ["150100", "150200", "150200", "150300"],
                          "indicator_code": ["DI-02", "DI-02", "DI-03", "DI-02"],
                          "status": ["on_track", "limited_progress", "deteriorating", "needs_acceleration"]})
    counts = matrix.behind_counts(found)
    assert counts == {"150100": 0, "150200": 2, "150300": 1}
    assert matrix.ordered(regions, counts, True, "behind") == ["150200", "150300"]
    assert matrix.ordered(regions, counts, False, "code") == list(regions)


def test_a_league_page_opens_with_its_counties_matrix_of_the_indicators_counties_report(app):
    from dashboard.pages import league

    view = league.matrix_view("150200", YEAR, "en")
    counties = data.catalogue().regions.counties("150200")
    columns = matrix.headline(data.catalogue(), "county")
    assert len(cells(view)) == len(counties) * len(columns) and 0 < len(columns) < 16
    assert all("county" in i.levels for i in columns)
    text = texts(view)
    assert "matrix-narrow" in text and "Behind" in text  # the phone list beside the table


def test_the_matrix_controls_are_checked_like_every_other_input(app):
    from dashboard import inputs
    from dashboard.pages import overview

    with pytest.raises(inputs.InvalidInput):
        overview.update_matrix(YEAR, "everything", "behind", "zh")
    with pytest.raises(inputs.InvalidInput):
        overview.update_matrix(YEAR, "all", "by mood", "zh")


@pytest.mark.parametrize(("year", "region"), [(2021, None), (2024, "150200")])
def test_the_bulletins_needs_attention_list_is_what_the_matrix_shows_behind_most_behind_first(app, demo_warehouse,
                                                                                              year, region):
    from dashboard.report.build import read_reports, resolve_settings
    from dashboard.report.content import ReportSpec
    from dashboard.report.tables import attention
    from indicators.base.catalogue import default_catalogue
    from indicators.engine.progress import BEHIND
    from indicators.storage.warehouse import public_path

    cat = default_catalogue()
    (report,) = read_reports(resolve_settings(public_path(demo_warehouse)), cat, [ReportSpec(year, region=region)])
    units = (region, *[r.code for r in cat.regions.counties(region)]) if region else \
        tuple(r.code for r in cat.regions.leagues())
    shown = matrix.frame(year, units, "zh")
    behind = shown[shown["status"].isin(BEHIND)]
    listed = report.attention
    assert len(listed) > 0 and set(zip(listed["region_code"], listed["indicator_code"], strict=True)) == set(
        zip(behind["region_code"], behind["indicator_code"], strict=True))
    reasons = {(r["region_code"], r["indicator_code"]): r["reason"] for r in behind.to_dict("records")}
    assert [reasons[(r["region_code"], r["indicator_code"])] for r in listed.to_dict("records")] \
        == list(listed["reason"])  # the same one-sentence reason as the matrix cell
    per_unit = listed.groupby("region_code", sort=False).size().tolist()
    assert per_unit == sorted(per_unit, reverse=True)  # most behind first
    table = attention(report, cat)
    assert len(table.rows) == len(listed) and all(row[3] for row in table.rows)


def test_the_other_leagues_links_keep_the_year_and_the_language(app):
    from dashboard.pages import league

    nav = texts(league.update_links(2020, "152200", "en"))
    assert "/league/150200?lang=en&year=2020" in nav and "/league/152200?lang=en&year=2020" in nav
    assert "/league/150200?year=2022" in texts(league.layout("152200", year="2022"))


def test_the_index_page_shows_each_leagues_index_over_the_years_beside_the_average_and_its_rank_change(app):
    from dashboard.pages import index

    graph, table = index.history(2024, "zh")
    figure = graph.children.figure
    names = [trace.name for trace in figure.data if trace.x != (None,)]  # not the legend's key to hollow markers
    assert "盟市平均" in names and len(names) == 13
    average = next(tr for tr in figure.data if tr.name == "盟市平均")
    assert list(average.x) == list(range(2018, 2025)) or len(average.x) >= 5
    moves = [row["change"] for row in table.rowData]
    assert len(moves) == 12 and all(m == "=" or m[0] in "↑↓—" for m in moves)
    series = pd.DataFrame({"region_code": ["a", "b", "a", "b"], "region_name": ["A", "B", "A", "B"],
                           "year": [2023, 2023, 2024, 2024], "rank": [2, 1, 1, 2]})
    assert list(index.rank_changes(series, 2024, "zh")["change"]) == ["↑1", "↓1"]
