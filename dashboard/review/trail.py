"""The trail of a shown value for analysts and admins, beside its provenance (the ⓘ panel): for each batch that
supplied the value — who submitted it, each review decision (step, who, when, reason) and where its review stands.
The engine's explanation names the batches (indicators.engine.audit, which never reads the application database);
the join with the submissions and the decisions is made here, through the review's queue.

    lines([12]) → ["审核记录 review trail:",
                   "  批次 batch 12 · 报送 submitted by donghe · 2025-06-01 08:00:00 UTC (portal)",
                   "    盟市审核 league review · 审核通过 approve · baotou · 2025-06-01 09:00:00 UTC · 核实无误",
                   "    状态 state: 已通过第 1 步，待自治区局接收 | approved at step 1, waiting for bureau acceptance",
                   "    发布 released: 尚未发布 | not released yet"]

The release line names each release that made some of the batch's periods public (docs/releases.md), read from
the working warehouse's `released`.
"""

from __future__ import annotations

import pandas as pd

from dashboard.i18n import t
from dashboard.review import queue
from dashboard.review.texts import state_text, step_label
from indicators.base.catalogue import Catalogue
from indicators.base.settings import Settings
from indicators.engine.audit import Explanation

MAX_BATCHES = 12  # an aggregate of every county rests on many batches: the first ones, then how many more


def supplying_batches(found: Explanation) -> list[int]:
    """The batches the value came from, each once: its own (a reported value), or its inputs' (an aggregate, a
    derived value, a roll-up over the year) — the batch ids audit.explain shows. Earlier vintages are left out."""
    ids = [found.fact.get("batch_id")] if found.fact else []
    if not found.inputs.empty and "batch_id" in found.inputs:
        ids += found.inputs["batch_id"].tolist()
    return list(dict.fromkeys(int(b) for b in ids if b is not None and not pd.isna(b)))


def lines(batch_ids: list[int], cat: Catalogue | None = None, settings: Settings | None = None) -> list[str]:
    """The trail of these batches as text lines for the provenance panel (both languages, like its other lines);
    [] when the value rests on no batch."""
    if not batch_ids:
        return []
    shown = batch_ids[:MAX_BATCHES]
    found = {i.batch.batch_id: i for i in queue.items(cat, settings, shown)}
    released = queue.releases_of(shown, settings)
    out = ["审核记录 review trail:"]
    for batch_id in shown:
        out += _batch_lines(batch_id, found.get(batch_id))
        out.append(_release_line(released.get(batch_id, [])))
    if len(batch_ids) > len(shown):
        rest = len(batch_ids) - len(shown)
        out.append(f"  … 另有 {rest} 个批次 | {rest} more batches")
    return out


def _release_line(releases: list[tuple]) -> str:
    if not releases:
        return "    发布 released: 尚未发布 | not released yet"
    shown = "; ".join(f"{rid} ({_when(str(at))}, {periods})" for rid, at, periods in releases)
    return f"    发布 released: {shown}"


def _batch_lines(batch_id: int, found: queue.Item | None) -> list[str]:
    if found is None:  # a batch that wrote nothing reviewable (rejected): it cannot have supplied a value
        return [f"  批次 batch {batch_id} · 不在审核范围 | not under review"]
    sub = found.submission
    who = f"{sub.username} · {_when(sub.submitted_at)} ({sub.via})" if sub else "收件箱文件 inbox file"
    out = [f"  批次 batch {batch_id} · 报送 submitted by {who}"]
    for r in found.state.decisions:
        out.append(f"    {step_label(r.step_name, 'zh')} {step_label(r.step_name, 'en')} · "
                   f"{t(f'review_{r.decision}', 'zh')} {r.decision} · {r.actor} · {_when(r.at)}"
                   f"{' · ' + r.reason if r.reason else ''}")
    out.append(f"    状态 state: {state_text(found.state, found.batch.steps, 'zh')} | "
               f"{state_text(found.state, found.batch.steps, 'en')}")
    return out


def _when(stamp: str) -> str:
    """'2025-06-01T08:00:00Z' → '2025-06-01 08:00:00 UTC' (the application database keeps UTC)."""
    return stamp.replace("T", " ").rstrip("Z")[:19] + " UTC"
