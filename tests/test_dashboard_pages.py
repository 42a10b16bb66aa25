"""Layout functions and callbacks of the dashboard in-process (Flask test client, real demo warehouse): every page
renders in both languages, state comes from the query, callbacks answer small, and a newly published
warehouse is read without a restart."""

from __future__ import annotations

import base64
import json
import os
import shutil

import duckdb
import pytest

from dashboard import data, ids

PAGES = [("/", ""), ("/map", "?indicator=DI-02&level=county&year=2022"), ("/league/锡盟", ""),
         ("/indicator/DI-02", "?leagues=150100&tab=table"), ("/chapter/3", ""), ("/index", "?w2=2"),
         ("/quality", ""), ("/catalogue", "?search=5G"), ("/nowhere", "")]


@pytest.fixture(scope="module")
def client(demo_warehouse):
    """One app per process (pages register their callbacks globally, into the first app created: another test
    module may have created it already)."""
    os.environ.setdefault("DEM_TODAY", "2026-11-27")
    import dash
    from dash.exceptions import AppNotFoundError

    from dashboard.app import create_app

    try:
        app = dash.get_app()
        data.configure(db=demo_warehouse)
    except AppNotFoundError:
        app = create_app(db=demo_warehouse)
    test_client = app.server.test_client()
    assert test_client.get("/").status_code == 200
    yield test_client
    data.configure(db=demo_warehouse)


def call(client, outputs: list[tuple[str, str]], inputs: list[tuple], state: list[tuple] = ()) -> tuple[dict, int]:
    """POST a callback as the browser does; returns the response (by output id) and its size in bytes."""
    def key(i):
        return json.dumps(i, sort_keys=True, separators=(",", ":")) if isinstance(i, dict) else i

    name = (f"{key(outputs[0][0])}.{outputs[0][1]}" if len(outputs) == 1
            else ".." + "...".join(f"{key(i)}.{p}" for i, p in outputs) + "..")
    body = {"output": name, "outputs": [{"id": i, "property": p} for i, p in outputs] if len(outputs) > 1
            else {"id": outputs[0][0], "property": outputs[0][1]},
            "inputs": [_item(*x) for x in inputs], "state": [_item(*x) for x in state], "changedPropIds": []}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data[-2000:]
    return response.json["response"], len(response.data)


def _item(component_id, prop, value):
    """A callback argument; a pattern-matching ALL argument is a list of {id, property, value}."""
    if isinstance(component_id, list):
        return [{"id": i, "property": prop, "value": v} for i, v in zip(component_id, value, strict=True)]
    return {"id": component_id, "property": prop, "value": value}


def route(client, path: str, search: str) -> tuple[str, int]:
    response, size = call(client, [("_pages_content", "children"), ("_pages_store", "data")],
                          [("_pages_location", "pathname", path), ("_pages_location", "search", search)])
    return json.dumps(response, ensure_ascii=False), size


