"""The locked project workbook: the blank template with its formulas (``xlpkg.writer`` fills it).

Positions come from ``layout``; the rulebook's parameters are written into the very hidden
metadata sheet as named ranges, so the formulas follow a province's rules file. Formulas use
English names and nothing newer than Excel 2010 (no IFS/SWITCH/XLOOKUP/TEXTJOIN/LET), so Excel,
WPS and LibreOffice compute the same numbers. They mirror ``xlpkg.metrics`` step by step; the
hidden helper columns of 绩效自评 hold one step each.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.protection import WorkbookProtection

from . import layout as L
from .metrics import GROUP_LABELS, MONEY_UNITS
from .rules import Rules, load_rules, normalize_level2
from .safeio import atomic_write
from .targets import DONE_WORDS, NOT_DONE_WORDS, format_number
from .workbook import sheet_parse
from .workbook.sheet_parse import APPLICABLE_NO, APPLICABLE_YES
from .workbook.score_formulas import WHY_LONG, WHY_SHORT, indicator_score_row, level_rows, totals
from .workbook.style import (CENTER, FONT_NAME, INPUT_FILL, LIGHT_STYLES, MONEY_FMT, PCT_FMT, WRAP,
                             D, E, X, box, define_name, formula, input_cell, label, page_setup,
                             sheet_title, validate)

__all__ = ["build_workbook", "save_workbook", "write_template"]

NATURES = ("≥", "≤", "=", ">", "<", "定性", "区间", "日期")


# --- the metadata sheet: template identity and the rulebook's parameters ----------------

def _literal(ws, row: int, col: int, value) -> None:
    """A rulebook value as data: openpyxl turns any string starting with "=" into a formula,
    so a grade or light label "=1+1" from a province's rulebook would be computed."""
    cell = ws.cell(row, col, value)
    if isinstance(value, str):
        cell.data_type = "s"


def _meta_sheet(wb, rules: Rules):
    ws = wb.create_sheet(L.META)
    ws.sheet_state = "veryHidden"
    scalars = [
        ("TemplateId", L.TEMPLATE_ID), ("TemplateVersion", L.TEMPLATE_VERSION),
        ("RulesVersion", f"{rules.data.get('version', '')} {rules.source}".strip()),
        ("Illustrative", False),
        ("WeightExecution", float(rules.weight("execution"))),
        ("NegMode", rules.scoring["negative_mode"]),
        ("LateRatio", float(rules.scoring["late_date_ratio"])),
        ("EqualCostCeiling", bool(rules.scoring["equal_cost_as_ceiling"])),
        ("LightRef", rules.monitoring["light_reference"]),
        ("MissingLevel", rules.missing_level),
        ("OverFactor", float(rules.overachievement[0])),
        ("OverDeduct", rules.overachievement[1]),
    ]
    for row, (name, value) in enumerate(scalars, start=1):
        ws.cell(row, 1, name)
        _literal(ws, row, 2, value)
        define_name(wb, name, L.META, f"B{row}")
    level1 = rules.structure["level1"]
    width = max(len(v["level2"]) for v in level1.values())
    groups = ("output", "benefit", "satisfaction")
    lights = rules.monitoring["lights"]
    lists = [
        ("GroupKeys", list(groups)), ("GroupWeights", [float(rules.weight(g)) for g in groups]),
        ("L1Names", list(level1)), ("L1Groups", [v["group"] for v in level1.values()]),
        ("L1L2Count", [len(v["level2"]) for v in level1.values()]),
        ("CostL2", sorted({normalize_level2(n) for n in rules.structure["cost_level2"]})),
        ("MoneyUnits", list(MONEY_UNITS)),
        ("QualWords", list(rules.qualitative_grades())),
        ("QualRatios", [float(v) for v in rules.qualitative_grades().values()]),
        ("DoneWords", sorted(DONE_WORDS)), ("NotDoneWords", sorted(NOT_DONE_WORDS)),
        ("GradeNames", [b["grade"] for b in rules.scoring["grades"]]),
        ("GradeMins", [float(b["min"]) for b in rules.scoring["grades"]]),
        ("LightLabels", [b["label"] for b in lights]),
        ("LightBelow", [float(b["below"]) for b in lights[:-1]]),
        ("NatureChoices", list(NATURES)),
        ("CauseChoices", list(rules.monitoring["deviation_causes"])),
        ("LikelihoodChoices", list(rules.monitoring["likelihoods"])),
        ("ApplicableChoices", ["是", "否"]),
        ("ApplicableYes", list(APPLICABLE_YES)), ("ApplicableNo", list(APPLICABLE_NO)),
        ("GroupLabels", [GROUP_LABELS[g] for g in groups]),
        ("QualTierMins", [float(t["min"]) for t in rules.qualitative_tiers()]),
        ("QualTierMaxs", [float(t["max"]) for t in rules.qualitative_tiers()]),
        ("WhyShort", list(WHY_SHORT)), ("WhyLong", list(WHY_LONG)),
        *sheet_parse.meta_lists(),
    ]
    col = 4
    for name, values in lists:
        letter = L.shift_col("A", col - 1)
        ws.cell(1, col, name)
        for i, value in enumerate(values, start=2):
            _literal(ws, i, col, value)
        define_name(wb, name, L.META, f"{letter}2:{letter}{len(values) + 1}")
        col += 1
        if name == "L1L2Count":   # the 二级 lists, one row per 一级, for the dependent dropdown
            first = L.shift_col("A", col - 1)
            ws.cell(1, col, "L2Table")
            for r, entry in enumerate(level1.values(), start=2):
                for c, level2 in enumerate(entry["level2"]):
                    _literal(ws, r, col + c, level2)
            last = L.shift_col("A", col + width - 2)
            define_name(wb, "L2Table", L.META, f"{first}2:{last}{len(level1) + 1}")
            col += width
    ws.protection.sheet = True


