"""The regulation as supplied: chapters and articles parsed from config/regulation_seed.txt, gaps made explicit.

The supplied text is verbatim; where it is incomplete (the end of Art. 12 to the start of Art. 24, and the
heading of Chapter 3) the parser marks articles `partial` or `missing` and never fills anything in.
Example: the line "第十二条 旗级以上人民政府…" opens Art. 12; a later "第二十五条 …" after a jump means
Arts. 13–24 were lost, and text between the two that opens no article is the tail of Art. 24.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from indicators.base.errors import ConfigError

DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CHAPTER_RE = re.compile(r"^第([一二三四五六七八九十]+)章\s+(\S.*)$")
ARTICLE_RE = re.compile(r"^第([一二三四五六七八九十百零]+)条\s*(.*)$")
# The title block that restarts the document in the middle of the supplied text (a page-scan seam).
DOCUMENT_TITLE_RE = re.compile(r"^(内蒙古自治区数字经济促进条例|\(\d{4}年.*通过\))$")

SENTENCE_END = ("。", "；", "：", "！", "？")
PRESENT, PARTIAL, MISSING = "present", "partial", "missing"


def chinese_number(text: str) -> int:
    """'七十七' → 77, '十二' → 12, '九' → 9, '一百零三' → 103."""
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch in DIGITS:
            current = DIGITS[ch]
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + current


def chinese_numeral(n: int) -> str:
    """77 → '七十七' (for headings such as 第七十七条)."""
    names = "零一二三四五六七八九"
    if n < 10:
        return names[n]
    if n < 20:
        return "十" + (names[n % 10] if n % 10 else "")
    if n < 100:
        return names[n // 10] + "十" + (names[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if rest == 0 else ("零" + chinese_numeral(rest) if rest < 10 else chinese_numeral(rest))
    return names[n // 100] + "百" + tail


@dataclass
class Article:
    number: int
    chapter: int | None  # None when the chapter cannot be known (lost in the gap)
    status: str  # present | partial | missing
    paragraphs: list[str] = field(default_factory=list)
    note_zh: str = ""
    note_en: str = ""

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    @property
    def heading(self) -> str:
        return f"第{chinese_numeral(self.number)}条"

    def title(self, lang: str = "zh") -> str:
        """第七十一条 | Article 71 (the text itself exists only in Chinese, as supplied)."""
        return f"Article {self.number}" if lang == "en" else self.heading


@dataclass
class Chapter:
    number: int
    title_zh: str | None  # as in the source; None when the heading is missing
    title_en: str
    heading_missing: bool
    label_zh: str  # what to display: "第二章 数字基础设施建设", or the content label when the heading is lost
    label_en: str
    articles: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Feature:
    """Something this system does for a duty the regulation sets (config/regulation.yaml `features`)."""

    id: str
    articles: tuple[int, ...]
    name_zh: str
    name_en: str
    where_zh: str
    where_en: str

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    def where(self, lang: str = "zh") -> str:
        return self.where_en if lang == "en" else self.where_zh


@dataclass
class Regulation:
    title_zh: str
    title_en: str
    chapters: dict[int, Chapter]
    articles: dict[int, Article]
    article_count: int
    source_notes: list[str] = field(default_factory=list)
    features: list[Feature] = field(default_factory=list)

    def features_for(self, number: int) -> list[Feature]:
        """What the system does for an article: 70 → progress, bulletin; 71 → index, supervision."""
        return [f for f in self.features if number in f.articles]

    def article(self, number: int) -> Article:
        try:
            return self.articles[number]
        except KeyError:
            raise ConfigError(f"第{number}条不存在 | article {number} does not exist (1–{self.article_count})") from None

    def existing(self) -> set[int]:
        """Articles with at least part of their text in the source."""
        return {n for n, a in self.articles.items() if a.status != MISSING}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n")]


def _append_paragraph(article: Article, line: str) -> None:
    """A paragraph split by a page break in the source ("……应急预" / "案，采取……") is re-joined: the line
    before does not end a sentence. Characters are kept exactly; only the break is removed."""
    if article.paragraphs and not article.paragraphs[-1].endswith(SENTENCE_END):
        article.paragraphs[-1] += line
    else:
        article.paragraphs.append(line)


def parse_regulation(text: str, meta: dict) -> Regulation:
    chapters: dict[int, Chapter] = {}
    articles: dict[int, Article] = {}
    notes: list[str] = []
    chapter_no = 0
    current: Article | None = None
    orphan: list[str] = []  # text after a seam that belongs to an article whose opening is lost
    after_seam = False
    started = False
    titles_en = {int(k): v for k, v in meta.get("chapter_titles_en", {}).items()}

    for line in _lines(text):
        if not line:
            continue
        chapter_match = CHAPTER_RE.match(line)
        article_match = ARTICLE_RE.match(line)
        if chapter_match:
            started = True
            chapter_no = chinese_number(chapter_match.group(1))
            chapters[chapter_no] = Chapter(chapter_no, chapter_match.group(2), titles_en.get(chapter_no, ""),
                                           False, line, f"Chapter {chapter_no} {titles_en.get(chapter_no, '')}".strip())
            current = None
        elif article_match and started:
            number = chinese_number(article_match.group(1))
            last = max(articles) if articles else 0
            if number != last + 1:
                _record_gap(articles, last, number, orphan, chapter_no, notes)
                orphan = []
            after_seam = False
            current = Article(number, chapter_no, PRESENT, [article_match.group(2)] if article_match.group(2) else [])
            articles[number] = current
            if chapter_no in chapters:
                chapters[chapter_no].articles.append(number)
        elif not started:
            continue  # the announcement before 第一章
        elif DOCUMENT_TITLE_RE.match(line):
            notes.append(f"source seam: document title block repeated inside the text: {line}")
            after_seam, current = True, None
        elif after_seam:
            orphan.append(line)
        elif current is not None:
            _append_paragraph(current, line)
    _fill_missing_chapters(chapters, articles, meta, notes)
    count = int(meta.get("article_count", max(articles)))
    for number in range(1, count + 1):
        articles.setdefault(number, Article(number, None, MISSING, note_zh="原文缺失", note_en="missing in the source"))
    return Regulation(meta["title_zh"], meta["title_en"], dict(sorted(chapters.items())),
                      dict(sorted(articles.items())), count, notes)


def _record_gap(articles: dict[int, Article], last: int, number: int, orphan: list[str],
                chapter_no: int, notes: list[str]) -> None:
    """Articles last+1 … number-1 were lost. The one just before the gap is cut short; orphan text is the tail
    of the article just after the gap (number-1), whose opening is lost."""
    if last in articles:
        articles[last].status = PARTIAL
        articles[last].note_zh = f"原文在本条中途中断（第{last + 1}至{number - 1}条缺失或不完整）"
        articles[last].note_en = f"the source breaks off inside this article (Arts. {last + 1}–{number - 1} lost or partial)"
    for lost in range(last + 1, number):
        articles[lost] = Article(lost, None, MISSING, note_zh="原文缺失", note_en="missing in the source")
    if orphan:
        tail = articles[number - 1]
        tail.status, tail.chapter, tail.paragraphs = PARTIAL, None, orphan
        tail.note_zh = "本条开头缺失，仅存结尾部分"
        tail.note_en = "the opening of this article is missing; only its end survives"
    notes.append(f"gap: articles {last + 1}–{number - 1} missing or partial in the source")


def _fill_missing_chapters(chapters: dict[int, Chapter], articles: dict[int, Article], meta: dict,
                           notes: list[str]) -> None:
    """A chapter number skipped in the source (第二章 → 第四章) is a chapter whose heading was lost in the gap.
    The lost heading must precede the surviving text after the gap (no heading appears there), so the articles
    from the gap up to the next heading (the tail of Art. 24, Arts. 25–27) belong to the missing chapter.
    Articles lost entirely (13–23) keep chapter None: whether they were in Chapter 2 or 3 cannot be known."""
    labels = {int(k): v for k, v in meta.get("missing_chapter_labels", {}).items()}
    for number in range(1, int(meta.get("chapter_count", max(chapters))) + 1):
        if number in chapters:
            continue
        label = labels.get(number, {})
        chapter = Chapter(number, None, "", True,
                          label.get("label_zh", f"第{chinese_numeral(number)}章（原文标题缺失）"),
                          label.get("label_en", f"Chapter {number} (heading missing in source)"))
        chapters[number] = chapter
        notes.append(f"chapter {number}: heading missing in the source")
        previous = chapters.get(number - 1)
        if previous is None:
            continue
        gap_end = max((n for n, a in articles.items() if a.status == MISSING), default=0)
        moved = [n for n in previous.articles if n > gap_end] + [
            n for n, a in articles.items() if a.chapter is None and a.status == PARTIAL]
        for n in sorted(set(moved)):
            articles[n].chapter = number
        previous.articles = [n for n in previous.articles if n not in moved]
        chapter.articles = sorted(set(moved))


def load_regulation(config: Path) -> Regulation:
    meta = yaml.load((config / "regulation.yaml").read_text(encoding="utf-8"),
                     Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    text = (config / meta["source_file"]).read_text(encoding="utf-8")
    regulation = parse_regulation(text, meta)
    regulation.features = [Feature(str(f["id"]), tuple(int(a) for a in f["articles"]), str(f["name_zh"]),
                                   str(f["name_en"]), str(f["where_zh"]), str(f["where_en"]))
                           for f in meta.get("features") or []]
    return regulation
