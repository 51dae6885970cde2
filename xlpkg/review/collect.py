"""The forms a review covers: found, read, checked and de-duplicated as ``consolidate`` does,
each with the SHA-256 of its bytes (the apply step refuses a form changed since)."""
from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..consolidate import discover, normalize_code
from ..issues import Issue, has_errors
from ..metrics import ProjectMetrics
from ..model import Project
from ..rules import Rules
from ..carryover.store import stored_projects
from ..workbook.form_checks import read_checked_file
from .findings import Findings, History, find

__all__ = ["Form", "collect", "dedup", "file_sha256", "read_forms", "read_history"]


@dataclass
class Form:
    path: str
    sha256: str
    project: Project
    issues: list[Issue]
    metrics: ProjectMetrics | None
    findings: Findings | None = None
    stage: str = ""          # the review's stage, once decided

    @property
    def key(self) -> tuple[str, int]:
        return normalize_code(self.project.code), self.project.year


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_forms(paths: Iterable[str], rules: Rules, exclude=(), exclude_dirs=()) -> tuple[list[Form], list[str]]:
    """Every form under ``paths`` read and checked; ``exclude_dirs``: folders whose files are
    never forms of this run (the apply step's output, which may lie inside the input folder)."""
    files, missing = discover(list(paths), exclude=exclude, rules=rules)
    skip = [os.path.realpath(d) + os.sep for d in exclude_dirs]
    files = [f for f in files if not any(os.path.realpath(f).startswith(s) for s in skip)]
    problems = [f"{i.where}：{i.message}" for i in missing]
    forms = []
    for path in files:
        sha = file_sha256(path)   # before reading: what is reviewed is what was hashed
        result = read_checked_file(path, rules=rules)
        if result.project is None:
            problems.append("；".join(f"{i.where}：{i.message}" for i in result.issues) or f"{path}：无法读取")
            continue
        forms.append(Form(str(path), sha, result.project, result.issues, result.metrics))
    return forms, problems


def dedup(forms: list[Form]) -> tuple[list[Form], list[str]]:
    """One form per (项目编码, 年度): the first without errors, else the first (as consolidate)."""
    groups: dict[tuple[str, int], list[Form]] = {}
    for f in forms:
        groups.setdefault(f.key, []).append(f)
    kept, problems = [], []
    for key, group in groups.items():
        best = min(group, key=lambda f: has_errors(f.issues))
        kept.append(best)
        for f in group:
            if f is not best:
                problems.append(f"{f.path}：项目编码“{key[0]}”（{key[1]}年）与文件“{best.path}”重复，"
                                "本文件未列入审核表")
    return kept, problems


def collect(paths: Iterable[str], rules: Rules, stage: str, *, previous: Iterable[str] = (),
            exclude=(), db: str | None = None) -> tuple[list[Form], int | None, list[str]]:
    """(forms of the review's year with their findings, that year, problems in Chinese)."""
    forms, problems = read_forms(paths, rules, exclude)
    forms, dup = dedup(forms)
    problems += dup
    years = Counter(f.project.year for f in forms)
    year = max(years, key=lambda y: (years[y], y)) if years else None
    for f in [f for f in forms if f.project.year != year]:
        problems.append(f"{f.path}：年度为{f.project.year}年，与其他表单（{year}年）不同，未列入审核表")
    forms = sorted((f for f in forms if f.project.year == year),
                   key=lambda f: (normalize_code(f.project.dept_code), f.key))
    history = read_history(previous, rules, problems) if previous else None
    if db is not None and year is not None:
        history = history_from_store(db, forms, year - 1, history or History())
    if stage == "auto":
        stage = "evaluation" if any(f.metrics and f.metrics.evaluation.started for f in forms) else "target"
    for f in forms:
        f.stage = stage
        f.findings = find(f.project, f.issues, f.metrics, rules, stage, f.key[0], history)
    return forms, year, problems


def history_from_store(db: str, forms: list[Form], year: int, history: History) -> History:
    """Last year's projects of the forms under review, as the history store recorded them
    (``xlpkg history add`` / ``consolidate --db``). Raises StoreUnavailable (Chinese)."""
    for f in forms:
        code = normalize_code(f.project.code)
        for project in stored_projects(db, code):
            if project.year == year:
                history.add(code, project)
    return history


def read_history(paths: Iterable[str], rules: Rules, problems: list[str]) -> History:
    history = History()
    forms, bad = read_forms(paths, rules)
    problems += [f"（上年表单）{p}" for p in bad]
    for f in forms:
        history.add(normalize_code(f.project.code), f.project)
    return history
