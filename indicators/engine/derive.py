"""The derived layer (table `facts`), computed in DuckDB inside the staging warehouse when a load publishes: in full
(refresh) or for the slices a load can have changed (update).

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
the coverage row still says how many reported. Every value carries whether it is synthetic, the sources of its
real inputs and its observation status — the least final of its inputs (indicators.base.status: one estimated
league makes the region's total estimated). Readers only ever SELECT from `facts`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import date

import duckdb
import pandas as pd

from indicators.base import formula as formulas
from indicators.base import status
from indicators.base.catalogue import Catalogue
from indicators.storage.warehouse import first_row, registered

PERIODS_PER_YEAR = {"quarterly": 4, "monthly": 12}
# name, type, the CHECK of the stored table: a derived layer holding inf or NaN is never published (the insert
# fails and the writer discards its staging copy). NULL is a value that cannot be given.
FACT_SCHEMA = (
    ("indicator_code", "VARCHAR NOT NULL", ""), ("region_code", "VARCHAR NOT NULL", ""), ("region_level", "VARCHAR", ""),
    ("period", "VARCHAR NOT NULL", ""), ("year", "BIGINT", ""), ("sub", "BIGINT", ""), ("frequency", "VARCHAR", ""),
    ("value", "DOUBLE", "isfinite(value)"), ("amount", "DOUBLE", "isfinite(amount)"), ("status", "VARCHAR", ""),
    ("basis", "VARCHAR", ""), ("reported_value", "DOUBLE", "isfinite(reported_value)"),
    ("aggregated_value", "DOUBLE", "isfinite(aggregated_value)"), ("reconciliation_diff", "DOUBLE", ""),
    ("reconciliation_ok", "BOOLEAN", ""), ("coverage_n", "BIGINT", ""), ("coverage_total", "BIGINT", ""),
    ("complete", "BOOLEAN", ""), ("ytd_through", "VARCHAR", ""), ("synthetic", "BOOLEAN", ""), ("revised", "BOOLEAN", ""),
    ("batch_id", "BIGINT", ""), ("source", "VARCHAR", ""), ("rolled_up_from", "VARCHAR", ""),
    ("obs_status", "VARCHAR", ""))
FACT_COLUMNS = [name for name, _, _ in FACT_SCHEMA]
FACTS_TABLE = "CREATE OR REPLACE TABLE facts ({})".format(", ".join(
    f"{name} {kind}" + (f" CHECK ({check})" if check else "") for name, kind, check in FACT_SCHEMA))
SOURCE_SEPARATOR = "；"  # the sources of the real inputs of a total, a roll-up or a derived value, each once
DECIMALS = 9  # sums of converted values are rounded here: 12 leagues' census counts in 万人 sum to 2404.9155
ORDER = "indicator_code, region_code, year, frequency, sub"  # how facts are stored: a reader's filter on indicator
                                                              # and region skips most row groups

# The computation runs in DuckDB, inside the writer's staging file, on temporary tables (_d_*): the observations
# never travel to Python and back, and every step is a set operation over all indicators at once.


def _real_sources(rows: str = "") -> str:
    """SQL aggregate: the distinct sources of the group's real (not synthetic) rows, each once, sorted and joined —
    a total of real figures names every source it rests on (a source that is itself a list is split first);
    synthetic inputs are marked by the synthetic flag, not listed as sources. NULL when there is none."""
    p = f"{rows}." if rows else ""
    return (f"nullif(array_to_string(list_sort(list_filter(list_distinct(flatten("
            f"list(string_split({p}source, '{SOURCE_SEPARATOR}')) FILTER (WHERE NOT coalesce({p}synthetic, false) "
            f"AND trim({p}source) <> ''))), lambda x: trim(x) <> '')), '{SOURCE_SEPARATOR}'), '')")


@contextlib.contextmanager
def _reference(con: duckdb.DuckDBPyConnection, cat: Catalogue) -> Iterator[None]:
    """The catalogue as the temporary tables the computation joins: _d_ind (rules per indicator), _d_reg (the
    region tree) and _d_kids (how many units each parent has at each level)."""
    ind = pd.DataFrame([{"code": i.code, "frequency": i.frequency, "measure": i.measure, "aggregation": i.aggregation,
                         "weight": i.weight, "per_year": PERIODS_PER_YEAR.get(i.frequency, 1)}
                        for i in cat.indicators.values()])
    reg = pd.DataFrame([{"code": r.code, "level": r.level, "parent_code": r.parent_code} for r in cat.regions.regions])
    try:
        for name, frame in (("_d_ind", ind), ("_d_reg", reg)):
            with registered(con, frame, "_d_frame") as view:
                con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}")
        con.execute("""CREATE OR REPLACE TEMP TABLE _d_kids AS SELECT parent_code, level, count(*) AS n FROM _d_reg
                       WHERE parent_code IS NOT NULL GROUP BY ALL""")
        yield
    finally:
        for name in ("_d_ind", "_d_reg", "_d_kids", "_d_rows", "_d_agg", "_d_in", "_d_new"):
            con.execute(f"DROP TABLE IF EXISTS {name}")


def _reported(con: duckdb.DuckDBPyConnection, indicators: Sequence[str] | None, years: Sequence[int] | None) -> None:
    """_d_rows: every current observation (or those of these indicators and years) as a reported fact, with
    whether it revised an earlier value."""
    columns = ", ".join(f"{name} {kind.replace(' NOT NULL', '')}" for name, kind, _ in FACT_SCHEMA)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _d_rows ({columns})")
    con.execute("""
        INSERT INTO _d_rows BY NAME
        SELECT o.indicator_code, o.region_code, r.level AS region_level, o.period, o.year, o.sub, i.frequency,
               o.value, 'reported' AS status, 'native' AS basis, o.value AS reported_value, true AS complete,
               o.synthetic, o.source, o.batch_id, o.obs_status,
               EXISTS (SELECT 1 FROM observations p WHERE p.superseded_by = o.batch_id
                       AND p.indicator_code = o.indicator_code AND p.region_code = o.region_code
                       AND p.period = o.period) AS revised
        FROM current_observations o LEFT JOIN _d_ind i ON i.code = o.indicator_code
             LEFT JOIN _d_reg r ON r.code = o.region_code
        WHERE ($all_ind OR list_contains($ind, o.indicator_code)) AND ($all_years OR list_contains($years, o.year))""",
                {"all_ind": indicators is None, "ind": list(indicators or []), "all_years": years is None,
                 "years": [int(y) for y in years or []]})


def _aggregate(con: duckdb.DuckDBPyConnection, child: str, level: str, tolerance: float) -> None:
    """Aggregates at `level` from the values at `child` level (reported first, else aggregated): sums only when
    every child has a value (coverage kept either way); weighted means over the children carrying weight (a county
    without data centres has no weight and does not count against coverage). A reported value at `level` keeps its
    value and gets the aggregate beside it with the difference; where nothing was reported the aggregate is the
    row."""
    params = {"child": child}
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _d_agg AS
        SELECT k.indicator_code, g.parent_code AS region_code, k.period, k.year, k.sub, k.frequency,
               count(*) AS coverage_n, any_value(n.n) AS coverage_total,
               CASE WHEN count(*) = any_value(n.n) THEN round(fsum(k.value), {DECIMALS}) END AS value,
               bool_or(coalesce(k.synthetic, false)) AS synthetic, {_real_sources("k")} AS source,
               {status.weakest_sql("k.obs_status")} AS obs_status
        FROM _d_rows k JOIN _d_ind i ON i.code = k.indicator_code JOIN _d_reg g ON g.code = k.region_code
             JOIN _d_kids n ON n.parent_code = g.parent_code AND n.level = $child
        WHERE k.region_level = $child AND k.value IS NOT NULL AND i.aggregation = 'sum'
        GROUP BY k.indicator_code, g.parent_code, k.period, k.year, k.sub, k.frequency""", params)
    con.execute(f"""
        INSERT INTO _d_agg BY NAME
        WITH weights AS (
            SELECT i.code AS indicator_code, w.region_code, w.period, w.value AS w
            FROM _d_ind i JOIN _d_rows w ON w.indicator_code = i.weight
            WHERE i.aggregation = 'weighted_mean' AND w.region_level = $child AND w.value > 0),
        base AS (
            SELECT w.indicator_code, g.parent_code, w.period, w.w, k.value, k.year, k.sub, k.frequency, k.synthetic,
                   k.obs_status
            FROM weights w JOIN _d_reg g ON g.code = w.region_code
                 LEFT JOIN _d_rows k ON k.indicator_code = w.indicator_code AND k.region_code = w.region_code
                      AND k.period = w.period AND k.region_level = $child AND k.value IS NOT NULL)
        SELECT indicator_code, parent_code AS region_code, period,
               max(coalesce(year, CAST(left(period, 4) AS BIGINT))) AS year, max(coalesce(sub, 0)) AS sub,
               coalesce(max(frequency), 'annual') AS frequency, count(value) AS coverage_n, count(*) AS coverage_total,
               CASE WHEN count(value) = count(*) AND fsum(w) > 0 THEN fsum(value * w) / fsum(w) END AS value,
               bool_or(coalesce(synthetic, false)) AS synthetic, NULL AS source,
               {status.weakest_sql("obs_status")} AS obs_status
        FROM base GROUP BY indicator_code, parent_code, period HAVING count(value) > 0""", params)
    con.execute("""
        UPDATE _d_rows AS r SET aggregated_value = a.value, coverage_n = a.coverage_n,
               coverage_total = a.coverage_total, reconciliation_diff = r.reported_value - a.value,
               reconciliation_ok = abs(r.reported_value - a.value) <= $tolerance * abs(r.reported_value)
        FROM _d_agg a
        WHERE r.region_level = $level AND r.indicator_code = a.indicator_code AND r.region_code = a.region_code
              AND r.period = a.period""", {"level": level, "tolerance": tolerance})
    con.execute("""
        INSERT INTO _d_rows BY NAME
        SELECT a.indicator_code, a.region_code, $level AS region_level, a.period, a.year, a.sub, a.frequency,
               a.value, 'aggregated' AS status, 'native' AS basis, a.value AS aggregated_value, a.coverage_n,
               a.coverage_total, a.value IS NOT NULL AS complete, a.synthetic, false AS revised, a.source,
               a.obs_status
        FROM _d_agg a
        WHERE NOT EXISTS (SELECT 1 FROM _d_rows r WHERE r.region_level = $level
                          AND r.indicator_code = a.indicator_code AND r.region_code = a.region_code
                          AND r.period = a.period)""", {"level": level})


