"""The commands added this round never replace an existing file without --force (issue 22's
rule for every command that writes): a filled form under the output's name stays as it was."""
from __future__ import annotations

import pytest

from tests.helpers import example
from xlpkg.cli import main
from xlpkg.workbook.writer import fill_workbook


@pytest.fixture
def form(tmp_path):
    return fill_workbook(example("105002B16DX0003"), tmp_path / "form.xlsx")


@pytest.mark.parametrize("argv", [
    lambda t, f: ["standards", "template", "-o", str(t)],
    lambda t, f: ["library", "build", str(f), "-o", str(t)],
    lambda t, f: ["review", str(f.parent / "in"), "-o", str(t)],
    lambda t, f: ["history", "export", "-o", str(t), "--db", f"sqlite:///{f.parent / 'h.sqlite'}"],
], ids=["standards", "library", "review", "history-export"])
def test_an_existing_file_is_kept_unless_forced(form, tmp_path, argv, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "form.xlsx").write_bytes(form.read_bytes())
    assert main(["history", "add", str(form), "--db", f"sqlite:///{tmp_path / 'h.sqlite'}"]) == 0
    victim = tmp_path / "victim.xlsx"
    victim.write_bytes(form.read_bytes())
    code = main(argv(victim, form))
    assert code != 0 and victim.read_bytes() == form.read_bytes()
    assert "已存在" in capsys.readouterr().err
    assert main([*argv(victim, form), "--force"]) == 0
    assert victim.read_bytes() != form.read_bytes()
