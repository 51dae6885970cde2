"""绩效自评: the 项目支出绩效自评表 as filed (财预〔2020〕10号): the money block by fund source,
年度总体目标 expected vs achieved, the scored indicator table, the total and the closing block."""
from __future__ import annotations

from . import layout as L
from ..rules import Rules
from ..targets import format_number
from .monitoring import header_refs
from .score_formulas import indicator_score_row, level_rows, totals
from .unit_cost import build_unit_cost
from .style import (TWO_LINE_ROW, CENTER, E, MONEY_FMT, PCT_FMT, WRAP, X, box, define_name, formula, input_cell,
                    label, legible_print, page_setup, sheet_title, validate)

__all__ = ["build_self_evaluation"]


def build_self_evaluation(wb, rules: Rules):
    ws = wb.create_sheet(L.EVAL)
    page_setup(ws, landscape=True, widths=L.EVAL_WIDTHS, freeze="A3")
    legible_print(ws, L.EVAL_WIDTHS, landscape=True)
    last = L.EVAL_LAST_COL
    sheet_title(ws, "项目支出绩效自评表", last)
    header_refs(ws, 2, last)
    calc = wb.create_sheet(L.CALC)
    calc.sheet_state = "veryHidden"
    _money(wb, ws, calc)
    _deviation_reason(ws, rules)
    _goal(ws)
    _indicators(ws, calc, len(rules.groups))
    build_unit_cost(wb, ws, calc)
    _closing(ws)


def _money(wb, ws, calc):
    """年度资金总额 (typed, or summed from its rows) and 其中：财政拨款 / 上年结转 / 其他资金."""
    C, h, r = L.EVAL_BUDGET_COLS, L.EVAL_BUDGET_HEAD, L.EVAL_BUDGET_ROW
    first, last = L.EVAL_FUND_FIRST, L.EVAL_FUND_LAST
    heads = {"label": "资金（万元）", "budget": "年初预算数", "year_budget": "全年预算数",
             "year_spent": "全年执行数", "weight": "分值", "rate": "执行率", "score": "得分",
             "cost_rate": "成本控制率"}
    for key, col in C.items():
        label(ws, f"{col}{h}", heads[key])
    label(ws, f"I{h}", "说明", merge=f"I{h}:{L.EVAL_LAST_COL}{h}")
    ws.row_dimensions[h].height = 28
    label(ws, f"{C['label']}{r}", "年度资金总额")
    formula(ws, f"{C['budget']}{r}", '=IF(ISNUMBER(Budget),Budget,"")', fmt=MONEY_FMT)
    input_cell(ws, f"{C['year_budget']}{r}", fmt=MONEY_FMT, align=CENTER)
    input_cell(ws, f"{C['year_spent']}{r}", fmt=MONEY_FMT, align=CENTER)
    formula(ws, f"{C['weight']}{r}", "=WeightExecution", fmt="0.00")
    # The total's 全年执行数: typed, else the sum of the fund rows (on _calc, out of sight).
    eff_spent = L.NAMES["EffSpent"].ref
    calc[eff_spent] = ('=IF(ISNUMBER(YearSpent),YearSpent,IF(COUNT(FundYearSpent)>0,'
                       'SUM(FundYearSpent),""))')
    define_name(wb, "EffSpent", L.CALC, eff_spent)
    rate = f"{C['rate']}{r}"
    formula(ws, rate, '=IF(AND(ISNUMBER(EffSpent),ISNUMBER(EffBudget)),'
            'IF(EffBudget=0,"",EffSpent/EffBudget),"")', fmt=PCT_FMT)
    raw = f"{L.EVAL_HELPER_COL['grp']}{r}"   # the unrounded execution points, kept for the total
    calc[raw] = f'=IF({E}{rate}="",0,MAX(0,MIN({E}{rate},1)*{E}{C["weight"]}{r}))'
    formula(ws, f"{C['score']}{r}", f'=IF({E}{rate}="","",ROUND({X}{raw},2))', fmt="0.00")
    formula(ws, f"{C['cost_rate']}{r}", '=IF(AND(ISNUMBER(EffSpent),ISNUMBER(EffBudget)),'
            'IF(EffBudget=0,"",(EffSpent-EffBudget)/EffBudget),"")', fmt=PCT_FMT)
    agree = lambda rows, total: (f"OR(NOT(ISNUMBER({total})),COUNT({rows})=0,"
                                 f"ROUND(SUM({rows})-N({total}),6)=0)")   # OR evaluates all: N() for text
    formula(ws, f"I{r}", '=IF(COUNT(FundBudget,FundYearBudget,FundYearSpent)=0,"",IF(AND('
            f'{agree("FundBudget", "Budget")},{agree("FundYearBudget", "YearBudget")},'
            f'{agree("FundYearSpent", "YearSpent")}),"总额与分项合计一致","总额与分项合计不一致"))',
            merge=f"I{r}:{L.EVAL_LAST_COL}{r}", align=WRAP)
    for key, row in zip(L.FUND_KEYS, range(first, last + 1)):
        label(ws, f"{C['label']}{row}", L.FUND_LABELS[key], bold=False)
        for col in (C["budget"], C["year_budget"], C["year_spent"]):
            input_cell(ws, f"{col}{row}", fmt=MONEY_FMT, align=CENTER)
        b, y, s = (f"{C[k]}{row}" for k in ("budget", "year_budget", "year_spent"))
        base = f"IF(ISNUMBER({y}),{y},{b})"
        formula(ws, f"{C['rate']}{row}", f'=IF(AND(ISNUMBER({s}),ISNUMBER({base})),'
                f'IF({base}=0,"",{s}/{base}),"")', fmt=PCT_FMT)
        for col in (C["weight"], C["score"], C["cost_rate"]):
            box(ws, f"{col}{row}")
    ws[f"I{first}"] = ("执行率=全年执行数÷全年预算数（未调整时为年初预算数）；成本控制率=（执行数−预算数）÷预算数；"
                       "总额可直接填写，或留空由分项相加")
    box(ws, f"I{first}:{L.EVAL_LAST_COL}{last}", align=WRAP)
    validate(ws, f"{C['year_budget']}{r}:{C['year_spent']}{r} "
             f"{C['budget']}{first}:{C['year_spent']}{last}", kind="decimal",
             operator="greaterThanOrEqual", formula1="0",
             prompt="单位万元；全年预算数未调整时留空；总额留空时按分项合计",
             error="金额应为不小于0的数字（单位：万元）")


