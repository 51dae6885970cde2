"""Consolidation: a folder of project workbooks → the department summary as pandas DataFrames.

Discovery finds the workbooks, worker processes read them (python-calamine through
``xlpkg.reader``) and recompute every metric from the inputs, the main process only merges:
it drops duplicate project codes, sums per department with ``metrics.department_totals`` and
builds the tables. Nothing is written to disk here; ``xlpkg.summary`` writes the workbook.

A bad file never stops the run: it becomes rows of the issues table and the rest still lands.
"""
from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from . import layout as L
from .issues import ERROR, SEVERITY_LABELS, Issue
from .metrics import ProjectMetrics, department_totals, project_metrics, round2
from .model import Project, cause_text
from .rules import Rules, load_rules
from .targets import try_parse_target

if TYPE_CHECKING:   # pandas is imported late: worker processes never need it
    import pandas as pd

__all__ = ["Consolidation", "DeptInfoError", "consolidate", "discover", "load_dept_info",
           "build", "read_one", "outcome_from_project", "FileOutcome", "WORKBOOK_SUFFIXES",
           "PROJECT_COLUMNS", "DEPARTMENT_COLUMNS", "INDICATOR_COLUMNS", "DEPT_GOAL_COLUMNS",
           "ISSUE_COLUMNS", "TOTAL_LABEL", "QUARTER_LABELS", "cn_number"]

# .xls/.xlsb are workbooks too: they are not skipped but reported (save as .xlsx), because a
# department that silently loses a project filed in the old format is worse than a warning.
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb"}
TOTAL_LABEL = "合计"
QUARTER_LABELS = ("第一季度", "第二季度", "第三季度", "第四季度")

# --- the tables' columns, exactly as the summary sheets show them ---------------------------

# v2's monitoring snapshot "截至X月" and 整改 (blank for v1 forms, which have neither).
MONITORING_COLUMNS = ("监控月份", "1-X月执行率", "全年预计执行数（万元）", "监控灯", "是否需要整改")
_Q_PARTS = ("计划进度", "累计支出（万元）", "实际进度", "偏差（百分点）", "灯色")
PROJECT_COLUMNS = (
    "部门编码", "部门名称", "项目编码", "项目名称", "资金来源", "年度",
    "年初预算数（万元）", "全年预算数（万元）", "全年执行数（万元）",
    *(f"{q}{part}" for q in QUARTER_LABELS for part in _Q_PARTS),
    *MONITORING_COLUMNS,
    "执行率", "成本控制率", "自评得分", "自评等级", "问题数", "来源文件",
)
INDICATOR_COLUMNS = (
    "部门编码", "项目编码", "项目名称", "序号", "一级指标", "二级指标", "三级指标",
    "原指标值（文字）", "指标性质", "指标值", "度量单位", "实际完成值", "分值", "得分",
    "偏差原因", "完成目标可能性", "偏差原因分析及改进措施",
)
DEPT_GOAL_COLUMNS = ("内容", "层级", "部门编码", "项目编码")
ISSUE_COLUMNS = ("文件", "工作表", "单元格", "规则", "严重程度", "说明")


def department_columns(rules: Rules) -> tuple[str, ...]:
    """部门小计's columns: the grade and light names come from the rulebook."""
    grades = tuple(band["grade"] for band in rules.scoring["grades"])
    lights = tuple(band["label"] for band in rules.monitoring["lights"])
    return ("部门编码", "部门名称", "项目数", "全年预算数（万元）", "全年执行数（万元）", "执行率",
            "加权平均得分", *(f"{g}（个）" for g in grades), *(f"{x}（个）" for x in lights),
            *(f"{q}计划进度" for q in QUARTER_LABELS), *(f"{q}实际进度" for q in QUARTER_LABELS))


DEPARTMENT_COLUMNS = department_columns  # the columns depend on the rulebook


