"""Metrics and issues as plain data (for JSON) and as readable text (for a terminal)."""
from __future__ import annotations

from decimal import Decimal

from .issues import Issue
from .metrics import GROUP_LABELS, HUNDRED, ProjectMetrics, round2


def _num(value: Decimal | None, digits: int = 4) -> str | None:
    """Decimals as strings: JSON readers must not turn money into floats."""
    if value is None:
        return None
    return format(value.quantize(Decimal(1).scaleb(-digits)), "f")


def _pct(rate: Decimal | None) -> str | None:
    return None if rate is None else _num(rate * HUNDRED, 2)


def metrics_to_dict(m: ProjectMetrics) -> dict:
    ev = m.evaluation
    p = m.project
    return {
        "dept_code": p.dept_code, "code": p.code, "name": p.name,
        "budget": _num(p.effective_budget, 2), "spent": _num(p.execution.year_spent, 2),
        "execution_rate_percent": _pct(m.execution_rate),
        "cost_control_rate_percent": _pct(m.cost_control_rate),
        "quarters": [{"quarter": q.quarter, "plan_percent": _num(q.plan, 2),
                      "actual": _num(q.actual, 2), "progress_percent": _num(q.progress, 2),
                      "variance_points": _num(q.variance, 2), "light": q.light} for q in m.quarters],
        "self_evaluation": {
            "total": _num(ev.total, 2), "grade": ev.grade,
            "execution_score": _num(ev.execution_score, 2),
            "groups": {g: {"weight": _num(v["weight"], 2), "score": _num(round2(v["score"]), 2)}
                       for g, v in ev.groups.items()},
            "scale": _num(ev.scale, 6),
            "indicators": [{"name": s.name, "group": s.group, "weight": _num(s.weight, 2),
                            "score": _num(s.shown_score, 2), "applicable": s.applicable,
                            "mode": s.mode, "ratio": _num(s.ratio, 4)}
                           for s in ev.indicators],
        },
        "monitoring": _monitoring(m.monitoring),
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
    lines.append(f"  自评：{GROUP_LABELS['execution']} {ev.execution_score}分")
    for group, part in ev.groups.items():
        if part["weight"]:
            lines.append(f"        {GROUP_LABELS[group]} {round2(part['score'])}/{round2(part['weight'])}分")
    if ev.scale != 1:
        lines.append(f"        （部分指标不适用，按满分100折算，系数 {round2(ev.scale)}）")
    lines.append(f"  总分 {ev.total}  等级 {ev.grade}")
    return "\n".join(lines)
