"""The regulation is parsed as supplied: every article 1–77 is present, partial or flagged missing."""

from __future__ import annotations

import re

import pytest

from indicators.base.regulation import MISSING, PARTIAL, PRESENT, chinese_number, chinese_numeral
from indicators.base.settings import config_dir


@pytest.mark.parametrize("text,number", [("九", 9), ("十", 10), ("十二", 12), ("二十四", 24), ("七十七", 77),
                                          ("一百零三", 103)])
def test_chinese_numerals_round_trip(text, number):
    assert chinese_number(text) == number
    assert chinese_numeral(number) == text


def test_every_article_from_1_to_77_is_present_or_flagged(catalogue):
    articles = catalogue.regulation.articles
    assert sorted(articles) == list(range(1, 78))
    for number, article in articles.items():
        assert article.status in (PRESENT, PARTIAL, MISSING)
        if article.status == MISSING:
            assert article.text == "" and article.note_zh == "原文缺失"
        else:
            assert article.text, f"article {number} has no text but is not flagged missing"


def test_gap_from_article_12_to_24_is_explicit(catalogue):
    articles = catalogue.regulation.articles
    assert articles[12].status == PARTIAL and articles[12].text.endswith("旗级以上人民政府及有关部门应")
    assert [n for n, a in articles.items() if a.status == MISSING] == list(range(13, 24))
    assert articles[24].status == PARTIAL and articles[24].text.startswith("务、产品开发、数据加工等活动")
    assert all(articles[n].chapter is None for n in range(13, 24)), "the chapter of lost articles is unknown"


def test_chapter_3_is_labelled_by_content_with_heading_missing_flag(catalogue):
    chapters = catalogue.regulation.chapters
    assert sorted(chapters) == list(range(1, 10))
    ch3 = chapters[3]
    assert ch3.heading_missing and ch3.title_zh is None
    assert "标题缺失" in ch3.label_zh and "heading missing" in ch3.label_en
    assert ch3.articles == [24, 25, 26, 27]
    assert chapters[2].title_zh == "数字基础设施建设" and chapters[2].articles == [11, 12]
    assert chapters[4].label_zh == "第四章 数字产业化" and chapters[4].articles[0] == 28
    assert not any(c.heading_missing for n, c in chapters.items() if n != 3)


def test_article_text_is_kept_as_supplied(catalogue):
    source = (config_dir() / "regulation_seed.txt").read_text(encoding="utf-8")
    flat = re.sub(r"\s+", "", source)
    for article in catalogue.regulation.articles.values():
        for paragraph in article.paragraphs:
            assert re.sub(r"\s+", "", paragraph) in flat, f"article {article.number} text not found verbatim"
    assert catalogue.regulation.article(54).text.count("etc") == 1  # a flaw of the source, kept as supplied


def test_article_9_is_the_monitoring_mandate(catalogue):
    art9 = catalogue.regulation.article(9)
    assert art9.chapter == 1 and "建立健全数字经济统计和监测体系" in art9.text


@pytest.mark.parametrize(("article", "features"), [(70, ["progress", "bulletin"]), (71, ["index", "supervision"]),
                                                   (9, ["bulletin"])])
def test_the_monitoring_duties_of_articles_70_and_71_map_to_what_the_system_does(catalogue, article, features):
    assert [f.id for f in catalogue.regulation.features_for(article)] == features


def test_dem_catalogue_article_71_lists_the_evaluation_and_supervision_features():
    from click.testing import CliRunner

    from indicators.cli import dem

    result = CliRunner().invoke(dem, ["catalogue", "article", "71"])

    assert result.exit_code == 0
    assert "本系统落实本条的功能 | what this system does for this article: 2" in result.output
    assert "Composite index and ranking of the leagues (evaluation of one's own level)" in result.output
    assert "Supervision of the level below" in result.output
