"""The review's interface texts and messages (Chinese, English), registered with dashboard.i18n when imported, and
the wording of a step and of a review state (shared by /review, /submissions and the provenance panel's trail)."""

from __future__ import annotations

from dashboard import i18n
from indicators.storage.appdb import ReviewState

TEXTS: dict[str, tuple[str, str]] = {
    "review_title": ("数据审核", "Review"),
    "review_queue": ("待审核批次（最早的在前）", "Batches waiting for review (oldest first)"),
    "review_none": ("没有等待您审核的批次", "No batch waits for your review"),
    "review_pick": ("点击表格中的一行查看该批次的变动和警告", "Click a row to see the batch's changes and warnings"),
    "review_not_allowed": ("只有盟市报送员和分析人员可以审核", "Only league officers and analysts may review"),
    "review_batch": ("批次", "Batch"),
    "review_file": ("文件", "File"),
    "review_unit": ("报送单位", "Unit"),
    "review_submitter": ("报送人", "Submitter"),
    "review_loaded_at": ("入库时间", "Loaded at"),
    "review_step": ("待办步骤", "Step"),
    "review_state": ("审核状态", "Review"),
    "review_new": ("新增", "New"),
    "review_revised": ("修订", "Revised"),
    "review_unchanged": ("未变", "Unchanged"),
    "review_warnings": ("警告", "Warnings"),
    "review_unexplained": ("未说明", "Unexplained"),
    "review_changes": ("变动（旧值 → 新值）", "Changes (old → new)"),
    "review_indicator": ("指标", "Indicator"),
    "review_region": ("地区", "Region"),
    "review_period": ("统计期", "Period"),
    "review_old": ("旧值", "Old"),
    "review_value": ("新值", "New"),
    "review_change": ("变动", "Change"),
    "review_change_new": ("新增", "new"),
    "review_change_revised": ("修订", "revised"),
    "review_no_changes": ("该批次没有写入新值或修订值", "This batch wrote no new or revised values"),
    "review_no_warnings": ("没有警告", "No warnings"),
    "review_line": ("行", "Line"),
    "review_explanation": ("报送人说明", "Submitter's explanation"),
    "review_no_explanation": ("（尚未说明）", "(not explained yet)"),
    "review_history": ("审核记录", "Decisions"),
    "review_comment": ("审核意见（退回时必填）", "Comment (a return needs a reason)"),
    "review_approve": ("审核通过", "Approve"),
    "review_accept": ("接收", "Accept"),
    "review_return": ("退回", "Return"),
    "review_done_approve": ("批次 {batch} 已审核通过（第 {step} 步 {name}）", "Batch {batch} approved (step {step} {name})"),
    "review_done_accept": ("批次 {batch} 已接收", "Batch {batch} accepted"),
    "review_done_return": ("批次 {batch} 已退回：{reason}", "Batch {batch} returned: {reason}"),
    "review_step_league": ("盟市审核", "league review"),
    "review_step_bureau": ("自治区局接收", "bureau acceptance"),
    "review_state_submitted": ("待审核", "submitted"),
    "review_state_approved": ("已通过第 {step} 步，待{next}", "approved at step {step}, waiting for {next}"),
    "review_state_accepted": ("已接收", "accepted"),
    "review_state_returned": ("已退回：{reason}", "returned: {reason}"),
    "review_state_superseded": ("已退回，已由批次 {batch} 更正", "returned, corrected by batch {batch}"),
    "review_periods": ("统计期", "Periods"),
    "review_select_period": ("勾选某一统计期的全部批次", "Tick every batch of a period"),
    "review_bulk_hint": ("勾选表格左侧的方框（或选择统计期），再一次审核所勾选的批次；每个批次仍逐一检查",
                         "Tick the boxes left of the rows (or pick a period), then decide on every ticked batch at "
                         "once; each batch is still checked on its own"),
    "review_bulk_approve": ("通过/接收所勾选的批次", "Approve / accept the ticked batches"),
    "review_bulk_return": ("退回所勾选的批次", "Return the ticked batches"),
    "review_bulk_none": ("请先勾选批次，或选择一个统计期", "Tick some batches first, or pick a period"),
    "review_bulk_done": ("已记录 {n} 个批次的决定", "{n} decision(s) recorded"),
    "review_bulk_refused": ("{n} 个批次未记录（没有任何改动）：", "{n} batch(es) not recorded (nothing changed):"),
}
i18n.add(TEXTS)


def step_label(name: str, lang: str) -> str:
    """'league' → 盟市审核 | league review; a step the texts do not know by its name."""
    return i18n.t(f"review_step_{name}", lang) if f"review_step_{name}" in TEXTS else name


def state_text(state: ReviewState, steps: tuple[str, ...], lang: str) -> str:
    """审核状态 as shown: 待审核 · 已通过第 1 步，待自治区局接收 · 已接收 · 已退回：原因 · 已退回，已由批次 N 更正."""
    following = step_label(steps[state.step], lang) if state.step < len(steps) else ""
    return i18n.t(f"review_state_{state.status}", lang).format(step=state.step, next=following,
                                                              reason=state.reason or "", batch=state.superseded_by)
