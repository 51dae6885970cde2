"""The department workbook (部门整体绩效表) as a source for Word documents.

``xlpkg.department`` (engineer dept's package) reads the workbook and computes its metrics;
this adapter only turns them into what ``publish`` (the department info dict) and the
department report template need. When the package is absent, everything here says so and the
callers fall back to ``--dept-info`` files.
"""
from __future__ import annotations

import importlib.util
from decimal import Decimal
from pathlib import Path

from ..metrics import round2
from ..rules import Rules, load_rules
from ..consolidate.department_forms import split_department_inputs
from ..department.metrics import department_metrics
from ..department.model import department_to_dict
from ..department.reader import read_department_file

__all__ = ["available", "split_inputs", "read_workbook", "info_of", "department_report_context"]

DEPT_INFO_KEYS = ("dept_code", "dept_name", "year", "overall_goal", "sub_goals", "guarantees", "planning")
ROW_LABELS = {"basic": "基本支出", "personnel": "其中：人员经费", "public": "公用经费",
              "project": "项目支出", "total": "合计"}
COMMON_LABELS = {"budget_adjust": "预算调整率", "carryover": "结转结余率", "three_public": "“三公经费”控制率",
                 "procurement": "政府采购执行率", "public_funds": "公用经费控制率"}


def available() -> bool:
    try:
        return importlib.util.find_spec("xlpkg.department") is not None
    except ModuleNotFoundError:
        return False


def split_inputs(paths) -> tuple[list[str], list[str]]:
    """(project paths, department workbooks) among the named paths."""
    if not available():
        return [str(p) for p in paths], []
    return split_department_inputs(paths)


def read_workbook(path: str | Path):
    """(Department | None, issues) of a filled department workbook."""
    result = read_department_file(path)
    return result.department, result.issues


def info_of(dept) -> dict:
    """The department info dict (examples/departments/*.json shape) of a Department."""
    data = department_to_dict(dept)
    info = {k: data[k] for k in DEPT_INFO_KEYS if k in data}
    info.setdefault("planning", [])
    for sub in info.get("sub_goals", []):
        if not sub.get("project_code"):
            sub.pop("project_code", None)
    return info


def _money(value: Decimal | None) -> str:
    return "—" if value is None else format(round2(value), "f")


def _pct(rate: Decimal | None) -> str:
    return "—" if rate is None else format(round2(rate * 100), "f")


def department_report_context(dept, rules: Rules | None = None) -> dict:
    """Numbers of ``xlpkg.department.metrics.department_metrics``, as 2-decimal strings."""
    rules = rules or load_rules()
    m = department_metrics(dept, rules)
    rows = [{"label": ROW_LABELS[k], "budget": _money(r.budget), "year_budget": _money(r.year_budget),
             "spent": _money(r.spent), "rate": _pct(r.rate),
             "weight": _money(r.weight) if r.weight else "—",
             "score": _money(r.score) if r.score is not None else "—"}
            for k, r in m.rows.items() if k in ROW_LABELS]
    common = [{"label": COMMON_LABELS.get(k, k), "rate": _pct(c.rate), "target": f"{c.op}{_pct(c.target)}%",
               "weight": _money(c.weight), "score": _money(c.score) if c.score is not None else "不适用",
               "analysis": dept.common_analysis.get(k, "")} for k, c in m.common.items()]
    indicators, lost = [], []
    for ind in dept.indicators:
        row = {"level1": ind.level1, "level2": ind.level2, "name": ind.name, "target": ind.target,
               "actual": ind.actual or "—", "weight": _money(ind.weight), "score": _money(ind.score),
               "analysis": ind.analysis}
        indicators.append(row)
        if ind.weight is not None and ind.score is not None and ind.score < ind.weight:
            lost.append({**row, "lost": _money(ind.weight - ind.score)})
    projects = [{"code": p.code, "name": p.name, "budget": _money(p.effective_budget),
                 "spent": _money(p.spent), "rate": _pct(rate), "score": _money(p.score), "grade": grade or "—"}
                for p, rate, grade in zip(dept.projects, m.project_rates, m.project_grade_list)]
    return {
        "year": dept.year or "", "dept_code": dept.dept_code, "dept_name": dept.dept_name,
        "overall_goal": dept.overall_goal, "achievement": dept.achievement,
        "rows": rows, "common": common, "indicators": indicators, "lost": lost, "projects": projects,
        "execution_rate": _pct(m.execution_rate), "total": _money(m.total), "grade": m.grade or "—",
        "project_count": m.project_count, "project_weighted": _money(m.project_weighted),
        "project_grades": "；".join(f"{g}{n}个" for g, n in m.project_grades.items()),
        "projects_score": _money(m.projects_score), "indicators_score": _money(m.indicators_score),
        "scaled": m.scale != 1 and m.scale != 0, "metrics": m,
    }
