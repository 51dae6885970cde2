"""Consolidation: a folder of project workbooks → the department summary as pandas DataFrames.

Discovery finds the workbooks, worker processes read them (python-calamine through
``xlpkg.reader``) and recompute every metric from the inputs, the main process only merges:
it drops duplicate project codes, sums per department with ``metrics.department_totals`` and
builds the tables. Nothing is written to disk here; ``xlpkg.summary`` writes the workbook.

A bad file never stops the run: it becomes rows of the issues table and the rest still lands.
"""
from __future__ import annotations

import json
import math
import os
import stat
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from . import layout as L
from .issues import ERROR, SEVERITY_LABELS, Issue
from .metrics import DeptShare, ProjectMetrics, department_totals, dept_share, project_metrics, round2
from .model import MAX_AMOUNT, MAX_YEAR, MIN_YEAR, Project, ProjectFormatError, cause_text, read_json_text
from .multilevel import compare_shown, project_record, read_upper
from .os_errors import os_error_text
from .rules import Rules, load_rules
from .sources import special_file
from .spool import Spool, SpooledTable
from .targets import try_parse_target

if TYPE_CHECKING:   # pandas is imported late: worker processes never need it
    import pandas as pd

__all__ = ["Consolidation", "DeptInfoError", "consolidate", "discover", "load_dept_info",
           "build", "read_one", "outcome_from_project", "FileOutcome", "WORKBOOK_SUFFIXES",
           "PROJECT_COLUMNS", "DEPARTMENT_COLUMNS", "INDICATOR_COLUMNS", "DEPT_GOAL_COLUMNS",
           "DEPT_EVAL_COLUMNS",
           "ISSUE_COLUMNS", "TOTAL_LABEL", "QUARTER_LABELS", "cn_number", "normalize_code",
           "FOREIGN_SPREADSHEET_SUFFIXES"]

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
    "执行率", "成本控制率", "自评得分", "自评等级", "问题数", "汇总说明", "来源文件",
)
INDICATOR_COLUMNS = (
    "部门编码", "项目编码", "项目名称", "序号", "一级指标", "二级指标", "三级指标",
    "原指标值（文字）", "指标性质", "指标值", "度量单位", "实际完成值", "分值", "得分",
    "偏差原因", "完成目标可能性", "偏差原因分析及改进措施",
)
DEPT_GOAL_COLUMNS = ("内容", "层级", "部门编码", "项目编码")
# The department self-evaluations found among the inputs (部门整体绩效表, or carried by summaries).
DEPT_EVAL_COLUMNS = ("部门编码", "部门名称", "年度", "部门自评得分", "部门自评等级", "部门执行率",
                     "来源文件")
ISSUE_COLUMNS = ("文件", "工作表", "单元格", "规则", "严重程度", "说明")
RECORD_COLUMNS = ("项目编码", "年度", "来源文件", "记录")


def department_columns(rules: Rules) -> tuple[str, ...]:
    """部门小计's columns: the grade and light names come from the rulebook."""
    grades = tuple(band["grade"] for band in rules.scoring["grades"])
    lights = tuple(band["label"] for band in rules.monitoring["lights"])
    return ("部门编码", "部门名称", "项目数", "全年预算数（万元）", "全年执行数（万元）", "执行率",
            "未填执行数（个）", "加权平均得分", "未自评（个）",
            *(f"{g}（个）" for g in grades), *(f"{x}（个）" for x in lights),
            *(f"{q}计划进度" for q in QUARTER_LABELS), *(f"{q}实际进度" for q in QUARTER_LABELS))


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
    # 结果应用 (xlpkg.history.results): set when earlier years are known (--db, --previous).
    results_application: Any = None   # history.results.ResultsApplication

    @property
    def project_count(self) -> int:
        return len(self.projects)

    @property
    def indicators(self) -> "pd.DataFrame":
        """指标明细 as a DataFrame, built on first use (``indicator_table`` iterates it)."""
        return self.indicator_table.frame()


# --- discovery ------------------------------------------------------------------------

# Spreadsheet formats that are not a project workbook xlpkg can read: listed, never lost.
FOREIGN_SPREADSHEET_SUFFIXES = {
    ".ods": "OpenDocument 表格", ".fods": "OpenDocument 表格", ".ots": "OpenDocument 表格模板",
    ".et": "WPS 表格", ".ett": "WPS 表格模板", ".xltx": "Excel 模板", ".xltm": "Excel 模板",
    ".xlt": "Excel 97-2003 模板", ".xlam": "Excel 加载项", ".xla": "Excel 加载项",
    ".numbers": "Numbers 表格",
}


