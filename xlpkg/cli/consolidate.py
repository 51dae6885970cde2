"""`xlpkg consolidate`: a folder of project workbooks → the department summary workbook.

Exit codes: 0 summary written and no file had errors; 1 written, but some files had errors
(listed); 2 nothing usable found, or nothing could be written. The last line always says which.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..consolidate import Consolidation, DeptInfoError, consolidate, worker_count
from ..history.adding import Recorder
from ..history.comparison import previous_scores, results_for
from ..history.records import read_for_history
from ..history.store import StoreError, open_store
from ..model import MAX_YEAR, MIN_YEAR
from ..rules import load_rules
from ..summary import SummaryWriteError, overwrite_problem, write_summary, write_summary_template
from . import add_rules_option, add_standards_option, rules_of
from .history import print_add_report

DEFAULT_OUTPUT = "部门汇总.xlsx"
WRITTEN, WRITTEN_WITH_ERRORS, FAILED = 0, 1, 2
MAX_LISTED_FILES = 50   # a terminal scrolled past 1,000 files helps nobody; the sheet has all


def register(sub) -> None:
    p = sub.add_parser("consolidate", help="将文件夹中的项目表汇总为部门汇总表（.xlsx）")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="项目工作簿、xlpkg 生成的部门汇总表、部门整体绩效表，或含这些文件的文件夹（含子文件夹）")
    p.add_argument("-o", "--output", default=DEFAULT_OUTPUT, metavar="FILE",
                   help=f"汇总表文件名（默认：{DEFAULT_OUTPUT}）")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="并行读取的进程数（默认：全部CPU核心；1 表示不并行）")
    p.add_argument("--year", type=int, default=None, metavar="YYYY", help="只汇总该年度的项目")
    p.add_argument("--dept-info", action="append", default=[], metavar="FILE.json",
                   help="部门整体绩效目标文件（可重复指定，每个部门一个）")
    p.add_argument("--bureau", action="store_true",
                   help="写入财政局汇总页（部门排名、重点关注项目、等级分布、部门对比图）；"
                        "汇总涉及两个及以上部门时自动写入")
    p.add_argument("--dept-forms", metavar="DIR",
                   help="同时为每个部门生成部门整体绩效表 DIR/<部门编码>.xlsx（保留已有表中部门自填的内容）")
    p.add_argument("--db", metavar="URL", default=None,
                   help="同时把读取的项目记入绩效历史库，并按库中上年得分生成“结果应用”表；"
                        "如 sqlite:///绩效历史.sqlite 或 postgresql://用户名@主机:5432/数据库名")
    p.add_argument("--previous", nargs="+", default=None, metavar="PATH",
                   help="上年的项目表或汇总表（或所在文件夹）：不用历史库，直接生成“结果应用”表")
    p.add_argument("--json", action="store_true", help="以 JSON 输出汇总结果")
    add_rules_option(p)
    add_standards_option(p)
    p.set_defaults(handler=run_consolidate)

    t = sub.add_parser("summary-template", help="生成空白的部门汇总表模板")
    t.add_argument("output", metavar="FILE", help="模板文件名（.xlsx）")
    add_rules_option(t)
    t.set_defaults(handler=run_template)


def _records(df) -> list[dict]:
    # Through pandas' JSON writer: NaN becomes null and numpy scalars plain numbers.
    return json.loads(df.to_json(orient="records", force_ascii=False))


JSON_BATCH = 2000   # records converted at a time


def _write_json(result: dict, tables: dict, out) -> None:
    """``result`` and then ``tables`` (name → DataFrame or None) as one JSON object, a
    record per line: a province's 100,000 projects as Python dicts at once, and the whole
    text besides, would add about a gigabyte to the run's peak."""
    fields = [f"  {json.dumps(key, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}"
              for key, value in result.items()]
    out.write("{\n" + ",\n".join(fields))
    for key, df in tables.items():
        out.write(f",\n  {json.dumps(key, ensure_ascii=False)}: ")
        if df is None:
            out.write("null")
            continue
        out.write("[")
        sep = "\n    "
        for start in range(0, len(df), JSON_BATCH):
            for record in _records(df.iloc[start:start + JSON_BATCH]):
                out.write(sep + json.dumps(record, ensure_ascii=False))
                sep = ",\n    "
        out.write("\n  ]" if len(df) else "]")
    out.write("\n}\n")


