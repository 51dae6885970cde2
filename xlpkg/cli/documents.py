"""`xlpkg import`, `xlpkg publish`, `xlpkg report`: Word documents in and out."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from docx.opc.exceptions import PackageNotFoundError
from jinja2 import TemplateError
from lxml import etree

from ..issues import has_errors
from ..system.os_errors import os_error_text
from ..report import issues_to_list
from ..system.safeio import not_a_regular_file
from ..rules import load_rules
from . import add_rules_option
from ..consolidate import DeptInfoError, load_dept_info
from ..documents.department import info_of
from ..documents.department import read_workbook, split_inputs
from ..documents.docx_import import DocxImportError, ImportOverwriteError, import_document, write_import
from ..documents.package import DocumentError
from ..documents.publish import publish_document
from ..documents.report import (department_report_filename, render_department_report, render_project_report, report_filename)
from ..model import ProjectFormatError
from ..workbook.project_file import load_project

OK, WITH_ERRORS, FAILED = 0, 1, 2


def register(sub) -> None:
    p = sub.add_parser("import", help="从已公开的绩效目标 Word 文档（.docx）导入项目和部门整体绩效目标")
    p.add_argument("document", metavar="DOC.docx")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="输出文件夹")
    p.add_argument("--workbooks", action="store_true", help="同时生成已填写的项目工作簿（.xlsx）")
    p.add_argument("--year", type=int, default=None, metavar="YYYY", help="年度（默认从文档推断）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出导入结果和问题清单")
    p.add_argument("--force", action="store_true",
                   help="覆盖输出文件夹中已填写或修改过的同名文件（默认不覆盖，只替换上次导入写入的原样文件）")
    add_rules_option(p)
    p.set_defaults(handler=run_import)

    q = sub.add_parser("publish", help="由项目工作簿生成部门绩效目标公开文档（.docx）")
    q.add_argument("paths", nargs="+", metavar="PATH", help="项目工作簿、项目 JSON 或文件夹")
    q.add_argument("-o", "--output", default="绩效目标公开.docx", metavar="FILE.docx")
    q.add_argument("--dept-info", action="append", default=[], metavar="FILE.json",
                   help="部门整体绩效目标文件（可重复指定，每个部门一个）")
    q.add_argument("--font", default=None, metavar="NAME", help="中文字体（默认：宋体）")
    add_rules_option(q)
    q.set_defaults(handler=run_publish)

    register_report(sub)


def _print_issues(issues) -> None:
    for issue in issues:
        print(str(issue))


def run_import(args) -> int:
    rules = load_rules(args.rules)
    try:
        result = import_document(args.document, year=args.year, rules=rules)
    except DocxImportError as exc:
        print(f"[错误] {exc}", file=sys.stderr)
        return FAILED
    try:
        written = write_import(result, args.output, workbooks=args.workbooks, rules=rules,
                               force=args.force)
    except ImportOverwriteError as exc:
        print(f"[错误] {exc}", file=sys.stderr)
        return FAILED
    except OSError as exc:
        print(f"[错误] 无法写入 {args.output}：{os_error_text(exc)}；未写入任何文件", file=sys.stderr)
        return FAILED
    if args.json:
        json.dump({"projects": [p.code for p in result.projects],
                   "departments": [d["dept_code"] for d in result.departments],
                   "files": [str(p) for p in written], "issues": issues_to_list(result.issues)},
                  sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        _print_issues(result.issues)
        print(f"导入{len(result.projects)}个项目、{len(result.departments)}个部门整体目标，"
              f"写入 {args.output}（{len(written)}个文件）")
    if not result.projects and not result.departments:
        return FAILED
    return WITH_ERRORS if has_errors(result.issues) else OK


def _load_projects(paths):
    """Projects from files and folders (folders: workbooks and JSON, recursive)."""
    files: list[Path] = []
    problems: list[str] = []
    for given in paths:
        path = Path(given)
        why = not_a_regular_file(path)
        if path.is_dir():
            found = [p for p in path.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm", ".json")
                     and not p.name.startswith(("~$", ".")) and "departments" not in p.parts]
            # a FIFO named *.json would block the read: only regular files are opened
            for p in found:
                if not_a_regular_file(p):
                    problems.append(f"{p} {not_a_regular_file(p)}")
            found = [p for p in found if not not_a_regular_file(p)]
            # workbooks first: they are what the accountant keeps filling in
            files += sorted(found, key=lambda p: (p.suffix.lower() == ".json", str(p)))
        elif why:
            problems.append(f"{given} {why}")
        elif path.is_file():
            files.append(path)
        else:
            problems.append(f"文件或文件夹不存在：{given}")
    projects, seen = [], {}
    for f in files:
        try:
            project = load_project(f)
        except (OSError, ProjectFormatError, ValueError) as exc:
            problems.append(f"{f}：{exc}")
            continue
        if project.code in seen:
            # a project counts once; the workbook and its JSON side by side are the usual case
            print(f"[提示] 项目{project.code}同时见于 {seen[project.code]} 和 {f}，只用前者")
            continue
        seen[project.code] = f
        projects.append(project)
    return projects, problems


def _project_paths(paths) -> list[str]:
    return split_inputs(paths)[0]


def _departments(paths):
    """Departments read from the department workbooks among ``paths`` (none without
    xlpkg.department), and the problems of those that cannot be read."""
    departments, problems = [], []
    for path in split_inputs(paths)[1]:
        dept, issues = read_workbook(path)
        if dept is None:
            problems.append("；".join(f"{path}：{i.message}" for i in issues))
        else:
            departments.append(dept)
    return departments, problems


def run_publish(args) -> int:
    rules = load_rules(args.rules)
    for f in args.dept_info:
        if not_a_regular_file(f):
            print(f"[错误] {f} {not_a_regular_file(f)}", file=sys.stderr)
            return FAILED
    try:
        infos = [load_dept_info(f) for f in args.dept_info]
    except DeptInfoError as exc:
        print(f"[错误] {exc}", file=sys.stderr)
        return FAILED
    departments, problems = _departments(args.paths)
    infos += [info_of(d) for d in departments if d.dept_code not in {i["dept_code"] for i in infos}]
    projects, more = _load_projects(_project_paths(args.paths))
    problems += more
    for problem in problems:
        print(f"[错误] {problem}", file=sys.stderr)
    if not projects and not infos:
        print("[错误] 没有可公开的项目，未生成文档", file=sys.stderr)
        return FAILED
    extra = {"east_asia": args.font} if args.font else {}
    try:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)   # as every other command
        publish_document(projects, args.output, infos, rules=rules, **extra)
    except OSError as exc:
        # only a refused rename of an existing file is likely Word holding it open
        open_in_word = isinstance(exc, PermissionError) and Path(args.output).is_file()
        print(f"[错误] 无法写入 {args.output}：{os_error_text(exc)}"
              + ("（文件是否正在 Word 中打开？）" if open_in_word else ""), file=sys.stderr)
        return FAILED
    print(f"已生成 {args.output}：{len(projects)}个项目")
    return WITH_ERRORS if problems else OK


def register_report(sub) -> None:
    r = sub.add_parser("report", help="由已填写的项目工作簿生成项目支出绩效自评报告（.docx，草稿）")
    r.add_argument("files", nargs="+", metavar="FORM.xlsx",
                   help="已填写的项目工作簿（或项目 JSON）；部门整体绩效表生成部门整体支出绩效自评报告")
    r.add_argument("-o", "--output", required=True, metavar="DIR", help="输出文件夹")
    r.add_argument("--template", default=None, metavar="FILE.docx",
                   help="自评报告模板（默认使用随附模板；可在 Word 中修改措辞，保留 {{ }} 标记）")
    r.add_argument("--dept-template", default=None, metavar="FILE.docx",
                   help="部门整体支出绩效自评报告模板（默认使用随附模板）")
    add_rules_option(r)
    r.set_defaults(handler=run_report)


def run_report(args) -> int:
    rules = load_rules(args.rules)
    for template in (args.template, args.dept_template):
        if template and not_a_regular_file(template):
            print(f"[错误] 报告模板 {template} {not_a_regular_file(template)}", file=sys.stderr)
            return FAILED
        if template and not Path(template).is_file():
            print(f"[错误] 找不到报告模板 {template}", file=sys.stderr)
            return FAILED
    departments, problems = _departments(args.files)
    projects, more = _load_projects(_project_paths(args.files))
    problems += more
    for problem in problems:
        print(f"[错误] {problem}", file=sys.stderr)
    out = Path(args.output)
    written = failed = 0
    jobs = [(report_filename(p), render_project_report, p, args.template) for p in projects]
    jobs += [(department_report_filename(d), render_department_report, d, args.dept_template)
             for d in departments]
    taken: set[str] = set()
    for filename, render, subject, template in jobs:
        target = out / _unique(filename, taken)
        try:
            out.mkdir(parents=True, exist_ok=True)
            if target.resolve().parent != out.resolve():   # name_part makes this impossible
                raise PermissionError(0, "文件名指向输出文件夹之外", str(target))
            render(subject, target, rules=rules, template=template)
        except DocumentError as exc:
            print(f"[错误] 报告模板无法使用：{exc}", file=sys.stderr)
            return FAILED
        except (TemplateError, etree.XMLSyntaxError, PackageNotFoundError) as exc:
            # a province's edited template: a broken tag, a limit of the sandbox, an include
            print(f"[错误] 报告模板有误（{type(exc).__name__}：{exc}），请检查模板中的 {{{{ }}}} 与 {{% %}} 标记",
                  file=sys.stderr)
            return FAILED
        except OSError as exc:
            failed += 1
            problems.append(str(exc))
            print(f"[错误] 无法写入 {target}：{os_error_text(exc)}", file=sys.stderr)
            continue
        written += 1
        print(f"已生成 {target}")
    if not written:
        if failed:
            print(f"[错误] {failed}份报告均未能写入 {out}，未生成报告", file=sys.stderr)
        else:
            print("[错误] 没有可读的项目表，未生成报告", file=sys.stderr)
        return FAILED
    return WITH_ERRORS if problems else OK


def _unique(filename: str, taken: set[str]) -> str:
    """``filename``, or ``名_2.docx``… when another input of this run already has that name
    (names are cleaned, so two codes can meet; Windows and macOS ignore case)."""
    stem, dot, suffix = filename.rpartition(".")
    candidate, n = filename, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{stem}_{n}{dot}{suffix}"
    taken.add(candidate.casefold())
    return candidate
