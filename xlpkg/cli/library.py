"""`xlpkg library build`: the indicator library (指标库) from forms."""
from __future__ import annotations

import sys

from ..carryover import StoreUnavailable, read_forms, stored_codes, stored_projects
from ..library import build_library, write_library
from ..report import format_issues
from ..rules import load_rules
from . import add_force_option, add_rules_option, existing_output_problem

__all__ = ["register", "run_library_build"]


def register(sub) -> None:
    lib = sub.add_parser("library", help="指标库：由各年度项目表汇总常用绩效指标")
    actions = lib.add_subparsers(dest="action", required=True, metavar="ACTION")
    b = actions.add_parser("build", help="由项目表（文件或文件夹）生成指标库 .xlsx")
    b.add_argument("paths", nargs="*", metavar="PATH", help="已填写的项目工作簿、项目 JSON 或文件夹")
    b.add_argument("--db", metavar="URL", help="同时使用历史库（xlpkg history）中的全部项目")
    b.add_argument("-o", "--output", required=True, metavar="指标库.xlsx")
    add_force_option(b)
    add_rules_option(b)
    b.set_defaults(handler=run_library_build)


def run_library_build(args) -> int:
    rules = load_rules(args.rules)
    if not args.paths and not args.db:
        print("错误：请指定项目表文件或文件夹，或用 --db 指定历史库", file=sys.stderr)
        return 2
    refused = existing_output_problem(args.output, args.force)
    if refused:
        print(f"错误：{refused}", file=sys.stderr)
        return 1
    forms = read_forms(args.paths, rules=rules, keep_errors=True) if args.paths else None
    projects = {}
    for form in forms.forms if forms else []:
        projects.setdefault((form.code, form.project.year), form.project)
    failed = False
    for file, issues in forms.refused if forms else []:
        failed = True
        print(f"[未使用] {file}：", file=sys.stderr)
        print(format_issues(issues), file=sys.stderr)
    if args.db:
        try:
            for code in stored_codes(args.db):
                for project in stored_projects(args.db, code):
                    projects.setdefault((code, project.year), project)
        except StoreUnavailable as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 2
    entries = build_library(projects.values(), rules=rules)
    path = write_library(entries, args.output)
    years = sorted({y for _, y in projects})
    span = f"{years[0]}–{years[-1]}年度" if years else ""
    print(f"已生成指标库：{path}（{len(entries)}个指标，来自{len({c for c, _ in projects})}个项目{span}）")
    return 1 if failed else 0
