"""绩效运行监控: the snapshot "截至X月", the quarters, the indicators with one text column per
deviation cause, and 整改 — the monitoring table of 财预〔2019〕136号 as provinces file it."""
from __future__ import annotations

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill

from . import layout as L
from ..rules import Rules
from .style import (TWO_LINE_ROW, CENTER, D, LIGHT_STYLES, MONEY_FMT, PCT_FMT, WRAP, box, define_name, formula,
                    input_cell, label, legible_print, page_setup, sheet_title, validate)

__all__ = ["build_monitoring", "header_refs", "target_display"]

QUARTER_NAMES = ("第一季度", "第二季度", "第三季度", "第四季度")


def header_refs(ws, row: int, last_col: str):
    """项目编码, 项目名称 and 部门 repeated from the 申报表 at the top of a sheet."""
    label(ws, f"A{row}", "项目编码")
    formula(ws, f"B{row}", '=IF(ProjCode="","",ProjCode)', merge=f"B{row}:C{row}")
    label(ws, f"D{row}", "项目名称")
    formula(ws, f"E{row}", '=IF(ProjName="","",ProjName)', merge=f"E{row}:G{row}", align=WRAP)
    label(ws, f"H{row}", "部门")
    formula(ws, f"I{row}", '=IF(DeptName="","",DeptName)', align=WRAP,
            merge=f"I{row}:{last_col}{row}" if last_col != "I" else None)
    ws.row_dimensions[row].height = 28


def _band(ratio: str) -> str:
    """The light label of progress ÷ reference × 100, from the rulebook's bands."""
    return f"INDEX(LightLabels,SUMPRODUCT(--(LightBelow<={ratio}))+1)"


def _light_colours(ws, area: str, first_cell: str, rules: Rules):
    for k, band in enumerate(rules.monitoring["lights"], start=1):
        fill, font = LIGHT_STYLES.get(band["light"], ("FFFFFF", "000000"))
        # The label is looked up, not spelled into the formula: rulebook text is never code.
        ws.conditional_formatting.add(area, FormulaRule(
            formula=[f'{first_cell}=INDEX(LightLabels,{k})'],
            fill=PatternFill("solid", fgColor=fill, bgColor=fill), font=Font(color=font, bold=True)))


def build_monitoring(wb, rules: Rules):
    ws = wb.create_sheet(L.MON)
    last = L.MON_LAST_COL
    page_setup(ws, landscape=True, widths=L.MON_WIDTHS, freeze="A3")
    legible_print(ws, L.MON_WIDTHS, landscape=True)
    sheet_title(ws, "项目支出绩效运行监控表", last)
    header_refs(ws, 2, last)
    label(ws, "A3", "预算数（万元）")
    formula(ws, "B3", "=IF(ISNUMBER(YearBudget),YearBudget,IF(COUNT(FundYearBudget)>0,"
            "SUM(FundYearBudget),IF(ISNUMBER(Budget),Budget,\"\")))", fmt=MONEY_FMT, merge="B3:C3")
    define_name(wb, "EffBudget", L.MON, L.NAMES["EffBudget"].ref)
    ws.row_dimensions[3].height = 28
    label(ws, "D3", "说明", bold=False)
    ws["E3"] = ("预算数取全年预算数（已调整时），否则取年初预算数；执行率、支出进度=执行数÷预算数；"
                "时间进度=X÷12")
    box(ws, f"E3:{last}3", align=WRAP)
    _snapshot(ws, rules)
    _quarters(ws, rules)
    _indicators(ws, rules)
    _rectification(ws)


