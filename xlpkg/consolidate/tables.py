"""The summary tables: their columns exactly as the summary sheets show them, and the merge of
every file's outcome into them (main process): duplicates dropped, departments summed with
``metrics.department_totals`` (amounts first, never averaged rates)."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING, Iterable

from ..workbook import layout as L
from ..issues import ERROR, SEVERITY_LABELS, Issue
from ..metrics import DeptShare, department_totals, round2
from ..model import REVIEW_GRADES
from ..rules import Rules
from .spool import SpooledTable

if TYPE_CHECKING:   # pandas is imported late: worker processes never need it
    pass
from .columns import (DEPT_EVAL_COLUMNS, DEPT_GOAL_COLUMNS, INDICATOR_COLUMNS, ISSUE_COLUMNS,
                      PROJECT_COLUMNS, RECORD_COLUMNS, TOTAL_LABEL, Consolidation,
                      department_columns)
from .copies import resolve_copies
from .dept_info import dept_info_map, goal_lines
from .outcome import FileOutcome, as_float, rule_issue



def _has_error(o: FileOutcome) -> bool:
    return any(i.severity == ERROR for i in o.issues)



def _summary_year(outcomes: list[FileOutcome], rules: Rules, year: int | None) -> int | None:
    """The one year this summary sums. Without ``--year`` it is the year most usable forms
    have (the later one on a tie); a form of another year gets an error and is left out,
    because amounts of different years must never be added up."""
    years = Counter(o.project_row["年度"] for o in outcomes
                    if o.project_row is not None and not _has_error(o))
    if year is not None or not years:
        return year
    chosen = max(years, key=lambda y: (years[y], y))
    for o in outcomes:
        if o.project_row is not None and o.project_row["年度"] != chosen:
            other = o.project_row["年度"]
            o.issues.append(rule_issue(
                rules, "consolidate.mixed_years",
                f"项目年度为{other}年，与本次汇总的{chosen}年（多数项目表的年度）不同：不同年度的金额不能相加，"
                f"本文件未计入汇总；如需汇总{other}年，请用 --year {other} 单独汇总；"
                f"如需对比上年，请用 --previous 指定上年的项目表或汇总表，或用 --db 记入历史库",
                file=o.via or o.path, sheet=L.DECL if not o.via else "项目汇总",
                cell=L.NAMES["FiscalYear"].ref if not o.via else ""))
    return chosen


def _summary_notes(outcomes: list[FileOutcome], rules: Rules) -> None:
    """One note per summary read: how many of its projects counted, how many were repeats."""
    for summary in (o for o in outcomes if o.kind == "summary"):
        total = len(summary.children)
        repeated = sum(1 for child in summary.children if child.repeated)
        if total or not summary.issues:   # every file is accounted for
            summary.issues.append(rule_issue(
                rules, "consolidate.summary_input",
                f"这是 xlpkg 生成的汇总表，含{total}个项目：{total - repeated}个按其中保存的原始数据重算后计入"
                + (f"，{repeated}个未计入（已由项目表或先读取的汇总表计入，或该部门以项目表为准）"
                   if repeated else ""),
                file=summary.path))
        summary.children = []   # counted or dropped: the summary itself is no project


def _dept_evaluations(outcomes: list[FileOutcome], rules: Rules, year: int | None) -> list[tuple]:
    """One self-evaluation per (department, year) of the summary's year: department workbooks
    before summaries'. Another year's evaluation is listed, never ranked beside this year's."""
    ordered = ([(o, e) for o in outcomes if o.kind == "department" for e in o.dept_evals]
               + [(o, e) for o in outcomes if o.kind == "summary" for e in o.dept_evals])
    seen: dict[tuple, str] = {}
    rows = []
    for o, e in ordered:
        if year is not None and e.get("年度") is not None and e.get("年度") != year:
            o.issues.append(rule_issue(
                rules, "consolidate.other_year",
                f"部门{e.get('部门编码', '')}的部门自评为{e.get('年度')}年，不是汇总年度{year}年，未列入“部门排名”",
                file=o.path))
            continue
        key = (str(e.get("部门编码", "")).strip(), e.get("年度"))
        if key in seen:
            continue
        seen[key] = e.get("来源文件", "")
        rows.append(tuple(e.get(c) for c in DEPT_EVAL_COLUMNS))
    return rows


