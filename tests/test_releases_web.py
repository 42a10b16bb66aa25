"""The embargo on the web (plain HTTP, as a script would try it; the demo warehouse, whose 2024Q4 is accepted but
not released): anonymous visitors and officers read the public warehouse only — a value of an unreleased period is
"无数值" to them — while an analyst may switch to preliminary values, marked on every page; the switch is a CSRF-
protected POST refused to anyone else; /releases and /revisions are public."""

from __future__ import annotations

import json

import pytest
from helpers import add_user, browser_like, log_in
from test_attacks import explain_request, route_request

from dashboard import ids
from indicators.storage import appdb, warehouse

DISPATCH = "/_dash-update-component"
UNRELEASED = ("ID-10", "150200", "2024M12")  # 包头市's value in the demo's unreleased month


def working_value(db) -> float:
    with warehouse.reader(db) as con:
        return con.execute("SELECT value FROM current_observations WHERE indicator_code = ? AND region_code = ? "
                           "AND period = ?", list(UNRELEASED)).fetchone()[0]


def provenance(client, key=UNRELEASED) -> str:
    answer = client.post(DISPATCH, json=explain_request("|".join(key)))
    assert answer.status_code == 200, answer.get_data(as_text=True)[-500:]
    return json.dumps(answer.json, ensure_ascii=False)


def page(client, path: str) -> str:
    answer = client.post(DISPATCH, json=route_request(path))
    assert answer.status_code == 200
    return json.dumps(answer.json, ensure_ascii=False)


def switch(client, on: bool):
    token = client.get_cookie("_csrf_token").value
    return client.post("/_dem/preliminary", data={"on": "1" if on else "0", "next": "/", "csrf_token": token})


@pytest.fixture
def signed_in(auth_app):
    app, settings = auth_app
    add_user(settings.paths.app_db, "li", "analyst")
    add_user(settings.paths.app_db, "baotou", "officer", "150200")

    def client_of(name: str | None):
        client = browser_like(app.server.test_client())
        if name:
            assert log_in(client, name).status_code == 303
            browser_like(client)
        return client

    return app, settings, client_of


def test_a_value_of_an_unreleased_period_is_no_value_to_anonymous_visitors_and_officers(signed_in):
    app, settings, client_of = signed_in
    value = working_value(settings.paths.warehouse)
    for client in (client_of(None), client_of("baotou"), client_of("li")):  # the analyst too, until switched on
        shown = provenance(client)
        assert "无数值" in shown and f"{value:,.0f}" not in shown and ids.PRELIMINARY_BANNER not in page(client, "/")
    released = provenance(client_of(None), ("ID-10", "150200", "2024M11"))
    assert "无数值" not in released


def test_an_analyst_who_switches_on_preliminary_values_sees_them_on_every_page_under_a_banner(signed_in):
    app, settings, client_of = signed_in
    client = client_of("li")
    assert client.get("/_dem/status").json["layer"] == "public"
    assert switch(client, True).status_code == 303
    status = client.get("/_dem/status").json
    assert (status["layer"], status["warehouse"]) == ("preliminary", str(settings.paths.warehouse))
    assert "无数值" not in provenance(client)
    for path in ("/", "/map", "/releases"):
        assert ids.PRELIMINARY_BANNER in page(client, path)
    assert switch(client, False).status_code == 303 and "无数值" in provenance(client)
    with appdb.opened(settings.paths.app_db) as con:
        actions = [e["action"] for e in appdb.events(con) if e["actor"] == "li"]
    assert {"preliminary_on", "preliminary_off"} <= set(actions)
    assert "无数值" in provenance(client_of(None))  # anonymous visitors never follow the analyst's switch


def test_the_switch_is_refused_to_anonymous_visitors_officers_and_requests_without_the_csrf_token(signed_in):
    app, settings, client_of = signed_in
    assert switch(client_of(None), True).status_code == 403
    officer = client_of("baotou")
    assert switch(officer, True).status_code == 403 and "无数值" in provenance(officer)
    analyst = client_of("li")
    del analyst.environ_base["HTTP_X_CSRFTOKEN"]
    forged = analyst.post("/_dem/preliminary", data={"on": "1", "next": "/"})
    assert forged.status_code == 400
    assert analyst.get("/_dem/status").json["layer"] == "public"


