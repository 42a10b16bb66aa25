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
from helpers import browser_like

from dashboard import data, ids, search
from dashboard.auth import access

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
    test_client = browser_like(app.server.test_client())
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
def test_every_page_layout_renders_in_both_languages(client, path, search, lang, monkeypatch):
    monkeypatch.setattr(access, "is_internal", lambda: True)  # /quality is staff only (tests/test_web_security.py)
    query = (search + ("&" if search else "?") + "lang=en") if lang == "en" else search
    text, size = route(client, path, query)
    assert ("Skip to content" in text) == (lang == "en") and ("跳到正文" in text) == (lang == "zh")
    assert ids.PROVENANCE in text and ids.LANG_TOGGLE in text
    # the demo warehouse is synthetic: the banner is on every page that shows statistics (not the catalogue, the 404)
    assert ("示例数据" in text) == (path not in ("/catalogue", "/nowhere"))
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
    data.state().views.clear()
    with caplog.at_level("WARNING", logger="dem.dashboard"):
        data.state().warmer.warm_once()
    assert [r.getMessage() for r in caplog.records] == []
    overview = [k for k in data.state().views if k[1] == "view:dashboard.pages.overviewview"]
    assert len(overview) == len(data.data_years()) * 2  # every year, both languages: none evicted
    assert any(k[1] == "view:dashboard.pages.overviewmatrix_view" for k in data.state().views)  # the first screen
    assert len(data.state().views) <= data.state().views.size // 2  # and room to browse without evicting them


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
    from indicators.storage.warehouse import public_path

    working = tmp_path / "dem.duckdb"
    shutil.copyfile(demo_warehouse, working)
    published = public_path(working)  # the file the pages read: a release renames a new one over it
    shutil.copyfile(public_path(demo_warehouse), published)
    data.configure(db=working)
    first = data.published_at()
    assert data.published_at() is first  # cached while the file is the same
    staging = tmp_path / "dem.public.duckdb.staging"
    shutil.copyfile(published, staging)
    with duckdb.connect(str(staging)) as con:
        con.execute("UPDATE meta SET value = 'republished' WHERE key = 'published_at'")
    os.replace(staging, published)  # what the writer does
    assert data.published_at() == "republished"
    data.configure(db=demo_warehouse)


# ── trustworthy labels (real figures, status reasons, target provenance, Arts. 70–71) ────────────────

def _text_of(node) -> str:
    """All text of a serialised Dash component tree, attributes included (title, aria-label)."""
    if isinstance(node, dict):
        return " ".join(_text_of(v) for v in node.values())
    if isinstance(node, list):
        return " ".join(_text_of(v) for v in node)
    return str(node) if node is not None else ""


def _card(cards: list, key: str) -> str:
    return next(_text_of(card) for card in cards if key in _text_of(card))


def test_the_overview_card_of_a_real_figure_is_not_marked_synthetic_and_its_status_says_why(client):
    response, _ = call(client, [(ids.OVERVIEW_CARDS, "children"), (ids.OVERVIEW_INDEX, "figure"),
                                (ids.OVERVIEW_MAP, "figure")], [(ids.OVERVIEW_YEAR, "value", 2023)],
                       [(ids.LANG, "data", "zh")])
    card = _card(response[ids.OVERVIEW_CARDS]["children"], "DI-02|150000|2023")  # real 5G count ÷ real population

    assert "示例数据" not in card
    assert "无目标值（越高越好）；自2020年的" in card  # the status badge's one-sentence reason (hover)


