"""Business checks on a project: each rule of rules.json that looks at the model.

Every check returns issues, never raises: a form with ten problems shows all ten.
"""
from __future__ import annotations

import re
from decimal import Decimal

from .issues import Issue
from .metrics import SelfEvaluation, level_weights, round2, self_evaluation
from .model import BASIS_KINDS, Project
from .rules import Rules, load_rules, normalize_level2
from .targets import format_number, parse_actual, try_parse_target
from .scoring_target import ScoringTarget, scoring_target
from .metrics import monitoring_snapshot
from .model import fund_sum
from .targets import ActualError
from .cost import check_cost_standards, check_unit_cost_basis

HUNDRED = Decimal(100)


def _fmt(value: Decimal | None) -> str:
    """Amounts and percentages as an accountant writes them: 1400, 25.5, 0.01."""
    if value is None:
        return "空"
    if not value.is_finite() or abs(value) >= Decimal("1e15") or (value and abs(value) < Decimal("1e-6")):
        return f"{value:.6E}"   # never a 300-digit number in a message (1e-300 neither)
    return format_number(value)


def check_identity(p: Project, rules: Rules) -> list[Issue]:
    out = []
    if not re.fullmatch(rules.structure["dept_code_pattern"], p.dept_code.strip()):
        out.append(rules.issue("dept.code_format", "dept_code", value=p.dept_code))
    code = p.code.strip()
    forms = rules.code_forms()
    form = next((f for f in forms if re.fullmatch(f["pattern"], code)), None)
    if form is None:
        names = "或".join(f["name"] or f["pattern"] for f in forms)
        out.append(rules.issue("project.code_format", "code", value=p.code, forms=names))
    elif (form["embeds_dept"] and re.fullmatch(rules.structure["dept_code_pattern"], p.dept_code.strip())
          and not code.startswith(p.dept_code.strip())):
        out.append(rules.issue("project.code_dept", "code", value=p.code, dept=p.dept_code))
    if not p.name.strip():
        out.append(rules.issue("project.name_missing", "name"))
    return out


def check_budget(p: Project, rules: Rules) -> list[Issue]:
    out = []
    if p.budget <= 0:
        out.append(rules.issue("budget.positive", "budget", value=_fmt(p.budget)))
    if not p.uses:
        out.append(rules.issue("uses.missing", "uses"))
    else:
        total = sum((u.amount for u in p.uses), Decimal(0))
        if total != p.budget:
            out.append(rules.issue("uses.sum", "uses", total=_fmt(total), budget=_fmt(p.budget),
                                   diff=_fmt(total - p.budget)))
    return out


def check_plan(p: Project, rules: Rules) -> list[Issue]:
    out = []
    if len(p.plan) != 4:
        return [rules.issue("plan.quarters", "plan", count=len(p.plan))]
    for q, value in enumerate(p.plan):
        if not 0 <= value <= HUNDRED:
            out.append(rules.issue("plan.range", f"plan[{q}]", quarter=q + 1, value=_fmt(value)))
        if q and value < p.plan[q - 1]:
            out.append(rules.issue("plan.non_decreasing", f"plan[{q}]", quarter=q + 1,
                                   value=_fmt(value), previous=_fmt(p.plan[q - 1])))
    if p.plan[3] != HUNDRED:
        out.append(rules.issue("plan.ends_100", "plan[3]", value=_fmt(p.plan[3])))
    return out


def _scoring(ind, p: Project) -> ScoringTarget:
    return scoring_target(ind.target, year=p.year or None, last_actual=getattr(ind, "last_actual", None))


def _has_level1(p: Project, names: list[str]) -> bool:
    return any(ind.level1.strip() in names for ind in p.indicators)


