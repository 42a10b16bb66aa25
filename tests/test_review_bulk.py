"""Bulk decisions on /review (dashboard/review): a reviewer ticks rows of the queue — by hand or every row of a
period — and approves (accepts, at the bureau step) or returns them in one click; each batch still goes through the
policy on its own, refused ones are listed with their reasons, the others recorded with one audit row each."""

from __future__ import annotations

import json

import pytest
from portal_support import DISPATCH, callback, login, portal_app
from test_review import DONGHE, QINGSHAN, submitted

from dashboard import ids as shell
from dashboard.review import ids as rid
from dashboard.review import queue
from indicators.storage import appdb


@pytest.fixture(scope="module")
def league(tmp_path_factory):
    """Two county batches of 包头市 (150200): 东河区's with an unexplained warning on line 3 (periods 2022Q1 and
    2023Q1), 青山区's without warnings (2023Q1), each filed by the county's own officer."""
    app, settings, _ = portal_app(tmp_path_factory.mktemp("bulk"))
    warned = submitted(app, settings, "donghe", DONGHE, "150202")
    clean = submitted(app, settings, "qingshan", QINGSHAN, "150204")
    return app, settings, warned, clean


def bulk(app, username: str, button: str, ticked: list, comment: str = "", by_id: bool = False) -> str:
    """Sign in as `username` and press a bulk button with these rows ticked (their batch ids, sent as the browser
    does: the grid's selectedRows, the ticked rows of the queue — a batch not in the queue as a row of its own, as a
    tampered request could — or with `by_id` the row ids a callback ticked): the answer's text."""
    client = app.server.test_client()
    csrf = login(client, username)
    from dashboard.review import page  # a Dash page: imported once the app exists

    shown = {r["id"]: r for r in page.rows(appdb_user(username), "en").to_dict("records")}
    selected = {"ids": [str(b) for b in ticked]} if by_id else [shown.get(b, {"id": b}) for b in ticked]
    key = next(k for k, v in app.callback_map.items() if k.startswith(f"..{rid.RESULT}.children@")
               and v["inputs"][0]["id"] == rid.BULK_APPROVE)
    body = {"output": key, "outputs": [{"id": part.split(".")[0], "property": part.rsplit(".", 1)[1]}
                                       for part in key.strip(".").split("...")],
            "inputs": [{"id": b, "property": "n_clicks", "value": 1 if b == button else None}
                       for b in (rid.BULK_APPROVE, rid.BULK_RETURN)],
            "state": [{"id": rid.QUEUE, "property": "selectedRows", "value": selected},
                      {"id": rid.COMMENT, "property": "value", "value": comment},
                      {"id": shell.LANG, "property": "data", "value": "en"}],
            "changedPropIds": [f"{button}.n_clicks"]}
    answer = client.post(DISPATCH, json=body, headers={"X-CSRFToken": csrf})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return json.dumps(answer.json["response"][rid.RESULT], ensure_ascii=False)


def ticked_for(app, username: str, period: str) -> list[int]:
    """The batch ids of the rows that picking `period` ticks in `username`'s queue as the page shows it."""
    client = app.server.test_client()
    csrf = login(client, username)
    from dashboard.review import page  # a Dash page: imported once the app exists

    shown = page.rows(appdb_user(username), "en").to_dict("records")
    answer = callback(client, csrf, [(rid.QUEUE, "selectedRows")], [(rid.PERIOD, "value", period)],
                      [(rid.QUEUE, "rowData", shown)])
    assert answer.status_code == 200, answer.get_data(as_text=True)
    ticked = [int(i) for i in answer.json["response"][rid.QUEUE]["selectedRows"]["ids"]]  # row ids are text
    assert set(ticked) <= {r["batch_id"] for r in shown}
    return ticked


def appdb_user(username: str) -> appdb.User:
    from dashboard import data

    with appdb.opened(data.settings().paths.app_db) as con:
        return appdb.user(con, username)


def decisions(settings, batch: int) -> list[tuple[str, str]]:
    state = queue.item(batch, settings=settings).state
    return [(r.decision, r.actor) for r in state.decisions]


def review_events(settings) -> list[tuple[str, str, str]]:
    with appdb.opened(settings.paths.app_db) as con:
        assert appdb.verify_events(con) == []
        return [(e["action"], e["actor"], e["target"]) for e in appdb.events(con, 100) if
                e["action"].startswith("review_")]


