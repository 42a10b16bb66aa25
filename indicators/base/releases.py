"""The release calendar (config/releases.csv): which periods become public when (Art. 9: 定期向社会公布).

One row per release: `release_id`, `release_at` (Beijing time, `YYYY-MM-DD HH:MM`), `periods` and the titles.
`periods` is a `;`-separated list of what the release covers, each item one of
  2023      the annual values of 2023          2023Q3   that quarter
  2023M08   that month                         2023*    every period of 2023 (year, quarters, months)
  *         every period (a release of everything accepted so far: first publication of an existing warehouse)
Accepted values of a covered period become public at the release; revisions of values released before are released
with every release, whatever their period (docs/releases.md).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from indicators.base.errors import ConfigError
from indicators.base.settings import config_dir

BEIJING = timezone(timedelta(hours=8), "CST")
ITEM = re.compile(r"^(\*|\d{4}\*|\d{4}|\d{4}Q[1-4]|\d{4}M(0[1-9]|1[0-2]))$")
RELEASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
COLUMNS = ("release_id", "release_at", "periods", "title_zh", "title_en")


@dataclass(frozen=True)
class Release:
    release_id: str
    at: datetime  # UTC, naive (as the warehouse stores times)
    periods: tuple[str, ...]
    title_zh: str
    title_en: str

    def covers(self, period: str) -> bool:
        """Release('…', periods=('2023*',)).covers('2023Q2') → True; ('2023',) covers '2023' only."""
        return any(item == "*" or item == period or (item.endswith("*") and period.startswith(item[:-1]))
                   for item in self.periods)

    @property
    def local_time(self) -> str:
        """The release time as announced: Beijing time, '2025-06-30 09:30'."""
        return self.at.replace(tzinfo=UTC).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")

    def due(self, now: datetime) -> bool:
        return self.at <= now


def parse_time(text: str) -> datetime:
    """'2025-06-30 09:30' (Beijing time) → 2025-06-30 01:30 UTC, naive."""
    local = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=BEIJING)
    return local.astimezone(UTC).replace(tzinfo=None)


def load_calendar(path: Path | None = None) -> list[Release]:
    """The releases in time order; a ConfigError names every bad line (column, value, rule)."""
    path = path or config_dir() / "releases.csv"
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            rows, header = list(reader), reader.fieldnames or []
    except FileNotFoundError as exc:
        raise ConfigError(f"missing configuration file: {exc.filename}") from exc
    # checked even without rows: a garbage header alone is a broken calendar, not an empty one
    problems = [f"releases.csv: missing column {c}" for c in COLUMNS if c not in header]
    if problems:
        raise ConfigError(problems)
    out: list[Release] = []
    for line, row in enumerate(rows, start=2):
        out.extend(_release(row, line, problems, {r.release_id for r in out}))
    if problems:
        raise ConfigError(problems)
    return sorted(out, key=lambda r: (r.at, r.release_id))


def _release(row: dict, line: int, problems: list[str], seen: set[str]) -> list[Release]:
    where = f"releases.csv line {line}"
    rid = (row.get("release_id") or "").strip()
    if not RELEASE_ID.match(rid):
        problems.append(f"{where}, column release_id: {rid!r} is not an id (letters, digits, . _ -; at most 40)")
        return []
    if rid in seen:
        problems.append(f"{where}, column release_id: {rid!r} appears twice")
        return []
    try:
        at = parse_time(row.get("release_at") or "")
    except ValueError:
        problems.append(f"{where}, column release_at: {row.get('release_at')!r} is not 'YYYY-MM-DD HH:MM' (Beijing time)")
        return []
    items = tuple(p.strip() for p in (row.get("periods") or "").split(";") if p.strip())
    bad = [p for p in items if not ITEM.match(p)]
    if not items or bad:
        problems.append(f"{where}, column periods: {bad or row.get('periods')!r} — expected 2023, 2023Q3, 2023M08, "
                        "2023* or * separated by ;")
        return []
    title_zh, title_en = (row.get("title_zh") or "").strip(), (row.get("title_en") or "").strip()
    if not title_zh or not title_en:
        problems.append(f"{where}: a release needs title_zh and title_en")
        return []
    return [Release(rid, at, items, title_zh, title_en)]


def by_id(calendar: list[Release], release_id: str) -> Release | None:
    return next((r for r in calendar if r.release_id == release_id), None)
