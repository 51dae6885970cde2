"""The performance maths: rates, progress, variance, lights, indicator scores, the 100-point
self-evaluation, the monitoring snapshot and department totals.

Rates are fractions (0.95 means 95 %); variances are percentage points. Nothing is rounded
until a score is shown: the template's formulas round at the same places (indicator and
execution scores to 2 decimals for display, the total from unrounded parts), so Python, the
sheet and the UDFs agree to the cent.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import NamedTuple
from decimal import Decimal, ROUND_HALF_UP

from .cost import UnitCost, unit_cost
from .issues import Issue
from .model import Project
from .rules import GROUP_LABELS, Rules, load_rules  # noqa: F401  (GROUP_LABELS: still exported here)
from .targets import ActualError, Target, TargetError, format_number, parse_actual, parse_target
from .scoring_target import scoring_target

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
# The scoring levels are the rulebook's (``Rules.groups``); these are the default rulebook's
# (财预〔2020〕10号), kept for callers that print them.
GROUPS = ("output", "benefit", "satisfaction")
MONEY_UNITS = ("元", "万元", "亿元")


def round2(value: Decimal) -> Decimal:
    """Excel's ROUND(x, 2): half away from zero."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _dec(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


# --- money and progress -----------------------------------------------------

def execution_rate(spent, budget) -> Decimal | None:
    """执行率 = 执行数 ÷ 预算数; None when there is no budget to divide by."""
    if spent is None or budget is None or _dec(budget) == 0:
        return None
    return _dec(spent) / _dec(budget)


spend_progress = execution_rate  # 支出进度 at a quarter: cumulative actual ÷ budget


def cost_control_rate(actual, planned) -> Decimal | None:
    """成本（预算）控制率 = (实际成本 − 计划成本) ÷ 计划成本; negative means under plan."""
    if actual is None or planned is None or _dec(planned) == 0:
        return None
    return (_dec(actual) - _dec(planned)) / _dec(planned)


def quarter_variances(plan_percent, actual_cumulative, budget) -> list[Decimal | None]:
    """Actual minus planned cumulative progress per quarter, in percentage points."""
    out = []
    for plan, actual in zip(plan_percent, actual_cumulative):
        progress = spend_progress(actual, budget)
        out.append(None if progress is None or plan is None else progress * HUNDRED - _dec(plan))
    return out


def time_progress(quarter: int) -> Decimal:
    """Share of the year elapsed at the end of a quarter, in percent."""
    return Decimal(25 * quarter)


def light(progress_percent, reference_percent, rules: Rules | None = None) -> str | None:
    """Monitoring light from progress ÷ reference × 100 (reference: plan or time progress)."""
    rules = rules or load_rules()
    if progress_percent is None or reference_percent is None:
        return None
    reference = _dec(reference_percent)
    if reference <= 0:
        return rules.light(HUNDRED)  # nothing was due yet, so nothing is late
    return rules.light(_dec(progress_percent) / reference * HUNDRED)


@dataclass
class QuarterStatus:
    quarter: int
    plan: Decimal | None          # planned cumulative %, as on the form
    actual: Decimal | None        # cumulative actual spending, 万元
    progress: Decimal | None      # actual ÷ budget, percent
    variance: Decimal | None      # progress − plan, percentage points
    light: str | None


def quarter_status(project: Project, rules: Rules | None = None) -> list[QuarterStatus]:
    rules = rules or load_rules()
    budget = project.effective_budget
    plan = list(project.plan) + [None] * (4 - len(project.plan))
    use_time = rules.monitoring["light_reference"] == "time"
    out = []
    for q in range(4):
        actual = project.execution.actual_cumulative[q]
        rate = spend_progress(actual, budget)
        progress = None if rate is None else rate * HUNDRED
        variance = None if progress is None or plan[q] is None else progress - plan[q]
        reference = time_progress(q + 1) if use_time else plan[q]
        out.append(QuarterStatus(q + 1, plan[q], actual, progress, variance,
                                 light(progress, reference, rules)))
    return out


# --- indicator scores --------------------------------------------------------

