"""Reading every file of a run: in this process for a few files, in worker processes otherwise;
each outcome compacted as it arrives (rows spooled to disk, repeated texts shared)."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from ..rules import Rules
from .spool import Spool

if TYPE_CHECKING:   # pandas is imported late: worker processes never need it
    pass
from .columns import ProjectRow
from .outcome import FileOutcome, read_one
from .pool import read_in_workers
from .readahead import ahead

__all__ = ["read_all", "worker_count", "cores"]


def chunks(items: list[str], jobs: int) -> list[list[str]]:
    # Several chunks per worker keep both cores busy to the end and the progress bar moving;
    # 64 files per chunk keep the per-task pickling overhead negligible.
    size = max(1, min(64, len(items) // (jobs * 32) or 1))
    return [items[i:i + size] for i in range(0, len(items), size)]


class Progress:
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


def cores() -> int:
    """Cores this process may use (a container's CPU set, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_count(jobs: int | None, files: int) -> int:
    """Worker processes for ``files`` files: never more than the cores or the files.

    ``--jobs 99999999999999999999`` is clamped, not obeyed: more workers than cores only
    cost memory, and thousands of them exhausted it.
    """
    wanted = cores() if jobs is None else max(1, jobs)
    return max(1, min(wanted, cores(), files))


def compact(outcome: FileOutcome, seen: dict, spool: Spool) -> FileOutcome:
    """An outcome as the main process keeps it until every form is read: its indicator rows
    and record on disk (``xlpkg.consolidate.spool``), and one string object per distinct short text
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
        compact(child, seen, spool)
    return outcome


def read_all(files: list[str], rules: Rules, year: int | None, jobs: int,
             progress: bool, reader=None, on_outcome=None) -> list[FileOutcome]:
    """Every file's outcome. ``reader(path, rules, year)`` replaces ``read_one`` (in the workers
    too: a module-level function); ``on_outcome`` sees each outcome as it arrives in this
    process and returns the one to keep (``--db`` records files as they are read)."""
    bar = Progress(len(files), progress)
    out: list[FileOutcome] = []
    seen: dict[str, str] = {}
    spool = Spool()   # closed with the last table that reads it (its file is unlinked already)
    try:
        if jobs <= 1 or len(files) < 8:
            outcomes = ((reader or read_one)(path, rules, year) for path in ahead(files))
        else:
            outcomes = read_in_workers(files, rules, year, jobs, chunks(files, jobs), reader)
        for outcome in outcomes:
            if on_outcome is not None:
                outcome = on_outcome(outcome)
            out.append(compact(outcome, seen, spool))
            bar.advance(1)
        return out
    finally:
        bar.close()
