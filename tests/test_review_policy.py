"""The review's policy (dashboard/review/policy.py) and its state in the application database: who may decide
which step of which batch, explained warnings, reasons for returns, the state the decisions lead to."""

from __future__ import annotations

import pytest

from dashboard.review import policy
from dashboard.review.policy import Batch, Flag
from indicators.storage import appdb
from indicators.storage.appdb import Review, ReviewState, User

COUNTY_STEPS, LEAGUE_STEPS = ("league", "bureau"), ("bureau",)


def user(name: str, role: str = "officer", region: str | None = "150100", disabled: bool = False) -> User:
    return User(1, name, role, region if role == "officer" else None, disabled, False, 0, "2025-01-01T00:00:00Z")


HOHHOT, BAOTOU = user("hohhot"), user("baotou", region="150200")
COUNTY_OFFICER, ANALYST, ADMIN = user("saihan", region="150102"), user("li", "analyst"), user("root", "admin")
WARNING = Flag(7, "yoy_change", "同比变化 120%", "year-on-year change 120%")


def county_batch(flags=(), submitter="xincheng", has_submission=True) -> Batch:
    return Batch(11, "150102", "county", "150100", submitter, COUNTY_STEPS, tuple(flags), has_submission)


def league_batch(submitter="hohhot") -> Batch:
    return Batch(12, "150100", "league", "150100", submitter, LEAGUE_STEPS, (), True)


def decided(batch: Batch, *decisions: tuple[int, str, str | None]) -> ReviewState:
    rows = [Review(i, batch.batch_id, step, batch.steps[step], d, "x", "t", reason)
            for i, (step, d, reason) in enumerate(decisions, 1)]
    return appdb.review_state(batch.batch_id, rows, len(batch.steps))


def refused(who, decision, batch, state=None, explanations=None, reason=None, lang="en") -> str | None:
    found = policy.refusal(who, decision, batch, state or decided(batch), explanations or {}, reason)
    return None if found is None else found.text(lang)


def test_an_officer_of_the_league_approves_its_county_and_then_the_bureau_accepts():
    batch = county_batch()
    assert refused(HOHHOT, "approve", batch) is None
    after = decided(batch, (0, "approve", None))
    assert (after.status, after.step) == ("approved", 1)
    assert refused(ANALYST, "accept", batch, after) is None and refused(ADMIN, "accept", batch, after) is None
    assert decided(batch, (0, "approve", None), (1, "accept", "ok")).status == "accepted"


def test_a_league_officer_cannot_approve_another_leagues_county():
    assert refused(BAOTOU, "approve", county_batch()) == "batch 11 (150102) is not of your league 150200"
    assert "不属于您的盟市" in refused(BAOTOU, "approve", county_batch(), lang="zh")
    assert not policy.may_act(BAOTOU, county_batch(), decided(county_batch()))


def test_nobody_reviews_their_own_submission():
    assert refused(HOHHOT, "accept", league_batch()) == "you cannot review your own submission (batch 12)"
    own_county = county_batch(submitter="hohhot")  # the league officer submitted the county's file
    assert refused(HOHHOT, "approve", own_county) == "you cannot review your own submission (batch 11)"
    analyst_file = county_batch(submitter="li")
    after = decided(analyst_file, (0, "approve", None))
    assert "own submission" in refused(ANALYST, "accept", analyst_file, after)
    assert refused(ADMIN, "accept", analyst_file, after) is None


@pytest.mark.parametrize("who, step_one, step_two", [
    (HOHHOT, None, "this step of batch 11 is reviewed by the bureau"),
    (ANALYST, "this step of batch 11 is reviewed by a league officer", None),
    (COUNTY_OFFICER, "batch 11 (150102) is not of your league 150102", "reviewed by the bureau"),
    (BAOTOU, "not of your league 150200", "reviewed by the bureau"),
    (None, "log in first", "log in first"),
    (user("gone", "analyst", disabled=True), "log in first", "log in first"),
])
def test_who_may_decide_each_step_of_a_countys_batch(who, step_one, step_two):
    batch = county_batch()
    for found, expected in ((refused(who, "approve", batch), step_one),
                            (refused(who, "accept", batch, decided(batch, (0, "approve", None))), step_two)):
        assert found is None if expected is None else expected in found


def test_a_league_batch_is_accepted_by_the_bureau_alone():
    batch = league_batch()
    assert "reviewed by the bureau" in refused(BAOTOU, "accept", batch)
    assert refused(ANALYST, "approve", batch) == "this step's decision is accept"
    assert refused(ANALYST, "accept", batch) is None
    assert decided(batch, (0, "accept", None)).status == "accepted"


