"""绩效目标申报表: the declaration form as in the seed, plus the multi-year block (v2)."""
from __future__ import annotations

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font

from . import layout as L
from ..rules import Rules
from .style import (CENTER, FONT_NAME, INPUT_FILL, MONEY_FMT, PCT_FMT, WRAP, box, formula,
                    input_cell, label, legible_print, page_setup, validate)

__all__ = ["basis_kind_list", "build_declaration"]


def build_declaration(wb, rules: Rules):
    ws = wb.active
    ws.title = L.DECL
    page_setup(ws, landscape=True, widths=L.DECL_WIDTHS, freeze=f"A{L.DEPT_ROW + 1}")
    legible_print(ws, L.DECL_WIDTHS, landscape=True)
    ws["A1"] = '=IF(ISNUMBER(FiscalYear),FiscalYear&"年度","")&"项目支出绩效目标申报表"'
    ws.merge_cells(f"A1:{L.DECL_COLUMNS[-1]}1")   # centred over the whole printed width
    ws["A1"].font = Font(name=FONT_NAME, size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 32
    _identity(ws)
    _multi_year(ws)
    _fund_uses(ws)
    _plan_and_goal(ws)
    _indicator_table(ws)
    _validations(ws)


def _identity(ws):
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


def _multi_year(ws):
    """项目期, 中期资金总额 and 中期绩效目标: optional, for projects that span several years."""
    r = L.PERIOD_ROW
    label(ws, f"A{r}", "项目期（起止年度）")
    ws.row_dimensions[L.BUDGET_ROW].height = ws.row_dimensions[r].height = 28   # labels wrap
    input_cell(ws, f"B{r}", fmt="0", align=CENTER)
    input_cell(ws, f"C{r}", fmt="0", align=CENTER)
    label(ws, f"D{r}", "中期资金总额（万元）")
    input_cell(ws, f"E{r}:F{r}", fmt=MONEY_FMT, align=CENTER)
    formula(ws, f"G{r}", f'=IF(OR(NOT(ISNUMBER(MediumBudget)),NOT(ISNUMBER(Budget))),"",'
            f'IF(Budget>MediumBudget,"本年预算数超过中期资金总额",'
            f'"本年预算占中期资金"&TEXT(Budget/MediumBudget,"0.0%")))', merge=f"G{r}:I{r}")
    ws.conditional_formatting.add(f"G{r}:I{r}", FormulaRule(
        formula=[f'ISNUMBER(SEARCH("超过",$G${r}))'], font=Font(color="C00000", bold=True)))
    g = L.MEDIUM_GOAL_ROW
    label(ws, f"A{g}", "中期绩效目标")
    input_cell(ws, f"B{g}:I{g}")
    ws.row_dimensions[g].height = 30
    validate(ws, f"B{r}:C{r}", kind="whole", operator="between", formula1="1990", formula2="2100",
             prompt="多年项目填写项目期的起始年度（左）和结束年度（右），如2022、2024；单年项目留空",
             error="年度应为1990–2100之间的整数")
    validate(ws, f"E{r}", kind="decimal", operator="greaterThanOrEqual", formula1="0",
             prompt="多年项目的中期（项目期内）资金总额，单位万元；单年项目留空",
             error="金额应为不小于0的数字（单位：万元）")
    validate(ws, f"B{g}", kind="custom", formula1="TRUE", stop=False, error="",
             prompt="多年项目填写项目期内的总体绩效目标；单年项目留空")


def _fund_uses(ws):
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


def _plan_and_goal(ws):
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


def _indicator_table(ws):
    for col, head in zip(L.DECL_COLUMNS, L.IND_HEADERS):
        label(ws, f"{col}{L.IND_HEAD_ROW}", head)
    ws.row_dimensions[L.IND_HEAD_ROW].height = 40   # v3: the history headings wrap on 3 lines
    for row in range(L.IND_FIRST, L.IND_LAST + 1):
        for field, col in L.IND_COL.items():
            centred = field in ("level1", "level2", "nature", "value", "unit")
            input_cell(ws, f"{col}{row}", align=CENTER if centred else WRAP)
    _history_columns(ws)
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
    ws[f"A{n}"].font = Font(name=FONT_NAME, size=10)   # v3: the wider table prints smaller
    ws[f"A{n}"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[n].height = 36


def _history_columns(ws):
    """v3 (issue 24): J 设定依据类别 (typed, a list); K:M the indicator's history, written by
    carry-over and locked: what last year promised and achieved is not the preparer's to edit."""
    for field, (col, _, head) in L.IND_CARRY.items():
        label(ws, f"{col}{L.IND_HEAD_ROW}", head)
        for row in range(L.IND_FIRST, L.IND_LAST + 1):
            if field == "basis_kind":
                input_cell(ws, f"{col}{row}", align=CENTER)
            else:
                box(ws, f"{col}{row}", align=CENTER)
    col = L.IND_CARRY["basis_kind"][0]
    validate(ws, f"{col}{L.IND_FIRST}:{col}{L.IND_LAST}", kind="list",
             formula1=basis_kind_list(), title="指标值设定依据",
             prompt="；".join(f"{k}：{v}" for k, v in L.BASIS_KINDS.items()),
             error="设定依据类别应为" + "、".join(L.BASIS_KINDS) + "之一，请从下拉列表中选择")


def basis_kind_list() -> str:
    """The five standards as an inline list (Excel: at most 255 characters)."""
    return '"' + ",".join(L.BASIS_KINDS) + '"'


def _validations(ws):
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
    # A STOP alert like every other list: a 二级 outside its 一级 is refused, not just warned.
    validate(ws, f"B{first}:B{last}", kind="list",
             formula1=f"OFFSET(L2Table,MATCH($A{first},L1Names,0)-1,0,1,"
                      f"INDEX(L1L2Count,MATCH($A{first},L1Names,0)))",
             prompt="请先选一级指标，再从下拉列表选择所属二级指标",
             error="二级指标不属于所选一级指标，请从下拉列表中选择")
    validate(ws, f"E{first}:E{last}", kind="list", formula1="NatureChoices",
             prompt="≥/>：越高越好；≤/<：越低越好；=：应达到；定性：文字描述；区间：如90-95；日期：如2022-12-31",
             error="指标性质应从下拉列表中选择")
    validate(ws, f"F{first}:F{last}", kind="custom", formula1="TRUE",
             prompt="填数值（如95），定性指标填文字，区间填“90-95”，日期填2022-12-31",
             error="指标值有误", stop=False)
