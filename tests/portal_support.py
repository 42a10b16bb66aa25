"""Shared by tests/test_portal.py and tests/test_api.py: one app for the process (pages register their callbacks
once), a real warehouse and application database under tmp, accounts made directly in the database."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import dash
from dash.exceptions import AppNotFoundError
from helpers import make_warehouse, settings_for

from dashboard import data
from dashboard.auth import accounts
from indicators.storage import appdb

PASSWORD = "correct horse battery staple"
DISPATCH = "/_dash-update-component"
BAOTOU_FILE = b"indicator_code,region_code,period,value,unit\nDI-01,150200,2023Q1,12000,\xe4\xb8\xaa\n"
HOHHOT_ROWS = b"indicator_code,region_code,period,value,unit\nDI-01,150200,2023Q1,12000,\xe4\xb8\xaa\n" \
              b"DI-01,150100,2023Q1,9000,\xe4\xb8\xaa\n"
BAD_PERIOD = b"indicator_code,region_code,period,value,unit\nDI-01,150200,2023Q1,12000,\xe4\xb8\xaa\n" \
             b"DI-01,150200,2023-13,110,\xe4\xb8\xaa\n"


def portal_app(folder: Path, files: Iterable[Path] = ()):
    """The process's app configured for a fresh warehouse (built from `files`) and app database in `folder`, with
    the officers of 包头市 (baotou), 呼和浩特市 (hohhot) and two counties of 包头市 (donghe 东河区, qingshan 青山区),
    an analyst and their API tokens.
    Returns (app, settings, tokens)."""
    os.environ.setdefault("DEM_TODAY", "2025-06-01")
    db = make_warehouse(folder, files)
    settings = settings_for(db)
    from dashboard.app import create_app

    try:
        app = dash.get_app()
    except AppNotFoundError:
        app = create_app(settings=settings)
    data.configure(settings=settings)
    tokens = {}
    with appdb.opened(settings.paths.app_db) as con:
        for name, role, region in (("baotou", "officer", "150200"), ("analyst", "analyst", None),
                                   ("hohhot", "officer", "150100"), ("donghe", "officer", "150202"),
                                   ("qingshan", "officer", "150204")):
            appdb.add_user(con, name, role, region, accounts.hash_password(PASSWORD))
            tokens[name] = accounts.new_token(con, name)
    return app, settings, tokens


def login(client, username: str) -> str:
    """Sign in through the login page; returns the CSRF token the pages' requests carry. The login throttle's
    counts (kept per process, all tests coming from one address) start from zero, whatever tests ran before."""
    dash.get_app().server.extensions["dem_login_limiter"].reset()
    client.get("/login")
    token = client.get_cookie("_csrf_token").value
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token,
                                           "next": "/submit"})
    assert response.status_code == 303, response.get_data(as_text=True)
    client.get("/")
    return client.get_cookie("_csrf_token").value


def upload(client, csrf: str, content: bytes, filename: str = "baotou.csv", region: str = "150200",
           period: str = "2023Q1"):
    import io

    return client.post("/portal/upload", data={"file": (io.BytesIO(content), filename), "region": region,
                                               "period": period},
                       headers={"X-CSRFToken": csrf}, content_type="multipart/form-data")


def callback(client, csrf: str, outputs: list[tuple], inputs_: list[tuple], state: list[tuple] = (),
             key: str | None = None):
    """A Dash callback request as the browser sends it."""
    def item(component_id, prop, value):
        if isinstance(component_id, list):
            return [{"id": i, "property": prop, "value": v} for i, v in zip(component_id, value, strict=True)]
        return {"id": component_id, "property": prop, "value": value}

    spec = [{"id": i, "property": p} for i, p in outputs]
    if key is not None:  # outputs allowing duplicates: their property is named with Dash's hash
        spec = [{"id": i, "property": part.rsplit(".", 1)[1]} for (i, _), part in
                zip(outputs, key.strip(".").split("..."), strict=True)]
    if key is None:
        key = f"{outputs[0][0]}.{outputs[0][1]}" if len(outputs) == 1 else \
            ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."
    body = {"output": key, "outputs": spec if len(spec) > 1 else spec[0], "inputs": [item(*x) for x in inputs_],
            "state": [item(*x) for x in state], "changedPropIds": [f"{inputs_[0][0]}.{inputs_[0][1]}"]}
    return client.post(DISPATCH, json=body, headers={"X-CSRFToken": csrf})


def submit_key(app) -> str:
    """Dash's name of the submit callback (its outputs allow duplicates)."""
    return next(k for k in app.callback_map if k.startswith("..portal-result.children@"))
