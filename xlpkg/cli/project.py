"""`xlpkg check` and `xlpkg score`: business checks and metrics of project files."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..workbook.project_file import WORKBOOK_SUFFIXES, load_project
from ..checks import check
from ..cost import check_cost_standards
from ..issues import has_errors
from ..metrics import project_metrics
from ..model import ProjectFormatError
from ..workbook.form_checks import read_checked_file
from ..department.checked import (department_metrics_dict, format_department, is_department_file,
                                  read_checked_department_file)
from ..report import format_issues, format_metrics, issues_to_list, metrics_to_dict
from . import add_rules_option, add_standards_option, rules_of


def register(sub) -> None:
    p = sub.add_parser("check", help="按规则校验项目文件（有错误时退出码为1）")
    p.add_argument("files", nargs="+", metavar="FILE", help="项目 JSON 或已填写的项目工作簿")
    p.add_argument("--json", action="store_true", help="以 JSON 输出问题清单")
    add_rules_option(p)
    add_standards_option(p)
    p.set_defaults(handler=run_check)

    s = sub.add_parser("score", help="计算执行率、支出进度、偏差、成本控制率和自评得分")
    s.add_argument("files", nargs="+", metavar="FILE")
    s.add_argument("--json", action="store_true", help="以 JSON 输出")
    add_rules_option(s)
    add_standards_option(s)
    s.set_defaults(handler=run_score)


def _load(path: str):
    try:
        return load_project(path), None
    except (OSError, ProjectFormatError, ValueError) as exc:
        return None, f"{path}：{exc}"


def _checked(path: str, rules):
    """(project, issues, problem): a workbook through the reader, so that every issue names
    its sheet and cell; a JSON document through the model and the checks."""
    if Path(path).suffix.lower() in WORKBOOK_SUFFIXES:
        result = read_checked_file(path, rules=rules)
        if result.project is None:
            return None, [], "；".join(f"{path}：{i.message}" for i in result.issues)
        return result.project, [i.located(file="") for i in result.issues], None
    project, problem = _load(path)
    return project, ([] if project is None else check(project, rules)), problem


def run_check(args) -> int:
    rules = rules_of(args)
    failed = False
    results = []
    for path in args.files:
        if Path(path).suffix.lower() in WORKBOOK_SUFFIXES and is_department_file(path):
            dept = read_checked_department_file(path, rules)   # as `validate` (issue 21 #13)
            failed |= dept.department is None or has_errors(dept.issues)
            results.append({"file": path, "issues": issues_to_list(dept.issues)})
            if not args.json:
                name = f"{dept.department.dept_code} {dept.department.dept_name}" if dept.department else ""
                print(f"== {path}  {name}（部门整体绩效表）")
                print(format_issues(dept.issues))
            continue
        project, issues, problem = _checked(path, rules)
        if project is None:
            failed = True
            results.append({"file": path, "error": problem})
            if not args.json:
                print(f"[错误] {problem}")
            continue
        failed |= has_errors(issues)
        results.append({"file": path, "issues": issues_to_list(issues)})
        if not args.json:
            print(f"== {path}  {project.code} {project.name}")
            print(format_issues(issues))
    if args.json:
        json.dump(results, sys.stdout, ensure_ascii=False, indent=2)
        print()
    return 1 if failed else 0


def run_score(args) -> int:
    rules = rules_of(args)
    out, failed = [], False
    for path in args.files:
        if Path(path).suffix.lower() in WORKBOOK_SUFFIXES and is_department_file(path):
            dept = read_checked_department_file(path, rules)   # issue 21 #13
            if dept.department is None:
                failed = True
                print(f"[错误] {path}：" + "；".join(i.message for i in dept.issues), file=sys.stderr)
            elif args.json:
                out.append({"file": path, "kind": "department", **department_metrics_dict(dept.metrics),
                            "issues": issues_to_list(dept.issues)})
            else:
                print(format_department(dept.department, dept.metrics))
            continue
        project, problem = _load(path)
        if project is None:
            failed = True
            print(f"[错误] {problem}", file=sys.stderr)
            continue
        m = project_metrics(project, rules)
        # a form still in its declaration stage has no actuals to miss (issue 21 #6); cost
        # targets above their 预算支出标准 (issue 26)
        issues = [*(m.evaluation.issues if m.evaluation.started else []),
                  *check_cost_standards(project, rules)]
        if args.json:
            out.append({"file": path, **metrics_to_dict(m), "issues": issues_to_list(issues)})
        else:
            print(format_metrics(m, lambda light: rules.light_label(light) if light else "—"))
            for issue in issues:
                print(f"  {issue}")
    if args.json:
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        print()
    return 1 if failed else 0