@dataclass
class Consolidation:
    """The summary before anything is written. Amounts in 万元, rates as fractions (0.95)."""

    projects: "pd.DataFrame"
    departments: "pd.DataFrame"      # one row per department, then the 合计 row
    indicators: "pd.DataFrame"
    dept_goals: "pd.DataFrame"
    issues: "pd.DataFrame"
    files_read: list[str] = field(default_factory=list)        # every workbook opened
    files_with_errors: list[str] = field(default_factory=list)  # those with an error issue
    rules_source: str = ""
    rules: Rules | None = field(default=None, repr=False)   # the summary's grades and lights
    project_goals: dict[str, str] = field(default_factory=dict, repr=False)  # code → 绩效目标

    @property
    def project_count(self) -> int:
        return len(self.projects)


# --- discovery ------------------------------------------------------------------------

def _skipped_name(name: str) -> bool:
    # "~$x.xlsx" is Excel's lock file; dot files are hidden, temporary or macOS "._" forks.
    return name.startswith("~$") or name.startswith(".")


def discover(paths: Iterable[str | os.PathLike], *, exclude: Iterable[str | os.PathLike] = ()
             ) -> tuple[list[Path], list[Issue]]:
    """Workbook files under ``paths`` (files or folders, recursive), sorted, each once.

    Inside folders only workbook suffixes count and lock/hidden files are skipped silently;
    a file named explicitly is always read, so the user hears why it is not a form. A path
    that does not exist becomes an issue. ``exclude`` (e.g. the output file) is never read.
    """
    excluded = {Path(p).resolve() for p in exclude}
    found: dict[Path, None] = {}
    missing: list[Issue] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if _skipped_name(name) or Path(name).suffix.lower() not in WORKBOOK_SUFFIXES:
                        continue
                    found.setdefault(Path(dirpath, name).resolve())
        elif path.is_file():
            if not _skipped_name(path.name):
                found.setdefault(path.resolve())
        else:
            missing.append(Issue(rule="form.unreadable", severity=ERROR,
                                 message=f"文件或文件夹不存在：{given}", file=str(given)))
    files = sorted(p for p in found if p not in excluded)
    return files, missing


# --- reading (runs in worker processes) ------------------------------------------------

@dataclass
class FileOutcome:
    """What a worker sends back for one file: small, picklable, no workbook objects."""

    path: str
    issues: list[Issue]
    metrics: ProjectMetrics | None = None   # slimmed: enough for totals, not the indicators
    project_row: dict[str, Any] | None = None
    indicator_rows: list[tuple] = field(default_factory=list)
    goal: str = ""
    indicator_names: tuple[str, ...] = ()


def _f(value: Decimal | None, scale: int = 0) -> float | None:
    if value is None:
        return None
    return float(value.scaleb(scale)) if scale else float(value)


def _issue(rules: Rules, rule_id: str, detail: str, **where: str) -> Issue:
    """An issue under a rule id of the rulebook (its schema requires every id used here)."""
    return rules.issue(rule_id, detail=detail).located(**where)


def _slim(m: ProjectMetrics) -> ProjectMetrics:
    """Drop what the main process never reads, so 10,000 projects fit in little memory."""
    p = m.project
    project = replace(p, uses_text="", uses=[], goal="", indicators=[])
    evaluation = replace(m.evaluation, indicators=[], issues=[])
    return replace(m, project=project, evaluation=evaluation)


@lru_cache(maxsize=4096)
def _official(text: str, year: int) -> tuple[str, str, str]:
    """(指标性质, 指标值, 度量单位); cached because forms repeat "100%" and "大于90%" endlessly."""
    target, _ = try_parse_target(text, year=year)
    return target.official() if target is not None else ("", "", "")