def _deviation_reason(ws, rules: Rules):
    """执行率偏差原因: asked for when the 执行率 is below the rulebook's threshold."""
    rr = L.EVAL_REASON_ROW
    label(ws, f"A{rr}", "执行率偏差原因", merge=f"A{rr}:C{rr}")
    input_cell(ws, f"{L.EVAL_REASON_COL}{rr}:{L.EVAL_LAST_COL}{rr}")
    ws.row_dimensions[rr].height = 30
    validate(ws, f"{L.EVAL_REASON_COL}{rr}", kind="custom", formula1="TRUE", stop=False, error="",
             prompt=f"预算执行率低于{format_number(rules.low_execution_rate)}%时须说明原因")


def _goal(ws):
    h, r = L.EVAL_GOAL_HEAD, L.EVAL_GOAL_ROW
    label(ws, f"A{h}", "年度总体目标", merge=f"A{h}:A{r}")
    label(ws, f"B{h}", "预期目标", merge=f"B{h}:E{h}")
    label(ws, f"F{h}", "实际完成情况", merge=f"F{h}:{L.EVAL_LAST_COL}{h}")
    formula(ws, f"B{r}", '=IF(Goal="","",Goal)', merge=f"B{r}:E{r}", align=WRAP)
    input_cell(ws, f"F{r}:{L.EVAL_LAST_COL}{r}")
    ws.row_dimensions[r].height = 45
    validate(ws, f"F{r}", kind="custom", formula1="TRUE", stop=False, error="",
             prompt="对照申报表的绩效目标，写明年度总体目标的实际完成情况")


