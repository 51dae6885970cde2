"""Consolidation: a folder of project workbooks → the department summary as pandas DataFrames.

``discovery`` finds the workbooks, ``reading`` reads them (in worker processes: ``pool``,
``readahead``) into one ``outcome`` per file with every metric recomputed from the inputs
(``multilevel`` when the file is a summary or a department workbook), and ``tables`` merges
them: duplicates dropped, departments summed, the tables built (``columns``; long tables wait
on disk in ``spool``). Nothing is written to disk here; ``xlpkg.summary`` writes the workbook,
``department_forms`` the department workbooks.

A bad file never stops the run: it becomes rows of the issues table and the rest still lands.
"""
from __future__ import annotations

import os
from typing import Iterable

from ..model import MAX_YEAR, MIN_YEAR
from ..rules import Rules, load_rules
from .columns import (DEPARTMENT_COLUMNS, DEPT_EVAL_COLUMNS, DEPT_GOAL_COLUMNS, INDICATOR_COLUMNS,
                      ISSUE_COLUMNS, PROJECT_COLUMNS, QUARTER_LABELS, TOTAL_LABEL, WORKBOOK_SUFFIXES,
                      Consolidation)
from .dept_info import DeptInfoError, cn_number, dept_info_map, load_dept_info
from .discovery import FOREIGN_SPREADSHEET_SUFFIXES, discover
from .outcome import FileOutcome, normalize_code, outcome_from_project, read_one
from .reading import read_all, worker_count
from .tables import build

__all__ = ["Consolidation", "DeptInfoError", "consolidate", "discover", "load_dept_info",
           "build", "read_one", "outcome_from_project", "FileOutcome", "WORKBOOK_SUFFIXES",
           "PROJECT_COLUMNS", "DEPARTMENT_COLUMNS", "INDICATOR_COLUMNS", "DEPT_GOAL_COLUMNS",
           "DEPT_EVAL_COLUMNS",
           "ISSUE_COLUMNS", "TOTAL_LABEL", "QUARTER_LABELS", "cn_number", "normalize_code",
           "FOREIGN_SPREADSHEET_SUFFIXES", "worker_count"]


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
    info = dept_info_map(dept_info)   # a bad info file fails before minutes of reading
    files, missing = discover(paths, exclude=exclude, rules=rules)
    jobs = worker_count(jobs, len(files))
    outcomes = read_all([str(f) for f in files], rules, year, jobs, progress, reader, on_outcome)
    return build(outcomes, rules, dept_info=info, extra_issues=missing, year=year)
