"""Typed settings: config/settings.toml, overridden by DEM_* environment variables, then by CLI options."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from indicators.base.errors import ConfigError
from indicators.base.resources import bundled, checkout

# Short environment names for the settings people change most (DEM_DB=/srv/dem/dem.duckdb).
SHORT_ENV = {
    "DEM_DB": ("paths", "warehouse"),
    "DEM_INBOX": ("paths", "inbox"),
    "DEM_ARCHIVE": ("paths", "archive"),
    "DEM_QUARANTINE": ("paths", "quarantine"),
    "DEM_EXPORTS": ("paths", "exports"),
    "DEM_HOST": ("server", "host"),
    "DEM_PORT": ("server", "port"),
    "DEM_LOG_FORMAT": ("logging", "format"),
    "DEM_LOG_LEVEL": ("logging", "level"),
}


def project_root() -> Path:
    """DEM_HOME, the folder relative paths of settings.toml start from: set, else the checkout the code runs from,
    else (installed from a wheel) the current directory — never the installed package's folder."""
    home = os.environ.get("DEM_HOME")
    return Path(home) if home else checkout() or Path.cwd()


def config_dir() -> Path:
    """config/, the first found: DEM_CONFIG (`dem --config DIR` sets it), DEM_HOME/config when DEM_HOME is set and
    holds one, the checkout's config/, else the default packaged with the code (README "Configuration")."""
    if os.environ.get("DEM_CONFIG"):
        return Path(os.environ["DEM_CONFIG"])
    home = os.environ.get("DEM_HOME")
    if home and (Path(home) / "config").is_dir():
        return Path(home) / "config"
    return bundled("config")


@dataclass(frozen=True)
class Paths:
    warehouse: Path
    inbox: Path
    archive: Path
    quarantine: Path
    exports: Path
    logs: Path
    app_db: Path  # application state: users, tokens, submissions, login audit (SQLite, written at any time)
    submissions: Path  # originals submitted through the portal or the API, byte-identical, until loaded
    secret_key: Path  # the key signing session cookies and CSRF tokens, made on first use (mode 0600)


@dataclass(frozen=True)
class Server:
    host: str = "127.0.0.1"
    port: int = 8050
    workers: int = 2
    max_request_bytes: int = 1_048_576  # larger request bodies are refused with 413 (Flask and gunicorn)
    pdf_keep_hours: float = 24.0  # rendered bulletins are reused for identical requests, then removed


@dataclass(frozen=True)
class Etl:
    yoy_warning_ratio: float = 0.5
    reconciliation_tolerance: float = 0.01
    max_errors_reported: int = 1000
    peer_z_threshold: float = 3.5  # warn when a value's modified z-score among the same level's units exceeds this
    peer_min_units: int = 5  # … computed only when at least this many units of that level report the period

    def __post_init__(self) -> None:
        if not self.peer_z_threshold > 0 or self.peer_min_units < 3:  # a median and its spread need a few units
            raise ValueError(f"peer_z_threshold ({self.peer_z_threshold}) must be > 0 and peer_min_units "
                             f"({self.peer_min_units}) at least 3")


@dataclass(frozen=True)
class Limits:
    """What a submission may be, checked before the expensive work (each refusal is a bilingual error)."""

    max_file_bytes: int = 512 * 2**20
    max_rows: int = 5_000_000  # records of a CSV, rows of a sheet (an .xlsx holds at most 1 048 576 anyway)
    max_columns: int = 1_000
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    max_cell_lines: int = 100  # lines inside one quoted CSV cell (a note with line breaks)
    max_xlsx_member_bytes: int = 512 * 2**20  # inflated size of one part of an .xlsx (zip) file
    max_xlsx_ratio: float = 200.0  # inflated / compressed size of one part larger than 1 MiB
    writer_memory_mb: int = 768  # DuckDB's memory while loading and publishing; beyond it, working tables spill to disk


@dataclass(frozen=True)
class Inbox:
    settle_seconds: float = 60.0  # a file is taken only when it has not changed for this long
    owner: str = ""  # user who must own inbox files; empty: the user running the job


@dataclass(frozen=True)
class Auth:
    """Accounts and sessions (dashboard/auth)."""

    min_password_length: int = 12
    session_idle_minutes: int = 30  # a session unused this long needs a new login
    cookie_secure: bool = False  # send the session cookie over HTTPS only (set when served behind TLS)
    login_limit: str = "5 per 15 minutes"  # failed logins per user and per address before a lockout
    trusted_header: str = ""  # single sign-on: the user name in this request header (e.g. X-Remote-User) ...
    trusted_proxies: str = ""  # ... honoured only from these comma-separated addresses (the reverse proxy)


@dataclass(frozen=True)
class Portal:
    """Submissions through the web portal and the API (dashboard/portal)."""

    max_upload_bytes: int = 20 * 2**20  # larger uploads are refused with 413
    load_at_once: bool = False  # load a submission at once in a background job (else the scheduled dem etl run)


