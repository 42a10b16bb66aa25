"""Dashboard benchmark: replay the callbacks each page fires against `dem serve` on the full demo warehouse.

For every page: the callbacks the browser sends on load (HTTP POST /_dash-update-component with the same
payloads), each replayed with the years cycling, p50/p95 latency and response size; the first call (cold cache)
separately (after the server has warmed its cache of the common views, as it does after every publish);
next to the floor measured in the same run — the bare indicator-API query on a kept read-only
connection plus the same kind of figure built with plotly.graph_objects and serialised. Then the first full
render of each page in headless Chromium (navigation until the page's data is drawn).
Goals: p95 < 80 ms per callback, first render < 2 s, no response over 1 MB.

    .venv/bin/python tests/benchmarks/dashboard_bench.py [--db PATH] [--repeat 30]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import demo_warehouse  # noqa: E402 — this folder is on sys.path when benchmarks run

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
ENV = demo_warehouse.ENV
YEARS = [2019, 2020, 2021, 2022, 2023, 2024]
GOAL_P95_MS, GOAL_RENDER_S, GOAL_BYTES = 80, 2.0, 1_000_000
READY = {"/": "#overview-cards .card .value", "/map": "#map-graph .js-plotly-plot canvas",
         "/league/150100": "#league-tables .dash-cell", "/indicator/DI-02": "#indicator-chart .scatterlayer .trace",
         "/chapter/2": "#chapter-table .dash-cell", "/index": "#index-graph .barlayer .trace",
         "/quality": "#quality-matrix .heatmaplayer .hm", "/catalogue": "#catalogue-grid .dash-cell"}


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


def post(url: str, body: dict) -> tuple[float, int]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url + "/_dash-update-component", data=data,
                                     headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        size = len(response.read())
    return (time.perf_counter() - start) * 1000, size


def floors(db: Path, repeat: int) -> dict[str, float]:
    """The bare API query on a kept connection + the same kind of go figure, serialised (median ms)."""
    import plotly.graph_objects as go
    import plotly.io as pio

    from indicators.engine import query
    from indicators.storage.warehouse import ReaderCache

    readers = ReaderCache(db)
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
    readers.close()
    return out


def replay(url: str, repeat: int) -> list[dict]:
    rows = []
    for page, calls in callbacks().items():
        for label, make in calls:
            cold, size = post(url, make(YEARS[-1]))
            times, sizes = [], []
            for i in range(repeat):
                ms, n = post(url, make(YEARS[i % len(YEARS)]))
                times.append(ms)
                sizes.append(n)
            q = statistics.quantiles(times, n=20)
            rows.append({"page": page, "callback": label, "cold": cold, "p50": statistics.median(times), "p95": q[18],
                         "bytes": max(sizes + [size])})
    return rows


def first_render(url: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"]
    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(url + "/catalogue")  # warm the browser's cache of the JS bundles, as a returning user has it
        page.wait_for_selector(READY["/catalogue"], state="attached")
        for path, ready in READY.items():
            start = time.perf_counter()
            page.goto(url + path)
            page.wait_for_selector(ready, state="attached", timeout=30000)
            out[path] = time.perf_counter() - start
        browser.close()
    return out


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
            status = json.loads(urllib.request.urlopen(url + "/_dem/status", timeout=2).read())
        except OSError:
            time.sleep(0.2)
            continue
        if status["warm"]:  # the server warms its cache of the common views after start and after each publish
            print(f"server up and its common views cached after {time.perf_counter() - start:.1f} s")
            return process, url
        time.sleep(0.2)
    process.kill()
    raise SystemExit("dem serve did not start (or did not finish warming)")


def report(rows: list[dict], floor: dict[str, float], renders: dict[str, float]) -> None:
    print(f"\n{'page':<18} {'callback':<12} {'cold ms':>8} {'p50 ms':>8} {'p95 ms':>8} {'max KB':>8}")
    for r in rows:
        flag = "" if r["p95"] < GOAL_P95_MS and r["bytes"] < GOAL_BYTES else "  ← over goal"
        print(f"{r['page']:<18} {r['callback']:<12} {r['cold']:8.1f} {r['p50']:8.1f} {r['p95']:8.1f} "
              f"{r['bytes'] / 1024:8.1f}{flag}")
    print("\nfloor (same run): bare indicator-API query on a kept connection + go figure + JSON")
    for name, ms in floor.items():
        print(f"  {name:<28} {ms:6.1f} ms")
    print("\nfirst full render in headless Chromium (navigation → data drawn)")
    for path, s in renders.items():
        print(f"  {path:<18} {s:5.2f} s{'' if s < GOAL_RENDER_S else '  ← over goal'}")
    worst = max(r["p95"] for r in rows)
    print(f"\nGoals: p95 < {GOAL_P95_MS} ms (worst {worst:.1f}), render < {GOAL_RENDER_S} s "
          f"(worst {max(renders.values()):.2f}), responses < 1 MB (largest {max(r['bytes'] for r in rows) / 1024:.0f} KB)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=None, help="a demo warehouse (default: build one with dem demo build)")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dem-dash-bench-") as tmp:
        db = args.db
        if db is None:
            db = demo_warehouse.build(Path(tmp) / "demo.duckdb")
        print(f"Dashboard benchmark on {db} ({db.stat().st_size / 2**20:.1f} MB), {args.repeat} calls per callback")
        process, url = serve(db)
        try:
            rows = replay(url, args.repeat)
            renders = first_render(url)
        finally:
            process.terminate()
            process.wait(timeout=20)
        report(rows, floors(db, args.repeat), renders)


if __name__ == "__main__":
    main()