def score_mode(target: Target, *, is_cost: bool, rules: Rules) -> str:
    """How a target is scored: positive, negative, range, date or qualitative."""
    if target.kind in ("range", "date", "qualitative"):
        return target.kind
    if target.op in ("≥", ">"):
        return "positive"
    if target.op in ("≤", "<"):
        return "negative"
    # '=': a plain "100%" or "1套" is something to reach, but a cost written as an amount
    # ("1400万元" under 成本指标) is a ceiling; a cost rate such as 预算资金完成率 "100%" is not.
    # A target of 0 can only be undercut.
    if target.value == 0 or (is_cost and target.unit in MONEY_UNITS
                             and rules.scoring["equal_cost_as_ceiling"]):
        return "negative"
    return "positive"


def _positive_ratio(actual: Decimal, target: Decimal, rules: Rules | None = None) -> Decimal:
    if actual >= target:
        if rules is not None and target > 0:
            factor, deduct = rules.overachievement
            if deduct and actual > factor * target:
                # 财预〔2020〕10号 allows a deduction for a target set far too low
                return max(ZERO, ONE - (actual - factor * target) / target)
        return ONE
    if target <= 0:
        return ZERO
    return max(ZERO, actual / target)


def _negative_ratio(actual: Decimal, target: Decimal, mode: str) -> Decimal:
    if actual <= target:
        return ONE
    if mode == "ratio":
        return target / actual if target > 0 else ZERO
    if target <= 0:
        return ZERO
    return max(ZERO, ONE - (actual - target) / target)


def score_ratio(target: Target, actual, *, is_cost: bool = False, rules: Rules | None = None) -> Decimal:
    """Share of the indicator's 分值 earned, in [0, 1]. Raises ActualError for unusable actuals."""
    rules = rules or load_rules()
    mode = score_mode(target, is_cost=is_cost, rules=rules)
    if mode == "qualitative":
        return target.evaluate(actual, grades=rules.qualitative_grades()).ratio
    value = parse_actual(actual, target)
    if mode == "date":
        if isinstance(value, _dt.date):
            met = value <= target.deadline
        else:
            met = target.evaluate(actual).met
        return ONE if met else Decimal(str(rules.scoring["late_date_ratio"]))
    if mode == "range":
        if value < target.value:
            return _positive_ratio(value, target.value)
        return _negative_ratio(value, target.value2, rules.scoring["negative_mode"])
    if mode == "positive":
        return _positive_ratio(value, target.value, rules)
    return _negative_ratio(value, target.value, rules.scoring["negative_mode"])


def indicator_score(target: Target | str, actual, weight, *, is_cost: bool = False,
                    rules: Rules | None = None) -> Decimal:
    """Points earned (unrounded) out of ``weight``."""
    if isinstance(target, str):
        target = parse_target(target)
    return score_ratio(target, actual, is_cost=is_cost, rules=rules) * _dec(weight)


@dataclass
class IndicatorScore:
    index: int
    name: str
    group: str | None
    weight: Decimal            # allocated 分值 (unrounded)
    score: Decimal             # earned points (unrounded)
    applicable: bool
    issue: Issue | None = None
    mode: str | None = None    # positive / negative / range / date / qualitative, when scored
    ratio: Decimal | None = None

    @property
    def shown_score(self) -> Decimal:
        return round2(self.score)


@dataclass
class SelfEvaluation:
    total: Decimal                          # 0–100, rounded to 2 decimals
    grade: str
    execution_rate: Decimal | None
    execution_score: Decimal                # rounded to 2 decimals
    groups: dict[str, dict[str, Decimal]]   # group → {"weight", "score"} (before rescaling)
    scale: Decimal                          # 100 ÷ points available
    indicators: list[IndicatorScore] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    # False while the self-evaluation has not started (no 全年执行数 and no 实际完成值): the
    # total is then no score at all, and summaries leave it out of grades and averages.
    started: bool = True
    # Why the total is no valid score although it is computed (a negative 分值): shown so,
    # never as a grade a person could take for the result.
    invalid: str = ""


