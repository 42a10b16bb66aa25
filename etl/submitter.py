"""Who hands a file in, and what they may submit: a data officer's scope is a league or county and every unit below
it; the bureau (scope None) may submit any unit. The ETL enforces it (rule out_of_scope) and records the name with
the batch; files of the inbox have no submitter and no scope check.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Submitter:
    """`username` is recorded with the batch (batches.submitter); `scope` is a region code — a league: the league
    and its counties; a county: that county — or None for the bureau (analysts, administrators): any unit."""

    username: str
    scope: str | None = None

    @classmethod
    def of(cls, username: str, role: str, region: str | None) -> Submitter:
        """The submitter an account makes: an officer submits within its region, every other role anywhere.
        An officer without a region is given an empty scope rather than all of them (never widened by accident)."""
        return cls(username, (region or "") if role == "officer" else None)
