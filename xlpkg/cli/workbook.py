"""`xlpkg template | fill | read | validate`: the project workbook from the command line."""
from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

from ..checks import check
from ..issues import has_errors
from ..model import ProjectFormatError, load_project_json, project_to_dict
from ..system.os_errors import os_error_text
from ..report import format_issues, format_metrics, issues_to_list, metrics_to_dict
from ..rules import load_rules
from . import add_rules_option, add_standards_option, rules_of
from .carryover import library_option, load_library_option
from ..workbook.layout import TEMPLATE_VERSION
from ..workbook.output_guard import content_fingerprint, replace_problem
from ..workbook.upgrade import form_content, upgrade_workbook, upgraded_path
from ..department.reader import read_department_file
from ..system.safeio import atomic_path
from ..workbook.writer import CapacityError, fill_workbook
from ..workbook.template import write_template as write_project_template
from ..department.template import write_department_template
from ..workbook.form_checks import read_checked_file
from ..department.checked import (department_metrics_dict, format_department, is_department_file,
                                  read_checked_department_file)
from ..department.model import department_to_dict


def register(sub) -> None:
    t = sub.add_parser("template", help="生成空白模板（已保护的 .xlsx）：项目绩效目标表或部门整体绩效表")
    t.add_argument("kind", choices=["project", "department"],
                   help="模板种类：project（项目绩效目标表）、department（部门整体绩效表）")
    t.add_argument("-o", "--output", required=True, metavar="FILE", help="输出文件（.xlsx）")
    t.add_argument("--password", help="工作表保护密码（默认无密码）")
    library_option(t)
    _force_option(t)
    add_rules_option(t)
    t.set_defaults(handler=run_template)

    f = sub.add_parser("fill", help="把项目 JSON 写入模板，生成已填写的工作簿")
    f.add_argument("project", metavar="PROJECT.json")
    f.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")
    f.add_argument("--password", help="工作表保护密码（默认无密码）")
    library_option(f)
    _force_option(f)
    add_rules_option(f)
    f.set_defaults(handler=run_fill)

    r = sub.add_parser("read", help="读取已填写的工作簿：项目内容、重算的绩效指标和问题清单")
    r.add_argument("file", metavar="FILE.xlsx")
    r.add_argument("--json", action="store_true", help="以 JSON 输出")
    _engine_option(r)
    add_rules_option(r)
    add_standards_option(r)
    r.set_defaults(handler=run_read)

    v = sub.add_parser("validate", help="校验多个工作簿（有错误时退出码为1）")
    v.add_argument("files", nargs="+", metavar="FILE.xlsx")
    v.add_argument("--json", action="store_true", help="以 JSON 输出问题清单")
    _engine_option(v)
    add_rules_option(v)
    add_standards_option(v)
    v.set_defaults(handler=run_validate)


    u = sub.add_parser("upgrade", help="把旧版（第1、2版）模板填写的工作簿迁移到当前版本模板"
                                       f"（写出 NAME.v{TEMPLATE_VERSION}.xlsx）")
    u.add_argument("files", nargs="+", metavar="FILE.xlsx")
    u.add_argument("-o", "--output", metavar="OUT",
                   help="输出文件（一个输入时）或输出文件夹（多个输入时）；默认写在原文件旁")
    u.add_argument("--password", help="新工作簿的工作表保护密码（默认无密码）")
    _force_option(u)
    add_rules_option(u)
    u.set_defaults(handler=run_upgrade)


def _force_option(parser) -> None:
    parser.add_argument("--force", action="store_true",
                        help="输出文件是本命令以前生成、此后又被修改过的文件时，仍然替换它"
                             "（其他文件任何时候都不会被覆盖）")


def _department_content(path):
    dept = read_department_file(path).department
    return None if dept is None else dataclasses.asdict(dept)


class _Refused(Exception):
    pass


def _engine_option(parser) -> None:
    parser.add_argument("--engine", choices=["named", "calamine", "openpyxl"], default="named",
                        help="读取引擎（默认 named：只读模板名称所指的单元格，最快；calamine/openpyxl 读取全部单元格）")


def run_template(args) -> int:
    library, problem = load_library_option(args.library)
    if problem or (library is not None and args.kind == "department"):
        print(f"错误：{problem or '--library 只用于项目绩效目标表（project）'}", file=sys.stderr)
        return 2
    department = args.kind == "department"
    kind = "department-template" if department else "project-template"
    content = _department_content if department else form_content

    def write_template(path):
        if department:
            return write_department_template(path, rules=load_rules(args.rules), password=args.password)
        return write_project_template(path, rules=load_rules(args.rules), password=args.password,
                                      library=library)
    try:
        target = _output_path(args.output)
        # written beside the target first: an existing blank template is replaced only by an
        # equal one, so nothing typed into it is lost
        with atomic_path(target) as tmp:
            write_template(tmp)
            blank = content_fingerprint(content(tmp))
            refused = replace_problem(target, kind=kind, content=content, force=args.force,
                                      unchanged=lambda data: content_fingerprint(data) == blank)
            if refused:
                raise _Refused(refused)
    except _Refused as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"错误：无法写入“{args.output}”：{os_error_text(exc)}", file=sys.stderr)
        return 1
    print(f"已生成模板：{target}")
    return 0


