"""A department written into its workbook: the model's values into the input cells.

The blank workbook, formulas and protection come from ``xlpkg.department.template``;
positions from ``department_layout``. What is written reads back unchanged
(``xlpkg.department.reader``), and the formulas carry Python's results as cached values
(``cache``) so readers that do not calculate see them. Unused rows of the long tables are hidden, so the printed
forms end where the department's data ends (the blank template keeps them all).
"""
from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

from ..rules import Rules, load_rules
from ..system.safeio import atomic_write
from ..targets import official_cells, try_parse_target
from ..workbook.print_fit import fit_one_page_if_legible
from . import layout as L
from .template import build_department_workbook
from .cache import formula_values, store_cached_values
from .metrics import department_metrics
from .model import Department

__all__ = ["DeptCapacityError", "write_department"]

SPARE_ROWS = 3     # blank rows left visible under the last filled one


class DeptCapacityError(ValueError):
    """More rows than the workbook holds; the message is Chinese."""


def _number(value: Decimal | None):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _height(text: str, width_chars: float, *, minimum: float = 18.0) -> float:
    """Rows with wrapped or merged text do not grow by themselves: estimate from CJK width."""
    lines = 0
    for part in str(text or "").split("\n"):
        wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in part)
        lines += max(1, math.ceil(wide / max(width_chars - 1, 1)))
    return max(minimum, lines * 14.0 + 4)


def write_department(dept: Department, path: str | Path, *, rules: Rules | None = None,
                     password: str | None = None) -> Path:
    rules = rules or load_rules()
    if len(dept.projects) > L.PROJECT_ROWS or len(dept.sub_goals) > L.PROJECT_ROWS:
        raise DeptCapacityError(f"部门{dept.dept_code}有{max(len(dept.projects), len(dept.sub_goals))}个项目，"
                                f"部门整体绩效表最多容纳{L.PROJECT_ROWS}个")
    if len(dept.indicators) > L.DEPT_IND_ROWS:
        raise DeptCapacityError(f"部门整体绩效指标有{len(dept.indicators)}个，最多容纳{L.DEPT_IND_ROWS}个")
    wb = build_department_workbook(rules, password)

    def put(name: str, value, row: int = 0, col: int = 0, fmt: str | None = None):
        sheet, first_col, first_row = L.first_cell(name)
        cell = wb[sheet][f"{L.shift(first_col, col)}{first_row + row}"]
        if isinstance(value, Decimal):
            value = _number(value)
        if value == "":
            value = None
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"   # typed text is data: "=…" must never become a formula
        if fmt:
            cell.number_format = fmt
        return cell

    for field, name in L.SCALAR_INPUTS.items():
        put(name, getattr(dept, field))
    put("Illustrative", bool(dept.illustrative))
    decl, ev, pj = wb[L.DECL], wb[L.EVAL], wb[L.PROJ]
    wide = sum(L.DECL_WIDTHS[1:])
    decl.row_dimensions[L.DECL_GOAL_ROW].height = max(60, _height(dept.overall_goal, wide))
    decl.row_dimensions[L.DECL_GUARANTEE_ROW].height = max(60, _height(dept.guarantees, wide))
    eval_wide = sum(L.EVAL_WIDTHS[2:])
    ev.row_dimensions[L.EVAL_GOAL_ROW].height = max(30, _height(dept.overall_goal, eval_wide))
    ev.row_dimensions[L.EVAL_ACHIEVED_ROW].height = max(30, _height(dept.achievement, eval_wide))

    for i, sub in enumerate(dept.sub_goals):
        put("SubGoals", sub.title, i, 0)
        put("SubGoals", sub.project_code, i, 1)
        put("SubGoals", sub.goal, i, 2)
        names = "\n".join(sub.indicators)
        put("SubGoals", names, i, 4)
        decl.row_dimensions[L.DECL_SUB_FIRST + i].height = max(
            _height(sub.title, L.DECL_WIDTHS[1]), _height(sub.goal, sum(L.DECL_WIDTHS[3:5])),
            _height(names, sum(L.DECL_WIDTHS[5:7])))
    _hide_unused(decl, L.DECL_SUB_FIRST, L.DECL_SUB_LAST, len(dept.sub_goals))

    for i, p in enumerate(dept.projects):
        for col, value in enumerate((p.code, p.name, p.budget, p.year_budget, p.spent)):
            put("DeptProjects", value, i, col)
        put("DeptProjScores", p.score, i)
        pj.row_dimensions[L.PROJ_FIRST + i].height = _height(p.name, L.PROJ_WIDTHS[2])
    _hide_unused(pj, L.PROJ_FIRST, L.PROJ_LAST, len(dept.projects))

    for i, ind in enumerate(dept.indicators):
        target, _ = try_parse_target(ind.target, year=dept.year)
        cells = official_cells(target) if target is not None else [None, None, None]
        for col, value in enumerate((ind.level1, ind.level2, ind.name, *cells, ind.target)):
            put("DeptIndicators", value, i, col,
                fmt="yyyy-mm-dd" if col == 4 and target is not None and target.kind == "date" else None)
        put("DeptIndActual", ind.actual, i)
        put("DeptIndWeight", ind.weight, i)
        put("DeptIndScore", ind.score, i)
        put("DeptIndAnalysis", ind.analysis, i)
        decl.row_dimensions[L.DECL_IND_FIRST + i].height = max(
            _height(ind.name, L.DECL_WIDTHS[2]), _height(ind.level2, L.DECL_WIDTHS[1]),
            _height(ind.target, L.DECL_WIDTHS[6]))
        ev.row_dimensions[L.EVAL_IND_FIRST + i].height = max(
            _height(ind.name, L.EVAL_WIDTHS[2]), _height(ind.analysis, sum(L.EVAL_WIDTHS[8:])))
    # 20 blank indicator rows pushed the total onto a third page (issue 21.11)
    _hide_unused(decl, L.DECL_IND_FIRST, L.DECL_IND_LAST, len(dept.indicators))
    _hide_unused(ev, L.EVAL_IND_FIRST, L.EVAL_IND_LAST, len(dept.indicators))
    fit_one_page_if_legible(ev, L.EVAL_WIDTHS)   # the total stays on the table's page
    for i, key in enumerate((*L.COMMON_KEYS, "projects")):
        put("CommonAnalysis", dept.common_analysis.get(key), i)
    values = formula_values(department_metrics(dept, rules))

    def save(tmp: Path) -> None:
        plain = tmp.with_name(tmp.name + ".plain")
        try:
            wb.save(plain)
            store_cached_values(plain, tmp, values)
        finally:
            plain.unlink(missing_ok=True)

    return atomic_write(Path(path), save)


def _hide_unused(ws, first: int, last: int, used: int):
    for row in range(first + used + SPARE_ROWS, last + 1):
        ws.row_dimensions[row].hidden = True
