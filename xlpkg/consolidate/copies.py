"""Which copy of a project counts when a folder holds it more than once (docs/sources-of-truth.md).

A project can reach a run as its own form, inside one or more of xlpkg's summaries, or both.
The rules, in order:

1. A project's own form is the truth: a summary's copy of it is only a cross-check (a copy
   that differs is named with both files; a form with an error is never replaced by a
   summary's clean copy).
2. A department's own forms supersede an older summary of that department: when a form of
   (department, year) is here that the summary lacks or holds otherwise (the form as it is
   now postdates the summary, whatever the file dates say), the summary is out of date for
   that department; none of its projects of that
   department count (a withdrawn project, or one whose code was corrected since, must not
   come back), they are named, and the summary is flagged with both file names. Otherwise
   a summary's projects without a form here count (a department may send its summary and
   a few forms).
3. Departments without forms count from the summaries. Identical copies in several summaries
   count once. Copies that differ can not both be right and xlpkg cannot tell which is: the
   project is not counted and an error names every source.
4. Two forms of one (code, year): the first clean one counts, the others are errors
   (``consolidate.duplicate``), as before.
"""
from __future__ import annotations

import time
from typing import Any, Iterable

from ..issues import ERROR
from ..rules import Rules
from ..workbook import layout as L
from .columns import PROJECT_COLUMNS
from .outcome import FileOutcome, rule_issue

__all__ = ["resolve_copies", "COMPARED_COLUMNS", "row_differences"]

# What two copies of one project must agree on: every shown value but where it came from
# and the notes about it.
COMPARED_COLUMNS = tuple(c for c in PROJECT_COLUMNS if c not in ("来源文件", "问题数", "汇总说明"))
_MAX_LISTED = 10


def _has_error(o: FileOutcome) -> bool:
    return any(i.severity == ERROR for i in o.issues)


def _key(o: FileOutcome) -> tuple[str, Any]:
    return (o.project_row["项目编码"], o.project_row["年度"])


def _scope(o: FileOutcome) -> tuple[str, Any]:
    return (o.project_row["部门编码"], o.project_row["年度"])


def _shown(value: Any) -> str:
    return "空" if value is None or value != value else str(value)


def row_differences(a, b) -> list[str]:
    """The compared columns where two project rows differ, as "列：甲 / 乙"."""
    out = []
    for column in COMPARED_COLUMNS:
        x, y = a[column], b[column]
        same = (x == y) or (x is None and y is None) or (x != x and y != y)
        if isinstance(x, float) and isinstance(y, float) and not same:
            same = abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))
        if not same:
            out.append(f"{column}：{_shown(x)} / {_shown(y)}")
    return out


def _source(o: FileOutcome) -> str:
    return f"汇总表“{o.via}”" if o.via else f"项目表“{o.path}”"


def _when(mtime: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(mtime)) if mtime else "时间不详"


def _listed(codes: list[str]) -> str:
    more = f"等{len(codes)}个" if len(codes) > _MAX_LISTED else ""
    return "、".join(codes[:_MAX_LISTED]) + more


def _forms_among_themselves(forms: list[FileOutcome], rules: Rules) -> list[FileOutcome]:
    """One form per (code, year): the first clean one by path; the others reported."""
    keyed: dict[tuple, list[FileOutcome]] = {}
    for o in forms:
        if o.project_row is not None and o.project_row["项目编码"]:
            keyed.setdefault(_key(o), []).append(o)
    kept = {key: min(group, key=lambda o: (_has_error(o), o.path)) for key, group in keyed.items()}
    out = []
    for o in forms:
        if o.project_row is None or not o.project_row["项目编码"] or kept[_key(o)] is o:
            out.append(o)
            continue
        code, year = _key(o)
        o.issues.append(rule_issue(
            rules, "consolidate.duplicate",
            f"项目编码“{code}”（{year}年）与文件“{kept[_key(o)].path}”重复：已按该文件计入汇总，"
            "本文件未重复计入", file=o.path, sheet=L.DECL, cell=L.NAMES["ProjCode"].ref))
        out.append(FileOutcome(o.path, o.issues))
    return out


def _stale_scopes(summary: FileOutcome, children: list[FileOutcome],
                  form_of: dict[tuple, FileOutcome], forms_in_scope: dict[tuple, list[FileOutcome]]
                  ) -> dict[tuple, FileOutcome]:
    """{(department, year): a form that shows the summary is out of date for it}: a form of
    that department the summary lacks or holds otherwise. Such a form is, as it is now, newer
    than the summary whatever the file dates say (a summary copied into the folder gets a new
    date); a form equal to the summary's copy proves nothing."""
    mine = {_key(c): c for c in children}
    stale: dict[tuple, FileOutcome] = {}
    for scope in {_scope(c) for c in children}:
        for form in sorted(forms_in_scope[scope], key=lambda f: (-(f.mtime or 0), f.path)):
            copy = mine.get(_key(form))
            if copy is None or row_differences(form.project_row, copy.project_row):
                stale[scope] = form
                break
    return stale


