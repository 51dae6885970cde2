"""A project as the history store keeps it, shaped in the worker that reads the file.

``read_for_history`` is a drop-in for ``consolidate.read_one`` (same outcome, same issues, so
de-duplication and the summary are unchanged) that also carries, per project, the exact
figures ``xlpkg score --json`` prints: the store must answer to the cent, and recomputing
them from the summary's floats could not promise that.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, fields
from decimal import Decimal

from ..consolidate import FileOutcome, outcome_from_project, read_one
from ..issues import ERROR
from ..metrics import ProjectMetrics, project_metrics
from ..model import Project
from ..consolidate.multilevel import decode_record, project_dict, project_from_record
from ..workbook.form_checks import read_checked_file
from ..report import metrics_to_dict
from ..rules import Rules

__all__ = ["ProjectRecord", "HistoryOutcome", "read_for_history", "record_of", "has_error",
           "file_sha256"]

# indicator_rows columns (consolidate.INDICATOR_COLUMNS): 指标性质, 指标值, 度量单位
_NATURE, _VALUE, _UNIT = 8, 9, 10


@dataclass(slots=True)
class ProjectRecord:
    """One project-year, ready to insert (decimals as Decimal, JSON as text)."""

    code: str
    year: int
    dept_code: str
    dept_name: str
    name: str
    budget: Decimal | None
    year_spent: Decimal | None
    execution_rate_percent: Decimal | None
    total_score: Decimal | None
    grade: str | None
    started: bool
    inputs: str
    metrics: str
    source_file: str
    source_name: str
    sha256: str
    indicators: list[tuple] = field(default_factory=list)   # indicator columns after project_id


@dataclass(slots=True)
class HistoryOutcome(FileOutcome):
    """``FileOutcome`` plus the record of its project (a summary's children carry theirs)."""

    record: ProjectRecord | None = None


def has_error(outcome: FileOutcome) -> bool:
    return any(i.severity == ERROR for i in outcome.issues)


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def record_of(project: Project, metrics: ProjectMetrics, outcome: FileOutcome, source: str,
              sha256: str) -> ProjectRecord:
    """The store's row for a project whose outcome ``outcome_from_project`` shaped."""
    shown = metrics_to_dict(metrics)
    ev = shown["self_evaluation"]
    row = outcome.project_row
    indicators = []
    for n, (ind, scored, table_row) in enumerate(
            zip(project.indicators, ev["indicators"], outcome.indicator_rows), start=1):
        indicators.append((n, ind.level1, ind.level2, ind.name, ind.target,
                           table_row[_NATURE] or "", table_row[_VALUE] or "",
                           table_row[_UNIT] or "", ind.actual, _dec(scored["weight"]),
                           _dec(scored["score"])))
    return ProjectRecord(
        code=row["项目编码"], year=project.year, dept_code=row["部门编码"],
        dept_name=row["部门名称"], name=project.name,
        budget=_dec(shown["budget"]), year_spent=_dec(shown["spent"]),
        execution_rate_percent=_dec(shown["execution_rate_percent"]),
        total_score=_dec(ev["total"]), grade=ev["grade"],
        started=bool(getattr(metrics.evaluation, "started", True)),
        inputs=json.dumps(project_dict(project), ensure_ascii=False, separators=(",", ":")),
        metrics=json.dumps(shown, ensure_ascii=False, separators=(",", ":")),
        source_file=source, source_name=os.path.basename(source), sha256=sha256,
        indicators=indicators)


def _as_history(outcome: FileOutcome, record: ProjectRecord | None = None) -> HistoryOutcome:
    if isinstance(outcome, HistoryOutcome):
        outcome.record = record or outcome.record
        return outcome
    return HistoryOutcome(**{f.name: getattr(outcome, f.name) for f in fields(FileOutcome)},
                          record=record)


def _carried(outcome: FileOutcome, rules: Rules, sha256: str) -> HistoryOutcome:
    """A summary's projects with their records, rebuilt from the data the summary keeps."""
    children = []
    for child in outcome.children:
        record = None
        if child.project_row is not None and child.record_rows and not has_error(child):
            try:
                project = project_from_record(decode_record(child.record_rows[0][3])["project"])
                record = record_of(project, project_metrics(project, rules), child,
                                   outcome.path, sha256)
            except Exception as exc:   # noqa: BLE001 - the summary checked it: this is a bug
                child.issues.append(rules.issue(
                    "form.value", detail=f"无法记入历史库（{type(exc).__name__}: {exc}）"
                ).located(file=outcome.path))
        children.append(_as_history(child, record))
    out = _as_history(outcome)
    out.children = children
    return out


def read_for_history(path: str, rules: Rules, year: int | None = None) -> HistoryOutcome:
    """``consolidate.read_one`` with each project's record; never raises."""
    try:
        result = read_checked_file(path, rules=rules)
        project = result.project
    except Exception:   # noqa: BLE001 - read_one says why, in the words consolidate uses
        return _as_history(read_one(path, rules, year))
    if project is None or (year is not None and project.year != year):
        # A summary, a department workbook, a form of another year or no form at all: as
        # consolidate reads it (a second read, only for these few files).
        outcome = read_one(path, rules, year)
        if outcome.kind == "summary":
            try:
                return _carried(outcome, rules, file_sha256(path))
            except OSError:
                pass
        return _as_history(outcome)
    issues = [i.located(file=path) for i in result.issues]
    try:
        metrics = result.metrics if result.metrics is not None else project_metrics(project, rules)
        outcome = outcome_from_project(project, path, rules, issues, metrics)
        record = None
        if outcome.project_row is not None:
            record = record_of(project, metrics, outcome, path, file_sha256(path))
        return _as_history(outcome, record)
    except Exception:   # noqa: BLE001 - same reason as above
        return _as_history(read_one(path, rules, year))