# --- 绩效目标申报表 -----------------------------------------------------------------------

def _declaration(wb, rules: Rules):
    ws = wb.active
    ws.title = L.DECL
    page_setup(ws, landscape=False, widths=L.DECL_WIDTHS, freeze=f"A{L.DEPT_ROW + 1}")
    ws["A1"] = '=IF(ISNUMBER(FiscalYear),FiscalYear&"年度","")&"项目支出绩效目标申报表"'
    ws.merge_cells("A1:I1")
    ws["A1"].font = Font(name=FONT_NAME, size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 32

    r = L.DEPT_ROW
    label(ws, f"A{r}", "部门编码")
    input_cell(ws, f"B{r}", fmt="@", align=CENTER)
    label(ws, f"C{r}", "部门名称")
    input_cell(ws, f"D{r}:F{r}")
    label(ws, f"G{r}", "年度")
    input_cell(ws, f"H{r}:I{r}", fmt="0", align=CENTER)
    r = L.PROJ_ROW
    label(ws, f"A{r}", "项目编码")
    input_cell(ws, f"B{r}:C{r}", fmt="@", align=CENTER)
    label(ws, f"D{r}", "项目名称")
    input_cell(ws, f"E{r}:I{r}")
    r = L.BUDGET_ROW
    label(ws, f"A{r}", "预算数（万元）")
    input_cell(ws, f"B{r}:C{r}", fmt=MONEY_FMT, align=CENTER)
    label(ws, f"D{r}", "资金来源")
    input_cell(ws, f"E{r}:I{r}")

    label(ws, f"A{L.USES_TEXT_ROW}", "项目资金主要用途", merge=f"A{L.USES_TEXT_ROW}:A{L.USES_TOTAL_ROW}")
    input_cell(ws, f"B{L.USES_TEXT_ROW}:I{L.USES_TEXT_ROW}",
           align=Alignment(wrap_text=True, vertical="top"))
    ws.row_dimensions[L.USES_TEXT_ROW].height = 60
    h = L.USES_HEAD_ROW
    label(ws, f"B{h}", "序号", merge=f"B{h}:C{h}")
    label(ws, f"D{h}", "用途（明细）")
    label(ws, f"E{h}", "金额（万元）")
    label(ws, f"F{h}", "说明", merge=f"F{h}:I{h}")
    ws.row_dimensions[h].height = 28
    for i, row in enumerate(range(L.USES_FIRST, L.USES_LAST + 1), start=1):
        label(ws, f"B{row}", str(i), merge=f"B{row}:C{row}", bold=False)
        input_cell(ws, f"D{row}")
        input_cell(ws, f"E{row}", fmt=MONEY_FMT, align=CENTER)
        input_cell(ws, f"F{row}:I{row}")
    t = L.USES_TOTAL_ROW
    amounts = f"E{L.USES_FIRST}:E{L.USES_LAST}"
    label(ws, f"B{t}", "合计", merge=f"B{t}:D{t}")
    formula(ws, f"E{t}", f"=SUM({amounts})", fmt=MONEY_FMT)
    formula(ws, f"F{t}", f'=IF(COUNT({amounts})=0,"",IF(ROUND(E{t}-N(Budget),6)=0,'
             f'"合计与预算数一致","合计与预算数相差"&TEXT(E{t}-N(Budget),"0.00")&"万元"))',
             merge=f"F{t}:I{t}")
    ws.conditional_formatting.add(
        f"F{t}:I{t}", FormulaRule(formula=[f'AND($F${t}<>"",$F${t}<>"合计与预算数一致")'],
                                  font=Font(color="C00000", bold=True)))

    h, p = L.PLAN_HEAD_ROW, L.PLAN_ROW
    label(ws, f"A{h}", "资金支出计划（累计进度%）", merge=f"A{h}:A{p}")
    plan_cells = []
    for q, col in enumerate(L.PLAN_COLS):
        area_h = f"{col}{h}:F{h}" if q == 3 else f"{col}{h}"
        area_p = f"{col}{p}:F{p}" if q == 3 else f"{col}{p}"
        label(ws, f"{col}{h}", ("第一季度", "第二季度", "第三季度", "第四季度")[q],
               merge=area_h if q == 3 else None)
        input_cell(ws, area_p, fmt=PCT_FMT, align=CENTER)
        plan_cells.append(f"{col}{p}")
    label(ws, f"G{h}", "计划检查", merge=f"G{h}:I{h}")
    b1, b2, b3, b4 = plan_cells
    formula(ws, f"G{p}", f'=IF(COUNT({b1},{b2},{b3},{b4})<4,"",IF(AND({b1}<={b2},{b2}<={b3},'
             f'{b3}<={b4},ROUND({b4},6)=1),"累计进度正确","应逐季不减且第四季度为100%"))',
             merge=f"G{p}:I{p}")

    g = L.GOAL_ROW
    label(ws, f"A{g}", "绩效目标")
    input_cell(ws, f"B{g}:I{g}")
    ws.row_dimensions[g].height = 45

    for col, head in zip(L.DECL_COLUMNS, L.IND_HEADERS):
        label(ws, f"{col}{L.IND_HEAD_ROW}", head)
    ws.row_dimensions[L.IND_HEAD_ROW].height = 28
    for row in range(L.IND_FIRST, L.IND_LAST + 1):
        for field, col in L.IND_COL.items():
            centred = field in ("level1", "level2", "nature", "value", "unit")
            input_cell(ws, f"{col}{row}", align=CENTER if centred else WRAP)
    first, last = L.IND_FIRST, L.IND_LAST
    # The paper form merges a group's 一级/二级 cells; inputs cannot be merged, so a repeated
    # value is printed in the fill colour and the column reads as one group.
    same = Font(color=INPUT_FILL.fgColor.rgb)
    ws.conditional_formatting.add(f"A{first + 1}:A{last}", FormulaRule(
        formula=[f'AND($A{first + 1}<>"",$A{first + 1}=$A{first})'], font=same))
    ws.conditional_formatting.add(f"B{first + 1}:B{last}", FormulaRule(
        formula=[f'AND($B{first + 1}<>"",$B{first + 1}=$B{first},$A{first + 1}=$A{first})'],
        font=same))
    n = L.DECL_NOTE_ROW
    ws[f"A{n}"] = ("填表说明：浅黄色单元格为填写区，其余单元格由公式计算或为表头。指标值可按“指标性质、"
                  "指标值、度量单位”拆分填写（如 ≥、95、%），并在“原指标值（文字）”列照录原文（如 95%以上）；"
                  "两者都填时须一致。空行不计入指标。金额单位：万元。")
    ws.merge_cells(f"A{n}:I{n}")
    ws[f"A{n}"].font = Font(name=FONT_NAME, size=9)
    ws[f"A{n}"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[n].height = 36

    _declaration_validations(ws)


def _declaration_validations(ws):
    first, last = L.IND_FIRST, L.IND_LAST
    validate(ws, f"B{L.DEPT_ROW}", kind="textLength", operator="equal", formula1="6",
              prompt="6位部门编码，如105002", error="部门编码应为6位数字", stop=False)
    validate(ws, f"H{L.DEPT_ROW}", kind="whole", operator="between", formula1="1990",
              formula2="2100", prompt="预算年度，如2022", error="年度应为1990–2100之间的整数")
    money = "请填写金额，单位万元，不能为负数"
    for area in (f"B{L.BUDGET_ROW}", f"E{L.USES_FIRST}:E{L.USES_LAST}"):
        validate(ws, area, kind="decimal", operator="greaterThanOrEqual", formula1="0",
                  prompt=money, error="金额应为不小于0的数字（单位：万元）")
    validate(ws, " ".join(f"{c}{L.PLAN_ROW}" for c in L.PLAN_COLS), kind="decimal",
              operator="between", formula1="0", formula2="1",
              prompt="累计支出进度，填百分数，如25%；第四季度应为100%",
              error="累计支出进度应在0%–100%之间")
    validate(ws, f"A{first}:A{last}", kind="list", formula1="L1Names",
              prompt="请从下拉列表选择一级指标", error="一级指标应从下拉列表中选择")
    validate(ws, f"B{first}:B{last}", kind="list",
              formula1=f"OFFSET(L2Table,MATCH($A{first},L1Names,0)-1,0,1,"
                       f"INDEX(L1L2Count,MATCH($A{first},L1Names,0)))",
              prompt="请先选一级指标，再从下拉列表选择所属二级指标",
              error="二级指标不属于所选一级指标", stop=False)
    validate(ws, f"E{first}:E{last}", kind="list", formula1="NatureChoices",
              prompt="≥/>：越高越好；≤/<：越低越好；=：应达到；定性：文字描述；区间：如90-95；日期：如2022-12-31",
              error="指标性质应从下拉列表中选择")
    validate(ws, f"F{first}:F{last}", kind="custom", formula1="TRUE",
              prompt="填数值（如95），定性指标填文字，区间填“90-95”，日期填2022-12-31",
              error="指标值有误", stop=False)


# --- 绩效运行监控 -----------------------------------------------------------------------

def _header_refs(ws, row: int, last_col: str):
    label(ws, f"A{row}", "项目编码")
    formula(ws, f"B{row}", '=IF(ProjCode="","",ProjCode)', merge=f"B{row}:C{row}")
    label(ws, f"D{row}", "项目名称")
    formula(ws, f"E{row}", '=IF(ProjName="","",ProjName)', merge=f"E{row}:G{row}", align=WRAP)
    label(ws, f"H{row}", "部门")
    formula(ws, f"I{row}", '=IF(DeptName="","",DeptName)', align=WRAP,
             merge=f"I{row}:{last_col}{row}" if last_col != "I" else None)
    ws.row_dimensions[row].height = 28


def _monitoring(wb, rules: Rules):
    ws = wb.create_sheet(L.MON)
    page_setup(ws, landscape=True, widths=L.MON_WIDTHS, freeze="A3", pages_tall=1)
    sheet_title(ws, "项目支出绩效运行监控表", "I")
    _header_refs(ws, 2, "I")
    label(ws, "A3", "预算数（万元）")
    formula(ws, "B3", "=IF(ISNUMBER(YearBudget),YearBudget,IF(ISNUMBER(Budget),Budget,\"\"))",
             fmt=MONEY_FMT, merge="B3:C3")
    define_name(wb, "EffBudget", L.MON, "B3")
    label(ws, "D3", "说明", bold=False)
    ws["E3"] = "预算数取全年预算数（已调整时），否则取年初预算数；支出进度=累计实际支出÷预算数"
    box(ws, "E3:I3", align=WRAP)

    h = L.MON_Q_HEAD
    heads = {"plan": "计划累计支出进度", "actual": "实际累计支出（万元）", "progress": "实际支出进度",
             "variance": "偏差（百分点）", "time": "时间进度", "light": "监控灯"}
    label(ws, f"A{h}", "季度")
    for key, col in L.MON_Q_COLS.items():
        label(ws, f"{col}{h}", heads[key])
    label(ws, f"H{h}", "灯色规则", merge=f"H{h}:I{h}")
    ws.row_dimensions[h].height = 28
    ws.row_dimensions[L.MON_IND_HEAD].height = 28
    C = L.MON_Q_COLS
    for q in range(1, 5):
        r = L.MON_Q_FIRST + q - 1
        label(ws, f"A{r}", ("第一季度", "第二季度", "第三季度", "第四季度")[q - 1])
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
        band = lambda x: f"INDEX(LightLabels,SUMPRODUCT(--(LightBelow<={x}))+1)"
        formula(ws, f"{C['light']}{r}",
                 f'=IF(OR({pr}="",{ref}=""),"",IF({ref}<=0,{band(100)},{band(f"{pr}/{ref}*100")}))')
    lights = rules.monitoring["lights"]
    bounds = "；".join(f"{b['label']}<{b['below']}" if b["below"] is not None else f"{b['label']}≥{lights[-2]['below']}"
                      for b in lights)
    reference = "时间进度" if rules.monitoring["light_reference"] == "time" else "计划进度"
    ws[f"H{L.MON_Q_FIRST}"] = f"实际进度÷{reference}×100：{bounds}"
    box(ws, f"H{L.MON_Q_FIRST}:I{L.MON_Q_FIRST + 3}", align=WRAP)
    lights_area = f"{C['light']}{L.MON_Q_FIRST}:{C['light']}{L.MON_Q_FIRST + 3}"
    for k, band in enumerate(lights, start=1):
        fill, font = LIGHT_STYLES.get(band["light"], ("FFFFFF", "000000"))
        # The label is looked up, not spelled into the formula: rulebook text is never code.
        ws.conditional_formatting.add(lights_area, FormulaRule(
            formula=[f'${C["light"]}{L.MON_Q_FIRST}=INDEX(LightLabels,{k})'],
            fill=PatternFill("solid", fgColor=fill, bgColor=fill), font=Font(color=font, bold=True)))

    h = L.MON_IND_HEAD
    heads = {"level1": "一级指标", "level2": "二级指标", "name": "三级指标", "target": "年度指标值",
             "progress": "1-本期执行情况", "forecast": "全年预计完成情况", "deviation_cause": "偏差原因",
             "likelihood": "完成目标可能性", "remark": "备注"}
    for key, col in L.MON_IND_COLS.items():
        label(ws, f"{col}{h}", heads[key])
    ws[f"{L.MON_IND_COLS['progress']}{h}"] = "执行情况（截至本期）"
    for i in range(L.INDICATOR_ROWS):
        r, d = L.MON_IND_FIRST + i, L.IND_FIRST + i
        for key in ("level1", "level2", "name"):
            src = f"{D}{L.IND_COL[key]}{d}"
            formula(ws, f"{L.MON_IND_COLS[key]}{r}", f'=IF({src}="","",{src})', align=WRAP)
        formula(ws, f"{L.MON_IND_COLS['target']}{r}", "=" + _target_display(d), align=WRAP)
        for key in ("progress", "forecast", "deviation_cause", "likelihood", "remark"):
            input_cell(ws, f"{L.MON_IND_COLS[key]}{r}",
                   align=CENTER if key in ("deviation_cause", "likelihood") else WRAP)
    first, last = L.MON_IND_FIRST, L.MON_IND_LAST
    validate(ws, f"{L.MON_IND_COLS['deviation_cause']}{first}:{L.MON_IND_COLS['deviation_cause']}{last}",
              kind="list", formula1="CauseChoices", prompt="有偏差时选择偏差原因",
              error="偏差原因应从下拉列表中选择：" + "、".join(rules.monitoring["deviation_causes"]))
    validate(ws, f"{L.MON_IND_COLS['likelihood']}{first}:{L.MON_IND_COLS['likelihood']}{last}",
              kind="list", formula1="LikelihoodChoices", prompt="预计能否完成年度目标",
              error="完成目标可能性应从下拉列表中选择：" + "、".join(rules.monitoring["likelihoods"]))
    validate(ws, f"C{L.MON_Q_FIRST}:C{L.MON_Q_FIRST + 3}", kind="decimal",
              operator="greaterThanOrEqual", formula1="0",
              prompt="截至本季度末的累计实际支出，单位万元", error="金额应为不小于0的数字（单位：万元）")
    n = L.MON_NOTE_ROW
    label(ws, f"A{n}", "说明")
    input_cell(ws, f"B{n}:I{n}")
    ws.row_dimensions[n].height = 36


def _target_display(d: int) -> str:
    """The 指标值 as a reader expects it: the original text, else the structured cells joined."""
    e, f, g, i = (f"{D}{c}{d}" for c in "EFGI")
    shown_f = f'IF(AND(ISNUMBER({f}),TRIM({e})="日期"),TEXT({f},"yyyy-mm-dd"),{f})'
    op = f'IF(OR(TRIM({e})="",TRIM({e})="=",TRIM({e})="定性",TRIM({e})="日期",TRIM({e})="区间"),"",TRIM({e}))'
    return f'IF(TRIM({i})<>"",{i},IF(TRIM({f})="","",{op}&{shown_f}&{g}))'


# --- 绩效自评 ---------------------------------------------------------------------------

def _self_evaluation(wb, rules: Rules):
    ws = wb.create_sheet(L.EVAL)
    page_setup(ws, landscape=True, widths=L.EVAL_WIDTHS, freeze="A3", pages_tall=1)
    sheet_title(ws, "项目支出绩效自评表", "J")
    _header_refs(ws, 2, "J")
    ws.row_dimensions[L.EVAL_BUDGET_HEAD].height = 28
    ws.row_dimensions[L.EVAL_IND_HEAD].height = 28
    C, h, r = L.EVAL_BUDGET_COLS, L.EVAL_BUDGET_HEAD, L.EVAL_BUDGET_ROW
    heads = {"budget": "年初预算数（万元）", "year_budget": "全年预算数（万元）",
             "year_spent": "全年执行数（万元）", "weight": "分值", "rate": "执行率", "score": "得分",
             "cost_rate": "成本控制率"}
    for key, col in C.items():
        label(ws, f"{col}{h}", heads[key])
    label(ws, f"H{h}", "说明", merge=f"H{h}:J{h}")
    formula(ws, f"{C['budget']}{r}", '=IF(ISNUMBER(Budget),Budget,"")', fmt=MONEY_FMT)
    input_cell(ws, f"{C['year_budget']}{r}", fmt=MONEY_FMT, align=CENTER)
    input_cell(ws, f"{C['year_spent']}{r}", fmt=MONEY_FMT, align=CENTER)
    formula(ws, f"{C['weight']}{r}", "=WeightExecution", fmt="0.00")
    spent = f"{C['year_spent']}{r}"
    rate = f"{C['rate']}{r}"
    formula(ws, rate, f'=IF(AND(ISNUMBER({spent}),ISNUMBER(EffBudget)),IF(EffBudget=0,"",{spent}/EffBudget),"")',
             fmt=PCT_FMT)
    calc = wb.create_sheet(L.CALC)
    calc.sheet_state = "veryHidden"
    raw = f"{L.EVAL_HELPER_COL['grp']}{r}"   # the unrounded execution points, kept for the total
    calc[raw] = f'=IF({E}{rate}="",0,MAX(0,MIN({E}{rate},1)*{E}{C["weight"]}{r}))'
    formula(ws, f"{C['score']}{r}", f'=IF({E}{rate}="","",ROUND({X}{raw},2))', fmt="0.00")
    formula(ws, f"{C['cost_rate']}{r}",
             f'=IF(AND(ISNUMBER({spent}),ISNUMBER(EffBudget)),IF(EffBudget=0,"",({spent}-EffBudget)/EffBudget),"")',
             fmt=PCT_FMT)
    ws[f"H{r}"] = "执行率=全年执行数÷全年预算数（未调整时为年初预算数）；成本控制率=（执行数−预算数）÷预算数"
    box(ws, f"H{r}:J{r}", align=WRAP)
    ws.row_dimensions[r].height = 30
    rr = L.EVAL_REASON_ROW
    label(ws, f"A{rr}", "执行率偏差原因", merge=f"A{rr}:C{rr}")
    input_cell(ws, f"{L.EVAL_REASON_COL}{rr}:K{rr}")
    ws.row_dimensions[rr].height = 30
    validate(ws, f"{L.EVAL_REASON_COL}{rr}", kind="custom", formula1="TRUE", stop=False, error="",
             prompt=f"预算执行率低于{format_number(rules.low_execution_rate)}%时须说明原因")
    validate(ws, f"{C['year_budget']}{r}:{C['year_spent']}{r}", kind="decimal",
              operator="greaterThanOrEqual", formula1="0",
              prompt="单位万元；全年预算数未调整时留空", error="金额应为不小于0的数字（单位：万元）")

    heads = {"level1": "一级指标", "level2": "二级指标", "name": "三级指标", "target": "年度指标值",
             "actual": "实际完成值", "applicable": "是否适用", "weight_input": "指定分值",
             "weight": "分值", "score": "得分", "analysis": "偏差原因分析及改进措施",
             "rated": "评分（定性）"}
    for key, col in L.EVAL_IND_COLS.items():
        label(ws, f"{col}{L.EVAL_IND_HEAD}", heads[key])
    for i in range(L.INDICATOR_ROWS):
        indicator_score_row(ws, calc, L.EVAL_IND_FIRST + i, L.IND_FIRST + i, L.MON_IND_FIRST + i)
    totals(ws, r)
    level_rows(calc)
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


# --- the whole workbook -------------------------------------------------------------------

def _results_sheet(wb: Workbook) -> None:
    """An empty, unprotected sheet for the 校验 button: a locked structure forbids adding one."""
    ws = wb.create_sheet(L.RESULTS)
    page_setup(ws, landscape=True, widths=L.RESULT_WIDTHS, freeze="A2")
    ws.sheet_view.showGridLines = True   # a plain list people sort and filter, not a form
    ws.print_title_rows = "1:1"
    for col, header in enumerate(L.RESULT_HEADERS, start=1):
        ws.cell(row=1, column=col, value=header).font = Font(name=FONT_NAME, bold=True)


def build_workbook(rules: Rules | None = None, password: str | None = None) -> Workbook:
    """The blank, protected template as an openpyxl workbook (not yet saved)."""
    rules = rules or load_rules()
    wb = Workbook()
    _declaration(wb, rules)
    _monitoring(wb, rules)
    _self_evaluation(wb, rules)
    _results_sheet(wb)
    _meta_sheet(wb, rules)
    wb.move_sheet(L.CALC, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(L.CALC))
    for name, spec in L.NAMES.items():
        if name not in wb.defined_names:
            define_name(wb, name, spec.sheet, spec.ref)
    for ws in (wb[name] for name in L.PROTECTED_SHEETS):
        ws.protection.sheet = True
        if password:
            ws.protection.password = password
    wb.security = WorkbookProtection(lockStructure=True)
    if password:
        wb.security.workbookPassword = password
    wb.active = 0
    return wb


def save_workbook(wb: Workbook, path: str | Path) -> Path:
    """Write next to the destination and rename, so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, wb.save)


def write_template(path: str | Path, *, rules: Rules | None = None, password: str | None = None) -> Path:
    return save_workbook(build_workbook(rules, password), path)
