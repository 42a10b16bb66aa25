"""The derived layer (table `facts`), recomputed inside the staging warehouse every time a load publishes.

From the current observations it builds, for every indicator, region and period:
1. spatial aggregates at the native frequency, county → league → region, by the catalogue rule
   (sum; weighted_mean by the weight indicator; none), keeping a region's own reported value first and the
   aggregate beside it so that reconciliation is visible, with coverage ("11 of 12 leagues");
2. annual values rolled up from quarterly and monthly series by the indicator's measure
   (stock → Q4/December value; flow → sum of the periods; ytd → the December cumulative), labelled
   year-to-date while the year is in progress and incomplete when periods are missing;
3. derived indicators from their formulas, at every level from that level's own inputs (never averaged),
   only where every input exists.
An aggregate is only given when every child has a value (a total missing a component is not published);
the coverage row still says how many reported. Readers only ever SELECT from `facts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from indicators.base import formula as formulas
from indicators.base import periods
from indicators.base.catalogue import Catalogue
from indicators.storage.warehouse import registered

FREQ_OF_KIND = {"A": "annual", "Q": "quarterly", "M": "monthly"}
PERIODS_PER_YEAR = {"quarterly": 4, "monthly": 12}
FACT_COLUMNS = ["indicator_code", "region_code", "region_level", "period", "year", "sub", "frequency", "value",
                "amount", "status", "basis", "reported_value", "aggregated_value", "reconciliation_diff",
                "reconciliation_ok", "coverage_n", "coverage_total", "complete", "ytd_through", "synthetic",
                "revised", "batch_id", "source", "rolled_up_from"]
# Typed, with CHECKs as the last line of defence: a derived layer holding inf or NaN is never published (the
# insert fails and the writer discards its staging copy). NULL is a value that cannot be given.
FACTS_TABLE = """
CREATE OR REPLACE TABLE facts (
    indicator_code VARCHAR NOT NULL, region_code VARCHAR NOT NULL, region_level VARCHAR, period VARCHAR NOT NULL,
    year BIGINT, sub BIGINT, frequency VARCHAR,
    value DOUBLE CHECK (isfinite(value)), amount DOUBLE CHECK (isfinite(amount)),
    status VARCHAR, basis VARCHAR,
    reported_value DOUBLE CHECK (isfinite(reported_value)), aggregated_value DOUBLE CHECK (isfinite(aggregated_value)),
    reconciliation_diff DOUBLE, reconciliation_ok BOOLEAN, coverage_n BIGINT, coverage_total BIGINT, complete BOOLEAN,
    ytd_through VARCHAR, synthetic BOOLEAN, revised BOOLEAN, batch_id BIGINT, source VARCHAR,
    rolled_up_from VARCHAR)"""
SOURCE_SEPARATOR = "；"  # the sources of the real inputs of a total, a roll-up or a derived value, each once
DECIMALS = 9  # sums of converted values are rounded here: 12 leagues' census counts in 万人 sum to 2404.9155


def _reported(obs: pd.DataFrame, cat: Catalogue) -> pd.DataFrame:
    freq = {c: i.frequency for c, i in cat.indicators.items()}
    level = {c: r.level for c, r in cat.regions.by_code.items()}
    out = obs.assign(frequency=obs["indicator_code"].map(freq), region_level=obs["region_code"].map(level),
                     status="reported", basis="native", reported_value=obs["value"], aggregated_value=np.nan,
                     coverage_n=pd.NA, coverage_total=pd.NA, complete=True, ytd_through=None)
    return out


KEYS = ["indicator_code", "parent", "period", "year", "sub", "frequency"]


def _real_sources(rows: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Per group: the distinct sources of its real (not synthetic) rows, joined — a total of real figures names
    every source it rests on; synthetic inputs are marked by the synthetic flag, not listed as sources."""
    real = rows.loc[~rows["synthetic"].astype(bool) & rows["source"].notna(), [*keys, "source"]]
    real = real[real["source"].astype(str).str.strip() != ""]
    if real.empty:
        return pd.Series(dtype=object, index=pd.MultiIndex.from_tuples([], names=keys) if len(keys) > 1 else None)
    return real.drop_duplicates().groupby(keys, sort=False)["source"].agg(
        lambda s: SOURCE_SEPARATOR.join(sorted(set(s))))


