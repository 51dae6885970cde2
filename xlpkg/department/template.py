"""The locked department workbook (部门整体绩效表): the blank template with its formulas.

One builder per sheet; positions come from ``department_layout``, looks from ``style``. The
formulas mirror ``xlpkg.department.metrics`` step by step (Excel 2010 functions only), with the
unrounded score parts on the very hidden ``_calc`` sheet; the rulebook's ``department``
parameters are written into the very hidden ``_xlpkg`` sheet as named cells.
"""
from __future__ import annotations

from copy import copy
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.worksheet.merge import MergedCellRange

from .metrics import COMMON_LABELS, department_rules
from ..rules import Rules, load_rules
from ..workbook.output_guard import stamp
from ..workbook.template import save_workbook
from . import layout as L
from ..workbook.style import TWO_LINE_ROW, protect, CENTER, FONT_NAME, INPUT_FILL, MONEY_FMT, PCT_FMT, WRAP, box, define_name, formula, input_cell, label, page_setup, sheet_title, style_cell, validate

__all__ = ["build_department_workbook", "write_department_template", "NATURES"]

NATURES = ("≥", "≤", "=", ">", "<", "定性", "区间", "日期")
DP, EV, PJ, CA = (f"'{s}'!" for s in (L.DECL, L.EVAL, L.PROJ, L.CALC))
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
TOP = Alignment(wrap_text=True, vertical="top")
MONEY_PROMPT = "单位万元，不能为负数"
MONEY_ERROR = "金额应为不小于0的数字（单位：万元）"


def _pj(col: str) -> str:
    return f"{PJ}${col}${L.PROJ_FIRST}:${col}${L.PROJ_LAST}"


def _row_input(ws, area: str, *, fmt=None, align=WRAP):
    """``style.input_cell`` for the long tables' merged inputs, registering the merge without
    openpyxl's per-merge clean-up pass, which made a 200-row table take seconds to build.
    Every cell of the area is styled and unlocked, as Excel itself writes a merge."""
    for row in ws[area]:
        for cell in row:
            style_cell(cell, fill=INPUT_FILL, fmt=fmt, align=align)
            cell.protection = Protection(locked=False)
    ws.merge_cells(area)


def _quick_merges(ws):
    """style.box styles every cell of an area before merging it, so openpyxl's per-merge
    clean-up (which redraws the borders cell by cell) only costs time, a second per workbook:
    this sheet registers its merges directly (the layout never overlaps two merges, so the
    quadratic overlap check is skipped too)."""
    ws.merge_cells = lambda range_string: ws.merged_cells.ranges.add(MergedCellRange(ws, range_string))
    return ws


def _like_row(ws, model: int, row: int, cols: str, merges=()):
    """Give ``row`` the styles (fill, font, border, format, protection) of ``model``: one
    style-array copy per cell instead of five style objects hashed per cell."""
    for col in cols:
        ws[f"{col}{row}"]._style = copy(ws[f"{col}{model}"]._style)
    for a, b in merges:
        ws.merge_cells(f"{a}{row}:{b}{row}")


def _prompt(ws, area: str, prompt: str):
    """A free-text input still says what belongs in it (an always-true validation)."""
    validate(ws, area, kind="custom", formula1="TRUE", prompt=prompt, error="", stop=False)


def _section(ws, row: int, text: str, last_col: str):
    label(ws, f"A{row}", text, merge=f"A{row}:{last_col}{row}", align=LEFT)
    ws.row_dimensions[row].height = 22


def _target_text(op: str, target) -> str:
    value = int(target) if float(target).is_integer() else target
    return f"{op}{value}%"


# --- _xlpkg: identity and the rulebook's department parameters ---------------------------

def _meta_sheet(wb, rules: Rules):
    cfg = department_rules(rules)
    ws = wb.create_sheet(L.META)
    ws.sheet_state = "veryHidden"
    scalars = [
        ("TemplateId", L.TEMPLATE_ID), ("TemplateVersion", L.TEMPLATE_VERSION),
        ("RulesVersion", f"{rules.data.get('version', '')} {rules.source}".strip()),
        ("Illustrative", False),
        ("ExecWeightBasic", float(cfg["execution"]["basic"])),
        ("ExecWeightProject", float(cfg["execution"]["project"])),
        ("ExecWeightTotal", float(cfg["execution"]["total"])),
        ("ProjectsWeight", float(cfg["projects"])),
        ("IndicatorsWeight", float(cfg["indicators"])),
    ]
    for key in L.COMMON_KEYS:
        scalars.append((f"CW_{key}", float(cfg["common"][key]["weight"])))
        scalars.append((f"CT_{key}", float(cfg["common"][key]["target"]) / 100))
    for row, (name, value) in enumerate(scalars, start=1):
        ws.cell(row, 1, name)
        ws.cell(row, 2, value)
        define_name(wb, name, L.META, f"B{row}")
    grades = rules.scoring["grades"]
    for col, (name, values) in enumerate((("GradeNames", [b["grade"] for b in grades]),
                                          ("GradeMins", [float(b["min"]) for b in grades])),
                                         start=4):
        letter = "D" if col == 4 else "E"
        ws.cell(1, col, name)
        for i, value in enumerate(values, start=2):
            ws.cell(i, col, value)
        define_name(wb, name, L.META, f"{letter}2:{letter}{len(values) + 1}")