def _skipped_name(name: str) -> bool:
    # "~$x.xlsx" is Excel's lock file, "._x.xlsx" a macOS resource fork: neither is a form.
    return name.startswith("~$") or name.startswith("._")


def _hidden(folder: str, name: str) -> bool:
    """A dot name, or a file/folder Windows marks hidden (Explorer does not show it)."""
    if name.startswith("."):
        return True
    if os.name != "nt":
        return False
    try:
        return bool(getattr(os.stat(os.path.join(folder, name)), "st_file_attributes", 0) & 2)
    except OSError:
        return False


def _suffix(name: str) -> str:
    """``Path(name).suffix.lower()`` of a file name, without building a Path (a province lists
    100,000 names): from the last dot, unless that dot starts or ends the name."""
    i = name.rfind(".")
    return name[i:].lower() if 0 < i < len(name) - 1 else ""


def _looks_like_spreadsheet(name: str) -> bool:
    suffix = _suffix(name)
    return suffix in WORKBOOK_SUFFIXES or suffix in FOREIGN_SPREADSHEET_SUFFIXES


def _skip_issue(rules: Rules | None, rule_id: str, detail: str, file: str) -> Issue:
    rules = rules or load_rules()
    return _issue(rules, rule_id, detail, file=file)


def discover(paths: Iterable[str | os.PathLike], *, exclude: Iterable[str | os.PathLike] = (),
             rules: Rules | None = None) -> tuple[list[Path], list[Issue]]:
    """Workbook files under ``paths`` (files or folders, recursive), sorted, each once.

    Files keep the names they have in the folder (a symlink is named, not its target); two
    names of one file count once. Every file that looks like a spreadsheet is accounted
    for: read, or an issue (a format xlpkg cannot read, a hidden file or folder, a folder
    that cannot be listed, something that is not a regular file). Lock files are skipped. A
    file named explicitly is always read, so the user hears why it is not a form. A path
    that does not exist becomes an issue. ``exclude`` (e.g. the output file) is never read.
    """
    excluded = {os.path.realpath(p) for p in exclude}
    found: dict[str, str] = {}     # real path → the name it was found under
    issues: list[Issue] = []
    visited: set[str] = set()

    def add(path: str | Path, real: str | None = None) -> None:
        found.setdefault(real or os.path.realpath(path), os.path.abspath(path))

    for given in paths:
        path = Path(given)
        if path.is_dir():
            def unreadable(exc: OSError) -> None:
                issues.append(_skip_issue(rules, "form.unreadable",
                                          f"无法读取文件夹“{exc.filename}”：{os_error_text(exc)}，"
                                          "其中的项目表未能汇总", str(exc.filename or given)))
            for dirpath, dirnames, filenames in os.walk(path, onerror=unreadable, followlinks=True):
                real = os.path.realpath(dirpath)
                if real in visited:        # a symlink loop or a folder linked twice
                    dirnames[:] = []
                    continue
                visited.add(real)
                hidden = sorted(d for d in dirnames if _hidden(dirpath, d))
                dirnames[:] = sorted(d for d in dirnames if d not in hidden)
                for d in hidden:
                    count = _count_spreadsheets(Path(dirpath, d))
                    if count:
                        issues.append(_skip_issue(
                            rules, "consolidate.skipped",
                            f"隐藏文件夹中有{count}个表格文件，未汇总；如需汇总，请把它们移到普通文件夹",
                            str(Path(os.path.abspath(dirpath), d))))
                folder = os.path.abspath(dirpath)
                for name in sorted(filenames):
                    if _skipped_name(name) or not _looks_like_spreadsheet(name):
                        continue
                    full = os.path.join(folder, name)
                    issue, linked = _file_issue(full, folder, name, rules)
                    if issue:
                        issues.append(issue)
                    else:   # the folder's real path is known: only a linked file needs its own
                        add(full, None if linked else os.path.join(real, name))
        elif path.is_file():
            if not _skipped_name(path.name):
                add(path)
        elif path.exists() or path.is_symlink():
            why = special_file(path) or "不是普通文件或文件夹"
            issues.append(_skip_issue(rules, "form.unreadable", f"“{given}”{why}", str(given)))
        else:
            issues.append(_skip_issue(rules, "form.unreadable", f"文件或文件夹不存在：{given}",
                                      str(given)))
    files = sorted(Path(shown) for real, shown in found.items() if real not in excluded)
    return files, issues


