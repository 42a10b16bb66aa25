"""The 116 official units (GB/T 2260): the region, its 12 leagues (盟市) and 103 counties (旗县市区), as a tree."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from indicators.base.errors import UsageError

LEVELS = ("region", "league", "county")
KINDS = {"region": {"自治区"}, "league": {"市", "盟"}, "county": {"区", "县", "旗", "县级市", "自治旗"}}
CODE_RE = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class Region:
    code: str
    name_zh: str
    name_en: str
    level: str  # region | league | county
    kind: str  # 自治区 | 市 | 盟 | 区 | 县 | 旗 | 县级市 | 自治旗
    parent_code: str | None
    lon: float
    lat: float
    aliases: tuple[str, ...]

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh


class AmbiguousRegion(UsageError):
    """A name typed (an option, a file's region cell) that fits several units: a usage error at the command line
    (exit 2); the ETL reports it on the file's line instead."""


class UnknownRegion(UsageError):
    """A name or code no unit has: a usage error at the command line (`--region foo` exits 2); the ETL reports it on
    the file's line instead."""


def _key(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


class RegionTree:
    def __init__(self, regions: list[Region]):
        self.by_code = {r.code: r for r in regions}
        self.regions = regions
        self._names: dict[str, set[str]] = {}
        for r in regions:
            for name in (r.code, r.name_zh, r.name_en, *r.aliases):
                if name:
                    self._names.setdefault(_key(name), set()).add(r.code)
            parent = self.by_code.get(r.parent_code or "")
            if r.level == "county" and parent:  # "呼和浩特市新城区", "锡林郭勒盟多伦县"
                self._names.setdefault(_key(parent.name_zh + r.name_zh), set()).add(r.code)

    @property
    def root(self) -> Region:
        return next(r for r in self.regions if r.level == "region")

    def leagues(self) -> list[Region]:
        return [r for r in self.regions if r.level == "league"]

    def counties(self, league: str | None = None) -> list[Region]:
        return [r for r in self.regions if r.level == "county" and (league is None or r.parent_code == league)]

    def children(self, code: str) -> list[Region]:
        return [r for r in self.regions if r.parent_code == code]

    def at_level(self, level: str) -> list[Region]:
        return [r for r in self.regions if r.level == level]

    def within(self, code: str) -> set[str]:
        """The unit and every unit below it: a league and its counties, a county alone, the region and all 116.
        '150200' (包头市) → {'150200', '150202', …, '150223'}."""
        inside, frontier = {code}, [code]
        while frontier:
            below = [r.code for parent in frontier for r in self.children(parent)]
            inside.update(below)
            frontier = below
        return inside

    def names(self, lang: str = "zh") -> dict[str, str]:
        """Every unit's name in `lang`, by code: {'152921': 'Alxa Left Banner', …}."""
        return {r.code: r.name(lang) for r in self.regions}

    def league_of(self, code: str) -> str | None:
        r = self.by_code[code]
        return r.code if r.level == "league" else (r.parent_code if r.level == "county" else None)

    def candidates(self, text: str) -> set[str]:
        """All codes a typed name, alias or code could mean ('锡盟' → {'152500'})."""
        return set(self._names.get(_key(str(text)), set()))

    def resolve(self, text: str) -> Region:
        codes = self.candidates(text)
        if not codes:
            raise UnknownRegion(f"未知地区“{text}”", f"unknown region {text!r}")
        if len(codes) > 1:
            names = "、".join(sorted(self.by_code[c].name_zh for c in codes))
            raise AmbiguousRegion(f"地区“{text}”有多个匹配：{names}", f"region {text!r} matches several: {sorted(codes)}")
        return self.by_code[codes.pop()]

    def problems(self) -> list[str]:
        """Every way the tree is broken; empty when it is a valid region → 12 leagues → 103 counties tree."""
        out: list[str] = []
        seen: set[str] = set()
        for r in self.regions:
            if not CODE_RE.match(r.code):
                out.append(f"regions.csv: code {r.code!r} is not a 6-digit GB/T 2260 code")
            if r.code in seen:
                out.append(f"regions.csv: duplicate code {r.code}")
            seen.add(r.code)
            if r.level not in LEVELS:
                out.append(f"regions.csv: {r.code} has unknown level {r.level!r}")
            elif r.kind not in KINDS[r.level]:
                out.append(f"regions.csv: {r.code} {r.name_zh} kind {r.kind!r} is not a {r.level} kind")
            expected_parent = {"region": None, "league": "region", "county": "league"}.get(r.level)
            parent = self.by_code.get(r.parent_code or "")
            if expected_parent is None and r.parent_code:
                out.append(f"regions.csv: the region {r.code} must have no parent")
            elif expected_parent and (parent is None or parent.level != expected_parent):
                out.append(f"regions.csv: {r.level} {r.code} {r.name_zh} has parent {r.parent_code!r}, "
                           f"which is not a {expected_parent}")
            elif r.level == "county" and parent and r.code[:4] != parent.code[:4]:
                out.append(f"regions.csv: county {r.code} does not share its league's code prefix {parent.code[:4]}")
        roots = [r for r in self.regions if r.level == "region"]
        if len(roots) != 1:
            out.append(f"regions.csv: expected exactly 1 region root, found {len(roots)}")
        for alias, codes in self._names.items():
            if len(codes) > 1 and not all(self.by_code[c].level == "county" for c in codes):
                out.append(f"regions.csv: name or alias {alias!r} is shared by {sorted(codes)}")
        return out


def load_regions(path: Path) -> RegionTree:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    regions = [
        Region(code=row["code"].strip(), name_zh=row["name_zh"].strip(), name_en=row["name_en"].strip(),
               level=row["level"].strip(), kind=row["kind"].strip(), parent_code=row["parent_code"].strip() or None,
               lon=float(row["lon"]), lat=float(row["lat"]),
               aliases=tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip()))
        for row in rows
    ]
    return RegionTree(regions)