# --- 部门整体绩效目标申报表 --------------------------------------------------------------------

def _declaration(wb):
    ws = _quick_merges(wb.active)
    ws.title = L.DECL
    page_setup(ws, landscape=False, widths=L.DECL_WIDTHS, freeze=f"A{L.DECL_DEPT_ROW + 1}")
    sheet_title(ws, "", "G")
    ws["A1"] = '=IF(ISNUMBER(FiscalYear),FiscalYear&"年度","")&"部门整体支出绩效目标申报表"'
    r = L.DECL_DEPT_ROW
    label(ws, f"A{r}", "部门编码")
    input_cell(ws, f"B{r}", fmt="@", align=CENTER)
    label(ws, f"C{r}", "部门名称")
    input_cell(ws, f"D{r}:E{r}")
    label(ws, f"F{r}", "年度")
    input_cell(ws, f"G{r}", fmt="0", align=CENTER)
    h = L.DECL_BUDGET_HEAD
    label(ws, f"A{h}", "预算资金", merge=f"A{h}:B{h}")
    label(ws, f"C{h}", "年初预算数（万元）")
    label(ws, f"D{h}", "说明", merge=f"D{h}:G{h}")
    rows = (
        (L.DECL_BASIC_ROW, "基本支出", f"=N(C{L.DECL_PERSONNEL_ROW})+N(C{L.DECL_PUBLIC_ROW})",
         "人员经费＋公用经费"),
        (L.DECL_PERSONNEL_ROW, "其中：人员经费", None, "基本支出中的工资福利、对个人和家庭的补助"),
        (L.DECL_PUBLIC_ROW, "　　　公用经费", None, "基本支出中的商品和服务支出等"),
        (L.DECL_PROJECT_ROW, "项目支出", f"=SUM({_pj('D')})",
         "各项目绩效目标申报表预算数之和（明细见“项目支出明细”）"),
        (L.DECL_TOTAL_ROW, "合计", f"=C{L.DECL_BASIC_ROW}+C{L.DECL_PROJECT_ROW}", "基本支出＋项目支出"),
    )
    for row, text, expr, note in rows:
        label(ws, f"A{row}", text, merge=f"A{row}:B{row}",
              align=LEFT if text.startswith(("其中", "　")) else CENTER)
        if expr is None:
            input_cell(ws, f"C{row}", fmt=MONEY_FMT, align=CENTER)
        else:
            formula(ws, f"C{row}", expr, fmt=MONEY_FMT)
        ws[f"D{row}"] = note
        box(ws, f"D{row}:G{row}", align=WRAP)
    validate(ws, f"C{L.DECL_PERSONNEL_ROW}:C{L.DECL_PUBLIC_ROW}", kind="decimal",
             operator="greaterThanOrEqual", formula1="0", prompt=MONEY_PROMPT, error=MONEY_ERROR)
    g = L.DECL_GOAL_ROW
    label(ws, f"A{g}", "年度总体目标")
    input_cell(ws, f"B{g}:G{g}", align=TOP)
    ws.row_dimensions[g].height = 90

    _section(ws, L.DECL_SUB_SECTION, "分项绩效目标（取自各项目绩效目标申报表）", "G")
    h = L.DECL_SUB_HEAD
    for area, text in ((f"A{h}", "序号"), (f"B{h}", "分项名称"), (f"C{h}", "项目编码"),
                       (f"D{h}:E{h}", "绩效目标"), (f"F{h}:G{h}", "绩效指标")):
        label(ws, area.split(":")[0], text, merge=area if ":" in area else None)
    first = L.DECL_SUB_FIRST
    for i, row in enumerate(range(first, L.DECL_SUB_LAST + 1), start=1):
        if row == first:
            label(ws, f"A{row}", str(i), bold=False)
            input_cell(ws, f"B{row}")
            input_cell(ws, f"C{row}", fmt="@", align=CENTER)
            _row_input(ws, f"D{row}:E{row}")
            _row_input(ws, f"F{row}:G{row}")
        else:
            ws[f"A{row}"] = str(i)
            _like_row(ws, first, row, "ABCDEFG", merges=(("D", "E"), ("F", "G")))
    gr = L.DECL_GUARANTEE_ROW
    label(ws, f"A{gr}", "工作保障措施")
    input_cell(ws, f"B{gr}:G{gr}", align=TOP)
    ws.row_dimensions[gr].height = 90

    _section(ws, L.DECL_IND_SECTION, "部门整体绩效指标", "G")
    for col, head in zip("ABCDEFG", L.IND_HEADERS):
        label(ws, f"{col}{L.DECL_IND_HEAD}", head)
    first, last = L.DECL_IND_FIRST, L.DECL_IND_LAST
    for row in range(first, last + 1):
        for field, col in L.IND_COLS.items():
            input_cell(ws, f"{col}{row}", align=CENTER if field in ("nature", "value", "unit") else WRAP)
    validate(ws, f"D{first}:D{last}", kind="list", formula1='"' + ",".join(NATURES) + '"',
             prompt="≥/>：越高越好；≤/<：越低越好；=：应达到；定性：文字描述",
             error="指标性质应从下拉列表中选择")
    validate(ws, f"B{L.DECL_DEPT_ROW}", kind="textLength", operator="equal", formula1="6",
             prompt="6位部门编码，如105002", error="部门编码应为6位数字", stop=False)
    validate(ws, f"G{L.DECL_DEPT_ROW}", kind="whole", operator="between", formula1="1990",
             formula2="2100", prompt="预算年度，如2022", error="年度应为1990–2100之间的整数")
    sf, sl = L.DECL_SUB_FIRST, L.DECL_SUB_LAST
    for area, text in (
            (f"D{L.DECL_DEPT_ROW}", "部门全称，如 中国共产党唐山市纪律检查委员会"),
            (f"B{L.DECL_GOAL_ROW}", "本年度部门整体支出的总体绩效目标（可分段）"),
            (f"B{sf}:B{sl}", "分项绩效目标的名称，一般对应一个项目"),
            (f"C{sf}:C{sl}", "对应项目的项目编码（与项目表一致）"),
            (f"D{sf}:D{sl}", "该分项的绩效目标"),
            (f"F{sf}:F{sl}", "主要绩效指标名称，每行一个"),
            (f"B{L.DECL_GUARANTEE_ROW}", "工作保障措施，每条一段"),
            (f"A{first}:C{last}", "部门整体绩效指标：一级、二级、三级指标名称"),
            (f"E{first}:F{last}", "指标值（数值、文字或日期）和度量单位，如 95 与 %"),
            (f"G{first}:G{last}", "指标值原文，如 95%以上；与拆分填写的一致")):
        _prompt(ws, area, text)
    n = L.DECL_NOTE_ROW
    ws[f"A{n}"] = ("填表说明：浅黄色单元格为填写区，其余由公式计算。项目支出等于“项目支出明细”中各项目预算数之和；"
                   "分项绩效目标与项目支出明细由 xlpkg consolidate --dept-forms 从项目表生成，也可手工填写。金额单位：万元。")
    ws.merge_cells(f"A{n}:G{n}")
    ws[f"A{n}"].font = Font(name=FONT_NAME, size=10)
    ws[f"A{n}"].alignment = TOP
    ws.row_dimensions[n].height = 42


