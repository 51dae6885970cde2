"""Where everything lives in the project workbook: sheets, cells, tables, defined names.

Declared once here and read by the template writer, the filler and the reader, so that the three
cannot drift apart. Nothing else in the package spells a cell address of the project workbook.
The defined names are the template's public API (docs/workbooks.md); sheet positions may change between
template versions, names may not.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..cellref import col_index, col_letter
from ..model import BASIS_KINDS as _BASIS_KINDS

TEMPLATE_ID = "xlpkg.project-form"
# Bump whenever a defined name, a table capacity or the meaning of an input cell changes:
# the reader refuses other versions instead of misreading them.
TEMPLATE_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)   # v1/v2 workbooks already filled keep reading through their own names

DECL = "绩效目标申报表"
MON = "绩效运行监控"
EVAL = "绩效自评"
RESULTS = "校验结果"       # unprotected: the 校验 button lists issues here (the structure is locked)
META = "_xlpkg"           # very hidden: template id, version and the rulebook's parameters
CALC = "_calc"            # very hidden: the score formulas' working columns (rows as on 绩效自评)
SHEETS = (DECL, MON, EVAL, RESULTS, META, CALC)
PROTECTED_SHEETS = (DECL, MON, EVAL, META, CALC)
RESULT_HEADERS = ("工作表", "单元格", "规则", "级别", "说明")
RESULT_WIDTHS = (16, 10, 28, 8, 80)

INDICATOR_ROWS = 30
FUND_USE_ROWS = 10


def cell_ref(col: str, row: int) -> str:
    return f"{col}{row}"


def abs_ref(sheet: str, ref: str) -> str:
    """'Sheet'!$A$1 or 'Sheet'!$A$1:$B$2, as a defined name or a formula writes it."""
    parts = [re.sub(r"([A-Z]+)([0-9]+)", r"$\1$\2", p) for p in ref.split(":")]
    return f"'{sheet}'!" + ":".join(parts)


def shift_col(col: str, offset: int) -> str:
    return col_letter(col_index(col) + offset)


# --- 绩效目标申报表 (declaration) -------------------------------------------------

DECL_COLUMNS = ("A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M")
# v3 narrowed A:I to make room for J:M: one A4 landscape page wide, text at 7 pt or more.
DECL_WIDTHS = (11, 12, 16, 18, 10, 11, 8, 15, 11, 9, 8, 9, 8)
DECL_FORM_COLS = 9   # A:I, the width the blocks above the indicator table span
TITLE_ROW = 1
DEPT_ROW = 2
PROJ_ROW = 3
BUDGET_ROW = 4
PERIOD_ROW = 5                   # v2: 项目期 (start, end year) and 中期资金总额
MEDIUM_GOAL_ROW = 6              # v2: 中期绩效目标
USES_TEXT_ROW = 7
USES_HEAD_ROW = USES_TEXT_ROW + 1
USES_FIRST = USES_HEAD_ROW + 1
USES_LAST = USES_FIRST + FUND_USE_ROWS - 1
USES_TOTAL_ROW = USES_LAST + 1
PLAN_HEAD_ROW = USES_TOTAL_ROW + 1
PLAN_ROW = PLAN_HEAD_ROW + 1
GOAL_ROW = PLAN_ROW + 1
IND_HEAD_ROW = GOAL_ROW + 1
IND_FIRST = IND_HEAD_ROW + 1
IND_LAST = IND_FIRST + INDICATOR_ROWS - 1
DECL_NOTE_ROW = IND_LAST + 1

# Fund-use table: item, amount, note (note spans F:I).
USE_COLS = {"item": "D", "amount": "E", "note": "F"}
# Quarter plan cells (Q4 spans E:F so the four cells read as a row of similar width).
PLAN_COLS = ("B", "C", "D", "E")

# The indicator table in the form's order, then the original combined text.
IND_FIELDS = ("level1", "level2", "name", "description", "nature", "value", "unit", "basis",
              "original")
IND_COL = dict(zip(IND_FIELDS, DECL_COLUMNS))
IND_HEADERS = ("一级指标", "二级指标", "三级指标", "绩效指标描述", "指标性质", "指标值",
               "度量单位", "指标值确定依据", "原指标值（文字）")

# --- v3 (issue 24): 指标值设定依据 as a choice and the indicator's history, columns J:M --------
# The five standards (model.BASIS_KINDS, with the definitions the cell's input message shows):
# a literal list, not the rulebook's, because the standards are national, not provincial.
BASIS_KINDS = _BASIS_KINDS
# model Indicator field → (column, defined name, header); J is typed, K:M are written by
# carry-over (or fill) and locked.
IND_CARRY = {
    "basis_kind": ("J", "IndBasisKind", "设定依据类别"),
    "last_target": ("K", "IndLastTarget", "上年指标值"),
    "last_actual": ("L", "IndLastActual", "上年实际完成值"),
    "history_value": ("M", "IndHistoryValue", "历史值（近三年平均）"),
}
IND_CARRY_NAMES = {field: name for field, (_, name, _) in IND_CARRY.items()}
V3_CARRY_NAMES = tuple(IND_CARRY_NAMES.values())
V3_CARRY_INPUTS = ("IndBasisKind",)   # the one typed (unlocked) column of the four
# The indicator library (指标库): its table's headings, as `xlpkg library build` writes them and
# as the visible sheet embedded by `--library` shows them.
LIBRARY_SHEET = "指标库"
LIBRARY_HEADERS = ("一级指标", "二级指标", "三级指标", "度量单位", "使用项目数", "年度范围", "常用指标性质",
                   "指标值中位数", "实际完成值中位数", "近三年平均", "示例项目")
LIBRARY_WIDTHS = (10, 12, 24, 8, 8, 11, 10, 11, 12, 10, 28)

# --- 绩效运行监控 (monitoring) ----------------------------------------------------

MON_LAST_COL = "M"
MON_WIDTHS = (9, 11, 14, 12, 15, 15, 10, 10, 10, 11, 10, 10, 12)
# The snapshot "截至X月" as the monitoring table files it: one header row, one value row.
MON_SNAP_HEAD = 5
MON_SNAP_ROW = 6
MON_SNAP_COLS = {"month": "A", "budget": "B", "year_budget": "C", "spent": "D", "rate": "E",
                 "forecast": "F", "forecast_rate": "G", "time": "H", "light": "I"}
MON_Q_HEAD = 8
MON_Q_FIRST = 9                  # Q1..Q4 on rows 9..12
MON_Q_COLS = {"plan": "B", "actual": "C", "progress": "D", "variance": "E", "time": "F",
              "light": "G"}
MON_IND_HEAD = 14
MON_IND_FIRST = 15
MON_IND_LAST = MON_IND_FIRST + INDICATOR_ROWS - 1
MON_NOTE_ROW = MON_IND_LAST + 1
MON_RECT_ROW = MON_NOTE_ROW + 1  # 是否需要整改, 整改要求和建议
MON_RECT_RESULT_ROW = MON_RECT_ROW + 1
# One text column per deviation cause (财预〔2019〕136号): several causes can apply at once.
CAUSE_COUNT = 5
MON_CAUSE_FIRST, MON_CAUSE_LAST = "G", "K"
MON_IND_COLS = {"level1": "A", "level2": "B", "name": "C", "target": "D", "progress": "E",
                "forecast": "F", "causes": "G", "likelihood": "L", "remark": "M"}
# --- 绩效自评 (self-evaluation) ---------------------------------------------------

EVAL_WIDTHS = (12, 14, 18, 14, 13, 8, 9, 9, 9, 30, 9)
# The money block as the 自评表 files it: the total row, then one row per fund source.
EVAL_BUDGET_HEAD = 4
EVAL_BUDGET_ROW = 5              # 年度资金总额: YearBudget, YearSpent, the score
FUND_KEYS = ("fiscal", "carryover", "other")
FUND_LABELS = {"fiscal": "其中：财政拨款", "carryover": "上年结转", "other": "其他资金"}
EVAL_FUND_FIRST = EVAL_BUDGET_ROW + 1
EVAL_FUND_LAST = EVAL_FUND_FIRST + len(FUND_KEYS) - 1
EVAL_BUDGET_COLS = {"label": "A", "budget": "B", "year_budget": "C", "year_spent": "D",
                    "weight": "E", "rate": "F", "score": "G", "cost_rate": "H"}
EVAL_REASON_ROW = EVAL_FUND_LAST + 1   # 执行率偏差原因, typed when 执行率 is below the rulebook's threshold
EVAL_REASON_COL = "D"
EVAL_LAST_COL = "K"                   # 评分（定性） is the last column of the indicator table
EVAL_UNIT_COST_ROW = EVAL_REASON_ROW + 1   # v3 (issue 26): 单位成本 (UnitCostBasis, UnitCost)
EVAL_GOAL_HEAD = EVAL_UNIT_COST_ROW + 2   # 年度总体目标: 预期目标 | 实际完成情况
EVAL_GOAL_ROW = EVAL_GOAL_HEAD + 1
EVAL_IND_HEAD = EVAL_GOAL_ROW + 2
EVAL_IND_FIRST = EVAL_IND_HEAD + 1
EVAL_IND_LAST = EVAL_IND_FIRST + INDICATOR_ROWS - 1
EVAL_TOTAL_ROW = EVAL_IND_LAST + 1
EVAL_GRADE_ROW = EVAL_TOTAL_ROW + 1
EVAL_SCALE_ROW = EVAL_GRADE_ROW + 1
# The closing block of the 自评表.
EVAL_CLOSE_FIRST = EVAL_SCALE_ROW + 1
EVAL_CLOSE_TEXTS = ("conclusion", "problems", "improvements")
EVAL_CLOSE_LABELS = {"conclusion": "评价结论", "problems": "存在问题", "improvements": "改进措施"}
EVAL_SIGN_ROW = EVAL_CLOSE_FIRST + len(EVAL_CLOSE_TEXTS)
EVAL_IND_COLS = {"level1": "A", "level2": "B", "name": "C", "target": "D", "actual": "E",
                 "applicable": "F", "weight_input": "G", "weight": "H", "score": "I",
                 "analysis": "J", "rated": "K"}
# Working columns of the score formulas on the _calc sheet, one per step so each formula stays
# readable. They live on their own sheet because they are most of the workbook's XML: a reader
# that only wants inputs and results never has to parse them.
EVAL_HELPERS = ("grp", "member", "win", "given", "free", "cost", "nat", "t1", "t2", "mode",
                "num", "ratio", "raw", "pending")
# The sheet's parser of targets typed only as text (原指标值) and of actuals typed as text, and
# the 定性 tier columns; ``xlpkg.workbook.sheet_parse`` predicts each of them in Python.
EVAL_PARSE_HELPERS = ("src", "pre", "suf", "body", "nlen", "pnum", "punit", "pop", "dtxt", "dy", "dm",
                      "dd", "pdate", "pkind", "unit", "asrc", "apre", "asuf", "abody", "anlen",
                      "anum", "aunit", "adtxt", "ady", "adm", "add", "adate", "app", "qual", "tier",
                      "why")
EVAL_HELPERS = EVAL_HELPERS + EVAL_PARSE_HELPERS
EVAL_HELPER_COL = {h: shift_col("L", i) for i, h in enumerate(EVAL_HELPERS)}
CALC_EFF_SPENT_COL = "K"   # _calc: the total's 全年执行数 (typed, or the fund rows' sum), budget row
# Per 指标 level (rows 2..4 of _calc, GroupKeys order): 分值 typed, allocated, gap to the weight.
LEVEL_COLS = {"key": "A", "weight": "B", "typed": "C", "members": "D", "rest": "E", "total": "F",
              "gap": "G", "avail": "H"}
LEVEL_FIRST = 2

# --- _xlpkg (metadata and rule parameters) -----------------------------------------
META_ID_ROW, META_VERSION_ROW, META_RULES_ROW, META_ILLUSTRATIVE_ROW = 1, 2, 3, 4

# --- v3 (issue 26): cost performance — 单位成本 on 绩效自评, the rulebook's levels in _xlpkg
# The unit-cost row: the chosen 数量指标 (D:F, a list of the form's 数量指标 names), the unit
# cost 全年执行数 ÷ its 实际完成值 (H) and its unit (I:K).
UNIT_COST_COLS = {"basis": "D", "basis_end": "F", "amount": "H", "unit": "I"}
# _calc: per indicator row, the 三级指标 name when the row is a 数量指标 (the basis list), and the
# unit-cost's row index; right of the score helpers, so their columns do not move.
CALC_QUANTITY_COL = shift_col("L", len(EVAL_HELPERS))
CALC_UNIT_COST_COLS = {"row": "A", "unit": "B"}   # _calc, on EVAL_UNIT_COST_ROW
# _xlpkg: the rulebook's scoring levels as text (Rules.levels_signature), below the scalars.
META_LEVELS_ROW = 14
V3_COST_INPUT_NAMES = ("UnitCostBasis",)
V3_COST_NAMES = {
    "UnitCostBasis": (EVAL, f"{UNIT_COST_COLS['basis']}{EVAL_UNIT_COST_ROW}"),
    "UnitCost": (EVAL, f"{UNIT_COST_COLS['amount']}{EVAL_UNIT_COST_ROW}"),
    "RulesLevels": (META, f"B{META_LEVELS_ROW}"),
}

# --- defined names ----------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    sheet: str
    ref: str          # "B2" or "A22:I51"

    @property
    def formula(self) -> str:
        return abs_ref(self.sheet, self.ref)


def _column(sheet: str, col: str, first: int, last: int) -> Name:
    return Name(sheet, f"{col}{first}:{col}{last}")


def _cells() -> dict[str, Name]:
    C, F = EVAL_BUDGET_COLS, (EVAL_FUND_FIRST, EVAL_FUND_LAST)
    snap = {k: f"{v}{MON_SNAP_ROW}" for k, v in MON_SNAP_COLS.items()}
    n = {
        "DeptCode": Name(DECL, f"B{DEPT_ROW}"),
        "DeptName": Name(DECL, f"D{DEPT_ROW}"),
        "FiscalYear": Name(DECL, f"H{DEPT_ROW}"),
        "ProjCode": Name(DECL, f"B{PROJ_ROW}"),
        "ProjName": Name(DECL, f"E{PROJ_ROW}"),
        "Budget": Name(DECL, f"B{BUDGET_ROW}"),
        "FundSource": Name(DECL, f"E{BUDGET_ROW}"),
        "PeriodStart": Name(DECL, f"B{PERIOD_ROW}"),
        "PeriodEnd": Name(DECL, f"C{PERIOD_ROW}"),
        "MediumBudget": Name(DECL, f"E{PERIOD_ROW}"),
        "MediumCheck": Name(DECL, f"G{PERIOD_ROW}"),
        "MediumGoal": Name(DECL, f"B{MEDIUM_GOAL_ROW}"),
        "UsesText": Name(DECL, f"B{USES_TEXT_ROW}"),
        "FundUses": Name(DECL, f"{USE_COLS['item']}{USES_FIRST}:{USE_COLS['amount']}{USES_LAST}"),
        "FundUseNotes": _column(DECL, USE_COLS["note"], USES_FIRST, USES_LAST),
        "UsesTotal": Name(DECL, f"E{USES_TOTAL_ROW}"),
        "UsesBalance": Name(DECL, f"F{USES_TOTAL_ROW}"),
        "Goal": Name(DECL, f"B{GOAL_ROW}"),
        # the budget and 全年执行数 the formulas use (typed, or the fund rows' sums)
        "EffBudget": Name(MON, "B3"),
        "EffSpent": Name(CALC, f"{CALC_EFF_SPENT_COL}{EVAL_BUDGET_ROW}"),
        "Indicators": Name(DECL, f"A{IND_FIRST}:I{IND_LAST}"),
        "MonMonth": Name(MON, snap["month"]),
        "MonSpent": Name(MON, snap["spent"]),
        "MonForecast": Name(MON, snap["forecast"]),
        "MonRate": Name(MON, snap["rate"]),
        "MonForecastRate": Name(MON, snap["forecast_rate"]),
        "MonTimeProgress": Name(MON, snap["time"]),
        "MonLight": Name(MON, snap["light"]),
        "ExecNote": Name(MON, f"B{MON_NOTE_ROW}"),
        "RectNeeded": Name(MON, f"B{MON_RECT_ROW}"),
        "RectAdvice": Name(MON, f"E{MON_RECT_ROW}"),
        "RectResult": Name(MON, f"B{MON_RECT_RESULT_ROW}"),
        "YearBudget": Name(EVAL, f"{C['year_budget']}{EVAL_BUDGET_ROW}"),
        "YearSpent": Name(EVAL, f"{C['year_spent']}{EVAL_BUDGET_ROW}"),
        "FundBudget": _column(EVAL, C["budget"], *F),
        "FundYearBudget": _column(EVAL, C["year_budget"], *F),
        "FundYearSpent": _column(EVAL, C["year_spent"], *F),
        "FundRate": _column(EVAL, C["rate"], *F),
        "FundCheck": Name(EVAL, f"I{EVAL_BUDGET_ROW}"),
        "ExecWeight": Name(EVAL, f"{C['weight']}{EVAL_BUDGET_ROW}"),
        "ExecRate": Name(EVAL, f"{C['rate']}{EVAL_BUDGET_ROW}"),
        "ExecScore": Name(EVAL, f"{C['score']}{EVAL_BUDGET_ROW}"),
        "CostControlRate": Name(EVAL, f"{C['cost_rate']}{EVAL_BUDGET_ROW}"),
        "GoalExpected": Name(EVAL, f"B{EVAL_GOAL_ROW}"),
        "GoalActual": Name(EVAL, f"F{EVAL_GOAL_ROW}"),
        "ExecDeviationReason": Name(EVAL, f"{EVAL_REASON_COL}{EVAL_REASON_ROW}"),
        "TotalScore": Name(EVAL, f"I{EVAL_TOTAL_ROW}"),
        "Grade": Name(EVAL, f"I{EVAL_GRADE_ROW}"),
        "ScoreScale": Name(EVAL, f"I{EVAL_SCALE_ROW}"),
        "Conclusion": Name(EVAL, f"B{EVAL_CLOSE_FIRST}"),
        "Problems": Name(EVAL, f"B{EVAL_CLOSE_FIRST + 1}"),
        "Improvements": Name(EVAL, f"B{EVAL_CLOSE_FIRST + 2}"),
        "ProjectLead": Name(EVAL, f"B{EVAL_SIGN_ROW}"),
        "FinanceLead": Name(EVAL, f"E{EVAL_SIGN_ROW}"),
        "FillDate": Name(EVAL, f"H{EVAL_SIGN_ROW}"),
        "TemplateId": Name(META, f"B{META_ID_ROW}"),
        "TemplateVersion": Name(META, f"B{META_VERSION_ROW}"),
        "RulesVersion": Name(META, f"B{META_RULES_ROW}"),
        "Illustrative": Name(META, f"B{META_ILLUSTRATIVE_ROW}"),
    }
    for q in range(1, 5):
        row = MON_Q_FIRST + q - 1
        n[f"PlanQ{q}"] = Name(DECL, f"{PLAN_COLS[q - 1]}{PLAN_ROW}")
        n[f"PlanRateQ{q}"] = Name(MON, f"{MON_Q_COLS['plan']}{row}")
        n[f"ActualQ{q}"] = Name(MON, f"{MON_Q_COLS['actual']}{row}")
        n[f"ProgressQ{q}"] = Name(MON, f"{MON_Q_COLS['progress']}{row}")
        n[f"VarianceQ{q}"] = Name(MON, f"{MON_Q_COLS['variance']}{row}")
        n[f"LightQ{q}"] = Name(MON, f"{MON_Q_COLS['light']}{row}")
    for key, name in (("progress", "IndProgress"), ("forecast", "IndForecast"),
                      ("likelihood", "IndLikelihood"), ("remark", "IndRemark")):
        n[name] = _column(MON, MON_IND_COLS[key], MON_IND_FIRST, MON_IND_LAST)
    n["IndCauses"] = Name(MON, f"{MON_CAUSE_FIRST}{MON_IND_FIRST}:{MON_CAUSE_LAST}{MON_IND_LAST}")
    for key, name in (("actual", "IndActual"), ("applicable", "IndApplicable"),
                      ("weight_input", "IndWeightInput"), ("weight", "IndWeight"),
                      ("score", "IndScore"), ("analysis", "IndAnalysis"), ("rated", "IndRatedScore")):
        n[name] = _column(EVAL, EVAL_IND_COLS[key], EVAL_IND_FIRST, EVAL_IND_LAST)
    for col, name, _ in IND_CARRY.values():   # v3 (issue 24)
        n[name] = _column(DECL, col, IND_FIRST, IND_LAST)
    for name, (sheet, ref) in V3_COST_NAMES.items():   # v3 (issue 26)
        n[name] = Name(sheet, ref)
    return n


NAMES: dict[str, Name] = _cells()

# Which defined names hold formulas (their cached values are checked against Python).
FORMULA_NAMES = ("UsesTotal", "UsesBalance", "ExecWeight", "ExecRate", "ExecScore",
                 "CostControlRate", "TotalScore", "Grade", "ScoreScale", "IndWeight", "IndScore",
                 "MonRate", "MonForecastRate", "MonTimeProgress", "MonLight", "FundRate", "UnitCost",
                 "FundCheck", "EffBudget", "EffSpent", "MediumCheck", "GoalExpected",
                 "VerifiedTotalScore", "VerifiedGrade",   # v3 (issue 25)
                 *(f"{k}Q{q}" for k in ("PlanRate", "Progress", "Variance", "Light")
                   for q in range(1, 5)))

# Single-cell text inputs: model field → defined name. Tables are handled by their own code.
SCALAR_FIELDS = {
    "dept_code": "DeptCode", "dept_name": "DeptName", "year": "FiscalYear", "code": "ProjCode",
    "name": "ProjName", "budget": "Budget", "fund_source": "FundSource", "uses_text": "UsesText",
    "goal": "Goal",
}
# v2 single-cell text inputs (absent from v1 workbooks: read as blank there).
TEXT_FIELDS_V2 = {
    "medium_term_goal": "MediumGoal", "goal_actual": "GoalActual", "conclusion": "Conclusion",
    "problems": "Problems", "improvements": "Improvements", "project_lead": "ProjectLead",
    "finance_lead": "FinanceLead",
}
IND_INPUT_NAMES = {   # model Indicator field → (defined name) for the other sheets' inputs
    "progress": "IndProgress", "forecast": "IndForecast", "causes": "IndCauses",
    "likelihood": "IndLikelihood", "remark": "IndRemark", "actual": "IndActual",
    "weight": "IndWeightInput", "analysis": "IndAnalysis", "applicable": "IndApplicable",
    "rated_score": "IndRatedScore",
}
V1_ONLY_NAMES = {"IndCause": "the single 偏差原因 column, read into causes"}
V1_INPUT_NAMES = ("DeptCode", "DeptName", "FiscalYear", "ProjCode", "ProjName", "Budget",
                  "FundSource", "UsesText", "FundUses", "FundUseNotes", "Goal", "Indicators",
                  "PlanQ1", "PlanQ2", "PlanQ3", "PlanQ4", "ActualQ1", "ActualQ2", "ActualQ3",
                  "ActualQ4", "YearBudget", "YearSpent", "ExecNote", "IndProgress",
                  "IndForecast", "IndCause", "IndLikelihood", "IndRemark", "IndActual",
                  "IndWeightInput", "IndAnalysis", "IndApplicable")
V2_INPUT_NAMES = ("PeriodStart", "PeriodEnd", "MediumBudget", "MediumGoal", "MonMonth",
                  "MonSpent", "MonForecast", "RectNeeded", "RectAdvice", "RectResult",
                  "FundBudget", "FundYearBudget", "FundYearSpent", "GoalActual", "Conclusion",
                  "Problems", "Improvements", "ProjectLead", "FinanceLead", "FillDate")
# Inputs added to v1 after it was published (engineer score): read when present, not required.
OPTIONAL_INPUT_NAMES = ("IndRatedScore", "ExecDeviationReason")
INPUT_NAMES = (tuple(n for n in V1_INPUT_NAMES if n != "IndCause") + ("IndCauses",) + V2_INPUT_NAMES
               + OPTIONAL_INPUT_NAMES)
INPUT_NAMES_BY_VERSION = {1: V1_INPUT_NAMES, 2: INPUT_NAMES,
                          3: INPUT_NAMES + V3_CARRY_NAMES + V3_COST_INPUT_NAMES}   # v3: issues 24, 26

# --- v3 (issue 25): the finance bureau's review (财政部门审核意见, 评定得分) --------------------
# Written by `xlpkg review --apply` only, locked for the department. On 绩效目标申报表 column N
# of the indicator table holds each indicator's 审核意见 and a block below the note row the
# verdict; on 绩效自评 the first column right of the indicator table holds 评定得分 and the rows
# below the signatures the bureau's total and grade (formulas, blank until every row is rated).
REVIEW_IND_COL = "N"
REVIEW_IND_WIDTH = 9
REVIEW_HEAD_ROW = DECL_NOTE_ROW + 1       # 财政部门审核意见 (title of the block)
REVIEW_ROW = REVIEW_HEAD_ROW + 1          # 审核阶段 | 审核结果 | consequence | 审核日期
REVIEW_OPINION_ROW = REVIEW_ROW + 1       # 审核意见
REVIEW_FINGERPRINT_ROW = REVIEW_OPINION_ROW + 1   # what the form said when reviewed (SHA-256)
EVAL_VERIFIED_COL = shift_col(EVAL_LAST_COL, 1)   # 评定得分 (the score helpers live on _calc)
EVAL_VERIFIED_WIDTH = 9
EVAL_VERIFIED_ROW = EVAL_SIGN_ROW + 1     # 财政部门评定总分
EVAL_VERIFIED_GRADE_ROW = EVAL_VERIFIED_ROW + 1
REVIEW_NAMES = {
    "ReviewStage": Name(DECL, f"B{REVIEW_ROW}"),
    "ReviewGrade": Name(DECL, f"E{REVIEW_ROW}"),
    "ReviewDate": Name(DECL, f"I{REVIEW_ROW}"),
    "ReviewOpinion": Name(DECL, f"B{REVIEW_OPINION_ROW}"),
    "ReviewFingerprint": Name(DECL, f"B{REVIEW_FINGERPRINT_ROW}"),
    "IndReviewOpinion": _column(DECL, REVIEW_IND_COL, IND_FIRST, IND_LAST),
    "IndVerifiedScore": _column(EVAL, EVAL_VERIFIED_COL, EVAL_IND_FIRST, EVAL_IND_LAST),
    "VerifiedTotalScore": Name(EVAL, f"I{EVAL_VERIFIED_ROW}"),
    "VerifiedGrade": Name(EVAL, f"I{EVAL_VERIFIED_GRADE_ROW}"),
}
NAMES.update(REVIEW_NAMES)
REVIEW_INPUT_NAMES = ("ReviewStage", "ReviewGrade", "ReviewDate", "ReviewOpinion",
                      "ReviewFingerprint", "IndReviewOpinion", "IndVerifiedScore")
REVIEW_FORMULA_NAMES = ("VerifiedTotalScore", "VerifiedGrade")
INPUT_NAMES_BY_VERSION[3] = INPUT_NAMES_BY_VERSION[3] + REVIEW_INPUT_NAMES   # with issues 24, 26


def first_cell(name: str, names: dict | None = None) -> tuple[str, str, int]:
    """(sheet, column, row) of the top-left cell of a defined name; ``names`` ({name: (sheet,
    ref)}, as a file defines them) wins over this layout, so a v1 workbook is located in v1."""
    if names and name in names:
        sheet, ref = names[name]
    else:
        sheet, ref = NAMES[name].sheet, NAMES[name].ref
    m = re.match(r"\$?([A-Z]+)\$?([0-9]+)", ref)
    return sheet, m[1], int(m[2])


def ind_cell(name_or_field: str, index: int, names: dict | None = None) -> tuple[str, str]:
    """(sheet, "F23") of an indicator row's cell, by table row index (0-based)."""
    if name_or_field in IND_COL:
        sheet, col, row = first_cell("Indicators", names)
        return sheet, f"{shift_col(col, IND_FIELDS.index(name_or_field))}{row + index}"
    name = IND_INPUT_NAMES.get(name_or_field) or IND_CARRY_NAMES.get(name_or_field, name_or_field)
    if names and name not in names and name == "IndCauses" and "IndCause" in names:
        name = "IndCause"   # a v1 workbook: one cause column
    sheet, col, row = first_cell(name, names)
    return sheet, f"{col}{row + index}"


