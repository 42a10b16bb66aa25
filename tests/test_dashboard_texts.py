"""Interface texts (dashboard/i18n.py): every key has both languages and is used somewhere in the dashboard, so a
text nobody shows cannot linger there."""

from __future__ import annotations

import re
from pathlib import Path

from dashboard.i18n import TEXTS

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"


def test_every_interface_text_is_used_somewhere_in_the_dashboard():
    """A key counts as used when it is written, quoted, in a module of the dashboard (t("overview", lang)) or is a
    value a module writes quoted and passes on (the statuses "reported", "derived"… of a row, the tabs)."""
    sources = [path.read_text(encoding="utf-8") for path in DASHBOARD.rglob("*.py") if path.name != "i18n.py"]
    unused = [key for key in TEXTS
              if not any(re.search(rf"""["']{re.escape(key)}["']""", text) for text in sources)]
    assert unused == [], f"remove from dashboard/i18n.py (or use): {unused}"


def test_every_interface_text_has_chinese_and_english():
    assert [key for key, (zh, en) in TEXTS.items() if not (zh.strip() and en.strip())] == []
