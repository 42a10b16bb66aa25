"""The composite index says how fragile it is: coverage per chapter, a warning where a chapter rests on fewer than
[index] min_chapter_indicators indicators, and each league's rank range over leave-one-chapter-out and equal
indicator weights (JRC/OECD Handbook) — computed by pure functions checked on hand-made frames, then shown on the
index page and in the bulletin, with ties as ties."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from helpers import browser_like

from dashboard import data, ids, numbers, sensitivity
from dashboard.report import tables
from dashboard.report.build import read_reports, resolve_settings
from dashboard.report.content import ReportSpec
from indicators.base.catalogue import default_catalogue
from indicators.base.settings import Index
from indicators.engine import composite

YEAR = 2024
LOOSE = Index(min_coverage=0.0, chapter_weights={})  # chapter weights given per test


def scores(rows: list[tuple[str, str, int, float]]) -> pd.DataFrame:
    """indicator_scores' frame from (league, indicator, chapter, score 0–1) rows, every index weight 1."""
    frame = pd.DataFrame(rows, columns=["region_code", "indicator_code", "chapter", "score"])
    return frame.assign(weight=1.0, synthetic=False, value=frame["score"])


def ranks_of(runs: pd.DataFrame, scenario: str) -> dict[str, int]:
    chosen = runs[runs["scenario"] == scenario]
    return dict(zip(chosen["region_code"], chosen["rank"].astype(int), strict=True))


# ── the scenarios on frames small enough to check by hand ─────────────────────────────────────────────

def test_leaving_a_chapter_out_or_weighting_indicators_equally_reranks_as_computed_by_hand():
    """x: chapter 2 → 1.0, chapter 3 → 0.0; y: 0.4 and 0.5. Chosen (1, 1): x 50 (1st), y 45 (2nd);
    without chapter 2: x 0, y 50 → x 2nd; without chapter 3: x 100 → 1st; equal indicators = chosen here."""
    ind = scores([("x", "A", 2, 1.0), ("x", "B", 3, 0.0), ("y", "A", 2, 0.4), ("y", "B", 3, 0.5)])
    runs = composite.scenarios(ind, LOOSE, {2: 1.0, 3: 1.0})
    assert sorted(runs["scenario"].unique()) == ["chosen", "equal_indicators", "without:2", "without:3"]
    chosen = runs[runs["scenario"] == "chosen"].set_index("region_code")["score"]
    assert chosen["x"] == pytest.approx(50) and chosen["y"] == pytest.approx(45)
    assert ranks_of(runs, "without:2") == {"x": 2, "y": 1} and ranks_of(runs, "without:3") == {"x": 1, "y": 2}
    ranges = composite.rank_ranges(runs).set_index("region_code")
    assert ranges.loc["x", ["rank", "rank_min", "rank_max", "shift"]].tolist() == [1, 1, 2, 1]
    assert ranges.loc["y", ["rank", "rank_min", "rank_max"]].tolist() == [2, 1, 2]


def test_equal_indicator_weights_ignore_the_chapters():
    """Chapter 2 has three indicators, chapter 3 one. x: 1, 1, 1 | 0 → chosen (1+0)/2 = 50, equal 3/4 = 75;
    y: 0, 0, 0 | 1 → chosen 50, equal 25."""
    ind = scores([("x", "A", 2, 1.0), ("x", "B", 2, 1.0), ("x", "C", 2, 1.0), ("x", "D", 3, 0.0),
                  ("y", "A", 2, 0.0), ("y", "B", 2, 0.0), ("y", "C", 2, 0.0), ("y", "D", 3, 1.0)])
    runs = composite.scenarios(ind, LOOSE, {2: 1.0, 3: 1.0}).set_index(["scenario", "region_code"])["score"]
    assert runs[("chosen", "x")] == pytest.approx(50) and runs[("chosen", "y")] == pytest.approx(50)
    assert runs[("equal_indicators", "x")] == pytest.approx(75) and runs[("equal_indicators", "y")] == pytest.approx(25)


def test_leaving_a_chapter_out_keeps_the_relative_weights_of_the_others():
    """Weights 1, 1, 2 on chapters 2, 3, 4; without chapter 2 the composite is (s3 × 1 + s4 × 2) / 3."""
    ind = scores([("x", "A", 2, 0.9), ("x", "B", 3, 0.3), ("x", "C", 4, 0.6), ("y", "A", 2, 0.1), ("y", "B", 3, 0.2),
                  ("y", "C", 4, 0.3)])
    runs = composite.scenarios(ind, LOOSE, {2: 1.0, 3: 1.0, 4: 2.0}).set_index(["scenario", "region_code"])["score"]
    assert runs[("without:2", "x")] == pytest.approx(100 * (0.3 + 2 * 0.6) / 3)
    assert runs[("chosen", "x")] == pytest.approx(100 * (0.9 + 0.3 + 2 * 0.6) / 4)


def test_a_chapter_of_weight_zero_is_not_left_out_again():
    ind = scores([("x", "A", 2, 1.0), ("x", "B", 3, 0.0), ("y", "A", 2, 0.0), ("y", "B", 3, 1.0)])
    assert "without:3" not in set(composite.scenarios(ind, LOOSE, {2: 1.0, 3: 0.0})["scenario"])


