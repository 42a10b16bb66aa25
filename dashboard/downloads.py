"""The monitoring bulletin (PDF) from the browser: a Dash background callback runs `build_report` — the same as
`dem report pdf` — in its own process, through the server-wide render queue (dashboard/renders.py): one render
at a time across all workers, the queue position shown while a job waits, one file per identical request.

Background jobs run through a DiskcacheManager: the job runs in its own process (so a 5–10 s render never holds a
gunicorn worker) and its result travels through a disk cache shared by all workers. The render itself runs in a
spawned interpreter (see build()). The job cache and the render
queue's directory sit side by side in the temporary directory, one pair per warehouse path.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import dash
from dash import DiskcacheManager, Input, Output, State, dcc, html

from dashboard import data, errors, ids, inputs
from dashboard.i18n import t
from dashboard.renders import Render, RenderQueue, RenderRequest
from indicators.base.errors import DemError

JOB_CACHE_BYTES = 256 * 2**20  # results of jobs nobody collected (the page was closed) are culled beyond this


def jobs_dir() -> Path:
    """The job cache of this warehouse path, shared by the gunicorn workers serving it."""
    key = hashlib.sha256(str(data.settings().paths.warehouse).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"dem-dash-jobs-{key}"


def manager() -> DiskcacheManager:
    import diskcache

    return DiskcacheManager(diskcache.Cache(str(jobs_dir()), size_limit=JOB_CACHE_BYTES))


def build(request: RenderRequest, out: Path) -> None:
    """The real render: the bulletin of a region or league for a year, charts drawn by Chromium (kaleido), in a
    fresh interpreter. Not in the job process itself: that is a fork of the threaded server, and a fork inherits
    the locks and DuckDB's open databases in whatever state the other threads (requests, the warmer) held them at
    that instant — a render reading the warehouse there could wait forever. A spawned process starts clean."""
    from dashboard.report.build import build_report

    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as process:
        process.submit(build_report, data.settings(), request.year, region=request.region, out=out).result()


def render_queue(render: Render = build) -> RenderQueue:
    """The queue of this warehouse path: next to the job cache, files kept settings.server.pdf_keep_hours."""
    return RenderQueue(jobs_dir().with_name(jobs_dir().name + "-pdf"), data.settings().server.pdf_keep_hours, render)


def bulletin(year: int, region: str, lang: str, progress=lambda text: None, render: Render = build):
    """What the background job does once its values are checked: (download data, status text). Waits its turn
    in the queue, telling `progress` its position; a file a cleanup removed just before it was read is made
    again."""
    from dashboard.report.build import default_name

    name = default_name(region, year)

    def tell(ahead: int) -> None:
        progress(t("pdf_queued", lang).format(n=ahead) if ahead else t("pdf_running", lang))

    try:
        for _ in range(2):
            path = render_queue(render).produce(RenderRequest(data.identity(), region, year), name, tell)
            try:
                return dcc.send_file(str(path), filename=name), t("pdf_ready", lang)
            except FileNotFoundError:
                continue
        raise FileNotFoundError(name)
    except DemError as exc:  # e.g. the warehouse went away: a message the user can act on
        logging.getLogger("dem.dashboard").warning("PDF %s %s: %s", region, year, exc)
        return dash.no_update, f"{t('pdf_failed', lang)}: {exc.message_en if lang == 'en' else exc.message_zh}"
    except Exception as exc:
        errors.unexpected(exc, f"PDF {region} {year}")
        return dash.no_update, f"{t('pdf_failed', lang)}. {t('pdf_try_later', lang)}"


def _ids(page: str) -> tuple[str, str, str, str, str]:
    return (f"{ids.PDF_BUTTON}__{page}", f"{ids.PDF_RUNNING}__{page}", f"{ids.PDF_RESULT}__{page}",
            f"{ids.PDF_DOWNLOAD}__{page}", f"{ids.PDF_REGION}__{page}")


def pdf_control(page: str, lang: str, region: str) -> html.Div:
    """The button, a live status line (read by screen readers) and the download target."""
    button, running, result, download, store = _ids(page)
    return html.Div(className="pdf-slot", children=[
        html.Button(t("download_pdf", lang), id=button, className="button", n_clicks=0),
        html.Span(id=running, className="hint", role="status", **{"aria-live": "polite"}),
        html.Span(id=result, className="hint", role="status", **{"aria-live": "polite"}),
        dcc.Download(id=download), dcc.Store(id=store, data=region)])


def _check(values: list) -> None:
    """Before a job process is started: a click, a year with data, the region or a league."""
    clicks, year, region, _lang = values
    inputs.clicks(clicks)
    inputs.year(year)
    inputs.report_region(region)


def register(page: str, year_id: str) -> None:
    """The background callback of one page's PDF button (ids are page-scoped, so each page registers its own).
    While the job runs the button is disabled and the status line shows the queue position or 'building'."""
    button, running, result, download, store = _ids(page)
    inputs.guard(f"..{download}.data...{result}.children..", _check)  # Dash's name of these two outputs

    @dash.callback(Output(download, "data"), Output(result, "children"),
                   Input(button, "n_clicks"), State(year_id, "value"), State(store, "data"), State(ids.LANG, "data"),
                   background=True, prevent_initial_call=True,
                   running=[(Output(button, "disabled"), True, False)],
                   progress=[Output(running, "children")], progress_default=[""])
    def make_pdf(set_progress, clicks, year, region, lang):
        lang = inputs.lang(lang)
        if not inputs.clicks(clicks):
            return dash.no_update, ""
        return bulletin(inputs.year(year), inputs.report_region(region), lang, set_progress)
