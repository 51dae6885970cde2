"""The department's numbers: budget execution, the common indicators of 财预〔2013〕53号,
its projects' self-evaluation, the 100-point total and grade.

Pure Python on ``Department`` (no workbook library): the department workbook's formulas
mirror these functions step by step, and the tests recalculate the workbook in LibreOffice
and compare to the cent. Rates are fractions; which indicators score, their targets and
weights come from the rulebook's ``department`` section (``department_rules``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..metrics import round2
from ..rules import Rules, RulesError, default_rules_path, load_rules
from .model import Department

__all__ = ["COMMON_LABELS", "CommonIndicator", "DeptMetrics", "department_metrics",
           "department_rules"]

ZERO, ONE, HUNDRED = Decimal(0), Decimal(1), Decimal(100)

# key → (name on the form, how it is computed), as 财预〔2013〕53号 defines them.
COMMON_LABELS = {
    "budget_adjust": ("预算调整率", "（全年预算数−年初预算数）÷年初预算数"),
    "carryover": ("结转结余率", "年末结转结余÷全年预算数"),
    "three_public": ("“三公经费”控制率", "“三公经费”实际支出数÷预算安排数"),
    "procurement": ("政府采购执行率", "实际政府采购金额÷政府采购预算数"),
    "public_funds": ("公用经费控制率", "公用经费实际支出数÷全年预算数"),
}


def department_rules(rules: Rules | None = None) -> dict:
    """The rulebook's ``department`` section; a province file without one uses the shipped
    defaults. Weights must add up to 100 (the total is rescaled only for parts that do not
    apply, never for a rulebook that does not add up)."""
    rules = rules or load_rules()
    section = rules.data.get("department")
    if section is None:
        section = load_rules(default_rules_path()).data.get("department")
    if section is None:
        raise RulesError(f"规则文件 {rules.source} 缺少 department（部门整体评分）部分")
    total = (sum(Decimal(str(v)) for v in section["execution"].values())
             + sum(Decimal(str(c["weight"])) for c in section["common"].values())
             + Decimal(str(section["projects"])) + Decimal(str(section["indicators"])))
    if total != HUNDRED:
        raise RulesError(f"规则文件 {rules.source}：department 各项分值合计为{total}，应为100")
    return section


@dataclass
class BudgetRow:
    budget: Decimal                   # 年初预算数
    year_budget: Decimal              # 全年预算数 as evaluated (年初 where not adjusted)
    spent: Decimal | None             # 全年执行数 (None: nothing typed)
    rate: Decimal | None
    weight: Decimal
    score: Decimal | None             # unrounded; None where the row carries no points


@dataclass
class CommonIndicator:
    key: str
    base: Decimal | None
    amount: Decimal | None
    rate: Decimal | None              # the 实际完成值 (fraction); None = cannot be computed
    op: str
    target: Decimal                   # fraction
    weight: Decimal
    score: Decimal | None             # unrounded; None = not applicable (dropped, rescaled)


@dataclass
class DeptMetrics:
    rows: dict[str, BudgetRow]        # basic, personnel, public, project, total
    common: dict[str, CommonIndicator]
    project_count: int                # projects with a score
    project_average: Decimal | None
    project_weighted: Decimal | None
    project_grades: dict[str, int]
    projects_weight: Decimal
    projects_score: Decimal | None
    indicators_weight: Decimal
    indicators_score: Decimal | None
    applicable_weight: Decimal
    raw_total: Decimal
    total: Decimal | None             # ROUND(…, 2); None until the 合计 rate exists
    grade: str | None
    scale: Decimal
    project_rates: list[Decimal | None] = field(default_factory=list)
    project_grade_list: list[str | None] = field(default_factory=list)

    @property
    def execution_rate(self) -> Decimal | None:
        return self.rows["total"].rate


def _d(value) -> Decimal:
    return Decimal(str(value))


def _rate(amount: Decimal | None, base: Decimal | None) -> Decimal | None:
    if amount is None or base is None or base <= 0:
        return None
    return amount / base


def _sum(values) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, ZERO) if present else None


def _grade(score: Decimal, rules: Rules) -> str:
    return rules.grade(score)


def common_score(rate: Decimal, op: str, target: Decimal, weight: Decimal, absolute: bool) -> Decimal:
    """正向 (≥): full when met, else rate ÷ target × 分值; 反向 (≤): full when met, else
    (1 − (rate − target) ÷ target) × 分值 floored at 0 (REFERENCE.md, official scoring)."""
    a = abs(rate) if absolute else rate
    if op == "≤":
        if a <= target:
            return weight
        return ZERO if target <= 0 else max(ZERO, ONE - (a - target) / target) * weight
    if a >= target or target <= 0:
        return weight
    return max(ZERO, a / target) * weight


def department_metrics(dept: Department, rules: Rules | None = None) -> DeptMetrics:
    rules = rules or load_rules()
    cfg = department_rules(rules)
    zero = lambda v: v if v is not None else ZERO   # noqa: E731

    def row(budget, year_budget, spent, weight=ZERO):
        eff = year_budget if year_budget is not None else zero(budget)
        return BudgetRow(zero(budget), eff, spent, _rate(spent, eff), weight, None)

    personnel = row(dept.personnel_budget, dept.personnel_year_budget, dept.personnel_spent)
    public = row(dept.public_budget, dept.public_year_budget, dept.public_spent)
    ex = {k: _d(v) for k, v in cfg["execution"].items()}
    basic = row(personnel.budget + public.budget, personnel.year_budget + public.year_budget,
                _sum([personnel.spent, public.spent]), ex.get("basic", ZERO))
    project = row(sum((zero(p.budget) for p in dept.projects), ZERO),
                  sum((p.effective_budget for p in dept.projects), ZERO),
                  _sum([p.spent for p in dept.projects]), ex.get("project", ZERO))
    total = row(basic.budget + project.budget, basic.year_budget + project.year_budget,
                _sum([basic.spent, project.spent]), ex.get("total", ZERO))
    rows = {"basic": basic, "personnel": personnel, "public": public, "project": project,
            "total": total}
    applicable = ZERO
    raw = ZERO
    for r in (basic, project, total):
        # An execution row always counts: a rate that cannot be computed scores 0.
        r.score = (max(ZERO, min(r.rate, ONE)) * r.weight if r.rate is not None else ZERO) if r.weight else None
        applicable += r.weight
        raw += r.score or ZERO

    inputs = {
        "budget_adjust": (total.budget, total.year_budget - total.budget),
        "carryover": (total.year_budget, dept.carryover),
        "three_public": (dept.three_public_budget, dept.three_public_spent),
        "procurement": (dept.procurement_budget, dept.procurement_actual),
        "public_funds": (public.year_budget, public.spent),
    }
    common = {}
    for key, (base, amount) in inputs.items():
        c = cfg["common"][key]
        rate = _rate(amount, base)
        weight, target = _d(c["weight"]), _d(c["target"]) / HUNDRED
        score = None
        if weight > 0 and rate is not None:
            score = common_score(rate, c["op"], target, weight, bool(c.get("absolute", False)))
            applicable += weight
            raw += score
        common[key] = CommonIndicator(key, base, amount, rate, c["op"], target, weight, score)

    scored = [p for p in dept.projects if p.score is not None]
    average = sum((p.score for p in scored), ZERO) / len(scored) if scored else None
    weight_sum = sum((p.effective_budget for p in scored), ZERO)
    weighted = (sum((p.score * p.effective_budget for p in scored), ZERO) / weight_sum
                if weight_sum > 0 else None)
    grade_names = [b["grade"] for b in rules.scoring["grades"]]
    project_grades = {g: 0 for g in grade_names}
    for p in scored:
        project_grades[_grade(p.score, rules)] += 1
    projects_weight = _d(cfg["projects"])
    projects_score = None
    if projects_weight > 0 and weighted is not None:
        projects_score = weighted / HUNDRED * projects_weight
        applicable += projects_weight
        raw += projects_score

    indicators_weight = _d(cfg["indicators"])
    typed = [(i.weight, i.score) for i in dept.indicators if i.weight is not None]
    typed_weight = sum((w for w, _ in typed), ZERO)
    indicators_score = None
    if indicators_weight > 0 and typed_weight > 0:
        capped = sum((max(ZERO, min(s, w)) for w, s in typed if s is not None), ZERO)
        indicators_score = capped / typed_weight * indicators_weight
        applicable += indicators_weight
        raw += indicators_score

    total_score = None
    if total.rate is not None and applicable > 0:
        total_score = round2(raw * HUNDRED / applicable)
    return DeptMetrics(
        rows=rows, common=common, project_count=len(scored), project_average=average,
        project_weighted=weighted, project_grades=project_grades,
        projects_weight=projects_weight, projects_score=projects_score,
        indicators_weight=indicators_weight, indicators_score=indicators_score,
        applicable_weight=applicable, raw_total=raw, total=total_score,
        grade=_grade(total_score, rules) if total_score is not None else None,
        scale=HUNDRED / applicable if applicable else ZERO,
        project_rates=[_rate(p.spent, p.effective_budget) for p in dept.projects],
        project_grade_list=[_grade(p.score, rules) if p.score is not None else None
                            for p in dept.projects])


def grade_distribution_text(m: DeptMetrics) -> str:
    """The 等级分布 line exactly as the sheet's formula writes it."""
    return "；".join(f"{g}{n}个" for g, n in m.project_grades.items())
