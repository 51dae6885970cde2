"""`xlpkg extension build`: the LibreOffice extension xlpkg.oxt (Calc functions, 绩效管理 menu)."""
from __future__ import annotations

import sys
from pathlib import Path

from ..libreoffice.extension import ExtensionError, build_extension, local_target, target_for


def register(sub) -> None:
    p = sub.add_parser("extension", help="生成 LibreOffice 扩展 xlpkg.oxt（工作表函数、绩效管理菜单）")
    actions = p.add_subparsers(dest="extension_command", required=True, metavar="ACTION")
    b = actions.add_parser("build", help="生成 xlpkg.oxt，用 unopkg add 或“工具 → 扩展管理器”安装")
    b.add_argument("-o", "--output", default="dist/xlpkg.oxt", help="输出文件（默认 dist/xlpkg.oxt）")
    b.add_argument("--platform", choices=("linux_x86_64", "win_amd64"),
                   help="目标平台（默认：本机 LibreOffice）")
    b.add_argument("--python-version", metavar="X.Y",
                   help="目标 LibreOffice 所用 Python 的版本（默认：本机 LibreOffice 的 Python；"
                        "Windows 版 LibreOffice 7.x 自带 3.8）")
    b.add_argument("--no-deps", action="store_true",
                   help="不附带依赖包（由管理员装入 LibreOffice 的 Python）")
    b.set_defaults(handler=run_build)


def run_build(args) -> int:
    try:
        target = None
        if not args.no_deps:
            if args.platform:
                if not args.python_version:
                    print("错误：指定 --platform 时须同时指定 --python-version", file=sys.stderr)
                    return 2
                target = target_for(args.platform, args.python_version)
            else:
                target = local_target()
                if args.python_version:
                    target = target_for("linux_x86_64", args.python_version)
        out = build_extension(Path(args.output), target=target, deps=not args.no_deps)
    except ExtensionError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    size = out.stat().st_size / 1e6
    where = f"（依赖包：Python {target.python_version}，{target.oxt_platform}）" if target else "（不含依赖包）"
    print(f"已生成 LibreOffice 扩展：{out}，{size:.1f} MB{where}")
    return 0
