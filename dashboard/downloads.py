"""The monitoring bulletin (PDF) from the browser: a Dash background callback runs `build_report` — the same as
`dem report pdf` — in its own process, through the server-wide render queue (dashboard/renders.py): one render
at a time across all workers, the queue position shown while a job waits, one file per identical request.

Background jobs run through a DiskcacheManager: the job runs in its own process (so a 5–10 s render never holds a
gunicorn worker) and its result travels through a disk cache shared by all workers. The render itself runs in a
spawned interpreter (see build()). The job cache and the render
queue's directory sit side by side in the temporary directory, one pair per warehouse path.

The page's language picks the edition: the English page downloads the English bulletin
(monitoring_bulletin_<code>_<year>.pdf), the Chinese page the Chinese one (监测分析报告_<code>_<year>.pdf); each
edition is rendered, cached and named on its own.

Anonymous visitors get only bulletins already rendered — by a signed-in user's request, or by the scheduled
`dem report all` into the exports folder after the warehouse was published (install(), rendered()); rendering on
demand is for signed-in users, one job at a time per user.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import dash
import flask
import psutil
from dash import DiskcacheManager, Input, Output, State, dcc, html

from dashboard import data, errors, ids, inputs
from dashboard.auth import access
from dashboard.i18n import t
from dashboard.renders import Render, RenderQueue, RenderRequest
from indicators.base import logs
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
    """The real render: the bulletin of a region or league for a year in the request's language, charts drawn by
    Chromium (kaleido), in a
    fresh interpreter. Not in the job process itself: that is a fork of the threaded server, and a fork inherits
    the locks and DuckDB's open databases in whatever state the other threads (requests, the warmer) held them at
    that instant — a render reading the warehouse there could wait forever. A spawned process starts clean."""
    from dashboard.report.build import build_report

    spawn = multiprocessing.get_context("spawn")
    # always the public warehouse: a bulletin is a publication, whoever asks for it
    public = data.settings().with_overrides(paths_warehouse=data.path(data.PUBLIC))
    # a spawned interpreter inherits no logging: it logs like the worker (settings [logging])
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn, initializer=logs.configure,
                             initargs=(public.logging,)) as process:
        process.submit(build_report, public, request.year, region=request.region, out=out, lang=request.lang).result()


def render_queue(render: Render = build) -> RenderQueue:
    """The queue of this warehouse path: next to the job cache, files kept settings.server.pdf_keep_hours."""
    return RenderQueue(jobs_dir().with_name(jobs_dir().name + "-pdf"), data.settings().server.pdf_keep_hours, render)


def bulletin(year: int, region: str, lang: str, progress=lambda text: None, render: Render = build):
    """What the background job does once its values are checked: (download data, status text). Waits its turn
    in the queue, telling `progress` its position; a file a cleanup removed just before it was read is made
    again."""
    from dashboard.report.build import default_name

    name = default_name(region, year, lang=lang)

    def tell(ahead: int) -> None:
        progress(t("pdf_queued", lang).format(n=ahead) if ahead else t("pdf_running", lang))

    try:
        ready = rendered(year, region, lang)
        if ready is not None:
            with contextlib.suppress(FileNotFoundError):  # a cleanup may remove it first: then it is made again
                return dcc.send_file(str(ready), filename=name), t("pdf_ready", lang)
        for _ in range(2):
            path = render_queue(render).produce(RenderRequest(data.identity(), region, year, lang), name, tell)
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


# Dash's name of each page's PDF callback (its two outputs) → the id of its status line
_CALLBACKS: dict[str, str] = {}


def install(app: dash.Dash) -> None:
    """Anonymous visitors get bulletins already rendered, never a render on demand (Chromium for 5–10 s is the
    costliest thing the server does): their request for one not rendered is answered at once with a message,
    before a job is started. A signed-in user's request goes to the render queue, unless a job this user started
    is still running (another tab, a second click): answered at once too. The job's process id is read from
    Dash's answer to the request that started it and kept per user beside the render queue, shared by all
    workers; a job that ended (or whose process id was reused) frees the user."""
    dispatch = app.config.routes_pathname_prefix + "_dash-update-component"

    def pdf_request() -> tuple[dict, str] | None:
        """(body, language) of a request starting a PDF job, else None."""
        if flask.request.method != "POST" or flask.request.path != dispatch or "cacheKey" in flask.request.args:
            return None
        body = flask.request.get_json(silent=True)
        if not isinstance(body, dict) or body.get("output") not in _CALLBACKS:
            return None
        try:
            _clicks, year, region, lang = [item["value"] for item in body["inputs"] + body["state"]]
            return {"year": inputs.year(year), "region": inputs.report_region(region), "body": body}, inputs.lang(lang)
        except (KeyError, TypeError, ValueError, inputs.InvalidInput):
            return None  # malformed: errors.install's check answers it

    def answer(body: dict, key: str, lang: str) -> dict:
        return {"multi": True, "response": {_CALLBACKS[body["output"]]: {"children": t(key, lang)}}}

    @app.server.before_request
    def bulletins_on_demand_for_staff_only():
        found = pdf_request()
        if found is None:
            return None
        request, lang = found
        user = access.current_user()
        if user is None:
            if rendered(request["year"], request["region"], lang) is not None:
                return None  # the job hands the rendered file over without rendering
            return answer(request["body"], "pdf_not_ready", lang)
        if _running_job(user.username) is not None:
            return answer(request["body"], "pdf_one_at_a_time", lang)
        return None

    @app.server.after_request
    def remember_the_job(response: flask.Response) -> flask.Response:
        user = access.current_user() if response.status_code == 200 else None
        if user is not None and pdf_request() is not None:
            job = (response.get_json(silent=True) or {}).get("job")  # "<pid>~<signature>", made by Dash here
            with contextlib.suppress(ValueError, AttributeError, psutil.Error):
                pid = int(str(job).rpartition("~")[0])
                _job_file(user.username).write_text(f"{pid} {psutil.Process(pid).create_time()}")
        return response


def _job_file(username: str) -> Path:
    folder = render_queue().root / "users"
    folder.mkdir(exist_ok=True)
    return folder / hashlib.sha256(username.encode()).hexdigest()[:24]


def _running_job(username: str) -> int | None:
    """The process id of the PDF job this user started, while it runs."""
    try:
        pid, started = _job_file(username).read_text().split()
        process = psutil.Process(int(pid))
        if process.create_time() == float(started) and process.status() != psutil.STATUS_ZOMBIE:
            return process.pid
    except (OSError, ValueError, psutil.Error):
        pass
    return None


def rendered(year: int, region: str, lang: str = "zh") -> Path | None:
    """The bulletin (in `lang`) of the published warehouse already rendered: in the render cache, or written to the
    exports folder (the scheduled `dem report all [--lang en]`, same file name) after the warehouse was published;
    else None."""
    from dashboard.report.build import default_name

    name = default_name(region, year, lang=lang)
    cached = render_queue().path(RenderRequest(data.identity(), region, year, lang), name)
    if cached.exists():
        return cached
    exported = data.settings().paths.exports / name
    with contextlib.suppress(OSError):
        if exported.stat().st_mtime_ns >= data.identity()[1]:
            return exported
    return None


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
    _CALLBACKS[f"..{download}.data...{result}.children.."] = result

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