_PATH_RE = re.compile(r"^(?P<field>[a-z_.]+)(?:\[(?P<i>[0-9]+)\])?(?:\.(?P<sub>[a-z_0-9.]+))?$")
_SCALAR_PATHS = {**SCALAR_FIELDS, **TEXT_FIELDS_V2, "plan": "PlanQ1", "uses": "FundUses",
                 "execution.year_budget": "YearBudget", "execution.year_spent": "YearSpent",
                 "execution.actual_cumulative": "ActualQ1", "indicators": "Indicators",
                 "period": "PeriodStart", "period.start": "PeriodStart", "period.end": "PeriodEnd",
                 "medium_term_budget": "MediumBudget", "fill_date": "FillDate",
                 "monitoring": "MonMonth", "monitoring.month": "MonMonth",
                 "monitoring.spent": "MonSpent", "monitoring.forecast_year_spent": "MonForecast",
                 "rectification": "RectNeeded", "rectification.needed": "RectNeeded",
                 "rectification.advice": "RectAdvice", "rectification.result": "RectResult",
                 "execution.funds": "FundBudget",
                 "execution.deviation_reason": "ExecDeviationReason",
                 "unit_cost_basis": "UnitCostBasis"}
_FUND_FIELD_NAMES = {"budget": "FundBudget", "year_budget": "FundYearBudget",
                     "year_spent": "FundYearSpent"}


