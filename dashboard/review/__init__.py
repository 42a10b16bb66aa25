"""The review of loaded batches (docs/review.md): policy (who may decide what) → queue (what waits for whom, read
from the warehouse and the application database) → page (/review). Registers its texts when imported."""

from dashboard.review import texts  # noqa: F401  (registers the texts)
