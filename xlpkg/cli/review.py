"""`xlpkg review`: the finance bureau's review workbook, and its verdicts back into the forms."""
from __future__ import annotations

import json
import sys

from ..review import STAGE_ARG, apply_review, build_review
from ..rules import load_rules
from . import add_force_option, add_rules_option, existing_output_problem
from ..carryover.store import StoreUnavailable


def register(sub) -> None:
    p = sub.add_parser("review", help="财政部门审核：生成审核表（审核结果、审核意见、评定得分），或把审核意见回填到表单副本")
    p.add_argument("paths", nargs="*", metavar="PATH", help="项目表文件或文件夹（与 consolidate 相同的查找和去重）")
    p.add_argument("-o", "--output", required=True,
                   help="生成审核表时为审核表文件（如 审核表.xlsx）；--apply 时为存放回填副本的文件夹")
    p.add_argument("--stage", choices=STAGE_ARG, default="target",
                   help="target：绩效目标审核；evaluation：绩效自评复核（含评定得分）")
    p.add_argument("--apply", metavar="审核表.xlsx",
                   help="把审核表中的审核结果、审核意见和评定得分回填到表单副本（部门原文件不变）")
    p.add_argument("--previous", nargs="+", metavar="PATH", default=[],
                   help="上年度的项目表（文件或文件夹）：正向指标值低于上年实际完成值时提示")
    p.add_argument("--db", metavar="DB",
                   help="历史库地址（如 sqlite:///绩效历史.sqlite 或 postgresql://用户@主机:端口/库名；"
                        "默认取环境变量 XLPKG_DB）：上年实际完成值取自历史库")
    p.add_argument("--json", action="store_true", help="以 JSON 输出结果")
    add_force_option(p)   # the review workbook only: --apply never replaces (see review.apply)
    add_rules_option(p)
    p.set_defaults(handler=run_review)


def run_review(args) -> int:
    rules = load_rules(args.rules)
    if not args.paths:
        print("错误：请指定项目表文件或文件夹", file=sys.stderr)
        return 2
    if args.apply:
        return _apply(args, rules)
    refused = existing_output_problem(args.output, args.force)
    if refused:
        print(f"错误：{refused}", file=sys.stderr)
        return 1
    try:
        path, forms, problems = build_review(args.paths, args.output, rules, args.stage, args.previous,
                                             db=args.db)
    except StoreUnavailable as exc:
        print(f"错误：{exc}。未生成审核表。", file=sys.stderr)
        return 2
    if args.json:
        json.dump({"output": str(path) if path else None, "stage": args.stage, "projects": len(forms),
                   "indicators": sum(len(f.project.indicators) for f in forms),
                   "forms": [{"file": f.path, "code": f.project.code, "year": f.project.year,
                              "sha256": f.sha256, "findings": f.findings.count,
                              "suggested": f.findings.suggested()[0]} for f in forms],
                   "problems": problems}, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        for p in problems:
            print(f"[提示] {p}", file=sys.stderr)
        if path:
            print(f"已生成审核表：{path}（{len(forms)}个项目）")
    return 0 if forms else 1


def _apply(args, rules) -> int:
    result = apply_review(args.apply, args.paths, args.output, rules)
    if args.json:
        json.dump(result.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        for e in result.errors:
            print(f"[错误] {e}", file=sys.stderr)
        for s in result.skipped:
            print(f"[未回填] {s}", file=sys.stderr)
        for a in result.applied:
            print(f"已回填：{a['file']} → {a['output']}（审核结果：{a['grade'] or '—'}）")
        if result.errors:
            print("审核表有误，本次没有写入任何文件", file=sys.stderr)
    return 0 if result.ok else 1
