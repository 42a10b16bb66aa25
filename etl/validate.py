"""Validation: pandera schemas generated from the catalogue, run lazily; every failure becomes a report row.

The normalised frame is joined with the catalogue attributes of each row's indicator (frequency, range,
levels, measure) and with what the warehouse already holds (last year's value, neighbouring months of a
year-to-date series, the league's counties), so that every rule is one vectorised pandera check named by its
rule id. Errors reject the file (or, with --partial, the row); warnings are recorded and shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow

from etl import problems as P
from etl.layout import LongTable
from indicators.catalogue import Catalogue

LEVEL_ZH = {"region": "自治区", "league": "盟市", "county": "旗县"}
FREQ_ZH = {"annual": "年度", "quarterly": "季度", "monthly": "月度"}
KEY = ["indicator_code", "region_code", "period"]

# rule → which submitted field the report's column and value come from
RULE_FIELD = {
    "unknown_indicator": "indicator", "derived_indicator": "indicator",
    "unknown_region": "region", "ambiguous_region": "region", "level_not_reported": "region",
    "bad_period": "period", "wrong_frequency": "period", "future_period": "period",
    "unknown_unit": "unit", "unit_mismatch": "unit",
    "non_numeric": "value", "out_of_range": "value", "conflicting_duplicate": "value", "ytd_decreasing": "value",
    "not_reported": "value", "duplicate_row": "value", "yoy_change": "value", "reconciliation": "value",
}


@dataclass(frozen=True)
class Thresholds:
    today: date
    yoy_warning_ratio: float = 0.5
    reconciliation_tolerance: float = 0.01


def _attributes(frame: pd.DataFrame, cat: Catalogue) -> pd.DataFrame:
    """Per-row catalogue attributes of the row's indicator (NaN, or False, where the indicator is unknown).
    Typed columns, not object ones: pandera looks for missing values in every column after every check."""
    inds = list(cat.indicators.values())
    attrs = {
        "_frequency": [i.frequency for i in inds], "_min": [np.nan if i.min is None else i.min for i in inds],
        "_max": [np.nan if i.max is None else i.max for i in inds], "_derived": [i.is_derived for i in inds],
        "_league_sum_of_counties": [i.aggregation == "sum" and "county" in i.levels for i in inds],
        **{f"_at_{level}": [level in i.levels for i in inds] for level in LEVEL_ZH},
    }
    # an unknown indicator (position -1) picks the padding appended at the end: NaN, or False for flags
    positions = pd.Index([i.code for i in inds]).get_indexer(frame["indicator_code"])
    positions[positions < 0] = len(inds)
    columns = {}
    for name, values in attrs.items():
        if isinstance(values[0], bool):
            columns[name] = np.array(values + [False])[positions]
        elif isinstance(values[0], str):
            taken = pyarrow.array(values + [None], type=pyarrow.large_string()).take(pyarrow.array(positions))
            columns[name] = pd.array(taken, dtype="str")
        else:
            columns[name] = np.array(values + [np.nan], dtype="float64")[positions]
    return pd.DataFrame(columns, index=frame.index)


def _level_ok(d: pd.DataFrame) -> pd.Series:
    """The row's region level is among its indicator's levels (vectorised: one column per level)."""
    ok = pd.Series(False, index=d.index)
    for level in LEVEL_ZH:
        ok |= d["region_level"].eq(level) & d[f"_at_{level}"].eq(True)
    return ok


def _keys_ok(d: pd.DataFrame) -> pd.Series:
    return d["indicator_code"].notna() & d["region_code"].notna() & d["period"].notna()


def _check(test, rule: str) -> pa.Check:
    """A pandera check named by its rule id. ignore_na=False: every row has a line number, so pandera's
    pass-through for rows whose cells are all missing never applies, and it costs a whole-frame isna() per check."""
    return pa.Check(test, name=rule, ignore_na=False)


def build_schemas(cat: Catalogue, limits: Thresholds) -> tuple[pa.DataFrameSchema, pa.DataFrameSchema]:
    """(errors, warnings). Each check is named by its rule id and returns True for rows that pass."""
    today = pd.Timestamp(limits.today)

    def known_indicator(d):
        return d["indicator_code"].notna()

    def value_ok(d):
        return d["value_state"].eq("ok") & d["unit_state"].eq("ok")

    errors = pa.DataFrameSchema(
        columns={
            "line": pa.Column(int),
            "value": pa.Column(float, nullable=True),
        },
        checks=[
            _check(lambda d: known_indicator(d), "unknown_indicator"),
            _check(lambda d: ~(known_indicator(d) & d["_derived"].eq(True)), "derived_indicator"),
            _check(lambda d: d["region_state"].ne("unknown"), "unknown_region"),
            _check(lambda d: d["region_state"].ne("ambiguous"), "ambiguous_region"),
            _check(lambda d: ~(known_indicator(d) & d["region_code"].notna()) | _level_ok(d), "level_not_reported"),
            _check(lambda d: d["period"].notna(), "bad_period"),
            _check(lambda d: ~(known_indicator(d) & d["period"].notna()) | d["frequency"].eq(d["_frequency"]),
                   "wrong_frequency"),
            _check(lambda d: ~d["period"].notna() | (d["period_end"] < today), "future_period"),
            _check(lambda d: d["value_state"].ne("bad"), "non_numeric"),
            _check(lambda d: d["unit_state"].ne("unknown"), "unknown_unit"),
            _check(lambda d: d["unit_state"].ne("incompatible"), "unit_mismatch"),
            _check(lambda d: ~(known_indicator(d) & value_ok(d)) | ~(
                (d["value"] < d["_min"]) | (d["value"] > d["_max"])), "out_of_range"),
            _check(lambda d: ~d["_conflict_with"].notna(), "conflicting_duplicate"),
            _check(lambda d: ~d["_ytd_breaks"].notna(), "ytd_decreasing"),
        ],
    )
    warnings = pa.DataFrameSchema(checks=[
        _check(lambda d: d["value_state"].ne("missing"), "not_reported"),
        _check(lambda d: ~d["_same_as"].notna(), "duplicate_row"),
        _check(lambda d: ~(d["_yoy_change"].abs() > limits.yoy_warning_ratio).fillna(False), "yoy_change"),
        _check(lambda d: ~(d["_recon_gap"].abs() > limits.reconciliation_tolerance).fillna(False), "reconciliation"),
    ])
    return errors, warnings


# ── cross-row context ────────────────────────────────────────────────────────────────────────────────

def _add_duplicates(d: pd.DataFrame) -> None:
    """Same key twice: identical value → warning on the later line; different value → error naming the first.
    Every line of a key with conflicting values is marked `_conflicted`: which one is right is unknown, so
    --partial loads none of them."""
    d["_conflict_with"] = pd.Series(pd.NA, index=d.index, dtype="Int64")
    d["_same_as"] = pd.Series(pd.NA, index=d.index, dtype="Int64")
    d["_conflicted"] = False
    ok = _keys_ok(d) & d["value_state"].eq("ok")
    sub = d.loc[ok, KEY + ["value", "line"]]
    dup = sub.duplicated(KEY, keep=False)
    if not dup.any():
        return
    sub = sub[dup]
    first = sub.groupby(KEY, sort=False)[["line", "value"]].transform("first")
    later = sub["line"] != first["line"]
    same = later & np.isclose(sub["value"], first["value"], rtol=1e-12, atol=0)
    d.loc[sub.index[same], "_same_as"] = first.loc[same, "line"].to_numpy()
    d.loc[sub.index[later & ~same], "_conflict_with"] = first.loc[later & ~same, "line"].to_numpy()
    conflicted = (later & ~same).groupby([sub[k] for k in KEY], sort=False).transform("any")
    d.loc[sub.index[conflicted.to_numpy()], "_conflicted"] = True


def _series(d: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """The file's usable values on top of the warehouse's current values (the file wins for the same key).
    `row` is the file row's index in d (-1 for a warehouse value). Unique per key: a repeated identical line
    (`_same_as`) is left out, and so are conflicting ones."""
    ok = (_keys_ok(d) & d["frequency"].eq(d["_frequency"]) & d["value_state"].eq("ok") & d["unit_state"].eq("ok")
          & d["_same_as"].isna() & ~d["_conflicted"])
    mine = d.loc[ok, KEY + ["year", "sub", "value"]]
    mine = mine.assign(from_file=True, row=mine.index.to_numpy())
    if current.empty:
        return mine.reset_index(drop=True)
    theirs = current[KEY + ["year", "sub", "value"]]
    theirs = theirs[~_index(theirs, KEY).isin(_index(mine, KEY))]
    return pd.concat([mine, theirs.assign(from_file=False, row=-1)], ignore_index=True)


def _index(frame: pd.DataFrame, columns: list[str], shift_year: int = 0) -> pd.MultiIndex:
    arrays = [frame[c] + shift_year if c == "year" else frame[c] for c in columns]
    return pd.MultiIndex.from_arrays(arrays, names=columns)


def _add_ytd(d: pd.DataFrame, series: pd.DataFrame, cat: Catalogue) -> None:
    """A year-to-date series must not fall within a year. Each value is compared with the month before it
    (file or warehouse); a file value is also compared with the warehouse's month after it. The row reported
    is the file's side of the fall: March 100 then April 90 in one file → April's line."""
    d["_ytd_breaks"] = pd.Series(pd.NA, index=d.index, dtype="object")
    ytd_codes = [i.code for i in cat.indicators.values() if i.measure == "ytd"]
    s = series[series["indicator_code"].isin(ytd_codes)].sort_values(["indicator_code", "region_code", "year", "sub"])
    if s.empty:
        return
    group = s.groupby(["indicator_code", "region_code", "year"], sort=False)
    s = s.assign(prev_value=group["value"].shift(1), prev_sub=group["sub"].shift(1),
                 next_value=group["value"].shift(-1), next_sub=group["sub"].shift(-1),
                 next_from_file=group["from_file"].shift(-1).fillna(True).astype(bool))
    falls_here = s["value"] < s["prev_value"]
    falls_after = (s["value"] > s["next_value"]) & ~s["next_from_file"]
    bad = s["from_file"] & (falls_here | falls_after)
    if not bad.any():
        return
    b, here = s[bad], falls_here[bad].to_numpy()
    before = np.where(here, b["prev_sub"], b["sub"]).astype(int)
    after = np.where(here, b["sub"], b["next_sub"]).astype(int)
    from_value = np.where(here, b["prev_value"], b["value"])
    to_value = np.where(here, b["value"], b["next_value"])
    rows = b["row"].to_numpy()
    d.loc[rows, "_ytd_breaks"] = pd.Series(list(zip(b["year"].astype(int), before, from_value, after, to_value,
                                                    strict=True)), index=rows, dtype=object)


def _add_yoy(d: pd.DataFrame, series: pd.DataFrame) -> None:
    """Change against the same period of the previous year, wherever that value is known."""
    columns = ["indicator_code", "region_code", "year", "sub"]
    positions = _index(series, columns, shift_year=1).get_indexer(_index(d, columns))
    prev_value = np.append(series["value"].to_numpy(dtype="float64"), np.nan)[positions]
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(prev_value > 0, d["value"].to_numpy(dtype="float64") / prev_value - 1, np.nan)
    d["_prev_value"], d["_yoy_change"] = prev_value, change


def _add_reconciliation(d: pd.DataFrame, series: pd.DataFrame, cat: Catalogue) -> None:
    """A league's value against the sum of its counties, when every county has a value for that period."""
    d["_recon_sum"], d["_recon_gap"] = np.nan, np.nan
    league_rows = d["region_level"].eq("league") & d["_league_sum_of_counties"]
    if not league_rows.any():
        return
    parent = {r.code: r.parent_code for r in cat.regions.counties()}
    n_counties = pd.Series(parent).value_counts()
    codes = d.loc[league_rows, "indicator_code"].unique()
    counties = series[series["region_code"].isin(list(parent)) & series["indicator_code"].isin(codes)]
    county_codes, distinct = pd.factorize(counties["region_code"])
    counties = counties.assign(league=np.array([parent[c] for c in distinct], dtype=object)[county_codes])
    sums = counties.groupby(["indicator_code", "league", "period"], observed=True).agg(
        total=("value", "sum"), n=("value", "size")).reset_index()
    sums = sums[sums["n"].to_numpy() == sums["league"].map(n_counties).to_numpy()]
    leagues = d.loc[league_rows]
    positions = _index(sums, ["indicator_code", "league", "period"]).get_indexer(
        _index(leagues, ["indicator_code", "region_code", "period"]))
    total = np.append(sums["total"].to_numpy(dtype="float64"), np.nan)[positions]
    value = leagues["value"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = (value - total) / np.abs(value)
    d.loc[league_rows, "_recon_sum"] = total
    d.loc[league_rows, "_recon_gap"] = gap


def prepare(frame: pd.DataFrame, cat: Catalogue, current: pd.DataFrame) -> pd.DataFrame:
    d = pd.concat([frame, _attributes(frame, cat)], axis=1)
    _add_duplicates(d)
    series = _series(d, current)
    _add_ytd(d, series, cat)
    _add_yoy(d, series)
    _add_reconciliation(d, series, cat)
    return d


# ── failures → problems ──────────────────────────────────────────────────────────────────────────────

def _failed(schema: pa.DataFrameSchema, d: pd.DataFrame) -> pd.DataFrame:
    """(rule, index) of every failing row, from pandera's lazy failure cases."""
    try:
        schema.validate(d, lazy=True, inplace=True)  # read-only checks: no copy of a million-row frame
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        crashed = fc[fc["index"].isna()]
        if not crashed.empty:  # a check that raised instead of answering would otherwise vanish from the report
            raise RuntimeError(f"validation check failed to run: {crashed.iloc[0].to_dict()}") from exc
        out = pd.DataFrame({"rule": fc["check"].astype(str), "index": fc["index"].astype("int64")})
        return out.drop_duplicates()
    return pd.DataFrame({"rule": pd.Series(dtype="str"), "index": pd.Series(dtype="int64")})


def _fmt(x: float) -> str:
    return f"{x:,.6g}" if abs(x) >= 1e6 else f"{x:.6g}"


def _params(rule: str, row: pd.Series, cat: Catalogue, limits: Thresholds, raw: str = "") -> dict:
    code = row["indicator_code"]
    if rule == "derived_indicator":
        inputs = cat.indicator(code).inputs
        return {"detail": "、".join(inputs), "detail_en": ", ".join(inputs)}
    if rule == "ambiguous_region":
        return {"detail": row["region_candidates"], "detail_en": row["region_candidates"].replace("、", ", ")}
    if rule == "level_not_reported":
        levels = cat.indicator(code).levels
        return {"indicator": code, "level": row["region_level"], "level_zh": LEVEL_ZH.get(row["region_level"], ""),
                "detail": "、".join(LEVEL_ZH[lv] for lv in levels), "detail_en": ", ".join(levels)}
    if rule == "wrong_frequency":
        return {"indicator": code, "frequency": row["_frequency"], "freq_zh": FREQ_ZH.get(row["_frequency"], ""),
                "a_frequency": ("an " if row["_frequency"] == "annual" else "a ") + row["_frequency"]}
    if rule == "future_period":
        return {"today": limits.today.isoformat()}
    if rule == "out_of_range":
        lo = "−∞" if pd.isna(row["_min"]) else _fmt(row["_min"])
        hi = "+∞" if pd.isna(row["_max"]) else _fmt(row["_max"])
        return {"indicator": code, "detail": f"[{lo}, {hi}]"}
    if rule == "unit_mismatch":
        return {"indicator": code, "detail": row["catalogue_unit"], "unit": row["unit_submitted"]}
    if rule == "conflicting_duplicate":
        return {"detail": int(row["_conflict_with"])}
    if rule == "duplicate_row":
        return {"detail": int(row["_same_as"])}
    if rule == "ytd_decreasing":
        year, before, from_value, after, to_value = row["_ytd_breaks"]
        return {"detail": f"{year}年{before}月", "detail_en": f"{year}-{before:02d}", "later": f"{year}年{after}月",
                "later_en": f"{year}-{after:02d}", "from_value": _fmt(from_value), "to_value": _fmt(to_value)}
    if rule in ("yoy_change", "reconciliation"):
        # compared in the catalogue unit: say so when the file used another one (487619 万元 = 48.76 亿元)
        unit, submitted = row["catalogue_unit"], row["unit_submitted"]
        shown = _fmt(row["value"])
        same = not submitted or submitted == unit
        value_text = f"{shown} {unit}" if same else f"{raw} {submitted}（= {shown} {unit}）"
        value_text_en = f"{shown} {unit}" if same else f"{raw} {submitted} (= {shown} {unit})"
        other, gap, limit = (("_prev_value", "_yoy_change", limits.yoy_warning_ratio) if rule == "yoy_change"
                             else ("_recon_sum", "_recon_gap", limits.reconciliation_tolerance))
        return {"value_text": value_text, "value_text_en": value_text_en, "detail": f"{_fmt(row[other])} {unit}",
                "change": f"{row[gap]:+.1%}" if rule == "yoy_change" else f"{row[gap]:+.2%}",
                "threshold": f"±{limit:.0%}"}
    return {}


# A row failing an earlier rule is not also reported for rules that depend on the same field.
PRECEDENCE = list(RULE_FIELD)


def _problems(failed: pd.DataFrame, d: pd.DataFrame, table: LongTable, file: str, cat: Catalogue,
              limits: Thresholds, cap: int) -> tuple[list[P.Problem], dict[str, int]]:
    order = {rule: i for i, rule in enumerate(PRECEDENCE)}
    failed = failed.assign(order=failed["rule"].map(order), field=failed["rule"].map(RULE_FIELD))
    failed = failed.sort_values(["index", "order"]).drop_duplicates(["index", "field"])
    counts = failed["rule"].value_counts().to_dict()
    failed = failed.groupby("rule", sort=False).head(cap)
    raw = table.frame
    headers = {"indicator": table.columns.header(
        "indicator_code" if "indicator_code" in table.columns.positions else "indicator_name"),
        "region": table.columns.header("region_code" if "region_code" in table.columns.positions else "region_name"),
        "period": table.columns.header("period"), "unit": table.columns.header("unit")}
    out = []
    for rule, index in zip(failed["rule"], failed["index"], strict=True):
        row = d.loc[index]
        field = RULE_FIELD[rule]
        value_col = raw.at[index, "value_column"]
        if field == "value" or (table.layout == "wide" and field == "period"):
            column = value_col
        elif field == "unit" and ("unit" not in table.columns.positions or bool(row["had_percent"])):
            column = value_col  # the unit came from the header (“数值（亿元）”) or a % sign on the value
        else:
            column = headers[field]
        value = raw.at[index, field if field != "indicator" else "indicator"]
        if rule == "unit_mismatch" and bool(row["had_percent"]):
            value = raw.at[index, "value"]
        out.append(P.make(rule, file, int(row["line"]), column, value, **_params(rule, row, cat, limits, str(value))))
    return out, counts


def validate(table: LongTable, frame: pd.DataFrame, cat: Catalogue, current: pd.DataFrame, limits: Thresholds,
             file: str, cap: int = 1000) -> tuple[pd.DataFrame, list[P.Problem], pd.Series, dict[str, int]]:
    """Returns (prepared frame, problems, per-row error mask, counts of every rule before capping)."""
    d = prepare(frame, cat, current)
    error_schema, warning_schema = build_schemas(cat, limits)
    errors = _failed(error_schema, d)
    # A cell marked not reported carries nothing to check: an empty 2025 column of a yearbook table is not a
    # future period, an empty quarterly column beside annual ones not a wrong frequency. It is counted instead.
    errors = errors[~errors["index"].isin(d.index[d["value_state"].eq("missing")])]
    warnings = _failed(warning_schema, d)
    warnings = warnings[~warnings["index"].isin(errors["index"])]
    error_problems, error_counts = _problems(errors, d, table, file, cat, limits, cap)
    warning_problems, warning_counts = _problems(warnings, d, table, file, cat, limits, cap)
    bad_rows = pd.Series(d.index.isin(errors["index"]) | d["_conflicted"].to_numpy(), index=d.index)
    return d, error_problems + warning_problems, bad_rows, {**error_counts, **warning_counts}