@dataclass(frozen=True)
class Api:
    """The public read API /api/v1 (dashboard/api, docs/api.md)."""

    page_size: int = 100  # rows per page when the caller gives no limit
    max_page_size: int = 1000  # the largest limit a caller may ask for (a larger one is a 400)
    max_age: int = 300  # Cache-Control max-age (seconds) of anonymous answers; ETag revalidates them after
    cors_origins: str = ""  # comma-separated origins allowed to read from a browser (CORS); empty: none; * any
    rate_limit: str = "300 per minute"  # requests per client address and worker, then 429

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= self.max_page_size <= 100_000 or self.max_age < 0:
            raise ValueError(f"page_size ({self.page_size}) and max_page_size ({self.max_page_size}) must satisfy "
                             f"1 ≤ page_size ≤ max_page_size ≤ 100000, max_age ({self.max_age}) ≥ 0")
        for origin in self.origins():
            if origin != "*" and not origin.startswith(("http://", "https://")) or origin.endswith("/"):
                raise ValueError(f"cors_origins: {origin!r} is not an origin such as https://data.example.org")

    def origins(self) -> tuple[str, ...]:
        return tuple(o.strip() for o in self.cors_origins.split(",") if o.strip())


LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class Logging:
    """How every process logs (indicators/base/logs.py) and how long its log files are kept (docs/deployment.md)."""

    format: str = "text"  # text: "2026-11-30T13:00:00Z WARNING dem.etl message"; json: one object per line
    level: str = "info"  # of the dem loggers and gunicorn's error log; other libraries log from warning up
    keep_run_logs: int = 90  # the newest run logs of `dem etl run` (etl-run-*.json) kept; older ones are deleted
    max_bytes: int = 10 * 2**20  # dem-errors.log, etl-errors.log and etl-runs.log are rotated beyond this size …
    backups: int = 5  # … keeping this many older files (name.1 the newest)

    def __post_init__(self) -> None:
        # DEM_LOG_LEVEL=INFO is what people type; a misspelt value would otherwise log at some default silently
        object.__setattr__(self, "format", self.format.strip().lower())
        object.__setattr__(self, "level", self.level.strip().lower())
        if self.format not in LOG_FORMATS:
            raise ValueError(f"format = {self.format!r}: one of {', '.join(LOG_FORMATS)}")
        if self.level not in LOG_LEVELS:
            raise ValueError(f"level = {self.level!r}: one of {', '.join(LOG_LEVELS)}")
        if self.keep_run_logs < 1 or self.max_bytes < 4096 or self.backups < 1:
            raise ValueError(f"keep_run_logs ({self.keep_run_logs}) and backups ({self.backups}) must be ≥ 1, "
                             f"max_bytes ({self.max_bytes}) ≥ 4096")


REVIEW_STEPS = {"league", "bureau"}  # an officer of the batch's league; an analyst or administrator


@dataclass(frozen=True)
class Review:
    """Who reviews a loaded submission before it can be released: the steps, in order (docs/review.md)."""

    county_steps: str = "league,bureau"  # a county's: an officer of its league approves, then the bureau accepts
    league_steps: str = "bureau"  # a league's own (and the region's): the bureau accepts

    def __post_init__(self) -> None:
        # checked when the settings load: a misspelt or empty list would otherwise surface only as batches nobody
        # may review, or (empty) as batches needing no review at all
        for key, level in (("county_steps", "county"), ("league_steps", "league")):
            steps = self.steps(level)
            if not steps or set(steps) - REVIEW_STEPS or len(set(steps)) != len(steps):
                raise ValueError(f"{key} = {getattr(self, key)!r}: one or more of {', '.join(sorted(REVIEW_STEPS))}, "
                                 "each once, in order")

    def steps(self, level: str) -> tuple[str, ...]:
        text = self.county_steps if level == "county" else self.league_steps
        return tuple(s.strip() for s in text.split(",") if s.strip())


@dataclass(frozen=True)
class Quality:
    deadline_days_annual: int = 90
    deadline_days_quarterly: int = 45
    deadline_days_monthly: int = 20

    def deadline_days(self, frequency: str) -> int:
        return getattr(self, f"deadline_days_{frequency}")


@dataclass(frozen=True)
class Progress:
    base_year: int = 2020
    on_track: float = 0.95
    needs_acceleration: float = 0.6
    no_target_high: float = 0.015
    no_target_mid: float = 0.005


INDEX_MISSING = ("reweight", "zero", "exclude_region")  # what a league's missing indicator does to its index


