"""`xlpkg standards template`: the blank 预算支出标准 table (issue 26)."""
from __future__ import annotations

import sys

from ..system.os_errors import os_error_text
from ..workbook.standards_template import write_standards_template
from . import add_force_option, existing_output_problem


def register(sub) -> None:
    p = sub.add_parser("standards", help="预算支出标准表（成本指标按支出标准核对）")
    inner = p.add_subparsers(dest="standards_command", required=True, metavar="COMMAND")
    t = inner.add_parser("template", help="生成空白的支出标准表（含“示例”行，非正式标准）")
    t.add_argument("-o", "--output", default="支出标准.xlsx", metavar="FILE.xlsx",
                   help="输出文件（默认：支出标准.xlsx）")
    add_force_option(t)
    t.set_defaults(handler=run_template)


def run_template(args) -> int:
    if not args.output.lower().endswith(".xlsx"):
        print(f"错误：支出标准表必须是 .xlsx 文件：{args.output}", file=sys.stderr)
        return 2
    refused = existing_output_problem(args.output, args.force)
    if refused:
        print(f"错误：{refused}", file=sys.stderr)
        return 1
    try:
        path = write_standards_template(args.output)
    except OSError as exc:
        print(f"错误：无法写入“{args.output}”：{os_error_text(exc)}", file=sys.stderr)
        return 1
    print(f"已生成支出标准表：{path}（“示例”开头的行只是格式示例，不是正式标准，请按本地文件改写）")
    return 0
