"""The server under abuse (Flask test client, real demo warehouse): hand-built callback requests get 204/4xx and
one log line, never 500 or a traceback; oversized bodies 413; junk never enters or evicts the view cache; the
status endpoint opens the warehouse; a missing or corrupt warehouse gives friendly pages; PDF renders run one at
a time server-wide through a queue, identical requests share one file, old files go, no queued job is lost."""

from __future__ import annotations

import base64
import json
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import dash
import duckdb
import pytest
from dash.exceptions import AppNotFoundError
from helpers import browser_like

from dashboard import data, downloads, ids, inputs, server
from dashboard.auth import access
from dashboard.renders import RenderQueue, RenderRequest
from indicators.base.settings import load_settings
from indicators.storage.warehouse import public_path

DISPATCH = "/_dash-update-component"
ROUTER = ".._pages_content.children..._pages_store.data.."
LANG = [(ids.LANG, "data", "zh")]
SLIDERS = [ids.weight(n) for n in range(2, 9)]


@pytest.fixture(scope="module")
def app(demo_warehouse):
    """The process's app: the pages register their callbacks once, into the first app created (another test
    module may have created it already)."""
    os.environ.setdefault("DEM_TODAY", "2026-11-27")
    from dashboard.app import create_app

    try:
        dash_app = dash.get_app()
    except AppNotFoundError:
        dash_app = create_app(db=demo_warehouse)
    data.configure(db=demo_warehouse)
    assert dash_app.server.test_client().get("/").status_code == 200  # registers the callbacks
    yield dash_app
    data.configure(db=demo_warehouse)


@pytest.fixture
def client(app, demo_warehouse):
    data.configure(db=demo_warehouse)
    return browser_like(app.server.test_client())


def output_key(outputs: list[tuple]) -> str:
    """Dash's name of a callback: 'id.prop' for one output, '..a.b...c.d..' for several."""
    return f"{outputs[0][0]}.{outputs[0][1]}" if len(outputs) == 1 else \
        ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."


def body(outputs: list[tuple], inputs_: list[tuple], state: list[tuple] = (), key: str | None = None,
         changed: list[str] = ()) -> dict:
    """A callback request as the browser builds it (see tests/test_dashboard_pages.py)."""
    def item(component_id, prop, value):
        if isinstance(component_id, list):
            return [{"id": i, "property": prop, "value": v} for i, v in zip(component_id, value, strict=True)]
        return {"id": component_id, "property": prop, "value": value}

    spec = [{"id": i, "property": p} for i, p in outputs]
    return {"output": key or output_key(outputs), "outputs": spec if len(spec) > 1 else spec[0],
            "inputs": [item(*x) for x in inputs_], "state": [item(*x) for x in state], "changedPropIds": list(changed)}


def explain_key(app) -> str:
    return next(k for k, v in app.callback_map.items() if v["inputs"][0]["id"].startswith('{"key"'))


OVERVIEW = [(ids.OVERVIEW_CARDS, "children"), (ids.OVERVIEW_INDEX, "figure"), (ids.OVERVIEW_MAP, "figure")]
MAP = [(ids.MAP_GRAPH, "figure"), (ids.MAP_PERIOD_LABEL, "children")]
INDEX = [(ids.INDEX_GRAPH, "figure"), (ids.INDEX_COVERAGE, "children")]
PDF = [("pdf-download__overview", "data"), ("pdf-result__overview", "children")]


def overview(year) -> dict:
    return body(OVERVIEW, [(ids.OVERVIEW_YEAR, "value", year)], LANG)


def map_view(code, level="league", year=2023) -> dict:
    return body(MAP, [(ids.MAP_INDICATOR, "value", code), (ids.MAP_LEVEL, "value", level), (ids.MAP_YEAR, "value", year)],
                LANG)


def league(code, year=2023) -> dict:
    return body([(ids.LEAGUE_TABLES, "children")], [(ids.LEAGUE_YEAR, "value", year)], [("league-code", "data", code),
                                                                                         *LANG])


def counties(code, league_code="150100", year=2023) -> dict:
    return body([(ids.LEAGUE_COUNTIES, "figure")], [(ids.LEAGUE_COUNTY, "value", code), (ids.LEAGUE_YEAR, "value", year)],
                [("league-code", "data", league_code), *LANG])


