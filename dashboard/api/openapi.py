"""The one OpenAPI 3 description of /api/v1 — the read endpoints described here, the submission endpoints contributed
by the portal (server.extensions["dem_openapi"]) — and the human page rendered from it at /api/v1/ (plain HTML,
escaped, no script, nothing fetched from elsewhere)."""

from __future__ import annotations

import copy
import html

from dashboard.api.params import FORMATS, FREQUENCIES, LAYERS, LEVELS

_ERROR = {"$ref": "#/components/schemas/Error"}


def _param(name: str, description: str, schema: dict | None = None, repeatable: bool = False) -> dict:
    schema = schema or {"type": "string"}
    if repeatable:
        return {"name": name, "in": "query", "description": description + " Repeatable, or a comma list.",
                "schema": {"type": "array", "items": schema}, "style": "form", "explode": True}
    return {"name": name, "in": "query", "description": description, "schema": schema}


COMMON = [
    _param("format", "json (default) or csv (UTF-8 with BOM, formula-safe)", {"type": "string", "enum": list(FORMATS)}),
    _param("limit", "rows per page (default [api] page_size, at most [api] max_page_size)",
           {"type": "integer", "minimum": 1}),
    _param("offset", "rows to skip (links.next in JSON, the Link header in both formats)",
           {"type": "integer", "minimum": 0}),
    _param("layer", "public (released values, default) or preliminary (every loaded value: an analyst's or "
           "administrator's API token only)", {"type": "string", "enum": list(LAYERS)}),
]
INDICATOR = _param("indicator", "indicator code, e.g. DI-01", repeatable=True)
REGION = _param("region", "6-digit region code (GB/T 2260), e.g. 150200", repeatable=True)
LEVEL = _param("level", "region level", {"type": "string", "enum": list(LEVELS)})
FREQUENCY = _param("frequency", "annual, quarterly or monthly", {"type": "string", "enum": list(FREQUENCIES)})
YEAR = _param("year", "a year with data (default: the latest)", {"type": "integer"})

SCHEMAS = {
    "Error": {"type": "object", "properties": {"error": {"type": "integer"}, "message_zh": {"type": "string"},
                                               "message_en": {"type": "string"}}},
    "Meta": {"type": "object", "properties": {
        "layer": {"type": "string", "enum": list(LAYERS)}, "released_only": {"type": "boolean"},
        "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"},
        "published_at": {"type": "string", "nullable": True},
        "note_zh": {"type": "string", "description": "with layer=preliminary: the values are not released"},
        "note_en": {"type": "string"},
        "synthetic": {"type": "boolean", "description": "the answer includes synthetic demo values"}}},
    "Links": {"type": "object", "properties": {"self": {"type": "string"}, "next": {"type": "string"},
                                               "prev": {"type": "string"}}},
}


def _page(item: dict) -> dict:
    return {"type": "object", "properties": {"data": {"type": "array", "items": item},
                                             "meta": {"$ref": "#/components/schemas/Meta"},
                                             "links": {"$ref": "#/components/schemas/Links"}}}


def _row(**fields: str) -> dict:
    kinds = {"s": {"type": "string"}, "i": {"type": "integer"}, "n": {"type": "number", "nullable": True},
             "b": {"type": "boolean"}, "a": {"type": "array", "items": {"type": "string"}}}
    return {"type": "object", "properties": {name: kinds[kind] for name, kind in fields.items()}}


def _get(summary: str, params: list[dict], item: dict, not_found: bool = False) -> dict:
    responses = {
        "200": {"description": "one page of rows; ETag, Last-Modified, Cache-Control, X-Total-Count, Link",
                "content": {"application/json": {"schema": _page(item)},
                            "text/csv": {"schema": {"type": "string"}}}},
        "304": {"description": "not modified (If-None-Match or If-Modified-Since)"},
        "400": {"description": "a bad parameter, named in the message",
                "content": {"application/json": {"schema": _ERROR}}},
        "401": {"description": "an invalid token, or layer=preliminary without one",
                "content": {"application/json": {"schema": _ERROR}}},
        "403": {"description": "layer=preliminary with a token of an officer",
                "content": {"application/json": {"schema": _ERROR}}},
        "429": {"description": "more than [api] rate_limit requests from this address",
                "content": {"application/json": {"schema": _ERROR}}},
        "503": {"description": "the warehouse is unavailable", "content": {"application/json": {"schema": _ERROR}}},
    }
    if not_found:
        responses["404"] = {"description": "the warehouse holds no data yet",
                            "content": {"application/json": {"schema": _ERROR}}}
    return {"get": {"summary": summary, "security": [{}, {"bearer": []}], "parameters": params + COMMON,
                    "responses": responses}}


