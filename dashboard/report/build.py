"""Building bulletins in three steps that never overlap: read everything from the published warehouse through
one short read-only connection and close it; render every chart with one browser; lay out the PDFs.

So a report runs safely beside the dashboard (readers never block each other) and beside an ETL load (the
writer publishes by renaming a new file into place; an open reader keeps the old one until it closes).
Stable names for scheduled runs: 监测分析报告_150000_2024.pdf, 监测分析报告_152500_2024Q3.pdf; the English edition
(lang="en") monitoring_bulletin_150000_2024.pdf, monitoring_bulletin_152500_2024Q3.pdf.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from dashboard.report.charts import report_charts
from dashboard.report.content import TREND_YEARS, Report, ReportSpec, assemble, index_robustness, league_index
from dashboard.report.pdf import render
from dashboard.report.renderer import ChartRenderer
from indicators.base.catalogue import Catalogue, default_catalogue
from indicators.base.errors import DataError, UsageError
from indicators.base.settings import Settings, load_settings
from indicators.engine import query
from indicators.storage import warehouse

NAME = "监测分析报告"
NAME_EN = "monitoring_bulletin"
LANGS = ("zh", "en")


def resolve_settings(settings_or_db_path: Settings | Path | str | None) -> Settings:
    if isinstance(settings_or_db_path, Settings):
        return settings_or_db_path
    settings = load_settings()
    return settings if settings_or_db_path is None else settings.with_overrides(paths_warehouse=Path(settings_or_db_path))


def default_name(region_code: str, year: int, quarter: int | None = None, lang: str = "zh") -> str:
    """监测分析报告_152500_2024Q3.pdf; the English edition monitoring_bulletin_152500_2024Q3.pdf."""
    return f"{NAME_EN if lang == 'en' else NAME}_{region_code}_{year}{f'Q{quarter}' if quarter else ''}.pdf"


def report_region(cat: Catalogue, region: str | None) -> str:
    """A region code for the report: the region (default) or a league, by code, name or alias."""
    found = cat.regions.root if not region else cat.regions.resolve(region)
    if found.level == "county":
        raise UsageError(f"{found.name_zh}是旗县，报告只按全区或盟市编制（请用 --region 所属盟市）",
                         f"{found.code} is a county; reports cover the region or a league")
    return found.code


def _check(spec: ReportSpec, years: list[int]) -> None:
    if spec.lang not in LANGS:
        raise UsageError(f"报告语言应为 zh 或 en，而不是{spec.lang}", f"the language must be zh or en, not {spec.lang}")
    if spec.quarter is not None and spec.quarter not in (1, 2, 3, 4):
        raise UsageError(f"季度应为1–4，而不是{spec.quarter}", f"quarter must be 1–4, not {spec.quarter}")
    if spec.year not in years:
        shown = f"{years[0]}–{years[-1]}" if years else "无"
        raise DataError(f"数据仓库中没有{spec.year}年的数据（现有年份：{shown}）",
                        f"the warehouse has no data for {spec.year} (years with data: {shown or 'none'})")


def read_reports(settings: Settings, cat: Catalogue, specs: Sequence[ReportSpec]) -> list[Report]:
    """Assemble every report from one read-only connection, opened here and closed before returning.
    The composite index and its robustness are computed once per year (and language) and shared (the same in
    every report)."""
    with warehouse.reader(settings.paths.warehouse) as con:
        years = query.data_years(con)
        indices = {}
        out = []
        for spec in specs:
            _check(spec, years)
            year = spec.annual_year
            if (year, spec.lang) not in indices:
                indices[year, spec.lang] = (league_index(con, cat, settings, year, spec.lang),
                                            index_robustness(con, cat, settings, year))
            index, robustness = indices[year, spec.lang]
            out.append(assemble(con, cat, settings, spec, index=index, robustness=robustness))
    return out


def write_reports(reports: Sequence[Report], cat: Catalogue, outs: Sequence[Path], renderer: ChartRenderer,
                  on_written: Callable[[Path], None] | None = None) -> list[Path]:
    """Lay out each PDF while its charts (and the next report's) render in the browser: the layout waits only
    for the chart it is about to place; `on_written(path)` after each (the CLI's progress)."""
    paths = []
    pending = renderer.submit(report_charts(reports[0], cat)) if reports else None
    for i, (report, out) in enumerate(zip(reports, outs, strict=True)):
        images = pending
        if i + 1 < len(reports):
            pending = renderer.submit(report_charts(reports[i + 1], cat))
        paths.append(render(report, cat, images, Path(out)))
        if on_written is not None:
            on_written(paths[-1])
    return paths


def _run(settings: Settings, cat: Catalogue, specs: list[ReportSpec], outs: list[Path],
         renderer: ChartRenderer | None, tabs: int, on_written: Callable[[Path], None] | None = None) -> list[Path]:
    """Start the browser, read the warehouse meanwhile (and close it), then render and lay out."""
    own = renderer is None
    renderer = renderer or ChartRenderer(tabs=tabs)
    renderer.start()
    try:
        return write_reports(read_reports(settings, cat, specs), cat, outs, renderer, on_written)
    finally:
        if own:
            renderer.close()


def build_report(settings_or_db_path: Settings | Path | str | None, year: int, quarter: int | None = None,
                 region: str | None = None, out: Path | str | None = None, since: date | None = None,
                 renderer: ChartRenderer | None = None, lang: str = "zh") -> Path:
    """The monitoring bulletin of the region (default) or a league as a PDF, in Chinese or (lang="en") English;
    returns its path. Default `out`: the exports directory with the stable name of that edition. Safe to call from
    a dashboard background job."""
    own = renderer is None
    renderer = renderer or ChartRenderer(tabs=1)
    renderer.start()  # first: Chromium takes ~2 s to start, the rest of the preparation runs meanwhile
    try:
        settings, cat = resolve_settings(settings_or_db_path), default_catalogue()
        spec = ReportSpec(year, quarter, report_region(cat, region), since, lang)
        out = Path(out) if out else settings.paths.exports / default_name(spec.region, year, quarter, lang)
        return _run(settings, cat, [spec], [out], renderer, tabs=1)[0]
    finally:
        if own:
            renderer.close()


def build_all(settings_or_db_path: Settings | Path | str | None, year: int, quarter: int | None = None,
              out_dir: Path | str | None = None, since: date | None = None, lang: str = "zh",
              on_written: Callable[[Path], None] | None = None) -> list[Path]:
    """The region's report and the 12 leagues' reports (one edition: `lang`) with stable names, from one
    consistent read of the warehouse and one browser (two tabs: enough charts to pay for the second);
    `on_written(path)` after each PDF."""
    settings, cat = resolve_settings(settings_or_db_path), default_catalogue()
    directory = Path(out_dir) if out_dir else settings.paths.exports
    codes = [cat.regions.root.code] + [r.code for r in cat.regions.leagues()]
    specs = [ReportSpec(year, quarter, code, since, lang) for code in codes]
    return _run(settings, cat, specs, [directory / default_name(c, year, quarter, lang) for c in codes], None,
                tabs=2, on_written=on_written)


def build_data(settings_or_db_path: Settings | Path | str | None, year: int, quarter: int | None = None,
               region: str | None = None, out: Path | str | None = None, fmt: str | None = None,
               lang: str = "zh") -> list[Path]:
    """The bulletin's data as a tidy table — every fact (reported, aggregated, derived; all frequencies) of the
    report region, the region and the 12 leagues for the years the bulletin draws on — with its metadata; in the
    English edition (`lang` en) the names are English and the file is monitoring_bulletin_<code>_<year>.csv."""
    from indicators.engine import export

    settings, cat = resolve_settings(settings_or_db_path), default_catalogue()
    spec = ReportSpec(year, quarter, report_region(cat, region), lang=lang)
    suffix = f".{export.export_format(Path(out or 'x.csv'), fmt)}"
    out = Path(out) if out else settings.paths.exports / default_name(spec.region, year, quarter, lang).replace(
        ".pdf", suffix)
    scope = list(dict.fromkeys([spec.region, cat.regions.root.code] + [r.code for r in cat.regions.leagues()]))
    with warehouse.reader(settings.paths.warehouse) as con:
        _check(spec, query.data_years(con))
        frame = export.facts(con, cat, regions=scope, lang=lang)
        published = warehouse.publication_time(con)
    years = frame["period"].str[:4].astype(int)
    frame = frame[years.between(spec.annual_year - TREND_YEARS + 1, spec.year)].reset_index(drop=True)
    place = cat.regions.by_code[spec.region].name(lang)
    description = (f"Monitoring bulletin data: {place}, {spec.period_label()}" if lang == "en"
                   else f"{NAME} {place} {spec.period_label()} 数据")
    return export.write_export(frame, out, cat, fmt, published, description)