def indicator_tab(tab="chart", leagues=("150100",), year=2023, path="/indicator/DI-02") -> dict:
    return body([(ids.INDICATOR_TAB_BODY, "children")], [(ids.INDICATOR_TAB, "value", tab),
                (ids.INDICATOR_LEAGUES, "value", leagues), (ids.INDICATOR_YEAR, "value", year)],
                [("_pages_location", "pathname", path), *LANG])


def chapter(number, year=2023) -> dict:
    return body([(ids.CHAPTER_TABLE, "children")], [(ids.CHAPTER_YEAR, "value", year)],
                [("chapter-number", "data", number), *LANG])


def index(weights, year=2023, sliders=SLIDERS) -> dict:
    return body(INDEX, [(ids.INDEX_YEAR, "value", year), (sliders, "value", weights)], [(sliders, "id", sliders), *LANG])


def batch(cell) -> dict:
    return body([(ids.QUALITY_PROBLEMS, "children")], [(ids.QUALITY_BATCHES, "cellClicked", cell)], LANG)


def search(text) -> dict:
    return body([(ids.CATALOGUE_TABLE, "children")], [(ids.CATALOGUE_SEARCH, "value", text)], LANG)


def regulation(number) -> dict:
    return body([(ids.REGULATION_TEXT, "children")], [(ids.CATALOGUE_CHAPTER, "value", number)], LANG)


def pdf(region="150000", year=2024, clicks=1) -> dict:
    return body(PDF, [("pdf-button__overview", "n_clicks", clicks)],
                [(ids.OVERVIEW_YEAR, "value", year), ("pdf-region__overview", "data", region), *LANG])


def route(pathname, search_="") -> dict:
    return body([("_pages_content", "children"), ("_pages_store", "data")],
                [("_pages_location", "pathname", pathname), ("_pages_location", "search", search_)])


LONG = "x" * 100_000

# (case, request body or raw JSON text, expected status, what the log line names)
BAD_REQUESTS = [
    ("year is text", overview("abc"), 204, "year="),
    ("year is null", overview(None), 204, "year="),
    ("year is 1e308", overview(1e308), 204, "year="),
    ("year is a list", overview([2023]), 204, "year="),
    ("year has no data", overview(1990), 204, "year="),
    ("year is true", overview(True), 204, "year="),
    ("year is 100 000 characters", overview(LONG), 400, "at most 2000 characters"),
    ("year is NaN", json.dumps(overview(float("nan"))), 204, "year="),
    ("map indicator unknown", map_view("NOPE"), 204, "indicator="),
    ("map indicator is a list", map_view(["DI-01"]), 204, "indicator="),
    ("map level unknown", map_view("DI-01", level="planet"), 204, "level="),
    ("league code unknown", league("999999"), 204, "league="),
    ("league code is an object", league({"code": "150100"}), 204, "league="),
    ("county indicator not reported by counties", counties("DI-11"), 204, "indicator="),
    ("county view of a county", counties("DI-01", league_code="150102"), 204, "league="),
    ("indicator page unknown", indicator_tab(path="/indicator/NOPE"), 204, "indicator="),
    ("indicator tab unknown", indicator_tab(tab="x" * 500), 204, "tab="),
    ("indicator leagues unknown", indicator_tab(leagues=["150100", "nope"]), 204, "league="),
    ("indicator leagues a string", indicator_tab(leagues="150100"), 204, "leagues="),
    ("indicator map year text", indicator_tab(tab="map", year="2023"), 204, "year="),
    ("chapter unknown", chapter(99), 204, "chapter="),
    ("chapter as text", chapter("2"), 204, "chapter="),
    ("weights out of range", index([99] * 7), 204, "weight="),
    ("weights off the slider steps", index([1.3] * 7), 204, "weight="),
    ("weights infinite", json.dumps(index([float("inf")] * 7)), 204, "weight="),
    ("weights for one chapter twice", index([1] * 7, sliders=[ids.weight(2)] * 7), 204, "slider="),
    ("batch row id text", batch({"rowIndex": 0, "rowId": "abc"}), 204, "batch="),
    ("batch row id huge", batch({"rowIndex": 0, "rowId": str(10**30)}), 204, "batch="),
    ("batch row id a number", batch({"rowIndex": 0, "rowId": 12}), 204, "cellClicked="),
    ("clicked cell a string", batch("abc"), 204, "cellClicked="),
    ("search too long", search("x" * 300), 204, "text="),
    ("search a list", search(["5G"]), 204, "text="),
    ("regulation chapter text", regulation("abc"), 204, "chapter="),
    ("pdf region unknown", pdf(region="x" * 1000), 400, "report region="),
    ("pdf year as text", pdf(year="2024"), 400, "year="),
    ("router path a list", route(["/"]), 400, "pathname="),
    ("router path null", route(None), 400, "pathname="),
    ("router search an object", route("/", {"a": 1}), 400, "search="),
    ("router path 100 000 characters", route("/league/" + LONG), 400, "at most 2000 characters"),
    ("body not an object", "[1, 2]", 400, "body="),
    ("body without output", json.dumps({"inputs": []}), 400, "output="),
    ("unknown callback", {**overview(2023), "output": "nope.children"}, 400, "output="),
    ("client-side callback", body([(ids.URL_SYNC, "data")], [(ids.OVERVIEW_YEAR, "value", 2023)],
                                  key=f"{ids.URL_SYNC}.data@x"), 400, "output="),
    ("too few inputs", {**overview(2023), "inputs": []}, 400, "inputs="),
    ("an input of another component", {**overview(2023), "inputs": [{"id": "lang", "property": "data", "value": 1}]},
     400, "inputs="),
    ("outputs not the callback's", {**overview(2023), "outputs": [{"id": "x", "property": "y"}] * 3}, 400, "outputs="),
    ("changed prop of no input", {**overview(2023), "changedPropIds": ["{bad json.value"]}, 400, "changedPropIds="),
    ("deeply nested value", overview([[[[[[[[[[1]]]]]]]]]]), 400, "levels of nesting"),
]


