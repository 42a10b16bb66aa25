"""The /calendar page in-process (Flask test client, real demo warehouse): anonymous visitors are sent to the login
page, an officer sees their league and its counties only, the bureau every unit, and the overdue list downloads
as CSV."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
from datetime import date

import pytest

from dashboard import data
from dashboard.auth import access
from indicators.storage.appdb import User


def cal():
    """The page module, imported once the app exists (a page registers itself with the app)."""
    from dashboard.pages import calendar

    return calendar


def user(role: str, region: str | None = None) -> User:
    return User(1, f"test-{role}", role, region, False, False, 0, "2026-01-01T00:00:00Z")


@pytest.fixture(scope="module")
def client(demo_warehouse):
    """One app per process (pages register their callbacks into the first app created)."""
    os.environ.setdefault("DEM_TODAY", "2026-11-27")
    import dash
    from dash.exceptions import AppNotFoundError

    from dashboard.app import create_app
    from indicators.base.settings import load_settings

    settings = load_settings().with_overrides(paths_warehouse=demo_warehouse).at(date(2026, 11, 27))
    try:
        app = dash.get_app()
    except AppNotFoundError:
        app = create_app(settings)
    data.configure(settings)  # the clock of the demo data, whatever an earlier test left configured
    test_client = app.server.test_client()
    assert test_client.get("/").status_code == 200
    yield test_client
    data.configure(db=demo_warehouse)


def call(client, outputs: list[tuple[str, str]], inputs: list[tuple], state: list[tuple] = ()) -> dict:
    """POST a callback as the browser does, with the CSRF token the HTML page set as a cookie."""
    cookie = client.get_cookie("_csrf_token")
    headers = {"X-CSRFToken": cookie.value} if cookie else {}
    name = (f"{outputs[0][0]}.{outputs[0][1]}" if len(outputs) == 1
            else ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..")
    body = {"output": name, "outputs": [{"id": i, "property": p} for i, p in outputs] if len(outputs) > 1
            else {"id": outputs[0][0], "property": outputs[0][1]},
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
            "state": [{"id": i, "property": p, "value": v} for i, p, v in state], "changedPropIds": []}
    response = client.post("/_dash-update-component", json=body, headers=headers)
    assert response.status_code == 200, response.data[-2000:]
    return response.json["response"]


def page(client, search: str = "") -> str:
    response = call(client, [("_pages_content", "children"), ("_pages_store", "data")],
                    [("_pages_location", "pathname", "/calendar"), ("_pages_location", "search", search)])
    return json.dumps(response, ensure_ascii=False)


def update(client, status: str = "", unit: str = "", lang: str = "zh") -> str:
    response = call(client, [(cal().COUNTS, "children"), (cal().UNITS, "children"), (cal().TABLE, "children")],
                    [(cal().STATUS, "value", status), (cal().UNIT, "value", unit)],
                    [("lang", "data", lang)])
    return json.dumps(response, ensure_ascii=False)


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, monkeypatch):
    monkeypatch.setattr(access, "current_user", lambda: None)
    text = page(client)
    assert "/login?next=%2Fcalendar" in text and "login-redirect" in text
    assert cal().TABLE not in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_officer_sees_the_calendar_of_their_league_and_its_counties_only(client, monkeypatch, lang):
    monkeypatch.setattr(access, "current_user", lambda: user("officer", "152500"))
    text = page(client, "?status=overdue" + ("&lang=en" if lang == "en" else ""))
    assert cal().TABLE in text and ("Reporting calendar" if lang == "en" else "报送日历") in text
    # Xilinhot offered as a unit, Hohhot not (the header's search names every place: look at the options' values)
    assert '"value": "152502"' in text and '"value": "150100"' not in text
    view = update(client, status="overdue", lang=lang)
    assert ("overdue" if lang == "en" else "逾期未报") in view
    shown = {row["region_code"] for part in json.loads(view)[cal().TABLE]["children"]
             if isinstance(part, dict) and part.get("type") == "AgGrid" for row in part["props"]["rowData"]}
    assert shown and {code[:4] for code in shown} == {"1525"}


def test_an_officer_cannot_ask_for_another_leagues_units(client, monkeypatch):
    monkeypatch.setattr(access, "current_user", lambda: user("officer", "152500"))
    cookie = client.get_cookie("_csrf_token")
    body = {"output": f"..{cal().COUNTS}.children...{cal().UNITS}.children...{cal().TABLE}.children..",
            "outputs": [{"id": i, "property": "children"} for i in (cal().COUNTS, cal().UNITS, cal().TABLE)],
            "inputs": [{"id": cal().STATUS, "property": "value", "value": ""},
                       {"id": cal().UNIT, "property": "value", "value": "150100"}],
            "state": [{"id": "lang", "property": "data", "value": "zh"}], "changedPropIds": []}
    response = client.post("/_dash-update-component", json=body,
                           headers={"X-CSRFToken": cookie.value} if cookie else {})
    assert response.status_code == 204 and b"150100" not in response.data  # a value no control offers: no answer


def test_the_bureau_sees_every_unit_and_downloads_the_overdue_list(client, monkeypatch):
    monkeypatch.setattr(access, "current_user", lambda: user("analyst"))
    view = json.loads(update(client))
    assert len(view[cal().UNITS]["children"]["props"]["rowData"]) == 115  # 12 leagues and 103 counties
    response = call(client, [(cal().DOWNLOAD, "data")], [(cal().DOWNLOAD_BUTTON, "n_clicks", 1)],
                    [(cal().UNIT, "value", "152500"), ("lang", "data", "zh")])
    sent = response[cal().DOWNLOAD]["data"]
    assert sent["filename"] == "overdue_152500_2026-11-27.csv"
    raw = base64.b64decode(sent["content"]) if sent.get("base64") else sent["content"].encode()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, as every CSV of the system
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows and {r["status"] for r in rows} <= {"overdue", "rejected"}
    assert {r["region_code"][:4] for r in rows} == {"1525"} and all(int(r["days_overdue"]) > 0 for r in rows)
