"""The checks of a form once read: scores recomputed from the inputs, the rulebook's business
checks placed on the cells they concern, cached results that disagree with the recomputation
(stale or tampered), and rows whose score the sheet's own formulas will leave blank.

Reading (``reader``) only reads; the commands that need scores and checks call ``check_form``
once, on what was read."""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from ..checks import V2_ONLY_RULES, check
from ..issues import Issue
from ..metrics import ProjectMetrics, project_metrics
from ..model import Project
from ..rules import Rules, load_rules
from ..targets import format_number
from . import layout as L
from .reader import FormRead, ReadResult, read_project, read_project_file
from .review_block import review_fingerprint
from .sheet_parse import WHY_LONG, predict_blank

__all__ = ["CheckedForm", "check_form", "read_checked", "read_checked_file"]


@dataclass
class CheckedForm:
    """A form read and checked: the reading's issues followed by the checks'."""
    project: Project | None
    issues: list[Issue]
    cached: dict[str, Any]
    metrics: ProjectMetrics | None   # recomputed from the inputs, never from caches


def check_form(result: ReadResult, rules: Rules | None = None) -> CheckedForm:
    """Score and check what ``read_project`` read; a form that could not be read stays as it is."""
    rules = rules or load_rules()
    project, form = result.project, result.form
    if project is None or form is None:
        return CheckedForm(project, list(result.issues), result.cached, None)
    issues = list(result.issues)
    m = project_metrics(project, rules)
    for issue in check(project, rules, evaluation=m.evaluation):
        if form.version < 2 and issue.rule in V2_ONLY_RULES:
            continue
        sheet, cell = L.locate(issue.location, form.ind_rows, form.use_rows, form.target_col,
                               names=form.names)
        issues.append(issue.located(file=form.file, sheet=sheet, cell=cell))
    issues.extend(stale_results(form, m, result.cached))
    issues.extend(sheet_blanks(form, project, m))
    issues.extend(stale_review(form, project))
    return CheckedForm(project, issues, result.cached, m)


def read_checked(source, *, file: str = "", rules: Rules | None = None) -> CheckedForm:
    rules = rules or load_rules()
    return check_form(read_project(source, file=file, rules=rules), rules)


def read_checked_file(path: str | Path, *, rules: Rules | None = None, engine: str = "named") -> CheckedForm:
    rules = rules or load_rules()
    return check_form(read_project_file(path, rules=rules, engine=engine), rules)


def close_enough(cached, computed, tolerance) -> bool:
    if computed is None:
        return cached is None or cached == ""
    if isinstance(computed, str):
        return cached == computed
    if isinstance(cached, bool) or not isinstance(cached, (int, float)):
        return False
    if not math.isfinite(float(cached)):
        return False   # a NaN/inf cache is no result any formula of the form produces
    return abs(Decimal(repr(float(cached))) - computed) <= tolerance




