"""Finding an indicator or a place by what a person types: its code, its Chinese or English name, its pinyin or
pinyin initials (数字经济核心产业增加值 ← "szjj", 阿拉善左旗 ← "alszq" or "alashan"), or a place's alias (锡盟).

The dropdowns index each option's label and its `search` text (Dash's Dropdown searches both, every word of the
query as a substring), so the picker on the indicator and map pages and the header's search box need no request
to the server while typing. Places open their league's page (a county: its league's page, which lists its
counties); the region opens the overview."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from dashboard import data
from dashboard.i18n import t
from indicators.base.regions import Region


@lru_cache(maxsize=4096)
def pinyin_keys(text: str) -> str:
    """'数字经济' → 'szjj shuzijingji': the initials and the whole pinyin, each as one word (toneless; characters
    other than Chinese pass through, lower-cased)."""
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")).lower()
    whole = "".join(lazy_pinyin(text, errors="default")).lower()
    return f"{initials} {whole}"


def search_text(*names: str) -> str:
    """The words an option is found by: the names themselves, their pinyin and initials."""
    names = tuple(n for n in names if n)
    return " ".join([*names, *(pinyin_keys(n) for n in names)])


def indicator_options(lang: str, indicators=None, paths: bool = False) -> list[dict]:
    """'DI-01 数字经济核心产业增加值' for each indicator, found by code, either name, pinyin or initials; the value is
    the code, or with `paths` the indicator's page ('/indicator/DI-01': a picker that opens it)."""
    cat = data.catalogue()
    return [{"label": f"{i.code} {i.name(lang)}", "value": f"/indicator/{i.code}" if paths else i.code,
             "search": search_text(i.code, i.name_zh, i.name_en)} for i in (indicators or cat.indicators.values())]


def place_target(region: Region) -> str:
    """The page a place opens: the overview for the region, the league's page for a league or one of its counties."""
    if region.level == "region":
        return "/"
    return f"/league/{region.code if region.level == 'league' else region.parent_code}"


def site_options(lang: str) -> list[dict]:
    """The header's search: every indicator (its page) and every place (its league's page), values as paths (the
    navigation adds the language). Labels say what kind of thing each is: 'DI-01 数字经济核心产业增加值 · 指标',
    '阿拉善左旗 · 阿拉善盟'."""
    cat = data.catalogue()
    out = [{"label": f"{i.code} {i.name(lang)} · {t('indicator', lang)}", "value": f"/indicator/{i.code}",
            "search": search_text(i.code, i.name_zh, i.name_en)} for i in cat.indicators.values()]
    for region in cat.regions.by_code.values():
        parent = cat.regions.by_code.get(region.parent_code) if region.level == "county" else None
        label = region.name(lang) + (f" · {parent.name(lang)}" if parent else "")
        out.append({"label": label, "value": place_target(region),
                    "search": search_text(region.code, region.name_zh, region.name_en, *region.aliases)})
    return out
