"""What the bulletin says, without a browser: periods, line breaking, provenance labels, the quality annex on a
warehouse with a revision, and the errors people get when the font or the browser is missing. (How numbers are
formatted, in the bulletin as everywhere: tests/test_display_consistency.py.)
"""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
from helpers import revised_warehouse

from dashboard.report import document, methods, quality, renderer
from dashboard.report.build import read_reports, resolve_settings
from dashboard.report.content import ReportSpec, period_zh
from dashboard.report.wrap import wrap
from indicators.base.catalogue import default_catalogue
from indicators.base.settings import Quality
from indicators.engine import methods as method


@pytest.mark.parametrize("spec,frequency,period", [
    (ReportSpec(2024), "annual", "2024"), (ReportSpec(2024), "quarterly", "2024"),
    (ReportSpec(2024, 3), "quarterly", "2024Q3"), (ReportSpec(2024, 3), "monthly", "2024M09"),
    (ReportSpec(2024, 3), "annual", "2023"), (ReportSpec(2024, 1), "monthly", "2024M03"),
])
def test_each_frequency_is_shown_at_the_reports_period(spec, frequency, period):
    assert spec.native_period(frequency) == period


@pytest.mark.parametrize("period,measure,label", [
    ("2024", "stock", "2024年"), ("2024Q3", "stock", "2024年第三季度"), ("2024M09", "stock", "2024年9月"),
    ("2024M09", "ytd", "2024年1–9月"),
])
def test_periods_read_as_chinese_labels(period, measure, label):
    assert period_zh(period, measure) == label


@pytest.mark.parametrize("text,width,lines", [
    ("依据第九条，定期公布", 4, ["依据第九", "条，定期", "公布"]),  # no line starts with "，"
    ("数值（累计），年度", 6, ["数值（累", "计），年度"]),  # closing marks go down together with a character
    ("指标（DI-01）说明", 8, ["指标", "（DI-01）说", "明"]),  # an opening mark never ends a line
    ("DI-01 5G基站数", 7, ["DI-01", "5G基站数"]),  # Latin runs stay whole; no leading space
    ("https://example.org/a/b", 8, ["https://", "example.", "org/a/b"]),  # a run wider than the line is cut
    ("a\nb", 5, ["a", "b"]),
])
def test_lines_break_by_the_chinese_punctuation_rules(text, width, lines):
    assert wrap(text, width, len) == lines


def test_targets_are_labelled_by_provenance(catalogue):
    labels = {(t.indicator_code, t.region_code, t.kind): methods.provenance_label(t) for t in catalogue.targets}
    assert labels[("DI-06", "150000", "target")] == "官方目标"
    assert labels[("DP-02", "150000", "target")] == "官方目标（仅经二手文献转述，发布前须核对原文）"
    assert labels[("DI-02", "150100", "target")] == "示例目标（非官方）"
    assert labels[("DI-02", "150000", "benchmark")] == "基准（仅作参照，不判定进度）"
    assert labels[("DI-09", "150000", "benchmark")] == "基准（仅作参照，不判定进度）"  # a rule for new data centres


def test_the_methods_annex_states_the_parameters_actually_used():
    settings = resolve_settings(None)
    text = "".join(method.progress_method(settings) + method.index_method(settings, default_catalogue()))
    assert f"{settings.progress.on_track:g}" in text and f"{settings.index.base_year}年" in text


@pytest.fixture(scope="module")
def revised(tmp_path_factory):
    """The good fixture, then Hohhot's GDP revised (a second vintage) — a warehouse with one revision."""
    return revised_warehouse(tmp_path_factory.mktemp("revised"))


def test_quality_annex_lists_the_revision_since_the_last_report_and_the_missing_leagues(revised):
    cat = default_catalogue()
    (report,) = read_reports(resolve_settings(revised), cat, [ReportSpec(2023, since=date(2020, 1, 1))])
    q = report.quality
    assert [(r.indicator_code, r.region_code, r.period, r.old_value, r.new_value) for r in q.revisions.itertuples()] \
        == [("CX-01", "150100", "2023", 3801.2, 3850.0)]
    assert not report.synthetic  # nothing synthetic in these files: no mark anywhere
    missing = q.submissions.set_index("region_code")["missing"]
    assert missing["152900"] == q.submissions["expected"].iloc[0]  # 阿拉善盟 submitted nothing
    (later,) = read_reports(resolve_settings(revised), cat, [ReportSpec(2023, since=date(2100, 1, 1))])
    assert later.quality.revisions.empty


def test_chapter_sections_follow_the_regulation_and_never_invent_chapter_3s_title(revised):
    cat = default_catalogue()
    (report,) = read_reports(resolve_settings(revised), cat, [ReportSpec(2023, region="150100")])
    headings = {c.number: c.heading for c in report.chapters}
    assert headings == {n: c.label_zh for n, c in cat.regulation.chapters.items()}
    assert headings[2] == "第二章 数字基础设施建设" and "原文本章标题缺失" in headings[3]
    assert report.is_league and report.title == "呼和浩特市数字经济监测分析报告"


def test_previous_report_is_assumed_at_the_previous_periods_deadline():
    assert quality.previous_deadline(2024, None, Quality()) == date(2024, 3, 30)  # 2023 + 90 days
    assert quality.previous_deadline(2024, 1, Quality()) == date(2024, 2, 14)  # 2023Q4 + 45 days


def test_a_missing_cjk_font_names_the_package_to_install(monkeypatch):
    document.cjk_font.cache_clear()
    monkeypatch.setattr(document.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(
        a, 0, stdout="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf\t0\tDejaVu Sans", stderr=""))
    try:
        with pytest.raises(document.FontMissing, match="sudo apt-get install -y fonts-noto-cjk"):
            document.cjk_font("Regular")
    finally:
        document.cjk_font.cache_clear()


def test_a_missing_browser_names_the_package_to_install(monkeypatch):
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setattr(renderer.shutil, "which", lambda name: None)
    with pytest.raises(renderer.RendererError, match="sudo apt-get install -y chromium"):
        renderer.browser_path()
