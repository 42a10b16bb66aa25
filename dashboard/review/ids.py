"""The review page's component ids, defined once."""

from __future__ import annotations

QUEUE = "review-queue"
DETAIL = "review-detail"
SELECTED = "review-selected"  # the batch id of the clicked row
COMMENT = "review-comment"
APPROVE = "review-approve"
ACCEPT = "review-accept"
RETURN = "review-return"
RESULT = "review-result"
CHANGES = "review-changes"
PERIOD = "review-period"  # selects every row of the queue that wrote this period
BULK_APPROVE = "review-bulk-approve"
BULK_RETURN = "review-bulk-return"
