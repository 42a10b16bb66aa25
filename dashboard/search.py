"""Finding an indicator or a place by what a person types: its code, its Chinese or English name, its pinyin or
pinyin initials (数字经济核心产业增加值 ← "szjj", 阿拉善左旗 ← "alszq" or "alashan"), or a place's alias (锡盟).

The dropdowns index each option's label and its `search` text (Dash's Dropdown searches both, every word of the
query as a substring), so the pickers on the indicator and map pages need no request to the server while typing.
The header's search box, on every page, would carry all ~210 options with their pinyin (54 kB, half a page's
layout): it starts with the leagues and asks the server for the matches of what is typed instead (`site_matches`,
the same rule). Places open their league's page (a county: its league's page, which lists its counties); the region
opens the overview."""

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


_BUILT: dict[str, tuple[object, list[dict]]] = {}  # lang → (the catalogue they were built from, the options)


def site_options(lang: str) -> list[dict]:
    """The header's search: every indicator (its page) and every place (its league's page), values as paths (the
    navigation adds the language). Labels say what kind of thing each is: 'DI-01 数字经济核心产业增加值 · 指标',
    '阿拉善左旗 · 阿拉善盟'. Built once per language and catalogue (the pinyin of 210 names is not free)."""
    cat = data.catalogue()
    built = _BUILT.get(lang)
    if built is not None and built[0] is cat:
        return built[1]
    out = [{"label": f"{i.code} {i.name(lang)} · {t('indicator', lang)}", "value": f"/indicator/{i.code}",
            "search": search_text(i.code, i.name_zh, i.name_en)} for i in cat.indicators.values()]
    out += [place_option(region, lang) for region in cat.regions.by_code.values()]
    _BUILT[lang] = (cat, out)
    return out


def place_option(region: Region, lang: str) -> dict:
    """'阿拉善左旗 · 阿拉善盟' → its league's page, found by code, names, aliases, pinyin and initials."""
    regions = data.catalogue().regions
    parent = regions.by_code.get(region.parent_code) if region.level == "county" else None
    return {"label": region.name(lang) + (f" · {parent.name(lang)}" if parent else ""), "value": place_target(region),
            "search": search_text(region.code, region.name_zh, region.name_en, *region.aliases)}


MAX_MATCHES = 30  # shown for what is typed; a longer list is not read, the next letter narrows it


def matches(option: dict, typed: str) -> bool:
    """Dash's own rule: every word typed is a substring of the label or the search text, case-insensitively."""
    haystack = (option["label"] + " " + option.get("search", "")).casefold()
    return all(word in haystack for word in typed.casefold().split())


def site_matches(lang: str, typed: str) -> list[dict]:
    """The header's options for what is typed: the matches of site_options (at most MAX_MATCHES, in its order), or
    with nothing typed the region and the 12 leagues (the places most looked for)."""
    if not typed.strip():
        regions = data.catalogue().regions
        return [place_option(r, lang) for r in (regions.root, *regions.leagues())]
    return [o for o in site_options(lang) if matches(o, typed)][:MAX_MATCHES]