def _counts(c: Consolidation) -> str:
    departments = int((c.departments["部门编码"] != "合计").sum())
    return f"{departments}个部门、{c.project_count}个项目（读取{len(c.files_read)}个文件）"


def readable_files(c: Consolidation) -> list[str]:
    """Files read as a form (with or without errors): those a summary's 问题清单 is worth
    writing for. A file that is no workbook or no form at all does not count."""
    unusable = {"form.unreadable", "form.not_template"}
    issues = c.issues
    bad = {f for f, rules in zip(issues["文件"], issues["规则"]) if rules in unusable} if len(issues) else set()
    return [f for f in c.files_read if f not in bad]


def _print_problems(c: Consolidation, *, written: bool = True) -> None:
    """Errors per file (the reason for exit 1); warnings only counted, the sheet lists them."""
    where = "汇总表“问题清单”" if written else "--json 输出"
    errors = c.issues[c.issues["严重程度"] == "错误"]
    groups = list(errors.groupby("文件", sort=True))
    for file, group in groups[:MAX_LISTED_FILES]:
        print(f"[错误] {file}")
        for sheet, cell, rule, message in zip(group["工作表"], group["单元格"], group["规则"],
                                              group["说明"]):
            place = f"{sheet}!{cell}" if sheet and cell else (sheet or cell)
            print(f"    {place + ' ' if place else ''}{rule}：{message}")
    if len(groups) > MAX_LISTED_FILES:
        print(f"……另有{len(groups) - MAX_LISTED_FILES}个文件存在错误，详见{where}"
              + ("或 --json 输出" if written else ""))
    warnings = int((c.issues["严重程度"] == "警告").sum())
    if warnings:
        print(f"另有{warnings}条警告，详见{where}")


def _finish(args, code: int, last_line: str, c: Consolidation | None, output: Path | None) -> int:
    if args.json:
        result = {"exit_code": code, "message": last_line,
                  "output": str(output) if output else None}
        tables = {}
        if c is not None:
            result.update(year=c.year, notes=c.notes,
                          files_read=c.files_read, files_with_errors=c.files_with_errors)
            if c.results_application is not None:
                result["results_application"] = c.results_application.listed
            tables = {"projects": c.projects, "departments": c.departments,
                      "dept_evaluations": c.dept_evaluations, "issues": c.issues}
        _write_json(result, tables, sys.stdout)
        print(last_line, file=sys.stderr)   # stdout stays pure JSON
    else:
        print(last_line)
    return code


