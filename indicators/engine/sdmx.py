"""SDMX shapes of the released data (docs/sdmx.md): SDMX-CSV 2.0 observations under the data structure
BJDEM:DSD_DIGITAL_ECONOMY(1.0), and indicator reference metadata named by SDMX cross-domain concepts.

A row of `dem data export` becomes one SDMX-CSV row, e.g. Hohhot's 2023 GDP 3850 亿元 →
`dataflow,BJDEM:DF_DIGITAL_ECONOMY(1.0),I,150100,CX-01,2023,3850.0,CNY,8,A,F,2`: 亿元 is yuan (CNY) times 10^8.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

import pandas as pd

from indicators.base import periods
from indicators.base.catalogue import Catalogue, Indicator
from indicators.base.releases import Release

AGENCY = "BJDEM"
DATAFLOW = f"{AGENCY}:DF_DIGITAL_ECONOMY(1.0)"
MEDIA_TYPE = "application/vnd.sdmx.data+csv; version=2.0.0"
DIMENSIONS = ["REF_AREA", "INDICATOR", "TIME_PERIOD"]
MEASURE = "OBS_VALUE"
ATTRIBUTES = ["UNIT_MEASURE", "UNIT_MULT", "OBS_STATUS", "CONF_STATUS", "DECIMALS"]
HEADER = ["STRUCTURE", "STRUCTURE_ID", "ACTION", *DIMENSIONS, MEASURE, *ATTRIBUTES]
INFORMATION = "I"  # ACTION: data for information (a dissemination file, not an update instruction)
FREE = "F"  # CONF_STATUS (CL_CONF_STATUS): free, for publication — every value here is released

# CL_UNIT_MEASURE of this dataflow: one code per dimension of config/units.yaml, for its unit of factor 1; a unit
# whose factor is a power of ten is that code with UNIT_MULT = the exponent (亿元 → CNY, 8; 万人 → PERS, 4).
# A unit whose factor is not a power of ten (公顷 = 15 亩) keeps its own code and UNIT_MULT 0 (see unit_code).
UNIT_CODES = {
    "count_ge": "NUM", "households": "HH", "enterprises": "ENTERPRISE", "persons": "PERS", "person_times": "PERS_TIMES",
    "money": "CNY", "items": "ITEM", "service_items": "SERVICE", "incidents": "INCIDENT", "racks": "RACK",
    "compute": "PFLOPS", "percent": "PC", "percentage_points": "PP", "level_grade": "GRADE", "latency": "MS",
    "price_energy": "CNY_KWH", "energy": "KWH", "area_mu": "MU", "per_10k_persons_ge": "NUM_10KPERS",
    "per_10k_persons_items": "ITEM_10KPERS", "ratio": "RATIO",
}


def unit_code(cat: Catalogue, unit: str) -> tuple[str, int]:
    """(UNIT_MEASURE, UNIT_MULT) of a catalogue unit: 亿元 → ('CNY', 8), 万kWh → ('KWH', 4), % → ('PC', 0)."""
    spec = cat.units[unit]
    code = UNIT_CODES[spec.dimension]
    exponent = math.log10(spec.factor)
    if abs(exponent - round(exponent)) > 1e-9:  # not a power of ten: 公顷 is 15 亩, no multiplier says that
        return f"{code}_X{spec.factor:g}", 0
    return code, round(exponent)


def time_period(code: str) -> str:
    """The SDMX (ISO 8601) period of a period code: 2023 → 2023, 2023Q1 → 2023-Q1, 2023M03 → 2023-03."""
    return periods.from_code(code).sdmx


def observations(frame: pd.DataFrame, cat: Catalogue) -> pd.DataFrame:
    """`export.observations` rows as SDMX-CSV 2.0 rows (columns HEADER), in the same order."""
    units = {name: unit_code(cat, name) for name in cat.units}
    indicator: dict[str, Indicator] = cat.indicators
    rows = [[
        "dataflow", DATAFLOW, INFORMATION, r.region_code, r.indicator_code, time_period(r.period), float(r.value),
        units[indicator[r.indicator_code].unit][0], units[indicator[r.indicator_code].unit][1], r.obs_status, FREE,
        indicator[r.indicator_code].decimals] for r in frame.itertuples(index=False)]
    return pd.DataFrame(rows, columns=HEADER)


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """RFC 4180 text in UTF-8 without a byte-order mark (SDMX readers find the separator right after STRUCTURE),
    CRLF line ends. Every cell is a code or a number, so no text needs neutralising."""
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue().encode("utf-8")


# ── reference metadata ────────────────────────────────────────────────────────────────────────────────────

METADATA_FIELDS = ["INDICATOR", "INDICATOR_NAME", "INDICATOR_NAME_EN", "STAT_CONC_DEF", "STAT_CONC_DEF_EN",
                   "UNIT_MEASURE", "UNIT_MEASURE_SDMX", "UNIT_MULT", "DECIMALS", "FREQ", "DATA_COMP", "SOURCE_TYPE",
                   "DATA_SOURCE", "DATA_SOURCE_EN", "REC_USE_LIM", "REL_CAL_POLICY", "CONTACT_ORGANISATION",
                   "CONTACT_ORGANISATION_EN", "REGULATION_ARTICLES", "REF_AREA_LEVELS"]
SOURCE_TYPES = {"official_statistics": "official statistics 统计调查", "administrative": "administrative records 行政记录",
                "estimate": "model estimate 测算估计"}
AGGREGATION = {
    "sum": "盟市、自治区值为下级之和 | league and region values are sums of the level below",
    "weighted_mean": "按{weight}加权平均 | mean weighted by {weight}",
    "derived": "按公式计算 | computed by the formula {formula}",
    "none": "各级自行报送，不汇总 | each level reports its own value; nothing is added up",
}
MEASURES = {"stock": "期末存量（比率、水平同） | value at the period end", "flow": "期内流量 | amount during the period",
            "ytd": "1月至期末累计 | cumulative from January to the period end"}


def _limitations(ind: Indicator) -> str:
    """The catalogue's caveats as words: estimates are estimates, ratios kept as reported are not recomputable."""
    notes = []
    if ind.data_type == "estimate":
        notes.append("测算值，非统计调查结果 | a model estimate, not a survey result")
    if ind.aggregation == "none":
        notes.append("上级值不是下级之和或比值 | a level's value is not derived from the level below")
    if ind.frequency != "annual":
        notes.append("年度值由季度/月度汇总，缺期时不完整 | annual values roll up sub-periods; incomplete when "
                     "one is missing")
    notes.append("示例数据（synthetic）不是统计数据 | rows flagged synthetic are demonstration data, not statistics")
    return "；".join(notes)


