"""One file's outcome: a workbook read (in a worker process) and shaped into the rows of the
summary tables, with its issues. Reading never raises: a bad file becomes issues."""
from __future__ import annotations

import math
import os
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable

from ..workbook import layout as L
from ..issues import Issue
from ..metrics import DeptShare, ProjectMetrics, dept_share, project_metrics, round2
from ..model import MAX_AMOUNT, Project, cause_text
from .multilevel import compare_shown, project_record, read_upper
from ..rules import Rules
from ..targets import try_parse_target

if TYPE_CHECKING:   # pandas is imported late: worker processes never need it
    pass
from .columns import QUARTER_LABELS, ProjectRow
from ..workbook.form_checks import read_checked_file


@dataclass(slots=True)   # no per-instance dict: 100,000 of them wait for the summary
class FileOutcome:
    """What a worker sends back for one file: small, picklable, no workbook objects."""

    path: str
    issues: list[Issue]
    share: DeptShare | None = None          # what the project adds to its department's totals
    project_row: "dict[str, Any] | ProjectRow | None" = None
    indicator_rows: list[tuple] = field(default_factory=list)
    goal: str = ""
    indicator_names: tuple[str, ...] = ()
    # The project's inputs for the summary's data sheet: [(项目编码, 年度, 来源文件, record)].
    record_rows: list[tuple] = field(default_factory=list)
    # A summary or department workbook among the inputs (xlpkg.consolidate.multilevel): what it carries.
    kind: str = "project"                   # project / summary / department
    via: str = ""                           # the summary a carried project came from
    children: list["FileOutcome"] = field(default_factory=list)
    repeated: bool = False                  # a carried project already counted elsewhere
    dept_evals: list[dict] = field(default_factory=list)
    mtime: float | None = None              # when the file was last saved (a stale summary)


def as_float(value: Decimal | None, scale: int = 0) -> float | None:
    if value is None or (isinstance(value, Decimal) and not value.is_finite()):
        return None
    out = float(value.scaleb(scale)) if scale else float(value)
    return out if math.isfinite(out) else None


def rule_issue(rules: Rules, rule_id: str, detail: str, **where: str) -> Issue:
    """An issue under a rule id of the rulebook (its schema requires every id used here)."""
    return rules.issue(rule_id, detail=detail).located(**where)


# Letters that look like Latin ones in project codes: a code typed with a Greek Β or a Cyrillic
# С is the same project to a person, so it must be the same project to de-duplication.
_CONFUSABLES = str.maketrans({
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX")),
    **dict(zip("АВЕКМНОРСТХУІЈЅ", "ABEKMHOPCTXYIJS")),
})


