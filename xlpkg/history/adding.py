"""Recording what was read: `xlpkg history add` and `xlpkg consolidate --db`.

Outcomes are recorded as they arrive from the workers, one transaction per file, so a killed
run leaves every finished file recorded. Two copies of one (code, year) in a run follow
consolidate's rule whatever order they arrive in: a clean copy beats one with errors (which
is never recorded), a form beats a summary's copy, then the first path in sorted order; when
a better copy arrives after a worse one was recorded, it replaces it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass, field
from typing import Iterable

from ..consolidate import FileOutcome, discover, worker_count
from ..issues import ERROR, Issue
from ..consolidate.pool import read_in_workers
from ..rules import Rules
from .records import HistoryOutcome, ProjectRecord, has_error, read_for_history
from .address import Replaced

if TYPE_CHECKING:
    from .database import HistoryStore

__all__ = ["Recorder", "AddReport", "add_paths", "MemorySink"]


@dataclass
class AddReport:
    files: int = 0
    recorded: list[tuple[str, int, str]] = field(default_factory=list)     # code, year, file
    replaced: list[tuple[Replaced, str]] = field(default_factory=list)      # earlier run's, by file
    duplicates: list[str] = field(default_factory=list)                     # messages
    not_recorded: list[str] = field(default_factory=list)                   # messages
    issues: list[Issue] = field(default_factory=list)                       # discovery's

    @property
    def project_years(self) -> int:
        return len({(code, year) for code, year, _ in self.recorded})


class MemorySink:
    """A store stand-in that keeps the records in memory (``--previous``: no store needed)."""

    def __init__(self):
        self.records: dict[tuple[str, int], ProjectRecord] = {}

    def put_file(self, records: list[ProjectRecord]) -> list[Replaced]:
        for r in records:
            self.records[(r.code, r.year)] = r
        return []


def _shown(o: FileOutcome) -> str:
    return f"{o.via}（{o.path}）" if o.via else o.path


def _first_error(o: FileOutcome) -> str:
    return next((i.message for i in o.issues if i.severity == ERROR), "")


class Recorder:
    """Called with each outcome (``consolidate(on_outcome=...)``); returns it without records."""

    def __init__(self, store: HistoryStore | MemorySink, report: AddReport | None = None):
        self.store = store
        self.report = report or AddReport()
        self._kept: dict[tuple[str, int], tuple[tuple[bool, str], str]] = {}   # key → (rank, shown)
        self._this_run: set[tuple[str, int]] = set()

    def __call__(self, outcome: FileOutcome) -> FileOutcome:
        self.report.files += 1
        candidates = ([outcome] if outcome.project_row is not None
                      else [c for c in outcome.children if c.project_row is not None])
        chosen: list[tuple[ProjectRecord, FileOutcome]] = []
        for c in candidates:
            record = getattr(c, "record", None)
            if record is None or not record.code:
                continue
            key = (record.code, record.year)
            if has_error(c):
                self.report.not_recorded.append(
                    f"{_shown(c)}：项目编码“{record.code}”（{record.year}年）有错误，未记入历史库："
                    f"{_first_error(c)}")
                continue
            rank = (bool(c.via), c.path)
            prior = self._kept.get(key)
            if prior is not None and prior[0] <= rank:
                self.report.duplicates.append(
                    f"{_shown(c)}：项目编码“{record.code}”（{record.year}年）与文件“{prior[1]}”重复，"
                    "已按该文件记录，本文件未记录")
                continue
            if prior is not None:
                self.report.duplicates.append(
                    f"{prior[1]}：项目编码“{record.code}”（{record.year}年）与文件“{_shown(c)}”重复，"
                    "已按后者记录（无错误的项目表优先，其次按文件名顺序），前者的记录已被替换")
            chosen.append((record, c))
        if chosen:
            replaced = self.store.put_file([r for r, _ in chosen])
            for r, c in chosen:
                key = (r.code, r.year)
                self._kept[key] = ((bool(c.via), c.path), _shown(c))
                self.report.recorded.append((r.code, r.year, _shown(c)))
            for old in replaced:
                if (old.code, old.year) not in self._this_run:
                    self.report.replaced.append((old, outcome.path))
            self._this_run.update((r.code, r.year) for r, _ in chosen)
        for c in [outcome, *outcome.children]:
            if isinstance(c, HistoryOutcome):
                c.record = None   # recorded: the summary need not carry it further
        return outcome


def _chunks(items: list[str], jobs: int) -> list[list[str]]:
    size = max(1, min(64, len(items) // (jobs * 32) or 1))
    return [items[i:i + size] for i in range(0, len(items), size)]


def add_paths(store: HistoryStore, paths: Iterable[str], rules: Rules, *,
              jobs: int | None = None) -> AddReport:
    """Read every form, summary and department workbook under ``paths`` (as consolidate
    finds them) and record each project-year."""
    files, missing = discover(list(paths), rules=rules)
    report = AddReport(issues=list(missing))
    recorder = Recorder(store, report)
    names = [str(f) for f in files]
    workers = worker_count(jobs, len(names))
    if workers <= 1 or len(names) < 8:
        outcomes = (read_for_history(p, rules, None) for p in names)
    else:
        outcomes = read_in_workers(names, rules, None, workers, _chunks(names, workers),
                                   read_file=read_for_history)
    for outcome in outcomes:
        recorder(outcome)
        if outcome.project_row is None and not outcome.children and outcome.kind == "project":
            report.not_recorded.extend(f"{outcome.path}：{i.message}" for i in outcome.issues
                                       if i.severity == ERROR)
    return report
