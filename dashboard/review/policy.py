"""Who may decide what on a loaded batch: the next step's role and scope, the four-eyes rule, explained warnings,
reasons for returns. Pure functions of (user, batch facts, review state, explanations): no database, no request.

A county's batch goes through settings.review.steps("county") — ('league', 'bureau'): an officer of its league
approves, then an analyst or admin accepts; a league's (or the region's) through steps("league") — ('bureau',).
The last step's decision is 'accept', earlier ones 'approve'; any step may 'return' (with a reason), which ends the
review until a corrected file supersedes the batch.

    refusal(officer of 150100, "approve", county batch of 150102 with an unexplained warning on line 7, …)
    → Refusal("第 7 行的警告尚未说明…", "the warning on line 7 is not explained yet …")
"""

from __future__ import annotations

from dataclasses import dataclass

from indicators.storage.appdb import ReviewState, User

STEP_ROLES = {"league": ("officer",), "bureau": ("analyst", "admin")}
MAX_REASON = 2000  # characters of a reason or comment


@dataclass(frozen=True)
class Flag:
    """A validation warning of the batch (the warehouse's problems with severity 'warning')."""

    line: int | None
    rule: str
    message_zh: str = ""
    message_en: str = ""


@dataclass(frozen=True)
class Batch:
    """What the policy needs to know of a loaded batch. `league`: the league the unit belongs to (itself for a
    league; None for the region as a whole); `submitter`: the account that handed it in (None: the inbox or the
    command line, which have no submission to carry explanations); `steps`: settings.review.steps(level)."""

    batch_id: int
    region: str | None
    level: str
    league: str | None
    submitter: str | None
    steps: tuple[str, ...]
    flags: tuple[Flag, ...] = ()
    has_submission: bool = False
    revises_released: bool = False  # it replaces values already public: accepting it needs a reason


@dataclass(frozen=True)
class Refusal:
    """Why a decision is refused, in both languages."""

    message_zh: str
    message_en: str

    def text(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh


def decision_at(batch: Batch, step: int) -> str:
    """The positive decision of a step: 'accept' at the last step, 'approve' before it."""
    return "accept" if step >= len(batch.steps) - 1 else "approve"


def who_refusal(user: User | None, batch: Batch, step: int) -> Refusal | None:
    """May `user` decide step `step` of `batch` at all (whatever the decision)? Never on one's own submission;
    step 'league': an officer whose scope is the batch's league (not a county officer, not another league's);
    step 'bureau': an analyst or admin."""
    if user is None or user.disabled:
        return Refusal("请先登录", "log in first")
    if step >= len(batch.steps):
        return Refusal(f"批次 {batch.batch_id} 没有待审核的步骤", f"batch {batch.batch_id} has no step left to review")
    name = batch.steps[step]
    if name not in STEP_ROLES:
        return Refusal(f"未知的审核步骤 {name}（settings.toml [review]）", f"unknown review step {name} "
                       "(settings.toml [review])")
    if batch.submitter is not None and user.username == batch.submitter:
        return Refusal(f"不能审核自己报送的批次 {batch.batch_id}", f"you cannot review your own submission "
                       f"(batch {batch.batch_id})")
    if user.role not in STEP_ROLES[name]:
        who_zh, who_en = ("盟市报送员", "a league officer") if name == "league" else ("自治区局分析人员", "the bureau")
        return Refusal(f"批次 {batch.batch_id} 的这一步由{who_zh}审核", f"this step of batch {batch.batch_id} is "
                       f"reviewed by {who_en}")
    if name == "league" and (batch.league is None or user.region != batch.league):
        return Refusal(f"批次 {batch.batch_id}（{batch.region}）不属于您的盟市 {user.region}",
                       f"batch {batch.batch_id} ({batch.region}) is not of your league {user.region}")
    return None


def unexplained(batch: Batch, explanations: dict[tuple[int, str], str]) -> list[Flag]:
    """The warnings without a written explanation from the submitter ({(line, rule): text})."""
    return [f for f in batch.flags if not (explanations.get((f.line, f.rule)) or "").strip()]


def refusal(user: User | None, decision: str, batch: Batch, state: ReviewState,
            explanations: dict[tuple[int, str], str], reason: str | None = None) -> Refusal | None:
    """None when `user` may make `decision` (approve | accept | return) on `batch` now, else why not."""
    if not state.open:
        return Refusal(f"批次 {batch.batch_id} 已不在审核中（{state.status}）",
                       f"batch {batch.batch_id} is no longer under review ({state.status})")
    who = who_refusal(user, batch, state.step)
    if who is not None:
        return who
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        return Refusal(f"意见最多 {MAX_REASON} 个字符", f"a comment has at most {MAX_REASON} characters")
    if decision == "return":
        return None if reason else Refusal("退回须写明原因", "a return needs a reason")
    expected = decision_at(batch, state.step)
    if decision != expected:
        return Refusal(f"这一步的决定是“{'接收' if expected == 'accept' else '审核通过'}”",
                       f"this step's decision is {expected}")
    missing = unexplained(batch, explanations)
    if missing and not batch.has_submission:
        # a file of the inbox has no submitter to explain it: the reviewer's comment stands in (and is recorded)
        return None if reason else Refusal(
            "该批次来自收件箱，没有报送人说明：请在审核意见中说明警告", "this batch came from the inbox and has no "
            "submitter's explanations: explain its warnings in your comment")
    if missing:
        lines = "、".join(str(f.line) for f in missing)
        return Refusal(f"第 {lines} 行的警告尚未说明：请退回，或等报送人说明后再审核",
                       f"the warnings on line(s) {lines.replace('、', ', ')} are not explained yet: return the batch, "
                       "or wait for the submitter's explanation")
    if decision == "accept" and batch.revises_released and not reason \
            and not any((text or "").strip() for text in explanations.values()) \
            and not any((r.reason or "").strip() for r in state.decisions):
        # the reason is published with the revision (/revisions, docs/releases.md)
        return Refusal("该批次修订了已发布的数据：请在意见中写明修订原因（将随修订一并公布）",
                       "this batch revises released values: give the reason in your comment (it is published with "
                       "the revision)")
    return None


def may_act(user: User | None, batch: Batch, state: ReviewState) -> bool:
    """The batch is in the user's queue: open, and its next step is the user's to decide."""
    return state.open and who_refusal(user, batch, state.step) is None
