"""A department workbook read back into a ``Department``: only the input cells, by name.

Formula results are never trusted (``department_metrics`` recomputes them). A value that is
not what its cell expects becomes an issue naming the sheet and cell; a workbook that is not
a department workbook is refused with a Chinese message.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..issues import ERROR, Issue
from ..sources import CalamineSource, CellSource, SourceError, is_blank
from ..workbook.reader import cell_text as _text
from . import layout as L
from .model import Department, DeptIndicator, DeptProject, SubGoal
from ..targets import from_official

__all__ = ["DeptReadResult", "is_department_workbook", "read_department", "read_department_file"]


@dataclass
class DeptReadResult:
    department: Department | None
    issues: list[Issue] = field(default_factory=list)


class _Reader:
    def __init__(self, source: CellSource, file: str):
        self.source, self.file = source, file
        self.names = source.defined_names()
        self.issues: list[Issue] = []

    def grid(self, name: str) -> list[list[Any]]:
        sheet, ref = self.names[name]
        return self.source.range_values(sheet, ref)

    def value(self, name: str) -> Any:
        return self.grid(name)[0][0]

    def where(self, name: str, row: int = 0, col: int = 0) -> tuple[str, str]:
        sheet, first_col, first_row = L.first_cell(name)
        return sheet, f"{L.shift(first_col, col)}{first_row + row}"

    def money(self, value: Any, name: str, row: int = 0, col: int = 0) -> Decimal | None:
        if is_blank(value):
            return None
        if isinstance(value, bool):
            value = "是"
        if isinstance(value, (int, float)):
            return Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(value)
        text = str(value).strip().replace(",", "").replace("，", "")
        text = text.translate({ord(c): ord("0") + i for i, c in enumerate("０１２３４５６７８９")})
        try:
            return Decimal(text)
        except InvalidOperation:
            sheet, cell = self.where(name, row, col)
            self.issues.append(Issue(rule="dept.value", severity=ERROR, file=self.file,
                                     sheet=sheet, cell=cell,
                                     message=f"“{value}”不是数字（单位：万元），该值未计入"))
            return None


def is_department_workbook(source: CellSource) -> bool:
    names = source.defined_names()
    if "TemplateId" not in names:
        return False
    try:
        return name_value(source, "TemplateId") == L.TEMPLATE_ID
    except Exception:   # noqa: BLE001 - any unreadable id means "not ours"
        return False


def name_value(source: CellSource, name: str) -> Any:
    sheet, ref = source.defined_names()[name]
    return source.range_values(sheet, ref)[0][0]


def read_department(source: CellSource, file: str = "") -> DeptReadResult:
    if not is_department_workbook(source):
        return DeptReadResult(None, [Issue(
            rule="dept.template", severity=ERROR, file=file,
            message="不是部门整体绩效表（缺少模板标识 TemplateId=xlpkg.department-form）")])
    r = _Reader(source, file)
    version = r.value("TemplateVersion")
    if str(version) != str(L.TEMPLATE_VERSION):
        return DeptReadResult(None, [Issue(
            rule="dept.template", severity=ERROR, file=file, sheet=L.META,
            message=f"部门整体绩效表版本为{version}，本程序读取版本{L.TEMPLATE_VERSION}")])
    year = r.value("FiscalYear")
    dept = Department(dept_code=_text(r.value("DeptCode")))
    try:
        dept.year = int(year) if not is_blank(year) else None
    except (TypeError, ValueError):
        sheet, cell = r.where("FiscalYear")
        r.issues.append(Issue(rule="dept.value", severity=ERROR, file=file, sheet=sheet, cell=cell,
                              message=f"年度“{year}”应为整数"))
    for field_, name in L.SCALAR_INPUTS.items():
        if field_ in ("dept_code", "year"):
            continue
        value = r.value(name)
        setattr(dept, field_, r.money(value, name) if field_ in L.MONEY_INPUTS else _text(value))
    dept.illustrative = r.value("Illustrative") is True
    for i, row in enumerate(r.grid("SubGoals")):
        title, code, goal, names = _text(row[0]), _text(row[1]), _text(row[2]), _text(row[4])
        if title or code or goal or names:
            dept.sub_goals.append(SubGoal(title=title, goal=goal, project_code=code,
                                          indicators=[n.strip() for n in names.split("\n") if n.strip()]))
    scores = r.grid("DeptProjScores")
    for i, row in enumerate(r.grid("DeptProjects")):
        if all(is_blank(v) for v in row) and is_blank(scores[i][0]):
            continue
        dept.projects.append(DeptProject(
            code=_text(row[0]), name=_text(row[1]), budget=r.money(row[2], "DeptProjects", i, 2),
            year_budget=r.money(row[3], "DeptProjects", i, 3), spent=r.money(row[4], "DeptProjects", i, 4),
            score=r.money(scores[i][0], "DeptProjScores", i)))
    actual, weight, score, analysis = (r.grid(n) for n in ("DeptIndActual", "DeptIndWeight",
                                                          "DeptIndScore", "DeptIndAnalysis"))
    for i, row in enumerate(r.grid("DeptIndicators")):
        if all(is_blank(v) for v in row):
            continue
        target = _text(row[6])
        if not target and not is_blank(row[4]):

            try:
                target = from_official(_text(row[3]), row[4] if not isinstance(row[4], _dt.datetime)
                                       else row[4].date().isoformat(), _text(row[5]),
                                       year=dept.year).text
            except Exception:   # noqa: BLE001 - keep what was typed
                target = _text(row[3]) + _text(row[4]) + _text(row[5])
        dept.indicators.append(DeptIndicator(
            level1=_text(row[0]), level2=_text(row[1]), name=_text(row[2]), target=target,
            actual=_text(actual[i][0]), weight=r.money(weight[i][0], "DeptIndWeight", i),
            score=r.money(score[i][0], "DeptIndScore", i), analysis=_text(analysis[i][0])))
    for i, row in enumerate(r.grid("CommonAnalysis")):
        text = _text(row[0])
        if text:
            dept.common_analysis[(*L.COMMON_KEYS, "projects")[i]] = text
    return DeptReadResult(dept, r.issues)


def read_department_file(path: str | Path) -> DeptReadResult:
    try:
        source = CalamineSource(path)
    except SourceError as exc:
        return DeptReadResult(None, [Issue(rule="dept.template", severity=ERROR, file=str(path),
                                           message=exc.message)])
    result = read_department(source, str(path))
    for i, issue in enumerate(result.issues):
        if not issue.file:
            result.issues[i] = issue.located(file=str(path))
    return result
