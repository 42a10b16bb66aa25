"""The reviewer's queue: the warehouse's loaded batches (read-only, through indicators.engine.review) joined with
their review state, submission and explanations in the application database; and the one write of the review,
recording a decision that the policy allows.

A returned batch is superseded by the first later batch of the same unit (submitter_region) that writes one of its
keys (indicator, region, period) again: the corrected file (indicators.engine.review.corrections)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from dashboard import data
from dashboard.review import policy
from indicators.base.catalogue import Catalogue
from indicators.base.errors import DataError
from indicators.base.settings import Settings
from indicators.engine import review as wh_review
from indicators.storage import appdb, warehouse
from indicators.storage.appdb import ReviewState, User


@dataclass(frozen=True)
class Item:
    """One loaded batch as the review sees it."""

    batch: policy.Batch
    state: ReviewState
    row: dict  # the warehouse's batches row: file_name, loaded_at, rows_new, rows_revised, rows_unchanged, …
    submission: appdb.Submission | None = None
    explanations: dict[tuple[int, str], str] = field(default_factory=dict)

    @property
    def unexplained(self) -> list[policy.Flag]:
        return policy.unexplained(self.batch, self.explanations)


def facts(row: dict, flags: tuple[policy.Flag, ...], cat: Catalogue, settings: Settings,
          has_submission: bool) -> policy.Batch:
    """The policy's view of a batches row: the unit's level and league, the steps its level goes through."""
    code = row.get("submitter_region")
    region = cat.regions.by_code.get(code) if isinstance(code, str) else None
    level = region.level if region else "region"
    league = cat.regions.league_of(code) if region else None
    submitter = row.get("submitter") if isinstance(row.get("submitter"), str) else None
    return policy.Batch(int(row["batch_id"]), code if region else None, level, league, submitter,
                        settings.review.steps(policy.level_steps(level)), flags, has_submission)


def items(cat: Catalogue | None = None, settings: Settings | None = None) -> list[Item]:
    """Every loaded batch, oldest first, with its review state."""
    cat, settings = cat or data.catalogue(), settings or data.settings()
    with warehouse.reader(settings.paths.warehouse) as con:
        batches = wh_review.loaded_batches(con)
        warnings = wh_review.batch_warnings(con, batches["batch_id"].tolist())
        with appdb.opened(settings.paths.app_db) as app:
            decided = appdb.reviews(app, batches["batch_id"].tolist())
            returned = [b for b, rows in decided.items() if any(r.decision == "return" for r in rows)]
            corrected = wh_review.corrections(con, returned)
            return [_item(row, warnings, decided.get(int(row["batch_id"]), []), corrected, app, cat, settings)
                    for row in _records(batches)]


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in frame.to_dict("records")]


def _item(row: dict, warnings: pd.DataFrame, decided: list, corrected: dict[int, int], app, cat: Catalogue,
          settings: Settings) -> Item:
    batch_id = int(row["batch_id"])
    mine = warnings[warnings["batch_id"] == batch_id]
    flags = tuple(policy.Flag(None if pd.isna(w.line) else int(w.line), w.rule, w.message_zh or "", w.message_en or "")
                  for w in mine.itertuples())
    submission = appdb.submission_of_batch(app, batch_id)
    explained = {(e["line"], e["rule"]): e["text"] for e in appdb.explanations(app, submission.id)} \
        if submission else {}
    batch = facts(row, flags, cat, settings, submission is not None)
    state = appdb.review_state(batch_id, decided, len(batch.steps), corrected.get(batch_id))
    return Item(batch, state, row, submission, explained)


def queue(user: User | None, cat: Catalogue | None = None, settings: Settings | None = None) -> list[Item]:
    """The batches whose next step is the user's, oldest first."""
    return [i for i in items(cat, settings) if policy.may_act(user, i.batch, i.state)]


def item(batch_id: int, cat: Catalogue | None = None, settings: Settings | None = None) -> Item | None:
    return next((i for i in items(cat, settings) if i.batch.batch_id == batch_id), None)


def changes(batch_id: int, settings: Settings | None = None) -> pd.DataFrame:
    """What the batch wrote: new values and revised ones, old → new."""
    settings = settings or data.settings()
    with warehouse.reader(settings.paths.warehouse) as con:
        return wh_review.batch_changes(con, batch_id)


def decide(user: User | None, batch_id: int, decision: str, reason: str | None, address: str | None,
           cat: Catalogue | None = None, settings: Settings | None = None) -> policy.Refusal | ReviewState:
    """Record the user's decision when the policy allows it (with the audit trail); else why not."""
    settings = settings or data.settings()
    found = item(batch_id, cat, settings)
    if found is None:
        return policy.Refusal(f"批次 {batch_id} 不存在或没有写入数据", f"batch {batch_id} does not exist or wrote nothing")
    refused = policy.refusal(user, decision, found.batch, found.state, found.explanations, reason)
    if refused is not None:
        return refused
    step = found.state.step
    with appdb.opened(settings.paths.app_db) as app:
        try:
            appdb.record_review(app, batch_id, step, found.batch.steps[step], decision, user.username, address,
                                (reason or "").strip() or None, expected=len(found.state.decisions))
        except DataError as exc:
            return policy.Refusal(exc.message_zh, exc.message_en)
    return item(batch_id, cat, settings).state


def listed(cat: Catalogue | None = None, settings: Settings | None = None) -> list[Item]:
    """items(), or none while no warehouse is published."""
    try:
        return items(cat, settings)
    except DataError:
        return []
