"""The check of an upload: the ETL's own validation (etl.pipeline.check_files — the same rules and wording as
`dem etl check`) of the stored file, with the submitter's scope (rule out_of_scope), as a report dict:

    {"status": "checked", "filename": "报送.csv", "n_errors": 1, "n_warnings": 0, "message_zh": …, "message_en": …,
     "counts": {...}, "problems": [{"line": 3, "column": "period", "value": "2023-13", "rule": "bad_period",
                                    "severity": "error", "message_zh": …, "message_en": …}, …]}

The report names the file by the client's name (display text), never by the path it is stored under.
"""

from __future__ import annotations

import json
from pathlib import Path

from etl import problems as P
from etl.pipeline import check_files
from etl.submitter import Submitter
from indicators.base.catalogue import Catalogue
from indicators.base.settings import Settings
from indicators.storage import appdb

HIDDEN = ("file", "sha256")  # the server's path and the hash shown elsewhere: not in the report's summary


def submitter(user: appdb.User) -> Submitter:
    """The ETL's view of an account: an officer submits within its region, analysts and admins anywhere."""
    return Submitter.of(user.username, user.role, user.region)


def check(path: Path, filename: str, user: appdb.User, cat: Catalogue, settings: Settings) -> dict:
    """Validate the stored file as `user` would submit it; nothing is written to the warehouse."""
    result = check_files([path], cat, settings, submitter=submitter(user))[0]
    summary = {k: v for k, v in result.summary().items() if k not in HIDDEN}
    for key in ("message_zh", "message_en"):  # the headline names the file: by the client's name
        summary[key] = str(summary[key]).replace(path.name, filename)
    report = json.loads(json.dumps(summary, default=str))  # plain JSON types, as stored and sent
    problems = [{**record, "file": filename} for record in P.to_records(result.problems)]
    return {**report, "filename": filename, "n_errors": result.n_errors, "n_warnings": result.n_warnings,
            "problems": problems}


def passed(report: dict) -> bool:
    return not report.get("n_errors")


def errors(report: dict) -> list[dict]:
    return [p for p in report.get("problems", []) if p.get("severity") == P.ERROR]


def warnings(report: dict) -> list[dict]:
    return [p for p in report.get("problems", []) if p.get("severity") == P.WARNING]


def problems_csv(report: dict) -> bytes:
    """Every problem of the report as CSV (UTF-8 with BOM for Excel; formula-like cells neutralised), the same
    columns as the `<name>.errors.csv` of the quarantine."""
    rows = [P.Problem(**{k: p.get(k) for k in P.COLUMNS}) for p in report.get("problems", [])]
    return ("\ufeff" + P.to_csv(rows)).encode("utf-8")