def _rollup(con: duckdb.DuckDBPyConnection, today: date) -> None:
    """Annual values of quarterly and monthly series by measure: stock → last period, flow → sum, ytd → December.
    A year in progress is labelled year-to-date (ytd_through); a past year with periods missing is incomplete
    (a stock without its Q4/December value gets no annual value at all).

    A stock or ytd annual value *is* its last period's value, so it is that value's: its status, synthetic flag,
    batch, source and revision, with rolled_up_from naming the period (real 2023Q4 = 60 000 5G base stations stay
    real and sourced in 2023, whatever the quarters before were). A flow's sum is synthetic only if one of its
    periods is, names the sources of its real periods, and keeps a batch only when all came in one."""
    con.execute(f"""
        INSERT INTO _d_rows BY NAME
        WITH years AS (
            SELECT r.indicator_code, r.region_code, r.region_level, r.year, i.measure = 'flow' AS flow,
                   i.measure = 'stock' AS stock,
                   CASE WHEN i.measure = 'flow' THEN count(*) = i.per_year ELSE max(r.sub) = i.per_year END AS is_full,
                   fsum(r.value) AS total, arg_min(r.period, r.sub) AS first_period,
                   arg_max(r.period, r.sub) AS last_period,
                   arg_max({{'value': r.value, 'status': r.status, 'synthetic': coalesce(r.synthetic, false),
                             'batch_id': r.batch_id, 'source': r.source, 'obs_status': r.obs_status,
                             'revised': coalesce(r.revised, false)}}, r.sub) AS last,
                   bool_or(coalesce(r.synthetic, false)) AS any_synthetic, bool_and(r.status = 'reported') AS all_reported,
                   count(DISTINCT r.batch_id) AS batches, min(r.batch_id) AS one_batch,
                   bool_or(coalesce(r.revised, false)) AS any_revised, {_real_sources("r")} AS sources,
                   {status.weakest_sql("r.obs_status")} AS weakest_status
            FROM _d_rows r JOIN _d_ind i ON i.code = r.indicator_code
            WHERE r.frequency <> 'annual' AND r.value IS NOT NULL
            GROUP BY r.indicator_code, r.region_code, r.region_level, r.year, i.measure, i.per_year)
        SELECT indicator_code, region_code, region_level, CAST(year AS VARCHAR) AS period, year, 0 AS sub,
               'annual' AS frequency, 'rollup' AS basis, is_full AS complete,
               round(CASE WHEN flow THEN total ELSE last.value END, {DECIMALS}) AS value,
               CASE WHEN is_full THEN NULL ELSE last_period END AS ytd_through,
               CASE WHEN NOT flow THEN last.status WHEN all_reported THEN 'reported' ELSE 'aggregated' END AS status,
               CASE WHEN flow THEN any_synthetic ELSE last.synthetic END AS synthetic,
               CASE WHEN NOT flow THEN last.batch_id WHEN batches = 1 THEN one_batch END AS batch_id,
               CASE WHEN flow THEN sources ELSE last.source END AS source,
               CASE WHEN flow THEN any_revised ELSE last.revised END AS revised,
               CASE WHEN flow THEN weakest_status ELSE last.obs_status END AS obs_status,
               CASE WHEN NOT flow THEN last_period WHEN first_period = last_period THEN first_period
                    ELSE first_period || '–' || last_period END AS rolled_up_from
        FROM years WHERE is_full OR year >= $year OR NOT stock""", {"year": today.year})


