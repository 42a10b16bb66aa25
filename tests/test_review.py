"""The review of loaded batches end to end (dashboard/review): files submitted through the portal, loaded by the
production loader into a real warehouse, reviewed on /review through Dash callbacks as the browser sends them."""

from __future__ import annotations

import json

import pytest
from portal_support import callback, login, portal_app, submit_key, upload

from dashboard import data
from dashboard import ids as shell
from dashboard.portal import ids as pid
from dashboard.review import ids as rid
from dashboard.review import queue
from etl.submissions import load_queued
from indicators.storage import appdb

# 东河区 (a county of 包头市): the same quarter a year apart, tripled — a yoy_change warning on line 3
DONGHE = b"indicator_code,region_code,period,value,unit\nDI-01,150202,2022Q1,100,\xe4\xb8\xaa\n" \
         b"DI-01,150202,2023Q1,300,\xe4\xb8\xaa\n"
DONGHE_FIXED = b"indicator_code,region_code,period,value,unit\nDI-01,150202,2023Q1,130,\xe4\xb8\xaa\n"
QINGSHAN = b"indicator_code,region_code,period,value,unit\nDI-01,150204,2023Q1,50,\xe4\xb8\xaa\n"


@pytest.fixture(scope="module")
def review(tmp_path_factory):
    app, settings, _ = portal_app(tmp_path_factory.mktemp("review"))
    return app, settings


def submitted(app, settings, username: str, content: bytes, region: str) -> int:
    """Upload, submit and load a file as `username`; returns its batch."""
    client = app.server.test_client()
    csrf = login(client, username)
    answer = upload(client, csrf, content, filename=f"{region}.csv", region=region)
    assert answer.status_code == 200 and answer.json["n_errors"] == 0, answer.get_data(as_text=True)
    done = callback(client, csrf, [(pid.RESULT, "children@x"), (pid.SUBMIT, "disabled@y")],
                    [(pid.SUBMIT, "n_clicks", 1)],
                    [(pid.UPLOADED, "data", {"status": 200, **answer.json}), ([], "value", []),
                     (shell.LANG, "data", "en")], key=submit_key(app))
    assert done.status_code == 200
    [outcome] = load_queued(data.catalogue(), settings)
    assert outcome.status == "loaded", outcome.report
    return outcome.batch_id


def press(app, username: str, button: str, batch: int, comment: str = "") -> str:
    """Sign in as `username`, click the batch's row (from the user's queue) and press a button: the answer's text."""
    client = app.server.test_client()
    csrf = login(client, username)
    key = next(k for k in app.callback_map if k.startswith(f"..{rid.RESULT}.children...{rid.QUEUE}.rowData..."))
    clicks = {b: (1 if b == button else None) for b in (rid.APPROVE, rid.ACCEPT, rid.RETURN)}
    body = {"output": key, "outputs": [{"id": rid.RESULT, "property": "children"},
                                       {"id": rid.QUEUE, "property": "rowData"},
                                       {"id": rid.DETAIL, "property": key.split("...")[2].split(".")[1].rstrip(".")}],
            "inputs": [{"id": b, "property": "n_clicks", "value": v} for b, v in clicks.items()],
            "state": [{"id": rid.SELECTED, "property": "data", "value": batch},
                      {"id": rid.COMMENT, "property": "value", "value": comment},
                      {"id": shell.LANG, "property": "data", "value": "en"}],
            "changedPropIds": [f"{button}.n_clicks"]}
    answer = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return json.dumps(answer.json["response"][rid.RESULT], ensure_ascii=False)


def state(settings, batch: int) -> appdb.ReviewState:
    return next(i.state for i in queue.items(settings=settings) if i.batch.batch_id == batch)