def test_a_status_resting_on_a_target_from_a_secondary_source_says_so_on_the_card_and_in_tables(client):
    response, _ = call(client, [(ids.OVERVIEW_CARDS, "children"), (ids.OVERVIEW_INDEX, "figure"),
                                (ids.OVERVIEW_MAP, "figure")], [(ids.OVERVIEW_YEAR, "value", 2024)],
                       [(ids.LANG, "data", "zh")])
    assert "目标仅经二手文献转述，待核" in _card(response[ids.OVERVIEW_CARDS]["children"], "DP-02|150000|")
    table, _ = call(client, [(ids.CHAPTER_TABLE, "children")], [(ids.CHAPTER_YEAR, "value", 2024)],
                    [("chapter-number", "data", 4), (ids.LANG, "data", "en")])
    assert "target confirmed only through a secondary source" in _text_of(table)


def _panel(code: str, region: str, period: str, lang: str, internal: bool = False) -> str:
    from dashboard import provenance

    story = provenance.story(data.explain(code, region, period), data.catalogue(), lang, internal)
    return _text_of(json.loads(json.dumps(story, cls=__import__("plotly").utils.PlotlyJSONEncoder)))


def test_the_provenance_panel_gives_the_status_in_one_sentence(client):
    text = _panel("DI-02", "150000", "2023", "en")
    assert "Progress:" in text and "no target (higher is better)" in text
    assert "real data" in text and "it.tdroid.net" in text  # the real 2023Q4 count's source


@pytest.mark.parametrize(("key", "zh", "en"), [
    (("DI-02", "150200", "2024"), "按公式计算：5G基站数 ÷ 年末常住人口", "Computed by the formula 5G base stations"),
    (("DI-01", "150000", "2024Q1"), "由下级12个地区得出（下级合计；12个有数值）", "From 12 units of the level below"),
    (("DI-01", "150200", "2024"), "由2024年各期数值得出：取年末期", "From the periods of 2024"),
    (("CX-01", "150000", "2023"), "由内蒙古自治区本级报送。", "Reported by Inner Mongolia Autonomous Region itself."),
])
def test_the_provenance_panel_tells_how_a_value_was_obtained_in_the_pages_language(client, key, zh, en):
    chinese, english = _panel(*key, "zh"), _panel(*key, "en")
    assert zh in chinese and en in english
    assert "indicator_code=" not in chinese + english and "batch" not in english.lower()  # no raw dump, no batch
    assert ("年末常住人口" in english) is False  # the English page names the inputs in English


def test_a_real_sources_address_is_a_link_and_file_and_batch_are_for_signed_in_users_only(client):
    from dashboard import provenance

    story = provenance.story(data.explain("CX-01", "150000", "2023"), data.catalogue(), "zh", internal=True)
    text = json.dumps(story, cls=__import__("plotly").utils.PlotlyJSONEncoder, ensure_ascii=False)
    assert '"href": "https://tj.nmg.gov.cn/' in text and '"rel": "noopener noreferrer"' in text
    assert "gdp_population.csv" in text and "批次" in text
    assert "gdp_population.csv" not in _panel("CX-01", "150000", "2023", "zh")  # anonymous: no file name


def test_the_indicator_page_names_who_set_a_target_and_marks_benchmarks_and_reposts(client):
    computing, pue, share = (route(client, f"/indicator/{code}", search)[0]
                             for code, search in (("DI-06", ""), ("DI-09", "?lang=en"), ("DP-02", "")))

    assert "内蒙古自治区政务服务与数据管理局（中国新闻网报道）；来源：S18" in computing and "（转载）" in computing
    assert "benchmark: for reference, never used for the status" in pue
    assert "官方目标 (目标仅经二手文献转述，待核)" in share


def test_the_catalogue_page_shows_what_serves_articles_70_and_71(client):
    page, _ = route(client, "/catalogue", "?lang=en")
    assert "What this system does for the regulation" in page
    assert "Article 71" in page and "Supervision of the level below" in page and "Progress against plan targets" in page
    assert "第七十一条" not in page  # the English page names articles in English (their text exists in Chinese only)
    assert "第七十一条" in route(client, "/catalogue", "")[0]