PATHS = {
    "/api/v1/indicators": _get(
        "The indicator catalogue with its metadata",
        [INDICATOR, _param("chapter", "chapter of the regulation", {"type": "integer"}), FREQUENCY],
        _row(code="s", name_zh="s", name_en="s", unit_zh="s", unit_en="s", chapter="i", articles="a", frequency="s",
             measure="s", polarity="s", decimals="i", aggregation="s", levels="a", department_zh="s",
             department_en="s", definition_zh="s", definition_en="s", min="n", max="n", in_index="b")),
    "/api/v1/regions": _get(
        "The 116 units: the region, 12 leagues, 103 counties",
        [REGION, LEVEL, _param("parent", "the code of the parent unit (a league: its counties)")],
        _row(code="s", name_zh="s", name_en="s", level="s", kind="s", parent="s", lon="n", lat="n")),
    "/api/v1/observations": _get(
        "Values (reported, aggregated, derived) by indicator, region and period",
        [INDICATOR, REGION, LEVEL, FREQUENCY,
         _param("from", "first period: 2023, 2023Q1 or 2023M03 (the periods wholly inside the range)"),
         _param("to", "last period, same forms")],
        _row(indicator_code="s", region_code="s", region_level="s", period="s", frequency="s", year="i", value="n",
             unit="s", obs_status="s", status="s", coverage_n="n", coverage_total="n", complete="b", ytd_through="n",
             synthetic="b", revised="b", source="s")),
    "/api/v1/progress": _get(
        "Progress status per indicator and region in a year",
        [YEAR, REGION, INDICATOR, LEVEL],
        _row(year="i", indicator_code="s", region_code="s", region_level="s", chapter="i", polarity="s",
             status="s", reason="s", base_year="n", base_value="n", latest_year="n", latest_value="n",
             target_year="n", target_value="n", target_comparison="s", target_provenance="s", benchmark_value="n",
             cagr_observed="n", cagr_required="n", ratio="n", synthetic="b"), not_found=True),
    "/api/v1/index": _get(
        "The composite index of the 12 leagues (chapter 0) and its chapter sub-indices, with ranks",
        [YEAR],
        _row(year="i", region_code="s", region_name_zh="s", region_name_en="s", chapter="i", kind="s", score="n",
             rank="n", coverage="n", n="i", n_total="i", synthetic="b"), not_found=True),
    "/api/v1/releases": _get(
        "The release calendar: releases carried out and upcoming (Beijing time)",
        [_param("status", "released or upcoming", {"type": "string", "enum": ["released", "upcoming"]})],
        _row(release_id="s", status="s", kind="s", title_zh="s", title_en="s", periods="a", scheduled_at="s",
             released_at="s")),
}


def document(parts: list[dict]) -> dict:
    """The read API's description merged with the other parts' paths and components (the submission API)."""
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "北疆数字经济监测 API · Inner Mongolia Digital Economy Monitor API", "version": "1",
                 "description": "Open data (Art. 9): read the released statistics; submit indicator files with an "
                                "API token. Errors are JSON with message_zh and message_en. See docs/api.md and "
                                "docs/portal.md."},
        "components": {"schemas": copy.deepcopy(SCHEMAS), "securitySchemes": {}},
        "paths": copy.deepcopy(PATHS),
    }
    doc["paths"]["/api/v1/openapi.json"] = {"get": {"summary": "This description", "security": [{}],
                                                    "responses": {"200": {"description": "OpenAPI 3"}}}}
    doc["paths"]["/api/v1/"] = {"get": {"summary": "This description as a page", "security": [{}],
                                        "responses": {"200": {"description": "HTML"}}}}
    for part in parts:
        for path, item in part.get("paths", {}).items():
            doc["paths"][path] = copy.deepcopy(item)
        for kind, found in part.get("components", {}).items():
            doc["components"].setdefault(kind, {}).update(copy.deepcopy(found))
        if part.get("security"):  # the part's default becomes explicit on each of its operations
            for path in part.get("paths", {}):
                for operation in doc["paths"][path].values():
                    operation.setdefault("security", part["security"])
    doc["components"]["securitySchemes"].setdefault(
        "bearer", {"type": "http", "scheme": "bearer", "description": "an API token made by `dem users token NAME`"})
    return doc


def page(doc: dict, css: str) -> str:
    """The description as a page: one section per path and method with its parameters and answers."""
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{e(doc['info']['title'])}"
             f"</title><link rel=\"stylesheet\" href=\"{e(css)}\"></head><body><div class=\"page\"><main id=\"main\">",
             f"<h1>{e(doc['info']['title'])}</h1><p>{e(doc['info']['description'])}</p>",
             "<p><a href=\"openapi.json\">openapi.json</a></p>"]
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            parts.append(f"<section class=\"panel\"><h2><code>{e(method.upper())} {e(path)}</code></h2>"
                         f"<p>{e(operation.get('summary', ''))}</p>")
            params = operation.get("parameters", [])
            if params:
                parts.append("<table><thead><tr><th>parameter</th><th>in</th><th>description</th></tr></thead><tbody>")
                parts += [f"<tr><td><code>{e(p['name'])}</code></td><td>{e(p['in'])}</td>"
                          f"<td>{e(p.get('description', ''))}</td></tr>" for p in params]
                parts.append("</tbody></table>")
            parts.append("<ul>" + "".join(f"<li><code>{e(code)}</code> {e(answer.get('description', ''))}</li>"
                                          for code, answer in operation.get("responses", {}).items()) + "</ul>")
            parts.append("</section>")
    parts.append("</main></div></body></html>")
    return "\n".join(parts)