def _indicators(ws, calc, levels: int):
    heads = {"level1": "一级指标", "level2": "二级指标", "name": "三级指标", "target": "年度指标值",
             "actual": "实际完成值", "applicable": "是否适用", "weight_input": "指定分值",
             "weight": "分值", "score": "得分", "analysis": "偏差原因分析及改进措施",
             "rated": "评分（定性）"}
    for key, col in L.EVAL_IND_COLS.items():
        label(ws, f"{col}{L.EVAL_IND_HEAD}", heads[key])
    ws.row_dimensions[L.EVAL_IND_HEAD].height = 28
    for i in range(L.INDICATOR_ROWS):
        indicator_score_row(ws, calc, L.EVAL_IND_FIRST + i, L.IND_FIRST + i, L.MON_IND_FIRST + i)
        # two lines for the names shown by formula (see monitoring): rows never grow by themselves
        ws.row_dimensions[L.EVAL_IND_FIRST + i].height = TWO_LINE_ROW
    totals(ws, L.EVAL_BUDGET_ROW, levels)
    level_rows(calc, levels)
    first, last = L.EVAL_IND_FIRST, L.EVAL_IND_LAST
    c = L.EVAL_IND_COLS
    validate(ws, f"{c['applicable']}{first}:{c['applicable']}{last}", kind="list",
             formula1="ApplicableChoices", prompt="指标不适用时选“否”，其分值不计，总分按100分折算",
             error="请选择“是”或“否”")
    validate(ws, f"{c['weight_input']}{first}:{c['weight_input']}{last}", kind="decimal",
             operator="between", formula1="0", formula2="100",
             prompt="留空则按该类指标权重平均分配", error="分值应为0–100之间的数字")
    validate(ws, f"{c['actual']}{first}:{c['actual']}{last}", kind="custom", formula1="TRUE",
             prompt="填实际完成的数值（如96%、22次）、日期（2022-11-30）或定性等级（达成年度指标/部分达成/未达成）",
             error="", stop=False)
    validate(ws, f"{c['rated']}{first}:{c['rated']}{last}", kind="decimal", operator="between",
             formula1="0", formula2="100",
             prompt="定性指标的评分（分）：达成80%–100%、部分达成60%–80%、未达成0–60%的分值；留空按规则默认比例",
             error="评分应为0–100之间的数字")
    validate(ws, f"{c['analysis']}{first}:{c['analysis']}{last}", kind="custom", formula1="TRUE",
             prompt="失分的指标写明偏差原因分析及改进措施", error="", stop=False)


def _closing(ws):
    """评价结论, 存在问题, 改进措施, then 项目负责人, 财务负责人, 填报日期."""
    for i, key in enumerate(L.EVAL_CLOSE_TEXTS):
        r = L.EVAL_CLOSE_FIRST + i
        label(ws, f"A{r}", L.EVAL_CLOSE_LABELS[key])
        input_cell(ws, f"B{r}:{L.EVAL_LAST_COL}{r}")
        ws.row_dimensions[r].height = 40
    s = L.EVAL_SIGN_ROW
    label(ws, f"A{s}", "项目负责人")
    input_cell(ws, f"B{s}:C{s}", align=CENTER)
    label(ws, f"D{s}", "财务负责人")
    input_cell(ws, f"E{s}:F{s}", align=CENTER)
    label(ws, f"G{s}", "填报日期")
    input_cell(ws, f"H{s}:{L.EVAL_LAST_COL}{s}", fmt="yyyy-mm-dd", align=CENTER)
    first, last = L.EVAL_CLOSE_FIRST, L.EVAL_CLOSE_FIRST + len(L.EVAL_CLOSE_TEXTS) - 1
    validate(ws, f"B{first}:B{last}", kind="custom", formula1="TRUE", stop=False, error="",
             prompt="评价结论、存在问题、改进措施，按自评报告填写")
    validate(ws, f"B{s} E{s}", kind="custom", formula1="TRUE", stop=False, error="",
             prompt="负责人姓名")
    validate(ws, f"H{s}", kind="date", operator="greaterThan", formula1="32874",
             prompt="填报日期，如2023-01-15", error="请填写日期，如2023-01-15")
