"""How the numbers are made, in words — one text for the bulletin's methods annex, the dashboard and docs/methods.md.

Each function returns the paragraphs of one method in Chinese or English, with the parameters in force (settings,
catalogue) written in, so that a text can never describe other bounds or thresholds than the code uses. They
describe indicators/derive.py (aggregation, roll-ups, derived indicators), indicators/progress.py and
indicators/composite.py; when the code changes, the paragraph beside it changes here, once.
`python -m indicators.engine.methods` prints docs/methods.md for config/settings.toml (a test keeps the two equal).
Example: index_method(settings, cat, "en")[1] names the reference period "every year up to 2024".
"""

from __future__ import annotations

from collections.abc import Callable

from indicators.base.catalogue import Catalogue
from indicators.base.settings import Settings

MISSING_POLICY = {
    "reweight": ("缺失指标不计入，按有数值的指标权重重新加权，并报告覆盖率",
                 "a missing indicator is left out and the available ones are reweighted; coverage is reported"),
    "zero": ("缺失指标按0分计", "a missing indicator scores 0"),
    "exclude_region": ("任一指标缺失的盟市不计算综合指数（分项指数照常计算）",
                       "a league missing any indicator gets no composite index (its sub-indices are still given)"),
}


def _say(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


# ── aggregation, frequency roll-ups and derived indicators (indicators/derive.py) ─────────────────────

def rollup_method(settings: Settings, lang: str = "zh") -> list[str]:
    tolerance = settings.etl.reconciliation_tolerance
    return [
        _say(lang, "空间汇总（旗县→盟市→全区）按指标体系规定的汇总规则进行：“合计”（sum）为下级数值之和，只有全部下级均有数值时才给出，"
                   "覆盖情况照样报告（如“11/12个盟市”）；“加权平均”（weighted_mean）按其权重指标加权，"
                   "只计权重大于0的下级，这些下级全部有数值时才给出；“不汇总”（none）的指标由各级自报。",
             "Spatial aggregation (county → league → region) follows the catalogue's rule: `sum` adds up the level "
             "below and is given only when every unit below has a value (coverage such as “11 of 12 leagues” is "
             "reported either way); `weighted_mean` is weighted by its weight indicator, counting only units whose "
             "weight is above 0, and is given when all of them report; `none` "
             "indicators are reported by each level and never added up."),
        _say(lang, f"本级自报数优先：一个地区既有自报数又有下级汇总数时，公布自报数，汇总数并列保留；两者之差超过自报数的"
                   f"{tolerance:.0%}（[etl] reconciliation_tolerance）时列为上下级数值不一致。",
             f"A unit's own reported value comes first: where it also has an aggregate of the level below, the "
             f"reported value is published and the aggregate kept beside it; a difference larger than "
             f"{tolerance:.0%} of the reported value ([etl] reconciliation_tolerance) is listed as a reconciliation "
             f"difference."),
        _say(lang, "频率折算：季度、月度指标先在原频率上汇总，再按计量方式折算为年度值——存量（stock）取第四季度／12月数值，"
                   "已过去的年份缺该期则不给年度值；流量（flow）取各期之和，缺期的年份标为不完整；累计（ytd）取12月的1–12月累计数，"
                   "月度当期数为相邻两月累计数之差（1月即为当月数）。年份尚未结束时，年度值标为截至最近一期的年内数（不完整）。",
             "Frequency roll-ups: quarterly and monthly series are aggregated at their own frequency first, then "
             "rolled up to years by their measure — `stock` takes the Q4 / December value (a past year without it "
             "gets no annual value); `flow` adds up the periods (a year with periods missing is marked incomplete); "
             "`ytd` takes the December year-to-date value, and a month's own amount is the difference of "
             "successive cumulative values (January as is). A year still in progress is labelled year-to-date "
             "through its latest period (incomplete)."),
        _say(lang, "派生指标（公式计算）不汇总，在每一级由该级自己的输入指标按公式计算，仅当全部输入均有数值时给出；"
                   "比率从不对下级比率求平均。不完整的年度值在表中注明，不用于目标进度评估和综合指数。",
             "Derived indicators are never aggregated: at every level they are computed by their formula from "
             "that level's own inputs, only where every input has a value (a ratio is never an average of the "
             "ratios below). Incomplete annual values are labelled and are used neither for progress nor for the "
             "composite index."),
        _say(lang, "数据状态（正式数、初步数、估计数、预测数，即SDMX的A、P、E、F）随数值报送并保留；汇总值、年度折算值和派生值取其"
                   "各项中最不确定的状态（预测数高于估计数，估计数高于初步数，初步数高于正式数）——12个盟市中有一个为估计数，全区合计即为"
                   "估计数；存量和累计指标的年度值取所用那一期的状态。表中数值后的 p、e、f 分别表示初步数、估计数、预测数。",
             "Observation status (normal, provisional, estimated, forecast: SDMX A, P, E, F) is submitted with each "
             "value and kept; a total, an annual roll-up of a flow or a derived value takes the least final status "
             "of its inputs (forecast over estimated over provisional over normal) — one estimated league makes "
             "the region's total estimated; the annual value of a stock or year-to-date series takes the status of "
             "the period it is. In tables, p, e and f after a value mark it provisional, estimated or forecast."),
    ]


# ── progress against targets (indicators/progress.py) ────────────────────────────────────────────────
# One function per rule, in the order the annex states them: a new rule (e.g. for bounded indicators) is a
# new function added to PROGRESS_RULES.

def _progress_basis(settings: Settings, lang: str) -> str:
    p = settings.progress
    return _say(lang, "进度评估采用加拿大统计局及联合国可持续发展目标开放数据平台（Open SDG）的方法，按指标方向（越高越好／越低越好）"
                      f"判断，只用完整的年度值。观测年均增速 CAGR_o = (y_t / y_0)^(1/(t − t_0)) − 1，y_0 为基期（{p.base_year}年，"
                      "或其后首个有数值的年份）数值，y_t 为评估年份及以前最近一年的数值。",
                "Progress follows the Statistics Canada / Open SDG method, by the indicator's direction (higher or "
                "lower is better), on complete annual values. Observed growth CAGR_o = (y_t / y_0)^(1/(t − t_0)) − 1, "
                f"where y_0 is the value in the base year {p.base_year} ([progress] base_year) or the first year "
                "after it with a value, and y_t the latest value up to the year assessed.")


def _progress_target(settings: Settings, lang: str) -> str:
    p = settings.progress
    return _say(lang, "有目标值 T（目标年 t_T）时：已达到目标为“已实现”；否则所需年均增速 CAGR_r = (T / y_0)^(1/(t_T − t_0)) − 1，"
                      f"R = CAGR_o / CAGR_r：R ≥ {p.on_track:g} 为“进展顺利”；{p.needs_acceleration:g} ≤ R < {p.on_track:g} "
                      f"为“需加快”；0 ≤ R < {p.needs_acceleration:g} 为“进展有限”；R < 0 为“趋势恶化”。基期已优于目标而当前未达到的，"
                      "为“趋势恶化”。",
                "With a target T for year t_T: a target met is `achieved`; otherwise the required growth is "
                "CAGR_r = (T / y_0)^(1/(t_T − t_0)) − 1 and R = CAGR_o / CAGR_r: R ≥ "
                f"{p.on_track:g} on track; {p.needs_acceleration:g} ≤ R < {p.on_track:g} needs acceleration; "
                f"0 ≤ R < {p.needs_acceleration:g} limited progress; R < 0 deteriorating. A series whose base year "
                "already met the target but which misses it now is deteriorating.")


def _progress_no_target(settings: Settings, lang: str) -> str:
    p = settings.progress
    return _say(lang, f"无目标值时，按期望方向的年均增速划分：≥ {p.no_target_high:.1%} 为“进展顺利”，≥ {p.no_target_mid:.1%} "
                      "为“需加快”，≥ 0 为“进展有限”，< 0 为“趋势恶化”。不足两个数据点或数值非正（增速无定义）为“数据不足”；"
                      "背景指标（如地区生产总值）不评估。",
                f"Without a target, the growth in the desired direction is banded: ≥ {p.no_target_high:.1%} on "
                f"track, ≥ {p.no_target_mid:.1%} needs acceleration, ≥ 0 limited progress, < 0 deteriorating. "
                "Fewer than two data points, or non-positive values (growth undefined), are insufficient data; "
                "context indicators (such as GDP) are not assessed.")


def _progress_natural_limit(settings: Settings, lang: str) -> str:
    from indicators.engine.progress import LIMIT_EXPONENT

    p = settings.progress
    k = 1 - 0.995 ** LIMIT_EXPONENT
    return _say(lang, "有自然极限的指标（以%计的比率和覆盖率上限100%、分级指标的最高级、PUE的下限1.0）：数值在显示精度内达到极限即为"
                      f"“已实现”；无目标值时，阈值按Open SDG的方法乘以系数 1 − (y_0 / L)^{LIMIT_EXPONENT:g}（L为极限），即按离极限的"
                      f"剩余距离判断增长——例如基期99.5%时系数为{k:.3f}，“进展顺利”的阈值由{p.no_target_high:.1%}降为"
                      f"{p.no_target_high * k:.3%}。",
                "Indicators with a natural limit (a share or coverage in % up to 100, the top of a grade scale, PUE's "
                "floor of 1.0): a value at the limit, within its display rounding, is achieved; without a target the "
                f"bands are multiplied by Open SDG's coefficient 1 − (y_0 / L)^{LIMIT_EXPONENT:g} (L the limit), so "
                f"growth is judged against the distance left — from a base of 99.5 % the coefficient is {k:.3f} and "
                f"the on-track band falls from {p.no_target_high:.1%} to {p.no_target_high * k:.3%} a year.")


def _progress_which_target(settings: Settings, lang: str) -> str:
    return _say(lang, "目标取最近一年数值之后最近的目标年，没有则取最后一个目标；只采用本地区的目标（官方目标和示例目标）。全国基准、"
                      "只约束一部分的规定（如新建数据中心、某一集群）和原文注明“作参照”的目标均为基准，仅作参照，不用于判定进度。"
                      "官方目标注明发布机构和出处，转载页面注明“转载”，仅经二手文献转述的目标注明须核对原文。示例目标（非官方）"
                      "仅用于演示评估方法。每个状态都附一句中英文说明（基期和最新数值、观测与所需增速、目标及其出处，或所用分档）。",
                "The target is the nearest target year at or after the latest value's year, else the last one; only "
                "the unit's own targets count (official or illustrative). National figures, rules that bind only a "
                "part (new data centres, one cluster) and goals their source gives “as a reference” are benchmarks: "
                "shown for reference, never used for a status. An official target names its issuer and source, a "
                "repost is marked as such, and one confirmed only through a secondary source says so. "
                "Illustrative targets only demonstrate the method. Every status comes with one sentence in each "
                "language saying why (base and latest values, observed and required growth, the target and its "
                "source, or the bands used).")


def _progress_example(settings: Settings, lang: str) -> str:
    return _say(lang, "示例：y_0 = 100（2020年），y_t = 121（2022年），目标 T = 150（2025年）：CAGR_o = 10%，CAGR_r = 8.4%，"
                      "R = 1.19，判为“进展顺利”。",
                "Example: y_0 = 100 (2020), y_t = 121 (2022), target T = 150 (2025): CAGR_o = 10 %, "
                "CAGR_r = 8.4 %, R = 1.19 → on track.")


PROGRESS_RULES: list[Callable[[Settings, str], str]] = [
    _progress_basis, _progress_target, _progress_no_target, _progress_natural_limit, _progress_which_target,
    _progress_example]


def progress_method(settings: Settings, lang: str = "zh") -> list[str]:
    return [rule(settings, lang) for rule in PROGRESS_RULES]


# ── the composite index (indicators/composite.py) ────────────────────────────────────────────────────

def index_method(settings: Settings, cat: Catalogue, lang: str = "zh") -> list[str]:
    return _index_construction(settings, cat, lang) + index_fragility(settings, cat, lang)


def _index_construction(settings: Settings, cat: Catalogue, lang: str) -> list[str]:
    p = settings.index
    n = sum(1 for i in cat.indicators.values() if i.in_index)
    weights = _say(lang, "、", ", ").join(_say(lang, f"第{c}章 {w:g}", f"ch. {c}: {w:g}")
                                        for c, w in sorted(p.chapter_weights.items()))
    missing = MISSING_POLICY.get(p.missing, (p.missing, p.missing))
    return [
        _say(lang, f"综合指数参照欧盟数字经济与社会指数（DESI）方法，对12个盟市计算，共纳入{n}项指标（指标体系中带指数权重者），"
                   "只用盟市的完整年度值。",
             f"The composite index follows the EU's DESI and covers the 12 leagues with {n} indicators (those with "
             "an index weight in the catalogue), from the leagues' complete annual values."),
        _say(lang, f"各指标做最小—最大标准化，边界为12个盟市在{p.base_year}年及以前各年（参照期，[index] base_year）全部数值中的"
                   "最小值和最大值——不是基期一年的最值；参照期内无数值的指标用其有数值的第一年。边界固定，因此各年得分可比，"
                   "之后年份的得分可低于0或高于100。越低越好的指标取反向；参照期内各盟市数值相同的指标，有数值者均得满分。",
             "Each indicator is normalised min–max with bounds = the minimum and maximum over the 12 leagues and "
             f"every year up to {p.base_year} (the reference period, [index] base_year) — pooled, not the base "
             "year alone; an indicator without values in that period uses its first year with values. The bounds "
             "stay fixed, so scores compare over time and later years may fall below 0 or exceed 100. "
             "Lower-is-better indicators are flipped; an indicator equal for every league over the reference "
             "period scores full marks wherever it has a value."),
        _say(lang, f"章内按指标权重加权平均得到分项指数（0–100），本章有数值的指标权重占比低于{p.min_coverage:.0%}"
                   f"（[index] min_coverage）时不计算该分项；各章按章节权重（{weights}）对有分项指数的章加权平均，得到综合指数，"
                   f"权重为0的章不参与。缺失值处理：{missing[0]}（[index] missing = {p.missing}）。",
             "Within a chapter the scores are averaged by index weight into a sub-index (0–100); a chapter whose "
             f"indicators with values carry less than {p.min_coverage:.0%} of its weight ([index] min_coverage) "
             f"gets none. The composite is the mean of the available sub-indices weighted by chapter ({weights}); "
             f"a chapter of weight 0 takes no part. Missing values: {missing[1]} ([index] missing = {p.missing})."),
        _say(lang, "得分保留1位小数；名次按公布的得分从高到低排列，得分相同者名次相同（标为“3=”），其后名次顺延。",
             "Scores are published with one decimal; ranks follow the published scores, highest first, and equal "
             "scores share a rank (shown as “3=”), the next rank being skipped."),
    ]


def index_fragility(settings: Settings, cat: Catalogue, lang: str = "zh") -> list[str]:
    """What the coverage warning and the sensitivity table say, with the chapters concerned."""
    p = settings.index
    codes = [i for i in cat.indicators.values() if i.in_index]
    thin = [(c, sum(1 for i in codes if i.chapter == c)) for c, w in sorted(p.chapter_weights.items()) if w > 0]
    thin = [(c, k) for c, k in thin if k < p.min_chapter_indicators]
    listed = _say(lang, "、", ", ").join(_say(lang, f"第{c}章（{k}项）", f"chapter {c} ({k})") for c, k in thin)
    return [
        _say(lang, f"依据少于{p.min_chapter_indicators}项指标（[index] min_chapter_indicators）的分项指数标为“依据单薄”："
                   "一个盟市的一个数值即可决定该章得分。" + (f"现行指标体系中为{listed}。" if thin else "现行指标体系中没有这样的章。"),
             f"A sub-index resting on fewer than {p.min_chapter_indicators} indicators ([index] "
             "min_chapter_indicators) is flagged as fragile: one value of one league decides that chapter. "
             + (f"In the current catalogue: {listed}." if thin else "The current catalogue has none.")),
        _say(lang, "稳健性检验（参照JRC/OECD《构建综合指数手册》）：除所选权重外，依次去掉一个有权重的章（其余各章按原有权重比例"
                   "重新加权），以及全部指标等权（不分章，缺失值规则相同），重新计算综合指数和名次；名次范围为这些情形"
                   "（含所选权重）中的最好与最差名次。范围越宽，排名越取决于权重的选择。",
             "Sensitivity (JRC/OECD Handbook on Constructing Composite Indicators): besides the chosen weights, the "
             "index and ranks are recomputed with each weighted chapter left out in turn (the other chapters keep "
             "their relative weights) and with every index indicator weighted equally (chapters ignored; the same "
             "missing-value rule). A league's rank range is its best and worst rank over these scenarios, the "
             "chosen weights included; the wider it is, the more the rank depends on the weighting."),
    ]


# ── how numbers are shown (dashboard and bulletin alike) ─────────────────────────────────────────────

def presentation_method(lang: str = "zh") -> list[str]:
    return [
        _say(lang, "数值按指标体系规定的小数位数显示，看板的表格、图表标签、悬停提示和下载与监测分析报告一致；看板下载的数据已按此舍入，"
                   "全精度数据用 dem data export 导出。",
             "Values are shown with the catalogue's number of decimals in the dashboard's tables, chart labels, "
             "hover texts and downloads and in the bulletin alike; the dashboard's downloads are rounded so, "
             "`dem data export` gives full precision."),
        _say(lang, "同比为与上年同期相比：单位为“%”的指标（占比、比率）用百分点（个百分点）表示，其他指标用百分比表示（上年值须为正）。",
             "Year-on-year change compares with the same period of the previous year: for indicators in “%” "
             "(shares, rates) in percentage points (pp), for all others in per cent (the previous value must be "
             "positive)."),
        _say(lang, "盟市名次按公布的数值（按指标方向）排列，数值相同者并列（标为“3=”）。",
             "League ranks follow the published values (by the indicator's direction); equal values share a rank "
             "(shown as “3=”)."),
    ]


# ── docs/methods.md ──────────────────────────────────────────────────────────────────────────────────

TITLES = {"rollup": ("汇总、频率折算与派生指标", "Aggregation, frequency roll-ups and derived indicators"),
          "progress": ("目标进度评估", "Progress against targets"),
          "index": ("综合指数", "Composite index"),
          "presentation": ("数值的显示", "How numbers are shown")}


def sections(settings: Settings, cat: Catalogue, lang: str = "zh") -> dict[str, list[str]]:
    """Every method by name, in the order documents give them."""
    return {"rollup": rollup_method(settings, lang), "progress": progress_method(settings, lang),
            "index": index_method(settings, cat, lang), "presentation": presentation_method(lang)}


def markdown(settings: Settings, cat: Catalogue) -> str:
    """docs/methods.md: every method in Chinese, then in English, with the settings in force."""
    out = ["# 方法说明 · Methods", "",
           "<!-- Generated from indicators/engine/methods.py for config/settings.toml by `python -m indicators.engine.methods "
           "> docs/methods.md`; do not edit by hand (tests/test_display_consistency.py compares them). -->", ""]
    zh, en = sections(settings, cat, "zh"), sections(settings, cat, "en")
    for name, (title_zh, title_en) in TITLES.items():
        out += [f"## {title_zh} · {title_en}", ""]
        out += [text + "\n" for text in zh[name]]
        out += [text + "\n" for text in en[name]]
    return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":
    from indicators.base.catalogue import default_catalogue
    from indicators.base.settings import load_settings

    print(markdown(load_settings(environ={}), default_catalogue()), end="")
