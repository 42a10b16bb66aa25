"""Validation: pandera schemas generated from the catalogue, run lazily; every failure becomes a report row.

The normalised frame is joined with the catalogue attributes of each row's indicator (frequency, range,
levels, measure) and with what the warehouse already holds (etl.crossrow: last year's value, neighbouring months
of a year-to-date series, the league's counties, the other units of its level), so that every rule is one
vectorised pandera check named by its rule id (etl.rules). Errors reject the file (or, with --partial, the row);
warnings are recorded and shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from etl import problems as P
from etl.crossrow import add_context
from etl.failures import to_problems
from etl.layout import LongTable
from etl.normalize import FREQUENCIES
from etl.rules import Thresholds
from indicators.base.catalogue import Catalogue
from indicators.base.regions import LEVELS


def _attributes(frame: pd.DataFrame, cat: Catalogue) -> dict[str, np.ndarray | pd.Categorical]:
    """Per-row catalogue attributes of the row's indicator (NaN, or False, where the indicator is unknown).
    Typed columns, not object ones: pandera looks for missing values in every column after every check."""
    inds = list(cat.indicators.values())
    attrs = {
        "_frequency": [i.frequency for i in inds], "_min": [np.nan if i.min is None else i.min for i in inds],
        "_max": [np.nan if i.max is None else i.max for i in inds], "_derived": [i.is_derived for i in inds],
        "_plausible_min": [cat.plausible_range(i.code)[0] for i in inds],
        "_plausible_max": [cat.plausible_range(i.code)[1] for i in inds],
        "_league_sum_of_counties": [i.aggregation == "sum" and "county" in i.levels for i in inds],
        **{f"_at_{level}": [level in i.levels for i in inds] for level in LEVELS},
    }
    # an unknown indicator (position -1) picks the padding appended at the end: NaN, or False for flags
    positions = pd.Index([i.code for i in inds]).get_indexer(frame["indicator_code"])
    positions[positions < 0] = len(inds)
    columns = {}
    for name, values in attrs.items():
        if isinstance(values[0], bool):
            columns[name] = np.array(values + [False])[positions]
        elif isinstance(values[0], str):  # the frequency: categorical like the file's, so the two compare
            codes = pd.Index(FREQUENCIES).get_indexer(values + [None])
            columns[name] = pd.Categorical.from_codes(codes[positions], categories=pd.Index(FREQUENCIES, dtype="str"))
        else:
            columns[name] = np.array(values + [np.nan], dtype="float64")[positions]
    return columns


def _level_ok(d: pd.DataFrame) -> pd.Series:
    """The row's region level is among its indicator's levels (vectorised: one column per level)."""
    ok = pd.Series(False, index=d.index)
    for level in LEVELS:
        ok |= d["region_level"].eq(level) & d[f"_at_{level}"].eq(True)
    return ok


def _in_scope(d: pd.DataFrame, scope: list[str] | None) -> pd.Series:
    """The row's region is one the submitter may submit (scope None: any); an unknown region is reported as
    such, not as out of scope."""
    if scope is None:
        return pd.Series(True, index=d.index)
    return d["region_code"].isna() | d["region_code"].isin(scope)


def _check(test, rule: str) -> pa.Check:
    """A pandera check named by its rule id. ignore_na=False: every row has a line number, so pandera's
    pass-through for rows whose cells are all missing never applies, and it costs a whole-frame isna() per check."""
    return pa.Check(test, name=rule, ignore_na=False)


def build_schemas(cat: Catalogue, limits: Thresholds) -> tuple[pa.DataFrameSchema, pa.DataFrameSchema]:
    """(errors, warnings). Each check is named by its rule id and returns True for rows that pass."""
    today = pd.Timestamp(limits.today)
    scope = None if limits.submitter is None or limits.submitter.scope is None else \
        sorted(cat.regions.within(limits.submitter.scope))

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
            _check(lambda d: _in_scope(d, scope), "out_of_scope"),
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
            # the last word on any number: finite and within its unit's plausible bounds (1e308 亿元 is not a GDP)
            _check(lambda d: ~(known_indicator(d) & value_ok(d)) | (
                (d["value"] >= d["_plausible_min"]) & (d["value"] <= d["_plausible_max"])), "implausible_value"),
            _check(lambda d: d["obs_status"].notna(), "bad_status"),
            _check(lambda d: ~d["_conflict_with"].notna(), "conflicting_duplicate"),
            _check(lambda d: ~d["_ytd_breaks"].notna(), "ytd_decreasing"),
        ],
    )
    warnings = pa.DataFrameSchema(checks=[
        _check(lambda d: d["value_state"].ne("missing"), "not_reported"),
        _check(lambda d: ~d["_same_as"].notna(), "duplicate_row"),
        _check(lambda d: ~(d["_yoy_change"].abs() > limits.yoy_warning_ratio).fillna(False), "yoy_change"),
        _check(lambda d: ~(d["_recon_gap"].abs() > limits.reconciliation_tolerance).fillna(False), "reconciliation"),
        _check(lambda d: ~(d["_peer_z"].abs() > limits.peer_z_threshold).fillna(False), "peer_outlier"),
    ])
    return errors, warnings


def prepare(frame: pd.DataFrame, cat: Catalogue, current: pd.DataFrame, limits: Thresholds) -> pd.DataFrame:
    """The caller's frame with the catalogue attributes and the cross-row columns the checks read (added in
    place: no million-row copy)."""
    d = frame
    for name, column in _attributes(frame, cat).items():
        d[name] = column
    add_context(d, cat, current, limits.peer_min_units)  # reads the attributes: _frequency, _league_sum_of_counties
    return d


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


def validate(table: LongTable, frame: pd.DataFrame, cat: Catalogue, current: pd.DataFrame, limits: Thresholds,
             file: str, cap: int = 1000) -> tuple[pd.DataFrame, list[P.Problem], pd.Series, dict[str, int]]:
    """Returns (prepared frame, problems, per-row error mask, counts of every rule before capping)."""
    d = prepare(frame, cat, current, limits)
    error_schema, warning_schema = build_schemas(cat, limits)
    errors = _failed(error_schema, d)
    # A cell marked not reported carries nothing to check: an empty 2025 column of a yearbook table is not a
    # future period, an empty quarterly column beside annual ones not a wrong frequency. It is counted instead.
    errors = errors[~errors["index"].isin(d.index[d["value_state"].eq("missing")])]
    warnings = _failed(warning_schema, d)
    warnings = warnings[~warnings["index"].isin(errors["index"])]
    error_problems, error_counts = to_problems(errors, d, table, file, cat, limits, cap)
    warning_problems, warning_counts = to_problems(warnings, d, table, file, cat, limits, cap)
    bad_rows = pd.Series(d.index.isin(errors["index"]) | d["_conflicted"].to_numpy(), index=d.index)
    return d, error_problems + warning_problems, bad_rows, {**error_counts, **warning_counts}