def outcome_from_project(project: Project, path: str, rules: Rules,
                         issues: Iterable[Issue] = (), metrics: ProjectMetrics | None = None
                         ) -> FileOutcome:
    """Shape the table rows of a project read from ``path``, from its metrics as recomputed
    from the inputs (the reader's, or computed here)."""
    m = metrics if metrics is not None else project_metrics(project, rules)
    ev = m.evaluation
    p = project
    row: dict[str, Any] = {
        "部门编码": p.dept_code.strip(), "部门名称": p.dept_name.strip(),
        "项目编码": p.code.strip(), "项目名称": p.name, "资金来源": p.fund_source, "年度": p.year,
        "年初预算数（万元）": _f(p.budget), "全年预算数（万元）": _f(p.effective_budget),
        "全年执行数（万元）": _f(p.execution.year_spent),
    }
    for label, q in zip(QUARTER_LABELS, m.quarters):
        row[f"{label}计划进度"] = _f(q.plan, -2)
        row[f"{label}累计支出（万元）"] = _f(q.actual)
        row[f"{label}实际进度"] = _f(q.progress, -2)
        row[f"{label}偏差（百分点）"] = _f(q.variance)
        row[f"{label}灯色"] = rules.light_label(q.light) if q.light else None
    snap, rect = m.monitoring, p.rectification
    row.update({
        "监控月份": snap.month if snap else None,
        "1-X月执行率": _f(snap.execution_rate, -2) if snap else None,
        "全年预计执行数（万元）": _f(p.monitoring.forecast_year_spent),
        "监控灯": rules.light_label(snap.light) if snap and snap.light else None,
        "是否需要整改": None if rect.needed is None else ("是" if rect.needed else "否"),
    })
    row.update({"执行率": _f(m.execution_rate), "成本控制率": _f(m.cost_control_rate),
                "自评得分": _f(ev.total), "自评等级": ev.grade, "问题数": 0, "来源文件": path})
    indicator_rows = []
    for i, (ind, score) in enumerate(zip(p.indicators, ev.indicators), start=1):
        nature, value, unit = _official(ind.target, p.year)
        indicator_rows.append((
            row["部门编码"], row["项目编码"], p.name, i, ind.level1, ind.level2, ind.name,
            ind.target, nature, value, unit, ind.actual,
            _f(round2(score.weight)) if score.applicable else None,
            _f(score.shown_score) if score.applicable else None,
            cause_text(ind), ind.likelihood, ind.analysis))
    names = tuple(ind.name.strip() for ind in p.indicators if ind.name.strip())
    return FileOutcome(path=path, issues=list(issues), metrics=_slim(m), project_row=row,
                       indicator_rows=indicator_rows, goal=p.goal.strip(), indicator_names=names)


def read_one(path: str, rules: Rules, year: int | None = None) -> FileOutcome:
    """Read one workbook; never raises (a reader bug becomes an issue, not a lost run)."""
    from .reader import read_project_file

    try:
        result = read_project_file(path, rules=rules)
    except Exception as exc:   # noqa: BLE001 - one bad file must not cost the other 999
        return FileOutcome(path, [_issue(rules, "form.unreadable",
                                         f"读取文件时出现意外错误（{type(exc).__name__}: {exc}）",
                                         file=path)])
    issues = [i.located(file=path) for i in result.issues]
    project = result.project
    if project is None:
        return FileOutcome(path, issues)
    if year is not None and project.year != year:
        # Only this note: the problems of a form that is not summarised are not this run's.
        return FileOutcome(path, [_issue(
            rules, "consolidate.other_year",
            f"项目年度为{project.year}年，不是汇总年度{year}年，未计入汇总",
            file=path, sheet=L.DECL, cell=L.NAMES["FiscalYear"].ref)])
    try:
        return outcome_from_project(project, path, rules, issues, result.metrics)
    except Exception as exc:   # noqa: BLE001 - same reason as above
        return FileOutcome(path, issues + [_issue(
            rules, "form.value", f"无法计算该项目的绩效指标（{type(exc).__name__}: {exc}）",
            file=path)])


def _read_chunk(task: tuple[list[str], Rules, int | None]) -> list[FileOutcome]:
    paths, rules, year = task
    return [read_one(p, rules, year) for p in paths]


