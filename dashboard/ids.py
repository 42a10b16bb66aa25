"""Component ids, defined once. Controls whose value belongs in the URL start with "q-": the browser-side
URL sync (assets/dem.js) turns `q-year__map` = 2023 into `?year=2023`, so every view can be bookmarked."""

from __future__ import annotations

# ── shell (every page) ──
URL_SYNC = "url-sync"  # dummy output of the clientside URL sync
LANG = "lang"  # a Store holding the page's language, for callbacks that write texts
LANG_TOGGLE = "lang-toggle"
PROVENANCE = "provenance"  # the panel showing audit.explain output
PROVENANCE_CLOSE = "provenance-close"
EXPLAIN = "explain"  # pattern-matching type: {"type": EXPLAIN, "key": "DI-01|150000|2023"}
NAV = "nav"
LOGIN_LINK = "login-link"  # the header's account corner (dashboard/auth)
ACCOUNT_NAME = "account-name"
LOGOUT = "logout"
PRELIMINARY_SWITCH = "preliminary-switch"
PRELIMINARY_BANNER = "preliminary-banner"
RELEASES_TABLE = "releases-table"
REVISIONS_TABLE = "revisions-table"
LOGIN_REDIRECT = "login-redirect"  # access.login_redirect's dcc.Location
# pattern-matching type of a dropdown whose value is a page to open: {"type": GO, "key": "site"} (the header's
# search; opens with the language only) or {"type": GO, "key": "indicator"} (the indicator page's picker; keeps
# the page's query: year, leagues, tab)
GO = "go"
SITE_SEARCH = {"type": GO, "key": "site"}

# ── URL-state controls ──
# "q-<key>__<page>": the key is the query parameter, the page suffix keeps ids unique across pages (a callback
# whose inputs exist only partly on the current page is an error in Dash).


def control(key: str, page: str) -> str:
    """control("year", "map") → "q-year__map", mirrored into the URL as ?year=…"""
    return f"q-{key}__{page}"


OVERVIEW_YEAR = control("year", "overview")
OVERVIEW_ROWS = control("rows", "overview")  # all | behind: the progress matrix's rows
OVERVIEW_SORT = control("sort", "overview")  # behind | code
MAP_INDICATOR = control("indicator", "map")
MAP_LEVEL = control("level", "map")
MAP_YEAR = control("year", "map")
LEAGUE_YEAR = control("year", "league")
LEAGUE_COUNTY = control("county", "league")
INDICATOR_LEAGUES = control("leagues", "indicator")
INDICATOR_YEAR = control("year", "indicator")
INDICATOR_TAB = control("tab", "indicator")
CHAPTER_YEAR = control("year", "chapter")
INDEX_YEAR = control("year", "index")
CATALOGUE_SEARCH = control("search", "catalogue")
CATALOGUE_CHAPTER = control("chapter", "catalogue")


def weight(chapter) -> dict:
    """Slider of a chapter weight on the index page (pattern-matching, chapters come from settings):
    {"type": "q-w", "chapter": 3} ↔ `?w3=1.5`; weight(ALL) matches every slider."""
    return {"type": "q-w", "chapter": chapter}


# ── overview ──
OVERVIEW_CARDS = "overview-cards"
OVERVIEW_MATRIX = "overview-matrix"
OVERVIEW_INDEX = "overview-index"
OVERVIEW_MAP = "overview-map"
OVERVIEW_CHANGES = "overview-changes"

# ── map ──
MAP_GRAPH = "map-graph"
MAP_PERIOD_LABEL = "map-period-label"

# ── league profile ──
LEAGUE_TABLES = "league-tables"
LEAGUE_MATRIX = "league-matrix"
LEAGUE_LINKS = "league-links"
LEAGUE_TABLE = "league-table"  # pattern-matching type, one table per chapter: {"type": LEAGUE_TABLE, "chapter": 2}
LEAGUE_COUNTIES = "league-counties"
LEAGUE_PDF = "league-pdf"  # place of the "download PDF" button
# PDF bulletin downloads (dashboard/downloads.py); each page suffixes them with __<page>
PDF_BUTTON = "pdf-button"
PDF_RUNNING = "pdf-running"
PDF_RESULT = "pdf-result"
PDF_DOWNLOAD = "pdf-download"
PDF_REGION = "pdf-region"

# ── indicator ──
INDICATOR_CHART = "indicator-chart"
INDICATOR_MAP = "indicator-map"
INDICATOR_TABLE = "indicator-table"
INDICATOR_TAB_BODY = "indicator-tab-body"
DOWNLOAD_BUTTON = "download-csv-button"
DOWNLOAD = "download-csv"
DOWNLOAD_XLSX_BUTTON = "download-xlsx-button"
DOWNLOAD_XLSX = "download-xlsx"

# ── chapter ──
CHAPTER_TABLE = "chapter-table"

# ── index ──
INDEX_GRAPH = "index-graph"
INDEX_COVERAGE = "index-coverage"
INDEX_HISTORY = "index-history"  # each league's index over the years and its rank change
INDEX_ROBUSTNESS = "index-robustness"  # fragile chapters, the sensitivity of the ranks, coverage by chapter and year

# ── quality ──
QUALITY_MATRIX = "quality-matrix"
QUALITY_BATCHES = "quality-batches"
QUALITY_PROBLEMS = "quality-problems"
QUALITY_OUTLIERS = "quality-outliers"
QUALITY_RECONCILIATION = "quality-reconciliation"
QUALITY_FRESHNESS = "quality-freshness"

# ── catalogue ──
CATALOGUE_TABLE = "catalogue-table"
REGULATION_TEXT = "regulation-text"
