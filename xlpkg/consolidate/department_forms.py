"""Department workbooks from a consolidation: one filled 部门整体绩效表 per department.

The project parts (项目支出明细, 分项绩效目标) come from the project forms as consolidated;
the department's own inputs (基本支出, 三公经费, 政府采购, 结转结余, texts, its indicators)
are carried over from its workbook already in the output folder, or one given as an input,
else taken from its department info JSON (``examples/departments/*.json``). A department
workbook that exists but cannot be read is never overwritten: its typed inputs would be lost.
"""
from __future__ import annotations

import math
import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Mapping

from .columns import INDICATOR_COLUMNS
from .dept_info import load_dept_info
from .outcome import normalize_code
from ..issues import ERROR, Issue, has_errors
from ..system.os_errors import os_error_text
from ..rules import Rules, load_rules
from ..sources import CalamineSource, SourceError
from ..department.checks import check_department
from ..department.model import Department, DeptProject, SubGoal, department_from_dict
from ..department.reader import is_department_workbook, read_department_file
from ..department.writer import DeptCapacityError, write_department

__all__ = ["DeptFormsResult", "departments_from_consolidation", "split_department_inputs",
           "write_department_forms"]

TOTAL_LABEL = "合计"
# The department's own inputs, carried over from its existing workbook when filled there.
OWN_FIELDS = ("overall_goal", "achievement", "guarantees", "personnel_budget", "public_budget",
              "personnel_year_budget", "personnel_spent", "public_year_budget", "public_spent",
              "three_public_budget", "three_public_spent", "procurement_budget",
              "procurement_actual", "carryover")


@dataclass
class DeptFormsResult:
    written: list[Path] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def _dec(value) -> Decimal | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return Decimal(format(float(value), ".15g"))


def _is_dept_file(path: Path) -> bool:
    try:
        return is_department_workbook(CalamineSource(path))
    except (SourceError, OSError):
        return False


def split_department_inputs(paths: Iterable[str | os.PathLike]) -> tuple[list[str], list[str]]:
    """(project paths, department workbooks) among the paths a user named; folders stay
    with the project paths."""
    projects, departments = [], []
    for p in paths:
        path = Path(p)
        if path.is_file() and path.suffix.lower() == ".xlsx" and _is_dept_file(path):
            departments.append(str(p))
        else:
            projects.append(str(p))
    return projects, departments


def _carry_over(base: Department, own: Department) -> None:
    for name in OWN_FIELDS:
        value = getattr(own, name)
        if value not in (None, ""):
            setattr(base, name, value)
    if own.indicators:
        base.indicators = own.indicators
    base.common_analysis.update(own.common_analysis)
    base.illustrative = base.illustrative or own.illustrative


def _project_rows(rows) -> list[DeptProject]:
    """The department's rows of the consolidation's project table."""
    out = []
    for r in rows.to_dict("records"):
        budget, effective = _dec(r["年初预算数（万元）"]), _dec(r["全年预算数（万元）"])
        out.append(DeptProject(
            code=str(r["项目编码"]), name=str(r["项目名称"] or ""), budget=budget,
            year_budget=effective if effective is not None and effective != budget else None,
            spent=_dec(r["全年执行数（万元）"]), score=_dec(r["自评得分"])))
    return out


def _sub_goals(c, names: Mapping[str, list], projects: list[DeptProject],
               info: Department | None, own: Department | None) -> list[SubGoal]:
    """The seed's order: the info file's 分项 first as printed, then the department's own
    wording from its workbook, then each remaining project as its form says."""
    codes = [p.code for p in projects]
    subs: list[SubGoal] = list(info.sub_goals) if info else []
    covered = {s.project_code for s in subs if s.project_code}
    for s in own.sub_goals if own else []:
        if (not s.project_code and s not in subs) or (s.project_code in codes and s.project_code not in covered):
            subs.append(s)
            covered.add(s.project_code)
    for p in projects:
        if p.code not in covered:
            subs.append(SubGoal(title=p.name, goal=c.project_goals.get(p.code, ""),
                                indicators=[str(n) for n in names.get(p.code, []) if str(n).strip()],
                                project_code=p.code))
    return subs


