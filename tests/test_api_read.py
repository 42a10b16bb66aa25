"""The public read API /api/v1 on the demo warehouse (whose 2024M12 is loaded and accepted but not released): anonymous
callers read released values only, an analyst's token may ask for preliminary ones, pages walk every row once,
conditional GETs answer 304, CSV like the app's other downloads, CORS only for configured origins, bad parameters
400 with both languages, one OpenAPI description and its page under the app's CSP."""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers import add_user

from dashboard import data
from dashboard.api import checked_rate_limit
from dashboard.auth import accounts
from indicators.base.errors import ConfigError
from indicators.base.settings import load_settings
from indicators.storage import appdb, warehouse

UNRELEASED = ("ID-10", "150200", "2024M12")  # 包头市's value in the demo's unreleased month (tests/test_releases_web)
READ_PATHS = ("/api/v1/indicators", "/api/v1/regions", "/api/v1/observations", "/api/v1/progress", "/api/v1/index",
              "/api/v1/releases")


@pytest.fixture
def api(auth_app):
    """(client, settings, tokens, configure): the app on the demo warehouse with an analyst and an officer holding API
    tokens; configure(**overrides) applies [api] settings (api_cors_origins=…) for the rest of the test and resets
    the API's request counts."""
    app, settings = auth_app
    add_user(settings.paths.app_db, "li", "analyst")
    add_user(settings.paths.app_db, "baotou", "officer", "150200")
    with appdb.opened(settings.paths.app_db) as con:
        tokens = {name: accounts.new_token(con, name) for name in ("li", "baotou")}
    limiter = app.server.extensions["dem_api_limiter"]
    limiter.reset()

    def configure(**overrides):
        data.configure(settings.with_overrides(**overrides))
        limiter.reset()

    return app.server.test_client(), settings, tokens, configure


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def periods_of(answer) -> set[str]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return {row["period"] for row in answer.json["data"]}


def test_anonymous_callers_see_no_value_of_an_unreleased_period_and_an_analysts_token_with_preliminary_does(api):
    client, settings, tokens, _ = api
    code, region, period = UNRELEASED
    url = f"/api/v1/observations?indicator={code}&region={region}&from=2024M10&to=2024M12"
    public = client.get(url)
    assert periods_of(public) == {"2024M10", "2024M11"}
    assert public.json["meta"]["layer"] == "public" and public.json["meta"]["released_only"] is True
    assert periods_of(client.get(url, headers=bearer(tokens["li"]))) == {"2024M10", "2024M11"}  # public by default

    preliminary = client.get(url + "&layer=preliminary", headers=bearer(tokens["li"]))
    assert periods_of(preliminary) == {"2024M10", "2024M11", "2024M12"}
    with warehouse.reader(settings.paths.warehouse) as con:
        loaded = con.execute("SELECT value FROM current_observations WHERE indicator_code = ? AND region_code = ? "
                             "AND period = ?", list(UNRELEASED)).fetchone()[0]
    row = next(r for r in preliminary.json["data"] if r["period"] == period)
    assert row["value"] == pytest.approx(loaded)
    meta = preliminary.json["meta"]
    assert (meta["layer"], meta["released_only"]) == ("preliminary", False) and "未发布" in meta["note_zh"]
    assert preliminary.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(("who", "status", "words"), [
    (None, 401, "analyst's or administrator's API token"),
    ("baotou", 403, "may not read unreleased preliminary values"),
    ("not-a-token", 401, "invalid API token"),
])
def test_preliminary_values_are_refused_to_anyone_but_analysts_and_admins_with_a_bilingual_message(api, who, status,
                                                                                                    words):
    client, _, tokens, _ = api
    headers = bearer(tokens.get(who, who)) if who else {}
    answer = client.get("/api/v1/observations?indicator=ID-10&layer=preliminary", headers=headers)
    assert answer.status_code == status
    assert words in answer.json["message_en"] and answer.json["message_zh"] and answer.json["error"] == status
    assert "2024M12" not in answer.get_data(as_text=True)