def _quarter_progress(members: list[DeptShare]) -> tuple[list, list]:
    """Budget-weighted planned and actual cumulative progress per quarter (fractions)."""
    plans, actuals = [], []
    for q in range(4):
        with_plan = [(m.plans[q], m.budget) for m in members if m.plans[q] is not None]
        with_actual = [(m.actuals[q], m.budget) for m in members if m.actuals[q] is not None]
        budget = sum((b for _, b in with_plan), Decimal(0))
        plans.append(as_float(sum((p * b for p, b in with_plan), Decimal(0)) / budget / 100)
                     if budget else None)
        budget = sum((b for _, b in with_actual), Decimal(0))
        actuals.append(as_float(sum((a for a, _ in with_actual), Decimal(0)) / budget)
                       if budget else None)
    return plans, actuals


def _department_rows(shares: list[DeptShare], rules: Rules) -> list[tuple]:
    grades = [band["grade"] for band in rules.scoring["grades"]]
    lights = [band["light"] for band in rules.monitoring["lights"]]
    groups: dict[str, list[DeptShare]] = {}
    for m in shares:
        groups.setdefault(m.dept_code, []).append(m)
    # The grand total runs through the same function as one pseudo-department, so it sums
    # amounts first exactly like every department row does.
    everything = [m._replace(dept_code=TOTAL_LABEL, dept_name="") for m in shares]
    totals = department_totals(shares, rules) + (department_totals(everything, rules)
                                                  if shares else [])
    members_of = {**groups, TOTAL_LABEL: shares}
    rows = []
    for t in totals:
        plans, actuals = _quarter_progress(members_of[t.dept_code])
        rows.append((t.dept_code, t.dept_name, t.projects, as_float(t.budget), as_float(t.spent),
                     as_float(t.execution_rate), t.spent_missing, as_float(t.weighted_score), t.unevaluated,
                     *((as_float(t.cost_score),) if rules.cost_group else ()),
                     *(t.grades.get(g, 0) for g in grades), *(t.lights.get(x, 0) for x in lights),
                     *plans, *actuals, *_review_columns(members_of[t.dept_code])))
    if not shares:
        rows.append((TOTAL_LABEL, "", 0, 0.0, 0.0, None, 0, None, 0,
                     *((None,) if rules.cost_group else ()), *(0 for _ in grades),
                     *(0 for _ in lights), *(None,) * 8, *_review_columns([])))
    return rows


def _review_columns(members: list[DeptShare]) -> tuple:
    """v3 (issue 25): REVIEW_DEPT_COLUMNS of one department: tiers counted, and the bureau's
    评定总分 beside the 自评得分 of the same projects, both weighted by budget."""
    counts = tuple(sum(1 for m in members if m.review_grade == g) for g in REVIEW_GRADES)
    rated = [m for m in members if m.verified_total is not None and m.started]
    budget = sum((m.budget for m in rated), Decimal(0))
    if not rated or not budget:
        return (*counts, len(rated), None, None, None)
    own = round2(sum((m.total * m.budget for m in rated), Decimal(0)) / budget)
    verified = round2(sum((m.verified_total * m.budget for m in rated), Decimal(0)) / budget)
    return (*counts, len(rated), as_float(own), as_float(verified), as_float(verified - own))


def _issue_row(i: Issue) -> tuple:
    return (i.file, i.sheet, i.cell or i.location, i.rule,
            SEVERITY_LABELS.get(i.severity, SEVERITY_LABELS[ERROR]), i.message)


def _notes(good: list[FileOutcome], excluded: int, year: int | None) -> list[str]:
    """What the summary counts and what it leaves out, printed under 部门小计."""
    notes = [f"汇总年度：{year}年；其他年度的项目表不计入，列于“问题清单”。" if year is not None
             else "汇总年度：无可汇总的项目表。",
             "有错误的项目表（问题清单中严重程度为“错误”）不计入项目汇总、部门小计、指标明细、"
             f"部门整体绩效目标和图表，只列于“问题清单”；本次有{excluded}个。"]
    missing = sum(1 for o in good if o.project_row["全年执行数（万元）"] is None)
    notes.append(f"未填全年执行数的项目不按0计：不计入全年执行数合计，执行率按已填执行数的项目计算"
                 f"（Σ执行数÷其Σ预算数）；本次有{missing}个。")
    unstarted = sum(1 for o in good if not o.share.started)
    notes.append(f"尚未开始自评（无全年执行数和实际完成值）的项目无自评得分和等级，不计入等级分布和加权"
                 f"平均得分；本次有{unstarted}个。")
    return notes


