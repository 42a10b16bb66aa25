"""Explaining a loaded batch's warnings after submitting (/submissions): the submitter of a loaded submission whose
review is still open (submitted, or approved at an earlier step) adds or changes the explanation of each warning
the batch really has — the warehouse's problems with severity 'warning', exactly as the review reads them
(dashboard/review/queue.py) — and every save is appended to the audit trail.

    save(donghe, 17, {(3, "yoy_change"): "新建基站 200 个", (99, "made_up"): "x"}, "10.0.0.5")
    → 1   (line 3 stored; line 99 is no warning of the batch and is ignored)
"""

from __future__ import annotations

from dashboard import data
from dashboard.portal.intake import MAX_EXPLANATION
from dashboard.review import policy, queue
from indicators.base.settings import Settings
from indicators.storage import appdb

NOT_YOURS = policy.Refusal("只能说明自己报送、已入库且仍在审核中的批次的警告",
                           "you can explain the warnings only of your own submission, once it is loaded and while it "
                           "is under review")


def editable(user: appdb.User | None, submission_id: int, settings: Settings | None = None) -> queue.Item | None:
    """The review item of `user`'s own loaded submission while its review is open; None for anyone else's, one not
    loaded yet, or one accepted, returned or superseded."""
    settings = settings or data.settings()
    if user is None or user.disabled:
        return None
    with appdb.opened(settings.paths.app_db) as con:
        found = appdb.submission(con, submission_id)
    if found is None or found.username != user.username or found.batch_id is None:
        return None
    item = queue.item(found.batch_id, settings=settings)
    if item is None or item.submission is None or item.submission.id != found.id or not item.state.open:
        return None
    return item


def flags(item: queue.Item) -> list[policy.Flag]:
    """The warnings that can be explained: those with a line (a submission's explanations are per line and rule)."""
    return [f for f in item.batch.flags if f.line is not None]


def save(user: appdb.User | None, submission_id: int, texts: dict[tuple[int, str], str], address: str | None,
         settings: Settings | None = None) -> policy.Refusal | int:
    """Store the texts given for warnings the batch has (others are ignored; an empty text leaves an explanation as
    it is), only for the submission's own submitter while the review is open; the number of explanations written."""
    settings = settings or data.settings()
    item = editable(user, submission_id, settings)
    if item is None:
        return NOT_YOURS
    allowed = {(f.line, f.rule) for f in flags(item)}
    changed = {key: text.strip()[:MAX_EXPLANATION] for key, text in texts.items()
               if key in allowed and isinstance(text, str) and text.strip()
               and text.strip()[:MAX_EXPLANATION] != (item.explanations.get(key) or "").strip()}
    if not changed:
        return 0
    with appdb.opened(settings.paths.app_db) as con:
        for (line, rule), text in sorted(changed.items()):
            appdb.explain(con, submission_id, line, rule, text)
        appdb.log_event(con, "explain", user.username, address, target=f"submission {submission_id}",
                        detail=f"batch {item.batch.batch_id}: " + ", ".join(f"line {line} {rule}"
                                                                            for line, rule in sorted(changed)))
    return len(changed)