def check_indicators(p: Project, rules: Rules) -> list[Issue]:
    out: list[Issue] = []
    if not p.indicators:
        return [rules.issue("indicator.none", "indicators")]
    level1s = rules.structure["level1"]
    seen: dict[str, int] = {}
    for i, ind in enumerate(p.indicators):
        at = f"indicators[{i}]"
        level1 = ind.level1.strip()
        if level1 not in level1s:
            out.append(rules.issue("indicator.level1_unknown", f"{at}.level1", value=ind.level1,
                                   allowed="、".join(level1s)))
        else:
            allowed = rules.level2_allowed(level1)
            if normalize_level2(ind.level2) not in {normalize_level2(a) for a in allowed}:
                out.append(rules.issue("indicator.level2_mismatch", f"{at}.level2", value=ind.level2,
                                       level1=level1, allowed="、".join(allowed)))
        name = ind.name.strip()
        if not name:
            out.append(rules.issue("indicator.name_missing", f"{at}.name"))
        elif name in seen:
            out.append(rules.issue("indicator.duplicate_name", f"{at}.name", name=name))
        else:
            seen[name] = i
        if not ind.target.strip():
            out.append(rules.issue("indicator.target_missing", f"{at}.target", name=name))
        else:
            how = _scoring(ind, p)
            if how.how == "qualitative":
                # scored like a 定性 row, never dropped from the totals (issue 21 #3)
                out.append(rules.issue("indicator.target_unparseable", f"{at}.target", name=name,
                                       detail=how.note))
        out.extend(_check_monitoring_choices(ind, at, rules))
    for alternatives in rules.structure["required_level1"]:
        if not _has_level1(p, alternatives):
            out.append(rules.issue("indicator.level1_required", "indicators", value="或".join(alternatives)))
    for alternatives in rules.structure["recommended_level1"]:
        if not _has_level1(p, alternatives):
            out.append(rules.issue("indicator.level1_recommended", "indicators", value="或".join(alternatives)))
    if not any(rules.is_cost(ind.level1, ind.level2) for ind in p.indicators):
        out.append(rules.issue("indicator.cost_missing", "indicators"))
    out.extend(_check_given_weights(p, rules))
    return out


def _check_given_weights(p: Project, rules: Rules) -> list[Issue]:
    """分值 typed under a level must add up to its weight ("下级指标录入合计应等于上级设置数");
    a negative one is an error, never re-spread over the others."""
    out = []
    for i, ind in enumerate(p.indicators):
        if ind.weight is not None and ind.weight < 0:
            out.append(rules.issue("indicator.weight_negative", f"indicators[{i}].weight",
                                   name=ind.name, value=_fmt(ind.weight)))
    lw = level_weights(p, rules)
    for group in rules.groups:
        label = rules.group_label(group)
        label = label[:-2] if label.endswith("指标") else label   # the message adds 指标
        if group not in lw.gaps or not lw.typed[group] or lw.gaps[group] == 0:
            continue
        last = max(i for i, ind in enumerate(p.indicators)
                   if ind.weight is not None and rules.group_of(ind.level1) == group)
        out.append(rules.issue("indicator.weight_total", f"indicators[{last}].weight", group=label,
                               total=_fmt(lw.totals[group]), limit=_fmt(rules.weight(group)),
                               diff=_fmt(rules.weight(group) - lw.totals[group])))
    return out


def _check_monitoring_choices(ind, at: str, rules: Rules) -> list[Issue]:
    out = []
    causes = rules.monitoring["deviation_causes"]
    for category in ind.causes:   # v2: one text per category; the categories are the rulebook's
        if category.strip() not in causes:
            out.append(rules.issue("indicator.cause_unknown", f"{at}.causes", name=ind.name,
                                   value=category, allowed="、".join(causes)))
    likelihoods = rules.monitoring["likelihoods"]
    if ind.likelihood.strip() and ind.likelihood.strip() not in likelihoods:
        out.append(rules.issue("indicator.likelihood_unknown", f"{at}.likelihood", name=ind.name,
                               value=ind.likelihood, allowed="、".join(likelihoods)))
    return out