def build(outcomes: list[FileOutcome], rules: Rules, *, dept_info=None,
          extra_issues: Iterable[Issue] = (), year: int | None = None) -> Consolidation:
    """Merge per-file outcomes into the summary tables (deterministic whatever their order).

    The counting rules, stated on the summary (``Consolidation.notes``): one file per
    (project code, year); one year per summary; a form with an error is listed only in the
    issues table and contributes nothing else; a missing 全年执行数 is left out of the sums,
    never added as 0; a form whose self-evaluation has not started has no score or grade.
    """
    import pandas as pd

    info = dept_info_map(dept_info)
    outcomes = resolve_copies(outcomes, rules)
    _summary_notes(outcomes, rules)
    year = _summary_year(outcomes, rules, year)
    dept_eval_rows = _dept_evaluations(sorted(outcomes, key=lambda o: o.path), rules, year)
    issues = list(extra_issues) + [i for o in outcomes for i in o.issues]
    per_file: dict[str, int] = {}
    for i in issues:
        per_file[i.file] = per_file.get(i.file, 0) + 1
    excluded = sum(1 for o in outcomes if o.project_row is not None and _has_error(o))
    good = sorted((o for o in outcomes if o.project_row is not None and not _has_error(o)),
                  key=lambda o: (o.project_row["部门编码"], o.project_row["项目编码"], o.path))
    project_rows = []
    for o in good:
        # A carried project's issues all name its summary: count its own, not the summary's.
        row = dict(o.project_row.items(), 问题数=len(o.issues) if o.via else per_file.get(o.path, 0))
        project_rows.append(tuple(row[c] for c in PROJECT_COLUMNS))
    shares = [o.share for o in good]
    goal_rows: list[tuple] = []
    by_dept: dict[str, list[FileOutcome]] = {}   # grouped once: a province has thousands
    for o in good:
        by_dept.setdefault(o.project_row["部门编码"], []).append(o)
    dept_codes = list(by_dept)
    dept_codes += [c for c in sorted(info) if c not in by_dept]
    for code in dept_codes:
        members = by_dept.get(code, [])
        name = members[0].project_row["部门名称"] if members else info[code]["dept_name"]
        goal_rows.extend(goal_lines(code, name, members, info.get(code)))
    with_errors = sorted({i.file for i in issues if i.severity == ERROR and i.file})
    return Consolidation(
        projects=pd.DataFrame(project_rows, columns=list(PROJECT_COLUMNS)),
        departments=pd.DataFrame(_department_rows(shares, rules),
                                 columns=list(department_columns(rules))),
        indicator_table=SpooledTable(INDICATOR_COLUMNS, [o.indicator_rows for o in good]),
        dept_goals=pd.DataFrame(goal_rows, columns=list(DEPT_GOAL_COLUMNS)),
        issues=pd.DataFrame([_issue_row(i) for i in issues], columns=list(ISSUE_COLUMNS)),
        files_read=[o.path for o in outcomes if not o.via],
        files_with_errors=with_errors,
        rules_source=rules.source,
        rules=rules,
        # Every project this run holds, erroneous ones too: the next level re-checks them and
        # lists their problems again rather than losing them.
        records=SpooledTable(RECORD_COLUMNS, [
            o.record_rows for o in sorted((o for o in outcomes if o.project_row is not None),
                                     key=lambda o: (o.project_row["部门编码"], o.project_row["项目编码"]))]),
        dept_evaluations=pd.DataFrame(dept_eval_rows, columns=list(DEPT_EVAL_COLUMNS)),
        project_goals={o.project_row["项目编码"]: o.goal for o in good},
        year=year,
        notes=_notes(good, excluded, year),
    )
