"""The reference catalogue: indicators, units, targets, regions and the regulation, typed and cross-checked.

Everything else (ETL schemas, the engine, pages, reports) reads the catalogue from here; facts live in config/.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from indicators.base import formula as formulas
from indicators.base.errors import ConfigError
from indicators.base.regions import LEVELS, RegionTree, load_regions
from indicators.base.regulation import Regulation, load_regulation
from indicators.base.settings import config_dir

CODE_RE = re.compile(r"^[A-Z]{2}-\d{2}[a-z]?$")
POLARITIES = ("higher_is_better", "lower_is_better", "context")
FREQUENCIES = ("annual", "quarterly", "monthly")
MEASURES = ("stock", "flow", "ytd")
AGGREGATIONS = ("sum", "weighted_mean", "derived", "none")
DATA_TYPES = ("official_statistics", "administrative", "estimate")
COMPARISONS = (">=", "<=")
TARGET_KINDS = ("target", "benchmark")
PROVENANCES = ("official", "illustrative")
REQUIRED = ("code", "name_zh", "name_en", "chapter", "articles", "unit", "polarity", "frequency", "measure",
            "aggregation", "min", "max", "decimals", "definition_zh", "definition_en", "department", "levels",
            "data_type")
MONITORING_ARTICLE = 9  # 建立健全数字经济统计和监测体系: every indicator serves it


@dataclass(frozen=True)
class Unit:
    name: str
    dimension: str
    factor: float
    aliases: tuple[str, ...] = ()
    plausible_max: float | None = None  # in this unit: the dimension's bound (units.yaml `dimensions`) ÷ factor
    name_en: str = ""  # as English pages show it (units.yaml `en`; "" for a bare count)


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    name_en: str
    chapter: int
    articles: tuple[int, ...]
    unit: str
    polarity: str
    frequency: str
    measure: str
    aggregation: str
    min: float | None
    max: float | None
    decimals: int
    definition_zh: str
    definition_en: str
    department: str
    levels: tuple[str, ...]
    data_type: str
    formula: str | None = None
    weight: str | None = None
    index_weight: float | None = None
    unit_en: str | None = None  # the unit on English pages (units.yaml `en`), set when the catalogue loads
    department_en: str | None = None  # the department(s) on English pages (departments.yaml), set likewise

    def unit_label(self, lang: str = "zh") -> str:
        """The unit as a page in `lang` shows it: unit_label("en") → "100m yuan" for 亿元, "" for 个."""
        return self.unit_en if lang == "en" and self.unit_en is not None else self.unit

    def department_label(self, lang: str = "zh") -> str:
        """The responsible department(s) as a page in `lang` names them."""
        return self.department_en if lang == "en" and self.department_en else self.department

    @property
    def inputs(self) -> list[str]:
        """Codes this indicator is computed from (derived) or weighted by (weighted_mean)."""
        if self.aggregation == "derived" and self.formula:
            return formulas.references(self.formula)
        return [self.weight] if self.weight else []

    @property
    def is_derived(self) -> bool:
        return self.aggregation == "derived"

    @property
    def natural_limit(self) -> float | None:
        """The value the indicator cannot pass in its desired direction, where there is one: 100 for a share or
        rate in % (a coverage cannot exceed 100 %), the top grade of a grade scale (级), the physical floor of a
        lower-is-better ratio such as PUE (1.0). Progress near it is judged by the distance left (indicators.
        progress); a value at it is achieved. None for unbounded indicators and for floors of 0 (never reached)."""
        if self.polarity == "higher_is_better" and self.max is not None and self.unit in ("%", "级"):
            return self.max
        if self.polarity == "lower_is_better" and self.min is not None and self.min > 0:
            return self.min
        return None

    @property
    def in_index(self) -> bool:
        return bool(self.index_weight)

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    def definition(self, lang: str = "zh") -> str:
        return self.definition_en if lang == "en" else self.definition_zh

    def as_record(self) -> dict[str, Any]:
        """One flat record with the YAML field names (levels and articles joined with ';')."""
        return {
            "code": self.code, "name_zh": self.name_zh, "name_en": self.name_en, "chapter": self.chapter,
            "articles": ";".join(str(a) for a in self.articles), "unit": self.unit, "polarity": self.polarity,
            "frequency": self.frequency, "measure": self.measure, "aggregation": self.aggregation,
            "formula": self.formula or "", "weight": self.weight or "", "min": self.min, "max": self.max,
            "decimals": self.decimals, "levels": ";".join(self.levels), "data_type": self.data_type,
            "department": self.department, "index_weight": self.index_weight,
            "definition_zh": self.definition_zh, "definition_en": self.definition_en,
        }


@dataclass(frozen=True)
class Target:
    indicator_code: str
    region_code: str
    year: int
    value: float
    comparison: str  # >= or <=
    kind: str  # target | benchmark (a national figure shown for reference, not this region's target)
    provenance: str  # official (cited) | illustrative (made up for demonstration; always labelled)
    verification: str  # R | R* (confirmed only through a secondary source) | '' for illustrative
    source_id: str
    source_url: str
    note_zh: str
    note_en: str
    issuer_zh: str = ""  # who set the target (the original issuer), whatever page it was read on
    issuer_en: str = ""
    source_kind: str = ""  # original | report | repost (转载, a mirror of a report) | secondary (quoted by a study)

    @property
    def is_official(self) -> bool:
        return self.provenance == "official"

    @property
    def is_target(self) -> bool:
        """Sets a status (kind target); a benchmark is shown for reference only."""
        return self.kind == "target"

    def citation(self, lang: str = "zh") -> str:
        """Who set it, then where it was read and what kind of page that is: the original issuer first, a repost
        named as such. '内蒙古自治区政务服务与数据管理局（中国新闻网报道）；S18 http://…（转载）'."""
        if not self.is_official:
            return "示例目标（非官方），无出处" if lang == "zh" else "illustrative target (not official), no source"
        issuer = self.issuer_zh if lang == "zh" else self.issuer_en
        kind = SOURCE_KINDS.get(self.source_kind, ("", ""))[0 if lang == "zh" else 1]
        where = f"{self.source_id} {self.source_url}".strip()
        if lang == "zh":
            return (f"{issuer}；" if issuer else "") + f"来源：{where}" + (f"（{kind}）" if kind else "")
        return (f"{issuer}; " if issuer else "") + f"source: {where}" + (f" ({kind})" if kind else "")

    def verification_note(self, lang: str = "zh") -> str:
        """'' for a target read in its source; a caution for one confirmed only through a secondary source."""
        if self.verification != "R*":
            return ""
        return "仅经二手文献转述，须核对原文" if lang == "zh" else "confirmed only through a secondary source"


SOURCE_KINDS = {"original": ("原文", "the issuer's own text"), "report": ("新闻报道", "a news report"),
                "repost": ("转载", "a repost of a report"), "secondary": ("二手文献转述", "quoted by a secondary source")}


@dataclass
class Catalogue:
    indicators: dict[str, Indicator]
    units: dict[str, Unit]
    targets: list[Target]
    regions: RegionTree
    regulation: Regulation
    problems: list[str] = field(default_factory=list)

    def indicator(self, code: str) -> Indicator:
        try:
            return self.indicators[code]
        except KeyError:
            raise ConfigError(f"未知指标 {code} | unknown indicator {code}") from None

    def by_chapter(self, chapter: int | None = None) -> list[Indicator]:
        return [i for i in self.indicators.values() if chapter is None or i.chapter == chapter]

    def citing(self, article: int) -> list[Indicator]:
        return [i for i in self.indicators.values() if article in i.articles]

    def unit(self, name: str) -> Unit | None:
        """A unit by its name or alias, ignoring spaces: '万 元' → 万元, 'P' → PFLOPS."""
        return self._unit_index().get(re.sub(r"\s+", "", str(name)).casefold())

    @functools.cache  # noqa: B019 — one catalogue per process, kept for its lifetime
    def _unit_index(self) -> dict[str, Unit]:
        index = {}
        for unit in self.units.values():
            for name in (unit.name, *unit.aliases):
                index[re.sub(r"\s+", "", name).casefold()] = unit
        return index

    def conversion(self, submitted: str, code: str) -> tuple[float, float] | None:
        """(multiplier, divisor) turning a value in `submitted` units into the indicator's: value × multiplier ÷
        divisor, the two units' factors. 12345 万元 × 10⁴ ÷ 10⁸ = 1.2345 亿元 exactly, where multiplying by the
        quotient 0.0001 gives 1.2345000000000002. None if the unit is unknown or of another dimension."""
        source, target = self.unit(submitted), self.unit(self.indicator(code).unit)
        if source is None or target is None or source.dimension != target.dimension:
            return None
        return source.factor, target.factor

    def plausible_range(self, code: str) -> tuple[float, float, bool]:
        """(low, high, declared): the indicator's own min/max where indicators.yaml gives them (declared=True
        when both are), otherwise the plausible bound of its unit's dimension — always finite."""
        ind = self.indicator(code)
        unit = self.unit(ind.unit)
        bound = unit.plausible_max if unit is not None and unit.plausible_max is not None else math.inf
        low = ind.min if ind.min is not None else -bound
        high = ind.max if ind.max is not None else bound
        return low, high, ind.min is not None and ind.max is not None

    def targets_for(self, code: str, region: str | None = None) -> list[Target]:
        return [t for t in self.targets if t.indicator_code == code and (region is None or t.region_code == region)]

    def derived_order(self) -> list[Indicator]:
        """Derived indicators ordered so that every one comes after the derived indicators it uses."""
        order: list[Indicator] = []
        done: set[str] = set()

        def visit(ind: Indicator) -> None:
            if ind.code in done:
                return
            done.add(ind.code)
            for code in ind.inputs:
                if code in self.indicators and self.indicators[code].is_derived:
                    visit(self.indicators[code])
            order.append(ind)

        for ind in self.indicators.values():
            if ind.is_derived:
                visit(ind)
        return order

    def __hash__(self) -> int:
        return id(self)


