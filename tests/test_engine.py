"""The indicator engine on real warehouses built by the production loader from tiny submissions."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from etl.pipeline import load_files
from indicators.base.catalogue import Target
from indicators.base.settings import Index, Progress, load_settings
from indicators.engine import audit, precompute, progress, query
from indicators.storage import warehouse

CENSUS_2020 = {  # 第七次全国人口普查 resident population by league (persons); they sum to 24 049 155
    "150100": 3446100, "150200": 2709378, "150300": 556621, "150400": 4035967, "150500": 2873168,
    "150600": 2153638, "150700": 2242875, "150800": 1538715, "150900": 1706328, "152200": 1416929,
    "152500": 1107075, "152900": 262361}
LEAGUES = list(CENSUS_2020)


def build(tmp_path: Path, *files: tuple[str, str]) -> Path:
    """Write (name, csv text) submissions and load them, in order, into a fresh warehouse."""
    db = tmp_path / "w.duckdb"
    settings = load_settings().with_overrides(paths_warehouse=db)
    from indicators.base.catalogue import load_catalogue
    paths = []
    for name, text in files:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    results = load_files(paths, load_catalogue(), settings)
    assert all(r.status == "loaded" for r in results), [p.text() for r in results for p in r.errors]
    return db


def csv(rows: list[tuple]) -> str:
    head = "indicator_code,region,period,value,unit\n"
    return head + "".join(",".join(str(x) for x in (*r, "")[:5]) + "\n" for r in rows)


def fact(db: Path, code: str, region: str, period: str) -> dict:
    with warehouse.reader(db) as con:
        frame = query.values(con, [code], [region], [period], frequency=None, include_missing=True)
    assert len(frame) == 1, frame
    return frame.iloc[0].to_dict()


def test_census_counts_of_the_12_leagues_sum_exactly_to_the_region_total(tmp_path):
    leagues = [("CX-02", code, 2020, n, "人") for code, n in CENSUS_2020.items()]
    db = build(tmp_path, ("leagues.csv", csv(leagues)))
    region = fact(db, "CX-02", "150000", "2020")
    assert region["status"] == "aggregated" and region["value"] == 2404.9155
    assert (region["coverage_n"], region["coverage_total"]) == (12, 12)


def test_reported_region_value_equal_to_the_sum_shows_zero_reconciliation_difference(tmp_path):
    leagues = [("CX-02", code, 2020, n, "人") for code, n in CENSUS_2020.items()]
    db = build(tmp_path, ("leagues.csv", csv(leagues)), ("region.csv", csv([("CX-02", "150000", 2020, 24049155, "人")])))
    region = fact(db, "CX-02", "150000", "2020")
    assert region["status"] == "reported" and region["value"] == 2404.9155
    assert region["aggregated_value"] == 2404.9155
    assert region["reconciliation_diff"] == 0 and region["reconciliation_ok"]


def test_aggregate_is_withheld_when_a_league_is_missing_but_coverage_is_kept(tmp_path):
    leagues = [("CX-02", code, 2020, n, "人") for code, n in list(CENSUS_2020.items())[:11]]
    db = build(tmp_path, ("leagues.csv", csv(leagues)))
    region = fact(db, "CX-02", "150000", "2020")
    assert math.isnan(region["value"]) and (region["coverage_n"], region["coverage_total"]) == (11, 12)


def _two_county_league(code_a="150981", code_b="150902") -> list[tuple]:
    """Ulanqab (150900) has 11 counties; give them all population, two of them 5G sites."""
    from indicators.base.catalogue import load_catalogue
    counties = [r.code for r in load_catalogue().regions.counties("150900")]
    rows = [("CX-02", c, 2023, 10, "") for c in counties]
    rows += [("DI-01", c, "2023Q4", 0, "") for c in counties if c not in (code_a, code_b)]
    rows += [("DI-01", code_a, "2023Q4", 100, ""), ("DI-01", code_b, "2023Q4", 10, "")]
    rows[0] = ("CX-02", counties[0], 2023, 90, "")  # a populous county changes the league ratio
    return rows


def test_derived_ratio_at_league_level_is_the_ratio_of_league_inputs_not_the_mean_of_county_ratios(tmp_path):
    db = build(tmp_path, ("c.csv", csv(_two_county_league())))
    league = fact(db, "DI-02", "150900", "2023")
    population = 90 + 10 * 10  # 11 counties: one with 90 (万人), ten with 10
    assert league["status"] == "derived"
    assert league["value"] == pytest.approx(110 / population)
    with warehouse.reader(db) as con:
        counties = query.values(con, ["DI-02"], level="county")
    assert counties["value"].mean() != pytest.approx(league["value"])


def test_pue_of_a_league_is_its_total_electricity_over_its_it_electricity_not_a_mean_of_pues(tmp_path):
    from indicators.base.catalogue import load_catalogue
    counties = [r.code for r in load_catalogue().regions.counties("152900")]  # Alxa: 3 counties
    rows = [("DI-09a", counties[0], 2023, 1200, ""), ("DI-09a", counties[1], 2023, 200, ""),
            ("DI-09a", counties[2], 2023, 0, ""), ("DI-09b", counties[0], 2023, 1000, ""),
            ("DI-09b", counties[1], 2023, 100, ""), ("DI-09b", counties[2], 2023, 0, "")]
    db = build(tmp_path, ("pue.csv", csv(rows)))
    league = fact(db, "DI-09", "152900", "2023")
    assert league["status"] == "derived"
    assert league["value"] == pytest.approx(1400 / 1100)  # 1.27, not the mean of 1.2 and 2.0
    assert fact(db, "DI-09", counties[0], "2023")["value"] == pytest.approx(1.2)
    with warehouse.reader(db) as con:  # the county without data centres (0 / 0) has no PUE at all
        assert query.values(con, ["DI-09"], [counties[2]], ["2023"]).empty


def test_ytd_differences_reproduce_monthly_amounts_and_december_is_the_annual_total(tmp_path):
    amounts = [5, 7, 6, 8, 9, 10, 11, 9, 8, 12, 15, 20]
    cumulative = [sum(amounts[: i + 1]) for i in range(12)]
    rows = [("ID-10", "150100", f"2023M{m:02d}", v, "") for m, v in zip(range(1, 13), cumulative, strict=True)]
    db = build(tmp_path, ("ytd.csv", csv(rows)))
    with warehouse.reader(db) as con:
        monthly = query.values(con, ["ID-10"], ["150100"], frequency="monthly")
    assert monthly["amount"].tolist() == amounts
    annual = fact(db, "ID-10", "150100", "2023")
    assert annual["value"] == sum(amounts) and annual["basis"] == "rollup" and annual["complete"]


def test_stock_annual_value_is_the_fourth_quarter_and_flow_is_the_sum(tmp_path):
    rows = [("DI-01", "150100", f"2023Q{q}", v, "") for q, v in zip(range(1, 5), [10, 20, 30, 40], strict=True)]
    rows += [("DS-02", "150100", f"2023Q{q}", v, "") for q, v in zip(range(1, 5), [1, 2, 3, 4], strict=True)]
    rows += [("DS-02", "150100", f"2022Q{q}", 1, "") for q in (1, 2, 3)]  # Q4 missing
    db = build(tmp_path, ("q.csv", csv(rows)))
    assert fact(db, "DI-01", "150100", "2023")["value"] == 40
    assert fact(db, "DS-02", "150100", "2023")["value"] == 10
    incomplete = fact(db, "DS-02", "150100", "2022")
    assert incomplete["value"] == 3 and not incomplete["complete"] and incomplete["ytd_through"] == "2022Q3"


def test_year_in_progress_is_labelled_year_to_date(tmp_path, monkeypatch):
    monkeypatch.setenv("DEM_TODAY", "2026-11-27")
    rows = [("DI-01", "150100", f"2026Q{q}", 10 * q, "") for q in (1, 2, 3)]
    db = build(tmp_path, ("q.csv", csv(rows)))
    current = fact(db, "DI-01", "150100", "2026")
    assert current["value"] == 30 and not current["complete"] and current["ytd_through"] == "2026Q3"


# ── progress: hand-computed cases ─────────────────────────────────────────────────────────────────────

P = Progress()


def target(value: float, year: int = 2025, comparison: str = ">=") -> Target:
    return Target("X", "150000", year, value, comparison, "target", "illustrative", "", "", "", "", "")


@pytest.mark.parametrize("y0,yt,tgt,polarity,status", [
    # with a target: R = CAGR_o / CAGR_r, base 2020, latest 2022, target year 2025
    (100, 121, target(150), "higher_is_better", "on_track"),  # 10 % / 8.45 % = 1.18
    (100, 112, target(150), "higher_is_better", "needs_acceleration"),  # 5.83 % / 8.45 % = 0.69
    (100, 102, target(150), "higher_is_better", "limited_progress"),  # 0.99 % / 8.45 % = 0.12
    (100, 95, target(150), "higher_is_better", "deteriorating"),  # R < 0
    (100, 160, target(150), "higher_is_better", "achieved"),
    (100, 75, target(50, comparison="<="), "lower_is_better", "on_track"),  # −13.4 % / −12.9 % = 1.04
    (100, 81, target(50, comparison="<="), "lower_is_better", "needs_acceleration"),  # −10 % / −12.9 % = 0.77
    (100, 105, target(50, comparison="<="), "lower_is_better", "deteriorating"),
    (100, 45, target(50, comparison="<="), "lower_is_better", "achieved"),
    # without a target: CAGR in the desired direction against 1.5 % / 0.5 % / 0
    (100, 104, None, "higher_is_better", "on_track"),  # +1.98 %/yr
    (100, 101.5, None, "higher_is_better", "needs_acceleration"),  # +0.75 %/yr
    (100, 100.5, None, "higher_is_better", "limited_progress"),  # +0.25 %/yr
    (100, 96, None, "higher_is_better", "deteriorating"),
    (100, 96, None, "lower_is_better", "on_track"),  # falling is good
    (100, 104, None, "lower_is_better", "deteriorating"),
    (100, 104, None, "context", "not_assessed"),
    (math.nan, 104, None, "higher_is_better", "insufficient_data"),
])
def test_progress_status_matches_hand_computation(y0, yt, tgt, polarity, status):
    a = progress.assess(y0, 2020, yt, 2022, polarity, tgt, P)
    assert a.status == status
    if tgt is not None and status not in ("achieved",):
        by_hand = ((yt / y0) ** (1 / 2) - 1) / ((tgt.value / y0) ** (1 / 5) - 1)
        assert a.ratio == pytest.approx(by_hand)


def test_progress_bands_on_exact_ratios():
    # choose y_t so that R hits each band: CAGR_r for 100 → 200 over 2020–2025 is 2^(1/5) − 1
    req = 2 ** (1 / 5) - 1
    for r, status in ((1.0, "on_track"), (0.96, "on_track"), (0.7, "needs_acceleration"), (0.3, "limited_progress"),
                      (-0.2, "deteriorating")):
        yt = 100 * (1 + r * req) ** 2
        assert progress.assess(100, 2020, yt, 2022, "higher_is_better", target(200), P).status == status


def test_progress_table_uses_official_targets_and_reports_insufficient_data(tmp_path):
    rows = [("DI-06", "150000", 2020, 50000, ""), ("DI-06", "150000", 2023, 150000, ""),
            ("DI-06", "150100", 2023, 10, "")]
    db = build(tmp_path, ("p.csv", csv(rows)))
    from indicators.base.catalogue import load_catalogue
    with warehouse.reader(db) as con:
        table = precompute.progress(con, load_catalogue(), 2023, P, indicators=["DI-06"])
    region = table.set_index("region_code").loc["150000"]
    req = (200000 / 50000) ** (1 / 5) - 1
    obs = (150000 / 50000) ** (1 / 3) - 1
    assert region["target_value"] == 200000 and region["target_provenance"] == "official"
    assert region["ratio"] == pytest.approx(obs / req) and region["status"] == "on_track"
    assert table.set_index("region_code").loc["150100", "status"] == "insufficient_data"


# ── composite index ───────────────────────────────────────────────────────────────────────────────────

def _index_rows(best: str) -> list[tuple]:
    """Two index indicators (one lower-is-better) for every league, base year 2020; `best` leads on both."""
    rows = []
    for i, code in enumerate(LEAGUES):
        good = code == best
        rows += [("DG-01", code, 2020, 100 if good else 50 + i, ""), ("DG-01", code, 2023, 100 if good else 60 + i, ""),
                 *_share("DS-01", code, 2020, 99 if good else 40 + i), *_share("DS-01", code, 2023, 99 if good else 45 + i)]
    return rows


def _share(code: str, region: str, year: int, percent: int) -> list[tuple]:
    """A derived share submitted as its parts: `percent` of 100 (DS-01 = DS-01a / DS-01b × 100)."""
    return [(f"{code}a", region, year, percent, ""), (f"{code}b", region, year, 100, "")]


def test_league_best_on_every_indicator_scores_100_in_the_base_year(tmp_path):
    db = build(tmp_path, ("i.csv", csv(_index_rows("152500"))))
    from indicators.base.catalogue import load_catalogue
    with warehouse.reader(db) as con:
        scores = precompute.index_scores(con, load_catalogue(), 2020, Index())
    total = scores[scores["chapter"] == 0].set_index("region_code")
    assert total.loc["152500", "score"] == pytest.approx(100) and total.loc["152500", "rank"] == 1
    assert total["coverage"].max() < 1  # only 2 of the index indicators are present: coverage is reported


def test_chapter_weights_change_the_ranking(tmp_path):
    rows = []
    for i, code in enumerate(LEAGUES):  # league 0 leads chapter 6, league 1 leads chapter 7
        rows += [("DG-01", code, 2020, 90 if i == 0 else (70 if i == 1 else 50), ""),
                 *_share("DS-01", code, 2020, 90 if i == 1 else 50)]
    db = build(tmp_path, ("w.csv", csv(rows)))
    from indicators.base.catalogue import load_catalogue
    cat = load_catalogue()
    loose = Index(min_coverage=0.0)  # one indicator per chapter is enough here
    with warehouse.reader(db) as con:
        equal = precompute.index_scores(con, cat, 2020, loose)
        governance = precompute.index_scores(con, cat, 2020, loose, weights={6: 5.0, 7: 1.0})
        security = precompute.index_scores(con, cat, 2020, loose, weights={6: 1.0, 7: 5.0})
    top = lambda s: s[(s["chapter"] == 0) & (s["rank"] == 1)]["region_code"].tolist()  # noqa: E731
    assert top(governance) == [LEAGUES[0]] and top(security) == [LEAGUES[1]]
    assert len(equal[equal["chapter"] == 0]) == 12


def test_explain_traces_an_aggregate_to_its_children_and_batches(tmp_path):
    leagues = [("CX-02", code, 2020, n, "人") for code, n in CENSUS_2020.items()]
    db = build(tmp_path, ("leagues.csv", csv(leagues)))
    from indicators.base.catalogue import load_catalogue
    cat = load_catalogue()
    with warehouse.reader(db) as con:
        e = audit.explain(con, cat, "CX-02", "150000", "2020")
        leaf = audit.explain(con, cat, "CX-02", "150100", "2020")
    assert e.fact["status"] == "aggregated" and len(e.inputs) == 12 and set(e.inputs["batch_id"]) == {1}
    assert "下级合计" in "\n".join(e.lines(cat))
    assert leaf.vintages["file_name"].tolist() == ["leagues.csv"] and leaf.vintages["line"].tolist() == [2]


def test_precomputed_progress_and_scores_match_a_fresh_computation(demo_warehouse):
    from indicators.base.catalogue import load_catalogue
    cat, settings = load_catalogue(), load_settings()
    with warehouse.reader(demo_warehouse) as con:
        assert precompute.stored(con, precompute.PROGRESS_TABLE, settings.progress)
        stored = precompute.progress(con, cat, 2023, settings.progress, regions=["150000", "152500"])
        fresh = progress.compute(con, cat, 2023, settings.progress, regions=["150000", "152500"])
        assert stored["status"].tolist() == fresh["status"].tolist() and len(stored) > 50
        other = Progress(on_track=0.99)  # other thresholds: the stored table does not apply
        assert not precompute.stored(con, precompute.PROGRESS_TABLE, other)
        assert len(precompute.progress(con, cat, 2023, other, regions=["150000"])) > 0
        a = precompute.indicator_scores(con, cat, 2024, settings.index).sort_values(["indicator_code", "region_code"])
        b = precompute.fresh_indicator_scores(con, cat, 2024, settings.index).sort_values(
            ["indicator_code", "region_code"])
        assert a["score"].round(12).tolist() == b["score"].round(12).tolist()
