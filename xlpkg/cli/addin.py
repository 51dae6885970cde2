"""`xlpkg addin build|install|check`: the Excel add-in (ribbon, VBA, xlwings config)."""
from __future__ import annotations

import sys
from pathlib import Path

from ..delivery.addin import AddinError, build_addin, build_addin_via_excel, check_macros, install_addin


def register(sub) -> None:
    p = sub.add_parser("addin", help="生成、检查或安装 Excel 加载项 xlpkg.xlam")
    actions = p.add_subparsers(dest="addin_command", required=True, metavar="ACTION")

    b = actions.add_parser("build", help="生成 xlpkg.xlam（功能区、VBA 模块、xlwings 配置表）")
    b.add_argument("-o", "--output", default="dist/xlpkg.xlam", help="输出文件（默认 dist/xlpkg.xlam）")
    b.add_argument("--macros", metavar="DIR", help="宏源文件目录（默认随附的 macros/）")
    b.add_argument("--via-excel", action="store_true",
                   help="在 Windows 上由 xlwings 驱动 Excel 生成（需要安装 Excel）")
    b.add_argument("--inactive-config", action="store_true",
                   help="配置表命名为 _xlpkg.conf（xlwings 约定：带下划线即不生效）")
    b.set_defaults(handler=run_build)

    i = actions.add_parser("install", help="把加载项复制到 Excel 加载的位置（仅 Windows）")
    i.add_argument("path", nargs="?", default="dist/xlpkg.xlam")
    i.add_argument("--where", choices=("xlstart", "addins"), default="xlstart",
                   help="xlstart：随 Excel 启动；addins：在“Excel 加载项”中勾选")
    i.set_defaults(handler=run_install)

    c = actions.add_parser("check", help="检查功能区 XML 与 VBA 回调、RunPython 调用是否一致")
    c.add_argument("--macros", metavar="DIR")
    c.set_defaults(handler=run_check)


def run_build(args) -> int:
    try:
        if args.via_excel:
            out = build_addin_via_excel(Path(args.output))
        else:
            out = build_addin(Path(args.output), macros_dir=args.macros and Path(args.macros),
                              activate_config=not args.inactive_config)
    except AddinError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    print(f"已生成加载项：{out}")
    return 0


def run_install(args) -> int:
    try:
        target = install_addin(Path(args.path), where=args.where)
    except AddinError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    print(f"已安装到：{target}")
    return 0


def run_check(args) -> int:
    problems = check_macros(args.macros and Path(args.macros))
    for problem in problems:
        print(f"[错误] {problem}")
    print("检查通过" if not problems else f"共 {len(problems)} 个问题")
    return 1 if problems else 0
