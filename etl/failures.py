"""Failing rows → problems: which column and cell a failure names, and the parameters of its message.

A row failing several rules of one field is reported once, for the rule that comes first in etl.rules (a value
outside its range is not also implausible); the column is the header of the rule's field — the value column of a
wide table for its periods, the value column for a unit given in the header (“数值（亿元）”) or by a % sign.
"""

from __future__ import annotations

import pandas as pd

from etl import problems as P
from etl.layout import LongTable
from etl.rules import RULES, Thresholds
from indicators.base import status
from indicators.base.catalogue import Catalogue

LEVEL_ZH = {"region": "自治区", "league": "盟市", "county": "旗县"}
LEVEL_EN = {"region": "regions", "league": "leagues", "county": "counties"}  # plural: “the 12 leagues”
FREQ_ZH = {"annual": "年度", "quarterly": "季度", "monthly": "月度"}
PRECEDENCE = {rule: position for position, rule in enumerate(RULES)}
FIELD = {rule.id: rule.field for rule in RULES.values()}


def _fmt(x: float) -> str:
    """A number as a message shows it: 0.125 → '0.125', 1e7 → '10,000,000', 1e308 → '1e+308'."""
    if abs(x) >= 1e6:  # 10,000,000 rather than 1e+07, while a number is still readable in full
        return f"{x:,.0f}" if x.is_integer() and abs(x) < 1e15 else f"{x:,.6g}"
    return f"{x:.6g}"


def _params(rule: str, row: pd.Series, cat: Catalogue, limits: Thresholds, raw: str = "") -> dict:
    """The parameters of the rule's message templates (etl.rules) for one failing row; `raw` is the cell as typed."""
    code = row["indicator_code"]
    if rule == "derived_indicator":
        inputs = cat.indicator(code).inputs
        return {"detail": "、".join(inputs), "detail_en": ", ".join(inputs)}
    if rule == "ambiguous_region":
        return {"detail": row["region_candidates"], "detail_en": row["region_candidates"].replace("、", ", ")}
    if rule == "out_of_scope":
        return _scope_params(row["region_code"], cat, limits)
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
    if rule == "implausible_value":
        return {"indicator": code, "unit": cat.indicator(code).unit, "unit_en": _en(cat, cat.indicator(code).unit),
                "detail": f"[{_fmt(row['_plausible_min'])}, {_fmt(row['_plausible_max'])}]"}
    if rule == "unit_mismatch":
        return {"indicator": code, "detail": row["catalogue_unit"], "unit": row["unit_submitted"]}
    if rule == "bad_status":
        words = list(status.STATUSES.values())
        return {"detail": "、".join(f"{s.code} {s.shown}" for s in words),
                "detail_en": ", ".join(f"{s.code} {s.en}" for s in words)}
    if rule == "conflicting_duplicate":
        return {"detail": int(row["_conflict_with"])}
    if rule == "duplicate_row":
        return {"detail": int(row["_same_as"])}
    if rule == "ytd_decreasing":
        year, before, from_value, after, to_value = row["_ytd_breaks"]
        return {"detail": f"{year}年{before}月", "detail_en": f"{year}-{before:02d}", "later": f"{year}年{after}月",
                "later_en": f"{year}-{after:02d}", "from_value": _fmt(from_value), "to_value": _fmt(to_value)}
    if rule in ("yoy_change", "reconciliation"):
        unit = row["catalogue_unit"]
        other, gap, limit = (("_prev_value", "_yoy_change", limits.yoy_warning_ratio) if rule == "yoy_change"
                             else ("_recon_sum", "_recon_gap", limits.reconciliation_tolerance))
        return {**_value_text(row, raw, cat), "detail": f"{_fmt(row[other])} {unit}",
                "detail_en": _amount(_fmt(row[other]), _en(cat, unit)),
                "change": f"{row[gap]:+.1%}" if rule == "yoy_change" else f"{row[gap]:+.2%}",
                "threshold": f"±{limit:.0%}"}
    if rule == "peer_outlier":
        level = row["region_level"]
        return {**_value_text(row, raw, cat), "period": row["period"], "detail": f"{_fmt(row['_peer_median'])} "
                f"{row['catalogue_unit']}", "detail_en": _amount(_fmt(row["_peer_median"]), _en(cat, row["catalogue_unit"])),
                "units": int(row["_peer_units"]), "level_zh": LEVEL_ZH.get(level, ""),
                "level_en": LEVEL_EN.get(level, level), "z": f"{row['_peer_z']:+.1f}",
                "threshold": f"±{limits.peer_z_threshold:g}"}
    return {}