def _calendar(calendar: Sequence[Release]) -> str:
    entries = "; ".join(f"{r.release_id} {r.at:%Y-%m-%d %H:%M} UTC ({' '.join(r.periods)})" for r in calendar)
    return ("按发布日历发布，审核通过的值随覆盖其统计期的发布公开 | released by the calendar (docs/releases.md): "
            f"accepted values become public with the release covering their period. {entries}")


def reference_metadata(cat: Catalogue, calendar: Sequence[Release], codes: Sequence[str] = ()) -> list[dict]:
    """One record per indicator (METADATA_FIELDS), every value from the catalogue and the release calendar."""
    out = []
    for ind in cat.indicators.values():
        if codes and ind.code not in codes:
            continue
        unit, mult = unit_code(cat, ind.unit)
        method = (AGGREGATION[ind.aggregation].format(weight=ind.weight, formula=ind.formula)
                  + "；" + MEASURES.get(ind.measure, ind.measure))
        out.append(dict(zip(METADATA_FIELDS, [
            ind.code, ind.name_zh, ind.name_en, ind.definition_zh, ind.definition_en, ind.unit, unit, mult,
            ind.decimals, periods.KIND_OF[ind.frequency], method, SOURCE_TYPES.get(ind.data_type, ind.data_type),
            ind.department, ind.department_label("en"), _limitations(ind), _calendar(calendar), ind.department,
            ind.department_label("en"), " ".join(str(a) for a in ind.articles), " ".join(ind.levels)], strict=True)))
    return out