def _info_list(dept_info) -> list:
    """Department info as the consolidation accepts it: a path, a document, or a list of them."""
    if not dept_info:
        return []
    if isinstance(dept_info, (str, os.PathLike)) or (isinstance(dept_info, Mapping) and "dept_code" in dept_info):
        return [dept_info]
    return list(dept_info.values()) if isinstance(dept_info, Mapping) else list(dept_info)


def departments_from_consolidation(c, *, dept_info=None,
                                   own: Mapping[str, Department] | None = None) -> list[Department]:
    """One Department per department of the consolidation ``c`` (and per info file)."""
    infos = {d["dept_code"]: department_from_dict(d) for d in map(load_dept_info, _info_list(dept_info))}
    own = dict(own or {})
    codes = [x for x in dict.fromkeys(c.projects["部门编码"]) if x and x != TOTAL_LABEL]
    codes += [x for x in sorted(infos) if x not in codes]
    # indicator names per project, once for all departments (a city has 40,000 rows)
    names: dict[str, list[str]] = {}
    code_at, name_at = INDICATOR_COLUMNS.index("项目编码"), INDICATOR_COLUMNS.index("三级指标")
    for row in c.indicator_table:   # streamed: a province's rows never all in memory
        names.setdefault(row[code_at], []).append(row[name_at])
    by_dept = dict(tuple(c.projects.groupby("部门编码", sort=False))) if len(c.projects) else {}
    out = []
    for code in codes:
        info, mine = infos.get(code), own.get(code)
        dept = department_from_dict({"dept_code": code, "sub_goals": []})
        if info:
            for f in fields(Department):
                setattr(dept, f.name, getattr(info, f.name))
        if mine:
            _carry_over(dept, mine)
        rows = by_dept.get(code, c.projects.iloc[0:0])
        if len(rows):
            dept.dept_name = str(rows["部门名称"].iloc[0] or "") or dept.dept_name
            years = Counter(int(y) for y in rows["年度"] if y == y and y is not None)
            dept.year = years.most_common(1)[0][0] if years else dept.year
        elif mine and mine.dept_name:
            dept.dept_name = mine.dept_name
        dept.dept_name = dept.dept_name or (mine.dept_name if mine else "")
        dept.projects = _project_rows(rows)
        dept.sub_goals = _sub_goals(c, names, dept.projects, info, mine)
        out.append(dept)
    return out


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _write_one(task) -> tuple[str | None, Issue | None]:
    """Write one department workbook (in a worker process); never raises."""
    dept, target, rules = task
    try:
        return str(write_department(dept, target, rules=rules)), None
    except DeptCapacityError as exc:
        return None, Issue(rule="dept.capacity", severity=ERROR, file=target, message=str(exc))
    except OSError as exc:
        return None, Issue(rule="dept.write", severity=ERROR, file=target,
                           message=f"无法写入部门整体绩效表：{os_error_text(exc)}（文件是否在 Excel 中打开？）")


def _folder_workbooks(folder: Path) -> dict[str, Path]:
    """{department code the file is named for: path} of the folder's workbooks, whatever the
    case of ".xlsx" (a "105004.XLSX" copied from Windows is that department's workbook on
    Linux too, and must not be shadowed by a new "105004.xlsx")."""
    out: dict[str, Path] = {}
    try:
        names = sorted(os.listdir(folder)) if folder.is_dir() else []
    except OSError:
        names = []
    for name in names:
        path = folder / name
        if name.startswith(("~$", ".")) or path.suffix.lower() != ".xlsx" or not path.is_file():
            continue
        out.setdefault(normalize_code(path.stem), path)
    return out


def _named_code(path: Path) -> str | None:
    """The department code a file name states ("105002.xlsx"), or None for a free name."""
    stem = normalize_code(path.stem)
    return stem if stem.isdigit() else None


