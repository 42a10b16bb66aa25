"""示例数据: the synthetic panel is complete, consistent and reproducible, its files pass the ETL, and a demo
build loads the real figures and the demo files into one warehouse with the synthetic flag kept apart."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from etl.demo import build, generate
from etl.demo.files import SOURCE
from etl.demo.panel import DISCREPANCIES, MISSING_QUARTER, NOT_REPORTED, OMITTED, SPECS, YEARS
from etl.demo.series import observations, simulate
from etl.layout import to_long
from etl.normalize import normalise
from etl.pipeline import check_files
from etl.read import read_sheet
from etl.source import SourceFile
from indicators.base.settings import load_settings
from indicators.cli import dem
from indicators.engine import precompute, query
from indicators.storage import warehouse

SEED = 2024


@pytest.fixture(scope="module")
def panel(catalogue):
    return simulate(catalogue, SEED)


@pytest.fixture(scope="module")
def frame(panel):
    f = observations(panel)
    return f.assign(value=f["units"] * 10.0 ** f["exp"])


@pytest.fixture(scope="module")
def files_2023(catalogue, tmp_path_factory):
    return generate(SEED, tmp_path_factory.mktemp("demo"), catalogue, years=(2023,))


@pytest.fixture
def settings(tmp_path):
    return load_settings().with_overrides(paths_warehouse=tmp_path / "w.duckdb")


def digest(paths) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_same_seed_writes_byte_identical_files_and_another_seed_does_not(catalogue, tmp_path):
    first = digest(generate(SEED, tmp_path / "a", catalogue))
    second = digest(generate(SEED, tmp_path / "b", catalogue))
    other = digest(generate(SEED + 1, tmp_path / "c", catalogue, years=(2023,)))
    assert first == second and len(first) == 80
    assert any(other[name] != first[name] for name in other)


def test_every_generated_file_of_a_year_passes_the_etl_check_with_no_errors(files_2023, catalogue, settings):
    results = check_files(files_2023, catalogue, settings)
    assert [(r.path.name, r.errors) for r in results if r.errors] == []
    assert {r.encoding for r in results} >= {"utf-8-sig", "gb18030", None}  # None: the .xlsx
    assert {r.layout for r in results} == {"long", "wide"}
    assert {r.file_format for r in results} == {"csv", "xlsx"}


def test_every_row_of_every_file_is_flagged_synthetic_and_names_the_synthetic_source(files_2023, catalogue):
    for path in files_2023:
        table = to_long(read_sheet(SourceFile.open(path)), path.name)
        rows = normalise(table, catalogue)
        assert rows["synthetic"].all(), path.name
        assert (rows["source"] == SOURCE).all(), path.name


def test_all_twelve_leagues_and_103_counties_report(frame, catalogue):
    regions = set(frame["region"])
    assert {r.code for r in catalogue.regions.leagues()} <= regions
    assert {r.code for r in catalogue.regions.counties()} <= regions
    assert len(catalogue.regions.counties()) == 103


def test_every_submittable_indicator_is_simulated_at_its_levels_and_frequency(frame, catalogue):
    submittable = {c for c, i in catalogue.indicators.items() if not i.is_derived}
    assert set(SPECS) == submittable and set(frame["code"]) == submittable
    levels = {r.code: r.level for r in catalogue.regions.regions}
    for code, rows in frame.groupby("code"):
        ind = catalogue.indicator(code)
        assert set(rows["region"].map(levels)) <= set(ind.levels), code
        assert ("county" in set(rows["region"].map(levels))) == ("county" in ind.levels), code
        per_year = {"annual": 1, "quarterly": 4, "monthly": 11}[ind.frequency]  # 1–2月 reported together
        assert rows.groupby("region")["period"].nunique().max() == per_year * (YEARS[-1] - SPECS[code].start + 1)


def test_no_key_with_a_real_value_is_generated(frame, panel):
    keys = set(zip(frame["code"], frame["region"], frame["period"], strict=True))
    assert not keys & set(panel.ref)


def sums_by_league(frame, catalogue):
    parent = {r.code: r.parent_code for r in catalogue.regions.counties()}
    counties = frame[frame["region"].isin(parent)]
    return counties.assign(league=counties["region"].map(parent)).groupby(["code", "league", "period"]).agg(
        units=("units", "sum"), n=("units", "size"))


def test_county_values_sum_to_the_league_value_except_the_documented_discrepancies(frame, catalogue):
    sums = sums_by_league(frame, catalogue)
    summed = [c for c, i in catalogue.indicators.items() if i.aggregation == "sum" and "county" in i.levels]
    leagues = frame[frame["code"].isin(summed) & frame["region"].isin({r.code for r in catalogue.regions.leagues()})]
    merged = leagues.merge(sums, left_on=["code", "region", "period"], right_index=True, suffixes=("", "_sum"))
    differ = merged[merged["units"] != merged["units_sum"]]
    assert len(merged) > 4_000
    assert set(zip(differ["code"], differ["region"], differ["period"], strict=True)) == \
        {(c, r, p) for c, r, p, _ in DISCREPANCIES}
    for code, region, period, factor in DISCREPANCIES:
        row = differ[(differ["code"] == code) & (differ["region"] == region) & (differ["period"] == period)]
        assert row["units"].iloc[0] / row["units_sum"].iloc[0] == pytest.approx(factor, abs=0.001)


def test_counties_add_up_to_the_real_league_values_they_are_anchored_on(frame, panel, catalogue):
    sums = sums_by_league(frame, catalogue)
    for (code, region, period), value in panel.ref.items():
        if region in panel.leagues and (code, region, period) in sums.index:
            total = sums.loc[(code, region, period), "units"] * 10.0 ** SPECS[code].exp
            assert total == pytest.approx(value, rel=1e-12), (code, region, period)
    census = sums.xs(("CX-02", "2020"), level=("code", "period"))["units"].sum()
    assert census == 24049155  # persons: the counties add up to the region's census count


def test_leagues_add_up_to_the_real_region_totals_they_are_anchored_on(frame, panel, catalogue):
    """Synthetic and real league values together make the real region total, wherever a league value is
    synthetic: GDP, population (2024: 2388 万人, not 2388.01), 5G base stations, parcels…"""
    leagues = frame[frame["region"].isin(panel.leagues)].groupby(["code", "period"])["value"].sum()
    checked = set()
    for (code, region, period), value in panel.ref.items():
        real = [v for (c, r, p), v in panel.ref.items() if c == code and p == period and r in panel.leagues]
        if region != panel.root or catalogue.indicator(code).aggregation != "sum" or len(real) == len(panel.leagues):
            continue  # CX-01 2021: all 12 leagues are real and differ from the region by 0.3 % (both as published)
        if (code, period) in leagues.index:
            assert leagues[(code, period)] + sum(real) == pytest.approx(value, abs=1e-9), (code, period)
            checked.add((code, period))
    assert {("CX-01", "2022"), ("CX-02", "2024"), ("DI-01", "2021Q4"), ("DI-01", "2023Q4"), ("ID-17", "2022"),
            ("ID-04", "2021"), ("ID-11", "2021")} <= checked


def test_year_to_date_series_never_fall_within_a_year(frame, catalogue):
    ytd = [c for c, i in catalogue.indicators.items() if i.measure == "ytd"]
    rows = frame[frame["code"].isin(ytd)].sort_values(["code", "region", "year", "sub"])
    steps = rows.groupby(["code", "region", "year"])["units"].diff().dropna()
    assert len(steps) > 10_000 and (steps >= 0).all()


def wide(frame, code):
    rows = frame[frame["code"] == code]
    return pd.Series(rows["value"].to_numpy(), index=pd.MultiIndex.from_frame(rows[["region", "period"]]))


@pytest.mark.parametrize("part,whole", [("DI-03a", "DI-03b"), ("ID-12a", "DI-03b"), ("ID-06a", "ID-06b"),
                                        ("DI-07a", "DI-06"), ("DI-05", "DI-08b"), ("DI-09b", "DI-09a"),
                                        ("DI-10a", "DI-09a"), ("ID-02a", "ID-02b"), ("ID-14a", "ID-14b"),
                                        ("ID-16a", "ID-16b"), ("DG-06a", "DG-06b"), ("DS-01a", "DS-01b"),
                                        ("DS-03a", "DS-03b"), ("DS-04a", "DS-04b"), ("DS-05a", "DS-05b"),
                                        ("DS-06a", "DS-06b")])
def test_a_part_never_exceeds_its_whole(frame, part, whole):
    a, b = wide(frame, part).align(wide(frame, whole), join="inner")
    assert len(a) >= 13 * len(YEARS) and (a <= b).all()


def test_rates_stay_in_their_ranges_and_counts_stay_small(frame, catalogue):
    for code in [c for c, i in catalogue.indicators.items() if i.unit == "%" and not i.is_derived]:
        values = frame.loc[frame["code"] == code, "value"]
        assert values.between(0, 100).all(), code
    incidents = frame[(frame["code"] == "DS-02") & frame["region"].str[-2:].ne("00")]["value"]
    assert incidents.between(2, 8).all() and (incidents == incidents.round()).all()


def level_totals(frame, catalogue, code: str) -> pd.Series:
    """Each region's value of an additive series: as reported, or (the region) the sum of the leagues."""
    levels = {r.code: r.level for r in catalogue.regions.regions}
    rows = frame[frame["code"] == code]
    out = rows.set_index(["region", "period"])["value"]
    if not (rows["region"].map(levels) == "region").any():
        leagues = rows[rows["region"].map(levels) == "league"].groupby("period")["value"].sum()
        out = pd.concat([out, pd.Series(leagues.to_numpy(), index=pd.MultiIndex.from_product(
            [[catalogue.regions.root.code], leagues.index], names=["region", "period"]))])
    return out