def test_english_pages_use_the_established_english_names_of_banners(client):
    found = [o["label"] for o in typed(client, "alxa", "en").json["response"][SITE_KEY]["options"]]
    assert "Alxa Left Banner · Alxa League" in found and "Ejin Banner · Alxa League" in found
    assert not any("Alashanzuo" in label for label in found)
    found = [o["label"] for o in typed(client, "horqin", "en").json["response"][SITE_KEY]["options"]]
    assert "Horqin Right Front Banner · Hinggan League" in found


GO_SITE, GO_INDICATOR = {"type": ids.GO, "key": "site"}, {"type": ids.GO, "key": "indicator"}


def go(client, picked: dict, value, lang: str = "zh", search: str = ""):
    """The browser's request when `value` is picked in the dropdown `picked` (changedPropIds names it)."""
    body = {"output": "_pages_location.href", "outputs": {"id": "_pages_location", "property": "href"},
            "inputs": [[{"id": picked, "property": "value", "value": value}]],
            "state": [{"id": ids.LANG, "property": "data", "value": lang},
                      {"id": "_pages_location", "property": "search", "value": search}],
            "changedPropIds": [json.dumps(picked, sort_keys=True, separators=(",", ":")) + ".value"]}
    return client.post("/_dash-update-component", json=body)


def href(answer) -> str:
    assert answer.status_code == 200, answer.data[-500:]
    return answer.json["response"]["_pages_location"]["href"]


def test_every_page_has_the_search_box_starting_with_the_leagues_and_not_every_option(client):
    page, _ = route(client, "/chapter/2", "")
    assert '"type":"go"' in page.replace(" ", "") or '"type": "go"' in page
    assert "阿拉善盟" in page and "alsm" in page and "搜索指标或地区" in page  # a league, found by its initials
    assert "阿拉善左旗 · 阿拉善盟" not in page and "szjj" not in page  # the rest is asked for while typing


def typed(client, text, lang: str = "zh"):
    """The browser's request when `text` is typed in the header's search box."""
    body = {"output": GO_SITE_OPTIONS, "outputs": {"id": GO_SITE, "property": "options"},
            "inputs": [{"id": GO_SITE, "property": "search_value", "value": text}],
            "state": [{"id": ids.LANG, "property": "data", "value": lang}],
            "changedPropIds": [json.dumps(GO_SITE, sort_keys=True, separators=(",", ":")) + ".search_value"]}
    return client.post("/_dash-update-component", json=body)


SITE_KEY = json.dumps(GO_SITE, sort_keys=True, separators=(",", ":"))
GO_SITE_OPTIONS = SITE_KEY + ".options"


@pytest.mark.parametrize(("text", "lang", "label", "value"), [
    ("alszq", "zh", "阿拉善左旗 · 阿拉善盟", "/league/152900"),  # a banner by its pinyin initials
    ("alszq", "en", "Alxa Left Banner · Alxa League", "/league/152900"),
    ("szjj hx", "zh", None, None),  # two words: both must be found
    ("5G 基站", "zh", "DI-01 5G基站数 · 指标", "/indicator/DI-01"),
    ("锡盟", "zh", "锡林郭勒盟", "/league/152500")])  # an alias
def test_what_is_typed_in_the_header_search_asks_the_server_for_its_matches(client, text, lang, label, value):
    answer = typed(client, text, lang)
    assert answer.status_code == 200, answer.data[-300:]
    options = answer.json["response"][SITE_KEY]["options"]
    assert len(options) <= search.MAX_MATCHES
    assert all(search.matches(o, text) for o in options)
    if label is not None:
        assert {"label": label, "value": value} in [{k: o[k] for k in ("label", "value")} for o in options]


def test_a_typed_text_longer_than_any_name_is_refused_and_nothing_is_typed_gives_the_leagues(client):
    assert typed(client, "x" * 65).status_code in (204, 400)
    assert typed(client, ["alszq"]).status_code in (204, 400)
    forged = {"output": GO_SITE_OPTIONS, "outputs": {"id": GO_SITE, "property": "options"},  # another component
              "inputs": [{"id": GO_INDICATOR, "property": "search_value", "value": "a"}],
              "state": [{"id": ids.LANG, "property": "data", "value": "zh"}], "changedPropIds": []}
    assert client.post("/_dash-update-component", json=forged).status_code == 400
    options = typed(client, "").json["response"][SITE_KEY]["options"]
    assert [o["value"] for o in options][:2] == ["/", "/league/150100"] and len(options) == 13