def check_execution(p: Project, rules: Rules) -> list[Issue]:
    out = []
    ex = p.execution
    budget = p.effective_budget
    if ex.year_budget is not None and ex.year_budget <= 0:
        out.append(rules.issue("execution.year_budget", "execution.year_budget", value=_fmt(ex.year_budget)))
    previous = None
    for q, value in enumerate(ex.actual_cumulative):
        if value is None:
            continue
        at = f"execution.actual_cumulative[{q}]"
        if value < 0:
            out.append(rules.issue("execution.negative", at, quarter=q + 1, value=_fmt(value)))
        if previous is not None and value < previous:
            out.append(rules.issue("execution.decreasing", at, quarter=q + 1, value=_fmt(value),
                                   previous=_fmt(previous)))
        if budget > 0 and value > budget:
            out.append(rules.issue("execution.over_budget", at, what=f"第{q + 1}季度累计支出",
                                   value=_fmt(value), budget=_fmt(budget)))
        if budget > 0 and len(p.plan) == 4:
            progress = value / budget * HUNDRED
            gap = p.plan[q] - progress
            if gap > Decimal(str(rules.monitoring["variance_tolerance"])):
                out.append(rules.issue("execution.behind_plan", at, quarter=q + 1,
                                       progress=_fmt(round(progress, 2)), plan=_fmt(p.plan[q]),
                                       gap=_fmt(round(gap, 2))))
        previous = value
    if ex.year_spent is None and any(ind.actual.strip() for ind in p.indicators):
        # self-evaluated without 全年执行数: the 执行率 points are 0 in the total, never silently
        out.append(rules.issue("execution.year_spent_missing", "execution.year_spent"))
    if ex.year_spent is not None and ex.year_spent < 0:
        out.append(rules.issue("execution.year_spent_negative", "execution.year_spent",
                               value=_fmt(ex.year_spent)))
    if ex.year_spent is not None and budget > 0 and ex.year_spent > budget:
        out.append(rules.issue("execution.over_budget", "execution.year_spent", what="全年执行数",
                               value=_fmt(ex.year_spent), budget=_fmt(budget)))
    if (ex.year_spent is not None and budget > 0 and not ex.deviation_reason.strip()
            and ex.year_spent / budget * HUNDRED < rules.low_execution_rate):
        out.append(rules.issue("execution.reason_missing", "execution.deviation_reason",
                               rate=_fmt(round(ex.year_spent / budget * HUNDRED, 2)),
                               limit=_fmt(rules.low_execution_rate)))
    return out


def check_self_evaluation(p: Project, rules: Rules,
                          evaluation: SelfEvaluation | None = None) -> list[Issue]:
    """Actuals that cannot be scored, once the self-evaluation has started: a form still in
    its declaration stage has no actuals and should not be flooded with warnings."""
    started = p.execution.year_spent is not None or any(ind.actual.strip() for ind in p.indicators)
    if not started:
        return []
    ev = evaluation or self_evaluation(p, rules)
    out = list(ev.issues)
    if not any(s.applicable and s.weight > 0 for s in ev.indicators):
        out.append(rules.issue("indicator.no_scored_weight", "indicators"))
    factor, _ = rules.overachievement
    for s in ev.indicators:
        ind = p.indicators[s.index]
        at = f"indicators[{s.index}]"
        if ind.rated_score is not None and s.applicable and s.mode not in (None, "qualitative"):
            out.append(rules.issue("indicator.rated_score_ignored", f"{at}.rated_score", name=ind.name,
                                   value=_fmt(ind.rated_score)))
        if not s.applicable or s.issue is not None or ind.analysis.strip():
            continue
        if round2(s.score) < round2(s.weight):
            out.append(rules.issue("indicator.analysis_missing", f"{at}.analysis", name=ind.name,
                                   score=_fmt(round2(s.score)), weight=_fmt(round2(s.weight))))
        elif s.mode == "positive":
            target = _scoring(ind, p).target
            try:
                actual = parse_actual(ind.actual, target)
            except Exception:
                continue
            if target.value > 0 and actual > factor * target.value:
                out.append(rules.issue("indicator.overachieved", f"{at}.analysis", name=ind.name,
                                       actual=ind.actual.strip(), target=ind.target.strip(),
                                       factor=_fmt(factor)))
    return out


