"""Where everything lives in the department workbook (部门整体绩效表): sheets, cells, names.

Declared once here and read by the template builder, the writer and the reader of
``xlpkg.department``, so that the three cannot drift apart. The defined names are the
workbook's public API (docs/workbooks.md); the finance bureau's summary reads ``DeptCode``,
``DeptTotalScore``, ``DeptGrade`` and ``DeptExecRate`` through them, so they never change.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..workbook.layout import abs_ref
from ..cellref import col_index, col_letter

TEMPLATE_ID = "xlpkg.department-form"
# Bump whenever a defined name, a table capacity or the meaning of an input cell changes.
TEMPLATE_VERSION = 1

DECL = "部门整体绩效目标申报表"
EVAL = "部门整体支出绩效自评表"
PROJ = "项目支出明细"
META = "_xlpkg"      # very hidden: template id, version, the rulebook's department parameters
CALC = "_calc"       # very hidden: the unrounded score parts, one row per part
SHEETS = (DECL, EVAL, PROJ, META, CALC)

PROJECT_ROWS = 200    # a city department files up to a few hundred project forms
DEPT_IND_ROWS = 20

# --- 部门整体绩效目标申报表 (portrait) ----------------------------------------------------
# Widths sum to 95 so that fitting the width on portrait A4 keeps 10-pt text at ≥ 7.5 pt
# (LibreOffice draws a width unit at about 7 pt).
DECL_WIDTHS = (9, 16, 16, 10, 18, 8, 18)
DECL_DEPT_ROW = 2
DECL_BUDGET_HEAD = 3
DECL_BASIC_ROW, DECL_PERSONNEL_ROW, DECL_PUBLIC_ROW, DECL_PROJECT_ROW, DECL_TOTAL_ROW = 4, 5, 6, 7, 8
DECL_GOAL_ROW = 9
DECL_SUB_SECTION = 10
DECL_SUB_HEAD = 11
DECL_SUB_FIRST = 12
DECL_SUB_LAST = DECL_SUB_FIRST + PROJECT_ROWS - 1
DECL_GUARANTEE_ROW = DECL_SUB_LAST + 1
DECL_IND_SECTION = DECL_GUARANTEE_ROW + 1
DECL_IND_HEAD = DECL_IND_SECTION + 1
DECL_IND_FIRST = DECL_IND_HEAD + 1
DECL_IND_LAST = DECL_IND_FIRST + DEPT_IND_ROWS - 1
DECL_NOTE_ROW = DECL_IND_LAST + 1
# 分项绩效目标: title, project code, goal (D:E), indicator names (F:G)
SUB_COLS = {"title": "B", "project_code": "C", "goal": "D", "indicators": "F"}
IND_FIELDS = ("level1", "level2", "name", "nature", "value", "unit", "original")
IND_COLS = dict(zip(IND_FIELDS, "ABCDEFG"))
IND_HEADERS = ("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "原指标值（文字）")

# --- 项目支出明细 (landscape) -------------------------------------------------------------
PROJ_WIDTHS = (6, 24, 34, 13, 13, 13, 10, 10, 9, 2, 12)
PROJ_HEAD = 3
PROJ_FIRST = 4
PROJ_LAST = PROJ_FIRST + PROJECT_ROWS - 1
PROJ_TOTAL_ROW = PROJ_LAST + 1
PROJ_COLS = {"code": "B", "name": "C", "budget": "D", "year_budget": "E", "spent": "F",
             "rate": "G", "score": "H", "grade": "I", "effective": "K"}   # K: hidden helper

# --- 部门整体支出绩效自评表 (landscape) -------------------------------------------------
EVAL_WIDTHS = (10, 14, 14, 12, 12, 12, 11, 10, 8, 8, 24)
EVAL_DEPT_ROW = 2
EVAL_BUDGET_SECTION = 3
EVAL_BUDGET_HEAD = 4
EVAL_BASIC, EVAL_PERSONNEL, EVAL_PUBLIC, EVAL_PROJECT, EVAL_TOTAL = 5, 6, 7, 8, 9
EVAL_BUDGET_COLS = {"budget": "C", "year_budget": "D", "spent": "E", "rate": "F", "weight": "G",
                    "score": "H"}
EVAL_GOAL_SECTION = 10
EVAL_GOAL_ROW = 11
EVAL_ACHIEVED_ROW = 12
EVAL_COMMON_SECTION = 13
EVAL_COMMON_HEAD = 14
# The common indicators of 财预〔2013〕53号 computed from data, in the order the form shows them.
COMMON_KEYS = ("budget_adjust", "carryover", "three_public", "procurement", "public_funds")
EVAL_COMMON_FIRST = 15
COMMON_ROW = {k: EVAL_COMMON_FIRST + i for i, k in enumerate(COMMON_KEYS)}
EVAL_PROJECTS_ROW = EVAL_COMMON_FIRST + len(COMMON_KEYS)       # 项目自评平均分
EVAL_PROJ_STATS_ROW = EVAL_PROJECTS_ROW + 1                     # count, average, distribution
COMMON_COLS = {"method": "C", "base": "E", "amount": "F", "actual": "G", "target": "H",
               "weight": "I", "score": "J", "analysis": "K"}
EVAL_IND_SECTION = EVAL_PROJ_STATS_ROW + 1
EVAL_IND_HEAD = EVAL_IND_SECTION + 1
EVAL_IND_FIRST = EVAL_IND_HEAD + 1
EVAL_IND_LAST = EVAL_IND_FIRST + DEPT_IND_ROWS - 1
EVAL_IND_TOTAL_ROW = EVAL_IND_LAST + 1
EVAL_IND_COLS = {"level1": "A", "level2": "B", "name": "C", "target": "D", "actual": "F",
                 "weight": "G", "score": "H", "analysis": "I"}
EVAL_TOTAL_ROW = EVAL_IND_TOTAL_ROW + 1
EVAL_GRADE_ROW = EVAL_TOTAL_ROW + 1
EVAL_SCALE_ROW = EVAL_GRADE_ROW + 1

# --- _calc: one row per score part, A = weight that counts (0 when not applicable),
# B = unrounded points. Rows 1..3 execution (basic, project, total), then the common
# indicators, the projects' average, the department indicators; row CALC_SUM_ROW sums them.
CALC_EXEC_ROWS = {"basic": 1, "project": 2, "total": 3}
CALC_COMMON_ROW = {k: 4 + i for i, k in enumerate(COMMON_KEYS)}
CALC_PROJECTS_ROW = 4 + len(COMMON_KEYS)
CALC_INDICATORS_ROW = CALC_PROJECTS_ROW + 1
CALC_SUM_ROW = CALC_INDICATORS_ROW + 1
CALC_IND_FIRST = CALC_SUM_ROW + 2          # capped 得分 per department indicator row (column C)

META_ID_ROW, META_VERSION_ROW, META_RULES_ROW, META_ILLUSTRATIVE_ROW = 1, 2, 3, 4


@dataclass(frozen=True)
class Name:
    sheet: str
    ref: str

    @property
    def formula(self) -> str:
        return abs_ref(self.sheet, self.ref)


def _col(sheet: str, col: str, first: int, last: int) -> Name:
    return Name(sheet, f"{col}{first}:{col}{last}")


def _names() -> dict[str, Name]:
    b, c, pc = EVAL_BUDGET_COLS, COMMON_COLS, PROJ_COLS
    n = {
        # 申报表
        "DeptCode": Name(DECL, f"B{DECL_DEPT_ROW}"),
        "DeptName": Name(DECL, f"D{DECL_DEPT_ROW}"),
        "FiscalYear": Name(DECL, f"G{DECL_DEPT_ROW}"),
        "DeptBudgetBasic": Name(DECL, f"C{DECL_BASIC_ROW}"),
        "PersonnelBudget": Name(DECL, f"C{DECL_PERSONNEL_ROW}"),
        "PublicBudget": Name(DECL, f"C{DECL_PUBLIC_ROW}"),
        "DeptBudgetProject": Name(DECL, f"C{DECL_PROJECT_ROW}"),
        "DeptBudgetTotal": Name(DECL, f"C{DECL_TOTAL_ROW}"),
        "OverallGoal": Name(DECL, f"B{DECL_GOAL_ROW}"),
        "SubGoals": Name(DECL, f"B{DECL_SUB_FIRST}:G{DECL_SUB_LAST}"),
        "Guarantees": Name(DECL, f"B{DECL_GUARANTEE_ROW}"),
        "DeptIndicators": Name(DECL, f"A{DECL_IND_FIRST}:G{DECL_IND_LAST}"),
        # 项目支出明细
        "DeptProjects": Name(PROJ, f"B{PROJ_FIRST}:F{PROJ_LAST}"),
        "DeptProjRates": _col(PROJ, pc["rate"], PROJ_FIRST, PROJ_LAST),
        "DeptProjScores": _col(PROJ, pc["score"], PROJ_FIRST, PROJ_LAST),
        "DeptProjGrades": _col(PROJ, pc["grade"], PROJ_FIRST, PROJ_LAST),
        # 自评表: budget execution
        "PersonnelYearBudget": Name(EVAL, f"{b['year_budget']}{EVAL_PERSONNEL}"),
        "PersonnelSpent": Name(EVAL, f"{b['spent']}{EVAL_PERSONNEL}"),
        "PublicYearBudget": Name(EVAL, f"{b['year_budget']}{EVAL_PUBLIC}"),
        "PublicSpent": Name(EVAL, f"{b['spent']}{EVAL_PUBLIC}"),
        "DeptYearBudget": Name(EVAL, f"{b['year_budget']}{EVAL_TOTAL}"),
        "DeptSpent": Name(EVAL, f"{b['spent']}{EVAL_TOTAL}"),
        "DeptBasicExecRate": Name(EVAL, f"{b['rate']}{EVAL_BASIC}"),
        "DeptProjectExecRate": Name(EVAL, f"{b['rate']}{EVAL_PROJECT}"),
        "DeptExecRate": Name(EVAL, f"{b['rate']}{EVAL_TOTAL}"),
        "DeptExecScores": Name(EVAL, f"{b['score']}{EVAL_BASIC}:{b['score']}{EVAL_TOTAL}"),
        "Achievement": Name(EVAL, f"C{EVAL_ACHIEVED_ROW}"),
        # common indicators: typed inputs and results
        "ThreePublicBudget": Name(EVAL, f"{c['base']}{COMMON_ROW['three_public']}"),
        "ThreePublicSpent": Name(EVAL, f"{c['amount']}{COMMON_ROW['three_public']}"),
        "ProcurementBudget": Name(EVAL, f"{c['base']}{COMMON_ROW['procurement']}"),
        "ProcurementActual": Name(EVAL, f"{c['amount']}{COMMON_ROW['procurement']}"),
        "Carryover": Name(EVAL, f"{c['amount']}{COMMON_ROW['carryover']}"),
        "CommonRates": _col(EVAL, c["actual"], EVAL_COMMON_FIRST, EVAL_PROJECTS_ROW - 1),
        "CommonScores": _col(EVAL, c["score"], EVAL_COMMON_FIRST, EVAL_PROJECTS_ROW),
        "CommonAnalysis": _col(EVAL, c["analysis"], EVAL_COMMON_FIRST, EVAL_PROJECTS_ROW),
        "DeptProjWeightedAvg": Name(EVAL, f"{c['actual']}{EVAL_PROJECTS_ROW}"),
        "DeptProjCount": Name(EVAL, f"C{EVAL_PROJ_STATS_ROW}"),
        "DeptProjAvg": Name(EVAL, f"D{EVAL_PROJ_STATS_ROW}"),
        "DeptGradeDist": Name(EVAL, f"E{EVAL_PROJ_STATS_ROW}"),
        # department indicators
        "DeptIndActual": _col(EVAL, EVAL_IND_COLS["actual"], EVAL_IND_FIRST, EVAL_IND_LAST),
        "DeptIndWeight": _col(EVAL, EVAL_IND_COLS["weight"], EVAL_IND_FIRST, EVAL_IND_LAST),
        "DeptIndScore": _col(EVAL, EVAL_IND_COLS["score"], EVAL_IND_FIRST, EVAL_IND_LAST),
        "DeptIndAnalysis": _col(EVAL, EVAL_IND_COLS["analysis"], EVAL_IND_FIRST, EVAL_IND_LAST),
        "DeptIndPart": Name(EVAL, f"J{EVAL_IND_TOTAL_ROW}"),
        "DeptTotalScore": Name(EVAL, f"J{EVAL_TOTAL_ROW}"),
        "DeptGrade": Name(EVAL, f"J{EVAL_GRADE_ROW}"),
        "DeptScoreScale": Name(EVAL, f"J{EVAL_SCALE_ROW}"),
        # metadata
        "TemplateId": Name(META, f"B{META_ID_ROW}"),
        "TemplateVersion": Name(META, f"B{META_VERSION_ROW}"),
        "RulesVersion": Name(META, f"B{META_RULES_ROW}"),
        "Illustrative": Name(META, f"B{META_ILLUSTRATIVE_ROW}"),
    }
    return n


NAMES: dict[str, Name] = _names()

# Single-cell inputs: Department field → defined name.
SCALAR_INPUTS = {
    "dept_code": "DeptCode", "dept_name": "DeptName", "year": "FiscalYear",
    "personnel_budget": "PersonnelBudget", "public_budget": "PublicBudget",
    "overall_goal": "OverallGoal", "guarantees": "Guarantees", "achievement": "Achievement",
    "personnel_year_budget": "PersonnelYearBudget", "personnel_spent": "PersonnelSpent",
    "public_year_budget": "PublicYearBudget", "public_spent": "PublicSpent",
    "three_public_budget": "ThreePublicBudget", "three_public_spent": "ThreePublicSpent",
    "procurement_budget": "ProcurementBudget", "procurement_actual": "ProcurementActual",
    "carryover": "Carryover",
}
MONEY_INPUTS = ("personnel_budget", "public_budget", "personnel_year_budget", "personnel_spent",
                "public_year_budget", "public_spent", "three_public_budget",
                "three_public_spent", "procurement_budget", "procurement_actual", "carryover")
# Names whose cells hold formulas (checked against Python after LibreOffice recalculates).
FORMULA_NAMES = ("DeptBudgetBasic", "DeptBudgetProject", "DeptBudgetTotal", "DeptYearBudget",
                 "DeptSpent", "DeptBasicExecRate", "DeptProjectExecRate", "DeptExecRate",
                 "DeptExecScores", "CommonRates", "CommonScores", "DeptProjWeightedAvg",
                 "DeptProjCount", "DeptProjAvg", "DeptGradeDist", "DeptProjRates",
                 "DeptProjGrades", "DeptIndPart", "DeptTotalScore", "DeptGrade",
                 "DeptScoreScale")


def first_cell(name: str) -> tuple[str, str, int]:
    """(sheet, column, row) of the top-left cell of a defined name."""
    spec = NAMES[name]
    m = re.match(r"([A-Z]+)([0-9]+)", spec.ref)
    return spec.sheet, m[1], int(m[2])


def shift(col: str, offset: int) -> str:

    return col_letter(col_index(col) + offset)