# ratio, plausible band at league and region level, and at county level (small counts round coarsely)
DATA_CENTRE_RATIOS = [("DI-08", (30, 70), (25, 75)), ("DI-09", (1.2, 1.6), (1.15, 1.65)),
                      ("DI-10", (20, 90), (19.9, 90.1)), ("SM-05", (0.25, 0.5), None)]


@pytest.mark.parametrize("ratio,band,county_band", DATA_CENTRE_RATIOS, ids=[r[0] for r in DATA_CENTRE_RATIOS])
def test_data_centre_ratios_derived_from_the_generated_parts_are_plausible_at_every_level(
        frame, catalogue, ratio, band, county_band):
    ind = catalogue.indicator(ratio)
    assert ratio not in set(frame["code"])  # derived: the demo submits its parts, never the ratio itself
    numerator, denominator = ind.inputs
    a, b = level_totals(frame, catalogue, numerator).align(level_totals(frame, catalogue, denominator), join="inner")
    values = (a / b * (100 if ind.unit == "%" else 1))[b > 0]
    levels = values.index.get_level_values("region").map({r.code: r.level for r in catalogue.regions.regions})
    upper = values[levels != "county"]
    assert len(upper) >= 13 * len(YEARS) and upper.between(*band).all(), upper[~upper.between(*band)]
    if county_band:
        county = values[levels == "county"]
        assert len(county) > 100 and county.between(*county_band).all(), county[~county.between(*county_band)]
    region = values.xs(catalogue.regions.root.code, level="region")
    polarity = 1 if ind.polarity == "higher_is_better" else -1
    assert (np.diff(region.sort_index().to_numpy()) * polarity > 0).all()  # the region improves every year