# --- 项目支出明细 --------------------------------------------------------------------------

def _projects(wb):
    ws = _quick_merges(wb.create_sheet(L.PROJ))
    page_setup(ws, landscape=True, widths=L.PROJ_WIDTHS, freeze=f"A{L.PROJ_FIRST}")
    ws.print_title_rows = f"{L.PROJ_HEAD}:{L.PROJ_HEAD}"
    sheet_title(ws, "项目支出明细（取自各项目绩效目标表）", "I")
    label(ws, "A2", "部门", merge="A2:B2")
    formula(ws, "C2", '=IF(DeptCode="","",DeptCode&" "&DeptName)', merge="C2:I2", align=LEFT)
    c = L.PROJ_COLS
    heads = {"code": "项目编码", "name": "项目名称", "budget": "年初预算数\n（万元）",
             "year_budget": "全年预算数\n（万元）", "spent": "全年执行数\n（万元）", "rate": "执行率",
             "score": "自评得分", "grade": "自评等级", "effective": "评价预算数"}
    label(ws, f"A{L.PROJ_HEAD}", "序号")
    for key, col in c.items():
        label(ws, f"{col}{L.PROJ_HEAD}", heads[key])
    ws.row_dimensions[L.PROJ_HEAD].height = 30
    for i, r in enumerate(range(L.PROJ_FIRST, L.PROJ_LAST + 1), start=1):
        eff, spent, score = (f"{c[k]}{r}" for k in ("effective", "spent", "score"))
        rate = f'=IF(AND(ISNUMBER({spent}),{eff}>0),{spent}/{eff},"")'
        # a score under the lowest band (a negative one pasted past the validation) takes the
        # lowest grade, as rules.grade does, instead of INDEX past the list's end (#VALUE!)
        grade = (f'=IF(ISNUMBER({score}),INDEX(GradeNames,MIN(ROWS(GradeNames),'
                 f'SUMPRODUCT(--(GradeMins>{score}))+1)),"")')
        ws[eff] = f"=IF(ISNUMBER({c['year_budget']}{r}),{c['year_budget']}{r},N({c['budget']}{r}))"
        if r > L.PROJ_FIRST:
            ws[f"A{r}"], ws[f"{c['rate']}{r}"], ws[f"{c['grade']}{r}"] = str(i), rate, grade
            _like_row(ws, L.PROJ_FIRST, r, "ABCDEFGHI")
            continue
        label(ws, f"A{r}", str(i), bold=False)
        input_cell(ws, f"{c['code']}{r}", fmt="@", align=CENTER)
        input_cell(ws, f"{c['name']}{r}")
        for key in ("budget", "year_budget", "spent"):
            input_cell(ws, f"{c[key]}{r}", fmt=MONEY_FMT, align=CENTER)
        input_cell(ws, f"{c['score']}{r}", fmt="0.00", align=CENTER)
        formula(ws, f"{c['rate']}{r}", rate, fmt=PCT_FMT)
        formula(ws, f"{c['grade']}{r}", grade)
    ws.column_dimensions[c["effective"]].hidden = True
    t = L.PROJ_TOTAL_ROW
    label(ws, f"A{t}", "合计", merge=f"A{t}:C{t}")
    rng = lambda k: f"{c[k]}{L.PROJ_FIRST}:{c[k]}{L.PROJ_LAST}"   # noqa: E731
    formula(ws, f"{c['budget']}{t}", f"=SUM({rng('budget')})", fmt=MONEY_FMT)
    formula(ws, f"{c['year_budget']}{t}", f"=SUM({rng('effective')})", fmt=MONEY_FMT)
    formula(ws, f"{c['spent']}{t}", f'=IF(COUNT({rng("spent")})=0,"",SUM({rng("spent")}))',
            fmt=MONEY_FMT)
    formula(ws, f"{c['rate']}{t}",
            f'=IF(AND(ISNUMBER({c["spent"]}{t}),{c["year_budget"]}{t}>0),{c["spent"]}{t}/{c["year_budget"]}{t},"")',
            fmt=PCT_FMT)
    box(ws, f"{c['score']}{t}:{c['grade']}{t}")
    validate(ws, f"{c['budget']}{L.PROJ_FIRST}:{c['spent']}{L.PROJ_LAST}", kind="decimal",
             operator="greaterThanOrEqual", formula1="0",
             prompt="单位万元；全年预算数未调整时留空", error=MONEY_ERROR)
    _prompt(ws, f"{c['code']}{L.PROJ_FIRST}:{c['name']}{L.PROJ_LAST}",
            "项目编码和项目名称，与该项目的绩效目标表一致")
    validate(ws, f"{c['score']}{L.PROJ_FIRST}:{c['score']}{L.PROJ_LAST}", kind="decimal",
             operator="between", formula1="0", formula2="100",
             prompt="该项目绩效自评表的总分（0–100）", error="自评得分应为0–100之间的数字")