def send(client, request):
    if isinstance(request, str):
        return client.post(DISPATCH, data=request, content_type="application/json")
    return client.post(DISPATCH, json=request)


@pytest.mark.parametrize(("case", "request_", "status", "named"), BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
def test_a_hand_built_callback_request_gets_a_no_op_or_4xx_and_one_log_line_never_a_traceback(
        client, caplog, case, request_, status, named):
    with caplog.at_level(logging.DEBUG):
        response = send(client, request_)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    lines = [r for r in caplog.records if r.name.startswith(("dem", "dash", "flask", "werkzeug", "dashboard"))]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert named in lines[0].getMessage() and len(lines[0].getMessage()) < 400
    assert lines[0].exc_info is None and "Traceback" not in caplog.text
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_background_job_poll_with_null_values_passes_and_a_forged_handle_reads_nothing(client, caplog):
    """The browser polls a PDF job with the values left out (null) and the job's signed handles in the URL."""
    poll = pdf(region=None, year=None, clicks=None)
    with caplog.at_level(logging.INFO):
        response = client.post(DISPATCH + "?cacheKey=forged&job=1", json=poll)
    assert response.status_code == 204 and "Traceback" not in caplog.text
    assert send(client, poll).status_code == 400  # the same values starting a job are refused


def test_the_explain_button_refuses_a_forged_key_and_answers_a_real_one(app, client, caplog):
    key = explain_key(app)
    pattern = {"type": ids.EXPLAIN, "key": "DI-01|150000|2023"}

    def press(key_value: str):
        component = {**pattern, "key": key_value}
        changed = [json.dumps(component, sort_keys=True, separators=(",", ":")) + ".n_clicks"]
        return send(client, body([(ids.PROVENANCE, "children")], [([component], "n_clicks", [1])], LANG, key=key,
                                 changed=changed) | {"outputs": {"id": ids.PROVENANCE,
                                                                 "property": key.split(".", 1)[1]}})

    assert press("DI-01|150000|2023").status_code == 200
    with caplog.at_level(logging.INFO):
        for forged in ("a|b", "DI-01|150000|2023|x", "DI-01|999999|2023", "DI-01|150000|20233", "NOPE|150000|2023"):
            assert press(forged).status_code == 204, forged
    assert len(caplog.records) == 5 and "Traceback" not in caplog.text


def test_a_body_over_the_limit_gets_413_and_is_stored_nowhere(app, client):
    limit = data.settings().server.max_request_bytes
    assert app.server.config["MAX_CONTENT_LENGTH"] == limit == load_settings().server.max_request_bytes
    jobs = sorted(p.name for p in downloads.jobs_dir().rglob("*")) if downloads.jobs_dir().exists() else []
    before = set(data.state().views)
    huge = "x" * (limit + 1)
    for request in (pdf(region=huge), league(huge), route("/" + huge)):
        assert send(client, request).status_code == 413
    assert set(data.state().views) == before
    assert (sorted(p.name for p in downloads.jobs_dir().rglob("*")) if downloads.jobs_dir().exists() else []) == jobs


def test_junk_requests_do_not_grow_the_view_cache(client):
    assert send(client, overview(2023)).status_code == 200
    before = set(data.state().views)
    for n in range(100):
        for request in (overview(2100 + n), map_view(f"X-{n}"), league(str(n)), chapter(n + 10), search("x" * (300 + n)),
                        indicator_tab(path=f"/indicator/{n}"), index([n + 4] * 7), batch({"rowId": f"{n}a"})):
            assert send(client, request).status_code in (204, 400)
    assert set(data.state().views) == before  # (lookups only reorder it)


def test_requests_for_years_without_data_do_not_evict_cached_views(client, monkeypatch):
    county_codes = [i.code for i in data.catalogue().indicators.values() if "county" in i.levels]
    empty = [(code, year) for code in county_codes for year in data.data_years()
             if data.values((code,), (), (), "county", "annual", (year, year)).empty]
    assert len(empty) >= 10  # the real reference years hold region values only
    data.state().views.clear()
    assert send(client, overview(2023)).status_code == 200
    kept = set(data.state().views)
    monkeypatch.setattr(data.state().views, "size", len(kept) + 2)  # any two stored entries would evict the overview
    for code, year in empty:
        assert send(client, map_view(code, "county", year)).status_code == 200  # a valid query, an empty map
        assert send(client, counties(code, "150100", year)).status_code == 200
    for year in range(1900, 2000):
        assert send(client, overview(year)).status_code == 204  # not a year with data: refused before the cache
    assert set(data.state().views) == kept


def test_index_views_of_chosen_weights_are_answered_but_only_the_default_weights_are_kept(client):
    """Every combination of the seven sliders is a valid view (7⁷ of them): a crawler trying them must not push
    the common views out of the cache."""
    data.state().views.clear()
    assert send(client, index([1] * 7)).status_code == 200  # the default weights
    kept = set(data.state().views)
    assert any(k[1].endswith("indexview") for k in kept)
    for n in range(20):
        weights = [(n + i) % 7 / 2 for i in range(7)]
        assert send(client, index(weights)).status_code == 200
    assert set(data.state().views) == kept


def test_views_built_at_once_on_several_threads_are_all_cached(client):
    """The warming thread and the request threads build views at the same time; each build counts its own
    empty frames (a count shared between threads once broke the warming)."""
    from dashboard.pages import overview

    data.state().views.clear()
    failures = []

    def build(lang: str) -> None:
        try:
            for year in data.data_years():
                overview.view(year, lang)
        except Exception as exc:  # collected: an exception in a thread would not fail the test
            failures.append(exc)

    threads = [threading.Thread(target=build, args=(lang,)) for lang in ("zh", "en", "zh", "en")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    views = [k for k in data.state().views if k[1].endswith("overviewview")]
    assert len(views) == 2 * len(data.data_years())


def test_status_is_200_and_available_for_a_healthy_warehouse(client, demo_warehouse):
    response = client.get("/_dem/status")
    assert response.status_code == 200
    assert response.json == {"available": True}  # anonymous: no path, no detail (the full body: test_web_security)


@pytest.fixture(params=["garbage bytes", "missing", "deleted while serving", "older version"])
def broken_warehouse(request, demo_warehouse, tmp_path):
    """A (public) warehouse the server cannot read, configured into the running app; the healthy one afterwards.
    "older version": files an earlier version of the software wrote (schema 4), not yet migrated by a writer."""
    db = tmp_path / "dem.duckdb"
    served = public_path(db)  # what every anonymous request reads (the intake pages read the working one, db)
    if request.param == "garbage bytes":
        for path in (db, served):
            path.write_bytes(os.urandom(64 * 1024))
    elif request.param in ("deleted while serving", "older version"):
        shutil.copyfile(demo_warehouse, db)
        shutil.copyfile(public_path(demo_warehouse), served)
    if request.param == "older version":
        for path in (db, served):
            with duckdb.connect(str(path)) as con:
                con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
                con.execute("ALTER TABLE facts DROP COLUMN obs_status")  # what the queries of version 5 read
    data.configure(db=db)
    if request.param == "deleted while serving":
        assert data.available() and data.data_years()  # served and cached, then removed under the server
        served.unlink()
        db.unlink()
    yield request.param
    data.configure(db=demo_warehouse)


PAGE_PATHS = ["/", "/map", "/league/150100", "/indicator/DI-01", "/chapter/2", "/index", "/quality", "/catalogue",
              "/nowhere"]


def test_status_is_503_with_the_reason_and_every_page_is_friendly_when_the_warehouse_is_broken(
        client, broken_warehouse, caplog, monkeypatch):
    monkeypatch.setattr(access, "is_internal", lambda: True)  # /quality is staff only (tests/test_web_security.py)
    response = client.get("/_dem/status")
    assert response.status_code == 503 and response.json == {"available": False}  # anonymous: no reason, no path
    hint = {"garbage bytes": ("无法读取", "cannot be read"), "older version": ("旧版本写入", "written by an older "
            "version")}.get(broken_warehouse, ("尚无数据仓库", "No warehouse"))
    with caplog.at_level(logging.INFO):
        for path in PAGE_PATHS:
            response = send(client, route(path))
            assert response.status_code == 200, path
            text = json.dumps(response.json, ensure_ascii=False)
            assert hint[0] in text and hint[1] in text, path  # both languages
        assert send(client, overview(2023)).status_code == 204
        assert send(client, map_view("DI-01")).status_code == 204
        assert client.get("/").status_code == 200
    assert "Traceback" not in caplog.text
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) <= 1  # once per reason and process


def test_a_warehouse_published_over_a_corrupt_one_is_served_again_without_restart(client, demo_warehouse, tmp_path):
    db = tmp_path / "dem.duckdb"
    public_path(db).write_bytes(b"not a warehouse" * 1000)
    data.configure(db=db)
    assert client.get("/_dem/status").status_code == 503
    staging = tmp_path / "dem.public.duckdb.staging"
    shutil.copyfile(public_path(demo_warehouse), staging)
    os.replace(staging, public_path(db))  # what a release does when it publishes
    assert client.get("/_dem/status").json["available"] is True
    assert send(client, overview(2023)).status_code == 200


def test_a_bug_in_a_page_gives_a_friendly_page_and_its_traceback_is_logged_once(app, client, caplog, monkeypatch):
    def broken(**_query):
        raise RuntimeError("a bug in a layout")

    monkeypatch.setitem(dash.page_registry["dashboard.pages.quality"], "layout", broken)
    with caplog.at_level(logging.INFO):
        first, second = send(client, route("/quality")), send(client, route("/quality"))
    for response in (first, second):
        text = json.dumps(response.json, ensure_ascii=False)
        assert response.status_code == 200 and "本页暂时无法显示" in text and "could not be shown" in text
        assert "Traceback" not in text and "a bug in a layout" not in text
    assert [r.exc_info is not None for r in caplog.records] == [True, False]  # the traceback once, then one line


def test_a_bug_in_a_callback_or_a_route_answers_a_short_500_and_logs_its_traceback_once(client, caplog, monkeypatch):
    from dashboard.pages import catalogue

    def broken(*_args):
        raise ZeroDivisionError("a bug in a callback")

    def broken_too(*_args):  # another place: another distinct error
        raise ZeroDivisionError("a bug in a route")

    monkeypatch.setattr(catalogue, "search_frame", broken)
    monkeypatch.setattr(access, "user_from_bearer", broken_too)  # the status route asks who is calling
    with caplog.at_level(logging.INFO):
        answers = [send(client, search("5G")), send(client, search("5G")), client.get("/_dem/status"),
                   client.get("/_dem/status")]
    for response in answers:
        text = response.get_data(as_text=True)
        assert response.status_code == 500 and "internal server error" in text
        assert "Traceback" not in text and "a bug in a" not in text
    assert [r.exc_info is not None for r in caplog.records] == [True, False, True, False]


@pytest.mark.parametrize("path", ["/_dash-component-suites/nope/x.js", "/_dash-component-suites/dash/x.js"])
def test_an_unknown_script_path_is_404_with_one_log_line(client, caplog, path):
    with caplog.at_level(logging.DEBUG):
        assert client.get(path).status_code == 404
    assert len(caplog.records) == 1 and caplog.records[0].exc_info is None


def test_gunicorn_options_limit_request_line_and_headers():
    options = server.options(load_settings())
    assert options["limit_request_line"] == 4094
    assert options["limit_request_fields"] == 50
    assert options["limit_request_field_size"] == 8190


# ── the PDF render queue ─────────────────────────────────────────────────────────────────────────────

def stand_in(log: Path, seconds: float = 0.5):
    """A cheap render that records when it starts and ends (a real one takes ~10 s and starts Chromium)."""
    def render(request: RenderRequest, out: Path) -> None:
        with open(log, "a") as f:
            f.write(f"start {time.time():.6f} {request.region} {request.year}\n")
        out.write_bytes(b"%PDF-1.4 half")
        time.sleep(seconds)
        out.write_bytes(f"%PDF-1.4 stand-in {request.region} {request.year}".encode())
        with open(log, "a") as f:
            f.write(f"end {time.time():.6f} {request.region} {request.year}\n")
    return render


def renders(log: Path) -> list[tuple[float, float, str]]:
    """(start, end, request) of each render, in order; asserts they never overlapped."""
    events = [line.split(" ", 2) for line in log.read_text().splitlines()] if log.exists() else []
    out = []
    for start, end in zip(events[::2], events[1::2], strict=True):
        assert start[0] == "start" and end[0] == "end" and start[2] == end[2]
        out.append((float(start[1]), float(end[1]), start[2]))
    assert all(a[1] <= b[0] for a, b in zip(out, out[1:], strict=False)), out  # never more than one render at a time
    return out


@pytest.fixture
def pdf_tmp(tmp_path, monkeypatch, client):
    """Job cache and render queue under tmp_path (downloads puts them in the temporary directory)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    import dashboard.report.build  # noqa: F401 — imported once here, not in every forked job

    return tmp_path


def _job(region: str, year: int, log: Path, seconds: float, results) -> None:
    seen = []
    download, message = downloads.bulletin(year, region, "zh", seen.append, render=stand_in(log, seconds))
    results.put((region, year, download, message, seen))


def start_job(region: str, year: int, log: Path, results, seconds: float = 0.5):
    process = multiprocessing.get_context("fork").Process(target=_job, args=(region, year, log, seconds, results))
    process.start()
    return process


def test_parallel_pdf_jobs_render_one_at_a_time_identical_requests_once_and_every_job_gets_its_file(pdf_tmp):
    log, results = pdf_tmp / "renders.log", multiprocessing.get_context("fork").Queue()
    jobs = [("150100", 2024)] * 3 + [("150200", 2024), ("150000", 2023)]
    processes = [start_job(region, year, log, results) for region, year in jobs]
    finished = [results.get(timeout=60) for _ in jobs]
    for process in processes:
        process.join(10)
    for region, year, download, message, _seen in finished:
        assert message == "报告已生成并开始下载。"
        assert download["filename"] == f"监测分析报告_{region}_{year}.pdf"
        assert base64.b64decode(download["content"]) == f"%PDF-1.4 stand-in {region} {year}".encode()
    done = renders(log)
    assert sorted(r[2] for r in done) == ["150000 2023", "150100 2024", "150200 2024"]  # identical ones: once
    assert any(text.startswith("排队中，前面还有") for *_, seen in finished for text in seen)  # the queue was visible
    folder = downloads.render_queue().root
    assert len(list(folder.glob("w*/*.pdf"))) == 3 and not list(folder.glob("queue/*"))


def _wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_no_job_is_lost_when_a_queued_or_rendering_job_is_killed(pdf_tmp):
    log, results = pdf_tmp / "renders.log", multiprocessing.get_context("fork").Queue()
    queue = downloads.render_queue()

    def tickets() -> list[Path]:
        return list((queue.root / "queue").glob("*.ticket"))

    first = start_job("150100", 2024, log, results, seconds=2)
    _wait_for(lambda: log.exists())  # rendering
    doomed = start_job("150200", 2024, log, results)
    _wait_for(lambda: len(tickets()) == 2)
    last = start_job("150300", 2024, log, results)
    _wait_for(lambda: len(tickets()) == 3)
    os.kill(doomed.pid, signal.SIGKILL)  # the user left the page: Dash kills the job
    got = {results.get(timeout=60)[0], results.get(timeout=60)[0]}
    assert got == {"150100", "150300"}
    for process in (first, doomed, last):
        process.join(10)
    renderer = start_job("150400", 2024, log, results, seconds=30)
    _wait_for(lambda: log.read_text().count("start") == 3)
    os.kill(renderer.pid, signal.SIGKILL)  # killed while holding the render lock, a half-written file left
    renderer.join(10)
    assert list(queue.root.glob("w*/*.partial-*"))
    again = start_job("150400", 2024, log, results)
    assert results.get(timeout=60)[0] == "150400"
    again.join(10)
    assert not list(queue.root.glob("w*/*.partial-*")) and not tickets()
    ends = [line.split(" ", 2)[2] for line in log.read_text().splitlines() if line.startswith("end")]
    assert ends == ["150100 2024", "150300 2024", "150400 2024"]  # the killed ones rendered nothing


def test_cleanup_removes_files_past_their_time_of_unpublished_warehouses_and_half_written(tmp_path):
    """…and the tickets of jobs killed before they locked them, but never a ticket being created."""
    log = tmp_path / "renders.log"
    queue = RenderQueue(tmp_path / "pdf", keep_hours=24, render=stand_in(log, 0))
    current = RenderRequest((11, 22), "150100", 2024)
    unpublished = queue.path(RenderRequest((9, 9), "150100", 2024), "old-warehouse.pdf")
    expired = queue.path(current, "expired.pdf")
    fresh = queue.path(current, "fresh.pdf")
    half = queue.path(current, "x.pdf.partial-999999")
    for path in (unpublished, expired, fresh, half):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF")
    day_ago = time.time() - 25 * 3600
    os.utime(expired, (day_ago, day_ago))
    being_made, dead = queue.root / "queue" / "1-1-a.ticket.new", queue.root / "queue" / "1-2-b.ticket.new"
    being_made.touch()  # a job between creating its ticket and locking it
    dead.touch()
    os.utime(dead, (day_ago, day_ago))  # a job killed at that moment, long ago
    made = queue.produce(current, "new.pdf")
    assert made.read_bytes().startswith(b"%PDF-1.4 stand-in") and fresh.exists()
    assert not unpublished.parent.exists() and not expired.exists() and not half.exists()
    assert being_made.exists() and not dead.exists()
    assert queue.produce(current, "new.pdf") == made and len(renders(log)) == 1  # the second time: the file


@pytest.mark.slow
def test_identical_pdf_jobs_share_one_real_render_of_the_bulletin(pdf_tmp):
    count, results = [], []

    def counted(request, out):
        count.append(request)
        downloads.build(request, out)

    def job():
        results.append(downloads.bulletin(2024, "150100", "en", render=counted))

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert len(count) == 1 and len(results) == 2
    for download, message in results:
        assert message == "The report is ready and downloading."
        assert base64.b64decode(download["content"]).startswith(b"%PDF") and len(download["content"]) > 50_000


def test_the_pdf_callback_checks_its_values_before_a_job_is_started(client):
    county = next(iter(data.catalogue().regions.counties("152500"))).code
    with pytest.raises(inputs.InvalidInput, match="report region"):
        downloads._check([1, data.data_years()[-1], county, "zh"])  # bulletins cover the region or a league
    downloads._check([1, data.data_years()[-1], "152500", "zh"])