def evaluation_started(project: Project) -> bool:
    """Whether a form's self-evaluation has begun: a 全年执行数 or any 实际完成值 is entered."""
    return (project.execution.year_spent is not None
            or any(ind.actual.strip() for ind in project.indicators))


@dataclass
class LevelWeights:
    """One level's 分值 as allocated: per indicator, the level's gap to its weight, and whether
    any 分值 was typed (then they must add up to the weight, "下级指标录入合计应等于上级设置数")."""
    weights: list[Decimal]
    gaps: dict[str, Decimal]          # group → weight − Σ allocated 分值 (0 when none typed)
    typed: dict[str, bool]
    totals: dict[str, Decimal]        # group → Σ allocated 分值 incl. not-applicable typed ones


def level_weights(project: Project, rules: Rules | None = None) -> LevelWeights:
    """分值 per indicator: typed ones kept (a negative one counts 0), each level's remainder
    split evenly among applicable indicators without one; 0 when not scored."""
    rules = rules or load_rules()
    weights = [ZERO] * len(project.indicators)
    gaps, typed, totals = {}, {}, {}
    for group in rules.groups:
        level = [i for i, ind in enumerate(project.indicators) if rules.group_of(ind.level1) == group]
        members = [i for i in level if project.indicators[i].applicable]
        given_all = [i for i in level if project.indicators[i].weight is not None]
        given = [i for i in members if project.indicators[i].weight is not None]
        free = [i for i in members if project.indicators[i].weight is None]
        negative = [i for i in given if project.indicators[i].weight < 0]
        for i in given:
            weights[i] = max(ZERO, project.indicators[i].weight)
        rest = ZERO
        if free:
            rest = max(ZERO, rules.weight(group) - sum((weights[i] for i in given), ZERO))
            # a negative 分值 takes its even share and loses it: never re-spread over the others
            share = rest / (len(free) + len(negative))
            for i in free:
                weights[i] = share
            rest = share * len(free)
        total = sum((max(ZERO, project.indicators[i].weight) for i in given_all), ZERO) + rest
        typed[group] = bool(given_all)
        totals[group] = total
        gaps[group] = rules.weight(group) - total if given_all else ZERO
    return LevelWeights(weights, gaps, typed, totals)


def allocate_weights(project: Project, rules: Rules | None = None) -> list[Decimal]:
    """分值 per indicator (see ``level_weights``)."""
    return level_weights(project, rules).weights


def _rated(ind, i: int, ratio: Decimal, weight: Decimal, rules: Rules) -> tuple[Decimal, Issue | None]:
    """A 定性 indicator's ratio with the evaluator's score (评分) inside the tier's band."""
    if ind.rated_score is None or weight <= 0:
        return ratio, None
    tier = rules.tier_of(ratio)
    rated = ind.rated_score / weight
    if tier["min"] <= rated and (rated < tier["max"] or (tier["max"] >= 1 and rated <= tier["max"])):
        return rated, None
    band = (f"{format_number(tier['min'] * HUNDRED)}%–{format_number(tier['max'] * HUNDRED)}%")
    return ratio, rules.issue("indicator.rated_score_band", f"indicators[{i}].rated_score",
                              name=ind.name, value=format_number(ind.rated_score), tier=tier["tier"],
                              low=format_number(round2(tier["min"] * weight)),
                              high=format_number(round2(tier["max"] * weight)),
                              weight=format_number(round2(weight)), band=band)