def stale_results(form: FormRead, m: ProjectMetrics, cached: dict[str, Any]) -> list[Issue]:
    """Cached formula results that disagree with the Python recomputation, one issue per name.

    A blank cached cell is no claim (formulas leave free text to Python), so it never counts.
    """
    ev = m.evaluation
    cent, tiny = Decimal("0.005"), Decimal("1e-9")
    expected: dict[str, list[tuple[int, Any, Decimal]]] = {
        "TotalScore": [(0, ev.total, cent)], "ExecScore": [(0, ev.execution_score, cent)],
        "ExecRate": [(0, m.execution_rate, tiny)], "CostControlRate": [(0, m.cost_control_rate, tiny)],
    }
    if not ev.issues or all(i.rule == "indicator.actual_missing" for i in ev.issues):
        expected["Grade"] = [(0, ev.grade, cent)]
    for q in m.quarters:
        progress = None if q.progress is None else q.progress / 100
        expected[f"ProgressQ{q.quarter}"] = [(0, progress, tiny)]
        expected[f"VarianceQ{q.quarter}"] = [(0, q.variance, Decimal("1e-7"))]
        expected[f"PlanRateQ{q.quarter}"] = [(0, None if q.plan is None else q.plan / 100, tiny)]
        expected[f"LightQ{q.quarter}"] = [(0, form.rules.light_label(q.light) if q.light else None, cent)]
    snap = m.monitoring
    if snap is not None and snap.execution_rate is not None:
        expected["MonRate"] = [(0, snap.execution_rate / 100, tiny)]
    if snap is not None and snap.light is not None:
        expected["MonLight"] = [(0, form.rules.light_label(snap.light), cent)]
    expected["IndScore"] = [(form.ind_rows[s.index], s.shown_score, cent)
                            for s in ev.indicators if s.applicable]
    # Every other result the form shows: 分值 as allocated, the execution weight, the scale.
    expected["IndWeight"] = [(form.ind_rows[s.index], s.weight, Decimal("1e-6"))
                             for s in ev.indicators if s.applicable]
    expected["ExecWeight"] = [(0, form.rules.weight("execution"), tiny)]
    expected["ScoreScale"] = [(0, ev.scale, Decimal("1e-6"))]
    if m.verified_total_score is not None:   # v3 (issue 25): the bureau's 评定总分
        expected["VerifiedTotalScore"] = [(0, m.verified_total_score, cent)]
    p = m.project
    if form.uses_numeric and p.uses:
        total = sum((u.amount for u in p.uses), Decimal(0))
        diff = (total - p.budget).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        expected["UsesTotal"] = [(0, total, tiny)]
        expected["UsesBalance"] = [(0, "合计与预算数一致" if total == p.budget
                                    else f"合计与预算数相差{diff:.2f}万元", cent)]
    labels = {"MonRate": "1-X月执行率", "MonLight": "监控灯", "TotalScore": "总分", "ExecScore": "预算执行率得分", "ExecRate": "执行率",
              "CostControlRate": "成本控制率", "Grade": "自评等级", "IndScore": "指标得分",
              "IndWeight": "指标分值", "ExecWeight": "预算执行率分值", "ScoreScale": "折算系数",
              "UsesTotal": "资金用途合计", "UsesBalance": "资金用途核对",
              "VerifiedTotalScore": "财政部门评定总分"}
    prefixes = {"Progress": "支出进度", "Variance": "进度偏差", "PlanRate": "计划进度", "Light": "灯色"}
    out = []
    for name, checks in expected.items():
        value = cached.get(name)
        if value is None:
            continue
        for offset, computed, tolerance in checks:
            if isinstance(value, list) and offset >= len(value):
                continue
            have = value[offset] if isinstance(value, list) else value
            if have is None or have == "" or close_enough(have, computed, tolerance):
                continue
            if name == "IndScore" and isinstance(have, str) and have.startswith("?"):
                # the sheet says why it cannot score this row: reported as form.sheet_blank
                continue
            label = labels.get(name) or (prefixes[name[:-2]] + f"（第{name[-1]}季度）")
            shown = format_number(computed.quantize(Decimal("0.0001"))) if isinstance(computed, Decimal) else computed
            form.problem(name, f"{label}：文件中保存的计算结果为{have}，按填写内容重算应为{shown}；"
                         "文件可能在修改后未重新计算或被改动，请在 Excel/WPS 中打开并保存后再提交",
                         offset=offset, rule="form.stale_cache")
            out.append(form.issues.pop())
            break
    return out


def sheet_blanks(form: FormRead, project: Project, m: ProjectMetrics) -> list[Issue]:
    """Rows whose 得分 the sheet's own formulas leave blank (so its 总分 and 等级 too), said
    where and why: the sheet and xlpkg never disagree in silence."""
    col = {f: i for i, f in enumerate(L.IND_FIELDS)}
    rules = form.rules
    words, tiers = rules.qualitative_grades(), rules.qualitative_tiers()
    out = []
    for index, (row, extra) in enumerate(form.raw_rows):
        ind, s = project.indicators[index], m.evaluation.indicators[index]
        code = predict_blank(
            grouped=rules.group_of(ind.level1) is not None, nature=row[col["nature"]],
            value=row[col["value"]], unit=row[col["unit"]], original=row[col["original"]],
            actual=extra["actual"], applicable=extra["applicable"], rated=extra.get("rated_score"),
            weight=s.weight, year=project.year or None, qual_words=words, tiers=tiers)
        if not code:
            continue
        form.problem("IndScore", f"三级指标“{ind.name}”的得分在表内公式中将为空，总分和等级也将为空"
                     f"（不用加载项时）：{WHY_LONG[code - 1]}；xlpkg 按规则计为{format_number(s.shown_score)}分",
                     offset=form.ind_rows[index], rule="form.sheet_blank")
        out.append(form.issues.pop())
    return out


def stale_review(form: FormRead, project: Project) -> list[Issue]:
    """v3 (issue 25): a form carrying the bureau's review whose content is no longer what was
    reviewed (re-filed with other numbers or indicators, or a review not written by
    ``xlpkg review --apply``): the review stays on the form, but it is not about this content."""
    if project.review is None:
        return []
    if form.review_fingerprint and form.review_fingerprint == review_fingerprint(project):
        return []
    why = ("本表在财政部门审核后被修改过（与审核时的内容不一致）" if form.review_fingerprint
           else "本表的财政部门审核意见没有审核校验码（不是由“xlpkg review --apply”写入）")
    form.problem("ReviewFingerprint", f"{why}：审核结果“{project.review.grade or '—'}”及审核意见针对的是审核时的内容，"
                 "请重新报送财政部门审核", rule="review.stale")
    return [form.issues.pop()]
