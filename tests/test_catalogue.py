"""The shipped catalogue: the indicators later issues rely on, article citations, units and targets."""

from __future__ import annotations

import pytest

from indicators.base.catalogue import MONITORING_ARTICLE
from indicators.base.regulation import MISSING

# code, name_zh, unit, frequency, measure, aggregation, polarity, formula/weight
REQUIRED = [
    ("CX-01", "地区生产总值", "亿元", "annual", "flow", "sum", "context", None),
    ("CX-02", "年末常住人口", "万人", "annual", "stock", "sum", "context", None),
    ("DI-01", "5G基站数", "个", "quarterly", "stock", "sum", "higher_is_better", None),
    ("DI-02", "每万人拥有5G基站数", "个/万人", "annual", "stock", "derived", "higher_is_better", "{DI-01} / {CX-02}"),
    ("DI-04", "千兆及以上宽带接入用户数", "万户", "quarterly", "stock", "sum", "higher_is_better", None),
    ("DI-05", "数据中心在用标准机架数", "万架", "annual", "stock", "sum", "higher_is_better", None),
    ("DI-06", "算力总规模", "PFLOPS", "annual", "stock", "sum", "higher_is_better", None),
    ("DI-09", "数据中心年均电能利用效率（PUE）", "ratio", "annual", "stock", "derived", "lower_is_better",
     "{DI-09a} / {DI-09b}"),
    ("DP-01", "数字经济核心产业增加值", "亿元", "annual", "flow", "sum", "higher_is_better", None),
    ("DP-02", "数字经济核心产业增加值占GDP比重", "%", "annual", "stock", "derived", "higher_is_better",
     "{DP-01} / {CX-01} * 100"),
    ("ID-10", "网上零售额", "亿元", "monthly", "ytd", "sum", "higher_is_better", None),
    ("DG-01", "依申请政务服务事项网上可办率", "%", "annual", "stock", "none", "higher_is_better", None),
    ("DS-02", "网络安全事件数", "起", "quarterly", "flow", "sum", "lower_is_better", None),
]


@pytest.mark.parametrize("code,name_zh,unit,frequency,measure,aggregation,polarity,rule", REQUIRED)
def test_required_indicator_exists_as_specified(catalogue, code, name_zh, unit, frequency, measure, aggregation,
                                                polarity, rule):
    ind = catalogue.indicator(code)
    assert (ind.name_zh, ind.unit, ind.frequency, ind.measure, ind.aggregation, ind.polarity) == (
        name_zh, unit, frequency, measure, aggregation, polarity)
    if aggregation == "derived":
        assert ind.formula == rule
    elif aggregation == "weighted_mean":
        assert ind.weight == rule


def test_percentage_and_pue_ranges(catalogue):
    assert (catalogue.indicator("DG-01").min, catalogue.indicator("DG-01").max) == (0, 100)
    assert catalogue.indicator("DI-09").min == 1.0
    assert catalogue.indicator("DI-01").min == 0


def test_at_least_45_indicators_cover_chapters_2_to_8(catalogue):
    assert len(catalogue.indicators) >= 45
    assert {i.chapter for i in catalogue.indicators.values()} >= set(range(2, 9))
    for chapter in range(2, 9):
        assert any(i.in_index for i in catalogue.by_chapter(chapter)), f"chapter {chapter} has no index indicator"


def test_every_indicator_cites_article_9_and_an_existing_article(catalogue):
    existing = catalogue.regulation.existing()
    for ind in catalogue.indicators.values():
        assert MONITORING_ARTICLE in ind.articles, ind.code
        assert set(ind.articles) <= existing, f"{ind.code} cites {set(ind.articles) - existing}"
        assert any(a != MONITORING_ARTICLE for a in ind.articles), f"{ind.code} cites only Art. 9"
        assert catalogue.regulation.articles[ind.articles[0]].status != MISSING


def test_every_unit_converts_within_its_dimension_by_its_factor_over_the_catalogue_units(catalogue):
    assert catalogue.conversion("人", "CX-02") == (1, 1e4)
    assert catalogue.conversion("万元", "DP-01") == (1e4, 1e8)
    assert catalogue.conversion("万个", "DI-01") == (1e4, 1)
    assert catalogue.conversion("户", "DI-04") == (1, 1e4)
    assert catalogue.conversion("架", "DI-05") == (1, 1e4)
    assert catalogue.conversion("EFLOPS", "DI-06") == (1000, 1)
    assert catalogue.conversion("万件", "ID-17") == (1e4, 1e8)
    assert catalogue.conversion(" 亿 元", "ID-10") == (1e8, 1e8)
    assert catalogue.conversion("个", "DP-01") is None  # incompatible
    assert catalogue.conversion("斤", "DP-01") is None  # unknown


@pytest.mark.parametrize("value,unit,code,converted", [(24049155, "人", "CX-02", 2404.9155),
                                                       (12345, "万元", "DP-01", 1.2345),
                                                       (487619, "万元", "DP-01", 48.7619)])
def test_a_conversion_multiplies_then_divides_so_decimal_values_stay_exact(catalogue, value, unit, code, converted):
    multiplier, divisor = catalogue.conversion(unit, code)
    # the ETL's arithmetic (etl.normalize); × 0.0001 would give 1.2345000000000002 and 48.761900000000004
    assert value * multiplier / divisor == converted


def test_official_targets_cite_their_source_and_others_are_illustrative(catalogue):
    assert catalogue.targets
    for t in catalogue.targets:
        if t.provenance == "official":
            assert t.source_id.startswith("S") and t.source_url.startswith("http") and t.verification in ("R", "R*")
        else:
            assert t.provenance == "illustrative" and "示例" in t.note_zh and "llustrative" in t.note_en
    dp02 = [t for t in catalogue.targets_for("DP-02", "150000") if t.kind == "target"]
    assert [(t.year, t.value, t.comparison, t.verification) for t in dp02] == [(2025, 2.5, ">=", "R*")]
    di06 = catalogue.targets_for("DI-06", "150000")[0]
    assert (di06.year, di06.value, di06.provenance) == (2025, 200000, "official")


def test_derived_order_puts_inputs_first(catalogue):
    order = [i.code for i in catalogue.derived_order()]
    assert set(order) == {i.code for i in catalogue.indicators.values() if i.is_derived}
    assert catalogue.indicator("DI-02").inputs == ["DI-01", "CX-02"]
