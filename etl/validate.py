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
    """Per-row catalogue attributes of the row's indicator (NaN where the indicator is unknown)."""
    attrs = pd.DataFrame([{
        "indicator_code": i.code, "_frequency": i.frequency, "_min": i.min, "_max": i.max,
        "_levels": "|".join(i.levels), "_derived": i.is_derived, "_measure": i.measure, "_aggregation": i.aggregation,
        "_formula_inputs": "、".join(i.inputs), "_has_counties": "county" in i.levels,
    } for i in cat.indicators.values()])
    merged = frame[["indicator_code"]].merge(attrs, on="indicator_code", how="left")
    merged.index = frame.index
    return merged.drop(columns="indicator_code")


def _keys_ok(d: pd.DataFrame) -> pd.Series:
    return d["indicator_code"].notna() & d["region_code"].notna() & d["period"].notna()


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
            pa.Check(lambda d: known_indicator(d), name="unknown_indicator"),
            pa.Check(lambda d: ~(known_indicator(d) & d["_derived"].eq(True)), name="derived_indicator"),
            pa.Check(lambda d: d["region_state"].ne("unknown"), name="unknown_region"),
            pa.Check(lambda d: d["region_state"].ne("ambiguous"), name="ambiguous_region"),
            pa.Check(lambda d: ~(known_indicator(d) & d["region_code"].notna()) | pd.Series(
                [lv in levels.split("|") for lv, levels in zip(d["region_level"], d["_levels"], strict=True)],
                index=d.index), name="level_not_reported"),
            pa.Check(lambda d: d["period"].notna(), name="bad_period"),
            pa.Check(lambda d: ~(known_indicator(d) & d["period"].notna()) | d["frequency"].eq(d["_frequency"]),
                     name="wrong_frequency"),
            pa.Check(lambda d: ~d["period"].notna() | (pd.to_datetime(d["period_end"]) < today), name="future_period"),
            pa.Check(lambda d: d["value_state"].ne("bad"), name="non_numeric"),
            pa.Check(lambda d: d["unit_state"].ne("unknown"), name="unknown_unit"),
            pa.Check(lambda d: d["unit_state"].ne("incompatible"), name="unit_mismatch"),
            pa.Check(lambda d: ~(known_indicator(d) & value_ok(d)) | ~(
                (d["value"] < d["_min"].astype("float64")) | (d["value"] > d["_max"].astype("float64"))),
                name="out_of_range"),
            pa.Check(lambda d: ~d["_conflict_with"].notna(), name="conflicting_duplicate"),
            pa.Check(lambda d: ~d["_ytd_breaks"].notna(), name="ytd_decreasing"),
        ],
    )
    warnings = pa.DataFrameSchema(checks=[
        pa.Check(lambda d: d["value_state"].ne("missing"), name="not_reported"),
        pa.Check(lambda d: ~d["_same_as"].notna(), name="duplicate_row"),
        pa.Check(lambda d: ~(d["_yoy_change"].abs() > limits.yoy_warning_ratio).fillna(False), name="yoy_change"),
        pa.Check(lambda d: ~(d["_recon_gap"].abs() > limits.reconciliation_tolerance).fillna(False),
                 name="reconciliation"),
    ])
    return errors, warnings


# ── cross-row context ────────────────────────────────────────────────────────────────────────────────

def _add_duplicates(d: pd.DataFrame) -> None:
    """Same key twice: identical value → warning on the later line; different value → error naming the first."""
    d["_conflict_with"] = pd.Series(pd.NA, index=d.index, dtype="Int64")
    d["_same_as"] = pd.Series(pd.NA, index=d.index, dtype="Int64")
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


