"""What a person types finds the indicator or place they mean: code, Chinese or English name, pinyin, initials."""

from __future__ import annotations

import pytest

from dashboard import search
from indicators.base.catalogue import default_catalogue
from indicators.base.regions import Region


def test_pinyin_keys_give_initials_and_the_whole_pinyin_in_lower_case():
    assert search.pinyin_keys("数字经济") == "szjj shuzijingji"
    assert search.pinyin_keys("5G基站") == "5gjz 5gjizhan"


@pytest.mark.parametrize(("typed", "code"), [("5gjzs", "DI-01"), ("jizhan", "DI-01"), ("DI-02", "DI-02"), ("基站", "DI-01"), ("xzc 5g", "DI-03")])
def test_every_word_typed_is_found_in_an_indicators_label_or_search_text(typed, code):
    """Dash's dropdown keeps an option when each typed word is a substring of its label or search text."""
    cat = default_catalogue()
    options = {o["value"]: o for o in _indicator_options(cat)}
    found = [v for v, o in options.items() if all(w.lower() in (o["label"] + " " + o["search"]).lower()
                                                  for w in typed.split())]
    assert code in found


def _indicator_options(cat):
    return [{"label": f"{i.code} {i.name_zh}", "value": i.code, "search": search.search_text(i.code, i.name_zh, i.name_en)}
            for i in cat.indicators.values()]


def test_a_place_opens_its_leagues_page_and_the_region_the_overview():
    cat = default_catalogue()
    assert search.place_target(cat.regions.root) == "/"
    assert search.place_target(cat.regions.by_code["152900"]) == "/league/152900"
    assert search.place_target(cat.regions.by_code["152921"]) == "/league/152900"
    county = cat.regions.by_code["152921"]
    assert isinstance(county, Region) and "alszq" in search.search_text(county.name_zh)