def run_consolidate(args) -> int:
    rules = rules_of(args)
    output = Path(args.output)
    if args.jobs is not None and args.jobs < 1:
        return _finish(args, FAILED, "未汇总：--jobs 必须是正整数", None, None)
    if args.year is not None and not MIN_YEAR <= args.year <= MAX_YEAR:
        return _finish(args, FAILED, f"未汇总：--year 应为四位年度（如 2022），不是 {args.year}", None, None)
    if output.suffix.lower() != ".xlsx":
        return _finish(args, FAILED, f"未汇总：汇总文件必须是 .xlsx 文件：{output}", None, None)
    refused = overwrite_problem(output)   # before minutes of reading, not after
    if refused:
        return _finish(args, FAILED, f"未汇总：{refused}", None, None)
    paths, dept_inputs, exclude = args.paths, [], [output]
    if args.dept_forms:
        # deferred: openpyxl (about 0.2 s of start-up) only for runs that write department forms
        from ..consolidate.department_forms import split_department_inputs
        # Every input is still read (a department workbook as one: its self-evaluation goes
        # to 部门排名; a form in the --dept-forms folder as a form); the department workbooks
        # named are also what the new ones carry their typed inputs over from.
        _, dept_inputs = split_department_inputs(args.paths)
    store = recorder = None
    if args.db is not None:
        try:   # refused before minutes of reading, like the output file
            store = open_store(args.db, write=True)
        except StoreError as exc:
            return _finish(args, FAILED, f"未汇总：{exc}。未写入任何数据。", None, None)
        recorder = Recorder(store)
    try:
        c = consolidate(paths, rules=rules, jobs=args.jobs, year=args.year,
                        dept_info=args.dept_info, progress=not args.json, exclude=exclude,
                        reader=read_for_history if store else None, on_outcome=recorder)
        if c.year is not None and (store is not None or args.previous):
            before = previous_scores(c, rules, store=store, paths=args.previous, jobs=args.jobs,
                                     exclude=exclude)
            c.results_application = results_for(c, before, rules)
    except DeptInfoError as exc:
        return _finish(args, FAILED, f"未汇总：{exc}", None, None)
    except StoreError as exc:
        return _finish(args, FAILED, f"未汇总：{exc}", None, None)
    finally:
        if store is not None:
            store.close()
    if recorder is not None:
        print_add_report(recorder.report, store.shown, out=sys.stderr if args.json else sys.stdout)
    readable = readable_files(c)
    if not args.json:
        _print_problems(c, written=bool(readable))
    if not readable:
        # nothing to list in a summary's 问题清单 but the unreadable files themselves
        why = "读取的文件都不是可用的项目表" if c.files_read else "指定位置没有找到 Excel 工作簿"
        return _finish(args, FAILED, f"未汇总：{why}，未写入 {output}", c, None)
    try:
        # A second core renders the longest sheets, as it read the forms (--jobs 1: one process).
        write_summary(c, output, bureau=True if args.bureau else None,
                      parallel=worker_count(args.jobs, 2) > 1)
    except SummaryWriteError as exc:
        return _finish(args, FAILED, f"未汇总：{exc}", c, None)
    if args.dept_forms and not _write_dept_forms(args, c, dept_inputs, rules):
        return _finish(args, WRITTEN_WITH_ERRORS,
                       f"已写入 {output}：{_counts(c)}；但部门整体绩效表有错误，见上方列表", c, output)
    if c.project_count == 0:
        # every form has an error (or another year): the summary still lists why (issue 21 #2)
        return _finish(args, WRITTEN_WITH_ERRORS,
                       f"已写入 {output}：没有项目计入汇总（读取{len(c.files_read)}个文件，"
                       f"{len(c.files_with_errors)}个存在错误），原因见上方列表和汇总表“问题清单”", c, output)
    if c.files_with_errors:
        return _finish(args, WRITTEN_WITH_ERRORS,
                       f"已写入 {output}：{_counts(c)}；但有{len(c.files_with_errors)}个文件存在错误，"
                       "见上方列表和汇总表“问题清单”", c, output)
    return _finish(args, WRITTEN, f"已写入 {output}：{_counts(c)}，未发现错误", c, output)


def _write_dept_forms(args, c: Consolidation, inputs: list[str], rules) -> bool:
    """One filled 部门整体绩效表 per department into --dept-forms DIR; False on any error."""
    from ..consolidate.department_forms import write_department_forms   # deferred: see run_consolidate
    result = write_department_forms(c, args.dept_forms, dept_info=args.dept_info,
                                    inputs=inputs, rules=rules, jobs=args.jobs)
    out = sys.stderr if args.json else sys.stdout
    for path in result.written:
        print(f"已生成部门整体绩效表 {path}", file=out)
    for issue in result.issues:
        print(str(issue), file=out)
    return not any(i.severity == "error" for i in result.issues)


def run_template(args) -> int:
    try:
        path = write_summary_template(args.output, rules=load_rules(args.rules))
    except SummaryWriteError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return FAILED
    print(f"已生成部门汇总表模板 {path}")
    return 0
