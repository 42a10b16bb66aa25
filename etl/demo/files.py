"""The synthetic panel (etl.demo.panel, etl.demo.series) written as submission files, the way data officers send
them.

The files vary as real deliveries do — UTF-8 with BOM or GB18030, Chinese or English headers, codes or names,
canonical or Chinese periods, other units (架, 万元, 人次), a yearbook-style wide table, an .xlsx with a title row and
a footnote — so the demo exercises the ETL. Every row is flagged 示例数据 and names itself as synthetic.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd

from etl.demo.panel import DEFAULT_SEED, YEARS
from etl.demo.series import observations, simulate
from indicators.base.catalogue import Catalogue, load_catalogue
from indicators.base.periods import from_code
from indicators.base.settings import project_root

SOURCE = "示例数据（合成，非真实统计）/ synthetic demo data"
FOOTNOTE = "注：本表为合成示例数据（示例数据），非真实统计。Note: synthetic demo data, not official statistics."
FIXED_TIME = datetime(2025, 1, 1)  # xlsx metadata and zip entries: no wall clock, so files are byte-identical


@dataclass(frozen=True)
class Style:
    """How one submitter writes its files."""

    encoding: str = "utf-8-sig"
    headers: str = "zh"  # zh | en
    region: str = "code"  # code | name
    period: str = "canonical"  # canonical (2023Q1) | zh (2023年第一季度) | dash (2023-Q1, 2023-03)
    fmt: str = "csv"  # csv | xlsx
    other_units: bool = False  # 架 for 万架, 万元 for 亿元, 万件 for 亿件, 人次 for 万人次
    wide: bool = False  # complete annual series in one yearbook-style table, one column per year


STYLES = {
    "150000": Style(wide=True),
    "150200": Style(headers="en", period="dash", other_units=True),
    "150300": Style(wide=True),
    "150400": Style(encoding="gb18030", region="name", period="zh"),
    "150500": Style(encoding="gb18030", region="name", period="zh", other_units=True),
    "150600": Style(headers="en", other_units=True),
    "150700": Style(fmt="xlsx", period="zh"),
}
OTHER_UNITS = {"DI-05": "架", "DP-05": "万元", "SM-02": "万元", "ID-17": "万件", "SM-01": "人次"}
CENSUS = ("CX-02", 2020)  # counties report the census count in persons (人), as the census publishes it
FIELDS = ("indicator_code", "indicator", "region", "period", "value", "unit", "note", "source", "synthetic")
HEADERS = {
    "zh": dict(zip(FIELDS, ("指标代码", "指标名称", "地区", "统计期", "数值", "计量单位", "备注", "数据来源", "示例数据"),
                   strict=True)),
    "en": dict(zip(FIELDS, FIELDS, strict=True)),
}


def demo_dir() -> Path:
    return project_root() / "data" / "demo"


@dataclass
class DemoFile:
    name: str
    style: Style
    rows: pd.DataFrame
    title: str
    wide: bool = False


def plan(frame: pd.DataFrame, cat: Catalogue) -> list[DemoFile]:
    """One file per submitter (the region, each league with its counties) per year, plus the wide tables."""
    root = cat.regions.root.code
    submitter = frame["region"].map(lambda c: cat.regions.league_of(c) or root)
    files = []
    for code in [root, *(r.code for r in cat.regions.leagues())]:
        style, rows, name = STYLES.get(code, Style()), frame[submitter == code], cat.regions.by_code[code].name_zh
        if style.wide:
            annual = rows[rows["sub"].eq(0)]
            per_key = annual.groupby(["code", "region"])["text"].agg(lambda t: len(t) == len(YEARS) and (t == "").all())
            complete = per_key[per_key].index
            in_wide = pd.MultiIndex.from_frame(rows[["code", "region"]]).isin(complete) & rows["sub"].eq(0).to_numpy()
            files.append(DemoFile(f"{YEARS[0]}-{YEARS[-1]}_{code}_{name}_年度.csv", style, rows[in_wide],
                                  f"{name}{YEARS[0]}—{YEARS[-1]}年", wide=True))
            rows = rows[~in_wide]
        for year in YEARS:
            ext = "xlsx" if style.fmt == "xlsx" else "csv"
            files.append(DemoFile(f"{year}_{code}_{name}.{ext}", style, rows[rows["year"] == year], f"{name}{year}年"))
    return [f for f in files if not f.rows.empty]


def generate(seed: int = DEFAULT_SEED, out: Path | None = None, cat: Catalogue | None = None,
             years: tuple[int, ...] | None = None) -> list[Path]:
    """Write the demo files into `out` (default data/demo/); `years` limits which per-year files are written."""
    cat = cat or load_catalogue()
    out = out or demo_dir()
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in plan(observations(simulate(cat, seed)), cat):
        if years is not None and not f.wide and int(f.name[:4]) not in years:
            continue
        path = out / f.name
        writer = write_wide if f.wide else write_xlsx if f.style.fmt == "xlsx" else write_long
        path.write_bytes(writer(f, cat))
        stamp = delivered(f, cat).timestamp()
        os.utime(path, (stamp, stamp))  # the ETL records a file's modification time as when it was received
        paths.append(path)
    return paths


# Days after the end of the year at which each submitter hands in its file: a spread across the deadlines
# (annual 90 days, quarterly 45, monthly 20; see [quality] in settings.toml), so the quality page shows a mix of
# on-time and late deliveries. Synthetic, like the data.
DELIVERY_DAYS = (12, 25, 18, 40, 60, 33, 95, 15, 50, 120, 28, 70, 44)


def delivered(f: DemoFile, cat: Catalogue) -> datetime:
    code, year = f.name.split("_")[1], int(f.name[:4])
    order = [cat.regions.root.code, *(r.code for r in cat.regions.leagues())]
    last = int(f.name[5:9]) if f.wide else year
    return datetime(last, 12, 31, 18, 0, tzinfo=UTC) + timedelta(days=DELIVERY_DAYS[order.index(code) % 13])


# ── cells ────────────────────────────────────────────────────────────────────────────────────────────

def unit_of(cat: Catalogue, code: str, region: str, year: int, style: Style, wide: bool) -> tuple[str, int]:
    """(unit written, decimal shift from the catalogue unit): 万架 → 架 is a shift of 4 (1.25 → 12500)."""
    census = (code, year) == CENSUS and not wide and cat.regions.by_code[region].level == "county"
    return _unit(cat, code, census, style.other_units)


@functools.cache
def _unit(cat: Catalogue, code: str, census: bool, other_units: bool) -> tuple[str, int]:
    unit = cat.indicator(code).unit
    written = "人" if census else OTHER_UNITS.get(code, unit) if other_units else unit
    multiplier, divisor = cat.conversion(written, code)  # the ETL's conversion back: written × multiplier ÷ divisor
    return written, round(math.log10(divisor / multiplier))


def value_text(units: int, exp: int, shift: int) -> str:
    """Exact decimal text of units × 10**(exp + shift): (12345, -4, 4) → '12345'; (12345, -2, 0) → '123.45'."""
    return format(Decimal(int(units)).scaleb(exp + shift), "f")


@functools.cache  # a few hundred periods, written 50 000 times
def period_text(period: str, style: Style) -> str:
    if style.period == "zh":  # not Period.label("zh"), which fails for May–December (it builds a quarter text too)
        p = from_code(period)
        if p.kind == "Q":
            return f"{p.year}年第{'一二三四'[p.sub - 1]}季度"
        return f"{p.year}年{p.sub}月" if p.kind == "M" else f"{p.year}年"
    if style.period == "dash" and len(period) > 4:
        return f"{period[:4]}-{period[4:]}" if period[4] == "Q" else f"{period[:4]}-{period[5:]}"
    return period


def region_text(cat: Catalogue, code: str, style: Style) -> str:
    return cat.regions.by_code[code].name_zh if style.region == "name" else code


def long_rows(f: DemoFile, cat: Catalogue) -> list[list[str]]:
    columns = ("code", "region", "period", "year", "units", "exp", "text", "note")
    rows = []
    for code, region, period, year, units, exp, text, note in zip(*(f.rows[c].tolist() for c in columns),
                                                                   strict=True):
        unit, shift = unit_of(cat, code, region, year, f.style, wide=False)
        rows.append([code, cat.indicators[code].name_zh, region_text(cat, region, f.style), period_text(period, f.style),
                     text or value_text(units, exp, shift), unit, note, SOURCE, "1"])
    return rows


def header(style: Style) -> list[str]:
    names = HEADERS[style.headers]
    region = names["region"] if style.region == "name" else ("地区代码" if style.headers == "zh" else "region_code")
    return [names[k] if k != "region" else region for k in FIELDS]


def to_csv(rows: list[list[str]], encoding: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)  # Excel writes CRLF
    return buffer.getvalue().encode(encoding)


def write_long(f: DemoFile, cat: Catalogue) -> bytes:
    return to_csv([header(f.style), *long_rows(f, cat)], f.style.encoding)


def write_wide(f: DemoFile, cat: Catalogue) -> bytes:
    """Yearbook style: indicator, region, unit and one column per year (2019年 … 2024年)."""
    zh = f.style.headers == "zh"
    head = (["指标代码", "指标名称", "地区代码", "地区名称", "计量单位"] if zh else
            ["indicator_code", "indicator", "region_code", "region", "unit"])
    head += [f"{y}年" if zh else str(y) for y in YEARS] + (["数据来源", "示例数据"] if zh else ["source", "synthetic"])
    rows = [head]
    for (code, region), group in f.rows.groupby(["code", "region"], sort=False):
        unit, shift = unit_of(cat, code, region, YEARS[0], f.style, wide=True)
        values = dict(zip(group["year"], (value_text(u, e, shift) for u, e in zip(group["units"], group["exp"],
                                                                                   strict=True)), strict=True))
        rows.append([code, cat.indicator(code).name_zh, region, cat.regions.by_code[region].name_zh, unit,
                     *(values[y] for y in YEARS), SOURCE, "1"])
    return to_csv(rows, f.style.encoding)


def write_xlsx(f: DemoFile, cat: Catalogue) -> bytes:
    """A worksheet as people make them: a title row, the table (numbers as numbers), a footnote."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)  # streamed: a fifth faster than building the sheet in memory
    sheet = book.create_sheet("报送表")
    sheet.append([f"{f.title}数字经济监测指标报送表（示例数据）"])
    sheet.append(header(f.style))
    for row in long_rows(f, cat):
        number = Decimal(row[4]) if row[4] not in ("", "—") else None
        row[4] = row[4] if number is None else int(number) if number == number.to_integral() else float(number)
        sheet.append(row)
    sheet.append([FOOTNOTE])
    book.properties.created = book.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite the xlsx container without the clock: openpyxl stamps the save time on every zip entry and in
    docProps/core.xml (<dcterms:modified>), whatever the workbook's properties say."""
    out, stamp = io.BytesIO(), FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, content)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, content)
    return out.getvalue()
