"""Progress assessments a statistician would sign: natural limits (a share at 100 % is achieved; near the limit
the growth bands shrink to the distance left, as in Open SDG), benchmarks that never set a status, targets that
say who set them and how they were confirmed, and one sentence per status in both languages.
"""

from __future__ import annotations

import math

import pytest
from helpers import SUBMISSIONS, make_warehouse, run_dem

from indicators.base.catalogue import Target, default_catalogue
from indicators.base.settings import Progress
from indicators.engine import progress

P = Progress()


def test_the_limit_coefficient_follows_open_sdg_worked_values():
    assert progress.limit_coefficient(99.5, 100) == pytest.approx(1 - 0.995 ** 4.44)  # 0.022
    assert progress.limit_coefficient(50, 100) == pytest.approx(1 - 0.5 ** 4.44)  # 0.954
    assert progress.limit_coefficient(1.4, 1.0) == pytest.approx(1 - 0.6 ** 4.44)  # PUE approaching its floor
    assert progress.limit_coefficient(3.0, 1.0) == 1.0 and progress.limit_coefficient(5.0, None) == 1.0


@pytest.mark.parametrize(("y0", "yt", "limit", "polarity", "status"), [
    (98.7, 100.0, 100.0, "higher_is_better", "achieved"),  # DG-05 at 100.00 %: at the limit
    (99.5, 99.998, 100.0, "higher_is_better", "achieved"),  # shown as 100.00 with two decimals
    (99.5, 99.82, 100.0, "higher_is_better", "on_track"),  # +0.08 %/yr against bands × 0.022
    (99.5, 99.58, 100.0, "higher_is_better", "needs_acceleration"),  # +0.02 %/yr: between 0.011 % and 0.033 %
    (99.5, 99.4, 100.0, "higher_is_better", "deteriorating"),
    (1.40, 1.25, 1.0, "lower_is_better", "on_track"),  # PUE falling towards 1.0
    (1.40, 1.0, 1.0, "lower_is_better", "achieved"),
    (50.0, 50.2, 100.0, "higher_is_better", "limited_progress"),  # far from the limit: the usual bands
])
def test_a_share_near_its_natural_limit_is_judged_on_the_distance_left(y0, yt, limit, polarity, status):
    assert progress.assess(y0, 2020, yt, 2024, polarity, None, P, limit=limit, tolerance=0.005).status == status


def test_the_same_share_was_limited_progress_without_the_limit_treatment():
    """The finding: 好评率 99.82 % shown ▼ 进展有限 — what the bands alone say."""
    assert progress.assess(99.5, 2020, 99.82, 2024, "higher_is_better", None, P).status == "limited_progress"


def test_shares_grades_and_pue_have_natural_limits_and_counts_do_not():
    cat = default_catalogue()
    assert cat.indicator("DG-05").natural_limit == 100 and cat.indicator("ID-15").natural_limit == 8
    assert cat.indicator("DI-09").natural_limit == 1.0
    assert cat.indicator("DI-06").natural_limit is None and cat.indicator("DS-02").natural_limit is None


def test_targets_given_as_a_reference_or_for_a_part_are_benchmarks_that_set_no_status():
    cat = default_catalogue()
    kinds = {(t.indicator_code, t.region_code): t.kind for t in cat.targets}
    assert kinds[("DR-06", "150000")] == kinds[("DI-09", "150000")] == kinds[("DI-10", "150000")] == "benchmark"
    benchmark = next(t for t in cat.targets if t.indicator_code == "DI-09")
    assert progress.choose_target([benchmark], 2024) is None


def test_every_official_target_names_its_issuer_and_a_repost_says_so():
    cat = default_catalogue()
    official = [t for t in cat.targets if t.is_official]
    assert official and all(t.issuer_zh and t.issuer_en and t.source_kind for t in official)
    computing = next(t for t in official if t.indicator_code == "DI-06")
    assert computing.citation("zh").startswith("内蒙古自治区政务服务与数据管理局（中国新闻网报道）；来源：S18 http")
    assert computing.citation("zh").endswith("（转载）") and computing.citation("en").endswith("(a repost of a report)")


def _row(status: str, **extra) -> dict:
    base = {"indicator_code": "DI-06", "region_code": "150000", "status": status, "base_year": 2020,
            "base_value": 2000.0, "latest_year": 2024, "latest_value": 60000.0, "cagr_observed": 1.34,
            "cagr_required": 1.2, "ratio": 1.1, "target_year": 2025, "target_value": 200000.0, "coefficient": 1.0,
            "reason": ""}
    return {**base, **extra}


