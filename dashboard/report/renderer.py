"""Chart images for the PDF: figures rendered to PNG by ONE headless Chromium (kaleido) per run.

Starting Chromium costs ~2 s and a chart ~0.1 s, so a run (one report, or the region and all 12 leagues) opens a
single browser and sends every chart through it. The browser starts in the background while the warehouse is
read; each chart has its own future, so the PDF is laid out while later charts still render (Python and
Chromium work on different cores). Offline by construction: plotly.js comes from the installed plotly package,
MathJax is switched off (kaleido would otherwise load it from a CDN), and the browser's proxy is a closed local
port, so any request that still tried to leave the machine fails instead of leaking.
Example: with ChartRenderer() as r: images = r.submit({"trend": Chart("t|1", build)}); images["trend"] → PNG bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from indicators.base.errors import ConfigError

if TYPE_CHECKING:  # plotly is imported by whoever builds the figures; starting the browser does not need it
    import plotly.graph_objects as go

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
# A local port nothing listens on (discard): every proxied request fails at once, nothing reaches the network.
DEAD_PROXY = "http://127.0.0.1:9"
WIDTH_PX = 800  # figure width in CSS pixels: printed 174 mm wide, 12 px text reads as ~7.4 pt
SCALE = 1.8
RELOAD_EVERY = 40


class RendererError(ConfigError):
    """The browser needed for chart images is missing or failed."""


def browser_path() -> str:
    """The system Chromium ($BROWSER_PATH wins); a clear install command when there is none."""
    configured = os.environ.get("BROWSER_PATH")
    if configured and Path(configured).is_file():
        return configured
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise RendererError("未找到 Chromium 浏览器，无法生成报告图表。请运行：sudo apt-get install -y chromium | "
                        "Chromium not found (needed for the report's charts). Run: sudo apt-get install -y chromium")


def _kaleido(**kwargs):
    """kaleido.Kaleido without the page reload after every image (made lazily: importing kaleido is slow).

    kaleido reloads the tab after each render (~0.1 s: plotly.js is parsed again). kaleido_scopes draws every
    figure into a fresh element and removes it, so the page carries nothing over; images are byte-identical with
    and without the reload (checked on every chart of a report). A tab is still reloaded every RELOAD_EVERY
    images to bound the page's memory in long runs (`dem report all`)."""
    import kaleido

    if not hasattr(kaleido.Kaleido, "_return_kaleido_tab"):  # another kaleido version: the plain, slower path
        return kaleido.Kaleido(**kwargs)

    class Kaleido(kaleido.Kaleido):
        async def _return_kaleido_tab(self, tab) -> None:
            tab.renders = getattr(tab, "renders", 0) + 1
            if tab.renders % RELOAD_EVERY == 0:
                await tab.reload()
            await self.tabs_ready.put(tab)

    return Kaleido(**kwargs)


@dataclass(frozen=True)
class Chart:
    """A chart to render: `build` makes the figure only when needed; a `shared` chart (the league map, the same
    in all 13 reports of a run) is rendered once and reused, found by `key`."""

    key: str
    build: Callable[[], go.Figure]
    shared: bool = False


class Images(Mapping):
    """Chart name → PNG bytes; looking one up waits for that chart only."""

    def __init__(self, futures: dict[str, Future], timeout: float):
        self._futures, self._timeout = futures, timeout

    def __getitem__(self, name: str) -> bytes:
        return self._futures[name].result(self._timeout)

    def __iter__(self) -> Iterator[str]:
        return iter(self._futures)

    def __len__(self) -> int:
        return len(self._futures)


class ChartRenderer:
    """One kaleido browser in a background event loop, shared by every report of a run; thread-safe.
    `tabs`: 1 for a single report (a second tab costs ~1.5 s to open), 2 for many (it renders in parallel)."""

    def __init__(self, tabs: int = 1, timeout: float = 60, cache_size: int = 32):
        self.tabs, self.timeout, self.cache_size = tabs, timeout, cache_size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._opened: Future | None = None  # → the kaleido browser
        self._cache: OrderedDict[str, Future] = OrderedDict()  # shared picture key → its future
        self._lock = threading.Lock()

    def __enter__(self) -> ChartRenderer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        """Start the browser in the background (returns at once; idempotent)."""
        if self._loop is not None:
            return
        path = browser_path()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="chart-renderer", daemon=True)
        self._thread.start()
        self._opened = asyncio.run_coroutine_threadsafe(self._open(path), self._loop)

    async def _open(self, path: str):
        try:
            k = _kaleido(n=self.tabs, timeout=self.timeout, mathjax=False, path=path, proxy_server=DEAD_PROXY)
            await k.open()
            return k
        except Exception as exc:
            raise RendererError(f"无法启动 Chromium 生成图表：{exc} | cannot start Chromium for charts: {exc}") from exc

    def open(self) -> None:
        """Start the browser and wait until it is ready."""
        self.start()
        self._opened.result(self.timeout)

    def submit(self, charts: Mapping[str, Chart], width: int = WIDTH_PX) -> Images:
        """Queue every chart (figures are built here, in the caller's thread) in the given order; shared
        pictures already queued in this run are reused."""
        self.start()
        by_key: dict[str, Future] = {}
        for chart in charts.values():
            if chart.key in by_key:
                continue
            with self._lock:
                cached = self._cache.get(chart.key)
            if cached is not None:
                by_key[chart.key] = cached
                continue
            by_key[chart.key] = asyncio.run_coroutine_threadsafe(self._render(chart.build(), width), self._loop)
            if chart.shared:
                self._remember(chart.key, by_key[chart.key])
        return Images({name: by_key[c.key] for name, c in charts.items()}, self.timeout * 4)

    async def _render(self, fig: go.Figure, width: int) -> bytes:
        k = await asyncio.wrap_future(self._opened)
        opts = {"format": "png", "width": width, "height": int(fig.layout.height or 400), "scale": SCALE}
        return await k.calc_fig(fig, opts=opts)

    def render(self, charts: Mapping[str, Chart], width: int = WIDTH_PX) -> dict[str, bytes]:
        """All charts at once (waits for every one)."""
        images = self.submit(charts, width)
        return {name: images[name] for name in images}

    def _remember(self, key: str, future: Future) -> None:
        with self._lock:
            self._cache[key] = future
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def close(self) -> None:
        if self._loop is None:
            return
        # closing a browser that failed or already died must not mask the error that brought us here
        with contextlib.suppress(Exception):
            k = self._opened.result(self.timeout)
            asyncio.run_coroutine_threadsafe(k.close(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = self._opened = None