def _count_spreadsheets(folder: Path) -> int:
    count = 0
    try:
        for _, _, filenames in os.walk(folder):
            count += sum(1 for n in filenames if not _skipped_name(n) and _looks_like_spreadsheet(n))
            if count > 10_000:
                break
    except OSError:
        pass
    return count


def _file_issue(full: str, folder: str, name: str, rules: Rules | None) -> tuple[Issue | None, bool]:
    """(why a spreadsheet-looking file in ``folder`` is not read, or None to read it;
    whether the name is a symbolic link)."""
    suffix = _suffix(name)
    if suffix in FOREIGN_SPREADSHEET_SUFFIXES:
        return _skip_issue(rules, "form.unreadable",
                           f"{FOREIGN_SPREADSHEET_SUFFIXES[suffix]}（{suffix}）不能汇总：请在 Excel 或 WPS 中"
                           "打开，另存为 .xlsx（项目绩效目标表模板）后重新汇总", full), False
    if _hidden(folder, name):
        return _skip_issue(rules, "consolidate.skipped",
                           "隐藏文件，未汇总；如是项目表，请取消隐藏（或去掉文件名开头的“.”）", full), False
    try:
        mode = os.lstat(full).st_mode   # one call: a link, or what the file is
        linked = stat.S_ISLNK(mode)
        regular = os.path.isfile(full) if linked else stat.S_ISREG(mode)
    except (OSError, ValueError):
        linked, regular = False, False
    if not regular:   # a FIFO or device named x.xlsx would block or never end
        why = special_file(Path(full)) or "不是普通文件（如管道、设备或失效的链接），未读取"
        return _skip_issue(rules, "form.unreadable", why, full), linked
    return None, linked


# --- reading (runs in worker processes) ------------------------------------------------

@dataclass(slots=True)   # no per-instance dict: 100,000 of them wait for the summary
class FileOutcome:
    """What a worker sends back for one file: small, picklable, no workbook objects."""

    path: str
    issues: list[Issue]
    share: DeptShare | None = None          # what the project adds to its department's totals
    project_row: "dict[str, Any] | ProjectRow | None" = None
    indicator_rows: list[tuple] = field(default_factory=list)
    goal: str = ""
    indicator_names: tuple[str, ...] = ()
    # The project's inputs for the summary's data sheet: [(项目编码, 年度, 来源文件, record)].
    record_rows: list[tuple] = field(default_factory=list)
    # A summary or department workbook among the inputs (xlpkg.multilevel): what it carries.
    kind: str = "project"                   # project / summary / department
    via: str = ""                           # the summary a carried project came from
    children: list["FileOutcome"] = field(default_factory=list)
    repeated: bool = False                  # a carried project already counted elsewhere
    dept_evals: list[dict] = field(default_factory=list)


def _f(value: Decimal | None, scale: int = 0) -> float | None:
    if value is None or (isinstance(value, Decimal) and not value.is_finite()):
        return None
    out = float(value.scaleb(scale)) if scale else float(value)
    return out if math.isfinite(out) else None


def _issue(rules: Rules, rule_id: str, detail: str, **where: str) -> Issue:
    """An issue under a rule id of the rulebook (its schema requires every id used here)."""
    return rules.issue(rule_id, detail=detail).located(**where)


# Letters that look like Latin ones in project codes: a code typed with a Greek Β or a Cyrillic
# С is the same project to a person, so it must be the same project to de-duplication.
_CONFUSABLES = str.maketrans({
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX")),
    **dict(zip("АВЕКМНОРСТХУІЈЅ", "ABEKMHOPCTXYIJS")),
})