def _chunks(items: list[str], jobs: int) -> list[list[str]]:
    # Several chunks per worker keep both cores busy to the end and the progress bar moving;
    # 64 files per chunk keep the per-task pickling overhead negligible.
    size = max(1, min(64, len(items) // (jobs * 8) or 1))
    return [items[i:i + size] for i in range(0, len(items), size)]


class _Progress:
    """A one-line progress bar on stderr, drawn only on a terminal."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.done = total, 0
        self.enabled = enabled and total > 0 and sys.stderr.isatty()
        self._last = 0.0

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.1 and self.done < self.total):
            return
        self._last = now
        filled = 30 * self.done // self.total
        sys.stderr.write(f"\r读取项目表 [{'#' * filled}{'.' * (30 - filled)}] "
                         f"{self.done}/{self.total}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def _cores() -> int:
    """Cores this process may use (a container's CPU set, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _read_all(files: list[str], rules: Rules, year: int | None, jobs: int,
              progress: bool) -> list[FileOutcome]:
    bar = _Progress(len(files), progress)
    out: list[FileOutcome] = []
    try:
        if jobs <= 1 or len(files) < 8:
            for path in files:
                out.append(read_one(path, rules, year))
                bar.advance(1)
            return out
        chunks = _chunks(files, jobs)
        with ProcessPoolExecutor(max_workers=min(jobs, len(chunks))) as pool:
            for result in pool.map(_read_chunk, [(c, rules, year) for c in chunks]):
                out.extend(result)
                bar.advance(len(result))
        return out
    finally:
        bar.close()


# --- department info (部门整体绩效目标) -----------------------------------------------

class DeptInfoError(ValueError):
    """A department info file that cannot be used (Chinese message naming file and field)."""


@lru_cache(maxsize=None)
def _dept_schema() -> dict:
    return json.loads(resources.files("xlpkg").joinpath("schemas/department.schema.json")
                      .read_text("utf-8"))


def load_dept_info(source: str | os.PathLike | Mapping) -> dict:
    """A department info document (examples/departments/105002.json), validated."""
    import jsonschema

    name = "部门信息"
    if isinstance(source, Mapping):
        data = dict(source)
    else:
        name = Path(source).name
        try:
            data = json.loads(Path(source).read_text("utf-8"))
        except OSError as exc:
            raise DeptInfoError(f"无法读取部门信息文件 {source}：{exc.strerror or exc}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DeptInfoError(f"部门信息文件 {name} 不是有效的JSON：{exc}") from None
    validator = jsonschema.Draft202012Validator(_dept_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(根)"
        raise DeptInfoError(f"部门信息文件 {name}：字段 {where} 不符合格式要求：{errors[0].message}")
    return data


def _dept_info_map(dept_info) -> dict[str, dict]:
    if not dept_info:
        return {}
    if isinstance(dept_info, Mapping) and "dept_code" in dept_info:
        dept_info = [dept_info]
    elif isinstance(dept_info, Mapping):
        dept_info = list(dept_info.values())
    elif isinstance(dept_info, (str, os.PathLike)):
        dept_info = [dept_info]
    out: dict[str, dict] = {}
    for item in dept_info:
        data = load_dept_info(item)
        out[data["dept_code"]] = data
    return out


_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 21 → 二十一, as in "（二十一）"; beyond 99 the digits stay Arabic."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    text = ("" if tens == 0 else ("" if tens == 1 else _DIGITS[tens]) + "十")
    return text + (_DIGITS[ones] if ones else "")


def _goal_lines(code: str, name: str, outcomes: list[FileOutcome], info: dict | None) -> list[tuple]:
    """One department's 部门整体绩效目标 section, line by line as the seed prints it."""
    rows = [(f"{code} {name}", "部门", code, "")]
    overall = (info or {}).get("overall_goal", "").strip()
    rows.append(("一、总体绩效目标", "标题", code, ""))
    rows.append((overall or "（未提供部门总体绩效目标）", "正文", code, ""))
    rows.append(("二、分项绩效目标", "标题", code, ""))
    by_code = {o.project_row["项目编码"]: o for o in outcomes}
    subs: list[tuple[str, str, str, tuple[str, ...]]] = []
    for sub in (info or {}).get("sub_goals", []):
        code_ = sub.get("project_code", "")
        by_code.pop(code_, None)
        subs.append((sub["title"], code_, sub["goal"], tuple(sub["indicators"])))
    for o in by_code.values():   # projects the info file does not mention: as the form says
        subs.append((o.project_row["项目名称"], o.project_row["项目编码"], o.goal,
                     o.indicator_names))
    for n, (title, pcode, goal, names) in enumerate(subs, start=1):
        rows.append((f"（{cn_number(n)}）{title}", "分项", code, pcode))
        rows.append((f"绩效目标：{goal}", "正文", code, pcode))
        rows.append(("绩效指标：" + "  ".join(names), "正文", code, pcode))
    guarantees = (info or {}).get("guarantees", [])
    if guarantees:
        rows.append(("三、工作保障措施", "标题", code, ""))
        rows.extend((text, "正文", code, "") for text in guarantees)
    return rows


# --- merging (main process) ------------------------------------------------------------

def _duplicates(outcomes: list[FileOutcome], rules: Rules) -> list[FileOutcome]:
    """Keep the first file of each project code (files are sorted), report the others."""
    first: dict[str, str] = {}
    kept = []
    for o in outcomes:
        if o.project_row is None:
            kept.append(o)
            continue
        code = o.project_row["项目编码"]
        if code and code in first:
            o.issues.append(_issue(
                rules, "consolidate.duplicate",
                f"项目编码“{code}”与文件“{first[code]}”重复：已按该文件计入汇总，本文件未重复计入",
                file=o.path, sheet=L.DECL, cell=L.NAMES["ProjCode"].ref))
            kept.append(FileOutcome(o.path, o.issues))
            continue
        if code:
            first[code] = o.path
        kept.append(o)
    return kept


def _quarter_progress(members: list[ProjectMetrics]) -> tuple[list, list]:
    """Budget-weighted planned and actual cumulative progress per quarter (fractions)."""
    plans, actuals = [], []
    for q in range(4):
        with_plan = [(m.quarters[q].plan, m.project.effective_budget) for m in members
                     if m.quarters[q].plan is not None]
        with_actual = [(m.quarters[q].actual, m.project.effective_budget) for m in members
                       if m.quarters[q].actual is not None]
        budget = sum((b for _, b in with_plan), Decimal(0))
        plans.append(_f(sum((p * b for p, b in with_plan), Decimal(0)) / budget / 100)
                     if budget else None)
        budget = sum((b for _, b in with_actual), Decimal(0))
        actuals.append(_f(sum((a for a, _ in with_actual), Decimal(0)) / budget)
                       if budget else None)
    return plans, actuals


def _department_rows(metrics: list[ProjectMetrics], rules: Rules) -> list[tuple]:
    grades = [band["grade"] for band in rules.scoring["grades"]]
    lights = [band["light"] for band in rules.monitoring["lights"]]
    groups: dict[str, list[ProjectMetrics]] = {}
    for m in metrics:
        groups.setdefault(m.project.dept_code, []).append(m)
    # The grand total runs through the same function as one pseudo-department, so it sums
    # amounts first exactly like every department row does.
    everything = [replace(m, project=replace(m.project, dept_code=TOTAL_LABEL, dept_name=""))
                  for m in metrics]
    totals = department_totals(metrics, rules) + (department_totals(everything, rules)
                                                   if metrics else [])
    members_of = {**groups, TOTAL_LABEL: metrics}
    rows = []
    for t in totals:
        plans, actuals = _quarter_progress(members_of[t.dept_code])
        rows.append((t.dept_code, t.dept_name, t.projects, _f(t.budget), _f(t.spent),
                     _f(t.execution_rate), _f(t.weighted_score),
                     *(t.grades.get(g, 0) for g in grades), *(t.lights.get(x, 0) for x in lights),
                     *plans, *actuals))
    if not metrics:
        rows.append((TOTAL_LABEL, "", 0, 0.0, 0.0, None, None, *(0 for _ in grades),
                     *(0 for _ in lights), *(None,) * 8))
    return rows


def _issue_row(i: Issue) -> tuple:
    return (i.file, i.sheet, i.cell or i.location, i.rule,
            SEVERITY_LABELS.get(i.severity, i.severity), i.message)


def build(outcomes: list[FileOutcome], rules: Rules, *, dept_info=None,
          extra_issues: Iterable[Issue] = ()) -> Consolidation:
    """Merge per-file outcomes into the summary tables (deterministic whatever their order)."""
    import pandas as pd

    info = _dept_info_map(dept_info)
    outcomes = _duplicates(sorted(outcomes, key=lambda o: o.path), rules)
    issues = list(extra_issues) + [i for o in outcomes for i in o.issues]
    per_file: dict[str, int] = {}
    for i in issues:
        per_file[i.file] = per_file.get(i.file, 0) + 1
    good = sorted((o for o in outcomes if o.project_row is not None),
                  key=lambda o: (o.project_row["部门编码"], o.project_row["项目编码"], o.path))
    project_rows = []
    for o in good:
        row = dict(o.project_row, 问题数=per_file.get(o.path, 0))
        project_rows.append(tuple(row[c] for c in PROJECT_COLUMNS))
    metrics = [o.metrics for o in good]
    goal_rows: list[tuple] = []
    dept_codes = list(dict.fromkeys(o.project_row["部门编码"] for o in good))
    dept_codes += [c for c in sorted(info) if c not in dept_codes]
    for code in dept_codes:
        members = [o for o in good if o.project_row["部门编码"] == code]
        name = members[0].project_row["部门名称"] if members else info[code]["dept_name"]
        goal_rows.extend(_goal_lines(code, name, members, info.get(code)))
    with_errors = sorted({i.file for i in issues if i.severity == ERROR and i.file})
    return Consolidation(
        projects=pd.DataFrame(project_rows, columns=list(PROJECT_COLUMNS)),
        departments=pd.DataFrame(_department_rows(metrics, rules),
                                 columns=list(department_columns(rules))),
        indicators=pd.DataFrame([r for o in good for r in o.indicator_rows],
                                columns=list(INDICATOR_COLUMNS)),
        dept_goals=pd.DataFrame(goal_rows, columns=list(DEPT_GOAL_COLUMNS)),
        issues=pd.DataFrame([_issue_row(i) for i in issues], columns=list(ISSUE_COLUMNS)),
        files_read=[o.path for o in outcomes],
        files_with_errors=with_errors,
        rules_source=rules.source,
        rules=rules,
        project_goals={o.project_row["项目编码"]: o.goal for o in good},
    )


def consolidate(paths, *, rules: Rules | str | os.PathLike | None = None, jobs: int | None = None,
                year: int | None = None, dept_info=None, progress: bool = False,
                exclude: Iterable[str | os.PathLike] = ()) -> Consolidation:
    """Read every project workbook under ``paths`` and return the summary tables.

    ``jobs``: worker processes (None = all cores, 1 = in this process). ``year``: only
    projects of that year count, the others are listed as issues. ``dept_info``: department
    info files (or parsed documents) for the 部门整体绩效目标 section. ``progress``: draw a
    progress bar on stderr if it is a terminal. Nothing is written to disk.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    rules = rules if isinstance(rules, Rules) else load_rules(rules)
    info = _dept_info_map(dept_info)   # a bad info file fails before minutes of reading
    files, missing = discover(paths, exclude=exclude)
    jobs = jobs or _cores()
    outcomes = _read_all([str(f) for f in files], rules, year, jobs, progress)
    return build(outcomes, rules, dept_info=info, extra_issues=missing)