def _sums(kids: pd.DataFrame, n_children: pd.Series) -> pd.DataFrame:
    """Totals of every sum indicator; only when every child has a value (coverage kept either way)."""
    grouped = kids.groupby(KEYS, dropna=False).agg(total=("value", "sum"), n=("value", "size"),
                                                     synthetic=("synthetic", "any")).reset_index()
    expected = grouped["parent"].map(n_children).to_numpy()
    complete = grouped["n"].to_numpy() == expected
    sources = _real_sources(kids, KEYS)
    return grouped.assign(value=np.where(complete, np.round(grouped["total"], DECIMALS), np.nan),
                          coverage_n=grouped["n"], coverage_total=expected,
                          source=grouped.set_index(KEYS).index.map(sources.to_dict()) if len(sources) else None)


def _weighted_means(final: pd.DataFrame, kids: pd.DataFrame, cat: Catalogue, child_level: str,
                    parent_of: dict[str, str]) -> pd.DataFrame:
    """Σ value × weight / Σ weight over the children that carry weight (e.g. PUE by racks: a county without
    data centres has no weight and does not count against coverage); complete when all of them report."""
    weight_of = {c: i.weight for c, i in cat.indicators.items() if i.aggregation == "weighted_mean"}
    if not weight_of:  # (the shipped catalogue models every ratio as a formula over its components)
        return pd.DataFrame(columns=[*KEYS[:1], "parent", "period", "year", "sub", "frequency", "value", "synthetic",
                                     "coverage_n", "coverage_total"])
    weights = final[(final["region_level"] == child_level) & final["indicator_code"].isin(set(weight_of.values()))
                    & (final["value"] > 0)][["indicator_code", "region_code", "period", "value"]]
    pairs = pd.DataFrame({"indicator_code": list(weight_of), "weight_code": list(weight_of.values())})
    base = pairs.merge(weights.rename(columns={"indicator_code": "weight_code", "value": "w"}), on="weight_code")
    base = base.merge(kids[["indicator_code", "region_code", "period", "year", "sub", "frequency", "value",
                            "synthetic"]], on=["indicator_code", "region_code", "period"], how="left")
    base = base.assign(parent=base["region_code"].map(parent_of))
    base["year"] = base["year"].fillna(base["period"].str[:4].astype(int))
    base["sub"], base["frequency"] = base["sub"].fillna(0), base["frequency"].fillna("annual")
    has = base["value"].notna()
    base = base.assign(vw=(base["value"] * base["w"]).where(has, 0.0), w_has=base["w"].where(has, 0.0),
                       n_has=has.astype(int), synthetic=base["synthetic"].fillna(False).astype(bool))
    keys = ["indicator_code", "parent", "period"]
    g = base.groupby(keys).agg(vw=("vw", "sum"), w=("w_has", "sum"), coverage_n=("n_has", "sum"),
                               coverage_total=("w", "size"), synthetic=("synthetic", "any"), year=("year", "max"),
                               sub=("sub", "max"), frequency=("frequency", "first")).reset_index()
    complete = (g["coverage_n"] == g["coverage_total"]) & (g["w"] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        g["value"] = np.where(complete, g["vw"] / g["w"], np.nan)
    return g[g["coverage_n"] > 0]


def _aggregate_level(children: pd.DataFrame, cat: Catalogue, child_level: str,
                     parent_of: dict[str, str]) -> pd.DataFrame:
    """Aggregates at the level above child_level from that level's rows, for every sum and weighted_mean
    indicator and period."""
    rule = {c: i.aggregation for c, i in cat.indicators.items()}
    columns = ["indicator_code", "region_code", "region_level", "period", "year", "sub", "frequency", "value",
               "synthetic", "source"]  # only what aggregation reads: filtering a wide frame copies every text column
    kids = children.loc[children["value"].notna(), columns]
    kids = kids.assign(parent=kids["region_code"].map(parent_of), rule=kids["indicator_code"].map(rule))
    sums = _sums(kids[kids["rule"] == "sum"], pd.Series(parent_of).value_counts())
    means = _weighted_means(children, kids[kids["rule"] == "weighted_mean"], cat, child_level, parent_of)
    agg = pd.concat([f for f in (sums, means) if len(f)] or [sums], ignore_index=True)  # (typed columns kept)
    agg = agg.rename(columns={"parent": "region_code"})
    agg["aggregated_value"] = agg["value"]
    if "source" not in agg.columns:
        agg["source"] = None
    return agg[["indicator_code", "region_code", "period", "year", "sub", "frequency", "value", "aggregated_value",
                "coverage_n", "coverage_total", "synthetic", "source"]]


def _merge_level(rows: pd.DataFrame, agg: pd.DataFrame, level: str, tolerance: float) -> pd.DataFrame:
    """Put aggregates beside the level's reported values (`rows`): reported first, the aggregate kept for
    reconciliation; aggregates where nothing was reported become rows of their own."""
    if agg.empty:
        return rows
    key = ["indicator_code", "region_code", "period"]
    reported = rows.drop(columns=["aggregated_value", "coverage_n", "coverage_total"])
    merged = reported.merge(agg[key + ["aggregated_value", "coverage_n", "coverage_total"]], on=key, how="left")
    # (a reported value keeps its own source; an aggregate's sources are those of the real values it sums)
    diff = merged["reported_value"] - merged["aggregated_value"]
    merged["reconciliation_diff"] = diff
    merged["reconciliation_ok"] = (diff.abs() <= tolerance * merged["reported_value"].abs()).where(diff.notna())
    only_agg = agg.merge(reported[key], on=key, how="left", indicator=True)
    only_agg = only_agg[only_agg["_merge"] == "left_only"].drop(columns="_merge")
    only_agg = only_agg.assign(region_level=level, status="aggregated", basis="native", reported_value=np.nan,
                               complete=only_agg["value"].notna(), ytd_through=None, revised=False, batch_id=pd.NA)
    return pd.concat([merged, only_agg], ignore_index=True)


def _aggregate(final: pd.DataFrame, cat: Catalogue, tolerance: float) -> pd.DataFrame:
    """County → league, then league → region (from the leagues' final values, reported first). Each level is
    handled as its own frame and the three are put together once."""
    final = final.assign(aggregated_value=np.nan, coverage_n=np.nan, coverage_total=np.nan)
    names = ("county", "league", "region")
    levels = {level: final[final["region_level"] == level] for level in names}
    for child_level, level, units in (("county", "league", cat.regions.counties()),
                                      ("league", "region", cat.regions.leagues())):
        parent_of = {r.code: r.parent_code for r in units}
        agg = _aggregate_level(levels[child_level], cat, child_level, parent_of)
        levels[level] = _merge_level(levels[level], agg, level, tolerance)
    return pd.concat([final[~final["region_level"].isin(names)], *levels.values()], ignore_index=True)


def _rollup(final: pd.DataFrame, cat: Catalogue, today: date) -> pd.DataFrame:
    """Annual values of quarterly and monthly series by measure: stock → last period, flow → sum, ytd → December.
    A year in progress is labelled year-to-date (ytd_through); a past year with periods missing is incomplete
    (a stock without its Q4/December value gets no annual value at all).

    A stock or ytd annual value *is* its last period's value, so it is that value's: its status, synthetic flag,
    batch, source and revision, with rolled_up_from naming the period (real 2023Q4 = 60 000 5G base stations stay
    real and sourced in 2023, whatever the quarters before were). A flow's sum is synthetic only if one of its
    periods is, names the sources of its real periods, and keeps a batch only when all came in one."""
    measure = {c: i.measure for c, i in cat.indicators.items()}
    per_year = {c: PERIODS_PER_YEAR.get(i.frequency, 1) for c, i in cat.indicators.items()}
    columns = ["indicator_code", "region_code", "region_level", "year", "sub", "frequency", "value", "synthetic",
               "status", "batch_id", "source", "revised"]  # only what the roll-up reads
    rows = final.loc[(final["frequency"] != "annual") & final["value"].notna(), columns].sort_values("sub")
    if rows.empty:
        return final
    keys = ["indicator_code", "region_code", "region_level", "year", "frequency"]
    rows = rows.assign(is_reported=rows["status"] == "reported", synthetic=rows["synthetic"].fillna(False).astype(bool),
                       revised=rows["revised"].fillna(False).astype(bool))
    g = rows.groupby(keys, sort=False)
    annual = g.agg(first_sub=("sub", "min"), last_sub=("sub", "max"), last_value=("value", "last"),
                   total=("value", "sum"), count=("value", "size"), any_synthetic=("synthetic", "any"),
                   all_reported=("is_reported", "all"), batches=("batch_id", "nunique"),
                   any_revised=("revised", "any")).reset_index()
    # the last period's own attributes (groupby's "last" would skip a missing batch or source)
    last = rows.drop_duplicates(keys, keep="last").set_index(keys)[["status", "synthetic", "batch_id", "source",
                                                                     "revised"]]
    annual = annual.join(last, on=keys)
    flow_batch = g["batch_id"].first().reindex(pd.MultiIndex.from_frame(annual[keys])).to_numpy()
    sources = _real_sources(rows, keys)
    flow_source = (pd.MultiIndex.from_frame(annual[keys]).map(sources.to_dict()) if len(sources)
                   else np.full(len(annual), None))
    m = annual["indicator_code"].map(measure).to_numpy()
    n = annual["indicator_code"].map(per_year)
    flow = m == "flow"
    full = np.where(flow, annual["count"] == n, annual["last_sub"] == n)
    keep = full | (annual["year"] >= today.year) | (m != "stock")
    value = np.where(flow, annual["total"], annual["last_value"])
    through = [periods.code(y, s, f) for y, f, s in zip(annual["year"], annual["frequency"], annual["last_sub"],
                                                       strict=True)]
    first = [periods.code(y, s, f) for y, f, s in zip(annual["year"], annual["frequency"], annual["first_sub"],
                                                     strict=True)]
    one_batch = annual["batches"].to_numpy() == 1
    annual = annual.assign(
        value=np.round(value, DECIMALS), complete=full, ytd_through=np.where(full, None, through),
        period=annual["year"].astype(int).astype(str), sub=0, frequency="annual", basis="rollup",
        status=np.where(flow, np.where(annual["all_reported"], "reported", "aggregated"), annual["status"]),
        synthetic=np.where(flow, annual["any_synthetic"], annual["synthetic"]),
        batch_id=np.where(flow, np.where(one_batch, flow_batch, pd.NA), annual["batch_id"]),
        source=np.where(flow, flow_source, annual["source"]),
        revised=np.where(flow, annual["any_revised"], annual["revised"]),
        rolled_up_from=np.where(flow, [f"{a}–{b}" if a != b else a for a, b in zip(first, through, strict=True)],
                                through),
        reported_value=np.nan, aggregated_value=np.nan)[keep]
    annual = annual.drop(columns=["first_sub", "last_sub", "last_value", "total", "count", "any_synthetic",
                                  "all_reported", "batches", "any_revised"])
    return pd.concat([final, annual], ignore_index=True)


def _ytd_amounts(final: pd.DataFrame, cat: Catalogue) -> pd.Series:
    """Monthly amount of a year-to-date series: the difference of successive cumulative values (January as is)."""
    ytd = [c for c, i in cat.indicators.items() if i.measure == "ytd"]
    amount = pd.Series(np.nan, index=final.index)
    rows = final[final["indicator_code"].isin(ytd) & (final["frequency"] == "monthly")].sort_values("sub")
    if rows.empty:
        return amount
    g = rows.groupby(["indicator_code", "region_code", "year"])
    prev_value, prev_sub = g["value"].shift(1), g["sub"].shift(1)
    diff = np.where(rows["sub"] == 1, rows["value"], np.where(prev_sub == rows["sub"] - 1, rows["value"] - prev_value,
                                                               np.nan))
    amount.loc[rows.index] = diff
    return amount


def _derive(final: pd.DataFrame, cat: Catalogue) -> pd.DataFrame:
    """Derived indicators in dependency order, each from the rows of its inputs (earlier derived ones included);
    the pieces are put beside `final` once at the end instead of copying it for every indicator."""
    columns = ["indicator_code", "region_code", "region_level", "period", "year", "sub", "frequency", "value",
               "synthetic", "complete", "ytd_through", "source"]
    positions = final.groupby("indicator_code", sort=False).indices  # code → row positions, found once
    pieces: list[pd.DataFrame] = []
    made: dict[str, pd.DataFrame] = {}
    for ind in cat.derived_order():
        inputs = ind.inputs
        parts = [final.iloc[positions[c], :].loc[:, columns] for c in inputs if c in positions]
        parts += [made[c][columns] for c in inputs if c in made]
        rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
        rows = rows[(rows["frequency"] == ind.frequency) & rows["value"].notna()]
        if rows.empty:
            continue
        keys = ["region_code", "region_level", "period", "year", "sub", "frequency"]
        wide = rows.pivot_table(index=keys, columns="indicator_code", values="value", aggfunc="first")
        if any(c not in wide.columns for c in inputs):
            continue
        wide = wide.dropna(subset=inputs)
        rows = rows.assign(synthetic=rows["synthetic"].fillna(False).astype(bool))
        flags = rows.groupby(keys).agg(synthetic=("synthetic", "any"), complete=("complete", "all"))
        flags["source"] = _real_sources(rows, keys).reindex(flags.index)  # every real input's source
        # ytd_through is text on a few rows (years in progress): a max over every group would run per group in
        # Python; take it over the rows that have one
        partial = rows[rows["ytd_through"].notna()]
        flags["ytd_through"] = partial.groupby(keys)["ytd_through"].agg(lambda s: max(s)).reindex(flags.index)
        values = formulas.evaluate(ind.formula, {c: wide[c].to_numpy() for c in inputs})
        derived = wide.reset_index()[keys].assign(indicator_code=ind.code, value=values)
        derived = derived.merge(flags.reset_index(), on=keys, how="left")
        derived = derived[derived["value"].notna()].assign(
            status="derived", basis="formula", reported_value=np.nan, aggregated_value=np.nan, revised=False,
            batch_id=pd.NA)
        made[ind.code] = derived
        pieces.append(derived)
    return pd.concat([final, *pieces], ignore_index=True) if pieces else final


def build_facts(obs: pd.DataFrame, cat: Catalogue, today: date, tolerance: float = 0.01) -> pd.DataFrame:
    final = _reported(obs, cat)
    final = _aggregate(final, cat, tolerance)
    final = _rollup(final, cat, today)
    final["amount"] = _ytd_amounts(final, cat)
    final = _derive(final, cat)
    for col in FACT_COLUMNS:
        if col not in final.columns:
            final[col] = pd.NA
    facts = final[FACT_COLUMNS].copy()
    facts["year"] = facts["year"].astype("int64")
    facts["sub"] = facts["sub"].astype("int64")
    facts["coverage_n"] = pd.to_numeric(facts["coverage_n"]).astype("Int64")
    facts["coverage_total"] = pd.to_numeric(facts["coverage_total"]).astype("Int64")
    facts["batch_id"] = pd.to_numeric(facts["batch_id"]).astype("Int64")
    for col in ("synthetic", "revised", "complete"):
        facts[col] = facts[col].astype("boolean").fillna(False).astype(bool)
    facts["reconciliation_ok"] = facts["reconciliation_ok"].astype("boolean")
    facts["ytd_through"] = facts["ytd_through"].astype(object).where(facts["ytd_through"].notna(), None)
    return facts  # in no particular order: refresh() stores it sorted


def current_observations(con: duckdb.DuckDBPyConnection, indicators: Sequence[str] | None = None,
                         years: Sequence[int] | None = None) -> pd.DataFrame:
    """The current observations (all, or of these indicators and years) with whether each is a revision."""
    return con.execute("""
        SELECT o.indicator_code, o.region_code, o.period, o.year, o.sub, o.value, o.synthetic, o.source, o.batch_id,
               EXISTS (SELECT 1 FROM observations p WHERE p.superseded_by = o.batch_id
                       AND p.indicator_code = o.indicator_code AND p.region_code = o.region_code
                       AND p.period = o.period) AS revised
        FROM current_observations o
        WHERE ($all_ind OR list_contains($ind, o.indicator_code)) AND ($all_years OR list_contains($years, o.year))""",
                       {"all_ind": indicators is None, "ind": list(indicators or []), "all_years": years is None,
                        "years": [int(y) for y in years or []]}).df()


def refresh(con: duckdb.DuckDBPyConnection, cat: Catalogue, today: date, tolerance: float) -> int:
    """Rebuild `facts` from all current observations (inside the writer's staging file)."""
    facts = build_facts(current_observations(con), cat, today, tolerance)
    # sorted by indicator and region, so that a reader's filter on them skips most row groups; DuckDB sorts in
    # parallel, and writes the sorted table faster than an unsorted one
    with registered(con, facts, "_facts") as table:
        con.execute(FACTS_TABLE)
        con.execute(f"""INSERT INTO facts BY NAME SELECT * FROM {table}
                        ORDER BY indicator_code, region_code, year, frequency, sub""")
    return len(facts)


# ── incremental: only the slices a load can change ──────────────────────────────────────────────────
# Every fact of an indicator in a year rests only on the observations of that year — of the indicator itself
# (all regions: the totals and the roll-up of its quarters or months) and of the inputs of its formula or the
# weight of its mean. So a load that touched (indicator, year) slices changes exactly those slices and the same
# years of the derived indicators that use them, and nothing else. (The clock enters only through the calendar
# year, which is part of the publish step's fingerprint: a new year rebuilds everything.)

def dependants(cat: Catalogue) -> dict[str, set[str]]:
    """code → the indicators computed from it (formula input or weight), directly."""
    out: dict[str, set[str]] = {}
    for ind in cat.indicators.values():
        for code in ind.inputs:
            out.setdefault(code, set()).add(ind.code)
    return out


def affected_slices(cat: Catalogue, touched: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """The touched (indicator, year) slices and, transitively, the same years of everything derived from them:
    {('DI-01', 2023)} → {('DI-01', 2023), ('DI-02', 2023)} (DI-02 = DI-01 ÷ CX-02)."""
    using, out, todo = dependants(cat), set(touched), list(touched)
    while todo:
        code, year = todo.pop()
        for user in using.get(code, ()):
            if (user, year) not in out:
                out.add((user, year))
                todo.append((user, year))
    return out


def _inputs_closure(cat: Catalogue, codes: set[str]) -> set[str]:
    """The indicators and, transitively, their formula inputs and weights: what recomputing them reads."""
    out, todo = set(), list(codes)
    while todo:
        code = todo.pop()
        if code in out or code not in cat.indicators:
            continue
        out.add(code)
        todo += cat.indicators[code].inputs
    return out


def update(con: duckdb.DuckDBPyConnection, cat: Catalogue, today: date, tolerance: float,
           touched: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """Recompute only the facts of the slices a load touched and of what derives from them; returns the slices
    rewritten. Equal to a full refresh (tests/test_incremental.py proves it on random revisions)."""
    slices = affected_slices(cat, touched)
    if not slices:
        return slices
    codes = _inputs_closure(cat, {code for code, _ in slices})
    years = sorted({year for _, year in slices})
    facts = build_facts(current_observations(con, sorted(codes), years), cat, today, tolerance)
    keys = pd.DataFrame(sorted(slices), columns=["indicator_code", "year"])
    facts = facts.merge(keys, on=["indicator_code", "year"])
    with registered(con, keys, "_slices") as table:
        con.execute(f"""DELETE FROM facts f USING {table} s
                        WHERE f.indicator_code = s.indicator_code AND f.year = s.year""")
    with registered(con, facts, "_facts") as table:
        con.execute(f"""INSERT INTO facts BY NAME SELECT * FROM {table}
                        ORDER BY indicator_code, region_code, year, frequency, sub""")
    return slices
