"""结果应用: this year's self-evaluation → next year's budget, per the rulebook.

财预〔2020〕10号 asks that evaluation results be applied to the next budget; the grade's action
and budget factor come from the rulebook section ``results_application`` (defaults below,
each with its source). 建议下年预算数 = 本年预算数 × factor, rounded half up to 0.01 万元. A
project whose self-evaluation has not started shows 未评价 and no amount.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Mapping

from ..consolidate import Consolidation
from ..rules import Rules

__all__ = ["ResultsApplication", "RESULT_COLUMNS", "DEFAULT_RESULTS_APPLICATION", "GradeAction", "grade_actions",
           "results_application", "UNEVALUATED", "DEPARTMENT_WHOLE"]

RESULTS_SHEET = "结果应用"
RESULT_COLUMNS = ("部门", "项目编码", "项目名称", "本年总分", "等级", "上年总分", "得分变化", "应用建议",
                  "本年预算数（万元）", "建议下年预算数（万元）")
UNEVALUATED = "未评价"
DEPARTMENT_WHOLE = "部门整体"
CENT = Decimal("0.01")

# Used when a rulebook has no results_application section (rules.json carries the same).
DEFAULT_RESULTS_APPLICATION = {
    "note": "评价结果与下年预算安排挂钩（财预〔2020〕10号“评价结果应用”）；动作用语取自四川2025年通知"
            "（优 优先保障、良 保障、中 压缩、差 取消）和达州办法（差 可取消或暂停下一年度预算安排）；"
            "未查到全国统一的压缩比例，0.90 为本规则文件的示例默认值，各地按本地办法修改",
    "grades": {
        "优": {"action": "优先保障", "factor": 1.00, "source": "四川2025年通知：优 优先保障；系数1.00为默认值（不增不减）"},
        "良": {"action": "保障", "factor": 1.00, "source": "四川2025年通知：良 保障；达州：据实合理保障"},
        "中": {"action": "压缩", "factor": 0.90, "source": "四川2025年通知：中 压缩；达州：一定比例核减；比例0.90为示例默认值"},
        "差": {"action": "取消或暂停", "factor": 0.00, "source": "四川2025年通知：差 取消；达州：可取消或暂停下一年度预算安排"},
    },
}


@dataclass(frozen=True)
class ResultsApplication:
    """The 结果应用 sheet's rows (RESULT_COLUMNS order) and the --json list."""

    rows: list[tuple]
    listed: list[dict]


@dataclass(frozen=True)
class GradeAction:
    action: str
    factor: Decimal


# 财预〔2018〕88号-style review: a project the finance bureau rates 差 does not go on to the
# next budget step, whatever its self-evaluation says.
REJECTED = "差"
REJECTED_NOTE = "财政部门审核结果为差：不得进入下一步预算安排流程"


def grade_actions(rules: Rules) -> dict[str, GradeAction]:
    section = rules.data.get("results_application") or DEFAULT_RESULTS_APPLICATION
    return {grade: GradeAction(v["action"], Decimal(str(v["factor"])).quantize(CENT))
            for grade, v in section["grades"].items()}


def _decimal(value: Any) -> Decimal | None:
    """A table value (float from the summary's frame, Decimal, text) as a Decimal: a float
    through its shortest repr, which is the decimal the form held (≤ 15 digits)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else Decimal(repr(value))
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _s(value: Decimal | None) -> str | None:
    return None if value is None else format(value.quantize(CENT, ROUND_HALF_UP), "f")


def results_application(c: Consolidation, previous: Mapping[str, Decimal | None],
                        rules: Rules) -> ResultsApplication:
    """The sheet's rows and the --json list. ``previous``: code → last
    year's total score (None: not evaluated; absent: no record). Amounts in the rows are
    Decimals; the sheet writes them as numbers."""
    actions = grade_actions(rules)
    projects = c.projects
    dept_evals = {}
    if c.dept_evaluations is not None:
        for code, score, grade in zip(c.dept_evaluations["部门编码"], c.dept_evaluations["部门自评得分"],
                                      c.dept_evaluations["部门自评等级"]):
            dept_evals.setdefault(str(code).strip(), (_decimal(score), grade))
    rows: list[tuple] = []
    listed: list[dict] = []
    by_dept: dict[str, list[tuple]] = {}
    names: dict[str, str] = {}
    reviewed = projects["审核结果"] if "审核结果" in projects else [None] * len(projects)
    for record, review in zip(projects[["部门编码", "部门名称", "项目编码", "项目名称", "年度",
                                         "全年预算数（万元）", "自评得分", "自评等级"]].itertuples(index=False, name=None),
                              reviewed):
        dept, dept_name, code, name, year, budget, score, grade = record
        names.setdefault(dept, dept_name)
        budget, total = _decimal(budget), _decimal(score)
        total = None if total is None else total.quantize(CENT, ROUND_HALF_UP)
        before = previous.get(code)
        before = None if before is None else before.quantize(CENT, ROUND_HALF_UP)
        change = total - before if total is not None and before is not None else None
        act = actions.get(grade) if total is not None else None
        if total is None:
            action, factor, suggested = UNEVALUATED, None, None
        elif act is None:
            action, factor, suggested = f"规则文件未规定等级“{grade}”的应用建议", None, None
        else:
            action, factor = act.action, act.factor
            suggested = None if budget is None else (budget * factor).quantize(CENT, ROUND_HALF_UP)
        if review == REJECTED:   # the bureau's 差 (issue 25): said beside any grade's advice
            action = f"{action}；{REJECTED_NOTE}"
        row = (dept_name, code, name, total, grade if total is not None else None, before, change,
               action, budget, suggested)
        by_dept.setdefault(dept, []).append(row)
        listed.append({"code": code, "year": int(year), "grade": grade if total is not None else None,
                       "total_score": _s(total), "previous_total_score": _s(before),
                       "action": action, "factor": _s(factor), "suggested_budget": _s(suggested)})
    for dept in sorted(by_dept):
        members = by_dept[dept]
        rows.extend(members)
        budget = sum((r[8] for r in members if r[8] is not None), Decimal(0))
        suggested = [r[9] for r in members if r[9] is not None]
        score, grade = dept_evals.get(dept, (None, None))
        act = actions.get(grade) if score is not None else None
        if score is None:
            action = "无部门整体绩效自评，建议数为各项目建议数之和"
        else:
            action = act.action if act else f"规则文件未规定等级“{grade}”的应用建议"
        rows.append((names[dept] or dept, "", DEPARTMENT_WHOLE,
                     None if score is None else score.quantize(CENT, ROUND_HALF_UP),
                     grade if score is not None else None, None, None, action, budget,
                     sum(suggested, Decimal(0)) if suggested else None))
    return ResultsApplication(rows, listed)
