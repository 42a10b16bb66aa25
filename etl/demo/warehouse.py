"""The demo warehouse: data/reference/ (real figures) first, then freshly generated demo files, through the
production loader, built beside the published warehouse and renamed into place.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from etl.demo.files import demo_dir, generate
from etl.demo.panel import reference_dir
from etl.pipeline import FileResult, load_files
from indicators.base.catalogue import Catalogue, load_catalogue
from indicators.base.settings import Settings
from indicators.storage import warehouse


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
               f"警告 warnings: {warned}"]
        for r in self.rejected:
            out.append(f"✗ {r.headline()[0]}")
        return out


def build(seed: int, settings: Settings, out: Path | None = None, cat: Catalogue | None = None) -> BuildReport:
    """Regenerate the demo files and rebuild the warehouse from scratch: the real figures first, then the demo."""
    started = time.perf_counter()
    cat = cat or load_catalogue()
    out = out or demo_dir()
    for stale in [*out.glob("*.csv"), *out.glob("*.xlsx")]:
        stale.unlink()  # files of an earlier plan; README.md stays
    demo = generate(seed, out, cat)
    published = settings.paths.warehouse
    with warehouse.exclusive_lock(published):  # a rebuild: nobody else may write meanwhile
        # build beside the published file and rename it into place, so readers never see a missing warehouse
        fresh = published.with_name(published.name + ".rebuild")
        fresh.unlink(missing_ok=True)
        results = load_files(reference_files() + demo, cat, settings.with_overrides(paths_warehouse=fresh),
                             locked=True)
        os.replace(fresh, published)
    report = BuildReport(published, reference_files(), demo, results, 0.0)
    with warehouse.reader(published) as con:
        report.counts = dict(zip(("batches", "observations", "synthetic", "real"), con.execute(
            """SELECT (SELECT count(*) FROM batches), count(*), count(*) FILTER (WHERE synthetic),
                      count(*) FILTER (WHERE NOT synthetic) FROM current_observations""").fetchall()[0], strict=True))
        report.warnings = dict(con.execute(
            """SELECT rule, count(*) FROM problems WHERE severity = 'warning' GROUP BY rule
               ORDER BY count(*) DESC, rule""").fetchall())
    report.seconds = time.perf_counter() - started
    return report
