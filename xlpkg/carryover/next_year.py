"""Next year's form of a project: what stays (identity, the multi-year frame, the goal as a
draft, every indicator with its history) and what starts blank (money, plans, monitoring,
self-evaluation)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Sequence

from openpyxl.comments import Comment

from ..issues import Issue
from ..model import Execution, Indicator, Period, Project
from ..rules import Rules, load_rules
from ..system.safeio import atomic_write
from ..workbook import layout as L
from ..workbook.writer import CapacityError, fill_book
from .forms import ReadForm, group_by_code, read_forms
from .history import PastActual, history_value, past_actuals
from .store import StoreUnavailable, stored_projects

__all__ = ["CarryReport", "carry_over", "next_year_project", "output_name"]


def _indicator(ind: Indicator, year: int, past: Sequence[PastActual]) -> Indicator:
    return Indicator(
        level1=ind.level1, level2=ind.level2, name=ind.name, target=ind.target,
        description=ind.description, basis=ind.basis, basis_kind=ind.basis_kind,
        last_target=ind.target, last_actual=ind.actual, history_value=history_value(ind, year, past))


def next_year_project(base: Project, year: int, past: Iterable[PastActual] = ()) -> Project:
    """``base`` (a form of an earlier year) as the declaration of ``year``. ``past`` are the
    actuals of this project's earlier forms (``base``'s own are added)."""
    past = list(past_actuals([base])) + [p for p in past if p.year != base.year]
    multi_year = base.period is not None
    return Project(
        dept_code=base.dept_code, dept_name=base.dept_name, code=base.code, name=base.name,
        year=year, budget=Decimal(0), fund_source=base.fund_source, goal=base.goal,
        indicators=[_indicator(i, year, past) for i in base.indicators],
        execution=Execution(illustrative=base.execution.illustrative),
        period=Period(base.period.start, base.period.end) if multi_year else None,
        medium_term_budget=base.medium_term_budget if multi_year else None,
        medium_term_goal=base.medium_term_goal if multi_year else "")


def output_name(code: str) -> str:
    """<项目编码>.xlsx, with what a file name cannot hold replaced."""
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", code.strip()).strip(". ") or "项目"
    return f"{safe}.xlsx"


@dataclass
class CarryReport:
    written: list[tuple[str, Path]] = field(default_factory=list)     # (项目编码, file)
    refused: list[tuple[str, list[Issue]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)                 # Chinese, one per line
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused and not self.problems


def _write(project: Project, base: ReadForm, out: Path, rules: Rules, library, password) -> None:
    wb = fill_book(project, rules=rules, password=password, library=library)
    sheet, col, row = L.first_cell("Budget")
    wb[sheet][f"{col}{row}"].value = None   # 预算数 starts blank, not 0
    if project.goal:
        sheet, col, row = L.first_cell("Goal")
        wb[sheet][f"{col}{row}"].comment = Comment(
            f"由{base.project.year}年度的表结转的草稿，请按{project.year}年度的安排修改。", "xlpkg")
    atomic_write(out, wb.save)


def carry_over(inputs: Iterable[str | Path], out_dir: str | Path, year: int, *,
               history: Iterable[str | Path] = (), db: str | None = None, library=None,
               force: bool = False, rules: Rules | None = None,
               password: str | None = None) -> CarryReport:
    """Next year's form for each project among ``inputs`` (files or folders): the latest of
    its forms before ``year`` is carried, the others (and ``history``, and the store at
    ``db``) give the indicators' history. Nothing in ``out_dir`` is overwritten unless
    ``force``."""
    rules = rules or load_rules()
    out_dir = Path(out_dir)
    report = CarryReport()
    given = read_forms(inputs, rules=rules)
    extra = read_forms(history, rules=rules) if history else None
    report.refused.extend(given.refused)
    if extra is not None:
        report.refused.extend(extra.refused)
    bases, notes = group_by_code(given.forms, rules)
    report.refused.extend((i.file, [i]) for i in notes)
    seen = {f.path.resolve() for f in given.forms}
    others = [f for f in (extra.forms if extra else []) if f.path.resolve() not in seen]
    past_groups, _ = group_by_code(given.forms + others, rules)
    if not bases and not report.refused:
        report.problems.append("没有找到可结转的项目表")
    for code, forms in bases.items():
        earlier = [f for f in forms if f.project.year < year]
        if not earlier:
            report.problems.append(f"{forms[0].path}：项目{forms[0].project.code}的表为{forms[0].project.year}"
                                   f"年度，不早于{year}年度，无法结转")
            continue
        base = earlier[0]
        past = past_actuals(f.project for f in past_groups.get(code, []) if f.project.year < year)
        if db:
            try:
                stored = [p for p in stored_projects(db, code) if p.year < year]
            except StoreUnavailable as exc:
                report.problems.append(str(exc))
                db = None
            else:
                known = {p.year for p in past}
                past += [a for a in past_actuals(stored) if a.year not in known]
        target = out_dir / output_name(base.project.code)
        read = {f.path.resolve() for f in given.forms + (extra.forms if extra else [])}
        if target.resolve() in read:   # even with --force: last year's form is never replaced
            report.problems.append(f"{target} 是输入的项目表，不能用新表覆盖；请另指定输出文件夹")
            continue
        if target.exists() and not force:
            report.problems.append(f"{target} 已存在，未覆盖（如需覆盖请加 --force）")
            continue
        project = next_year_project(base.project, year, past)
        if base.project.period is not None and base.project.period.end and base.project.period.end < year:
            report.notes.append(f"{target}：项目期至{base.project.period.end}年已结束，请核实是否继续申报")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            _write(project, base, target, rules, library, password)
        except CapacityError as exc:
            report.problems.append(f"{base.path}：{exc}")
            continue
        report.written.append((base.project.code, target))
    return report
