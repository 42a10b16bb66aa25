"""The reviewer's queue: the warehouse's loaded batches (read-only, through indicators.engine.review) joined with
their review state, submission and explanations in the application database; and the one write of the review,
recording a decision that the policy allows — one batch, or several in one go (decide_many: each batch still
through the policy, each decision its own transaction and audit row).

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
from indicators.engine import release as wh_release
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
    periods: tuple[str, ...] = ()  # the periods the batch wrote

    @property
    def unexplained(self) -> list[policy.Flag]:
        return policy.unexplained(self.batch, self.explanations)


def facts(row: dict, flags: tuple[policy.Flag, ...], cat: Catalogue, settings: Settings,
          has_submission: bool, revises_released: bool = False) -> policy.Batch:
    """The policy's view of a batches row: the unit's level and league, the steps its level goes through."""
    code = row.get("submitter_region")
    region = cat.regions.by_code.get(code) if isinstance(code, str) else None
    level = region.level if region else "region"
    league = cat.regions.league_of(code) if region else None
    submitter = row.get("submitter") if isinstance(row.get("submitter"), str) else None
    return policy.Batch(int(row["batch_id"]), code if region else None, level, league, submitter,
                        settings.review.steps(level), flags, has_submission, revises_released)


def items(cat: Catalogue | None = None, settings: Settings | None = None,
          batch_ids: list[int] | None = None) -> list[Item]:
    """Every loaded batch (or those of `batch_ids`), oldest first, with its review state."""
    cat, settings = cat or data.catalogue(), settings or data.settings()
    with warehouse.reader(settings.paths.warehouse) as con:
        batches = wh_review.loaded_batches(con)
        if batch_ids is not None:
            batches = batches[batches["batch_id"].isin([int(b) for b in batch_ids])]
        ids = batches["batch_id"].tolist()
        warnings = wh_review.batch_warnings(con, ids)
        periods = wh_review.batch_periods(con, ids)
        revising = {b for b, _ in wh_release.revising(con, ids)}
        with appdb.opened(settings.paths.app_db) as app:
            appdb.bind_warehouse(app, warehouse.warehouse_id(con))  # batch numbers of this warehouse only
            decided = appdb.reviews(app, ids)
            returned = [b for b, rows in decided.items() if any(r.decision == "return" for r in rows)]
            corrected = wh_review.corrections(con, returned)
            return [_item(row, warnings, decided.get(int(row["batch_id"]), []), corrected, app, cat, settings,
                          periods.get(int(row["batch_id"]), ()), int(row["batch_id"]) in revising)
                    for row in _records(batches)]


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in frame.to_dict("records")]


def _item(row: dict, warnings: pd.DataFrame, decided: list, corrected: dict[int, int], app, cat: Catalogue,
          settings: Settings, periods: tuple[str, ...] = (), revises_released: bool = False) -> Item:
    batch_id = int(row["batch_id"])
    mine = warnings[warnings["batch_id"] == batch_id]
    flags = tuple(policy.Flag(None if pd.isna(w.line) else int(w.line), w.rule, w.message_zh or "", w.message_en or "")
                  for w in mine.itertuples())
    submission = appdb.submission_of_batch(app, batch_id)
    explained = {(e["line"], e["rule"]): e["text"] for e in appdb.explanations(app, submission.id)} \
        if submission else {}
    batch = facts(row, flags, cat, settings, submission is not None, revises_released)
    state = appdb.review_state(batch_id, decided, len(batch.steps), corrected.get(batch_id))
    return Item(batch, state, row, submission, explained, periods)


def queue(user: User | None, cat: Catalogue | None = None, settings: Settings | None = None) -> list[Item]:
    """The batches whose next step is the user's, oldest first."""
    return [i for i in items(cat, settings) if policy.may_act(user, i.batch, i.state)]


def item(batch_id: int, cat: Catalogue | None = None, settings: Settings | None = None) -> Item | None:
    return next(iter(items(cat, settings, [batch_id])), None)


def releases_of(batch_ids: list[int], settings: Settings | None = None) -> dict[int, list[tuple]]:
    """For each batch, the releases that made its periods public: [(release_id, released_at, 'periods')]."""
    settings = settings or data.settings()
    with warehouse.reader(settings.paths.warehouse) as con:
        return wh_release.releases_of(con, batch_ids)


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
        return _missing(batch_id)
    with appdb.opened(settings.paths.app_db) as app:
        refused = _record(app, user, found, decision, reason, address)
    return refused if refused is not None else item(batch_id, cat, settings).state


@dataclass(frozen=True)
class Outcome:
    """One batch of a bulk action: the decision tried on it, and why it was refused (None: recorded)."""

    batch_id: int
    decision: str
    refusal: policy.Refusal | None = None


def decide_many(user: User | None, batch_ids: list[int], decision: str, reason: str | None, address: str | None,
                cat: Catalogue | None = None, settings: Settings | None = None) -> list[Outcome]:
    """One decision on each of these batches, in order, each through the policy on its own: 'approve' is each
    batch's positive decision at its step (approve, or accept at the last step), 'return' returns each with the
    reason. A refused batch changes nothing and does not stop the others; each recorded decision is its own
    transaction with its own audit row, as when decided one by one."""
    settings = settings or data.settings()
    wanted = list(dict.fromkeys(int(b) for b in batch_ids))
    found = {i.batch.batch_id: i for i in items(cat, settings, wanted)}
    outcomes = []
    with appdb.opened(settings.paths.app_db) as app:
        for batch_id in wanted:
            current = found.get(batch_id)
            if current is None:
                outcomes.append(Outcome(batch_id, decision, _missing(batch_id)))
                continue
            chosen = policy.decision_at(current.batch, current.state.step) if decision == "approve" else decision
            outcomes.append(Outcome(batch_id, chosen, _record(app, user, current, chosen, reason, address)))
    return outcomes


def _missing(batch_id: int) -> policy.Refusal:
    return policy.Refusal(f"批次 {batch_id} 不存在或没有写入数据", f"batch {batch_id} does not exist or wrote nothing")


def _record(app, user: User | None, found: Item, decision: str, reason: str | None,
            address: str | None) -> policy.Refusal | None:
    """Write one decision the policy allows (reviews row and audit row, one transaction); else why not."""
    refused = policy.refusal(user, decision, found.batch, found.state, found.explanations, reason)
    if refused is not None:
        return refused
    step = found.state.step
    try:
        appdb.record_review(app, found.batch.batch_id, step, found.batch.steps[step], decision, user.username, address,
                            (reason or "").strip() or None, expected=len(found.state.decisions))
    except DataError as exc:
        return policy.Refusal(exc.message_zh, exc.message_en)
    return None


def listed(cat: Catalogue | None = None, settings: Settings | None = None) -> list[Item]:
    """items(), or none while no warehouse is published."""
    try:
        return items(cat, settings)
    except DataError:
        return []