# --- 部门整体支出绩效自评表 ------------------------------------------------------------------

def _calc_part(calc, row: int, weight: str, applicable: str, points: str):
    """One score part on _calc: A = the weight that counts (0 if not applicable), B = points."""
    calc[f"A{row}"] = f"=IF({applicable},{weight},0)"
    calc[f"B{row}"] = f"=IF(A{row}=0,0,{points})"


def _budget_block(ws, calc):
    b = L.EVAL_BUDGET_COLS
    _section(ws, L.EVAL_BUDGET_SECTION, "一、预算执行情况（万元）", "K")
    h = L.EVAL_BUDGET_HEAD
    label(ws, f"A{h}", "资金类别", merge=f"A{h}:B{h}")
    for key, text in (("budget", "年初预算数"), ("year_budget", "全年预算数"), ("spent", "全年执行数"),
                      ("rate", "执行率"), ("weight", "分值"), ("score", "得分")):
        label(ws, f"{b[key]}{h}", text)
    label(ws, f"I{h}", "说明", merge=f"I{h}:K{h}")
    eff = lambda r: f"IF(ISNUMBER(D{r}),D{r},N(C{r}))"   # noqa: E731
    P, Q, B5, PR, T = L.EVAL_PERSONNEL, L.EVAL_PUBLIC, L.EVAL_BASIC, L.EVAL_PROJECT, L.EVAL_TOTAL
    rows = {
        B5: ("基本支出", "=DeptBudgetBasic", f"={eff(P)}+{eff(Q)}",
             f'=IF(COUNT(E{P}:E{Q})=0,"",SUM(E{P}:E{Q}))', "人员经费＋公用经费"),
        P: ("其中：人员经费", "=N(PersonnelBudget)", None, None, "全年预算数未调整时留空"),
        Q: ("　　　公用经费", "=N(PublicBudget)", None, None, "全年预算数未调整时留空"),
        PR: ("项目支出", "=DeptBudgetProject", f"=SUM({_pj('K')})",
             f'=IF(COUNT({_pj("F")})=0,"",SUM({_pj("F")}))', "各项目之和（见“项目支出明细”）"),
        T: ("合计", f"=C{B5}+C{PR}", f"=D{B5}+D{PR}", f'=IF(COUNT(E{B5},E{PR})=0,"",SUM(E{B5},E{PR}))',
            "执行率＝全年执行数÷全年预算数（未调整时为年初预算数）；得分＝min(执行率,1)×分值"),
    }
    weights = {B5: ("ExecWeightBasic", "basic"), PR: ("ExecWeightProject", "project"),
               T: ("ExecWeightTotal", "total")}
    for r, (text, budget, year_budget, spent, note) in rows.items():
        label(ws, f"A{r}", text, merge=f"A{r}:B{r}",
              align=LEFT if text.startswith(("其中", "　")) else CENTER)
        formula(ws, f"C{r}", budget, fmt=MONEY_FMT)
        if year_budget is None:
            input_cell(ws, f"D{r}", fmt=MONEY_FMT, align=CENTER)
            input_cell(ws, f"E{r}", fmt=MONEY_FMT, align=CENTER)
            base = eff(r)
        else:
            formula(ws, f"D{r}", year_budget, fmt=MONEY_FMT)
            formula(ws, f"E{r}", spent, fmt=MONEY_FMT)
            base = f"D{r}"
        formula(ws, f"F{r}", f'=IF(AND(ISNUMBER(E{r}),{base}>0),E{r}/{base},"")', fmt=PCT_FMT)
        if r in weights:
            name, key = weights[r]
            crow = L.CALC_EXEC_ROWS[key]
            # A row the rulebook gives no points shows neither 分值 nor 得分.
            formula(ws, f"G{r}", f'=IF({name}=0,"",{name})', fmt="0.00")
            calc[f"A{crow}"] = f"={name}"
            calc[f"B{crow}"] = f'=IF({EV}F{r}="",0,MAX(0,MIN({EV}F{r},1))*{name})'
            formula(ws, f"H{r}", f'=IF({name}=0,"",ROUND({CA}B{crow},2))', fmt="0.00")
        else:
            box(ws, f"G{r}:H{r}")
        ws[f"I{r}"] = note
        box(ws, f"I{r}:K{r}", align=WRAP)
    ws.row_dimensions[T].height = 30
    validate(ws, f"D{P}:E{Q}", kind="decimal", operator="greaterThanOrEqual", formula1="0",
             prompt="单位万元；全年预算数未调整时留空", error=MONEY_ERROR)