# --- v2 blocks: monitoring snapshot, 整改, fund rows, multi-year -------------------------------

def check_monitoring(p: Project, rules: Rules) -> list[Issue]:
    mon, out = p.monitoring, []
    if mon.month is None and (mon.spent is not None or mon.forecast_year_spent is not None):
        out.append(rules.issue("monitoring.month_missing", "monitoring.month"))
    budget = p.effective_budget
    for value, what, at in ((mon.spent, "1-X月执行数", "monitoring.spent"),
                            (mon.forecast_year_spent, "全年预计执行数", "monitoring.forecast_year_spent")):
        if value is not None and budget > 0 and value > budget:
            out.append(rules.issue("monitoring.spent_over", at, what=what, value=_fmt(value),
                                   budget=_fmt(budget)))
    return out


def check_rectification(p: Project, rules: Rules) -> list[Issue]:
    """A red light or a goal that cannot be met asks for a decision on 整改."""

    rect, out = p.rectification, []
    if rect.needed is None:
        hopeless = rules.monitoring["likelihoods"][-1]
        reasons = []
        if monitoring_snapshot(p, rules).light == "red":
            reasons.append(f"监控灯为{rules.light_label('red')}")
        names = [ind.name for ind in p.indicators if ind.likelihood.strip() == hopeless]
        if names:
            reasons.append(f"指标“{'、'.join(names[:3])}”完成目标可能性为{hopeless}")
        if reasons:
            out.append(rules.issue("rectification.missing", "rectification.needed",
                                   reason="；".join(reasons)))
    elif rect.needed and not rect.advice.strip():
        out.append(rules.issue("rectification.advice_missing", "rectification.advice"))
    return out


def check_fund_rows(p: Project, rules: Rules) -> list[Issue]:
    """年度资金总额 against 其中：财政拨款 / 上年结转 / 其他资金 (a blank total is their sum)."""

    ex, out = p.execution, []
    if not ex.funds:
        return out
    initial = fund_sum(ex.funds, "budget")
    if initial is not None and initial != p.budget:
        out.append(rules.issue("execution.fund_budget", "execution.funds.fiscal.budget",
                               sum=_fmt(initial), budget=_fmt(p.budget)))
    for attr, what in (("year_budget", "全年预算数"), ("year_spent", "全年执行数")):
        total, rows = getattr(ex, attr), fund_sum(ex.funds, attr)
        if total is not None and rows is not None and total != rows:
            out.append(rules.issue("execution.fund_total", f"execution.{attr}", what=what,
                                   total=_fmt(total), sum=_fmt(rows)))
    return out


def check_multi_year(p: Project, rules: Rules) -> list[Issue]:
    out, period = [], p.period
    if period is not None and period.start is not None and period.end is not None:
        if period.start > period.end:
            out.append(rules.issue("period.order", "period.start", start=period.start, end=period.end))
        elif p.year and not period.start <= p.year <= period.end:
            out.append(rules.issue("period.year", "period.start", year=p.year, start=period.start,
                                   end=period.end))
    if p.medium_term_budget is not None and p.budget > p.medium_term_budget:
        out.append(rules.issue("medium.over_budget", "medium_term_budget", budget=_fmt(p.budget),
                               medium=_fmt(p.medium_term_budget)))
    return out


CHECKS = (check_identity, check_budget, check_plan, check_indicators, check_execution,
          check_monitoring, check_rectification, check_fund_rows, check_multi_year)
# Rules about blocks a v1 workbook does not have: its reader skips them, so a v1 form checks
# exactly as it did before v2.
V2_ONLY_RULES = frozenset({
    "monitoring.month_missing", "monitoring.spent_over", "rectification.missing",
    "rectification.advice_missing", "execution.fund_total", "execution.fund_budget",
    "period.order", "period.year", "medium.over_budget"})