@dataclass(frozen=True)
class Index:
    base_year: int = 2024
    missing: str = "reweight"
    min_coverage: float = 0.5
    min_chapter_indicators: int = 2  # a chapter sub-index resting on fewer indicators is flagged as fragile
    chapter_weights: dict[int, float] = field(default_factory=lambda: {c: 1.0 for c in range(2, 9)})

    def __post_init__(self) -> None:
        # a misspelt policy (DEM_INDEX_MISSING=bogus) would otherwise be taken for "reweight" silently
        if self.missing not in INDEX_MISSING:
            raise ValueError(f"missing = {self.missing!r}: one of {', '.join(INDEX_MISSING)}")
        if not 0 <= self.min_coverage <= 1 or self.min_chapter_indicators < 1:
            raise ValueError(f"min_coverage ({self.min_coverage}) must lie in 0–1 and min_chapter_indicators "
                             f"({self.min_chapter_indicators}) be ≥ 1")
        if any(w < 0 for w in self.chapter_weights.values()):
            raise ValueError(f"chapter_weights {self.chapter_weights}: no weight may be negative")


@dataclass(frozen=True)
class Settings:
    paths: Paths
    server: Server
    etl: Etl
    limits: Limits
    inbox: Inbox
    quality: Quality
    progress: Progress
    index: Index
    auth: Auth
    portal: Portal
    review: Review
    api: Api = field(default_factory=Api)
    logging: Logging = field(default_factory=Logging)
    # the clock for 'period in the future' and 'year in progress', read once when the settings are loaded
    # (DEM_TODAY=YYYY-MM-DD pins it) and passed down with them: no module reads the environment or the clock itself
    today: date = dataclasses.field(default_factory=date.today)

    def with_overrides(self, **overrides: Any) -> Settings:
        """Apply CLI options given as section_key=value (e.g. paths_warehouse=…); None values are ignored.
        A relative path given here was typed in a shell: it is relative to the current directory."""
        sections = {name: dataclasses.asdict(getattr(self, name)) for name in SECTIONS}
        for name, value in overrides.items():
            if value is None:
                continue
            section, _, key = name.partition("_")
            if section not in sections or key not in sections[section]:
                raise ConfigError(f"unknown setting {name}")
            sections[section][key] = from_cwd(value) if section == "paths" else value
        return _build(sections, self.today)

    def at(self, today: date) -> Settings:
        """The same settings with the clock at `today` (tests, reports for a past date)."""
        return dataclasses.replace(self, today=today)


def from_cwd(value: Any) -> Path:
    """A path typed on the command line or set in the environment, as the user means it: relative to the
    current directory ('data/x.duckdb' run in /srv/dem is /srv/dem/data/x.duckdb), with ~ expanded."""
    path = Path(os.path.expanduser(str(value)))
    return path if path.is_absolute() else Path.cwd() / path


def _coerce(value: Any, kind: type, where: str) -> Any:
    try:
        if kind is Path:
            path = Path(os.path.expanduser(str(value)))
            return path if path.is_absolute() else project_root() / path
        if kind is bool:
            return str(value).lower() in {"1", "true", "yes", "on"}
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {value!r} is not a valid {kind.__name__}") from exc


SECTIONS = ("paths", "server", "etl", "limits", "inbox", "quality", "progress", "index", "auth", "portal", "review",
            "api", "logging")


def _build(sections: dict[str, dict[str, Any]], today: date | None = None) -> Settings:
    built = {}
    for section_field in (f for f in dataclasses.fields(Settings) if f.name in SECTIONS):
        cls = section_field.type if isinstance(section_field.type, type) else globals()[section_field.type]
        raw = sections.get(section_field.name, {})
        unknown = set(raw) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ConfigError(f"settings.toml [{section_field.name}]: unknown keys {sorted(unknown)}")
        values = {}
        for f in dataclasses.fields(cls):
            if f.name not in raw:
                continue
            where = f"[{section_field.name}] {f.name}"
            if f.name == "chapter_weights":
                values[f.name] = {int(k): _coerce(v, float, where) for k, v in raw[f.name].items()}
            else:
                kind = {"Path": Path, "str": str, "int": int, "float": float, "bool": bool}[str(f.type)]
                values[f.name] = _coerce(raw[f.name], kind, where)
        try:
            built[section_field.name] = cls(**values)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"settings.toml [{section_field.name}]: {exc}") from exc
    return Settings(**built, today=today or date.today())


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read settings.toml, then apply DEM_<SECTION>_<KEY> and the short DEM_* names from the environment."""
    environ = os.environ if environ is None else environ
    path = path or config_dir() / "settings.toml"
    try:
        sections = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"settings file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    for env, (section, key) in SHORT_ENV.items():
        if environ.get(env):
            sections.setdefault(section, {})[key] = from_cwd(environ[env]) if section == "paths" else environ[env]
    for name, value in environ.items():
        if not name.startswith("DEM_") or name in SHORT_ENV:
            continue
        for section in SECTIONS:
            prefix = f"DEM_{section.upper()}_"
            if name.startswith(prefix):
                sections.setdefault(section, {})[name[len(prefix):].lower()] = \
                    from_cwd(value) if section == "paths" else value
    return _build(sections, _clock(environ.get("DEM_TODAY")))


def _clock(pinned: str | None) -> date:
    if not pinned:
        return date.today()
    try:
        return date.fromisoformat(pinned)
    except ValueError:
        raise ConfigError(f"DEM_TODAY: {pinned!r} is not a date (YYYY-MM-DD)") from None