def _cross_check(summary: FileOutcome, children: list[FileOutcome],
                 form_of: dict[tuple, FileOutcome], forms_in_scope: dict[tuple, list[FileOutcome]],
                 rules: Rules) -> list[FileOutcome]:
    """Rule 1 for one summary's carried projects whose department has forms here; returns
    those that still count (a department's projects without a form, if the summary is not
    older than that department's forms)."""
    stale = _stale_scopes(summary, children, form_of, forms_in_scope)
    absent: list[str] = []
    differing: list[str] = []
    counted: list[FileOutcome] = []
    for child in children:
        form = form_of.get(_key(child))
        if form is None:
            if _scope(child) in stale:
                child.repeated = True
                absent.append(f"{child.project_row['项目编码']}（{child.project_row['部门编码']}）")
            else:
                counted.append(child)
            continue
        child.repeated = True
        diff = row_differences(form.project_row, child.project_row)
        if _has_error(form) and not _has_error(child):
            form.issues.append(rule_issue(
                rules, "consolidate.duplicate",
                f"项目表有错误，未计入汇总；汇总表“{summary.path}”中有该项目另一份未出错的数据"
                + (f"（与本表不同：{'；'.join(diff[:3])}）" if diff else "")
                + "，未采用：本部门以项目表为准，请改正项目表后重新汇总",
                file=form.path, sheet=L.DECL, cell=L.NAMES["ProjCode"].ref))
        elif diff:
            differing.append(f"{child.project_row['项目编码']}（{'；'.join(diff[:3])}；项目表“{form.path}”）")
    parts = []
    for (dept, year), form in sorted(stale.items(), key=lambda x: str(x[0])):
        older = (summary.mtime is not None and form.mtime is not None and summary.mtime < form.mtime)
        parts.append(f"该汇总表（修改于{_when(summary.mtime)}）比部门{dept}（{year}年）现在的项目表旧："
                     f"项目表“{form.path}”（修改于{_when(form.mtime)}）在汇总表中没有或内容不同"
                     + ("" if older else "（按文件日期汇总表较新，可能是后来复制进来的）")
                     + f"，汇总表已过时：部门{dept}以本次的项目表为准，汇总表中该部门的项目只用于核对，未计入")
    if absent:
        parts.append(f"汇总表中有、项目表中没有的{len(absent)}个项目（可能已撤回或改了编码）未计入：{_listed(absent)}")
    if differing:
        parts.append(f"{len(differing)}个项目与项目表不一致，已按项目表计入：{_listed(differing)}")
    if parts:
        summary.issues.append(rule_issue(rules, "consolidate.summary_mismatch", "；".join(parts),
                                         file=summary.path))
    return counted


def _among_summaries(children: list[FileOutcome], rules: Rules) -> list[FileOutcome]:
    """Rule 3: one copy per (code, year) of the departments without forms."""
    keyed: dict[tuple, list[FileOutcome]] = {}
    for child in children:
        keyed.setdefault(_key(child), []).append(child)
    counted = []
    for (code, year), copies in keyed.items():
        first = copies[0]
        conflicts = [(c, row_differences(first.project_row, c.project_row)) for c in copies[1:]]
        conflicts = [(c, d) for c, d in conflicts if d and c.via != first.via]
        if conflicts:
            kept = first
            named = "；".join(f"与{_source(c)}（来源文件“{c.project_row['来源文件']}”）不同：{'；'.join(d[:3])}"
                             for c, d in conflicts[:3])
            kept.issues.append(rule_issue(
                rules, "consolidate.duplicate",
                f"项目{code}（{year}年）在几个汇总表中的数据不一致，无法判断哪一份正确，未计入汇总："
                f"{_source(first)}（来源文件“{first.project_row['来源文件']}”）{named}；"
                "请核对后只保留正确的一份，或放入该部门的项目表", file=first.via, sheet="项目汇总"))
        else:
            kept = min(copies, key=lambda c: _has_error(c))
        for c in copies:
            c.repeated = c is not kept
        counted.append(kept)
    return counted


def resolve_copies(outcomes: Iterable[FileOutcome], rules: Rules) -> list[FileOutcome]:
    """Every outcome that takes part in the summary: forms (one per project), summaries
    (with notes), and the carried projects that count (``repeated`` marks the others)."""
    files = sorted(outcomes, key=lambda o: o.path)
    forms = [o for o in files if o.kind != "summary"]
    summaries = [o for o in files if o.kind == "summary"]
    forms = _forms_among_themselves(forms, rules)
    forms_in_scope: dict[tuple, list[FileOutcome]] = {}
    form_of: dict[tuple, FileOutcome] = {}
    for o in forms:
        if o.project_row is not None and o.project_row["项目编码"]:
            forms_in_scope.setdefault(_scope(o), []).append(o)
            form_of[_key(o)] = o
    carried: list[FileOutcome] = []
    unshaped: list[FileOutcome] = []
    for summary in summaries:
        superseded = []
        for child in summary.children:
            if child.project_row is None or not child.project_row["项目编码"]:
                unshaped.append(child)
            elif _scope(child) in forms_in_scope:
                superseded.append(child)
            else:
                carried.append(child)
        if superseded:
            carried += _cross_check(summary, superseded, form_of, forms_in_scope, rules)
    return forms + summaries + unshaped + _among_summaries(carried, rules)