def test_pages_walk_every_row_exactly_once_following_links_next(api):
    client, settings, _, _ = api
    url, seen, pages = "/api/v1/observations?indicator=ID-10,DI-01&level=league&limit=997", [], 0
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert len(answer.json["data"]) <= 997
        seen += [(r["indicator_code"], r["region_code"], r["period"]) for r in answer.json["data"]]
        url, pages = answer.json["links"].get("next"), pages + 1
        if url:
            assert answer.headers["Link"] == f'<{url}>; rel="next"'
    with warehouse.reader(warehouse.public_path(settings.paths.warehouse)) as con:
        expected = con.execute("SELECT indicator_code, region_code, period FROM facts WHERE value IS NOT NULL AND "
                               "region_level = 'league' AND indicator_code IN ('ID-10', 'DI-01')").fetchall()
    assert len(seen) == len(set(seen)) == len(expected) == answer.json["meta"]["total"]
    assert set(seen) == set(expected) and pages == -(-len(expected) // 997) > 1


def test_an_unchanged_answer_is_revalidated_with_304_by_etag_or_last_modified(api):
    client, _, _, _ = api
    url = "/api/v1/observations?indicator=DI-01&region=150200"
    first = client.get(url)
    tag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.status_code == 200 and first.headers["Cache-Control"] == "public, max-age=300"
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == tag
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    other = client.get(url + "&format=csv")
    assert other.headers["ETag"] != tag  # another representation, another tag


def test_csv_is_utf8_with_bom_and_has_the_json_rows(api):
    client, _, _, _ = api
    url = "/api/v1/observations?indicator=DI-01&region=150200,150100&frequency=annual"
    answer = client.get(url + "&format=csv")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = answer.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    records = client.get(url).json["data"]
    assert [(r["region_code"], r["period"]) for r in rows] == [(r["region_code"], r["period"]) for r in records]
    assert [float(r["value"]) for r in rows] == pytest.approx([r["value"] for r in records])
    indicators = client.get("/api/v1/indicators?indicator=CX-01&format=csv").get_data().decode("utf-8-sig")
    assert "地区生产总值" in indicators and ",8;9," in indicators  # articles joined with ';' as in the CLI's CSV


def test_cors_headers_are_sent_only_to_configured_origins(api):
    client, _, _, configure = api
    url, allowed = "/api/v1/regions?level=league", "https://data.example.org"
    assert "Access-Control-Allow-Origin" not in client.get(url, headers={"Origin": allowed}).headers  # off by default
    configure(api_cors_origins=f"{allowed}, https://other.example.org")
    answer = client.get(url, headers={"Origin": allowed})
    assert answer.headers["Access-Control-Allow-Origin"] == allowed and "Origin" in answer.headers["Vary"]
    assert "ETag" in answer.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Origin" not in client.get(url, headers={"Origin": "https://evil.example"}).headers
    preflight = client.options(url, headers={"Origin": allowed, "Access-Control-Request-Method": "GET"})
    assert preflight.headers["Access-Control-Allow-Origin"] == allowed
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize(("path", "query", "named"), [
    ("observations", "limit=1000000000000", "limit"),
    ("observations", "limit=0", "limit"),
    ("observations", "limit=-1", "limit"),
    ("observations", "offset=-5", "offset"),
    ("observations", "offset=1e3", "1e3"),
    ("index", "year=abc", "abc"),
    ("progress", "year=20240", "20240"),
    ("index", "year=2031", "2031"),
    ("observations", "indicator=NOPE-99", "NOPE-99"),
    ("observations", "indicator=DI-01'%20OR%201=1%20--", "DI-01' OR 1=1 --"),
    ("observations", "region=150200;DROP%20TABLE%20facts", "150200;DROP TABLE facts"),
    ("observations", "region=%3Cscript%3Ealert(1)%3C/script%3E", "region code"),
    ("observations", "from=2024M13", "2024M13"),
    ("observations", "from=2025&to=2024", "from (2025) is after to (2024)"),
    ("observations", "format=xml", "xml"),
    ("observations", "layer=everything", "everything"),
    ("observations", "level=planet", "planet"),
    ("observations", "frequency=weekly", "weekly"),
    ("observations", "year=2024", "unknown parameter 'year'"),
    ("observations", "indicator=" + ",".join(["DI-01"] * 201), "at most 200"),
    ("observations", "indicator=" + "A" * 5000, "…"),
    ("regions", "parent=%00", "region code"),
    ("indicators", "chapter=x", "chapter"),
    ("releases", "status=maybe", "maybe"),
    ("index", "year=2023&year=2024", "only once"),
])
def test_bad_parameters_are_answered_400_in_both_languages_naming_the_value(api, path, query, named):
    client, _, _, _ = api
    answer = client.get(f"/api/v1/{path}?{query}")
    assert answer.status_code == 400, answer.get_data(as_text=True)
    body = answer.json
    assert set(body) == {"error", "message_zh", "message_en"} and body["error"] == 400
    assert named in body["message_en"] and body["message_zh"] and body["message_zh"] != body["message_en"]
    assert "Traceback" not in answer.get_data(as_text=True) and len(answer.get_data()) < 2000


def test_unknown_paths_are_a_json_404_other_methods_a_json_405_and_too_many_requests_a_json_429(api):
    client, _, _, configure = api
    answer = client.get("/api/v1/statistics")
    assert answer.status_code == 404 and "/api/v1/statistics" in answer.json["message_en"]
    refused = client.post("/api/v1/observations", data={"indicator": "DI-01"})
    assert refused.status_code == 405 and "GET" in refused.headers["Allow"] and "read-only" in refused.json["message_en"]
    configure(api_rate_limit="3 per minute")
    statuses = [client.get("/api/v1/regions").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = client.get("/api/v1/regions").json
    assert throttled["error"] == 429 and throttled["message_zh"] and throttled["message_en"]


def test_every_endpoint_answers_its_table_with_metadata(api):
    client, _, _, _ = api
    indicator = client.get("/api/v1/indicators?indicator=DI-01").json["data"][0]
    assert {"code", "name_zh", "name_en", "unit_zh", "unit_en", "chapter", "articles", "frequency", "measure",
            "polarity", "decimals", "department_zh", "department_en", "definition_zh", "definition_en"} <= set(indicator)
    leagues = client.get("/api/v1/regions?level=league").json
    assert leagues["meta"]["total"] == 12 and all(r["parent"] == "150000" for r in leagues["data"])
    index = client.get("/api/v1/index?year=2023&limit=1000").json
    composite = [r for r in index["data"] if r["kind"] == "composite"]
    assert len(composite) == 12 and sorted(r["rank"] for r in composite)[0] == 1 and index["meta"]["synthetic"]
    progress = client.get("/api/v1/progress?year=2023&region=150200&indicator=DI-01").json["data"]
    assert [(r["indicator_code"], r["region_code"], r["year"]) for r in progress] == [("DI-01", "150200", 2023)]
    releases = client.get("/api/v1/releases?limit=1000").json["data"]
    assert {"released", "upcoming"} == {r["status"] for r in releases}
    assert any("2024M12" in r["periods"] for r in releases if r["status"] == "upcoming")


def test_the_openapi_document_describes_every_read_and_submission_path_and_its_page_keeps_the_csp(api):
    client, _, _, _ = api
    answer = client.get("/api/v1/openapi.json")
    spec = json.loads(answer.get_data(as_text=True))
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {*READ_PATHS, "/api/v1/submissions", "/api/v1/submissions/{id}",
                                  "/api/v1/openapi.json", "/api/v1/"}
    for path in READ_PATHS:
        names = {p["name"] for p in spec["paths"][path]["get"]["parameters"]}
        assert {"format", "limit", "offset", "layer"} <= names
    page = client.get("/api/v1/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"] and "unsafe-eval" not in \
        page.headers["Content-Security-Policy"]
    assert "<script" not in text and "://" not in text  # nothing fetched from elsewhere
    for path in spec["paths"]:
        assert path in text


@pytest.mark.parametrize(("environ", "message"), [
    ({"DEM_API_PAGE_SIZE": "0"}, r"\[api\]: page_size \(0\)"),
    ({"DEM_API_PAGE_SIZE": "500", "DEM_API_MAX_PAGE_SIZE": "100"}, r"page_size ≤ max_page_size"),
    ({"DEM_API_MAX_PAGE_SIZE": "1000000"}, r"max_page_size ≤ 100000"),
    ({"DEM_API_MAX_AGE": "-1"}, r"max_age \(-1\) ≥ 0"),
    ({"DEM_API_CORS_ORIGINS": "data.example.org"}, r"'data.example.org' is not an origin"),
    ({"DEM_API_CORS_ORIGINS": "https://data.example.org/"}, r"is not an origin"),
    ({"DEM_API_MAX_PAGE_SIZE": "many"}, r"\[api\] max_page_size: 'many' is not a valid int"),
])
def test_api_settings_are_checked_when_loaded(environ, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=environ)


def test_a_rate_limit_that_does_not_parse_is_a_configuration_error():
    assert checked_rate_limit("300 per minute") == "300 per minute"
    with pytest.raises(ConfigError, match=r"\[api\] rate_limit: 'lots' is not a rate limit"):
        checked_rate_limit("lots")