def _read_own(paths: list[Path], folder: Path, result: DeptFormsResult):
    """The department workbooks already filled: {code: (department, path)}, the files in the
    folder that cannot be used ({code the file is named for: issue}: unreadable, or holding
    another department's code) and the departments whose inputs have errors ({code: issues});
    none of these is ever overwritten."""
    own: dict[str, tuple[Department, Path]] = {}
    unusable: dict[str, Issue] = {}
    bad: dict[str, list[Issue]] = {}
    for path in paths:
        if path.name.startswith(("~$", ".")):
            continue
        in_folder = path.parent == folder
        read = read_department_file(path)
        if read.department is None:
            if in_folder:   # judged below, only if a department would replace it
                unusable[normalize_code(path.stem)] = read.issues[0]
            else:
                result.issues.extend(read.issues)
            continue
        code = normalize_code(read.department.dept_code)
        named = _named_code(path)
        if named is not None and named != code:
            # a typo in DeptCode or a copied file: whose typed inputs are these? Neither
            # department's workbook may be rebuilt from them, nor this file replaced.
            issue = Issue(rule="dept.value", severity=ERROR, file=str(path),
                          message=f"文件名表明是部门{named}的部门整体绩效表，但其中的部门编码（DeptCode）为"
                                  f"“{read.department.dept_code}”：文件名与部门编码不一致，无法判断是哪个部门的表")
            if in_folder:
                unusable[named] = issue
            else:
                result.issues.append(issue)
            continue
        if has_errors(read.issues):
            bad[code] = read.issues
        own[code] = (read.department, path)
    return own, unusable, bad


def write_department_forms(c, folder: str | os.PathLike, *, dept_info=None,
                           inputs: Iterable[str | os.PathLike] = (),
                           rules: Rules | None = None, jobs: int | None = None) -> DeptFormsResult:
    """Write ``folder/<部门编码>.xlsx`` for every department of the consolidation, with
    ``jobs`` worker processes (None = all cores).

    A department is skipped, with an error naming the file, when its existing workbook cannot
    be read, has input errors, or is of another year: rewriting it would lose what was typed."""
    rules = rules or load_rules()
    folder = Path(folder)
    result = DeptFormsResult()
    existing = _folder_workbooks(folder)
    # inputs named by the user come last, so they win over the folder's copy
    own, unreadable, bad = _read_own([*existing.values(), *map(Path, inputs)], folder, result)
    usable = {code: dept for code, (dept, _) in own.items() if code not in bad}
    keep = "未重新生成该部门的部门整体绩效表，以免丢失已填内容"
    tasks = []
    for dept in departments_from_consolidation(c, dept_info=dept_info, own=usable):
        code = dept.dept_code
        target = existing.get(normalize_code(code), folder / f"{code}.xlsx")
        if code in unreadable:
            result.issues.append(Issue(rule="dept.template", severity=ERROR, file=str(target),
                                       message=f"{unreadable[code].message}；{keep}"))
            continue
        if code in bad:
            result.issues.extend(bad[code])
            result.issues.append(Issue(rule="dept.value", severity=ERROR, file=str(own[code][1]),
                                       message=f"该部门整体绩效表有填写错误（见上）：{keep}；请改正后重新汇总"))
            continue
        mine = own.get(code)
        if mine and mine[0].year and dept.year and mine[0].year != dept.year:
            result.issues.append(Issue(
                rule="dept.year", severity=ERROR, file=str(mine[1]),
                message=f"已有的部门整体绩效表为{mine[0].year}年度，本次汇总为{dept.year}年度：{keep}；"
                        "不同年度请使用不同的文件夹"))
            continue
        result.issues.extend(i.located(file=str(target)) for i in check_department(dept, rules))
        tasks.append((dept, str(target), rules))
    if tasks:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            result.issues.append(Issue(rule="dept.write", severity=ERROR, file=str(folder),
                                       message=f"无法创建文件夹：{os_error_text(exc)}"))
            return result
    jobs = min(jobs or _cores(), len(tasks))
    if jobs > 1 and len(tasks) >= 4:   # a city: a hundred workbooks of about a second each
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            outcomes = list(pool.map(_write_one, tasks, chunksize=max(1, len(tasks) // (jobs * 4))))
    else:
        outcomes = [_write_one(task) for task in tasks]
    for written, issue in outcomes:
        if written:
            result.written.append(Path(written))
        else:
            result.issues.append(issue)
    return result