def _snapshot(ws, rules: Rules):
    """截至X月: 1–X月执行数, 执行率, 全年预计执行数 and the light against time progress."""
    C, h, r = L.MON_SNAP_COLS, L.MON_SNAP_HEAD, L.MON_SNAP_ROW
    month = f"{C['month']}{r}"
    span = f'IF(ISNUMBER({month}),"1-"&{month}&"月","1-X月")'
    heads = {"month": "监控月份（截至X月）", "budget": "年初预算数（万元）",
             "year_budget": "全年预算数（万元）", "rate": "执行率", "forecast": "全年预计执行数（万元）",
             "forecast_rate": "全年预计执行率", "time": "时间进度", "light": "监控灯"}
    for key, col in C.items():
        if key == "spent":
            formula(ws, f"{col}{h}", f'={span}&"执行数（万元）"')
            box(ws, f"{col}{h}", fill=None, bold=True, align=CENTER)
        else:
            label(ws, f"{col}{h}", heads[key])
    ws.row_dimensions[h].height = 30
    input_cell(ws, month, fmt="0", align=CENTER)
    formula(ws, f"{C['budget']}{r}", '=IF(ISNUMBER(Budget),Budget,"")', fmt=MONEY_FMT)
    formula(ws, f"{C['year_budget']}{r}", '=IF(ISNUMBER(YearBudget),YearBudget,'
            'IF(COUNT(FundYearBudget)>0,SUM(FundYearBudget),""))', fmt=MONEY_FMT)
    spent, forecast = f"{C['spent']}{r}", f"{C['forecast']}{r}"
    input_cell(ws, spent, fmt=MONEY_FMT, align=CENTER)
    input_cell(ws, forecast, fmt=MONEY_FMT, align=CENTER)
    share = lambda x: (f'IF(AND(ISNUMBER({x}),ISNUMBER(EffBudget)),'
                       f'IF(EffBudget=0,"",{x}/EffBudget),"")')
    rate, time = f"{C['rate']}{r}", f"{C['time']}{r}"
    formula(ws, rate, "=" + share(spent), fmt=PCT_FMT)
    formula(ws, f"{C['forecast_rate']}{r}", "=" + share(forecast), fmt=PCT_FMT)
    formula(ws, time, f'=IF(AND(ISNUMBER({month}),{month}>=1,{month}<=12),{month}/12,"")',
            fmt=PCT_FMT)
    light = f"{C['light']}{r}"
    formula(ws, light, f'=IF(OR({rate}="",{time}=""),"",{_band(f"{rate}/{time}*100")})')
    _light_colours(ws, light, f"${C['light']}${r}", rules)
    lights = rules.monitoring["lights"]
    bounds = "；".join(f"{b['label']}<{b['below']}" if b["below"] is not None
                      else f"{b['label']}≥{lights[-2]['below']}" for b in lights)
    first_note = L.shift_col(C["light"], 1)
    ws[f"{first_note}{h}"] = f"灯色：执行率÷时间进度×100，{bounds}"
    box(ws, f"{first_note}{h}:{L.MON_LAST_COL}{r}", align=WRAP)
    month_default = int(rules.monitoring.get("month", 6))
    validate(ws, month, kind="whole", operator="between", formula1="1", formula2="12",
             prompt=f"监控截至的月份X（1–12），如1-6月填6；本规则通常为{month_default}月",
             error="监控月份应为1–12之间的整数")
    validate(ws, f"{spent} {forecast}", kind="decimal", operator="greaterThanOrEqual",
             formula1="0", prompt="1-X月累计执行数、全年预计执行数，单位万元",
             error="金额应为不小于0的数字（单位：万元）")


