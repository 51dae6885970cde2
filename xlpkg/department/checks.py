"""Business checks of a department's own inputs (warnings; the numbers still compute).

What the official practice asks of a 部门整体支出绩效自评表 (REFERENCE.md): an indicator that
loses points explains why (偏差原因分析及改进措施), a typed 得分 stays within its 分值, the
分值 typed under the department indicators add up to their weight, and each 分项 names a
project of the department. Every issue names the sheet and cell to look at.
"""
from __future__ import annotations

from decimal import Decimal

from ..issues import WARNING, Issue
from ..rules import Rules, load_rules
from . import layout as L
from .metrics import COMMON_LABELS, department_metrics
from .model import Department

__all__ = ["check_department"]


def _cell(name: str, row: int = 0) -> dict[str, str]:
    sheet, col, first = L.first_cell(name)
    return {"sheet": sheet, "cell": f"{col}{first + row}"}


def check_department(dept: Department, rules: Rules | None = None) -> list[Issue]:
    rules = rules or load_rules()
    m = department_metrics(dept, rules)
    issues: list[Issue] = []

    def warn(rule: str, message: str, name: str, row: int = 0):
        issues.append(Issue(rule=rule, severity=WARNING, message=message, **_cell(name, row)))

    codes = {p.code for p in dept.projects}
    for i, sub in enumerate(dept.sub_goals):
        if sub.project_code and sub.project_code not in codes:
            sheet, col, first = L.first_cell("SubGoals")
            issues.append(Issue(rule="dept.subgoal_project", severity=WARNING, sheet=sheet,
                                cell=f"{L.SUB_COLS['project_code']}{first + i}",
                                message=f"分项“{sub.title}”的项目编码“{sub.project_code}”不在本部门的项目支出明细中"))
    for i, key in enumerate(L.COMMON_KEYS):
        c = m.common[key]
        if c.score is not None and c.score < c.weight and not dept.common_analysis.get(key, "").strip():
            warn("dept.analysis_missing", f"{COMMON_LABELS[key][0]}未得满分，请填写偏差原因分析及改进措施",
                 "CommonAnalysis", i)
    typed = Decimal(0)
    for i, ind in enumerate(dept.indicators):
        if ind.weight is None:
            continue
        typed += ind.weight
        if ind.score is not None and ind.score > ind.weight:
            warn("dept.score_above_weight", f"指标“{ind.name}”的得分{ind.score}超过分值{ind.weight}，按分值计",
                 "DeptIndScore", i)
        elif ind.score is not None and ind.score < ind.weight and not ind.analysis.strip():
            warn("dept.analysis_missing", f"指标“{ind.name}”未得满分，请填写偏差原因分析及改进措施",
                 "DeptIndAnalysis", i)
    if m.indicators_weight > 0 and typed and typed != m.indicators_weight:
        warn("dept.weights_sum", f"部门绩效指标的分值合计为{typed}，应等于规则规定的{m.indicators_weight}分"
             "（得分按Σ得分÷Σ分值×权重折算）", "DeptIndPart")
    return issues
