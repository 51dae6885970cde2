"""Metrics and issues as plain data (for JSON) and as readable text (for a terminal)."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from .issues import Issue
from .metrics import GROUP_LABELS, HUNDRED, ProjectMetrics, round2


def _num(value: Decimal | None, digits: int = 4) -> str | None:
    """Decimals as strings: JSON readers must not turn money into floats."""
    if value is None:
        return None
    try:
        return format(value.quantize(Decimal(1).scaleb(-digits)), "f")
    except InvalidOperation:   # beyond the context's 28 digits (a rate over a 1e-28 budget)
        return f"{value:.6E}"


def _pct(rate: Decimal | None) -> str | None:
    return None if rate is None else _num(rate * HUNDRED, 2)


# Why a total or the execution score is no number (the sheet leaves those cells blank too).
NOT_STARTED = "尚未开始自评（无全年执行数和实际完成值），无得分和等级"
NO_YEAR_SPENT = "未填写全年执行数，预算执行率无得分（总分中按0分计）"


def score_reasons(m: ProjectMetrics) -> dict[str, str]:
    """{"total": why, "execution_score": why} for the scores that are not numbers."""
    out = {}
    if not getattr(m.evaluation, "started", True):
        out["total"] = NOT_STARTED
    if m.execution_rate is None:
        out["execution_score"] = NOT_STARTED if "total" in out else NO_YEAR_SPENT
    return out


def metrics_to_dict(m: ProjectMetrics) -> dict:
    ev = m.evaluation
    p = m.project
    reasons = score_reasons(m)
    started = "total" not in reasons
    return {
        "dept_code": p.dept_code, "code": p.code, "name": p.name,
        "budget": _num(p.effective_budget, 2), "spent": _num(p.execution.year_spent, 2),
        "execution_rate_percent": _pct(m.execution_rate),
        "cost_control_rate_percent": _pct(m.cost_control_rate),
        "quarters": [{"quarter": q.quarter, "plan_percent": _num(q.plan, 2),
                      "actual": _num(q.actual, 2), "progress_percent": _num(q.progress, 2),
                      "variance_points": _num(q.variance, 2), "light": q.light} for q in m.quarters],
        "self_evaluation": {
            "total": _num(ev.total, 2) if started and not ev.invalid else None,
            "grade": ev.grade if started and not ev.invalid else None,
            "computed_total": _num(ev.total, 2) if started else None, "invalid": ev.invalid or None,
            "execution_score": _num(ev.execution_score, 2) if "execution_score" not in reasons else None,
            "reasons": reasons,   # why a score above is null: the sheet shows it blank too
            "groups": {g: {"weight": _num(v["weight"], 2),
                           "score": _num(round2(v["score"]), 2) if started else None}
                       for g, v in ev.groups.items()},
            "scale": _num(ev.scale, 6),
            "indicators": [{"name": s.name, "group": s.group, "weight": _num(s.weight, 2),
                            "score": _num(s.shown_score, 2) if started else None,
                            "applicable": s.applicable, "mode": s.mode, "ratio": _num(s.ratio, 4)}
                           for s in ev.indicators],
        },
        "monitoring": _monitoring(m.monitoring),
        "unit_cost": m.unit_cost.to_dict() if getattr(m, "unit_cost", None) else None,
        "verified_total_score": _num(m.verified_total_score, 2),   # v3 (issue 25)
        "verified_grade": m.verified_grade,
    }


def _monitoring(snap) -> dict | None:
    if snap is None:
        return None
    return {"month": snap.month, "execution_rate_percent": _num(snap.execution_rate, 2),
            "time_progress_percent": _num(snap.time_progress, 2),
            "forecast_rate_percent": _num(snap.forecast_rate, 2), "light": snap.light}


def issues_to_list(issues: list[Issue]) -> list[dict]:
    return [i.to_dict() for i in issues]


def format_issues(issues: list[Issue]) -> str:
    if not issues:
        return "未发现问题"
    return "\n".join(str(i) for i in issues)


def format_metrics(m: ProjectMetrics, light_label=lambda light: light or "—") -> str:
    p, ev = m.project, m.evaluation
    shown = lambda v, unit="": "—" if v is None else f"{v}{unit}"
    lines = [
        f"{p.code}  {p.name}（{p.dept_name}）",
        f"  预算数 {_num(p.effective_budget, 2)} 万元  全年执行数 {shown(_num(p.execution.year_spent, 2))} 万元",
        f"  执行率 {shown(_pct(m.execution_rate), '%')}  成本控制率 {shown(_pct(m.cost_control_rate), '%')}",
        "  季度  计划累计%  实际累计(万元)  进度%   偏差(百分点)  灯",
    ]
    for q in m.quarters:
        lines.append(f"  Q{q.quarter}    {shown(_num(q.plan, 2)):>8}  {shown(_num(q.actual, 2)):>12}  "
                     f"{shown(_num(q.progress, 2)):>6}  {shown(_num(q.variance, 2)):>10}  {light_label(q.light)}")
    snap = m.monitoring
    if snap is not None and snap.month is not None:
        lines.append(f"  截至{snap.month}月：执行率 {shown(_num(snap.execution_rate, 2), '%')}  时间进度 "
                     f"{shown(_num(snap.time_progress, 2), '%')}  全年预计执行率 "
                     f"{shown(_num(snap.forecast_rate, 2), '%')}  {light_label(snap.light)}")
    reasons = score_reasons(m)
    if "total" in reasons:
        lines.append(f"  自评：{reasons['total']}")
        return "\n".join(lines)
    execution = (f"{ev.execution_score}分" if "execution_score" not in reasons
                 else f"—（{reasons['execution_score']}）")
    lines.append(f"  自评：{GROUP_LABELS['execution']} {execution}")
    for group, part in ev.groups.items():
        if part["weight"]:
            lines.append(f"        {GROUP_LABELS.get(group, group)} {round2(part['score'])}/{round2(part['weight'])}分")
    if ev.scale != 1:
        lines.append(f"        （部分指标不适用，按满分100折算，系数 {round2(ev.scale)}）")
    if ev.invalid:
        lines.append(f"  总分 —  等级 —（{ev.invalid}：按现有填写计算为{ev.total}，不是有效的自评得分；"
                     "改正分值后重新读取）")
    else:
        lines.append(f"  总分 {ev.total}  等级 {ev.grade}")
    uc = getattr(m, "unit_cost", None)
    if uc is not None:
        lines.append(f"  单位成本 {_num(uc.amount, 4)} {uc.unit}（全年执行数÷{uc.basis}实际完成值）")
    return "\n".join(lines)