# ── loading ──────────────────────────────────────────────────────────────────────────────────────────

def read_yaml(path: Path) -> Any:
    """YAML through libyaml's C loader when available (five times faster than the pure-Python one)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 — a safe loader


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return float(value)


def _load_units(path: Path) -> dict[str, Unit]:
    raw = read_yaml(path)
    bounds = {str(d): float(spec["max"]) for d, spec in (raw.get("dimensions") or {}).items()}
    units = {}
    for name, spec in raw["units"].items():
        factor = float(spec["factor"])
        bound = bounds.get(spec["dimension"])
        units[str(name)] = Unit(str(name), spec["dimension"], factor, tuple(map(str, spec.get("aliases", []))),
                                None if bound is None else bound / factor, str(spec.get("en", name)))
    return units


def _load_indicators(path: Path, problems: list[str]) -> dict[str, Indicator]:
    raw = read_yaml(path)["indicators"]
    out: dict[str, Indicator] = {}
    for n, entry in enumerate(raw, start=1):
        code = str(entry.get("code", f"#{n}"))
        missing = [f for f in REQUIRED if f not in entry]
        if missing:
            problems.append(f"indicators.yaml: {code} lacks {', '.join(missing)}")
            continue
        if code in out:
            problems.append(f"indicators.yaml: duplicate code {code}")
            continue
        try:
            out[code] = Indicator(
                code=code, name_zh=str(entry["name_zh"]), name_en=str(entry["name_en"]), chapter=int(entry["chapter"]),
                articles=tuple(int(a) for a in entry["articles"]), unit=str(entry["unit"]),
                polarity=entry["polarity"], frequency=entry["frequency"], measure=entry["measure"],
                aggregation=entry["aggregation"], min=_number(entry["min"]), max=_number(entry["max"]),
                decimals=int(entry["decimals"]), definition_zh=str(entry["definition_zh"]),
                definition_en=str(entry["definition_en"]), department=str(entry["department"]),
                levels=tuple(entry["levels"]), data_type=entry["data_type"], formula=entry.get("formula"),
                weight=entry.get("weight"), index_weight=_number(entry.get("index_weight")),
            )
        except (TypeError, ValueError) as exc:
            problems.append(f"indicators.yaml: {code}: {exc}")
    return out


TARGET_COLUMNS = ("indicator_code", "region_code", "year", "value", "comparison", "kind", "provenance")


def _load_targets(path: Path, problems: list[str]) -> list[Target]:
    """The targets, each bad line named in `problems`; a header without the required columns is one problem (a file
    of a garbage header alone would otherwise read as 'no targets')."""
    out = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in TARGET_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            problems.append(f"targets.csv: missing column(s) {', '.join(missing)} (header: {reader.fieldnames or []})")
            return out
        for line, row in enumerate(reader, start=2):
            try:
                out.append(Target(
                    indicator_code=row["indicator_code"].strip(), region_code=row["region_code"].strip(),
                    year=int(row["year"]), value=float(row["value"]), comparison=row["comparison"].strip(),
                    kind=row["kind"].strip(), provenance=row["provenance"].strip(),
                    verification=(row.get("verification") or "").strip(), source_id=(row.get("source_id") or "").strip(),
                    source_url=(row.get("source_url") or "").strip(), note_zh=(row.get("note_zh") or "").strip(),
                    note_en=(row.get("note_en") or "").strip(), issuer_zh=(row.get("issuer_zh") or "").strip(),
                    issuer_en=(row.get("issuer_en") or "").strip(),
                    source_kind=(row.get("source_kind") or "").strip()))
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(f"targets.csv line {line}: {exc}")
    return out


def load_catalogue(directory: Path | None = None, strict: bool = True) -> Catalogue:
    """Load and cross-check config/. strict=True raises ConfigError listing every problem."""
    directory = directory or config_dir()
    problems: list[str] = []
    try:
        units = _load_units(directory / "units.yaml")
        indicators = _load_indicators(directory / "indicators.yaml", problems)
        targets = _load_targets(directory / "targets.csv", problems)
        regions = load_regions(directory / "regions.csv")
        regulation = load_regulation(directory)
        departments = {str(k): str(v) for k, v in (read_yaml(directory / "departments.yaml")["departments"]
                                                   or {}).items()}
    except FileNotFoundError as exc:
        raise ConfigError(f"missing configuration file: {exc.filename}") from exc
    except (yaml.YAMLError, KeyError) as exc:
        raise ConfigError(f"unreadable configuration: {exc}") from exc
    indicators = {code: dataclasses.replace(
        ind, unit_en=units[ind.unit].name_en if ind.unit in units else None,
        department_en=", ".join(departments.get(part, "") for part in ind.department.split("、"))
        if all(part in departments for part in ind.department.split("、")) else None)
        for code, ind in indicators.items()}
    problems += [f"departments.yaml: no English name for {part} (indicator {ind.code})"
                 for ind in indicators.values() for part in ind.department.split("、") if part not in departments]
    catalogue = Catalogue(indicators, units, targets, regions, regulation)
    catalogue.problems = problems + check(catalogue)
    if strict and catalogue.problems:
        raise ConfigError(catalogue.problems)
    return catalogue


@functools.cache
def default_catalogue() -> Catalogue:
    """The shipped catalogue, loaded once per process."""
    return load_catalogue()


# ── cross-checks ─────────────────────────────────────────────────────────────────────────────────────

def check(cat: Catalogue) -> list[str]:
    """Every inconsistency between the parts of the catalogue, as one message each (empty = consistent)."""
    out = list(cat.regions.problems())
    existing = cat.regulation.existing()
    for ind in cat.indicators.values():
        out += _check_indicator(cat, ind, existing)
    out += _check_cycles(cat)
    for feature in cat.regulation.features:
        for article in feature.articles:
            if article not in existing:
                out.append(f"regulation.yaml: feature {feature.id} cites article {article}, which is missing or "
                           "does not exist")
    for t in cat.targets:
        where = f"targets.csv: {t.indicator_code} {t.region_code} {t.year}"
        if t.indicator_code not in cat.indicators:
            out.append(f"{where}: target for unknown indicator {t.indicator_code}")
        if t.region_code not in cat.regions.by_code:
            out.append(f"{where}: target for unknown region {t.region_code}")
        if t.comparison not in COMPARISONS:
            out.append(f"{where}: comparison {t.comparison!r} is not one of {COMPARISONS}")
        if t.kind not in TARGET_KINDS:
            out.append(f"{where}: kind {t.kind!r} is not one of {TARGET_KINDS}")
        if t.provenance not in PROVENANCES:
            out.append(f"{where}: provenance {t.provenance!r} is not one of {PROVENANCES}")
        elif t.provenance == "official" and not (t.source_id and t.source_url and t.verification in ("R", "R*")):
            out.append(f"{where}: an official target needs source_id, source_url and verification R or R*")
        elif t.provenance == "official" and not (t.issuer_zh and t.issuer_en and t.source_kind in SOURCE_KINDS):
            out.append(f"{where}: an official target needs its issuer (issuer_zh, issuer_en) and source_kind "
                       f"({', '.join(SOURCE_KINDS)})")
        if not math.isfinite(t.value):
            out.append(f"{where}: value is not a number")
    return out


def _check_indicator(cat: Catalogue, ind: Indicator, existing: set[int]) -> list[str]:
    out: list[str] = []
    c = f"indicators.yaml: {ind.code}"
    if not CODE_RE.match(ind.code):
        out.append(f"{c}: code does not match AA-NN or AA-NNx")
    for field_name, allowed in (("polarity", POLARITIES), ("frequency", FREQUENCIES), ("measure", MEASURES),
                                ("aggregation", AGGREGATIONS), ("data_type", DATA_TYPES)):
        if getattr(ind, field_name) not in allowed:
            out.append(f"{c}: {field_name} {getattr(ind, field_name)!r} is not one of {', '.join(allowed)}")
    if ind.chapter not in cat.regulation.chapters:
        out.append(f"{c}: chapter {ind.chapter} is not a chapter of the regulation")
    for article in ind.articles:
        if article not in cat.regulation.articles:
            out.append(f"{c}: cites article {article}, which does not exist in the regulation")
        elif article not in existing:
            out.append(f"{c}: cites article {article}, whose text is missing in the source")
    if MONITORING_ARTICLE not in ind.articles:
        out.append(f"{c}: must cite Art. {MONITORING_ARTICLE} (statistics and monitoring)")
    if cat.unit(ind.unit) is None:
        out.append(f"{c}: unit {ind.unit!r} has no entry in units.yaml (no conversion known)")
    elif (ind.min is None or ind.max is None) and cat.unit(ind.unit).plausible_max is None:
        out.append(f"{c}: without min and max, its unit's dimension {cat.unit(ind.unit).dimension!r} needs a "
                   "plausible max in units.yaml `dimensions`")
    bad_levels = [lv for lv in ind.levels if lv not in LEVELS]
    if bad_levels or not ind.levels:
        out.append(f"{c}: levels {list(ind.levels)} must be a non-empty subset of {LEVELS}")
    if ind.min is not None and ind.max is not None and ind.min > ind.max:
        out.append(f"{c}: min {ind.min} is greater than max {ind.max}")
    if ind.aggregation == "derived":
        if not ind.formula:
            out.append(f"{c}: aggregation derived needs a formula")
        else:
            try:
                refs = formulas.validate(ind.formula)
            except formulas.FormulaError as exc:
                out.append(f"{c}: {exc}")
                refs = []
            for ref in refs:
                if ref not in cat.indicators:
                    out.append(f"{c}: formula refers to unknown indicator {ref}")
    elif ind.formula:
        out.append(f"{c}: has a formula but aggregation is {ind.aggregation}")
    if ind.aggregation == "weighted_mean":
        if not ind.weight:
            out.append(f"{c}: aggregation weighted_mean needs a weight indicator")
        elif ind.weight not in cat.indicators:
            out.append(f"{c}: weight refers to unknown indicator {ind.weight}")
    if ind.index_weight and ind.polarity == "context":
        out.append(f"{c}: a context indicator cannot carry an index weight")
    return out


def _check_cycles(cat: Catalogue) -> list[str]:
    """Derived indicators must not depend on themselves through other derived indicators."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    out: list[str] = []

    def visit(code: str, path: list[str]) -> None:
        state[code] = 1
        ind = cat.indicators[code]
        for ref in ind.inputs if ind.is_derived else []:
            if ref not in cat.indicators:
                continue
            if state.get(ref) == 1:
                cycle = path[path.index(ref):] + [ref] if ref in path else [code, ref]
                out.append(f"indicators.yaml: cycle among derived indicators: {' → '.join(cycle)}")
            elif state.get(ref) is None:
                visit(ref, path + [ref])
        state[code] = 2

    for code in cat.indicators:
        if state.get(code) is None:
            visit(code, [code])
    return out