def _goal_block(ws):
    _section(ws, L.EVAL_GOAL_SECTION, "二、年度总体目标完成情况", "K")
    label(ws, f"A{L.EVAL_GOAL_ROW}", "预期目标", merge=f"A{L.EVAL_GOAL_ROW}:B{L.EVAL_GOAL_ROW}")
    formula(ws, f"C{L.EVAL_GOAL_ROW}", '=IF(OverallGoal="","",OverallGoal)',
            merge=f"C{L.EVAL_GOAL_ROW}:K{L.EVAL_GOAL_ROW}", align=TOP)
    label(ws, f"A{L.EVAL_ACHIEVED_ROW}", "实际完成情况",
          merge=f"A{L.EVAL_ACHIEVED_ROW}:B{L.EVAL_ACHIEVED_ROW}")
    input_cell(ws, f"C{L.EVAL_ACHIEVED_ROW}:K{L.EVAL_ACHIEVED_ROW}", align=TOP)
    _prompt(ws, f"C{L.EVAL_ACHIEVED_ROW}", "年度总体目标的实际完成情况")
    ws.row_dimensions[L.EVAL_GOAL_ROW].height = 60
    ws.row_dimensions[L.EVAL_ACHIEVED_ROW].height = 60


def _common_block(ws, calc, rules: Rules):
    cfg = department_rules(rules)
    c = L.COMMON_COLS
    _section(ws, L.EVAL_COMMON_SECTION,
             "三、共性指标（财预〔2013〕53号部门整体支出绩效评价共性指标，由表内数据计算）", "K")
    h = L.EVAL_COMMON_HEAD
    label(ws, f"A{h}", "指标", merge=f"A{h}:B{h}")
    label(ws, f"C{h}", "计算方法", merge=f"C{h}:D{h}")
    for key, text in (("base", "分母（万元）"), ("amount", "分子（万元）"), ("actual", "实际完成值"),
                      ("target", "指标值"), ("weight", "分值"), ("score", "得分"),
                      ("analysis", "偏差原因分析及改进措施")):
        label(ws, f"{c[key]}{h}", text)
    ws.row_dimensions[h].height = 30
    T, Q = L.EVAL_TOTAL, L.EVAL_PUBLIC
    sources = {   # key → (分母, 分子); None = typed by the department
        "budget_adjust": (f"=C{T}", f"=D{T}-C{T}"),
        "carryover": (f"=D{T}", None),
        "three_public": (None, None),
        "procurement": (None, None),
        "public_funds": (f"=IF(ISNUMBER(D{Q}),D{Q},N(C{Q}))", f'=IF(ISNUMBER(E{Q}),E{Q},"")'),
    }
    for key in L.COMMON_KEYS:
        r = L.COMMON_ROW[key]
        rule = cfg["common"][key]
        name, method = COMMON_LABELS[key]
        label(ws, f"A{r}", name, merge=f"A{r}:B{r}")
        ws[f"C{r}"] = method
        box(ws, f"C{r}:D{r}", align=WRAP)
        for col, expr in zip((c["base"], c["amount"]), sources[key]):
            if expr is None:
                input_cell(ws, f"{col}{r}", fmt=MONEY_FMT, align=CENTER)
            else:
                formula(ws, f"{col}{r}", expr, fmt=MONEY_FMT)
        base, amount, actual = f"{c['base']}{r}", f"{c['amount']}{r}", f"{c['actual']}{r}"
        formula(ws, actual,
                f'=IF(AND(ISNUMBER({amount}),ISNUMBER({base})),IF({base}>0,{amount}/{base},""),"")',
                fmt=PCT_FMT)
        ws[f"{c['target']}{r}"] = _target_text(rule["op"], rule["target"]) + (
            "（按绝对值）" if rule.get("absolute") else "")
        box(ws, f"{c['target']}{r}", align=CENTER)
        formula(ws, f"{c['weight']}{r}", f"=CW_{key}", fmt="0.00")
        a = f"ABS({EV}{actual})" if rule.get("absolute") else f"{EV}{actual}"
        w, t = f"{EV}{c['weight']}{r}", f"CT_{key}"
        if rule["op"] == "≤":
            points = f"IF({a}<={t},{w},IF({t}<=0,0,MAX(0,1-({a}-{t})/{t})*{w}))"
        else:
            points = f"IF(OR({a}>={t},{t}<=0),{w},MAX(0,{a}/{t})*{w})"
        crow = L.CALC_COMMON_ROW[key]
        _calc_part(calc, crow, w, f"AND({w}>0,ISNUMBER({EV}{actual}))", points)
        formula(ws, f"{c['score']}{r}", f'=IF({CA}A{crow}=0,"",ROUND({CA}B{crow},2))', fmt="0.00")
        input_cell(ws, f"{c['analysis']}{r}")
        ws.row_dimensions[r].height = 30
    for key in ("three_public", "procurement"):
        r = L.COMMON_ROW[key]
        validate(ws, f"{c['base']}{r}:{c['amount']}{r}", kind="decimal",
                 operator="greaterThanOrEqual", formula1="0", prompt=MONEY_PROMPT, error=MONEY_ERROR)
    _prompt(ws, f"{c['analysis']}{L.EVAL_COMMON_FIRST}:{c['analysis']}{L.EVAL_PROJECTS_ROW}",
            "未得满分时，说明偏差原因和改进措施")
    r = L.COMMON_ROW["carryover"]
    validate(ws, f"{c['amount']}{r}", kind="decimal", operator="greaterThanOrEqual", formula1="0",
             prompt="年末结转结余资金总额，单位万元", error=MONEY_ERROR)

    r, s = L.EVAL_PROJECTS_ROW, L.EVAL_PROJ_STATS_ROW
    label(ws, f"A{r}", "项目自评得分（预算加权平均）", merge=f"A{r}:B{r}")
    ws[f"C{r}"] = "Σ（项目自评得分×预算数）÷Σ预算数，按平均分折算"
    box(ws, f"C{r}:D{r}", align=WRAP)
    formula(ws, f"{c['base']}{r}", f"=SUMPRODUCT(--ISNUMBER({_pj('H')}),{_pj('K')})", fmt=MONEY_FMT)
    formula(ws, f"{c['amount']}{r}", f"=SUMPRODUCT({_pj('H')},{_pj('K')})", fmt=MONEY_FMT)
    avg = f"{c['actual']}{r}"
    formula(ws, avg, f'=IF({c["base"]}{r}>0,{c["amount"]}{r}/{c["base"]}{r},"")', fmt="0.00")
    ws[f"{c['target']}{r}"] = "满分100"
    box(ws, f"{c['target']}{r}", align=CENTER)
    formula(ws, f"{c['weight']}{r}", "=ProjectsWeight", fmt="0.00")
    w = f"{EV}{c['weight']}{r}"
    _calc_part(calc, L.CALC_PROJECTS_ROW, w, f"AND({w}>0,ISNUMBER({EV}{avg}))", f"{EV}{avg}/100*{w}")
    formula(ws, f"{c['score']}{r}", f'=IF({CA}A{L.CALC_PROJECTS_ROW}=0,"",ROUND({CA}B{L.CALC_PROJECTS_ROW},2))',
            fmt="0.00")
    input_cell(ws, f"{c['analysis']}{r}")
    ws.row_dimensions[r].height = 30
    label(ws, f"A{s}", "参评项目数／简单平均分／等级分布", merge=f"A{s}:B{s}")
    formula(ws, f"C{s}", f"=COUNT({_pj('H')})", fmt="0")
    formula(ws, f"D{s}", f'=IF(C{s}=0,"",AVERAGE({_pj("H")}))', fmt="0.00")
    parts = [f'INDEX(GradeNames,{k})&COUNTIF({_pj("I")},INDEX(GradeNames,{k}))&"个"'
             for k in range(1, len(rules.scoring["grades"]) + 1)]
    formula(ws, f"E{s}", "=" + '&"；"&'.join(parts), merge=f"E{s}:K{s}", align=LEFT)
    ws.row_dimensions[s].height = 30


