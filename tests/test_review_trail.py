"""The trail per value in the provenance panel (dashboard/review/trail.py): analysts and admins see, for each batch
that supplied a value, who submitted it (or that it came from the inbox), each review decision and where the review
stands, and the release that made it public; officers and anonymous visitors do not."""

from __future__ import annotations

import json

import pytest
from helpers import SUBMISSIONS, release_all
from portal_support import DISPATCH, PASSWORD, login, portal_app
from test_review import DONGHE, submitted

from dashboard import ids, inputs
from dashboard.auth import accounts
from dashboard.review import queue
from indicators.storage import appdb

INBOX_FILE = SUBMISSIONS / "good" / "long-utf8-en-formA-plain-lf.csv"  # 呼和浩特市's GDP, 包头市's 5G base stations…


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    """A warehouse built from an inbox file (batch 1, accepted and released as T1 by the fixture), then 东河区's file
    submitted by its officer, its warning explained, approved by 包头市's officer with a comment, accepted by the
    analyst and released (T2)."""
    app, settings, _ = portal_app(tmp_path_factory.mktemp("trail"), files=[INBOX_FILE])
    with appdb.opened(settings.paths.app_db) as con:
        appdb.add_user(con, "admin", "admin", None, accounts.hash_password(PASSWORD))
    batch = submitted(app, settings, "donghe", DONGHE, "150202")
    with appdb.opened(settings.paths.app_db) as con:
        appdb.explain(con, queue.item(batch).submission.id, 3, "yoy_change", "新建基站 200 个")
        baotou, analyst = appdb.user(con, "baotou"), appdb.user(con, "analyst")
    assert not isinstance(queue.decide(baotou, batch, "approve", "核实无误", "127.0.0.1"), queue.policy.Refusal)
    assert not isinstance(queue.decide(analyst, batch, "accept", None, "127.0.0.1"), queue.policy.Refusal)
    assert release_all(settings.paths.warehouse) == "T2"
    return app, batch


def panel(app, key: str, username: str | None = None) -> str:
    """The provenance panel's text after the ⓘ of `key` (code|region|period) is pressed, signed in or not."""
    client = app.server.test_client()
    if username:
        csrf = login(client, username)
    else:
        client.get("/")
        csrf = client.get_cookie("_csrf_token").value
    name = next(k for k, v in app.callback_map.items() if v["inputs"][0]["id"].startswith('{"key"'))
    button = {"type": ids.EXPLAIN, "key": key}
    body = {"output": name, "outputs": {"id": ids.PROVENANCE, "property": name.split(".", 1)[1]},
            "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
            "state": [{"id": ids.LANG, "property": "data", "value": "en"}],
            "changedPropIds": [inputs.canonical_id(button) + ".n_clicks"]}
    answer = client.post(DISPATCH, json=body, headers={"X-CSRFToken": csrf})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return json.dumps(answer.json["response"][ids.PROVENANCE], ensure_ascii=False)


@pytest.mark.parametrize("username", ["analyst", "admin"])
def test_an_analysts_provenance_of_a_reviewed_value_names_the_submitter_and_every_decision(reviewed, username):
    app, batch = reviewed
    shown = panel(app, "DI-01|150202|2023Q1", username)
    assert "审核记录 review trail:" in shown
    assert f"批次 batch {batch} · 报送 submitted by donghe · 20" in shown and " UTC (portal)" in shown
    assert "盟市审核 league review · 审核通过 approve · baotou · " in shown and "· 核实无误" in shown
    assert "自治区局接收 bureau acceptance · 接收 accept · analyst · " in shown
    assert "状态 state: 已接收 | accepted" in shown
    assert "发布 released: T2 (20" in shown and "UTC, 2022Q1;2023Q1)" in shown


def test_a_value_from_an_inbox_file_shows_it_came_from_the_inbox_and_the_release_that_made_it_public(reviewed):
    app, _ = reviewed
    shown = panel(app, "CX-01|150100|2023", "analyst")
    assert "批次 batch 1 · 报送 submitted by 收件箱文件 inbox file" in shown
    assert "接收 accept · test · " in shown and "状态 state: 已接收 | accepted" in shown
    assert "发布 released: T1 (" in shown
    aggregate = panel(app, "DI-01|150000|2023Q1", "analyst")  # the region's sum: the trail of its inputs' batches
    assert "units of the level below" in aggregate and "批次 batch 1 · 报送 submitted by 收件箱文件 inbox file" in aggregate


@pytest.mark.parametrize("username", ["baotou", "donghe", None])
def test_officers_and_anonymous_visitors_do_not_see_the_trail(reviewed, username):
    app, batch = reviewed
    shown = panel(app, "DI-01|150202|2023Q1", username)
    assert "5G" in shown and "review trail" not in shown and "submitted by" not in shown and "baotou" not in shown
    assert (f", batch {batch}." in shown) == (username is not None)  # file and batch: signed-in users only, as before