@pytest.mark.parametrize(("row", "zh", "en"), [
    (_row("on_track"), "进展顺利：自2020年的2,000 PFLOPS到2024年的60,000 PFLOPS，年均+134.0%；实现2025年目标≥200,000 PFLOPS需年均+120.0%，R = 1.10 ≥ 0.95（内蒙古自治区政务服务与数据管理局（中国新闻网报道）",
     "On track: from 2,000 PFLOPS in 2020 to 60,000 PFLOPS in 2024, +134.0% a year; the 2025 target ≥ 200,000 PFLOPS needs +120.0% a year, R = 1.10 ≥ 0.95 (IM Government Service and Data Administration Bureau"),
    (_row("insufficient_data", base_year=None, base_value=None), "数据不足：2020年以来只有一个可比数据点（2024年为60,000 PFLOPS）。",
     "Insufficient data: only one comparable value since 2020 (60,000 PFLOPS in 2024)."),
    (_row("achieved", indicator_code="DG-05", latest_value=100.0, target_value=None, reason="at the natural limit"),
     "已实现：2024年为100.00%，已达到自然极限100.00%。", "Achieved: 100.00% in 2024, at its natural limit of 100.00%."),
    (_row("on_track", indicator_code="DG-05", base_value=99.5, latest_value=99.82, cagr_observed=0.0008,
          target_value=None, coefficient=0.022),
     "进展顺利：无目标值（越高越好）；自2020年的99.50%到2024年的99.82%，年均+0.1%；按年均增速分档：≥0.03%进展顺利，≥0.01%需加快，≥0进展有限；接近自然极限100.00%，阈值按剩余距离缩放（×0.022）。",
     "On track: no target (higher is better); from 99.50% in 2020 to 99.82% in 2024, +0.1% a year; bands on the yearly growth: ≥ 0.03% on track, ≥ 0.01% needs acceleration, ≥ 0 limited progress; near its natural limit of 100.00%, the bands are scaled to the distance left (×0.022)."),
])
def test_every_status_is_explained_in_one_sentence_in_both_languages(row, zh, en):
    cat = default_catalogue()
    assert progress.status_sentence(row, cat, P, "zh").startswith(zh)
    assert progress.status_sentence(row, cat, P, "en").startswith(en)


def test_a_target_confirmed_only_through_a_secondary_source_says_so_in_its_sentence():
    row = _row("achieved", indicator_code="DP-02", base_value=2.4, latest_value=3.13, target_value=2.5)
    assert "仅经二手文献转述，须核对原文" in progress.status_sentence(row, default_catalogue(), P, "zh")
    assert "confirmed only through a secondary source" in progress.status_sentence(row, default_catalogue(), P, "en")


def test_a_benchmark_is_named_after_the_status_and_not_used_for_it():
    row = _row("on_track", indicator_code="DI-09", base_value=1.4, latest_value=1.25, cagr_observed=-0.028,
               target_value=None, coefficient=0.896)
    text = progress.status_sentence(row, default_catalogue(), P, "en")
    assert "no target (lower is better, judged by the fall)" in text
    assert "For reference (not used for the status): ≤ 1.20 by 2025; Horinger cluster" in text


def test_explain_gives_the_status_of_an_annual_value_in_one_sentence(tmp_path):
    rows = "indicator_code,region_code,period,value,unit\n" + "".join(
        f"DG-05,150000,{y}Q4,{v},%\n" for y, v in ((2020, 98.7), (2021, 99.1), (2022, 99.5), (2023, 100)))
    path = tmp_path / "dg05.csv"
    path.write_text(rows, encoding="utf-8")
    db = make_warehouse(tmp_path, files=[path, SUBMISSIONS / "base" / "base.csv"])

    result = run_dem("indicators", "explain", "DG-05", "150000", "2023", db=db)

    assert result.returncode == 0, result.stderr
    assert "进度 progress: 已实现：2023年为100.00%，已达到自然极限100.00%。 | Achieved: 100.00% in 2023" in result.stdout


def test_the_assessment_of_an_unknown_base_is_insufficient_whatever_the_limit():
    assert progress.assess(math.nan, 0, 99.0, 2024, "higher_is_better", None, P, limit=100).status == \
        "insufficient_data"


def test_a_target_beats_the_limit_rule_when_both_apply():
    goal = Target("DG-05", "150000", 2025, 99.0, ">=", "target", "illustrative", "", "", "", "", "")
    assert progress.assess(98.0, 2020, 99.2, 2024, "higher_is_better", goal, P, limit=100).reason == "target met"
