"""The whole way of a figure to the public, as the issue lists it: a county officer submits through the portal, the
file loads — and is not public; the league's approval is refused until the warning is explained; explained,
approved, accepted — still not public before the release time; the scheduled job at the release time — public, on
the page and in the export; a revision of it is refused acceptance without a reason, accepted with one, published
by a correction with old → new and the reason on /revisions; the audit trail holds every step and still verifies.
Real portal, loader, warehouses and application database; Dash callbacks over HTTP as the browser sends them."""

from __future__ import annotations

import json

import pytest
from helpers import run_dem
from portal_support import portal_app
from test_attacks import explain_request, route_request
from test_review import DONGHE, DONGHE_FIXED, press, submitted

from dashboard import data
from dashboard.review import ids as rid
from dashboard.review import queue
from etl import release as etl_release
from indicators.base.releases import parse_time
from indicators.storage import appdb, warehouse

KEY = ("DI-01", "150202", "2023Q1")  # 东河区's 5G base stations, 2023Q1


@pytest.fixture
def flow(tmp_path, monkeypatch, config_copy):
    monkeypatch.setenv("DEM_CONFIG", str(config_copy))
    (config_copy / "releases.csv").write_text(
        "release_id,release_at,periods,title_zh,title_en\n"
        "R2023Q1,2025-07-01 09:30,2022*;2023Q1,2023年一季度,2023 Q1\n"
        "R2023Q2,2025-10-01 09:30,2023Q2,2023年二季度,2023 Q2\n", encoding="utf-8")
    app, settings, _ = portal_app(tmp_path)
    return app, settings


def public(settings, key=KEY):
    path = warehouse.public_path(settings.paths.warehouse)
    with warehouse.reader(path) as con:
        row = warehouse.first_row(con, "SELECT value FROM current_observations WHERE indicator_code = ? AND "
                                       "region_code = ? AND period = ?", list(key))
    return row[0] if row else None


def anonymous_sees(app) -> str:
    client = app.server.test_client()
    client.get("/")
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get_cookie("_csrf_token").value
    answer = client.post("/_dash-update-component", json=explain_request("|".join(KEY)))
    assert answer.status_code == 200
    return json.dumps(answer.json, ensure_ascii=False)


def test_a_figure_goes_public_only_through_review_and_release_and_a_revision_of_it_with_its_reason(flow, tmp_path):
    app, settings = flow
    cat = data.catalogue()
    batch = submitted(app, settings, "donghe", DONGHE, "150202")
    assert public(settings) is None and "无数值" in anonymous_sees(app)  # loaded, not public

    assert "not explained yet" in press(app, "baotou", rid.APPROVE, batch)
    with appdb.opened(settings.paths.app_db) as con:
        appdb.explain(con, queue.item(batch).submission.id, 3, "yoy_change", "新建基站 200 个")
    press(app, "baotou", rid.APPROVE, batch, "核实无误")
    press(app, "analyst", rid.ACCEPT, batch)
    assert queue.item(batch).state.status == "accepted"

    assert etl_release.due(cat, settings, now=parse_time("2025-07-01 09:29")) == []
    assert public(settings) is None and "无数值" in anonymous_sees(app)  # accepted, before the release time
    [done] = etl_release.due(cat, settings, now=parse_time("2025-07-01 09:30"))
    assert done.release_id == "R2023Q1" and done.batches == [batch]
    assert public(settings) == 300.0 and "无数值" not in anonymous_sees(app)
    out = tmp_path / "export.csv"
    assert run_dem("data", "export", "--out", str(out), db=settings.paths.warehouse).returncode == 0
    assert "150202" in out.read_text(encoding="utf-8-sig")

    fixed = submitted(app, settings, "donghe", DONGHE_FIXED, "150202")
    press(app, "baotou", rid.APPROVE, fixed)
    assert "revises released values" in press(app, "analyst", rid.ACCEPT, fixed)  # no reason yet
    press(app, "analyst", rid.ACCEPT, fixed, "县统计局复核更正 checked by the county bureau")
    assert public(settings) == 300.0  # accepted: public with the next release, or now as a correction
    correction = etl_release.correct(fixed, "复核更正 corrected after checking", cat, settings, "root")
    assert correction.revising == 1 and public(settings) == 130.0
    data.configure(settings)  # the app reads the new public warehouse (a fresh state: no cached page)
    client = app.server.test_client()
    client.get("/")
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get_cookie("_csrf_token").value
    page = json.dumps(client.post("/_dash-update-component", json=route_request("/revisions")).json,
                      ensure_ascii=False)
    assert "东河区" in page and "复核更正 corrected after checking" in page and "300" in page and "130" in page

    with appdb.opened(settings.paths.app_db) as con:
        actions = [e["action"] for e in reversed(appdb.events(con))]
        assert appdb.verify_events(con) == []
    for expected in ("submit", "review_approve", "review_accept", "release", "release_correction"):
        assert expected in actions, expected