def test_documented_gaps_are_left_out_or_marked_not_reported(frame):
    keys = set(zip(frame["code"], frame["region"], frame["period"], strict=True))
    assert not {tuple(k) for k in OMITTED} & keys
    code, league, period = MISSING_QUARTER
    assert not frame[(frame["code"] == code) & (frame["period"] == period) & frame["region"].str[:4].eq(league[:4])
                     ].shape[0]
    for code, region, period in NOT_REPORTED:
        row = frame[(frame["code"] == code) & (frame["region"] == region) & (frame["period"] == period)]
        assert row["text"].tolist() == ["—"]


def test_year_on_year_changes_stay_under_half_apart_from_the_real_5g_rollout(frame):
    values = frame.set_index(["code", "region", "year", "sub"])["value"]
    previous = values.copy()
    previous.index = previous.index.set_levels(previous.index.levels[2] + 1, level="year")
    a, b = values.align(previous, join="inner")
    change = (a / b - 1)[b > 0]
    large = change[change.abs() > 0.5]
    assert (large.index.get_level_values("code") != "DI-01").sum() < 0.001 * len(change)


@pytest.mark.slow
def test_demo_build_loads_reference_and_demo_files_and_keeps_the_synthetic_flag_apart(catalogue, settings, tmp_path):
    settings.paths.warehouse.write_bytes(b"an old warehouse that a rebuild replaces")
    report = build(SEED, settings, out=tmp_path / "demo", cat=catalogue)
    assert report.rejected == [] and len(report.demo) == 80 and len(report.reference) == 2
    assert report.counts["batches"] == 82 and report.counts["real"] == 82
    assert report.counts["synthetic"] == report.counts["observations"] - 82
    assert report.warnings["reconciliation"] == len(DISCREPANCIES)
    assert report.warnings["not_reported"] == len(NOT_REPORTED)
    with warehouse.reader(settings.paths.warehouse) as con:
        flags = dict(con.execute("""SELECT source = ?, bool_and(synthetic) = bool_or(synthetic) AND bool_or(synthetic)
                                    FROM current_observations GROUP BY 1""", [SOURCE]).fetchall())
        real = con.execute("SELECT bool_or(synthetic) FROM current_observations WHERE source LIKE '%http%'")
        assert flags == {True: True, False: False} and real.fetchall()[0][0] is False
    assert any("示例 synthetic" in line for line in report.lines())


