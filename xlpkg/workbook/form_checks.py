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
from .reader import FormRead, ReadResult, cell_text, read_project, read_project_file
from ..model import review_fingerprint
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




_CENT, _TINY = Decimal("0.005"), Decimal("1e-9")
Expected = list   # [(row offset, recomputed value, tolerance)]


def _share(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    """x/EffBudget as the sheet computes it: blank without both numbers or with a zero base."""
    if part is None or whole is None or whole == 0:
        return None
    return part / whole


def _quarterly(key: str, q: int):
    def expected(form: FormRead, m: ProjectMetrics) -> Expected:
        status = next((s for s in m.quarters if s.quarter == q), None)
        if status is None:
            return []
        if key == "Progress":
            return [(0, None if status.progress is None else status.progress / 100, _TINY)]
        if key == "Variance":
            return [(0, status.variance, Decimal("1e-7"))]
        if key == "PlanRate":
            return [(0, None if status.plan is None else status.plan / 100, _TINY)]
        return [(0, form.rules.light_label(status.light) if status.light else None, _CENT)]
    return expected


def _grade(form: FormRead, m: ProjectMetrics) -> Expected:
    ev = m.evaluation
    if not ev.issues or all(i.rule == "indicator.actual_missing" for i in ev.issues):
        return [(0, ev.grade, _CENT)]
    return []


def _uses(form: FormRead, m: ProjectMetrics, balance: bool) -> Expected:
    p = m.project
    if not form.uses_numeric or not p.uses:
        return []
    total = sum((u.amount for u in p.uses), Decimal(0))
    if not balance:
        return [(0, total, _TINY)]
    diff = (total - p.budget).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return [(0, "合计与预算数一致" if total == p.budget else f"合计与预算数相差{diff:.2f}万元", _CENT)]


def _fund_rates(form: FormRead, m: ProjectMetrics) -> Expected:
    funds = m.project.execution.funds
    out = []
    for offset, key in enumerate(L.FUND_KEYS):
        row = funds.get(key)
        if row is None:
            out.append((offset, None, _TINY))
            continue
        base = row.year_budget if row.year_budget is not None else row.budget
        out.append((offset, _share(row.year_spent, base), _TINY))
    return out


def _fund_check(form: FormRead, m: ProjectMetrics) -> Expected:
    p, funds = m.project, m.project.execution.funds.values()

    def agree(attr: str, total: Decimal | None) -> bool:
        values = [getattr(r, attr) for r in funds if getattr(r, attr) is not None]
        return total is None or not values or round(sum(values, Decimal(0)) - total, 6) == 0
    if not any(not r.is_blank() for r in funds):
        return [(0, None, _CENT)]
    ok = (agree("budget", p.budget) and agree("year_budget", p.execution.year_budget)
          and agree("year_spent", p.execution.year_spent))
    return [(0, "总额与分项合计一致" if ok else "总额与分项合计不一致", _CENT)]


def _medium_check(form: FormRead, m: ProjectMetrics) -> Expected:
    p = m.project
    medium, budget = p.medium_term_budget, p.budget
    if medium is None or budget is None:
        return [(0, None, _CENT)]
    if budget > medium:
        return [(0, "本年预算数超过中期资金总额", _CENT)]
    if medium == 0:
        return []   # 0/0: the sheet shows an error value, no claim to compare
    share = (budget / medium * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return [(0, f"本年预算占中期资金{share}%", _CENT)]


def _snapshot(attr: str):
    def expected(form: FormRead, m: ProjectMetrics) -> Expected:
        snap = m.monitoring
        value = getattr(snap, attr) if snap is not None else None
        if attr == "light":
            return [(0, form.rules.light_label(value) if value else None, _CENT)]
        return [(0, None if value is None else value / 100, _TINY)]
    return expected


# What every formula name of the layout recomputes to (``L.FORMULA_NAMES``; a test checks that
# no formula of the template is missing here, so a new formula cannot go unchecked).
EXPECTED = {
    "TotalScore": lambda f, m: [(0, m.evaluation.total, _CENT)],
    "ExecScore": lambda f, m: [(0, m.evaluation.execution_score, _CENT)],
    "ExecRate": lambda f, m: [(0, m.execution_rate, _TINY)],
    "CostControlRate": lambda f, m: [(0, m.cost_control_rate, _TINY)],
    "Grade": _grade,
    "IndScore": lambda f, m: [(f.ind_rows[s.index], s.shown_score, _CENT)
                              for s in m.evaluation.indicators if s.applicable],
    "IndWeight": lambda f, m: [(f.ind_rows[s.index], s.weight, Decimal("1e-6"))
                               for s in m.evaluation.indicators if s.applicable],
    "ExecWeight": lambda f, m: [(0, f.rules.weight("execution"), _TINY)],
    "ScoreScale": lambda f, m: [(0, m.evaluation.scale, Decimal("1e-6"))],
    "UsesTotal": lambda f, m: _uses(f, m, balance=False),
    "UsesBalance": lambda f, m: _uses(f, m, balance=True),
    "MonRate": _snapshot("execution_rate"),
    "MonForecastRate": _snapshot("forecast_rate"),
    "MonTimeProgress": _snapshot("time_progress"),
    "MonLight": _snapshot("light"),
    "FundRate": _fund_rates,
    "FundCheck": _fund_check,
    "EffBudget": lambda f, m: [(0, m.project.effective_budget, _TINY)],
    "EffSpent": lambda f, m: [(0, m.project.execution.year_spent, _TINY)],
    "MediumCheck": _medium_check,
    "GoalExpected": lambda f, m: [(0, m.project.goal or None, _CENT)],
    "UnitCost": lambda f, m: [(0, None if m.unit_cost is None else m.unit_cost.amount, Decimal("1e-9"))],
    "VerifiedTotalScore": lambda f, m: [(0, m.verified_total_score, _CENT)],
    "VerifiedGrade": lambda f, m: [(0, m.verified_grade, _CENT)],
    **{f"{key}Q{q}": _quarterly(key, q) for key in ("PlanRate", "Progress", "Variance", "Light")
       for q in range(1, 5)},
}

LABELS = {"MonRate": "1-X月执行率", "MonLight": "监控灯", "MonForecastRate": "全年预计执行率",
          "MonTimeProgress": "时间进度", "TotalScore": "总分", "ExecScore": "预算执行率得分",
          "ExecRate": "执行率", "CostControlRate": "成本控制率", "Grade": "自评等级",
          "IndScore": "指标得分", "IndWeight": "指标分值", "ExecWeight": "预算执行率分值",
          "ScoreScale": "折算系数", "UsesTotal": "资金用途合计", "UsesBalance": "资金用途核对",
          "FundRate": "分项执行率", "FundCheck": "总额与分项核对", "EffBudget": "预算数（监控表）",
          "EffSpent": "全年执行数（计算用）", "MediumCheck": "中期资金核对",
          "GoalExpected": "预期目标（自评表）", "UnitCost": "单位成本",
          "VerifiedTotalScore": "财政部门评定总分", "VerifiedGrade": "财政部门评定等级"}
_PREFIXES = {"Progress": "支出进度", "Variance": "进度偏差", "PlanRate": "计划进度", "Light": "灯色"}


def stale_results(form: FormRead, m: ProjectMetrics, cached: dict[str, Any]) -> list[Issue]:
    """Cached formula results that disagree with the Python recomputation, one issue per name.

    A blank cached cell is no claim (formulas leave free text to Python), so it never counts.
    """
    out = []
    for name in L.FORMULA_NAMES:
        value = cached.get(name)
        if value is None:
            continue
        for offset, computed, tolerance in EXPECTED[name](form, m):
            if isinstance(value, list) and offset >= len(value):
                continue
            have = value[offset] if isinstance(value, list) else value
            if have is None or have == "" or close_enough(have, computed, tolerance):
                continue
            if isinstance(computed, str) and cell_text(have) == computed:
                continue   # text as a person reads it (a mirrored 绩效目标 with spaces around)
            if name == "IndScore" and isinstance(have, str) and have.startswith("?"):
                # the sheet says why it cannot score this row: reported as form.sheet_blank
                continue
            label = LABELS.get(name) or (_PREFIXES[name[:-2]] + f"（第{name[-1]}季度）")
            shown = format_number(computed.quantize(Decimal("0.0001"))) if isinstance(computed, Decimal) else computed
            shown = "空" if shown is None else shown
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
