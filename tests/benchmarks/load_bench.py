"""Load benchmark: many concurrent anonymous readers against `dem serve --workers N` on loopback — how the
dashboard scales by processes reading the same immutable published file.

For each worker count and each level of concurrency (default 10, 50 and 100 clients for 30 s each), every client
replays a realistic mix in turn — the page shell (GET /), the page route and data callbacks a visitor's browser
sends (overview, league, indicator chart, map), and read-API calls — over its own keep-alive connection, with the
CSRF cookie the first page set (as the browser sends it). Reported per run: requests/s, error rate, and p50/p95 per
mix item; beside it, the same mix from a single client (the floor: no concurrency). Goal (issue 16): 50 concurrent
clients with p95 ≤ 300 ms for callbacks and API calls and no errors on a 2-core machine.

The clients run in this process (threads) on the same two cores as the server: their own CPU share is printed, so
that a figure limited by the load generator is not mistaken for the server's.

    .venv/bin/python tests/benchmarks/load_bench.py [--db PATH] [--workers 1,2] [--clients 10,50,100] [--seconds 30]
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dashboard_bench  # noqa: E402
import demo_warehouse  # noqa: E402

GOAL_CLIENTS, GOAL_P95_MS = 50, 300
YEARS = dashboard_bench.YEARS


def mix() -> list[tuple[str, str, str, object]]:
    """(label, method, path, body or year → body): what a visitor's browser asks, in the order it asks it."""
    pages = dashboard_bench.callbacks()
    return [("page shell GET /", "GET", "/", None),
           ("route /league", "POST", "/_dash-update-component", pages["/league/150100"][0][1]),
           ("overview callback", "POST", "/_dash-update-component", pages["/"][1][1]),
           ("league tables callback", "POST", "/_dash-update-component", pages["/league/150100"][1][1]),
           ("indicator chart callback", "POST", "/_dash-update-component", pages["/indicator/DI-02"][1][1]),
           ("map league callback", "POST", "/_dash-update-component", pages["/map"][1][1]),
           ("API openapi.json", "GET", "/api/v1/openapi.json", None)]


def api_items(url: str) -> list[tuple[str, str, str, object]]:
    """The read API's calls, when the server has them (GET /api/v1/observations answers 200)."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", "/api/v1/observations?indicator=DI-02&level=league&format=json")
    answer = connection.getresponse()
    answer.read()
    connection.close()
    if answer.status != 200:
        return []
    return [("API observations (league)", "GET", "/api/v1/observations?indicator=DI-02&level=league", None),
            ("API indicators", "GET", "/api/v1/indicators", None)]


class Visitor(threading.Thread):
    """One client: a keep-alive connection, the CSRF cookie of its first page, the mix in turn until the end."""

    def __init__(self, url: str, items: list, until: float, offset: int, results: list):
        super().__init__(daemon=True)
        self.host, port = url.removeprefix("http://").split(":")
        self.port, self.items, self.until, self.offset, self.results = int(port), items, until, offset, results

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=60)

    def run(self) -> None:
        connection = self.connect()
        connection.request("GET", "/")
        first = connection.getresponse()
        first.read()
        cookies = [c.split(";")[0] for c in first.msg.get_all("Set-Cookie") or []]  # the session and the token
        token = next((c.split("=", 1)[1] for c in cookies if c.startswith("_csrf_token=")), "")
        headers = {"Content-Type": "application/json", "Cookie": "; ".join(cookies), "X-CSRFToken": token}
        i = self.offset
        while time.perf_counter() < self.until:
            label, method, path, make = self.items[i % len(self.items)]
            body = json.dumps(make(YEARS[i % len(YEARS)])).encode() if callable(make) else None
            start = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers if body else {"Cookie": headers["Cookie"]})
                answer = connection.getresponse()
                answer.read()
                ok = answer.status in (200, 204)
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = self.connect()
            self.results.append((label, (time.perf_counter() - start) * 1000, ok))
            i += 1
        connection.close()


def run(url: str, items: list, clients: int, seconds: float) -> dict:
    results: list = []
    until = time.perf_counter() + seconds
    cpu = time.process_time()
    visitors = [Visitor(url, items, until, k, results) for k in range(clients)]
    for v in visitors:
        v.start()
    for v in visitors:
        v.join(seconds + 120)
    client_cpu = (time.process_time() - cpu) / seconds
    by_item: dict[str, list[float]] = {}
    for label, ms, _ in results:
        by_item.setdefault(label, []).append(ms)
    errors = sum(1 for *_, ok in results if not ok)
    return {"clients": clients, "requests": len(results), "rate": len(results) / seconds,
            "errors": errors, "error_rate": errors / max(len(results), 1), "client_cpu": client_cpu,
            "items": {k: (statistics.median(v), statistics.quantiles(v, n=20)[18] if len(v) > 1 else v[0])
                      for k, v in by_item.items()}}


def serve(db: Path, workers: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dem = Path(sys.executable).with_name("dem")
    process = subprocess.Popen([str(dem), "serve", "--db", str(db), "--port", str(port), "--workers", str(workers)],
                               env=dashboard_bench.ENV, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(900):
        try:
            if dashboard_bench.status(url).get("warm"):
                return process, url
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("dem serve did not start (or did not finish warming)")


def show(workers: int, row: dict) -> None:
    goal = row["clients"] == GOAL_CLIENTS
    print(f"\n  {row['clients']:>3} clients: {row['rate']:7.1f} requests/s, {row['errors']} errors "
          f"({100 * row['error_rate']:.2f} %), load generator {100 * row['client_cpu']:.0f} % of a core")
    for label, (p50, p95) in row["items"].items():
        over = goal and label != "page shell GET /" and p95 > GOAL_P95_MS
        print(f"      {label:<28} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms{'  ← over goal' if over else ''}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=None, help="a demo warehouse (default: build one)")
    parser.add_argument("--workers", default="1,2", help="worker processes to compare (default 1,2)")
    parser.add_argument("--clients", default="10,50,100", help="concurrent clients (default 10,50,100)")
    parser.add_argument("--seconds", type=float, default=30.0, help="duration of each run (default 30)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dem-load-bench-") as tmp:
        from indicators.storage.warehouse import public_path

        served = Path(tmp) / "served" / "dem.duckdb"
        served.parent.mkdir()
        source = demo_warehouse.build(Path(tmp) / "demo.duckdb") if args.db is None else args.db
        shutil.copyfile(source, served)
        shutil.copyfile(public_path(source), public_path(served))
        dashboard_bench.accounts(Path(tmp))  # the status endpoint says "warm" to the analyst's token
        dashboard_bench.ENV["DEM_API_RATE_LIMIT"] = "1000000 per minute"  # one address is every client here
        print(f"Load benchmark: anonymous visitors, {args.seconds:.0f} s per run, on a copy of "
              f"{args.db or 'the demo warehouse'}")
        for workers in [int(w) for w in args.workers.split(",")]:
            process, url = serve(served, workers)
            try:
                items = mix() + api_items(url)
                print(f"\n── dem serve --workers {workers} (threads 4), mix of {len(items)} items ──")
                floor = run(url, items, 1, min(args.seconds, 10))
                print("  floor: one client alone")
                show(workers, floor)
                for clients in [int(c) for c in args.clients.split(",")]:
                    show(workers, run(url, items, clients, args.seconds))
            finally:
                process.terminate()
                process.wait(timeout=30)
        print(f"\nGoal: {GOAL_CLIENTS} concurrent clients, p95 ≤ {GOAL_P95_MS} ms for callbacks and API calls, "
              "no errors.")


if __name__ == "__main__":
    main()