def _indicator_block(ws, calc):
    _section(ws, L.EVAL_IND_SECTION, "四、部门整体绩效指标（实际完成值、分值、得分由评价人填写）", "K")
    h = L.EVAL_IND_HEAD
    for area, text in ((f"A{h}", "一级指标"), (f"B{h}", "二级指标"), (f"C{h}", "三级指标"),
                       (f"D{h}:E{h}", "年度指标值"), (f"F{h}", "实际完成值"), (f"G{h}", "分值"),
                       (f"H{h}", "得分"), (f"I{h}:K{h}", "偏差原因分析及改进措施")):
        label(ws, area.split(":")[0], text, merge=area if ":" in area else None)
    first = L.EVAL_IND_FIRST
    for i in range(L.DEPT_IND_ROWS):
        r, d = first + i, L.DECL_IND_FIRST + i
        for col in "ABC":
            formula(ws, f"{col}{r}", f'=IF({DP}{col}{d}="","",{DP}{col}{d})', align=WRAP)
        nat, val, unit, orig = (f"{DP}{col}{d}" for col in "DEFG")
        op = f'IF(OR(TRIM({nat})="",TRIM({nat})="=",TRIM({nat})="定性",TRIM({nat})="区间",TRIM({nat})="日期"),"",TRIM({nat}))'
        formula(ws, f"D{r}", f'=IF(TRIM({orig})<>"",{orig},IF(TRIM({val})="","",{op}&{val}&{unit}))',
                merge=f"D{r}:E{r}", align=WRAP)
        input_cell(ws, f"F{r}", align=CENTER)
        input_cell(ws, f"G{r}", fmt="0.00", align=CENTER)
        input_cell(ws, f"H{r}", fmt="0.00", align=CENTER)
        input_cell(ws, f"I{r}:K{r}")
        ws.row_dimensions[r].height = TWO_LINE_ROW   # names shown by formula never grow a row
        calc[f"C{L.CALC_IND_FIRST + i}"] = (f"=IF(AND(ISNUMBER({EV}G{r}),ISNUMBER({EV}H{r})),"
                                           f"MAX(0,MIN({EV}H{r},{EV}G{r})),0)")
    last = L.EVAL_IND_LAST
    _prompt(ws, f"F{first}:F{last}", "实际完成的数值、日期或定性评价")
    _prompt(ws, f"I{first}:I{last}", "未得满分时，说明偏差原因和改进措施")
    validate(ws, f"G{first}:G{last}", kind="decimal", operator="between", formula1="0",
             formula2="100", prompt="该指标的分值", error="分值应为0–100之间的数字")
    validate(ws, f"H{first}:H{last}", kind="decimal", operator="greaterThanOrEqual", formula1="0",
             prompt="评价人给出的得分，不超过分值", error="得分应为不小于0的数字")
    t = L.EVAL_IND_TOTAL_ROW
    label(ws, f"A{t}", "部门绩效指标得分＝Σ得分÷Σ分值×权重（每项得分不超过其分值）", merge=f"A{t}:F{t}")
    formula(ws, f"G{t}", f"=SUM(G{first}:G{last})", fmt="0.00")
    capped = f"{CA}C{L.CALC_IND_FIRST}:C{L.CALC_IND_FIRST + L.DEPT_IND_ROWS - 1}"
    formula(ws, f"H{t}", f"=SUM({capped})", fmt="0.00")
    formula(ws, f"I{t}", "=IndicatorsWeight", fmt="0.00")
    w = f"{EV}I{t}"
    crow = L.CALC_INDICATORS_ROW
    _calc_part(calc, crow, w, f"AND({w}>0,{EV}G{t}>0)", f"{EV}H{t}/{EV}G{t}*{w}")
    formula(ws, f"J{t}", f'=IF({CA}A{crow}=0,"",ROUND({CA}B{crow},2))', fmt="0.00")
    box(ws, f"K{t}")


