"""A ratio is never averaged: it is stored as numerator and denominator and recomputed at every level from that
level's own sums. Real warehouses from hand-built submissions through the production loader."""

from __future__ import annotations

import math

import pytest
from helpers import make_warehouse

from indicators.base import formula
from indicators.base.settings import config_dir
from indicators.engine import query
from indicators.storage import warehouse

ALXA = "152900"  # three counties
LEAGUES_ELSE = ["150100", "150200", "150300", "150400", "150500", "150600", "150700", "150800", "150900", "152200",
                "152500"]
# ratio, numerator, denominator, scale, numerators of Alxa's three counties, their denominators
RATIOS = [
    ("DI-08", "DI-05", "DI-08b", 100, [9, 30, 0], [10, 100, 0]),  # racks in use of racks deliverable
    ("DI-09", "DI-09a", "DI-09b", 1, [12, 130, 0], [10, 100, 0]),  # total electricity / IT electricity
    ("DI-10", "DI-10a", "DI-09a", 100, [9, 30, 0], [10, 100, 0]),  # green kWh of all kWh
    ("SM-05", "SM-05a", "DI-09a", 1, [9, 30, 0], [10, 100, 0]),  # electricity cost (万元) per 万kWh
]


def _submission(catalogue, numerator: str, denominator: str, nums: list, dens: list) -> list[tuple]:
    """Alxa's counties report both parts (the county without data centres reports 0 and 0), or Alxa itself reports
    the part its counties do not; the other 11 leagues report 1 and 2."""
    counties = [r.code for r in catalogue.regions.counties(ALXA)]
    rows = []
    for code, values in ((numerator, nums), (denominator, dens)):
        if "county" in catalogue.indicator(code).levels:
            rows += [(code, c, "2023", v) for c, v in zip(counties, values, strict=True)]
        else:
            rows.append((code, ALXA, "2023", sum(values)))
    rows += [(code, league, "2023", v) for league in LEAGUES_ELSE for code, v in ((numerator, 1), (denominator, 2))]
    return rows


def csv_text(rows: list[tuple]) -> str:
    return "indicator_code,region_code,period,value\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)


def _value(db, code: str, region: str) -> float:
    with warehouse.reader(db) as con:
        frame = query.values(con, [code], [region], ["2023"])
    return frame["value"].iloc[0] if len(frame) else math.nan


@pytest.mark.parametrize("ratio,numerator,denominator,scale,nums,dens", RATIOS, ids=[r[0] for r in RATIOS])
def test_a_data_centre_ratio_at_league_and_region_level_is_the_ratio_of_the_summed_parts(
        tmp_path, catalogue, ratio, numerator, denominator, scale, nums, dens):
    path = tmp_path / f"{ratio}.csv"
    path.write_text(csv_text(_submission(catalogue, numerator, denominator, nums, dens)), encoding="utf-8")
    db = make_warehouse(tmp_path, files=[path])
    league = sum(nums) / sum(dens) * scale
    assert _value(db, ratio, ALXA) == pytest.approx(league)
    assert _value(db, ratio, "150000") == pytest.approx((sum(nums) + 11) / (sum(dens) + 22) * scale)
    counties = [r.code for r in catalogue.regions.counties(ALXA)]
    if "county" in catalogue.indicator(numerator).levels:
        assert _value(db, ratio, counties[0]) == pytest.approx(nums[0] / dens[0] * scale)
        assert math.isnan(_value(db, ratio, counties[2]))  # 0 of 0: no value, not 0 and not a division error


def test_rack_utilisation_of_9_of_10_and_30_of_100_racks_is_35_5_percent_not_the_weighted_mean(tmp_path, catalogue):
    path = tmp_path / "racks.csv"
    path.write_text(csv_text(_submission(catalogue, "DI-05", "DI-08b", [9, 30, 0], [10, 100, 0])), encoding="utf-8")
    db = make_warehouse(tmp_path, files=[path])
    with warehouse.reader(db) as con:
        row = query.values(con, ["DI-08"], [ALXA], ["2023"]).iloc[0]
    assert row["status"] == "derived" and round(row["value"], 2) == 35.45  # 39 / 110
    weighted_by_racks_in_use = (90 * 9 + 30 * 30) / 39  # 43.8 %: what a rack-weighted mean would publish
    assert row["value"] != pytest.approx(weighted_by_racks_in_use, abs=1)


# ── the catalogue ────────────────────────────────────────────────────────────────────────────────────

def is_ratio(ind) -> bool:
    """A share, rate, intensity, price or mean grade: what must never be added up nor averaged."""
    return ind.unit in ("%", "ratio", "级") or "/" in ind.unit


def test_no_ratio_is_a_weighted_mean_and_each_one_kept_as_reported_says_why(catalogue):
    text = (config_dir() / "indicators.yaml").read_text(encoding="utf-8")
    header = text[: text.index("indicators:")]
    kept = []
    for ind in catalogue.indicators.values():
        if not is_ratio(ind):
            continue
        assert ind.aggregation in ("derived", "none"), f"{ind.code} is a ratio aggregated by {ind.aggregation}"
        if ind.aggregation == "none":
            above = text[: text.index(f"- code: {ind.code}\n")].rstrip("\n").splitlines()
            comment = []
            while above and above[-1].startswith("#"):
                comment.insert(0, above.pop())
            assert any(line.startswith(("# Ratio kept as reported:", "# Mean kept as reported:")) for line in comment), \
                f"{ind.code}: a ratio kept as reported needs a comment saying why"
            assert ind.code in header, f"{ind.code} is kept as reported but not listed in the header"
            kept.append(ind.code)
    assert "DI-08" not in kept and len(kept) < 10


def test_every_derived_share_divides_parts_of_one_unit_and_scales_only_percentages(catalogue):
    """{A} / {B} for a ratio, {A} / {B} * 100 for a %, A and B in the same unit: 万架 over 架 would be off 10 000×."""
    for ind in catalogue.indicators.values():
        if not ind.is_derived or ind.unit not in ("%", "ratio"):
            continue
        numerator, denominator = formula.references(ind.formula)
        assert ind.formula == f"{{{numerator}}} / {{{denominator}}}" + (" * 100" if ind.unit == "%" else ""), ind.code
        assert catalogue.indicator(numerator).unit == catalogue.indicator(denominator).unit, ind.code
        for code in (numerator, denominator):
            assert catalogue.indicator(code).aggregation == "sum", f"{ind.code}: {code} must add up"
            assert catalogue.indicator(code).frequency == ind.frequency or ind.frequency == "annual", ind.code