def _output_path(output: str) -> Path:
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def run_fill(args) -> int:
    if Path(args.output).resolve() == Path(args.project).resolve():
        print(f"错误：输出文件“{args.output}”就是输入的项目 JSON，不能覆盖；请另指定 .xlsx 文件名",
              file=sys.stderr)
        return 1
    library, problem = load_library_option(args.library)
    if problem:
        print(f"错误：{problem}", file=sys.stderr)
        return 1
    try:
        project = load_project_json(args.project)
    except ProjectFormatError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"错误：无法读取“{args.project}”：{os_error_text(exc)}", file=sys.stderr)
        return 1
    refused = replace_problem(args.output, kind="project-form", content=form_content,
                              force=args.force, inputs=[args.project])
    if refused:
        print(f"错误：{refused}", file=sys.stderr)
        return 1
    rules = load_rules(args.rules)
    try:
        path = fill_workbook(project, args.output, rules=rules, password=args.password,
                             library=library)
    except CapacityError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"错误：无法写入“{args.output}”：{os_error_text(exc)}", file=sys.stderr)
        return 1
    print(f"已写入：{path}")
    # how each 指标值 will be scored, as `read` and `check` will say it (issue 21 #3)
    for issue in check(project, rules):
        if issue.rule == "indicator.target_unparseable":
            print(f"[警告] {issue.message}")
    return 0


def _read_department(args, rules) -> int:
    """`read` of a 部门整体绩效表: its inputs, DeptTotalScore/DeptGrade recomputed, its issues."""
    checked = read_checked_department_file(args.file, rules)
    dept, m = checked.department, checked.metrics
    if args.json:
        json.dump({"file": args.file, "kind": "department",
                   "department": department_to_dict(dept) if dept is not None else None,
                   "metrics": department_metrics_dict(m) if m is not None else None,
                   "issues": issues_to_list(checked.issues)},
                  sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        if dept is not None:
            print(format_department(dept, m))
        print(format_issues(checked.issues))
    return 1 if dept is None else 0


def run_read(args) -> int:
    rules = rules_of(args)
    if is_department_file(args.file):
        return _read_department(args, rules)
    result = read_checked_file(args.file, rules=rules, engine=args.engine)
    project, metrics = result.project, result.metrics
    if args.json:
        shown = metrics_to_dict(metrics) if metrics is not None else {}
        json.dump({"file": args.file,
                   "project": project_to_dict(project, every_field=True) if project is not None else None,
                   "metrics": shown or None,
                   # v3 (issue 25): the bureau's 评定总分 and 等级 beside the form's content
                   "verified_total_score": shown.get("verified_total_score"),
                   "verified_grade": shown.get("verified_grade"),
                   "issues": issues_to_list(result.issues)},
                  sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        if metrics is not None:
            print(format_metrics(metrics, lambda light: rules.light_label(light) if light else "—"))
        print(format_issues(result.issues))
    return 1 if project is None else 0


def run_validate(args) -> int:
    rules = rules_of(args)
    failed, report = False, []
    for path in args.files:
        if is_department_file(path):   # a 部门整体绩效表 is validated as such (issue 21 #13)
            dept = read_checked_department_file(path, rules)
            issues, title = dept.issues, (f"{dept.department.dept_code} {dept.department.dept_name}（部门整体绩效表）"
                                          if dept.department else "（无法读取）")
            bad = dept.department is None or has_errors(issues)
        else:
            result = read_checked_file(path, rules=rules, engine=args.engine)
            issues = result.issues
            bad = result.project is None or has_errors(issues)
            title = f"{result.project.code} {result.project.name}" if result.project else "（无法读取）"
        failed |= bad
        report.append({"file": path, "ok": not bad, "issues": issues_to_list(issues)})
        if not args.json:
            print(f"== {path}  {title}")
            print(format_issues(issues))
    if args.json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(f"共 {len(args.files)} 个文件，{sum(not r['ok'] for r in report)} 个有错误")
    return 1 if failed else 0


def run_upgrade(args) -> int:
    from pathlib import Path

    rules = load_rules(args.rules)
    out = Path(args.output) if args.output else None
    to_folder = out is not None and (len(args.files) > 1 or out.is_dir())
    failed = False
    claimed: dict[str, str] = {}   # output → the input written to it in this run
    for path in args.files:
        target = upgraded_path(path)
        if out is not None:
            target = out / upgraded_path(path).name if to_folder else out
        key = os.path.normcase(os.path.abspath(target))
        if key in claimed:
            failed = True
            print(f"[错误] {path}：升级后的文件“{target}”与“{claimed[key]}”的升级结果同名，未写入"
                  "（两个输入不能写到同一个文件）；请分别升级并用 -o 指定不同的文件名", file=sys.stderr)
            continue
        claimed[key] = path
        result = upgrade_workbook(path, target, rules=rules, password=args.password,
                                  force=args.force)
        failed |= not result.ok
        label = "已升级：" if result.output is not None else ("" if result.ok else "[错误] ")
        print(label + result.message, file=sys.stdout if result.ok else sys.stderr)
    return 1 if failed else 0