def locate(path: str, ind_rows: list[int], use_rows: list[int],
           target_col: dict[int, str] | None = None, names: dict | None = None) -> tuple[str, str]:
    """Sheet and cell of a model field path such as ``indicators[3].target`` or ``plan[2]``.

    ``ind_rows`` and ``use_rows`` give, per model list index, the table row it was read from
    (blank rows are skipped, so index ≠ row). ``target_col`` says per indicator which column
    its target came from (the structured 指标值 or the original text). ``names`` are the
    workbook's own defined names (a v1 file has other positions). ("", "") if unknown.
    """
    if (path or "").startswith("execution.funds."):
        key, _, part = path[len("execution.funds."):].partition(".")
        name = _FUND_FIELD_NAMES.get(part, "FundYearSpent")
        if key in FUND_KEYS and (names is None or name in names):
            sheet, col, row = first_cell(name, names)
            return sheet, f"{col}{row + FUND_KEYS.index(key)}"
        return "", ""
    m = _PATH_RE.match(path or "")
    if not m:
        return "", ""
    field, i, sub = m["field"], m["i"], m["sub"]
    if field == "indicators" and i is not None:
        idx = int(i)
        if idx >= len(ind_rows):
            return "", ""
        row = ind_rows[idx]
        sub = (sub or "name").split(".")[0]
        if sub == "target":
            col = (target_col or {}).get(idx, "value")
            return ind_cell(col, row, names)
        if sub == "deviation_cause":
            sub = "causes"
        if sub in IND_COL or sub in IND_INPUT_NAMES or sub in IND_CARRY_NAMES:
            return ind_cell(sub, row, names)
        return ind_cell("name", row, names)
    if field == "uses" and i is not None and int(i) < len(use_rows):
        sheet, col, row = first_cell("FundUses", names)
        offset = {"item": 0, "amount": 1}.get(sub or "amount")
        if offset is None:
            sheet, col, row = first_cell("FundUseNotes", names)
            offset = 0
        return sheet, f"{shift_col(col, offset)}{row + use_rows[int(i)]}"
    if field == "plan" and i is not None:
        sheet, col, row = first_cell(f"PlanQ{int(i) + 1}", names)
        return sheet, f"{col}{row}"
    if field == "execution.actual_cumulative" and i is not None:
        sheet, col, row = first_cell(f"ActualQ{int(i) + 1}", names)
        return sheet, f"{col}{row}"
    if field == "uses" and i is None:
        sheet, col, row = first_cell("UsesTotal", names)
        return sheet, f"{col}{row}"
    name = _SCALAR_PATHS.get(field if not sub or field in ("uses",) else f"{field}.{sub}",
                             _SCALAR_PATHS.get(field))
    if name is None or (names is not None and name not in names):
        return "", ""
    sheet, col, row = first_cell(name, names)
    return sheet, f"{col}{row}"
