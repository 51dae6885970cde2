"""Where everything lives in the project workbook: sheets, cells, tables, defined names.

Declared once here and read by the template writer, the filler and the reader, so that the three
cannot drift apart. Nothing else in the package spells a cell address of the project workbook.
The defined names are the template's public API (README); sheet positions may change between
template versions, names may not.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .cellref import col_index, col_letter

TEMPLATE_ID = "xlpkg.project-form"
# Bump whenever a defined name, a table capacity or the meaning of an input cell changes:
# the reader refuses other versions instead of misreading them.
TEMPLATE_VERSION = 1

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

DECL_COLUMNS = ("A", "B", "C", "D", "E", "F", "G", "H", "I")
DECL_WIDTHS = (11, 15, 20, 28, 10, 11, 8, 22, 13)
TITLE_ROW = 1
DEPT_ROW = 2
PROJ_ROW = 3
BUDGET_ROW = 4
USES_TEXT_ROW = 5
USES_HEAD_ROW = 6
USES_FIRST = 7
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

# --- 绩效运行监控 (monitoring) ----------------------------------------------------

MON_WIDTHS = (11, 15, 20, 16, 22, 22, 14, 14, 22)
MON_Q_HEAD = 5
MON_Q_FIRST = 6                  # Q1..Q4 on rows 6..9
MON_Q_COLS = {"plan": "B", "actual": "C", "progress": "D", "variance": "E", "time": "F",
              "light": "G"}
MON_IND_HEAD = 11
MON_IND_FIRST = 12
MON_IND_LAST = MON_IND_FIRST + INDICATOR_ROWS - 1
MON_NOTE_ROW = MON_IND_LAST + 1
MON_IND_COLS = {"level1": "A", "level2": "B", "name": "C", "target": "D", "progress": "E",
                "forecast": "F", "deviation_cause": "G", "likelihood": "H", "remark": "I"}

# --- 绩效自评 (self-evaluation) ---------------------------------------------------

EVAL_WIDTHS = (11, 15, 20, 14, 13, 8, 9, 9, 9, 30, 9)
EVAL_BUDGET_HEAD = 4
EVAL_BUDGET_ROW = 5
EVAL_BUDGET_COLS = {"budget": "A", "year_budget": "B", "year_spent": "C", "weight": "D",
                    "rate": "E", "score": "F", "cost_rate": "G"}
EVAL_REASON_ROW = 6      # 执行率偏差原因, typed when 执行率 is below the rulebook's threshold
EVAL_REASON_COL = "D"
EVAL_IND_HEAD = 7
EVAL_IND_FIRST = 8
EVAL_IND_LAST = EVAL_IND_FIRST + INDICATOR_ROWS - 1
EVAL_TOTAL_ROW = EVAL_IND_LAST + 1
EVAL_GRADE_ROW = EVAL_TOTAL_ROW + 1
EVAL_SCALE_ROW = EVAL_GRADE_ROW + 1
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
# Per 指标 level (rows 2..4 of _calc, GroupKeys order): 分值 typed, allocated, gap to the weight.
LEVEL_COLS = {"key": "A", "weight": "B", "typed": "C", "members": "D", "rest": "E", "total": "F",
              "gap": "G", "avail": "H"}
LEVEL_FIRST = 2

# --- _xlpkg (metadata and rule parameters) -----------------------------------------
META_ID_ROW, META_VERSION_ROW, META_RULES_ROW, META_ILLUSTRATIVE_ROW = 1, 2, 3, 4

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
    n = {
        "DeptCode": Name(DECL, f"B{DEPT_ROW}"),
        "DeptName": Name(DECL, f"D{DEPT_ROW}"),
        "FiscalYear": Name(DECL, f"H{DEPT_ROW}"),
        "ProjCode": Name(DECL, f"B{PROJ_ROW}"),
        "ProjName": Name(DECL, f"E{PROJ_ROW}"),
        "Budget": Name(DECL, f"B{BUDGET_ROW}"),
        "FundSource": Name(DECL, f"E{BUDGET_ROW}"),
        "UsesText": Name(DECL, f"B{USES_TEXT_ROW}"),
        "FundUses": Name(DECL, f"{USE_COLS['item']}{USES_FIRST}:{USE_COLS['amount']}{USES_LAST}"),
        "FundUseNotes": _column(DECL, USE_COLS["note"], USES_FIRST, USES_LAST),
        "UsesTotal": Name(DECL, f"E{USES_TOTAL_ROW}"),
        "UsesBalance": Name(DECL, f"F{USES_TOTAL_ROW}"),
        "Goal": Name(DECL, f"B{GOAL_ROW}"),
        "Indicators": Name(DECL, f"A{IND_FIRST}:I{IND_LAST}"),
        "ExecNote": Name(MON, f"B{MON_NOTE_ROW}"),
        "YearBudget": Name(EVAL, f"{EVAL_BUDGET_COLS['year_budget']}{EVAL_BUDGET_ROW}"),
        "YearSpent": Name(EVAL, f"{EVAL_BUDGET_COLS['year_spent']}{EVAL_BUDGET_ROW}"),
        "ExecWeight": Name(EVAL, f"{EVAL_BUDGET_COLS['weight']}{EVAL_BUDGET_ROW}"),
        "ExecRate": Name(EVAL, f"{EVAL_BUDGET_COLS['rate']}{EVAL_BUDGET_ROW}"),
        "ExecScore": Name(EVAL, f"{EVAL_BUDGET_COLS['score']}{EVAL_BUDGET_ROW}"),
        "CostControlRate": Name(EVAL, f"{EVAL_BUDGET_COLS['cost_rate']}{EVAL_BUDGET_ROW}"),
        "ExecDeviationReason": Name(EVAL, f"{EVAL_REASON_COL}{EVAL_REASON_ROW}"),
        "TotalScore": Name(EVAL, f"I{EVAL_TOTAL_ROW}"),
        "Grade": Name(EVAL, f"I{EVAL_GRADE_ROW}"),
        "ScoreScale": Name(EVAL, f"I{EVAL_SCALE_ROW}"),
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
                      ("deviation_cause", "IndCause"), ("likelihood", "IndLikelihood"),
                      ("remark", "IndRemark")):
        n[name] = _column(MON, MON_IND_COLS[key], MON_IND_FIRST, MON_IND_LAST)
    for key, name in (("actual", "IndActual"), ("applicable", "IndApplicable"),
                      ("weight_input", "IndWeightInput"), ("weight", "IndWeight"),
                      ("score", "IndScore"), ("analysis", "IndAnalysis"), ("rated", "IndRatedScore")):
        n[name] = _column(EVAL, EVAL_IND_COLS[key], EVAL_IND_FIRST, EVAL_IND_LAST)
    return n


NAMES: dict[str, Name] = _cells()

# Which defined names hold formulas (their cached values are checked against Python).
FORMULA_NAMES = ("UsesTotal", "UsesBalance", "ExecWeight", "ExecRate", "ExecScore",
                 "CostControlRate", "TotalScore", "Grade", "ScoreScale", "IndWeight", "IndScore",
                 *(f"{k}Q{q}" for k in ("PlanRate", "Progress", "Variance", "Light")
                   for q in range(1, 5)))

# Single-cell inputs: model field → defined name. Tables are handled by their own code.
SCALAR_FIELDS = {
    "dept_code": "DeptCode", "dept_name": "DeptName", "year": "FiscalYear", "code": "ProjCode",
    "name": "ProjName", "budget": "Budget", "fund_source": "FundSource", "uses_text": "UsesText",
    "goal": "Goal",
}
IND_INPUT_NAMES = {   # model Indicator field → (defined name) for the other sheets' inputs
    "progress": "IndProgress", "forecast": "IndForecast", "deviation_cause": "IndCause",
    "likelihood": "IndLikelihood", "remark": "IndRemark", "actual": "IndActual",
    "weight": "IndWeightInput", "analysis": "IndAnalysis", "applicable": "IndApplicable",
    "rated_score": "IndRatedScore",
}
# Inputs added after template version 1 was published: read when present, not required.
OPTIONAL_INPUT_NAMES = ("IndRatedScore", "ExecDeviationReason")
INPUT_NAMES = ("DeptCode", "DeptName", "FiscalYear", "ProjCode", "ProjName", "Budget",
               "FundSource", "UsesText", "FundUses", "FundUseNotes", "Goal", "Indicators",
               "PlanQ1", "PlanQ2", "PlanQ3", "PlanQ4", "ActualQ1", "ActualQ2", "ActualQ3",
               "ActualQ4", "YearBudget", "YearSpent", "ExecNote",
               *(n for n in IND_INPUT_NAMES.values() if n not in OPTIONAL_INPUT_NAMES))


def first_cell(name: str) -> tuple[str, str, int]:
    """(sheet, column, row) of the top-left cell of a defined name."""
    spec = NAMES[name]
    m = re.match(r"([A-Z]+)([0-9]+)", spec.ref)
    return spec.sheet, m[1], int(m[2])


def ind_cell(name_or_field: str, index: int) -> tuple[str, str]:
    """(sheet, "F23") of an indicator row's cell, by table row index (0-based)."""
    if name_or_field in IND_COL:
        return DECL, f"{IND_COL[name_or_field]}{IND_FIRST + index}"
    sheet, col, row = first_cell(IND_INPUT_NAMES.get(name_or_field, name_or_field))
    return sheet, f"{col}{row + index}"