@pytest.mark.parametrize(("path", "search"), PAGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_layout_renders_in_both_languages(client, path, search, lang):
    query = (search + ("&" if search else "?") + "lang=en") if lang == "en" else search
    text, size = route(client, path, query)
    assert ("Skip to content" in text) == (lang == "en") and ("跳到正文" in text) == (lang == "zh")
    assert ids.PROVENANCE in text and ids.LANG_TOGGLE in text
    assert "示例数据" in text  # the demo warehouse is synthetic: the banner is on every page
    assert size < 1_000_000


def test_query_state_sets_the_controls(client):
    text, _ = route(client, "/map", "?indicator=DI-02&level=county&year=2022")
    assert '"value": "DI-02"' in text and '"value": "county"' in text and '"value": 2022' in text
    text, _ = route(client, "/map", "?indicator=NOPE&year=abc")
    assert '"value": "DI-01"' in text  # unusable values fall back to the defaults


def test_league_profile_accepts_an_alias_and_chapter_three_shows_its_missing_heading(client):
    text, _ = route(client, "/league/锡盟", "")
    assert "锡林郭勒盟" in text and ids.LEAGUE_PDF in text
    text, _ = route(client, "/chapter/3", "")
    assert "原文本章标题缺失" in text and "第十三条—第二十三条" in text and "原文缺失" in text


def test_the_league_profile_opens_for_every_year_even_one_in_which_the_league_has_no_value(client):
    years = data.data_years()
    assert min(years) == 2018  # real reference figures reach back to 2018 for the region only
    for year in years:
        response, _ = call(client, [(ids.LEAGUE_TABLES, "children")], [(ids.LEAGUE_YEAR, "value", year)],
                           [("league-code", "data", "150100"), (ids.LANG, "data", "zh")])
        assert response[ids.LEAGUE_TABLES]["children"], year  # one section per chapter, values or 未报送


def test_warming_builds_every_common_view_and_the_cache_keeps_all_of_them(client, caplog):
    """The server warms its cache after each publish; a view that failed there, or one pushed out of the cache by
    the ones warmed after it, would make the first visitor wait (the landing page was once evicted)."""
    data._State.lru.clear()
    with caplog.at_level("WARNING", logger="dem.dashboard"):
        data._warm_once()
    assert [r.getMessage() for r in caplog.records] == []
    overview = [k for k in data._State.lru if k[1].startswith("view:") and "overview" in k[1]]
    assert len(overview) == len(data.data_years()) * 2  # every year, both languages: none evicted
    assert len(data._State.lru) <= data.LRU_SIZE // 2  # and room to browse without evicting them


def test_overview_callback_answers_cards_index_and_map(client):
    response, size = call(client, [(ids.OVERVIEW_CARDS, "children"), (ids.OVERVIEW_INDEX, "figure"),
                                   (ids.OVERVIEW_MAP, "figure")], [(ids.OVERVIEW_YEAR, "value", 2023)],
                          [(ids.LANG, "data", "zh")])
    assert len(response[ids.OVERVIEW_CARDS]["children"]) == sum(1 for i in data.catalogue().indicators.values()
                                                                if i.in_index)
    assert response[ids.OVERVIEW_MAP]["figure"]["data"][0]["geojson"].endswith("/geo/league.json")
    assert size < 1_000_000


def test_county_map_callback_sends_the_boundaries_by_reference(client):
    response, size = call(client, [(ids.MAP_GRAPH, "figure"), (ids.MAP_PERIOD_LABEL, "children")],
                          [(ids.MAP_INDICATOR, "value", "DI-01"), (ids.MAP_LEVEL, "value", "county"),
                           (ids.MAP_YEAR, "value", 2023)], [(ids.LANG, "data", "en")])
    traces = response[ids.MAP_GRAPH]["figure"]["data"]
    assert sum(len(tr["locations"]) for tr in traces) == 103
    assert size < 150_000  # the 280 KB county file is fetched once from /geo/county.json instead
    assert client.get("/geo/county.json").status_code == 200 and client.get("/geo/x.json").status_code == 404


def test_index_callback_reranks_with_new_weights(client):
    sliders = [ids.weight(n) for n in range(2, 9)]

    def ranking(weights: list[float]) -> list[str]:
        response, _ = call(client, [(ids.INDEX_GRAPH, "figure"), (ids.INDEX_COVERAGE, "children")],
                           [(ids.INDEX_YEAR, "value", 2023), (sliders, "value", weights)],
                           [(sliders, "id", sliders), (ids.LANG, "data", "zh")])
        return response[ids.INDEX_GRAPH]["figure"]["data"][-1]["text"]

    assert ranking([1.0] * 7) != ranking([1.0] + [0.0] * 6)


def test_csv_download_is_bom_utf8_with_synthetic_column(client):
    response, _ = call(client, [(ids.DOWNLOAD, "data")], [(ids.DOWNLOAD_BUTTON, "n_clicks", 1)],
                       [(ids.INDICATOR_LEAGUES, "value", ["150100"]),
                        ("_pages_location", "pathname", "/indicator/DI-02"), (ids.LANG, "data", "zh")])
    payload = response[ids.DOWNLOAD]["data"]
    raw = base64.b64decode(payload["content"])
    assert payload["filename"] == "DI-02.csv" and raw.startswith(b"\xef\xbb\xbf")
    header = raw.decode("utf-8-sig").splitlines()[0].split(",")
    assert "synthetic" in header and "status" in header


def test_a_newly_published_warehouse_is_read_without_restart(client, demo_warehouse, tmp_path):
    published = tmp_path / "dem.duckdb"
    shutil.copyfile(demo_warehouse, published)
    data.configure(db=published)
    first = data.published_at()
    assert data.published_at() is first  # cached while the file is the same
    staging = tmp_path / "dem.duckdb.staging"
    shutil.copyfile(published, staging)
    with duckdb.connect(str(staging)) as con:
        con.execute("UPDATE meta SET value = 'republished' WHERE key = 'published_at'")
    os.replace(staging, published)  # what the ETL writer does
    assert data.published_at() == "republished"
    data.configure(db=demo_warehouse)