# A 实际完成值 far outside any sensible range still scores (a 1e10 % completion is "met"):
# say so, so that a typing accident does not pass as full marks.
UNUSUAL_PERCENT = Decimal(1000)


def check_actual_values(p: Project, rules: Rules) -> list[Issue]:

    out = []
    for i, ind in enumerate(p.indicators):
        if not ind.actual.strip() or not ind.target.strip():
            continue
        target = _scoring(ind, p).target
        if target.kind not in ("quantitative", "range"):
            continue
        try:
            value = parse_actual(ind.actual, target)
        except (ActualError, ValueError, ArithmeticError):
            continue   # reported by the self-evaluation as indicator.actual_invalid
        if not isinstance(value, Decimal):
            continue
        # A negative 控制率 under a ceiling (≤5 %) is normal: only a quantity to reach is absurd
        # below zero.
        to_reach = target.op in ("≥", ">", "=", None) and (target.value or 0) > 0
        detail = ("为负数" if value < 0 and to_reach else
                  f"超过{UNUSUAL_PERCENT}%" if target.unit == "%" and value > UNUSUAL_PERCENT else "")
        if detail:
            out.append(rules.issue("indicator.actual_unusual", f"indicators[{i}].actual",
                                   name=ind.name, value=ind.actual[:40], detail=detail))
    return out


def _past_number(text: str, target) -> Decimal | None:
    """A past actual or 历史值 in the target's terms, or None when it is not a number."""
    try:
        value = parse_actual(text, target)
    except (ActualError, ValueError, ArithmeticError):
        return None
    return value if isinstance(value, Decimal) else None


def check_history(p: Project, rules: Rules) -> list[Issue]:
    """v3 (issue 24): the chosen 设定依据 against the cost level and the indicator's history."""
    out = []
    for i, ind in enumerate(p.indicators):
        at, name, kind = f"indicators[{i}]", ind.name.strip(), ind.basis_kind.strip()
        if kind and kind not in BASIS_KINDS:
            out.append(rules.issue("indicator.basis_kind_unknown", f"{at}.basis_kind", name=name,
                                   value=kind[:40], allowed="、".join(BASIS_KINDS)))
        if kind == "预算支出标准" and not rules.is_cost(ind.level1, ind.level2):
            out.append(rules.issue("indicator.basis_kind_mismatch", f"{at}.basis_kind", name=name,
                                   value=kind))
        target, _ = try_parse_target(ind.target, year=p.year) if ind.target.strip() else (None, None)
        if target is None or target.kind != "quantitative" or target.value is None:
            continue
        history = _past_number(ind.history_value, target) if ind.history_value.strip() else None
        if kind == "历史标准" and history is not None:
            low = target.direction == "positive" and target.value < history
            high = target.direction == "negative" and target.value > history
            if low or high:
                out.append(rules.issue("indicator.below_history", f"{at}.target", name=name,
                                       target=ind.target, history=ind.history_value,
                                       relation="低于" if low else "高于（反向指标）"))
        last = _past_number(ind.last_actual, target) if ind.last_actual.strip() else None
        if (last is not None and target.direction == "positive" and target.value < last
                and normalize_level2(ind.level2) in ("数量", "质量")):
            out.append(rules.issue("indicator.target_below_last_actual", f"{at}.target", name=name,
                                   target=ind.target, last=ind.last_actual))
    return out


def check(project: Project, rules: Rules | None = None, *,
          evaluation: SelfEvaluation | None = None) -> list[Issue]:
    """All business checks of the rulebook on one project (``evaluation``: the project's
    self-evaluation if the caller has computed it already)."""
    rules = rules or load_rules()
    issues: list[Issue] = []
    for run in (*CHECKS, check_actual_values, check_history, check_cost_standards, check_unit_cost_basis):
        issues.extend(run(project, rules))
    issues.extend(check_self_evaluation(project, rules, evaluation))
    return issues
