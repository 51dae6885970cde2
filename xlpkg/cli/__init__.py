"""The `xlpkg` command. Each command group lives in its own module and registers itself."""
from __future__ import annotations

import argparse
import importlib
import sys

from ..rules import RulesError

# Modules that define `register(subparsers)`; a group whose module is absent is left out.
COMMAND_MODULES = ("project", "workbook", "consolidate", "addin", "extension", "kit")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xlpkg", description="预算绩效管理 Excel 工具：校验、评分、生成表格、汇总")
    from .. import __version__
    parser.add_argument("--version", action="version", version=f"xlpkg {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        module.register(sub)
    return parser


def add_rules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", metavar="FILE", help="规则文件（默认使用随附的 rules.json）")


def main(argv: list[str] | None = None) -> int:
    if hasattr(sys.stdout, "reconfigure"):
        # Chinese text on a Windows console or a pipe must not crash the command.
        sys.stdout.reconfigure(encoding="utf-8", errors="replace")
        sys.stderr.reconfigure(encoding="utf-8", errors="replace")
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except RulesError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