def _totals(ws, calc):
    srow = L.CALC_SUM_ROW
    calc[f"A{srow}"] = f"=SUM(A1:A{srow - 1})"
    calc[f"B{srow}"] = f"=SUM(B1:B{srow - 1})"
    t, g, s = L.EVAL_TOTAL_ROW, L.EVAL_GRADE_ROW, L.EVAL_SCALE_ROW
    label(ws, f"A{t}", "总分（满分100分；不适用的部分不计，按100分折算）", merge=f"A{t}:I{t}")
    formula(ws, f"J{t}", f'=IF(OR(F{L.EVAL_TOTAL}="",{CA}A{srow}=0),"",ROUND({CA}B{srow}*100/{CA}A{srow},2))',
            fmt="0.00", merge=f"J{t}:K{t}")
    label(ws, f"A{g}", "等级", merge=f"A{g}:I{g}")
    formula(ws, f"J{g}", f'=IF(J{t}="","",INDEX(GradeNames,SUMPRODUCT(--(GradeMins>J{t}))+1))',
            merge=f"J{g}:K{g}")
    label(ws, f"A{s}", "折算系数（100÷适用部分的分值合计）", merge=f"A{s}:I{s}")
    formula(ws, f"J{s}", f"=IF({CA}A{srow}=0,0,100/{CA}A{srow})", fmt="0.0000", merge=f"J{s}:K{s}")