def test_picking_a_place_or_an_indicator_opens_its_page_in_the_same_language(client):
    assert href(go(client, GO_SITE, "/league/152900", "en")) == "/league/152900?lang=en"
    assert href(go(client, GO_SITE, "/indicator/DI-02")) == "/indicator/DI-02"
    # the indicator page's picker keeps the page's own query: the year, the leagues and the tab stay
    answer = go(client, GO_INDICATOR, "/indicator/DI-03", search="?leagues=150100&tab=table")
    assert href(answer) == "/indicator/DI-03?leagues=150100&tab=table"


@pytest.mark.parametrize("value", ["/quality", "https://example.org/", "//example.org/x", "/league/152921",
                                   "/indicator/NOPE", "/indicator/../quality", ["/"], 7])
def test_a_search_value_no_option_offers_opens_nothing(client, value):
    """Anything else was built by hand: refused like every impossible callback value (dashboard/inputs.py)."""
    assert go(client, GO_SITE, value).status_code in (204, 400)


def test_chinese_pages_word_the_multi_select_dropdowns_in_chinese(client):
    page, _ = route(client, "/indicator/DI-02", "")
    assert "已选 {num_selected} 项" in page and "没有匹配的选项" in page
    assert "{num_selected} selected" in route(client, "/indicator/DI-02", "?lang=en")[0]


def test_english_pages_show_units_in_english_and_chinese_pages_as_the_catalogue_writes_them(client):
    from dashboard.pages import catalogue

    assert "Value: 27.8 per 10k persons" in _panel("DI-02", "150200", "2024", "en")
    assert "数值: 27.8 个/万人" in _panel("DI-02", "150200", "2024", "zh")
    count = _panel("DI-01", "150200", "2024", "en")
    assert "Value: 7,630" in count and "7,630 个" not in count  # 个: a bare count in English
    units = catalogue.catalogue_frame("en").set_index("code")["unit"]
    assert (units["CX-01"], units["DI-02"]) == ("100m yuan", "per 10k persons")
    assert catalogue.catalogue_frame("zh").set_index("code")["unit"]["CX-01"] == "亿元"


def test_the_overview_says_its_changes_are_the_latest_released_batchs_on_the_public_layer(client):
    page, _ = route(client, "/", "")
    assert "最近一批已发布数据的变化" in page and "最近一次入库的变化" not in page


def _locale_texts(node) -> list[dict]:
    """The localeText of every grid in a rendered page (its JSON, as the browser receives it)."""
    if isinstance(node, dict):
        found = [node["localeText"]] if isinstance(node.get("localeText"), dict) else []
        return found + [x for v in node.values() for x in _locale_texts(v)]
    if isinstance(node, list):
        return [x for v in node for x in _locale_texts(v)]
    return []


@pytest.mark.parametrize("path", ["/", "/releases"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_pages_grids_say_their_own_words_in_the_pages_language_only(client, path, lang):
    """The paging, the empty table and the screen reader's labels of a page's grids (the overview's changes, the
    releases): no "First page" beside "首页", each language alone (components.GRID_LABELS)."""
    from dashboard import components

    page, _ = route(client, path, "?lang=en" if lang == "en" else "")
    grids = _locale_texts(json.loads(page))
    assert grids and all(texts == components.grid_texts(lang) for texts in grids)
    other = components.grid_texts("en" if lang == "zh" else "zh")
    assert [w for w in ("firstPage", "lastPage", "noRowsToShow") if json.dumps(other[w], ensure_ascii=False)
            in page] == []
