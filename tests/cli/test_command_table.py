"""The command table of xlpkg.cli: every command is found in the module that registers it, and
running one command imports only that command's module (not every library of every command)."""
from __future__ import annotations

import subprocess
import sys

from xlpkg import cli


def _registered(module: str) -> set[str]:
    parser = cli.build_parser(modules=(module,))
    sub = next(a for a in parser._actions if a.dest == "command")
    return set(sub.choices)


def test_the_table_names_each_command_of_each_module():
    for module in cli.COMMAND_MODULES:
        assert _registered(module) == {c for c, m in cli.COMMANDS.items() if m == module}, module


def test_a_command_imports_only_its_own_module():
    code = ("import sys; from xlpkg.cli import build_parser; "
            "build_parser(['check', 'x.json']).parse_args(['check', 'x.json']); "
            "print(sorted(m for m in ('sqlalchemy', 'docx', 'xlpkg.history.store', 'xlpkg.documents.publish') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_help_lists_every_command():
    parser = cli.build_parser([])
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(cli.COMMANDS)
