"""Explaining a warning after submitting (/submissions, dashboard/portal/explanations.py): files submitted through the
portal, loaded by the production loader into a real warehouse, explained and reviewed through Dash callbacks as the
browser sends them."""

from __future__ import annotations

import json

import pytest
from portal_support import callback, login, portal_app
from test_review import press, state, submitted

from dashboard import ids as shell
from dashboard.portal import ids as pid
from dashboard.review import ids as rid
from indicators.storage import appdb


def donghe(quarter: int) -> bytes:
    """东河区 (a county of 包头市): the same quarter a year apart, tripled — a yoy_change warning on line 3."""
    return (f"indicator_code,region_code,period,value,unit\nDI-01,150202,2022Q{quarter},100,个\n"
            f"DI-01,150202,2023Q{quarter},300,个\n").encode()


@pytest.fixture(scope="module")
def review(tmp_path_factory):
    app, settings, _ = portal_app(tmp_path_factory.mktemp("explain"))
    return app, settings


def submission_of(settings, batch: int) -> int:
    with appdb.opened(settings.paths.app_db) as con:
        return appdb.submission_of_batch(con, batch).id


def opened(app, username: str, submission: int) -> str:
    """Sign in as `username`, click the submission's row on /submissions: the detail shown, as JSON."""
    client = app.server.test_client()
    csrf = login(client, username)
    answer = callback(client, csrf, [(pid.DETAIL, "children")],
                      [(pid.LIST, "cellClicked", {"rowIndex": 0, "colId": "filename", "rowId": str(submission)})],
                      [(shell.LANG, "data", "en")])
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return json.dumps(answer.json["response"][pid.DETAIL], ensure_ascii=False)


def save(app, username: str, submission: int, texts: dict[str, str]) -> str:
    """Sign in as `username` and press Save with the boxes `texts` ({"3|yoy_change": text}): the answer's text."""
    client = app.server.test_client()
    csrf = login(client, username)
    boxes = [{"type": pid.EXPLAIN_LATER, "key": key} for key in texts]
    answer = callback(client, csrf, [(pid.EXPLAIN_RESULT, "children")], [(pid.EXPLAIN_SAVE, "n_clicks", 1)],
                      [(pid.EXPLAINING, "data", submission), (boxes, "value", list(texts.values())),
                       (shell.LANG, "data", "en")])
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return json.dumps(answer.json["response"][pid.EXPLAIN_RESULT], ensure_ascii=False)


def explained(settings, submission: int) -> list[tuple]:
    with appdb.opened(settings.paths.app_db) as con:
        return [(e["line"], e["rule"], e["text"]) for e in appdb.explanations(con, submission)]


def explain_events(settings) -> list[tuple]:
    with appdb.opened(settings.paths.app_db) as con:
        return [(e["actor"], e["target"], e["detail"]) for e in reversed(appdb.events(con, 200))
                if e["action"] == "explain"]


def test_the_submitter_explains_a_warning_after_loading_and_the_league_officer_can_then_approve(review):
    app, settings = review
    batch = submitted(app, settings, "donghe", donghe(1), "150202")
    submission = submission_of(settings, batch)
    assert "line(s) 3 are not explained yet" in press(app, "baotou", rid.APPROVE, batch)
    shown = opened(app, "donghe", submission)
    assert pid.EXPLAIN_SAVE in shown and '"key": "3|yoy_change"' in shown and "not explained yet" in shown
    assert "1 explanation(s) saved" in save(app, "donghe", submission, {"3|yoy_change": " 新建基站 200 个 "})
    assert explained(settings, submission) == [(3, "yoy_change", "新建基站 200 个")]
    assert explain_events(settings)[-1] == ("donghe", f"submission {submission}", f"batch {batch}: line 3 yoy_change")
    assert "新建基站 200 个" in opened(app, "donghe", submission)  # the box now holds the explanation
    assert "approved (step 1 league review)" in press(app, "baotou", rid.APPROVE, batch)
    assert "0 explanation(s) saved" in save(app, "donghe", submission, {"3|yoy_change": "新建基站 200 个"})
    assert f"Batch {batch} accepted" in press(app, "analyst", rid.ACCEPT, batch)
    assert state(settings, batch).status == "accepted"
    assert pid.EXPLAIN_SAVE not in opened(app, "donghe", submission)  # accepted: nothing left to explain
    assert "only of your own submission" in save(app, "donghe", submission, {"3|yoy_change": "改"})
    assert explained(settings, submission) == [(3, "yoy_change", "新建基站 200 个")]
    with appdb.opened(settings.paths.app_db) as con:
        assert appdb.verify_events(con) == []


@pytest.fixture(scope="module")
def unexplained(review) -> int:
    """A batch of donghe's with its warning unexplained."""
    return submitted(*review, "donghe", donghe(2), "150202")


@pytest.mark.parametrize("someone", ["baotou", "analyst", "hohhot"])
def test_nobody_but_the_submitter_can_explain_a_submission_and_nothing_is_stored(review, unexplained, someone):
    app, settings = review
    submission = submission_of(settings, unexplained)
    before = explain_events(settings)
    assert pid.EXPLAIN_SAVE not in opened(app, someone, submission)
    assert "only of your own submission" in save(app, someone, submission, {"3|yoy_change": "我替他说明"})
    assert explained(settings, submission) == [] and explain_events(settings) == before
    assert "line(s) 3 are not explained yet" in press(app, "baotou", rid.APPROVE, unexplained)


def test_a_line_or_rule_the_batch_does_not_have_is_not_stored(review):
    app, settings = review
    batch = submitted(app, settings, "donghe", donghe(3), "150202")
    submission = submission_of(settings, batch)
    answer = save(app, "donghe", submission, {"2|yoy_change": "第 2 行没有警告", "3|peer_outlier": "规则不对",
                                              "99|yoy_change": "没有这一行", "3|yoy_change": ""})
    assert "0 explanation(s) saved" in answer
    assert explained(settings, submission) == []
    assert f"submission {submission}" not in [target for _, target, _ in explain_events(settings)]
    assert "line(s) 3 are not explained yet" in press(app, "baotou", rid.APPROVE, batch)