def _quarters(ws, rules: Rules):
    h = L.MON_Q_HEAD
    heads = {"plan": "计划累计支出进度", "actual": "实际累计支出（万元）", "progress": "实际支出进度",
             "variance": "偏差（百分点）", "time": "时间进度", "light": "监控灯"}
    label(ws, f"A{h}", "季度")
    for key, col in L.MON_Q_COLS.items():
        label(ws, f"{col}{h}", heads[key])
    rule_col = L.shift_col(L.MON_Q_COLS["light"], 1)
    label(ws, f"{rule_col}{h}", "灯色规则", merge=f"{rule_col}{h}:{L.MON_LAST_COL}{h}")
    ws.row_dimensions[h].height = 28
    C = L.MON_Q_COLS
    for q in range(1, 5):
        r = L.MON_Q_FIRST + q - 1
        label(ws, f"A{r}", QUARTER_NAMES[q - 1])
        plan = f"PlanQ{q}"
        value = f"IF(ISNUMBER({plan}),{plan},VALUE(TRIM({plan})))"
        # A plan typed as 25 instead of 25% is read as a percentage, like the Python reader.
        formula(ws, f"{C['plan']}{r}", f'=IFERROR(IF(ABS({value})<=1,{value},{value}/100),"")',
                fmt=PCT_FMT)
        input_cell(ws, f"{C['actual']}{r}", fmt=MONEY_FMT, align=CENTER)
        a, pr, pl = f"{C['actual']}{r}", f"{C['progress']}{r}", f"{C['plan']}{r}"
        formula(ws, pr, f'=IF(AND(ISNUMBER({a}),ISNUMBER(EffBudget)),IF(EffBudget=0,"",{a}/EffBudget),"")',
                fmt=PCT_FMT)
        formula(ws, f"{C['variance']}{r}", f'=IF(OR({pr}="",{pl}=""),"",{pr}*100-{pl}*100)',
                fmt="0.00")
        formula(ws, f"{C['time']}{r}", f"={q * 25}%", fmt="0%")
        ref = f'IF(LightRef="time",{C["time"]}{r},{pl})'
        formula(ws, f"{C['light']}{r}",
                f'=IF(OR({pr}="",{ref}=""),"",IF({ref}<=0,{_band(100)},{_band(f"{pr}/{ref}*100")}))')
    lights = rules.monitoring["lights"]
    bounds = "；".join(f"{b['label']}<{b['below']}" if b["below"] is not None
                      else f"{b['label']}≥{lights[-2]['below']}" for b in lights)
    reference = "时间进度" if rules.monitoring["light_reference"] == "time" else "计划进度"
    ws[f"{rule_col}{L.MON_Q_FIRST}"] = f"实际进度÷{reference}×100：{bounds}"
    box(ws, f"{rule_col}{L.MON_Q_FIRST}:{L.MON_LAST_COL}{L.MON_Q_FIRST + 3}", align=WRAP)
    area = f"{C['light']}{L.MON_Q_FIRST}:{C['light']}{L.MON_Q_FIRST + 3}"
    _light_colours(ws, area, f'${C["light"]}{L.MON_Q_FIRST}', rules)
    validate(ws, f"{C['actual']}{L.MON_Q_FIRST}:{C['actual']}{L.MON_Q_FIRST + 3}", kind="decimal",
             operator="greaterThanOrEqual", formula1="0",
             prompt="截至本季度末的累计实际支出，单位万元", error="金额应为不小于0的数字（单位：万元）")


def target_display(d: int) -> str:
    """The 指标值 as a reader expects it: the original text, else the structured cells joined."""
    e, f, g, i = (f"{D}{c}{d}" for c in "EFGI")
    # a "95%" typed into a %-formatted 指标值 cell is 0.95: shown as 95 next to the unit "%"
    # Nested IFs, not AND(ISNUMBER(F),…,ABS(F)…): AND evaluates every argument in Excel and
    # LibreOffice alike, so ABS of a 定性 or 区间 text would make the whole cell #VALUE!.
    shown_f = (f'IF(ISNUMBER({f}),IF(TRIM({e})="日期",TEXT({f},"yyyy-mm-dd"),'
               f'IF(AND(TRIM({g})="%",ABS({f})<=1),{f}*100,{f})),{f})')
    op = f'IF(OR(TRIM({e})="",TRIM({e})="=",TRIM({e})="定性",TRIM({e})="日期",TRIM({e})="区间"),"",TRIM({e}))'
    return f'IF(TRIM({i})<>"",{i},IF(TRIM({f})="","",{op}&{shown_f}&{g}))'


