"""A league's evaluation (Art. 71): its index and progress against the other leagues, and each county's progress,
reporting timeliness and data-quality record — as counts that add up, as a PDF read back (in Chinese, and in English
on the English page: tests/test_report_english.py reads the English edition closely), and as a page only the users
who may supervise that league can open."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import test_calendar_page
from helpers import SUBMISSIONS, load, make_warehouse, run_dem, settings_for

from indicators.base.catalogue import default_catalogue
from indicators.engine import obligations, supervision
from indicators.storage import warehouse

BAOTOU, DONGHE = "150200", "150202"  # 包头市 and 东河区, one of its counties
client = test_calendar_page.client  # the signed-in app on the demo warehouse (a fixture)
user = test_calendar_page.user


def _file(tmp_path: Path, name: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("indicator_code,region_code,period,value,unit\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def supervised(tmp_path_factory) -> Path:
    """The base fixture, then Donghe's own 2024 file, its revision, and a file of Donghe's that is rejected."""
    tmp_path = tmp_path_factory.mktemp("supervised")
    db = make_warehouse(tmp_path, files=[SUBMISSIONS / "base" / "base.csv",
                                         _file(tmp_path, "donghe.csv", [f"DI-01,{DONGHE},2024Q4,100,个"])])
    load(db, [_file(tmp_path, "donghe-revised.csv", [f"DI-01,{DONGHE},2024Q4,120,个"]),
              _file(tmp_path, "donghe-bad.csv", [f"DI-01,{DONGHE},2024Q4,abc,个"])])
    return db


def _record(db: Path, year: int = 2024):
    settings = settings_for(db)
    with warehouse.reader(warehouse.public_path(db)) as public, warehouse.reader(db) as working:
        return supervision.record(public, working, default_catalogue(), settings, BAOTOU, year).set_index(
            "region_code")


def test_a_countys_record_counts_its_files_revisions_and_its_own_rejected_file(supervised):
    row = _record(supervised).loc[DONGHE]
    assert (row["files"], row["revised"], row["files_rejected"]) == (2, 1, 1)
    other = _record(supervised).loc["150203"]  # 昆都仑区 sent nothing for 2024
    assert (other["files"], other["revised"], other["files_rejected"]) == (0, 0, 0)


def test_the_reporting_counts_are_the_calendars_states_of_the_years_periods_and_add_up(supervised):
    record = _record(supervised)
    states = ["on_time", "late", "rejected", "missing", "due"]
    assert (record[states].sum(axis=1) == record["owed"]).all()
    settings = settings_for(supervised)
    cat = default_catalogue()
    keys = supervision.year_keys(cat, "county", 2024, settings)
    assert set(keys["period"].str[:4]) == {"2024"} and len(keys)
    with warehouse.reader(supervised) as con:
        owed = obligations.obligations(con, cat, settings, keys=keys)
    donghe = owed[owed["region_code"] == DONGHE]["status"].value_counts()
    assert record.loc[DONGHE, "owed"] == donghe.sum()
    assert record.loc[DONGHE, "on_time"] + record.loc[DONGHE, "late"] == donghe.get("received", 0) + donghe.get(
        "late", 0) >= 1  # Donghe's DI-01 2024Q4 arrived


def test_the_evaluation_pdf_reads_back_with_the_article_the_index_and_every_county(tmp_path, supervised):
    out = tmp_path / "e.pdf"
    result = run_dem("report", "evaluation", "--year", "2024", "--region", "包头", "--out", str(out), db=supervised)
    assert result.returncode == 0, result.stderr
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "包头市数字经济发展评估报告" in text and "第七十一条" in text and "旗级以上人民政府" in text
    for heading in ("一、发展水平：综合指数", "二、规划目标进展", "三、对旗县（市、区）的监督", "报送及时性",
                    "数据质量记录"):
        assert heading in text
    for county in default_catalogue().regions.counties(BAOTOU):
        assert county.name_zh in text


@pytest.mark.parametrize(("region", "message"), [("150202", "不是盟市"), ("", "--region"), ("150000", "不是盟市")])
def test_the_evaluation_is_a_leagues_and_refuses_a_county_or_the_region(tmp_path, supervised, region, message):
    result = run_dem("report", "evaluation", "--year", "2024", "--region", region, db=supervised)
    assert result.returncode != 0 and message in result.stderr + result.stdout


# ── the page and its PDF (Flask test client, real demo warehouse; `client` as the calendar page's tests) ──────

def _page(client, search: str = "") -> str:
    import json

    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/evaluation"},
                       {"id": "_pages_location", "property": "search", "value": search}],
            "state": [], "changedPropIds": []}
    cookie = client.get_cookie("_csrf_token")
    response = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": cookie.value} if cookie else {})
    assert response.status_code == 200
    return json.dumps(response.json, ensure_ascii=False)


def test_an_anonymous_visitor_is_sent_to_the_login_page_and_gets_no_pdf(client, monkeypatch):
    from dashboard.auth import access

    monkeypatch.setattr(access, "current_user", lambda: None)
    assert "/login?next=%2Fevaluation" in _page(client)
    answer = client.get("/_dem/evaluation/152900/2024.pdf")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_a_leagues_officer_evaluates_their_league_only(client, monkeypatch):
    from dashboard.auth import access

    monkeypatch.setattr(access, "current_user", lambda: user("officer", "152900"))
    text = _page(client)
    assert "阿拉善盟" in text and "阿拉善左旗" in text and "报送及时性" in text and "评估与监督" in text
    assert '"value": "150100"' not in text  # Hohhot is not offered
    answer = client.get("/_dem/evaluation/152900/2024.pdf")
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF") and answer.mimetype == "application/pdf"
    assert "no-store" in answer.headers["Cache-Control"]
    assert client.get("/_dem/evaluation/150100/2024.pdf").status_code == 403


def test_a_county_officer_has_no_league_to_evaluate(client, monkeypatch):
    from dashboard.auth import access

    monkeypatch.setattr(access, "current_user", lambda: user("officer", "152921"))
    assert "您的账户没有盟市范围" in _page(client)
    assert client.get("/_dem/evaluation/152900/2024.pdf").status_code == 403


@pytest.mark.parametrize("path", ["/_dem/evaluation/152921/2024.pdf", "/_dem/evaluation/152900/1999.pdf",
                                  "/_dem/evaluation/nope/2024.pdf"])
def test_a_pdf_of_no_league_or_no_year_is_not_found(client, monkeypatch, path):
    from dashboard.auth import access

    monkeypatch.setattr(access, "current_user", lambda: user("analyst"))
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(("lang", "href", "name"), [
    ("zh", "/_dem/evaluation/150400/2023.pdf\"", "评估报告_150400_2023.pdf"),
    ("en", "/_dem/evaluation/150400/2023.pdf?lang=en\"", "evaluation_report_150400_2023.pdf")])
def test_the_pages_download_link_is_the_edition_of_its_language(client, monkeypatch, lang, href, name):
    from dashboard.auth import access

    monkeypatch.setattr(access, "current_user", lambda: user("analyst"))
    text = _page(client, f"?league=150400&year=2023&lang={lang}")
    assert f'"href": "{href}' in text and f'"download": "{name}"' in text


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "answer.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_english_pdf_is_served_to_the_same_users_in_english_under_its_english_name(client, monkeypatch, tmp_path):
    from dashboard.auth import access

    monkeypatch.setattr(access, "current_user", lambda: user("officer", "152900"))
    answer = client.get("/_dem/evaluation/152900/2024.pdf?lang=en")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert "filename*=UTF-8''evaluation_report_152900_2024.pdf" in answer.headers["Content-Disposition"]
    text = _pdf_text(answer.data, tmp_path)
    assert "Alxa League: Digital Economy Evaluation Report" in text and "3 Supervision of the counties" in text
    assert "Alxa Left Banner" in text and "数字经济发展评估报告" not in text
    chinese = client.get("/_dem/evaluation/152900/2024.pdf")
    assert "filename*=UTF-8''%E8%AF%84%E4%BC%B0%E6%8A%A5%E5%91%8A_152900_2024.pdf" in chinese.headers[
        "Content-Disposition"]  # 评估报告_152900_2024.pdf
    assert "阿拉善盟数字经济发展评估报告" in _pdf_text(chinese.data, tmp_path)
    assert client.get("/_dem/evaluation/150100/2024.pdf?lang=en").status_code == 403


@pytest.mark.parametrize("query", ["?lang=fr", "?lang=", "?lang=EN"])
def test_a_pdf_in_no_known_language_is_not_found(client, monkeypatch, query):
    from dashboard.auth import access

    monkeypatch.setattr(access, "current_user", lambda: user("analyst"))
    assert client.get(f"/_dem/evaluation/152900/2024.pdf{query}").status_code == 404


def test_the_bureau_evaluates_any_league_in_english_too(client, monkeypatch):
    from dashboard.auth import access

    monkeypatch.setattr(access, "current_user", lambda: user("analyst"))
    text = _page(client, "?league=150400&year=2023&lang=en")
    assert "Supervision of the counties" in text and "Hexigten Banner" in text and "In 2023 Chifeng scores" in text
