"""`xlpkg carry-over`: next year's declaration from this year's forms."""
from __future__ import annotations

import sys

from ..carryover import carry_over
from ..library import LibraryFileError, read_library
from ..report import format_issues
from ..rules import load_rules
from . import add_rules_option

__all__ = ["library_option", "register", "run_carry_over"]


def library_option(parser) -> None:
    parser.add_argument("--library", metavar="FILE",
                        help="指标库文件（xlpkg library build 生成）：三级指标可从中选择，并附“指标库”工作表")


def load_library_option(path: str | None):
    """(entries, problem): the --library file's entries, or a Chinese message."""
    if not path:
        return None, None
    try:
        return read_library(path), None
    except LibraryFileError as exc:
        return None, str(exc)


def register(sub) -> None:
    c = sub.add_parser("carry-over", help="由本年度项目表生成下一年度的申报表（结转指标，附上年值和历史值）")
    c.add_argument("forms", nargs="+", metavar="FORM", help="已填写的项目工作簿或文件夹（同一项目多个年度时，取最近年度结转，其余作历史）")
    c.add_argument("-o", "--output", required=True, metavar="DIR", help="输出文件夹：每个项目写出 <项目编码>.xlsx")
    c.add_argument("--year", required=True, type=int, metavar="Y", help="新表的年度，如2023")
    c.add_argument("--db", metavar="URL", help="历史库（xlpkg history）：从中取往年的实际完成值")
    c.add_argument("--history", nargs="+", default=[], metavar="PATH", help="往年的项目表（文件或文件夹），只用于计算历史值")
    library_option(c)
    c.add_argument("--force", action="store_true", help="覆盖输出文件夹中已有的同名文件")
    c.add_argument("--password", help="工作表保护密码（默认无密码）")
    add_rules_option(c)
    c.set_defaults(handler=run_carry_over)


def run_carry_over(args) -> int:
    if not 1990 < args.year <= 2100:
        print(f"错误：年度 {args.year} 应在1991–2100之间", file=sys.stderr)
        return 2
    library, problem = load_library_option(args.library)
    if problem:
        print(f"错误：{problem}", file=sys.stderr)
        return 2
    report = carry_over(args.forms, args.output, args.year, history=args.history, db=args.db,
                        library=library, force=args.force, rules=load_rules(args.rules),
                        password=args.password)
    for file, issues in report.refused:
        print(f"[未使用] {file}：有错误，不能结转，请先改正：", file=sys.stderr)
        print(format_issues(issues), file=sys.stderr)
    for line in report.problems:
        print(f"[错误] {line}", file=sys.stderr)
    for line in report.notes:
        print(f"[提示] {line}")
    for code, path in report.written:
        print(f"已生成：{path}（{code}，{args.year}年度）")
    print(f"共生成 {len(report.written)} 个{args.year}年度申报表")
    return 0 if report.ok else 1