def normalize_code(text: str) -> str:
    """A department or project code as de-duplication compares it: NFKC (full-width digits),
    no invisible or space characters (zero-width space, BOM, soft hyphen), upper case, and
    Greek/Cyrillic lookalike letters as their Latin twins."""
    text = unicodedata.normalize("NFKC", str(text))
    text = "".join(ch for ch in text
                   if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Zs"))
    return text.upper().translate(_CONFUSABLES)


def _number_problems(p: Project) -> list[str]:
    """Amounts no form can hold (NaN, ±inf, 1e308): one such cell must not stop the summary."""
    values = [("预算数", p.budget), ("全年预算数", p.execution.year_budget),
              ("全年执行数", p.execution.year_spent),
              *((f"第{q + 1}季度累计实际支出", v) for q, v in enumerate(p.execution.actual_cumulative)),
              *((f"资金用途“{u.item}”金额", u.amount) for u in p.uses),
              *((f"三级指标“{i.name}”的指定分值", i.weight) for i in p.indicators),
              *((f"第{q + 1}季度支出计划", v) for q, v in enumerate(p.plan))]
    out = []
    for what, value in values:
        if value is None:
            continue
        if not isinstance(value, Decimal) or not value.is_finite() or abs(value) >= MAX_AMOUNT:
            out.append(f"{what}“{value}”不是有效数字或超出合理范围（绝对值应小于{MAX_AMOUNT:f}）")
    return out


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
    issues = [i if i.file else i.located(file=path) for i in issues]   # every issue names its file
    problems = _number_problems(project)
    if problems:
        return FileOutcome(path, list(issues) + [
            _issue(rules, "form.value", text, file=path) for text in problems])
    m = metrics if metrics is not None else project_metrics(project, rules)
    ev = m.evaluation
    p = project
    started = getattr(ev, "started", True)
    dept_code = normalize_code(p.dept_code)
    row: dict[str, Any] = {
        "部门编码": dept_code, "部门名称": p.dept_name.strip(),
        "项目编码": normalize_code(p.code), "项目名称": p.name, "资金来源": p.fund_source, "年度": p.year,
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
    notes = []
    if p.execution.year_spent is None:
        notes.append("未填全年执行数，不计入执行数合计和执行率")
    if not started:
        notes.append("尚未开始自评（无全年执行数和实际完成值），无得分和等级")
    row.update({"执行率": _f(m.execution_rate), "成本控制率": _f(m.cost_control_rate),
                "自评得分": _f(ev.total) if started else None,
                "自评等级": ev.grade if started else None, "问题数": 0,
                "汇总说明": "；".join(notes), "来源文件": path})
    indicator_rows = []
    for i, (ind, score) in enumerate(zip(p.indicators, ev.indicators), start=1):
        nature, value, unit = _official(ind.target, p.year)
        indicator_rows.append((
            row["部门编码"], row["项目编码"], p.name, i, ind.level1, ind.level2, ind.name,
            ind.target, nature, value, unit, ind.actual,
            _f(round2(score.weight)) if score.applicable else None,
            _f(score.shown_score) if score.applicable and started else None,
            cause_text(ind), ind.likelihood, ind.analysis))
    names = tuple(ind.name.strip() for ind in p.indicators if ind.name.strip())
    issues = list(issues)
    return FileOutcome(path=path, issues=issues, share=dept_share(m, dept_code), project_row=row,
                       indicator_rows=indicator_rows, goal=p.goal.strip(), indicator_names=names,
                       record_rows=[(row["项目编码"], p.year, path, project_record(p, issues))])


def _upper_outcome(path: str, found, rules: Rules) -> FileOutcome:
    """A summary's carried projects (rebuilt and recomputed) or a department's evaluation."""
    upper, header, shown = found
    children = []
    for project, source_file, issues, metrics in upper.projects:
        child = outcome_from_project(project, source_file or path, rules, issues, metrics)
        mismatch = compare_shown(header, shown, project, child.project_row, rules, path)
        if mismatch:
            child.issues.append(mismatch)
        child.via = path
        children.append(child)
    return FileOutcome(path, list(upper.issues), kind=upper.kind, children=children,
                       dept_evals=list(upper.dept_evals))


def read_one(path: str, rules: Rules, year: int | None = None) -> FileOutcome:
    """Read one workbook; never raises (a reader bug becomes an issue, not a lost run)."""
    from .reader import read_project_file

    try:
        result = read_project_file(path, rules=rules)
    except MemoryError:   # a worker's memory is capped (xlpkg.pool): one absurd file, not the run
        return FileOutcome(path, [_issue(rules, "form.unreadable",
                                         "读取该文件所需内存超出上限（文件内容异常庞大），已跳过该文件", file=path)])
    except Exception as exc:   # noqa: BLE001 - one bad file must not cost the other 999
        return FileOutcome(path, [_issue(rules, "form.unreadable",
                                         f"读取文件时出现意外错误（{type(exc).__name__}: {exc}）",
                                         file=path)])
    issues = [i.located(file=path) for i in result.issues]
    project = result.project
    if project is None:
        if any(i.rule == "form.not_template" for i in issues):
            # Not a project form: maybe xlpkg's own summary or a department workbook.
            try:
                found = read_upper(path, rules, year)
                if found is not None:
                    return _upper_outcome(path, found, rules)
            except Exception as exc:   # noqa: BLE001 - same reason as above
                issues.append(_issue(rules, "form.unreadable",
                                     f"读取汇总表时出现意外错误（{type(exc).__name__}: {exc}）", file=path))
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


def _chunks(items: list[str], jobs: int) -> list[list[str]]:
    # Several chunks per worker keep both cores busy to the end and the progress bar moving;
    # 64 files per chunk keep the per-task pickling overhead negligible.
    size = max(1, min(64, len(items) // (jobs * 32) or 1))
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


def worker_count(jobs: int | None, files: int) -> int:
    """Worker processes for ``files`` files: never more than the cores or the files.

    ``--jobs 99999999999999999999`` is clamped, not obeyed: more workers than cores only
    cost memory, and thousands of them exhausted it.
    """
    wanted = _cores() if jobs is None else max(1, jobs)
    return max(1, min(wanted, _cores(), files))


def _compact(outcome: FileOutcome, seen: dict, spool: Spool) -> FileOutcome:
    """An outcome as the main process keeps it until every form is read: its indicator rows
    and record on disk (``xlpkg.spool``), and one string object per distinct short text
    across all outcomes (unpickled, every form's column names, "满意度", department names …
    are separate copies). Summaries' carried projects alike."""
    def one(value):
        return seen.setdefault(value, value) if type(value) is str and len(value) < 200 else value
    if outcome.project_row is not None:
        outcome.project_row = ProjectRow.of(outcome.project_row, one)
    if outcome.share is not None:   # plans (25, 50, 75, 100 …) and grades repeat endlessly
        share = outcome.share
        outcome.share = share._replace(dept_name=one(share.dept_name), grade=one(share.grade),
                                       plans=tuple(seen.setdefault(p, p) for p in share.plans))
    if outcome.indicator_rows:
        outcome.indicator_rows = spool.add(outcome.indicator_rows)
    if outcome.record_rows:
        outcome.record_rows = spool.add(outcome.record_rows)
    outcome.indicator_names = tuple(map(one, outcome.indicator_names))
    if outcome.issues:   # a province may carry a million warnings: share all but the message
        outcome.issues = [replace(i, rule=one(i.rule), severity=one(i.severity),
                                  location=one(i.location), file=one(i.file), sheet=one(i.sheet),
                                  cell=one(i.cell)) for i in outcome.issues]
    for child in outcome.children:
        _compact(child, seen, spool)
    return outcome


def _read_all(files: list[str], rules: Rules, year: int | None, jobs: int,
              progress: bool, reader=None, on_outcome=None) -> list[FileOutcome]:
    from .pool import read_in_workers
    from .readahead import ahead

    bar = _Progress(len(files), progress)
    out: list[FileOutcome] = []
    seen: dict[str, str] = {}
    spool = Spool()   # closed with the last table that reads it (its file is unlinked already)
    try:
        if jobs <= 1 or len(files) < 8:
            outcomes = ((reader or read_one)(path, rules, year) for path in ahead(files))
        else:
            outcomes = read_in_workers(files, rules, year, jobs, _chunks(files, jobs), reader)
        for outcome in outcomes:
            if on_outcome is not None:
                outcome = on_outcome(outcome)
            out.append(_compact(outcome, seen, spool))
            bar.advance(1)
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
            data = json.loads(read_json_text(source))
        except ProjectFormatError as exc:
            raise DeptInfoError(f"部门信息文件 {name}：{exc}") from None
        except RecursionError:
            raise DeptInfoError(f"部门信息文件 {name} 嵌套层次过深") from None
        except OSError as exc:
            raise DeptInfoError(f"无法读取部门信息文件 {source}：{os_error_text(exc)}") from None
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

def _has_error(o: FileOutcome) -> bool:
    return any(i.severity == ERROR for i in o.issues)


def _project_key(row: Mapping[str, Any]) -> tuple[str, Any]:
    """The identity of a project across files and levels: (normalised code, year); the code
    was normalised (``normalize_code``) when the row was shaped."""
    return (row["项目编码"], row["年度"])


def _duplicates(outcomes: list[FileOutcome], rules: Rules) -> list[FileOutcome]:
    """One outcome per project (``_project_key``), whether it came as a form or inside a
    summary (``_with_carried`` lists forms first, then each summary's projects).

    Of the copies of one project the first without errors is kept (an erroneous copy must
    not push out a clean one), forms before summaries' copies. A repeated form is reported
    and dropped; a repeated carried project is dropped silently and counted in its summary's
    note (a summary beside its own forms would otherwise flood 问题清单).
    """
    keyed: dict[tuple[str, int], list[tuple[int, FileOutcome]]] = {}
    for n, o in enumerate(outcomes):
        if o.project_row is not None and o.project_row["项目编码"]:
            keyed.setdefault(_project_key(o.project_row), []).append((n, o))
    keep = {id(min(group, key=lambda x: (_has_error(x[1]), bool(x[1].via), x[0]))[1]): None
            for group in keyed.values()}
    kept_path = {key: next(o.path if not o.via else f"{o.via}（{o.path}）"
                           for _, o in group if id(o) in keep) for key, group in keyed.items()}
    out = []
    for o in outcomes:
        if o.project_row is None or not o.project_row["项目编码"] or id(o) in keep:
            out.append(o)
            continue
        key = _project_key(o.project_row)
        if o.via:
            o.repeated = True
            continue
        code, year = key
        o.issues.append(_issue(
            rules, "consolidate.duplicate",
            f"项目编码“{code}”（{year}年）与文件“{kept_path[key]}”重复：已按该文件计入汇总，"
            "本文件未重复计入", file=o.path, sheet=L.DECL, cell=L.NAMES["ProjCode"].ref))
        out.append(FileOutcome(o.path, o.issues))
    return out


def _summary_year(outcomes: list[FileOutcome], rules: Rules, year: int | None) -> int | None:
    """The one year this summary sums. Without ``--year`` it is the year most usable forms
    have (the later one on a tie); a form of another year gets an error and is left out,
    because amounts of different years must never be added up."""
    years = Counter(o.project_row["年度"] for o in outcomes
                    if o.project_row is not None and not _has_error(o))
    if year is not None or not years:
        return year
    chosen = max(years, key=lambda y: (years[y], y))
    for o in outcomes:
        if o.project_row is not None and o.project_row["年度"] != chosen:
            other = o.project_row["年度"]
            o.issues.append(_issue(
                rules, "consolidate.mixed_years",
                f"项目年度为{other}年，与本次汇总的{chosen}年（多数项目表的年度）不同：不同年度的金额不能相加，"
                f"本文件未计入汇总；如需汇总{other}年，请用 --year {other} 单独汇总；"
                f"如需对比上年，请用 --previous 指定上年的项目表或汇总表，或用 --db 记入历史库",
                file=o.via or o.path, sheet=L.DECL if not o.via else "项目汇总",
                cell=L.NAMES["FiscalYear"].ref if not o.via else ""))
    return chosen


def _with_carried(outcomes: list[FileOutcome]) -> list[FileOutcome]:
    """Forms (sorted by path), then the projects summaries carry, summary by summary: the
    order ``_duplicates`` keeps the first of, so a project counts from the most direct source."""
    files = sorted(outcomes, key=lambda o: o.path)
    return files + [child for o in files if o.kind == "summary" for child in o.children]


def _summary_notes(outcomes: list[FileOutcome], rules: Rules) -> None:
    """One note per summary read: how many of its projects counted, how many were repeats."""
    for summary in (o for o in outcomes if o.kind == "summary"):
        total = len(summary.children)
        repeated = sum(1 for child in summary.children if child.repeated)
        if total or not summary.issues:   # every file is accounted for
            summary.issues.append(_issue(
                rules, "consolidate.summary_input",
                f"这是 xlpkg 生成的汇总表，含{total}个项目：{total - repeated}个按其中保存的原始数据重算后计入"
                + (f"，{repeated}个已由项目表或先读取的汇总表计入，未重复计入" if repeated else ""),
                file=summary.path))
        summary.children = []   # counted or dropped: the summary itself is no project


def _dept_evaluations(outcomes: list[FileOutcome], rules: Rules) -> list[tuple]:
    """One self-evaluation per (department, year): department workbooks before summaries'."""
    ordered = ([e for o in outcomes if o.kind == "department" for e in o.dept_evals]
               + [e for o in outcomes if o.kind == "summary" for e in o.dept_evals])
    seen: dict[tuple, str] = {}
    rows = []
    for e in ordered:
        key = (str(e.get("部门编码", "")).strip(), e.get("年度"))
        if key in seen:
            continue
        seen[key] = e.get("来源文件", "")
        rows.append(tuple(e.get(c) for c in DEPT_EVAL_COLUMNS))
    return rows


def _quarter_progress(members: list[DeptShare]) -> tuple[list, list]:
    """Budget-weighted planned and actual cumulative progress per quarter (fractions)."""
    plans, actuals = [], []
    for q in range(4):
        with_plan = [(m.plans[q], m.budget) for m in members if m.plans[q] is not None]
        with_actual = [(m.actuals[q], m.budget) for m in members if m.actuals[q] is not None]
        budget = sum((b for _, b in with_plan), Decimal(0))
        plans.append(_f(sum((p * b for p, b in with_plan), Decimal(0)) / budget / 100)
                     if budget else None)
        budget = sum((b for _, b in with_actual), Decimal(0))
        actuals.append(_f(sum((a for a, _ in with_actual), Decimal(0)) / budget)
                       if budget else None)
    return plans, actuals


def _department_rows(shares: list[DeptShare], rules: Rules) -> list[tuple]:
    grades = [band["grade"] for band in rules.scoring["grades"]]
    lights = [band["light"] for band in rules.monitoring["lights"]]
    groups: dict[str, list[DeptShare]] = {}
    for m in shares:
        groups.setdefault(m.dept_code, []).append(m)
    # The grand total runs through the same function as one pseudo-department, so it sums
    # amounts first exactly like every department row does.
    everything = [m._replace(dept_code=TOTAL_LABEL, dept_name="") for m in shares]
    totals = department_totals(shares, rules) + (department_totals(everything, rules)
                                                  if shares else [])
    members_of = {**groups, TOTAL_LABEL: shares}
    rows = []
    for t in totals:
        plans, actuals = _quarter_progress(members_of[t.dept_code])
        rows.append((t.dept_code, t.dept_name, t.projects, _f(t.budget), _f(t.spent),
                     _f(t.execution_rate), t.spent_missing, _f(t.weighted_score), t.unevaluated,
                     *(t.grades.get(g, 0) for g in grades), *(t.lights.get(x, 0) for x in lights),
                     *plans, *actuals))
    if not shares:
        rows.append((TOTAL_LABEL, "", 0, 0.0, 0.0, None, 0, None, 0, *(0 for _ in grades),
                     *(0 for _ in lights), *(None,) * 8))
    return rows


def _issue_row(i: Issue) -> tuple:
    return (i.file, i.sheet, i.cell or i.location, i.rule,
            SEVERITY_LABELS.get(i.severity, i.severity), i.message)


def _notes(good: list[FileOutcome], excluded: int, year: int | None) -> list[str]:
    """What the summary counts and what it leaves out, printed under 部门小计."""
    notes = [f"汇总年度：{year}年；其他年度的项目表不计入，列于“问题清单”。" if year is not None
             else "汇总年度：无可汇总的项目表。",
             "有错误的项目表（问题清单中严重程度为“错误”）不计入项目汇总、部门小计、指标明细、"
             f"部门整体绩效目标和图表，只列于“问题清单”；本次有{excluded}个。"]
    missing = sum(1 for o in good if o.project_row["全年执行数（万元）"] is None)
    notes.append(f"未填全年执行数的项目不按0计：不计入全年执行数合计，执行率按已填执行数的项目计算"
                 f"（Σ执行数÷其Σ预算数）；本次有{missing}个。")
    unstarted = sum(1 for o in good if not o.share.started)
    notes.append(f"尚未开始自评（无全年执行数和实际完成值）的项目无自评得分和等级，不计入等级分布和加权"
                 f"平均得分；本次有{unstarted}个。")
    return notes


def build(outcomes: list[FileOutcome], rules: Rules, *, dept_info=None,
          extra_issues: Iterable[Issue] = (), year: int | None = None) -> Consolidation:
    """Merge per-file outcomes into the summary tables (deterministic whatever their order).

    The counting rules, stated on the summary (``Consolidation.notes``): one file per
    (project code, year); one year per summary; a form with an error is listed only in the
    issues table and contributes nothing else; a missing 全年执行数 is left out of the sums,
    never added as 0; a form whose self-evaluation has not started has no score or grade.
    """
    import pandas as pd

    info = _dept_info_map(dept_info)
    dept_eval_rows = _dept_evaluations(sorted(outcomes, key=lambda o: o.path), rules)
    outcomes = _duplicates(_with_carried(outcomes), rules)
    _summary_notes(outcomes, rules)
    year = _summary_year(outcomes, rules, year)
    issues = list(extra_issues) + [i for o in outcomes for i in o.issues]
    per_file: dict[str, int] = {}
    for i in issues:
        per_file[i.file] = per_file.get(i.file, 0) + 1
    excluded = sum(1 for o in outcomes if o.project_row is not None and _has_error(o))
    good = sorted((o for o in outcomes if o.project_row is not None and not _has_error(o)),
                  key=lambda o: (o.project_row["部门编码"], o.project_row["项目编码"], o.path))
    project_rows = []
    for o in good:
        # A carried project's issues all name its summary: count its own, not the summary's.
        row = dict(o.project_row.items(), 问题数=len(o.issues) if o.via else per_file.get(o.path, 0))
        project_rows.append(tuple(row[c] for c in PROJECT_COLUMNS))
    shares = [o.share for o in good]
    goal_rows: list[tuple] = []
    by_dept: dict[str, list[FileOutcome]] = {}   # grouped once: a province has thousands
    for o in good:
        by_dept.setdefault(o.project_row["部门编码"], []).append(o)
    dept_codes = list(by_dept)
    dept_codes += [c for c in sorted(info) if c not in by_dept]
    for code in dept_codes:
        members = by_dept.get(code, [])
        name = members[0].project_row["部门名称"] if members else info[code]["dept_name"]
        goal_rows.extend(_goal_lines(code, name, members, info.get(code)))
    with_errors = sorted({i.file for i in issues if i.severity == ERROR and i.file})
    return Consolidation(
        projects=pd.DataFrame(project_rows, columns=list(PROJECT_COLUMNS)),
        departments=pd.DataFrame(_department_rows(shares, rules),
                                 columns=list(department_columns(rules))),
        indicator_table=SpooledTable(INDICATOR_COLUMNS, [o.indicator_rows for o in good]),
        dept_goals=pd.DataFrame(goal_rows, columns=list(DEPT_GOAL_COLUMNS)),
        issues=pd.DataFrame([_issue_row(i) for i in issues], columns=list(ISSUE_COLUMNS)),
        files_read=[o.path for o in outcomes if not o.via],
        files_with_errors=with_errors,
        rules_source=rules.source,
        rules=rules,
        # Every project this run holds, erroneous ones too: the next level re-checks them and
        # lists their problems again rather than losing them.
        records=SpooledTable(RECORD_COLUMNS, [
            o.record_rows for o in sorted((o for o in outcomes if o.project_row is not None),
                                     key=lambda o: (o.project_row["部门编码"], o.project_row["项目编码"]))]),
        dept_evaluations=pd.DataFrame(dept_eval_rows, columns=list(DEPT_EVAL_COLUMNS)),
        project_goals={o.project_row["项目编码"]: o.goal for o in good},
        year=year,
        notes=_notes(good, excluded, year),
    )


def _check_arguments(paths, year, jobs) -> tuple[list, int | None]:
    """The API's arguments, checked: a wrong type fails loudly instead of silently excluding
    every form (year="2022" never equals 2022)."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    try:
        paths = [os.fsdecode(p) for p in paths]
    except TypeError:
        raise TypeError("paths 应为文件或文件夹路径（str、bytes 或 os.PathLike），或它们的列表") from None
    if not paths:
        raise ValueError("paths 为空：请指定至少一个文件或文件夹")
    if year is not None:
        if isinstance(year, str) and year.strip().isdigit():
            year = int(year.strip())
        elif isinstance(year, bool) or not isinstance(year, int):
            raise TypeError(f"year 应为整数年度（如 2022），不是 {year!r}")
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(f"year 超出合理范围（{MIN_YEAR}–{MAX_YEAR}）：{year}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs 应为正整数，不是 {jobs!r}")
    return paths, year


def consolidate(paths, *, rules: Rules | str | os.PathLike | None = None, jobs: int | None = None,
                year: int | None = None, dept_info=None, progress: bool = False,
                exclude: Iterable[str | os.PathLike] = (), reader=None,
                on_outcome=None) -> Consolidation:
    """Read every project workbook under ``paths`` and return the summary tables.

    ``jobs``: worker processes (None = all cores, 1 = in this process). ``year``: only
    projects of that year count, the others are listed as issues (without it, the year most
    forms have; see ``build``). ``dept_info``: department info files (or parsed documents)
    for the 部门整体绩效目标 section. ``progress``: draw a progress bar on stderr if it is a
    terminal. Nothing is written to disk. Wrong argument types raise TypeError/ValueError.
    ``reader``/``on_outcome``: for ``--db`` (xlpkg.history): a module-level reader that
    replaces ``read_one`` in the workers, and a function the main process passes each file's
    outcome through as it arrives (it records the file and returns the outcome to keep).
    """
    paths, year = _check_arguments(paths, year, jobs)
    rules = rules if isinstance(rules, Rules) else load_rules(rules)
    info = _dept_info_map(dept_info)   # a bad info file fails before minutes of reading
    files, missing = discover(paths, exclude=exclude, rules=rules)
    jobs = worker_count(jobs, len(files))
    outcomes = _read_all([str(f) for f in files], rules, year, jobs, progress, reader, on_outcome)
    return build(outcomes, rules, dept_info=info, extra_issues=missing, year=year)
