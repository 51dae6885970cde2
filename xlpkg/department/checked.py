"""A department workbook read, scored and checked, as ``xlpkg read``/``validate`` show a project
form (issue 21 #13): its inputs, the metrics recomputed in Python (DeptTotalScore, DeptGrade),
the rulebook's checks, and every cached formula result that disagrees with the recomputation."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..issues import ERROR, WARNING, Issue
from ..rules import Rules, load_rules
from ..sources import CalamineSource, SourceError, name_values
from . import layout as L
from .cache import formula_values
from .checks import check_department
from .metrics import DeptMetrics, department_metrics
from .model import Department
from .reader import is_department_workbook, read_department

__all__ = ["CheckedDepartment", "department_metrics_dict", "format_department", "is_department_file",
           "read_checked_department_file"]


@dataclass
class CheckedDepartment:
    department: Department | None
    metrics: DeptMetrics | None
    issues: list[Issue] = field(default_factory=list)


def is_department_file(path: str | Path) -> bool:
    """Whether ``path`` is a 部门整体绩效表 (False for anything unreadable)."""
    try:
        return is_department_workbook(CalamineSource(path))
    except (SourceError, OSError, ValueError):
        return False


def _same(cached: Any, expected: Any) -> bool:
    if cached is None or cached == "":
        return True   # a blank cache is no claim (a file openpyxl wrote has none)
    if isinstance(expected, float):
        return (isinstance(cached, (int, float)) and not isinstance(cached, bool)
                and math.isfinite(float(cached)) and abs(float(cached) - expected) <= 1e-6)
    if expected in (None, ""):
        return cached in (None, "")
    return cached == expected


def stale_department_results(source, m: DeptMetrics, file: str) -> list[Issue]:
    """Each formula result whose cached value differs from Python's, once per name."""
    out = []
    for name, grid in formula_values(m).items():
        try:
            cached = name_values(source, name)
        except Exception:   # noqa: BLE001 - a name broken in an edited workbook: no claim
            continue
        if cached is None:
            continue
        for r, (row_expected, row_cached) in enumerate(zip(grid, cached)):
            bad = next(((e, c) for e, c in zip(row_expected, row_cached) if not _same(c, e)), None)
            if bad is None:
                continue
            sheet, col, first = L.first_cell(name)
            expected = bad[0] if not isinstance(bad[0], float) else round(bad[0], 4)
            out.append(Issue(rule="form.stale_cache", severity=WARNING, file=file, sheet=sheet,
                             cell=f"{col}{first + r}",
                             message=f"{name}：文件中保存的计算结果为{bad[1]}，按填写内容重算应为{expected}；"
                                     "文件可能在修改后未重新计算或被改动，请在 Excel/WPS 中打开并保存后再提交"))
            break
    return out


def read_checked_department_file(path: str | Path, rules: Rules | None = None) -> CheckedDepartment:
    rules = rules or load_rules()
    file = str(path)
    try:
        source = CalamineSource(path)
    except SourceError as exc:
        return CheckedDepartment(None, None, [Issue(rule="dept.template", severity=ERROR, file=file,
                                                    message=exc.message)])
    result = read_department(source, file)
    issues = [i if i.file else i.located(file=file) for i in result.issues]
    dept = result.department
    if dept is None:
        return CheckedDepartment(None, None, issues)
    m = department_metrics(dept, rules)
    issues += [i.located(file=file) for i in check_department(dept, rules)]
    issues += stale_department_results(source, m, file)
    return CheckedDepartment(dept, m, issues)


def _num(value: Decimal | None, digits: int = 2) -> str | None:
    return None if value is None else format(value.quantize(Decimal(1).scaleb(-digits)), "f")


def department_metrics_dict(m: DeptMetrics) -> dict:
    rate = m.execution_rate
    return {
        "total": _num(m.total), "grade": m.grade,
        "reasons": {} if m.total is not None else {"total": "未填写部门执行数，无法计算总分和等级"},
        "execution_rate_percent": _num(rate * 100) if rate is not None else None,
        "project_count": m.project_count, "project_weighted": _num(m.project_weighted),
        "projects_score": _num(m.projects_score), "indicators_score": _num(m.indicators_score),
        "common": {key: {"rate": _num(c.rate, 4), "score": _num(c.score)} for key, c in m.common.items()},
        "scale": _num(m.scale, 6),
    }


def format_department(dept: Department, m: DeptMetrics) -> str:
    shown = lambda v, unit="": "—" if v is None else f"{v}{unit}"   # noqa: E731
    rate = m.execution_rate
    lines = [f"{dept.dept_code}  {dept.dept_name}（部门整体绩效表，{shown(dept.year, '年')}）",
             f"  部门执行率 {shown(_num(rate * 100) if rate is not None else None, '%')}  "
             f"项目{m.project_count}个，按预算加权平均得分 {shown(_num(m.project_weighted))}",
             f"  项目得分 {shown(_num(m.projects_score))}  部门绩效指标得分 {shown(_num(m.indicators_score))}"]
    if m.total is None:
        lines.append("  总分 —  等级 —（未填写部门执行数，无法计算）")
    else:
        lines.append(f"  总分 {_num(m.total)}  等级 {m.grade}")
    return "\n".join(lines)
