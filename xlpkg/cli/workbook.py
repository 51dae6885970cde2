"""`xlpkg template | fill | read | validate`: the project workbook from the command line."""
from __future__ import annotations

import json
import sys

from ..issues import has_errors
from ..model import ProjectFormatError, load_project_json, project_to_dict
from ..system.os_errors import os_error_text
from ..report import format_issues, format_metrics, issues_to_list, metrics_to_dict
from ..rules import load_rules
from . import add_rules_option
from ..workbook.upgrade import upgrade_workbook, upgraded_path
from ..workbook.writer import CapacityError, fill_workbook
from ..workbook.template import write_template as write_project_template
from ..department.template import write_department_template
from ..workbook.form_checks import read_checked_file


def register(sub) -> None:
    t = sub.add_parser("template", help="生成空白模板（已保护的 .xlsx）：项目绩效目标表或部门整体绩效表")
    t.add_argument("kind", choices=["project", "department"],
                   help="模板种类：project（项目绩效目标表）、department（部门整体绩效表）")
    t.add_argument("-o", "--output", required=True, metavar="FILE", help="输出文件（.xlsx）")
    t.add_argument("--password", help="工作表保护密码（默认无密码）")
    add_rules_option(t)
    t.set_defaults(handler=run_template)

    f = sub.add_parser("fill", help="把项目 JSON 写入模板，生成已填写的工作簿")
    f.add_argument("project", metavar="PROJECT.json")
    f.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")
    f.add_argument("--password", help="工作表保护密码（默认无密码）")
    add_rules_option(f)
    f.set_defaults(handler=run_fill)

    r = sub.add_parser("read", help="读取已填写的工作簿：项目内容、重算的绩效指标和问题清单")
    r.add_argument("file", metavar="FILE.xlsx")
    r.add_argument("--json", action="store_true", help="以 JSON 输出")
    _engine_option(r)
    add_rules_option(r)
    r.set_defaults(handler=run_read)

    v = sub.add_parser("validate", help="校验多个工作簿（有错误时退出码为1）")
    v.add_argument("files", nargs="+", metavar="FILE.xlsx")
    v.add_argument("--json", action="store_true", help="以 JSON 输出问题清单")
    _engine_option(v)
    add_rules_option(v)
    v.set_defaults(handler=run_validate)


    u = sub.add_parser("upgrade", help="把旧版模板填写的工作簿迁移到当前版本模板（写出 NAME.v2.xlsx）")
    u.add_argument("files", nargs="+", metavar="FILE.xlsx")
    u.add_argument("-o", "--output", metavar="OUT",
                   help="输出文件（一个输入时）或输出文件夹（多个输入时）；默认写在原文件旁")
    u.add_argument("--password", help="新工作簿的工作表保护密码（默认无密码）")
    add_rules_option(u)
    u.set_defaults(handler=run_upgrade)


def _engine_option(parser) -> None:
    parser.add_argument("--engine", choices=["named", "calamine", "openpyxl"], default="named",
                        help="读取引擎（默认 named：只读模板名称所指的单元格，最快；calamine/openpyxl 读取全部单元格）")


def run_template(args) -> int:
    write_template = write_department_template if args.kind == "department" else write_project_template
    path = write_template(args.output, rules=load_rules(args.rules), password=args.password)
    print(f"已生成模板：{path}")
    return 0


def run_fill(args) -> int:

    from pathlib import Path

    if Path(args.output).resolve() == Path(args.project).resolve():
        print(f"错误：输出文件“{args.output}”就是输入的项目 JSON，不能覆盖；请另指定 .xlsx 文件名",
              file=sys.stderr)
        return 1
    try:
        project = load_project_json(args.project)
    except ProjectFormatError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"错误：无法读取“{args.project}”：{os_error_text(exc)}", file=sys.stderr)
        return 1
    try:
        path = fill_workbook(project, args.output, rules=load_rules(args.rules),
                             password=args.password)
    except CapacityError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"错误：无法写入“{args.output}”：{os_error_text(exc)}", file=sys.stderr)
        return 1
    print(f"已写入：{path}")
    return 0


def run_read(args) -> int:
    rules = load_rules(args.rules)
    result = read_checked_file(args.file, rules=rules, engine=args.engine)
    project, metrics = result.project, result.metrics
    if args.json:
        shown = metrics_to_dict(metrics) if metrics is not None else {}
        json.dump({"file": args.file,
                   "project": project_to_dict(project) if project is not None else None,
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
    rules = load_rules(args.rules)
    failed, report = False, []
    for path in args.files:
        result = read_checked_file(path, rules=rules, engine=args.engine)
        bad = result.project is None or has_errors(result.issues)
        failed |= bad
        report.append({"file": path, "ok": not bad, "issues": issues_to_list(result.issues)})
        if not args.json:
            title = f"{result.project.code} {result.project.name}" if result.project else "（无法读取）"
            print(f"== {path}  {title}")
            print(format_issues(result.issues))
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
    for path in args.files:
        target = None
        if out is not None:
            target = out / upgraded_path(path).name if to_folder else out
        result = upgrade_workbook(path, target, rules=rules, password=args.password)
        failed |= not result.ok
        print(("已升级：" if result.ok else "[错误] ") + result.message,
              file=sys.stdout if result.ok else sys.stderr)
    return 1 if failed else 0