_PATH_RE = re.compile(r"^(?P<field>[a-z_.]+)(?:\[(?P<i>[0-9]+)\])?(?:\.(?P<sub>[a-z_0-9]+))?$")
_SCALAR_PATHS = {**SCALAR_FIELDS, "plan": "PlanQ1", "uses": "FundUses",
                 "execution.year_budget": "YearBudget", "execution.year_spent": "YearSpent",
                 "execution.actual_cumulative": "ActualQ1", "indicators": "Indicators",
                 "execution.deviation_reason": "ExecDeviationReason"}


def locate(path: str, ind_rows: list[int], use_rows: list[int],
           target_col: dict[int, str] | None = None) -> tuple[str, str]:
    """Sheet and cell of a model field path such as ``indicators[3].target`` or ``plan[2]``.

    ``ind_rows`` and ``use_rows`` give, per model list index, the table row it was read from
    (blank rows are skipped, so index ≠ row). ``target_col`` says per indicator which column
    its target came from (the structured 指标值 or the original text). ("", "") if unknown.
    """
    m = _PATH_RE.match(path or "")
    if not m:
        return "", ""
    field, i, sub = m["field"], m["i"], m["sub"]
    if field == "indicators" and i is not None:
        idx = int(i)
        if idx >= len(ind_rows):
            return "", ""
        row = ind_rows[idx]
        sub = sub or "name"
        if sub == "target":
            col = (target_col or {}).get(idx, "value")
            return ind_cell(col, row)
        if sub in IND_COL or sub in IND_INPUT_NAMES:
            return ind_cell(sub, row)
        return ind_cell("name", row)
    if field == "uses" and i is not None and int(i) < len(use_rows):
        return DECL, f"{USE_COLS[sub or 'amount']}{USES_FIRST + use_rows[int(i)]}"
    if field == "plan" and i is not None:
        return first_cell(f"PlanQ{int(i) + 1}")[0], NAMES[f"PlanQ{int(i) + 1}"].ref
    if field == "execution.actual_cumulative" and i is not None:
        return MON, NAMES[f"ActualQ{int(i) + 1}"].ref
    if field == "uses" and i is None:
        return DECL, NAMES["UsesTotal"].ref
    name = _SCALAR_PATHS.get(field)
    if name is None:
        return "", ""
    sheet, col, row = first_cell(name)
    return sheet, f"{col}{row}"
