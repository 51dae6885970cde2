"""`xlpkg review --apply`: the reviewer's verdicts written into a copy of each reviewed form.

The department's own file is never changed: each copy goes into the output folder under the
form's file name, rebuilt through the reader and the writer (as ``xlpkg upgrade`` does, so a v1
or v2 form comes out as v3 with its 财政部门审核 block). All copies of one run are written or none:
each goes to a temporary file first, and only when every one is complete are they renamed.
"""
from __future__ import annotations

import datetime as _dt
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..model import Review
from ..rules import Rules
from ..model import review_fingerprint
from ..workbook.writer import CapacityError, fill_workbook
from . import layout as R
from .collect import Form, dedup, read_forms
from .sheet import ReviewBook, ReviewBookError, read_review_book

__all__ = ["ApplyResult", "apply_review"]

# Reader issues that mean a typed value did not make it into the model: a copy would lose it.
_LOSSY_RULES = {"form.value", "form.not_template", "form.unreadable"}


@dataclass
class ApplyResult:
    stage: str = ""
    applied: list[dict] = field(default_factory=list)    # {"file", "output", "code", "grade", …}
    skipped: list[str] = field(default_factory=list)     # rows or forms reported, not applied
    errors: list[str] = field(default_factory=list)      # bad input: nothing written

    @property
    def ok(self) -> bool:
        return not self.errors and not self.skipped

    def to_dict(self) -> dict:
        return {"stage": self.stage, "applied": self.applied, "skipped": self.skipped, "errors": self.errors}


def _year_problem(book: ReviewBook, forms: list[Form]) -> str | None:
    years = Counter(f.project.year for f in forms)
    if not years or book.year is None or book.year in years:
        return None
    common = max(years, key=lambda y: (years[y], y))
    return (f"“{R.REVIEW}”工作表 {book.year_col}{R.FIRST_ROW}：审核表为{book.year}年度，"
            f"而所给表单为{common}年度：请使用本年度的审核表")


def apply_review(review_path: str | Path, paths: Iterable[str], outdir: str | Path, rules: Rules,
                 *, today: _dt.date | None = None) -> ApplyResult:
    result = ApplyResult()
    try:
        book = read_review_book(review_path)
    except ReviewBookError as exc:
        result.errors = exc.problems
        return result
    result.stage = book.stage
    outdir = Path(outdir)
    forms, problems = read_forms(paths, rules, exclude=[review_path], exclude_dirs=[outdir])
    forms, _ = dedup(forms)
    result.skipped.extend(problems)
    year_problem = _year_problem(book, forms)
    if year_problem:
        result.errors.append(year_problem)
        return result
    by_key = {f.key: f for f in forms}
    todo: list[tuple[Form, Path, Review, dict]] = []
    names: dict[str, str] = {}
    date = (today or _dt.date.today()).isoformat()
    for row in book.rows:
        if not row.reviewed:
            continue
        where = f"“{R.REVIEW}”工作表 {book.code_col}{row.row}"
        form = by_key.get(row.key)
        if form is None:
            result.skipped.append(f"{where}：项目“{row.code}”（{row.year}年）在所给文件中没有对应的表单，未回填")
            continue
        if form.sha256 != row.sha256:
            result.skipped.append(f"{form.path}：该表单在审核表生成后被修改过（SHA-256 不同），本次未回填"
                                  f"（{where}）；请重新生成审核表并审核")
            continue
        lost = [i for i in form.issues if i.rule in _LOSSY_RULES]
        if lost:
            result.skipped.append(f"{form.path}：有{len(lost)}处内容无法读取（如 {lost[0].sheet}!{lost[0].cell}），"
                                  "写入副本会丢失这些内容，本次未回填")
            continue
        target = outdir / Path(form.path).name
        if target.name in names:
            result.errors.append(f"{form.path} 与 {names[target.name]} 文件名相同，不能写入同一输出文件夹：请分两次回填")
            continue
        if os.path.exists(target) and os.path.samefile(target, form.path):
            result.errors.append(f"{form.path}：输出文件夹就是表单所在文件夹，回填不能覆盖部门的原文件，请另指定 -o")
            continue
        names[target.name] = form.path
        review = Review(stage=book.stage, grade=row.grade, opinion=row.opinion, date=date)
        todo.append((form, target, review, row.indicators))
    if result.errors:
        return result
    _write_all(todo, outdir, rules, result)
    return result


def _write_all(todo, outdir: Path, rules: Rules, result: ApplyResult) -> None:
    """Every copy to a temporary file in ``outdir``, then all renamed; none on any failure."""
    outdir.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for form, target, review, indicators in todo:
            project = form.project
            fingerprint = review_fingerprint(project)   # what the department filed, review aside
            project.review = review
            for index, (opinion, verified) in indicators.items():
                if index < len(project.indicators):
                    ind = project.indicators[index]
                    ind.review_opinion = opinion or ind.review_opinion
                    ind.verified_score = verified if verified is not None else (
                        ind.verified_score if review.stage != "evaluation" else None)
            # a name of its own (not mkstemp, whose file is private): the copy keeps normal permissions
            tmp = outdir / f".xlpkg-review-{os.getpid()}-{len(staged)}-{target.name}"
            staged.append((tmp, target))
            fill_workbook(project, tmp, rules=rules, review_fingerprint=fingerprint)
            result.applied.append({"file": form.path, "output": str(target), "code": project.code,
                                   "year": project.year, "grade": review.grade, "opinion": review.opinion,
                                   "indicators": sum(1 for o, v in indicators.values() if o or v is not None)})
    except (OSError, CapacityError) as exc:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        result.applied.clear()
        result.errors.append(f"写入回填文件时出错，本次没有写入任何文件：{exc}")
        return
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
