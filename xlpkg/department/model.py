"""The department as a whole (部门整体): what its workbook holds, as typed dataclasses.

Money is ``Decimal`` 万元. The department's own inputs (基本支出, 三公经费, 政府采购, 结转结余,
its indicators) sit beside the parts drawn from its project forms (``projects``, ``sub_goals``).
The JSON form is ``examples/departments/*.json`` (schema ``schemas/department.schema.json``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

__all__ = ["Department", "DeptProject", "SubGoal", "DeptIndicator", "department_from_dict",
           "department_to_dict", "FINANCE_FIELDS"]

# The typed money inputs, JSON ``finance`` object ↔ model field.
FINANCE_FIELDS = ("personnel_budget", "public_budget", "personnel_year_budget",
                  "personnel_spent", "public_year_budget", "public_spent",
                  "three_public_budget", "three_public_spent", "procurement_budget",
                  "procurement_actual", "carryover")


@dataclass
class SubGoal:
    """One 分项绩效目标 as printed: title, goal, indicator names; linked to a project form."""

    title: str
    goal: str = ""
    indicators: list[str] = field(default_factory=list)
    project_code: str = ""


@dataclass
class DeptProject:
    """One project's money and self-evaluation result, as its form gives them."""

    code: str
    name: str = ""
    budget: Decimal | None = None        # 年初预算数
    year_budget: Decimal | None = None   # 全年预算数 (None = not adjusted)
    spent: Decimal | None = None         # 全年执行数
    score: Decimal | None = None         # 自评得分 (None = not scored)

    @property
    def effective_budget(self) -> Decimal:
        if self.year_budget is not None:
            return self.year_budget
        return self.budget if self.budget is not None else Decimal(0)


@dataclass
class DeptIndicator:
    """A department-level indicator: declared target, then the evaluator's actual and score."""

    level1: str
    level2: str
    name: str
    target: str = ""                     # 指标值 as written ("≥95%")
    actual: str = ""
    weight: Decimal | None = None        # 分值 typed by the evaluator
    score: Decimal | None = None         # 得分 typed by the evaluator (capped at 分值)
    analysis: str = ""


@dataclass
class Department:
    dept_code: str
    dept_name: str = ""
    year: int | None = None
    overall_goal: str = ""
    achievement: str = ""                # 年度总体目标 实际完成情况
    guarantees: str = ""                 # 工作保障措施, one paragraph per line
    personnel_budget: Decimal | None = None
    public_budget: Decimal | None = None
    personnel_year_budget: Decimal | None = None
    personnel_spent: Decimal | None = None
    public_year_budget: Decimal | None = None
    public_spent: Decimal | None = None
    three_public_budget: Decimal | None = None
    three_public_spent: Decimal | None = None
    procurement_budget: Decimal | None = None
    procurement_actual: Decimal | None = None
    carryover: Decimal | None = None     # 年末结转结余
    common_analysis: dict[str, str] = field(default_factory=dict)   # key → 偏差原因分析
    sub_goals: list[SubGoal] = field(default_factory=list)
    projects: list[DeptProject] = field(default_factory=list)
    indicators: list[DeptIndicator] = field(default_factory=list)
    illustrative: bool = False


def _money(value: Any, where: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{where}：“{value}”不是数字") from None


def department_from_dict(data: Mapping) -> Department:
    """The Department of a department JSON document (already schema-checked)."""
    finance = data.get("finance", {})
    dept = Department(
        dept_code=data["dept_code"], dept_name=data.get("dept_name", ""), year=data.get("year"),
        overall_goal=data.get("overall_goal", ""), achievement=data.get("achievement", ""),
        guarantees="\n".join(data.get("guarantees", [])),
        common_analysis=dict(data.get("common_analysis", {})),
        illustrative=bool(data.get("illustrative", False)))
    for name in FINANCE_FIELDS:
        setattr(dept, name, _money(finance.get(name), f"finance/{name}"))
    dept.sub_goals = [SubGoal(title=s["title"], goal=s.get("goal", ""),
                              indicators=list(s.get("indicators", [])),
                              project_code=s.get("project_code", ""))
                      for s in data.get("sub_goals", [])]
    dept.indicators = [DeptIndicator(
        level1=i["level1"], level2=i.get("level2", ""), name=i["name"], target=i.get("target", ""),
        actual=i.get("actual", ""), weight=_money(i.get("weight"), "indicators/weight"),
        score=_money(i.get("score"), "indicators/score"), analysis=i.get("analysis", ""))
        for i in data.get("indicators", [])]
    return dept


def _s(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def department_to_dict(dept: Department) -> dict:
    out: dict[str, Any] = {"dept_code": dept.dept_code, "dept_name": dept.dept_name}
    if dept.year is not None:
        out["year"] = dept.year
    out.update(overall_goal=dept.overall_goal, achievement=dept.achievement,
               guarantees=[g for g in dept.guarantees.split("\n") if g.strip()],
               finance={k: _s(getattr(dept, k)) for k in FINANCE_FIELDS
                        if getattr(dept, k) is not None},
               common_analysis=dict(dept.common_analysis),
               sub_goals=[{"title": s.title, "project_code": s.project_code, "goal": s.goal,
                           "indicators": list(s.indicators)} for s in dept.sub_goals],
               indicators=[{"level1": i.level1, "level2": i.level2, "name": i.name,
                            "target": i.target, "actual": i.actual, "weight": _s(i.weight),
                            "score": _s(i.score), "analysis": i.analysis}
                           for i in dept.indicators],
               projects=[{"code": p.code, "name": p.name, "budget": _s(p.budget),
                          "year_budget": _s(p.year_budget), "spent": _s(p.spent),
                          "score": _s(p.score)} for p in dept.projects],
               illustrative=dept.illustrative)
    return out