def test_a_countys_file_is_approved_by_its_league_once_explained_then_accepted_by_the_bureau(review):
    app, settings = review
    batch = submitted(app, settings, "donghe", DONGHE, "150202")
    found = queue.item(batch)
    assert [(f.line, f.rule) for f in found.batch.flags] == [(3, "yoy_change")]
    assert (found.batch.steps, found.state.status, found.row["rows_new"]) == (("league", "bureau"), "submitted", 2)
    assert batch in [i.batch.batch_id for i in queue.queue(appdb_user(settings, "baotou"))]
    assert batch not in [i.batch.batch_id for i in queue.queue(appdb_user(settings, "analyst"))]
    assert "line(s) 3 are not explained yet" in press(app, "baotou", rid.APPROVE, batch)
    assert state(settings, batch).status == "submitted"
    with appdb.opened(settings.paths.app_db) as con:  # the submitter explains the warning
        appdb.explain(con, found.submission.id, 3, "yoy_change", "新建基站 200 个")
    assert "approved (step 1 league review)" in press(app, "baotou", rid.APPROVE, batch, "核实无误")
    assert (state(settings, batch).status, state(settings, batch).step) == ("approved", 1)
    assert "this step's decision is accept" in press(app, "analyst", rid.APPROVE, batch)
    assert f"Batch {batch} accepted" in press(app, "analyst", rid.ACCEPT, batch)
    assert state(settings, batch).status == "accepted"
    with appdb.opened(settings.paths.app_db) as con:
        trail = [(e["action"], e["actor"], e["target"]) for e in appdb.events(con, 50) if
                 e["action"].startswith("review_")]
        assert trail == [("review_accept", "analyst", f"batch {batch}"), ("review_approve", "baotou", f"batch {batch}")]
        assert appdb.verify_events(con) == []


def appdb_user(settings, name: str) -> appdb.User:
    with appdb.opened(settings.paths.app_db) as con:
        return appdb.user(con, name)


def test_another_leagues_officer_and_the_submitter_are_refused_and_nothing_is_recorded(review):
    app, settings = review
    batch = submitted(app, settings, "baotou", QINGSHAN, "150204")  # the league officer files for its county
    assert "is not of your league 150100" in press(app, "hohhot", rid.APPROVE, batch)
    assert "you cannot review your own submission" in press(app, "baotou", rid.APPROVE, batch)
    assert "reviewed by a league officer" in press(app, "analyst", rid.ACCEPT, batch)
    assert state(settings, batch).decisions == ()


def test_a_returned_file_shows_its_reason_to_the_submitter_and_a_corrected_file_supersedes_it(review):
    app, settings = review
    with appdb.opened(settings.paths.app_db) as con:
        before = {s.batch_id for s in appdb.submissions(con, username="donghe")}
    batch = next(b for b in before if state(settings, b).status == "accepted")
    wrong = submitted(app, settings, "donghe", DONGHE.replace(b"300", b"310").replace(b"100,", b"101,"), "150202")
    assert "a return needs a reason" in press(app, "baotou", rid.RETURN, wrong)
    assert "returned: 2023Q1 数值有误" in press(app, "baotou", rid.RETURN, wrong, "2023Q1 数值有误")
    client = app.server.test_client()
    csrf = login(client, "donghe")
    listed = callback(client, csrf, [(pid.LIST, "rowData")], [(pid.TICK, "n_intervals", 1)],
                      [(shell.LANG, "data", "en")]).json["response"][pid.LIST]["rowData"]
    shown = {r["submission_id"]: r["review"] for r in listed}
    assert "returned: 2023Q1 数值有误" in shown.values() and "accepted" in shown.values()
    fixed = submitted(app, settings, "donghe", DONGHE_FIXED, "150202")
    assert (state(settings, wrong).status, state(settings, wrong).superseded_by) == ("superseded", fixed)
    assert state(settings, fixed).status == "submitted" and state(settings, batch).status == "accepted"
    from dashboard.review import page  # a Dash page: imported once the app exists

    assert f"returned, corrected by batch {fixed}" in page.review_text(page.states_by_batch(), wrong, "en")


def test_an_anonymous_visitor_is_sent_to_the_login_page(review):
    app, _ = review
    from dashboard.review import page

    with app.server.test_request_context("/review"):
        answer = page.layout()
    assert "/login?next=%2Freview" in json.dumps(answer.to_plotly_json(), default=str)
