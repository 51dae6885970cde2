"""The `xlpkg` command. Each command group lives in its own module and registers itself."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from ..system.os_errors import os_error_text
from ..rules import Rules, RulesError, load_rules
from ..workbook.standards import read_standards, with_standards
from .. import __version__

# Modules that define `register(subparsers)`; a group whose module is absent is left out.
COMMAND_MODULES = ("project", "workbook", "consolidate", "addin", "documents", "extension", "kit",
                   "history", "carryover", "library", "standards",
                   "review")
# The command each module registers. Only the module of the command being run is imported, so a
# command does not pay for the libraries of all the others (openpyxl, python-docx, SQLAlchemy…);
# `xlpkg --help` and an unknown command import them all. tests/cli checks this table.
COMMANDS = {
    "check": "project", "score": "project",
    "template": "workbook", "fill": "workbook", "read": "workbook", "validate": "workbook",
    "upgrade": "workbook",
    "consolidate": "consolidate", "summary-template": "consolidate",
    "addin": "addin",
    "import": "documents", "publish": "documents", "report": "documents",
    "extension": "extension",
    "kit": "kit",
    "history": "history",
    "carry-over": "carryover", "library": "library",
    "standards": "standards",
    "review": "review",
}


def _modules_for(argv: list[str] | None) -> tuple[str, ...]:
    """The command modules needed to parse ``argv``: its command's alone, when it names one."""
    args = sys.argv[1:] if argv is None else argv
    command = next((a for a in args if not a.startswith("-")), None)
    if command is None and any(a == "--version" for a in args):
        return ()
    module = COMMANDS.get(command or "")
    return (module,) if module in COMMAND_MODULES else COMMAND_MODULES


def build_parser(argv: list[str] | None = None, *, modules: tuple[str, ...] | None = None
                 ) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xlpkg", description="预算绩效管理 Excel 工具：校验、评分、生成表格、汇总")
    parser.add_argument("--version", action="version", version=f"xlpkg {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in (_modules_for(argv) if modules is None else modules):
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        module.register(sub)
    return parser


def add_force_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="输出文件已存在时替换它（默认不替换，以免覆盖已填写的表）")


def existing_output_problem(output: str, force: bool) -> str | None:
    """Why ``output`` must not be written: it exists and --force was not given (a filled form
    or a reviewer's workbook under that name would be lost). None when it may be written."""
    if force or not os.path.lexists(output):
        return None
    return f"“{output}”已存在：为免覆盖已填写的内容，未写入；请另指定输出文件名，或加 --force 替换它"


def add_rules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", metavar="FILE", help="规则文件（默认使用随附的 rules.json）")


def add_standards_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--standards", metavar="FILE.xlsx",
                        help="预算支出标准表（xlpkg standards template 生成的格式）：成本指标值超过 单位标准×数量 时警告")


def rules_of(args) -> "Rules":
    """The rulebook of ``--rules`` with the standards of ``--standards`` (if given) added."""
    rules = load_rules(getattr(args, "rules", None))
    standards = getattr(args, "standards", None)
    return with_standards(rules, read_standards(standards)) if standards else rules


EXIT_INTERRUPTED = 130   # 128 + SIGINT, what shells report for Ctrl-C
DEBUG_ENV = "XLPKG_DEBUG"   # set to 1 to see the traceback of an internal error


def _quiet_broken_pipe() -> None:
    """`xlpkg read f.xlsx | head`: the reader went away; stop without a word. Output still
    buffered must not raise again at exit, so stdout is pointed at /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    """Every command, with one promise: no traceback for any input. Known problems print a
    Chinese message and exit 1/2; Ctrl-C exits 130; a closed pipe ends quietly."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            # Chinese text on a Windows console or a pipe must not crash the command; a
            # lone surrogate from a file name is printed escaped, not raised.
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")
    try:
        args = build_parser(argv).parse_args(argv)
        return args.handler(args)
    except RulesError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\n已中断（Ctrl-C），未完成的输出文件未写入。", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_broken_pipe()
        return 1
    except RecursionError:
        print("错误：输入的嵌套层次过深，无法处理", file=sys.stderr)
        return 2
    except MemoryError:
        print("错误：内存不足，输入过大", file=sys.stderr)
        return 2
    except OSError as exc:
        name = getattr(exc, "filename", None)
        what = "文件夹" if name and os.path.isdir(name) else "文件"
        print(f"错误：无法读写{what}{f'“{name}”' if name else ''}：{os_error_text(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:   # noqa: BLE001 - the promise above; details on request
        if os.environ.get(DEBUG_ENV):
            raise
        print(f"错误：处理时出现意外问题（{type(exc).__name__}: {str(exc)[:300]}）。"
              f"请把输入文件和本消息发给维护人员；设置环境变量 {DEBUG_ENV}=1 可看到详细信息", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
