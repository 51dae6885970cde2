"""The forms a yearly command reads: files and folders, each form checked, refused with its
issues when it has errors (its numbers cannot be trusted), grouped by project."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..consolidate import discover, normalize_code
from ..issues import Issue, has_errors
from ..checks import check
from ..model import Project, ProjectFormatError, load_project_json
from ..rules import Rules, load_rules
from ..workbook.form_checks import read_checked_file

__all__ = ["FormSet", "ReadForm", "group_by_code", "read_forms"]


@dataclass
class ReadForm:
    path: Path
    project: Project

    @property
    def code(self) -> str:
        return normalize_code(self.project.code)


@dataclass
class FormSet:
    forms: list[ReadForm] = field(default_factory=list)
    refused: list[tuple[str, list[Issue]]] = field(default_factory=list)   # (file, its issues)


def group_by_code(forms: Iterable[ReadForm], rules: Rules) -> tuple[dict[str, list[ReadForm]], list[Issue]]:
    """Per project code, its forms from the latest year back, one per year: of two forms of
    one project and year the first named is used, the other is noted."""
    groups: dict[str, dict[int, ReadForm]] = {}
    notes: list[Issue] = []
    for form in forms:
        years = groups.setdefault(form.code, {})
        first = years.get(form.project.year)
        if first is not None:
            notes.append(rules.issue("consolidate.duplicate", detail=(
                f"与“{first.path}”是同一项目（{form.project.code}）同一年度（{form.project.year}）的表，"
                "只使用前者")).located(file=str(form.path)))
            continue
        years[form.project.year] = form
    return {code: [years[y] for y in sorted(years, reverse=True)] for code, years in groups.items()}, notes


def read_forms(paths: Iterable[str | Path], *, rules: Rules | None = None,
               exclude: Iterable[str | Path] = (), keep_errors: bool = False) -> FormSet:
    """Every project form under ``paths``; a form with errors is refused with its issues
    (``keep_errors``: kept, for uses that need only its indicators, such as the library)."""
    rules = rules or load_rules()
    paths = [Path(p) for p in paths]
    documents = [p for p in paths if p.suffix.lower() == ".json" and p.is_file()]
    files, missing = discover([p for p in paths if p not in documents], exclude=list(exclude),
                              rules=rules)
    out = FormSet(refused=[(i.file or "", [i]) for i in missing])
    for path in documents:   # a project JSON document named explicitly: checked like a form
        try:
            project = load_project_json(path)
        except ProjectFormatError as exc:
            out.refused.append((str(path), [rules.issue("form.unreadable", detail=str(exc))
                                            .located(file=str(path))]))
            continue
        issues = check(project, rules)
        if has_errors(issues) and not keep_errors:
            out.refused.append((str(path), [i.located(file=str(path)) for i in issues]))
        else:
            out.forms.append(ReadForm(path, project))
    for path in files:
        result = read_checked_file(path, rules=rules)
        if result.project is None or (has_errors(result.issues) and not keep_errors):
            errors = sorted(result.issues, key=lambda i: i.severity != "error")
            out.refused.append((str(path), errors))
            continue
        out.forms.append(ReadForm(path, result.project))
    return out