def normalize_code(text: str) -> str:
    """A department or project code as de-duplication compares it: NFKC (full-width digits),
    no invisible or space characters (zero-width space, BOM, soft hyphen), upper case, and
    Greek/Cyrillic lookalike letters as their Latin twins."""
    text = unicodedata.normalize("NFKC", str(text))
    text = "".join(ch for ch in text
                   if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Zs"))
    return text.upper().translate(_CONFUSABLES)


def _number_problems(p: Project) -> list[str]:
    """Amounts no form can hold (NaN, ±inf, 1e308): one such cell must not stop the summary."""
    values = [("预算数", p.budget), ("全年预算数", p.execution.year_budget),
              ("全年执行数", p.execution.year_spent),
              *((f"第{q + 1}季度累计实际支出", v) for q, v in enumerate(p.execution.actual_cumulative)),
              *((f"资金用途“{u.item}”金额", u.amount) for u in p.uses),
              *((f"三级指标“{i.name}”的指定分值", i.weight) for i in p.indicators),
              *((f"第{q + 1}季度支出计划", v) for q, v in enumerate(p.plan))]
    out = []
    for what, value in values:
        if value is None:
            continue
        if not isinstance(value, Decimal) or not value.is_finite() or abs(value) >= MAX_AMOUNT:
            out.append(f"{what}“{value}”不是有效数字或超出合理范围（绝对值应小于{MAX_AMOUNT:f}）")
    return out


@lru_cache(maxsize=4096)
def _official(text: str, year: int) -> tuple[str, str, str]:
    """(指标性质, 指标值, 度量单位); cached because forms repeat "100%" and "大于90%" endlessly."""
    target, _ = try_parse_target(text, year=year)
    return target.official() if target is not None else ("", "", "")


def outcome_from_project(project: Project, path: str, rules: Rules,
                         issues: Iterable[Issue] = (), metrics: ProjectMetrics | None = None
                         ) -> FileOutcome:
    """Shape the table rows of a project read from ``path``, from its metrics as recomputed
    from the inputs (the reader's, or computed here)."""
    issues = [i if i.file else i.located(file=path) for i in issues]   # every issue names its file
    problems = _number_problems(project)
    if problems:
        return FileOutcome(path, list(issues) + [
            rule_issue(rules, "form.value", text, file=path) for text in problems])
    m = metrics if metrics is not None else project_metrics(project, rules)
    ev = m.evaluation
    p = project
    started = getattr(ev, "started", True)
    dept_code = normalize_code(p.dept_code)
    row: dict[str, Any] = {
        "部门编码": dept_code, "部门名称": p.dept_name.strip(),
        "项目编码": normalize_code(p.code), "项目名称": p.name, "资金来源": p.fund_source, "年度": p.year,
        "年初预算数（万元）": as_float(p.budget), "全年预算数（万元）": as_float(p.effective_budget),
        "全年执行数（万元）": as_float(p.execution.year_spent),
    }
    for label, q in zip(QUARTER_LABELS, m.quarters):
        row[f"{label}计划进度"] = as_float(q.plan, -2)
        row[f"{label}累计支出（万元）"] = as_float(q.actual)
        row[f"{label}实际进度"] = as_float(q.progress, -2)
        row[f"{label}偏差（百分点）"] = as_float(q.variance)
        row[f"{label}灯色"] = rules.light_label(q.light) if q.light else None
    snap, rect = m.monitoring, p.rectification
    row.update({
        "监控月份": snap.month if snap else None,
        "1-X月执行率": as_float(snap.execution_rate, -2) if snap else None,
        "全年预计执行数（万元）": as_float(p.monitoring.forecast_year_spent),
        "监控灯": rules.light_label(snap.light) if snap and snap.light else None,
        "是否需要整改": None if rect.needed is None else ("是" if rect.needed else "否"),
    })
    notes = []
    if p.execution.year_spent is None:
        notes.append("未填全年执行数，不计入执行数合计和执行率")
    if not started:
        notes.append("尚未开始自评（无全年执行数和实际完成值），无得分和等级")
    row.update({"执行率": as_float(m.execution_rate), "成本控制率": as_float(m.cost_control_rate),
                "自评得分": as_float(ev.total) if started else None,
                "自评等级": ev.grade if started else None,
                "单位成本（万元）": as_float(m.unit_cost.amount) if m.unit_cost else None,
                "单位成本核算依据": f"{m.unit_cost.basis}（{m.unit_cost.unit}）" if m.unit_cost else None,
                "问题数": 0,
                "审核结果": (p.review.grade or None) if p.review else None,   # v3 (issue 25)
                "评定总分": as_float(m.verified_total_score),
                "汇总说明": "；".join(notes), "来源文件": path})
    indicator_rows = []
    for i, (ind, score) in enumerate(zip(p.indicators, ev.indicators), start=1):
        nature, value, unit = _official(ind.target, p.year)
        indicator_rows.append((
            row["部门编码"], row["项目编码"], p.name, i, ind.level1, ind.level2, ind.name,
            ind.target, nature, value, unit, ind.actual,
            as_float(round2(score.weight)) if score.applicable else None,
            as_float(score.shown_score) if score.applicable and started else None,
            cause_text(ind), ind.likelihood, ind.analysis,
            rules.group_label(score.group) if score.group else None))
    names = tuple(ind.name.strip() for ind in p.indicators if ind.name.strip())
    issues = list(issues)
    return FileOutcome(path=path, issues=issues, share=dept_share(m, dept_code, rules.cost_group), project_row=row,
                       indicator_rows=indicator_rows, goal=p.goal.strip(), indicator_names=names,
                       record_rows=[(row["项目编码"], p.year, path, project_record(p, issues))])


def _upper_outcome(path: str, found, rules: Rules) -> FileOutcome:
    """A summary's carried projects (rebuilt and recomputed) or a department's evaluation."""
    upper, header, shown = found
    children = []
    for project, source_file, issues, metrics in upper.projects:
        child = outcome_from_project(project, source_file or path, rules, issues, metrics)
        mismatch = compare_shown(header, shown, project, child.project_row, rules, path)
        if mismatch:
            child.issues.append(mismatch)
        child.via = path
        children.append(child)
    return FileOutcome(path, list(upper.issues), kind=upper.kind, children=children,
                       dept_evals=list(upper.dept_evals))


def read_one(path: str, rules: Rules, year: int | None = None) -> FileOutcome:
    """Read one workbook; never raises (a reader bug becomes an issue, not a lost run)."""
    try:
        mtime = os.stat(path).st_mtime
    except (OSError, ValueError):
        mtime = None
    outcome = _read(path, rules, year)
    outcome.mtime = mtime
    return outcome


def _read(path: str, rules: Rules, year: int | None) -> FileOutcome:
    try:
        result = read_checked_file(path, rules=rules)
    except MemoryError:   # a worker's memory is capped (xlpkg.consolidate.pool): one absurd file, not the run
        return FileOutcome(path, [rule_issue(rules, "form.unreadable",
                                         "读取该文件所需内存超出上限（文件内容异常庞大），已跳过该文件", file=path)])
    except Exception as exc:   # noqa: BLE001 - one bad file must not cost the other 999
        return FileOutcome(path, [rule_issue(rules, "form.unreadable",
                                         f"读取文件时出现意外错误（{type(exc).__name__}: {exc}）",
                                         file=path)])
    issues = [i.located(file=path) for i in result.issues]
    project = result.project
    if project is None:
        if any(i.rule == "form.not_template" for i in issues):
            # Not a project form: maybe xlpkg's own summary or a department workbook.
            try:
                found = read_upper(path, rules, year)
                if found is not None:
                    return _upper_outcome(path, found, rules)
            except Exception as exc:   # noqa: BLE001 - same reason as above
                issues.append(rule_issue(rules, "form.unreadable",
                                     f"读取汇总表时出现意外错误（{type(exc).__name__}: {exc}）", file=path))
        return FileOutcome(path, issues)
    if year is not None and project.year != year:
        # Only this note: the problems of a form that is not summarised are not this run's.
        return FileOutcome(path, [rule_issue(
            rules, "consolidate.other_year",
            f"项目年度为{project.year}年，不是汇总年度{year}年，未计入汇总",
            file=path, sheet=L.DECL, cell=L.NAMES["FiscalYear"].ref)])
    try:
        return outcome_from_project(project, path, rules, issues, result.metrics)
    except Exception as exc:   # noqa: BLE001 - same reason as above
        return FileOutcome(path, issues + [rule_issue(
            rules, "form.value", f"无法计算该项目的绩效指标（{type(exc).__name__}: {exc}）",
            file=path)])