def _series(d: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """The file's usable values on top of the warehouse's current values (the file wins for the same key)."""
    ok = _keys_ok(d) & d["value_state"].eq("ok") & d["unit_state"].eq("ok") & d["_conflict_with"].isna()
    mine = d.loc[ok, KEY + ["year", "sub", "value"]].drop_duplicates(KEY)
    if current.empty:
        return mine.assign(from_file=True)
    theirs = current[KEY + ["year", "sub", "value"]]
    theirs = theirs.merge(mine[KEY], on=KEY, how="left", indicator=True)
    theirs = theirs[theirs["_merge"] == "left_only"].drop(columns="_merge")
    return pd.concat([mine.assign(from_file=True), theirs.assign(from_file=False)], ignore_index=True)


def _add_ytd(d: pd.DataFrame, series: pd.DataFrame, cat: Catalogue) -> None:
    """A year-to-date series must not fall within a year: check each file value against its neighbours."""
    d["_ytd_breaks"] = pd.Series(pd.NA, index=d.index, dtype="object")
    ytd_codes = [i.code for i in cat.indicators.values() if i.measure == "ytd"]
    s = series[series["indicator_code"].isin(ytd_codes)].sort_values(["indicator_code", "region_code", "year", "sub"])
    if s.empty:
        return
    group = s.groupby(["indicator_code", "region_code", "year"], sort=False)
    s = s.assign(prev_value=group["value"].shift(1), prev_sub=group["sub"].shift(1),
                 next_value=group["value"].shift(-1), next_sub=group["sub"].shift(-1))
    bad = s["from_file"] & ((s["value"] < s["prev_value"]) | (s["value"] > s["next_value"]))
    if not bad.any():
        return
    b = s[bad]
    other = np.where(b["value"] < b["prev_value"], b["prev_sub"], b["next_sub"])
    detail = pd.Series([f"{y}年{int(m)}月" for y, m in zip(b["year"], other, strict=True)], index=b.index)
    lookup = dict(zip(zip(b["indicator_code"], b["region_code"], b["year"], b["sub"], strict=True), detail, strict=True))
    keys = list(zip(d["indicator_code"], d["region_code"], d["year"], d["sub"], strict=True))
    d["_ytd_breaks"] = pd.Series([lookup.get(k, pd.NA) for k in keys], index=d.index, dtype="object")


def _add_yoy(d: pd.DataFrame, series: pd.DataFrame) -> None:
    """Change against the same period of the previous year, wherever that value is known."""
    prev = series[KEY + ["year", "sub", "value"]].rename(columns={"value": "_prev_value"})
    prev = prev.assign(year=prev["year"] + 1).drop(columns="period")
    merged = d[["indicator_code", "region_code", "year", "sub"]].merge(
        prev, on=["indicator_code", "region_code", "year", "sub"], how="left")
    prev_value = merged["_prev_value"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(prev_value > 0, d["value"].to_numpy(dtype="float64") / prev_value - 1, np.nan)
    d["_prev_value"], d["_yoy_change"] = prev_value, change


def _add_reconciliation(d: pd.DataFrame, series: pd.DataFrame, cat: Catalogue) -> None:
    """A league's value against the sum of its counties, when every county has a value for that period."""
    d["_recon_sum"], d["_recon_gap"] = np.nan, np.nan
    league_rows = d["region_level"].eq("league") & d["_aggregation"].eq("sum") & d["_has_counties"].eq(True)
    if not league_rows.any():
        return
    parent = {r.code: r.parent_code for r in cat.regions.counties()}
    n_counties = pd.Series(parent).value_counts()
    counties = series[series["region_code"].isin(parent.keys())]
    counties = counties.assign(league=counties["region_code"].map(parent))
    sums = counties.groupby(["indicator_code", "league", "period"]).agg(total=("value", "sum"), n=("value", "size"))
    sums = sums.reset_index()
    sums = sums[sums["n"].to_numpy() == sums["league"].map(n_counties).to_numpy()]
    merged = d.loc[league_rows, ["indicator_code", "region_code", "period", "value"]].merge(
        sums.rename(columns={"league": "region_code"}), on=["indicator_code", "region_code", "period"], how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = (merged["value"].to_numpy() - merged["total"].to_numpy()) / np.abs(merged["value"].to_numpy())
    d.loc[league_rows, "_recon_sum"] = merged["total"].to_numpy()
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
        schema.validate(d, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        fc = fc[fc["index"].notna()]
        out = pd.DataFrame({"rule": fc["check"].astype(str), "index": fc["index"].astype("int64")})
        return out.drop_duplicates()
    return pd.DataFrame({"rule": pd.Series(dtype="str"), "index": pd.Series(dtype="int64")})


def _fmt(x: float) -> str:
    return f"{x:,.6g}" if abs(x) >= 1e6 else f"{x:.6g}"


def _params(rule: str, row: pd.Series, cat: Catalogue, limits: Thresholds) -> dict:
    code = row["indicator_code"]
    if rule == "derived_indicator":
        return {"detail": row["_formula_inputs"]}
    if rule == "ambiguous_region":
        return {"detail": row["region_candidates"]}
    if rule == "level_not_reported":
        levels = str(row["_levels"]).split("|")
        return {"indicator": code, "level": row["region_level"], "level_zh": LEVEL_ZH.get(row["region_level"], ""),
                "detail": "、".join(LEVEL_ZH[lv] for lv in levels), "detail_en": ", ".join(levels)}
    if rule == "wrong_frequency":
        return {"indicator": code, "frequency": row["_frequency"], "freq_zh": FREQ_ZH.get(row["_frequency"], "")}
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
        return {"detail": row["_ytd_breaks"]}
    if rule == "yoy_change":
        return {"detail": _fmt(row["_prev_value"]), "change": f"{row['_yoy_change']:+.1%}",
                "threshold": f"±{limits.yoy_warning_ratio:.0%}"}
    if rule == "reconciliation":
        return {"detail": _fmt(row["_recon_sum"]), "change": f"{row['_recon_gap']:+.2%}",
                "threshold": f"±{limits.reconciliation_tolerance:.0%}"}
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
        out.append(P.make(rule, file, int(row["line"]), column, value, **_params(rule, row, cat, limits)))
    return out, counts


def validate(table: LongTable, frame: pd.DataFrame, cat: Catalogue, current: pd.DataFrame, limits: Thresholds,
             file: str, cap: int = 1000) -> tuple[pd.DataFrame, list[P.Problem], pd.Series, dict[str, int]]:
    """Returns (prepared frame, problems, per-row error mask, counts of every rule before capping)."""
    d = prepare(frame, cat, current)
    error_schema, warning_schema = build_schemas(cat, limits)
    errors = _failed(error_schema, d)
    warnings = _failed(warning_schema, d)
    warnings = warnings[~warnings["index"].isin(errors["index"])]
    error_problems, error_counts = _problems(errors, d, table, file, cat, limits, cap)
    warning_problems, warning_counts = _problems(warnings, d, table, file, cat, limits, cap)
    bad_rows = pd.Series(d.index.isin(errors["index"]), index=d.index)
    return d, error_problems + warning_problems, bad_rows, {**error_counts, **warning_counts}
