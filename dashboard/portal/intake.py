"""An upload from receipt to the queue, for the portal and the API alike: who may submit for which unit, store the
bytes, check them with the ETL's rules, then (when the check found no error) queue the original for loading —
at the next `dem etl run`, or at once in a background thread with settings.portal.load_at_once.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import BinaryIO

from dashboard.auth import access
from dashboard.portal import checks, store
from etl.submissions import load_submission_now
from indicators.base.catalogue import Catalogue
from indicators.base.errors import DemError, UsageError
from indicators.base.settings import Settings
from indicators.storage import appdb

LOG = logging.getLogger("dem.portal")
SUBMITTING_ROLES = ("officer", "analyst", "admin")
PERIOD = re.compile(r"\d{4}(Q[1-4]|M(0[1-9]|1[0-2]))?")  # as stored: 2023, 2023Q1, 2023M03
MAX_EXPLANATION = 1000  # characters of one warning's explanation


class Refused(UsageError):
    """The account may not submit for this unit (HTTP 403), or the unit or period is not one (HTTP 400)."""

    def __init__(self, message_zh: str, message_en: str, status: int = 403):
        super().__init__(message_zh, message_en)
        self.status = status


def may_submit(user: appdb.User | None) -> bool:
    return access.has_role(user, *SUBMITTING_ROLES)


def units(user: appdb.User, cat: Catalogue) -> list:
    """The units the user may submit for, in catalogue order: an officer's region and every unit below it,
    everything for analysts and admins."""
    scope = access.scope_codes(user)
    return [r for r in cat.regions.regions if scope is None or r.code in scope]


def authorise(user: appdb.User | None, region: str | None, period: str | None, cat: Catalogue) -> None:
    """Raise Refused unless `user` may submit for `region` (a catalogue code in their scope) and `period` is empty
    or a period as stored."""
    if not may_submit(user):
        raise Refused("该账号不能报送数据", "this account may not submit data")
    if region is not None and region not in cat.regions.by_code:
        raise Refused(f"“{region[:40]}”不是地区代码", f"{region[:40]!r} is not a region code", status=400)
    if region is not None and not access.in_scope(user, region):
        raise Refused(f"地区 {region} 不在账号 {user.username} 的报送范围内",
                      f"region {region} is outside the scope of the account {user.username}")
    if period and not PERIOD.fullmatch(period):
        raise Refused(f"“{period[:40]}”不是统计期（示例：2023、2023Q1、2023M03）",  # echoed shortened
                      f"{period[:40]!r} is not a period (e.g. 2023, 2023Q1, 2023M03)", status=400)


def receive(user: appdb.User, upload: BinaryIO | bytes, filename: str, region: str | None, period: str | None,
            cat: Catalogue, settings: Settings) -> tuple[store.Stored, dict]:
    """Authorise, store (UploadTooLarge beyond the limit) and check; the upload waits in the pending folder with
    a note of who sent it for which unit and period, and its report."""
    authorise(user, region, period, cat)
    root = settings.paths.submissions
    stored = store.save(upload, filename, root, settings.portal.max_upload_bytes)
    report = checks.check(store.pending_path(root, stored), stored.filename, user, cat, settings)
    unit = region or report.get("submitter_region") or user.region or cat.regions.root.code
    store.write_note(root, stored, {"username": user.username, "region": unit, "period": period or None,
                                    "report": report})
    return stored, report


def pending(user: appdb.User, token: object, settings: Settings) -> tuple[store.Stored, dict] | None:
    """The user's own pending upload named by `token` (None for anyone else's, a malformed or a spent token)."""
    found = store.read_note(settings.paths.submissions, token)
    return found if found and found[1].get("username") == user.username else None


def submit(user: appdb.User, stored: store.Stored, note: dict, via: str, settings: Settings, cat: Catalogue,
           explanations: dict[tuple[int, str], str] | None = None) -> appdb.Submission:
    """Queue a checked upload without errors: the original moves beside the others, the submission row is
    written with the report, the explanations of warnings with it; with load_at_once a load starts."""
    if not checks.passed(note["report"]):
        raise Refused("校验有错误的文件不能提交，请改正后重新上传", "a file with errors cannot be submitted; correct it and "
                      "upload it again", status=422)
    name = store.promote(settings.paths.submissions, stored)
    with appdb.opened(settings.paths.app_db) as con:
        queued = appdb.add_submission(con, user, note["region"], note.get("period"), stored.filename, name,
                                      stored.sha256, stored.size, via, note["report"])
        for (line, rule), text in (explanations or {}).items():
            if text.strip():
                appdb.explain(con, queued.id, line, rule, text.strip()[:MAX_EXPLANATION])
        appdb.log_event(con, "submit", user.username, _address(), target=f"submission {queued.id}",
                        detail=f"via={via} region={note['region']} period={note.get('period') or ''} "
                               f"sha256={stored.sha256} explanations={len(explanations or {})}")
    if settings.portal.load_at_once:
        load_in_background(queued.id, cat, settings)
    return queued


def _address() -> str | None:
    """Where the request came from (the audit trail's 'from where'); None outside a request."""
    import flask

    from dashboard.auth.sessions import client_address

    return client_address() if flask.has_request_context() else None


def load_in_background(submission_id: int, cat: Catalogue, settings: Settings) -> threading.Thread:
    """Load the submission now, in a thread; a busy writer leaves it queued for the next run."""

    def work() -> None:
        try:
            load_submission_now(submission_id, cat, settings)
        except DemError as exc:  # busy (another load holds the lock) or storage: it stays queued
            LOG.info("submission %s stays queued: %s", submission_id, exc)
        except Exception:  # a bug: logged; the submission is left as the ETL left it
            LOG.exception("loading submission %s failed", submission_id)

    thread = threading.Thread(target=work, name=f"dem-submission-{submission_id}", daemon=True)
    thread.start()
    return thread


def explanation_keys(report: dict) -> list[tuple[int, str]]:
    """The warnings a submitter may explain: one per (line, rule)."""
    return sorted({(int(p["line"]), p["rule"]) for p in checks.warnings(report) if p.get("line")})
