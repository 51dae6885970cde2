"""`xlpkg history add/show/list/export`: the project history store (绩效历史库).

Exit codes: 0 done; 1 done, but some files or projects could not be recorded (listed);
2 nothing done (the store cannot be used, or nothing to show). Every message names the store's
URL with its password masked.
"""
from __future__ import annotations

import json
import sys

from ..consolidate import normalize_code
from ..history.adding import AddReport, add_paths
from ..history.store import DEFAULT_URL, ENV_VAR, StoreError, open_store
from ..history.views import export_xlsx, format_history, format_listing, history_of
from ..model import MAX_YEAR, MIN_YEAR
from ..rules import load_rules
from . import add_force_option, add_rules_option, existing_output_problem

MAX_LISTED = 50
DB_HELP = (f"历史库地址（默认：环境变量 {ENV_VAR}，否则当前文件夹的 {DEFAULT_URL.split('///')[1]}）；"
           "如 sqlite:///D:/绩效/绩效历史.sqlite 或 postgresql://用户名@主机:5432/数据库名")


def add_db_option(parser, help_text: str = DB_HELP) -> None:
    parser.add_argument("--db", metavar="URL", default=None, help=help_text)


def register(sub) -> None:
    h = sub.add_parser("history", help="绩效历史库：记录、查看、导出各年度项目绩效")
    hs = h.add_subparsers(dest="history_command", required=True, metavar="SUBCOMMAND")

    a = hs.add_parser("add", help="把项目表、部门汇总表（或含它们的文件夹）记入历史库，可含多个年度")
    a.add_argument("paths", nargs="+", metavar="PATH")
    add_db_option(a)
    a.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="并行读取的进程数（默认：全部CPU核心；1 表示不并行）")
    add_rules_option(a)
    a.set_defaults(handler=run_add)

    s = hs.add_parser("show", help="一个项目各年度的预算、执行、得分和指标对比")
    s.add_argument("code", metavar="CODE", help="项目编码")
    add_db_option(s)
    s.add_argument("--json", action="store_true", help="以 JSON 输出")
    s.set_defaults(handler=run_show)

    ls = hs.add_parser("list", help="列出历史库中的项目（每个项目年度一行）")
    add_db_option(ls)
    ls.add_argument("--year", type=int, default=None, metavar="YYYY", help="只列该年度")
    ls.add_argument("--dept", default=None, metavar="CODE", help="只列该部门编码")
    ls.add_argument("--json", action="store_true", help="以 JSON 输出")
    ls.set_defaults(handler=run_list)

    e = hs.add_parser("export", help="导出全部年度（每个项目年度一行）为 Excel，便于透视分析")
    add_db_option(e)
    e.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")
    add_force_option(e)
    e.set_defaults(handler=run_export)


def _fail(message: str) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return 2


def print_add_report(report: AddReport, shown_url: str, out=None) -> None:
    out = out or sys.stdout   # looked up at call time: the stream may have been replaced
    for old, by in report.replaced[:MAX_LISTED]:
        print(f"[替换] 项目编码“{old.code}”（{old.year}年）已在历史库中（来源 {old.source_name}，"
              f"记录于 {old.added_at}），已按 {by} 替换", file=out)
    if len(report.replaced) > MAX_LISTED:
        print(f"……另替换{len(report.replaced) - MAX_LISTED}个项目年度", file=out)
    for text in report.duplicates[:MAX_LISTED]:
        print(f"[重复] {text}", file=out)
    for text in report.not_recorded[:MAX_LISTED]:
        print(f"[未记录] {text}", file=out)
    for issue in report.issues[:MAX_LISTED]:
        print(f"[未读取] {issue.file}：{issue.message}", file=out)
    years = sorted({y for _, y, _ in report.recorded})
    span = f"（{'、'.join(map(str, years))}年）" if years else ""
    print(f"已记入历史库 {shown_url}：{report.project_years}个项目年度{span}，读取{report.files}个文件"
          + (f"，其中{len(report.replaced)}个替换了库中原有记录" if report.replaced else ""), file=out)


def run_add(args) -> int:
    if args.jobs is not None and args.jobs < 1:
        return _fail("--jobs 必须是正整数")
    rules = load_rules(args.rules)
    try:
        store = open_store(args.db, write=True)
    except StoreError as exc:
        return _fail(f"{exc}。未写入任何数据。")
    with store:
        try:
            report = add_paths(store, args.paths, rules, jobs=args.jobs)
        except StoreError as exc:
            return _fail(str(exc))
        print_add_report(report, store.shown)
    if not report.recorded:
        return 2
    return 1 if (report.not_recorded or report.duplicates
                 or any(i.severity == "error" for i in report.issues)) else 0


def run_show(args) -> int:
    try:
        with open_store(args.db, write=False) as store:
            doc = history_of(store, args.code)
            shown = store.shown
    except StoreError as exc:
        return _fail(str(exc))
    if doc is None:
        return _fail(f"历史库 {shown} 中没有项目编码“{args.code}”的记录")
    if args.json:
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(format_history(doc))
    return 0


def run_list(args) -> int:
    if args.year is not None and not MIN_YEAR <= args.year <= MAX_YEAR:
        return _fail(f"--year 应为四位年度（如 2022），不是 {args.year}")
    try:
        with open_store(args.db, write=False) as store:
            rows = store.listing(year=args.year,
                                 dept=normalize_code(args.dept) if args.dept else None)
    except StoreError as exc:
        return _fail(str(exc))
    if args.json:
        json.dump([{k: (format(v, "f") if hasattr(v, "quantize") else v) for k, v in r.items()}
                   for r in rows], sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        if rows:
            print(format_listing(rows))
        print(f"共{len(rows)}个项目年度", file=sys.stderr)
    return 0


def run_export(args) -> int:
    if not args.output.lower().endswith(".xlsx"):
        return _fail(f"导出文件必须是 .xlsx 文件：{args.output}")
    refused = existing_output_problem(args.output, args.force)
    if refused:
        return _fail(refused)
    try:
        with open_store(args.db, write=False) as store:
            count = export_xlsx(store, args.output)
    except StoreError as exc:
        return _fail(f"{exc}。未写入 {args.output}。")
    print(f"已导出 {args.output}：{count}个项目年度")
    return 0