@pytest.mark.parametrize(("values", "ranks"), [
    ([0.9, 0.9, 0.5], [1, 1, 3]),  # equal scores share a rank, the next one is skipped
    ([0.81940, 0.81910, 0.5], [1, 1, 3]),  # 81.9 and 81.9 as published: a tie
    ([0.8196, 0.8191, 0.5], [1, 2, 3]),  # 82.0 and 81.9
])
def test_equal_published_scores_share_a_rank(values, ranks):
    ind = scores([(r, "A", 2, v) for r, v in zip("xyz", values, strict=True)])
    total = composite.combine(ind, LOOSE, {2: 1.0})
    assert total[total["chapter"] == 0].set_index("region_code")["rank"].loc[list("xyz")].tolist() == ranks


def test_missing_values_follow_the_same_rule_in_every_scenario():
    """exclude_region: a league missing an indicator has no composite in any scenario, hence no rank range."""
    ind = scores([("x", "A", 2, 1.0), ("x", "B", 3, np.nan), ("y", "A", 2, 0.5), ("y", "B", 3, 0.5)])
    runs = composite.scenarios(ind, Index(min_coverage=0.0, missing="exclude_region", chapter_weights={}),
                               {2: 1.0, 3: 1.0})
    assert runs[runs["region_code"] == "x"]["score"].isna().all()
    ranges = composite.rank_ranges(runs).set_index("region_code")
    assert pd.isna(ranges.loc["x", "rank_min"]) and ranges.loc["y", "rank_max"] == 1


# ── coverage and fragile chapters ───────────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("minimum", "weights"), [
    (2, {}),  # the shipped rule: chapters on a single indicator
    (3, {}),
    (2, {3: 0.0}),  # a chapter without weight takes no part and is not flagged
])
def test_chapters_resting_on_fewer_indicators_than_the_setting_are_flagged(catalogue, minimum, weights):
    p = Index(min_chapter_indicators=minimum)
    basis = composite.chapter_basis(catalogue, p, weights).set_index("chapter")
    counts = pd.Series([i.chapter for i in catalogue.indicators.values() if i.in_index]).value_counts()
    for chapter, row in basis.iterrows():
        assert row["indicators"] == counts.get(chapter, 0)
        assert row["fragile"] == (row["indicators"] < minimum and row["weight"] > 0), chapter
    assert basis["fragile"].any()  # the shipped catalogue has such chapters (3, 4 and 8 when this was written)


def test_coverage_counts_the_indicators_with_a_value_per_chapter_league_and_year(catalogue):
    """Chapter 2's index indicators for one league in 2023, one of them missing; nothing in 2024."""
    codes = [i.code for i in catalogue.indicators.values() if i.in_index and i.chapter == 2]
    league = catalogue.regions.leagues()[0].code
    frame = pd.DataFrame({"indicator_code": codes[1:], "region_code": league, "year": 2023, "value": 1.0})
    frame = pd.concat([frame, pd.DataFrame({"indicator_code": [codes[0]], "region_code": [league], "year": [2024],
                                            "value": [np.nan]})])
    cover = composite.chapter_coverage(frame, catalogue).set_index(["chapter", "region_code", "year"])
    assert cover.loc[(2, league, 2023)].tolist() == [len(codes) - 1, len(codes)]
    assert cover.loc[(2, league, 2024), "with_value"] == 0
    assert len(cover) == catalogue_chapters(catalogue) * 12 * 2


def catalogue_chapters(catalogue) -> int:
    return len({i.chapter for i in catalogue.indicators.values() if i.in_index})


# ── on the demo warehouse: the index page and the bulletin ──────────────────────────────────────────

def process_app(db):
    """The process's one app (pages register their callbacks into the first app created), on warehouse `db`."""
    import dash
    from dash.exceptions import AppNotFoundError

    os.environ.setdefault("DEM_TODAY", "2026-11-27")
    try:
        app = dash.get_app()
    except AppNotFoundError:
        from dashboard.app import create_app

        app = create_app(db=db)
    data.configure(db=db)
    assert app.server.test_client().get("/").status_code == 200  # registers the callbacks
    return app


@pytest.fixture(scope="module")
def app(demo_warehouse):
    """The process's app on the demo warehouse: the pages register their callbacks once, into the first app
    created (another test module may have created it already)."""
    yield process_app(demo_warehouse)
    data.configure(db=demo_warehouse)


@pytest.fixture(scope="module")
def report(demo_warehouse):
    (report,) = read_reports(resolve_settings(demo_warehouse), default_catalogue(), [ReportSpec(YEAR, region="152500")])
    return report


def _default_weights() -> tuple:
    return tuple((n, float(w)) for n, w in sorted(data.settings().index.chapter_weights.items()))