# ── the demo warehouse (built once per session by `dem demo build`, see conftest) ───────────────────

def test_every_real_figure_is_the_current_value_in_the_demo_warehouse(demo_warehouse, panel):
    """data/reference/ is loaded first and no synthetic file repeats one of its keys, so no demo row supersedes a
    real one: each real figure is current, not synthetic, and is the value the engine publishes for its key."""
    with warehouse.reader(demo_warehouse) as con:
        current = con.execute("SELECT indicator_code, region_code, period, value, synthetic FROM current_observations"
                              " WHERE NOT synthetic").df().set_index(["indicator_code", "region_code", "period"])
        facts = con.execute("SELECT indicator_code, region_code, period, value, status FROM facts WHERE status = "
                            "'reported'").df().set_index(["indicator_code", "region_code", "period"])
        superseded = con.execute("SELECT count(*) FROM observations WHERE superseded_by IS NOT NULL").fetchall()
    assert superseded == [(0,)]
    for key, value in panel.ref.items():
        assert current.loc[key, "value"] == pytest.approx(value), key
        assert facts.loc[key, "value"] == pytest.approx(value), key


DI06_BAND = (0.5, 1.0)  # the 2024 value ÷ the steady path from the 2020 value to the 2025 target


def test_computing_power_in_the_demo_lies_within_a_plausible_band_of_its_official_target_path(demo_warehouse,
                                                                                              catalogue):
    """DI-06 target: 200 000 PFLOPS in 2025 (official). The synthetic region grows about 48 % a year from 2020: behind
    the steady path to the target but not hopelessly (needs acceleration), as an ambitious target would read."""
    target = next(t for t in catalogue.targets_for("DI-06", "150000") if t.kind == "target")
    with warehouse.reader(demo_warehouse) as con:
        di06 = query.values(con, ["DI-06"], ["150000"]).set_index("year")["value"]
        status = precompute.progress(con, catalogue, 2024, load_settings().progress, ["150000"], ["DI-06"])
    path_2024 = di06[2020] * (target.value / di06[2020]) ** ((2024 - 2020) / (target.year - 2020))
    assert DI06_BAND[0] <= di06[2024] / path_2024 <= DI06_BAND[1], (di06[2024], path_2024)
    assert status["status"].tolist() == ["needs_acceleration"]


def test_official_targets_in_the_demo_read_some_on_track_and_some_behind(demo_warehouse, catalogue):
    official = {(t.indicator_code, t.region_code) for t in catalogue.targets
                if t.kind == "target" and t.provenance == "official"}
    with warehouse.reader(demo_warehouse) as con:
        table = precompute.progress(con, catalogue, 2024, load_settings().progress)
    statuses = {(c, r): s for c, r, s in zip(table["indicator_code"], table["region_code"], table["status"],
                                             strict=True) if (c, r) in official}
    assert {"achieved", "on_track"} & set(statuses.values()), statuses
    assert {"needs_acceleration"} & set(statuses.values()), statuses
    assert statuses[("DI-06", "150000")] != "limited_progress"


def test_demo_generate_command_writes_the_files(tmp_path):
    result = CliRunner().invoke(dem, ["demo", "generate", "--seed", "3", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "wrote 80 synthetic demo file(s)" in result.output
    assert np.isin(["2019_150000_内蒙古自治区.csv", "2024_150700_呼伦贝尔市.xlsx"],
                   [p.name for p in tmp_path.iterdir()]).all()