def test_picking_a_period_ticks_the_leagues_batches_of_that_period_and_none_of_another_league(league):
    app, _, warned, clean = league
    assert ticked_for(app, "baotou", "2023Q1") == [warned, clean]
    assert ticked_for(app, "baotou", "2022Q1") == [warned]
    assert ticked_for(app, "hohhot", "2023Q1") == []  # 呼和浩特市's officer: neither batch is in its queue


def test_another_leagues_officer_ticking_them_by_hand_is_refused_for_each_and_nothing_is_recorded(league):
    app, settings, warned, clean = league
    answer = bulk(app, "hohhot", rid.BULK_APPROVE, [warned, clean])
    assert "0 decision(s) recorded" in answer and "2 batch(es) not recorded" in answer
    assert answer == bulk(app, "hohhot", rid.BULK_APPROVE, [warned, clean], by_id=True)  # ticked by a period
    assert f"Batch {warned}: batch {warned} (150202) is not of your league 150100" in answer
    assert f"Batch {clean}: batch {clean} (150204) is not of your league 150100" in answer
    assert "is not of your league 150100" in bulk(app, "hohhot", rid.BULK_RETURN, [warned], "数值有误")
    assert "Tick some batches first" in bulk(app, "baotou", rid.BULK_APPROVE, [])
    assert decisions(settings, warned) == decisions(settings, clean) == [] and review_events(settings) == []


def test_bulk_approval_records_the_explained_batch_and_refuses_the_unexplained_one_naming_its_line(league):
    app, settings, warned, clean = league
    answer = bulk(app, "baotou", rid.BULK_APPROVE, [warned, clean], "核实无误")
    assert f"1 decision(s) recorded: Batch {clean} Approve" in answer
    assert f"Batch {warned}: the warnings on line(s) 3 are not explained yet" in answer
    assert decisions(settings, clean) == [("approve", "baotou")] and decisions(settings, warned) == []
    assert review_events(settings) == [("review_approve", "baotou", f"batch {clean}")]
    # at the bureau step the same button accepts; the batch still at the league step is refused
    answer = bulk(app, "analyst", rid.BULK_APPROVE, [warned, clean])
    assert f"1 decision(s) recorded: Batch {clean} Accept" in answer
    assert f"Batch {warned}: this step of batch {warned} is reviewed by a league officer" in answer
    assert queue.item(clean, settings=settings).state.status == "accepted"
    assert review_events(settings) == [("review_accept", "analyst", f"batch {clean}"),
                                       ("review_approve", "baotou", f"batch {clean}")]


def test_a_bulk_return_needs_a_reason_and_records_it_for_each_batch(league):
    app, settings, warned, clean = league
    assert "a return needs a reason" in bulk(app, "baotou", rid.BULK_RETURN, [warned])
    answer = bulk(app, "baotou", rid.BULK_RETURN, [warned, clean], "2023Q1 口径有误")
    assert f"1 decision(s) recorded: Batch {warned} Return" in answer
    assert f"Batch {clean}: batch {clean} is no longer under review (accepted)" in answer
    state = queue.item(warned, settings=settings).state
    assert (state.status, state.reason) == ("returned", "2023Q1 口径有误")
    assert review_events(settings)[0] == ("review_return", "baotou", f"batch {warned}")


def test_the_ticks_are_read_from_the_ticked_rows_or_from_the_row_ids_a_period_ticked(league):
    from dashboard.review import page

    assert page.ticked_batches([{"id": 11, "batch_id": 11}, {"id": 15, "batch_id": 15}]) == [11, 15]
    assert page.ticked_batches({"ids": ["11", "15"]}) == [11, 15]
    assert page.ticked_batches(None) == page.ticked_batches([]) == page.ticked_batches({"ids": []}) == []


@pytest.mark.parametrize("ticked", [[{"id": "11; DROP"}], ["11"], [{}], [{"id": 0}], [{"id": 2**40}],
                                    {"ids": ["x"]}, {"ids": [11]}, {"ids": ["-1"]}, {"ids": ["1e3"]}])
def test_ticks_that_are_no_row_of_a_batch_are_bad_input(league, ticked):
    from dashboard import inputs
    from dashboard.review import page

    with pytest.raises(inputs.InvalidInput):
        page.ticked_batches(ticked)