def self_evaluation(project: Project, rules: Rules | None = None) -> SelfEvaluation:
    """The 100-point 项目支出绩效自评: 执行率 10, then the rulebook's levels (财预〔2020〕10号:
    产出 50, 效益 30, 满意度 10; 财预〔2021〕101号: 产出 40, 成本 10, 效益 30, 满意度 10).

    Points a level's typed 分值 leave unallocated are lost, not rescaled away (the form's own
    arithmetic); levels without applicable indicators are dropped and the total rescaled to 100
    (``missing_level: rescale``) or their weight given to the other levels
    (``redistribute``: 执行率 keeps its weight)."""
    rules = rules or load_rules()
    rate = execution_rate(project.execution.year_spent, project.effective_budget)
    exec_weight = rules.weight("execution")
    exec_raw = min(rate, ONE) * exec_weight if rate is not None else ZERO
    exec_raw = max(exec_raw, ZERO)
    lw = level_weights(project, rules)
    weights = lw.weights
    groups = {g: {"weight": ZERO, "score": ZERO} for g in rules.groups}
    scores: list[IndicatorScore] = []
    issues: list[Issue] = []
    for i, (ind, weight) in enumerate(zip(project.indicators, weights)):
        group = rules.group_of(ind.level1)
        scored = ind.applicable and group is not None
        earned, problem, mode, ratio = ZERO, None, None, None
        if scored:
            where = f"indicators[{i}].actual"
            if not ind.actual.strip():
                problem = rules.issue("indicator.actual_missing", where, name=ind.name)
            else:
                try:
                    target = scoring_target(ind.target, year=project.year or None,
                                            last_actual=getattr(ind, "last_actual", None)).target
                    is_cost = rules.is_cost(ind.level1, ind.level2)
                    mode = score_mode(target, is_cost=is_cost, rules=rules)
                    ratio = score_ratio(target, ind.actual, is_cost=is_cost, rules=rules)
                    if mode == "qualitative":
                        ratio, band_problem = _rated(ind, i, ratio, weight, rules)
                        if band_problem:
                            issues.append(band_problem)
                    earned = ratio * weight
                except (TargetError, ActualError) as exc:
                    problem = rules.issue("indicator.actual_invalid", where, name=ind.name, detail=str(exc))
            groups[group]["weight"] += weight
            groups[group]["score"] += earned
        if problem:
            issues.append(problem)
        scores.append(IndicatorScore(i, ind.name, group, weight, earned, scored, problem, mode, ratio))
    # a level's unallocated 分值 still count as available: they are lost, not rescaled away
    for g in rules.groups:
        if groups[g]["weight"] > 0 or any(s.applicable and s.group == g for s in scores):
            groups[g]["weight"] += max(ZERO, lw.gaps[g])
    indicator_points = sum((g["weight"] for g in groups.values()), ZERO)
    indicator_raw = sum((g["score"] for g in groups.values()), ZERO)
    if indicator_points == 0:
        # nothing to rescale: 98 (优) from the execution score alone would be a false grade
        scale = ONE
        total = round2(exec_raw + indicator_raw)
    elif rules.missing_level == "redistribute":
        scale = (HUNDRED - exec_weight) / indicator_points
        total = round2(exec_raw + indicator_raw * scale)
    else:
        scale = HUNDRED / (exec_weight + indicator_points)
        total = round2((exec_raw + indicator_raw) * scale)
    negative = [ind.name for ind, s in zip(project.indicators, scores)
                if s.applicable and ind.weight is not None and ind.weight < 0]
    invalid = (f"三级指标“{'、'.join(negative[:3])}”的分值为负数，总分无效" if negative else "")
    return SelfEvaluation(total=total, grade=rules.grade(total), execution_rate=rate,
                          execution_score=round2(exec_raw), groups=groups, scale=scale,
                          indicators=scores, issues=issues, started=evaluation_started(project),
                          invalid=invalid)


# --- the monitoring snapshot "截至X月" (财预〔2019〕136号) ----------------------------
# 执行率 = 1–X月执行数 ÷ 全年预算数 (年初预算数 when not adjusted); time progress = X ÷ 12; the
# light compares them: 执行率 ÷ time progress × 100 in the rulebook's bands. The template's
# MonRate, MonTimeProgress and MonLight formulas compute the same numbers.

@dataclass
class MonitoringSnapshot:
    month: int | None
    execution_rate: Decimal | None        # percent
    time_progress: Decimal | None         # percent
    forecast_rate: Decimal | None         # 全年预计执行数 ÷ 预算数, percent
    light: str | None                     # red / yellow / green


def _percent(value: Decimal | None) -> Decimal | None:
    return None if value is None else value * HUNDRED


