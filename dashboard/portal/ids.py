"""The portal's component ids, defined once."""

from __future__ import annotations

UNIT = "portal-unit"
PERIOD = "portal-period"
TEMPLATE_XLSX = "portal-template-xlsx"
TEMPLATE_CSV = "portal-template-csv"
UPLOAD = "portal-upload"
UPLOAD_CONFIG = "portal-upload-config"  # {"url": the upload route, "csrf": the session's CSRF token}
UPLOADED = "portal-uploaded"  # what the upload route answered: {"token", …} or {"error", "message_zh", …}
REPORT = "portal-report"
EXPLAIN = "portal-explain"  # pattern-matching type: {"type": EXPLAIN, "key": "7|yoy_change"}
SUBMIT = "portal-submit"
RESULT = "portal-result"
LIST = "portal-list"
TICK = "portal-tick"
DETAIL = "portal-detail"
EXPLAIN_LATER = "portal-explain-later"  # pattern-matching type on /submissions: {"type": …, "key": "3|yoy_change"}
EXPLAINING = "portal-explaining"  # the submission whose warnings the boxes explain
EXPLAIN_SAVE = "portal-explain-save"
EXPLAIN_RESULT = "portal-explain-result"
