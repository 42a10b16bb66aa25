"""The monitoring bulletin (PDF) from the browser: built in a background process by a Dash background callback —
the same `build_report` as `dem report pdf` — while the button is disabled and a status line says it is running.

Background jobs run through a DiskcacheManager: the job runs in its own process (so a 5–10 s render never holds a
gunicorn worker) and its result travels through a disk cache shared by all workers.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import dash
from dash import DiskcacheManager, Input, Output, State, dcc, html

from dashboard import data, ids
from dashboard.i18n import t


def manager() -> DiskcacheManager:
    """One job cache per warehouse path, shared by the gunicorn workers serving it."""
    import hashlib

    import diskcache

    key = hashlib.sha256(str(data.settings().paths.warehouse).encode()).hexdigest()[:12]
    return DiskcacheManager(diskcache.Cache(str(Path(tempfile.gettempdir()) / f"dem-dash-jobs-{key}")))


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


def register(page: str, year_id: str) -> None:
    """The background callback of one page's PDF button (ids are page-scoped, so each page registers its own)."""
    button, running, result, download, store = _ids(page)

    @dash.callback(Output(download, "data"), Output(result, "children"),
                   Input(button, "n_clicks"), State(year_id, "value"), State(store, "data"), State(ids.LANG, "data"),
                   background=True, prevent_initial_call=True,
                   running=[(Output(button, "disabled"), True, False),
                            (Output(running, "children"), t("pdf_running", "zh") + " | " + t("pdf_running", "en"),
                             "")])
    def make_pdf(clicks, year, region, lang):
        from dashboard.report.build import build_report, default_name

        lang = lang if lang in ("zh", "en") else "zh"
        if not clicks or not year:
            return dash.no_update, ""
        out = Path(tempfile.mkdtemp(prefix="dem-report-")) / default_name(region, int(year))
        try:
            build_report(data.settings(), int(year), region=region, out=out)
        except Exception as exc:  # shown to the user; the server log has the traceback
            return dash.no_update, f"{t('pdf_failed', lang)}: {exc}"
        return dcc.send_file(str(out), filename=out.name), t("pdf_ready", lang)