def monitoring_snapshot(project: Project, rules: Rules | None = None) -> MonitoringSnapshot:
    rules = rules or load_rules()
    mon, budget = project.monitoring, project.effective_budget
    rate = _percent(execution_rate(mon.spent, budget))
    time = None if mon.month is None else Decimal(mon.month) * HUNDRED / 12
    return MonitoringSnapshot(
        month=mon.month, execution_rate=rate, time_progress=time,
        forecast_rate=_percent(execution_rate(mon.forecast_year_spent, budget)),
        light=light(rate, time, rules))


# --- whole project and department -------------------------------------------

@dataclass
class ProjectMetrics:
    project: Project
    quarters: list[QuarterStatus]
    execution_rate: Decimal | None
    cost_control_rate: Decimal | None
    evaluation: SelfEvaluation
    monitoring: MonitoringSnapshot | None = None   # the "截至X月" snapshot
    unit_cost: UnitCost | None = None              # 全年执行数 ÷ the chosen 数量指标's actual
    verified_total_score: Decimal | None = None   # v3 (issue 25): 评定总分, see verified_total
    verified_grade: str | None = None


def project_metrics(project: Project, rules: Rules | None = None) -> ProjectMetrics:
    rules = rules or load_rules()
    budget = project.effective_budget
    m = ProjectMetrics(
        project=project,
        quarters=quarter_status(project, rules),
        execution_rate=execution_rate(project.execution.year_spent, budget),
        cost_control_rate=cost_control_rate(project.execution.year_spent, budget),
        evaluation=self_evaluation(project, rules),
        monitoring=monitoring_snapshot(project, rules),
        unit_cost=unit_cost(project),
    )
    m.verified_total_score = verified_total(project, m.evaluation, rules)
    m.verified_grade = None if m.verified_total_score is None else rules.grade(m.verified_total_score)
    return m


# --- v3 (issue 25): the finance bureau's 评定总分 ------------------------------------------------

def verified_total(project: Project, ev: SelfEvaluation, rules: Rules) -> Decimal | None:
    """评定总分: the 总分 with the bureau's 评定得分 in place of each scored row's 得分 (the same
    execution points and the same 折算系数), so a bureau that confirms every 自评得分 gets the
    自评总分. None until every scored row has a 评定得分, as the form's VerifiedTotalScore."""
    rows = [s for s in ev.indicators if s.applicable]
    verified = [project.indicators[s.index].verified_score for s in rows]
    if not rows or any(v is None for v in verified) or not ev.started:
        return None
    rate = ev.execution_rate
    exec_raw = max(min(rate, ONE) * rules.weight("execution"), ZERO) if rate is not None else ZERO
    points = sum(verified, ZERO)
    if rules.missing_level == "redistribute":
        return round2(exec_raw + points * ev.scale)
    return round2((exec_raw + points) * ev.scale)



@dataclass
class DepartmentTotal:
    dept_code: str
    dept_name: str
    projects: int
    budget: Decimal
    spent: Decimal                      # Σ of the 全年执行数 that are entered
    execution_rate: Decimal | None      # Σ spent ÷ Σ budget of those projects, never a mean of rates
    weighted_score: Decimal | None      # Σ (score × budget) ÷ Σ budget, evaluated projects only
    grades: dict[str, int]              # evaluated projects only
    lights: dict[str, int]              # light of the last quarter with data
    spent_missing: int = 0              # projects without a 全年执行数: not summed as 0
    unevaluated: int = 0                # projects whose self-evaluation has not started
    # issue 26: Σ (成本 level points × budget) ÷ Σ budget over evaluated projects with 成本指标,
    # where the rulebook scores 成本 as a level of its own; None otherwise
    cost_score: Decimal | None = None


