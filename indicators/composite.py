"""The composite digital-economy index of the 12 leagues (DESI-style), with chapter sub-indices and ranks.

Each indicator carrying an index_weight is normalised min–max with bounds fixed over the reference period up to
the base year — every league and year up to it (so scores stay comparable over time; a later year can leave
[0, 1] as leagues improve), flipped for lower-is-better, averaged within its chapter
by index_weight, and chapters are combined with chapter weights (settings, or overridden per call).
Missing values follow settings [index] missing: `reweight` (default: average over what is available and
report coverage), `zero` (a missing indicator scores 0), `exclude_region` (a league missing any indicator gets
no index). A chapter whose available weight share is below min_coverage gets no sub-index.
Example: a league best on every indicator over the reference period scores 100 there.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from indicators.catalogue import Catalogue
from indicators.query import values
from indicators.settings import Index


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


def indicator_scores(con: duckdb.DuckDBPyConnection, cat: Catalogue, year: int, p: Index) -> pd.DataFrame:
    """Normalised score (0–1 over the reference period) of every index indicator for every league in `year`;
    read from the table precomputed at publish when it was computed with these parameters."""
    from indicators import precompute

    if precompute.stored(con, precompute.SCORES_TABLE, p, year):
        return con.execute(f"SELECT * EXCLUDE (year) FROM {precompute.SCORES_TABLE} WHERE year = ?", [year]).df()
    return compute_indicator_scores(con, cat, year, p)


def compute_indicator_scores(con: duckdb.DuckDBPyConnection, cat: Catalogue, year: int, p: Index) -> pd.DataFrame:
    codes = [i.code for i in cat.indicators.values() if i.in_index]
    frame = values(con, codes, level="league")
    frame = frame[frame["complete"]]
    bounds = _bounds(frame, p.base_year)
    current = frame[frame["year"] == year][["indicator_code", "region_code", "value", "synthetic"]]
    leagues = [r.code for r in cat.regions.leagues()]
    grid = pd.MultiIndex.from_product([codes, leagues], names=["indicator_code", "region_code"]).to_frame(index=False)
    out = grid.merge(current, on=["indicator_code", "region_code"], how="left").merge(bounds, on="indicator_code",
                                                                                      how="left")
    span = (out["hi"] - out["lo"]).replace(0, np.nan)
    score = (out["value"] - out["lo"]) / span
    lower = out["indicator_code"].map({c: cat.indicator(c).polarity == "lower_is_better" for c in codes})
    out["score"] = np.where(lower, 1 - score, score)
    out.loc[out["value"].notna() & span.isna(), "score"] = 1.0  # every league equal in the base year
    out["chapter"] = out["indicator_code"].map({c: cat.indicator(c).chapter for c in codes})
    out["weight"] = out["indicator_code"].map({c: cat.indicator(c).index_weight for c in codes})
    return out


def index_scores(con: duckdb.DuckDBPyConnection, cat: Catalogue, year: int, p: Index,
                 weights: dict[int, float] | None = None) -> pd.DataFrame:
    """Long table: one row per league and chapter (chapter 0 = the composite), score 0–100, rank, coverage."""
    chapter_weights = {**p.chapter_weights, **(weights or {})}
    ind = indicator_scores(con, cat, year, p)
    if p.missing == "zero":
        ind["score"] = ind["score"].fillna(0.0)
    ind["available"] = ind["score"].notna()
    ind["w_avail"] = ind["weight"].where(ind["available"], 0.0)
    ind["ws"] = (ind["score"] * ind["weight"]).where(ind["available"], 0.0)
    chapters = ind.groupby(["region_code", "chapter"]).agg(ws=("ws", "sum"), w_avail=("w_avail", "sum"),
                                                           w_total=("weight", "sum"), n=("available", "sum"),
                                                           n_total=("available", "size"),
                                                           synthetic=("synthetic", lambda s: bool(s.fillna(False).any()))
                                                           ).reset_index()
    chapters["coverage"] = chapters["w_avail"] / chapters["w_total"]
    with np.errstate(divide="ignore", invalid="ignore"):
        chapters["score"] = np.where(chapters["coverage"] >= p.min_coverage, 100 * chapters["ws"] / chapters["w_avail"],
                                     np.nan)
    chapters["chapter_weight"] = chapters["chapter"].map(chapter_weights).fillna(0.0)
    total = _composite(chapters, ind, p)
    out = pd.concat([chapters.drop(columns=["ws", "w_avail", "w_total"]), total], ignore_index=True)
    out["year"] = year
    out["rank"] = out.groupby("chapter")["score"].rank(ascending=False, method="min").astype("Int64")
    return out.sort_values(["chapter", "rank"]).reset_index(drop=True)


def _composite(chapters: pd.DataFrame, ind: pd.DataFrame, p: Index) -> pd.DataFrame:
    c = chapters[chapters["chapter_weight"] > 0]
    has = c["score"].notna()
    g = c.assign(wsc=(c["score"] * c["chapter_weight"]).where(has, 0.0),
                 w_avail=c["chapter_weight"].where(has, 0.0)).groupby("region_code")
    total = g.agg(wsc=("wsc", "sum"), w_avail=("w_avail", "sum"), w_total=("chapter_weight", "sum"),
                  n=("n", "sum"), n_total=("n_total", "sum"), synthetic=("synthetic", "any")).reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        total["score"] = total["wsc"] / total["w_avail"]
    total["coverage"] = total["n"] / total["n_total"]
    if p.missing == "exclude_region":
        complete = ind.groupby("region_code")["available"].all()
        total.loc[~total["region_code"].map(complete).fillna(False).astype(bool), "score"] = np.nan
    return total.assign(chapter=0, chapter_weight=np.nan).drop(columns=["wsc", "w_avail", "w_total"])
