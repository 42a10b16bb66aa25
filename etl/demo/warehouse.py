"""The demo warehouse: data/reference/ (real figures) first, then freshly generated demo files, through the
production loader, built beside the published warehouse and renamed into place.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from etl.demo.files import demo_dir, generate
from etl.demo.panel import reference_dir
from etl.pipeline import FileResult, load_files
from etl.release import accept_unreviewed, publish_release
from indicators.base.catalogue import Catalogue, load_catalogue
from indicators.base.releases import load_calendar
from indicators.base.settings import Settings
from indicators.engine.release import rebuild_public
from indicators.storage import appdb, warehouse


def reference_files() -> list[Path]:
    """The real figures (data/reference/*.csv), loaded before the demo files."""
    return sorted(reference_dir().glob("*.csv"))


@dataclass
class BuildReport:
    warehouse: Path
    reference: list[Path]
    demo: list[Path]
    results: list[FileResult]
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    released: list[str] = field(default_factory=list)
    app_db_aside: Path | None = None

    @property
    def rejected(self) -> list[FileResult]:
        return [r for r in self.results if r.status not in ("loaded", "duplicate")]

    def lines(self) -> list[str]:
        c, size = self.counts, self.warehouse.stat().st_size / 1e6 if self.warehouse.exists() else 0.0
        warned = "，".join(f"{rule} {n}" for rule, n in self.warnings.items()) or "无 none"
        out = [f"示例数据仓库 demo warehouse: {self.warehouse} ({size:.1f} MB), {self.seconds:.1f} s",
               f"文件 files: 真实 reference {len(self.reference)} + 示例 demo {len(self.demo)}; "
               f"批次 batches: {c.get('batches', 0)} (退回 rejected {len(self.rejected)})",
               f"观测值 observations (current): {c.get('observations', 0)} — 示例 synthetic {c.get('synthetic', 0)}, "
               f"真实 real {c.get('real', 0)}",
               f"警告 warnings: {warned}",
               f"已发布 released: {', '.join(self.released) or '—'} → {warehouse.public_path(self.warehouse).name}; "
               "最近一期未发布 the latest period stays unreleased (dem release list)"]
        if self.app_db_aside is not None:
            out.append(f"应用数据库属于此前的数据仓库，已移至 {self.app_db_aside}（用 dem users demo 重建示例账户） | the "
                       f"application database referred to the previous warehouse's batches: moved to "
                       f"{self.app_db_aside} (make the demo accounts again with dem users demo)")
        for r in self.rejected:
            out.append(f"✗ {r.headline()[0]}")
        return out

    def as_dict(self) -> dict:
        """`dem demo build --format json` (shape in docs/cli-json.md)."""
        return {"warehouse": str(self.warehouse), "public_warehouse": str(warehouse.public_path(self.warehouse)),
                "seconds": round(self.seconds, 1), "reference_files": len(self.reference), "demo_files": len(self.demo),
                "counts": self.counts, "warnings": self.warnings, "released": self.released,
                "app_db_aside": str(self.app_db_aside) if self.app_db_aside else None,
                "rejected": [{"file": str(r.path), "status": r.status, "message_zh": r.headline()[0],
                              "message_en": r.headline()[1]} for r in self.rejected]}

    def file_rows(self) -> list[dict]:
        """`dem demo build --format csv`: one row per file loaded, the real figures (reference) first."""
        kinds = {str(p): "reference" for p in self.reference} | {str(p): "demo" for p in self.demo}
        return [{"file": str(r.path), "kind": kinds.get(str(r.path), ""), "status": r.status, "batch_id": r.batch_id,
                 "errors": r.n_errors, "warnings": r.n_warnings, "message_en": r.headline()[1]} for r in self.results]


DEMO_REVIEW = "示例数据：由 dem demo build 接收 | demo data, accepted by dem demo build"


def set_aside_app_db(settings: Settings) -> Path | None:
    """The rebuilt warehouse numbers its batches anew: an application database whose submissions and decisions
    refer to the previous one's batches is renamed aside (<name>.<UTC time>.previous, with its -wal and -shm) and
    a new one starts (`dem users demo` makes the demo accounts again). Returns where it went."""
    app_db = settings.paths.app_db
    if not app_db.exists():
        return None
    with appdb.opened(app_db) as con:
        bound = appdb.bound_warehouse(con)
    with warehouse.reader(settings.paths.warehouse) as con:
        current = warehouse.warehouse_id(con)
    if bound is None or bound == current:
        return None
    aside = app_db.with_name(f"{app_db.name}.{warehouse.utc_now():%Y%m%dT%H%M%S}.previous")
    for suffix in ("", "-wal", "-shm"):
        source = app_db.with_name(app_db.name + suffix)
        if source.exists():
            os.replace(source, aside.with_name(aside.name + suffix))
    return aside


def release_demo(cat: Catalogue, settings: Settings) -> list[str]:
    """Accept every demo batch and carry out the calendar's releases whose time has come — except the last one, so
    that the most recent period (2024M12 in the shipped calendar) stays submitted-but-unreleased and both states can
    be seen. Rebuilds the public warehouse once."""
    accept_unreviewed(cat, settings, "demo", DEMO_REVIEW)
    calendar, now = load_calendar(), warehouse.utc_now()
    done = []
    for rel in calendar[:-1]:
        if rel.due(now):
            publish_release(rel, cat, settings, "demo", "cli", rebuild=False)  # each at its own time
            done.append(rel.release_id)
    rebuild_public(settings, cat)
    return done


def build(seed: int, settings: Settings, out: Path | None = None, cat: Catalogue | None = None,
          on_step: Callable[[str], None] | None = None) -> BuildReport:
    """Regenerate the demo files and rebuild the warehouse from scratch: the real figures first, then the demo;
    `on_step(text)` as each step starts (the CLI's progress)."""
    step = on_step or (lambda _text: None)
    started = time.perf_counter()
    cat = cat or load_catalogue()
    out = out or demo_dir()
    for stale in [*out.glob("*.csv"), *out.glob("*.xlsx")]:
        stale.unlink()  # files of an earlier plan; README.md stays
    step("生成示例文件 | generating the demo files")
    demo = generate(seed, out, cat)
    published = settings.paths.warehouse
    with warehouse.exclusive_lock(published):  # a rebuild: nobody else may write meanwhile
        # build beside the published file and rename it into place, so readers never see a missing warehouse
        fresh = published.with_name(published.name + ".rebuild")
        fresh.unlink(missing_ok=True)
        step(f"载入 {len(reference_files()) + len(demo)} 个文件并计算派生层 | loading {len(reference_files()) + len(demo)} "
             "files and computing the derived layer")
        results = load_files(reference_files() + demo, cat, settings.with_overrides(paths_warehouse=fresh),
                             locked=True)
        os.replace(fresh, published)
    report = BuildReport(published, reference_files(), demo, results, 0.0)
    report.app_db_aside = set_aside_app_db(settings)
    step("接受示例批次并按日程发布 | accepting the demo batches and carrying out the release calendar")
    report.released = release_demo(cat, settings)
    with warehouse.reader(published) as con:
        report.counts = dict(zip(("batches", "observations", "synthetic", "real"), con.execute(
            """SELECT (SELECT count(*) FROM batches), count(*), count(*) FILTER (WHERE synthetic),
                      count(*) FILTER (WHERE NOT synthetic) FROM current_observations""").fetchall()[0], strict=True))
        report.warnings = dict(con.execute(
            """SELECT rule, count(*) FROM problems WHERE severity = 'warning' GROUP BY rule
               ORDER BY count(*) DESC, rule""").fetchall())
    report.seconds = time.perf_counter() - started
    return report
