"""/api/v1/submissions: Bearer tokens, 202 queued, 422 rejected at check, 401, 403, 413, status of one's own."""

from __future__ import annotations

import hashlib
import io

import pytest
from portal_support import BAD_PERIOD, BAOTOU_FILE, HOHHOT_ROWS, portal_app

from indicators.storage import appdb


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    return portal_app(tmp_path_factory.mktemp("api"))


@pytest.fixture
def client(portal):
    return portal[0].server.test_client()


def post(client, token: str | None, content: bytes, filename: str = "baotou.csv", **fields: str):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post("/api/v1/submissions", data={"file": (io.BytesIO(content), filename), **fields},
                       headers=headers, content_type="multipart/form-data")


def test_a_clean_file_is_queued_with_202_and_its_status_can_be_read_by_its_owner_and_analysts(portal, client):
    _, settings, tokens = portal
    answer = post(client, tokens["baotou"], BAOTOU_FILE, region="150200", period="2023Q1")
    assert answer.status_code == 202, answer.get_data(as_text=True)
    assert answer.json["status"] == "queued" and answer.json["report"]["n_errors"] == 0
    number = answer.json["id"]
    assert answer.headers["Location"].endswith(f"/api/v1/submissions/{number}")
    with appdb.opened(settings.paths.app_db) as con:
        queued = appdb.submission(con, number)
    assert (queued.via, queued.region, queued.sha256) == ("api", "150200", hashlib.sha256(BAOTOU_FILE).hexdigest())
    assert (settings.paths.submissions / queued.stored_name).read_bytes() == BAOTOU_FILE
    with appdb.opened(settings.paths.app_db) as con:
        event = next(e for e in appdb.events(con) if e["target"] == f"submission {number}")
        assert (event["action"], event["actor"]) == ("submit", "baotou") and queued.sha256 in event["detail"]
        assert appdb.verify_events(con) == []
    for who in ("baotou", "analyst"):
        status = client.get(f"/api/v1/submissions/{number}", headers={"Authorization": f"Bearer {tokens[who]}"})
        assert status.status_code == 200 and status.json["status"] == "queued"
    other = client.get(f"/api/v1/submissions/{number}", headers={"Authorization": f"Bearer {tokens['hohhot']}"})
    assert other.status_code == 404


def test_a_file_with_errors_gets_422_with_the_report_and_nothing_is_queued(portal, client):
    _, settings, tokens = portal
    with appdb.opened(settings.paths.app_db) as con:
        before = len(appdb.submissions(con))
    answer = post(client, tokens["baotou"], BAD_PERIOD)
    assert answer.status_code == 422
    problems = answer.json["report"]["problems"]
    assert [(p["line"], p["column"], p["rule"]) for p in problems] == [(3, "period", "bad_period")]
    with appdb.opened(settings.paths.app_db) as con:
        assert len(appdb.submissions(con)) == before


def test_rows_of_another_league_are_out_of_scope_on_their_line_with_422(portal, client):
    answer = post(client, portal[2]["baotou"], HOHHOT_ROWS)
    assert answer.status_code == 422
    assert [(p["line"], p["rule"]) for p in answer.json["report"]["problems"]] == [(3, "out_of_scope")]


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_a_missing_or_unknown_token_gets_401(client, token):
    answer = post(client, token, BAOTOU_FILE)
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_region_outside_the_token_users_scope_gets_403(portal, client):
    answer = post(client, portal[2]["baotou"], BAOTOU_FILE, region="150100")
    assert answer.status_code == 403 and "150100" in answer.json["message_en"]


def test_a_file_over_the_upload_limit_gets_413(portal, client):
    too_big = BAOTOU_FILE + b"#" * portal[1].portal.max_upload_bytes
    answer = post(client, portal[2]["baotou"], too_big)
    assert answer.status_code == 413 and "max_upload_bytes" in answer.json["message_en"]


def test_the_openapi_description_names_every_route_and_answer(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    post_ = spec["paths"]["/api/v1/submissions"]["post"]
    assert set(post_["responses"]) == {"202", "400", "401", "403", "413", "422"}
    assert "get" in spec["paths"]["/api/v1/submissions/{id}"]


def test_with_load_at_once_a_submission_is_loaded_at_once_and_a_busy_writer_leaves_it_queued(portal, client):
    import time

    from dashboard import data
    from dashboard.portal import intake
    from indicators.storage import warehouse

    _, settings, tokens = portal
    at_once = settings.with_overrides(portal_load_at_once=True)
    data.configure(at_once)
    try:
        content = BAOTOU_FILE.replace(b"12000", b"12100")  # a revision of the value the fixture loaded
        answer = post(client, tokens["baotou"], content, region="150200", period="2023Q1")
        assert answer.status_code == 202, answer.get_data(as_text=True)
        deadline = time.monotonic() + 120
        with appdb.opened(settings.paths.app_db) as con:
            while (done := appdb.submission(con, answer.json["id"])).status in ("queued", "loading"):
                assert time.monotonic() < deadline, "the background load did not finish"
                time.sleep(0.2)
        assert done.status == "loaded" and done.batch_id is not None
        with warehouse.reader(settings.paths.warehouse) as con:
            assert con.execute("SELECT submitter FROM batches WHERE batch_id = ?", [done.batch_id]).fetchone() == \
                ("baotou",)

        with warehouse.exclusive_lock(settings.paths.warehouse):  # another load is running
            data.configure(settings)  # queue without starting a load, then start it by hand under the lock
            queued = post(client, tokens["baotou"], BAOTOU_FILE.replace(b"12000", b"12200"), region="150200",
                          period="2023Q1").json["id"]
            intake.load_in_background(queued, data.catalogue(), at_once).join(120)
        with appdb.opened(settings.paths.app_db) as con:
            assert appdb.submission(con, queued).status == "queued"  # never lost: the next run loads it
    finally:
        data.configure(settings)