def test_every_leagues_rank_lies_in_its_range_over_every_scenario(app):
    runs = data.index_sensitivity(YEAR, _default_weights())
    weighted = sum(1 for w in data.settings().index.chapter_weights.values() if w > 0)
    assert runs["scenario"].nunique() == weighted + 2
    ranges = composite.rank_ranges(runs)
    assert len(ranges) == 12 and ((ranges["rank_min"] <= ranges["rank"]) & (ranges["rank"] <= ranges["rank_max"])).all()
    assert ranges["shift"].max() > 0  # the ranking does depend on the weighting


def test_the_index_page_warns_of_fragile_chapters_and_shows_rank_ranges(app):
    from dashboard.pages import index

    shown = index.robustness(YEAR, _default_weights(), "zh")
    warning, table = shown[0], shown[1]
    basis = composite.chapter_basis(data.catalogue(), data.settings().index)
    for row in basis[basis["fragile"]].itertuples():
        assert f"第{row.chapter}章（{row.indicators}项指标）" in warning.children
    ranges = composite.rank_ranges(data.index_sensitivity(YEAR, _default_weights())).set_index("region_code")
    names = {r.code: r.name_zh for r in data.catalogue().regions.leagues()}
    for row in table.rowData:
        code = next(c for c, n in names.items() if n == row["region_name"])
        lo, hi = ranges.loc[code, "rank_min"], ranges.loc[code, "rank_max"]
        assert row["range"] == (str(lo) if lo == hi else f"{lo}–{hi}")
    assert {c["field"] for c in table.columnDefs} >= {"chosen", "range", "equal_indicators", "without:8"}


def test_the_index_page_has_no_warning_when_the_fragile_chapters_weigh_nothing(app):
    from dashboard.pages import index

    basis = composite.chapter_basis(data.catalogue(), data.settings().index)
    weights = tuple((n, 0.0 if fragile else float(w)) for n, w, fragile in
                    zip(basis["chapter"], basis["weight"], basis["fragile"], strict=True))
    assert index.robustness(YEAR, weights, "en")[0] is None


def test_the_index_callback_is_answered_and_checks_its_weights(app):
    client = browser_like(app.server.test_client())
    sliders = [ids.weight(n) for n in sorted(data.settings().index.chapter_weights)]

    def post(weights):
        return client.post("/_dash-update-component", json={
            "output": f"{ids.INDEX_ROBUSTNESS}.children", "outputs": {"id": ids.INDEX_ROBUSTNESS, "property": "children"},
            "inputs": [{"id": ids.INDEX_YEAR, "property": "value", "value": YEAR},
                       [{"id": s, "property": "value", "value": w} for s, w in zip(sliders, weights, strict=True)]],
            "state": [[{"id": s, "property": "id", "value": s} for s in sliders],
                      {"id": ids.LANG, "property": "data", "value": "en"}], "changedPropIds": []})

    answer = post([1.0] * len(sliders))
    assert answer.status_code == 200 and "Rank range" in answer.get_data(as_text=True)
    assert post([7.0] + [1.0] * (len(sliders) - 1)).status_code == 204  # no slider offers 7


def test_ties_are_shown_as_ties_on_the_index_page_and_in_the_bulletin(app, report):
    from dashboard.pages import index

    scores = data.index_scores(YEAR, (), "zh")
    tied_chapters = [c for c, part in scores.groupby("chapter") if part["rank"].duplicated().any()]
    assert tied_chapters  # the demo data has shared ranks (several leagues at 100 on a single-indicator chapter)
    for chapter in tied_chapters:
        if chapter == 0:
            continue
        part = report.index[report.index["chapter"] == chapter].set_index("region_code")
        expected = numbers.rank_labels(part["rank"])
        rows = tables.leagues(report, default_catalogue(), [], chapter).rows
        names = {r.code: r.name_zh for r in report.leagues}
        shown = {row[0]: row[-1] for row in rows}
        assert {names[c]: label for c, label in expected.items()} == shown
        assert any(label.endswith("=") for label in shown.values())
    total = index.coverage_table(scores, "zh").rowData
    assert [row["rank"] for row in total] == list(numbers.rank_labels(
        scores[scores["chapter"] == 0].sort_values("rank")["rank"]))


def test_the_bulletin_tables_give_coverage_by_year_and_the_rank_ranges(report):
    robust = report.robustness
    years = sorted(robust.coverage["year"].unique())[-3:]
    cover = tables.index_coverage(report, years)
    assert cover.titles[-3:] == [str(y) for y in years] and len(cover.rows) == len(robust.basis)
    flagged = {row[0] for row in cover.rows if row[3]}
    assert flagged == {report.chapter_labels[c] for c in robust.basis[robust.basis["fragile"]]["chapter"]}
    ranks = tables.sensitivity_ranks(report)
    assert ranks.titles[:4] == ["排名", "地区", "综合指数", "名次范围"] and ranks.titles[-1] == "指标等权"
    assert len(ranks.rows) == 12 and len(ranks.highlight) == 1  # the report's own league is highlighted
    frame, _ = sensitivity.sensitivity_frame(robust.runs, {r.code: r.name_zh for r in report.leagues}, "zh")
    assert [row[3] for row in ranks.rows] == list(frame["range"])