def test_the_release_calendar_and_the_revisions_are_public(signed_in):
    app, settings, client_of = signed_in
    shown = page(client_of(None), "/releases")
    assert "R2024M12" in shown and "2027-01-20 09:30" in shown and "R2024Q4" in shown
    assert "已发布数据的修订记录" in shown
    assert "已发布的数据尚无修订" in page(client_of(None), "/revisions")


def test_a_download_from_the_preliminary_layer_is_named_and_marked_so(signed_in, monkeypatch):
    import base64

    from dashboard import data
    from dashboard.pages import indicator

    public = indicator.download(1, ["150200"], "/indicator/ID-10", "zh")
    monkeypatch.setattr(data, "_layer_of", lambda: data.PRELIMINARY)  # what the analyst's switch selects
    preliminary = indicator.download(1, ["150200"], "/indicator/ID-10", "zh")
    assert (public["filename"], preliminary["filename"]) == ("ID-10.csv", "ID-10-preliminary.csv")
    text = base64.b64decode(preliminary["content"]).decode("utf-8-sig")
    assert "初步 · 未发布" in text and "not for quoting" in text
    assert "初步" not in base64.b64decode(public["content"]).decode("utf-8-sig")


def test_before_the_first_release_the_public_pages_say_nothing_is_released_yet(signed_in, tmp_path):
    from helpers import SUBMISSIONS, make_warehouse

    from dashboard import data

    app, settings, client_of = signed_in
    db = make_warehouse(tmp_path, files=[SUBMISSIONS / "base" / "base.csv"], release=False)
    data.configure(settings.with_overrides(paths_warehouse=db))
    shown = page(client_of(None), "/")
    assert "尚未发布任何数据" in shown and "Nothing has been released yet" in shown and "dem demo build" not in shown


def test_a_bulletin_rendered_on_demand_reads_the_public_warehouse_whoever_asks(signed_in, monkeypatch, tmp_path):
    from concurrent.futures import Future

    from dashboard import data, downloads
    from dashboard.renders import RenderRequest

    asked = []

    class Recorder:  # stands in for the spawned process: records what the render would read
        def __init__(self, **_kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *_exc):
            return False

        def submit(self, _fn, settings, year, **kwargs):
            asked.append((settings.paths.warehouse, year, kwargs["region"]))
            done = Future()
            done.set_result(None)
            return done

    monkeypatch.setattr(downloads, "ProcessPoolExecutor", Recorder)
    monkeypatch.setattr(data, "_layer_of", lambda: data.PRELIMINARY)  # even an analyst reading preliminary values
    downloads.build(RenderRequest(data.identity(), "150000", 2024), tmp_path / "out.pdf")
    assert asked == [(warehouse.public_path(data.settings().paths.warehouse), 2024, "150000")]


def test_the_intake_pages_show_every_batch_released_or_not_whatever_the_layer(signed_in, tmp_path):
    """The quality page and the reporting calendar are about what arrived: a rejected file and a batch not yet
    released are on them for an analyst reading the public layer (the default) — the public pages still lack both."""
    from helpers import SUBMISSIONS, load, make_warehouse

    from dashboard import data

    app, settings, client_of = signed_in
    db = make_warehouse(tmp_path, files=[SUBMISSIONS / "base" / "base.csv"])  # released
    load(db, [SUBMISSIONS / "bad" / "bad-period.csv", SUBMISSIONS / "good" / "long-utf8-en-formA-plain-lf.csv"])
    data.configure(settings.with_overrides(paths_warehouse=db))
    analyst = client_of("li")
    assert analyst.get("/_dem/status").json["layer"] == "public"
    quality = page(analyst, "/quality")
    assert "bad-period.csv" in quality and "long-utf8-en-formA-plain-lf.csv" in quality
    with warehouse.reader(warehouse.public_path(db)) as con:
        public_files = {f for (f,) in con.execute("SELECT file_name FROM batches").fetchall()}
    assert "bad-period.csv" not in public_files and "long-utf8-en-formA-plain-lf.csv" not in public_files