def _self_evaluation(wb, rules: Rules):
    ws = _quick_merges(wb.create_sheet(L.EVAL))
    page_setup(ws, landscape=True, widths=L.EVAL_WIDTHS, freeze=f"A{L.EVAL_DEPT_ROW + 1}")
    sheet_title(ws, "", "K")
    ws["A1"] = '=IF(ISNUMBER(FiscalYear),FiscalYear&"年度","")&"部门整体支出绩效自评表"'
    r = L.EVAL_DEPT_ROW
    label(ws, f"A{r}", "部门编码")
    formula(ws, f"B{r}", '=IF(DeptCode="","",DeptCode)')
    label(ws, f"C{r}", "部门名称")
    formula(ws, f"D{r}", '=IF(DeptName="","",DeptName)', merge=f"D{r}:H{r}", align=WRAP)
    label(ws, f"I{r}", "年度")
    formula(ws, f"J{r}", '=IF(ISNUMBER(FiscalYear),FiscalYear,"")', merge=f"J{r}:K{r}")
    calc = wb.create_sheet(L.CALC)
    calc.sheet_state = "veryHidden"
    _budget_block(ws, calc)
    _goal_block(ws)
    _common_block(ws, calc, rules)
    _indicator_block(ws, calc)
    _totals(ws, calc)


# --- the whole workbook --------------------------------------------------------------------

def build_department_workbook(rules: Rules | None = None, password: str | None = None) -> Workbook:
    """The blank, protected department template as an openpyxl workbook (not yet saved)."""
    rules = rules or load_rules()
    wb = Workbook()
    _declaration(wb)
    _self_evaluation(wb, rules)
    _projects(wb)
    _meta_sheet(wb, rules)
    order = [L.DECL, L.EVAL, L.PROJ, L.META, L.CALC]
    wb._sheets.sort(key=lambda ws: order.index(ws.title))
    for name, spec in L.NAMES.items():
        if name not in wb.defined_names:
            define_name(wb, name, spec.sheet, spec.ref)
    protect(wb, wb.worksheets, password)
    wb.active = 0
    return wb


def write_department_template(path: str | Path, *, rules: Rules | None = None,
                              password: str | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = build_department_workbook(rules, password)
    stamp(wb, "department-template", "")
    return save_workbook(wb, path)