def _indicators(ws, rules: Rules):
    h, causes = L.MON_IND_HEAD, list(rules.monitoring["deviation_causes"])[:L.CAUSE_COUNT]
    causes += [""] * (L.CAUSE_COUNT - len(causes))
    cause_cols = [L.shift_col(L.MON_CAUSE_FIRST, i) for i in range(L.CAUSE_COUNT)]
    heads = {"level1": "一级指标", "level2": "二级指标", "name": "三级指标", "target": "年度指标值",
             "progress": "1-X月执行情况", "forecast": "全年预计完成情况",
             "likelihood": "完成目标可能性", "remark": "备注"}
    sub = h - 1   # the group header "偏差原因分析" above the cause columns
    label(ws, f"{cause_cols[0]}{sub}", "偏差原因分析（有偏差时在对应原因下说明）",
          merge=f"{cause_cols[0]}{sub}:{cause_cols[-1]}{sub}")
    for key, col in L.MON_IND_COLS.items():
        if key != "causes":
            label(ws, f"{col}{h}", heads[key])
    ws[f"{L.MON_IND_COLS['progress']}{h}"] = (
        f'=IF(ISNUMBER(MonMonth),"1-"&MonMonth&"月执行情况","1-X月执行情况")')
    for col, cause in zip(cause_cols, causes):
        label(ws, f"{col}{h}", cause)
        ws[f"{col}{h}"].data_type = "s"   # rulebook text is data, even if it starts with "="
    ws.row_dimensions[h].height = 28
    for i in range(L.INDICATOR_ROWS):
        r, d = L.MON_IND_FIRST + i, L.IND_FIRST + i
        for key in ("level1", "level2", "name"):
            src = f"{D}{L.IND_COL[key]}{d}"
            formula(ws, f"{L.MON_IND_COLS[key]}{r}", f'=IF({src}="","",{src})', align=WRAP)
        formula(ws, f"{L.MON_IND_COLS['target']}{r}", "=" + target_display(d), align=WRAP)
        for key in ("progress", "forecast", "remark"):
            input_cell(ws, f"{L.MON_IND_COLS[key]}{r}", align=WRAP)
        for col in cause_cols:
            input_cell(ws, f"{col}{r}", align=WRAP)
        input_cell(ws, f"{L.MON_IND_COLS['likelihood']}{r}", align=CENTER)
        # Two lines: 一级/二级/三级 here are formulas, and no engine grows a row when a formula's
        # text wraps, so "服务对象满意度指标" typed on the 申报表 would spill over the next row.
        ws.row_dimensions[r].height = TWO_LINE_ROW
    first, last = L.MON_IND_FIRST, L.MON_IND_LAST
    validate(ws, f"{cause_cols[0]}{first}:{cause_cols[-1]}{last}", kind="custom", formula1="TRUE",
             stop=False, error="", prompt="有偏差时，在对应原因（经费、制度、人员、硬件条件、其他）下"
                                          "写明具体原因；可同时填写多项")
    lk = L.MON_IND_COLS["likelihood"]
    validate(ws, f"{lk}{first}:{lk}{last}", kind="list", formula1="LikelihoodChoices",
             prompt="预计能否完成年度目标",
             error="完成目标可能性应从下拉列表中选择：" + "、".join(rules.monitoring["likelihoods"]))
    validate(ws, f"{L.MON_IND_COLS['progress']}{first}:{L.MON_IND_COLS['forecast']}{last}",
             kind="custom", formula1="TRUE", stop=False, error="",
             prompt="截至监控月份的执行情况（左）和预计全年完成情况（右）")
    n = L.MON_NOTE_ROW
    label(ws, f"A{n}", "说明")
    input_cell(ws, f"B{n}:{L.MON_LAST_COL}{n}")
    ws.row_dimensions[n].height = 36
    validate(ws, f"B{n}", kind="custom", formula1="TRUE", stop=False, error="",
             prompt="执行情况的其他说明")


def _rectification(ws):
    """整改: 是否需要整改 (是/否), 整改要求和建议, 整改结果和结论."""
    r, s, last = L.MON_RECT_ROW, L.MON_RECT_RESULT_ROW, L.MON_LAST_COL
    label(ws, f"A{r}", "是否需要整改")
    input_cell(ws, f"B{r}:C{r}", align=CENTER)
    label(ws, f"D{r}", "整改要求和建议")
    input_cell(ws, f"E{r}:{last}{r}")
    label(ws, f"A{s}", "整改结果和结论")
    input_cell(ws, f"B{s}:{last}{s}")
    ws.row_dimensions[r].height = ws.row_dimensions[s].height = 36
    validate(ws, f"B{r}", kind="list", formula1="ApplicableChoices",
             prompt="红灯或有指标完全不可能完成时，须填写是否需要整改", error="请选择“是”或“否”")
    validate(ws, f"E{r} B{s}", kind="custom", formula1="TRUE", stop=False, error="",
             prompt="需要整改时写明整改要求和建议（上）；整改完成后写明整改结果和结论（下）")