def test_approving_a_warning_without_explanation_is_refused_naming_the_line():
    batch = county_batch([WARNING, Flag(9, "reconciliation")])
    assert refused(HOHHOT, "approve", batch) == ("the warnings on line(s) 7, 9 are not explained yet: return the "
                                                 "batch, or wait for the submitter's explanation")
    assert refused(HOHHOT, "approve", batch, lang="zh").startswith("第 7、9 行的警告尚未说明")
    half = {(7, "yoy_change"): "新厂投产"}
    assert "line(s) 9 " in refused(HOHHOT, "approve", batch, explanations=half)
    assert "line(s) 9 " in refused(HOHHOT, "approve", batch, explanations={**half, (9, "reconciliation"): "  "})
    full = {**half, (9, "reconciliation"): "口径调整"}
    assert refused(HOHHOT, "approve", batch, explanations=full) is None


def test_an_inbox_batch_with_warnings_needs_the_reviewers_comment_instead():
    batch = county_batch([WARNING], submitter=None, has_submission=False)
    assert "explain its warnings in your comment" in refused(HOHHOT, "approve", batch)
    assert refused(HOHHOT, "approve", batch, reason="统计局核实") is None


def test_a_return_needs_a_reason_and_the_state_shows_it():
    batch = county_batch()
    assert refused(HOHHOT, "return", batch) == "a return needs a reason"
    assert refused(HOHHOT, "return", batch, reason="   ") == "a return needs a reason"
    assert refused(HOHHOT, "return", batch, reason="x" * 2001) == "a comment has at most 2000 characters"
    assert refused(HOHHOT, "return", batch, reason="第7行数值有误") is None
    state = decided(batch, (0, "return", "第7行数值有误"))
    assert (state.status, state.reason, state.open) == ("returned", "第7行数值有误", False)
    assert refused(HOHHOT, "approve", batch, state) == "batch 11 is no longer under review (returned)"
    corrected = appdb.review_state(11, list(state.decisions), 2, superseded_by=15)
    assert (corrected.status, corrected.superseded_by, corrected.reason) == ("superseded", 15, "第7行数值有误")


def test_the_bureau_may_return_after_the_league_approved():
    batch = county_batch()
    after = decided(batch, (0, "approve", None))
    assert refused(ANALYST, "return", batch, after, reason="与统计年鉴不符") is None
    assert decided(batch, (0, "approve", None), (1, "return", "与统计年鉴不符")).status == "returned"
    assert refused(ANALYST, "accept", batch, decided(batch, (0, "approve", None), (1, "accept", None))) == \
        "batch 11 is no longer under review (accepted)"


def test_decisions_are_recorded_with_the_audit_trail_and_never_changed(tmp_path):
    with appdb.opened(tmp_path / "app.sqlite") as con:
        appdb.record_review(con, 11, 0, "league", "approve", "hohhot", "10.0.0.1", "核实无误", expected=0)
        with pytest.raises(appdb.DataError, match="reviewed by someone else"):
            appdb.record_review(con, 11, 0, "league", "approve", "other", None, expected=0)
        appdb.record_review(con, 11, 1, "bureau", "return", "li", None, "数值有误", expected=1)
        state = appdb.review_state(11, appdb.reviews(con, [11])[11], 2)
        assert (state.status, state.reason) == ("returned", "数值有误")
        trail = appdb.events(con)[:2]
        assert [(e["action"], e["actor"], e["target"], e["reason"]) for e in trail] == [
            ("review_return", "li", "batch 11", "数值有误"), ("review_approve", "hohhot", "batch 11", "核实无误")]
        assert appdb.verify_events(con) == []
        with pytest.raises(Exception, match="never changed"):
            con.execute("UPDATE reviews SET decision = 'accept'")
        assert appdb.reviews(con, [12]) == {}


def test_accepting_a_batch_that_revises_released_values_needs_a_reason_to_publish_with_the_revision():
    import dataclasses

    batch = dataclasses.replace(league_batch(), revises_released=True)
    assert "revises released values: give the reason" in refused(ANALYST, "accept", batch)
    assert refused(ANALYST, "accept", batch, reason="统计局核实后更正") is None
    assert refused(ANALYST, "accept", batch, explanations={(3, "yoy_change"): "口径调整"}) is None
    earlier = dataclasses.replace(county_batch(), revises_released=True)
    after = decided(earlier, (0, "approve", "盟市已核实"))  # a comment at an earlier step is the reason
    assert refused(ANALYST, "accept", earlier, after) is None
    assert refused(ANALYST, "accept", league_batch()) is None  # no released value touched: no reason needed