def _ytd_amounts(con: duckdb.DuckDBPyConnection) -> None:
    """Monthly amount of a year-to-date series: the difference of successive cumulative values (January as is)."""
    con.execute("""
        UPDATE _d_rows AS r SET amount = d.amount
        FROM (SELECT indicator_code, region_code, period,
                     CASE WHEN sub = 1 THEN value
                          WHEN lag(sub) OVER w = sub - 1 THEN value - lag(value) OVER w END AS amount
              FROM _d_rows WHERE frequency = 'monthly'
                   AND indicator_code IN (SELECT code FROM _d_ind WHERE measure = 'ytd')
              WINDOW w AS (PARTITION BY indicator_code, region_code, year ORDER BY sub)) d
        WHERE r.frequency = 'monthly' AND r.indicator_code = d.indicator_code AND r.region_code = d.region_code
              AND r.period = d.period""")


def _derive(con: duckdb.DuckDBPyConnection, cat: Catalogue, codes: set[str] | None) -> None:
    """Derived indicators in dependency order (each sees the ones before it), at every level from that level's own
    inputs at the indicator's frequency, only where every input has a value; synthetic if an input is, complete if
    all are, naming every real input's source. `codes`: only these (the others are not needed). The inputs are
    copied once into a narrow table (_d_in), which each indicator reads instead of every fact."""
    order = [ind for ind in cat.derived_order() if codes is None or ind.code in codes]
    needed = sorted({code for ind in order for code in ind.inputs})
    inputs = "region_code, region_level, period, year, sub, frequency, indicator_code, value, synthetic, complete, " \
             "ytd_through, source, obs_status"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _d_in AS SELECT {inputs} FROM _d_rows
                    WHERE list_contains($needed, indicator_code) AND value IS NOT NULL""", {"needed": needed})
    con.execute("CREATE OR REPLACE TEMP TABLE _d_new AS SELECT * FROM _d_rows LIMIT 0")
    for ind in order:
        columns = {code: f"v{k}" for k, code in enumerate(ind.inputs)}
        picks = ", ".join(f'first(value) FILTER (WHERE indicator_code = ${col}) AS "{col}"'
                          for col in columns.values())
        present = " AND ".join(f'"{col}" IS NOT NULL' for col in columns.values())
        con.execute(f"""
            INSERT INTO _d_new BY NAME
            SELECT * EXCLUDE (value_), value_ AS value FROM (
                SELECT region_code, region_level, period, year, sub, frequency, $code AS indicator_code,
                       {formulas.to_sql(ind.formula, columns)} AS value_, 'derived' AS status, 'formula' AS basis,
                       synthetic, complete, ytd_through, source, false AS revised, obs_status
                FROM (SELECT region_code, region_level, period, year, sub, frequency, {picks},
                             bool_or(coalesce(synthetic, false)) AS synthetic, bool_and(complete) AS complete,
                             max(ytd_through) AS ytd_through, {_real_sources()} AS source,
                             {status.weakest_sql("obs_status")} AS obs_status
                      FROM _d_in WHERE list_contains($inputs, indicator_code) AND frequency = $frequency
                      GROUP BY region_code, region_level, period, year, sub, frequency)
                WHERE {present})
            WHERE value IS NOT NULL""",
                    {"code": ind.code, "inputs": ind.inputs, "frequency": ind.frequency,
                     **{col: code for code, col in columns.items()}})
        if ind.code in needed:  # an input of a derived indicator further on
            con.execute(f"INSERT INTO _d_in SELECT {inputs} FROM _d_new WHERE indicator_code = ?", [ind.code])
    con.execute("INSERT INTO _d_rows SELECT * FROM _d_new")


def compute(con: duckdb.DuckDBPyConnection, cat: Catalogue, today: date, tolerance: float = 0.01,
            indicators: Sequence[str] | None = None, years: Sequence[int] | None = None) -> None:
    """The facts of the current observations (all, or those of these indicators and years: enough to compute
    them) into the temporary table _d_rows, inside a `_reference` block:
    1. reported values; 2. county → league → region aggregates; 3. annual roll-ups; 4. monthly amounts of
    year-to-date series; 5. derived indicators."""
    _reported(con, indicators, years)
    _aggregate(con, "county", "league", tolerance)
    _aggregate(con, "league", "region", tolerance)
    _rollup(con, today)
    _ytd_amounts(con)
    _derive(con, cat, None if indicators is None else set(indicators))


def refresh(con: duckdb.DuckDBPyConnection, cat: Catalogue, today: date, tolerance: float) -> int:
    """Rebuild `facts` from all current observations (inside the writer's staging file)."""
    with _reference(con, cat):
        compute(con, cat, today, tolerance)
        con.execute(FACTS_TABLE)
        # sorted: DuckDB sorts in parallel, and writes the sorted table faster than an unsorted one
        con.execute(f"INSERT INTO facts BY NAME SELECT * FROM _d_rows ORDER BY {ORDER}")
    return first_row(con, "SELECT count(*) FROM facts")[0]


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
    keys = pd.DataFrame(sorted(slices), columns=["indicator_code", "year"])
    with _reference(con, cat), registered(con, keys, "_slices") as table:
        compute(con, cat, today, tolerance, sorted(codes), sorted({year for _, year in slices}))
        con.execute(f"""DELETE FROM facts f USING {table} s
                        WHERE f.indicator_code = s.indicator_code AND f.year = s.year""")
        con.execute(f"""INSERT INTO facts BY NAME SELECT r.* FROM _d_rows r
                        JOIN {table} s ON r.indicator_code = s.indicator_code AND r.year = s.year ORDER BY {ORDER}""")
    return slices