def _value_text(row: pd.Series, raw: str, cat: Catalogue) -> dict:
    """The value as compared, in the catalogue unit — saying so when the file used another one
    (487619 万元 → “487619 万元（= 48.7619 亿元）” | “487619 万元 (= 48.7619 100m yuan)”: the unit as typed stays as
    typed, the catalogue's unit is named in the message's language)."""
    unit, submitted = row["catalogue_unit"], row["unit_submitted"]
    shown = _fmt(row["value"])
    if not submitted or submitted == unit:
        return {"value_text": f"{shown} {unit}", "value_text_en": _amount(shown, _en(cat, unit))}
    return {"value_text": f"{raw} {submitted}（= {shown} {unit}）",
            "value_text_en": f"{raw} {submitted} (= {_amount(shown, _en(cat, unit))})"}


def _en(cat: Catalogue, unit: str) -> str:
    """A catalogue unit as English messages name it: 亿元 → '100m yuan', 个 → '' (a bare count)."""
    return cat.units[unit].name_en if unit in cat.units else unit


def _amount(number: str, unit: str) -> str:
    """'7000' and '100m yuan' → '7000 in 100m yuan' (not '7000 100m yuan'); '12' and 'households' → '12 households';
    a bare count (个, English '') → '60000'."""
    if unit[:1].isdigit():
        return f"{number} in {unit}"
    return f"{number} {unit}".rstrip()


def _scope_params(region: str, cat: Catalogue, limits: Thresholds) -> dict:
    """The region's name and the submitter's scope in words: 150200 → 包头市及所辖旗县区 | Baotou and its counties."""
    unit = cat.regions.by_code[region]
    user = limits.submitter.username if limits.submitter else ""
    scope = cat.regions.by_code.get(limits.submitter.scope or "") if limits.submitter else None
    if scope is None:
        zh, en = "未指定地区", "no region assigned"
    elif scope.level == "county":
        zh, en = scope.name_zh, scope.name_en
    else:
        zh, en = f"{scope.name_zh}及所辖地区", f"{scope.name_en} and the units below it"
    return {"region": unit.name_zh, "region_en": unit.name_en, "user": user, "scope": zh, "scope_en": en}


def to_problems(failed: pd.DataFrame, d: pd.DataFrame, table: LongTable, file: str, cat: Catalogue,
                limits: Thresholds, cap: int) -> tuple[list[P.Problem], dict[str, int]]:
    """(problems, count of each rule before capping): at most `cap` problems of a rule are made, every one counted.
    `failed` holds (rule, index) of each failing row of d; `table` is the file as read, for the cells as typed."""
    failed = failed.assign(order=failed["rule"].map(PRECEDENCE), field=failed["rule"].map(FIELD))
    failed = failed.sort_values(["index", "order"]).drop_duplicates(["index", "field"])
    counts = failed["rule"].value_counts().to_dict()
    failed = failed.groupby("rule", sort=False).head(cap)
    raw = table.frame
    headers = {"indicator": table.columns.header(
        "indicator_code" if "indicator_code" in table.columns.positions else "indicator_name"),
        "region": table.columns.header("region_code" if "region_code" in table.columns.positions else "region_name"),
        "period": table.columns.header("period"), "unit": table.columns.header("unit"),
        "status": table.columns.header("status")}
    out = []
    for rule, index in zip(failed["rule"], failed["index"], strict=True):
        row = d.loc[index]
        field = FIELD[rule]
        value_col = raw.at[index, "value_column"]
        if field == "value" or (table.layout == "wide" and field == "period"):
            column = value_col
        elif field == "unit" and ("unit" not in table.columns.positions or bool(row["had_percent"])):
            column = value_col  # the unit came from the header (“数值（亿元）”) or a % sign on the value
        else:
            column = headers[field]
        value = raw.at[index, field]
        if rule == "unit_mismatch" and bool(row["had_percent"]):
            value = raw.at[index, "value"]
        value = str(value).strip()  # the cell as typed, without the padding around it
        out.append(P.make(rule, file, int(row["line"]), column, value, **_params(rule, row, cat, limits, str(value))))
    return out, counts
