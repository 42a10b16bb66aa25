"""What a browser may send: the shape of a callback request, and each callback's values.

The pages only ever send values their controls can produce — a year with data, a catalogue code, one of the
page's tabs. Anything else was built by hand (year 'abc', an unknown region, a list where a string belongs,
a 100 000-character string) and raises InvalidInput before it reaches a query or a cache key; the app answers
400 (a malformed request) or 204 (a well-formed request with an impossible value) with one log line.

    year(2023) → 2023            year("2023"), year(1e308), year(1990) → InvalidInput
    leagues(["150100"]) → ("150100",)
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable

from dashboard import data

MAX_CHARS = 2_000  # any string in a callback request (a URL path or query, a search box)
MAX_ITEMS = 500  # any list or object in a callback request
MAX_DEPTH = 8
MAX_SEARCH = 200  # the catalogue's search box
MAX_TYPED = 64  # the header's search box: longer than any name with its pinyin
PERIOD = re.compile(r"\d{4}(Q[1-4]|M(0[1-9]|1[0-2]))?")
WEIGHT_STEPS = 2  # the index sliders move in steps of 1/2 from 0 to 3


class InvalidInput(ValueError):
    """A value no control of the page can produce. The message shows a shortened value, never all of it."""

    def __init__(self, what: str, value: object, expected: str):
        self.what, self.expected = what, expected
        super().__init__(f"{what}={shorten(value)}: expected {expected}")


def shorten(value: object, limit: int = 60) -> str:
    """A value for a log line: 'abc', or the first characters of something long with its length."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…({len(text)} chars)"


# ── the request as a whole (before Dash dispatches it) ────────────────────────────────────────────────

_guards: dict[str, Callable[[list], None]] = {}


def guard(output: str, check: Callable[[list], None]) -> None:
    """Check a callback's values before Dash dispatches it, for callbacks whose body is not ours (Dash's page
    router) or that start a process (the PDF job). `check` gets the values of inputs and state in order."""
    _guards[output] = check


