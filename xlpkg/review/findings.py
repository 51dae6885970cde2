"""What the bureau's reviewer should look at first: automatic findings per project and per
indicator, and a suggested tier with its reason.

The suggested tier (建议等级) is a starting point, never the verdict:
- 差 when the form has errors of ``check`` (numbers would be wrong) or no indicator at all;
- 中 when a 一级 (产出/效益/满意度) is missing, every indicator is 定性, or three or more findings;
- 良 with one or two findings;
- 优 with none.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from ..issues import Issue
from ..metrics import GROUP_LABELS, GROUPS, ProjectMetrics, level_weights
from ..model import Project
from ..rules import Rules
from ..targets import format_number, parse_actual, try_parse_target

__all__ = ["Findings", "find", "History", "TIERS"]

TIERS = ("优", "良", "中", "差")
# check's rules that a finding below already says in the reviewer's words
_COVERED = {"indicator.cost_missing", "indicator.level1_required", "indicator.level1_recommended",
            "indicator.weight_total", "execution.reason_missing"}
_INDICATOR_PATH = re.compile(r"^indicators\[([0-9]+)\]")
STAGES = ("target", "evaluation")


@dataclass
class Findings:
    project: list[str] = field(default_factory=list)             # short Chinese phrases
    indicators: dict[int, list[str]] = field(default_factory=dict)   # index → phrases
    errors: int = 0
    serious: bool = False                                         # a 一级 missing or all 定性

    @property
    def count(self) -> int:
        return len(self.project) + sum(len(v) for v in self.indicators.values())

    def suggested(self) -> tuple[str, str]:
        """(tier, reason), by the rule in the module's docstring."""
        n = self.count
        if self.errors:
            return "差", f"校验有{self.errors}项错误，数据有误，须改正后重新报送"
        if self.serious:
            return "中", "指标体系不完整（缺少一级指标或全部为定性指标），须修改完善"
        if n >= 3:
            return "中", f"发现{n}项问题，须修改完善"
        if n:
            return "良", f"发现{n}项问题，协商完善即可"
        return "优", "未发现问题"


class History:
    """Last year's 实际完成值 per (project code, 三级指标), from ``--previous`` forms."""

    def __init__(self):
        self.actuals: dict[tuple[str, str], tuple[str, str]] = {}   # → (actual, target)

    def add(self, code: str, project: Project) -> None:
        # by code, and by project name: a continuing project may get a new code each year
        for ind in project.indicators:
            if ind.actual.strip():
                self.actuals[(code, ind.name.strip())] = (ind.actual, ind.target)
                self.actuals.setdefault((project.name.strip(), ind.name.strip()), (ind.actual, ind.target))

    def last_actual(self, project: Project, code: str, name: str) -> tuple[Decimal, str] | None:
        """(number in the target's unit, as typed) of last year's actual, or None."""
        year = project.year
        found = (self.actuals.get((code, name.strip()))
                 or self.actuals.get((project.name.strip(), name.strip())))
        if not found:
            return None
        actual, target_text = found
        target, _ = try_parse_target(target_text, year=year - 1)
        if target is None or target.kind != "quantitative":
            return None
        try:
            value = parse_actual(actual, target)
        except Exception:   # an actual that cannot be read is no history
            return None
        return (value, actual) if isinstance(value, Decimal) else None

    def __len__(self) -> int:
        return len(self.actuals)


def find(project: Project, issues: list[Issue], metrics: ProjectMetrics | None, rules: Rules,
         stage: str, code: str, history: History | None = None) -> Findings:
    """The findings of one form (``issues``: what ``check_form`` reported)."""
    out = Findings()

    def on(index: int, text: str) -> None:
        out.indicators.setdefault(index, []).append(text)

    groups = {rules.group_of(i.level1) for i in project.indicators}
    missing = [GROUP_LABELS[g] for g in GROUPS if g not in groups]
    if missing:
        out.project.append("缺少一级指标：" + "、".join(missing))
        out.serious = True
    if any(i.rule == "indicator.cost_missing" for i in issues):
        out.project.append("未设置成本指标")
    targets = [try_parse_target(i.target, year=project.year or None)[0] for i in project.indicators]
    if project.indicators and all(t is not None and t.kind == "qualitative" for t in targets):
        out.project.append("全部指标均为定性指标")
        out.serious = True
    lw = level_weights(project, rules)
    for g in GROUPS:
        if lw.typed[g] and lw.gaps[g] != 0:
            out.project.append(f"{GROUP_LABELS[g]}分值合计{format_number(lw.totals[g])}分，"
                               f"应为{format_number(rules.weight(g))}分")
    for index, ind in enumerate(project.indicators):
        if not ind.basis.strip():
            on(index, "未填写指标值确定依据")
        target = targets[index]
        if target is not None and target.kind == "qualitative" and len(targets) > 1:
            on(index, "定性指标")
        if history is not None and target is not None and target.direction == "positive":
            last = history.last_actual(project, code, ind.name)
            if last is not None and target.value is not None and target.value < last[0]:
                on(index, f"正向指标值{target.text}低于上年实际完成值{last[1]}")
    if stage == "evaluation" and metrics is not None:
        rate = metrics.execution_rate
        if (rate is not None and rate * 100 < rules.low_execution_rate
                and not project.execution.deviation_reason.strip()):
            out.project.append(f"预算执行率{format_number((rate * 100).quantize(Decimal('0.01')))}%"
                               f"低于{format_number(rules.low_execution_rate)}%且未说明原因")
    for issue in issues:
        if stage == "target" and issue.rule.startswith(("indicator.actual", "indicator.analysis",
                                                         "indicator.rated", "indicator.overachieved")):
            continue   # the self-evaluation is not reviewed at the target stage
        if issue.severity == "error":
            out.errors += 1
        if issue.rule in _COVERED or issue.rule == "review.stale":
            continue
        text = ("错误：" if issue.severity == "error" else "") + issue.message
        m = _INDICATOR_PATH.match(issue.location or "")
        if m and int(m[1]) < len(project.indicators):
            on(int(m[1]), text)
        else:
            out.project.append(text)
    return out
