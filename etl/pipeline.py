"""One submission from bytes to a verdict: read → long table → normalise → validate → (load).

`check_file` validates without writing; `load_files` validates and loads each file atomically into a staging
copy of the warehouse and publishes once at the end; `etl.inbox` builds the scheduled job on top of them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from etl import problems as P
from etl.layout import LongTable, to_long
from etl.load import (
    OBSERVATION_COLUMNS,
    BatchInfo,
    InsertWhileValidating,
    load_batch,
    loaded_batch,
    record_rejection,
    rejected_before,
    reserve_batch_id,
)
from etl.normalize import normalise
from etl.problems import FileRejected
from etl.read import read_sheet
from etl.source import SourceFile
from etl.submitter import Submitter
from etl.validate import Thresholds, validate
from indicators.base import logs
from indicators.base.catalogue import Catalogue
from indicators.base.errors import DemError
from indicators.base.settings import Settings
from indicators.engine import publish
from indicators.storage import warehouse

LOADED, PARTIAL, REJECTED, DUPLICATE, CHECKED = "loaded", "partial", "rejected", "duplicate", "checked"
FAILED = "failed"  # an internal error while processing the file: quarantined like a rejected one, exit code 70
LOG = logging.getLogger("dem.etl")


@dataclass
class FileResult:
    path: Path
    status: str
    problems: list[P.Problem] = field(default_factory=list)
    rule_counts: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    batch_id: int | None = None
    sha256: str = ""
    encoding: str | None = None
    file_format: str | None = None
    layout: str | None = None
    submitter_region: str | None = None
    submitter: str | None = None  # the account that handed the file in (portal, API); None for the inbox
    synthetic: bool = False
    spans: list[tuple[int, int]] = field(default_factory=list)  # cells with line breaks: (line, lines spanned)

    @property
    def errors(self) -> list[P.Problem]:
        return [p for p in self.problems if p.severity == P.ERROR]

    @property
    def warnings(self) -> list[P.Problem]:
        return [p for p in self.problems if p.severity == P.WARNING]

    @property
    def n_errors(self) -> int:
        return sum(n for rule, n in self.rule_counts.items() if P.RULES[rule].severity == P.ERROR) or len(self.errors)

    @property
    def n_warnings(self) -> int:
        return sum(n for rule, n in self.rule_counts.items() if P.RULES[rule].severity == P.WARNING) or len(self.warnings)

    @property
    def accepted(self) -> bool:
        return self.status in (LOADED, PARTIAL, DUPLICATE) or (self.status == CHECKED and not self.errors)

    def reading(self) -> tuple[str, str] | None:
        """Physical lines against records read, and why they differ: a file whose 719 lines are 2 records says
        which cells hold line breaks. None when the file could not be read that far."""
        c = self.counts
        if "lines" not in c:
            return None
        lines, records, spans = c["lines"], c["records"], self.spans
        if self.file_format == "xlsx":
            return (f"表格第1–{lines}行中{records}行有内容", f"sheet rows 1–{lines}, {records} with content")
        zh, en = f"文件共{lines}行，读出{records}条记录", f"{lines} line(s) read as {records} record(s)"
        if spans:
            shown = spans[:5]
            more = (f"等{len(spans)}处", f", {len(spans)} in all") if len(spans) > 5 else ("", "")
            zh += "；单元格内含换行：" + "、".join(f"第{a}行起{n}行" for a, n in shown) + more[0]
            en += "; cells with line breaks: " + ", ".join(f"line {a} ({n} lines)" for a, n in shown) + more[1]
        return zh, en

    def headline(self) -> tuple[str, str]:
        name = self.path.name
        c = self.counts
        if self.status == DUPLICATE:
            return (f"{name}：已入库（批次 {self.batch_id}），未重复载入", f"{name}: already loaded (batch {self.batch_id})")
        if self.status == REJECTED:
            return (f"{name}：退回，{self.n_errors} 个错误，数据仓库未改动",
                    f"{name}: rejected, {self.n_errors} error(s); the warehouse is unchanged")
        if self.status == FAILED:
            return (f"{name}：内部错误，未载入，数据仓库未改动", f"{name}: internal error, not loaded; the warehouse "
                    "is unchanged")
        if self.status == CHECKED:
            verdict = ("通过", "passes") if not self.errors else ("未通过", "fails")
            return (f"{name}：校验{verdict[0]}，{c.get('rows', 0)} 行，{self.n_errors} 个错误，{self.n_warnings} 个警告",
                    f"{name}: check {verdict[1]}, {c.get('rows', 0)} rows, {self.n_errors} error(s), "
                    f"{self.n_warnings} warning(s)")
        left_out = (f"，{c.get('rejected', 0)} 行有错误未载入", f", {c.get('rejected', 0)} rows with errors left out") \
            if self.status == PARTIAL else ("", "")
        return (f"{name}：入库（批次 {self.batch_id}），新增 {c.get('new', 0)}，修订 {c.get('revised', 0)}，"
                f"未变 {c.get('unchanged', 0)}，未报送 {c.get('not_reported', 0)}{left_out[0]}",
                f"{name}: loaded as batch {self.batch_id}: {c.get('new', 0)} new, {c.get('revised', 0)} revised, "
                f"{c.get('unchanged', 0)} unchanged, {c.get('not_reported', 0)} not reported{left_out[1]}")

    def summary(self) -> dict:
        zh, en = self.headline()
        reading = self.reading()
        return {"file": str(self.path), "status": self.status, "batch_id": self.batch_id, "sha256": self.sha256,
                "reading_zh": reading and reading[0], "reading_en": reading and reading[1],
                "encoding": self.encoding, "file_format": self.file_format, "layout": self.layout,
                "submitter_region": self.submitter_region, "submitter": self.submitter, "synthetic": self.synthetic, "counts": self.counts,
                "errors": self.n_errors, "warnings": self.n_warnings, "rule_counts": self.rule_counts,
                "message_zh": zh, "message_en": en}


@dataclass
class Validated:
    result: FileResult
    source: SourceFile
    frame: pd.DataFrame | None = None  # normalised rows with their validation columns
    bad_rows: pd.Series | None = None
    table: LongTable | None = None
    overlaps_warehouse: bool = True  # False: the warehouse holds no current value any key of the file could have


def _current(con: duckdb.DuckDBPyConnection | None, frame: pd.DataFrame) -> pd.DataFrame:
    """Current warehouse values the cross-row rules need: same indicators, one year either side. Every current
    value a key of the file could replace is among them."""
    empty = pd.DataFrame(columns=["indicator_code", "region_code", "period", "year", "sub", "value"])
    codes = frame["indicator_code"].dropna().unique().tolist()
    years = frame["year"].dropna()
    if con is None or not codes or years.empty:
        return empty
    return con.execute(
        """SELECT indicator_code, region_code, period, year, sub, value FROM current_observations
           WHERE list_contains(?, indicator_code) AND year BETWEEN ? AND ?""",
        [codes, int(years.min()) - 1, int(years.max()) + 1]).df()


def _submitter(cat: Catalogue, regions: pd.Series) -> str | None:
    """The lowest unit containing every region of the file: a county, its league, or the region."""
    codes = set(regions.dropna().unique())
    if not codes:
        return None
    if len(codes) == 1:
        return codes.pop()
    leagues = {cat.regions.league_of(c) for c in codes}
    return leagues.pop() if len(leagues) == 1 and None not in leagues else cat.regions.root.code


def validate_file(path: Path, cat: Catalogue, settings: Settings, con: duckdb.DuckDBPyConnection | None,
                  source: SourceFile,
                  before_rules: Callable[[pd.DataFrame, pd.DataFrame], None] | None = None,
                  submitter: Submitter | None = None) -> Validated:
    """before_rules(frame, current) runs once the rows are interpreted and the warehouse values they meet are
    read, before the rules run (and before the frame gains the rules' columns): the loader starts writing there.
    `submitter`: who hands the file in — every row must lie within its scope (out_of_scope); None: no check."""
    result = FileResult(path, CHECKED, sha256=source.sha256, submitter=submitter and submitter.username)
    try:
        sheet = read_sheet(source, settings.limits)
        result.encoding, result.file_format = sheet.encoding, sheet.file_format
        result.counts, result.spans = {"rows": 0, "lines": sheet.lines, "records": sheet.records}, sheet.spans or []
        table = to_long(sheet, source.name)
    except FileRejected as exc:
        result.problems = exc.problems
        result.counts = {**result.counts, "rows": 0}
        return Validated(result, source)
    result.layout = table.layout
    frame = normalise(table, cat)
    limits = Thresholds(settings.today, settings.etl.yoy_warning_ratio, settings.etl.reconciliation_tolerance,
                        submitter, peer_z_threshold=settings.etl.peer_z_threshold,
                        peer_min_units=settings.etl.peer_min_units)
    current = _current(con, frame)
    if before_rules is not None:
        before_rules(frame, current)
    prepared, problems, bad_rows, rule_counts = validate(table, frame, cat, current, limits, source.name,
                                                         cap=settings.etl.max_errors_reported)
    result.problems, result.rule_counts = problems, rule_counts
    missing = prepared["value_state"].eq("missing") & ~bad_rows
    result.counts.update({"rows": len(prepared), "not_reported": int(missing.sum()), "rejected": int(bad_rows.sum())})
    result.submitter_region = _submitter(cat, prepared["region_code"])
    result.synthetic = bool(prepared["synthetic"].any())
    return Validated(result, source, prepared, bad_rows, table, overlaps_warehouse=not current.empty)


def _league_keys(cat: Catalogue, frame: pd.DataFrame | None, submitter: Submitter | None = None) -> pd.DataFrame | None:
    """(indicator_code, league_code, period) of every row whose three parts were understood: what a rejected file
    meant to submit, by league (county rows count for their league; rows of the region itself for none). Rows
    outside the submitter's scope are not the other league's rejection: left out."""
    if frame is None:
        return None
    rows = frame[["indicator_code", "region_code", "period"]].dropna().astype("str").drop_duplicates()
    if submitter is not None and submitter.scope is not None:
        rows = rows[rows["region_code"].isin(cat.regions.within(submitter.scope))]
    leagues = {r.code: cat.regions.league_of(r.code) for r in cat.regions.regions}
    rows = rows.assign(league_code=rows["region_code"].map(leagues)).dropna(subset=["league_code"])
    return rows[["indicator_code", "league_code", "period"]].drop_duplicates()


def open_source(path: Path, settings: Settings) -> SourceFile | FileResult:
    """The file's bytes, or the verdict on a file that cannot be read (too large, not a file, changing)."""
    try:
        return SourceFile.open(path, settings.limits.max_file_bytes)
    except FileRejected as exc:
        return FileResult(path, REJECTED, problems=exc.problems, counts={"rows": 0})


def check_files(paths: list[Path], cat: Catalogue, settings: Settings,
                submitter: Submitter | None = None) -> list[FileResult]:
    """Validate only. Cross-row rules compare with the published warehouse when there is one; with a submitter,
    every row must lie within its scope."""
    db = settings.paths.warehouse

    def check(path: Path) -> FileResult:
        source = open_source(path, settings)
        if isinstance(source, FileResult):
            source.status = CHECKED
            return source
        return validate_file(path, cat, settings, con, source, submitter=submitter).result

    with warehouse.reader(db) if db.exists() else contextlib.nullcontext() as con:
        return [guarded(path, settings, lambda p=path: check(p)) for path in paths]


def guarded(path: Path, settings: Settings, work: Callable[[], FileResult]) -> FileResult:
    """One file's work; an unexpected error (a bug, memory exhausted) becomes that file's verdict — FAILED, with
    the traceback in the error log — instead of ending the run. Errors of the system itself (the lock, a full
    disk: DemError, OSError) are not the file's and still end the run."""
    try:
        return work()
    except (DemError, OSError, duckdb.IOException, KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # noqa: BLE001 — that is the point: any per-file failure is reported, not raised
        log = log_internal_error(settings, f"file {path}", exc)
        detail = f"{type(exc).__name__}: {str(exc)[:200]}"
        return FileResult(path, FAILED, counts={"rows": 0},
                          problems=[P.make("internal_error", path.name, None, "", "", detail=detail, log=log)])


def log_internal_error(settings: Settings, what: str, exc: BaseException) -> str:
    """Append the traceback to <logs>/etl-errors.log (rotated by size, [logging] max_bytes and backups), and one
    line without it on the `dem.etl` logger — never a traceback on the terminal; returns the log's path."""
    import traceback

    path = settings.paths.logs / "etl-errors.log"
    try:
        logs.append(path, f"{warehouse.utc_now().isoformat()}Z internal error in {what}\n"
                    + "".join(traceback.format_exception(exc)) + "\n", settings.logging)
    except OSError:
        where = "(日志不可写 | log not writable)"
    else:
        where = str(path)
    LOG.error("internal error in %s: %s: %s (traceback in %s)", what, type(exc).__name__,
              (str(exc).splitlines() or [""])[0][:200], where)
    return where


def _batch_info(v: Validated, status: str, message: str) -> BatchInfo:
    r, c = v.result, v.result.counts
    return BatchInfo(
        file_name=v.source.name, file_path=str(v.source.path.resolve()), sha256=v.source.sha256,
        size_bytes=v.source.size, received_at=v.source.modified, status=status, file_format=r.file_format,
        encoding=r.encoding, layout=r.layout, rows_total=c.get("rows", 0), rows_not_reported=c.get("not_reported", 0),
        rows_rejected=c.get("rejected", 0) if status != REJECTED else c.get("rows", 0), n_errors=r.n_errors,
        n_warnings=r.n_warnings, submitter_region=r.submitter_region, synthetic=r.synthetic, message=message,
        submitter=r.submitter)


def load_one(stage: warehouse.Staging, path: Path, cat: Catalogue, settings: Settings, partial: bool,
             source: SourceFile | None = None, submitter: Submitter | None = None) -> FileResult:
    """Validate against the staging warehouse and load all or nothing (or, with partial, the valid rows).
    `source`: the bytes already read (the inbox reads them itself, without following links); `submitter`: who
    hands the file in (scope checked, name recorded with the batch)."""
    if source is None:
        source = open_source(path, settings)
        if isinstance(source, FileResult):
            return source
    if (batch := loaded_batch(stage.con, source.sha256)) is not None:
        return FileResult(path, DUPLICATE, batch_id=batch, sha256=source.sha256,
                          submitter=submitter and submitter.username)
    first_try = rejected_before(stage.con, source.sha256) is None
    inserting: list[InsertWhileValidating] = []

    def start_writing(frame: pd.DataFrame, current: pd.DataFrame) -> None:
        """A file none of whose keys the warehouse holds (a first load) is written while it is validated."""
        if current.empty and first_try:
            numbers = frame["value_state"].eq("ok").to_numpy()
            rows = frame if numbers.all() else frame.loc[numbers]
            inserting.append(InsertWhileValidating(stage.con, rows, reserve_batch_id(stage.con)))

    try:
        v = validate_file(path, cat, settings, stage.con, source, before_rules=start_writing, submitter=submitter)
    except BaseException:
        for e in inserting:
            e.abandon()
        raise
    r = v.result
    reserved = inserting[0].batch_id if inserting else None
    if r.errors and not (partial and v.frame is not None and (~v.bad_rows).any()):
        r.status = REJECTED
        for e in inserting:
            e.abandon()
        if first_try:
            r.batch_id = record_rejection(stage.con, _batch_info(v, REJECTED, r.headline()[1]), r.problems, reserved,
                                          keys=_league_keys(cat, v.frame, submitter))
            stage.changed = True
        return r
    # a repeated identical line (_same_as) is loaded once; lines with errors only under --partial, left out
    numbers = v.frame["value_state"].eq("ok").to_numpy()
    keep = ~v.bad_rows.to_numpy() & numbers & v.frame["_same_as"].isna().to_numpy()
    r.status = PARTIAL if r.errors else LOADED
    info = _batch_info(v, r.status, "")
    stage.changed = True
    if inserting and keep[numbers].all():  # validation accepted exactly the rows already written
        r.batch_id, changes = reserved, inserting[0].commit(info, r.problems)
    else:
        for e in inserting:
            e.abandon()
        rows = v.frame[OBSERVATION_COLUMNS]
        rows = rows if keep.all() else rows.loc[keep]
        r.batch_id, changes = load_batch(stage.con, info, rows, r.problems, all_new=not v.overlaps_warehouse,
                                         batch_id=reserved)
    r.counts.update({k: int(n) for k, n in changes.items()})
    return r


def load_guarded(stage: warehouse.Staging, path: Path, cat: Catalogue, settings: Settings, partial: bool,
                 source: SourceFile | None = None, submitter: Submitter | None = None) -> FileResult:
    """load_one, with an unexpected error turned into that file's FAILED verdict. Whatever it left open is
    rolled back, so the next file starts on the staging warehouse as the previous file left it."""
    result = guarded(path, settings, lambda: load_one(stage, path, cat, settings, partial, source, submitter))
    if result.status == FAILED:
        with contextlib.suppress(duckdb.Error):
            stage.con.execute("ROLLBACK")
    return result


def load_files(paths: list[Path], cat: Catalogue, settings: Settings, partial: bool = False,
               locked: bool = False, submitter: Submitter | None = None) -> list[FileResult]:
    """Each file loads completely or not at all; the warehouse is published once, after the last file."""
    with writing(settings, cat, locked=locked) as stage:
        return [load_guarded(stage, p, cat, settings, partial, submitter=submitter) for p in paths]


@contextlib.contextmanager
def writing(settings: Settings, cat: Catalogue, locked: bool = False) -> Iterator[warehouse.Staging]:
    with warehouse.writer(settings.paths.warehouse, on_publish=publish.step(cat, settings), locked=locked,
                          memory_mb=settings.limits.writer_memory_mb) as stage:
        yield stage