def check_request(body: object, callbacks: dict, poll: bool = False) -> None:
    """Refuse a callback request no page of this app sends: an unknown or client-side callback, arguments
    that are not the callback's, oversized values. `callbacks` is the app's callback_map. A background job's
    poll (`poll`: the URL carries its signed cacheKey) sends null values, which the guards do not check."""
    if not isinstance(body, dict):
        raise InvalidInput("body", body, "a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or "callback" not in callbacks.get(output, {}):
        raise InvalidInput("output", output, "a server-side callback of this app")
    spec = callbacks[output]
    _bounded(body, "body", 0)
    args = {name: _arguments(body.get(name, []), spec[name], name) for name in ("inputs", "state")}
    _outputs(body.get("outputs"), output)
    _changed(body.get("changedPropIds", []), args["inputs"])
    if output in _guards and not poll:
        _guards[output]([item.get("value") if isinstance(item, dict) else [i.get("value") for i in item]
                         for item in args["inputs"] + args["state"]])


def _bounded(value: object, where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidInput(where, "…", f"at most {MAX_DEPTH} levels of nesting")
    if isinstance(value, str) and len(value) > MAX_CHARS:
        raise InvalidInput(where, value, f"at most {MAX_CHARS} characters")
    if isinstance(value, list | dict):
        if len(value) > MAX_ITEMS:
            raise InvalidInput(where, value, f"at most {MAX_ITEMS} items")
        for item in value.values() if isinstance(value, dict) else value:
            _bounded(item, where, depth + 1)


def canonical_id(component_id: object) -> str:
    """A component id as a string: dict ids (pattern-matching) as JSON with sorted keys."""
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return str(component_id)


def _arguments(items: object, expected: list[dict], name: str) -> list:
    """Each argument names the component and property the callback was registered with; a pattern-matching
    (ALL) argument is a list of components of the pattern's type, a dict id without a wildcard one component."""
    if not isinstance(items, list) or len(items) != len(expected):
        raise InvalidInput(name, items, f"{len(expected)} arguments")
    for item, want in zip(items, expected, strict=True):
        if want["id"].startswith("{"):
            pattern = json.loads(want["id"])
            if any(isinstance(v, list) for v in pattern.values()):  # ALL: ["ALL"]
                members = item if isinstance(item, list) else [None]
            else:  # {"type": "go", "key": "site"}: exactly that component
                members = [item if isinstance(item, dict) else None]
            for member in members:
                if not (isinstance(member, dict) and isinstance(member.get("id"), dict)
                        and member["id"].keys() == pattern.keys() and member.get("property") == want["property"]
                        and all(member["id"][k] == v for k, v in pattern.items() if not isinstance(v, list))):
                    raise InvalidInput(name, member, f"a component {want['id']}.{want['property']}")
        elif not (isinstance(item, dict) and item.get("id") == want["id"] and item.get("property") == want["property"]):
            raise InvalidInput(name, item, f"{want['id']}.{want['property']}")
    return items


def _outputs(outputs: object, key: str) -> None:
    """The outputs the request names are the callback's ('..a.b...c.d..' for several, 'a.b@hash' for one that
    allows duplicates)."""
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    expected = [tuple(part.split("@")[0].rsplit(".", 1)) for part in parts]
    given = outputs if isinstance(outputs, list) else [outputs]
    if not all(isinstance(o, dict) and isinstance(o.get("property"), str) for o in given) or [
            (canonical_id(o.get("id")), o["property"].split("@")[0]) for o in given] != expected:
        raise InvalidInput("outputs", outputs, key)


def _changed(changed: object, inputs: list) -> None:
    """changedPropIds name inputs of this request ('q-year__map.value')."""
    if not isinstance(changed, list):
        raise InvalidInput("changedPropIds", changed, "a list")
    names = {f"{canonical_id(i['id'])}.{i['property']}" for item in inputs
             for i in (item if isinstance(item, list) else [item])}
    for prop_id in changed:
        text = prop_id if isinstance(prop_id, str) else ""
        component, _, prop = text.rpartition(".")
        if component.startswith("{"):
            try:
                component = canonical_id(json.loads(component))
            except ValueError:
                component = ""
        if f"{component}.{prop}" not in names:
            raise InvalidInput("changedPropIds", prop_id, "inputs of this callback")


# ── values, one validator per kind ────────────────────────────────────────────────────────────────────

def integer(value: object, what: str) -> int:
    """An int as JSON sends it (not a bool, not a float like 1e308, not a string)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(what, value, "an integer")
    return value


def year(value: object) -> int:
    """A year the warehouse has data for (the year dropdowns and sliders offer no other)."""
    years = data.data_years()
    if isinstance(value, bool) or value not in years or not isinstance(value, int):
        shown = f"{years[0]}–{years[-1]}" if years else "none"
        raise InvalidInput("year", value, f"a year with data ({shown})")
    return value


def lang(value: object) -> str:
    """The page language: 'en', else Chinese (a wrong value is harmless: it only picks the labels)."""
    return "en" if value == "en" else "zh"


def code(value: object, known, what: str) -> str:
    """A code of a bounded set (indicators, regions): a string that is one of `known`."""
    if not isinstance(value, str) or value not in known:
        raise InvalidInput(what, value, f"a known {what} code")
    return value


def indicator(value: object, level: str | None = None) -> str:
    """An indicator code of the catalogue, reported at `level` when given."""
    found = code(value, data.catalogue().indicators, "indicator")
    if level is not None and level not in data.catalogue().indicator(found).levels:
        raise InvalidInput("indicator", value, f"an indicator reported at {level} level")
    return found


def region(value: object) -> str:
    return code(value, data.catalogue().regions.by_code, "region")


def league(value: object) -> str:
    return code(value, {r.code for r in data.catalogue().regions.leagues()}, "league")


def report_region(value: object) -> str:
    """What a bulletin is written for: the region or one of its leagues."""
    regions = data.catalogue().regions
    return code(value, {regions.root.code} | {r.code for r in regions.leagues()}, "report region")


def leagues(value: object) -> tuple[str, ...]:
    """The leagues chosen in a multi-select: None or a list of league codes, each once, in the order chosen."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidInput("leagues", value, "a list of league codes")
    return tuple(dict.fromkeys(league(v) for v in value))


def chapter(value: object) -> int:
    chapters = data.catalogue().regulation.chapters
    if isinstance(value, bool) or not isinstance(value, int) or value not in chapters:
        raise InvalidInput("chapter", value, "a chapter of the regulation")
    return value


def period(value: object) -> str:
    """A canonical period: 2023, 2023Q1, 2023M03."""
    if not isinstance(value, str) or not PERIOD.fullmatch(value):
        raise InvalidInput("period", value, "a period like 2023, 2023Q1 or 2023M03")
    return value


def choice(value: object, allowed, what: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(what, value, "one of " + ", ".join(allowed))
    return value


def text(value: object, limit: int = MAX_SEARCH) -> str:
    """Typed text (the catalogue search): None or a string of at most `limit` characters."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput("text", value, f"a text of at most {limit} characters")
    return value


def clicks(value: object) -> int:
    """A button's n_clicks: None (never clicked) or a count."""
    return 0 if value is None else integer(value, "n_clicks")


def explain_key(value: object) -> tuple[str, str, str]:
    """The key of an ⓘ button: 'DI-01|150000|2023' → (indicator, region, period)."""
    parts = value.split("|") if isinstance(value, str) else []
    if len(parts) != 3:
        raise InvalidInput("explain key", value, "indicator|region|period")
    return indicator(parts[0]), region(parts[1]), period(parts[2])


TICK_COLUMN = "ag-Grid-SelectionColumn"  # AG Grid's column of the tick boxes of a grid whose rows can be ticked


def cell(value: object) -> str | None:
    """A grid's cellClicked: None or an object; returns the clicked row's id, which the grid keeps as text
    ({"rowId": "12", "colId": "file_name", …} → "12"); None when there is none, and for a click on a row's tick
    box (it ticks the row, it opens nothing)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput("cellClicked", value, "an object")
    row_id = value.get("rowId")
    if row_id is not None and not isinstance(row_id, str):
        raise InvalidInput("cellClicked", value, "a row id as text")
    return None if value.get("colId") == TICK_COLUMN else row_id


def row_number(row_id: str, what: str) -> int:
    """A numeric row id as the grid reports it (text): "12" → 12; "1e3", "-1", "12; DROP" → InvalidInput."""
    if not (row_id.isascii() and row_id.isdigit() and len(row_id) <= 10):
        raise InvalidInput(what, row_id, "a number")
    return int(row_id)


def batch(value: object) -> int:
    """A batch id from the quality page's batch table."""
    number = integer(value, "batch")
    if not 0 < number < 2**31:
        raise InvalidInput("batch", value, "a batch number")
    return number


def point(value: object) -> dict | None:
    """The first point of a graph's clickData, or None when nothing was clicked."""
    if value is None:
        return None
    points = value.get("points") if isinstance(value, dict) else None
    if not isinstance(points, list) or not all(isinstance(p, dict) for p in points):
        raise InvalidInput("clickData", value, "an object with a list of points")
    return points[0] if points else None


def page_code(pathname: object) -> str:
    """The indicator of an /indicator/<code> page, from the page's pathname."""
    if not isinstance(pathname, str):
        raise InvalidInput("pathname", pathname, "a path")
    return indicator(pathname.rstrip("/").rsplit("/", 1)[-1])


def target(value: object) -> str:
    """A page the search boxes offer: '/', '/indicator/<code>' or '/league/<league code>' — never another path
    (the value becomes a navigation: nothing outside these pages, nothing off this site)."""
    if value == "/":
        return value
    kind, _, key = value.strip("/").partition("/") if isinstance(value, str) else ("", "", "")
    if kind == "indicator":
        return "/indicator/" + indicator(key)
    if kind == "league":
        return "/league/" + league(key)
    raise InvalidInput("page", value, "/, /indicator/<code> or /league/<code>")


def weight(value: object) -> float:
    """A chapter weight: 0–3 in steps of 1/2 (what the index sliders offer)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not 0 <= value <= 3 or value * WEIGHT_STEPS != int(value * WEIGHT_STEPS):
        raise InvalidInput("weight", value, "0 to 3 in steps of 0.5")
    return float(value)


def weights(values: object, slider_ids: object, chapters: list[int]) -> tuple[tuple[int, float], ...]:
    """The index sliders: one weight per weighted chapter, as ((chapter, weight), …) in chapter order."""
    if not (isinstance(values, list) and isinstance(slider_ids, list) and len(values) == len(slider_ids)):
        raise InvalidInput("weights", values, "one value per slider")
    given = {}
    for slider, value in zip(slider_ids, values, strict=True):
        number = slider.get("chapter") if isinstance(slider, dict) else None
        if number not in chapters or number in given:
            raise InvalidInput("slider", slider, "one slider per weighted chapter")
        given[number] = weight(value)
    if sorted(given) != sorted(chapters):
        raise InvalidInput("weights", values, "one weight per weighted chapter")
    return tuple((n, given[n]) for n in sorted(chapters))
