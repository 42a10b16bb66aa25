"""How a shown value was obtained — the calculation components, like Open SDG's: inputs with their batches,
the rule or formula, coverage, vintages. Used by the dashboard's provenance panel and `dem indicators explain`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from indicators.base.catalogue import Catalogue
from indicators.base.settings import Progress
from indicators.engine.derive import SOURCE_SEPARATOR
from indicators.engine.query import values

RULE_TEXT = {
    "sum": ("下级合计", "sum of the level below"),
    "weighted_mean": ("按{weight}加权平均", "mean weighted by {weight}"),
    "stock": ("取年末期（第四季度/12月）数值", "value of the last period of the year (Q4 / December)"),
    "flow": ("各期数值合计", "sum of the periods"),
    "ytd": ("取12月累计数", "the December year-to-date value"),
}


@dataclass
class Explanation:
    indicator_code: str
    region_code: str
    period: str
    fact: dict | None
    rule_zh: str = ""
    rule_en: str = ""
    inputs: pd.DataFrame = field(default_factory=pd.DataFrame)  # the facts or observations it came from
    vintages: pd.DataFrame = field(default_factory=pd.DataFrame)  # every submitted vintage of a reported value
    status_zh: str = ""  # the progress status of an annual value, in one sentence (indicators.progress)
    status_en: str = ""

    def sources(self) -> list[str]:
        """Every source the value rests on: its own, or those of its real inputs (each once)."""
        found = []
        texts = [self.fact.get("source")] if self.fact else []
        if not self.inputs.empty and "source" in self.inputs:
            texts += [s for s, synthetic in zip(self.inputs["source"], self.inputs["synthetic"], strict=True)
                      if not synthetic]
        for text in texts:
            for part in str(text).split(SOURCE_SEPARATOR) if text is not None and not pd.isna(text) else []:
                if part.strip() and part.strip() not in found:
                    found.append(part.strip())
        return found

    def lines(self, cat: Catalogue, internal: bool = True) -> list[str]:
        """The explanation as text lines. `internal=False` (the public dashboard, Art. 9): the same statistics,
        rule, sources and vintages, without batch ids, file names and file lines (INTERNAL_COLUMNS)."""
        ind, region = cat.indicator(self.indicator_code), cat.regions.by_code.get(self.region_code)
        head = f"{ind.code} {ind.name_zh} · {region.name_zh if region else self.region_code} · {self.period}"
        if not self.fact:
            return [head, "无数值（未报送） | no value (not reported)"]
        f = self.fact
        cov = f" · 覆盖 coverage {f['coverage_n']}/{f['coverage_total']}" if pd.notna(f.get("coverage_n")) else ""
        shown = "—" if pd.isna(f["value"]) else f"{f['value']:,.{ind.decimals}f}"
        rolled = f" · 取自 from {f['rolled_up_from']}" if isinstance(f.get("rolled_up_from"), str) else ""
        batch = f" · 批次 batch {int(f['batch_id'])}" if internal and pd.notna(f.get("batch_id")) else ""
        out = [head, f"数值 value: {shown} {ind.unit} · {f['status']} ({f['basis']}){rolled}{batch}{cov}"
               f"{' · 示例数据 synthetic' if f['synthetic'] else ' · 真实数据 real'}"
               f"{' · 已修订 revised' if f['revised'] else ''}",
               f"规则 rule: {self.rule_zh} | {self.rule_en}"]
        sources = self.sources()
        out += ["来源 sources:" + ("" if sources else " —（示例数据，无来源 synthetic, no source）" if f["synthetic"]
                                  else " —（未注明 not stated）")] + [f"  {s}" for s in sources]
        if self.status_zh:
            out.append(f"进度 progress: {self.status_zh} | {self.status_en}")
        if pd.notna(f.get("aggregated_value")) and f["status"] == "reported":
            out.append(f"核对 reconciliation: reported {f['reported_value']} vs aggregated {f['aggregated_value']} "
                       f"(diff {f['reconciliation_diff']}, within tolerance: {f['reconciliation_ok']})")
        hidden = () if internal else INTERNAL_COLUMNS
        for title, frame in (("输入 inputs:", self.inputs), ("版本 vintages:", self.vintages)):
            if not frame.empty:
                out.append(title)
                out += ["  " + " · ".join(f"{k}={v}" for k, v in row.items() if k not in hidden)
                        for row in frame.to_dict("records")]
        return out


INTERNAL_COLUMNS = ("batch_id", "file_name", "line", "superseded_by")  # where a value came from inside the office
INPUT_COLUMNS = ["indicator_code", "region_code", "period", "value", "status", "synthetic", "batch_id", "source"]


def _vintages(con: duckdb.DuckDBPyConnection, code: str, region: str, period: str) -> pd.DataFrame:
    return con.execute(
        """SELECT o.batch_id, b.file_name, o.line, o.value, o.unit_submitted, o.source, o.synthetic, b.loaded_at,
                  o.superseded_by
           FROM observations o JOIN batches b USING (batch_id)
           WHERE o.indicator_code = ? AND o.region_code = ? AND o.period = ? ORDER BY o.batch_id""",
        [code, region, period]).df()


def explain(con: duckdb.DuckDBPyConnection, cat: Catalogue, code: str, region: str, period: str,
            progress_params: Progress | None = None) -> Explanation:
    """The audit trail of one value; with progress_params, an annual value also gets its progress status in one
    sentence per language."""
    ind = cat.indicator(code)
    frequency = "annual" if len(period) == 4 else None
    found = values(con, [code], [region], [period], frequency=frequency, include_missing=True)
    fact = found.iloc[0].to_dict() if len(found) else None
    e = Explanation(code, region, period, fact)
    if fact is None:
        return e
    if fact["basis"] == "rollup":
        e.rule_zh, e.rule_en = RULE_TEXT[ind.measure]
        year = int(fact["year"])
        e.inputs = values(con, [code], [region], frequency=ind.frequency, years=(year, year))[INPUT_COLUMNS]
    elif fact["status"] == "derived":
        e.rule_zh = e.rule_en = f"{ind.formula}"
        e.inputs = values(con, ind.inputs, [region], [period], frequency=None)[INPUT_COLUMNS]
    elif fact["status"] == "aggregated":
        e.rule_zh, e.rule_en = (t.format(weight=ind.weight) for t in RULE_TEXT[ind.aggregation])
        children = [r.code for r in cat.regions.children(region)]
        e.inputs = values(con, [code], children, [period], frequency=None, include_missing=True)[INPUT_COLUMNS]
    else:
        e.rule_zh, e.rule_en = "本级报送", "reported by this region"
        e.vintages = _vintages(con, code, region, period)
    if fact["status"] == "reported" and fact["basis"] == "native" and e.vintages.empty:
        e.vintages = _vintages(con, code, region, period)
    if progress_params is not None and fact["frequency"] == "annual":
        _add_status(e, con, cat, progress_params, int(fact["year"]))
    return e


def _add_status(e: Explanation, con: duckdb.DuckDBPyConnection, cat: Catalogue, p: Progress, year: int) -> None:
    from indicators.engine import precompute, progress

    rows = precompute.progress(con, cat, year, p, [e.region_code], [e.indicator_code])
    if rows.empty:
        return
    row = rows.iloc[0].to_dict()
    e.status_zh, e.status_en = (progress.status_sentence(row, cat, p, lang) for lang in ("zh", "en"))
