"""监测分析报告 — the monitoring bulletin as PDF (Art. 9: 定期向社会公布统计结果和监测分析结果).

`build_report(settings_or_db_path, year, quarter=None, region=None, out=None, lang="zh")` → Path, and
`build_all(...)` for the region and the 12 leagues; `lang="en"` gives the English edition. Modules: content (what
the report says, read via the engine), quality and methods (the annexes), tables (formatted rows), charts (the
dashboard's figure builders applied to the report), texts (every sentence in Chinese and English), renderer (PNG
through one Chromium), wrap (Chinese line breaking), document (page furniture, fonts) and pdf (document order);
build ties them together.
The names below load on first use, so that `dashboard.report.renderer` can start Chromium before pandas, plotly
and fpdf2 are imported.
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {"build_report": "build", "build_all": "build", "build_data": "build", "default_name": "build",
            "ReportSpec": "content"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f"dashboard.report.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'dashboard.report' has no attribute {name!r}")
