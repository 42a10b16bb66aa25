"""The composite digital-economy index of the 12 leagues (DESI-style), with chapter sub-indices, ranks, coverage
and how much the ranks depend on the weights.

Each indicator carrying an index_weight is normalised min–max with bounds fixed over the reference period up to
the base year — every league and year up to it (so scores stay comparable over time; a later year can leave
[0, 1] as leagues improve), flipped for lower-is-better, averaged within its chapter
by index_weight, and chapters are combined with chapter weights (settings, or overridden per call).
Missing values follow settings [index] missing: `reweight` (default: average over what is available and
report coverage), `zero` (a missing indicator scores 0), `exclude_region` (a league missing any indicator gets
no index). A chapter whose available weight share is below min_coverage gets no sub-index.
Ranks are of the scores as published (SCORE_DECIMALS): equal shown scores share a rank.
Example: a league best on every indicator over the reference period scores 100 there.

Sensitivity (JRC/OECD Handbook on Constructing Composite Indicators, uncertainty and sensitivity analysis): the
ranks are recomputed with each weighted chapter left out in turn (the others keep their relative weights) and
with every index indicator weighted equally (chapters ignored); a league's rank range is the lowest and highest
rank over these scenarios and the chosen weights. Example with two chapters A (weight 1) and B (weight 1):
league x scores A 100, B 0 and league y scores A 40, B 50 → chosen: x 50 (1st), y 45 (2nd); without A: x 2nd;
without B: x 1st; x's range is 1–2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.base.catalogue import Catalogue
from indicators.base.settings import Index
from indicators.engine.query import ranks

SCORE_DECIMALS = 1  # index scores are published with one decimal (0–100), and ranked as published
CHOSEN, EQUAL = "chosen", "equal_indicators"  # sensitivity scenarios besides "without:<chapter>"
_ALL = -1  # the one pseudo-chapter holding every indicator when chapters are ignored


def _bounds(frame: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """Min and max over the leagues and every year up to the base year (the reference period), per indicator.
    Pooling the years keeps the bounds fixed once the base year is, and avoids dividing by the tiny spread of
    an indicator that is nearly saturated in one year (e.g. 5G coverage of villages at 97.9–98.6 %), which would
    blow every other year up to hundreds of points. An indicator without data up to the base year uses its
    first year with data."""
    first = frame.groupby("indicator_code")["year"].transform("min")
    reference = frame[(frame["year"] <= base_year) | (frame["year"] == first)]
    bounds = reference.groupby("indicator_code").agg(lo=("value", "min"), hi=("value", "max"),
                                                     bounds_year=("year", "max")).reset_index()
    return bounds


def index_codes(cat: Catalogue) -> list[str]:
    return [i.code for i in cat.indicators.values() if i.in_index]


def indicator_scores(frame: pd.DataFrame, cat: Catalogue, year: int, p: Index) -> pd.DataFrame:
    """Normalised score (0–1 over the reference period) of every index indicator for every league in `year`,
    from the complete annual league values of the index indicators, every year (query.league_values)."""
    codes = index_codes(cat)
    bounds = _bounds(frame, p.base_year)
    current = frame[frame["year"] == year][["indicator_code", "region_code", "value", "synthetic"]]
    leagues = [r.code for r in cat.regions.leagues()]
    grid = pd.MultiIndex.from_product([codes, leagues], names=["indicator_code", "region_code"]).to_frame(index=False)
    out = grid.merge(current, on=["indicator_code", "region_code"], how="left").merge(bounds, on="indicator_code",
                                                                                      how="left")
    out["synthetic"] = out["synthetic"].astype("boolean")  # typed even when no league has a value this year
    span = (out["hi"] - out["lo"]).replace(0, np.nan)
    score = (out["value"] - out["lo"]) / span
    lower = out["indicator_code"].map({c: cat.indicator(c).polarity == "lower_is_better" for c in codes})
    out["score"] = np.where(lower, 1 - score, score)
    out.loc[out["value"].notna() & span.isna(), "score"] = 1.0  # every league equal in the base year
    out["chapter"] = out["indicator_code"].map({c: cat.indicator(c).chapter for c in codes})
    out["weight"] = out["indicator_code"].map({c: cat.indicator(c).index_weight for c in codes})
    return out


def index_scores(ind: pd.DataFrame, p: Index, year: int, weights: dict[int, float] | None = None) -> pd.DataFrame:
    """Long table: one row per league and chapter (chapter 0 = the composite), score 0–100, rank, coverage."""
    out = combine(ind, p, {**p.chapter_weights, **(weights or {})})
    out["year"] = year
    return out


def combine(ind: pd.DataFrame, p: Index, chapter_weights: dict[int, float]) -> pd.DataFrame:
    """Indicator scores (indicator_scores' frame) → chapter sub-indices and the composite (chapter 0), each with
    its rank among the leagues. A pure function: the sensitivity scenarios call it with other weights."""
    chapters, available = _chapters(ind, p)
    chapters["chapter_weight"] = chapters["chapter"].map(chapter_weights).fillna(0.0)
    total = _composite(chapters, available, ind, p)
    out = pd.concat([chapters, total], ignore_index=True)
    out["rank"] = ranks(out["score"], SCORE_DECIMALS, by=out["chapter"])
    return out.sort_values(["chapter", "rank"]).reset_index(drop=True)


def _chapters(ind: pd.DataFrame, p: Index) -> tuple[pd.DataFrame, pd.Series]:
    """Chapter sub-indices (0–100) per league with their coverage, and which indicator scores are available."""
    score = ind["score"].fillna(0.0) if p.missing == "zero" else ind["score"]
    available = score.notna()
    # one plain sum per group: named aggregations cost ~10 ms each, and the sensitivity analysis recombines often
    parts = pd.DataFrame({"region_code": ind["region_code"], "chapter": ind["chapter"],
                          "ws": (score * ind["weight"]).where(available, 0.0),
                          "w_avail": ind["weight"].where(available, 0.0), "w_total": ind["weight"],
                          "n": available.astype(int), "n_total": 1,
                          "synthetic": ind["synthetic"].fillna(False).astype(bool)})
    chapters = parts.groupby(["region_code", "chapter"]).sum().reset_index()
    chapters["synthetic"] = chapters["synthetic"] > 0
    chapters["coverage"] = chapters["w_avail"] / chapters["w_total"]
    with np.errstate(divide="ignore", invalid="ignore"):
        chapters["score"] = np.where(chapters["coverage"] >= p.min_coverage, 100 * chapters["ws"] / chapters["w_avail"],
                                     np.nan)
    return chapters.drop(columns=["ws", "w_avail", "w_total"]), available


def _composite(chapters: pd.DataFrame, available: pd.Series, ind: pd.DataFrame, p: Index) -> pd.DataFrame:
    c = chapters[chapters["chapter_weight"] > 0]
    has = c["score"].notna()
    total = pd.DataFrame({"region_code": c["region_code"], "wsc": (c["score"] * c["chapter_weight"]).where(has, 0.0),
                          "w_avail": c["chapter_weight"].where(has, 0.0), "n": c["n"], "n_total": c["n_total"],
                          "synthetic": c["synthetic"]}).groupby("region_code").sum().reset_index()
    total["synthetic"] = total["synthetic"] > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        total["score"] = total["wsc"] / total["w_avail"]
    total["coverage"] = total["n"] / total["n_total"]
    if p.missing == "exclude_region":
        complete = available.groupby(ind["region_code"]).all()
        total.loc[~total["region_code"].map(complete).fillna(False).astype(bool), "score"] = np.nan
    return total.assign(chapter=0, chapter_weight=np.nan).drop(columns=["wsc", "w_avail"])


# ── how fragile the index is: coverage per chapter and sensitivity of the ranks ──────────────────────

def chapter_basis(cat: Catalogue, p: Index, weights: dict[int, float] | None = None) -> pd.DataFrame:
    """One row per chapter of the index: its weight, how many indicators it rests on, and whether that is fewer
    than [index] min_chapter_indicators (`fragile`: one league's one value then moves the whole sub-index)."""
    chosen = {**p.chapter_weights, **(weights or {})}
    codes = index_codes(cat)
    numbers = sorted(set(chosen) | {cat.indicator(c).chapter for c in codes})
    rows = [{"chapter": n, "weight": float(chosen.get(n, 0.0)),
             "indicators": sum(1 for c in codes if cat.indicator(c).chapter == n),
             "codes": [c for c in codes if cat.indicator(c).chapter == n]} for n in numbers]
    out = pd.DataFrame(rows)
    out["fragile"] = (out["weight"] > 0) & (out["indicators"] < p.min_chapter_indicators)
    return out


def chapter_coverage(frame: pd.DataFrame, cat: Catalogue) -> pd.DataFrame:
    """One row per chapter, league and year: how many of the chapter's index indicators have a value, of how
    many. `frame` holds league values of index indicators (league_values). Example: chapter 3 rests on DR-01
    alone, so a league without DR-01 in 2021 has 0 of 1 there."""
    codes = index_codes(cat)
    chapter_of = {c: cat.indicator(c).chapter for c in codes}
    leagues = [r.code for r in cat.regions.leagues()]
    years = sorted(frame["year"].unique()) if len(frame) else []
    have = frame[frame["value"].notna() & frame["indicator_code"].isin(codes)]
    counts = have.assign(chapter=have["indicator_code"].map(chapter_of)).groupby(
        ["chapter", "region_code", "year"]).size()
    totals = pd.Series(chapter_of).value_counts()
    grid = pd.MultiIndex.from_product([sorted(totals.index), leagues, years], names=["chapter", "region_code", "year"])
    out = pd.DataFrame(index=grid).reset_index()
    out["with_value"] = counts.reindex(grid, fill_value=0).to_numpy()
    out["indicators"] = out["chapter"].map(totals).astype(int)
    return out


def scenarios(ind: pd.DataFrame, p: Index, weights: dict[int, float] | None = None) -> pd.DataFrame:
    """Composite score and rank of every league under the chosen weights (`chosen`), with each weighted chapter
    left out in turn (`without:<n>`, the others reweighted) and with every index indicator weighted equally
    (`equal_indicators`, chapters ignored; the same missing-value rule). Long: region_code, scenario, score, rank."""
    chosen = {**p.chapter_weights, **(weights or {})}
    runs = {CHOSEN: chosen} | {f"without:{n}": {**chosen, n: 0.0} for n in sorted(c for c, w in chosen.items() if w > 0)}
    chapters, available = _chapters(ind, p)  # the sub-indices are the same in every run: only the weights change
    frames = []
    for name, chapter_weights in runs.items():
        total = _composite(chapters.assign(chapter_weight=chapters["chapter"].map(chapter_weights).fillna(0.0)),
                           available, ind, p)
        frames.append(total.assign(scenario=name, rank=ranks(total["score"], SCORE_DECIMALS)))
    equal = combine(ind.assign(chapter=_ALL, weight=1.0), p, {_ALL: 1.0})
    frames.append(equal[equal["chapter"] == 0].assign(scenario=EQUAL))
    return pd.concat(frames, ignore_index=True)[["region_code", "scenario", "score", "rank"]]


def rank_ranges(runs: pd.DataFrame) -> pd.DataFrame:
    """Per league: score and rank under the chosen weights, and the lowest and highest rank over every scenario
    (the chosen weights included), best first. Leagues without a chosen score come last."""
    chosen = runs[runs["scenario"] == CHOSEN].set_index("region_code")[["score", "rank"]]
    spread = runs.dropna(subset=["rank"]).groupby("region_code")["rank"].agg(rank_min="min", rank_max="max")
    out = chosen.join(spread).reset_index()
    for col in ("rank_min", "rank_max"):
        out[col] = out[col].astype("Int64")
    out["shift"] = (out["rank_max"] - out["rank_min"]).astype("Int64")
    return out.sort_values(["rank", "region_code"], na_position="last").reset_index(drop=True)
