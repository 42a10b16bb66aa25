"""Dashboard benchmark: replay the callbacks each page fires against `dem serve` on the full demo warehouse, then
drive the pages in headless Chromium — warm, and as the first visitors right after a new warehouse is published.

1. Replay: for every page, the callbacks the browser sends on load (HTTP POST /_dash-update-component with the same
   payloads), each replayed with the years cycling, p50/p95 latency and response size; the first call separately
   (after the server has warmed its cache of the common views, as it does after every publish); next to the floor
   measured in the same run — the bare indicator-API query on a kept read-only connection plus the same kind of
   figure built with plotly.graph_objects and serialised.
2. Browser, first visits right after a publish: a new warehouse file is renamed over the served one (what
   `dem etl` does), and at once every page is opened in Chromium, as the first visitors would; the latency of
   every callback the browser sends (request → last byte) and the time until each page's data is drawn.
   Repeated --publishes times (each time from a warm server), together with how long the server took to serve
   the new data and to have all its common views cached again.
3. Browser, warm: the same pages again once the server is warm — the first full render of each page
   (navigation until the page's data is drawn) and the callback latencies.
Goals: replayed and warm callbacks p95 < 80 ms, first visits after a publish p95 ≤ 150 ms, first render < 2 s,
no response over 1 MB. The served warehouse is a private copy: the file given with --db is never changed. The
replay and the browser are signed in as an analyst of a private application database (the quality page needs a
login; every POST carries the CSRF token, as the browser's does); the server's status is read with the analyst's
API token.

    .venv/bin/python tests/benchmarks/dashboard_bench.py [--db PATH] [--repeat 30] [--publishes 3]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import demo_warehouse  # noqa: E402 — this folder is on sys.path when benchmarks run

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
ENV = dict(demo_warehouse.ENV)  # completed by main() with a private application database
ANALYST, PASSWORD = "bench-analyst", "bench analyst passphrase"
YEARS = [2019, 2020, 2021, 2022, 2023, 2024]
GOAL_P95_MS, GOAL_FIRST_P95_MS, GOAL_RENDER_S, GOAL_BYTES = 80, 150, 2.0, 1_000_000
READY = {"/": "#overview-cards .card .value", "/map": "#map-graph .js-plotly-plot canvas",
         "/league/150100": "#league-tables .ag-cell", "/indicator/DI-02": "#indicator-chart .scatterlayer .trace",
         "/chapter/2": "#chapter-table .ag-cell", "/index": "#index-graph .barlayer .trace",
         "/quality": "#quality-matrix .heatmaplayer .hm", "/catalogue": "#catalogue-grid .ag-cell"}


def _arg(component_id, prop, value):
    if isinstance(component_id, list):
        return [{"id": i, "property": prop, "value": v} for i, v in zip(component_id, value, strict=True)]
    return {"id": component_id, "property": prop, "value": value}


def payload(outputs, inputs, state=()) -> dict:
    def key(i):
        return json.dumps(i, sort_keys=True, separators=(",", ":")) if isinstance(i, dict) else i
    name = (f"{key(outputs[0][0])}.{outputs[0][1]}" if len(outputs) == 1
            else ".." + "...".join(f"{key(i)}.{p}" for i, p in outputs) + "..")
    return {"output": name, "outputs": [{"id": i, "property": p} for i, p in outputs] if len(outputs) > 1
            else {"id": outputs[0][0], "property": outputs[0][1]}, "inputs": [_arg(*x) for x in inputs],
            "state": [_arg(*x) for x in state], "changedPropIds": []}


def route(path: str, search: str = ""):
    return lambda year: payload([("_pages_content", "children"), ("_pages_store", "data")],
                                [("_pages_location", "pathname", path), ("_pages_location", "search", search)])


def callbacks() -> dict[str, list[tuple[str, object]]]:
    """page → [(callback label, year → payload)] — what the browser fires when the page loads."""
    from dashboard import ids

    lang = [(ids.LANG, "data", "zh")]
    sliders = [ids.weight(n) for n in range(2, 9)]
    return {
        "/": [("route", route("/")), ("overview", lambda y: payload(
            [(ids.OVERVIEW_CARDS, "children"), (ids.OVERVIEW_INDEX, "figure"), (ids.OVERVIEW_MAP, "figure")],
            [(ids.OVERVIEW_YEAR, "value", y)], lang))],
        "/map": [("route", route("/map")), *[(f"map {level}", lambda y, lv=level: payload(
            [(ids.MAP_GRAPH, "figure"), (ids.MAP_PERIOD_LABEL, "children")],
            [(ids.MAP_INDICATOR, "value", "DI-01"), (ids.MAP_LEVEL, "value", lv), (ids.MAP_YEAR, "value", y)], lang))
            for level in ("league", "county")]],
        "/league/150100": [("route", route("/league/150100")), ("tables", lambda y: payload(
            [(ids.LEAGUE_TABLES, "children")], [(ids.LEAGUE_YEAR, "value", y)], [("league-code", "data", "150100"), *lang])),
            ("counties", lambda y: payload([(ids.LEAGUE_COUNTIES, "figure")], [(ids.LEAGUE_COUNTY, "value", "CX-01"),
                                           (ids.LEAGUE_YEAR, "value", y)], [("league-code", "data", "150100"), *lang]))],
        "/indicator/DI-02": [("route", route("/indicator/DI-02")), *[(f"tab {tab}", lambda y, tb=tab: payload(
            [(ids.INDICATOR_TAB_BODY, "children")], [(ids.INDICATOR_TAB, "value", tb),
                                                     (ids.INDICATOR_LEAGUES, "value", ["150100", "150200", "152500"]),
                                                     (ids.INDICATOR_YEAR, "value", y)],
            [("_pages_location", "pathname", "/indicator/DI-02"), *lang])) for tab in ("chart", "map", "table")]],
        "/chapter/2": [("route", route("/chapter/2")), ("status", lambda y: payload(
            [(ids.CHAPTER_TABLE, "children")], [(ids.CHAPTER_YEAR, "value", y)], [("chapter-number", "data", 2), *lang]))],
        "/index": [("route", route("/index")), ("index", lambda y: payload(
            [(ids.INDEX_GRAPH, "figure"), (ids.INDEX_COVERAGE, "children")],
            [(ids.INDEX_YEAR, "value", y), (sliders, "value", [1.0 + (y % 3)] + [1.0] * 6)], [(sliders, "id", sliders), *lang]))],
        "/quality": [("route", route("/quality"))],
        "/catalogue": [("route", route("/catalogue")), ("table", lambda y: payload(
            [(ids.CATALOGUE_TABLE, "children")], [(ids.CATALOGUE_SEARCH, "value", "")], lang)),
            ("regulation", lambda y: payload([(ids.REGULATION_TEXT, "children")],
                                             [(ids.CATALOGUE_CHAPTER, "value", 1 + y % 8)], lang))],
    }


class Client:
    """An HTTP client signed in as the analyst, with the CSRF cookie the pages set (sent back as X-CSRFToken)."""

    def __init__(self, url: str):
        import re

        self.url, self.jar = url, http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(url + "/login", timeout=30).read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"username": ANALYST, "password": PASSWORD, "next": "/", "csrf_token": token})
        self.opener.open(url + "/login", data=form.encode(), timeout=30).read()
        self.csrf = next(c.value for c in self.jar if c.name == "_csrf_token")

    def post(self, body: dict) -> tuple[float, int]:
        request = urllib.request.Request(self.url + "/_dash-update-component", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf})
        start = time.perf_counter()
        with self.opener.open(request, timeout=60) as response:
            size = len(response.read())
        return (time.perf_counter() - start) * 1000, size


def floors(db: Path, repeat: int) -> dict[str, float]:
    """The bare API query on a kept connection + the same kind of go figure, serialised (median ms)."""
    import plotly.graph_objects as go
    import plotly.io as pio

    from indicators.engine import query
    from indicators.storage.warehouse import Snapshot

    readers = Snapshot(db)
    geo = "/geo/county.json"

    def bars(level, codes=("DI-02",)):
        with readers.cursor() as con:
            f = query.values(con, codes, level=level, years=(2023, 2023))
        return pio.to_json(go.Figure(go.Bar(x=f["value"], y=f["region_code"], orientation="h")))

    def lines():
        with readers.cursor() as con:
            f = query.values(con, ["DI-02"], ["150000", "150100", "150200", "152500"])
        return pio.to_json(go.Figure([go.Scatter(x=g["year"], y=g["value"]) for _, g in f.groupby("region_code")]))

    def county_map():
        with readers.cursor() as con:
            f = query.values(con, ["DI-01"], level="county", years=(2023, 2023))
        return pio.to_json(go.Figure(go.Choroplethmap(geojson=geo, locations=f["region_code"], z=f["value"],
                                                      featureidkey="properties.code")))

    out = {}
    for name, fn in (("bar chart (league values)", lambda: bars("league")), ("line chart (4 series)", lines),
                     ("county map (103 areas)", county_map)):
        fn()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        out[name] = statistics.median(times)
    readers.retire()  # closed: nobody reads it any more
    return out


def replay(url: str, repeat: int) -> list[dict]:
    rows, client = [], Client(url)
    for page, calls in callbacks().items():
        for label, make in calls:
            cold, size = client.post(make(YEARS[-1]))
            times, sizes = [], []
            for i in range(repeat):
                ms, n = client.post(make(YEARS[i % len(YEARS)]))
                times.append(ms)
                sizes.append(n)
            q = statistics.quantiles(times, n=20)
            rows.append({"page": page, "callback": label, "cold": cold, "p50": statistics.median(times), "p95": q[18],
                         "bytes": max(sizes + [size])})
    return rows


class Browser:
    """One headless Chromium tab that records every callback request it sends: (page, callback, ms from the
    request to the last byte of the answer)."""

    ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"]

    def __init__(self, url: str):
        from playwright.sync_api import sync_playwright

        self.url, self.calls, self.path = url, [], ""
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path="/usr/bin/chromium", args=self.ARGS)
        self.page = self._browser.new_page(viewport={"width": 1366, "height": 768})
        self.page.on("requestfinished", self._finished)
        self.page.goto(url + "/login")
        self.page.fill("#username", ANALYST)
        self.page.fill("#password", PASSWORD)
        self.page.click("#login-submit")
        self.page.wait_for_url(url + "/")
        self.visit("/catalogue")  # warm the browser's cache of the JS bundles, as a returning user has it
        self.calls.clear()

    def _finished(self, request) -> None:
        if "_dash-update-component" in request.url:
            output = (request.post_data_json or {}).get("output", "?")
            self.calls.append((self.path, output, request.timing["responseEnd"]))

    def visit(self, path: str) -> float:
        """Open a page and wait until its data is drawn and its callbacks have answered; seconds to the data."""
        self.path = path
        start = time.perf_counter()
        self.page.goto(self.url + path)
        self.page.wait_for_selector(READY[path], state="attached", timeout=30000)
        drawn = time.perf_counter() - start
        self.page.wait_for_load_state("networkidle")
        return drawn

    def tour(self) -> tuple[dict[str, float], list[float]]:
        """Every page once: seconds to its data, and the latency of each callback sent meanwhile."""
        self.calls.clear()
        renders = {path: self.visit(path) for path in READY}
        return renders, list(self.calls)

    def close(self) -> None:
        self._browser.close()
        self._playwright.stop()


def status(url: str) -> dict:
    """The analyst's view of /_dem/status (anonymous callers see only whether the service is up)."""
    request = urllib.request.Request(url + "/_dem/status", headers={"Authorization": f"Bearer {ENV['BENCH_TOKEN']}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:  # 503: not available (yet)
        return json.loads(error.read())


def publish(db: Path) -> str:
    """What a release does to the public warehouse the pages read: a new file (a copy with a new publication time)
    renamed over the published one."""
    import duckdb

    from indicators.storage.warehouse import public_path

    db = public_path(db)
    stamp = f"bench-{time.time_ns()}"
    staging = db.with_name(db.name + ".bench-staging")
    shutil.copyfile(db, staging)
    with duckdb.connect(str(staging)) as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'published_at'", [stamp])
    os.replace(staging, db)
    return stamp


def wait_warm(url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not status(url).get("warm"):
        if time.monotonic() > deadline:
            raise SystemExit("the server did not warm its common views in time")
        time.sleep(0.1)


def watch(url: str, stamp: str, start: float, out: dict, timeout: float = 300) -> None:
    """Seconds from the publish until the server serves the new file, and until its common views are cached."""
    while "warm" not in out and time.perf_counter() - start < timeout:
        now = status(url)
        if now.get("published_at") == stamp:
            out.setdefault("fresh", time.perf_counter() - start)
            if now.get("warm"):
                out["warm"] = time.perf_counter() - start
        time.sleep(0.1)


def after_publish(browser: Browser, url: str, db: Path, publishes: int) -> dict:
    """First visits right after each of `publishes` publishes, from a warm server each time."""
    import threading

    calls, renders, fresh, warm = [], [], [], []
    for _ in range(publishes):
        wait_warm(url)
        stamp = publish(db)
        start, seen = time.perf_counter(), {}
        watcher = threading.Thread(target=watch, args=(url, stamp, start, seen), daemon=True)
        watcher.start()
        drawn, ms = browser.tour()
        calls += ms
        renders += list(drawn.values())
        watcher.join(300)
        fresh.append(seen.get("fresh", math.nan))
        warm.append(seen.get("warm", math.nan))
    return {"calls": calls, "renders": renders, "fresh": fresh, "warm": warm}


def quantiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95 and the maximum."""
    return statistics.median(values), statistics.quantiles(values, n=20)[18], max(values)


def serve(db: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dem = Path(sys.executable).with_name("dem")
    process = subprocess.Popen([str(dem), "serve", "--db", str(db), "--port", str(port), "--workers", "1"],
                               env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    for _ in range(600):
        try:
            now = status(url)
        except OSError:
            time.sleep(0.2)
            continue
        if now.get("warm"):  # the server warms its cache of the common views after start and after each publish
            print(f"server up and its common views cached after {time.perf_counter() - start:.1f} s")
            return process, url
        time.sleep(0.2)
    process.kill()
    raise SystemExit("dem serve did not start (or did not finish warming)")


def report(rows: list[dict], floor: dict[str, float], warm: dict, first: dict) -> None:
    print(f"\n{'page':<18} {'callback':<12} {'cold ms':>8} {'p50 ms':>8} {'p95 ms':>8} {'max KB':>8}")
    for r in rows:
        flag = "" if r["p95"] < GOAL_P95_MS and r["bytes"] < GOAL_BYTES else "  ← over goal"
        print(f"{r['page']:<18} {r['callback']:<12} {r['cold']:8.1f} {r['p50']:8.1f} {r['p95']:8.1f} "
              f"{r['bytes'] / 1024:8.1f}{flag}")
    print("\nfloor (same run): bare indicator-API query on a kept connection + go figure + JSON")
    for name, ms in floor.items():
        print(f"  {name:<28} {ms:6.1f} ms")
    print("\nfirst full render in headless Chromium, warm server (navigation → data drawn)")
    for path, s in warm["renders"].items():
        print(f"  {path:<18} {s:5.2f} s{'' if s < GOAL_RENDER_S else '  ← over goal'}")
    print(f"\ncallbacks in headless Chromium (request → last byte)   {'calls':>5} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'max ms':>8}  goal p95")
    for label, calls, goal in ((f"first visits right after a publish (×{len(first['fresh'])})", first["calls"],
                                GOAL_FIRST_P95_MS), ("warm", warm["calls"], GOAL_P95_MS)):
        p50, p95, top = quantiles([ms for *_, ms in calls])
        print(f"  {label:<51} {len(calls):5d} {p50:8.1f} {p95:8.1f} {top:8.1f}  ≤ {goal}"
              f"{'' if p95 <= goal else '  ← over goal'}")
        slowest = sorted(calls, key=lambda c: -c[2])[:4]
        print("    slowest: " + ", ".join(f"{path} {output.strip('.').split('.')[0][:24]} {ms:.0f}"
                                      for path, output, ms in slowest))
    print(f"  pages after a publish: data drawn in {statistics.median(first['renders']):.2f} s (median), "
          f"{max(first['renders']):.2f} s (slowest)")
    print(f"  after a publish the server served the new file after {_seconds(first['fresh'])} and had all its "
          f"common views cached after {_seconds(first['warm'])}")
    worst = max(r["p95"] for r in rows)
    print(f"\nGoals: replayed p95 < {GOAL_P95_MS} ms (worst {worst:.1f}), browser p95 warm ≤ {GOAL_P95_MS} ms "
          f"({quantiles([c[2] for c in warm['calls']])[1]:.1f}) and right after a publish ≤ "
          f"{GOAL_FIRST_P95_MS} ms ({quantiles([c[2] for c in first['calls']])[1]:.1f}), render < {GOAL_RENDER_S} s (worst "
          f"{max(warm['renders'].values()):.2f}), responses < 1 MB (largest {max(r['bytes'] for r in rows) / 1024:.0f} KB)")


def _seconds(values: list[float]) -> str:
    return " / ".join(f"{v:.1f}" for v in values) + " s"


def accounts(tmp: Path) -> None:
    """A private application database with the analyst the benchmark signs in as, and its API token."""
    dem = str(Path(sys.executable).with_name("dem"))
    ENV.update({"DEM_PATHS_APP_DB": str(tmp / "app" / "app.sqlite"), "DEM_PATHS_SECRET_KEY": str(tmp / "app" / "key")})
    subprocess.run([dem, "users", "add", ANALYST, "--role", "analyst", "--password-stdin"], input=PASSWORD + "\n",
                   env=ENV, check=True, capture_output=True, text=True)
    ENV["BENCH_TOKEN"] = subprocess.run([dem, "users", "token", ANALYST], env=ENV, check=True, capture_output=True,
                                        text=True).stdout.strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=None, help="a demo warehouse (default: build one with dem demo build)")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--publishes", type=int, default=3, help="publishes followed by first visits (default 3)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dem-dash-bench-") as tmp:
        served = Path(tmp) / "served" / "dem.duckdb"  # a private copy: the bench publishes over it
        served.parent.mkdir()
        from indicators.storage.warehouse import public_path

        source = demo_warehouse.build(Path(tmp) / "demo.duckdb") if args.db is None else args.db
        shutil.copyfile(source, served)
        shutil.copyfile(public_path(source), public_path(served))  # what the pages read
        accounts(Path(tmp))
        print(f"Dashboard benchmark on a copy of {args.db or 'the demo warehouse'} "
              f"({served.stat().st_size / 2**20:.1f} MB), {args.repeat} calls per callback")
        process, url = serve(served)
        try:
            rows = replay(url, args.repeat)
            browser = Browser(url)
            try:
                renders, _ = browser.tour()  # the first render of each page, then twice more for the callbacks
                calls = browser.tour()[1] + browser.tour()[1]
                first = after_publish(browser, url, served, args.publishes)
            finally:
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=20)
        report(rows, floors(served, args.repeat), {"renders": renders, "calls": calls}, first)


if __name__ == "__main__":
    main()
