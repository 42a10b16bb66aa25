"""How fragile the composite index is, as text tables both the index page and the bulletin show: the warning on
chapters resting on too few indicators, the coverage of each chapter by year, and the rank of each league under
the chosen weights beside its ranks when a chapter is left out or every indicator weighs the same.

Pure functions of the engine's frames (indicators.composite: chapter_basis, chapter_coverage, scenarios); every
number goes through dashboard.numbers, so a tie reads "3=" here as everywhere.
Example: sensitivity_frame(runs, names, "zh") → rows like {rank: '3', region_name: '鄂尔多斯市', score: '79.0',
range: '1–10', without:8: '10', …}.
"""

from __future__ import annotations

import pandas as pd

from dashboard import numbers
from dashboard.i18n import t
from indicators.engine.composite import CHOSEN, EQUAL, rank_ranges


def scenario_label(scenario: str, lang: str) -> str:
    """'without:3' → 去掉第3章 / without ch. 3; 'equal_indicators' → 指标等权 / equal indicator weights."""
    if scenario.startswith("without:"):
        return t("without_chapter", lang).format(n=scenario.split(":", 1)[1])
    return t("equal_weights" if scenario == EQUAL else "chosen_weights", lang)


def fragile_warning(basis: pd.DataFrame, minimum: int, lang: str) -> str | None:
    """One sentence naming the weighted chapters that rest on fewer than `minimum` indicators (None if none)."""
    thin = basis[basis["fragile"]]
    if thin.empty:
        return None
    sep = "、" if lang == "zh" else ", "
    listed = sep.join(t("chapter_n_indicators", lang).format(n=int(r.chapter), k=int(r.indicators))
                      for r in thin.itertuples())
    return t("fragile_warning", lang).format(chapters=listed, minimum=minimum)


def sensitivity_frame(runs: pd.DataFrame, names: dict[str, str], lang: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """One row per league, best first: rank and score under the chosen weights, rank range over every scenario,
    and the rank in each scenario (ties marked). Returns the frame and its {column: header}."""
    summary = rank_ranges(runs)
    wide = runs.pivot(index="region_code", columns="scenario", values="rank")
    order = [CHOSEN] + sorted((s for s in wide.columns if s.startswith("without:")),
                              key=lambda s: int(s.split(":")[1])) + [EQUAL]
    labels = {s: numbers.rank_labels(wide[s].astype("Int64")) for s in order if s in wide.columns}
    rows = []
    for r in summary.itertuples():
        row = {"region_code": r.region_code, "region_name": names.get(r.region_code, r.region_code),
               "score": numbers.score(r.score), "range": _range(r.rank_min, r.rank_max)}
        row.update({s: labels[s].get(r.region_code, numbers.DASH) for s in labels})
        rows.append(row)
    columns = {CHOSEN: t("rank", lang), "region_name": t("region_name", lang), "score": t("composite", lang),
               "range": t("rank_range", lang)}
    columns.update({s: scenario_label(s, lang) for s in order[1:] if s in labels})
    return pd.DataFrame(rows, columns=["region_code", *columns]), columns


def _range(lo: object, hi: object) -> str:
    if not (numbers.finite(lo) and numbers.finite(hi)):
        return numbers.DASH
    return str(int(lo)) if int(lo) == int(hi) else f"{int(lo)}–{int(hi)}"


def coverage_frame(coverage: pd.DataFrame, basis: pd.DataFrame, chapter_labels: dict[int, str], years: list[int],
                   lang: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """One row per chapter of the index: how many indicators it rests on, its weight, a fragility flag, and for
    each year the values present over those expected (leagues × indicators, e.g. '47/48')."""
    totals = coverage[coverage["year"].isin(years)].groupby(["chapter", "year"])[["with_value", "indicators"]].sum()
    leagues = coverage["region_code"].nunique()
    rows = []
    for r in basis.itertuples():
        row = {"chapter": chapter_labels.get(r.chapter, str(r.chapter)), "indicators": str(int(r.indicators)),
               "weight": f"{r.weight:g}", "flag": t("fragile", lang) if r.fragile else ""}
        for y in years:
            have, expected = (totals.loc[(r.chapter, y)] if (r.chapter, y) in totals.index
                              else (0, int(r.indicators) * leagues))
            row[str(y)] = f"{int(have)}/{int(expected)}"
        rows.append(row)
    columns = {"chapter": t("chapter", lang), "indicators": t("indicator_count", lang), "weight": t("weight", lang),
               "flag": t("note", lang), **{str(y): str(y) for y in years}}
    return pd.DataFrame(rows, columns=list(columns)), columns
