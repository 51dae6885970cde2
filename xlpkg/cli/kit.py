"""`xlpkg kit build`: the offline install kit for Windows Excel."""
from __future__ import annotations

import sys
from pathlib import Path

from ..delivery.kit import SUPPORTED_PYTHONS, KitError, build_kit


def register(sub) -> None:
    p = sub.add_parser("kit", help="生成 Windows Excel 离线安装包（wheel、加载项、模板、安装脚本）")
    actions = p.add_subparsers(dest="kit_command", required=True, metavar="ACTION")
    b = actions.add_parser("build", help="生成 xlpkg-kit.zip")
    b.add_argument("--platform", default="win_amd64", choices=("win_amd64",))
    b.add_argument("-o", "--output", default="dist/xlpkg-kit.zip", help="输出文件（默认 dist/xlpkg-kit.zip）")
    b.add_argument("--python", action="append", metavar="X.Y",
                   help=f"支持的 Python 版本（可重复；默认 {'、'.join(SUPPORTED_PYTHONS)}）")
    b.set_defaults(handler=run_build)


def run_build(args) -> int:
    try:
        out, chosen = build_kit(Path(args.output), platform=args.platform,
                                pythons=tuple(args.python or SUPPORTED_PYTHONS))
    except KitError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    for version, wheels in chosen.items():
        print(f"Python {version}：{len(wheels)} 个 wheel，离线安装可解析")
    print(f"已生成离线安装包：{out}，{out.stat().st_size / 1e6:.1f} MB")
    return 0
