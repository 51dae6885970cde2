"""The summary tables' columns, exactly as the summary sheets show them, one project's row, and
the result of a consolidation (``Consolidation``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from ..model import REVIEW_GRADES
from ..rules import Rules
from .spool import SpooledTable

if TYPE_CHECKING:   # pandas is imported late: worker processes never need it
    import pandas as pd


# .xls/.xlsb are workbooks too: they are not skipped but reported (save as .xlsx), because a
# department that silently loses a project filed in the old format is worse than a warning.
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb"}
TOTAL_LABEL = "合计"
QUARTER_LABELS = ("第一季度", "第二季度", "第三季度", "第四季度")

# v2's monitoring snapshot "截至X月" and 整改 (blank for v1 forms, which have neither).
MONITORING_COLUMNS = ("监控月份", "1-X月执行率", "全年预计执行数（万元）", "监控灯", "是否需要整改")
_Q_PARTS = ("计划进度", "累计支出（万元）", "实际进度", "偏差（百分点）", "灯色")
PROJECT_COLUMNS = (
    "部门编码", "部门名称", "项目编码", "项目名称", "资金来源", "年度",
    "年初预算数（万元）", "全年预算数（万元）", "全年执行数（万元）",
    *(f"{q}{part}" for q in QUARTER_LABELS for part in _Q_PARTS),
    *MONITORING_COLUMNS,
    "执行率", "成本控制率", "自评得分", "自评等级",
    "单位成本（万元）", "单位成本核算依据",   # issue 26: 全年执行数 ÷ the chosen 数量指标's actual
    "问题数", "汇总说明", "来源文件",
    *("审核结果", "评定总分"),   # v3 (issue 25): the finance bureau's review, appended
)
INDICATOR_COLUMNS = (
    "部门编码", "项目编码", "项目名称", "序号", "一级指标", "二级指标", "三级指标",
    "原指标值（文字）", "指标性质", "指标值", "度量单位", "实际完成值", "分值", "得分",
    "偏差原因", "完成目标可能性", "偏差原因分析及改进措施",
    "评分层级",   # issue 26: the rulebook's scoring level (成本指标 under 101号), to filter by
)
DEPT_GOAL_COLUMNS = ("内容", "层级", "部门编码", "项目编码")
# The department self-evaluations found among the inputs (部门整体绩效表, or carried by summaries).
DEPT_EVAL_COLUMNS = ("部门编码", "部门名称", "年度", "部门自评得分", "部门自评等级", "部门执行率",
                     "来源文件")
ISSUE_COLUMNS = ("文件", "工作表", "单元格", "规则", "严重程度", "说明")
RECORD_COLUMNS = ("项目编码", "年度", "来源文件", "记录")


# 部门小计 under a rulebook that scores 成本 on its own (issue 26): the budget-weighted points.
COST_SCORE_COLUMN = "成本指标加权得分"


def department_columns(rules: Rules) -> tuple[str, ...]:
    """部门小计's columns: the grade and light names come from the rulebook."""
    grades = tuple(band["grade"] for band in rules.scoring["grades"])
    lights = tuple(band["label"] for band in rules.monitoring["lights"])
    return ("部门编码", "部门名称", "项目数", "全年预算数（万元）", "全年执行数（万元）", "执行率",
            "未填执行数（个）", "加权平均得分", "未自评（个）",
            *((COST_SCORE_COLUMN,) if rules.cost_group else ()),
            *(f"{g}（个）" for g in grades), *(f"{x}（个）" for x in lights),
            *(f"{q}计划进度" for q in QUARTER_LABELS), *(f"{q}实际进度" for q in QUARTER_LABELS),
            *REVIEW_DEPT_COLUMNS)


# v3 (issue 25): the finance bureau's review per department: projects per 审核结果, and the
# 评定总分 beside the 自评得分 of the same projects (budget-weighted, as 加权平均得分).
REVIEW_DEPT_COLUMNS = (*(f"审核{g}（个）" for g in REVIEW_GRADES), "评定项目（个）", "自评加权平均得分（评定项目）",
                       "评定加权平均得分", "评定与自评之差")


DEPARTMENT_COLUMNS = department_columns  # the columns depend on the rulebook
_PROJECT_INDEX = {c: i for i, c in enumerate(PROJECT_COLUMNS)}


class ProjectRow(tuple):
    """A 项目汇总 row as the main process keeps it: a tuple in PROJECT_COLUMNS order, read by
    column name like the dict a worker builds (a quarter of the dict's memory, times 100,000)."""

    __slots__ = ()

    @classmethod
    def of(cls, row: Mapping[str, Any], intern=lambda value: value) -> "ProjectRow":
        return cls(intern(row[c]) for c in PROJECT_COLUMNS)

    def __getitem__(self, column: str) -> Any:
        return tuple.__getitem__(self, _PROJECT_INDEX[column])

    def items(self):
        return zip(PROJECT_COLUMNS, self)


@dataclass
class Consolidation:
    """The summary before anything is written. Amounts in 万元, rates as fractions (0.95)."""

    projects: "pd.DataFrame"
    departments: "pd.DataFrame"      # one row per department, then the 合计 row
    indicator_table: SpooledTable    # INDICATOR_COLUMNS; on disk until written (``indicators``)
    dept_goals: "pd.DataFrame"
    issues: "pd.DataFrame"
    files_read: list[str] = field(default_factory=list)        # every workbook opened
    files_with_errors: list[str] = field(default_factory=list)  # those with an error issue
    rules_source: str = ""
    rules: Rules | None = field(default=None, repr=False)   # the summary's grades and lights
    # What the summary's hidden data sheet keeps so a later run can recompute every project:
    # (项目编码, 年度, 来源文件, encoded record) per counted project; on disk until written.
    records: SpooledTable = field(default_factory=lambda: SpooledTable(RECORD_COLUMNS), repr=False)
    dept_evaluations: "pd.DataFrame | None" = None   # DEPT_EVAL_COLUMNS, one row per department
    project_goals: dict[str, str] = field(default_factory=dict, repr=False)  # code → 绩效目标
    year: int | None = None                  # the year summed (given, or the forms' common one)
    notes: list[str] = field(default_factory=list)   # the counting rules, as the summary states them
    # 结果应用 (xlpkg.summary.results_application): set when earlier years are known (--db, --previous).
    results_application: Any = None   # summary.results_application.ResultsApplication

    @property
    def project_count(self) -> int:
        return len(self.projects)

    @property
    def indicators(self) -> "pd.DataFrame":
        """指标明细 as a DataFrame, built on first use (``indicator_table`` iterates it)."""
        return self.indicator_table.frame()