class DeptShare(NamedTuple):
    """What one project adds to its department's totals: all ``department_totals`` and the
    summary's quarterly progress read, and no more (a province's 100,000 projects are held
    in memory until every form is read; a whole ``ProjectMetrics`` is ten times this)."""

    dept_code: str
    dept_name: str
    budget: Decimal                          # 全年预算数 (else 年初预算数): every rate's denominator
    spent: Decimal | None                    # 全年执行数; None when not entered
    started: bool                            # self-evaluation started
    total: Decimal                           # 自评得分
    grade: str
    last_light: str | None                   # light of the last quarter with data
    plans: tuple[Decimal | None, ...]        # planned cumulative % per quarter
    actuals: tuple[Decimal | None, ...]      # cumulative spending per quarter, 万元
    cost_score: Decimal | None = None        # 成本 level points (issue 26), when scored on its own
    review_grade: str = ""                   # v3 (issue 25): 审核结果
    verified_total: Decimal | None = None    # v3 (issue 25): 评定总分


def level_score(ev: SelfEvaluation, group: str | None) -> Decimal | None:
    """A level's earned points (before rescaling); None when the level is not in the rulebook,
    has no scored indicator, or the self-evaluation has not started."""
    part = ev.groups.get(group) if group else None
    if part is None or part["weight"] <= 0 or not getattr(ev, "started", True):
        return None
    return part["score"]


def dept_share(m: ProjectMetrics, dept_code: str | None = None, cost_group: str | None = None) -> DeptShare:
    p, ev = m.project, m.evaluation
    return DeptShare(
        dept_code=p.dept_code if dept_code is None else dept_code, dept_name=p.dept_name,
        budget=p.effective_budget, spent=p.execution.year_spent,
        started=getattr(ev, "started", True), total=ev.total, grade=ev.grade,
        last_light=_last_light(m.quarters),
        plans=tuple(q.plan for q in m.quarters), actuals=tuple(q.actual for q in m.quarters),
        cost_score=level_score(ev, cost_group),
        review_grade=p.review.grade if p.review else "", verified_total=m.verified_total_score)


def _last_light(quarters: list[QuarterStatus]) -> str | None:
    lit = [q.light for q in quarters if q.light is not None]
    return lit[-1] if lit else None


def department_totals(metrics: "list[ProjectMetrics | DeptShare]", rules: Rules | None = None
                      ) -> list[DepartmentTotal]:
    """Totals per department (in order of first appearance) by summing amounts first."""
    rules = rules or load_rules()
    grade_names = [band["grade"] for band in rules.scoring["grades"]]
    order: dict[str, list[DeptShare]] = {}
    for m in metrics:
        share = m if isinstance(m, DeptShare) else dept_share(m)
        order.setdefault(share.dept_code, []).append(share)
    totals = []
    for code, members in order.items():
        budget = sum((m.budget for m in members), ZERO)
        # A missing 全年执行数 is not a zero: the rate divides the entered amounts by their
        # own projects' budgets, and the count of the others is reported.
        with_spent = [m for m in members if m.spent is not None]
        spent = sum((m.spent for m in with_spent), ZERO)
        spent_budget = sum((m.budget for m in with_spent), ZERO)
        evaluated = [m for m in members if m.started]
        eval_budget = sum((m.budget for m in evaluated), ZERO)
        weighted = sum((m.total * m.budget for m in evaluated), ZERO)
        grades = {g: 0 for g in grade_names}
        lights = {band["light"]: 0 for band in rules.monitoring["lights"]}
        for m in evaluated:
            grades[m.grade] = grades.get(m.grade, 0) + 1
        for m in members:
            if m.last_light:
                lights[m.last_light] += 1
        costed = [m for m in evaluated if getattr(m, "cost_score", None) is not None]
        cost_budget = sum((m.budget for m in costed), ZERO)
        cost_score = (sum((m.cost_score * m.budget for m in costed), ZERO) / cost_budget
                      if cost_budget else None)
        totals.append(DepartmentTotal(
            dept_code=code, dept_name=members[0].dept_name, projects=len(members),
            budget=budget, spent=spent,
            execution_rate=execution_rate(spent, spent_budget) if with_spent else None,
            weighted_score=weighted / eval_budget if eval_budget else None, grades=grades,
            lights=lights, spent_missing=len(members) - len(with_spent),
            unevaluated=len(members) - len(evaluated), cost_score=cost_score))
    return totals
