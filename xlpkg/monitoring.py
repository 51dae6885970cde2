"""The monitoring snapshot "截至X月" of 绩效运行监控 (财预〔2019〕136号).

执行率 = 1–X月执行数 ÷ 全年预算数 (年初预算数 when not adjusted); time progress = X ÷ 12; the
light compares them: 执行率 ÷ time progress × 100 in the rulebook's bands. The template's
MonRate, MonTimeProgress and MonLight formulas compute the same numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .metrics import HUNDRED, execution_rate, light
from .model import Project
from .rules import Rules, load_rules

__all__ = ["MonitoringSnapshot", "monitoring_snapshot"]


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
